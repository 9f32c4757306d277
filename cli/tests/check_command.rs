//! `flowsh check FILE...` driven as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn flowsh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowsh"))
        .args(args)
        .current_dir(repo(""))
        .output()
        .expect("flowsh runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_readme_example_checks_clean() {
    let o = flowsh(&["check", "examples/edge-router.conf"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert_eq!(stdout(&o), "configuration check succeeds\n");
}

#[test]
fn a_broken_file_exits_1_with_every_error_and_its_position() {
    let o = flowsh(&["check", "tests/golden/bad/09-range-rate-run-length.conf"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn commit_check_errors_end_with_check_out_failed() {
    let o = flowsh(&["check", "tests/golden/bad/17-undefined-filter.conf"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).ends_with("error: configuration check-out failed\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn several_files_are_each_named_and_one_failure_fails_the_run() {
    let o = flowsh(&[
        "check",
        "examples/edge-router.conf",
        "tests/golden/bad/01-missing-semicolon.conf",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.starts_with("examples/edge-router.conf:\nconfiguration check succeeds\n"),
        "{out}"
    );
    assert!(
        out.contains("tests/golden/bad/01-missing-semicolon.conf:\n"),
        "{out}"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let o = flowsh(&["check", "no-such.conf"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "error: could not read 'no-such.conf': No such file or directory (os error 2)\n"
    );
}

#[test]
fn check_without_files_is_a_usage_error() {
    let o = flowsh(&["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Usage: flowsh check"));
}
