//! `?` help (`Possible completions:`) and Tab completion, from the command tables and the
//! configuration schema.

use flowsh_grammar::resolve::{
    Options, PathElem, Scope, completions, resolve_target, scope_at, stmt_at,
};

use flowsh_grammar::tree::Value;

use crate::commands::tokens;
use crate::commands::tree::{self, Arg, Cmd, Found};
use crate::lex::{Word, split_pipes, words};
use crate::pipe::{DISPLAY, PIPES};
use crate::session::{Mode, Session};

/// One choice as Junos prints it: marker, name padded to 19, two spaces, help.
pub fn line(marker: Option<char>, name: &str, help: &str) -> String {
    let m = marker.unwrap_or(' ');
    if help.is_empty() {
        format!("{m} {name}\n")
    } else {
        format!("{m} {name:<19}  {help}\n")
    }
}

/// A choice at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Choice {
    name: String,
    help: String,
    marker: Option<char>,
}

impl Choice {
    fn new(name: &str, help: &str, marker: Option<char>) -> Choice {
        Choice {
            name: name.to_string(),
            help: help.to_string(),
            marker,
        }
    }

    fn placeholder(&self) -> bool {
        self.name.starts_with('<')
    }
}

/// What may stand at the cursor: choices, whether the line is already a complete command,
/// and whether a pipe may follow.
#[derive(Debug, Default)]
struct Choices {
    list: Vec<Choice>,
    complete: bool,
    pipe: bool,
}

fn cmd_choices(cmds: &[Cmd]) -> Vec<Choice> {
    cmds.iter()
        .map(|c| {
            let marker = (!c.children.is_empty() && c.action == tree::Action::None).then_some('>');
            Choice::new(c.name, c.help, marker)
        })
        .collect()
}

/// The keys of the list `last` under the node at `parent`.
fn list_keys(
    tree: &flowsh_grammar::ConfigTree,
    parent: &[PathElem],
    last: &PathElem,
) -> Vec<String> {
    match tree
        .node(parent)
        .and_then(|n| n.child(last.idx))
        .map(|c| &c.value)
    {
        Some(Value::List(e)) => e.0.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Choices for configuration statements after `set`/`show`/`delete`... at `base`.
fn statement_choices(s: &Session, base: &[flowsh_grammar::PathElem], args: &[Word]) -> Choices {
    let Some(scope) = scope_at(base) else {
        return Choices::default();
    };
    let toks = tokens(args);
    let (list, complete) = completions(scope, &toks, Options { abbrev: true });
    let mut out: Vec<Choice> = list
        .into_iter()
        .map(|c| Choice::new(&c.name, &c.help, c.marker))
        .collect();
    // At a list key, the entries already configured are choices too.
    if out.iter().any(Choice::placeholder)
        && let Ok(t) = resolve_target(base, scope, &toks, Options { abbrev: true })
    {
        let tree = s.candidate();
        let keys: Vec<String> = match (stmt_at(&t.path), t.path.split_last()) {
            (Some(stmt), Some((last, parent))) if stmt.is_list() && last.key.is_none() => {
                list_keys(&tree, parent, last)
            }
            (None, _) if matches!(scope, Scope::Keys(_)) && toks.is_empty() => {
                match base.split_last() {
                    Some((last, parent)) => list_keys(&tree, parent, last),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        out.extend(keys.into_iter().map(|k| Choice::new(&k, "", None)));
    }
    Choices {
        list: out,
        complete,
        pipe: complete,
    }
}

fn arg_choices(s: &Session, cmd: &Cmd, args: &[Word]) -> Choices {
    let base = if s.mode() == Mode::Configuration && cmd.action != tree::Action::ShowConfiguration {
        s.level().to_vec()
    } else {
        Vec::new()
    };
    match cmd.arg {
        Arg::Statement => statement_choices(s, &base, args),
        Arg::Path => {
            let mut c = statement_choices(s, &base, args);
            // A path may stop anywhere: `show`, `show interfaces` are complete commands.
            c.complete = true;
            c.pipe = matches!(
                cmd.action,
                tree::Action::Show | tree::Action::ShowConfiguration
            );
            c
        }
        Arg::OpCommand => command_choices(s, tree::OPERATIONAL, args),
        _ if !cmd.children.is_empty() => {
            let used: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
            Choices {
                list: cmd_choices(cmd.children)
                    .into_iter()
                    .filter(|c| !used.contains(&c.name.as_str()))
                    .collect(),
                complete: true,
                pipe: false,
            }
        }
        Arg::Number { min, max } if args.is_empty() => Choices {
            list: vec![Choice::new(
                "<number>",
                &format!("Number ({min}..{max})"),
                None,
            )],
            complete: true,
            pipe: false,
        },
        Arg::File if args.is_empty() => {
            let mut list = vec![Choice::new("<filename>", "Name of file", None)];
            if matches!(cmd.action, tree::Action::Load(_)) {
                list.push(Choice::new("terminal", "Use login terminal", None));
            }
            Choices {
                list,
                complete: false,
                pipe: false,
            }
        }
        Arg::Words(usage) if args.is_empty() => Choices {
            list: vec![Choice::new(usage, "", None)],
            complete: true,
            pipe: true,
        },
        Arg::Text if args.is_empty() => Choices {
            list: vec![Choice::new("<comment>", "Text", None)],
            complete: false,
            pipe: false,
        },
        _ => Choices {
            list: Vec::new(),
            complete: true,
            pipe: matches!(
                cmd.action,
                tree::Action::ShowSystemCommit
                    | tree::Action::ShowVersion
                    | tree::Action::ShowCliHistory
                    | tree::Action::FileShow
            ),
        },
    }
}

/// Choices after the complete words `ws` of a command in `table`.
fn command_choices(s: &Session, table: &'static [Cmd], ws: &[Word]) -> Choices {
    let mut cmds = table;
    for (i, w) in ws.iter().enumerate() {
        match tree::find(cmds, &w.text) {
            Found::One(c) if c.action != tree::Action::None => {
                return arg_choices(s, c, &ws[i + 1..]);
            }
            Found::One(c) => cmds = c.children,
            _ => return Choices::default(),
        }
    }
    Choices {
        list: cmd_choices(cmds),
        complete: false,
        pipe: false,
    }
}

fn pipe_choices(segment: &str) -> Choices {
    let ws = words(segment);
    let done = |pipe| Choices {
        list: Vec::new(),
        complete: true,
        pipe,
    };
    let Some(first) = ws.first() else {
        return Choices {
            list: cmd_choices(PIPES),
            ..Choices::default()
        };
    };
    let name = match tree::find(PIPES, &first.text) {
        Found::One(c) => c.name,
        _ => return Choices::default(),
    };
    match (name, ws.len()) {
        ("display", 1) => Choices {
            list: cmd_choices(DISPLAY),
            ..Choices::default()
        },
        ("match" | "except", 1) => Choices {
            list: vec![Choice::new("<pattern>", "Pattern to match against", None)],
            ..Choices::default()
        },
        ("last", 1) => Choices {
            list: vec![Choice::new("<number>", "Number of lines", None)],
            complete: true,
            pipe: true,
        },
        ("save", 1) => Choices {
            list: vec![Choice::new("<filename>", "Output file name", None)],
            ..Choices::default()
        },
        ("compare", 1) => Choices {
            list: vec![Choice::new(
                "rollback",
                "Index of rollback file to compare",
                None,
            )],
            complete: true,
            pipe: true,
        },
        ("compare", 2) => Choices {
            list: vec![Choice::new(
                "<number>",
                "Index of rollback file (0..49)",
                None,
            )],
            ..Choices::default()
        },
        _ => done(true),
    }
}

/// The choices at the end of `text`, and the partial word being typed (with its start).
fn choices_at(s: &Session, text: &str) -> (Choices, Option<Word>) {
    let ends_in_space = text.is_empty() || text.ends_with(char::is_whitespace);
    let parts = split_pipes(text);
    let (mut ws, in_pipe) = match parts.pipes.last() {
        Some(seg) => (words(seg), true),
        None => (words(parts.command), false),
    };
    let offset = if in_pipe {
        text.len() - parts.pipes.last().map_or(0, |p| p.len())
    } else {
        0
    };
    let partial = if ends_in_space {
        None
    } else {
        ws.pop().map(|mut w| {
            w.start += offset;
            w
        })
    };
    let choices = if in_pipe {
        let seg: String = ws.iter().map(|w| format!("{} ", w.text)).collect();
        pipe_choices(&seg)
    } else {
        let table = match s.mode() {
            Mode::Operational => tree::OPERATIONAL,
            Mode::Configuration => tree::CONFIGURATION,
        };
        command_choices(s, table, &ws)
    };
    (choices, partial)
}

/// `?`: `Possible completions:` for what may follow `text`.
pub fn help(s: &Session, text: &str) -> String {
    let (choices, partial) = choices_at(s, text);
    let prefix = partial.as_ref().map_or("", |w| w.text.as_str());
    let mut list: Vec<Choice> = choices
        .list
        .into_iter()
        .filter(|c| c.placeholder() || c.name.starts_with(prefix))
        .collect();
    if list.is_empty() && !choices.complete {
        return if partial.is_some() {
            "No valid completions\n".to_string()
        } else {
            "syntax error.\n".to_string()
        };
    }
    list.sort_by(|a, b| (!a.placeholder(), &a.name).cmp(&(!b.placeholder(), &b.name)));
    list.dedup_by(|a, b| a.name == b.name);
    let mut out = String::from("Possible completions:\n");
    if choices.complete && partial.is_none() {
        out.push_str(&line(None, "<[Enter]>", "Execute this command"));
    }
    for c in &list {
        out.push_str(&line(c.marker, &c.name, &c.help));
    }
    if choices.pipe && partial.is_none() {
        out.push_str(&line(None, "|", "Pipe through a command"));
    }
    out
}

/// Tab: where the word being completed starts, and the keywords it may become (a unique one
/// ends with a space).
pub fn complete(s: &Session, text: &str) -> (usize, Vec<String>) {
    let (choices, partial) = choices_at(s, text);
    let (start, prefix) = match &partial {
        Some(w) => (w.start, w.text.as_str()),
        None => (text.len(), ""),
    };
    let mut names: Vec<String> = choices
        .list
        .into_iter()
        .filter(|c| !c.placeholder() && c.name.starts_with(prefix))
        .map(|c| c.name)
        .collect();
    names.sort();
    names.dedup();
    if let [only] = names.as_mut_slice() {
        only.push(' ');
    }
    (start, names)
}
