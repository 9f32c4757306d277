//! `firewall`: filters (family inet/inet6 and the legacy IPv4 `firewall filter`), policers.

use super::{
    Stmt, ValueType as V, container, grouped_list, leaf, leaf_list, list, optional_leaf, presence,
};

const EXCEPT: &[Stmt] = &[presence("except", "Match addresses not in this prefix")];

const fn prefixes(name: &'static str, help: &'static str, ty: V) -> Stmt {
    grouped_list(name, help, ty, EXCEPT)
        .oneline()
        .placeholder("prefix")
}

const fn prefix_lists(name: &'static str, help: &'static str) -> Stmt {
    grouped_list(name, help, V::Name, EXCEPT)
        .oneline()
        .placeholder("name")
}

const PORT: V = V::Port;
const FRAG_OFFSET: V = V::NumRange { min: 0, max: 8191 };
const PACKET_LENGTH: V = V::NumRange { min: 0, max: 65535 };
const TTL: V = V::NumRange { min: 0, max: 255 };

const FROM_INET: &[Stmt] = &[
    prefixes(
        "address",
        "Match IP source or destination address",
        V::Ipv4Prefix,
    ),
    prefixes("source-address", "Match IP source address", V::Ipv4Prefix),
    prefixes(
        "destination-address",
        "Match IP destination address",
        V::Ipv4Prefix,
    ),
    prefix_lists(
        "prefix-list",
        "Match IP source or destination prefixes in named list",
    ),
    prefix_lists(
        "source-prefix-list",
        "Match IP source prefixes in named list",
    ),
    prefix_lists(
        "destination-prefix-list",
        "Match IP destination prefixes in named list",
    ),
    leaf_list("protocol", "Match IP protocol type", V::Protocol),
    leaf_list(
        "protocol-except",
        "Do not match IP protocol type",
        V::Protocol,
    ),
    leaf_list("port", "Match TCP/UDP source or destination port", PORT),
    leaf_list(
        "port-except",
        "Do not match TCP/UDP source or destination port",
        PORT,
    ),
    leaf_list("source-port", "Match TCP/UDP source port", PORT),
    leaf_list(
        "source-port-except",
        "Do not match TCP/UDP source port",
        PORT,
    ),
    leaf_list("destination-port", "Match TCP/UDP destination port", PORT),
    leaf_list(
        "destination-port-except",
        "Do not match TCP/UDP destination port",
        PORT,
    ),
    leaf("tcp-flags", "Match TCP flags", V::TcpFlags),
    presence("tcp-initial", "Match initial packet of a TCP connection"),
    presence(
        "tcp-established",
        "Match packet of an established TCP connection",
    ),
    leaf_list("icmp-type", "Match ICMP message type", V::IcmpType),
    leaf_list(
        "icmp-type-except",
        "Do not match ICMP message type",
        V::IcmpType,
    ),
    leaf_list("icmp-code", "Match ICMP message code", V::IcmpCode),
    leaf_list(
        "icmp-code-except",
        "Do not match ICMP message code",
        V::IcmpCode,
    ),
    leaf_list(
        "dscp",
        "Match Differentiated Services (DiffServ) code point",
        V::Dscp,
    ),
    leaf_list(
        "dscp-except",
        "Do not match Differentiated Services (DiffServ) code point",
        V::Dscp,
    ),
    leaf_list("precedence", "Match IP precedence value", V::Precedence),
    leaf_list(
        "precedence-except",
        "Do not match IP precedence value",
        V::Precedence,
    ),
    leaf("fragment-flags", "Match fragment flags", V::FragmentFlags),
    leaf_list("fragment-offset", "Match fragment offset", FRAG_OFFSET),
    leaf_list(
        "fragment-offset-except",
        "Do not match fragment offset",
        FRAG_OFFSET,
    ),
    presence("is-fragment", "Match if packet is a fragment"),
    presence("first-fragment", "Match if packet is the first fragment"),
    leaf_list("packet-length", "Match packet length", PACKET_LENGTH),
    leaf_list(
        "packet-length-except",
        "Do not match packet length",
        PACKET_LENGTH,
    ),
    leaf_list("ttl", "Match time-to-live", TTL),
    leaf_list("ttl-except", "Do not match time-to-live", TTL),
    leaf_list("interface", "Match interface name", V::Interface),
];

const FROM_INET6: &[Stmt] = &[
    prefixes(
        "address",
        "Match IPv6 source or destination address",
        V::Ipv6Prefix,
    ),
    prefixes("source-address", "Match IPv6 source address", V::Ipv6Prefix),
    prefixes(
        "destination-address",
        "Match IPv6 destination address",
        V::Ipv6Prefix,
    ),
    prefix_lists(
        "prefix-list",
        "Match IPv6 source or destination prefixes in named list",
    ),
    prefix_lists(
        "source-prefix-list",
        "Match IPv6 source prefixes in named list",
    ),
    prefix_lists(
        "destination-prefix-list",
        "Match IPv6 destination prefixes in named list",
    ),
    leaf_list(
        "next-header",
        "Match next header protocol type",
        V::Protocol,
    ),
    leaf_list(
        "next-header-except",
        "Do not match next header protocol type",
        V::Protocol,
    ),
    leaf_list(
        "payload-protocol",
        "Match payload protocol type",
        V::Protocol,
    ),
    leaf_list(
        "payload-protocol-except",
        "Do not match payload protocol type",
        V::Protocol,
    ),
    leaf_list("port", "Match TCP/UDP source or destination port", PORT),
    leaf_list(
        "port-except",
        "Do not match TCP/UDP source or destination port",
        PORT,
    ),
    leaf_list("source-port", "Match TCP/UDP source port", PORT),
    leaf_list(
        "source-port-except",
        "Do not match TCP/UDP source port",
        PORT,
    ),
    leaf_list("destination-port", "Match TCP/UDP destination port", PORT),
    leaf_list(
        "destination-port-except",
        "Do not match TCP/UDP destination port",
        PORT,
    ),
    leaf("tcp-flags", "Match TCP flags", V::TcpFlags),
    presence("tcp-initial", "Match initial packet of a TCP connection"),
    presence(
        "tcp-established",
        "Match packet of an established TCP connection",
    ),
    leaf_list("icmp-type", "Match ICMPv6 message type", V::Icmp6Type),
    leaf_list(
        "icmp-type-except",
        "Do not match ICMPv6 message type",
        V::Icmp6Type,
    ),
    leaf_list("icmp-code", "Match ICMPv6 message code", V::IcmpCode),
    leaf_list(
        "icmp-code-except",
        "Do not match ICMPv6 message code",
        V::IcmpCode,
    ),
    leaf_list(
        "traffic-class",
        "Match Differentiated Services (DiffServ) code point",
        V::Dscp,
    ),
    leaf_list(
        "traffic-class-except",
        "Do not match Differentiated Services (DiffServ) code point",
        V::Dscp,
    ),
    leaf_list("packet-length", "Match packet length", PACKET_LENGTH),
    leaf_list(
        "packet-length-except",
        "Do not match packet length",
        PACKET_LENGTH,
    ),
    leaf_list("hop-limit", "Match hop-limit", TTL),
    leaf_list("hop-limit-except", "Do not match hop-limit", TTL),
    leaf_list("interface", "Match interface name", V::Interface),
];

const REJECT_TYPES: &[(&str, &str)] = &[
    (
        "administratively-prohibited",
        "Send ICMP Administratively Prohibited message (default)",
    ),
    ("host-unreachable", "Send ICMP Host Unreachable message"),
    (
        "network-unreachable",
        "Send ICMP Network Unreachable message",
    ),
    ("port-unreachable", "Send ICMP Port Unreachable message"),
    (
        "protocol-unreachable",
        "Send ICMP Protocol Unreachable message",
    ),
    ("tcp-reset", "Send TCP Reset message"),
];

const NEXT: &[(&str, &str)] = &[("term", "Continue to the next term")];

const THEN: Stmt = container(
    "then",
    "Action to take if the 'from' condition is matched",
    &[
        leaf(
            "policer",
            "Name of policer to use to rate-limit traffic",
            V::Name,
        ),
        leaf("count", "Count the packet in the named counter", V::Name),
        leaf(
            "forwarding-class",
            "Classify packet to forwarding class",
            V::Name,
        ),
        presence("log", "Log the packet"),
        presence("syslog", "System log (syslog) information about the packet"),
        presence("sample", "Sample the packet"),
        presence("port-mirror", "Port-mirror the packet"),
        leaf(
            "port-mirror-instance",
            "Port-mirror the packet to the named instance",
            V::Name,
        ),
        leaf("next", "Continue to the next term", V::Enum(NEXT)),
        presence("accept", "Accept the packet").choice("terminating"),
        presence("discard", "Discard the packet").choice("terminating"),
        optional_leaf("reject", "Reject the packet", V::Enum(REJECT_TYPES)).choice("terminating"),
    ],
)
.oneline();

const TERM_INET: &[Stmt] = &[container("from", "Define match criteria", FROM_INET), THEN];

const TERM_INET6: &[Stmt] = &[container("from", "Define match criteria", FROM_INET6), THEN];

const FILTER_INET: Stmt = list(
    "filter",
    "Define an IPv4 firewall filter",
    V::Name,
    &[
        presence(
            "interface-specific",
            "Defined counters are interface specific",
        ),
        list("term", "Define a firewall term", V::Name, TERM_INET)
            .ordered()
            .placeholder("term-name"),
    ],
)
.placeholder("filter-name");

const FILTER_INET6: Stmt = list(
    "filter",
    "Define an IPv6 firewall filter",
    V::Name,
    &[
        presence(
            "interface-specific",
            "Defined counters are interface specific",
        ),
        list("term", "Define a firewall term", V::Name, TERM_INET6)
            .ordered()
            .placeholder("term-name"),
    ],
)
.placeholder("filter-name");

const FAMILIES: &[(&str, &str)] = &[
    ("inet", "Protocol family IPv4 for firewall filter"),
    ("inet6", "Protocol family IPv6 for firewall filter"),
];

const POLICER: Stmt = list(
    "policer",
    "Policer template definition",
    V::Name,
    &[
        container(
            "if-exceeding",
            "Define rate limits",
            &[
                leaf(
                    "bandwidth-limit",
                    "Bandwidth limit (8000..100000000000 bits per second, or with k/m/g)",
                    V::Name,
                ),
                leaf(
                    "burst-size-limit",
                    "Burst size limit (1500..100000000000 bytes, or with k/m/g)",
                    V::Name,
                ),
            ],
        ),
        container(
            "then",
            "Action to take if the rate limits are exceeded",
            &[
                presence("discard", "Discard the packet"),
                leaf(
                    "forwarding-class",
                    "Classify packet to forwarding class",
                    V::Name,
                ),
            ],
        )
        .oneline(),
    ],
)
.placeholder("policer-name");

pub const FIREWALL: Stmt = container(
    "firewall",
    "Define a firewall configuration",
    &[
        list("family", "Protocol family", V::Enum(FAMILIES), &[])
            .variants(&[("inet", &[FILTER_INET]), ("inet6", &[FILTER_INET6])]),
        POLICER,
        FILTER_INET,
    ],
);
