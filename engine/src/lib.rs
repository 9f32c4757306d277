//! flowsh-engine: the data plane. Packets come in on ports, are parsed ([`packet`]), filtered
//! ([`filter`]), routed ([`forward`]) and sent out; the engine applies a committed
//! [`flowsh_grammar::Config`] atomically and reports counters for the show commands.

pub mod build;
pub mod clock;
pub mod dataplane;
pub mod engine;
pub mod export;
pub mod filter;
pub mod flow;
pub mod icmp;
pub mod jflow;
pub mod l2;
pub mod mirror;
pub mod packet;
pub mod pin;
pub mod port;
pub mod route;
pub mod sampling;
pub mod steer;

pub use engine::{Engine, PingResult, PortInfo, Snapshot};
