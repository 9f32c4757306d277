//! `interfaces`: physical interfaces, logical units, address families.

use super::{Stmt, ValueType as V, container, grouped_list, leaf, list, presence};

const FILTER: Stmt = container(
    "filter",
    "Filters to apply to this family",
    &[
        leaf(
            "input",
            "Name of filter applied to received packets",
            V::Name,
        ),
        leaf(
            "output",
            "Name of filter applied to transmitted packets",
            V::Name,
        ),
    ],
);

const SAMPLING: Stmt = container(
    "sampling",
    "Traffic sampling",
    &[
        presence("input", "Sample input packets"),
        presence("output", "Sample output packets"),
    ],
);

const ADDRESS_CHILDREN: &[Stmt] = &[
    presence("primary", "Candidate for primary address in system"),
    presence("preferred", "Preferred address on interface"),
];

const INET: &[Stmt] = &[
    leaf(
        "mtu",
        "Protocol family maximum transmission unit",
        V::Uint { min: 64, max: 9192 },
    ),
    FILTER,
    SAMPLING,
    list(
        "address",
        "Interface address/destination prefix",
        V::Ipv4Interface,
        ADDRESS_CHILDREN,
    )
    .placeholder("source"),
];

const INET6: &[Stmt] = &[
    leaf(
        "mtu",
        "Protocol family maximum transmission unit",
        V::Uint {
            min: 1280,
            max: 9192,
        },
    ),
    FILTER,
    SAMPLING,
    list(
        "address",
        "Interface address/destination prefix",
        V::Ipv6Interface,
        ADDRESS_CHILDREN,
    )
    .placeholder("source"),
];

const MPLS: &[Stmt] = &[
    leaf(
        "mtu",
        "Protocol family maximum transmission unit",
        V::Uint { min: 64, max: 9192 },
    ),
    FILTER,
];

const FAMILY_NAMES: &[(&str, &str)] = &[
    ("inet", "IPv4 parameters"),
    ("inet6", "IPv6 protocol parameters"),
    ("mpls", "MPLS parameters"),
];

const UNIT: Stmt = list(
    "unit",
    "Logical interface",
    V::Uint {
        min: 0,
        max: 1_073_741_823,
    },
    &[
        leaf("description", "Text description of interface", V::Text),
        presence("disable", "Disable this logical interface"),
        leaf(
            "vlan-id",
            "Virtual LAN identifier value for IEEE 802.1q VLAN tags",
            V::Uint { min: 1, max: 4094 },
        ),
        leaf(
            "analyzer-label",
            "Label that marks this unit as an internal analyzer for mirror destinations",
            V::Name,
        ),
        leaf(
            "routing-instance",
            "Routing instance (L2 domain) used to resolve analyzer MAC addresses",
            V::Name,
        ),
        list("family", "Protocol family", V::Enum(FAMILY_NAMES), &[]).variants(&[
            ("inet", INET),
            ("inet6", INET6),
            ("mpls", MPLS),
        ]),
    ],
)
.placeholder("interface_unit_number");

pub const INTERFACES: Stmt = grouped_list(
    "interfaces",
    "Interface configuration",
    V::Interface,
    &[
        leaf("description", "Text description of interface", V::Text),
        presence("disable", "Disable this interface"),
        leaf(
            "mtu",
            "Maximum transmit packet size",
            V::Uint {
                min: 256,
                max: 9216,
            },
        ),
        leaf("mac", "Hardware MAC address", V::Mac),
        presence("vlan-tagging", "802.1q VLAN tagging support"),
        UNIT,
    ],
)
.unit_shorthand()
.element("interface")
.placeholder("interface-name");
