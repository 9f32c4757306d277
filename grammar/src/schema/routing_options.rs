//! `routing-options`: static routes for inet.0 and inet6.0.

use super::{Stmt, ValueType as V, container, leaf, leaf_list, list, presence};

const ROUTE4: Stmt = list("route", "Static route", V::Ipv4Prefix, ROUTE4_CHILDREN)
    .oneline()
    .placeholder("destination");

const ROUTE6: Stmt = list("route", "Static route", V::Ipv6Prefix, ROUTE6_CHILDREN)
    .oneline()
    .placeholder("destination");

const ROUTE4_CHILDREN: &[Stmt] = &[
    leaf_list("next-hop", "Next hop to destination", V::Ipv4).choice("route-action"),
    presence(
        "discard",
        "Drop packets to destination; send no ICMP unreachables",
    )
    .choice("route-action"),
    presence(
        "reject",
        "Drop packets to destination; send ICMP unreachables",
    )
    .choice("route-action"),
    leaf(
        "preference",
        "Preference value",
        V::Uint {
            min: 0,
            max: 4_294_967_295,
        },
    )
    .default("5"),
    leaf(
        "metric",
        "Metric value",
        V::Uint {
            min: 0,
            max: 4_294_967_295,
        },
    ),
];

const ROUTE6_CHILDREN: &[Stmt] = &[
    leaf_list("next-hop", "Next hop to destination", V::Ipv6).choice("route-action"),
    presence(
        "discard",
        "Drop packets to destination; send no ICMP unreachables",
    )
    .choice("route-action"),
    presence(
        "reject",
        "Drop packets to destination; send ICMP unreachables",
    )
    .choice("route-action"),
    leaf(
        "preference",
        "Preference value",
        V::Uint {
            min: 0,
            max: 4_294_967_295,
        },
    )
    .default("5"),
    leaf(
        "metric",
        "Metric value",
        V::Uint {
            min: 0,
            max: 4_294_967_295,
        },
    ),
];

const RIB_NAMES: &[(&str, &str)] = &[("inet6.0", "IPv6 unicast routing table")];

pub const ROUTING_OPTIONS: Stmt = container(
    "routing-options",
    "Protocol-independent routing option configuration",
    &[
        leaf("router-id", "Router identifier", V::Ipv4),
        leaf(
            "autonomous-system",
            "Autonomous system number",
            V::Uint {
                min: 1,
                max: 4_294_967_295,
            },
        ),
        list("rib", "Routing table options", V::Enum(RIB_NAMES), &[])
            .variants(&[(
                "inet6.0",
                &[container("static", "Static routes", &[ROUTE6])],
            )])
            .placeholder("routing-table-name"),
        container("static", "Static routes", &[ROUTE4]),
    ],
);
