//! Binds the listener, connects the database, and serves gRPC (health, reflection, the
//! agentport services) and REST on one address until told to stop. Health says NOT_SERVING
//! (and calls are answered UNAVAILABLE) until this replica has checked the migrations.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::auth::Authorizer;
use crate::config::Settings;
use crate::error::Error;
use crate::grpc::{
    AgentServiceAdapter, ApiKeyServiceAdapter, JobServiceAdapter, SigningServiceAdapter, TemplateServiceAdapter,
};
use crate::observability::{CallLayer, GrpcStatusLayer, OpsServer};
use crate::proto::agent_service_server::AgentServiceServer;
use crate::proto::api_key_service_server::ApiKeyServiceServer;
use crate::proto::job_service_server::JobServiceServer;
use crate::proto::signing_service_server::SigningServiceServer;
use crate::proto::template_service_server::TemplateServiceServer;
use crate::rest::RestState;
use crate::server::{CallPolicy, DeadlineLayer, Tls};
use crate::service::{
    ApiKeyService, DocumentService, JobFeed, JobService, ResourceService, SettingsService, SigningService,
    TemplateService, TransferRunner, TransferService,
};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("database: {0}")]
    Database(#[from] Error),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error(
        "refusing to listen on {0} without authentication: configure bearer tokens \
         (AGENTPORT_JWT_HS256_SECRET or AGENTPORT_JWKS_FILE), API keys (AGENTPORT_AUTH_API_KEYS=true) \
         or client certificates (AGENTPORT_TLS_CLIENT_CA_FILE), or listen on a loopback address"
    )]
    Unprotected(SocketAddr),
    #[error("TLS settings: {0}")]
    Tls(String),
    #[error("authentication settings: {0}")]
    Auth(String),
    #[error("CORS settings: {0}")]
    Cors(String),
    #[error("master key: {0}")]
    MasterKey(String),
}

/// A started but not yet serving instance.
pub struct Application {
    listener: TcpListener,
    store: Store,
    auth: Authorizer,
    settings: Settings,
    /// `/metrics`, `/healthz` and `/readyz`, when `metrics_listen` is set.
    ops: Option<OpsServer>,
    /// The listener's TLS, when configured.
    tls: Option<Tls>,
}

impl Application {
    /// Connects to the database, then binds (port 0 picks a free port). Migrations are
    /// checked once serving starts.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        if !settings.auth_configured() && !settings.listen.ip().is_loopback() {
            return Err(StartupError::Unprotected(settings.listen));
        }
        let tls = settings.tls().map_err(StartupError::Tls)?.map(Tls::load).transpose().map_err(StartupError::Tls)?;
        let store = Store::connect_with(&settings.database_url, settings.pool()).await?;
        let keys = crate::keys::master_keys(&settings, &store).await.map_err(StartupError::MasterKey)?;
        let master_key = keys.as_ref().map(|k| k.ids().join(","));
        let store = store.with_master_keys(keys);
        let census = store.keyring().check().await.map_err(StartupError::MasterKey)?;
        tracing::info!(master_key, data_keys = census.total(), "encryption at rest");
        let auth = Authorizer::new(&settings, store.clone()).map_err(StartupError::Auth)?;
        crate::browser::cors(&settings.cors_allowed_origins).map_err(StartupError::Cors)?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|source| StartupError::Bind { addr: settings.listen, source })?;
        let ops = match settings.metrics_listen {
            Some(addr) => {
                Some(OpsServer::bind(addr, store.clone()).await.map_err(|source| StartupError::Bind { addr, source })?)
            }
            None => None,
        };
        Ok(Self { listener, store, auth, settings, ops, tls })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Where `/metrics`, `/healthz` and `/readyz` are served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.ops.as_ref().map(OpsServer::local_addr)
    }

    /// Serves until `shutdown` completes; in-flight calls get the grace period to finish.
    pub async fn run_until_stopped(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (reporter, health_service) = tonic_health::server::health_reporter();
        set_health(&reporter, ServingStatus::NotServing).await;
        let ready = Arc::new(AtomicBool::new(false));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // The feed stops as soon as shutdown begins, not after the drain: an open watch would
        // otherwise hold its connection for the whole grace period and end with a reset
        // instead of UNAVAILABLE.
        let (feed_stop_tx, feed_stop_rx) = tokio::sync::watch::channel(false);
        let watch_every = Duration::from_millis(self.settings.watch_interval_ms.max(10));
        let feed = JobFeed::start(self.store.clone(), watch_every, feed_stop_rx);
        let transfers = TransferService::new(self.store.clone(), &self.settings);
        let router = self.routes(health_service, transfers.clone(), feed, ready.clone())?;
        let background = tokio::spawn(start_when_migrated(
            self.store.clone(),
            self.settings.clone(),
            transfers,
            reporter,
            ready,
            stop_rx.clone(),
        ));
        let ops = self.ops.take().map(|ops| {
            let mut stop = stop_rx.clone();
            tokio::spawn(ops.serve(async move {
                let _ = stop.changed().await;
            }))
        });

        if !self.settings.auth_configured() {
            tracing::warn!(addr = %self.local_addr(), "authentication is off: serving on loopback only");
        }
        if self.tls.is_none() && !self.local_addr().ip().is_loopback() {
            tracing::warn!(
                addr = %self.local_addr(),
                "TLS is off: calls, credentials and secrets travel in plain text; \
                 set AGENTPORT_TLS_CERT_FILE and AGENTPORT_TLS_KEY_FILE"
            );
        }
        let reload = self.tls.clone().map(|tls| tokio::spawn(tls.reload_on_change(stop_rx.clone())));
        tracing::info!(
            addr = %self.local_addr(),
            tls = self.tls.is_some(),
            client_certificates = self.tls.as_ref().is_some_and(Tls::asks_client_certificates),
            database = %self.settings.database_url_redacted(),
            "agentport listening"
        );
        let server = self.settings.server();
        let result = crate::server::serve(self.listener, router, server, self.tls.take(), async move {
            shutdown.await;
            let _ = feed_stop_tx.send(true);
            tracing::info!("shutting down; waiting for in-flight calls");
        })
        .await;
        let _ = stop_tx.send(true);
        if let Ok(tasks) = background.await {
            for task in tasks {
                let _ = task.await;
            }
        }
        if let Some(ops) = ops {
            let _ = ops.await;
        }
        if let Some(reload) = reload {
            let _ = reload.await;
        }
        self.store.close().await;
        tracing::info!("agentport stopped");
        result
    }
}

/// Checks the migrations (under the migration lock, retrying while the database is not
/// there), then reports SERVING and starts the background work. Returns its tasks.
async fn start_when_migrated(
    store: Store,
    settings: Settings,
    transfers: TransferService,
    reporter: HealthReporter,
    ready: Arc<AtomicBool>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut wait = Duration::from_millis(200);
    loop {
        match migrate_and_seal(&store).await {
            Ok(()) => break,
            Err(e) => tracing::error!(error = %e, retry_ms = wait.as_millis() as u64, "migrations failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return Vec::new(),
        }
        wait = (wait * 2).min(Duration::from_secs(10));
    }
    ready.store(true, Ordering::Release);
    set_health(&reporter, ServingStatus::Serving).await;
    tracing::info!("migrations checked; serving");
    let mut tasks =
        crate::engine::spawn(store.clone(), Arc::new(TransferRunner::new(transfers)), settings.engine(), stop.clone());
    tasks.push(tokio::spawn(watch_database(store, reporter, settings.health_check_interval(), stop)));
    tasks
}

/// Applies the migrations, then seals the plaintext credentials an earlier release stored
/// (once; see [`crate::service::sealing::seal_plaintext`]).
async fn migrate_and_seal(store: &Store) -> Result<(), Error> {
    store.migrate().await?;
    if let Some(report) = crate::service::sealing::seal_plaintext(store).await? {
        tracing::info!(
            resources = report.resources,
            sealed = report.sealed_now,
            "plaintext credentials of an earlier release sealed"
        );
    }
    Ok(())
}

impl Application {
    /// gRPC services and REST routes over the same adapters, so both transports share one path.
    fn routes<H: tonic_health::pb::health_server::Health>(
        &self,
        health: tonic_health::pb::health_server::HealthServer<H>,
        transfers: TransferService,
        feed: JobFeed,
        ready: Arc<AtomicBool>,
    ) -> std::io::Result<axum::Router> {
        let (store, auth, settings) = (&self.store, &self.auth, &self.settings);
        let max = settings.max_request_bytes;
        let documents = DocumentService::new(store.clone(), settings.document_limits(), max);
        let agents = Arc::new(AgentServiceAdapter::new(
            auth.clone(),
            ResourceService::new(store.clone()),
            documents,
            transfers,
            SettingsService::new(store.clone()),
        ));
        let mut job_service = JobService::new(store.clone(), feed, max);
        if settings.stall_job_searches {
            job_service = job_service.stalling_searches();
        }
        let jobs = Arc::new(JobServiceAdapter::new(auth.clone(), job_service));
        let templates = TemplateService::new(store.clone(), settings.max_sub_agent_depth, settings.document_limits());
        let templates = Arc::new(TemplateServiceAdapter::new(auth.clone(), templates, max));
        let api_keys = ApiKeyServiceAdapter::new(auth.clone(), ApiKeyService::new(store.clone()));
        let signing = Arc::new(SigningServiceAdapter::new(auth.clone(), SigningService::new(store.clone())));
        let rest = crate::rest::router(RestState {
            agents: agents.clone(),
            jobs: jobs.clone(),
            templates: templates.clone(),
            signing: signing.clone(),
            auth: auth.clone(),
            default_tenant: settings.rest_default_tenant.clone(),
        })
        .layer(axum::middleware::from_fn(crate::rest::call::with_client_certificate));

        let (reflection_v1, reflection_v1alpha) = reflection().map_err(std::io::Error::other)?;
        let grpc = tonic::service::Routes::new(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                AgentServiceServer::from_arc(agents).max_decoding_message_size(max).max_encoding_message_size(max),
            )
            .add_service(JobServiceServer::from_arc(jobs).max_decoding_message_size(max).max_encoding_message_size(max))
            .add_service(
                TemplateServiceServer::from_arc(templates)
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(ApiKeyServiceServer::new(api_keys))
            .add_service(SigningServiceServer::from_arc(signing))
            .into_axum_router();
        // grpc-web is translated outside the status tap, so the tap reads plain gRPC trailers.
        let grpc = grpc.layer(GrpcStatusLayer).layer(tonic_web::GrpcWebLayer::new());
        let router = grpc
            .merge(rest.layer(axum::extract::DefaultBodyLimit::max(max)))
            // Replaces tonic's fallback, which answers every unknown path as a gRPC call.
            .fallback(crate::rest::unknown_route)
            // Failed calls are the caller's business (and are answered with a reason); server
            // faults are logged where they happen, so the trace layer stays at debug.
            .layer(TraceLayer::new_for_grpc().on_failure(DefaultOnFailure::new().level(Level::DEBUG)))
            .layer(RequestBodyTimeoutLayer::new(Duration::from_millis(settings.body_read_timeout_ms.max(1))))
            .layer(DeadlineLayer::new(CallPolicy {
                default_timeout: Duration::from_millis(settings.call_timeout_default_ms.max(1)),
                max_timeout: Duration::from_millis(settings.call_timeout_max_ms.max(1)),
                ready,
                render_rest: crate::rest::render_error,
            }))
            // Outside the deadline, so call spans and metrics see the answer the client got.
            .layer(CallLayer);
        let cors = crate::browser::cors(&settings.cors_allowed_origins).map_err(std::io::Error::other)?;
        Ok(match cors {
            Some(cors) => router.layer(cors),
            None => router,
        })
    }
}

fn reflection() -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<impl tonic_reflection::server::v1::ServerReflection>,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    tonic_reflection::server::Error,
> {
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // `google/rpc/error_details.proto` and `status.proto`: clients that resolve types by
            // reflection (grpcurl) decode the ErrorInfo and BadRequest details of every error.
            .register_encoded_file_descriptor_set(crate::proto::GOOGLE_RPC_DESCRIPTOR_SET)
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

/// Reports `status` for the whole server (`""`) and for every service of the contracts by its
/// full name (taken from the descriptors, so a new service is never left out).
async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in crate::domain::reflect::POOL.services() {
        reporter.set_service_status(service.full_name(), status).await;
    }
}

/// Reports NOT_SERVING while the service is not ready (see [`crate::observability::readiness`]),
/// SERVING again once it is.
async fn watch_database(
    store: Store,
    reporter: HealthReporter,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut serving = true;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let healthy = crate::observability::readiness(&store).await.is_ok();
        if healthy != serving {
            serving = healthy;
            let status = if healthy { ServingStatus::Serving } else { ServingStatus::NotServing };
            tracing::warn!(healthy, "database health changed");
            set_health(&reporter, status).await;
        }
    }
}
