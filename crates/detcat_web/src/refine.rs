//! Large pages' codings made again, better, off the answers' path.
//!
//! A large page's first compressed answer gets a quick coding ([`Effort::Quick`]); the full one
//! is made after the answer, here: one thread at the lowest CPU priority works through a short
//! queue, so making it never competes with rendering or sending another answer (on two cores
//! a refinement made on tokio's blocking pool slowed the next pages' first answers). A job
//! that finds the queue full is dropped, and asked for again by the next client served the
//! quick coding; under a steady load the quick codings stay, which costs bytes, not answers.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use crate::compress::{Effort, Encoding};
use crate::state::Cached;

/// Jobs waiting at most (each holds a page's body, shared, not copied).
const QUEUE: usize = 32;

/// What the thread hands back: the cache key, and the entry with the coding made in full.
pub(crate) type Apply = Box<dyn Fn(&str, &Cached, Encoding) + Send>;

struct Job {
    key: String,
    entry: Cached,
    coding: Encoding,
}

/// The queue and its thread; the thread ends when the `Refiner` is dropped.
pub(crate) struct Refiner {
    tx: SyncSender<Job>,
    /// Keys and codings queued or being made: asked for twice, made once.
    pending: Arc<Mutex<HashSet<(String, Encoding)>>>,
}

impl Refiner {
    /// Starts the thread, which calls `apply` with each coding it made. `None` when the
    /// thread cannot start (the quick codings then stay).
    pub(crate) fn start(apply: Apply) -> Option<Refiner> {
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let pending = Arc::new(Mutex::new(HashSet::new()));
        let done = Arc::clone(&pending);
        std::thread::Builder::new()
            .name("detcat-refine".into())
            .spawn(move || run(&rx, &apply, &done))
            .ok()?;
        Some(Refiner { tx, pending })
    }

    /// Queues `entry`'s `coding` under `key` to be made in full, unless it is queued already
    /// or the queue is full.
    pub(crate) fn ask(&self, key: &str, entry: &Cached, coding: Encoding) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let id = (key.to_owned(), coding);
        if pending.contains(&id) {
            return;
        }
        let job = Job {
            key: key.to_owned(),
            entry: entry.clone(),
            coding,
        };
        match self.tx.try_send(job) {
            Ok(()) => {
                pending.insert(id);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }
}

fn run(rx: &Receiver<Job>, apply: &Apply, pending: &Mutex<HashSet<(String, Encoding)>>) {
    lowest_priority();
    while let Ok(job) = rx.recv() {
        let better = job.entry.with_coding(job.coding, Effort::Full);
        apply(&job.key, &better, job.coding);
        pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(job.key, job.coding));
    }
}

/// This thread at nice 19: on Linux the nice value is the thread's own, so only it yields.
/// Elsewhere `setpriority` would lower the whole process; it is left as it is.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
        tracing::debug!("the refinement thread keeps its priority: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use std::sync::mpsc;
    use std::time::Duration;

    fn page() -> Cached {
        let body: String = (0..5000).map(|i| format!("<li>{i}</li>")).collect();
        Cached::plain(200, "text/html", Bytes::from(body))
            .with_coding(Encoding::Brotli, Effort::Quick)
    }

    #[test]
    fn a_queued_coding_is_made_in_full_once_and_handed_back() {
        let (seen_tx, seen) = mpsc::channel();
        let refiner = Refiner::start(Box::new(move |key, better, coding| {
            let _ = seen_tx.send((key.to_owned(), better.quick(coding), coding));
        }))
        .expect("thread");
        let entry = page();
        assert!(entry.quick(Encoding::Brotli));
        refiner.ask("/technique/T1", &entry, Encoding::Brotli);
        let got = seen.recv_timeout(Duration::from_secs(10)).expect("made");
        assert_eq!(got, ("/technique/T1".to_owned(), false, Encoding::Brotli));
        // Done, so no longer pending: asked again, made again.
        for _ in 0..1000 {
            if refiner
                .pending
                .lock()
                .map(|p| p.is_empty())
                .unwrap_or(false)
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        refiner.ask("/technique/T1", &entry, Encoding::Brotli);
        assert!(seen.recv_timeout(Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn the_same_coding_asked_for_while_pending_is_queued_once() {
        let (seen_tx, seen) = mpsc::channel::<String>();
        // The first job holds the thread until released, so the others stay pending.
        let (release_tx, release) = mpsc::channel::<()>();
        let refiner = Refiner::start(Box::new(move |key, _, _| {
            let _ = release.recv_timeout(Duration::from_secs(10));
            let _ = seen_tx.send(key.to_owned());
        }))
        .expect("thread");
        let entry = page();
        for _ in 0..5 {
            refiner.ask("a", &entry, Encoding::Brotli);
        }
        refiner.ask("a", &entry, Encoding::Gzip);
        for _ in 0..2 {
            release_tx.send(()).expect("release");
        }
        let mut keys = vec![
            seen.recv_timeout(Duration::from_secs(10)).expect("first"),
            seen.recv_timeout(Duration::from_secs(10)).expect("second"),
        ];
        keys.sort();
        assert_eq!(keys, ["a", "a"]);
        let _ = release_tx.send(());
        assert!(
            seen.recv_timeout(Duration::from_millis(300)).is_err(),
            "asked six times for two codings: made twice"
        );
    }
}
