//! The statement tree as data: the single source of truth for parsing, completion, `?` help,
//! rendering order, `display set` and value checks.
//!
//! Each top-level hierarchy lives in its own module. A [`Stmt`] is a `const` value, so
//! hierarchies share pieces (the sampling `family output` block is used globally and in every
//! instance) by naming the same constant.

mod chassis;
mod firewall;
mod forwarding_options;
mod interfaces;
mod policy_options;
mod routing_options;
mod security;
mod services;
mod system;
pub mod value;

pub use value::ValueType;

/// What a statement is, which decides how it is parsed and rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `name { ... }`, or `name;` when empty.
    Container,
    /// `name;` — present or absent.
    Presence,
    /// `name value;`
    Leaf(ValueType),
    /// `name;` or `name value;` (for example `reject;` / `reject tcp-reset;`).
    OptionalLeaf(ValueType),
    /// `name value;` or `name [ v1 v2 ];` — an unordered set of values.
    LeafList(ValueType),
    /// Named entries: `name KEY { ... }` once per entry, or with `grouped` the keyword once
    /// and the entries inside it: `name { KEY { ... } KEY2; }`.
    List { key: ValueType, grouped: bool },
}

/// One statement of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Stmt {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    /// Child statements, in Junos rendering order.
    pub children: &'static [Stmt],
    /// For lists whose children depend on the key (`family inet` / `family inet6`):
    /// the allowed keys and their children. Empty for ordinary statements.
    pub variants: &'static [(&'static str, &'static [Stmt])],
    /// The value Junos uses when the statement is absent (shown in help, used by checks).
    pub default: Option<&'static str>,
    /// Commit fails when the parent exists and this statement does not.
    pub mandatory: bool,
    /// List entries keep the user's order (`insert` applies), like firewall terms.
    pub ordered: bool,
    /// A container or list entry whose only child is a leaf renders on one line:
    /// `route 10.0.0.0/8 next-hop 192.0.2.1;`, `then accept;`.
    pub oneline: bool,
    /// Statements sharing a choice group exclude each other: setting one removes the others.
    pub choice: Option<&'static str>,
    /// Interface-name keys accept `NAME.UNIT` as shorthand for `NAME unit UNIT`.
    pub unit_shorthand: bool,
    /// The `<placeholder>` shown by `?` for the value or key.
    pub placeholder: Option<&'static str>,
    /// For grouped lists: the name of one entry in JSON and in the XML depth `show | compare`
    /// indents by (`interfaces { interface [...] }`).
    pub element: Option<&'static str>,
}

const BASE: Stmt = Stmt {
    name: "",
    help: "",
    kind: Kind::Container,
    children: &[],
    variants: &[],
    default: None,
    mandatory: false,
    ordered: false,
    oneline: false,
    choice: None,
    unit_shorthand: false,
    placeholder: None,
    element: None,
};

/// `name { children }`
pub const fn container(name: &'static str, help: &'static str, children: &'static [Stmt]) -> Stmt {
    Stmt {
        name,
        help,
        children,
        ..BASE
    }
}

/// `name;`
pub const fn presence(name: &'static str, help: &'static str) -> Stmt {
    Stmt {
        name,
        help,
        kind: Kind::Presence,
        ..BASE
    }
}

/// `name value;`
pub const fn leaf(name: &'static str, help: &'static str, ty: ValueType) -> Stmt {
    Stmt {
        name,
        help,
        kind: Kind::Leaf(ty),
        ..BASE
    }
}

/// `name [value];`
pub const fn optional_leaf(name: &'static str, help: &'static str, ty: ValueType) -> Stmt {
    Stmt {
        name,
        help,
        kind: Kind::OptionalLeaf(ty),
        ..BASE
    }
}

/// `name [ v1 v2 ];`
pub const fn leaf_list(name: &'static str, help: &'static str, ty: ValueType) -> Stmt {
    Stmt {
        name,
        help,
        kind: Kind::LeafList(ty),
        ..BASE
    }
}

/// `name KEY { children }`, once per entry.
pub const fn list(
    name: &'static str,
    help: &'static str,
    key: ValueType,
    children: &'static [Stmt],
) -> Stmt {
    Stmt {
        name,
        help,
        kind: Kind::List {
            key,
            grouped: false,
        },
        children,
        ..BASE
    }
}

/// `name { KEY { children } ... }`: the keyword once, the entries inside.
pub const fn grouped_list(
    name: &'static str,
    help: &'static str,
    key: ValueType,
    children: &'static [Stmt],
) -> Stmt {
    Stmt {
        name,
        help,
        kind: Kind::List { key, grouped: true },
        children,
        ..BASE
    }
}

impl Stmt {
    pub const fn default(self, value: &'static str) -> Stmt {
        Stmt {
            default: Some(value),
            ..self
        }
    }
    pub const fn mandatory(self) -> Stmt {
        Stmt {
            mandatory: true,
            ..self
        }
    }
    pub const fn ordered(self) -> Stmt {
        Stmt {
            ordered: true,
            ..self
        }
    }
    pub const fn oneline(self) -> Stmt {
        Stmt {
            oneline: true,
            ..self
        }
    }
    pub const fn choice(self, group: &'static str) -> Stmt {
        Stmt {
            choice: Some(group),
            ..self
        }
    }
    pub const fn unit_shorthand(self) -> Stmt {
        Stmt {
            unit_shorthand: true,
            ..self
        }
    }
    pub const fn placeholder(self, text: &'static str) -> Stmt {
        Stmt {
            placeholder: Some(text),
            ..self
        }
    }
    pub const fn element(self, name: &'static str) -> Stmt {
        Stmt {
            element: Some(name),
            ..self
        }
    }
    pub const fn variants(self, variants: &'static [(&'static str, &'static [Stmt])]) -> Stmt {
        Stmt { variants, ..self }
    }

    /// The child statements of an entry with this key (variants decide for `family inet`).
    pub fn children_for(&self, key: Option<&str>) -> &'static [Stmt] {
        match key {
            Some(k) if !self.variants.is_empty() => self
                .variants
                .iter()
                .find(|(name, _)| *name == k)
                .map_or(&[][..], |(_, c)| *c),
            _ => self.children,
        }
    }

    /// The type of the key (lists) or value (leaves); `None` for containers and presence.
    pub fn value_type(&self) -> Option<ValueType> {
        match self.kind {
            Kind::Leaf(t) | Kind::OptionalLeaf(t) | Kind::LeafList(t) => Some(t),
            Kind::List { key, .. } => Some(key),
            Kind::Container | Kind::Presence => None,
        }
    }

    pub fn is_list(&self) -> bool {
        matches!(self.kind, Kind::List { .. })
    }

    /// `family inet { ... }`: a list keyed by a family name, which Junos nests as two
    /// elements (`family` / `inet`) in XML and JSON.
    pub fn is_family(&self) -> bool {
        self.name == "family"
            && matches!(
                self.kind,
                Kind::List {
                    key: ValueType::Enum(_),
                    ..
                }
            )
    }

    pub fn is_grouped(&self) -> bool {
        matches!(self.kind, Kind::List { grouped: true, .. })
    }

    /// Containers and list entries hold children; `edit` may enter them.
    pub fn has_children(&self) -> bool {
        matches!(self.kind, Kind::Container | Kind::List { .. })
    }

    /// `<placeholder>` text for `?` help.
    pub fn value_placeholder(&self) -> String {
        match self.placeholder {
            Some(p) => format!("<{p}>"),
            None => format!("<{}>", self.name),
        }
    }

    /// Help text with the value range, as `?` shows it: `Sampling rate (1..16000000)`.
    pub fn help_with_range(&self) -> String {
        let mut text = self.help.to_string();
        if let Some(range) = self.value_type().and_then(|t| t.range_text())
            && !matches!(self.kind, Kind::List { .. })
        {
            text.push_str(&format!(" ({range})"));
        }
        if let Some(d) = self.default {
            text.push_str(&format!(" (default {d})"));
        }
        text
    }
}

/// How a word names a statement among its siblings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(usize),
    Ambiguous(Vec<&'static str>),
    Unknown,
}

/// Finds `word` among `stmts`: an exact name, or with `abbrev` a unique prefix.
pub fn lookup(stmts: &'static [Stmt], word: &str, abbrev: bool) -> Lookup {
    if let Some(i) = stmts.iter().position(|s| s.name == word) {
        return Lookup::Found(i);
    }
    if !abbrev || word.is_empty() {
        return Lookup::Unknown;
    }
    let matches: Vec<usize> = stmts
        .iter()
        .enumerate()
        .filter(|(_, s)| s.name.starts_with(word))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [] => Lookup::Unknown,
        [one] => Lookup::Found(*one),
        many => Lookup::Ambiguous(many.iter().map(|&i| stmts[i].name).collect()),
    }
}

/// The top of the configuration, in Junos rendering order.
pub static TOP: &[Stmt] = &[
    leaf("version", "Software version information", ValueType::Text),
    system::SYSTEM,
    chassis::CHASSIS,
    services::SERVICES,
    security::SECURITY,
    interfaces::INTERFACES,
    forwarding_options::FORWARDING_OPTIONS,
    routing_options::ROUTING_OPTIONS,
    policy_options::POLICY_OPTIONS,
    firewall::FIREWALL,
];

/// The schema root as a statement, so code can treat the top like any container.
pub static ROOT: Stmt = container("", "Configuration root", TOP);

#[cfg(test)]
mod tests;
