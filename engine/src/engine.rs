//! The running engine: worker threads, each owning the ports it reads and its own data plane
//! (counters, and later its flow-table shard), any of them able to send out of any port; and
//! control channels the CLI uses to apply configurations, bind ports and read counters. A commit's state
//! is compiled on the caller's thread and swapped in between two packets, so no packet is lost
//! or counted twice because of a commit.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use flowsh_grammar::model::Config;

use crate::clock::Clock;
use crate::dataplane::{Compiled, Dataplane, Drop as DropReason, FilterCache, Output, Stats};
use crate::export::{ExportMsg, ExportStats, Exporter};
use crate::jflow::{FlowEntry, InstanceStats};
use crate::l2::{self, Neighbors, Received, Resolution};
use crate::port::{self, Backend, MAX_PACKET, Port, PortError, PortSender, Rx};

/// Packets read from one port before the next port gets its turn.
const BATCH: usize = 256;
/// How long an idle worker waits for packets before looking at its control channel again.
const IDLE_WAIT_MS: i32 = 20;

/// A port as `show interfaces` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub interface: String,
    pub backend: String,
    /// Receive or send errors seen (the port stays bound).
    pub errors: u64,
    /// A capture read to its end.
    pub finished: bool,
    /// The worker that reads the port.
    pub worker: usize,
}

/// Everything the show commands read, at one instant, summed over the workers.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub stats: Stats,
    pub compiled: Arc<Compiled>,
    pub ports: Vec<PortInfo>,
    /// Ports that could not be opened: the interface stays down.
    pub down: Vec<PortError>,
    /// Packets read from every port since start.
    pub packets: u64,
    pub workers: usize,
    /// J-Flow per sampling instance, summed over the workers.
    pub jflow: Vec<InstanceStats>,
    pub export: ExportStats,
    /// Engine uptime (ms) and the Unix time (ms) of uptime 0.
    pub now_ms: u64,
    pub boot_unix_ms: u64,
    /// Busy share of the workers (percent, averaged) over the last 5 and 60 seconds.
    pub load: (f64, f64),
    /// Per mirror destination (as compiled), summed over the workers.
    pub mirror: Vec<crate::mirror::DestinationStats>,
    /// Per policy, per rule: sessions decided; and by the default policy.
    pub policy_hits: Vec<Vec<u64>>,
    pub default_hits: u64,
    /// Sessions held now, and flows decided without one (the table was full).
    pub sessions: u64,
    pub sessions_uncached: u64,
    /// Port-mirroring instances, then analyzers (as compiled), summed over the workers.
    pub port_mirror: Vec<crate::mirror::port::PortMirrorStats>,
}

/// What `ping` from the router found.
#[derive(Debug, Clone, PartialEq)]
pub struct PingResult {
    pub target: std::net::IpAddr,
    pub source: Option<std::net::IpAddr>,
    pub sent: u16,
    /// (sequence, TTL, round trip) of each reply, in arrival order.
    pub replies: Vec<(u16, u8, Duration)>,
    /// Why nothing could be sent (no route, no address, no port).
    pub error: Option<String>,
}

/// A ping in flight on a worker.
struct Ping {
    result: PingResult,
    ident: u16,
    sent_at: std::time::Instant,
    deadline: std::time::Instant,
    reply: Sender<PingResult>,
}

/// One worker's share of a snapshot.
struct Part {
    stats: Stats,
    ports: Vec<PortInfo>,
    packets: u64,
    jflow: Vec<InstanceStats>,
    now_ms: u64,
    load: (f64, f64),
    mirror: Vec<crate::mirror::DestinationStats>,
    policy_hits: (Vec<Vec<u64>>, u64),
    sessions: (u64, u64),
    port_mirror: Vec<crate::mirror::port::PortMirrorStats>,
}

/// The sending side of a port, known to every worker.
#[derive(Clone)]
struct TxPort {
    interface: String,
    sender: Option<Arc<dyn PortSender>>,
    /// Ethernet ports: neighbors shared by the workers (ARP is read by the port's owner).
    l2: Option<Arc<Mutex<Neighbors>>>,
    errors: Arc<AtomicU64>,
}

/// The receiving side of a port, owned by one worker.
struct RxPort {
    interface: String,
    port: Box<dyn Port>,
    closed: bool,
    /// The unit packets from this port belong to (the interface's first unit).
    unit: Option<u16>,
    l2: Option<Arc<Mutex<Neighbors>>>,
    errors: Arc<AtomicU64>,
}

enum Control {
    Apply(Arc<Compiled>),
    AddSender(TxPort),
    Bind(RxPort),
    /// The interface left the configuration: its port is dropped (closed) everywhere.
    Unbind(String),
    Ping {
        target: std::net::IpAddr,
        count: u16,
        wait: Duration,
        reply: Sender<PingResult>,
    },
    Snapshot(Sender<Part>),
    ClearFilter(String, Sender<bool>),
    ClearInterfaces,
    /// Answered once every input has reached its end and nothing is left to process.
    WaitInputsDone(Sender<()>),
    /// Ends every flow now and hands the records to export (the end of a replay).
    /// Ends every flow, once the worker's time has caught up with this one (the latest of
    /// all workers: on capture time each worker only sees its own packets' times).
    FlushFlows(u64, Sender<()>),
    /// The worker's engine time.
    Now(Sender<u64>),
    /// A packet the router sends itself (an in-band export): routed and sent.
    Inject(Vec<u8>),
    Flows(Sender<Vec<FlowEntry>>),
    Sessions(Sender<Vec<crate::mirror::session::SessionInfo>>),
    ClearFlows,
    Stop,
}

/// Records a flush lets wait for the exporter at most.
const FLUSH_BACKLOG: usize = 65_536;

fn lock(n: &Mutex<Neighbors>) -> std::sync::MutexGuard<'_, Neighbors> {
    n.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock_sender(s: &Mutex<Sender<Control>>) -> std::sync::MutexGuard<'_, Sender<Control>> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

struct Worker {
    id: usize,
    dp: Dataplane,
    rx: Vec<RxPort>,
    tx: Vec<TxPort>,
    /// For each unit of the compiled state, the sender it goes out through.
    unit_tx: Vec<Option<usize>>,
    packets: u64,
    waiting: Vec<Sender<()>>,
    pings: Vec<Ping>,
    next_ident: u16,
    clock: Clock,
    export: Sender<ExportMsg>,
    /// Records sent to the exporter and not handled yet.
    export_backlog: Arc<std::sync::atomic::AtomicUsize>,
    load: Load,
}

/// Time a worker spent processing packets, per second over the last minute.
#[derive(Debug)]
struct Load {
    started: Option<std::time::Instant>,
    /// Busy microseconds of each second, by second number modulo 64.
    busy_us: [u64; 64],
    second: u64,
}

impl Default for Load {
    fn default() -> Load {
        Load {
            started: None,
            busy_us: [0; 64],
            second: 0,
        }
    }
}

impl Load {
    fn add(&mut self, from: std::time::Instant) {
        let start = *self.started.get_or_insert(from);
        let second = from.duration_since(start).as_secs();
        while self.second < second {
            self.second += 1;
            self.busy_us[(self.second % 64) as usize] = 0;
        }
        self.busy_us[(second % 64) as usize] += from.elapsed().as_micros() as u64;
    }

    /// The busy share (percent) of the last `seconds` full seconds.
    fn percent(&self, seconds: u64) -> f64 {
        let Some(start) = self.started else {
            return 0.0;
        };
        let now = start.elapsed().as_secs();
        let busy: u64 = (1..=seconds)
            .filter(|b| *b <= now && now - b <= self.second)
            .map(|b| self.busy_us[((now - b) % 64) as usize])
            .sum();
        busy as f64 / (seconds as f64 * 10_000.0)
    }
}

impl Worker {
    fn map_units(&mut self) {
        let compiled = &self.dp.compiled;
        for t in &self.tx {
            if let Some(n) = &t.l2 {
                let configured = compiled
                    .config
                    .interfaces
                    .iter()
                    .find(|i| i.name == t.interface)
                    .and_then(|i| i.mac);
                lock(n).mac = configured.unwrap_or_else(|| l2::mac_for(&t.interface));
            }
        }
        for p in &mut self.rx {
            p.unit = compiled
                .units
                .iter()
                .position(|u| u.interface == p.interface && u.up)
                .map(|i| i as u16);
        }
        self.unit_tx = compiled
            .units
            .iter()
            .map(|u| self.tx.iter().position(|p| p.interface == u.interface))
            .collect();
    }

    fn part(&mut self) -> Part {
        Part {
            stats: self.dp.stats(),
            ports: self
                .rx
                .iter()
                .map(|p| PortInfo {
                    interface: p.interface.clone(),
                    backend: p.port.describe(),
                    errors: p.errors.load(Ordering::Relaxed),
                    finished: p.closed,
                    worker: self.id,
                })
                .collect(),
            packets: self.packets,
            jflow: self.dp.jflow().stats(),
            now_ms: self.dp.now(),
            load: (self.load.percent(5), self.load.percent(60)),
            mirror: self.dp.mirror_stats().to_vec(),
            policy_hits: (self.dp.policy_hits().0.to_vec(), self.dp.policy_hits().1),
            sessions: (self.dp.sessions().len() as u64, self.dp.sessions().uncached),
            port_mirror: self.dp.port_mirror_stats().to_vec(),
        }
    }

    /// Sends a packet the router built (an in-band export) out of the unit its route picks.
    fn inject(&mut self, packet: &[u8]) {
        let Ok(view) = crate::packet::parse(packet) else {
            return;
        };
        let (unit, next_hop) = egress(&self.dp.compiled, view.dst_ip());
        if let Some(unit) = unit {
            self.dp.count_tx(unit, packet.len());
            self.send(unit, packet, next_hop);
        }
    }

    /// Time moves on: flows expire and ended records go to export.
    fn tick(&mut self) {
        if let Some(now) = self.clock.now_ms() {
            self.dp.set_now(now);
        }
        self.dp.expire();
        self.ship();
    }

    fn ship(&mut self) {
        if self.dp.has_exports() {
            let records = self.dp.take_exports();
            let _ = self
                .export
                .send(ExportMsg::Records(self.dp.compiled.clone(), records));
        }
    }

    /// Handles one control message; false to stop.
    fn control(&mut self, msg: Control) -> bool {
        match msg {
            Control::Apply(c) => {
                // Records waiting carry the old plan's instance numbers: they go first.
                self.ship();
                self.dp.apply(c, &Stats::default());
                self.map_units();
            }
            Control::AddSender(t) => {
                self.tx.retain(|p| p.interface != t.interface);
                self.tx.push(t);
                self.map_units();
            }
            Control::Bind(port) => {
                self.rx.retain(|p| p.interface != port.interface);
                self.rx.push(port);
                self.map_units();
            }
            Control::Unbind(interface) => {
                self.rx.retain(|p| p.interface != interface);
                self.tx.retain(|p| p.interface != interface);
                self.map_units();
            }
            Control::Snapshot(reply) => {
                let _ = reply.send(self.part());
            }
            Control::ClearFilter(name, reply) => {
                let _ = reply.send(self.dp.clear_filter(&name));
            }
            Control::ClearInterfaces => self.dp.clear_interfaces(),
            Control::WaitInputsDone(reply) => self.waiting.push(reply),
            Control::Now(reply) => {
                let _ = reply.send(self.dp.now());
            }
            Control::FlushFlows(at, reply) => {
                // Flows idle or active long enough by then end as such, not as forced.
                self.dp.set_now(at);
                self.dp.expire();
                // What ended before goes first, under the plan it ended in.
                self.ship();
                let (export, compiled) = (self.export.clone(), self.dp.compiled.clone());
                let backlog = self.export_backlog.clone();
                let mut gone = false;
                self.dp.flush_flows(&mut |records| {
                    // A whole table ends faster than it is encoded: waiting for the exporter
                    // keeps the records in flight (and the memory they take) bounded.
                    while !gone && backlog.load(Ordering::Relaxed) > FLUSH_BACKLOG {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    backlog.fetch_add(records.len(), Ordering::Relaxed);
                    gone |= export
                        .send(ExportMsg::Records(compiled.clone(), records))
                        .is_err();
                });
                let _ = reply.send(());
            }
            Control::Flows(reply) => {
                let _ = reply.send(self.dp.jflow().flows());
            }
            Control::Sessions(reply) => {
                let _ = reply.send(self.dp.sessions().list());
            }
            Control::ClearFlows => self.dp.clear_jflow(),
            Control::Inject(packet) => self.inject(&packet),
            Control::Ping {
                target,
                count,
                wait,
                reply,
            } => self.start_ping(target, count, wait, reply),
            Control::Stop => return false,
        }
        true
    }

    /// Sends an IP packet out of `unit`'s port; counted as not sent when no port is bound to
    /// it (decided here, inline: a replay sends most packets to such units).
    #[inline(always)]
    fn send(&mut self, unit: u16, packet: &[u8], next_hop: Option<std::net::IpAddr>) {
        match self.unit_tx.get(usize::from(unit)).copied().flatten() {
            Some(t) => self.send_by(t, unit, packet, next_hop),
            None => self.dp.count_not_sent(unit, DropReason::PortDown),
        }
    }

    /// Sends an IP packet out of `unit` by transmit port `t`: as it is on IP ports, framed
    /// (after ARP if needed) on Ethernet ports, towards `next_hop` or else the packet's
    /// destination.
    fn send_by(&mut self, t: usize, unit: u16, packet: &[u8], next_hop: Option<std::net::IpAddr>) {
        // Borrowed, not cloned: this runs for every forwarded packet.
        let port = &self.tx[t];
        let Some(sender) = port.sender.as_deref() else {
            self.dp.count_not_sent(unit, DropReason::SendFailed);
            return;
        };
        let frame;
        let out = match &port.l2 {
            None => packet,
            Some(neighbors) => {
                // The packet was parsed and checked on the way in (or built here): its version
                // and destination are read straight from the header.
                let version = packet.first().map(|b| b >> 4);
                let hop = match (version, next_hop) {
                    (Some(4), Some(a @ IpAddr::V4(_))) | (Some(6), Some(a @ IpAddr::V6(_))) => a,
                    (Some(4), _) => match packet.get(16..20) {
                        Some(d) => IpAddr::from([d[0], d[1], d[2], d[3]]),
                        None => return,
                    },
                    _ => match packet
                        .get(24..40)
                        .and_then(|d| <[u8; 16]>::try_from(d).ok())
                    {
                        Some(d) => IpAddr::from(d),
                        None => return,
                    },
                };
                let family = match hop {
                    IpAddr::V4(_) => crate::packet::Family::V4,
                    IpAddr::V6(_) => crate::packet::Family::V6,
                };
                let source = self
                    .dp
                    .compiled
                    .source_address(unit, family)
                    .unwrap_or(match hop {
                        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                    });
                let (resolution, evicted) = {
                    let mut n = lock(neighbors);
                    n.set_now(self.dp.now());
                    (n.resolve(packet, hop, source), n.take_evicted())
                };
                for _ in 0..evicted {
                    self.dp.count_not_sent(unit, DropReason::ArpPendingFull);
                }
                frame = match resolution {
                    Resolution::Frame(f) | Resolution::Held(Some(f)) => f,
                    Resolution::Held(None) => return,
                    // The packet is dropped; the ARP request may go again.
                    Resolution::Overflow(request) => {
                        self.dp.count_not_sent(unit, DropReason::ArpPendingFull);
                        match request {
                            Some(r) => r,
                            None => return,
                        }
                    }
                };
                &frame
            }
        };
        if sender.send(out).is_err() {
            port.errors.fetch_add(1, Ordering::Relaxed);
            self.dp.count_not_sent(unit, DropReason::SendFailed);
        }
    }

    /// An Ethernet frame: ARP and neighbor discovery are answered and learned from here; IP
    /// goes on to the data plane at the offset returned.
    fn receive_frame(&self, i: usize, frame: &[u8]) -> Option<usize> {
        let unit = self.rx[i].unit?;
        let neighbors = self.rx[i].l2.as_ref()?;
        let compiled = &self.dp.compiled;
        let own = |a: IpAddr| {
            compiled.units.get(usize::from(unit)).is_some_and(|u| {
                let family = match a {
                    IpAddr::V4(_) => u.inet.as_ref(),
                    IpAddr::V6(_) => u.inet6.as_ref(),
                };
                family.is_some_and(|f| f.addresses.iter().any(|x| x.addr() == a))
            })
        };
        let frames = {
            let mut n = lock(neighbors);
            n.set_now(self.dp.now());
            match n.receive(frame, own) {
                Received::Ip { offset } => return Some(offset),
                Received::Ignored => return None,
                Received::Neighbor { answer, learned } => {
                    let mut frames: Vec<Vec<u8>> = answer.into_iter().collect();
                    if let Some(neighbor) = learned {
                        frames.extend(n.release(neighbor));
                    }
                    frames
                }
            }
        };
        if let Some(sender) = self.rx[i].port.sender() {
            for f in &frames {
                if sender.send(f).is_err() {
                    self.rx[i].errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        None
    }

    /// Reads and processes up to a batch from every port this worker owns; how many were read.
    fn poll_ports(&mut self, buf: &mut [u8]) -> usize {
        let mut work = 0;
        for i in 0..self.rx.len() {
            for _ in 0..BATCH {
                if self.rx[i].closed {
                    break;
                }
                let len = match self.rx[i].port.recv(buf) {
                    Ok(Rx::Packet { len, time_ns }) => {
                        if let Some(ms) = time_ns.and_then(|t| self.clock.packet_ms(t)) {
                            self.dp.set_now(ms);
                        }
                        len
                    }
                    Ok(Rx::Empty) => break,
                    Ok(Rx::Closed) => {
                        self.rx[i].closed = true;
                        break;
                    }
                    Err(_) => {
                        self.rx[i].errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                };
                work += 1;
                self.packets += 1;
                let Some(unit) = self.rx[i].unit else {
                    continue;
                };
                let start = if self.rx[i].l2.is_some() {
                    match self.receive_frame(i, &buf[..len]) {
                        Some(offset) => offset,
                        None => continue,
                    }
                } else {
                    0
                };
                let header = (start >= 14).then(|| {
                    let mut h = [0u8; 14];
                    h[..12].copy_from_slice(&buf[..12]);
                    h[12..].copy_from_slice(&buf[start - 2..start]);
                    h
                });
                self.dp.set_frame_header(header);
                let packet = &mut buf[start..len];
                match self.dp.process(unit, packet) {
                    Output::Forward {
                        unit: out,
                        len,
                        next_hop,
                    } => self.send(out, &buf[start..start + len], next_hop),
                    Output::Reply { unit: out, packet } => {
                        self.dp.count_tx(out, packet.len());
                        self.send(out, &packet, None);
                    }
                    Output::EchoReply {
                        from,
                        ident,
                        seq,
                        ttl,
                    } => self.echo_reply(from, ident, seq, ttl),
                    Output::Dropped(_) => {}
                }
                if self.dp.has_mirrors() {
                    self.send_mirrors();
                }
            }
        }
        work
    }

    /// Sends the mirror copies the last packet made.
    fn send_mirrors(&mut self) {
        use crate::mirror::MirrorCopy;
        for copy in self.dp.take_mirrors() {
            match copy {
                MirrorCopy::Ip { dest, packet } => {
                    let to = crate::packet::parse(&packet).map(|v| v.dst_ip());
                    match to.ok().map(|to| egress(&self.dp.compiled, to)) {
                        Some((Some(unit), next_hop)) => {
                            self.dp.count_tx(unit, packet.len());
                            self.send(unit, &packet, next_hop);
                        }
                        _ => self.dp.count_mirror_unresolved(dest),
                    }
                }
                MirrorCopy::Frame { dest, mac, frame } => {
                    let port = self
                        .tx
                        .iter()
                        .find(|p| p.l2.as_ref().is_some_and(|n| lock(n).knows_mac(mac)));
                    match port.and_then(|p| p.sender.as_deref()) {
                        Some(s) if s.send(&frame).is_ok() => {}
                        _ => self.dp.count_mirror_unresolved(dest),
                    }
                }
                MirrorCopy::Out {
                    unit,
                    next_hop,
                    packet,
                } => {
                    self.dp.count_tx(unit, packet.len());
                    self.send(unit, &packet, next_hop);
                }
                MirrorCopy::Routed { packet } => {
                    if let Ok(to) = crate::packet::parse(&packet).map(|v| v.dst_ip())
                        && let (Some(unit), next_hop) = egress(&self.dp.compiled, to)
                    {
                        self.dp.count_tx(unit, packet.len());
                        self.send(unit, &packet, next_hop);
                    }
                }
                MirrorCopy::Unit { dest, unit, frame } => {
                    let port = self.unit_tx.get(usize::from(unit)).copied().flatten();
                    let sent = port.map(|p| &self.tx[p]).and_then(|p| {
                        let bytes = if p.l2.is_some() {
                            &frame[..]
                        } else {
                            frame.get(14..).unwrap_or_default()
                        };
                        p.sender.as_deref().map(|s| s.send(bytes).is_ok())
                    });
                    if sent != Some(true) {
                        self.dp.count_mirror_unresolved(dest);
                    }
                }
            }
        }
    }

    /// Sends `count` echo requests towards `target` from the address of the unit the route
    /// leaves by; replies are matched as they arrive.
    fn start_ping(
        &mut self,
        target: std::net::IpAddr,
        count: u16,
        wait: Duration,
        reply: Sender<PingResult>,
    ) {
        let mut result = PingResult {
            target,
            source: None,
            sent: 0,
            replies: Vec::new(),
            error: None,
        };
        let compiled = self.dp.compiled.clone();
        let (unit, next_hop) = egress(&compiled, target);
        let family = if target.is_ipv4() {
            crate::packet::Family::V4
        } else {
            crate::packet::Family::V6
        };
        let source = unit.and_then(|u| compiled.source_address(u, family));
        let (Some(unit), Some(source)) = (unit, source) else {
            result.error = Some(format!("no route to host {target}"));
            let _ = reply.send(result);
            return;
        };
        result.source = Some(source);
        self.next_ident = self.next_ident.wrapping_add(1);
        let ident = self.next_ident;
        for seq in 0..count {
            let packet = crate::build::Spec::ping(source, target, ident, seq)
                .payload(56)
                .build();
            self.dp.count_tx(unit, packet.len());
            self.send(unit, &packet, next_hop);
            result.sent += 1;
        }
        let now = std::time::Instant::now();
        self.pings.push(Ping {
            result,
            ident,
            sent_at: now,
            deadline: now + wait,
            reply,
        });
    }

    fn echo_reply(&mut self, from: std::net::IpAddr, ident: u16, seq: u16, ttl: u8) {
        if let Some(i) = self
            .pings
            .iter()
            .position(|p| p.ident == ident && p.result.target == from)
        {
            let p = &mut self.pings[i];
            p.result.replies.push((seq, ttl, p.sent_at.elapsed()));
            if p.result.replies.len() >= usize::from(p.result.sent) {
                let done = self.pings.remove(i);
                let _ = done.reply.send(done.result);
            }
        }
    }

    /// Pings whose time is up report what they got.
    fn expire_pings(&mut self) {
        let now = std::time::Instant::now();
        let (done, pending): (Vec<Ping>, Vec<Ping>) =
            self.pings.drain(..).partition(|p| p.deadline <= now);
        self.pings = pending;
        for p in done {
            let _ = p.reply.send(p.result);
        }
    }

    fn inputs_done(&self) -> bool {
        self.rx.iter().all(|p| p.closed || !p.port.is_input())
    }

    fn run(mut self, rx: Receiver<Control>) {
        let mut buf = vec![0u8; MAX_PACKET];
        loop {
            loop {
                match rx.try_recv() {
                    Ok(msg) => {
                        if !self.control(msg) {
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            if !self.pings.is_empty() {
                self.expire_pings();
            }
            self.tick();
            let started = std::time::Instant::now();
            if self.poll_ports(&mut buf) > 0 {
                self.load.add(started);
                continue;
            }
            if self.inputs_done() {
                for w in self.waiting.drain(..) {
                    let _ = w.send(());
                }
            }
            let fds: Vec<_> = self
                .rx
                .iter()
                .filter(|p| !p.closed)
                .filter_map(|p| p.port.fd())
                .collect();
            if fds.is_empty() {
                match rx.recv_timeout(Duration::from_millis(IDLE_WAIT_MS as u64)) {
                    Ok(msg) => {
                        if !self.control(msg) {
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                port::wait_readable(&fds, IDLE_WAIT_MS);
            }
        }
    }
}

/// The unit a packet to `target` leaves by, and its next hop.
fn egress(
    compiled: &Compiled,
    target: std::net::IpAddr,
) -> (Option<u16>, Option<std::net::IpAddr>) {
    let dst = match target {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    };
    match compiled
        .routes
        .lookup(dst, target.is_ipv4())
        .map(|r| &r.target)
    {
        Some(crate::route::Target::Forward { unit, next_hop }) => (Some(*unit), *next_hop),
        Some(crate::route::Target::Local { unit }) => (Some(*unit), None),
        _ => (None, None),
    }
}

fn merge(into: &mut Stats, from: Stats) {
    for (k, c) in from.units {
        let t = into.units.entry(k).or_default();
        t.rx_packets += c.rx_packets;
        t.rx_bytes += c.rx_bytes;
        t.tx_packets += c.tx_packets;
        t.tx_bytes += c.tx_bytes;
        for (reason, n) in c.drops {
            *t.drops.entry(reason).or_default() += n;
        }
    }
    for (map, other) in [
        (&mut into.terms, from.terms),
        (&mut into.counters, from.counters),
    ] {
        for (k, c) in other {
            let t = map.entry(k).or_default();
            t.packets += c.packets;
            t.bytes += c.bytes;
        }
    }
    for (k, c) in from.implicit {
        let t = into.implicit.entry(k).or_default();
        t.packets += c.packets;
        t.bytes += c.bytes;
    }
}

/// A running engine.
pub struct Engine {
    workers: Vec<(Sender<Control>, Option<JoinHandle<()>>)>,
    export: (Sender<ExportMsg>, Option<JoinHandle<()>>),
    clock: Clock,
    down: Vec<PortError>,
    /// Which worker reads each bound interface.
    owners: Vec<(String, usize)>,
    /// Every `--port` binding; a port is open while the configuration has its interface.
    bindings: Vec<(String, Backend)>,
    compiled: Arc<Compiled>,
    /// Filters compiled by earlier commits, for the next.
    filter_cache: FilterCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::start()
    }
}

impl Engine {
    /// Starts one worker with an empty configuration and no ports.
    pub fn start() -> Engine {
        Engine::with_workers(1)
    }

    /// Starts `n` workers (at least one); bound ports are shared out among them.
    pub fn with_workers(n: usize) -> Engine {
        Engine::with_clock(n, Clock::system())
    }

    /// Starts `n` workers on a given clock (capture time for replays, a manual one for tests).
    pub fn with_clock(n: usize, clock: Clock) -> Engine {
        let channels: Vec<_> = (0..n.max(1)).map(|_| mpsc::channel()).collect();
        // In-band exports go out through the first worker, which routes them like its own.
        let first = Mutex::new(channels[0].0.clone());
        let inject: crate::export::Inject = Arc::new(move |packet| {
            let _ = lock_sender(&first).send(Control::Inject(packet));
        });
        let (export_tx, export_rx) = mpsc::channel();
        let exporter = Exporter::new(clock.clone(), Some(inject));
        let backlog = exporter.backlog();
        let export_handle = std::thread::Builder::new()
            .name("flowsh-export".into())
            .spawn(move || exporter.run(export_rx))
            .expect("the export thread starts");
        let (count, allowed) = (channels.len(), crate::pin::allowed_cpus());
        let workers = channels
            .into_iter()
            .enumerate()
            .map(|(id, (tx, rx))| {
                let cpu = crate::pin::cpu_for(id, count, &allowed);
                let worker = Worker {
                    id,
                    dp: Dataplane::new(Arc::new(Compiled::default())),
                    rx: Vec::new(),
                    tx: Vec::new(),
                    unit_tx: Vec::new(),
                    packets: 0,
                    waiting: Vec::new(),
                    pings: Vec::new(),
                    next_ident: 0x4600 + (id as u16) * 0x100,
                    clock: clock.clone(),
                    export: export_tx.clone(),
                    export_backlog: backlog.clone(),
                    load: Load::default(),
                };
                let handle = std::thread::Builder::new()
                    .name(format!("flowsh-worker-{id}"))
                    .spawn(move || {
                        if let Some(cpu) = cpu {
                            // Refused (a CPU taken away meanwhile): the scheduler places it.
                            let _ = crate::pin::bind_current_thread(cpu);
                        }
                        worker.run(rx)
                    })
                    .expect("a worker thread starts");
                (tx, Some(handle))
            })
            .collect();
        Engine {
            workers,
            export: (export_tx, Some(export_handle)),
            clock,
            down: Vec::new(),
            owners: Vec::new(),
            bindings: Vec::new(),
            compiled: Arc::new(Compiled::default()),
            filter_cache: FilterCache::default(),
        }
    }

    fn broadcast(&self, make: impl Fn() -> Control) {
        for (w, _) in &self.workers {
            let _ = w.send(make());
        }
    }

    /// Compiles a committed configuration here and swaps it in on every worker. Bound ports
    /// follow the interfaces: one the configuration gained opens, one it lost closes. The
    /// ports that failed to open are returned; their interfaces stay down.
    pub fn apply(&mut self, cfg: &Config) -> Vec<PortError> {
        let mut compiled = Compiled::build_cached(cfg, &mut self.filter_cache);
        compiled.shards = self.workers.len() as u32;
        self.compiled = Arc::new(compiled);
        let c = self.compiled.clone();
        let _ = self.export.0.send(ExportMsg::Apply(c.clone()));
        self.broadcast(|| Control::Apply(c.clone()));
        let mut failed = Vec::new();
        for (interface, backend) in self.bindings.clone() {
            let configured = self.configured(&interface);
            let open = self.owners.iter().any(|(i, _)| *i == interface);
            if configured && !open {
                if let Err(e) = self.open(&interface, &backend) {
                    failed.push(e);
                }
            } else if !configured {
                self.down.retain(|d| d.interface != interface);
                if open {
                    self.owners.retain(|(i, _)| *i != interface);
                    self.broadcast(|| Control::Unbind(interface.clone()));
                }
            }
        }
        failed
    }

    fn configured(&self, interface: &str) -> bool {
        self.compiled.units.iter().any(|u| u.interface == interface)
    }

    /// Binds a backend to an interface: it opens now if the configuration has the interface,
    /// or at the commit that adds it. A port that cannot open is reported and remembered; the
    /// interface stays down.
    pub fn bind(&mut self, interface: &str, backend: &Backend) -> Result<(), PortError> {
        self.bindings.retain(|(i, _)| i != interface);
        self.bindings.push((interface.to_string(), backend.clone()));
        if self.configured(interface) {
            self.open(interface, backend)
        } else {
            Ok(())
        }
    }

    fn open(&mut self, interface: &str, backend: &Backend) -> Result<(), PortError> {
        match port::open_shared(interface, backend, self.workers.len()) {
            Ok(ports) => {
                self.bind_ports(interface, ports);
                Ok(())
            }
            Err(e) => {
                self.down.retain(|d| d.interface != interface);
                self.down.push(e.clone());
                Err(e)
            }
        }
    }

    /// Binds an open port: its sender goes to every worker, its receiving side to the worker
    /// with the fewest ports.
    pub fn bind_port(&mut self, interface: &str, port: Box<dyn Port>) {
        self.bind_ports(interface, vec![port]);
    }

    /// Binds the readers of one port: a single reader goes to the worker with the fewest
    /// ports; several (a capture shared out by flow) go one to each worker.
    fn bind_ports(&mut self, interface: &str, mut ports: Vec<Box<dyn Port>>) {
        let Some(port) = ports.first() else {
            return;
        };
        if let Some(t) = port.first_time_ns() {
            self.clock.seed(t);
        }
        self.down.retain(|d| d.interface != interface);
        self.owners.retain(|(i, _)| i != interface);
        let l2 = port
            .ethernet()
            .then(|| Arc::new(Mutex::new(Neighbors::new(l2::mac_for(interface)))));
        let errors = Arc::new(AtomicU64::new(0));
        let tx = TxPort {
            interface: interface.to_string(),
            sender: port.sender(),
            l2: l2.clone(),
            errors: errors.clone(),
        };
        self.broadcast(|| Control::AddSender(tx.clone()));
        let single = ports.len() == 1;
        for (i, port) in ports.drain(..).enumerate() {
            let owner = if single {
                (0..self.workers.len())
                    .min_by_key(|w| self.owners.iter().filter(|(_, o)| o == w).count())
                    .unwrap_or(0)
            } else {
                i % self.workers.len()
            };
            self.owners.push((interface.to_string(), owner));
            let _ = self.workers[owner].0.send(Control::Bind(RxPort {
                interface: interface.to_string(),
                port,
                closed: false,
                unit: None,
                l2: l2.clone(),
                errors: errors.clone(),
            }));
        }
    }

    /// Every counter and the compiled state, at one instant, summed over the workers.
    pub fn snapshot(&self) -> Snapshot {
        let mut s = Snapshot {
            stats: Stats::default(),
            compiled: self.compiled.clone(),
            ports: Vec::new(),
            down: self.down.clone(),
            packets: 0,
            workers: self.workers.len(),
            jflow: Vec::new(),
            export: self.export_stats(),
            now_ms: 0,
            boot_unix_ms: self.clock.boot_unix_ms(),
            load: (0.0, 0.0),
            mirror: Vec::new(),
            policy_hits: Vec::new(),
            default_hits: 0,
            sessions: 0,
            sessions_uncached: 0,
            port_mirror: Vec::new(),
        };
        let n = self.workers.len() as f64;
        for part in self.ask_all(Control::Snapshot) {
            merge(&mut s.stats, part.stats);
            s.ports.extend(part.ports);
            s.packets += part.packets;
            s.now_ms = s.now_ms.max(part.now_ms);
            s.load.0 += part.load.0 / n;
            s.load.1 += part.load.1 / n;
            merge_jflow(&mut s.jflow, part.jflow);
            merge_mirror(&mut s, part.mirror, part.policy_hits, part.sessions);
            if s.port_mirror.len() < part.port_mirror.len() {
                s.port_mirror
                    .resize(part.port_mirror.len(), Default::default());
            }
            for (t, p) in s.port_mirror.iter_mut().zip(part.port_mirror) {
                t.candidates += p.candidates;
                t.packets += p.packets;
                t.bytes += p.bytes;
                t.truncated += p.truncated;
                t.unresolved += p.unresolved;
            }
        }
        s.ports.sort_by(|a, b| a.interface.cmp(&b.interface));
        // The readers of a shared capture are one port: finished when all are.
        s.ports.dedup_by(|next, kept| {
            let same = next.interface == kept.interface;
            if same {
                kept.finished &= next.finished;
            }
            same
        });
        s
    }

    pub fn clear_filter(&self, name: &str) -> bool {
        // Every worker answers; none may be skipped.
        self.ask_all(|tx| Control::ClearFilter(name.to_string(), tx))
            .contains(&true)
    }

    pub fn clear_interfaces(&self) {
        self.broadcast(|| Control::ClearInterfaces);
    }

    /// `ping TARGET count N`: sends N echo requests at once and waits up to `wait` for replies.
    /// The worker that reads the egress port sends them, so the replies come back to it.
    pub fn ping(&self, target: std::net::IpAddr, count: u16, wait: Duration) -> PingResult {
        let (unit, _) = egress(&self.compiled, target);
        let interface = unit
            .and_then(|u| self.compiled.units.get(usize::from(u)))
            .map(|u| u.interface.clone());
        let owner = interface
            .and_then(|i| self.owners.iter().find(|(n, _)| *n == i).map(|(_, o)| *o))
            .unwrap_or(0);
        let (tx, rx) = mpsc::channel();
        let _ = self.workers[owner].0.send(Control::Ping {
            target,
            count,
            wait,
            reply: tx,
        });
        rx.recv().unwrap_or(PingResult {
            target,
            source: None,
            sent: 0,
            replies: Vec::new(),
            error: Some("the engine is not running".into()),
        })
    }

    /// Ends every flow in every worker and waits until the exporter has sent the records.
    pub fn flush_flows(&self) {
        let at = self.ask_all(Control::Now).into_iter().max().unwrap_or(0);
        self.ask_all(|reply| Control::FlushFlows(at, reply));
        self.sync_export();
    }

    /// Sends every worker a question and collects the answers (one per worker that answers).
    fn ask_all<T>(&self, make: impl Fn(Sender<T>) -> Control) -> Vec<T> {
        let replies: Vec<_> = self
            .workers
            .iter()
            .map(|(w, _)| {
                let (tx, rx) = mpsc::channel();
                let _ = w.send(make(tx));
                rx
            })
            .collect();
        replies
            .into_iter()
            .filter_map(|rx| rx.recv().ok())
            .collect()
    }

    /// Waits until the exporter has handled everything sent to it so far.
    pub fn sync_export(&self) {
        let (tx, rx) = mpsc::channel();
        if self.export.0.send(ExportMsg::Sync(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// Every flow held in the tables now.
    pub fn flows(&self) -> Vec<FlowEntry> {
        self.ask_all(Control::Flows).into_iter().flatten().collect()
    }

    /// Every flow-mode session held now.
    pub fn sessions(&self) -> Vec<crate::mirror::session::SessionInfo> {
        self.ask_all(Control::Sessions)
            .into_iter()
            .flatten()
            .collect()
    }

    /// `clear services accounting flow`.
    pub fn clear_flows(&self) {
        self.broadcast(|| Control::ClearFlows);
        let _ = self.export.0.send(ExportMsg::Clear);
    }

    /// Writes every exported record as a JSON line to `path` from now on.
    pub fn record_flows_to(&self, path: &std::path::Path) -> Result<(), String> {
        let (tx, rx) = mpsc::channel();
        self.export
            .0
            .send(ExportMsg::RecordTo(path.to_path_buf(), tx))
            .map_err(|_| "the exporter is not running".to_string())?;
        rx.recv()
            .unwrap_or_else(|_| Err("the exporter is not running".into()))
    }

    fn export_stats(&self) -> ExportStats {
        let (tx, rx) = mpsc::channel();
        let _ = self.export.0.send(ExportMsg::Stats(tx));
        rx.recv().unwrap_or_default()
    }

    /// Blocks until every input port has reached its end and everything read is processed.
    pub fn wait_inputs_done(&self) {
        self.ask_all(Control::WaitInputsDone);
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Flows still held are exported (forced end) before the engine goes: nothing is lost
        // at shutdown.
        self.flush_flows();
        self.broadcast(|| Control::Stop);
        for (_, h) in &mut self.workers {
            if let Some(h) = h.take() {
                let _ = h.join();
            }
        }
        let _ = self.export.0.send(ExportMsg::Stop);
        if let Some(h) = self.export.1.take() {
            let _ = h.join();
        }
    }
}

/// Sums the flow-mode counters of several workers (all compiled from the same plan).
fn merge_mirror(
    s: &mut Snapshot,
    mirror: Vec<crate::mirror::DestinationStats>,
    hits: (Vec<Vec<u64>>, u64),
    sessions: (u64, u64),
) {
    if s.mirror.len() < mirror.len() {
        s.mirror.resize(mirror.len(), Default::default());
    }
    for (t, m) in s.mirror.iter_mut().zip(mirror) {
        t.packets += m.packets;
        t.bytes += m.bytes;
        t.truncated += m.truncated;
        t.rate_limited += m.rate_limited;
        t.unresolved += m.unresolved;
    }
    if s.policy_hits.is_empty() {
        s.policy_hits = hits.0;
    } else {
        for (t, p) in s.policy_hits.iter_mut().zip(hits.0) {
            for (a, b) in t.iter_mut().zip(p) {
                *a += b;
            }
        }
    }
    s.default_hits += hits.1;
    s.sessions += sessions.0;
    s.sessions_uncached += sessions.1;
}

/// Sums instance counters of several workers, by instance name.
fn merge_jflow(into: &mut Vec<InstanceStats>, part: Vec<InstanceStats>) {
    for p in part {
        let Some(t) = into.iter_mut().find(|t| t.name == p.name) else {
            into.push(p);
            continue;
        };
        t.sampler.candidates += p.sampler.candidates;
        t.sampler.sampled += p.sampler.sampled;
        t.sampler.rate_limited += p.sampler.rate_limited;
        for (a, b) in [(&mut t.v4, p.v4), (&mut t.v6, p.v6)] {
            a.packets += b.packets;
            a.bytes += b.bytes;
            a.created += b.created;
            a.inactive_timeouts += b.inactive_timeouts;
            a.active_timeouts += b.active_timeouts;
            a.ended += b.ended;
            a.overload_exports += b.overload_exports;
            a.records += b.records;
            a.fragments_ignored += b.fragments_ignored;
            a.creation_failures += b.creation_failures;
        }
        t.v4_flows += p.v4_flows;
        t.v6_flows += p.v6_flows;
        t.v4_capacity += p.v4_capacity;
        t.v6_capacity += p.v6_capacity;
        t.memory_bytes += p.memory_bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{Spec, v4};
    use crate::port::MemoryHandle;

    fn config(lines: &str) -> Config {
        let text: String = lines.lines().map(|l| format!("{}\n", l.trim())).collect();
        flowsh_grammar::check(&flowsh_grammar::load_text(&text).unwrap().tree).unwrap()
    }

    const TWO_PORTS: &str = "
        set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24
        set interfaces ge-0/0/1 unit 0 family inet address 10.0.2.1/24";

    /// Waits (bounded) until `cond` holds on a snapshot: the worker runs on its own thread.
    fn until(e: &Engine, cond: impl Fn(&Snapshot) -> bool) -> Snapshot {
        for _ in 0..2000 {
            let s = e.snapshot();
            if cond(&s) {
                return s;
            }
            std::thread::yield_now();
        }
        panic!("condition not reached");
    }

    #[test]
    fn packets_cross_the_worker_between_memory_ports() {
        let mut e = Engine::start();
        e.apply(&config(TWO_PORTS));
        let (a, b) = (MemoryHandle::default(), MemoryHandle::default());
        e.bind_port("ge-0/0/0", Box::new(a.port()));
        e.bind_port("ge-0/0/1", Box::new(b.port()));
        for i in 0..100 {
            a.push(Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 1000 + i, 53).build());
        }
        let s = until(&e, |s| {
            s.stats
                .units
                .get("ge-0/0/1.0")
                .is_some_and(|c| c.tx_packets == 100)
        });
        assert_eq!(s.packets, 100);
        assert_eq!(b.take_sent().len(), 100);
    }

    #[test]
    fn a_commit_while_traffic_flows_loses_and_double_counts_nothing() {
        let mut e = Engine::start();
        let cfg = config(TWO_PORTS);
        e.apply(&cfg);
        let (a, b) = (MemoryHandle::default(), MemoryHandle::default());
        e.bind_port("ge-0/0/0", Box::new(a.port()));
        e.bind_port("ge-0/0/1", Box::new(b.port()));
        for round in 0..20 {
            for i in 0..50 {
                a.push(Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), i, 53).build());
            }
            e.apply(&cfg);
            if round % 2 == 0 {
                e.apply(&config(&format!(
                    "{TWO_PORTS}\nset system host-name r{round}"
                )));
            }
        }
        let s = until(&e, |s| s.packets == 1000);
        assert_eq!(s.stats.units["ge-0/0/0.0"].rx_packets, 1000);
        assert_eq!(s.stats.units["ge-0/0/1.0"].tx_packets, 1000);
        assert_eq!(b.take_sent().len(), 1000);
    }

    #[test]
    fn ping_from_the_router_matches_the_replies_it_gets() {
        let mut e = Engine::start();
        e.apply(&config(TWO_PORTS));
        let b = MemoryHandle::default();
        e.bind_port("ge-0/0/1", Box::new(b.port()));
        // A host on ge-0/0/1 that answers: the test plays it once the requests are out.
        let answer = std::thread::spawn(move || {
            let mut answered = 0;
            while answered < 3 {
                for req in b.take_sent() {
                    let v = crate::packet::parse(&req).unwrap();
                    let reply = crate::icmp::echo_reply(&v, &req).unwrap();
                    b.push(reply);
                    answered += 1;
                }
                std::thread::yield_now();
            }
        });
        let r = e.ping(v4("10.0.2.9"), 3, Duration::from_secs(10));
        answer.join().unwrap();
        assert_eq!((r.sent, r.replies.len(), r.error), (3, 3, None));
        assert_eq!(r.source, Some(v4("10.0.2.1")));
        let unreachable = e.ping(v4("192.0.2.1"), 1, Duration::from_millis(1));
        assert_eq!(
            unreachable.error.as_deref(),
            Some("no route to host 192.0.2.1")
        );
    }

    /// The CPUs the threads of this process named `name` are bound to (`Cpus_allowed_list`).
    fn cpus_of_threads(name: &str) -> Vec<String> {
        let tasks = std::fs::read_dir("/proc/self/task").expect("/proc is mounted");
        tasks
            .flatten()
            .filter(|t| {
                std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name)
            })
            .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
            .filter_map(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                    .map(|l| l.trim().to_string())
            })
            .collect()
    }

    #[test]
    fn two_workers_run_on_cpus_of_their_own() {
        let allowed = crate::pin::allowed_cpus();
        assert!(
            allowed.len() >= 2,
            "this test needs two CPUs to bind two workers to; the process may use {allowed:?}"
        );
        let e = Engine::with_workers(2);
        // A snapshot is answered by every worker, each bound before it reads anything.
        assert_eq!(e.snapshot().workers, 2);
        // Other tests' engines run in this process too: this one's workers are among these.
        for (worker, cpu) in allowed.iter().take(2).enumerate() {
            let bound = cpus_of_threads(&format!("flowsh-worker-{worker}"));
            assert!(
                bound.contains(&cpu.to_string()),
                "worker {worker} bound to CPU {cpu}: {bound:?}"
            );
        }
    }

    #[test]
    fn two_workers_share_the_ports_and_their_counters_add_up() {
        let mut e = Engine::with_workers(2);
        e.apply(&config(TWO_PORTS));
        let (a, b) = (MemoryHandle::default(), MemoryHandle::default());
        e.bind_port("ge-0/0/0", Box::new(a.port()));
        e.bind_port("ge-0/0/1", Box::new(b.port()));
        for i in 0..200 {
            a.push(Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), i, 53).build());
            b.push(Spec::udp(v4("10.0.2.2"), v4("10.0.1.2"), 53, i).build());
        }
        let s = until(&e, |s| s.packets == 400);
        assert_eq!(s.workers, 2);
        let owners: Vec<usize> = s.ports.iter().map(|p| p.worker).collect();
        assert_eq!(owners, [0, 1], "each worker reads one port");
        assert_eq!(s.stats.units["ge-0/0/0.0"].tx_packets, 200);
        assert_eq!(s.stats.units["ge-0/0/1.0"].tx_packets, 200);
        assert_eq!((a.take_sent().len(), b.take_sent().len()), (200, 200));
    }

    #[test]
    fn a_port_that_cannot_open_leaves_its_interface_down_and_the_engine_running() {
        let mut e = Engine::start();
        e.apply(&config(
            "set interfaces ge-0/0/5 unit 0 family inet address 10.0.5.1/24",
        ));
        let err = e
            .bind("ge-0/0/5", &Backend::Pcap("/nonexistent.pcap".into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("port ge-0/0/5 (pcap:/nonexistent.pcap)"),
            "{err}"
        );
        assert_eq!(e.snapshot().down.len(), 1);
    }

    #[test]
    fn commits_open_and_close_the_ports_of_the_interfaces_they_add_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("ge-0-0-1.pcap");
        let mut e = Engine::start();
        e.apply(&config(
            "set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24",
        ));
        let backend = Backend::PcapOut(out.clone());
        e.bind("ge-0/0/1", &backend).unwrap();
        let bound = |e: &Engine| e.snapshot().ports.iter().any(|p| p.interface == "ge-0/0/1");
        assert!(!bound(&e), "not configured: not opened");
        assert!(!out.exists());
        assert!(e.apply(&config(TWO_PORTS)).is_empty());
        assert!(
            bound(&e),
            "the commit that adds the interface opens its port"
        );
        assert!(out.exists());
        e.apply(&config(
            "set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24",
        ));
        assert!(!bound(&e), "the commit that removes it closes the port");
        // A port that fails to open at a commit is returned and shown down.
        let missing = Backend::Pcap(dir.path().join("missing.pcap"));
        e.bind("ge-0/0/1", &missing).unwrap();
        let failed = e.apply(&config(TWO_PORTS));
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].interface, "ge-0/0/1");
        assert_eq!(e.snapshot().down.len(), 1);
        e.apply(&config(
            "set interfaces ge-0/0/0 unit 0 family inet address 10.0.1.1/24",
        ));
        assert!(
            e.snapshot().down.is_empty(),
            "no longer configured: not down either"
        );
    }

    #[test]
    fn workers_meter_flows_and_expire_them_on_the_injected_clock() {
        let time = Arc::new(AtomicU64::new(1_000));
        let mut e = Engine::with_clock(2, Clock::Manual(time.clone()));
        e.apply(&config(&format!(
            "{TWO_PORTS}
            set interfaces ge-0/0/0 unit 0 family inet sampling input
            set forwarding-options sampling input rate 1
            set forwarding-options sampling family inet output flow-inactive-timeout 15
            set forwarding-options sampling family inet output flow-server 127.0.0.1 port 9"
        )));
        let (a, b) = (MemoryHandle::default(), MemoryHandle::default());
        e.bind_port("ge-0/0/0", Box::new(a.port()));
        e.bind_port("ge-0/0/1", Box::new(b.port()));
        for i in 0..50 {
            a.push(Spec::udp(v4("10.0.1.2"), v4("10.0.2.2"), 1000 + i % 5, 53).build());
        }
        let s = until(&e, |s| s.jflow.first().is_some_and(|j| j.v4.packets == 50));
        assert_eq!(s.jflow[0].v4_flows, 5);
        let flows = e.flows();
        assert_eq!(flows.len(), 5);
        assert!(flows.iter().all(|f| f.packets == 10 && f.first == 1_000));
        // 15 s later (engine time), the idle flows end and go to the exporter.
        time.store(16_000, Ordering::Relaxed);
        let s = until(&e, |s| {
            s.jflow[0].v4_flows == 0 && s.export.instances[0].records[0] == 5
        });
        assert_eq!(s.jflow[0].v4.inactive_timeouts, 5);
        e.sync_export();
        let export = e.snapshot().export;
        assert_eq!(export.instances[0].collectors[0].records, 5);
        assert_eq!(
            export.instances[0].datagrams[0], 1,
            "five records, one datagram"
        );
    }
}
