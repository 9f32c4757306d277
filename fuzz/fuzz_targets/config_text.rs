//! Any text given to `load` (brace or set form): an error or a tree, never a panic; a tree
//! that loads renders and re-loads to the same tree, and commit-checks without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(loaded) = flowsh_grammar::load_text(&text) {
        let _ = flowsh_grammar::check(&loaded.tree);
        let brace = flowsh_grammar::render::brace(&loaded.tree);
        let again = flowsh_grammar::load::load_brace(&brace).expect("rendered text loads");
        assert_eq!(again.tree, loaded.tree);
        let _ = flowsh_grammar::json::render(&loaded.tree);
    }
});
