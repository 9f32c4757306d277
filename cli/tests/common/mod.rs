//! Running the real `flowsh` binary with its own state directory and an injected clock.

#![allow(dead_code)]

pub mod oracle;
pub mod truth;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// 2026-01-01 12:00:00 UTC.
pub const T0: i64 = 1_767_268_800;

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A fresh state directory and clock file for one test.
pub struct Lab {
    pub dir: PathBuf,
}

/// The directory goes with the lab, unless the test failed: then it is evidence.
impl Drop for Lab {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Lab {
    pub fn new(name: &str) -> Lab {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "flowsh-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab { dir };
        lab.set_time(T0);
        lab
    }

    pub fn state(&self) -> PathBuf {
        self.dir.join("state")
    }

    pub fn set_time(&self, t: i64) {
        std::fs::write(self.dir.join("clock"), t.to_string()).unwrap();
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_flowsh"));
        c.arg("--state-dir")
            .arg(self.state())
            .env("FLOWSH_CLOCK_FILE", self.dir.join("clock"))
            .env("USER", "lab")
            .current_dir(repo(""));
        c
    }

    /// `flowsh replay --config CONFIG --pcap ge-0/0/0=CAPTURE ARGS...`.
    pub fn replay(&self, config: &Path, capture: &Path, args: &[&str]) -> Output {
        self.command()
            .arg("replay")
            .arg("--config")
            .arg(config)
            .arg("--pcap")
            .arg(format!("ge-0/0/0={}", capture.display()))
            .args(args)
            .output()
            .expect("flowsh runs")
    }

    /// `flowsh -c 'COMMANDS'`.
    pub fn run(&self, commands: &str) -> Output {
        self.command()
            .arg("-c")
            .arg(commands)
            .output()
            .expect("flowsh runs")
    }

    /// Commands on standard input.
    pub fn stdin(&self, input: &str) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("flowsh runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
