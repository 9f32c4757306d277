//! `services`: flow-monitoring templates (version9, version-ipfix) and mirror destinations.

use super::{Stmt, ValueType as V, container, leaf, list, presence};

const TIMEOUT: V = V::Uint { min: 10, max: 600 };
const PACKETS: V = V::Uint {
    min: 1,
    max: 480_000,
};
const SECONDS: V = V::Uint { min: 10, max: 600 };
const TEMPLATE_ID: V = V::Uint {
    min: 1024,
    max: 65535,
};

const LABEL_POSITION: Stmt = super::leaf_list(
    "label-position",
    "Positions of the MPLS labels exported in the flow key",
    V::Uint { min: 1, max: 8 },
);

const TEMPLATE_TYPES: &[Stmt] = &[
    presence("ipv4-template", "IPv4 template configuration").choice("template-type"),
    presence("ipv6-template", "IPv6 template configuration").choice("template-type"),
    container(
        "mpls-template",
        "MPLS template configuration",
        &[LABEL_POSITION],
    )
    .choice("template-type"),
    container(
        "mpls-ipv4-template",
        "MPLS IPv4 template configuration",
        &[LABEL_POSITION],
    )
    .choice("template-type"),
    presence("bridge-template", "Bridge template configuration").choice("template-type"),
];

const FLOW_KEY: Stmt = container(
    "flow-key",
    "Flow key configuration",
    &[
        presence("flow-direction", "Include flow direction in the key"),
        presence("vlan-id", "Include VLAN ID in the key"),
        presence("output-interface", "Include output interface in the key"),
    ],
);

const NEXTHOP_LEARNING: Stmt = container(
    "nexthop-learning",
    "Next-hop learning configuration",
    &[
        presence("enable", "Enable next-hop learning").choice("nexthop-learning"),
        presence("disable", "Disable next-hop learning").choice("nexthop-learning"),
    ],
);

/// Junos flow-monitoring template, version 9: refresh defaults 4800 packets / 60 seconds.
const V9_TEMPLATE: &[Stmt] = &[
    leaf(
        "flow-active-timeout",
        "Interval after which an active flow is exported",
        TIMEOUT,
    )
    .default("60"),
    leaf(
        "flow-inactive-timeout",
        "Period of inactivity that marks a flow inactive",
        TIMEOUT,
    )
    .default("60"),
    container(
        "template-refresh-rate",
        "Template refresh rate",
        &[
            leaf("packets", "Refresh rate in number of packets", PACKETS).default("4800"),
            leaf("seconds", "Refresh rate in seconds", SECONDS).default("60"),
        ],
    ),
    container(
        "option-refresh-rate",
        "Option refresh rate",
        &[
            leaf("packets", "Refresh rate in number of packets", PACKETS).default("4800"),
            leaf("seconds", "Refresh rate in seconds", SECONDS).default("60"),
        ],
    ),
    leaf("template-id", "Template ID", TEMPLATE_ID),
    leaf("option-template-id", "Options template ID", TEMPLATE_ID),
    leaf(
        "source-id",
        "Source ID (exported in the NetFlow v9 header)",
        V::Uint { min: 0, max: 255 },
    ),
    NEXTHOP_LEARNING,
    FLOW_KEY,
    TEMPLATE_TYPES[0],
    TEMPLATE_TYPES[1],
    TEMPLATE_TYPES[2],
    TEMPLATE_TYPES[3],
    TEMPLATE_TYPES[4],
];

/// Junos flow-monitoring template, IPFIX: the IPFIX pages give 600 seconds for refresh.
const IPFIX_TEMPLATE: &[Stmt] = &[
    leaf(
        "flow-active-timeout",
        "Interval after which an active flow is exported",
        TIMEOUT,
    )
    .default("60"),
    leaf(
        "flow-inactive-timeout",
        "Period of inactivity that marks a flow inactive",
        TIMEOUT,
    )
    .default("60"),
    container(
        "template-refresh-rate",
        "Template refresh rate",
        &[
            leaf("packets", "Refresh rate in number of packets", PACKETS).default("4800"),
            leaf("seconds", "Refresh rate in seconds", SECONDS).default("600"),
        ],
    ),
    container(
        "option-refresh-rate",
        "Option refresh rate",
        &[
            leaf("packets", "Refresh rate in number of packets", PACKETS).default("4800"),
            leaf("seconds", "Refresh rate in seconds", SECONDS).default("600"),
        ],
    ),
    leaf("template-id", "Template ID", TEMPLATE_ID),
    leaf("option-template-id", "Options template ID", TEMPLATE_ID),
    leaf(
        "observation-domain-id",
        "Observation domain ID (exported in the IPFIX header)",
        V::Uint { min: 0, max: 255 },
    ),
    NEXTHOP_LEARNING,
    FLOW_KEY,
    TEMPLATE_TYPES[0],
    TEMPLATE_TYPES[1],
    TEMPLATE_TYPES[2],
    TEMPLATE_TYPES[3],
    TEMPLATE_TYPES[4],
];

const FLOW_MONITORING: Stmt = container(
    "flow-monitoring",
    "Configure flow monitoring",
    &[
        container(
            "version9",
            "Version 9 configuration",
            &[list(
                "template",
                "One or more version 9 templates",
                V::Name,
                V9_TEMPLATE,
            )
            .placeholder("template-name")],
        ),
        container(
            "version-ipfix",
            "Version IP Flow Information Export (IPFIX) configuration",
            &[list(
                "template",
                "One or more IPFIX templates",
                V::Name,
                IPFIX_TEMPLATE,
            )
            .placeholder("template-name")],
        ),
    ],
);

const NEXT_HOP_MODES: &[(&str, &str)] = &[
    ("dynamic", "Resolve the analyzer by route or L2 lookup"),
    (
        "static",
        "Send to the static next hop (VXLAN tunnel endpoint)",
    ),
];

const DIRECTIONS: &[(&str, &str)] = &[
    ("ingress", "Mirror traffic entering the router"),
    ("egress", "Mirror traffic leaving the router"),
    ("both", "Mirror traffic in both directions"),
];

const MIRROR_DESTINATION: Stmt = list(
    "mirror-destination",
    "Flow-based mirroring destination",
    V::Name,
    &[
        leaf(
            "analyzer-address",
            "IPv4 address of an external analyzer",
            V::Ipv4,
        )
        .choice("analyzer"),
        leaf(
            "analyzer-label",
            "Internal analyzer: the unit carrying this analyzer-label",
            V::Name,
        )
        .choice("analyzer"),
        leaf(
            "udp-port",
            "UDP port of the analyzer",
            V::Uint { min: 1, max: 65535 },
        )
        .default("8099"),
        presence(
            "no-juniper-header",
            "Send the original frame without the Juniper header",
        ),
        leaf(
            "analyzer-mac-address",
            "MAC address of the analyzer (L2 delivery without the header)",
            V::Mac,
        ),
        leaf(
            "routing-instance",
            "Routing instance for the analyzer lookup",
            V::Name,
        ),
        leaf(
            "next-hop-mode",
            "How the analyzer is reached",
            V::Enum(NEXT_HOP_MODES),
        )
        .default("dynamic"),
        container(
            "static-next-hop",
            "Static next hop: VXLAN tunnel endpoint",
            &[
                leaf(
                    "vtep-address",
                    "IPv4 address of the VXLAN tunnel endpoint",
                    V::Ipv4,
                ),
                leaf(
                    "vni",
                    "VXLAN network identifier",
                    V::Uint {
                        min: 0,
                        max: 16_777_215,
                    },
                ),
            ],
        ),
        leaf(
            "traffic-direction",
            "Direction of traffic to mirror",
            V::Enum(DIRECTIONS),
        )
        .default("both"),
        leaf(
            "maximum-packet-length",
            "Truncate mirrored packets to this length (0 = whole packet)",
            V::Uint { min: 0, max: 9216 },
        )
        .default("0"),
        leaf(
            "rate-limit",
            "Maximum mirrored packets per second (0 = no limit)",
            V::Uint {
                min: 0,
                max: 10_000_000,
            },
        )
        .default("0"),
    ],
)
.placeholder("destination-name");

pub const SERVICES: Stmt = container(
    "services",
    "Service PIC applications settings",
    &[FLOW_MONITORING, MIRROR_DESTINATION],
);
