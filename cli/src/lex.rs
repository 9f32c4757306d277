//! Splitting a command line: pipe segments at unquoted `|`, words with their byte offsets.

/// A word of a command line and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// The command part of a line and its `| ...` pipe segments (each without the `|`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub command: &'a str,
    pub pipes: Vec<&'a str>,
}

/// Splits a line at every `|` outside double quotes and `[ ]` lists.
pub fn split_pipes(line: &str) -> Line<'_> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped, mut bracket) = (0, false, false, 0usize);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket += 1,
            ']' if !quoted => bracket = bracket.saturating_sub(1),
            '|' if !quoted && bracket == 0 => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&line[start..]);
    let command = parts.remove(0);
    Line {
        command,
        pipes: parts,
    }
}

/// The words of a command, quotes removed, with byte offsets in `text`.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let start = i;
        let mut word = String::new();
        let mut quoted = false;
        let mut end = text.len();
        while let Some(&(j, c)) = chars.peek() {
            if !quoted && c.is_whitespace() {
                end = j;
                break;
            }
            chars.next();
            match c {
                '"' => quoted = !quoted,
                '\\' if quoted => {
                    if let Some((_, n)) = chars.next() {
                        word.push(n);
                    }
                }
                _ => word.push(c),
            }
        }
        out.push(Word {
            text: word,
            start,
            end,
        });
    }
    out
}

/// Whether a line ends inside a double-quoted string (`?` is then literal).
pub fn in_quotes(text: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ => {}
        }
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_split_outside_quotes_only() {
        let l = split_pipes("show configuration | match \"a|b\" | count");
        assert_eq!(l.command, "show configuration ");
        assert_eq!(l.pipes, [" match \"a|b\" ", " count"]);
    }

    #[test]
    fn words_keep_offsets_and_drop_quotes() {
        let w = words("set system location \"rack 4\"");
        assert_eq!(w.len(), 4);
        assert_eq!(w[3].text, "rack 4");
        assert_eq!(w[3].start, 20);
        assert_eq!(w[1].start, 4);
    }

    #[test]
    fn quote_state_is_tracked() {
        assert!(in_quotes("annotate term t \"why"));
        assert!(!in_quotes("annotate term t \"why\""));
    }
}
