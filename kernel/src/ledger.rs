//! The ledger: where every message that entered the kernel went.
//!
//! One type, [`Ledger`], keeps the account everywhere it is kept: the kernel's total, each
//! endpoint's (every mailbox and every process's inbox, as O(1) counters on the endpoint),
//! and the final record of an endpoint that is gone ([`EndpointLedger`], which names the
//! endpoint and says what was still queued). A message is counted `sent` when it enters the
//! kernel (queued, handed straight to a receiver, or accepted and dropped at once),
//! `received` when a receiver takes it, and `dropped` with a [`DropReason`] when it is
//! discarded. A send that fails (would block, timed out, mailbox full, out of memory, peer
//! gone) never entered the kernel and is not counted; nor are replies.
//!
//! Invariant (checked after every kernel entry in test builds): every ledger balances,
//! `sent == received + dropped + queued` with `queued` the messages in its queue now (all
//! queues, for the kernel's total); and the endpoints' ledgers, live and closed, add up to
//! the kernel's, reason by reason.
//!
//! This module only counts; it never decides what happens to a message.

use crate::trace::DropReason;
use abi::Dest;
use alloc::string::String;
use core::fmt;

/// Messages dropped, by reason.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Drops([u64; DropReason::ALL.len()]);

impl Drops {
    /// Nothing dropped.
    pub const NONE: Drops = Drops([0; DropReason::ALL.len()]);

    /// Count `n` more dropped for `reason`.
    #[inline]
    pub fn add(&mut self, reason: DropReason, n: u64) {
        self.0[reason.index()] += n;
    }

    /// How many were dropped for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.0[reason.index()]
    }

    /// How many were dropped, whatever the reason.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Whether none was dropped.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The reasons that occurred, with their counts, in [`DropReason`] order.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .map(|&r| (r, self.get(r)))
            .filter(|&(_, n)| n > 0)
    }
}

/// Shown as the reasons that occurred with their counts, like a map.
impl fmt::Debug for Drops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Where the messages of one account went: the kernel's, or one endpoint's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Messages that entered the kernel: queued, handed straight to a receiver, or accepted
    /// and dropped at once (a full `drop_newest` mailbox).
    pub sent: u64,
    /// Messages a receiver took.
    pub received: u64,
    /// Messages discarded, by reason (each with an event in the trace).
    pub dropped: Drops,
}

impl Ledger {
    /// Nothing sent, received or dropped.
    pub const EMPTY: Ledger = Ledger {
        sent: 0,
        received: 0,
        dropped: Drops::NONE,
    };

    /// Whether every message sent was received, is among the `queued`, or was dropped.
    pub fn balances(&self, queued: u64) -> bool {
        self.sent == self.received + self.dropped.total() + queued
    }

    /// This ledger plus `other`, reason by reason.
    pub fn plus(mut self, other: &Ledger) -> Ledger {
        self.sent += other.sent;
        self.received += other.received;
        for (r, n) in other.dropped.iter() {
            self.dropped.add(r, n);
        }
        self
    }
}

/// One endpoint's ledger as a run's report lists it: which endpoint, its account, and what
/// was still queued there.
///
/// A mailbox's record outlives the mailbox (`closed`), as does an inbox's its process, so a
/// run's report accounts for every message even after its endpoint is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointLedger {
    /// Which endpoint: a mailbox, or a process's direct inbox (`Dest::Process`).
    pub endpoint: Dest,
    /// The mailbox's registered name, or the inbox's process name; `None` for an anonymous
    /// mailbox.
    pub name: Option<String>,
    /// Where the messages bound here went.
    pub ledger: Ledger,
    /// Messages queued here now (0 once closed).
    pub queued: u64,
    /// Whether the endpoint is gone: the mailbox deleted, or the inbox's process exited.
    pub closed: bool,
}

impl EndpointLedger {
    /// Whether every message sent here was received, is queued, or was dropped.
    pub fn balances(&self) -> bool {
        self.ledger.balances(self.queued)
    }
}
