//! The typed, validated configuration that the engine consumes. Built only by
//! [`crate::check::check`]; inactive statements are not in it; defaults are filled in.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::flags::FlagExpr;

/// A committed configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub version: Option<String>,
    pub system: System,
    pub chassis: Chassis,
    pub interfaces: Vec<Interface>,
    pub routing: Routing,
    pub prefix_lists: Vec<PrefixList>,
    pub firewall: Firewall,
    pub sampling: Sampling,
    pub flow_monitoring: FlowMonitoring,
    pub port_mirroring: PortMirroring,
    pub analyzers: Vec<Analyzer>,
    pub mirror_destinations: Vec<MirrorDestination>,
    pub security: SecurityPolicies,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    pub host_name: Option<String>,
    pub domain_name: Option<String>,
    pub time_zone: Option<String>,
    pub location: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chassis {
    pub fpcs: Vec<Fpc>,
}

/// `chassis fpc SLOT sampling-instance NAME`: interfaces `xx-SLOT/pic/port` use that instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fpc {
    pub slot: u32,
    pub sampling_instance: Option<String>,
    /// `inline-services flow-table-size`: units of 256K flows.
    pub ipv4_flow_table_units: Option<u8>,
    pub ipv6_flow_table_units: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    pub disabled: bool,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub vlan_tagging: bool,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub number: u32,
    pub description: Option<String>,
    pub disabled: bool,
    pub vlan_id: Option<u16>,
    pub analyzer_label: Option<String>,
    pub routing_instance: Option<String>,
    pub inet: Option<Family>,
    pub inet6: Option<Family>,
    pub mpls: Option<Family>,
}

/// `family inet|inet6|mpls` of a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    pub mtu: Option<u32>,
    pub filter_input: Option<String>,
    pub filter_output: Option<String>,
    pub sample_input: bool,
    pub sample_output: bool,
    pub addresses: Vec<InterfaceAddress>,
}

/// An interface address: the address and its prefix length (`192.0.2.1/24`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceAddress {
    pub address: IpNet,
    pub primary: bool,
    pub preferred: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub router_id: Option<Ipv4Addr>,
    pub autonomous_system: Option<u32>,
    pub static_routes: Vec<StaticRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticRoute {
    pub prefix: IpNet,
    pub action: RouteAction,
    pub preference: u32,
    pub metric: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteAction {
    NextHops(Vec<IpAddr>),
    Discard,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixList {
    pub name: String,
    pub prefixes: Vec<IpNet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AddressFamily {
    Inet,
    Inet6,
}

impl AddressFamily {
    pub fn name(self) -> &'static str {
        match self {
            AddressFamily::Inet => "inet",
            AddressFamily::Inet6 => "inet6",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firewall {
    pub filters: Vec<Filter>,
    pub policers: Vec<Policer>,
}

impl Firewall {
    pub fn filter(&self, family: AddressFamily, name: &str) -> Option<&Filter> {
        self.filters
            .iter()
            .find(|f| f.family == family && f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub name: String,
    pub family: AddressFamily,
    pub interface_specific: bool,
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub name: String,
    /// Every condition must match (conditions of one kind are alternatives inside it).
    pub matches: Vec<Match>,
    pub actions: Actions,
}

/// Which address or port of a packet a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Source,
    Destination,
    /// `address`, `port`, `prefix-list`: either one.
    Either,
}

/// A prefix of an address condition; `except` excludes it (the longest matching prefix decides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixMatch {
    pub prefix: IpNet,
    pub except: bool,
}

/// One `from` condition, aliases expanded (`tcp-initial` is `tcp-flags "(!ack & syn)"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Match {
    Address {
        field: Field,
        prefixes: Vec<PrefixMatch>,
    },
    /// `protocol` (inet) and `next-header` / `payload-protocol` (inet6).
    Protocol {
        values: Vec<u8>,
        except: bool,
    },
    Port {
        field: Field,
        ranges: Vec<(u16, u16)>,
        except: bool,
    },
    TcpFlags(FlagExpr),
    IcmpType {
        values: Vec<u8>,
        except: bool,
    },
    IcmpCode {
        values: Vec<u8>,
        except: bool,
    },
    /// DSCP (inet) or traffic class DSCP bits (inet6).
    Dscp {
        values: Vec<u8>,
        except: bool,
    },
    Precedence {
        values: Vec<u8>,
        except: bool,
    },
    FragmentFlags(FlagExpr),
    FragmentOffset {
        ranges: Vec<(u16, u16)>,
        except: bool,
    },
    PacketLength {
        ranges: Vec<(u16, u16)>,
        except: bool,
    },
    /// TTL (inet) or hop limit (inet6).
    Ttl {
        ranges: Vec<(u8, u8)>,
        except: bool,
    },
    /// Interface names; `ge-0/0/0` matches every unit, `ge-0/0/0.0` one unit.
    Interface(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectType {
    AdministrativelyProhibited,
    HostUnreachable,
    NetworkUnreachable,
    PortUnreachable,
    ProtocolUnreachable,
    TcpReset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Terminating {
    Accept,
    Discard,
    Reject(RejectType),
}

/// `then` of a term. With no terminating action and no `next term`, the packet is accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    pub terminating: Option<Terminating>,
    pub next_term: bool,
    pub count: Option<String>,
    pub policer: Option<String>,
    pub forwarding_class: Option<String>,
    pub log: bool,
    pub syslog: bool,
    pub sample: bool,
    pub port_mirror: bool,
    pub port_mirror_instance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policer {
    pub name: String,
    /// Bits per second.
    pub bandwidth_limit: Option<u64>,
    /// Bytes.
    pub burst_size_limit: Option<u64>,
    pub discard: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sampling {
    /// `forwarding-options sampling` itself, when configured.
    pub global: Option<SamplingInstance>,
    pub instances: Vec<SamplingInstance>,
}

/// Global sampling or one `instance NAME` (the global one has an empty name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingInstance {
    pub name: String,
    pub input: SamplingInput,
    pub families: Vec<SamplingFamily>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingInput {
    /// 1 out of `rate` packets.
    pub rate: u32,
    pub run_length: u32,
    /// 0: no limit.
    pub max_packets_per_second: u32,
    pub maximum_packet_length: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SampledFamily {
    Inet,
    Inet6,
    Mpls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingFamily {
    pub family: SampledFamily,
    pub output: SamplingOutput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingOutput {
    /// Seconds.
    pub flow_active_timeout: u32,
    pub flow_inactive_timeout: u32,
    pub aggregate_export_interval: u32,
    pub flow_servers: Vec<FlowServer>,
    pub interfaces: Vec<OutputInterface>,
    pub inline_jflow: Option<InlineJflow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowServer {
    pub address: IpAddr,
    pub port: u16,
    pub format: ExportFormat,
    pub autonomous_system_type: AsType,
    pub source_address: Option<Ipv4Addr>,
    pub dscp: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AsType {
    Origin,
    Peer,
}

/// v8 aggregation schemes Junos exports (scheme numbers of the v8 header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Aggregation {
    AutonomousSystem,
    ProtocolPort,
    SourcePrefix,
    DestinationPrefix,
    SourceDestinationPrefix { caida_compliant: bool },
}

impl Aggregation {
    /// The `aggregation` field of the v8 header.
    pub fn scheme(self) -> u8 {
        match self {
            Aggregation::AutonomousSystem => 1,
            Aggregation::ProtocolPort => 2,
            Aggregation::SourcePrefix => 3,
            Aggregation::DestinationPrefix => 4,
            Aggregation::SourceDestinationPrefix { .. } => 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    V5,
    V8(Vec<Aggregation>),
    V9 { template: String },
    Ipfix { template: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputInterface {
    pub name: String,
    pub engine_id: Option<u8>,
    pub engine_type: Option<u8>,
    pub source_address: Option<Ipv4Addr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineJflow {
    pub source_address: Option<IpAddr>,
    /// Thousands of packets per second.
    pub flow_export_rate: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowMonitoring {
    pub v9_templates: Vec<Template>,
    pub ipfix_templates: Vec<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refresh {
    pub packets: u32,
    pub seconds: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowKey {
    pub flow_direction: bool,
    pub vlan_id: bool,
    pub output_interface: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateKind {
    Ipv4,
    Ipv6,
    Mpls { label_positions: Vec<u8> },
    MplsIpv4 { label_positions: Vec<u8> },
    Bridge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub flow_active_timeout: u32,
    pub flow_inactive_timeout: u32,
    pub template_refresh: Refresh,
    pub option_refresh: Refresh,
    pub template_id: Option<u16>,
    pub option_template_id: Option<u16>,
    /// v9 `source-id` or IPFIX `observation-domain-id`.
    pub domain_id: u8,
    pub nexthop_learning: bool,
    pub flow_key: FlowKey,
    pub kind: TemplateKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMirroring {
    pub global: Option<MirrorInstance>,
    pub instances: Vec<MirrorInstance>,
    pub mirror_once: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorInstance {
    pub name: String,
    pub rate: u32,
    pub run_length: u32,
    /// 0: no truncation.
    pub maximum_packet_length: u32,
    pub families: Vec<MirrorFamily>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorFamily {
    pub family: AddressFamily,
    pub outputs: Vec<MirrorOutput>,
    pub no_filter_check: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorOutput {
    pub interface: String,
    pub next_hop: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analyzer {
    pub name: String,
    pub rate: u32,
    pub maximum_packet_length: u32,
    pub ingress: Vec<String>,
    pub egress: Vec<String>,
    pub output: AnalyzerOutput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnalyzerOutput {
    Interface(String),
    IpAddress(Ipv4Addr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Ingress,
    Egress,
    Both,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnalyzerTarget {
    /// An external analyzer by IPv4 address.
    Address(Ipv4Addr),
    /// An internal analyzer: the unit carrying this `analyzer-label`.
    Label(String),
    /// Only an L2 destination or a static VXLAN next hop.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorDestination {
    pub name: String,
    pub analyzer: AnalyzerTarget,
    pub udp_port: u16,
    pub juniper_header: bool,
    pub analyzer_mac: Option<[u8; 6]>,
    pub routing_instance: Option<String>,
    pub static_next_hop: Option<Vtep>,
    pub direction: Direction,
    /// 0: whole packet.
    pub maximum_packet_length: u32,
    /// Packets per second; 0: no limit.
    pub rate_limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vtep {
    pub address: Ipv4Addr,
    pub vni: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultPolicy {
    #[default]
    PermitAll,
    DenyAll,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicies {
    pub default_policy: DefaultPolicy,
    pub policies: Vec<Policy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    /// Units (`ge-0/0/0.0`) where the policy applies; empty: all.
    pub interfaces: Vec<String>,
    /// Policy-level mirror destinations: every rule's flows.
    pub mirror_to: Vec<String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleAction {
    Permit,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub source: Vec<IpNet>,
    pub destination: Vec<IpNet>,
    pub protocols: Vec<u8>,
    pub source_ports: Vec<(u16, u16)>,
    pub destination_ports: Vec<(u16, u16)>,
    pub action: RuleAction,
    pub mirror_to: Vec<String>,
}
