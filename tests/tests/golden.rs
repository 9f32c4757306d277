//! The golden corpus: realistic configurations that load, render identically and commit-check;
//! broken ones whose exact error output is snapshotted.

use flowsh_grammar::check::{check_text, render_errors};
use flowsh_grammar::{check, load_text, render};
use flowsh_tests::{golden_dir, without_commit_header};

#[test]
fn good_configurations_load_render_identically_and_check() {
    let mut count = 0;
    insta::glob!("../golden", "good/*", |path| {
        count += 1;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let loaded = load_text(&text).unwrap_or_else(|e| panic!("{}", e.render(&name, &text)));
        if let Err(errors) = check(&loaded.tree) {
            panic!("{name}:\n{}", render_errors(&errors));
        }
        let expected = without_commit_header(&text);
        let rendered = if name.ends_with(".set") {
            render::set_lines(&loaded.tree)
        } else {
            render::brace(&loaded.tree)
        };
        assert_eq!(
            rendered, expected,
            "{name} does not render back identically"
        );
    });
    assert!(count >= 20, "only {count} good configurations");
}

#[test]
fn broken_configurations_fail_with_exact_messages() {
    let mut count = 0;
    insta::glob!("../golden", "bad/*", |path| {
        count += 1;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let out = check_text(&name, &text).expect_err("a broken configuration fails");
        insta::assert_snapshot!(out);
    });
    assert!(count >= 20, "only {count} broken configurations");
}

#[test]
fn the_corpus_directory_is_where_the_tests_look() {
    assert!(golden_dir().join("good").is_dir() && golden_dir().join("bad").is_dir());
}
