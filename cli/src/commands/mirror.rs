//! `show services mirror-destination [NAME]`, `show security policies [hit-count]`,
//! `show security flow session`.

use crate::commands::tree::Action;
use crate::lex::Word;
use crate::session::{Reply, Session};
use crate::views::mirror as view;

pub fn run(s: &mut Session, line: &str, action: Action, args: &[Word]) -> Reply {
    let Some(engine) = s.engine() else {
        return Reply::fail("error: the forwarding engine is not running in this mode\n");
    };
    let words: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    let bad = |i: usize| Reply::fail(s.caret(line, args[i].start, "syntax error."));
    let snap = engine.snapshot();
    match (action, words.as_slice()) {
        (Action::ShowMirrorDestination, []) => {
            view::destinations(&snap, None).map_or_else(|e| Reply::fail(e + "\n"), Reply::ok)
        }
        (Action::ShowMirrorDestination, [name]) => {
            view::destinations(&snap, Some(name)).map_or_else(|e| Reply::fail(e + "\n"), Reply::ok)
        }
        (Action::ShowSecurityPolicies, []) => Reply::ok(view::policies(&snap)),
        (Action::ShowSecurityPolicies, [h]) if "hit-count".starts_with(h) => {
            Reply::ok(view::hit_count(&snap))
        }
        (Action::ShowSecuritySessions, []) => Reply::ok(view::sessions(&snap, engine.sessions())),
        (Action::ShowPortMirroring, []) => Reply::ok(view::port_mirroring(&snap)),
        (Action::ShowAnalyzer, []) => Reply::ok(view::analyzers(&snap)),
        (Action::ShowMirrorDestination, _) => bad(1),
        _ => bad(0),
    }
}
