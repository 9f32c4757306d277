//! Operational commands that read or reset the forwarding engine.

use crate::commands::tree::Action;
use crate::lex::Word;
use crate::session::{Reply, Session};
use crate::views;

/// `show interfaces ...`, `show route`, `show firewall ...`, `clear firewall filter NAME`,
/// `clear interfaces statistics`.
pub fn run(s: &mut Session, line: &str, action: Action, args: &[Word]) -> Reply {
    let age = s.committed_age();
    let Some(engine) = s.engine() else {
        return Reply::fail("error: the forwarding engine is not running in this mode\n");
    };
    let words: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    let bad = |i: usize| Reply::fail(s.caret(line, args[i].start, "syntax error."));
    match action {
        Action::ShowInterfaces => {
            let snap = engine.snapshot();
            match words.as_slice() {
                [] => Reply::ok(views::interfaces::terse(&snap, None)),
                [t] if "terse".starts_with(t) => Reply::ok(views::interfaces::terse(&snap, None)),
                [name, t] if "terse".starts_with(t) => {
                    Reply::ok(views::interfaces::terse(&snap, Some(name)))
                }
                [name] => views::interfaces::detail(&snap, name, false)
                    .map_or_else(|e| Reply::fail(e + "\n"), Reply::ok),
                [name, x] if "extensive".starts_with(x) => {
                    views::interfaces::detail(&snap, name, true)
                        .map_or_else(|e| Reply::fail(e + "\n"), Reply::ok)
                }
                _ => bad(1),
            }
        }
        Action::ShowRoute => match words.as_slice() {
            [] => Reply::ok(views::route::show(&engine.snapshot(), age)),
            _ => bad(0),
        },
        Action::ShowFirewall => {
            let snap = engine.snapshot();
            let only = match words.as_slice() {
                [] => None,
                [f, name] if "filter".starts_with(f) => Some(*name),
                _ => return bad(0),
            };
            views::firewall::show(&snap, only).map_or_else(|e| Reply::fail(e + "\n"), Reply::ok)
        }
        Action::ClearFirewall => match words.as_slice() {
            [name] if engine.clear_filter(name) => Reply::ok(""),
            [name] => Reply::fail(format!("error: filter '{name}' is not configured\n")),
            _ => Reply::fail("error: missing argument: <filter-name>\n"),
        },
        Action::ClearInterfaces => {
            engine.clear_interfaces();
            Reply::ok("")
        }
        _ => Reply::fail("syntax error.\n"),
    }
}
