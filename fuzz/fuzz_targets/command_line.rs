//! Any configuration-mode command line, applied at the top and at a nested edit level.
#![no_main]

use flowsh_grammar::resolve::{Options, PathElem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let Ok(Some(cmd)) = flowsh_grammar::parse::parse_command(&line) else {
        return;
    };
    let mut tree = flowsh_grammar::ConfigTree::new();
    let opts = Options { abbrev: true };
    let _ = flowsh_grammar::execute(&mut tree, &[], &cmd, opts);
    // `edit interfaces` level: statements start with an interface name.
    let level = [PathElem { idx: 5, key: None }];
    let _ = flowsh_grammar::execute(&mut tree, &level, &cmd, opts);
    let _ = flowsh_grammar::check(&tree);
});
