//! flowsh: a Junos-style network OS shell.

mod batch;
mod check_files;
mod clock;
mod commands;
mod confdb;
mod generate;
mod lex;
mod pipe;
mod replay;
mod session;
mod shell;
mod views;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::confdb::ConfDb;
use crate::session::Session;

#[derive(Debug, Parser)]
#[command(
    name = "flowsh",
    version,
    about = "A Junos-style network OS shell",
    long_about = "A Junos-style network OS shell.\n\nWithout -c, commands are read from standard input when it is not a terminal; otherwise the interactive shell starts."
)]
struct Cli {
    /// Directory holding the committed configuration, its rollbacks, the commit log and history
    #[arg(long, value_name = "DIR", global = true)]
    state_dir: Option<PathBuf>,

    /// Configuration file (brace or set form) to load and commit at start
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Binds a configured interface to a packet backend: tun:NAME, tap:NAME, pcap:FILE or pcap-out:FILE
    #[arg(long = "port", value_name = "IFACE=BACKEND")]
    ports: Vec<String>,

    /// Worker threads of the forwarding engine; bound ports are shared out among them
    #[arg(long, global = true, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,

    /// Commands to run, separated by `;` (both modes: `configure; set ...; commit`); then exit
    #[arg(short = 'c', value_name = "COMMANDS")]
    commands: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Commit-check configuration files (brace or set form) without running them.
    ///
    /// Prints every error, Junos style, with FILE:LINE:(COL); exits 0 only if every file checks.
    Check {
        /// Configuration files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Push captures through a configuration as fast as possible, then print a summary.
    Replay {
        /// The configuration (brace or set form).
        #[arg(long, value_name = "FILE", required = true)]
        config: PathBuf,
        /// A capture replayed into an interface: IFACE=CAPTURE.pcap
        #[arg(long = "pcap", value_name = "IFACE=CAPTURE", required = true)]
        pcaps: Vec<String>,
        /// Other ports, for example IFACE=pcap-out:FILE to record what leaves
        #[arg(long = "port", value_name = "IFACE=BACKEND")]
        ports: Vec<String>,
        /// Show commands run on the final state, separated by `;`
        #[arg(short = 'c', value_name = "COMMANDS")]
        commands: Option<String>,
        /// Replay at the captures' own pace instead of as fast as possible
        #[arg(long)]
        pace: bool,
        /// Write every exported flow record to FILE as a JSON line
        #[arg(long, value_name = "FILE")]
        flow_records: Option<PathBuf>,
        /// Leave the flows in their tables at the end (no forced export), for `-c` to list
        #[arg(long)]
        keep_flows: bool,
    },
    /// Write a synthetic capture of many flows (raw IP), for replays and benchmarks.
    Generate {
        /// The capture to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Distinct flows, visited round-robin.
        #[arg(long, default_value_t = 1000)]
        flows: u32,
        /// Packets in all.
        #[arg(long, default_value_t = 100_000)]
        packets: u64,
        /// IP packet size in bytes.
        #[arg(long, default_value_t = 64)]
        size: usize,
        /// Source addresses.
        #[arg(long, default_value = "10.0.0.0/8")]
        src: ipnet::Ipv4Net,
        /// Destination addresses.
        #[arg(long, default_value = "172.16.0.0/12")]
        dst: ipnet::Ipv4Net,
        /// Packets per second of capture time.
        #[arg(long, default_value_t = 1_000_000)]
        rate: u64,
        /// The flows' transport: UDP to port 5001, TCP ACKs to 443, or a mix (7 TCP, 2 UDP,
        /// 1 ping in 10).
        #[arg(long, value_enum, default_value = "udp")]
        proto: generate::Protocol,
        /// Address family: IPv4, IPv6 (the IPv4 numbers under 2001:db8:a::/64 and
        /// 2001:db8:b::/64), or both (every other flow IPv6).
        #[arg(long, value_enum, default_value = "inet")]
        family: generate::FamilyMix,
        /// Mixed traffic (TCP connections, DNS, pings) of varied sizes and timing over
        /// PACKETS / RATE seconds; each flow sends a few packets.
        #[arg(long)]
        mixed: bool,
    },
}

fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))
        .map_or_else(|| PathBuf::from("flowsh-state"), |d| d.join("flowsh"))
}

fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".to_string())
}

/// `--config FILE`: loaded and committed at start; any error stops start-up.
fn commit_startup_config(session: &mut Session, file: &Path) -> Result<(), String> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("error: could not read '{name}': {e}\n"))?;
    flowsh_grammar::check::check_text(&name, &text)?;
    let tree = flowsh_grammar::load_text(&text)
        .map_err(|e| e.render(&name, &text))?
        .tree;
    if tree != session.committed() {
        let user = session.user.clone();
        session
            .db
            .commit(
                &tree,
                &user,
                "cli",
                Some(format!("loaded from {name}")),
                session.now(),
                None,
            )
            .map_err(|e| format!("error: commit failed: {e}\n"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Check { files }) = &cli.command {
        let mut out = std::io::stdout().lock();
        return match check_files::run(files, &mut out) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    if let Some(Command::Generate {
        out,
        flows,
        packets,
        size,
        src,
        dst,
        rate,
        proto,
        family,
        mixed,
    }) = &cli.command
    {
        let g = generate::Generate {
            out: out.clone(),
            flows: *flows,
            packets: *packets,
            size: *size,
            src: *src,
            dst: *dst,
            rate: *rate,
            protocol: *proto,
            family: *family,
            mixed: *mixed,
            // 2026-01-01 00:00:00 UTC: a fixed start keeps generated captures identical.
            start_ns: 1_767_225_600_000_000_000,
        };
        return match generate::run(&g) {
            Ok(n) => {
                println!("Wrote {n} packets of {flows} flows to {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {}: {e}", out.display());
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Replay {
        config,
        pcaps,
        ports,
        commands,
        pace,
        flow_records,
        keep_flows,
    }) = &cli.command
    {
        let r = replay::Replay {
            config: config.clone(),
            pcaps: pcaps.clone(),
            ports: ports.clone(),
            commands: commands.clone(),
            pace: *pace,
            flow_records: flow_records.clone(),
            keep_flows: *keep_flows,
            workers: usize::from(cli.workers),
        };
        let mut out = std::io::stdout().lock();
        return match replay::run(&r, &mut out) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let state_dir = cli.state_dir.clone().unwrap_or_else(default_state_dir);
    let db = match ConfDb::open(&state_dir) {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "error: cannot use state directory '{}': {e}",
                state_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let interactive = cli.commands.is_none() && std::io::stdin().is_terminal();
    let mut session = Session::new(db, clock::from_env(), &user_name(), interactive);
    if let Some(msg) = session.tick() {
        print!("{msg}");
    }
    if let Some(file) = &cli.config
        && let Err(e) = commit_startup_config(&mut session, file)
    {
        print!("{e}");
        return ExitCode::FAILURE;
    }
    // The engine: ports that cannot open are reported, and their interfaces stay down.
    let mut engine = flowsh_engine::Engine::with_workers(usize::from(cli.workers));
    for binding in &cli.ports {
        match flowsh_engine::port::parse_binding(binding) {
            Ok((iface, backend)) => {
                if let Err(e) = engine.bind(&iface, &backend) {
                    eprintln!("warning: {e}; {iface} stays down");
                }
            }
            Err(e) => {
                eprintln!("error: --port {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    // Ports of interfaces the configuration has open here; the others at their commit.
    eprint!("{}", session.attach_engine(engine));
    let mut out = std::io::stdout().lock();
    let ok = if let Some(text) = &cli.commands {
        let mut lines = batch::split_commands(text).into_iter();
        batch::run(&mut session, &mut lines, &mut out)
    } else if !interactive {
        batch::run_stdin(&mut session, &mut out)
    } else {
        drop(out);
        let history = state_dir.join("cli-history");
        shell::run(session, history).map_err(std::io::Error::other)
    };
    match ok {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
