use super::*;
use crate::error::{ErrorKind, line_col};

fn words(st: &RawStatement) -> Vec<&str> {
    st.words.iter().map(|t| t.text.as_str()).collect()
}

#[test]
fn brace_text_keeps_annotations_and_inactive_and_skips_hash_comments() {
    let text = "## Last commit: 2026-01-01 12:00:00 UTC by lab\n\
                version 24.4R1;\n\
                # a comment\n\
                /* uplink */\n\
                inactive: interfaces { ge-0/0/0 { description \"to \\\"core\\\"\"; } } # trailing\n";
    let sts = parse_config(text).unwrap();
    assert_eq!(sts.len(), 2);
    assert_eq!(words(&sts[0]), ["version", "24.4R1"]);
    assert_eq!(sts[1].annotation.as_deref(), Some("uplink"));
    assert_eq!(sts[1].modifier, Some(Modifier::Inactive));
    let inner = &sts[1].block.as_ref().unwrap()[0].block.as_ref().unwrap()[0];
    assert_eq!(words(inner), ["description", "to \"core\""]);
    assert!(inner.words[1].quoted);
}

#[test]
fn lists_may_span_lines() {
    let sts = parse_config("protocol [ tcp\n  udp ];\n").unwrap();
    let list = sts[0].words[1].list.as_ref().unwrap();
    assert_eq!(
        list.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
        ["tcp", "udp"]
    );
}

#[test]
fn missing_semicolon_at_end_of_line_is_a_syntax_error_on_that_line() {
    let text = "input {\n    rate 10\n    run-length 2;\n}\n";
    let err = parse_config(text).unwrap_err();
    assert_eq!(line_col(text, err.offset).line, 2);
    assert!(
        matches!(err.kind, ErrorKind::Syntax(ref d) if d.contains("expecting ';' or '{'")),
        "{err:?}"
    );
}

#[test]
fn unbalanced_braces_are_reported() {
    let err = parse_config("system {\n    host-name r1;\n").unwrap_err();
    assert!(
        err.headline().starts_with("syntax error"),
        "{}",
        err.headline()
    );
    assert!(parse_config("system { host-name r1; } }\n").is_err());
}

#[test]
fn unterminated_quote_is_reported_with_its_token() {
    let err = parse_config("system { host-name \"r1; }\n").unwrap_err();
    assert_eq!(err.token, "\"r1;");
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_before_parsing() {
    let text = "a { ".repeat(MAX_DEPTH + 1);
    let err = parse_config(&text).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");
}

#[test]
fn nesting_at_the_limit_reaches_the_parser() {
    let text = format!("{}{}", "a { ".repeat(MAX_DEPTH), "} ".repeat(MAX_DEPTH));
    assert!(parse_config(&text).is_ok());
}

#[test]
fn commands_parse_into_their_parts() {
    assert_eq!(
        parse_command("rename firewall filter f term t1 to term t2").unwrap(),
        Some(RawCommand::Rename {
            path: parse_words("firewall filter f term t1"),
            to: parse_words_at("term t2", 36),
        })
    );
    match parse_command("insert term t3 before term t1")
        .unwrap()
        .unwrap()
    {
        RawCommand::Insert {
            path,
            before,
            target,
        } => {
            assert_eq!(path.len(), 2);
            assert!(before);
            assert_eq!(target[1].text, "t1");
        }
        other => panic!("{other:?}"),
    }
    match parse_command("annotate term t1 \"allow ssh\"")
        .unwrap()
        .unwrap()
    {
        RawCommand::Annotate { path, text } => {
            assert_eq!(path.len(), 2);
            assert_eq!(text.text, "allow ssh");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(parse_command("").unwrap(), None);
    assert!(parse_command("frobnicate x").is_err());
    assert!(
        parse_command("settle x").is_err(),
        "a verb must end at a word boundary"
    );
}

fn parse_words(s: &str) -> Vec<Token> {
    parse_words_at(s, 7)
}

fn parse_words_at(s: &str, start: usize) -> Vec<Token> {
    let mut offset = start;
    s.split(' ')
        .map(|w| {
            let t = Token {
                text: w.to_string(),
                offset,
                list: None,
                quoted: false,
            };
            offset += w.len() + 1;
            t
        })
        .collect()
}

#[test]
fn set_files_read_one_command_per_line() {
    let cmds = parse_set_file("set system host-name r1\n\n# note\ndeactivate system\n").unwrap();
    assert_eq!(cmds.len(), 2);
    assert!(matches!(cmds[1], RawCommand::Deactivate(_)));
}

#[test]
fn set_form_is_detected_from_the_first_statement() {
    assert!(looks_like_set_form("# x\nset system host-name r1\n"));
    assert!(!looks_like_set_form("system {\n    host-name r1;\n}\n"));
    assert!(!looks_like_set_form("## Last commit\nversion 1;\n"));
}
