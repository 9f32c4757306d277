//! The interactive shell in a pseudo-terminal: `?` help, Tab completion, the `[edit]` banner,
//! the `--More--` pager, the exit question, and history kept in the state directory.

mod common;

use std::process::Command;

use common::{Lab, repo};
use rexpect::session::{PtySession, spawn_command};

const TIMEOUT_MS: u64 = 20_000;

/// Types keys without Enter (rexpect buffers `send` until a flush).
fn keys(p: &mut PtySession, s: &str) {
    p.send(s).unwrap();
    p.flush().unwrap();
}

/// flowsh on a 12-row terminal, so long output pages.
fn shell(lab: &Lab) -> PtySession {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!(
            "stty rows 12 cols 120; exec '{}' --state-dir '{}'",
            env!("CARGO_BIN_EXE_flowsh"),
            lab.state().display()
        ))
        .env("FLOWSH_CLOCK_FILE", lab.path("clock"))
        .env("USER", "lab")
        .env("TERM", "xterm")
        .current_dir(repo(""));
    spawn_command(c, Some(TIMEOUT_MS)).expect("flowsh starts in a pty")
}

#[test]
fn help_completion_banner_pager_and_history() {
    let lab = Lab::new("pty");
    let mut p = shell(&lab);
    p.exp_string("lab@flowsh> ").unwrap();

    // `?` lists the choices and gives the line back for editing.
    keys(&mut p, "show ?");
    p.exp_string("Possible completions:").unwrap();
    p.exp_string("Show current configuration").unwrap();
    p.exp_string("lab@flowsh> show ").unwrap();
    keys(&mut p, "\u{15}");

    p.send_line("configure").unwrap();
    p.exp_string("Entering configuration mode").unwrap();
    p.exp_string("[edit]").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();

    // Tab completes a unique keyword from the schema.
    keys(&mut p, "set sys\t");
    p.exp_string("system ").unwrap();
    p.send_line("host-name r1").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();

    // A pasted block of `set` lines (bracketed paste) runs line by line.
    keys(
        &mut p,
        "\u{1b}[200~set system domain-name x.net\rset system time-zone UTC\r\u{1b}[201~",
    );
    p.send_line("").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();
    p.send_line("show system").unwrap();
    p.exp_string("time-zone UTC;").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();

    // `?` inside quotes is text, not help.
    p.send_line("set system location \"why?\"").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();

    p.send_line("edit forwarding-options sampling").unwrap();
    p.exp_string("[edit forwarding-options sampling]").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();
    p.send_line("top").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();

    // Long output pages on a 12-row terminal: space for a page, q to stop.
    let cfg = repo("examples/edge-router.conf");
    p.send_line(&format!("load merge {}", cfg.display()))
        .unwrap();
    p.exp_string("load complete").unwrap();
    p.exp_string("lab@flowsh# ").unwrap();
    p.send_line("show").unwrap();
    p.exp_string("--More--").unwrap();
    keys(&mut p, " ");
    p.exp_string("--More--").unwrap();
    keys(&mut p, "q");
    p.exp_string("lab@flowsh# ").unwrap();

    // Leaving with uncommitted changes asks first.
    p.send_line("exit").unwrap();
    p.exp_string("The configuration has been changed but not committed")
        .unwrap();
    p.exp_string("Exit with uncommitted changes? [yes,no] (yes)")
        .unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Exiting configuration mode").unwrap();
    p.exp_string("lab@flowsh> ").unwrap();
    p.send_line("exit").unwrap();
    p.exp_eof().unwrap();

    let history = std::fs::read_to_string(lab.state().join("cli-history")).unwrap();
    assert!(
        history.contains("configure") && history.contains("set sys"),
        "{history}"
    );
}

#[test]
fn show_system_commit_in_the_shell_uses_the_same_output() {
    let lab = Lab::new("pty-commit");
    lab.run("configure; set system host-name r2; commit comment \"from a script\"");
    let mut p = shell(&lab);
    p.exp_string("lab@r2> ").unwrap();
    p.send_line("show system commit").unwrap();
    p.exp_string("0   2026-01-01 12:00:00 UTC by lab via cli")
        .unwrap();
    p.exp_string("from a script").unwrap();
    p.send_line("quit").unwrap();
    p.exp_eof().unwrap();
}
