//! Text to raw statements and commands with the pest grammar. Nothing here knows the schema:
//! the words are resolved against it in `resolve.rs`.

use pest::Parser;
use pest::iterators::Pair;
use pest_derive::Parser;

use crate::error::{ErrorKind, LoadError};

#[derive(Parser)]
#[grammar = "junos.pest"]
pub(crate) struct JunosParser;

/// Deepest `{` nesting accepted; the schema is far shallower, so deeper text is hostile or broken.
pub const MAX_DEPTH: usize = 64;

/// One word of a statement: a bare word, a quoted string (unquoted here) or a `[ ]` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Byte offset in the source text, for `line:column` in errors.
    pub offset: usize,
    /// The items of a `[ a b ]` list.
    pub list: Option<Vec<Token>>,
    pub quoted: bool,
}

/// `inactive:` or `replace:` before a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    Inactive,
    Replace,
}

/// A brace-form statement before schema resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    pub annotation: Option<String>,
    pub modifier: Option<Modifier>,
    pub words: Vec<Token>,
    pub block: Option<Vec<RawStatement>>,
}

/// A configuration-mode editing command before schema resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawCommand {
    Set(Vec<Token>),
    Delete(Vec<Token>),
    Activate(Vec<Token>),
    Deactivate(Vec<Token>),
    Edit(Vec<Token>),
    Rename {
        path: Vec<Token>,
        to: Vec<Token>,
    },
    Copy {
        path: Vec<Token>,
        to: Vec<Token>,
    },
    Insert {
        path: Vec<Token>,
        before: bool,
        target: Vec<Token>,
    },
    Annotate {
        path: Vec<Token>,
        text: Token,
    },
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn token(pair: Pair<'_, Rule>) -> Token {
    let offset = pair.as_span().start();
    match pair.as_rule() {
        Rule::quoted => {
            let inner = pair.into_inner().next().map_or("", |p| p.as_str());
            Token {
                text: unescape(inner),
                offset,
                list: None,
                quoted: true,
            }
        }
        Rule::list => Token {
            text: String::new(),
            offset,
            list: Some(pair.into_inner().map(token).collect()),
            quoted: false,
        },
        _ => Token {
            text: pair.as_str().to_string(),
            offset,
            list: None,
            quoted: false,
        },
    }
}

fn tokens(pair: Pair<'_, Rule>) -> Vec<Token> {
    pair.into_inner().map(token).collect()
}

fn statement(pair: Pair<'_, Rule>) -> RawStatement {
    let mut st = RawStatement {
        annotation: None,
        modifier: None,
        words: Vec::new(),
        block: None,
    };
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::annotation => {
                let s = p.as_str();
                st.annotation = Some(s[2..s.len() - 2].trim().to_string());
            }
            Rule::modifier => {
                st.modifier = p.into_inner().next().map(|m| match m.as_rule() {
                    Rule::replace => Modifier::Replace,
                    _ => Modifier::Inactive,
                });
            }
            Rule::head => st.words = tokens(p),
            Rule::block => st.block = Some(p.into_inner().map(statement).collect()),
            _ => {}
        }
    }
    st
}

/// Rejects `{` nesting deeper than [`MAX_DEPTH`] before pest recurses into it.
fn check_depth(text: &str) -> Result<(), LoadError> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(LoadError::new(
                        i,
                        "{",
                        ErrorKind::Syntax(format!(
                            "statements nested deeper than {MAX_DEPTH} levels"
                        )),
                    ));
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

fn syntax_error(text: &str, err: pest::error::Error<Rule>) -> LoadError {
    let offset = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let rest = &text[offset.min(text.len())..];
    let tok: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(64)
        .collect();
    let detail = if tok.is_empty() {
        if rest.is_empty() {
            "unexpected end of input (missing '}' or ';'?)".to_string()
        } else {
            "statement not terminated: expecting ';' or '{' before the end of the line".to_string()
        }
    } else {
        String::new()
    };
    LoadError::new(offset, &tok, ErrorKind::Syntax(detail))
}

/// Parses brace-form configuration text into raw statements.
pub fn parse_config(text: &str) -> Result<Vec<RawStatement>, LoadError> {
    check_depth(text)?;
    let mut pairs =
        JunosParser::parse(Rule::config_file, text).map_err(|e| syntax_error(text, e))?;
    let file = pairs.next().map(|p| p.into_inner());
    Ok(file
        .into_iter()
        .flatten()
        .filter(|p| p.as_rule() == Rule::statement)
        .map(statement)
        .collect())
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_set
            | Rule::kw_delete
            | Rule::kw_activate
            | Rule::kw_deactivate
            | Rule::kw_edit
            | Rule::kw_rename
            | Rule::kw_copy
            | Rule::kw_insert
            | Rule::kw_annotate
            | Rule::kw_to
    )
}

fn command(pair: Pair<'_, Rule>) -> Option<RawCommand> {
    let rule = pair.as_rule();
    // Keep the paths, the position and the annotation text; drop the keywords.
    let mut parts = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
    let mut next_tokens = || parts.next().map(tokens).unwrap_or_default();
    Some(match rule {
        Rule::set_cmd => RawCommand::Set(next_tokens()),
        Rule::delete_cmd => RawCommand::Delete(next_tokens()),
        Rule::activate_cmd => RawCommand::Activate(next_tokens()),
        Rule::deactivate_cmd => RawCommand::Deactivate(next_tokens()),
        Rule::edit_cmd => RawCommand::Edit(next_tokens()),
        Rule::rename_cmd | Rule::copy_cmd => {
            let path = next_tokens();
            let to = next_tokens();
            if rule == Rule::rename_cmd {
                RawCommand::Rename { path, to }
            } else {
                RawCommand::Copy { path, to }
            }
        }
        Rule::insert_cmd => {
            let path = parts.next().map(tokens).unwrap_or_default();
            let before = parts.next().is_some_and(|p| p.as_str() == "before");
            let target = parts.next().map(tokens).unwrap_or_default();
            RawCommand::Insert {
                path,
                before,
                target,
            }
        }
        Rule::annotate_cmd => {
            let path = parts.next().map(tokens).unwrap_or_default();
            let text = parts.next().map(token)?;
            RawCommand::Annotate { path, text }
        }
        _ => return None,
    })
}

/// Parses one configuration-mode editing command (`set ...`, `rename ... to ...`).
pub fn parse_command(line: &str) -> Result<Option<RawCommand>, LoadError> {
    let mut pairs =
        JunosParser::parse(Rule::command_line, line).map_err(|e| syntax_error(line, e))?;
    Ok(pairs
        .next()
        .and_then(|p| p.into_inner().find(|p| p.as_rule() != Rule::EOI))
        .and_then(command))
}

/// Parses a file of commands, one per line, as `show | display set` prints them.
pub fn parse_set_file(text: &str) -> Result<Vec<RawCommand>, LoadError> {
    let mut pairs = JunosParser::parse(Rule::set_file, text).map_err(|e| syntax_error(text, e))?;
    Ok(pairs
        .next()
        .map(|p| p.into_inner().filter_map(command).collect())
        .unwrap_or_default())
}

/// Whether text looks like `set` commands rather than brace form: its first statement line
/// starts with an editing verb.
pub fn looks_like_set_form(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("/*"))
        .is_some_and(|l| {
            let verb = l.split_whitespace().next().unwrap_or("");
            matches!(
                verb,
                "set"
                    | "delete"
                    | "activate"
                    | "deactivate"
                    | "rename"
                    | "copy"
                    | "insert"
                    | "annotate"
                    | "edit"
            ) && !l.ends_with('{')
                && !l.ends_with(';')
        })
}

#[cfg(test)]
mod tests;
