//! `chassis`: binds sampling instances to line cards.

use super::{Stmt, ValueType as V, container, leaf, list};

pub const CHASSIS: Stmt = container(
    "chassis",
    "Chassis configuration",
    &[list(
        "fpc",
        "Flexible PIC Concentrator parameters",
        V::Uint { min: 0, max: 19 },
        &[leaf(
            "sampling-instance",
            "Name for sampling instance",
            V::Name,
        )],
    )
    .placeholder("slot-number")],
);
