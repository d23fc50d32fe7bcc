//! Shared server state: a small pool of read-only catalog connections and a response cache.
//!
//! A `Catalog` holds a rusqlite connection, which is `Send` but not `Sync`, so each pool slot
//! sits behind its own `Mutex`; queries run on tokio's blocking threads. The catalog never
//! changes while it is served, so rendered responses are cached (bounded by bytes).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use detcat_catalog::Catalog;

use crate::compress::{Effort, Encoding};
use crate::error::{AppError, WebError};

/// Largest total size of cached response bodies.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Largest single body worth caching; larger ones pass through uncached.
pub(crate) const CACHE_ENTRY_BYTES: usize = 2 * 1024 * 1024;
/// How long one request may use a catalog connection (waiting for it included).
pub const QUERY_DEADLINE: Duration = Duration::from_secs(5);

/// What handlers share: the catalog pool and the response cache. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    deadline: Duration,
}

struct Inner {
    slots: Vec<Mutex<Catalog>>,
    next: AtomicUsize,
    origin: String,
    cache: Mutex<Cache>,
    /// Makes large pages' quick codings again, in full (started when first needed).
    refiner: OnceLock<Option<crate::refine::Refiner>>,
}

/// A cached response: status code, content type and body.
#[derive(Clone)]
pub struct Cached {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
    /// The body gzipped and brotli-compressed, each made once — for a page, when a client
    /// first asks for that coding ([`Cached::plain`], [`Cached::with_coding`]).
    pub gzip: Coded,
    pub br: Coded,
    pub etag: Arc<str>,
}

/// One content coding of a cached body.
#[derive(Clone)]
pub enum Coded {
    /// Not made yet: made when a client first asks for this coding.
    NotYet,
    /// Made quickly for a large body's first answer, and smaller than the body; the coding
    /// is being made again, better, to replace it ([`crate::compress::Effort::Quick`]).
    Quick(Bytes),
    /// Made, and smaller than the body.
    Smaller(Bytes),
    /// The body is too small to gain from it, or did not shrink.
    NoGain,
}

impl Coded {
    fn of(made: Option<Bytes>, effort: Effort) -> Coded {
        match (made, effort) {
            (None, _) => Coded::NoGain,
            (Some(b), Effort::Quick) => Coded::Quick(b),
            (Some(b), Effort::Full) => Coded::Smaller(b),
        }
    }

    /// Whether a client asking for this coding may get it (it exists, or is still to be made).
    pub fn possible(&self) -> bool {
        !matches!(self, Coded::NoGain)
    }

    /// The compressed bytes, when made and smaller.
    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            Coded::Quick(b) | Coded::Smaller(b) => Some(b),
            Coded::NotYet | Coded::NoGain => None,
        }
    }

    fn len(&self) -> usize {
        self.bytes().map_or(0, Bytes::len)
    }
}

impl Cached {
    /// A cache entry with every coding made now (the static assets: once per process).
    pub fn new(status: u16, content_type: &'static str, body: Bytes) -> Cached {
        Cached {
            status,
            content_type,
            gzip: Coded::of(crate::compress::gzip(&body, Effort::Full), Effort::Full),
            br: Coded::of(crate::compress::brotli(&body, Effort::Full), Effort::Full),
            etag: crate::compress::etag(&body).into(),
            body,
        }
    }

    /// A cache entry with no coding made yet (a page's first answer). Making both codings of a
    /// page on its first visit was ~17 ms for the largest (gzip -6 10 ms, brotli 6.6 ms) on
    /// top of its ~1 ms render, whatever the client asked for: each is made when a client first
    /// asks for it ([`Cached::with_coding`]), a client that takes neither waits for none.
    pub fn plain(status: u16, content_type: &'static str, body: Bytes) -> Cached {
        let coded = if crate::compress::worth_compressing(&body) {
            Coded::NotYet
        } else {
            Coded::NoGain
        };
        Cached {
            status,
            content_type,
            gzip: coded.clone(),
            br: coded,
            etag: crate::compress::etag(&body).into(),
            body,
        }
    }

    /// The slot of `coding` (`None` for identity, which is the body itself).
    fn coded(&self, coding: Encoding) -> Option<&Coded> {
        match coding {
            Encoding::Brotli => Some(&self.br),
            Encoding::Gzip => Some(&self.gzip),
            Encoding::Identity => None,
        }
    }

    fn coded_mut(&mut self, coding: Encoding) -> Option<&mut Coded> {
        match coding {
            Encoding::Brotli => Some(&mut self.br),
            Encoding::Gzip => Some(&mut self.gzip),
            Encoding::Identity => None,
        }
    }

    /// The coding `coding` is still to be made.
    pub fn lacks(&self, coding: Encoding) -> bool {
        matches!(self.coded(coding), Some(Coded::NotYet))
    }

    /// Whether `coding` was made quickly and is to be made again, better.
    pub fn quick(&self, coding: Encoding) -> bool {
        matches!(self.coded(coding), Some(Coded::Quick(_)))
    }

    /// The same entry with `coding` made with `effort` (CPU work: call off the async threads).
    pub fn with_coding(mut self, coding: Encoding, effort: Effort) -> Cached {
        let made = match coding {
            Encoding::Brotli => crate::compress::brotli(&self.body, effort),
            Encoding::Gzip => crate::compress::gzip(&self.body, effort),
            Encoding::Identity => return self,
        };
        if let Some(slot) = self.coded_mut(coding) {
            *slot = Coded::of(made, effort);
        }
        self
    }

    /// Bytes held in memory.
    fn size(&self) -> usize {
        self.body.len() + self.gzip.len() + self.br.len()
    }
}

#[derive(Default)]
struct Cache {
    map: HashMap<String, Cached>,
    bytes: usize,
}

impl AppState {
    /// Opens `catalog` read-only (or `./detcat.db`, or the embedded demo when `None`, as
    /// `Catalog::open_default` does), once per pool slot.
    pub fn new(catalog: Option<PathBuf>) -> Result<AppState, WebError> {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 8);
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            slots.push(Catalog::open_default(catalog.as_deref())?);
        }
        Ok(AppState::from_catalogs(slots))
    }

    /// A state over already opened catalogs (tests: in-memory catalogs). At least one.
    pub fn from_catalogs(mut catalogs: Vec<Catalog>) -> AppState {
        // One similarity index (issue 13) for the whole pool: the slots read one catalog.
        if let Some((first, rest)) = catalogs.split_first_mut() {
            rest.iter_mut().for_each(|c| c.share_similarity(first));
        }
        let origin = catalogs
            .first()
            .map(|c| c.origin().to_owned())
            .unwrap_or_default();
        AppState {
            inner: Arc::new(Inner {
                slots: catalogs.into_iter().map(Mutex::new).collect(),
                next: AtomicUsize::new(0),
                origin,
                cache: Mutex::new(Cache::default()),
                refiner: OnceLock::new(),
            }),
            deadline: QUERY_DEADLINE,
        }
    }

    /// Where the catalog came from (file path or `demo (embedded)`).
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The same state with another query deadline (tests; operators with slow disks).
    pub fn with_deadline(self, deadline: Duration) -> AppState {
        AppState { deadline, ..self }
    }

    /// Runs `f` with a catalog on a blocking thread: a free slot if there is one, else waits
    /// for the next slot in round-robin order. The query is interrupted when the deadline
    /// passes (503) or when this future is dropped because the client went away.
    pub async fn with_catalog<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Catalog) -> Result<T, AppError> + Send + 'static,
    {
        let state = self.clone();
        let (mut cancel, worker) = crate::deadline::pair();
        let task = tokio::task::spawn_blocking(move || {
            let guard = state
                .lock_slot()
                .ok_or_else(|| AppError::Internal("catalog pool is empty".into()))?;
            let interrupt = guard.interrupt_handle();
            if !worker.arm(Box::new(move || interrupt.interrupt())) {
                return Err(AppError::Unavailable("the request was cancelled".into()));
            }
            let result = f(&guard);
            worker.disarm();
            drop(guard);
            if worker.cancelled() {
                return Err(AppError::Unavailable(DEADLINE_MESSAGE.into()));
            }
            result
        });
        match tokio::time::timeout(self.deadline, task).await {
            Ok(joined) => {
                cancel.finish();
                joined.map_err(|e| AppError::Internal(format!("catalog task failed: {e}")))?
            }
            Err(_) => {
                cancel.fire();
                Err(AppError::Unavailable(DEADLINE_MESSAGE.into()))
            }
        }
    }

    /// Whether the catalog answers a trivial query within the deadline (`/healthz`).
    pub async fn healthy(&self) -> Result<(), AppError> {
        self.with_catalog(|c| {
            c.meta("schema_version")?
                .map(|_| ())
                .ok_or_else(|| AppError::Internal("the catalog has no schema version".into()))
        })
        .await
    }

    fn lock_slot(&self) -> Option<MutexGuard<'_, Catalog>> {
        let slots = &self.inner.slots;
        if slots.is_empty() {
            return None;
        }
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..slots.len() {
            if let Some(slot) = slots.get((start + i) % slots.len())
                && let Ok(guard) = slot.try_lock()
            {
                return Some(guard);
            }
        }
        // A panic inside a query poisons its mutex; the connection is still usable (reads only).
        slots
            .get(start % slots.len())
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn cache_get(&self, key: &str) -> Option<Cached> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .get(key)
            .cloned()
    }

    pub fn cache_put(&self, key: String, value: Cached) {
        if value.body.len() > CACHE_ENTRY_BYTES {
            return;
        }
        let mut cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.bytes + value.size() > CACHE_BYTES {
            // Simple and bounded: start over rather than track recency.
            cache.map.clear();
            cache.bytes = 0;
        }
        cache.bytes += value.size() + key.len();
        if let Some(old) = cache.map.insert(key, value) {
            cache.bytes = cache.bytes.saturating_sub(old.size());
        }
    }

    /// Queues `entry`'s quick `coding` under `key` to be made in full after this answer, on
    /// the refinement thread ([`crate::refine`]), which then puts it in the cache.
    pub fn refine_later(&self, key: &str, entry: &Cached, coding: Encoding) {
        let inner = Arc::downgrade(&self.inner);
        let refiner = self.inner.refiner.get_or_init(|| {
            crate::refine::Refiner::start(Box::new(move |key, better, coding| {
                // The state may be gone (the server stopped): nothing to refine then.
                if let Some(inner) = inner.upgrade() {
                    refine_cached(&inner.cache, key, better, coding);
                }
            }))
        });
        if let Some(refiner) = refiner {
            refiner.ask(key, entry, coding);
        }
    }
}

/// Puts `better`'s `coding` in place of the quick one cached under `key`, when the entry there
/// is still the same body (same `ETag`) and its coding still the quick one; else (evicted, or
/// replaced since) nothing.
fn refine_cached(cache: &Mutex<Cache>, key: &str, better: &Cached, coding: Encoding) {
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let Cache { map, bytes } = &mut *cache;
    let Some(entry) = map.get_mut(key) else {
        return;
    };
    if entry.etag != better.etag || !entry.quick(coding) {
        return;
    }
    let before = entry.size();
    if let (Some(slot), Some(made)) = (entry.coded_mut(coding), better.coded(coding)) {
        *slot = made.clone();
    }
    *bytes = (*bytes + entry.size()).saturating_sub(before);
}

const DEADLINE_MESSAGE: &str =
    "the query took longer than the server allows; narrow it (fewer terms, a vendor: filter)";

#[cfg(test)]
mod tests {
    use super::*;

    /// A refined coding replaces only the quick one of the same body: not an entry replaced
    /// since by another body, not a coding already made in full.
    #[test]
    fn a_refined_coding_replaces_only_the_quick_one_of_the_same_body() {
        let state = AppState::from_catalogs(Vec::new());
        let refine = |key: &str, better: &Cached| {
            refine_cached(&state.inner.cache, key, better, Encoding::Brotli)
        };
        let page = |n: usize| -> Bytes {
            (0..n)
                .map(|i| format!("<li>{i}</li>"))
                .collect::<String>()
                .into()
        };
        let quick = Cached::plain(200, "text/html", page(9000))
            .with_coding(Encoding::Brotli, Effort::Quick);
        assert!(quick.quick(Encoding::Brotli));
        let better = quick.clone().with_coding(Encoding::Brotli, Effort::Full);
        assert!(!better.quick(Encoding::Brotli));
        let accounted = |s: &AppState| s.inner.cache.lock().map(|c| c.bytes).unwrap_or(0);

        state.cache_put("k".into(), quick.clone());
        let before = accounted(&state);
        refine("k", &better);
        let now = state.cache_get("k").expect("cached");
        assert_eq!(now.br.bytes(), better.br.bytes());
        assert_eq!(accounted(&state), before + better.size() - quick.size());

        // Another body under the key since: left alone.
        let other = Cached::plain(200, "text/html", page(9001))
            .with_coding(Encoding::Brotli, Effort::Quick);
        state.cache_put("k".into(), other.clone());
        refine("k", &better);
        assert_eq!(
            state.cache_get("k").expect("cached").br.bytes(),
            other.br.bytes()
        );
        // Evicted: nothing put back.
        refine("gone", &better);
        assert!(state.cache_get("gone").is_none());
    }

    #[test]
    fn cache_is_bounded() {
        let state = AppState::from_catalogs(Vec::new());
        let big = Bytes::from(vec![b'x'; CACHE_ENTRY_BYTES]);
        for i in 0..(CACHE_BYTES / CACHE_ENTRY_BYTES + 3) {
            state.cache_put(format!("k{i}"), Cached::new(200, "text/plain", big.clone()));
        }
        let bytes = state.inner.cache.lock().unwrap().bytes;
        assert!(bytes <= CACHE_BYTES, "{bytes}");
        let too_big = Bytes::from(vec![b'x'; CACHE_ENTRY_BYTES + 1]);
        state.cache_put("huge".into(), Cached::new(200, "text/plain", too_big));
        assert!(state.cache_get("huge").is_none());
    }

    #[tokio::test]
    async fn empty_pool_is_an_internal_error() {
        let state = AppState::from_catalogs(Vec::new());
        let r = state.with_catalog(|_| Ok(())).await;
        assert!(matches!(r, Err(AppError::Internal(_))));
    }
}
