//! The configuration database in `--state-dir`: committed configurations as brace-form files
//! (rollback 0 is the active one, up to 49 earlier ones), and the commit log that names them.
//!
//! ```text
//! STATE/config/00000042.conf   one file per commit, written atomically
//! STATE/commit-log.json        the commits, newest last; replacing it is what makes a commit
//! STATE/lock                   held while a commit runs, so two shells never interleave
//! ```
//!
//! A commit writes its configuration file first (temp file, fsync, rename, fsync of the
//! directory), then the log the same way. A process killed at any point leaves either the old
//! log (the commit did not happen; the new file is ignored and pruned later) or the new one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flowsh_grammar::ConfigTree;
use flowsh_grammar::load::load_brace;
use flowsh_grammar::render::brace;
use serde::{Deserialize, Serialize};

/// Junos keeps rollback 0 (active) and 1..49.
pub const ROLLBACKS: usize = 50;

/// One commit of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Increases by one per commit; names the configuration file.
    pub seq: u64,
    /// Unix seconds.
    pub time: i64,
    pub user: String,
    /// `cli`, `batch`, or `confirmed-rollback` for an automatic rollback.
    pub client: String,
    pub comment: Option<String>,
    /// For `commit confirmed`: Unix seconds after which the commit rolls back unless confirmed.
    pub confirm_deadline: Option<i64>,
}

/// Why the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("rollback {0} does not exist")]
    NoRollback(usize),
    #[error("committed configuration {path} is damaged: {message}")]
    Damaged { path: String, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: a temp file beside it, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DbError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        path.file_name()
            .map_or("file".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io_err(path))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct ConfDb {
    dir: PathBuf,
    /// The last configuration read, by commit number: a committed file never changes, and a
    /// 100,000-line configuration takes a second to parse (the prompt reads the host name).
    parsed: std::sync::Arc<std::sync::Mutex<Option<(u64, ConfigTree)>>>,
}

impl ConfDb {
    /// Opens (creating if needed) a state directory, and checks that it is writable.
    pub fn open(dir: &Path) -> Result<Self, DbError> {
        let configs = dir.join("config");
        fs::create_dir_all(&configs).map_err(io_err(&configs))?;
        let probe = dir.join(".write-test");
        File::create(&probe).map_err(io_err(dir))?;
        let _ = fs::remove_file(&probe);
        Ok(ConfDb {
            dir: dir.to_path_buf(),
            parsed: Default::default(),
        })
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("commit-log.json")
    }

    fn config_path(&self, seq: u64) -> PathBuf {
        self.dir.join("config").join(format!("{seq:08}.conf"))
    }

    /// The commits, newest last (at most [`ROLLBACKS`]).
    pub fn log(&self) -> Result<Vec<Commit>, DbError> {
        let path = self.log_path();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| DbError::Damaged {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// The commit `n` steps back (0 = active), and its configuration.
    pub fn rollback(&self, n: usize) -> Result<(Commit, ConfigTree), DbError> {
        let log = self.log()?;
        let commit = log
            .len()
            .checked_sub(n + 1)
            .and_then(|i| log.get(i))
            .cloned()
            .ok_or(DbError::NoRollback(n))?;
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seq, tree)) = &*parsed
            && *seq == commit.seq
        {
            return Ok((commit, tree.clone()));
        }
        let path = self.config_path(commit.seq);
        let text = fs::read_to_string(&path).map_err(io_err(&path))?;
        let tree = load_brace(&text)
            .map_err(|e| DbError::Damaged {
                path: path.display().to_string(),
                message: e.render(&path.display().to_string(), &text),
            })?
            .tree;
        *parsed = Some((commit.seq, tree.clone()));
        Ok((commit, tree))
    }

    /// The active configuration (empty before the first commit) and its commit.
    pub fn committed(&self) -> Result<(ConfigTree, Option<Commit>), DbError> {
        match self.rollback(0) {
            Ok((c, t)) => Ok((t, Some(c))),
            Err(DbError::NoRollback(_)) => Ok((ConfigTree::new(), None)),
            Err(e) => Err(e),
        }
    }

    /// Holds the database lock for the life of the guard.
    fn lock(&self) -> Result<File, DbError> {
        let path = self.dir.join("lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        f.lock().map_err(io_err(&path))?;
        Ok(f)
    }

    /// Records a new active configuration. Any earlier `commit confirmed` is confirmed by it.
    pub fn commit(
        &self,
        tree: &ConfigTree,
        user: &str,
        client: &str,
        comment: Option<String>,
        now: i64,
        confirm_minutes: Option<u32>,
    ) -> Result<Commit, DbError> {
        let _guard = self.lock()?;
        let mut log = self.log()?;
        let seq = log.last().map_or(1, |c| c.seq + 1);
        write_atomic(&self.config_path(seq), brace(tree).as_bytes())?;
        fault_point("commit-after-config-write");
        for c in &mut log {
            c.confirm_deadline = None;
        }
        let commit = Commit {
            seq,
            time: now,
            user: user.to_string(),
            client: client.to_string(),
            comment,
            confirm_deadline: confirm_minutes.map(|m| now + i64::from(m) * 60),
        };
        log.push(commit.clone());
        let dropped: Vec<u64> = if log.len() > ROLLBACKS {
            log.drain(..log.len() - ROLLBACKS).map(|c| c.seq).collect()
        } else {
            Vec::new()
        };
        let json = serde_json::to_vec_pretty(&log).map_err(|e| DbError::Damaged {
            path: self.log_path().display().to_string(),
            message: e.to_string(),
        })?;
        write_atomic(&self.log_path(), &json)?;
        // What was just written is what a read would parse back (render and parse round-trip).
        *self.parsed.lock().unwrap_or_else(|e| e.into_inner()) = Some((seq, tree.clone()));
        for seq in dropped {
            let _ = fs::remove_file(self.config_path(seq));
        }
        self.prune_orphans(&log);
        Ok(commit)
    }

    /// Removes configuration files no commit names (left by a commit killed before its log).
    fn prune_orphans(&self, log: &[Commit]) {
        let Ok(entries) = fs::read_dir(self.dir.join("config")) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let seq = name
                .strip_suffix(".conf")
                .and_then(|s| s.parse::<u64>().ok());
            if seq.is_some_and(|s| !log.iter().any(|c| c.seq == s)) || name.contains(".tmp.") {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// The deadline of an unconfirmed `commit confirmed`, if any.
    pub fn pending_confirm(&self) -> Result<Option<i64>, DbError> {
        Ok(self.log()?.last().and_then(|c| c.confirm_deadline))
    }

    /// If a `commit confirmed` was not confirmed by `now`, commits rollback 1 again and returns
    /// that commit; otherwise nothing happens.
    pub fn expire_confirmed(&self, now: i64) -> Result<Option<Commit>, DbError> {
        match self.pending_confirm()? {
            Some(deadline) if now >= deadline => {
                let tree = match self.rollback(1) {
                    Ok((_, t)) => t,
                    Err(DbError::NoRollback(_)) => ConfigTree::new(),
                    Err(e) => return Err(e),
                };
                let c = self.commit(
                    &tree,
                    "root",
                    "confirmed-rollback",
                    Some("commit confirmed was not confirmed: rolled back".into()),
                    now,
                    None,
                )?;
                Ok(Some(c))
            }
            _ => Ok(None),
        }
    }
}

/// Test seam: `FLOWSH_FAULT=NAME` aborts the process at the named point, as a kill would.
fn fault_point(name: &str) {
    if std::env::var("FLOWSH_FAULT").is_ok_and(|f| f == name) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowsh_grammar::load_text;

    fn tree(text: &str) -> ConfigTree {
        load_text(text).unwrap().tree
    }

    fn db() -> (ConfDb, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (ConfDb::open(dir.path()).unwrap(), dir)
    }

    #[test]
    fn before_any_commit_the_configuration_is_empty() {
        let (db, _dir) = db();
        assert!(db.committed().unwrap().0.is_empty());
        assert!(matches!(db.rollback(1), Err(DbError::NoRollback(1))));
    }

    #[test]
    fn a_commit_by_another_process_is_read_not_the_cached_configuration() {
        let (a, dir) = db();
        let b = ConfDb::open(dir.path()).unwrap();
        let named = |name: &str| format!("system {{\n    host-name {name};\n}}\n");
        for (t, name) in [(1, "one"), (2, "two")] {
            a.commit(&tree(&named(name)), "u", "cli", None, t, None)
                .unwrap();
            assert_eq!(brace(&b.committed().unwrap().0), named(name));
        }
        assert_eq!(brace(&b.rollback(1).unwrap().1), named("one"));
    }

    #[test]
    fn commits_become_rollbacks_newest_first() {
        let (db, _dir) = db();
        for i in 0..3 {
            db.commit(
                &tree(&format!("system {{ host-name r{i}; }}\n")),
                "lab",
                "cli",
                None,
                100 + i,
                None,
            )
            .unwrap();
        }
        assert_eq!(
            brace(&db.rollback(0).unwrap().1),
            "system {\n    host-name r2;\n}\n"
        );
        assert_eq!(
            brace(&db.rollback(2).unwrap().1),
            "system {\n    host-name r0;\n}\n"
        );
        assert_eq!(db.log().unwrap().len(), 3);
    }

    #[test]
    fn only_fifty_commits_are_kept_and_their_files_pruned() {
        let (db, dir) = db();
        for i in 0..55 {
            db.commit(
                &tree(&format!("system {{ host-name r{i}; }}\n")),
                "lab",
                "cli",
                None,
                i,
                None,
            )
            .unwrap();
        }
        assert_eq!(db.log().unwrap().len(), ROLLBACKS);
        assert_eq!(
            fs::read_dir(dir.path().join("config")).unwrap().count(),
            ROLLBACKS
        );
        assert_eq!(
            brace(&db.rollback(49).unwrap().1),
            "system {\n    host-name r5;\n}\n"
        );
        assert!(matches!(db.rollback(50), Err(DbError::NoRollback(50))));
    }

    #[test]
    fn an_unconfirmed_commit_rolls_back_at_its_deadline_and_not_before() {
        let (db, _dir) = db();
        db.commit(
            &tree("system { host-name good; }\n"),
            "lab",
            "cli",
            None,
            1000,
            None,
        )
        .unwrap();
        db.commit(
            &tree("system { host-name risky; }\n"),
            "lab",
            "cli",
            None,
            2000,
            Some(5),
        )
        .unwrap();
        assert_eq!(db.pending_confirm().unwrap(), Some(2300));
        assert!(db.expire_confirmed(2299).unwrap().is_none());
        let rb = db.expire_confirmed(2300).unwrap().unwrap();
        assert_eq!(rb.client, "confirmed-rollback");
        assert_eq!(
            brace(&db.committed().unwrap().0),
            "system {\n    host-name good;\n}\n"
        );
        assert_eq!(db.pending_confirm().unwrap(), None);
    }

    #[test]
    fn another_commit_confirms() {
        let (db, _dir) = db();
        db.commit(
            &tree("system { host-name risky; }\n"),
            "lab",
            "cli",
            None,
            2000,
            Some(5),
        )
        .unwrap();
        db.commit(
            &tree("system { host-name risky; }\n"),
            "lab",
            "cli",
            None,
            2100,
            None,
        )
        .unwrap();
        assert!(db.expire_confirmed(99_999).unwrap().is_none());
    }

    #[test]
    fn an_orphan_file_from_a_killed_commit_is_ignored_and_pruned() {
        let (db, dir) = db();
        db.commit(
            &tree("system { host-name a; }\n"),
            "lab",
            "cli",
            None,
            1,
            None,
        )
        .unwrap();
        fs::write(
            dir.path().join("config").join("00000002.conf"),
            "system { host-name half; }\n",
        )
        .unwrap();
        assert_eq!(
            brace(&db.committed().unwrap().0),
            "system {\n    host-name a;\n}\n"
        );
        db.commit(
            &tree("system { host-name b; }\n"),
            "lab",
            "cli",
            None,
            2,
            None,
        )
        .unwrap();
        assert_eq!(
            brace(&db.committed().unwrap().0),
            "system {\n    host-name b;\n}\n"
        );
        assert_eq!(db.log().unwrap().len(), 2);
    }

    #[test]
    fn an_unwritable_directory_is_a_clear_error() {
        let err = ConfDb::open(Path::new("/proc/flowsh-state")).unwrap_err();
        assert!(err.to_string().starts_with("/proc/flowsh-state"), "{err}");
    }
}
