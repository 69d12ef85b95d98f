//! Connection pools that stop a call's database work when the call ends.
//!
//! Every time a connection is handed out, the pool's hook binds it to the call of the task
//! that asked (see [`CallScope`]):
//! - SQLite: a progress handler, run every few hundred virtual-machine steps, interrupts the
//!   statement once the call's deadline passed or the call was dropped.
//! - PostgreSQL: `statement_timeout` is set to the call's remaining time (in the same round trip
//!   that replaces sqlx's liveness ping), and a call dropped early sends a cancel request for
//!   the backend it holds, so the connection is free again at once instead of at the deadline.
//!
//! Work outside a call (background jobs) runs without a handler and without a timeout.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions};

use crate::call_scope::{CallScope, may_continue};
use crate::error::{Error, Result};

/// Virtual-machine steps between two looks at the call; a few microseconds of work.
const SQLITE_PROGRESS_STEPS: i32 = 500;
/// How long a SQLite connection waits for another's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    let unavailable = |e: sqlx::Error| Error::unavailable("connect", e);
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::internal("database url", e))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true)
            // `q` and `filter` regexes compile to `col REGEXP ?`; SQLite has no REGEXP of its own.
            .with_regexp();
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.unwrap_or(8))
            .min_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .after_connect(|conn, _| Box::pin(bind_sqlite(conn)))
            .before_acquire(|conn, _| Box::pin(async move { bind_sqlite(conn).await.map(|()| true) }))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        return Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool));
    }
    let options = PgConnectOptions::from_str(url).map_err(|e| Error::internal("database url", e))?;
    let cancels = Cancels::new(PgPoolOptions::new().max_connections(2).connect_lazy_with(options.clone()));
    let (on_connect, on_acquire) = (cancels.clone(), cancels);
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections.unwrap_or(16))
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let cancels = on_connect.clone();
            Box::pin(async move { cancels.bind(conn).await.map(|_| ()) })
        })
        .before_acquire(move |conn, _| {
            let cancels = on_acquire.clone();
            Box::pin(async move { cancels.bind(conn).await })
        })
        .after_release(|conn, _| Box::pin(drain(conn)))
        .connect_with(options)
        .await
        .map_err(unavailable)?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

/// Reads what a dropped call left on the connection (the stopped statement's error) so it
/// goes back to the pool. Without this, sqlx's own release check sees that error, closes the
/// connection, and the pool slot is not given back for a long while.
async fn drain(conn: &mut PgConnection) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection;
    for _ in 0..3 {
        if conn.ping().await.is_ok() {
            return Ok(true);
        }
    }
    Ok(false)
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

/// Which call holds each PostgreSQL backend, so a dropped call can cancel exactly its own.
#[derive(Clone)]
struct Cancels {
    owners: Arc<Mutex<HashMap<i32, Owner>>>,
    /// A separate small pool for the cancel requests: the main one may be full.
    control: PgPool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Call(u64),
    /// A cancel request for this backend is on its way; it must not take new work yet.
    Cancelling,
}

impl Cancels {
    fn new(control: PgPool) -> Self {
        Self { owners: Arc::new(Mutex::new(HashMap::new())), control }
    }

    /// Sets the backend's statement timeout to the call's remaining time and records the
    /// owner. False (discard this connection) while a cancel for it may still arrive.
    async fn bind(&self, conn: &mut PgConnection) -> std::result::Result<bool, sqlx::Error> {
        let scope = CallScope::current();
        // 0 disables the timeout: work outside a call is bounded by its own logic.
        let timeout_ms = scope.as_ref().map_or(0, |s| s.remaining().as_millis().max(1));
        let (pid, _): (i32, String) =
            sqlx::query_as("SELECT pg_backend_pid(), set_config('statement_timeout', $1, false)")
                .bind(timeout_ms.to_string())
                .fetch_one(&mut *conn)
                .await?;
        let mut owners = self.owners.lock().expect("owners lock");
        if owners.get(&pid) == Some(&Owner::Cancelling) {
            return Ok(false);
        }
        let Some(scope) = scope else {
            owners.remove(&pid);
            return Ok(true);
        };
        owners.insert(pid, Owner::Call(scope.id()));
        let (cancels, call) = (self.clone(), scope.id());
        scope.on_cancel(move || cancels.cancel(pid, call));
        Ok(true)
    }

    /// Cancels whatever backend `pid` runs if `call` still holds it. A backend that went back
    /// to idle ignores the request (PostgreSQL drops cancels that arrive between commands).
    fn cancel(&self, pid: i32, call: u64) {
        {
            let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
            if owners.get(&pid) != Some(&Owner::Call(call)) {
                return;
            }
            owners.insert(pid, Owner::Cancelling);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let this = self.clone();
        runtime.spawn(async move {
            let sent = sqlx::query("SELECT pg_cancel_backend($1)").bind(pid).execute(&this.control).await;
            if let Err(e) = sent {
                tracing::warn!(pid, error = %e, "could not cancel the statement of a dropped call");
            }
            this.owners.lock().unwrap_or_else(|e| e.into_inner()).remove(&pid);
        });
    }
}
