//! What operations ask of the database: is it ready, how long is the job queue, how busy is
//! the pool, and how long each statement took.

use migrations::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::Store;
use super::errors::db_error;
use crate::domain::job::{JobKind, JobState};
use crate::error::{Error, ErrorCode, Result};
use crate::observability::metrics::{self, QueueRow};

/// Job statuses as the queue gauges show them.
const QUEUED: &str = "queued";
const RUNNING: &str = "running";
const IN_REQUEST: &str = "in_request";

impl Store {
    /// Ready to serve: the database answers and every migration this build knows is applied.
    /// Reads the migrations table itself, so it never creates it (as the migrator would).
    pub async fn ready(&self) -> Result<()> {
        let statement = Statement::from_string(self.backend(), "SELECT version FROM seaql_migrations");
        let rows = self.db.query_all_raw(statement).await.map_err(|e| db_error("read migrations", e))?;
        let applied: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "version").ok()).collect();
        let pending =
            migrations::Migrator::migrations().iter().filter(|m| !applied.iter().any(|a| a == m.name())).count();
        if pending > 0 {
            return Err(Error::new(ErrorCode::Unavailable, format!("{pending} migrations are not applied")));
        }
        Ok(())
    }

    /// Unfinished jobs by type and status, with the oldest one's creation time. Scans only
    /// `in_progress` rows, through the `jobs_status_lease` index.
    pub async fn job_queue(&self, now: i64) -> Result<Vec<QueueRow>> {
        let (now_at, status_at) = if self.backend() == DatabaseBackend::Postgres { ("$1", "$2") } else { ("?", "?") };
        let sql = format!(
            "SELECT type, CASE WHEN NOT background THEN 2 \
             WHEN lease_expires_at IS NOT NULL AND lease_expires_at >= {now_at} THEN 1 ELSE 0 END AS state, \
             COUNT(*) AS count, MIN(created_at) AS oldest FROM jobs WHERE status = {status_at} GROUP BY 1, 2"
        );
        let values = [now.into(), JobState::InProgress.as_str().into()];
        let statement = Statement::from_sql_and_values(self.backend(), sql, values);
        let found = self.db.query_all_raw(statement).await.map_err(|e| db_error("job queue", e))?;
        let mut rows = Vec::new();
        for kind in JobKind::ALL {
            for (code, status) in [(0, QUEUED), (1, RUNNING), (2, IN_REQUEST)] {
                let row = found.iter().find(|r| {
                    r.try_get::<String>("", "type").ok().as_deref() == Some(kind.as_str())
                        && r.try_get::<i32>("", "state").ok() == Some(code)
                });
                let count = row.and_then(|r| r.try_get::<i64>("", "count").ok()).unwrap_or(0);
                let oldest = row.and_then(|r| r.try_get::<Option<i64>>("", "oldest").ok()).flatten();
                rows.push(QueueRow {
                    kind: metrics::job_type(kind),
                    status,
                    count: count as u64,
                    oldest_created_at: oldest,
                });
            }
        }
        Ok(rows)
    }

    /// `(contents, bytes)` held by the blob store: one aggregate over the `blobs` rows (one per
    /// distinct content and tenant; the chunks are not read).
    pub async fn blob_usage(&self) -> Result<(u64, u64)> {
        let sql = "SELECT COUNT(*) AS blobs, COALESCE(SUM(size), 0) AS bytes FROM blobs";
        let statement = Statement::from_string(self.backend(), sql);
        let row = self.db.query_one_raw(statement).await.map_err(|e| db_error("blob usage", e))?;
        let read = |column: &str| -> u64 {
            let row = row.as_ref();
            // PostgreSQL sums a BIGINT into NUMERIC; SQLite into INTEGER.
            row.and_then(|r| r.try_get::<i64>("", column).ok())
                .or_else(|| {
                    row.and_then(|r| r.try_get::<sea_orm::prelude::Decimal>("", column).ok())
                        .and_then(|d| d.try_into().ok())
                })
                .map_or(0, |v: i64| v.max(0) as u64)
        };
        Ok((read("blobs"), read("bytes")))
    }

    /// `(idle, in use, maximum)` connections of the pool.
    pub fn pool_usage(&self) -> (usize, usize, u32) {
        match self.backend() {
            DatabaseBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                let idle = pool.num_idle();
                (idle, (pool.size() as usize).saturating_sub(idle), pool.options().get_max_connections())
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                let idle = pool.num_idle();
                (idle, (pool.size() as usize).saturating_sub(idle), pool.options().get_max_connections())
            }
        }
    }
}

/// Times every statement (histogram) and, inside a recorded trace, adds a span for it.
pub(super) fn observe_statements(db: &mut sea_orm::DatabaseConnection) {
    let system = match db.get_database_backend() {
        DatabaseBackend::Postgres => "postgresql",
        DatabaseBackend::Sqlite => "sqlite",
        _ => "other",
    };
    db.set_metric_callback(move |info| {
        let sql = info.statement.sql.as_str();
        let operation = operation(sql);
        metrics::query_ran(operation, info.failed, info.elapsed);
        crate::telemetry::query_span(system, operation, sql, info.elapsed, info.failed);
    });
}

fn operation(sql: &str) -> &'static str {
    let verb = sql.trim_start().split_ascii_whitespace().next().unwrap_or("");
    ["select", "insert", "update", "delete", "with"]
        .into_iter()
        .find(|v| verb.eq_ignore_ascii_case(v))
        .map(|v| if v == "with" { "select" } else { v })
        .unwrap_or("other")
}
