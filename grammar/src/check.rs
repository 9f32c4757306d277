//! Commit checks: a ConfigTree becomes the typed [`Config`], or every error at once, each as
//! Junos prints it:
//!
//! ```text
//! [edit forwarding-options sampling family inet output]
//!   'flow-server 10.0.0.1'
//!     Missing mandatory statement: 'port'
//! ```
//!
//! Inactive statements are left out, as a commit ignores them.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::flags::{self, FlagExpr};
use crate::model::*;
use crate::render::quote;
use crate::schema::value::{
    DSCP_NAMES, FRAGMENT_FLAG_NAMES, ICMP_CODE_NAMES, ICMP_TYPE_NAMES, ICMP6_TYPE_NAMES,
    PRECEDENCE_NAMES, PROTOCOL_NAMES, TCP_FLAG_NAMES, named, parse_num_range, parse_port,
};
use crate::schema::{ROOT, Stmt};
use crate::tree::{Child, ConfigTree, Node, Value};

/// Junos: at most 8 flow servers per family output.
pub const MAX_FLOW_SERVERS: usize = 8;

/// One commit-check error: where, which statement, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckError {
    /// The `[edit ...]` path words of the statement's parent.
    pub path: Vec<String>,
    /// The statement as Junos quotes it: `flow-server 10.0.0.1`, `input foo`.
    pub statement: String,
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            writeln!(f, "[edit]")?;
        } else {
            writeln!(f, "[edit {}]", self.path.join(" "))?;
        }
        writeln!(f, "  '{}'", self.statement)?;
        write!(f, "    {}", self.message)
    }
}

/// Junos output for a failed check: every error, then `error: configuration check-out failed`.
pub fn render_errors(errors: &[CheckError]) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out.push_str("error: configuration check-out failed\n");
    out
}

/// A read-only view of a node's active statements.
#[derive(Clone, Copy)]
struct View<'a> {
    node: &'a Node,
    stmts: &'static [Stmt],
}

impl<'a> View<'a> {
    fn child(&self, name: &str) -> Option<&'a Child> {
        let idx = self.stmts.iter().position(|s| s.name == name)? as u16;
        self.node.child(idx).filter(|c| !c.meta.inactive)
    }

    fn stmt(&self, name: &str) -> Option<&'static Stmt> {
        self.stmts.iter().find(|s| s.name == name)
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        match &self.child(name)?.value {
            Value::Leaf(Some(v)) => Some(v),
            _ => None,
        }
    }

    fn has(&self, name: &str) -> bool {
        self.child(name).is_some()
    }

    fn sub(&self, name: &str) -> Option<View<'a>> {
        let stmt = self.stmt(name)?;
        match &self.child(name)?.value {
            Value::Container(n) => Some(View {
                node: n,
                stmts: stmt.children,
            }),
            _ => None,
        }
    }

    fn values(&self, name: &str) -> &'a [String] {
        match self.child(name).map(|c| &c.value) {
            Some(Value::LeafList(v)) => v,
            _ => &[],
        }
    }

    fn list(&self, name: &str) -> Vec<(&'a str, View<'a>)> {
        let (Some(stmt), Some(child)) = (self.stmt(name), self.child(name)) else {
            return Vec::new();
        };
        match &child.value {
            Value::List(entries) => entries
                .0
                .iter()
                .filter(|(_, e)| !e.meta.inactive)
                .map(|(k, e)| {
                    (
                        k.as_str(),
                        View {
                            node: &e.node,
                            stmts: stmt.children_for(Some(k)),
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A numeric leaf, or its schema default.
    fn num(&self, name: &str) -> Option<u64> {
        self.get(name)
            .or_else(|| self.stmt(name).and_then(|s| s.default))
            .and_then(|v| v.parse().ok())
    }
}

fn root_view(tree: &ConfigTree) -> View<'_> {
    View {
        node: &tree.root,
        stmts: ROOT.children,
    }
}

struct Checker {
    errors: Vec<CheckError>,
}

fn words(path: &str) -> Vec<String> {
    path.split(' ')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

impl Checker {
    fn err(&mut self, path: &str, statement: impl Into<String>, message: impl Into<String>) {
        self.errors.push(CheckError {
            path: words(path),
            statement: statement.into(),
            message: message.into(),
        });
    }
}

fn prefix(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok().or_else(|| {
        s.parse::<IpAddr>().ok().map(|a| match a {
            IpAddr::V4(v4) => IpNet::from(ipnet::Ipv4Net::from(v4)),
            IpAddr::V6(v6) => IpNet::from(ipnet::Ipv6Net::from(v6)),
        })
    })
}

fn mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut out {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn byte_named(table: &[(&str, u8)], s: &str) -> u8 {
    named(table, s).or_else(|| s.parse().ok()).unwrap_or(0)
}

/// `10m`, `1g`, `8000`: a bandwidth or size with an optional k/m/g multiplier.
fn scaled(s: &str) -> Option<u64> {
    let (digits, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1_000),
        'm' | 'M' => (&s[..s.len() - 1], 1_000_000),
        'g' | 'G' => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// Generic checks over the whole tree: value types and ranges, mandatory statements.
fn check_values(c: &mut Checker, node: &Node, stmts: &'static [Stmt], path: &mut Vec<String>) {
    for child in &node.children {
        if child.meta.inactive {
            continue;
        }
        let stmt = &stmts[usize::from(child.idx)];
        let ty = stmt.value_type();
        match &child.value {
            Value::Leaf(Some(v)) => {
                if let Some(Err(m)) = ty.map(|t| t.check(v)) {
                    c.err(&path.join(" "), format!("{} {}", stmt.name, quote(v)), m);
                }
            }
            Value::LeafList(vs) => {
                for v in vs {
                    if let Some(Err(m)) = ty.map(|t| t.check(v)) {
                        c.err(&path.join(" "), format!("{} {}", stmt.name, quote(v)), m);
                    }
                }
            }
            Value::Container(n) => {
                check_mandatory(c, path, &|| stmt.name.to_string(), n, stmt.children);
                path.push(stmt.name.to_string());
                check_values(c, n, stmt.children, path);
                path.pop();
            }
            Value::List(entries) => {
                let wrapper = stmt.is_grouped() && !stmt.name.is_empty();
                if wrapper {
                    path.push(stmt.name.to_string());
                }
                for (k, e) in &entries.0 {
                    if e.meta.inactive {
                        continue;
                    }
                    let head = || crate::render::entry_head(stmt, k);
                    if let Some(Err(m)) = ty.map(|t| t.check(k)) {
                        c.err(&path.join(" "), head(), m);
                    }
                    let children = stmt.children_for(Some(k));
                    check_mandatory(c, path, &head, &e.node, children);
                    let n = path.len();
                    if !stmt.name.is_empty() && !wrapper {
                        path.push(stmt.name.to_string());
                    }
                    path.push(quote(k));
                    check_values(c, &e.node, children, path);
                    path.truncate(n);
                }
                if wrapper {
                    path.pop();
                }
            }
            Value::Presence | Value::Leaf(None) => {}
        }
    }
}

fn check_mandatory(
    c: &mut Checker,
    path: &[String],
    statement: &dyn Fn() -> String,
    node: &Node,
    stmts: &'static [Stmt],
) {
    for (i, s) in stmts.iter().enumerate() {
        if s.mandatory && node.child(i as u16).is_none_or(|ch| ch.meta.inactive) {
            c.err(
                &path.join(" "),
                statement(),
                format!("Missing mandatory statement: '{}'", s.name),
            );
        }
    }
}

fn build_system(v: Option<View<'_>>) -> System {
    let Some(v) = v else {
        return System::default();
    };
    System {
        host_name: v.get("host-name").map(String::from),
        domain_name: v.get("domain-name").map(String::from),
        time_zone: v.get("time-zone").map(String::from),
        location: v.get("location").map(String::from),
    }
}

fn build_family(v: View<'_>) -> Family {
    let filter = v.sub("filter");
    let sampling = v.sub("sampling");
    Family {
        mtu: v.num("mtu").map(|n| n as u32),
        filter_input: filter.and_then(|f| f.get("input")).map(String::from),
        filter_output: filter.and_then(|f| f.get("output")).map(String::from),
        sample_input: sampling.is_some_and(|s| s.has("input")),
        sample_output: sampling.is_some_and(|s| s.has("output")),
        addresses: v
            .list("address")
            .into_iter()
            .filter_map(|(k, a)| {
                Some(InterfaceAddress {
                    address: k.parse().ok()?,
                    primary: a.has("primary"),
                    preferred: a.has("preferred"),
                })
            })
            .collect(),
    }
}

fn build_interfaces(root: View<'_>) -> Vec<Interface> {
    root.list("interfaces")
        .into_iter()
        .map(|(name, ifd)| Interface {
            name: name.to_string(),
            description: ifd.get("description").map(String::from),
            disabled: ifd.has("disable"),
            mtu: ifd.num("mtu").map(|n| n as u32),
            mac: ifd.get("mac").and_then(mac),
            vlan_tagging: ifd.has("vlan-tagging"),
            units: ifd
                .list("unit")
                .into_iter()
                .map(|(num, u)| {
                    let families: HashMap<&str, View<'_>> = u.list("family").into_iter().collect();
                    Unit {
                        number: num.parse().unwrap_or(0),
                        description: u.get("description").map(String::from),
                        disabled: u.has("disable"),
                        vlan_id: u.num("vlan-id").map(|n| n as u16),
                        analyzer_label: u.get("analyzer-label").map(String::from),
                        routing_instance: u.get("routing-instance").map(String::from),
                        inet: families.get("inet").map(|f| build_family(*f)),
                        inet6: families.get("inet6").map(|f| build_family(*f)),
                        mpls: families.get("mpls").map(|f| build_family(*f)),
                    }
                })
                .collect(),
        })
        .collect()
}

/// The static routes of one table (`path` names it in errors); a route must say where it goes.
fn build_routes(c: &mut Checker, path: &str, stat: Option<View<'_>>, out: &mut Vec<StaticRoute>) {
    let Some(stat) = stat else { return };
    for (p, r) in stat.list("route") {
        let Some(prefix) = prefix(p) else { continue };
        let hops = r.values("next-hop");
        let action = if r.has("discard") {
            RouteAction::Discard
        } else if r.has("reject") {
            RouteAction::Reject
        } else if hops.is_empty() {
            c.err(
                path,
                format!("route {p}"),
                "Missing mandatory statement: 'next-hop', 'discard' or 'reject'",
            );
            continue;
        } else {
            RouteAction::NextHops(hops.iter().filter_map(|a| a.parse().ok()).collect())
        };
        out.push(StaticRoute {
            prefix,
            action,
            preference: r.num("preference").unwrap_or(5) as u32,
            metric: r.num("metric").map(|n| n as u32),
        });
    }
}

fn build_routing(c: &mut Checker, v: Option<View<'_>>) -> Routing {
    let Some(v) = v else {
        return Routing::default();
    };
    let mut routing = Routing {
        router_id: v.get("router-id").and_then(|a| a.parse().ok()),
        autonomous_system: v.num("autonomous-system").map(|n| n as u32),
        static_routes: Vec::new(),
    };
    build_routes(
        c,
        "routing-options static",
        v.sub("static"),
        &mut routing.static_routes,
    );
    for (_, rib) in v.list("rib") {
        build_routes(
            c,
            "routing-options rib inet6.0 static",
            rib.sub("static"),
            &mut routing.static_routes,
        );
    }
    routing
}

fn build_prefix_lists(v: Option<View<'_>>) -> Vec<PrefixList> {
    let Some(v) = v else { return Vec::new() };
    v.list("prefix-list")
        .into_iter()
        .map(|(name, pl)| PrefixList {
            name: name.to_string(),
            prefixes: pl
                .list("")
                .into_iter()
                .filter_map(|(p, _)| prefix(p))
                .collect(),
        })
        .collect()
}

fn ranges16(values: &[String], min: u64, max: u64) -> Vec<(u16, u16)> {
    values
        .iter()
        .filter_map(|v| parse_num_range(v, min, max).ok())
        .map(|(a, b)| (a as u16, b as u16))
        .collect()
}

struct TermContext<'a> {
    path: String,
    family: AddressFamily,
    prefix_lists: &'a [PrefixList],
}

/// Builds a term's conditions, reporting the combinations Junos refuses.
fn build_matches(c: &mut Checker, from: View<'_>, t: &TermContext<'_>) -> Vec<Match> {
    let mut m = Vec::new();
    let path = format!("{} from", t.path);
    for (a, b) in [
        ("address", "source-address"),
        ("address", "destination-address"),
        ("port", "source-port"),
        ("port", "destination-port"),
        ("prefix-list", "source-prefix-list"),
        ("prefix-list", "destination-prefix-list"),
    ] {
        if from.has(a) && from.has(b) {
            c.err(
                &path,
                b,
                format!("'{a}' and '{b}' cannot be used in the same term"),
            );
        }
    }
    for child in &from.node.children {
        if child.meta.inactive {
            continue;
        }
        let stmt = &from.stmts[usize::from(child.idx)];
        let name = stmt.name;
        let values = match &child.value {
            Value::LeafList(v) => v.as_slice(),
            _ => &[],
        };
        let except = name.ends_with("-except");
        let base = name.trim_end_matches("-except");
        let field = if base.starts_with("source") {
            Field::Source
        } else if base.starts_with("destination") {
            Field::Destination
        } else {
            Field::Either
        };
        let bytes = |table: &[(&str, u8)]| {
            values
                .iter()
                .map(|v| byte_named(table, v))
                .collect::<Vec<u8>>()
        };
        let item = match base {
            "address" | "source-address" | "destination-address" => {
                let prefixes = from
                    .list(name)
                    .into_iter()
                    .filter_map(|(p, e)| {
                        Some(PrefixMatch {
                            prefix: prefix(p)?,
                            except: e.has("except"),
                        })
                    })
                    .collect();
                Match::Address { field, prefixes }
            }
            "prefix-list" | "source-prefix-list" | "destination-prefix-list" => {
                let mut prefixes = Vec::new();
                for (pl, e) in from.list(name) {
                    match t.prefix_lists.iter().find(|l| l.name == pl) {
                        Some(list) => prefixes.extend(list.prefixes.iter().map(|p| PrefixMatch {
                            prefix: *p,
                            except: e.has("except"),
                        })),
                        None => c.err(
                            &path,
                            format!("{name} {pl}"),
                            format!("Referenced prefix-list '{pl}' is not defined"),
                        ),
                    }
                }
                Match::Address { field, prefixes }
            }
            "protocol" | "next-header" | "payload-protocol" => Match::Protocol {
                values: bytes(PROTOCOL_NAMES),
                except,
            },
            "port" | "source-port" | "destination-port" => Match::Port {
                field,
                ranges: values.iter().filter_map(|v| parse_port(v).ok()).collect(),
                except,
            },
            "tcp-flags" | "fragment-flags" => {
                let text = match &child.value {
                    Value::Leaf(Some(v)) => v.as_str(),
                    _ => "",
                };
                let table = if base == "tcp-flags" {
                    TCP_FLAG_NAMES
                } else {
                    FRAGMENT_FLAG_NAMES
                };
                match flags::parse(text, table) {
                    Ok(e) if base == "tcp-flags" => Match::TcpFlags(e),
                    Ok(e) => Match::FragmentFlags(e),
                    Err(msg) => {
                        c.err(&path, format!("{name} {}", quote(text)), msg);
                        continue;
                    }
                }
            }
            "tcp-initial" => Match::TcpFlags(FlagExpr::And(vec![
                FlagExpr::Not(Box::new(FlagExpr::Bits(0x10))),
                FlagExpr::Bits(0x02),
            ])),
            "tcp-established" => Match::TcpFlags(FlagExpr::Or(vec![
                FlagExpr::Bits(0x10),
                FlagExpr::Bits(0x04),
            ])),
            "icmp-type" => Match::IcmpType {
                values: bytes(if t.family == AddressFamily::Inet {
                    ICMP_TYPE_NAMES
                } else {
                    ICMP6_TYPE_NAMES
                }),
                except,
            },
            "icmp-code" => Match::IcmpCode {
                values: bytes(ICMP_CODE_NAMES),
                except,
            },
            "dscp" | "traffic-class" => Match::Dscp {
                values: bytes(DSCP_NAMES),
                except,
            },
            "precedence" => Match::Precedence {
                values: bytes(PRECEDENCE_NAMES),
                except,
            },
            "fragment-offset" => Match::FragmentOffset {
                ranges: ranges16(values, 0, 8191),
                except,
            },
            "is-fragment" => Match::FragmentOffset {
                ranges: vec![(0, 0)],
                except: true,
            },
            "first-fragment" => Match::FragmentOffset {
                ranges: vec![(0, 0)],
                except: false,
            },
            "packet-length" => Match::PacketLength {
                ranges: ranges16(values, 0, 65535),
                except,
            },
            "ttl" | "hop-limit" => Match::Ttl {
                ranges: ranges16(values, 0, 255)
                    .into_iter()
                    .map(|(a, b)| (a as u8, b as u8))
                    .collect(),
                except,
            },
            "interface" => Match::Interface(values.to_vec()),
            _ => continue,
        };
        m.push(item);
    }
    m
}

fn build_actions(then: Option<View<'_>>) -> Actions {
    let Some(v) = then else {
        return Actions::default();
    };
    let reject = v.child("reject").map(|ch| match &ch.value {
        Value::Leaf(Some(t)) => match t.as_str() {
            "host-unreachable" => RejectType::HostUnreachable,
            "network-unreachable" => RejectType::NetworkUnreachable,
            "port-unreachable" => RejectType::PortUnreachable,
            "protocol-unreachable" => RejectType::ProtocolUnreachable,
            "tcp-reset" => RejectType::TcpReset,
            _ => RejectType::AdministrativelyProhibited,
        },
        _ => RejectType::AdministrativelyProhibited,
    });
    let terminating = if v.has("accept") {
        Some(Terminating::Accept)
    } else if v.has("discard") {
        Some(Terminating::Discard)
    } else {
        reject.map(Terminating::Reject)
    };
    Actions {
        terminating,
        next_term: v.get("next") == Some("term"),
        count: v.get("count").map(String::from),
        policer: v.get("policer").map(String::from),
        forwarding_class: v.get("forwarding-class").map(String::from),
        log: v.has("log"),
        syslog: v.has("syslog"),
        sample: v.has("sample"),
        port_mirror: v.has("port-mirror"),
        port_mirror_instance: v.get("port-mirror-instance").map(String::from),
    }
}

fn build_filter(
    c: &mut Checker,
    name: &str,
    family: AddressFamily,
    v: View<'_>,
    path: &str,
    pls: &[PrefixList],
) -> Filter {
    let terms = v.list("term");
    let last = terms.len().saturating_sub(1);
    let terms = terms
        .into_iter()
        .enumerate()
        .map(|(i, (tname, t))| {
            let tpath = format!("{path} term {}", quote(tname));
            let ctx = TermContext {
                path: tpath.clone(),
                family,
                prefix_lists: pls,
            };
            let matches = t.sub("from").map(|f| build_matches(c, f, &ctx)).unwrap_or_default();
            let actions = build_actions(t.sub("then"));
            if actions.next_term {
                let then_path = format!("{tpath} then");
                if i == last {
                    c.err(&then_path, "next term", "'next term' is not allowed in the last term of a filter");
                }
                if actions.terminating.is_some() {
                    c.err(&then_path, "next term", "'next term' cannot be combined with a terminating action (accept, discard, reject)");
                }
            }
            Term {
                name: tname.to_string(),
                matches,
                actions,
            }
        })
        .collect();
    Filter {
        name: name.to_string(),
        family,
        interface_specific: v.has("interface-specific"),
        terms,
    }
}

fn build_firewall(c: &mut Checker, v: Option<View<'_>>, pls: &[PrefixList]) -> Firewall {
    let Some(v) = v else {
        return Firewall::default();
    };
    let mut fw = Firewall::default();
    for (fam, fv) in v.list("family") {
        let family = if fam == "inet6" {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        for (name, f) in fv.list("filter") {
            let path = format!("firewall family {fam} filter {}", quote(name));
            fw.filters
                .push(build_filter(c, name, family, f, &path, pls));
        }
    }
    for (name, f) in v.list("filter") {
        if fw.filter(AddressFamily::Inet, name).is_some() {
            c.err(
                "firewall",
                format!("filter {name}"),
                format!("filter '{name}' is also defined under 'family inet'"),
            );
            continue;
        }
        let path = format!("firewall filter {}", quote(name));
        fw.filters
            .push(build_filter(c, name, AddressFamily::Inet, f, &path, pls));
    }
    for (name, p) in v.list("policer") {
        let limits = p.sub("if-exceeding");
        fw.policers.push(Policer {
            name: name.to_string(),
            bandwidth_limit: limits
                .and_then(|l| l.get("bandwidth-limit"))
                .and_then(scaled),
            burst_size_limit: limits
                .and_then(|l| l.get("burst-size-limit"))
                .and_then(scaled),
            discard: p.sub("then").is_some_and(|t| t.has("discard")),
        });
        for leaf in ["bandwidth-limit", "burst-size-limit"] {
            if let Some(val) = limits.and_then(|l| l.get(leaf))
                && scaled(val).is_none()
            {
                c.err(
                    &format!("firewall policer {name} if-exceeding"),
                    format!("{leaf} {val}"),
                    format!("invalid value: '{val}'"),
                );
            }
        }
    }
    fw
}

fn build_sampling_instance(
    c: &mut Checker,
    name: &str,
    v: View<'_>,
    path: &str,
) -> SamplingInstance {
    let input = v.sub("input");
    let num = |n: &str, d: u64| input.and_then(|i| i.num(n)).unwrap_or(d) as u32;
    let families = v
        .list("family")
        .into_iter()
        .map(|(fam, fv)| {
            let family = match fam {
                "inet6" => SampledFamily::Inet6,
                "mpls" => SampledFamily::Mpls,
                _ => SampledFamily::Inet,
            };
            let out = fv.sub("output");
            let onum = |n: &str| out.and_then(|o| o.num(n)).unwrap_or(0) as u32;
            let opath = format!("{path} family {fam} output");
            let servers = out.map(|o| o.list("flow-server")).unwrap_or_default();
            if servers.len() > MAX_FLOW_SERVERS {
                c.err(
                    &opath,
                    format!("flow-server {}", servers[MAX_FLOW_SERVERS].0),
                    format!(
                        "Number of flow servers ({}) exceeds the maximum of {MAX_FLOW_SERVERS}",
                        servers.len()
                    ),
                );
            }
            let flow_servers = servers
                .into_iter()
                .filter_map(|(addr, s)| build_flow_server(c, addr, s, &opath))
                .collect();
            SamplingFamily {
                family,
                output: SamplingOutput {
                    flow_active_timeout: onum("flow-active-timeout"),
                    flow_inactive_timeout: onum("flow-inactive-timeout"),
                    aggregate_export_interval: onum("aggregate-export-interval"),
                    flow_servers,
                    interfaces: out
                        .map(|o| o.list("interface"))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(ifname, i)| OutputInterface {
                            name: ifname.to_string(),
                            engine_id: i.num("engine-id").map(|n| n as u8),
                            engine_type: i.num("engine-type").map(|n| n as u8),
                            source_address: i.get("source-address").and_then(|a| a.parse().ok()),
                        })
                        .collect(),
                    inline_jflow: out
                        .and_then(|o| o.sub("inline-jflow"))
                        .map(|j| InlineJflow {
                            source_address: j.get("source-address").and_then(|a| a.parse().ok()),
                            flow_export_rate: j.num("flow-export-rate").map(|n| n as u32),
                        }),
                },
            }
        })
        .collect();
    if input.is_some_and(|i| i.get("rate").is_none()) || (input.is_none() && v.has("family")) {
        c.err(path, "input", "Missing mandatory statement: 'rate'");
    }
    SamplingInstance {
        name: name.to_string(),
        input: SamplingInput {
            rate: num("rate", 1),
            run_length: num("run-length", 0),
            max_packets_per_second: num("max-packets-per-second", 1000),
            maximum_packet_length: input
                .and_then(|i| i.num("maximum-packet-length"))
                .map(|n| n as u32),
        },
        families,
    }
}

fn build_flow_server(c: &mut Checker, addr: &str, s: View<'_>, path: &str) -> Option<FlowServer> {
    let statement = format!("flow-server {addr}");
    let aggregation = s.sub("aggregation");
    let aggs: Vec<Aggregation> = aggregation
        .map(|a| {
            let mut v = Vec::new();
            if a.has("autonomous-system") {
                v.push(Aggregation::AutonomousSystem);
            }
            if a.has("protocol-port") {
                v.push(Aggregation::ProtocolPort);
            }
            if a.has("source-prefix") {
                v.push(Aggregation::SourcePrefix);
            }
            if a.has("destination-prefix") {
                v.push(Aggregation::DestinationPrefix);
            }
            if let Some(sd) = a.sub("source-destination-prefix") {
                v.push(Aggregation::SourceDestinationPrefix {
                    caida_compliant: sd.has("caida-compliant"),
                });
            }
            v
        })
        .unwrap_or_default();
    let template = |name: &str| {
        s.sub(name)
            .and_then(|t| t.list("template").first().map(|(k, _)| k.to_string()))
    };
    let format = if s.has("version9") {
        match template("version9") {
            Some(t) => ExportFormat::V9 { template: t },
            None => {
                c.err(
                    &format!("{path} {statement} version9"),
                    "version9",
                    "Missing mandatory statement: 'template'",
                );
                return None;
            }
        }
    } else if s.has("version-ipfix") {
        match template("version-ipfix") {
            Some(t) => ExportFormat::Ipfix { template: t },
            None => {
                c.err(
                    &format!("{path} {statement} version-ipfix"),
                    "version-ipfix",
                    "Missing mandatory statement: 'template'",
                );
                return None;
            }
        }
    } else if s.get("version") == Some("8") {
        if aggs.is_empty() {
            c.err(
                path,
                statement.clone(),
                "version 8 requires an 'aggregation' scheme",
            );
        }
        ExportFormat::V8(aggs.clone())
    } else {
        ExportFormat::V5
    };
    if aggregation.is_some() && !matches!(format, ExportFormat::V8(_)) {
        c.err(
            &format!("{path} {statement}"),
            "aggregation",
            "'aggregation' is only valid with 'version 8'",
        );
    }
    for t in [s.sub("version9"), s.sub("version-ipfix")]
        .into_iter()
        .flatten()
    {
        let names = t.list("template");
        if names.len() > 1 {
            c.err(
                &format!("{path} {statement}"),
                format!("template {}", names[1].0),
                "only one template may be referenced per flow server",
            );
        }
    }
    Some(FlowServer {
        address: addr.parse().ok()?,
        port: s.num("port").unwrap_or(0) as u16,
        format,
        autonomous_system_type: if s.get("autonomous-system-type") == Some("peer") {
            AsType::Peer
        } else {
            AsType::Origin
        },
        source_address: s.get("source-address").and_then(|a| a.parse().ok()),
        dscp: s.num("dscp").unwrap_or(0) as u8,
    })
}

fn build_sampling(c: &mut Checker, v: Option<View<'_>>) -> Sampling {
    let Some(v) = v else {
        return Sampling::default();
    };
    let base = "forwarding-options sampling";
    let global =
        (v.has("input") || v.has("family")).then(|| build_sampling_instance(c, "", v, base));
    let instances = v
        .list("instance")
        .into_iter()
        .map(|(name, iv)| {
            build_sampling_instance(c, name, iv, &format!("{base} instance {}", quote(name)))
        })
        .collect();
    Sampling { global, instances }
}

fn build_template(
    name: &str,
    t: View<'_>,
    domain_leaf: &str,
    c: &mut Checker,
    path: &str,
) -> Template {
    let refresh = |n: &str| {
        let r = t.sub(n);
        let stmt = t.stmt(n).map(|s| s.children).unwrap_or(&[]);
        let default = |leaf: &str| {
            stmt.iter()
                .find(|s| s.name == leaf)
                .and_then(|s| s.default)
                .and_then(|d| d.parse().ok())
                .unwrap_or(0)
        };
        Refresh {
            packets: r
                .and_then(|r| r.get("packets"))
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| default("packets")),
            seconds: r
                .and_then(|r| r.get("seconds"))
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| default("seconds")),
        }
    };
    let labels = |n: &str| {
        t.sub(n)
            .map(|m| {
                m.values("label-position")
                    .iter()
                    .filter_map(|l| l.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let kind = if t.has("ipv4-template") {
        Some(TemplateKind::Ipv4)
    } else if t.has("ipv6-template") {
        Some(TemplateKind::Ipv6)
    } else if t.has("mpls-template") {
        Some(TemplateKind::Mpls {
            label_positions: labels("mpls-template"),
        })
    } else if t.has("mpls-ipv4-template") {
        Some(TemplateKind::MplsIpv4 {
            label_positions: labels("mpls-ipv4-template"),
        })
    } else if t.has("bridge-template") {
        Some(TemplateKind::Bridge)
    } else {
        None
    };
    if kind.is_none() {
        c.err(
            path,
            format!("template {}", quote(name)),
            "Missing mandatory statement: template type ('ipv4-template', 'ipv6-template', 'mpls-template', 'mpls-ipv4-template' or 'bridge-template')",
        );
    }
    let key = t.sub("flow-key");
    Template {
        name: name.to_string(),
        flow_active_timeout: t.num("flow-active-timeout").unwrap_or(60) as u32,
        flow_inactive_timeout: t.num("flow-inactive-timeout").unwrap_or(60) as u32,
        template_refresh: refresh("template-refresh-rate"),
        option_refresh: refresh("option-refresh-rate"),
        template_id: t.num("template-id").map(|n| n as u16),
        option_template_id: t.num("option-template-id").map(|n| n as u16),
        domain_id: t.num(domain_leaf).unwrap_or(0) as u8,
        nexthop_learning: t.sub("nexthop-learning").is_some_and(|n| n.has("enable")),
        flow_key: FlowKey {
            flow_direction: key.is_some_and(|k| k.has("flow-direction")),
            vlan_id: key.is_some_and(|k| k.has("vlan-id")),
            output_interface: key.is_some_and(|k| k.has("output-interface")),
        },
        kind: kind.unwrap_or(TemplateKind::Ipv4),
    }
}

fn build_flow_monitoring(c: &mut Checker, services: Option<View<'_>>) -> FlowMonitoring {
    let Some(fm) = services.and_then(|s| s.sub("flow-monitoring")) else {
        return FlowMonitoring::default();
    };
    let mut out = FlowMonitoring::default();
    for (version, domain, list) in [
        ("version9", "source-id", &mut out.v9_templates),
        (
            "version-ipfix",
            "observation-domain-id",
            &mut out.ipfix_templates,
        ),
    ] {
        let path = format!("services flow-monitoring {version}");
        let mut ids: HashMap<u16, String> = HashMap::new();
        for (name, t) in fm
            .sub(version)
            .map(|v| v.list("template"))
            .unwrap_or_default()
        {
            let tpl = build_template(name, t, domain, c, &path);
            for id in [tpl.template_id, tpl.option_template_id]
                .into_iter()
                .flatten()
            {
                if let Some(other) = ids.insert(id, name.to_string()) {
                    c.err(
                        &format!("{path} template {}", quote(name)),
                        format!("template-id {id}"),
                        format!("Template ID {id} is already used by template '{other}'"),
                    );
                }
            }
            list.push(tpl);
        }
    }
    out
}

fn build_mirror_instance(name: &str, v: View<'_>) -> MirrorInstance {
    let input = v.sub("input");
    let num = |n: &str, d: u64| input.and_then(|i| i.num(n)).unwrap_or(d) as u32;
    MirrorInstance {
        name: name.to_string(),
        rate: num("rate", 1),
        run_length: num("run-length", 0),
        maximum_packet_length: num("maximum-packet-length", 0),
        families: v
            .list("family")
            .into_iter()
            .map(|(fam, fv)| {
                let out = fv.sub("output");
                MirrorFamily {
                    family: if fam == "inet6" {
                        AddressFamily::Inet6
                    } else {
                        AddressFamily::Inet
                    },
                    outputs: out
                        .map(|o| o.list("interface"))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(ifname, i)| MirrorOutput {
                            interface: ifname.to_string(),
                            next_hop: i.get("next-hop").and_then(|a| a.parse().ok()),
                        })
                        .collect(),
                    no_filter_check: out.is_some_and(|o| o.has("no-filter-check")),
                }
            })
            .collect(),
    }
}

fn build_port_mirroring(v: Option<View<'_>>) -> PortMirroring {
    let Some(v) = v else {
        return PortMirroring::default();
    };
    PortMirroring {
        global: (v.has("input") || v.has("family")).then(|| build_mirror_instance("", v)),
        instances: v
            .list("instance")
            .into_iter()
            .map(|(n, iv)| build_mirror_instance(n, iv))
            .collect(),
        mirror_once: v.has("mirror-once"),
    }
}

fn build_analyzers(c: &mut Checker, v: Option<View<'_>>) -> Vec<Analyzer> {
    let Some(v) = v else { return Vec::new() };
    v.list("analyzer")
        .into_iter()
        .filter_map(|(name, a)| {
            let input = a.sub("input");
            let ifs = |dir: &str| -> Vec<String> {
                input
                    .and_then(|i| i.sub(dir))
                    .map(|d| {
                        d.list("interface")
                            .into_iter()
                            .map(|(k, _)| k.to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let out = a.sub("output");
            let output = match (
                out.and_then(|o| o.get("interface")),
                out.and_then(|o| o.get("ip-address")),
            ) {
                (Some(i), _) => AnalyzerOutput::Interface(i.to_string()),
                (None, Some(ip)) => AnalyzerOutput::IpAddress(ip.parse().ok()?),
                (None, None) => {
                    c.err(
                        "forwarding-options",
                        format!("analyzer {}", quote(name)),
                        "Missing mandatory statement: 'output' ('interface' or 'ip-address')",
                    );
                    return None;
                }
            };
            let (ingress, egress) = (ifs("ingress"), ifs("egress"));
            if ingress.is_empty() && egress.is_empty() {
                c.err(
                    "forwarding-options",
                    format!("analyzer {}", quote(name)),
                    "Missing mandatory statement: 'input' ('ingress' or 'egress' interface)",
                );
            }
            Some(Analyzer {
                name: name.to_string(),
                rate: input.and_then(|i| i.num("rate")).unwrap_or(1) as u32,
                maximum_packet_length: input
                    .and_then(|i| i.num("maximum-packet-length"))
                    .unwrap_or(0) as u32,
                ingress,
                egress,
                output,
            })
        })
        .collect()
}

fn build_mirror_destinations(
    c: &mut Checker,
    services: Option<View<'_>>,
) -> Vec<MirrorDestination> {
    let Some(s) = services else { return Vec::new() };
    s.list("mirror-destination")
        .into_iter()
        .map(|(name, d)| {
            let statement = format!("mirror-destination {}", quote(name));
            let analyzer = match (d.get("analyzer-address"), d.get("analyzer-label")) {
                (Some(a), _) => a.parse().map(AnalyzerTarget::Address).unwrap_or(AnalyzerTarget::None),
                (None, Some(l)) => AnalyzerTarget::Label(l.to_string()),
                (None, None) => AnalyzerTarget::None,
            };
            let static_next_hop = d.sub("static-next-hop").and_then(|s| {
                Some(Vtep {
                    address: s.get("vtep-address")?.parse().ok()?,
                    vni: s.num("vni").unwrap_or(0) as u32,
                })
            });
            let is_static = d.get("next-hop-mode") == Some("static");
            if is_static && static_next_hop.is_none() {
                c.err("services", statement.clone(), "next-hop-mode static requires 'static-next-hop vtep-address'");
            }
            if static_next_hop.is_some() && !is_static {
                c.err("services", statement.clone(), "'static-next-hop' requires 'next-hop-mode static'");
            }
            let mac = d.get("analyzer-mac-address").and_then(mac);
            let header = !d.has("no-juniper-header");
            if matches!(analyzer, AnalyzerTarget::None) && mac.is_none() && static_next_hop.is_none() {
                c.err(
                    "services",
                    statement.clone(),
                    "Missing mandatory statement: 'analyzer-address', 'analyzer-label', 'analyzer-mac-address' or 'static-next-hop'",
                );
            }
            if mac.is_some() && header {
                c.err("services", statement.clone(), "'analyzer-mac-address' (L2 delivery) requires 'no-juniper-header'");
            }
            MirrorDestination {
                name: name.to_string(),
                analyzer,
                udp_port: d.num("udp-port").unwrap_or(8099) as u16,
                juniper_header: header,
                analyzer_mac: mac,
                routing_instance: d.get("routing-instance").map(String::from),
                static_next_hop: if is_static { static_next_hop } else { None },
                direction: match d.get("traffic-direction") {
                    Some("ingress") => Direction::Ingress,
                    Some("egress") => Direction::Egress,
                    _ => Direction::Both,
                },
                maximum_packet_length: d.num("maximum-packet-length").unwrap_or(0) as u32,
                rate_limit: d.num("rate-limit").unwrap_or(0) as u32,
            }
        })
        .collect()
}

fn build_security(v: Option<View<'_>>) -> SecurityPolicies {
    let Some(p) = v.and_then(|s| s.sub("policies")) else {
        return SecurityPolicies::default();
    };
    let ports = |vals: &[String]| {
        vals.iter()
            .filter_map(|v| parse_port(v).ok())
            .collect::<Vec<_>>()
    };
    SecurityPolicies {
        default_policy: if p.sub("default-policy").is_some_and(|d| d.has("deny-all")) {
            DefaultPolicy::DenyAll
        } else {
            DefaultPolicy::PermitAll
        },
        policies: p
            .list("policy")
            .into_iter()
            .map(|(name, pv)| Policy {
                name: name.to_string(),
                interfaces: pv.values("interface").to_vec(),
                mirror_to: pv
                    .sub("then")
                    .map(|t| t.values("mirror-to").to_vec())
                    .unwrap_or_default(),
                rules: pv
                    .list("rule")
                    .into_iter()
                    .map(|(rname, r)| {
                        let m = r.sub("match");
                        let then = r.sub("then");
                        let vals = |n: &str| m.map(|m| m.values(n)).unwrap_or(&[]);
                        Rule {
                            name: rname.to_string(),
                            source: vals("source-address")
                                .iter()
                                .filter_map(|s| prefix(s))
                                .collect(),
                            destination: vals("destination-address")
                                .iter()
                                .filter_map(|s| prefix(s))
                                .collect(),
                            protocols: vals("protocol")
                                .iter()
                                .map(|s| byte_named(PROTOCOL_NAMES, s))
                                .collect(),
                            source_ports: ports(vals("source-port")),
                            destination_ports: ports(vals("destination-port")),
                            action: if then.is_some_and(|t| t.has("deny")) {
                                RuleAction::Deny
                            } else {
                                RuleAction::Permit
                            },
                            mirror_to: then
                                .map(|t| t.values("mirror-to").to_vec())
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn build_chassis(v: Option<View<'_>>) -> Chassis {
    let Some(v) = v else {
        return Chassis::default();
    };
    Chassis {
        fpcs: v
            .list("fpc")
            .into_iter()
            .map(|(slot, f)| {
                let sizes = f
                    .sub("inline-services")
                    .and_then(|s| s.sub("flow-table-size"));
                let units = |name| sizes.and_then(|s| s.num(name)).map(|n| n as u8);
                Fpc {
                    slot: slot.parse().unwrap_or(0),
                    sampling_instance: f.get("sampling-instance").map(String::from),
                    ipv4_flow_table_units: units("ipv4-flow-table-size"),
                    ipv6_flow_table_units: units("ipv6-flow-table-size"),
                }
            })
            .collect(),
    }
}

/// Checks that every name a statement refers to exists, and the cross-hierarchy rules.
fn check_references(c: &mut Checker, cfg: &Config) {
    let units: HashSet<String> = cfg
        .interfaces
        .iter()
        .flat_map(|i| {
            i.units
                .iter()
                .map(move |u| format!("{}.{}", i.name, u.number))
                .chain([i.name.clone()])
        })
        .collect();
    let sampled: HashSet<SampledFamily> = cfg
        .sampling
        .global
        .iter()
        .chain(&cfg.sampling.instances)
        .flat_map(|i| i.families.iter().map(|f| f.family))
        .collect();
    let mirrored: HashSet<AddressFamily> = cfg
        .port_mirroring
        .global
        .iter()
        .chain(&cfg.port_mirroring.instances)
        .flat_map(|i| i.families.iter().map(|f| f.family))
        .collect();
    let sampled_family = |f: AddressFamily| match f {
        AddressFamily::Inet => SampledFamily::Inet,
        AddressFamily::Inet6 => SampledFamily::Inet6,
    };

    // Interfaces: filters, sampling, duplicate addresses, VLANs.
    let mut seen: HashMap<IpAddr, String> = HashMap::new();
    for ifd in &cfg.interfaces {
        for u in &ifd.units {
            if u.vlan_id.is_some() && !ifd.vlan_tagging {
                c.err(
                    &format!("interfaces {} unit {}", ifd.name, u.number),
                    format!("vlan-id {}", u.vlan_id.unwrap_or(0)),
                    "'vlan-id' requires 'vlan-tagging' on the interface",
                );
            }
            for (fam, f) in [
                (AddressFamily::Inet, &u.inet),
                (AddressFamily::Inet6, &u.inet6),
            ] {
                let Some(f) = f else { continue };
                let base = format!(
                    "interfaces {} unit {} family {}",
                    ifd.name,
                    u.number,
                    fam.name()
                );
                for (dir, name) in [("input", &f.filter_input), ("output", &f.filter_output)] {
                    if let Some(name) = name
                        && cfg.firewall.filter(fam, name).is_none()
                    {
                        c.err(
                            &format!("{base} filter"),
                            format!("{dir} {name}"),
                            format!("Referenced filter '{name}' is not defined"),
                        );
                    }
                }
                if (f.sample_input || f.sample_output) && !sampled.contains(&sampled_family(fam)) {
                    c.err(
                        &base,
                        "sampling",
                        format!(
                            "'sampling' requires 'forwarding-options sampling family {}'",
                            fam.name()
                        ),
                    );
                }
                for a in &f.addresses {
                    let unit = format!("{}.{}", ifd.name, u.number);
                    if let Some(other) = seen.insert(a.address.addr(), unit.clone()) {
                        c.err(
                            &base,
                            format!("address {}", a.address),
                            format!(
                                "Duplicate address {} (also configured on {other})",
                                a.address.addr()
                            ),
                        );
                    }
                }
            }
        }
    }

    // Filters: actions that need other hierarchies.
    let mirror_instances: HashSet<&str> = cfg
        .port_mirroring
        .instances
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    for f in &cfg.firewall.filters {
        for t in &f.terms {
            let path = format!(
                "firewall family {} filter {} term {} then",
                f.family.name(),
                f.name,
                t.name
            );
            let a = &t.actions;
            if a.sample && !sampled.contains(&sampled_family(f.family)) {
                c.err(
                    &path,
                    "sample",
                    format!(
                        "'then sample' requires 'forwarding-options sampling family {}'",
                        f.family.name()
                    ),
                );
            }
            if a.port_mirror && !mirrored.contains(&f.family) {
                c.err(
                    &path,
                    "port-mirror",
                    format!(
                        "'then port-mirror' requires 'forwarding-options port-mirroring family {}'",
                        f.family.name()
                    ),
                );
            }
            if let Some(i) = &a.port_mirror_instance
                && !mirror_instances.contains(i.as_str())
            {
                c.err(
                    &path,
                    format!("port-mirror-instance {i}"),
                    format!("Referenced port-mirroring instance '{i}' is not defined"),
                );
            }
            if let Some(p) = &a.policer
                && !cfg.firewall.policers.iter().any(|x| &x.name == p)
            {
                c.err(
                    &path,
                    format!("policer {p}"),
                    format!("Referenced policer '{p}' is not defined"),
                );
            }
        }
    }

    // Sampling: templates and the export-version rule.
    let mut v5v8: Option<String> = None;
    let mut templated: Option<String> = None;
    for inst in cfg.sampling.global.iter().chain(&cfg.sampling.instances) {
        let base = if inst.name.is_empty() {
            "forwarding-options sampling".to_string()
        } else {
            format!("forwarding-options sampling instance {}", inst.name)
        };
        for fam in &inst.families {
            let fname = match fam.family {
                SampledFamily::Inet => "inet",
                SampledFamily::Inet6 => "inet6",
                SampledFamily::Mpls => "mpls",
            };
            let path = format!("{base} family {fname} output");
            for s in &fam.output.flow_servers {
                let statement = format!("flow-server {}", s.address);
                let (templates, version, tname) = match &s.format {
                    ExportFormat::V9 { template } => (
                        &cfg.flow_monitoring.v9_templates,
                        "version9",
                        Some(template),
                    ),
                    ExportFormat::Ipfix { template } => (
                        &cfg.flow_monitoring.ipfix_templates,
                        "version-ipfix",
                        Some(template),
                    ),
                    _ => (&cfg.flow_monitoring.v9_templates, "", None),
                };
                match tname {
                    Some(t) => {
                        if !templates.iter().any(|x| &x.name == t) {
                            c.err(&format!("{path} {statement} {version}"), format!("template {t}"), format!("Referenced template '{t}' is not defined under 'services flow-monitoring {version}'"));
                        }
                        templated.get_or_insert_with(|| format!("{path} {statement}"));
                    }
                    None => {
                        v5v8.get_or_insert_with(|| format!("{path} {statement}"));
                    }
                }
                if tname.is_some() && v5v8.is_some() || tname.is_none() && templated.is_some() {
                    let other = if tname.is_some() {
                        v5v8.clone()
                    } else {
                        templated.clone()
                    };
                    c.err(&path, statement, format!(
                        "version 5/8 and version9/version-ipfix export cannot be mixed in one configuration (see [edit {}])",
                        other.unwrap_or_default()
                    ));
                }
            }
            for i in &fam.output.interfaces {
                if !units.contains(&i.name) {
                    c.err(
                        &path,
                        format!("interface {}", i.name),
                        format!("Referenced interface '{}' is not configured", i.name),
                    );
                }
            }
        }
    }
    let instances: HashSet<&str> = cfg
        .sampling
        .instances
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    for fpc in &cfg.chassis.fpcs {
        if let Some(i) = &fpc.sampling_instance
            && !instances.contains(i.as_str())
        {
            c.err(
                &format!("chassis fpc {}", fpc.slot),
                format!("sampling-instance {i}"),
                format!("Referenced sampling instance '{i}' is not defined"),
            );
        }
    }

    // Mirroring.
    for inst in cfg
        .port_mirroring
        .global
        .iter()
        .chain(&cfg.port_mirroring.instances)
    {
        for fam in &inst.families {
            for o in &fam.outputs {
                if !units.contains(&o.interface) {
                    let base = if inst.name.is_empty() {
                        "forwarding-options port-mirroring".to_string()
                    } else {
                        format!("forwarding-options port-mirroring instance {}", inst.name)
                    };
                    c.err(
                        &format!("{base} family {} output", fam.family.name()),
                        format!("interface {}", o.interface),
                        format!("Referenced interface '{}' is not configured", o.interface),
                    );
                }
            }
        }
    }
    for a in &cfg.analyzers {
        let path = format!("forwarding-options analyzer {} input", a.name);
        for (dir, ifs) in [("ingress", &a.ingress), ("egress", &a.egress)] {
            for i in ifs {
                if !units.contains(i) {
                    c.err(
                        &format!("{path} {dir}"),
                        format!("interface {i}"),
                        format!("Referenced interface '{i}' is not configured"),
                    );
                }
            }
        }
        if let AnalyzerOutput::Interface(i) = &a.output
            && !units.contains(i)
        {
            c.err(
                &format!("forwarding-options analyzer {} output", a.name),
                format!("interface {i}"),
                format!("Referenced interface '{i}' is not configured"),
            );
        }
    }
    let dests: HashSet<&str> = cfg
        .mirror_destinations
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for p in &cfg.security.policies {
        let ppath = format!("security policies policy {}", p.name);
        for d in &p.mirror_to {
            if !dests.contains(d.as_str()) {
                c.err(
                    &format!("{ppath} then"),
                    format!("mirror-to {d}"),
                    format!("Referenced mirror destination '{d}' is not defined"),
                );
            }
        }
        for i in &p.interfaces {
            if !units.contains(i) {
                c.err(
                    &ppath,
                    format!("interface {i}"),
                    format!("Referenced interface '{i}' is not configured"),
                );
            }
        }
        for r in &p.rules {
            for d in &r.mirror_to {
                if !dests.contains(d.as_str()) {
                    c.err(
                        &format!("{ppath} rule {} then", r.name),
                        format!("mirror-to {d}"),
                        format!("Referenced mirror destination '{d}' is not defined"),
                    );
                }
            }
        }
    }
}

/// Commit-checks a tree: the typed configuration, or every error found.
pub fn check(tree: &ConfigTree) -> Result<Config, Vec<CheckError>> {
    let mut c = Checker { errors: Vec::new() };
    check_values(&mut c, &tree.root, ROOT.children, &mut Vec::new());
    let root = root_view(tree);
    let prefix_lists = build_prefix_lists(root.sub("policy-options"));
    let fo = root.sub("forwarding-options");
    let services = root.sub("services");
    let cfg = Config {
        version: root.get("version").map(String::from),
        system: build_system(root.sub("system")),
        chassis: build_chassis(root.sub("chassis")),
        interfaces: build_interfaces(root),
        routing: build_routing(&mut c, root.sub("routing-options")),
        firewall: build_firewall(&mut c, root.sub("firewall"), &prefix_lists),
        prefix_lists,
        sampling: build_sampling(&mut c, fo.and_then(|f| f.sub("sampling"))),
        flow_monitoring: build_flow_monitoring(&mut c, services),
        port_mirroring: build_port_mirroring(fo.and_then(|f| f.sub("port-mirroring"))),
        analyzers: build_analyzers(&mut c, fo),
        mirror_destinations: build_mirror_destinations(&mut c, services),
        security: build_security(root.sub("security")),
    };
    check_references(&mut c, &cfg);
    if c.errors.is_empty() {
        Ok(cfg)
    } else {
        Err(c.errors)
    }
}

/// Loads and commit-checks a whole text (either form): the typed configuration, or everything
/// Junos would print about it — load errors with `NAME:LINE:(COL)`, or commit-check errors.
pub fn check_text(name: &str, text: &str) -> Result<Config, String> {
    let loaded = crate::load_text(text).map_err(|e| {
        format!(
            "{}error: load failed ({} errors)\n",
            e.render(name, text),
            e.len()
        )
    })?;
    check(&loaded.tree).map_err(|errors| render_errors(&errors))
}
