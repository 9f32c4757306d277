//! A CLI session: operational and configuration mode, the edit level, the candidate
//! configuration, and every command, as lines in and text out. The interactive shell, `-c` and
//! standard-input batch mode all drive this one type, so tests drive it the same way.

use std::sync::Arc;

use flowsh_grammar::error::{EditError, ErrorKind, LoadError};
use flowsh_grammar::parse::parse_command;
use flowsh_grammar::resolve::{Options, PathElem, path_words};
use flowsh_grammar::tree::Node;
use flowsh_grammar::{ConfigTree, EditOutcome, execute};

use crate::clock::Clock;
use crate::commands::tree::{self, Action, Cmd, EditVerb, Found, LoadVerb};
use crate::confdb::ConfDb;
use crate::lex::{Word, split_pipes, words};
use crate::pipe::{self, Stage};

/// The two CLI modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Operational,
    Configuration,
}

/// What a command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub out: String,
    /// False when the command failed (batch mode exits non-zero).
    pub ok: bool,
    /// The session ends (`exit` in operational mode).
    pub end: bool,
    /// `| no-more`: do not page this output.
    pub no_more: bool,
    /// Interactive only: ask `Exit with uncommitted changes? [yes,no] (yes)`, then call
    /// [`Session::leave_configuration`] on yes.
    pub ask_exit: bool,
    /// `load ... terminal`: the front end reads text until end of input and calls
    /// [`Session::load_text`].
    pub read_terminal: Option<LoadVerb>,
}

impl Reply {
    pub fn ok(out: impl Into<String>) -> Reply {
        Reply {
            out: out.into(),
            ok: true,
            ..Reply::default()
        }
    }
    pub fn fail(out: impl Into<String>) -> Reply {
        Reply {
            out: out.into(),
            ok: false,
            ..Reply::default()
        }
    }
}

/// Adds a trailing newline to non-empty text that lacks one.
fn nl(mut s: String) -> String {
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// A session of one user.
pub struct Session {
    pub db: ConfDb,
    clock: Arc<dyn Clock>,
    pub user: String,
    /// Interactive sessions show the caret under the prompt; batch ones echo the line.
    pub interactive: bool,
    mode: Mode,
    level: Vec<PathElem>,
    previous_levels: Vec<Vec<PathElem>>,
    candidate: Option<ConfigTree>,
    history: Vec<(i64, String)>,
    /// The forwarding engine the committed configuration drives.
    engine: Option<flowsh_engine::Engine>,
    /// The host name, by the commit it was read from.
    host: std::sync::Mutex<Option<(Option<u64>, String)>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("mode", &self.mode)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

const ABBREV: Options = Options { abbrev: true };

impl Session {
    pub fn new(db: ConfDb, clock: Arc<dyn Clock>, user: &str, interactive: bool) -> Session {
        Session {
            db,
            clock,
            user: user.to_string(),
            interactive,
            mode: Mode::Operational,
            level: Vec::new(),
            previous_levels: Vec::new(),
            candidate: None,
            history: Vec::new(),
            engine: None,
            host: Default::default(),
        }
    }

    /// Gives the session its engine and applies the committed configuration to it; the
    /// warnings name the ports that could not open.
    pub fn attach_engine(&mut self, engine: flowsh_engine::Engine) -> String {
        self.engine = Some(engine);
        self.apply_committed()
    }

    pub fn engine(&self) -> Option<&flowsh_engine::Engine> {
        self.engine.as_ref()
    }

    /// Applies the committed configuration to the engine (after a commit or a rollback);
    /// returns a warning line for each port that could not open.
    pub fn apply_committed(&mut self) -> String {
        match flowsh_grammar::check(&self.committed()) {
            Ok(cfg) => self.apply_checked(&cfg),
            Err(_) => String::new(),
        }
    }

    /// Applies a configuration just committed (and checked) to the engine.
    pub fn apply_checked(&mut self, cfg: &flowsh_grammar::Config) -> String {
        let Some(engine) = &mut self.engine else {
            return String::new();
        };
        engine
            .apply(cfg)
            .iter()
            .map(|e| format!("warning: {e}; {} stays down\n", e.interface))
            .collect()
    }

    /// Seconds since the active configuration was committed (route ages).
    pub fn committed_age(&self) -> i64 {
        self.db
            .committed()
            .ok()
            .and_then(|(_, c)| c)
            .map_or(0, |c| self.clock.now() - c.time)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn level(&self) -> &[PathElem] {
        &self.level
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The committed configuration (empty when it cannot be read; errors show on commit).
    pub fn committed(&self) -> ConfigTree {
        self.db.committed().map(|(t, _)| t).unwrap_or_default()
    }

    /// The candidate being edited (the committed configuration until something changes).
    pub fn candidate(&self) -> ConfigTree {
        self.candidate.clone().unwrap_or_else(|| self.committed())
    }

    fn candidate_mut(&mut self) -> &mut ConfigTree {
        if self.candidate.is_none() {
            self.candidate = Some(self.committed());
        }
        self.candidate.get_or_insert_with(ConfigTree::new)
    }

    /// Whether the candidate differs from the committed configuration.
    pub fn changed(&self) -> bool {
        self.candidate
            .as_ref()
            .is_some_and(|c| *c != self.committed())
    }

    pub fn host_name(&self) -> String {
        // Checked once per commit: the prompt asks for it after every line.
        let seq = self.db.log().ok().and_then(|l| l.last().map(|c| c.seq));
        let mut cached = self.host.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((s, name)) = &*cached
            && *s == seq
        {
            return name.clone();
        }
        let name = flowsh_grammar::check(&self.committed())
            .ok()
            .and_then(|c| c.system.host_name)
            .unwrap_or_else(|| "flowsh".to_string());
        *cached = Some((seq, name.clone()));
        name
    }

    /// `user@host> ` or `user@host# `.
    pub fn prompt(&self) -> String {
        let sign = if self.mode == Mode::Operational {
            '>'
        } else {
            '#'
        };
        format!("{}@{}{sign} ", self.user, self.host_name())
    }

    /// `[edit]` or `[edit interfaces ge-0/0/0]`: shown above the prompt in configuration mode.
    pub fn banner(&self) -> String {
        edit_header(&self.level)
    }

    pub fn history(&self) -> &[(i64, String)] {
        &self.history
    }

    /// Rolls back an unconfirmed `commit confirmed` whose time is up; the message to show.
    pub fn tick(&mut self) -> Option<String> {
        match self.db.expire_confirmed(self.clock.now()) {
            Ok(Some(_)) => {
                let warnings = self.apply_committed();
                Some(format!(
                    "Commit was not confirmed; automatic rollback complete.\n{warnings}"
                ))
            }
            Ok(None) => None,
            Err(e) => Some(format!("error: automatic rollback failed: {e}\n")),
        }
    }

    /// Runs one line.
    pub fn run(&mut self, line: &str) -> Reply {
        let mut prefix = self.tick().unwrap_or_default();
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            self.history.push((self.clock.now(), trimmed.to_string()));
        }
        let mut reply = if trimmed.is_empty() {
            Reply::ok("")
        } else if line.trim_end().ends_with('?') && !crate::lex::in_quotes(line.trim_end()) {
            let before = &line.trim_end()[..line.trim_end().len() - 1];
            Reply::ok(crate::commands::help::help(self, before))
        } else {
            self.dispatch(line)
        };
        if !prefix.is_empty() {
            prefix.push_str(&reply.out);
            reply.out = prefix;
        }
        reply
    }

    /// The error display for a word of the line: a caret under it, then the message.
    pub fn caret(&self, line: &str, col: usize, message: &str) -> String {
        if self.interactive {
            let pad = self.prompt().chars().count() + line[..col.min(line.len())].chars().count();
            format!("{}^\n{}", " ".repeat(pad), nl(message.to_string()))
        } else {
            let pad = line[..col.min(line.len())].chars().count();
            format!("{line}\n{}^\n{}", " ".repeat(pad), nl(message.to_string()))
        }
    }

    fn table(&self) -> &'static [Cmd] {
        match self.mode {
            Mode::Operational => tree::OPERATIONAL,
            Mode::Configuration => tree::CONFIGURATION,
        }
    }

    fn dispatch(&mut self, line: &str) -> Reply {
        let parts = split_pipes(line);
        let stages = match pipe::parse(&parts.pipes) {
            Ok(s) => s,
            Err(e) => return Reply::fail(nl(e)),
        };
        let ws = words(parts.command);
        let (cmd, used) = match resolve_command(self.table(), &ws) {
            Ok(found) => found,
            Err((i, msg)) => {
                let col = ws.get(i).map_or(parts.command.len(), |w| w.start);
                return Reply::fail(self.caret(line, col, &msg));
            }
        };
        let args = &ws[used..];
        let mut reply = self.act(line, parts.command, cmd, args, &stages);
        if reply.ok || !reply.out.is_empty() {
            match pipe::apply_text(std::mem::take(&mut reply.out), &stages) {
                Ok(t) => reply.out = t,
                Err(e) => return Reply::fail(nl(e)),
            }
        }
        reply.no_more |= stages.iter().any(|s| matches!(s, Stage::NoMore));
        reply
    }

    fn act(
        &mut self,
        line: &str,
        command: &str,
        cmd: &Cmd,
        args: &[Word],
        stages: &[Stage],
    ) -> Reply {
        let extra = |s: &Session| -> Option<Reply> {
            let w = args.first()?;
            Some(Reply::fail(s.caret(line, w.start, "syntax error.")))
        };
        match cmd.action {
            Action::None => Reply::fail(self.caret(
                line,
                command.trim_end().len(),
                "syntax error, expecting <command>.",
            )),
            Action::Configure => extra(self).unwrap_or_else(|| self.configure()),
            Action::Exit => extra(self).unwrap_or_else(|| Reply {
                end: true,
                ..Reply::ok("")
            }),
            Action::ShowConfiguration => {
                crate::commands::operational::show_configuration(self, line, args, stages)
            }
            Action::ShowSystemCommit => extra(self)
                .unwrap_or_else(|| crate::commands::operational::show_system_commit(self)),
            Action::ShowVersion => {
                extra(self).unwrap_or_else(|| crate::commands::operational::show_version(self))
            }
            Action::ShowCliHistory => {
                extra(self).unwrap_or_else(|| crate::commands::operational::show_cli_history(self))
            }
            Action::FileShow => crate::commands::operational::file_show(args),
            Action::ShowInterfaces
            | Action::ShowRoute
            | Action::ShowFirewall
            | Action::ClearFirewall
            | Action::ClearInterfaces
            | Action::Ping => crate::commands::engine::run(self, line, cmd.action, args),
            Action::ShowAccounting(_) | Action::ShowFlowTable | Action::ClearAccounting => {
                crate::commands::accounting::run(self, line, cmd.action, args, stages)
            }
            Action::ShowMirrorDestination
            | Action::ShowSecurityPolicies
            | Action::ShowSecuritySessions
            | Action::ShowPortMirroring
            | Action::ShowAnalyzer => crate::commands::mirror::run(self, line, cmd.action, args),
            Action::Edit(verb) => self.edit(line, command, verb, args),
            Action::Up => self.up(line, args),
            Action::Top => extra(self).unwrap_or_else(|| {
                self.level.clear();
                Reply::ok("")
            }),
            Action::ExitConfig => extra(self).unwrap_or_else(|| self.exit_level()),
            Action::ExitConfigurationMode => {
                extra(self).unwrap_or_else(|| self.exit_configuration())
            }
            Action::Show => crate::commands::configuration::show(self, line, args, stages),
            Action::Commit => crate::commands::configuration::commit(self, line, command, args),
            Action::Rollback => crate::commands::configuration::rollback(self, line, args),
            Action::Load(verb) => crate::commands::configuration::load(self, verb, args),
            Action::Save => crate::commands::configuration::save(self, args),
            Action::Run => {
                let start = args.first().map_or(command.len(), |w| w.start);
                let op_line = &line[start..];
                let saved = self.mode;
                self.mode = Mode::Operational;
                let mut reply = self.dispatch(op_line);
                self.mode = saved;
                reply.end = false;
                reply
            }
        }
    }

    fn configure(&mut self) -> Reply {
        self.mode = Mode::Configuration;
        self.level.clear();
        self.previous_levels.clear();
        let mut out = String::from("Entering configuration mode\n");
        if self.changed() {
            out.push_str("The configuration has been changed but not committed\n");
        }
        Reply::ok(out)
    }

    /// `exit`: back to the level before the last `edit`, or out of configuration mode at the top.
    fn exit_level(&mut self) -> Reply {
        if self.level.is_empty() {
            return self.exit_configuration();
        }
        self.level = self.previous_levels.pop().unwrap_or_default();
        Reply::ok("")
    }

    fn exit_configuration(&mut self) -> Reply {
        if self.changed() {
            let warning = "The configuration has been changed but not committed\n";
            if self.interactive {
                return Reply {
                    ask_exit: true,
                    ..Reply::ok(warning)
                };
            }
            let mut r = self.leave_configuration();
            r.out.insert_str(0, warning);
            return r;
        }
        self.leave_configuration()
    }

    /// Leaves configuration mode (the candidate keeps its changes for the next `configure`).
    pub fn leave_configuration(&mut self) -> Reply {
        self.mode = Mode::Operational;
        self.level.clear();
        self.previous_levels.clear();
        Reply::ok("Exiting configuration mode\n")
    }

    fn up(&mut self, line: &str, args: &[Word]) -> Reply {
        let n = match args {
            [] => 1,
            [w] => match w.text.parse::<usize>() {
                Ok(n) if (1..=64).contains(&n) => n,
                _ => {
                    return Reply::fail(self.caret(
                        line,
                        w.start,
                        &format!(
                            "Value {} is not within range (1..64) at '{}'",
                            w.text, w.text
                        ),
                    ));
                }
            },
            [_, w, ..] => return Reply::fail(self.caret(line, w.start, "syntax error.")),
        };
        if self.level.is_empty() {
            return Reply::ok("warning: Already at the top of the configuration.\n");
        }
        for _ in 0..n {
            // Inside a grouped list (`interfaces ge-0/0/0`) one level up is the list itself.
            let grouped =
                flowsh_grammar::resolve::stmt_at(&self.level).is_some_and(|st| st.is_grouped());
            match self.level.last_mut() {
                Some(last) if grouped && last.key.is_some() => last.key = None,
                Some(_) => {
                    self.level.pop();
                }
                None => break,
            }
        }
        Reply::ok("")
    }

    /// The error text for a grammar error in a command line.
    pub fn grammar_error(&self, line: &str, offset_in_line: usize, err: &LoadError) -> String {
        let msg = match &err.kind {
            ErrorKind::Syntax(_) | ErrorKind::Unknown { .. } => "syntax error.".to_string(),
            ErrorKind::Ambiguous { choices } => {
                // The choices with their help, as `?` shows them at that word.
                let upto = (offset_in_line + err.token.len()).min(line.len());
                let help = crate::commands::help::help(self, &line[..upto]);
                let listed = if help.starts_with("Possible completions:") {
                    help
                } else {
                    choices
                        .iter()
                        .map(|c| format!("  {c}\n"))
                        .collect::<String>()
                };
                format!("'{}' is ambiguous.\n{}", err.token, listed)
            }
            ErrorKind::Value(m) => format!("{m} at '{}'", err.token),
            ErrorKind::Missing(m) | ErrorKind::Invalid(m) => format!("error: {m}"),
        };
        self.caret(line, offset_in_line, &msg)
    }

    fn edit(&mut self, line: &str, command: &str, verb: EditVerb, args: &[Word]) -> Reply {
        // The grammar parses `VERB rest-of-line`; its offsets map back by `shift`.
        let rest_start = args.first().map_or(command.len(), |w| w.start);
        let text = format!("{} {}", verb.word(), &command[rest_start..]);
        let shift = rest_start as isize - (verb.word().len() as isize + 1);
        let at = |off: usize| (off as isize + shift).max(0) as usize;
        let cmd = match parse_command(&text) {
            Ok(Some(c)) => c,
            Ok(None) => return Reply::fail(self.caret(line, command.len(), "syntax error.")),
            Err(e) => return Reply::fail(self.grammar_error(line, at(e.offset), &e)),
        };
        let level = self.level.clone();
        let result = execute(self.candidate_mut(), &level, &cmd, ABBREV);
        match result {
            Ok(EditOutcome::Done) => Reply::ok(""),
            Ok(EditOutcome::Level(l)) => {
                self.previous_levels
                    .push(std::mem::replace(&mut self.level, l));
                Reply::ok("")
            }
            Err(EditError::NotFound) => Reply::ok("warning: statement not found\n"),
            Err(EditError::Invalid(m)) => Reply::fail(format!("error: {m}\n")),
            Err(EditError::Load(e)) => Reply::fail(self.grammar_error(line, at(e.offset), &e)),
        }
    }

    /// Applies loaded text to the candidate (`load merge|override|replace|set`); nothing
    /// changes when the text has errors.
    pub fn load_text(&mut self, verb: LoadVerb, source: &str, text: &str) -> Reply {
        crate::commands::configuration::load_text(self, verb, source, text)
    }

    pub(crate) fn set_candidate(&mut self, tree: ConfigTree) {
        self.candidate = Some(tree);
    }

    /// The candidate, moved out (no copy of a large configuration); give it back with
    /// [`Session::set_candidate`].
    pub(crate) fn take_candidate(&mut self) -> ConfigTree {
        self.candidate.take().unwrap_or_else(|| self.committed())
    }
}

/// `[edit]`, `[edit interfaces ge-0/0/0 unit 0]`.
pub fn edit_header(level: &[PathElem]) -> String {
    let words = path_words(level);
    if words.is_empty() {
        "[edit]".to_string()
    } else {
        format!(
            "[edit {}]",
            words
                .iter()
                .map(|w| flowsh_grammar::render::quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

/// Resolves command words against a table: the command and how many words name it.
pub fn resolve_command<'a>(
    table: &'a [Cmd],
    ws: &[Word],
) -> Result<(&'a Cmd, usize), (usize, String)> {
    let mut cmds = table;
    let mut found: Option<&Cmd> = None;
    for (i, w) in ws.iter().enumerate() {
        if cmds.is_empty() {
            break;
        }
        match tree::find(cmds, &w.text) {
            Found::One(c) => {
                found = Some(c);
                cmds = c.children;
                // A command with an action ends the command words, unless the next word is a
                // subcommand of its own (`exit configuration-mode`, unlike `commit check`).
                let sub = ws
                    .get(i + 1)
                    .and_then(|n| match tree::find(c.children, &n.text) {
                        Found::One(sc) if sc.action != c.action => Some(sc),
                        _ => None,
                    });
                if let (Some(sc), true) = (sub, c.action != Action::None) {
                    return Ok((sc, i + 2));
                }
                if c.action != Action::None {
                    return Ok((c, i + 1));
                }
            }
            Found::Ambiguous(cs) => {
                let mut msg = format!("'{}' is ambiguous.\nPossible completions:\n", w.text);
                for c in cs {
                    msg.push_str(&crate::commands::help::line(None, c.name, c.help));
                }
                return Err((i, msg));
            }
            Found::None => {
                let msg = if found.is_none() {
                    "unknown command."
                } else {
                    "syntax error."
                };
                return Err((i, msg.to_string()));
            }
        }
    }
    match found {
        Some(c) => Ok((c, ws.len())),
        None => Err((0, "syntax error, expecting <command>.".to_string())),
    }
}

/// A copy of the node at `path` of `tree` holding only the statement the path ends at
/// (for `show` of a leaf), or the node itself for containers and entries.
pub fn shown_node(tree: &ConfigTree, path: &[PathElem]) -> Option<(Node, Vec<PathElem>)> {
    if let Some(n) = tree.node(path) {
        return Some((n.clone(), path.to_vec()));
    }
    let (last, parent) = path.split_last()?;
    let node = tree.node(parent)?;
    let child = node.child(last.idx)?.clone();
    Some((
        Node {
            children: vec![child],
        },
        parent.to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn session() -> (Session, Arc<ManualClock>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(1_000);
        let db = ConfDb::open(dir.path()).unwrap();
        (Session::new(db, clock.clone(), "lab", false), clock, dir)
    }

    fn run(s: &mut Session, lines: &[&str]) -> String {
        lines.iter().map(|l| s.run(l).out).collect()
    }

    #[test]
    fn an_idle_shell_rolls_back_an_unconfirmed_commit_when_ticked() {
        let (mut s, clock, _dir) = session();
        run(
            &mut s,
            &["configure", "set system host-name good", "commit"],
        );
        run(
            &mut s,
            &["set system host-name risky", "commit confirmed 2"],
        );
        clock.set(1_000 + 119);
        assert_eq!(s.tick(), None);
        clock.set(1_000 + 120);
        assert_eq!(
            s.tick().as_deref(),
            Some("Commit was not confirmed; automatic rollback complete.\n")
        );
        assert_eq!(s.host_name(), "good");
        assert_eq!(s.tick(), None, "the rollback happens once");
    }

    #[test]
    fn prompts_and_banners_follow_mode_and_level() {
        let (mut s, _, _dir) = session();
        assert_eq!(s.prompt(), "lab@flowsh> ");
        run(
            &mut s,
            &[
                "configure",
                "set system host-name r7",
                "commit",
                "edit interfaces ge-0/0/0 unit 0",
            ],
        );
        assert_eq!(s.prompt(), "lab@r7# ");
        assert_eq!(s.banner(), "[edit interfaces ge-0/0/0 unit 0]");
        run(&mut s, &["up"]);
        assert_eq!(s.banner(), "[edit interfaces ge-0/0/0]");
        run(&mut s, &["up"]);
        assert_eq!(s.banner(), "[edit interfaces]");
        run(&mut s, &["exit"]);
        assert_eq!(s.banner(), "[edit]");
    }

    #[test]
    fn run_executes_operational_commands_from_configuration_mode() {
        let (mut s, _, _dir) = session();
        let out = run(&mut s, &["configure", "run show version"]);
        assert!(out.contains("Model: flowsh"), "{out}");
        assert_eq!(s.mode(), Mode::Configuration);
    }

    #[test]
    fn the_candidate_survives_leaving_configuration_mode() {
        let (mut s, _, _dir) = session();
        let out = run(
            &mut s,
            &[
                "configure",
                "set system host-name pending",
                "exit",
                "configure",
            ],
        );
        assert!(out.ends_with("Entering configuration mode\nThe configuration has been changed but not committed\n"), "{out}");
        assert!(s.changed());
    }
}
