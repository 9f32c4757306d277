use crate::edit::{EditOutcome, execute};
use crate::error::EditError;
use crate::parse::parse_command;
use crate::render::{brace, set_lines};
use crate::resolve::{Options, PathElem};
use crate::tree::ConfigTree;

const ABBREV: Options = Options { abbrev: true };

fn run_at(tree: &mut ConfigTree, level: &[PathElem], line: &str) -> Result<EditOutcome, EditError> {
    let cmd = parse_command(line)?.expect("a command");
    execute(tree, level, &cmd, ABBREV)
}

fn run(tree: &mut ConfigTree, line: &str) -> Result<EditOutcome, EditError> {
    run_at(tree, &[], line)
}

fn tree_of(lines: &[&str]) -> ConfigTree {
    let mut t = ConfigTree::new();
    for l in lines {
        run(&mut t, l).unwrap_or_else(|e| panic!("{l}: {e}"));
    }
    t
}

#[test]
fn set_creates_the_path_and_the_leaf() {
    let t = tree_of(&["set forwarding-options sampling input rate 100"]);
    assert_eq!(
        brace(&t),
        "forwarding-options {\n    sampling {\n        input {\n            rate 100;\n        }\n    }\n}\n"
    );
}

#[test]
fn later_words_after_a_leaf_are_its_siblings() {
    let t = tree_of(&[
        "set forwarding-options sampling input rate 100 run-length 2 max-packets-per-second 500",
    ]);
    assert_eq!(
        set_lines(&t),
        "set forwarding-options sampling input rate 100\n\
         set forwarding-options sampling input run-length 2\n\
         set forwarding-options sampling input max-packets-per-second 500\n"
    );
}

#[test]
fn a_leaf_set_twice_keeps_the_last_value() {
    let t = tree_of(&["set system host-name a", "set system host-name b"]);
    assert_eq!(set_lines(&t), "set system host-name b\n");
}

#[test]
fn unit_shorthand_expands_to_unit() {
    let t = tree_of(&["set interfaces ge-0/0/0.5 family inet address 192.0.2.1/24"]);
    assert_eq!(
        set_lines(&t),
        "set interfaces ge-0/0/0 unit 5 family inet address 192.0.2.1/24\n"
    );
}

#[test]
fn abbreviated_keywords_are_accepted_interactively() {
    let t = tree_of(&["set forw samp inp rate 10"]);
    assert_eq!(
        set_lines(&t),
        "set forwarding-options sampling input rate 10\n"
    );
}

#[test]
fn ambiguous_abbreviation_lists_the_choices() {
    let mut t = ConfigTree::new();
    let err = run(&mut t, "set firewall family inet filter f term t then po").unwrap_err();
    assert_eq!(
        err.to_string(),
        "syntax error: 'po' is ambiguous\n  possible completions: policer port-mirror port-mirror-instance"
    );
    assert!(t.is_empty(), "a failed set changes nothing");
}

#[test]
fn unknown_statement_names_what_is_possible() {
    let mut t = ConfigTree::new();
    let err = run(&mut t, "set forwarding-options sampling bogus").unwrap_err();
    assert_eq!(
        err.to_string(),
        "syntax error: bogus\n  possible statements here: instance input family"
    );
}

#[test]
fn out_of_range_value_is_refused_and_nothing_changes() {
    let mut t = tree_of(&["set forwarding-options sampling input rate 10"]);
    let before = t.clone();
    let err = run(
        &mut t,
        "set forwarding-options sampling input run-length 3 rate 0",
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Value 0 is not within range (1..16000000)");
    assert_eq!(t, before);
}

#[test]
fn statements_of_one_choice_replace_each_other() {
    let t = tree_of(&[
        "set firewall family inet filter f term t then accept",
        "set firewall family inet filter f term t then discard",
        "set firewall family inet filter f term t then count c",
    ]);
    assert_eq!(
        set_lines(&t),
        "set firewall family inet filter f term t then count c\n\
         set firewall family inet filter f term t then discard\n"
    );
}

#[test]
fn reject_takes_an_optional_type() {
    let t = tree_of(&[
        "set firewall filter f term a then reject",
        "set firewall filter f term b then reject tcp-reset",
    ]);
    assert_eq!(
        set_lines(&t),
        "set firewall filter f term a then reject\nset firewall filter f term b then reject tcp-reset\n"
    );
}

#[test]
fn leaf_lists_collect_values_and_delete_removes_one() {
    let mut t = tree_of(&[
        "set firewall filter f term t from protocol tcp",
        "set firewall filter f term t from protocol [ udp icmp tcp ]",
    ]);
    assert!(brace(&t).contains("protocol [ tcp udp icmp ];"));
    run(&mut t, "delete firewall filter f term t from protocol udp").unwrap();
    assert!(brace(&t).contains("protocol [ tcp icmp ];"));
    assert!(matches!(
        run(&mut t, "delete firewall filter f term t from protocol gre"),
        Err(EditError::NotFound)
    ));
}

#[test]
fn delete_removes_containers_it_leaves_empty() {
    let mut t = tree_of(&[
        "set system host-name r1",
        "set forwarding-options sampling input rate 10",
    ]);
    run(&mut t, "delete forwarding-options sampling input rate").unwrap();
    assert_eq!(set_lines(&t), "set system host-name r1\n");
}

#[test]
fn delete_of_a_missing_statement_is_not_found() {
    let mut t = tree_of(&["set system host-name r1"]);
    assert!(matches!(
        run(&mut t, "delete system domain-name"),
        Err(EditError::NotFound)
    ));
    assert!(matches!(
        run(&mut t, "delete interfaces ge-0/0/0"),
        Err(EditError::NotFound)
    ));
}

#[test]
fn deactivate_and_activate_mark_a_statement() {
    let mut t = tree_of(&["set interfaces ge-0/0/1 unit 0 family inet address 10.0.0.1/8"]);
    run(&mut t, "deactivate interfaces ge-0/0/1 unit 0").unwrap();
    assert_eq!(
        set_lines(&t),
        "set interfaces ge-0/0/1 unit 0 family inet address 10.0.0.1/8\ndeactivate interfaces ge-0/0/1 unit 0\n"
    );
    assert!(brace(&t).contains("        inactive: unit 0 {\n"));
    run(&mut t, "activate interfaces ge-0/0/1 unit 0").unwrap();
    assert!(!brace(&t).contains("inactive"));
}

#[test]
fn rename_keeps_the_position_of_a_term() {
    let mut t = tree_of(&[
        "set firewall filter f term a then accept",
        "set firewall filter f term b then discard",
        "set firewall filter f term c then accept",
    ]);
    run(&mut t, "rename firewall filter f term b to term bb").unwrap();
    let s = set_lines(&t);
    assert!(s.find("term a").unwrap() < s.find("term bb").unwrap());
    assert!(s.find("term bb").unwrap() < s.find("term c").unwrap());
    let err = run(&mut t, "rename firewall filter f term a to term c").unwrap_err();
    assert_eq!(err.to_string(), "'c' already exists");
}

#[test]
fn rename_inside_a_grouped_list_takes_the_new_name_alone() {
    let mut t = tree_of(&["set interfaces ge-0/0/1 unit 0 family inet address 10.0.0.1/8"]);
    run(&mut t, "rename interfaces ge-0/0/1 to ge-0/0/2").unwrap();
    assert_eq!(
        set_lines(&t),
        "set interfaces ge-0/0/2 unit 0 family inet address 10.0.0.1/8\n"
    );
}

#[test]
fn copy_duplicates_an_entry() {
    let mut t = tree_of(&["set firewall filter f term a from protocol tcp"]);
    run(&mut t, "copy firewall filter f term a to term b").unwrap();
    assert!(set_lines(&t).ends_with("set firewall filter f term b from protocol tcp\n"));
}

#[test]
fn insert_moves_an_ordered_entry() {
    let mut t = tree_of(&[
        "set firewall filter f term a then accept",
        "set firewall filter f term b then accept",
        "set firewall filter f term c then accept",
    ]);
    run(&mut t, "insert firewall filter f term c before term a").unwrap();
    run(&mut t, "insert firewall filter f term a after term b").unwrap();
    let order: Vec<_> = set_lines(&t)
        .lines()
        .map(|l| l.split(' ').nth(5).unwrap().to_string())
        .collect();
    assert_eq!(order, ["c", "b", "a"]);
}

#[test]
fn insert_is_refused_for_system_ordered_lists() {
    let mut t = tree_of(&[
        "set interfaces ge-0/0/1 unit 0",
        "set interfaces ge-0/0/1 unit 1",
    ]);
    let err = run(&mut t, "insert interfaces ge-0/0/1 unit 1 before unit 0").unwrap_err();
    assert!(err.to_string().contains("ordered by the system"), "{err}");
}

#[test]
fn annotate_adds_a_comment_rendered_before_the_statement() {
    let mut t = tree_of(&["set firewall filter f term a then accept"]);
    let level = match run(&mut t, "edit firewall filter f").unwrap() {
        EditOutcome::Level(l) => l,
        other => panic!("{other:?}"),
    };
    run_at(&mut t, &level, "annotate term a \"allow everything\"").unwrap();
    assert!(brace(&t).contains("        /* allow everything */\n        term a {\n"));
}

#[test]
fn edit_level_makes_set_relative() {
    let mut t = ConfigTree::new();
    let EditOutcome::Level(level) = run(&mut t, "edit interfaces").unwrap() else {
        panic!()
    };
    run_at(
        &mut t,
        &level,
        "set ge-0/0/0 unit 0 family inet address 192.0.2.1/24",
    )
    .unwrap();
    let EditOutcome::Level(level) = run(&mut t, "edit forwarding-options sampling").unwrap() else {
        panic!()
    };
    run_at(&mut t, &level, "set input rate 5").unwrap();
    assert_eq!(
        set_lines(&t),
        "set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24\n\
         set forwarding-options sampling input rate 5\n"
    );
}

#[test]
fn edit_of_a_leaf_is_refused() {
    let mut t = ConfigTree::new();
    assert!(run(&mut t, "edit system host-name").is_err());
}

#[test]
fn merge_adds_statements_and_replaces_leaves() {
    let mut a = tree_of(&[
        "set system host-name a",
        "set firewall filter f term x then accept",
    ]);
    let b = tree_of(&[
        "set system host-name b",
        "set firewall filter f term y then discard",
    ]);
    a.merge(&b);
    assert_eq!(
        set_lines(&a),
        "set system host-name b\n\
         set firewall filter f term x then accept\n\
         set firewall filter f term y then discard\n"
    );
}

#[test]
fn merge_applies_choices() {
    let mut a = tree_of(&["set firewall filter f term x then accept"]);
    a.merge(&tree_of(&["set firewall filter f term x then discard"]));
    assert_eq!(set_lines(&a), "set firewall filter f term x then discard\n");
}
