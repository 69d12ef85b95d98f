//! PostgreSQL's announcements of job changes (`agentport_jobs`, payload: the tenant), read on
//! a connection of their own outside the pool.

use sqlx::postgres::{PgListener, PgPool};

use super::Store;
use crate::error::{Error, Result};

const CHANNEL: &str = "agentport_jobs";

/// Tenants whose jobs changed, as PostgreSQL announces them.
pub struct JobChanges {
    listener: PgListener,
}

impl Store {
    /// A listener for job changes on PostgreSQL; `None` on SQLite, which announces nothing.
    pub async fn listen_job_changes(&self) -> Result<Option<JobChanges>> {
        if self.backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(None);
        }
        let options = self.db.get_postgres_connection_pool().connect_options();
        let own = PgPool::connect_lazy_with((*options).clone());
        let mut listener = PgListener::connect_with(&own).await.map_err(|e| Error::unavailable("listen", e))?;
        listener.listen(CHANNEL).await.map_err(|e| Error::unavailable("listen", e))?;
        Ok(Some(JobChanges { listener }))
    }
}

impl JobChanges {
    /// The next tenant whose jobs changed. An error means announcements may have been missed
    /// (the connection was lost and is being re-established): read everything once.
    pub async fn next(&mut self) -> Result<String> {
        let notification = self.listener.recv().await.map_err(|e| Error::unavailable("job changes", e))?;
        Ok(notification.payload().to_owned())
    }
}
