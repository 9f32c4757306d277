//! `--More--` paging of long output on a terminal: space for the next page, Enter for the next
//! line, `q` to stop.

use std::io::{self, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyModifiers};
use crossterm::terminal;

/// The issue asks for `--More--`; Junos devices print `---(more)---`. The former is used.
const PROMPT: &str = "--More--";

/// What the reader asked for at the `--More--` prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Page,
    Line,
    Quit,
}

fn read_key() -> io::Result<Key> {
    terminal::enable_raw_mode()?;
    let key = loop {
        match event::read() {
            Ok(Event::Key(KeyEvent {
                code, modifiers, ..
            })) => match code {
                KeyCode::Char(' ') => break Ok(Key::Page),
                KeyCode::Enter | KeyCode::Down | KeyCode::Char('j') => break Ok(Key::Line),
                KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => break Ok(Key::Quit),
                KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => {
                    break Ok(Key::Quit);
                }
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e),
        }
    };
    terminal::disable_raw_mode()?;
    key
}

/// Where the shown part ends after `key`, or `None` to stop.
fn advance(at: usize, total: usize, page: usize, key: Key) -> Option<usize> {
    match key {
        Key::Page => Some((at + page).min(total)),
        Key::Line => Some((at + 1).min(total)),
        Key::Quit => None,
    }
}

#[cfg(test)]
/// How many lines are shown at each prompt, for `lines` of output on `rows` rows.
pub fn plan(lines: usize, rows: usize, keys: &mut dyn FnMut() -> Key) -> Vec<usize> {
    let page = rows.saturating_sub(1).max(1);
    let mut at = page.min(lines);
    let mut shown = vec![at];
    while at < lines {
        match advance(at, lines, page, keys()) {
            Some(next) => at = next,
            None => break,
        }
        shown.push(at);
    }
    shown
}

/// Prints `text`, pausing at each screenful when it does not fit the terminal.
pub fn print(text: &str, out: &mut impl Write) -> io::Result<()> {
    let rows = terminal::size().map(|(_, r)| usize::from(r)).unwrap_or(0);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if rows < 2 || lines.len() < rows {
        out.write_all(text.as_bytes())?;
        return out.flush();
    }
    let page = rows - 1;
    let mut at = page.min(lines.len());
    lines[..at]
        .iter()
        .try_for_each(|l| out.write_all(l.as_bytes()))?;
    while at < lines.len() {
        write!(out, "{PROMPT}")?;
        out.flush()?;
        let key = read_key()?;
        write!(out, "\r{}\r", " ".repeat(PROMPT.len()))?;
        let Some(next) = advance(at, lines.len(), page, key) else {
            break;
        };
        lines[at..next]
            .iter()
            .try_for_each(|l| out.write_all(l.as_bytes()))?;
        at = next;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_pages_enter_steps_q_stops() {
        let mut keys = [Key::Line, Key::Page, Key::Quit].into_iter();
        assert_eq!(plan(100, 11, &mut || keys.next().unwrap()), [10, 11, 21]);
    }

    #[test]
    fn short_output_is_one_page() {
        assert_eq!(plan(5, 24, &mut || Key::Quit), [5]);
    }
}
