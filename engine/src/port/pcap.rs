//! Captures: `pcap:FILE` replays a capture's IP packets (raw IP or Ethernet link types);
//! `pcap-out:FILE` records the packets sent out of a port as raw IP.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapParser, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::block::BlockWriter;
use super::{Port, PortSender, Rx};

fn io_err(e: pcap_file::PcapError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// Replays a capture, read from a memory map of the file (no read copy, no allocation per
/// packet: each packet is copied once, into the worker's buffer).
pub struct PcapIn {
    path: PathBuf,
    mapped: Arc<Mapped>,
    /// This reader's place among the map's readers.
    reader: usize,
    parser: PcapParser,
    /// Where the first packet record starts in the map, and the next one.
    first: usize,
    at: usize,
    /// The end of the window of the map read ahead; what lies before the window was released.
    window_end: usize,
    datalink: DataLink,
    endianness: Endianness,
    nanos: bool,
    /// `--pace`: packets are released at the capture's own intervals.
    pace: Option<Pace>,
    /// With several workers reading the capture: this reader's worker and their number; it
    /// takes the packets [`crate::steer`] gives its worker.
    share: (u32, u32),
}

/// Pacing state: the first packet's capture time and when it was released; a packet read
/// before its time waits here.
#[derive(Debug, Default)]
struct Pace {
    origin: Option<(u64, std::time::Instant)>,
    held: Option<(Vec<u8>, u64)>,
}

impl std::fmt::Debug for PcapIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PcapIn({})", self.path.display())
    }
}

/// One map of a capture, shared by the readers of a multi-worker replay: its pages are faulted
/// in once for all of them, and a window of it is released once every reader has passed it.
struct Mapped {
    map: memmap2::Mmap,
    /// The window each reader is in (`usize::MAX` once it has read to the end).
    windows: Vec<AtomicUsize>,
    /// The windows below this one were released.
    released: AtomicUsize,
}

/// The capture is released from the process in windows of this size behind its readers.
const WINDOW: usize = 8 << 20;

/// Windows kept behind the reader furthest on, however far the others are behind.
const MOST_BEHIND: usize = 2;

impl Mapped {
    #[allow(unsafe_code)]
    fn open(path: &Path, readers: usize) -> io::Result<Arc<Mapped>> {
        let file = File::open(path)?;
        // SAFETY: the map is only read, and the slices handed out never outlive it. The one
        // hazard of a file map is the file shrinking under it (another process truncating the
        // capture during the replay), which raises SIGBUS; flowsh never writes to a capture it
        // replays, and, like other map readers (ripgrep), accepts that case.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        // Pages of the capture not in the page cache are then read in 2 MB folios, each mapped
        // by one fault (a cold 320 MB capture: 0.33 s instead of 1.75 s, and later replays of
        // it fault 530 times instead of 950). Only advice: without it the capture is read the same.
        let _ = map.advise(memmap2::Advice::HugePage);
        Ok(Arc::new(Mapped {
            map,
            windows: (0..readers).map(|_| AtomicUsize::new(0)).collect(),
            released: AtomicUsize::new(0),
        }))
    }

    /// `reader` is now in `window`: the windows every reader has left (and any more than
    /// `MOST_BEHIND` behind this one) are released from this process (their pages stay in the
    /// page cache), so a replay's resident memory does not grow with the capture.
    fn entered(&self, reader: usize, window: usize) {
        let left = self.windows[reader].swap(window, Ordering::AcqRel);
        if left < self.released.load(Ordering::Acquire) {
            // Released while this reader was still in it: what it faulted in since goes too.
            self.release(left);
        }
        let slowest = self
            .windows
            .iter()
            .map(|w| w.load(Ordering::Acquire))
            .min()
            .unwrap_or(window);
        // A reader far behind the others does not hold the whole gap in memory: what it has
        // not read yet is released anyway (it faults those pages in again).
        let keep_from = match window {
            usize::MAX => slowest,
            _ => slowest.max(window.saturating_sub(MOST_BEHIND)),
        };
        let mut released = self.released.load(Ordering::Acquire);
        while released < keep_from {
            match self.released.compare_exchange(
                released,
                released + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if !self.release(released) {
                        break;
                    }
                    released += 1;
                }
                Err(now) => released = now,
            }
        }
    }

    /// Drops this process's pages of window `w`; false past the end of the map.
    #[allow(unsafe_code)]
    fn release(&self, w: usize) -> bool {
        let start = w.saturating_mul(WINDOW);
        let len = WINDOW.min(self.map.len().saturating_sub(start));
        if len == 0 {
            return false;
        }
        // SAFETY: DONTNEED on a read-only private file map drops this process's page table
        // entries only; a later read of the range faults the file's pages in again, so no
        // slice into the map can see other bytes (and none is held across packets).
        let _ = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len)
        };
        true
    }
}

impl PcapIn {
    pub fn open(path: &Path) -> io::Result<PcapIn> {
        Self::reader(Mapped::open(path, 1)?, 0, path)
    }

    /// Readers of one capture for `count` workers, each taking its share of the flows.
    pub fn open_shards(path: &Path, count: u32) -> io::Result<Vec<PcapIn>> {
        let mapped = Mapped::open(path, count.max(1) as usize)?;
        (0..count.max(1))
            .map(|i| Ok(Self::reader(mapped.clone(), i as usize, path)?.shard(i, count)))
            .collect()
    }

    fn reader(mapped: Arc<Mapped>, reader: usize, path: &Path) -> io::Result<PcapIn> {
        let map = &mapped.map;
        let (rest, parser) = PcapParser::new(map).map_err(io_err)?;
        let at = map.len() - rest.len();
        let h = parser.header();
        match h.datalink {
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 | DataLink::ETHERNET => {}
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "link type {other:?} is not supported (raw IP or Ethernet captures only)"
                    ),
                ));
            }
        }
        Ok(PcapIn {
            path: path.to_path_buf(),
            mapped,
            reader,
            datalink: h.datalink,
            endianness: h.endianness,
            nanos: h.ts_resolution == TsResolution::NanoSecond,
            parser,
            first: at,
            at,
            window_end: 0,
            share: (0, 1),
            pace: None,
        })
    }

    /// Releases packets at the capture's pace instead of as fast as possible.
    pub fn paced(mut self) -> PcapIn {
        self.pace = Some(Pace::default());
        self
    }

    /// This reader takes share `index` of `count` of the capture's flows.
    fn shard(mut self, index: u32, count: u32) -> Self {
        self.share = (index, count.max(1));
        self
    }

    /// Moves this reader's window on. The pages are faulted in as they are read (the kernel maps
    /// the cached pages around each fault: asking for them ahead cost more than it saved).
    fn slide_window(&mut self) {
        let start = self.window_end;
        self.window_end = (start + WINDOW).min(self.mapped.map.len());
        self.mapped.entered(self.reader, start / WINDOW);
    }

    /// Copies the next IP packet of the capture into `buf`, skipping frames that are not IP;
    /// its length (cut to `buf`) and time.
    fn next_ip(&mut self, buf: &mut [u8]) -> io::Result<Option<(usize, u64)>> {
        loop {
            if self.at >= self.window_end {
                if self.at >= self.mapped.map.len() {
                    self.mapped.entered(self.reader, usize::MAX);
                    return Ok(None);
                }
                self.slide_window();
            }
            // Record headers are read here rather than through pcap-file's parser: at tens of
            // millions of packets a second its per-record checks were a tenth of the replay.
            // Raw packets: a capture made with a small snap length is still readable.
            let at = self.at;
            let Some(h) = self.mapped.map.get(at..at + 16) else {
                return Err(self.truncated());
            };
            let word = |i: usize| {
                let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
                match self.endianness {
                    Endianness::Big => u32::from_be_bytes(b),
                    Endianness::Little => u32::from_le_bytes(b),
                }
            };
            let incl = word(8) as usize;
            let start = at + 16;
            let Some(data) = self.mapped.map.get(start..start + incl) else {
                return Err(self.truncated());
            };
            self.at = start + incl;
            let ip = if self.datalink == DataLink::ETHERNET {
                match ethernet_payload(data) {
                    Some(ip) => ip,
                    // Not IP (ARP, LLDP...): nothing for the IP data plane.
                    None => continue,
                }
            } else {
                data
            };
            // Another worker's packet: skipped before anything else is read of it.
            if self.share.1 > 1 && crate::steer::worker_of(ip, self.share.1) != self.share.0 {
                continue;
            }
            let frac = u64::from(word(4)) * if self.nanos { 1 } else { 1000 };
            let time_ns = u64::from(word(0)) * 1_000_000_000 + frac;
            let len = ip.len().min(buf.len());
            // Small packets are copied as a fixed 128 bytes (what follows them in the map is
            // harmless in the buffer): a fixed-size copy is a few vector moves, a call to
            // memmove is not.
            let from = start + incl - ip.len();
            match self.mapped.map.get(from..from + SMALL) {
                Some(block) if len <= SMALL && buf.len() >= SMALL => {
                    buf[..SMALL].copy_from_slice(block)
                }
                _ => buf[..len].copy_from_slice(&ip[..len]),
            }
            return Ok(Some((len, time_ns)));
        }
    }
}

/// Packets up to this size are copied in one fixed-size block.
const SMALL: usize = 128;

impl PcapIn {
    /// The record at hand runs past the end of the file: an error once, then the end.
    fn truncated(&mut self) -> io::Error {
        let at = std::mem::replace(&mut self.at, self.mapped.map.len());
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "capture truncated: a packet record at byte {at} runs past the end of the file"
            ),
        )
    }
}

/// The IP packet inside an Ethernet frame (with or without one 802.1Q tag).
fn ethernet_payload(frame: &[u8]) -> Option<&[u8]> {
    let ty = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    match ty {
        0x0800 | 0x86dd => frame.get(14..),
        0x8100 => {
            let inner = u16::from_be_bytes([*frame.get(16)?, *frame.get(17)?]);
            matches!(inner, 0x0800 | 0x86dd)
                .then(|| frame.get(18..))
                .flatten()
        }
        _ => None,
    }
}

impl PcapIn {
    /// The packet in `buf`, now or (paced) when its time comes. Inlined: an unpaced replay's
    /// packet goes out without a call.
    #[inline(always)]
    fn release(&mut self, buf: &[u8], len: usize, time_ns: u64) -> io::Result<Rx> {
        if self.pace.is_some() && self.hold_until_due(buf, len, time_ns) {
            return Ok(Rx::Empty);
        }
        Ok(Rx::Packet {
            len,
            time_ns: Some(time_ns),
        })
    }

    /// Paced: holds the packet in `buf` if its time has not come yet; whether it did.
    fn hold_until_due(&mut self, buf: &[u8], len: usize, time_ns: u64) -> bool {
        let Some(pace) = &mut self.pace else {
            return false;
        };
        let (t0, start) = *pace
            .origin
            .get_or_insert((time_ns, std::time::Instant::now()));
        let due = Duration::from_nanos(time_ns.saturating_sub(t0));
        if start.elapsed() < due {
            pace.held = Some((buf[..len].to_vec(), time_ns));
            return true;
        }
        false
    }
}

impl Port for PcapIn {
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Rx> {
        if let Some(pace) = &mut self.pace
            && let Some((held, time_ns)) = pace.held.take()
        {
            let len = held.len().min(buf.len());
            buf[..len].copy_from_slice(&held[..len]);
            return self.release(buf, len, time_ns);
        }
        match self.next_ip(buf)? {
            Some((len, time_ns)) => self.release(buf, len, time_ns),
            None => Ok(Rx::Closed),
        }
    }

    fn first_time_ns(&self) -> Option<u64> {
        let (_, p) = self
            .parser
            .next_raw_packet(&self.mapped.map[self.first..])
            .ok()?;
        let frac = u64::from(p.ts_frac) * if self.nanos { 1 } else { 1000 };
        Some(u64::from(p.ts_sec) * 1_000_000_000 + frac)
    }

    fn sender(&self) -> Option<Arc<dyn PortSender>> {
        // A replayed capture is an input only; what would leave through it is counted and dropped.
        None
    }

    fn describe(&self) -> String {
        format!("pcap:{}", self.path.display())
    }
}

/// Records sent packets as raw IP.
pub struct PcapOut {
    path: PathBuf,
    recorder: Arc<Recorder>,
}

/// The capture file being written, shared by the workers that send through the port.
pub struct Recorder {
    /// Taken on drop to flush the file.
    writer: Mutex<Option<PcapWriter<BufWriter<File>>>>,
    start: std::time::Instant,
}

impl std::fmt::Debug for PcapOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PcapOut({})", self.path.display())
    }
}

/// A new raw-IP capture file with nanosecond stamps.
fn raw_ip_writer<W: io::Write>(file: W) -> io::Result<PcapWriter<W>> {
    let header = PcapHeader {
        datalink: DataLink::RAW,
        ts_resolution: TsResolution::NanoSecond,
        snaplen: 65535,
        endianness: Endianness::native(),
        ..PcapHeader::default()
    };
    PcapWriter::with_header(file, header).map_err(io_err)
}

impl PcapOut {
    pub fn create(path: &Path) -> io::Result<PcapOut> {
        let writer = raw_ip_writer(BufWriter::new(File::create(path)?))?;
        Ok(PcapOut {
            path: path.to_path_buf(),
            recorder: Arc::new(Recorder {
                writer: Mutex::new(Some(writer)),
                start: std::time::Instant::now(),
            }),
        })
    }
}

impl Port for PcapOut {
    fn recv(&mut self, _buf: &mut [u8]) -> io::Result<Rx> {
        Ok(Rx::Empty)
    }

    fn sender(&self) -> Option<Arc<dyn PortSender>> {
        Some(self.recorder.clone())
    }

    fn describe(&self) -> String {
        format!("pcap-out:{}", self.path.display())
    }

    fn is_input(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl PortSender for Recorder {
    fn send(&self, packet: &[u8]) -> io::Result<()> {
        let ts = Duration::from_nanos(self.start.elapsed().as_nanos() as u64);
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        match w.as_mut() {
            Some(w) => w
                .write_packet(&PcapPacket::new(ts, packet.len() as u32, packet))
                .map(|_| ())
                .map_err(io_err),
            None => Err(io::Error::other("capture closed")),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        use std::io::Write;
        let w = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = w.take() {
            let _ = w.into_writer().flush();
        }
    }
}

/// A raw-IP capture written packet by packet (the capture generator streams into it).
pub struct CaptureWriter {
    writer: PcapWriter<BlockWriter>,
}

impl std::fmt::Debug for CaptureWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureWriter").finish_non_exhaustive()
    }
}

impl CaptureWriter {
    pub fn create(path: &Path) -> io::Result<CaptureWriter> {
        Ok(CaptureWriter {
            writer: raw_ip_writer(BlockWriter::new(File::create(path)?))?,
        })
    }

    /// Writes one packet stamped `ns` (Unix nanoseconds).
    pub fn write(&mut self, ns: u64, packet: &[u8]) -> io::Result<()> {
        let ts = Duration::from_nanos(ns);
        self.writer
            .write_packet(&PcapPacket::new(ts, packet.len() as u32, packet))
            .map(|_| ())
            .map_err(io_err)
    }

    /// Flushes the file.
    pub fn finish(self) -> io::Result<()> {
        use std::io::Write;
        self.writer.into_writer().flush()
    }
}

/// Writes IP packets with their times (Unix nanoseconds) to a raw-IP capture.
pub fn write_timed_capture(path: &Path, packets: &[(u64, Vec<u8>)]) -> io::Result<()> {
    let mut w = CaptureWriter::create(path)?;
    for (ns, p) in packets {
        w.write(*ns, p)?;
    }
    w.finish()
}

/// Writes IP packets to a raw-IP capture (tests and the capture generator).
pub fn write_capture(path: &Path, packets: &[Vec<u8>]) -> io::Result<()> {
    let out = PcapOut::create(path)?;
    for p in packets {
        out.recorder.send(p)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_capture_replays_packet_for_packet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pcap.pcap");
        let packets = vec![vec![0x45u8; 20], vec![0x60u8; 40]];
        write_capture(&path, &packets).unwrap();
        let mut p = PcapIn::open(&path).unwrap();
        let mut buf = [0u8; 100];
        assert!(matches!(
            p.recv(&mut buf).unwrap(),
            Rx::Packet { len: 20, .. }
        ));
        assert!(matches!(
            p.recv(&mut buf).unwrap(),
            Rx::Packet { len: 40, .. }
        ));
        assert_eq!(p.recv(&mut buf).unwrap(), Rx::Closed);
    }

    #[test]
    fn both_byte_orders_small_and_large_packets_and_a_cut_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.pcap");
        let big: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        for endianness in [Endianness::Big, Endianness::Little] {
            let header = PcapHeader {
                datalink: DataLink::RAW,
                endianness,
                ..PcapHeader::default()
            };
            let file = std::fs::File::create(&path).unwrap();
            let mut w = PcapWriter::with_header(file, header).unwrap();
            for (secs, data) in [(7, &[0x45u8; 20][..]), (9, &big[..])] {
                let t = Duration::new(secs, 250_000_000);
                w.write_packet(&PcapPacket::new(t, data.len() as u32, data))
                    .unwrap();
            }
            drop(w);
            let mut p = PcapIn::open(&path).unwrap();
            let mut buf = [0u8; 2048];
            assert_eq!(p.first_time_ns(), Some(7_250_000_000));
            let got = p.recv(&mut buf).unwrap();
            assert_eq!(
                got,
                Rx::Packet {
                    len: 20,
                    time_ns: Some(7_250_000_000)
                }
            );
            assert_eq!(&buf[..20], &[0x45u8; 20]);
            let got = p.recv(&mut buf).unwrap();
            assert_eq!(
                got,
                Rx::Packet {
                    len: 1500,
                    time_ns: Some(9_250_000_000)
                }
            );
            assert_eq!(&buf[..1500], &big[..]);
            // The file ends inside the second record: an error, not a panic or a short packet.
            let len = std::fs::metadata(&path).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(len - 100)
                .unwrap();
            let mut p = PcapIn::open(&path).unwrap();
            assert!(matches!(p.recv(&mut buf), Ok(Rx::Packet { len: 20, .. })));
            let e = p.recv(&mut buf).unwrap_err();
            assert!(e.to_string().contains("capture truncated"), "{e}");
            assert_eq!(p.recv(&mut buf).unwrap(), Rx::Closed);
        }
    }

    #[test]
    fn a_paced_capture_holds_a_packet_until_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paced.pcap");
        let header = PcapHeader {
            datalink: DataLink::RAW,
            ..PcapHeader::default()
        };
        let mut w = PcapWriter::with_header(std::fs::File::create(&path).unwrap(), header).unwrap();
        for secs in [1_000, 1_060] {
            w.write_packet(&PcapPacket::new(
                Duration::from_secs(secs),
                20,
                &[0x45u8; 20],
            ))
            .unwrap();
        }
        drop(w);
        let mut p = PcapIn::open(&path).unwrap().paced();
        let mut buf = [0u8; 64];
        assert!(matches!(
            p.recv(&mut buf).unwrap(),
            Rx::Packet { len: 20, .. }
        ));
        // The second packet is due a minute after the first: not yet.
        assert_eq!(p.recv(&mut buf).unwrap(), Rx::Empty);
        assert_eq!(p.recv(&mut buf).unwrap(), Rx::Empty);
    }

    #[test]
    fn ethernet_frames_give_their_ip_packet_and_skip_the_rest() {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00, 0x45, 0x00]);
        assert_eq!(ethernet_payload(&frame), Some(&[0x45u8, 0x00][..]));
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert_eq!(ethernet_payload(&arp), None);
    }

    #[test]
    fn shards_of_a_capture_read_every_packet_once_across_released_windows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.pcap");
        // Over three windows of the map, each packet marked with its number.
        let packets: Vec<Vec<u8>> = (0..20_000u32)
            .map(|i| {
                let mut p = crate::build::Spec::udp(
                    crate::build::v4("10.0.0.1"),
                    crate::build::v4("10.0.0.2"),
                    (i % 500) as u16,
                    53,
                )
                .payload(1372)
                .build();
                let n = p.len();
                p[n - 4..].copy_from_slice(&i.to_be_bytes());
                p
            })
            .collect();
        write_capture(&path, &packets).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 3 * WINDOW as u64);
        let mut shards = PcapIn::open_shards(&path, 2).unwrap();
        let mut seen = vec![false; packets.len()];
        let mut buf = vec![0u8; 2048];
        // One reader to the end before the other starts: the windows the first leaves behind
        // are released under the second, which reads them again.
        for shard in &mut shards {
            let mut last = None;
            while let Rx::Packet { len, .. } = shard.recv(&mut buf).unwrap() {
                let i = u32::from_be_bytes(buf[len - 4..len].try_into().unwrap());
                assert_eq!(&buf[..len], &packets[i as usize][..]);
                assert!(!seen[i as usize], "packet {i} read twice");
                assert!(last < Some(i), "out of order");
                seen[i as usize] = true;
                last = Some(i);
            }
        }
        assert!(seen.iter().all(|&s| s));
    }
}
