//! The interactive shell on rustyline: prompts and `[edit]` banners, `?` help anywhere on the
//! line, Tab completion, the `--More--` pager, and commit-confirmed rollbacks announced above
//! the prompt.

pub mod pager;

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{
    Cmd, CompletionType, ConditionalEventHandler, Config, Context, Editor, Event, EventContext,
    EventHandler, ExternalPrinter, Helper, KeyEvent, RepeatCount,
};

use crate::commands::help;
use crate::session::{Mode, Session};

type Shared = Arc<Mutex<Session>>;

fn lock(s: &Shared) -> MutexGuard<'_, Session> {
    // A panic elsewhere must not take the shell down with a poisoned lock.
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Completion and the rest of rustyline's helper, reading the shared session.
struct ShellHelper {
    session: Shared,
}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(help::complete(&lock(&self.session), &line[..pos]))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

/// `?` outside quotes accepts the line and marks it as a help request; inside quotes it is text.
struct QuestionMark {
    asked: Arc<AtomicBool>,
}

impl ConditionalEventHandler for QuestionMark {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext<'_>) -> Option<Cmd> {
        if crate::lex::in_quotes(&ctx.line()[..ctx.pos()]) {
            return None;
        }
        self.asked.store(true, Ordering::SeqCst);
        Some(Cmd::AcceptLine)
    }
}

fn ask(rl: &mut Editor<ShellHelper, DefaultHistory>, question: &str) -> bool {
    match rl.readline(question) {
        Ok(answer) => {
            let a = answer.trim().to_ascii_lowercase();
            a.is_empty() || "yes".starts_with(&a)
        }
        Err(_) => false,
    }
}

/// Runs one command line and what it asks of the terminal; (succeeded, session ended).
fn run_one(
    shared: &Shared,
    rl: &mut Editor<ShellHelper, DefaultHistory>,
    stdout: &mut std::io::Stdout,
    line: &str,
) -> (bool, bool) {
    let reply = lock(shared).run(line);
    if reply.no_more {
        let _ = write!(stdout, "{}", reply.out);
    } else {
        let _ = pager::print(&reply.out, stdout);
    }
    if reply.ask_exit && ask(rl, "Exit with uncommitted changes? [yes,no] (yes) ") {
        let r = lock(shared).leave_configuration();
        let _ = write!(stdout, "{}", r.out);
    }
    if let Some(verb) = reply.read_terminal {
        let mut text = String::new();
        while let Ok(l) = rl.readline("") {
            text.push_str(&l);
            text.push('\n');
        }
        let r = lock(shared).load_text(verb, "terminal", &text);
        let _ = write!(stdout, "{}", r.out);
    }
    (reply.ok, reply.end)
}

/// Runs the interactive shell until `exit`/`quit` or end of input.
pub fn run(session: Session, history: PathBuf) -> rustyline::Result<bool> {
    let shared: Shared = Arc::new(Mutex::new(session));
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut rl: Editor<ShellHelper, DefaultHistory> = Editor::with_config(config)?;
    rl.set_helper(Some(ShellHelper {
        session: shared.clone(),
    }));
    let asked = Arc::new(AtomicBool::new(false));
    rl.bind_sequence(
        KeyEvent::from('?'),
        EventHandler::Conditional(Box::new(QuestionMark {
            asked: asked.clone(),
        })),
    );
    let _ = rl.load_history(&history);

    // A `commit confirmed` that runs out while the shell waits is rolled back and announced.
    let stop = Arc::new(AtomicBool::new(false));
    if let Ok(mut printer) = rl.create_external_printer() {
        let (s, stop) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(1));
                if let Some(msg) = lock(&s).tick() {
                    let _ = printer.print(msg);
                }
            }
        });
    }

    let mut stdout = std::io::stdout();
    let mut initial = String::new();
    let mut all_ok = true;
    loop {
        let (prompt, banner) = {
            let s = lock(&shared);
            let banner = (s.mode() == Mode::Configuration).then(|| s.banner());
            (s.prompt(), banner)
        };
        if let (Some(b), true) = (banner, initial.is_empty()) {
            let _ = writeln!(stdout, "\n{b}");
        }
        let line = match rl.readline_with_initial(&prompt, (&initial, "")) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                initial.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        initial.clear();
        if asked.swap(false, Ordering::SeqCst) {
            let text = help::help(&lock(&shared), &line);
            let _ = write!(stdout, "{text}");
            initial = line;
            continue;
        }
        // A bracketed paste of several lines (a block of `set` commands) arrives as one line.
        let mut end = false;
        for part in line.split(['\n', '\r']).filter(|l| !l.trim().is_empty()) {
            let _ = rl.add_history_entry(part);
            let (ok, stop_now) = run_one(&shared, &mut rl, &mut stdout, part);
            all_ok &= ok;
            if stop_now {
                end = true;
                break;
            }
        }
        if end {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = rl.save_history(&history);
    Ok(all_ok)
}
