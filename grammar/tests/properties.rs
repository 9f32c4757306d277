//! Properties over random input: trees generated from the schema survive every rendering,
//! and no input — random bytes or random token soups — makes anything panic.

use flowsh_grammar::edit::execute;
use flowsh_grammar::load::{load_brace, load_set, load_text};
use flowsh_grammar::parse::parse_command;
use flowsh_grammar::resolve::Options;
use flowsh_grammar::schema::{Kind, Stmt, TOP, ValueType};
use flowsh_grammar::tree::{ConfigTree, Node, Value};
use flowsh_grammar::{check, diff, json, render};
use proptest::prelude::*;

fn pick<T>(items: &[T], c: u32) -> &T {
    &items[c as usize % items.len()]
}

/// A valid value of each type, chosen by `c`.
fn value(ty: ValueType, c: u32) -> String {
    let s = |v: &[&str]| pick(v, c).to_string();
    match ty {
        ValueType::Text => s(&["uplink to core", "x", "say \"hi\"", "", "a;b{c}"]),
        ValueType::Name => s(&["n1", "web-servers", "N_2", "ipv4"]),
        ValueType::Uint { min, max } => pick(&[min, max, min + (max - min) / 2], c).to_string(),
        ValueType::NumRange { min, max } => match c % 2 {
            0 => min.to_string(),
            _ => format!("{min}-{max}"),
        },
        ValueType::Enum(options) => pick(options, c).0.to_string(),
        ValueType::Ipv4 => s(&["192.0.2.1", "10.0.0.1"]),
        ValueType::Ipv6 => s(&["2001:db8::1", "fe80::1"]),
        ValueType::IpAddr => s(&["192.0.2.9", "2001:db8::9"]),
        ValueType::Ipv4Prefix => s(&["10.0.0.0/8", "192.0.2.0/24", "198.51.100.7"]),
        ValueType::Ipv6Prefix => s(&["2001:db8::/32", "::/0"]),
        ValueType::IpPrefix => s(&["10.0.0.0/8", "2001:db8::/48"]),
        ValueType::Ipv4Interface => s(&["192.0.2.1/24", "10.1.1.1/30"]),
        ValueType::Ipv6Interface => s(&["2001:db8::1/64"]),
        ValueType::Mac => s(&["00:11:22:aa:bb:cc"]),
        ValueType::Interface => s(&["ge-0/0/0", "xe-1/0/1", "lo0", "ge-0/0/2.0"]),
        ValueType::Port => s(&["ssh", "80", "1024-65535"]),
        ValueType::Protocol => s(&["tcp", "17", "icmp"]),
        ValueType::IcmpType => s(&["echo-request", "3"]),
        ValueType::Icmp6Type => s(&["neighbor-solicit", "128"]),
        ValueType::IcmpCode => s(&["port-unreachable", "0"]),
        ValueType::Dscp => s(&["af11", "46", "be"]),
        ValueType::Precedence => s(&["flash", "7"]),
        ValueType::TcpFlags => s(&["(syn & !ack)", "rst", "fin | 0x04"]),
        ValueType::FragmentFlags => s(&["more-fragments", "(dont-fragment & !reserved)"]),
    }
}

/// A `set` line (its words) made by walking the schema as `choices` say.
fn statement(choices: &[u32]) -> Vec<String> {
    let mut it = choices.iter().copied().chain(std::iter::repeat(7));
    let mut next = move || it.next().unwrap_or(0);
    let mut words = Vec::new();
    let mut stmts: &'static [Stmt] = TOP;
    loop {
        let stmt = pick(stmts, next());
        if !stmt.name.is_empty() {
            words.push(stmt.name.to_string());
        }
        let c = next();
        match stmt.kind {
            Kind::Container => {
                if stmt.children.is_empty() || c % 9 == 0 {
                    return words;
                }
                stmts = stmt.children;
            }
            Kind::Presence => return words,
            Kind::Leaf(t) | Kind::LeafList(t) => {
                words.push(value(t, c));
                return words;
            }
            Kind::OptionalLeaf(t) => {
                if c % 2 == 0 {
                    words.push(value(t, c / 2));
                }
                return words;
            }
            Kind::List { key, .. } => {
                let k = if stmt.variants.is_empty() {
                    value(key, c)
                } else {
                    pick(stmt.variants, c).0.to_string()
                };
                let children = stmt.children_for(Some(&k));
                let children = match (stmt.unit_shorthand, k.split_once('.')) {
                    (true, Some(_)) => {
                        return {
                            words.push(k);
                            words
                        };
                    }
                    _ => children,
                };
                words.push(k);
                if children.is_empty() || next() % 7 == 0 {
                    return words;
                }
                stmts = children;
            }
        }
    }
}

fn quote_all(words: &[String]) -> String {
    words
        .iter()
        .map(|w| render::quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tree built from random statements, some deactivated or annotated.
fn build(lines: &[(Vec<u32>, u8)]) -> ConfigTree {
    let mut tree = ConfigTree::new();
    let opts = Options::default();
    for (choices, flag) in lines {
        let words = statement(choices);
        let line = format!("set {}", quote_all(&words));
        let cmd = parse_command(&line)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .unwrap();
        execute(&mut tree, &[], &cmd, opts).unwrap_or_else(|e| panic!("{line}: {e}"));
        let extra = match flag % 5 {
            0 => format!("deactivate {}", quote_all(&words)),
            1 => format!("annotate {} \"note {flag}\"", quote_all(&words)),
            _ => continue,
        };
        let cmd = parse_command(&extra).unwrap().unwrap();
        // Deactivating a statement that a later choice removed is fine to refuse.
        let _ = execute(&mut tree, &[], &cmd, opts);
    }
    tree
}

fn strip_annotations(node: &mut Node) {
    for child in &mut node.children {
        child.meta.annotation = None;
        match &mut child.value {
            Value::Container(n) => strip_annotations(n),
            Value::List(entries) => {
                for e in entries.0.values_mut() {
                    e.meta.annotation = None;
                    strip_annotations(&mut e.node);
                }
            }
            _ => {}
        }
    }
}

fn tree_strategy() -> impl Strategy<Value = ConfigTree> {
    prop::collection::vec(
        (prop::collection::vec(any::<u32>(), 1..12), any::<u8>()),
        0..40,
    )
    .prop_map(|lines| build(&lines))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn brace_form_parses_back_to_the_same_tree(tree in tree_strategy()) {
        let text = render::brace(&tree);
        let loaded = load_brace(&text).map_err(|e| e.render("rendered", &text)).unwrap();
        prop_assert_eq!(&loaded.tree, &tree, "{}", text);
        prop_assert_eq!(render::brace(&loaded.tree), text);
    }

    #[test]
    fn set_form_parses_back_to_the_same_tree_less_annotations(tree in tree_strategy()) {
        let text = render::set_lines(&tree);
        let loaded = load_set(&text).map_err(|e| e.render("rendered", &text)).unwrap();
        let mut expected = tree.clone();
        strip_annotations(&mut expected.root);
        prop_assert_eq!(loaded.tree, expected, "{}", text);
    }

    #[test]
    fn json_is_valid_and_check_and_compare_never_panic(tree in tree_strategy()) {
        let text = json::render(&tree);
        prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
        let _ = check(&tree);
        prop_assert_eq!(diff::compare(&tree, &tree), "");
        if !tree.is_empty() {
            prop_assert!(!diff::compare(&ConfigTree::new(), &tree).is_empty());
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(l) = load_text(&text) {
            let _ = check(&l.tree);
        }
        let _ = parse_command(&text);
    }

    #[test]
    fn token_soups_never_panic(tokens in prop::collection::vec(0usize..40, 0..80)) {
        const VOCAB: &[&str] = &[
            "{", "}", ";", "[", "]", "\"", "inactive:", "replace:", "/*", "*/", "#", "\n", " ",
            "interfaces", "ge-0/0/0", "ge-0/0/0.0", "unit", "0", "family", "inet", "address",
            "10.0.0.1/24", "firewall", "filter", "f", "term", "t", "from", "then", "accept",
            "forwarding-options", "sampling", "input", "rate", "set", "delete", "rename", "to",
            "insert", "before",
        ];
        let text: String = tokens.iter().map(|&i| VOCAB[i]).collect::<Vec<_>>().join(" ");
        if let Ok(l) = load_text(&text) {
            let _ = check(&l.tree);
            let _ = json::render(&l.tree);
        }
        for line in text.lines() {
            if let Ok(Some(cmd)) = parse_command(line) {
                let mut t = ConfigTree::new();
                let _ = execute(&mut t, &[], &cmd, Options { abbrev: true });
            }
        }
    }
}

#[test]
fn generated_trees_cover_deep_statements_and_metadata() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 32) as u32
    };
    let lines: Vec<(Vec<u32>, u8)> = (0..400)
        .map(|_| ((0..12).map(|_| rand()).collect(), rand() as u8))
        .collect();
    let tree = build(&lines);
    let text = render::brace(&tree);
    for needle in [
        "inactive: ",
        "/* note",
        "interfaces {",
        "firewall {",
        "forwarding-options {",
        "output {",
        "port-mirroring {",
    ] {
        assert!(text.contains(needle), "no {needle} in\n{text}");
    }
    assert!(text.lines().count() > 200, "{text}");
}
