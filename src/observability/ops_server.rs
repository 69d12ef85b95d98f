//! The operations listener: `/metrics` for Prometheus, `/healthz` (the process answers) and
//! `/readyz` (the database answers and is migrated) for load balancers and orchestrators that
//! do not speak gRPC. It is separate from the API listener so it can stay private.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use super::metrics;
use crate::domain::clock::now_micros;
use crate::store::Store;

/// How long a readiness or gauge query may take before the answer is "not ready".
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The readiness rule shared by `/readyz` and the gRPC health service: `Ok` while the
/// database answers within [`PROBE_TIMEOUT`] and every migration is applied.
pub async fn readiness(store: &Store) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, store.ready()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.message),
        Err(_) => Err(format!("the database did not answer within {PROBE_TIMEOUT:?}")),
    }
}

#[derive(Clone)]
struct Ops {
    store: Store,
    prometheus: PrometheusHandle,
}

/// A bound, not yet serving, operations listener.
pub struct OpsServer {
    listener: TcpListener,
    ops: Ops,
}

impl OpsServer {
    /// Binds `addr` and installs the Prometheus recorder.
    pub async fn bind(addr: SocketAddr, store: Store) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, ops: Ops { store, prometheus: metrics::install() } })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let router = Router::new()
            .route("/metrics", get(render_metrics))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready))
            .with_state(self.ops);
        axum::serve(self.listener, router).with_graceful_shutdown(shutdown).await
    }
}

async fn ready(State(ops): State<Ops>) -> impl IntoResponse {
    match readiness(&ops.store).await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")),
    }
}

/// A gauge query bounded by the probe timeout; `None` (logged) when it failed or was slow.
async fn probe<T>(what: &str, query: impl Future<Output = crate::error::Result<T>>) -> Option<T> {
    match tokio::time::timeout(PROBE_TIMEOUT, query).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "{what} gauges not refreshed");
            None
        }
        Err(_) => {
            tracing::debug!("{what} gauges not refreshed: the database is slow");
            None
        }
    }
}

/// Refreshes the gauges read from the database, then renders every metric. A database that
/// does not answer leaves the last values in place; `/readyz` is where that shows.
async fn render_metrics(State(ops): State<Ops>) -> impl IntoResponse {
    let now = now_micros();
    if let Some(rows) = probe("job queue", ops.store.job_queue(now)).await {
        metrics::set_job_queue(&rows, now);
    }
    if let Some((blobs, bytes)) = probe("blob store", ops.store.blob_usage()).await {
        metrics::set_blob_store(blobs, bytes);
    }
    let (idle, in_use, max) = ops.store.pool_usage();
    metrics::set_db_pool(idle, in_use, max);
    ops.prometheus.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], ops.prometheus.render())
}
