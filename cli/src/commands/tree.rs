//! The commands of both modes as data: dispatch, abbreviations, `?` help and Tab completion all
//! read these tables (configuration statements come from the grammar's schema).

/// What a command does once its words are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    // Operational mode.
    Configure,
    ShowConfiguration,
    ShowSystemCommit,
    ShowVersion,
    ShowCliHistory,
    FileShow,
    ShowInterfaces,
    ShowRoute,
    ShowFirewall,
    ClearFirewall,
    ClearInterfaces,
    ShowAccounting(Accounting),
    ShowFlowTable,
    ClearAccounting,
    ShowMirrorDestination,
    ShowSecurityPolicies,
    ShowSecuritySessions,
    ShowPortMirroring,
    ShowAnalyzer,
    Ping,
    Exit,
    // Configuration mode.
    Edit(EditVerb),
    Up,
    Top,
    ExitConfig,
    ExitConfigurationMode,
    Show,
    Commit,
    Rollback,
    Load(LoadVerb),
    Save,
    Run,
}

/// The views of `show services accounting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounting {
    Flow,
    FlowDetail,
    Status,
    Errors,
    Usage,
    Memory,
    Aggregation,
}

/// The options of `flow-detail` and `flow-table`.
const FLOW_QUERY: Arg = Arg::Words(
    "[limit N] [order bytes|packets] [source-address A] [destination-address A] [protocol P]",
);

/// Configuration-mode verbs the grammar parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditVerb {
    Set,
    Delete,
    Activate,
    Deactivate,
    Edit,
    Rename,
    Copy,
    Insert,
    Annotate,
}

impl EditVerb {
    pub fn word(self) -> &'static str {
        match self {
            EditVerb::Set => "set",
            EditVerb::Delete => "delete",
            EditVerb::Activate => "activate",
            EditVerb::Deactivate => "deactivate",
            EditVerb::Edit => "edit",
            EditVerb::Rename => "rename",
            EditVerb::Copy => "copy",
            EditVerb::Insert => "insert",
            EditVerb::Annotate => "annotate",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadVerb {
    Merge,
    Override,
    Replace,
    Set,
}

/// What follows a command's keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Nothing: the command ends here.
    None,
    /// Configuration statements (`set ...`): completed from the schema.
    Statement,
    /// A path to existing configuration (`show ...`, `delete ...`).
    Path,
    /// A file name (or `terminal` for load).
    File,
    /// An optional number in a range.
    Number { min: u32, max: u32 },
    /// Free text (a commit comment).
    Text,
    /// An operational-mode command (`run ...`).
    OpCommand,
    /// Words the command reads itself (`show interfaces ge-0/0/0 extensive`).
    Words(&'static str),
}

/// One command word.
#[derive(Debug)]
pub struct Cmd {
    pub name: &'static str,
    pub help: &'static str,
    pub children: &'static [Cmd],
    pub action: Action,
    pub arg: Arg,
}

const fn cmd(name: &'static str, help: &'static str, action: Action, arg: Arg) -> Cmd {
    Cmd {
        name,
        help,
        children: &[],
        action,
        arg,
    }
}

const fn group(name: &'static str, help: &'static str, children: &'static [Cmd]) -> Cmd {
    Cmd {
        name,
        help,
        children,
        action: Action::None,
        arg: Arg::None,
    }
}

/// Operational mode (`user@host>`).
pub static OPERATIONAL: &[Cmd] = &[
    group(
        "clear",
        "Clear information in the system",
        &[
            group(
                "firewall",
                "Clear firewall counters",
                &[cmd(
                    "filter",
                    "Name of filter",
                    Action::ClearFirewall,
                    Arg::Words("<filter-name>"),
                )],
            ),
            group(
                "interfaces",
                "Clear interface information",
                &[cmd(
                    "statistics",
                    "Clear statistics on interfaces",
                    Action::ClearInterfaces,
                    Arg::None,
                )],
            ),
            group(
                "services",
                "Clear services",
                &[group(
                    "accounting",
                    "Clear accounting statistics",
                    &[cmd(
                        "flow",
                        "Clear flow statistics",
                        Action::ClearAccounting,
                        Arg::None,
                    )],
                )],
            ),
        ],
    ),
    cmd(
        "configure",
        "Manipulate software configuration information",
        Action::Configure,
        Arg::None,
    ),
    cmd(
        "exit",
        "Exit the management session",
        Action::Exit,
        Arg::None,
    ),
    group(
        "file",
        "Perform file operations",
        &[cmd(
            "show",
            "Show file contents",
            Action::FileShow,
            Arg::File,
        )],
    ),
    cmd(
        "ping",
        "Ping remote target",
        Action::Ping,
        Arg::Words("<host> [count N] [wait SECONDS]"),
    ),
    cmd(
        "quit",
        "Exit the management session",
        Action::Exit,
        Arg::None,
    ),
    group(
        "show",
        "Show system information",
        &[
            group(
                "cli",
                "Show command-line interface settings",
                &[cmd(
                    "history",
                    "Show recent command history",
                    Action::ShowCliHistory,
                    Arg::None,
                )],
            ),
            cmd(
                "configuration",
                "Show current configuration",
                Action::ShowConfiguration,
                Arg::Path,
            ),
            cmd(
                "firewall",
                "Show firewall information",
                Action::ShowFirewall,
                Arg::Words("filter <filter-name>"),
            ),
            cmd(
                "flow-table",
                "Show the J-Flow flow table",
                Action::ShowFlowTable,
                FLOW_QUERY,
            ),
            group(
                "forwarding-options",
                "Show forwarding-options information",
                &[
                    cmd(
                        "analyzer",
                        "Show analyzer information",
                        Action::ShowAnalyzer,
                        Arg::None,
                    ),
                    cmd(
                        "port-mirroring",
                        "Show port-mirroring information",
                        Action::ShowPortMirroring,
                        Arg::None,
                    ),
                ],
            ),
            cmd(
                "interfaces",
                "Show interface information",
                Action::ShowInterfaces,
                Arg::Words("terse | <interface-name> [extensive]"),
            ),
            cmd(
                "route",
                "Show routing table information",
                Action::ShowRoute,
                Arg::None,
            ),
            group(
                "security",
                "Show security information",
                &[
                    group(
                        "flow",
                        "Show flow information",
                        &[cmd(
                            "session",
                            "Show session information",
                            Action::ShowSecuritySessions,
                            Arg::None,
                        )],
                    ),
                    cmd(
                        "policies",
                        "Show policy information",
                        Action::ShowSecurityPolicies,
                        Arg::Words("[hit-count]"),
                    ),
                ],
            ),
            group(
                "services",
                "Show services information",
                &[
                    group(
                        "accounting",
                        "Show accounting information",
                        &[
                            cmd(
                                "aggregation",
                                "Show aggregation information",
                                Action::ShowAccounting(Accounting::Aggregation),
                                Arg::Words(
                                    "protocol-port | source-prefix | destination-prefix | as [order bytes|packets] [limit N]",
                                ),
                            ),
                            cmd(
                                "errors",
                                "Show error statistics",
                                Action::ShowAccounting(Accounting::Errors),
                                Arg::None,
                            ),
                            cmd(
                                "flow",
                                "Show flow statistics",
                                Action::ShowAccounting(Accounting::Flow),
                                Arg::None,
                            ),
                            cmd(
                                "flow-detail",
                                "Show flow details",
                                Action::ShowAccounting(Accounting::FlowDetail),
                                FLOW_QUERY,
                            ),
                            cmd(
                                "memory",
                                "Show memory statistics",
                                Action::ShowAccounting(Accounting::Memory),
                                Arg::None,
                            ),
                            cmd(
                                "status",
                                "Show status information",
                                Action::ShowAccounting(Accounting::Status),
                                Arg::None,
                            ),
                            cmd(
                                "usage",
                                "Show usage statistics",
                                Action::ShowAccounting(Accounting::Usage),
                                Arg::None,
                            ),
                        ],
                    ),
                    cmd(
                        "mirror-destination",
                        "Show mirror destination information",
                        Action::ShowMirrorDestination,
                        Arg::Words("[<name>]"),
                    ),
                ],
            ),
            group(
                "system",
                "Show system information",
                &[cmd(
                    "commit",
                    "Show pending commit and commit history",
                    Action::ShowSystemCommit,
                    Arg::None,
                )],
            ),
            cmd(
                "version",
                "Show software process revision levels",
                Action::ShowVersion,
                Arg::None,
            ),
        ],
    ),
];

pub const CONFIGURATION_COMMIT_OPTIONS: &[Cmd] = &[
    cmd(
        "and-quit",
        "Quit configuration mode if commit succeeds",
        Action::Commit,
        Arg::None,
    ),
    cmd(
        "check",
        "Check correctness of syntax; do not apply changes",
        Action::Commit,
        Arg::None,
    ),
    cmd(
        "comment",
        "Message to accompany commit",
        Action::Commit,
        Arg::Text,
    ),
    cmd(
        "confirmed",
        "Automatically rollback if not confirmed",
        Action::Commit,
        Arg::Number { min: 1, max: 65535 },
    ),
];

const LOAD_OPTIONS: &[Cmd] = &[
    cmd(
        "merge",
        "Merge contents with existing configuration",
        Action::Load(LoadVerb::Merge),
        Arg::File,
    ),
    cmd(
        "override",
        "Override existing configuration",
        Action::Load(LoadVerb::Override),
        Arg::File,
    ),
    cmd(
        "replace",
        "Replace configuration data",
        Action::Load(LoadVerb::Replace),
        Arg::File,
    ),
    cmd(
        "set",
        "Execute set of commands on existing configuration",
        Action::Load(LoadVerb::Set),
        Arg::File,
    ),
];

/// Configuration mode (`user@host#`).
pub static CONFIGURATION: &[Cmd] = &[
    cmd(
        "activate",
        "Remove the inactive tag from a statement",
        Action::Edit(EditVerb::Activate),
        Arg::Path,
    ),
    cmd(
        "annotate",
        "Annotate the statement with a comment",
        Action::Edit(EditVerb::Annotate),
        Arg::Path,
    ),
    Cmd {
        name: "commit",
        help: "Commit current set of changes",
        children: CONFIGURATION_COMMIT_OPTIONS,
        action: Action::Commit,
        arg: Arg::None,
    },
    cmd(
        "copy",
        "Copy a statement",
        Action::Edit(EditVerb::Copy),
        Arg::Path,
    ),
    cmd(
        "deactivate",
        "Add the inactive tag to a statement",
        Action::Edit(EditVerb::Deactivate),
        Arg::Path,
    ),
    cmd(
        "delete",
        "Delete a data element",
        Action::Edit(EditVerb::Delete),
        Arg::Path,
    ),
    cmd(
        "edit",
        "Edit a particular hierarchy level",
        Action::Edit(EditVerb::Edit),
        Arg::Path,
    ),
    Cmd {
        name: "exit",
        help: "Exit from this level",
        children: &[cmd(
            "configuration-mode",
            "Exit from configuration mode",
            Action::ExitConfigurationMode,
            Arg::None,
        )],
        action: Action::ExitConfig,
        arg: Arg::None,
    },
    cmd(
        "insert",
        "Insert a new ordered data element",
        Action::Edit(EditVerb::Insert),
        Arg::Path,
    ),
    group("load", "Load configuration from ASCII file", LOAD_OPTIONS),
    cmd(
        "quit",
        "Quit from this level",
        Action::ExitConfig,
        Arg::None,
    ),
    cmd(
        "rename",
        "Rename a statement",
        Action::Edit(EditVerb::Rename),
        Arg::Path,
    ),
    cmd(
        "rollback",
        "Roll back to previous committed configuration",
        Action::Rollback,
        Arg::Number { min: 0, max: 49 },
    ),
    cmd(
        "run",
        "Run an operational-mode command",
        Action::Run,
        Arg::OpCommand,
    ),
    cmd(
        "save",
        "Save configuration to ASCII file",
        Action::Save,
        Arg::File,
    ),
    cmd(
        "set",
        "Set a parameter",
        Action::Edit(EditVerb::Set),
        Arg::Statement,
    ),
    cmd("show", "Show a parameter", Action::Show, Arg::Path),
    cmd(
        "top",
        "Exit to top level of configuration",
        Action::Top,
        Arg::None,
    ),
    cmd(
        "up",
        "Exit one level of configuration",
        Action::Up,
        Arg::Number { min: 1, max: 64 },
    ),
];

/// How words name a command among its siblings.
#[derive(Debug)]
pub enum Found<'a> {
    One(&'a Cmd),
    Ambiguous(Vec<&'a Cmd>),
    None,
}

/// Finds `word` among `cmds`: an exact name, or a unique prefix.
pub fn find<'a>(cmds: &'a [Cmd], word: &str) -> Found<'a> {
    if let Some(c) = cmds.iter().find(|c| c.name == word) {
        return Found::One(c);
    }
    let matches: Vec<&Cmd> = cmds.iter().filter(|c| c.name.starts_with(word)).collect();
    match matches.len() {
        0 => Found::None,
        1 => Found::One(matches[0]),
        _ => Found::Ambiguous(matches),
    }
}
