//! What a run leaves behind: a record for every process that exited and the final ledger of
//! every endpoint that is gone.
//!
//! The kernel keeps this history for the run's report, or, when the host asks
//! ([`Kernel::set_history_sink`](crate::Kernel::set_history_sink)), hands each record to a
//! [`HistorySink`] as it is made, so that a run of a million processes does not hold a
//! million records. Either way it keeps the sum of the closed ledgers, which the ledger
//! invariant needs (the endpoints, live and closed, add up to the kernel's total).
//!
//! This module only keeps records; it never decides when a process exits or an endpoint
//! closes.

use crate::ledger::{EndpointLedger, Ledger};
use crate::ExitRecord;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

/// Where history goes as it is made instead of into the kernel's keeping: a report written
/// as the run goes, or a counter. It sees every record, in order, exactly once. It is `Send`
/// because the kernel that holds it is.
pub trait HistorySink: Send {
    /// A process exited (records come in exit order).
    fn exited(&mut self, record: ExitRecord);
    /// An endpoint that ever had a message sent to it is gone: its final ledger.
    fn closed(&mut self, ledger: EndpointLedger);
}

/// The history of a run so far.
#[derive(Default)]
pub(crate) struct History {
    /// Exit records in exit order (empty while a sink takes them).
    pub(crate) exited: Vec<ExitRecord>,
    /// Closed endpoints' ledgers with their creation serials (empty while a sink takes
    /// them).
    pub(crate) closed: Vec<(u64, EndpointLedger)>,
    /// Every closed endpoint's ledger, summed, kept or not.
    pub(crate) closed_total: Ledger,
    /// Where records go instead, if anywhere.
    sink: Option<Box<dyn HistorySink>>,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("exited", &self.exited.len())
            .field("closed", &self.closed.len())
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

impl History {
    /// From now on hand records to `sink` (those kept so far first), instead of keeping
    /// them; the sink that had them before, if any.
    pub(crate) fn set_sink(
        &mut self,
        mut sink: Box<dyn HistorySink>,
    ) -> Option<Box<dyn HistorySink>> {
        for record in self.exited.drain(..) {
            sink.exited(record);
        }
        for (_, ledger) in self.closed.drain(..) {
            sink.closed(ledger);
        }
        self.sink.replace(sink)
    }

    /// A process exited.
    pub(crate) fn exit(&mut self, record: ExitRecord) {
        match &mut self.sink {
            Some(sink) => sink.exited(record),
            None => self.exited.push(record),
        }
    }

    /// An endpoint created as the `serial`-th closed with this final ledger.
    pub(crate) fn close(&mut self, serial: u64, ledger: EndpointLedger) {
        self.closed_total = self.closed_total.plus(&ledger.ledger);
        match &mut self.sink {
            Some(sink) => sink.closed(ledger),
            None => self.closed.push((serial, ledger)),
        }
    }
}
