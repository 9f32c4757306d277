//! `flowsh replay`: push captures through a configuration as fast as the machine allows, then
//! print a summary; `-c` runs show commands on the final state.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use flowsh_engine::Engine;
use flowsh_engine::port::{Backend, parse_binding};

use crate::confdb::ConfDb;
use crate::session::Session;

/// What `flowsh replay` was asked to do.
#[derive(Debug)]
pub struct Replay {
    pub config: PathBuf,
    pub pcaps: Vec<String>,
    pub ports: Vec<String>,
    pub commands: Option<String>,
    /// Replay at the captures' own pace.
    pub pace: bool,
    /// Every exported flow record, as JSON lines.
    pub flow_records: Option<PathBuf>,
    /// No forced export of the flows left at the end.
    pub keep_flows: bool,
    /// Worker threads: each reads every capture and takes its share of the flows.
    pub workers: usize,
}

/// Runs a replay; whether everything succeeded.
pub fn run(r: &Replay, out: &mut dyn Write) -> std::io::Result<bool> {
    let name = r.config.display().to_string();
    let text = match std::fs::read_to_string(&r.config) {
        Ok(t) => t,
        Err(e) => {
            writeln!(out, "error: could not read '{name}': {e}")?;
            return Ok(false);
        }
    };
    let cfg = match flowsh_grammar::check::check_text(&name, &text) {
        Ok(c) => c,
        Err(e) => {
            write!(out, "{e}")?;
            return Ok(false);
        }
    };
    // Outputs first: an input starts flowing as soon as it is bound.
    let mut bindings = Vec::new();
    for p in &r.ports {
        match parse_binding(p) {
            Ok(b) => bindings.push(b),
            Err(e) => {
                writeln!(out, "error: --port {e}")?;
                return Ok(false);
            }
        }
    }
    for p in &r.pcaps {
        match parse_binding(&p.replacen('=', "=pcap:", 1)) {
            Ok((iface, Backend::Pcap(path))) if r.pace => {
                bindings.push((iface, Backend::PcapPaced(path)))
            }
            Ok(b) => bindings.push(b),
            Err(e) => {
                writeln!(out, "error: --pcap {e}")?;
                return Ok(false);
            }
        }
    }
    // Flows keep the capture's timing, however fast it is replayed.
    let mut engine = Engine::with_clock(r.workers, flowsh_engine::clock::Clock::capture());
    engine.apply(&cfg);
    if let Some(path) = &r.flow_records
        && let Err(e) = engine.record_flows_to(path)
    {
        writeln!(out, "error: {e}")?;
        return Ok(false);
    }
    for (iface, backend) in &bindings {
        if !cfg.interfaces.iter().any(|i| i.name == *iface) {
            writeln!(
                out,
                "error: {iface} ({backend}): the configuration has no interface {iface}"
            )?;
            return Ok(false);
        }
        if let Err(e) = engine.bind(iface, backend) {
            writeln!(out, "error: {e}")?;
            return Ok(false);
        }
    }
    let start = Instant::now();
    engine.wait_inputs_done();
    if r.keep_flows {
        engine.sync_export();
    } else {
        engine.flush_flows();
    }
    let elapsed = start.elapsed().as_secs_f64().max(1e-9);
    let snap = engine.snapshot();
    let mut forwarded = 0u64;
    let mut reasons: std::collections::BTreeMap<&str, u64> = Default::default();
    for c in snap.stats.units.values() {
        forwarded += c.tx_packets;
        for (reason, n) in &c.drops {
            *reasons.entry(reason).or_default() += n;
        }
    }
    // Forwarded packets whose output has no port bound are counted apart from drops.
    let unsent = reasons.remove("port-down").unwrap_or(0);
    let dropped: u64 = reasons.values().sum();
    let why: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let dropped = if why.is_empty() {
        dropped.to_string()
    } else {
        format!("{dropped} ({})", why.join(", "))
    };
    let forwarded = if unsent > 0 {
        format!("{forwarded} ({unsent} to interfaces with no port bound)")
    } else {
        forwarded.to_string()
    };
    let inputs = bindings
        .iter()
        .filter(|(_, b)| matches!(b, Backend::Pcap(_)))
        .count();
    writeln!(
        out,
        "Replay complete: {} packets from {inputs} captures in {elapsed:.3} s ({:.0} packets/s)\n  \
         Forwarded {forwarded}, dropped {dropped}",
        snap.packets,
        snap.packets as f64 / elapsed
    )?;
    for p in snap.ports.iter().filter(|p| p.errors > 0) {
        // A capture cut short, for one: what was read before is replayed, the rest is not.
        writeln!(
            out,
            "  Port errors: {} ({}) {}",
            p.interface, p.backend, p.errors
        )?;
    }
    if !snap.jflow.is_empty() {
        let sum = |f: fn(&flowsh_engine::jflow::InstanceStats) -> u64| {
            snap.jflow.iter().map(f).sum::<u64>()
        };
        let both = |f: fn(&flowsh_engine::export::InstanceExport) -> [u64; 2]| {
            snap.export
                .instances
                .iter()
                .map(f)
                .map(|[a, b]| a + b)
                .sum::<u64>()
        };
        let (exported, records) = (both(|i| i.exported), both(|i| i.records));
        let datagrams = both(|i| i.datagrams);
        writeln!(
            out,
            "  Sampled {} packets into {} flows ({} still held); {records} records ended, \
             {exported} exported in {datagrams} datagrams",
            sum(|i| i.sampler.sampled),
            sum(|i| i.v4.created + i.v6.created),
            sum(|i| i.v4_flows + i.v6_flows),
        )?;
    }
    let Some(commands) = &r.commands else {
        return Ok(true);
    };
    // Show commands read the replayed configuration from a scratch state directory.
    let dir = std::env::temp_dir().join(format!("flowsh-replay-{}", std::process::id()));
    let db = match ConfDb::open(&dir) {
        Ok(db) => db,
        Err(e) => {
            writeln!(out, "error: {e}")?;
            return Ok(false);
        }
    };
    let tree = flowsh_grammar::load_text(&text)
        .map(|l| l.tree)
        .unwrap_or_default();
    let clock = crate::clock::from_env();
    let _ = db.commit(
        &tree,
        "replay",
        "replay",
        Some(format!("replay of {name}")),
        clock.now(),
        None,
    );
    let mut session = Session::new(db, clock, "replay", false);
    session.attach_engine(engine);
    let mut lines = crate::batch::split_commands(commands).into_iter();
    let ok = crate::batch::run(&mut session, &mut lines, out)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ok)
}
