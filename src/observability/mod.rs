//! What operators see: Prometheus metrics, the span of every call, and the operations
//! listener (`/metrics`, `/healthz`, `/readyz`). Everything here is recorded through the
//! `metrics` and `tracing` facades, so it costs next to nothing when no exporter is installed.

mod call;
pub mod metrics;
mod ops_server;
pub mod rpc;

pub use call::{CallLayer, GrpcStatusLayer};
pub use ops_server::{OpsServer, readiness};
