//! `show | compare`: the differences between two trees in Junos format — `[edit PATH]`
//! headers, then `-` / `+` lines (and `!` for statements whose `inactive:` changed).
//!
//! Junos indents a hunk by the XML depth E of its first changed statement: E spaces after the
//! marker for a leaf, E + 1 for a container or list entry; nested lines add 4 per level.

use crate::render::{brace_child, brace_entry, collapsed, quote};
use crate::schema::{ROOT, Stmt};
use crate::tree::{Child, ConfigTree, Entry, Node, Value};

struct Differ {
    out: String,
    /// The header of the hunk being written, `None` after an unchanged statement broke it.
    open: Option<String>,
    /// The indentation of the hunk's first line, shared by the hunk.
    base: usize,
}

impl Differ {
    fn header(&mut self, header: &str, spaces: usize) {
        if self.open.as_deref() != Some(header) {
            self.out.push_str(header);
            self.out.push('\n');
            self.open = Some(header.to_string());
            self.base = spaces;
        }
    }

    fn lines(&mut self, header: &str, spaces: usize, marker: char, text: &str) {
        self.header(header, spaces);
        for line in text.lines() {
            self.out.push(marker);
            for _ in 0..self.base {
                self.out.push(' ');
            }
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    fn unchanged(&mut self) {
        self.open = None;
    }
}

/// XML elements one list entry adds: `interfaces/interface`, `family/inet` count two.
fn entry_levels(stmt: &Stmt) -> usize {
    if stmt.element.is_some() && !stmt.name.is_empty() || stmt.is_family() {
        2
    } else {
        1
    }
}

fn header_text(words: &[String]) -> String {
    if words.is_empty() {
        "[edit]".to_string()
    } else {
        format!("[edit {}]", words.join(" "))
    }
}

fn leaf_like(v: &Value) -> bool {
    matches!(v, Value::Presence | Value::Leaf(_) | Value::LeafList(_))
}

fn diff_nodes(
    d: &mut Differ,
    old: &Node,
    new: &Node,
    stmts: &'static [Stmt],
    words: &mut Vec<String>,
    depth: usize,
) {
    let header = header_text(words);
    let (mut i, mut j) = (0, 0);
    while i < old.children.len() || j < new.children.len() {
        let a = old.children.get(i);
        let b = new.children.get(j);
        match (a, b) {
            (Some(x), Some(y)) if x.idx == y.idx => {
                diff_child(d, x, y, stmts, words, depth, &header);
                i += 1;
                j += 1;
            }
            (Some(x), y) if y.is_none_or(|y| x.idx < y.idx) => {
                removed_or_added(d, x, stmts, depth, &header, '-');
                i += 1;
            }
            (_, Some(y)) => {
                removed_or_added(d, y, stmts, depth, &header, '+');
                j += 1;
            }
            _ => break,
        }
    }
}

fn child_spaces(child: &Child, depth: usize) -> usize {
    let e = depth + 1;
    if leaf_like(&child.value) { e } else { e + 1 }
}

fn removed_or_added(
    d: &mut Differ,
    child: &Child,
    stmts: &'static [Stmt],
    depth: usize,
    header: &str,
    marker: char,
) {
    let stmt = &stmts[usize::from(child.idx)];
    if let (Value::List(entries), false) =
        (&child.value, stmt.is_grouped() && !stmt.name.is_empty())
    {
        // Each entry of a keyword-per-entry list is its own statement.
        for (k, e) in &entries.0 {
            let spaces = depth + entry_levels(stmt) + 1;
            d.lines(header, spaces, marker, &brace_entry(stmt, k, e, 0));
        }
        return;
    }
    let spaces = child_spaces(child, depth);
    d.lines(header, spaces, marker, &brace_child(child, stmts, 0));
}

fn diff_child(
    d: &mut Differ,
    old: &Child,
    new: &Child,
    stmts: &'static [Stmt],
    words: &mut Vec<String>,
    depth: usize,
    header: &str,
) {
    let stmt = &stmts[usize::from(old.idx)];
    if old.meta.annotation != new.meta.annotation {
        let spaces = child_spaces(new, depth);
        if let Some(a) = &old.meta.annotation {
            d.lines(header, spaces, '-', &format!("/* {a} */"));
        }
        if let Some(a) = &new.meta.annotation {
            d.lines(header, spaces, '+', &format!("/* {a} */"));
        }
    }
    if old.meta.inactive != new.meta.inactive {
        let state = if new.meta.inactive {
            "inactive: "
        } else {
            "active: "
        };
        let spaces = child_spaces(new, depth) + 1;
        d.lines(
            header,
            spaces,
            '!',
            &format!("{state}{}", collapsed(stmt, &new.value, None)),
        );
    }
    match (&old.value, &new.value) {
        (Value::Container(a), Value::Container(b)) => {
            words.push(stmt.name.to_string());
            diff_nodes(d, a, b, stmt.children, words, depth + 1);
            words.pop();
        }
        (Value::List(a), Value::List(b)) => {
            let named_wrapper = stmt.is_grouped() && !stmt.name.is_empty();
            if named_wrapper {
                words.push(stmt.name.to_string());
            }
            diff_entries(d, stmt, &a.0, &b.0, words, depth);
            if named_wrapper {
                words.pop();
            }
        }
        (a, b) if a != b => {
            let spaces = child_spaces(new, depth);
            d.lines(header, spaces, '-', &brace_child(old, stmts, 0));
            d.lines(header, spaces, '+', &brace_child(new, stmts, 0));
        }
        _ => d.unchanged(),
    }
}

type EntryMap = indexmap::IndexMap<String, Entry>;

fn diff_entries(
    d: &mut Differ,
    stmt: &'static Stmt,
    old: &EntryMap,
    new: &EntryMap,
    words: &mut Vec<String>,
    depth: usize,
) {
    let header = header_text(words);
    let spaces = depth + entry_levels(stmt) + 1;
    // Entries whose relative order changed are shown as removed and added again.
    let old_order: Vec<&String> = old.keys().filter(|k| new.contains_key(*k)).collect();
    let new_order: Vec<&String> = new.keys().filter(|k| old.contains_key(*k)).collect();
    let moved = |k: &String| -> bool {
        stmt.ordered
            && old_order.iter().position(|x| *x == k) != new_order.iter().position(|x| *x == k)
    };
    for (k, e) in old {
        if !new.contains_key(k) || moved(k) {
            d.lines(&header, spaces, '-', &brace_entry(stmt, k, e, 0));
        }
    }
    let mut previous: Option<&String> = None;
    for (k, e) in new {
        match old.get(k) {
            Some(o) if !moved(k) => {
                if o.meta.inactive != e.meta.inactive {
                    let state = if e.meta.inactive {
                        "inactive: "
                    } else {
                        "active: "
                    };
                    d.lines(
                        &header,
                        spaces + 1,
                        '!',
                        &format!("{state}{} {{ ... }}", crate::render::entry_head(stmt, k)),
                    );
                }
                if o.meta.annotation != e.meta.annotation {
                    if let Some(a) = &o.meta.annotation {
                        d.lines(&header, spaces, '-', &format!("/* {a} */"));
                    }
                    if let Some(a) = &e.meta.annotation {
                        d.lines(&header, spaces, '+', &format!("/* {a} */"));
                    }
                }
                let entry_words = if stmt.is_grouped() {
                    vec![quote(k)]
                } else {
                    vec![stmt.name.to_string(), quote(k)]
                };
                let n = entry_words.len();
                words.extend(entry_words);
                diff_nodes(
                    d,
                    &o.node,
                    &e.node,
                    stmt.children_for(Some(k)),
                    words,
                    depth + entry_levels(stmt),
                );
                words.truncate(words.len() - n);
                d.unchanged();
            }
            _ => {
                if stmt.ordered
                    && let Some(p) = previous
                {
                    // Where an ordered entry lands matters: show its predecessor as context.
                    if d.open.as_deref() != Some(header.as_str()) || !d.out.ends_with("}\n") {
                        d.header(&header, spaces);
                        d.out.push(' ');
                        for _ in 0..d.base {
                            d.out.push(' ');
                        }
                        d.out.push_str(&format!(
                            "{} {{ ... }}\n",
                            crate::render::entry_head(stmt, p)
                        ));
                    }
                }
                d.lines(&header, spaces, '+', &brace_entry(stmt, k, e, 0));
            }
        }
        previous = Some(k);
    }
}

/// `show | compare` of a candidate against the committed tree. Empty when they are equal.
pub fn compare(committed: &ConfigTree, candidate: &ConfigTree) -> String {
    let mut d = Differ {
        out: String::new(),
        open: None,
        base: 0,
    };
    diff_nodes(
        &mut d,
        &committed.root,
        &candidate.root,
        ROOT.children,
        &mut Vec::new(),
        0,
    );
    d.out
}
