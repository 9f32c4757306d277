//! `security policies`: flow-based mirroring selected per policy or per rule.

use super::{Stmt, ValueType as V, container, leaf_list, list, presence};

const DEFAULT_POLICY: Stmt = container(
    "default-policy",
    "Action for flows that match no rule",
    &[
        presence(
            "permit-all",
            "Permit all traffic if no policy match is found",
        )
        .choice("default-policy"),
        presence("deny-all", "Deny all traffic if no policy match is found")
            .choice("default-policy"),
    ],
);

const RULE: Stmt = list(
    "rule",
    "Rule that selects flows",
    V::Name,
    &[
        container(
            "match",
            "Specify rule match criteria",
            &[
                leaf_list("source-address", "Match IP source address", V::IpPrefix),
                leaf_list(
                    "destination-address",
                    "Match IP destination address",
                    V::IpPrefix,
                ),
                leaf_list("protocol", "Match IP protocol type", V::Protocol),
                leaf_list("source-port", "Match TCP/UDP source port", V::Port),
                leaf_list(
                    "destination-port",
                    "Match TCP/UDP destination port",
                    V::Port,
                ),
            ],
        ),
        container(
            "then",
            "Specify rule action to take when flow matches",
            &[
                presence("permit", "Permit the flow").choice("rule-action"),
                presence("deny", "Deny the flow").choice("rule-action"),
                leaf_list(
                    "mirror-to",
                    "Mirror the flow to mirror destinations",
                    V::Name,
                ),
            ],
        ),
    ],
)
.ordered()
.placeholder("rule-name");

const POLICY: Stmt = list(
    "policy",
    "Define a security policy",
    V::Name,
    &[
        leaf_list(
            "interface",
            "Units where the policy applies (all units when absent)",
            V::Interface,
        ),
        container(
            "then",
            "Policy-level actions for every rule's flows",
            &[leaf_list(
                "mirror-to",
                "Mirror the flows of every rule to mirror destinations",
                V::Name,
            )],
        ),
        RULE,
    ],
)
.ordered()
.placeholder("policy-name");

pub const SECURITY: Stmt = container(
    "security",
    "Security configuration",
    &[container(
        "policies",
        "Configure security policies",
        &[DEFAULT_POLICY, POLICY],
    )],
);
