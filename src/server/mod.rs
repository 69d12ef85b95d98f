//! The serving loop: accepts TCP connections up to a global limit and serves each with hyper
//! (HTTP/1.1 and HTTP/2 on the same port, over TLS when configured), with the timeouts a public
//! listener needs: the TLS handshake (bounded like a request head),
//! HTTP/1.1 header reads, idle connections of either protocol (including ones that never
//! sent a byte), HTTP/2 keepalive pings. On shutdown it stops accepting, lets in-flight calls
//! finish for the grace period, then closes what is left (which stops their database work).

mod call_layer;
mod connection;
mod tls;

pub use call_layer::{CallPolicy, DeadlineLayer};
pub use tls::{Tls, TlsFiles};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::auth::ClientCertificate;
use connection::{Activity, Tracked};

/// Connection handling, from the settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// An HTTP/1.1 request head must arrive within this.
    pub header_read_timeout: Duration,
    /// A connection without a call in flight for this long is closed.
    pub idle_timeout: Duration,
    /// HTTP/2 ping interval, and how long an unanswered ping may wait before the connection
    /// is closed.
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// Concurrent HTTP/2 streams per connection.
    pub max_concurrent_streams: u32,
    /// How long in-flight calls may run on after shutdown begins.
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` (over `tls` when given) until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ServerSettings,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let builder = builder(&settings);
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the slot semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, _peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Responses go out at once: without TCP_NODELAY each small gRPC reply waits ~40 ms on
        // Nagle's algorithm and the peer's delayed ACK.
        let _ = tcp.set_nodelay(true);
        let (builder, router, stop, tls) = (builder.clone(), router.clone(), stop_rx.clone(), tls.clone());
        let (idle, handshake) = (settings.idle_timeout, settings.header_read_timeout);
        connections.spawn(async move {
            let _slot = slot;
            let Some(tls) = tls else {
                return serve_connection(tcp, None, false, builder, router, stop, idle).await;
            };
            // A client that never finishes its handshake holds a connection slot no longer than
            // one that never sends its request head. A plain-text client fails here.
            let stream = match tokio::time::timeout(handshake, tls.acceptor().accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => return tracing::debug!("TLS handshake timed out"),
            };
            let certificate = client_certificate(stream.get_ref().1);
            serve_connection(stream, certificate, true, builder, router, stop, idle).await
        });
        // Reap finished connection tasks so the set does not grow with every client.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let open = connections.len();
    tracing::info!(open, grace_ms = settings.shutdown_grace.as_millis() as u64, "draining connections");
    let drained =
        tokio::time::timeout(settings.shutdown_grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(left = connections.len(), "grace period over; closing the remaining connections");
        connections.shutdown().await;
    }
    Ok(())
}

/// Marks a request that came over TLS, so derived URLs (xpander `webhook_url`) say `https`.
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// Serves one connection until it ends, is idle for `idle`, or the server stops.
async fn serve_connection<I>(
    io: I,
    certificate: Option<ClientCertificate>,
    over_tls: bool,
    builder: auto::Builder<TokioExecutor>,
    router: Router,
    mut stop: watch::Receiver<bool>,
    idle: Duration,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::new();
    let calls = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let call = calls.begin();
        let router = router.clone();
        // The verified client certificate rides with each request to the authorizer.
        if let Some(certificate) = &certificate {
            request.extensions_mut().insert(certificate.clone());
        }
        if over_tls {
            request.extensions_mut().insert(OverTls);
        }
        async move {
            let response = router.oneshot(request.map(Body::new)).await?;
            Ok::<_, std::convert::Infallible>(response.map(|body| Body::new(Tracked::new(body, call))))
        }
    });
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = stop.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = activity.idle_for(idle), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// The subject of the client certificate the handshake verified, if the client sent one.
fn client_certificate(session: &rustls::ServerConnection) -> Option<ClientCertificate> {
    let leaf = session.peer_certificates()?.first()?;
    match ClientCertificate::from_der(leaf) {
        Ok(certificate) => Some(certificate),
        Err(e) => {
            tracing::warn!(error = %e, "verified client certificate without a readable subject; ignored");
            None
        }
    }
}

fn builder(settings: &ServerSettings) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(settings.header_read_timeout).keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(settings.keepalive_interval)
        .keep_alive_timeout(settings.keepalive_timeout)
        .max_concurrent_streams(settings.max_concurrent_streams);
    builder
}
