//! Pipes on command output: `| match RE`, `| except RE`, `| count`, `| last N`, `| no-more`,
//! `| display set|json`, `| compare [rollback N]`, `| save FILE`.

use regex::Regex;

use crate::commands::tree::{Cmd, Found, find};
use crate::lex::words;

/// The pipe commands, for `?` and abbreviations.
pub static PIPES: &[Cmd] = &[
    pipe(
        "compare",
        "Compare configuration changes with prior version",
    ),
    pipe("count", "Count occurrences"),
    pipe("display", "Show additional kinds of information"),
    pipe("except", "Show only text that does not match a pattern"),
    pipe("last", "Display end of output only"),
    pipe("match", "Show only text that matches a pattern"),
    pipe("no-more", "Don't paginate output"),
    pipe("save", "Save output text to file"),
];

const fn pipe(name: &'static str, help: &'static str) -> Cmd {
    Cmd {
        name,
        help,
        children: &[],
        action: crate::commands::tree::Action::None,
        arg: crate::commands::tree::Arg::None,
    }
}

/// The `display` options.
pub static DISPLAY: &[Cmd] = &[
    pipe("json", "Show output in JSON format"),
    pipe("set", "Show 'set' commands that create configuration"),
];

/// A parsed pipe stage.
#[derive(Debug, Clone)]
pub enum Stage {
    Match(Regex),
    Except(Regex),
    Count,
    Last(usize),
    NoMore,
    DisplaySet,
    DisplayJson,
    Compare(Option<usize>),
    Save(String),
}

fn word(cmds: &'static [Cmd], w: &str) -> Result<&'static str, String> {
    match find(cmds, w) {
        Found::One(c) => Ok(c.name),
        Found::Ambiguous(cs) => Err(format!(
            "'{w}' is ambiguous.\nPossible completions:\n{}",
            cs.iter()
                .map(|c| format!("  {:<19}  {}\n", c.name, c.help))
                .collect::<String>()
        )),
        Found::None => Err("syntax error.".to_string()),
    }
}

/// Parses the pipe segments of a line.
pub fn parse(segments: &[&str]) -> Result<Vec<Stage>, String> {
    segments
        .iter()
        .map(|seg| {
            let w = words(seg);
            let Some(first) = w.first() else {
                return Err("syntax error, expecting <command>.".to_string());
            };
            let arg = w.get(1).map(|a| a.text.clone());
            let rest: Vec<String> = w.iter().skip(1).map(|x| x.text.clone()).collect();
            let regex = || -> Result<Regex, String> {
                let pattern = rest.join(" ");
                if pattern.is_empty() {
                    return Err("error: missing argument: <pattern>".to_string());
                }
                Regex::new(&pattern).map_err(|e| format!("error: invalid pattern '{pattern}': {e}"))
            };
            Ok(match word(PIPES, &first.text)? {
                "match" => Stage::Match(regex()?),
                "except" => Stage::Except(regex()?),
                "count" => Stage::Count,
                "no-more" => Stage::NoMore,
                "last" => {
                    let n = arg.as_deref().unwrap_or("10");
                    Stage::Last(
                        n.parse()
                            .map_err(|_| format!("error: invalid number: '{n}'"))?,
                    )
                }
                "display" => match word(DISPLAY, arg.as_deref().unwrap_or(""))? {
                    "json" => Stage::DisplayJson,
                    _ => Stage::DisplaySet,
                },
                "compare" => match (rest.first().map(String::as_str), rest.get(1)) {
                    (None, _) => Stage::Compare(None),
                    (Some(r), Some(n)) if "rollback".starts_with(r) => {
                        Stage::Compare(Some(n.parse().ok().filter(|n| *n <= 49).ok_or_else(
                            || format!("Value {n} is not within range (0..49) at '{n}'"),
                        )?))
                    }
                    _ => return Err("syntax error, expecting 'rollback <number>'.".to_string()),
                },
                "save" => Stage::Save(arg.ok_or("error: missing argument: <filename>")?),
                _ => unreachable!("every pipe name is handled"),
            })
        })
        .collect()
}

/// Applies the text stages to output (display and compare stages were applied by the command).
pub fn apply_text(mut text: String, stages: &[Stage]) -> Result<String, String> {
    for stage in stages {
        text = match stage {
            Stage::Match(re) => text
                .lines()
                .filter(|l| re.is_match(l))
                .map(|l| format!("{l}\n"))
                .collect(),
            Stage::Except(re) => text
                .lines()
                .filter(|l| !re.is_match(l))
                .map(|l| format!("{l}\n"))
                .collect(),
            Stage::Count => format!("Count: {} lines\n", text.lines().count()),
            Stage::Last(n) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(*n)..]
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect()
            }
            Stage::Save(file) => {
                std::fs::write(file, &text)
                    .map_err(|e| format!("error: could not write '{file}': {e}"))?;
                format!(
                    "Wrote {} lines of output to '{file}'\n",
                    text.lines().count()
                )
            }
            Stage::NoMore | Stage::DisplaySet | Stage::DisplayJson | Stage::Compare(_) => text,
        };
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, pipes: &[&str]) -> String {
        apply_text(text.to_string(), &parse(pipes).unwrap()).unwrap()
    }

    #[test]
    fn match_except_count_and_last() {
        let t = "a1\nb2\na3\n";
        assert_eq!(run(t, &[" match a"]), "a1\na3\n");
        assert_eq!(run(t, &[" except ^a"]), "b2\n");
        assert_eq!(run(t, &[" match a", " count"]), "Count: 2 lines\n");
        assert_eq!(run(t, &[" last 1"]), "a3\n");
    }

    #[test]
    fn abbreviated_pipe_names_work_and_ambiguity_is_reported() {
        assert_eq!(run("x\ny\n", &[" m y"]), "y\n");
        assert!(parse(&[" c"]).unwrap_err().starts_with("'c' is ambiguous."));
    }

    #[test]
    fn a_bad_pattern_is_an_error() {
        assert!(
            parse(&[" match ("])
                .unwrap_err()
                .contains("invalid pattern")
        );
    }
}
