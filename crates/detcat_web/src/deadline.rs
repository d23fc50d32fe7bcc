//! A per-request deadline for catalog queries that also fires when the client goes away.
//!
//! A query runs on a blocking thread that tokio cannot cancel, so dropping the request future
//! (client disconnect) or a timeout used to leave the query running to its end. Here the
//! request side holds a [`Cancel`] and the blocking side registers its connection's
//! interrupt callback while it runs: firing the cancel calls `sqlite3_interrupt`, which makes
//! the running statement fail with `SQLITE_INTERRUPT` at its next step. A query that has not
//! started yet (waiting for a pool slot) sees the flag and does not start.

use std::sync::{Arc, Mutex, PoisonError};

/// Interrupts the running statement of one connection.
pub(crate) type Interrupt = Box<dyn Fn() + Send>;

#[derive(Default)]
struct Shared {
    cancelled: bool,
    running: Option<Interrupt>,
}

/// The request side: fire on timeout, or on drop while armed (the client went away).
pub(crate) struct Cancel {
    shared: Arc<Mutex<Shared>>,
    done: bool,
}

/// The blocking side: registers the connection while the query runs.
#[derive(Clone)]
pub(crate) struct Worker {
    shared: Arc<Mutex<Shared>>,
}

/// A linked pair of request and blocking sides.
pub(crate) fn pair() -> (Cancel, Worker) {
    let shared = Arc::new(Mutex::new(Shared::default()));
    (
        Cancel {
            shared: shared.clone(),
            done: false,
        },
        Worker { shared },
    )
}

impl Worker {
    /// Registers `interrupt` for the duration of a query; `false` when already cancelled
    /// (the query must not start).
    pub(crate) fn arm(&self, interrupt: Interrupt) -> bool {
        let mut s = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if s.cancelled {
            return false;
        }
        s.running = Some(interrupt);
        true
    }

    /// Unregisters the connection before it goes back to the pool: a late cancel can then
    /// never interrupt the next request's query on the same connection.
    pub(crate) fn disarm(&self) {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .running = None;
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancelled
    }
}

impl Cancel {
    /// Stops the query: interrupts it if running, prevents it if not yet started.
    pub(crate) fn fire(&mut self) {
        self.done = true;
        let mut s = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        s.cancelled = true;
        if let Some(interrupt) = &s.running {
            interrupt();
        }
    }

    /// The query finished: dropping no longer cancels anything.
    pub(crate) fn finish(&mut self) {
        self.done = true;
    }
}

impl Drop for Cancel {
    fn drop(&mut self) {
        if !self.done {
            self.fire();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counter() -> (Arc<AtomicUsize>, Interrupt) {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        (
            n,
            Box::new(move || {
                m.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    #[test]
    fn dropping_an_armed_cancel_interrupts() {
        let (cancel, worker) = pair();
        let (n, interrupt) = counter();
        assert!(worker.arm(interrupt));
        drop(cancel);
        assert_eq!(n.load(Ordering::SeqCst), 1);
        assert!(worker.cancelled());
    }

    #[test]
    fn a_cancelled_query_does_not_start() {
        let (mut cancel, worker) = pair();
        cancel.fire();
        let (n, interrupt) = counter();
        assert!(!worker.arm(interrupt));
        assert_eq!(n.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_late_cancel_never_interrupts_a_returned_connection() {
        let (mut cancel, worker) = pair();
        let (n, interrupt) = counter();
        assert!(worker.arm(interrupt));
        worker.disarm();
        cancel.fire();
        assert_eq!(n.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_finished_cancel_does_nothing_on_drop() {
        let (mut cancel, worker) = pair();
        let (n, interrupt) = counter();
        assert!(worker.arm(interrupt));
        cancel.finish();
        drop(cancel);
        assert_eq!(n.load(Ordering::SeqCst), 0);
    }
}
