//! Shared pieces of flowsh's end-to-end tests.

use std::path::{Path, PathBuf};

/// The golden corpus directory (`tests/golden`).
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// A configuration file's text without the `## Last commit` header Junos prints above it.
pub fn without_commit_header(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("## "))
        .map(|l| format!("{l}\n"))
        .collect()
}
