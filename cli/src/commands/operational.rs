//! Operational-mode commands available without the engine.

use flowsh_grammar::resolve::{Scope, resolve_target};
use flowsh_grammar::schema::ROOT;

use crate::clock::{format_clock, format_time};
use crate::commands::configuration::render_config;
use crate::commands::tokens;
use crate::lex::Word;
use crate::pipe::Stage;
use crate::session::{Reply, Session};

/// `show configuration [PATH]`: the committed configuration, `## Last commit` first.
pub fn show_configuration(s: &mut Session, line: &str, args: &[Word], stages: &[Stage]) -> Reply {
    let (tree, commit) = match s.db.committed() {
        Ok(x) => x,
        Err(e) => return Reply::fail(format!("error: {e}\n")),
    };
    let target = match resolve_target(
        &[],
        Scope::Stmts(ROOT.children),
        &tokens(args),
        flowsh_grammar::resolve::Options { abbrev: true },
    ) {
        Ok(t) => t,
        Err(e) => return Reply::fail(s.grammar_error(line, e.offset, &e)),
    };
    if let Some(Stage::Compare(n)) = stages.iter().find(|st| matches!(st, Stage::Compare(_))) {
        let old = match s.db.rollback(n.unwrap_or(1)) {
            Ok((_, t)) => t,
            Err(e) => return Reply::fail(format!("error: {e}\n")),
        };
        return Reply::ok(flowsh_grammar::diff::compare(&old, &tree));
    }
    let mut out = String::new();
    let plain = !stages
        .iter()
        .any(|st| matches!(st, Stage::DisplaySet | Stage::DisplayJson));
    if let (Some(c), true, true) = (&commit, target.path.is_empty(), plain) {
        out.push_str(&format!(
            "## Last commit: {} by {}\n",
            format_time(c.time),
            c.user
        ));
    }
    out.push_str(&render_config(&tree, &target.path, stages));
    Reply::ok(out)
}

/// `show system commit`: `0   2026-01-01 12:00:00 UTC by lab via cli`, newest first.
pub fn show_system_commit(s: &mut Session) -> Reply {
    let log = match s.db.log() {
        Ok(l) => l,
        Err(e) => return Reply::fail(format!("error: {e}\n")),
    };
    let now = s.now();
    let mut out = String::new();
    for (n, c) in log.iter().rev().enumerate() {
        let confirmed = c
            .confirm_deadline
            .map(|d| {
                format!(
                    " commit confirmed, rollback in {}mins",
                    ((d - now).max(0) + 59) / 60
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{n:<3} {} by {} via {}{confirmed}\n",
            format_time(c.time),
            c.user,
            c.client
        ));
        if let Some(comment) = &c.comment {
            out.push_str(&format!("    {comment}\n"));
        }
    }
    Reply::ok(out)
}

/// `show version`.
pub fn show_version(s: &mut Session) -> Reply {
    Reply::ok(format!(
        "Hostname: {}\nModel: flowsh\nJunos: {} (flowsh)\n",
        s.host_name(),
        env!("CARGO_PKG_VERSION")
    ))
}

/// `show cli history`: `12:00:01 -- show version`.
pub fn show_cli_history(s: &mut Session) -> Reply {
    let out: String = s
        .history()
        .iter()
        .map(|(t, c)| format!("{} -- {c}\n", format_clock(*t)))
        .collect();
    Reply::ok(out)
}

/// `file show FILE`.
pub fn file_show(args: &[Word]) -> Reply {
    let Some(name) = args.first().map(|w| w.text.as_str()) else {
        return Reply::fail("error: missing argument: <filename>\n");
    };
    match std::fs::read_to_string(name) {
        Ok(text) => Reply::ok(text),
        Err(e) => Reply::fail(format!("error: could not resolve file: {name}: {e}\n")),
    }
}
