//! The J-Flow flow table: unidirectional flows keyed on addresses, ports, protocol, ToS and
//! input interface; packets, bytes, first/last times and OR-ed TCP flags metered per flow; FIN
//! or RST, inactive and active timeouts, and a full table end flows and hand their records to
//! export. One table per sampling instance and family, per worker.

mod index;
mod key;
mod prefetch;
mod slab;
mod table;
mod wheel;

pub use key::{EndReason, FlowAddr, FlowRecord, Key, NO_UNIT};
pub use table::{FlowTable, Limits, TableStats};
pub use wheel::TICK_MS;

#[cfg(test)]
mod tests;
