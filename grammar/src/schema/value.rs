//! Value types of leaves and list keys, with the Junos name tables they accept.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The type of a leaf value or list key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Free text; quoted when it holds spaces.
    Text,
    /// A name (filter, term, template, instance): one word.
    Name,
    /// An unsigned integer in `min..=max`.
    Uint {
        min: u64,
        max: u64,
    },
    /// A number or a `low-high` range inside `min..=max` (packet-length, ttl, fragment-offset).
    NumRange {
        min: u64,
        max: u64,
    },
    /// One of the listed keywords, each with its help text.
    Enum(&'static [(&'static str, &'static str)]),
    Ipv4,
    Ipv6,
    IpAddr,
    /// Network prefix (`10.0.0.0/8`; a bare address means a host prefix).
    Ipv4Prefix,
    Ipv6Prefix,
    IpPrefix,
    /// Interface address with its prefix length (`192.0.2.1/24`).
    Ipv4Interface,
    Ipv6Interface,
    Mac,
    /// `ge-0/0/0`, `ge-0/0/0.0`, `lo0`, `ae1.100`.
    Interface,
    /// Port number, `low-high` range, or a Junos port name (`ssh`, `http`).
    Port,
    /// Protocol number or name (`tcp`, `udp`, `icmp`).
    Protocol,
    IcmpType,
    Icmp6Type,
    IcmpCode,
    /// DSCP number or alias (`ef`, `af11`, `cs6`, `be`).
    Dscp,
    /// IP precedence number or name.
    Precedence,
    /// `"(syn & !ack)"`: a boolean expression over TCP flag names.
    TcpFlags,
    /// `"(more-fragments | dont-fragment)"`.
    FragmentFlags,
}

/// Junos port names (firewall `port`, `source-port`, `destination-port`).
pub static PORT_NAMES: &[(&str, u16)] = &[
    ("afs", 1483),
    ("bgp", 179),
    ("biff", 512),
    ("bootpc", 68),
    ("bootps", 67),
    ("cmd", 514),
    ("cvspserver", 2401),
    ("dhcp", 67),
    ("domain", 53),
    ("eklogin", 2105),
    ("ekshell", 2106),
    ("exec", 512),
    ("finger", 79),
    ("ftp", 21),
    ("ftp-data", 20),
    ("http", 80),
    ("https", 443),
    ("ident", 113),
    ("imap", 143),
    ("kerberos-sec", 88),
    ("klogin", 543),
    ("kpasswd", 761),
    ("krb-prop", 754),
    ("krbupdate", 760),
    ("kshell", 544),
    ("ldap", 389),
    ("ldp", 646),
    ("login", 513),
    ("mobileip-agent", 434),
    ("mobilip-mn", 435),
    ("msdp", 639),
    ("netbios-dgm", 138),
    ("netbios-ns", 137),
    ("netbios-ssn", 139),
    ("nfsd", 2049),
    ("nntp", 119),
    ("ntalk", 518),
    ("ntp", 123),
    ("pop3", 110),
    ("pptp", 1723),
    ("printer", 515),
    ("radacct", 1813),
    ("radius", 1812),
    ("rip", 520),
    ("rkinit", 2108),
    ("smtp", 25),
    ("snmp", 161),
    ("snmptrap", 162),
    ("snpp", 444),
    ("socks", 1080),
    ("ssh", 22),
    ("sunrpc", 111),
    ("syslog", 514),
    ("tacacs", 49),
    ("tacacs-ds", 65),
    ("talk", 517),
    ("telnet", 23),
    ("tftp", 69),
    ("timed", 525),
    ("who", 513),
    ("xdmcp", 177),
];

/// Junos protocol names (firewall `protocol`, `next-header`).
pub static PROTOCOL_NAMES: &[(&str, u8)] = &[
    ("ah", 51),
    ("dstopts", 60),
    ("egp", 8),
    ("esp", 50),
    ("fragment", 44),
    ("gre", 47),
    ("hop-by-hop", 0),
    ("icmp", 1),
    ("icmp6", 58),
    ("igmp", 2),
    ("ipip", 4),
    ("ipv6", 41),
    ("no-next-header", 59),
    ("ospf", 89),
    ("pim", 103),
    ("routing", 43),
    ("rsvp", 46),
    ("sctp", 132),
    ("tcp", 6),
    ("udp", 17),
    ("vrrp", 112),
];

/// ICMP (IPv4) type names.
pub static ICMP_TYPE_NAMES: &[(&str, u8)] = &[
    ("echo-reply", 0),
    ("unreachable", 3),
    ("source-quench", 4),
    ("redirect", 5),
    ("echo-request", 8),
    ("router-advertisement", 9),
    ("router-solicit", 10),
    ("time-exceeded", 11),
    ("parameter-problem", 12),
    ("timestamp", 13),
    ("timestamp-reply", 14),
    ("info-request", 15),
    ("info-reply", 16),
    ("mask-request", 17),
    ("mask-reply", 18),
];

/// ICMPv6 type names.
pub static ICMP6_TYPE_NAMES: &[(&str, u8)] = &[
    ("destination-unreachable", 1),
    ("packet-too-big", 2),
    ("time-exceeded", 3),
    ("parameter-problem", 4),
    ("echo-request", 128),
    ("echo-reply", 129),
    ("membership-query", 130),
    ("membership-report", 131),
    ("membership-termination", 132),
    ("router-solicit", 133),
    ("router-advertisement", 134),
    ("neighbor-solicit", 135),
    ("neighbor-advertisement", 136),
    ("redirect", 137),
];

/// ICMP code names (for the unreachable, redirect, time-exceeded and parameter-problem types).
pub static ICMP_CODE_NAMES: &[(&str, u8)] = &[
    ("network-unreachable", 0),
    ("host-unreachable", 1),
    ("protocol-unreachable", 2),
    ("port-unreachable", 3),
    ("fragmentation-needed", 4),
    ("source-route-failed", 5),
    ("destination-network-unknown", 6),
    ("destination-host-unknown", 7),
    ("source-host-isolated", 8),
    ("destination-network-prohibited", 9),
    ("destination-host-prohibited", 10),
    ("network-unreachable-for-tos", 11),
    ("host-unreachable-for-tos", 12),
    ("communication-prohibited-by-filtering", 13),
    ("host-precedence-violation", 14),
    ("precedence-cutoff-in-effect", 15),
    ("ttl-eq-zero-during-transit", 0),
    ("ttl-eq-zero-during-reassembly", 1),
    ("ip-header-bad", 0),
    ("required-option-missing", 1),
    ("redirect-for-network", 0),
    ("redirect-for-host", 1),
    ("redirect-for-tos-and-net", 2),
    ("redirect-for-tos-and-host", 3),
];

/// DSCP aliases (RFC 2474 class selectors, RFC 2597 AF, RFC 3246 EF).
pub static DSCP_NAMES: &[(&str, u8)] = &[
    ("be", 0),
    ("cs0", 0),
    ("cs1", 8),
    ("af11", 10),
    ("af12", 12),
    ("af13", 14),
    ("cs2", 16),
    ("af21", 18),
    ("af22", 20),
    ("af23", 22),
    ("cs3", 24),
    ("af31", 26),
    ("af32", 28),
    ("af33", 30),
    ("cs4", 32),
    ("af41", 34),
    ("af42", 36),
    ("af43", 38),
    ("cs5", 40),
    ("ef", 46),
    ("cs6", 48),
    ("cs7", 56),
];

/// IP precedence names (RFC 791).
pub static PRECEDENCE_NAMES: &[(&str, u8)] = &[
    ("routine", 0),
    ("priority", 1),
    ("immediate", 2),
    ("flash", 3),
    ("flash-override", 4),
    ("critical-ecp", 5),
    ("internet-control", 6),
    ("net-control", 7),
];

/// TCP flag names of `tcp-flags` expressions and their bits.
pub static TCP_FLAG_NAMES: &[(&str, u8)] = &[
    ("fin", 0x01),
    ("syn", 0x02),
    ("rst", 0x04),
    ("push", 0x08),
    ("ack", 0x10),
    ("urgent", 0x20),
    ("ece", 0x40),
    ("cwr", 0x80),
];

/// Fragment flag names of `fragment-flags` expressions and their bits (in the flags field).
pub static FRAGMENT_FLAG_NAMES: &[(&str, u8)] = &[
    ("more-fragments", 0x1),
    ("dont-fragment", 0x2),
    ("reserved", 0x4),
];

/// Looks a name up in one of the tables above.
pub fn named<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn not_in_range(v: &str, min: u64, max: u64) -> String {
    format!("Value {v} is not within range ({min}..{max})")
}

fn uint_in(s: &str, min: u64, max: u64) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Invalid numeric value: '{s}'"));
    }
    match s.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(not_in_range(s, min, max)),
    }
}

/// A number or `low-high` range, both ends inside `min..=max`.
pub fn parse_num_range(s: &str, min: u64, max: u64) -> Result<(u64, u64), String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let lo = uint_in(a, min, max)?;
            let hi = uint_in(b, min, max)?;
            if lo > hi {
                return Err(format!("invalid range: '{s}' (low end above high end)"));
            }
            Ok((lo, hi))
        }
        None => uint_in(s, min, max).map(|n| (n, n)),
    }
}

fn named_or_number(table: &[(&str, u8)], s: &str, max: u64, what: &str) -> Result<(), String> {
    if named(table, s).is_some() {
        return Ok(());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return uint_in(s, 0, max).map(|_| ());
    }
    Err(format!("invalid {what}: '{s}'"))
}

/// Parses a port: number, range or Junos name, as an inclusive range.
pub fn parse_port(s: &str) -> Result<(u16, u16), String> {
    if let Some(p) = named(PORT_NAMES, s) {
        return Ok((p, p));
    }
    if s.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        let (lo, hi) = parse_num_range(s, 0, 65535)?;
        return Ok((lo as u16, hi as u16));
    }
    Err(format!("invalid port: '{s}'"))
}

fn ipv4_prefix(s: &str, interface: bool) -> Result<(), String> {
    let err = || format!("invalid prefix: '{s}'");
    let addr = match s.split_once('/') {
        Some((a, l)) => {
            uint_in(l, 0, 32).map_err(|_| err())?;
            a
        }
        None if interface => return Err(format!("missing prefix length: '{s}'")),
        None => s,
    };
    addr.parse::<Ipv4Addr>().map_err(|_| err())?;
    Ok(())
}

fn ipv6_prefix(s: &str, interface: bool) -> Result<(), String> {
    let err = || format!("invalid prefix: '{s}'");
    let addr = match s.split_once('/') {
        Some((a, l)) => {
            uint_in(l, 0, 128).map_err(|_| err())?;
            a
        }
        None if interface => return Err(format!("missing prefix length: '{s}'")),
        None => s,
    };
    addr.parse::<Ipv6Addr>().map_err(|_| err())?;
    Ok(())
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ';' | '{' | '}' | '[' | ']' | '"'))
}

/// `ge-0/0/0`, `xe-1/2/3.100`, `lo0`, `ae0`, `irb.10`, `fxp0`.
fn is_interface_name(s: &str) -> bool {
    let base = s.split_once('.').map_or(s, |(b, u)| {
        if u.is_empty() || !u.bytes().all(|c| c.is_ascii_digit()) {
            ""
        } else {
            b
        }
    });
    let mut chars = base.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | ':'))
}

impl ValueType {
    /// Checks a value's syntax and range; the error reads as Junos words it.
    pub fn check(&self, s: &str) -> Result<(), String> {
        match *self {
            ValueType::Text => Ok(()),
            ValueType::Name => {
                if is_word(s) {
                    Ok(())
                } else {
                    Err(format!("invalid name: '{s}'"))
                }
            }
            ValueType::Uint { min, max } => uint_in(s, min, max).map(|_| ()),
            ValueType::NumRange { min, max } => parse_num_range(s, min, max).map(|_| ()),
            ValueType::Enum(options) => {
                if options.iter().any(|(o, _)| *o == s) {
                    Ok(())
                } else {
                    Err(format!("invalid value: '{s}'"))
                }
            }
            ValueType::Ipv4 => s
                .parse::<Ipv4Addr>()
                .map(|_| ())
                .map_err(|_| format!("invalid ip address: '{s}'")),
            ValueType::Ipv6 => s
                .parse::<Ipv6Addr>()
                .map(|_| ())
                .map_err(|_| format!("invalid ipv6 address: '{s}'")),
            ValueType::IpAddr => s
                .parse::<std::net::IpAddr>()
                .map(|_| ())
                .map_err(|_| format!("invalid ip address or hostname: '{s}'")),
            ValueType::Ipv4Prefix => ipv4_prefix(s, false),
            ValueType::Ipv4Interface => ipv4_prefix(s, true),
            ValueType::Ipv6Prefix => ipv6_prefix(s, false),
            ValueType::Ipv6Interface => ipv6_prefix(s, true),
            ValueType::IpPrefix => {
                if s.contains(':') {
                    ipv6_prefix(s, false)
                } else {
                    ipv4_prefix(s, false)
                }
            }
            ValueType::Mac => {
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() == 6
                    && parts
                        .iter()
                        .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    Ok(())
                } else {
                    Err(format!("invalid MAC address: '{s}'"))
                }
            }
            ValueType::Interface => {
                if is_interface_name(s) {
                    Ok(())
                } else {
                    Err(format!("invalid interface name: '{s}'"))
                }
            }
            ValueType::Port => parse_port(s).map(|_| ()),
            ValueType::Protocol => named_or_number(PROTOCOL_NAMES, s, 255, "protocol"),
            ValueType::IcmpType => named_or_number(ICMP_TYPE_NAMES, s, 255, "icmp type"),
            ValueType::Icmp6Type => named_or_number(ICMP6_TYPE_NAMES, s, 255, "icmp6 type"),
            ValueType::IcmpCode => named_or_number(ICMP_CODE_NAMES, s, 255, "icmp code"),
            ValueType::Dscp => named_or_number(DSCP_NAMES, s, 63, "dscp value"),
            ValueType::Precedence => named_or_number(PRECEDENCE_NAMES, s, 7, "precedence"),
            ValueType::TcpFlags => crate::flags::parse(s, TCP_FLAG_NAMES).map(|_| ()),
            ValueType::FragmentFlags => crate::flags::parse(s, FRAGMENT_FLAG_NAMES).map(|_| ()),
        }
    }

    /// `1..16000000` for numeric types, shown in `?` help and range errors.
    pub fn range_text(&self) -> Option<String> {
        match *self {
            ValueType::Uint { min, max } | ValueType::NumRange { min, max } => {
                Some(format!("{min}..{max}"))
            }
            _ => None,
        }
    }

    /// Keywords the value may take, for completion (enums and name tables).
    pub fn keywords(&self) -> Vec<(&'static str, &'static str)> {
        fn names<T>(
            table: &'static [(&'static str, T)],
            help: &'static str,
        ) -> Vec<(&'static str, &'static str)> {
            table.iter().map(|(n, _)| (*n, help)).collect()
        }
        match *self {
            ValueType::Enum(options) => options.to_vec(),
            ValueType::Port => names(PORT_NAMES, "Port"),
            ValueType::Protocol => names(PROTOCOL_NAMES, "Protocol"),
            ValueType::IcmpType => names(ICMP_TYPE_NAMES, "ICMP type"),
            ValueType::Icmp6Type => names(ICMP6_TYPE_NAMES, "ICMPv6 type"),
            ValueType::IcmpCode => names(ICMP_CODE_NAMES, "ICMP code"),
            ValueType::Dscp => names(DSCP_NAMES, "DSCP alias"),
            ValueType::Precedence => names(PRECEDENCE_NAMES, "Precedence"),
            _ => Vec::new(),
        }
    }

    /// Whether a value must be quoted when rendered.
    pub fn needs_quotes(value: &str) -> bool {
        value.is_empty()
            || value.chars().any(|c| {
                c.is_whitespace()
                    || matches!(
                        c,
                        ';' | '{'
                            | '}'
                            | '['
                            | ']'
                            | '"'
                            | '#'
                            | '('
                            | ')'
                            | '&'
                            | '|'
                            | '!'
                            | '\''
                            | '\\'
                    )
            })
            || value.starts_with("/*")
    }
}
