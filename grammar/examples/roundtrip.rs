fn main() {
    let path = std::env::args().nth(1).expect("file");
    let text = std::fs::read_to_string(&path).unwrap();
    match flowsh_grammar::load_text(&text) {
        Err(e) => print!("{}", e.render(&path, &text)),
        Ok(l) => {
            let brace = flowsh_grammar::render::brace(&l.tree);
            print!("{brace}");
            println!("----");
            print!("{}", flowsh_grammar::render::set_lines(&l.tree));
            let again = flowsh_grammar::load_text(&brace)
                .map_err(|e| e.render("again", &brace))
                .unwrap();
            assert_eq!(again.tree, l.tree, "brace round trip");
            match flowsh_grammar::check(&l.tree) {
                Ok(_) => println!("configuration check succeeds"),
                Err(es) => print!("{}", flowsh_grammar::check::render_errors(&es)),
            }
        }
    }
}
