//! Steering packets to workers: a hash of the flow that both directions share, read straight
//! from the IP header, so each worker's flow table holds whole flows and every flow's packets
//! keep their order.

/// The worker (of `workers`) for an IP packet. Addresses and protocol, and the ports of
/// unfragmented packets and first fragments (later fragments carry none: they go by addresses,
/// and the flow table ignores them anyway). Anything unreadable goes to worker 0.
#[inline]
pub fn worker_of(ip: &[u8], workers: u32) -> u32 {
    if workers <= 1 {
        return 0;
    }
    // The hash's top 32 bits scaled to the worker count: a multiply, where `%` was a division
    // for every packet of the capture in every worker.
    (((symmetric_hash(ip) >> 32) * u64::from(workers)) >> 32) as u32
}

#[inline]
fn symmetric_hash(ip: &[u8]) -> u64 {
    let Some(&first) = ip.first() else {
        return 0;
    };
    let (a, b, protocol, l4) = match first >> 4 {
        4 if ip.len() >= 20 => {
            let header = usize::from(first & 0x0f) * 4;
            let offset = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
            let a = u64::from(u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]));
            let b = u64::from(u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]));
            let l4 = (offset == 0).then(|| ip.get(header..)).flatten();
            (a, b, ip[9], l4)
        }
        6 if ip.len() >= 40 => {
            let word = |at: usize| {
                let mut w = [0; 8];
                w.copy_from_slice(&ip[at..at + 8]);
                u64::from_be_bytes(w)
            };
            let a = word(8) ^ word(16).rotate_left(32);
            let b = word(24) ^ word(32).rotate_left(32);
            (a, b, ip[6], ip.get(40..))
        }
        _ => return 0,
    };
    let ports = match (protocol, l4) {
        (6 | 17 | 132, Some(l4)) if l4.len() >= 4 => {
            let p = u64::from(u16::from_be_bytes([l4[0], l4[1]]));
            let q = u64::from(u16::from_be_bytes([l4[2], l4[3]]));
            (p.min(q) << 16) | p.max(q)
        }
        _ => 0,
    };
    // Order-free in the two ends: the smaller first.
    let (lo, hi) = (a.min(b), a.max(b));
    // Two multiplies: this runs for every packet of the capture in every worker.
    let h = (lo.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hi ^ ports ^ u64::from(protocol) << 40)
        .wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{Spec, v4, v6};

    #[test]
    fn both_directions_go_to_the_same_worker_and_flows_spread() {
        let mut counts = [0u32; 2];
        for i in 0..1000u16 {
            for (s, d) in [
                (v4("10.0.0.1"), v4("172.16.0.9")),
                (v6("2001:db8::1"), v6("2001:db8:1::9")),
            ] {
                let there = Spec::udp(s, d, 1024 + i, 5001).build();
                let back = Spec::udp(d, s, 5001, 1024 + i).build();
                assert_eq!(worker_of(&there, 2), worker_of(&back, 2));
                let syn = Spec::tcp(s, d, 1024 + i, 443, 2).build();
                let ack = Spec::tcp(d, s, 443, 1024 + i, 0x12).build();
                assert_eq!(worker_of(&syn, 2), worker_of(&ack, 2));
                counts[worker_of(&there, 2) as usize] += 1;
            }
        }
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
    }

    #[test]
    fn fragments_and_garbage_have_a_worker_too() {
        let first = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2)
            .fragment(0, true)
            .build();
        assert!(worker_of(&first, 4) < 4);
        let later = Spec::udp(v4("10.0.0.1"), v4("10.0.0.2"), 1, 2)
            .fragment(185, false)
            .build();
        assert!(worker_of(&later, 4) < 4);
        for junk in [&[][..], &[0x45][..], &[0x60; 10][..], &[0xff; 64][..]] {
            assert_eq!(worker_of(junk, 4), worker_of(junk, 4));
        }
        assert_eq!(worker_of(&first, 1), 0);
    }
}
