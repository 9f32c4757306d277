//! `system`: host identity.

use super::{Stmt, ValueType as V, container, leaf};

pub const SYSTEM: Stmt = container(
    "system",
    "System parameters",
    &[
        leaf("host-name", "Hostname for this router", V::Name),
        leaf("domain-name", "Domain name for this router", V::Name),
        leaf(
            "time-zone",
            "Time zone name or POSIX-compliant time zone string",
            V::Name,
        ),
        leaf("location", "Location of the system", V::Text),
    ],
);
