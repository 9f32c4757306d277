//! Errors for text that does not fit the grammar or the schema, with their source position.

use std::fmt;

/// What is wrong with a word or a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text does not fit the grammar; the string adds detail when the token alone is empty.
    Syntax(String),
    /// A word that names no statement here; the statements that may stand here.
    Unknown { possible: Vec<String> },
    /// An abbreviation that fits several statements.
    Ambiguous { choices: Vec<String> },
    /// A value of the wrong type or out of range: the message says which.
    Value(String),
    /// A statement that needs a value or name that is not there.
    Missing(String),
    /// A statement that cannot be used this way here (for example `{` after a leaf).
    Invalid(String),
}

/// An error in loaded text or a command line, at a byte offset of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub offset: usize,
    pub token: String,
    pub kind: ErrorKind,
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

/// Line and column of a byte offset (columns count characters).
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    LineCol { line, col }
}

impl LoadError {
    pub fn new(offset: usize, token: &str, kind: ErrorKind) -> Self {
        LoadError {
            offset,
            token: token.to_string(),
            kind,
        }
    }

    /// The first line of the message, without position: `syntax error: TOKEN`.
    pub fn headline(&self) -> String {
        match &self.kind {
            ErrorKind::Syntax(detail) if self.token.is_empty() => format!("syntax error, {detail}"),
            ErrorKind::Syntax(_) | ErrorKind::Unknown { .. } => {
                format!("syntax error: {}", self.token)
            }
            ErrorKind::Ambiguous { .. } => format!("syntax error: '{}' is ambiguous", self.token),
            ErrorKind::Value(msg) => msg.clone(),
            ErrorKind::Missing(msg) | ErrorKind::Invalid(msg) => format!("error: {msg}"),
        }
    }

    /// Lines after the headline (possible statements, ambiguous choices).
    pub fn details(&self) -> Vec<String> {
        match &self.kind {
            ErrorKind::Syntax(detail) if !self.token.is_empty() && !detail.is_empty() => {
                vec![detail.clone()]
            }
            ErrorKind::Unknown { possible } if !possible.is_empty() => {
                vec![format!("possible statements here: {}", possible.join(" "))]
            }
            ErrorKind::Ambiguous { choices } => {
                vec![format!("possible completions: {}", choices.join(" "))]
            }
            _ => Vec::new(),
        }
    }

    /// Junos load format: `FILE:LINE:(COL) syntax error: TOKEN`, then indented details.
    pub fn display_in(&self, source: &str, text: &str) -> String {
        let lc = line_col(text, self.offset);
        let mut s = format!("{source}:{}:({}) {}", lc.line, lc.col, self.headline());
        for d in self.details() {
            s.push_str("\n  ");
            s.push_str(&d);
        }
        s
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        for d in self.details() {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A failed editing operation on the tree (the CLI prints these after `error:`/`warning:`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("statement not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Load(#[from] LoadError),
}
