use std::time::Instant;
fn main() {
    let text = flowsh_grammar::synth::set_config(100_000);
    let t = Instant::now();
    let cmds = flowsh_grammar::parse::parse_set_file(&text).unwrap();
    eprintln!("pest set file: {:?}", t.elapsed());
    let t = Instant::now();
    let loaded = flowsh_grammar::load_text(&text).unwrap();
    eprintln!("load (parse+apply): {:?}", t.elapsed());
    let t = Instant::now();
    let _ = flowsh_grammar::check(&loaded.tree).unwrap();
    eprintln!("check: {:?}", t.elapsed());
    let brace = flowsh_grammar::render::brace(&loaded.tree);
    let t = Instant::now();
    let _ = flowsh_grammar::parse::parse_config(&brace).unwrap();
    eprintln!("pest brace: {:?}", t.elapsed());
    let t = Instant::now();
    let l2 = flowsh_grammar::load_text(&brace).unwrap();
    eprintln!("load brace: {:?}", t.elapsed());
    drop((cmds, l2));
}
