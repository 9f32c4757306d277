//! `show services accounting ...`, `show flow-table`, `clear services accounting flow`.

use crate::commands::tree::{Accounting, Action};
use crate::lex::Word;
use crate::pipe::Stage;
use crate::session::{Reply, Session};
use crate::views::accounting::{self as view, Aggregation, Order, ProcessMemory};
use flowsh_engine::jflow::FlowEntry;

/// Which flows a `flow-detail` or `flow-table` lists.
#[derive(Debug, Default)]
struct Query {
    limit: Option<usize>,
    order: Option<Order>,
    source: Option<ipnet::IpNet>,
    destination: Option<ipnet::IpNet>,
    protocol: Option<u8>,
}

impl Query {
    fn matches(&self, f: &FlowEntry) -> bool {
        self.source.is_none_or(|n| n.contains(&f.src))
            && self.destination.is_none_or(|n| n.contains(&f.dst))
            && self.protocol.is_none_or(|p| p == f.protocol)
    }

    fn select(&self, mut flows: Vec<FlowEntry>) -> Vec<FlowEntry> {
        flows.retain(|f| self.matches(f));
        match self.order {
            Some(Order::Bytes) => flows.sort_by_key(|f| std::cmp::Reverse(f.bytes)),
            Some(Order::Packets) => flows.sort_by_key(|f| std::cmp::Reverse(f.packets)),
            // A stable order for a moving table: oldest first.
            None => flows.sort_by_key(|f| (f.first, f.src, f.dst)),
        }
        flows.truncate(self.limit.unwrap_or(usize::MAX));
        flows
    }
}

fn address(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

fn protocol(text: &str) -> Option<u8> {
    text.parse().ok().or(match text {
        "icmp" => Some(1),
        "tcp" => Some(6),
        "udp" => Some(17),
        "gre" => Some(47),
        "esp" => Some(50),
        "ah" => Some(51),
        "icmp6" | "icmpv6" => Some(58),
        "sctp" => Some(132),
        _ => None,
    })
}

/// Reads `[limit N] [order bytes|packets] [source-address A] [destination-address A]
/// [protocol P]` (keywords may be abbreviated); the error names the word that is wrong.
fn query(s: &Session, line: &str, args: &[Word], aggregation: bool) -> Result<Query, Reply> {
    let mut q = Query::default();
    let mut i = 0;
    let bad = |w: &Word, what: &str| Reply::fail(s.caret(line, w.start, what));
    let keywords: &[&str] = if aggregation {
        &["limit", "order"]
    } else {
        &[
            "limit",
            "order",
            "source-address",
            "destination-address",
            "protocol",
        ]
    };
    while i < args.len() {
        let w = &args[i];
        let matching: Vec<&&str> = keywords
            .iter()
            .filter(|k| k.starts_with(w.text.as_str()))
            .collect();
        let [keyword] = matching.as_slice() else {
            return Err(bad(w, "syntax error."));
        };
        let Some(value) = args.get(i + 1) else {
            return Err(Reply::fail(format!("error: missing argument: {keyword}\n")));
        };
        let v = value.text.as_str();
        match **keyword {
            "limit" => {
                q.limit = Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad(value, "error: invalid limit"))?,
                )
            }
            "order" => {
                q.order = Some(match v {
                    _ if "bytes".starts_with(v) && !v.is_empty() => Order::Bytes,
                    _ if "packets".starts_with(v) && !v.is_empty() => Order::Packets,
                    _ => return Err(bad(value, "syntax error, expecting bytes or packets.")),
                })
            }
            "source-address" => {
                q.source = Some(address(v).ok_or_else(|| bad(value, "error: invalid address"))?)
            }
            "destination-address" => {
                q.destination =
                    Some(address(v).ok_or_else(|| bad(value, "error: invalid address"))?)
            }
            _ => {
                q.protocol = Some(protocol(v).ok_or_else(|| bad(value, "error: invalid protocol"))?)
            }
        }
        i += 2;
    }
    Ok(q)
}

/// Used and available memory of the process and the machine (Linux `/proc`).
fn process_memory() -> ProcessMemory {
    let page = 4096u64;
    let used = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|t| t.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page);
    let free = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024);
    ProcessMemory { used, free }
}

pub fn run(s: &mut Session, line: &str, action: Action, args: &[Word], stages: &[Stage]) -> Reply {
    let Some(engine) = s.engine() else {
        return Reply::fail("error: the forwarding engine is not running in this mode\n");
    };
    let json = stages.iter().any(|st| matches!(st, Stage::DisplayJson));
    let done = |r: Result<String, String>| r.map_or_else(Reply::fail, Reply::ok);
    let no_args = |r: Result<String, String>| match args.first() {
        Some(w) => Reply::fail(s.caret(line, w.start, "syntax error.")),
        None => done(r),
    };
    match action {
        Action::ClearAccounting => {
            engine.clear_flows();
            Reply::ok("")
        }
        Action::ShowAccounting(Accounting::Flow) => no_args(view::flow(&engine.snapshot(), json)),
        Action::ShowAccounting(Accounting::Errors) => {
            no_args(view::errors(&engine.snapshot(), json))
        }
        Action::ShowAccounting(Accounting::Status) => {
            no_args(view::status(&engine.snapshot(), json))
        }
        Action::ShowAccounting(Accounting::Usage) => {
            no_args(Ok(view::usage(&engine.snapshot(), json)))
        }
        Action::ShowAccounting(Accounting::Memory) => {
            no_args(Ok(view::memory(&engine.snapshot(), process_memory(), json)))
        }
        Action::ShowAccounting(Accounting::FlowDetail) | Action::ShowFlowTable => {
            let q = match query(s, line, args, false) {
                Ok(q) => q,
                Err(r) => return r,
            };
            let snap = engine.snapshot();
            if snap.jflow.is_empty() {
                return Reply::fail("error: sampling is not configured\n");
            }
            let flows = q.select(engine.flows());
            Reply::ok(if action == Action::ShowFlowTable && !json {
                view::flow_table(&snap, &flows)
            } else {
                view::flow_detail(&snap, &flows, json)
            })
        }
        Action::ShowAccounting(Accounting::Aggregation) => {
            let kinds = [
                ("protocol-port", Aggregation::ProtocolPort),
                ("source-prefix", Aggregation::SourcePrefix),
                ("destination-prefix", Aggregation::DestinationPrefix),
                ("as", Aggregation::As),
            ];
            let Some(first) = args.first() else {
                return Reply::fail(
                    "error: missing argument: protocol-port | source-prefix | destination-prefix | as\n",
                );
            };
            let found: Vec<_> = kinds
                .iter()
                .filter(|(n, _)| n.starts_with(first.text.as_str()))
                .collect();
            let [(_, kind)] = found.as_slice() else {
                return Reply::fail(s.caret(line, first.start, "syntax error."));
            };
            let q = match query(s, line, &args[1..], true) {
                Ok(q) => q,
                Err(r) => return r,
            };
            let snap = engine.snapshot();
            if snap.jflow.is_empty() {
                return Reply::fail("error: sampling is not configured\n");
            }
            Reply::ok(view::aggregation(
                &snap,
                *kind,
                &engine.flows(),
                q.order,
                q.limit,
                json,
            ))
        }
        _ => Reply::fail("syntax error.\n"),
    }
}
