//! Configuration-mode editing commands applied to a tree at an edit level.

use crate::error::{EditError, ErrorKind, LoadError};
use crate::parse::{RawCommand, Token};
use crate::resolve::{
    Assign, Options, PathElem, Scope, Step, resolve_statement, resolve_target, scope_at, stmt_at,
};
use crate::schema::{Kind, Lookup, lookup};
use crate::tree::ConfigTree;

/// What a successful command changed for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    Done,
    /// `edit` moved the session to this level.
    Level(Vec<PathElem>),
}

/// The offset of a command's first word, for errors that concern the whole command.
pub fn command_offset(cmd: &RawCommand) -> usize {
    let first = match cmd {
        RawCommand::Set(w)
        | RawCommand::Delete(w)
        | RawCommand::Activate(w)
        | RawCommand::Deactivate(w)
        | RawCommand::Edit(w) => w.first(),
        RawCommand::Rename { path, .. }
        | RawCommand::Copy { path, .. }
        | RawCommand::Insert { path, .. }
        | RawCommand::Annotate { path, .. } => path.first(),
    };
    first.map_or(0, |t| t.offset)
}

fn scope(level: &[PathElem]) -> Result<Scope, EditError> {
    scope_at(level).ok_or_else(|| EditError::Invalid("invalid edit level".into()))
}

/// The new key named by the words after `to`/`before`/`after`: `term t2` for lists whose
/// keyword repeats per entry, `t2` alone inside grouped lists (`rename interfaces ge-0/0/1 to ge-0/0/2`).
fn sibling_key(path: &[PathElem], words: &[Token], opts: Options) -> Result<String, EditError> {
    let stmt = stmt_at(path).ok_or(EditError::NotFound)?;
    let key_tok = if stmt.is_grouped() || stmt.name.is_empty() {
        match words {
            [k] => k,
            _ => {
                return Err(EditError::Invalid(format!(
                    "expecting a new {}",
                    stmt.value_placeholder()
                )));
            }
        }
    } else {
        match words {
            [kw, k] => {
                let siblings = stmt_siblings(path).ok_or(EditError::NotFound)?;
                match lookup(siblings, &kw.text, opts.abbrev) {
                    Lookup::Found(i) if siblings[i].name == stmt.name => k,
                    _ => {
                        return Err(EditError::Load(LoadError::new(
                            kw.offset,
                            &kw.text,
                            ErrorKind::Invalid(format!("expecting '{} <name>'", stmt.name)),
                        )));
                    }
                }
            }
            _ => {
                return Err(EditError::Invalid(format!(
                    "expecting '{} <name>'",
                    stmt.name
                )));
            }
        }
    };
    if let Some(ty) = stmt.value_type() {
        ty.check(&key_tok.text)
            .map_err(|m| LoadError::new(key_tok.offset, &key_tok.text, ErrorKind::Value(m)))?;
    }
    Ok(key_tok.text.clone())
}

fn stmt_siblings(path: &[PathElem]) -> Option<&'static [crate::schema::Stmt]> {
    match scope_at(&path[..path.len().checked_sub(1)?])? {
        Scope::Stmts(s) => Some(s),
        Scope::Keys(_) => None,
    }
}

fn entry_target(
    level: &[PathElem],
    words: &[Token],
    opts: Options,
) -> Result<Vec<PathElem>, EditError> {
    let target = resolve_target(level, scope(level)?, words, opts)?;
    match target.path.last() {
        Some(PathElem { key: Some(_), .. }) => Ok(target.path),
        _ => Err(EditError::Invalid(
            "a named statement (list entry) is required".into(),
        )),
    }
}

/// Executes an editing command on `tree` at the edit level `level`.
pub fn execute(
    tree: &mut ConfigTree,
    level: &[PathElem],
    cmd: &RawCommand,
    opts: Options,
) -> Result<EditOutcome, EditError> {
    match cmd {
        RawCommand::Set(words) => {
            if words.is_empty() {
                return Err(EditError::Invalid("missing statement".into()));
            }
            let resolved = resolve_statement(level, scope(level)?, words, false, opts)?;
            for step in &resolved.steps {
                tree.apply(step);
            }
            Ok(EditOutcome::Done)
        }
        RawCommand::Delete(words) => {
            let target = resolve_target(level, scope(level)?, words, opts)?;
            tree.delete(&target)?;
            Ok(EditOutcome::Done)
        }
        RawCommand::Activate(words) | RawCommand::Deactivate(words) => {
            let target = resolve_target(level, scope(level)?, words, opts)?;
            let inactive = matches!(cmd, RawCommand::Deactivate(_));
            tree.set_inactive(&target.path, inactive)?;
            Ok(EditOutcome::Done)
        }
        RawCommand::Annotate { path, text } => {
            let target = resolve_target(level, scope(level)?, path, opts)?;
            tree.annotate(&target.path, Some(text.text.clone()))?;
            Ok(EditOutcome::Done)
        }
        RawCommand::Edit(words) => {
            let target = resolve_target(level, scope(level)?, words, opts)?;
            if target.values.is_some() {
                return Err(EditError::Invalid("cannot edit a leaf statement".into()));
            }
            let stmt = stmt_at(&target.path);
            match (stmt.map(|s| s.kind), target.path.last()) {
                (None, _) => {}
                (Some(Kind::Container), _)
                | (Some(Kind::List { .. }), Some(PathElem { key: Some(_), .. })) => {
                    tree.apply(&Step {
                        path: target.path.clone(),
                        assign: Assign::Create,
                    });
                }
                (Some(Kind::List { grouped: true, .. }), _) => {}
                _ => return Err(EditError::Invalid("cannot edit a leaf statement".into())),
            }
            Ok(EditOutcome::Level(target.path))
        }
        RawCommand::Rename { path, to } => {
            let from = entry_target(level, path, opts)?;
            let new_key = sibling_key(&from, to, opts)?;
            tree.rename(&from, &new_key)?;
            Ok(EditOutcome::Done)
        }
        RawCommand::Copy { path, to } => {
            let from = entry_target(level, path, opts)?;
            let new_key = sibling_key(&from, to, opts)?;
            tree.copy(&from, &new_key)?;
            Ok(EditOutcome::Done)
        }
        RawCommand::Insert {
            path,
            before,
            target,
        } => {
            let from = entry_target(level, path, opts)?;
            let stmt = stmt_at(&from).ok_or(EditError::NotFound)?;
            if !stmt.ordered {
                return Err(EditError::Invalid(format!(
                    "'{}' entries are ordered by the system; insert applies to user-ordered lists",
                    stmt.name
                )));
            }
            let other = sibling_key(&from, target, opts)?;
            tree.insert(&from, *before, &other)?;
            Ok(EditOutcome::Done)
        }
    }
}
