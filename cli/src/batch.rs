//! Batch mode: commands from `-c 'cmd; cmd'` or from standard input, same parser and output as
//! the interactive shell; the exit status says whether every command succeeded.

use std::io::{BufRead, Write};

use crate::session::Session;

/// Splits `-c` text at `;` outside double quotes.
pub fn split_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            _ if escaped => {
                escaped = false;
                cur.push(c);
                continue;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Runs lines; `load ... terminal` reads the following lines of `input` until its end.
/// Returns whether every command succeeded.
pub fn run(
    session: &mut Session,
    lines: &mut dyn Iterator<Item = String>,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    let mut all_ok = true;
    while let Some(line) = lines.next() {
        let reply = session.run(&line);
        out.write_all(reply.out.as_bytes())?;
        // A script feeding standard input may wait for each answer before the next command.
        out.flush()?;
        all_ok &= reply.ok;
        if let Some(verb) = reply.read_terminal {
            let mut text = String::new();
            for l in &mut *lines {
                text.push_str(&l);
                text.push('\n');
            }
            let r = session.load_text(verb, "terminal", &text);
            out.write_all(r.out.as_bytes())?;
            all_ok &= r.ok;
        }
        if reply.end {
            break;
        }
    }
    out.flush()?;
    Ok(all_ok)
}

/// Runs commands read from standard input, line by line.
pub fn run_stdin(session: &mut Session, out: &mut dyn Write) -> std::io::Result<bool> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines().map_while(Result::ok);
    run(session, &mut lines, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_at_semicolons_outside_quotes() {
        assert_eq!(
            split_commands("configure; set system location \"a;b\"; commit ;"),
            ["configure", "set system location \"a;b\"", "commit"]
        );
    }
}
