//! `flowsh check FILE...`: load and commit-check configuration files.

use std::io::Write;
use std::path::Path;

use flowsh_grammar::check::check_text;

/// The verdict on one configuration text, as the CLI prints it; `true` when it checks.
pub fn verdict(name: &str, text: &str) -> (bool, String) {
    match check_text(name, text) {
        Ok(_) => (true, "configuration check succeeds\n".to_string()),
        Err(out) => (false, out),
    }
}

/// Checks every file, printing each verdict under the file's name; `Ok(true)` if all pass.
pub fn run(files: &[impl AsRef<Path>], out: &mut impl Write) -> std::io::Result<bool> {
    let mut all_ok = true;
    for file in files {
        let file = file.as_ref();
        let name = file.display().to_string();
        let (ok, text) = match std::fs::read_to_string(file) {
            Ok(text) => verdict(&name, &text),
            Err(e) => (false, format!("error: could not read '{name}': {e}\n")),
        };
        if files.len() > 1 {
            writeln!(out, "{name}:")?;
        }
        out.write_all(text.as_bytes())?;
        all_ok &= ok;
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_text_checks() {
        let (ok, out) = verdict("x", "system { host-name r1; }\n");
        assert!(ok);
        assert_eq!(out, "configuration check succeeds\n");
    }

    #[test]
    fn a_missing_file_fails_with_its_name() {
        let mut out = Vec::new();
        let ok = run(&["/nonexistent/r1.conf"], &mut out).unwrap();
        assert!(!ok);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: could not read '/nonexistent/r1.conf': No such file or directory (os error 2)\n"
        );
    }
}
