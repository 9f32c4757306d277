//! `chassis`: binds sampling instances to line cards and sizes their flow tables.

use super::{Stmt, ValueType as V, container, leaf, list};

/// Junos: flow tables in units of 256K entries, 1..15 each (default one unit).
const FLOW_TABLE_SIZE: Stmt = container(
    "flow-table-size",
    "Inline services flow table sizes",
    &[
        leaf(
            "ipv4-flow-table-size",
            "IPv4 flow table size in units of 256k entries",
            V::Uint { min: 1, max: 15 },
        ),
        leaf(
            "ipv6-flow-table-size",
            "IPv6 flow table size in units of 256k entries",
            V::Uint { min: 1, max: 15 },
        ),
    ],
);

pub const CHASSIS: Stmt = container(
    "chassis",
    "Chassis configuration",
    &[list(
        "fpc",
        "Flexible PIC Concentrator parameters",
        V::Uint { min: 0, max: 19 },
        &[
            leaf("sampling-instance", "Name for sampling instance", V::Name),
            container(
                "inline-services",
                "Inline services configuration",
                &[FLOW_TABLE_SIZE],
            ),
        ],
    )
    .placeholder("slot-number")],
);
