//! Rendering a tree as Junos prints it: brace form (4-space indentation, `;` after leaves,
//! `inactive:` prefixes, `/* annotation */` lines) and `display set` lines.

use crate::resolve::{PathElem, Scope, path_words, scope_at};
use crate::schema::{ROOT, Stmt, ValueType};
use crate::tree::{Child, ConfigTree, Meta, Node, Value};

/// A value as written in configuration text: quoted (with `"` and `\` escaped) when needed.
pub fn quote(s: &str) -> String {
    if ValueType::needs_quotes(s) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    } else {
        s.to_string()
    }
}

fn leaf_list_text(values: &[String]) -> String {
    match values {
        [one] => quote(one),
        many => format!(
            "[ {} ]",
            many.iter().map(|v| quote(v)).collect::<Vec<_>>().join(" ")
        ),
    }
}

/// `name value` for a leaf-like child (no trailing `;`); `None` for containers and lists.
fn leaf_text(stmt: &Stmt, child: &Child) -> Option<String> {
    match &child.value {
        Value::Presence | Value::Leaf(None) => Some(stmt.name.to_string()),
        Value::Leaf(Some(v)) => Some(format!("{} {}", stmt.name, quote(v))),
        Value::LeafList(vs) => Some(format!("{} {}", stmt.name, leaf_list_text(vs))),
        Value::Container(_) | Value::List(_) => None,
    }
}

struct Brace<'o> {
    out: &'o mut String,
}

impl Brace<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn meta(&mut self, depth: usize, meta: &Meta) -> &'static str {
        if let Some(a) = &meta.annotation {
            self.line(depth, &format!("/* {a} */"));
        }
        if meta.inactive { "inactive: " } else { "" }
    }

    /// A statement with a body: `head;`, `head child value;` (one-line form) or a block.
    fn body(
        &mut self,
        depth: usize,
        meta: &Meta,
        head: &str,
        node: &Node,
        stmts: &'static [Stmt],
        oneline: bool,
    ) {
        let prefix = self.meta(depth, meta);
        if node.is_empty() {
            self.line(depth, &format!("{prefix}{head};"));
            return;
        }
        if oneline && let [only] = node.children.as_slice() {
            let stmt = &stmts[usize::from(only.idx)];
            if !only.meta.inactive
                && only.meta.annotation.is_none()
                && let Some(text) = leaf_text(stmt, only)
            {
                self.line(depth, &format!("{prefix}{head} {text};"));
                return;
            }
        }
        self.line(depth, &format!("{prefix}{head} {{"));
        self.node(depth + 1, node, stmts);
        self.line(depth, "}");
    }

    fn node(&mut self, depth: usize, node: &Node, stmts: &'static [Stmt]) {
        for child in &node.children {
            let stmt = &stmts[usize::from(child.idx)];
            match &child.value {
                Value::Container(n) => self.body(
                    depth,
                    &child.meta,
                    stmt.name,
                    n,
                    stmt.children,
                    stmt.oneline,
                ),
                Value::List(entries) => {
                    let grouped = stmt.is_grouped() && !stmt.name.is_empty();
                    let inner = if grouped {
                        let prefix = self.meta(depth, &child.meta);
                        self.line(depth, &format!("{prefix}{} {{", stmt.name));
                        depth + 1
                    } else {
                        depth
                    };
                    for (key, entry) in &entries.0 {
                        let head = entry_head(stmt, key);
                        let children = stmt.children_for(Some(key));
                        self.body(
                            inner,
                            &entry.meta,
                            &head,
                            &entry.node,
                            children,
                            stmt.oneline,
                        );
                    }
                    if grouped {
                        self.line(depth, "}");
                    }
                }
                _ => {
                    let prefix = self.meta(depth, &child.meta);
                    let text = leaf_text(stmt, child).unwrap_or_default();
                    self.line(depth, &format!("{prefix}{text};"));
                }
            }
        }
    }
}

/// The statements a node at `path` holds (the root for an empty path).
pub fn stmts_at(path: &[PathElem]) -> &'static [Stmt] {
    match scope_at(path) {
        Some(Scope::Stmts(s)) => s,
        _ => ROOT.children,
    }
}

/// Brace form of a whole tree.
pub fn brace(tree: &ConfigTree) -> String {
    brace_node(&tree.root, ROOT.children)
}

/// Brace form of one node's statements (for `show` at an edit level).
pub fn brace_node(node: &Node, stmts: &'static [Stmt]) -> String {
    let mut out = String::new();
    Brace { out: &mut out }.node(0, node, stmts);
    out
}

/// Brace form of a single child statement (with its `inactive:` and annotation).
pub fn brace_child(child: &Child, stmts: &'static [Stmt], depth: usize) -> String {
    let node = Node {
        children: vec![child.clone()],
    };
    let mut out = String::new();
    Brace { out: &mut out }.node(depth, &node, stmts);
    out
}

/// The head of a list entry: `term t1`, or the key alone inside a grouped list.
pub fn entry_head(stmt: &Stmt, key: &str) -> String {
    if stmt.is_grouped() {
        quote(key)
    } else {
        format!("{} {}", stmt.name, quote(key))
    }
}

/// Brace form of one list entry (with its `inactive:` and annotation).
pub fn brace_entry(stmt: &Stmt, key: &str, entry: &crate::tree::Entry, depth: usize) -> String {
    let mut out = String::new();
    Brace { out: &mut out }.body(
        depth,
        &entry.meta,
        &entry_head(stmt, key),
        &entry.node,
        stmt.children_for(Some(key)),
        stmt.oneline,
    );
    out
}

/// One line naming a statement with its body collapsed: `term t1 { ... }`, `host-name r1;`.
pub fn collapsed(stmt: &Stmt, child_value: &Value, key: Option<&str>) -> String {
    match (child_value, key) {
        (Value::List(_), Some(k)) => format!("{} {{ ... }}", entry_head(stmt, k)),
        (Value::Container(_), _) | (Value::List(_), None) => format!("{} {{ ... }}", stmt.name),
        _ => {
            let child = Child {
                idx: 0,
                meta: Meta::default(),
                value: child_value.clone(),
            };
            format!("{};", leaf_text(stmt, &child).unwrap_or_default())
        }
    }
}

struct SetLines<'o> {
    out: &'o mut String,
    words: Vec<String>,
}

impl SetLines<'_> {
    fn emit(&mut self, verb: &str, extra: &[String]) {
        self.out.push_str(verb);
        for w in self.words.iter().chain(extra) {
            self.out.push(' ');
            self.out.push_str(&quote(w));
        }
        self.out.push('\n');
    }

    fn body(&mut self, node: &Node, stmts: &'static [Stmt], meta: &Meta) {
        if node.is_empty() {
            self.emit("set", &[]);
        } else {
            self.node(node, stmts);
        }
        if meta.inactive {
            self.emit("deactivate", &[]);
        }
    }

    fn node(&mut self, node: &Node, stmts: &'static [Stmt]) {
        for child in &node.children {
            let stmt = &stmts[usize::from(child.idx)];
            let named = !stmt.name.is_empty();
            if named {
                self.words.push(stmt.name.to_string());
            }
            match &child.value {
                Value::Container(n) => self.body(n, stmt.children, &child.meta),
                Value::List(entries) => {
                    for (key, entry) in &entries.0 {
                        self.words.push(key.clone());
                        self.body(&entry.node, stmt.children_for(Some(key)), &entry.meta);
                        self.words.pop();
                    }
                    if child.meta.inactive && named {
                        self.emit("deactivate", &[]);
                    }
                }
                Value::Presence | Value::Leaf(None) => self.leaf(&[], &child.meta),
                Value::Leaf(Some(v)) => self.leaf(std::slice::from_ref(v), &child.meta),
                Value::LeafList(vs) => {
                    for v in vs {
                        self.emit("set", std::slice::from_ref(v));
                    }
                    if child.meta.inactive {
                        self.emit("deactivate", &[]);
                    }
                }
            }
            if named {
                self.words.pop();
            }
        }
    }

    fn leaf(&mut self, value: &[String], meta: &Meta) {
        self.emit("set", value);
        if meta.inactive {
            self.emit("deactivate", &[]);
        }
    }
}

/// `show | display set`: one `set` line per leaf, `deactivate` after each inactive subtree.
pub fn set_lines(tree: &ConfigTree) -> String {
    set_lines_at(&tree.root, &[])
}

/// `display set` of the node at `path`, with full paths in every line.
pub fn set_lines_at(node: &Node, path: &[PathElem]) -> String {
    let mut out = String::new();
    SetLines {
        out: &mut out,
        words: path_words(path),
    }
    .node(node, stmts_at(path));
    out
}
