//! `policy-options`: prefix lists that firewall filters reference.

use super::{Stmt, ValueType as V, container, grouped_list, list};

pub const POLICY_OPTIONS: Stmt = container(
    "policy-options",
    "Policy option configuration",
    &[list(
        "prefix-list",
        "Define a list of IP prefixes",
        V::Name,
        &[grouped_list("", "IP prefix", V::IpPrefix, &[])
            .element("prefix-list-item")
            .placeholder("prefix")],
    )
    .placeholder("name")],
);
