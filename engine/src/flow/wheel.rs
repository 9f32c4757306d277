//! A hashed timer wheel for flow expiry. Each live flow has one entry, placed in the slot of the
//! tick its deadline falls in; entries are checked against their flow's real deadline when their
//! slot comes due and placed again if the flow was active since (lazy rescheduling), so a packet
//! never touches the wheel. Deadlines beyond the wheel's horizon come around early and are
//! placed again. Work per advance is the slots passed plus the entries in them: no table scans.

/// Milliseconds per tick.
pub const TICK_MS: u64 = 4;
/// Slots in the wheel: a horizon of 65.5 s, past the default inactive timeout.
const SLOTS: usize = 16_384;

/// A flow's place in the table and the generation it had when scheduled: an entry whose flow
/// ended (its slot reused since) is recognised as stale and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub index: u32,
    pub generation: u32,
}

/// What the owner of the flows says about a ticket whose slot came due.
pub enum Check {
    /// The flow is gone (or the ticket is stale): forget the ticket.
    Gone,
    /// The flow ends now: forget the ticket.
    Expired,
    /// The flow lives on until this deadline (ms): place the ticket again.
    Until(u64),
}

#[derive(Debug)]
pub struct Wheel {
    slots: Vec<Vec<Ticket>>,
    /// Tickets due within the current tick, checked at every advance.
    near: Vec<Ticket>,
    /// The next tick whose slot has not been processed.
    cursor: u64,
    spare: Vec<Ticket>,
}

impl Default for Wheel {
    fn default() -> Self {
        Wheel::new(0)
    }
}

impl Wheel {
    pub fn new(now_ms: u64) -> Wheel {
        // Slots are allocated with the first ticket: an idle table costs nothing.
        Wheel {
            slots: Vec::new(),
            near: Vec::new(),
            cursor: now_ms / TICK_MS + 1,
            spare: Vec::new(),
        }
    }

    /// Schedules a ticket for a deadline, as of `now_ms`.
    pub fn place(&mut self, t: Ticket, deadline_ms: u64, now_ms: u64) {
        if self.slots.is_empty() {
            self.slots = (0..SLOTS).map(|_| Vec::new()).collect();
        }
        let tick = deadline_ms / TICK_MS;
        if tick <= now_ms / TICK_MS || tick < self.cursor {
            self.near.push(t);
        } else {
            self.slots[(tick % SLOTS as u64) as usize].push(t);
        }
    }

    /// Moves time to `now_ms`: every ticket of a passed or current tick is checked.
    pub fn advance(&mut self, now_ms: u64, mut check: impl FnMut(Ticket) -> Check) {
        let now_tick = now_ms / TICK_MS;
        if !self.near.is_empty() {
            let mut near = std::mem::take(&mut self.near);
            for t in near.drain(..) {
                if let Check::Until(d) = check(t) {
                    self.place(t, d, now_ms);
                }
            }
            if self.near.is_empty() {
                self.near = near;
            }
        }
        // After a jump longer than the wheel, one turn visits every slot.
        self.cursor = self.cursor.max((now_tick + 1).saturating_sub(SLOTS as u64));
        if self.slots.is_empty() {
            self.cursor = self.cursor.max(now_tick + 1);
        }
        while self.cursor <= now_tick {
            let slot = (self.cursor % SLOTS as u64) as usize;
            self.cursor += 1;
            if self.slots[slot].is_empty() {
                continue;
            }
            let mut due = std::mem::replace(&mut self.slots[slot], std::mem::take(&mut self.spare));
            for t in due.drain(..) {
                if let Check::Until(d) = check(t) {
                    self.place(t, d, now_ms);
                }
            }
            self.spare = due;
        }
    }

    /// The ticket with the earliest slot and the time that slot stands for (stale tickets
    /// included; the caller skips them, and places again those whose flow is due later), for
    /// ending a flow early when the table is full.
    pub fn pop_earliest(&mut self) -> Option<(Ticket, u64)> {
        if let Some(t) = self.near.pop() {
            return Some((t, self.cursor.saturating_sub(1) * TICK_MS));
        }
        for i in 0..self.slots.len() as u64 {
            let slot = ((self.cursor + i) % SLOTS as u64) as usize;
            if let Some(t) = self.slots[slot].pop() {
                return Some((t, (self.cursor + i) * TICK_MS));
            }
        }
        None
    }

    /// Bytes held (for `show services accounting memory`).
    pub fn memory_bytes(&self) -> usize {
        let t = std::mem::size_of::<Ticket>();
        self.slots.capacity() * std::mem::size_of::<Vec<Ticket>>()
            + self.slots.iter().map(|s| s.capacity() * t).sum::<usize>()
            + (self.near.capacity() + self.spare.capacity()) * t
    }

    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(Vec::clear);
        self.near.clear();
    }
}
