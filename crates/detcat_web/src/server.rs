//! The accept loop: a bounded number of connections, each with header-read and lifetime
//! timeouts, served by hyper's HTTP/1 connection driver.
//!
//! `axum::serve` has no connection cap and no header timeout: ~20k idle sockets exhausted the
//! fd limit and starved `/healthz`. Here connections come in two tiers. The first
//! [`ServerLimits::connections`] get a normal header-read timeout (which also bounds the idle
//! time between keep-alive requests). Past that, up to [`ServerLimits::overflow`] more are
//! still accepted but must send their request at once (a short header timeout, no keep-alive):
//! idle sockets then cost a fraction of a second each, while a real client — a health check —
//! is still answered. Past both tiers a connection is accepted and closed at once: the loop
//! never stops accepting, so the kernel's accept queue never fills (a full queue drops new
//! SYNs, and a health check behind it waited a full second for its retry), and the
//! descriptors in use stay below both tiers' sum.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::WebError;

/// Connection limits and timeouts of [`serve_with`].
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Connections served normally (keep-alive, `header_timeout`).
    pub connections: usize,
    /// Further connections accepted on probation (one request, `overflow_header_timeout`).
    pub overflow: usize,
    /// Time a connection may take to send a request head, and may sit idle between requests.
    pub header_timeout: Duration,
    /// The same for connections past `connections`.
    pub overflow_header_timeout: Duration,
    /// Longest life of one connection, however busy.
    pub lifetime: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            connections: 1024,
            overflow: 4096,
            header_timeout: Duration::from_secs(10),
            overflow_header_timeout: Duration::from_millis(500),
            lifetime: Duration::from_secs(300),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve_with(
    listener: TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), WebError> {
    let normal = Arc::new(Semaphore::new(limits.connections.max(1)));
    let overflow = Arc::new(Semaphore::new(limits.overflow));
    tokio::pin!(shutdown);
    let mut shed: u64 = 0;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: log and
                    // back off a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let Some((permit, probation)) = admit(&normal, &overflow) else {
            // Past both tiers: closed at once (dropping the stream closes it).
            shed += 1;
            if shed.is_power_of_two() {
                tracing::warn!(shed, "connection limit reached: closing new connections");
            }
            continue;
        };
        // Nagle only delays small responses; failing to disable it is harmless.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .max_buf_size(64 * 1024)
                .keep_alive(!probation)
                .header_read_timeout(if probation {
                    limits.overflow_header_timeout
                } else {
                    limits.header_timeout
                });
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            // A timed-out or failed connection is the client's problem, not the server's.
            let _ = tokio::time::timeout(limits.lifetime, conn).await;
            drop(permit);
        });
    }
}

/// A permit for one more connection: a normal one when free, else a probation one (`true`),
/// else none.
fn admit(
    normal: &Arc<Semaphore>,
    overflow: &Arc<Semaphore>,
) -> Option<(OwnedSemaphorePermit, bool)> {
    if let Ok(p) = normal.clone().try_acquire_owned() {
        return Some((p, false));
    }
    overflow.clone().try_acquire_owned().ok().map(|p| (p, true))
}
