//! Resolves words against the schema: a `set` line or a brace-form statement head becomes
//! assignments at schema paths; the target of `delete`, `activate`, `rename`... becomes a path.
//!
//! After a leaf, further words continue among its siblings, as Junos allows
//! (`route 10.0.0.0/8 next-hop 192.0.2.1 preference 7`).

use crate::error::{ErrorKind, LoadError};
use crate::parse::Token;
use crate::schema::{Kind, Lookup, ROOT, Stmt, lookup};

/// One step of a path: a statement by its index among its siblings, with the key for an entry
/// of a list (`None` addresses the list as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathElem {
    pub idx: u16,
    pub key: Option<String>,
}

/// What an assignment does at the end of its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assign {
    /// Create the container, list entry or presence statement.
    Create,
    /// Set a leaf (or an optional leaf's value, `None` for none).
    Value(Option<String>),
    /// Add values to a leaf-list.
    Values(Vec<String>),
}

/// One assignment: a path from the top of the configuration and what to do there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub path: Vec<PathElem>,
    pub assign: Assign,
}

/// Where a walk stands: among a container's statements, or among a list's keys
/// (inside `interfaces { ... }` every statement starts with an interface name).
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Stmts(&'static [Stmt]),
    Keys(&'static Stmt),
}

/// The result of resolving a statement head or `set` line.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub steps: Vec<Step>,
    /// The statement the words name first: `inactive:` and annotations apply to it.
    pub anchor: Vec<PathElem>,
    /// Where a following `{ ... }` block's statements go, when the words end in a container,
    /// a list entry or a grouped list.
    pub context: Option<(Vec<PathElem>, Scope)>,
}

/// The target of `delete`, `activate`, `deactivate`, `annotate`, `rename`, `copy`, `insert`,
/// `edit` and `show`: a path, and for leaves optionally a value (`delete ... protocol tcp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: Vec<PathElem>,
    pub values: Option<Vec<String>>,
}

/// Settings of a walk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Accept unambiguous prefixes of keywords (interactive commands).
    pub abbrev: bool,
}

/// The statements and scope at a path (from the top).
pub fn scope_at(path: &[PathElem]) -> Option<Scope> {
    let mut stmts: &'static [Stmt] = ROOT.children;
    let mut scope = Scope::Stmts(stmts);
    for elem in path {
        let stmt = stmts.get(usize::from(elem.idx))?;
        match (&stmt.kind, &elem.key) {
            (Kind::Container, _) => {
                stmts = stmt.children;
                scope = Scope::Stmts(stmts);
            }
            (Kind::List { .. }, Some(k)) => {
                stmts = stmt.children_for(Some(k));
                scope = Scope::Stmts(stmts);
            }
            (Kind::List { .. }, None) => scope = Scope::Keys(stmt),
            _ => return None,
        }
    }
    Some(scope)
}

/// The statement a path ends at.
pub fn stmt_at(path: &[PathElem]) -> Option<&'static Stmt> {
    let (last, parent) = path.split_last()?;
    match scope_at(parent)? {
        Scope::Stmts(stmts) => stmts.get(usize::from(last.idx)),
        Scope::Keys(_) => None,
    }
}

/// Words of a path as the user would type them (`interfaces ge-0/0/0 unit 0`).
pub fn path_words(path: &[PathElem]) -> Vec<String> {
    let mut words = Vec::new();
    let mut stmts: &'static [Stmt] = ROOT.children;
    for elem in path {
        let Some(stmt) = stmts.get(usize::from(elem.idx)) else {
            break;
        };
        if !stmt.name.is_empty() {
            words.push(stmt.name.to_string());
        }
        if let Some(k) = &elem.key {
            words.push(k.clone());
        }
        stmts = stmt.children_for(elem.key.as_deref());
    }
    words
}

fn unknown(tok: &Token, stmts: &'static [Stmt]) -> LoadError {
    let possible = stmts
        .iter()
        .filter(|s| !s.name.is_empty())
        .map(|s| s.name.to_string())
        .collect();
    LoadError::new(tok.offset, &tok.text, ErrorKind::Unknown { possible })
}

fn plain<'t>(tok: &'t Token, what: &Stmt) -> Result<&'t str, LoadError> {
    if tok.list.is_some() {
        return Err(LoadError::new(
            tok.offset,
            "[",
            ErrorKind::Invalid(format!("'{}' does not take a list of values", what.name)),
        ));
    }
    Ok(&tok.text)
}

fn check_value(tok: &Token, stmt: &Stmt, value: &str) -> Result<(), LoadError> {
    let ty = stmt
        .value_type()
        .expect("statements with values have a type");
    ty.check(value)
        .map_err(|msg| LoadError::new(tok.offset, value, ErrorKind::Value(msg)))
}

/// The anonymous list among `stmts` whose key accepts `word` (`prefix-list NAME { 10.0.0.0/8; }`).
fn anonymous(stmts: &'static [Stmt], word: &str) -> Option<usize> {
    stmts
        .iter()
        .position(|s| s.name.is_empty() && s.value_type().is_some_and(|t| t.check(word).is_ok()))
}

/// Finds the statement a word names in `stmts`.
fn find(stmts: &'static [Stmt], tok: &Token, opts: Options) -> Result<usize, LoadError> {
    if tok.list.is_some() || tok.quoted {
        return Err(unknown(tok, stmts));
    }
    match lookup(stmts, &tok.text, opts.abbrev) {
        Lookup::Found(i) => Ok(i),
        Lookup::Ambiguous(choices) => {
            if let Some(i) = anonymous(stmts, &tok.text) {
                return Ok(i);
            }
            Err(LoadError::new(
                tok.offset,
                &tok.text,
                ErrorKind::Ambiguous {
                    choices: choices.iter().map(|c| c.to_string()).collect(),
                },
            ))
        }
        Lookup::Unknown => anonymous(stmts, &tok.text).ok_or_else(|| unknown(tok, stmts)),
    }
}

/// Pushes a list entry, expanding `ge-0/0/0.0` to `ge-0/0/0 unit 0` where the list allows it.
fn push_entry(
    path: &mut Vec<PathElem>,
    idx: u16,
    stmt: &'static Stmt,
    tok: &Token,
    key: &str,
) -> Result<&'static [Stmt], LoadError> {
    check_value(tok, stmt, key)?;
    if stmt.unit_shorthand
        && let Some((name, unit)) = key.split_once('.')
    {
        let children = stmt.children_for(Some(name));
        let unit_idx = children.iter().position(|s| s.name == "unit");
        if let Some(u) = unit_idx {
            check_value(tok, &children[u], unit)?;
            path.push(PathElem {
                idx,
                key: Some(name.to_string()),
            });
            path.push(PathElem {
                idx: u as u16,
                key: Some(unit.to_string()),
            });
            return Ok(children[u].children_for(Some(unit)));
        }
    }
    path.push(PathElem {
        idx,
        key: Some(key.to_string()),
    });
    Ok(stmt.children_for(Some(key)))
}

/// Resolves a `set` line or a brace-form statement head, starting at `base` in `scope`.
/// `block` says a `{ ... }` follows, so the words may end at a list keyword (`interfaces {`).
pub fn resolve_statement(
    base: &[PathElem],
    scope: Scope,
    words: &[Token],
    block: bool,
    opts: Options,
) -> Result<Resolved, LoadError> {
    let mut path = base.to_vec();
    let mut steps = Vec::new();
    let mut anchor: Option<Vec<PathElem>> = None;
    let mut context = None;
    let mut i = 0;

    // Inside a list's keys the first word is an entry name.
    let mut stmts = match scope {
        Scope::Stmts(s) => s,
        Scope::Keys(list) => {
            let tok = words.first().ok_or_else(|| {
                LoadError::new(
                    0,
                    "",
                    ErrorKind::Missing(format!("missing {}", list.value_placeholder())),
                )
            })?;
            let key = plain(tok, list)?;
            let Some(last) = path.pop() else {
                return Err(LoadError::new(
                    tok.offset,
                    key,
                    ErrorKind::Invalid("invalid edit level".into()),
                ));
            };
            let children = push_entry(&mut path, last.idx, list, tok, key)?;
            i = 1;
            anchor = Some(path.clone());
            if words.len() == 1 {
                steps.push(Step {
                    path: path.clone(),
                    assign: Assign::Create,
                });
                context = Some((path.clone(), Scope::Stmts(children)));
            }
            children
        }
    };
    if words.is_empty() {
        return Ok(Resolved {
            steps,
            anchor: path.clone(),
            context: Some((path, scope)),
        });
    }

    // After a leaf, `path` and `stmts` still name its container: the next words are siblings.
    while i < words.len() {
        let tok = &words[i];
        let idx = find(stmts, tok, opts)?;
        let stmt = &stmts[idx];
        let idx16 = idx as u16;
        let next = words.get(i + 1);
        match stmt.kind {
            Kind::Container => {
                path.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                stmts = stmt.children;
                i += 1;
                if i == words.len() {
                    steps.push(Step {
                        path: path.clone(),
                        assign: Assign::Create,
                    });
                    context = Some((path.clone(), Scope::Stmts(stmts)));
                }
            }
            Kind::Presence => {
                let mut p = path.clone();
                p.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                steps.push(Step {
                    path: p,
                    assign: Assign::Create,
                });
                i += 1;
            }
            Kind::Leaf(_) => {
                let Some(vtok) = next else {
                    return Err(LoadError::new(
                        tok.offset,
                        &tok.text,
                        ErrorKind::Missing(format!(
                            "missing argument: {}",
                            stmt.value_placeholder()
                        )),
                    ));
                };
                let v = plain(vtok, stmt)?;
                check_value(vtok, stmt, v)?;
                let mut p = path.clone();
                p.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                steps.push(Step {
                    path: p,
                    assign: Assign::Value(Some(v.to_string())),
                });
                i += 2;
            }
            Kind::OptionalLeaf(ty) => {
                let value = next.filter(|t| t.list.is_none() && ty.check(&t.text).is_ok());
                let mut p = path.clone();
                p.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                steps.push(Step {
                    path: p,
                    assign: Assign::Value(value.map(|t| t.text.clone())),
                });
                i += if value.is_some() { 2 } else { 1 };
            }
            Kind::LeafList(_) => {
                let Some(vtok) = next else {
                    return Err(LoadError::new(
                        tok.offset,
                        &tok.text,
                        ErrorKind::Missing(format!(
                            "missing argument: {}",
                            stmt.value_placeholder()
                        )),
                    ));
                };
                let values: Vec<String> = match &vtok.list {
                    Some(items) => {
                        for it in items {
                            check_value(it, stmt, &it.text)?;
                        }
                        items.iter().map(|t| t.text.clone()).collect()
                    }
                    None => {
                        check_value(vtok, stmt, &vtok.text)?;
                        vec![vtok.text.clone()]
                    }
                };
                let mut p = path.clone();
                p.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                steps.push(Step {
                    path: p,
                    assign: Assign::Values(values),
                });
                i += 2;
            }
            Kind::List { .. } => {
                // An anonymous list's word is its key.
                let (key_tok, consumed) = if stmt.name.is_empty() {
                    (Some(tok), 1)
                } else {
                    (next, 2)
                };
                match key_tok {
                    None if block && i + 1 == words.len() => {
                        path.push(PathElem {
                            idx: idx16,
                            key: None,
                        });
                        context = Some((path.clone(), Scope::Keys(stmt)));
                        if anchor.is_none() {
                            anchor = Some(path.clone());
                        }
                        i += 1;
                        continue;
                    }
                    None => {
                        return Err(LoadError::new(
                            tok.offset,
                            &tok.text,
                            ErrorKind::Missing(format!(
                                "missing argument: {}",
                                stmt.value_placeholder()
                            )),
                        ));
                    }
                    Some(ktok) => {
                        let key = plain(ktok, stmt)?;
                        stmts = push_entry(&mut path, idx16, stmt, ktok, key)?;
                        i += consumed;
                        if anchor.is_none() {
                            anchor = Some(path.clone());
                        }
                        if i == words.len() {
                            steps.push(Step {
                                path: path.clone(),
                                assign: Assign::Create,
                            });
                            context = Some((path.clone(), Scope::Stmts(stmts)));
                        }
                        continue;
                    }
                }
            }
        }
        if anchor.is_none() {
            anchor = Some(
                steps
                    .last()
                    .map_or_else(|| path.clone(), |s| s.path.clone()),
            );
        }
    }
    let anchor = anchor.unwrap_or_else(|| path.clone());
    Ok(Resolved {
        steps,
        anchor,
        context,
    })
}

/// Resolves the target of a command that names an existing statement.
pub fn resolve_target(
    base: &[PathElem],
    scope: Scope,
    words: &[Token],
    opts: Options,
) -> Result<Target, LoadError> {
    let mut path = base.to_vec();
    let mut stmts = match scope {
        Scope::Stmts(s) => s,
        Scope::Keys(list) => {
            let Some(tok) = words.first() else {
                return Ok(Target { path, values: None });
            };
            let key = plain(tok, list)?;
            let Some(last) = path.pop() else {
                return Err(LoadError::new(
                    tok.offset,
                    key,
                    ErrorKind::Invalid("invalid edit level".into()),
                ));
            };
            let children = push_entry(&mut path, last.idx, list, tok, key)?;
            return resolve_target(&path.clone(), Scope::Stmts(children), &words[1..], opts);
        }
    };
    let mut i = 0;
    while i < words.len() {
        let tok = &words[i];
        let idx = find(stmts, tok, opts)?;
        let stmt = &stmts[idx];
        let idx16 = idx as u16;
        let rest = &words[i + 1..];
        match stmt.kind {
            Kind::Container => {
                path.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                stmts = stmt.children;
                i += 1;
            }
            Kind::List { .. } => {
                let key_tok = if stmt.name.is_empty() {
                    Some(tok)
                } else {
                    rest.first()
                };
                match key_tok {
                    None => {
                        path.push(PathElem {
                            idx: idx16,
                            key: None,
                        });
                        i += 1;
                    }
                    Some(ktok) => {
                        let key = plain(ktok, stmt)?;
                        stmts = push_entry(&mut path, idx16, stmt, ktok, key)?;
                        i += if stmt.name.is_empty() { 1 } else { 2 };
                    }
                }
            }
            Kind::Presence => {
                path.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                i += 1;
            }
            Kind::Leaf(_) | Kind::OptionalLeaf(_) | Kind::LeafList(_) => {
                path.push(PathElem {
                    idx: idx16,
                    key: None,
                });
                let values = rest.first().map(|v| match &v.list {
                    Some(items) => items.iter().map(|t| t.text.clone()).collect(),
                    None => vec![v.text.clone()],
                });
                let used = 1 + usize::from(values.is_some());
                if i + used < words.len() {
                    let extra = &words[i + used];
                    return Err(LoadError::new(
                        extra.offset,
                        &extra.text,
                        ErrorKind::Syntax(String::new()),
                    ));
                }
                return Ok(Target { path, values });
            }
        }
        if i < words.len() && !stmt.has_children() {
            let extra = &words[i];
            return Err(LoadError::new(
                extra.offset,
                &extra.text,
                ErrorKind::Syntax(String::new()),
            ));
        }
    }
    Ok(Target { path, values: None })
}

/// A choice `?` shows and Tab completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The keyword, or `<placeholder>` for a value.
    pub name: String,
    pub help: String,
    /// `>` before containers and lists, `+` before leaf-lists.
    pub marker: Option<char>,
}

impl Completion {
    fn of(stmt: &Stmt) -> Option<Completion> {
        if stmt.name.is_empty() {
            return Some(Completion {
                name: stmt.value_placeholder(),
                help: stmt.help.to_string(),
                marker: None,
            });
        }
        let marker = match stmt.kind {
            Kind::Container | Kind::List { .. } => Some('>'),
            Kind::LeafList(_) => Some('+'),
            _ => None,
        };
        Some(Completion {
            name: stmt.name.to_string(),
            help: stmt.help_with_range(),
            marker,
        })
    }

    fn value(stmt: &Stmt) -> Vec<Completion> {
        let mut out = Vec::new();
        let ty = stmt.value_type();
        let keywords = ty.map(|t| t.keywords()).unwrap_or_default();
        let is_enum = matches!(ty, Some(crate::schema::ValueType::Enum(_)));
        if !is_enum {
            let help = match ty.and_then(|t| t.range_text()) {
                Some(r) => format!("{} ({r})", stmt.help),
                None => stmt.help.to_string(),
            };
            out.push(Completion {
                name: stmt.value_placeholder(),
                help,
                marker: None,
            });
        }
        out.extend(keywords.into_iter().map(|(k, h)| Completion {
            name: k.to_string(),
            help: h.to_string(),
            marker: None,
        }));
        out
    }
}

/// What may follow `words` (all complete) at `scope`: the statements or values `?` lists,
/// and whether the words so far form a complete statement (`<[Enter]>`).
pub fn completions(scope: Scope, words: &[Token], opts: Options) -> (Vec<Completion>, bool) {
    let mut stmts = match scope {
        Scope::Stmts(s) => s,
        Scope::Keys(list) => {
            if words.is_empty() {
                return (Completion::value(list), false);
            }
            list.children_for(words.first().map(|t| t.text.as_str()))
        }
    };
    let mut i = usize::from(matches!(scope, Scope::Keys(_)));
    let mut complete = i > 0;
    while i < words.len() {
        let Ok(idx) = find(stmts, &words[i], opts) else {
            return (Vec::new(), false);
        };
        let stmt = &stmts[idx];
        let has_next = i + 1 < words.len();
        match stmt.kind {
            Kind::Container => {
                stmts = stmt.children;
                i += 1;
                complete = true;
            }
            Kind::Presence => {
                i += 1;
                complete = true;
            }
            Kind::OptionalLeaf(ty) => {
                let takes = has_next && ty.check(&words[i + 1].text).is_ok();
                if !has_next {
                    let mut c = Completion::value(stmt);
                    c.extend(stmts.iter().filter_map(Completion::of));
                    return (c, true);
                }
                i += 1 + usize::from(takes);
                complete = true;
            }
            Kind::Leaf(_) | Kind::LeafList(_) => {
                if !has_next {
                    return (Completion::value(stmt), false);
                }
                i += 2;
                complete = true;
            }
            Kind::List { .. } if stmt.name.is_empty() => {
                stmts = stmt.children_for(Some(&words[i].text));
                i += 1;
                complete = true;
            }
            Kind::List { .. } => {
                if !has_next {
                    return (Completion::value(stmt), false);
                }
                let key = &words[i + 1].text;
                stmts = stmt.children_for(Some(key));
                if stmt.unit_shorthand
                    && let Some((name, unit)) = key.split_once('.')
                {
                    let children = stmt.children_for(Some(name));
                    if let Some(u) = children.iter().find(|s| s.name == "unit") {
                        stmts = u.children_for(Some(unit));
                    }
                }
                i += 2;
                complete = true;
            }
        }
    }
    (stmts.iter().filter_map(Completion::of).collect(), complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_command;

    fn after(line: &str) -> (Vec<(String, Option<char>, String)>, bool) {
        let Some(crate::parse::RawCommand::Set(words)) = parse_command(line).unwrap() else {
            panic!("not a set command: {line}")
        };
        let (c, complete) = completions(
            Scope::Stmts(ROOT.children),
            &words,
            Options { abbrev: true },
        );
        (
            c.into_iter().map(|c| (c.name, c.marker, c.help)).collect(),
            complete,
        )
    }

    fn names(line: &str) -> Vec<String> {
        after(line).0.into_iter().map(|(n, _, _)| n).collect()
    }

    #[test]
    fn statements_of_a_container_with_markers_and_ranges() {
        let (c, complete) = after("set forwarding-options sampling input");
        assert!(complete, "`set ... input` alone is a complete command");
        assert_eq!(
            c,
            [
                ("rate".into(), None, "Sampling rate (1..16000000)".into()),
                (
                    "run-length".into(),
                    None,
                    "Number of samples after initial trigger (0..20) (default 0)".into()
                ),
                (
                    "max-packets-per-second".into(),
                    None,
                    "Threshold of samples per second before dropping (0..65535) (default 1000)"
                        .into()
                ),
                (
                    "maximum-packet-length".into(),
                    None,
                    "Maximum length of the sampled packet (0..9192)".into()
                ),
            ]
        );
    }

    #[test]
    fn containers_and_lists_are_marked_and_leaf_lists_plussed() {
        let (c, _) = after("set firewall family inet filter f term t from");
        let marker = |n: &str| c.iter().find(|(name, _, _)| name == n).unwrap().1;
        assert_eq!(marker("source-address"), Some('>'));
        assert_eq!(marker("protocol"), Some('+'));
        assert_eq!(marker("tcp-flags"), None);
    }

    #[test]
    fn a_value_position_shows_its_placeholder_and_keywords() {
        let (c, complete) = after("set forwarding-options sampling input rate");
        assert!(!complete);
        assert_eq!(
            c,
            [("<rate>".into(), None, "Sampling rate (1..16000000)".into())]
        );
        let protocols = names("set firewall filter f term t from protocol");
        assert_eq!(protocols[0], "<protocol>");
        assert!(protocols.contains(&"tcp".to_string()) && protocols.contains(&"udp".to_string()));
    }

    #[test]
    fn list_keys_show_their_placeholder() {
        assert_eq!(names("set interfaces"), ["<interface-name>"]);
        assert_eq!(names("set firewall family inet filter"), ["<filter-name>"]);
        assert_eq!(names("set firewall family"), ["inet", "inet6"]);
    }

    #[test]
    fn after_a_leaf_the_siblings_follow() {
        let c = names("set forwarding-options sampling input rate 10");
        assert_eq!(
            c,
            [
                "rate",
                "run-length",
                "max-packets-per-second",
                "maximum-packet-length"
            ]
        );
    }

    #[test]
    fn shorthand_units_complete_inside_the_unit() {
        let c = names("set interfaces ge-0/0/0.0");
        assert!(
            c.contains(&"family".to_string()) && c.contains(&"vlan-id".to_string()),
            "{c:?}"
        );
    }

    #[test]
    fn abbreviated_words_are_followed() {
        assert_eq!(names("set forw samp inp rate 1")[0], "rate");
    }

    #[test]
    fn an_unknown_word_has_no_completions() {
        assert!(names("set bogus").is_empty());
    }

    #[test]
    fn every_statement_path_resolves_to_its_schema_statement() {
        let words = parse_command(
            "set services flow-monitoring version9 template t1 template-refresh-rate packets 10",
        )
        .unwrap();
        let Some(crate::parse::RawCommand::Set(words)) = words else {
            panic!()
        };
        let r = resolve_statement(
            &[],
            Scope::Stmts(ROOT.children),
            &words,
            false,
            Options::default(),
        )
        .unwrap();
        let leaf = &r.steps[0].path;
        assert_eq!(stmt_at(leaf).unwrap().name, "packets");
        assert_eq!(
            path_words(leaf),
            [
                "services",
                "flow-monitoring",
                "version9",
                "template",
                "t1",
                "template-refresh-rate",
                "packets"
            ]
        );
    }
}
