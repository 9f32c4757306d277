//! Loading configuration text (brace form or `set` lines) into a tree, collecting every error.

use crate::edit::execute;
use crate::error::{EditError, ErrorKind, LoadError, line_col};
use crate::parse::{Modifier, RawStatement, looks_like_set_form, parse_config, parse_set_file};
use crate::resolve::{Options, PathElem, Scope, path_words, resolve_statement};
use crate::schema::ROOT;
use crate::tree::ConfigTree;

/// The two text forms of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Brace,
    Set,
}

/// A loaded configuration and the statements marked `replace:` (for `load replace`).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub tree: ConfigTree,
    pub replace: Vec<Vec<PathElem>>,
}

/// Load errors, with what is needed to print them Junos style.
#[derive(Debug, Clone)]
pub struct LoadErrors {
    pub form: Form,
    pub errors: Vec<(LoadError, Option<StatementContext>)>,
}

/// Where an error stands: the `[edit ...]` path and the statement as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementContext {
    pub edit_path: String,
    pub statement: String,
}

impl LoadErrors {
    /// Junos load output for every error:
    /// `FILE:LINE:(COL) syntax error: TOKEN`, then `  [edit PATH]`, `    'statement'`, `      message`.
    pub fn render(&self, source: &str, text: &str) -> String {
        let mut out = String::new();
        for (err, ctx) in &self.errors {
            let lc = line_col(text, err.offset);
            // Junos counts columns from 0: set lines report the token's start, brace text its end.
            let col = match self.form {
                Form::Set => lc.col - 1,
                Form::Brace => lc.col - 1 + err.token.chars().count(),
            };
            out.push_str(&format!("{source}:{}:({col}) {}", lc.line, err.headline()));
            if let ErrorKind::Value(_) = err.kind {
                out.push_str(&format!(" at '{}'", err.token));
            }
            out.push('\n');
            for d in err.details() {
                out.push_str(&format!("  {d}\n"));
            }
            if let Some(ctx) = ctx {
                out.push_str(&format!(
                    "  [edit{}]\n    '{}'\n",
                    ctx.edit_path, ctx.statement
                ));
                let short = match &err.kind {
                    ErrorKind::Syntax(_)
                    | ErrorKind::Unknown { .. }
                    | ErrorKind::Ambiguous { .. } => "syntax error".to_string(),
                    ErrorKind::Value(m) | ErrorKind::Missing(m) | ErrorKind::Invalid(m) => {
                        m.clone()
                    }
                };
                out.push_str(&format!("      {short}\n"));
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Loads text in either form (detected from its first statement).
pub fn load_text(text: &str) -> Result<Loaded, LoadErrors> {
    if looks_like_set_form(text) {
        load_set(text)
    } else {
        load_brace(text)
    }
}

fn edit_path_text(path: &[PathElem]) -> String {
    path_words(path)
        .iter()
        .map(|w| format!(" {}", crate::render::quote(w)))
        .collect()
}

fn statement_text(st: &RawStatement) -> String {
    let mut words: Vec<String> = st
        .words
        .iter()
        .map(|t| match &t.list {
            Some(items) => format!(
                "[ {} ]",
                items
                    .iter()
                    .map(|i| crate::render::quote(&i.text))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            None => crate::render::quote(&t.text),
        })
        .collect();
    if st.block.is_some() {
        words.push("{".into());
        words.join(" ")
    } else {
        format!("{};", words.join(" "))
    }
}

/// Loads brace-form text.
pub fn load_brace(text: &str) -> Result<Loaded, LoadErrors> {
    let statements = parse_config(text).map_err(|e| LoadErrors {
        form: Form::Brace,
        errors: vec![(e, None)],
    })?;
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    load_block(
        &mut loaded,
        &[],
        Scope::Stmts(ROOT.children),
        &statements,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(LoadErrors {
            form: Form::Brace,
            errors,
        })
    }
}

fn load_block(
    loaded: &mut Loaded,
    base: &[PathElem],
    scope: Scope,
    statements: &[RawStatement],
    errors: &mut Vec<(LoadError, Option<StatementContext>)>,
) {
    for st in statements {
        let context = || StatementContext {
            edit_path: edit_path_text(base),
            statement: statement_text(st),
        };
        let resolved = match resolve_statement(
            base,
            scope,
            &st.words,
            st.block.is_some(),
            Options::default(),
        ) {
            Ok(r) => r,
            Err(e) => {
                errors.push((e, Some(context())));
                continue;
            }
        };
        for step in &resolved.steps {
            loaded.tree.apply(step);
        }
        if let Some(block) = &st.block {
            match &resolved.context {
                Some((path, inner)) => load_block(loaded, path, *inner, block, errors),
                None => {
                    let tok = st.words.last().map_or("", |t| t.text.as_str());
                    let offset = st.words.last().map_or(0, |t| t.offset);
                    errors.push((
                        LoadError::new(
                            offset,
                            tok,
                            ErrorKind::Invalid("statement does not take a block".into()),
                        ),
                        Some(context()),
                    ));
                    continue;
                }
            }
        }
        let anchor = &resolved.anchor;
        if st.modifier == Some(Modifier::Inactive) || st.annotation.is_some() {
            if !loaded.tree.exists(anchor) {
                // `inactive: interfaces { }` with nothing inside: nothing to mark.
                continue;
            }
            if st.modifier == Some(Modifier::Inactive) {
                let _ = loaded.tree.set_inactive(anchor, true);
            }
            if let Some(a) = &st.annotation {
                let _ = loaded.tree.annotate(anchor, Some(a.clone()));
            }
        }
        if st.modifier == Some(Modifier::Replace) {
            loaded.replace.push(anchor.clone());
        }
    }
}

/// Loads `set` lines (and `delete`, `activate`, `deactivate`... as `display set` prints them).
pub fn load_set(text: &str) -> Result<Loaded, LoadErrors> {
    let commands = parse_set_file(text).map_err(|e| LoadErrors {
        form: Form::Set,
        errors: vec![(e, None)],
    })?;
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    for cmd in &commands {
        match execute(&mut loaded.tree, &[], cmd, Options::default()) {
            Ok(_) => {}
            Err(EditError::Load(e)) => errors.push((e, None)),
            Err(e) => {
                let offset = crate::edit::command_offset(cmd);
                errors.push((
                    LoadError::new(offset, "", ErrorKind::Invalid(e.to_string())),
                    None,
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(LoadErrors {
            form: Form::Set,
            errors,
        })
    }
}

/// How `load` combines a loaded text with the candidate configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Add the loaded statements; their leaves replace the candidate's.
    Merge,
    /// The loaded text becomes the whole candidate.
    Override,
    /// Statements marked `replace:` replace the candidate's statement at that path; the rest merges.
    Replace,
}

/// Applies a loaded text to the candidate. The caller only calls this when loading succeeded,
/// so a text with errors never changes the candidate.
pub fn apply(candidate: &mut ConfigTree, mode: LoadMode, loaded: &Loaded) {
    match mode {
        LoadMode::Override => *candidate = loaded.tree.clone(),
        LoadMode::Merge => candidate.merge(&loaded.tree),
        LoadMode::Replace => {
            for path in &loaded.replace {
                let _ = candidate.delete(&crate::resolve::Target {
                    path: path.clone(),
                    values: None,
                });
            }
            candidate.merge(&loaded.tree);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::set_lines;

    fn loaded(text: &str) -> Loaded {
        load_text(text).map_err(|e| e.render("t", text)).unwrap()
    }

    const CANDIDATE: &str = "system { host-name a; domain-name example.net; }\n\
                             firewall { filter f { term x { then accept; } term y { then discard; } } }\n";

    #[test]
    fn merge_keeps_the_candidate_and_adds() {
        let mut c = loaded(CANDIDATE).tree;
        apply(
            &mut c,
            LoadMode::Merge,
            &loaded("system { host-name b; }\n"),
        );
        assert_eq!(
            set_lines(&c),
            "set system host-name b\nset system domain-name example.net\n\
             set firewall filter f term x then accept\nset firewall filter f term y then discard\n"
        );
    }

    #[test]
    fn override_replaces_everything() {
        let mut c = loaded(CANDIDATE).tree;
        apply(
            &mut c,
            LoadMode::Override,
            &loaded("system { host-name b; }\n"),
        );
        assert_eq!(set_lines(&c), "set system host-name b\n");
    }

    #[test]
    fn replace_swaps_only_the_marked_statements() {
        let mut c = loaded(CANDIDATE).tree;
        let text =
            "system { host-name b; }\nfirewall { replace: filter f { term z { then accept; } } }\n";
        apply(&mut c, LoadMode::Replace, &loaded(text));
        assert_eq!(
            set_lines(&c),
            "set system host-name b\nset system domain-name example.net\n\
             set firewall filter f term z then accept\n"
        );
    }

    #[test]
    fn a_text_with_errors_reports_them_all_and_yields_no_tree() {
        let err = load_text(
            "system { host-name a; bogus 1; }\nfirewall { filter f { term t { then frob; } } }\n",
        )
        .unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(err.form, Form::Brace);
    }
}
