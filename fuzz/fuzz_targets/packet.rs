//! Any bytes as a packet arriving on an interface with filters and routes: a counted drop, a
//! forward, or a reply; never a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use flowsh_engine::dataplane::{Compiled, Dataplane, Output};
use libfuzzer_sys::fuzz_target;

fn compiled() -> Arc<Compiled> {
    static C: OnceLock<Arc<Compiled>> = OnceLock::new();
    C.get_or_init(|| {
        let text = "set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:1::1/64
set interfaces ge-0/0/0 unit 0 family inet filter input f
set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24
set routing-options static route 0.0.0.0/0 next-hop 10.0.2.254
set firewall family inet filter f term a from tcp-flags \"(syn & !ack)\"
set firewall family inet filter f term a from fragment-offset 0
set firewall family inet filter f term a then reject tcp-reset
set firewall family inet filter f term b from icmp-type echo-request
set firewall family inet filter f term b then count pings
set firewall family inet filter f term c then accept
";
        let cfg = flowsh_grammar::check(&flowsh_grammar::load_text(text).unwrap().tree).unwrap();
        Arc::new(Compiled::build(&cfg))
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let mut dp = Dataplane::new(compiled());
    let mut buf = data.to_vec();
    match dp.process(0, &mut buf) {
        Output::Forward { len, .. } => assert!(len <= buf.len()),
        Output::Reply { packet, .. } => assert!(flowsh_engine::packet::parse(&packet).is_ok()),
        Output::Dropped(_) => {}
    }
});
