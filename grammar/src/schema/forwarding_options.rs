//! `forwarding-options`: J-Flow sampling (global and instances), port mirroring, analyzers.

use super::{Stmt, ValueType as V, container, grouped_list, leaf, list, presence};

/// Junos: `rate` 1..16000000, `run-length` 0..20 (default 0), `max-packets-per-second`
/// 0..65535 (default 1000, 0 = no limit), `maximum-packet-length` 0..9192.
const SAMPLING_INPUT: Stmt = container(
    "input",
    "Settings for sampling of input packets",
    &[
        leaf(
            "rate",
            "Sampling rate",
            V::Uint {
                min: 1,
                max: 16_000_000,
            },
        ),
        leaf(
            "run-length",
            "Number of samples after initial trigger",
            V::Uint { min: 0, max: 20 },
        )
        .default("0"),
        leaf(
            "max-packets-per-second",
            "Threshold of samples per second before dropping",
            V::Uint { min: 0, max: 65535 },
        )
        .default("1000"),
        leaf(
            "maximum-packet-length",
            "Maximum length of the sampled packet",
            V::Uint { min: 0, max: 9192 },
        ),
    ],
);

const VERSIONS: &[(&str, &str)] = &[
    ("5", "Export cflowd version 5"),
    ("8", "Export cflowd version 8"),
];

const TEMPLATE_REF: Stmt =
    grouped_list("template", "Template configuration", V::Name, &[]).placeholder("template-name");

const AGGREGATION: Stmt = container(
    "aggregation",
    "Aggregations to perform for exported flows (version 8 only)",
    &[
        presence("autonomous-system", "Aggregate by autonomous system number"),
        presence("protocol-port", "Aggregate by protocol and port number"),
        presence("source-prefix", "Aggregate by source prefix"),
        presence("destination-prefix", "Aggregate by destination prefix"),
        container(
            "source-destination-prefix",
            "Aggregate by source and destination prefix",
            &[presence(
                "caida-compliant",
                "Compatible with Caida record format for prefix aggregation (v8)",
            )],
        ),
    ],
);

const AS_TYPES: &[(&str, &str)] = &[
    ("origin", "Export origin-AS numbers"),
    ("peer", "Export peer-AS numbers"),
];

const FLOW_SERVER: Stmt = list(
    "flow-server",
    "Configure sending traffic aggregates in cflowd format",
    V::IpAddr,
    &[
        leaf(
            "port",
            "UDP port number on host collecting cflowd packets",
            V::Uint { min: 1, max: 65535 },
        )
        .mandatory(),
        leaf(
            "version",
            "Format of exported cflowd aggregates",
            V::Enum(VERSIONS),
        )
        .default("5")
        .choice("version"),
        container(
            "version9",
            "Export data in version 9 format",
            &[TEMPLATE_REF],
        )
        .choice("version"),
        container(
            "version-ipfix",
            "Export data in version ipfix format",
            &[TEMPLATE_REF],
        )
        .choice("version"),
        AGGREGATION,
        leaf(
            "autonomous-system-type",
            "Type of autonomous system number to export",
            V::Enum(AS_TYPES),
        )
        .default("origin"),
        leaf(
            "source-address",
            "Source address for exporting cflowd packets",
            V::Ipv4,
        ),
        leaf(
            "dscp",
            "Numeric DSCP value in the range 0 to 63",
            V::Uint { min: 0, max: 63 },
        )
        .default("0"),
    ],
)
.placeholder("hostname");

const OUTPUT: Stmt = container(
    "output",
    "Configure output options for packet sampling",
    &[
        leaf(
            "flow-active-timeout",
            "Interval after which an active flow is exported",
            V::Uint { min: 60, max: 1800 },
        )
        .default("1800"),
        leaf(
            "flow-inactive-timeout",
            "Interval of inactivity that marks a flow inactive",
            V::Uint { min: 15, max: 1800 },
        )
        .default("60"),
        leaf(
            "aggregate-export-interval",
            "Interval of exporting aggregate accounting information",
            V::Uint { min: 90, max: 1800 },
        )
        .default("90"),
        FLOW_SERVER,
        list(
            "interface",
            "Interfaces used to send monitored information",
            V::Interface,
            &[
                leaf(
                    "engine-id",
                    "Identity (number) of this accounting interface",
                    V::Uint { min: 0, max: 255 },
                ),
                leaf(
                    "engine-type",
                    "Type (number) of this accounting interface",
                    V::Uint { min: 0, max: 255 },
                ),
                leaf(
                    "source-address",
                    "Address to use for generating monitored packets",
                    V::Ipv4,
                ),
            ],
        )
        .placeholder("interface-name"),
        container(
            "inline-jflow",
            "Inline processing of sampled packets",
            &[
                leaf(
                    "source-address",
                    "Address to use for generating monitored packets",
                    V::IpAddr,
                ),
                leaf(
                    "flow-export-rate",
                    "Flow export rate of monitored packets in kpps",
                    V::Uint { min: 1, max: 3200 },
                ),
            ],
        ),
    ],
);

const SAMPLING_FAMILIES: &[(&str, &str)] = &[
    ("inet", "Sample IPv4 packets"),
    ("inet6", "Sample IPv6 packets"),
    ("mpls", "Sample MPLS packets"),
];

const SAMPLING_FAMILY: Stmt = list(
    "family",
    "Protocol family to be sampled",
    V::Enum(SAMPLING_FAMILIES),
    &[OUTPUT],
);

const SAMPLING: Stmt = container(
    "sampling",
    "Statistical traffic sampling options",
    &[
        grouped_list(
            "instance",
            "Instance of sampling parameters",
            V::Name,
            &[SAMPLING_INPUT, SAMPLING_FAMILY],
        )
        .placeholder("instance-name"),
        SAMPLING_INPUT,
        SAMPLING_FAMILY,
    ],
);

/// Port mirroring: `rate` 1..65535, `run-length` 0..20, `maximum-packet-length` 0..9216.
const MIRROR_INPUT: Stmt = container(
    "input",
    "Settings for sampling of input packets",
    &[
        leaf(
            "rate",
            "Ratio of packets to be sampled (1 out of N)",
            V::Uint { min: 1, max: 65535 },
        )
        .default("1"),
        leaf(
            "run-length",
            "Number of samples after initial trigger",
            V::Uint { min: 0, max: 20 },
        )
        .default("0"),
        leaf(
            "maximum-packet-length",
            "Maximum length of the mirrored packet (0 = no truncation)",
            V::Uint { min: 0, max: 9216 },
        )
        .default("0"),
    ],
);

const MIRROR_OUTPUT: Stmt = container(
    "output",
    "Interfaces through which to send sampled traffic",
    &[
        list(
            "interface",
            "Interface through which to send sampled traffic",
            V::Interface,
            &[leaf("next-hop", "Address of next hop", V::IpAddr)],
        )
        .oneline()
        .placeholder("interface-name"),
        presence(
            "no-filter-check",
            "Do not check for filters on port-mirroring interface",
        ),
    ],
);

const MIRROR_FAMILIES: &[(&str, &str)] = &[
    ("inet", "Mirror IPv4 packets"),
    ("inet6", "Mirror IPv6 packets"),
];

const MIRROR_FAMILY: Stmt = list(
    "family",
    "Protocol family",
    V::Enum(MIRROR_FAMILIES),
    &[MIRROR_OUTPUT],
);

const PORT_MIRRORING: Stmt = container(
    "port-mirroring",
    "Configure port mirroring",
    &[
        grouped_list(
            "instance",
            "Instance of port mirroring parameters",
            V::Name,
            &[MIRROR_INPUT, MIRROR_FAMILY],
        )
        .placeholder("instance-name"),
        MIRROR_INPUT,
        MIRROR_FAMILY,
        presence(
            "mirror-once",
            "Mirror a packet once when both ingress and egress mirroring apply",
        ),
    ],
);

const INTERFACES: &[Stmt] =
    &[list("interface", "Interface to mirror", V::Interface, &[]).placeholder("interface-name")];

const ANALYZER: Stmt = list(
    "analyzer",
    "Analyzer configuration",
    V::Name,
    &[
        container(
            "input",
            "Ports and VLANs to monitor",
            &[
                leaf(
                    "rate",
                    "Ratio of packets to be sampled (1 out of N)",
                    V::Uint { min: 1, max: 65535 },
                )
                .default("1"),
                leaf(
                    "maximum-packet-length",
                    "Maximum length of the mirrored packet (0 = no truncation)",
                    V::Uint { min: 0, max: 9216 },
                )
                .default("0"),
                container(
                    "ingress",
                    "Ports and VLANs to monitor incoming traffic",
                    INTERFACES,
                ),
                container(
                    "egress",
                    "Ports and VLANs to monitor outgoing traffic",
                    INTERFACES,
                ),
            ],
        ),
        container(
            "output",
            "Outgoing port or VLAN for mirrored packets",
            &[
                leaf(
                    "interface",
                    "Outgoing port for mirrored packets",
                    V::Interface,
                )
                .choice("analyzer-output"),
                leaf("ip-address", "IP address of the remote analyzer", V::Ipv4)
                    .choice("analyzer-output"),
            ],
        ),
    ],
)
.placeholder("analyzer-name");

pub const FORWARDING_OPTIONS: Stmt = container(
    "forwarding-options",
    "Configure options to control packet forwarding",
    &[SAMPLING, PORT_MIRRORING, ANALYZER],
);
