//! Connection pools that stop a call's database work when the call ends.
//!
//! Every time a connection is handed out, the pool's hook binds it to the call of the task
//! that asked (see [`CallScope`]):
//! - SQLite: a progress handler, run every few hundred virtual-machine steps, interrupts the
//!   statement once the call's deadline passed or the call was dropped.
//! - PostgreSQL: `statement_timeout` bounds each statement by the call's remaining time, and a
//!   call dropped early sends a cancel request for the backend it holds, so the connection is
//!   free again at once instead of at the deadline; see [`super::pg_binding`], which does it
//!   without a round trip of its own in the usual case.
//!
//! Work outside a call (background jobs) runs without a handler and without a timeout.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions};

use crate::call_scope::{CallScope, may_continue};
use crate::error::{Error, Result};

use super::pg_binding::Bindings;

/// Virtual-machine steps between two looks at the call; a few microseconds of work.
const SQLITE_PROGRESS_STEPS: i32 = 500;
/// How long a SQLite connection waits for another's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The pause between attempts to open a SQLite database another process holds locked.
const BUSY_RETRY: Duration = Duration::from_millis(20);

/// Pool sizing, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Connections in the pool; `None` picks the backend's default (SQLite 8, PostgreSQL 16).
    pub max_connections: Option<u32>,
    /// Longest wait for a free connection before a call fails UNAVAILABLE.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: None, acquire_timeout: Duration::from_secs(5) }
    }
}

pub async fn connect(url: &str, settings: PoolSettings) -> Result<DatabaseConnection> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::internal("database url", e))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true)
            // `q` and `filter` regexes compile to `col REGEXP ?`; SQLite has no REGEXP of its own.
            .with_regexp();
        // Replicas opening a fresh file together: turning it to WAL can answer "database is
        // locked" at once, without SQLite's busy handler waiting, so the open itself is
        // retried for as long as a busy statement would wait.
        let deadline = Instant::now() + SQLITE_BUSY_TIMEOUT;
        let pool = loop {
            match sqlite_pool(&settings).connect_with(options.clone()).await {
                Err(e) if is_busy(&e) && Instant::now() < deadline => tokio::time::sleep(BUSY_RETRY).await,
                opened => break opened.map_err(|e| Error::unavailable("connect", e))?,
            }
        };
        return Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool));
    }
    let (pool, _) = postgres_pool(url, settings).await?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

fn sqlite_pool(settings: &PoolSettings) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(settings.max_connections.unwrap_or(8))
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .after_connect(|conn, _| Box::pin(bind_sqlite(conn)))
        .before_acquire(|conn, _| Box::pin(async move { bind_sqlite(conn).await.map(|()| true) }))
}

/// SQLITE_BUSY (5) and its extended codes.
fn is_busy(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code()).and_then(|c| c.parse::<i32>().ok());
    code.is_some_and(|c| c & 0xff == 5)
}

/// The PostgreSQL pool, its connections bound to their calls by [`Bindings`].
pub(super) async fn postgres_pool(url: &str, settings: PoolSettings) -> Result<(PgPool, Bindings)> {
    let options = PgConnectOptions::from_str(url).map_err(|e| Error::internal("database url", e))?;
    let bindings = Bindings::new(PgPoolOptions::new().max_connections(2).connect_lazy_with(options.clone()));
    let (on_connect, on_acquire, on_release) = (bindings.clone(), bindings.clone(), bindings.clone());
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections.unwrap_or(16))
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let bindings = on_connect.clone();
            Box::pin(async move { bindings.open(conn).await })
        })
        .before_acquire(move |conn, _| {
            let bindings = on_acquire.clone();
            Box::pin(async move { bindings.bind(conn).await })
        })
        .after_release(move |conn, _| {
            let bindings = on_release.clone();
            Box::pin(async move { bindings.release(conn).await })
        })
        .connect_with(options)
        .await
        .map_err(|e| Error::unavailable("connect", e))?;
    Ok((pool, bindings))
}

/// Points the connection's progress handler at the acquiring call (or removes it).
async fn bind_sqlite(conn: &mut SqliteConnection) -> std::result::Result<(), sqlx::Error> {
    let scope = CallScope::current().map(|s| Arc::downgrade(&s));
    let mut handle = conn.lock_handle().await?;
    match scope {
        None => handle.remove_progress_handler(),
        Some(_) => handle.set_progress_handler(SQLITE_PROGRESS_STEPS, move || may_continue(&scope)),
    }
    Ok(())
}
