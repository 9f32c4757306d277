//! NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export messages: header, templates and the
//! options template with its record when due, then data records, padded sets, kept under the
//! path MTU. Sequence numbers per WIRE.md: v9 counts export packets, IPFIX counts the data
//! records sent before the message; both per collector and source id / observation domain.

use flowsh_grammar::model::{Refresh, TemplateKind};

use super::record::ExportRecord;
use super::template::{
    Dialect, Field, Gather, OptionValues, data_fields, option_fields, record_len, write_options,
};

/// UDP payload that keeps a datagram within a 1500-byte path MTU (IPv4 + UDP headers).
pub const MAX_PAYLOAD: usize = 1500 - 28;

#[derive(Debug, Clone)]
pub struct Templated {
    pub dialect: Dialect,
    /// Source ID (v9) or Observation Domain ID (IPFIX).
    pub domain: u32,
    pub data_id: u16,
    pub options_id: u16,
    fields: Vec<Field>,
    gather: Gather,
    scope: Vec<Field>,
    options: Vec<Field>,
    pub option_values: OptionValues,
    refresh: Refresh,
    option_refresh: Refresh,
    /// v9: export packets sent; IPFIX: data records sent.
    pub sequence: u32,
    template_due: bool,
    template_packets: u32,
    template_at: u64,
    options_due: bool,
    options_packets: u32,
    options_at: u64,
    /// Template announcements sent.
    pub announcements: u64,
}

/// What a template announcement needs to know.
#[derive(Debug, Clone)]
pub struct Layout {
    pub dialect: Dialect,
    pub kind: TemplateKind,
    pub domain: u32,
    pub data_id: u16,
    pub options_id: u16,
    pub refresh: Refresh,
    pub option_refresh: Refresh,
    pub option_values: OptionValues,
}

impl Templated {
    pub fn new(l: &Layout) -> Templated {
        let (scope, options) = option_fields(l.dialect);
        let fields = data_fields(&l.kind, l.dialect);
        Templated {
            dialect: l.dialect,
            domain: l.domain,
            data_id: l.data_id,
            options_id: l.options_id,
            gather: Gather::new(&fields),
            fields,
            scope,
            options,
            option_values: l.option_values,
            refresh: l.refresh,
            option_refresh: l.option_refresh,
            sequence: 0,
            template_due: true,
            template_packets: 0,
            template_at: 0,
            options_due: true,
            options_packets: 0,
            options_at: 0,
            announcements: 0,
        }
    }

    /// The data fields (what a changed configuration compares).
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// A new configuration: same layout keeps its id and sequence; the templates are
    /// announced again either way.
    pub fn reconfigure(&mut self, l: &Layout) {
        let sequence = self.sequence;
        let announcements = self.announcements;
        *self = Templated::new(l);
        self.sequence = sequence;
        self.announcements = announcements;
    }

    pub fn record_len(&self) -> usize {
        record_len(&self.fields)
    }

    fn header_len(&self) -> usize {
        match self.dialect {
            Dialect::V9 => 20,
            Dialect::Ipfix => 16,
        }
    }

    /// Whether templates are due at `now_ms` (they go in the next message).
    pub fn templates_due(&self, now_ms: u64) -> bool {
        self.template_due
            || self.template_packets >= self.refresh.packets
            || now_ms >= self.template_at + u64::from(self.refresh.seconds) * 1000
    }

    fn options_due_at(&self, now_ms: u64) -> bool {
        self.options_due
            || self.options_packets >= self.option_refresh.packets
            || now_ms >= self.options_at + u64::from(self.option_refresh.seconds) * 1000
    }

    /// Builds one message from the front of `records`; returns it and how many records it took.
    /// With templates due it carries them (alone, when `records` is empty).
    pub fn message<'a>(
        &mut self,
        records: impl Iterator<Item = &'a ExportRecord>,
        available: usize,
        now_ms: u64,
        boot_unix_ms: u64,
        out: &mut Vec<u8>,
    ) -> usize {
        out.clear();
        let v9 = self.dialect == Dialect::V9;
        out.resize(self.header_len(), 0);
        let mut count: u32 = 0;
        let templates = self.templates_due(now_ms);
        let options = self.options_due_at(now_ms);
        if templates {
            self.template_set(out);
            count += 1;
        }
        if options {
            self.options_template_set(out);
            count += 1;
            let at = self.set_start(out, self.options_id);
            write_options(
                &[self.scope.as_slice(), self.options.as_slice()].concat(),
                &self.option_values,
                out,
            );
            self.set_end(out, at);
            count += 1;
        }
        let len = self.record_len().max(1);
        let room = MAX_PAYLOAD.saturating_sub(out.len() + 4 + 3) / len;
        let mut n = available.min(room);
        if n > 0 {
            let at = self.set_start(out, self.data_id);
            n = self.gather.write(records, n, boot_unix_ms, out);
            self.set_end(out, at);
            count += n as u32;
        }
        let export_secs = ((boot_unix_ms + now_ms) / 1000) as u32;
        let sequence = self.sequence;
        let mut h = Vec::with_capacity(20);
        if v9 {
            h.extend_from_slice(&9u16.to_be_bytes());
            h.extend_from_slice(&(count as u16).to_be_bytes());
            h.extend_from_slice(&(now_ms as u32).to_be_bytes());
            h.extend_from_slice(&export_secs.to_be_bytes());
            h.extend_from_slice(&sequence.to_be_bytes());
            h.extend_from_slice(&self.domain.to_be_bytes());
            self.sequence = self.sequence.wrapping_add(1);
        } else {
            h.extend_from_slice(&10u16.to_be_bytes());
            h.extend_from_slice(&(out.len() as u16).to_be_bytes());
            h.extend_from_slice(&export_secs.to_be_bytes());
            h.extend_from_slice(&sequence.to_be_bytes());
            h.extend_from_slice(&self.domain.to_be_bytes());
            // Every data record, the options record included (RFC 7011, as Wireshark counts).
            self.sequence = self.sequence.wrapping_add(n as u32 + u32::from(options));
        }
        out[..h.len()].copy_from_slice(&h);
        if templates {
            self.template_due = false;
            self.template_packets = 0;
            self.template_at = now_ms;
            self.announcements += 1;
        } else {
            self.template_packets += 1;
        }
        if options {
            self.options_due = false;
            self.options_packets = 0;
            self.options_at = now_ms;
        } else {
            self.options_packets += 1;
        }
        n
    }

    fn set_start(&self, out: &mut Vec<u8>, id: u16) -> usize {
        let at = out.len();
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        at
    }

    /// Pads the set to 4 bytes (at most 3 bytes of padding) and writes its length.
    fn set_end(&self, out: &mut Vec<u8>, at: usize) {
        while !(out.len() - at).is_multiple_of(4) {
            out.push(0);
        }
        let len = (out.len() - at) as u16;
        out[at + 2..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    fn template_set(&self, out: &mut Vec<u8>) {
        let id = if self.dialect == Dialect::V9 { 0 } else { 2 };
        let at = self.set_start(out, id);
        out.extend_from_slice(&self.data_id.to_be_bytes());
        out.extend_from_slice(&(self.fields.len() as u16).to_be_bytes());
        for f in &self.fields {
            out.extend_from_slice(&f.ie.to_be_bytes());
            out.extend_from_slice(&f.len.to_be_bytes());
        }
        self.set_end(out, at);
    }

    fn options_template_set(&self, out: &mut Vec<u8>) {
        let v9 = self.dialect == Dialect::V9;
        let at = self.set_start(out, if v9 { 1 } else { 3 });
        out.extend_from_slice(&self.options_id.to_be_bytes());
        if v9 {
            // Scope and option lengths in bytes of their field specifiers.
            out.extend_from_slice(&((self.scope.len() * 4) as u16).to_be_bytes());
            out.extend_from_slice(&((self.options.len() * 4) as u16).to_be_bytes());
        } else {
            let total = self.scope.len() + self.options.len();
            out.extend_from_slice(&(total as u16).to_be_bytes());
            out.extend_from_slice(&(self.scope.len() as u16).to_be_bytes());
        }
        for f in self.scope.iter().chain(&self.options) {
            out.extend_from_slice(&f.ie.to_be_bytes());
            out.extend_from_slice(&f.len.to_be_bytes());
        }
        self.set_end(out, at);
    }
}
