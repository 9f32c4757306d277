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
        Action::Ping => ping(s, line, engine, args),
        _ => Reply::fail("syntax error.\n"),
    }
}

/// `ping HOST [count N] [wait SECONDS]`: the requests leave together; replies are listed as they
/// came, then the statistics, in the layout of Junos (BSD) ping.
fn ping(s: &Session, line: &str, engine: &flowsh_engine::Engine, args: &[Word]) -> Reply {
    let Some(host) = args.first() else {
        return Reply::fail("error: missing argument: <host>\n");
    };
    let Ok(target) = host.text.parse::<std::net::IpAddr>() else {
        return Reply::fail(s.caret(
            line,
            host.start,
            &format!("error: invalid host: '{}'", host.text),
        ));
    };
    let (mut count, mut wait) = (5u16, 1u64);
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.text.parse::<u64>().ok());
        match (args[i].text.as_str(), value) {
            (k, Some(n)) if "count".starts_with(k) && (1..=10_000).contains(&n) => count = n as u16,
            (k, Some(n)) if "wait".starts_with(k) && (1..=60).contains(&n) => wait = n,
            _ => return Reply::fail(s.caret(line, args[i].start, "syntax error.")),
        }
        i += 2;
    }
    let r = engine.ping(target, count, std::time::Duration::from_secs(wait));
    if let Some(e) = r.error {
        return Reply::fail(format!("ping: {e}\n"));
    }
    let mut out = format!("PING {target} ({target}): 56 data bytes\n");
    let ms = |d: &std::time::Duration| d.as_secs_f64() * 1000.0;
    for (seq, ttl, rtt) in &r.replies {
        out.push_str(&format!(
            "64 bytes from {target}: icmp_seq={seq} ttl={ttl} time={:.3} ms\n",
            ms(rtt)
        ));
    }
    let received = r.replies.len();
    let loss = 100 * (usize::from(r.sent) - received.min(usize::from(r.sent)))
        / usize::from(r.sent.max(1));
    out.push_str(&format!(
        "\n--- {target} ping statistics ---\n{} packets transmitted, {received} packets received, {loss}% packet loss\n",
        r.sent
    ));
    if received > 0 {
        let times: Vec<f64> = r.replies.iter().map(|(_, _, t)| ms(t)).collect();
        let avg = times.iter().sum::<f64>() / times.len() as f64;
        let (min, max) = times
            .iter()
            .fold((f64::MAX, 0f64), |(a, b), &t| (a.min(t), b.max(t)));
        let sd = (times.iter().map(|t| (t - avg).powi(2)).sum::<f64>() / times.len() as f64).sqrt();
        out.push_str(&format!(
            "round-trip min/avg/max/stddev = {min:.3}/{avg:.3}/{max:.3}/{sd:.3} ms\n"
        ));
    }
    Reply {
        ok: received > 0,
        ..Reply::ok(out)
    }
}
