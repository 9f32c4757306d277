//! Configuration-mode commands beyond the grammar's edits: show, commit, rollback, load, save.

use flowsh_grammar::check::render_errors;
use flowsh_grammar::load::{Form, LoadErrors, LoadMode, StatementContext, apply};
use flowsh_grammar::parse::parse_set_file;
use flowsh_grammar::resolve::{Options, PathElem, path_words, resolve_target, scope_at};
use flowsh_grammar::{ConfigTree, EditError, ErrorKind, LoadError, execute, json, render};

use crate::commands::tokens;
use crate::commands::tree::{Found, LoadVerb, find};
use crate::lex::Word;
use crate::pipe::Stage;
use crate::session::{Reply, Session, shown_node};

/// A tree holding only what lies on `path` and below it (for `| display json` of a part).
fn only_path(tree: &ConfigTree, path: &[PathElem]) -> ConfigTree {
    let mut out = tree.clone();
    let mut node = &mut out.root;
    for elem in path {
        node.children.retain(|c| c.idx == elem.idx);
        let Some(child) = node.children.first_mut() else {
            break;
        };
        node = match (&mut child.value, &elem.key) {
            (flowsh_grammar::tree::Value::Container(n), None) => n,
            (flowsh_grammar::tree::Value::List(e), Some(k)) => {
                e.0.retain(|key, _| key == k);
                match e.0.get_mut(k.as_str()) {
                    Some(entry) => &mut entry.node,
                    None => break,
                }
            }
            _ => break,
        };
    }
    out
}

/// The configuration at `path` as the display stages ask: brace form, set lines or JSON.
pub fn render_config(tree: &ConfigTree, path: &[PathElem], stages: &[Stage]) -> String {
    let Some((node, at)) = shown_node(tree, path) else {
        return String::new();
    };
    if stages.iter().any(|s| matches!(s, Stage::DisplayJson)) {
        return json::render(&only_path(tree, path)) + "\n";
    }
    if stages.iter().any(|s| matches!(s, Stage::DisplaySet)) {
        return render::set_lines_at(&node, &at);
    }
    render::brace_node(&node, render::stmts_at(&at))
}

/// `show [PATH]` in configuration mode: the candidate at the edit level.
pub fn show(s: &mut Session, line: &str, args: &[Word], stages: &[Stage]) -> Reply {
    let level = s.level().to_vec();
    let Some(scope) = scope_at(&level) else {
        return Reply::fail("error: invalid edit level\n");
    };
    let target = match resolve_target(&level, scope, &tokens(args), Options { abbrev: true }) {
        Ok(t) => t,
        Err(e) => return Reply::fail(s.grammar_error(line, e.offset, &e)),
    };
    let candidate = s.candidate();
    if let Some(Stage::Compare(n)) = stages.iter().find(|st| matches!(st, Stage::Compare(_))) {
        let old = match n {
            None => s.committed(),
            Some(n) => match s.db.rollback(*n) {
                Ok((_, t)) => t,
                Err(e) => return Reply::fail(format!("error: {e}\n")),
            },
        };
        let diff = flowsh_grammar::diff::compare(&old, &candidate);
        return Reply::ok(filter_hunks(&diff, &target.path));
    }
    Reply::ok(render_config(&candidate, &target.path, stages))
}

/// Keeps the `show | compare` hunks at or below `path`.
fn filter_hunks(diff: &str, path: &[PathElem]) -> String {
    if path.is_empty() {
        return diff.to_string();
    }
    let words = path_words(path).join(" ");
    let mut keep = false;
    let mut out = String::new();
    for l in diff.lines() {
        if l.starts_with("[edit") {
            let inner = l.trim_start_matches("[edit").trim_end_matches(']').trim();
            keep = inner == words || inner.starts_with(&format!("{words} "));
        }
        if keep {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// Options of `commit`.
#[derive(Debug, Default)]
struct CommitOptions {
    check: bool,
    and_quit: bool,
    comment: Option<String>,
    confirmed: Option<u32>,
}

fn commit_options(s: &Session, line: &str, args: &[Word]) -> Result<CommitOptions, String> {
    let mut o = CommitOptions::default();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let name = match find(crate::commands::tree::CONFIGURATION_COMMIT_OPTIONS, &w.text) {
            Found::One(c) => c.name,
            Found::Ambiguous(_) => {
                return Err(s.caret(line, w.start, &format!("'{}' is ambiguous.", w.text)));
            }
            Found::None => return Err(s.caret(line, w.start, "syntax error.")),
        };
        i += 1;
        match name {
            "check" => o.check = true,
            "and-quit" => o.and_quit = true,
            "comment" => match args.get(i) {
                Some(c) => {
                    o.comment = Some(c.text.clone());
                    i += 1;
                }
                None => return Err("error: missing argument: <comment>\n".into()),
            },
            _ => {
                let minutes = match args.get(i).map(|m| (m, m.text.parse::<u32>())) {
                    Some((_, Ok(m))) if (1..=65535).contains(&m) => {
                        i += 1;
                        m
                    }
                    Some((m, Ok(_))) => {
                        return Err(s.caret(
                            line,
                            m.start,
                            &format!(
                                "Value {} is not within range (1..65535) at '{}'",
                                m.text, m.text
                            ),
                        ));
                    }
                    _ => 10,
                };
                o.confirmed = Some(minutes);
            }
        }
    }
    Ok(o)
}

/// `commit [check | confirmed [N] | comment "..." | and-quit]`.
pub fn commit(s: &mut Session, line: &str, _command: &str, args: &[Word]) -> Reply {
    let o = match commit_options(s, line, args) {
        Ok(o) => o,
        Err(e) => return Reply::fail(e),
    };
    let candidate = s.take_candidate();
    let checked = flowsh_grammar::check(&candidate);
    let cfg = match (checked, o.check) {
        (Ok(cfg), false) => cfg,
        (Ok(_), true) => {
            s.set_candidate(candidate);
            return Reply::ok("configuration check succeeds\n");
        }
        (Err(errors), _) => {
            s.set_candidate(candidate);
            return Reply::fail(render_errors(&errors));
        }
    };
    let user = s.user.clone();
    let now = s.now();
    let committed =
        s.db.commit(&candidate, &user, "cli", o.comment, now, o.confirmed);
    s.set_candidate(candidate);
    if let Err(e) = committed {
        return Reply::fail(format!("error: commit failed: {e}\n"));
    }
    let mut out = s.apply_checked(&cfg);
    if let Some(m) = o.confirmed {
        out.push_str(&format!(
            "commit confirmed will be automatically rolled back in {m} minutes unless confirmed\n"
        ));
    }
    out.push_str("commit complete\n");
    if o.and_quit {
        out.push_str(&s.leave_configuration().out);
    }
    Reply::ok(out)
}

/// `rollback [N]`: the candidate becomes commit N back.
pub fn rollback(s: &mut Session, line: &str, args: &[Word]) -> Reply {
    let n = match args {
        [] => 0,
        [w] => match w.text.parse::<usize>() {
            Ok(n) if n <= 49 => n,
            _ => {
                return Reply::fail(s.caret(
                    line,
                    w.start,
                    &format!(
                        "Value {} is not within range (0..49) at '{}'",
                        w.text, w.text
                    ),
                ));
            }
        },
        [_, w, ..] => return Reply::fail(s.caret(line, w.start, "syntax error.")),
    };
    match s.db.rollback(n) {
        Ok((_, tree)) => {
            s.set_candidate(tree);
            Reply::ok("load complete\n")
        }
        Err(crate::confdb::DbError::NoRollback(_)) if n == 0 => {
            s.set_candidate(ConfigTree::new());
            Reply::ok("load complete\n")
        }
        Err(e) => Reply::fail(format!("error: {e}\n")),
    }
}

/// `load merge|override|replace|set FILE|terminal`.
pub fn load(s: &mut Session, verb: LoadVerb, args: &[Word]) -> Reply {
    let Some(file) = args.first() else {
        return Reply::fail("error: missing argument: <filename>\n");
    };
    if file.text == "terminal" {
        return Reply {
            read_terminal: Some(verb),
            ..Reply::ok("[Type ^D at a new line to end input]\n")
        };
    }
    match std::fs::read_to_string(&file.text) {
        Ok(text) => load_text(s, verb, &file.text, &text),
        Err(e) => Reply::fail(format!(
            "error: could not open configuration file '{}': {e}\n",
            file.text
        )),
    }
}

fn load_failed(errors: &LoadErrors, source: &str, text: &str) -> Reply {
    Reply::fail(format!(
        "{}load complete ({} errors)\nwarning: nothing was loaded; the candidate configuration is unchanged\n",
        errors.render(source, text),
        errors.len()
    ))
}

/// Applies a loaded text; nothing changes when it has errors.
pub fn load_text(s: &mut Session, verb: LoadVerb, source: &str, text: &str) -> Reply {
    let mut candidate = s.candidate();
    if verb == LoadVerb::Set {
        let commands = match parse_set_file(text) {
            Ok(c) => c,
            Err(e) => {
                return load_failed(
                    &LoadErrors {
                        form: Form::Set,
                        errors: vec![(e, None)],
                    },
                    source,
                    text,
                );
            }
        };
        let mut errors = Vec::new();
        for cmd in &commands {
            match execute(&mut candidate, &[], cmd, Options::default()) {
                Ok(_) | Err(EditError::NotFound) => {}
                Err(EditError::Load(e)) => errors.push((e, None::<StatementContext>)),
                Err(e) => {
                    let offset = flowsh_grammar::edit::command_offset(cmd);
                    errors.push((
                        LoadError::new(offset, "", ErrorKind::Invalid(e.to_string())),
                        None,
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return load_failed(
                &LoadErrors {
                    form: Form::Set,
                    errors,
                },
                source,
                text,
            );
        }
    } else {
        let loaded = match flowsh_grammar::load_text(text) {
            Ok(l) => l,
            Err(e) => return load_failed(&e, source, text),
        };
        let mode = match verb {
            LoadVerb::Override => LoadMode::Override,
            LoadVerb::Replace => LoadMode::Replace,
            _ => LoadMode::Merge,
        };
        apply(&mut candidate, mode, &loaded);
    }
    s.set_candidate(candidate);
    Reply::ok("load complete\n")
}

/// `save FILE`: the candidate at the edit level, in brace form.
pub fn save(s: &mut Session, args: &[Word]) -> Reply {
    let Some(file) = args.first() else {
        return Reply::fail("error: missing argument: <filename>\n");
    };
    let level = s.level().to_vec();
    let text = render_config(&s.candidate(), &level, &[]);
    match crate::confdb::write_atomic(std::path::Path::new(&file.text), text.as_bytes()) {
        Ok(()) => Reply::ok(format!(
            "Wrote {} lines of configuration to '{}'\n",
            text.lines().count(),
            file.text
        )),
        Err(e) => Reply::fail(format!("error: could not write '{}': {e}\n", file.text)),
    }
}
