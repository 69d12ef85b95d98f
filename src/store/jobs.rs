//! Job rows: the history (search, get, delete, record) and the engine's queue (claim,
//! heartbeat, fenced completion, reaping abandoned work, retention).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::Store;
use super::blobs::Owner;
use super::entity::job::{self, Column, Entity};
use super::errors::db_error;
use super::query_sql;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::query::{Query, Scalar, SortKey, Test};
use crate::error::{Error, ErrorCode, Result};

fn record(row: job::Model) -> Result<JobRecord> {
    Ok(JobRecord {
        kind: JobKind::parse(&row.r#type).ok_or_else(|| Error::internal("job type", &row.r#type))?,
        state: JobState::parse(&row.status).ok_or_else(|| Error::internal("job status", &row.status))?,
        tenant: row.tenant,
        id: row.id,
        agent_type: row.agent_type,
        agent_id: row.agent_id,
        session_id: row.session_id,
        message: row.message,
        commerce_event: row.commerce_event,
        background: row.background,
        attempts: row.attempts,
        version: row.version,
        created_at: row.created_at,
        modified_at: row.modified_at,
        export_result: row.export_result,
        import_result: row.import_result,
        request_id: row.request_id,
        payload: row.payload,
        trace_parent: row.trace_parent,
    })
}

fn active(job: &JobRecord) -> job::ActiveModel {
    job::ActiveModel {
        tenant: Set(job.tenant.clone()),
        id: Set(job.id.clone()),
        r#type: Set(job.kind.as_str().to_owned()),
        status: Set(job.state.as_str().to_owned()),
        agent_type: Set(job.agent_type.clone()),
        agent_id: Set(job.agent_id.clone()),
        session_id: Set(job.session_id.clone()),
        message: Set(job.message.clone()),
        commerce_event: Set(job.commerce_event.clone()),
        background: Set(job.background),
        attempts: Set(job.attempts),
        version: Set(job.version),
        created_at: Set(job.created_at),
        modified_at: Set(job.modified_at),
        export_result: Set(job.export_result.clone()),
        import_result: Set(job.import_result.clone()),
        request_id: Set(job.request_id.clone()),
        payload: Set(job.payload.clone()),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        finished_at: Set(job.state.is_finished().then_some(job.modified_at)),
        trace_parent: Set(job.trace_parent.clone()),
    }
}

fn job_name(tenant: &str, id: &str) -> String {
    format!("tenants/{tenant}/jobs/{id}")
}

/// Inserts a new job; a taken id or request id is ALREADY_EXISTS.
pub async fn insert_job(conn: &impl ConnectionTrait, job: &JobRecord) -> Result<()> {
    Entity::insert(active(job)).exec_without_returning(conn).await.map_err(|e| {
        let err = db_error("insert job", e);
        if err.code == ErrorCode::AlreadyExists { Error::already_exists(&job_name(&job.tenant, &job.id)) } else { err }
    })?;
    Ok(())
}

pub async fn get_job(conn: &impl ConnectionTrait, tenant: &str, id: &str) -> Result<JobRecord> {
    let row = Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(conn)
        .await
        .map_err(|e| db_error("get job", e))?
        .ok_or_else(|| Error::not_found(&job_name(tenant, id)))?;
    record(row)
}

/// The job a request id created, if any.
pub async fn job_by_request(conn: &impl ConnectionTrait, tenant: &str, request_id: &str) -> Result<Option<JobRecord>> {
    Entity::find()
        .filter(Column::Tenant.eq(tenant))
        .filter(Column::RequestId.eq(request_id))
        .one(conn)
        .await
        .map_err(|e| db_error("job by request", e))?
        .map(record)
        .transpose()
}

/// Replaces a job's content if it is still at `expected_version`; bumps the version.
pub async fn update_job(conn: &impl ConnectionTrait, job: &JobRecord, expected_version: i64) -> Result<()> {
    let mut row = active(job);
    row.version = Set(expected_version + 1);
    let result = Entity::update_many()
        .set(row)
        .filter(Column::Tenant.eq(job.tenant.as_str()))
        .filter(Column::Id.eq(job.id.as_str()))
        .filter(Column::Version.eq(expected_version))
        .exec(conn)
        .await
        .map_err(|e| db_error("update job", e))?;
    if result.rows_affected == 0 {
        get_job(conn, &job.tenant, &job.id).await?;
        return Err(Error::new(
            ErrorCode::ConcurrentModification,
            format!("{} changed concurrently; retry", job_name(&job.tenant, &job.id)),
        ));
    }
    Ok(())
}

impl Store {
    pub async fn insert_job(&self, job: &JobRecord) -> Result<()> {
        insert_job(&self.db, job).await
    }

    /// Inserts many new jobs in one write transaction: all or none. Rows go in multi-row
    /// INSERTs sized to stay under SQLite's bound-parameter limit (32766 since 3.32; PostgreSQL
    /// allows 65535). A taken id or request id fails the whole batch with ALREADY_EXISTS.
    pub async fn insert_jobs(&self, jobs: &[JobRecord]) -> Result<()> {
        const MAX_BOUND_PARAMETERS: usize = 32_766;
        if jobs.is_empty() {
            return Ok(());
        }
        let columns = <Column as sea_orm::Iterable>::iter().count();
        let rows_per_insert = (MAX_BOUND_PARAMETERS / columns).max(1);
        let txn = super::errors::begin_write(&self.db, "begin insert jobs").await?;
        for chunk in jobs.chunks(rows_per_insert) {
            Entity::insert_many(chunk.iter().map(active))
                .exec_without_returning(&txn)
                .await
                .map_err(|e| db_error("insert jobs", e))?;
        }
        txn.commit().await.map_err(|e| db_error("commit insert jobs", e))
    }

    pub async fn get_job(&self, tenant: &str, id: &str) -> Result<JobRecord> {
        get_job(&self.db, tenant, id).await
    }

    pub async fn job_by_request(&self, tenant: &str, request_id: &str) -> Result<Option<JobRecord>> {
        job_by_request(&self.db, tenant, request_id).await
    }

    /// The tenant's jobs among `ids` (missing ones are left out), in one query per 500 ids.
    pub async fn jobs_by_ids(&self, tenant: &str, ids: &[String]) -> Result<Vec<JobRecord>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = Entity::find()
                .filter(Column::Tenant.eq(tenant))
                .filter(Column::Id.is_in(chunk.iter().map(String::as_str)))
                .all(&self.db)
                .await
                .map_err(|e| db_error("jobs by ids", e))?;
            for row in rows {
                found.push(record(row)?);
            }
        }
        Ok(found)
    }

    pub async fn update_job(&self, job: &JobRecord, expected_version: i64) -> Result<()> {
        update_job(&self.db, job, expected_version).await
    }

    /// One page of a tenant's jobs matching `query`, and the total when asked.
    pub async fn search_jobs(
        &self,
        tenant: &str,
        query: &Query,
        sort: &[SortKey],
        offset: u64,
        limit: u64,
        with_total: bool,
    ) -> Result<(Vec<JobRecord>, Option<u64>)> {
        let condition = query_sql::job_condition(query, self.backend());
        let filtered = Entity::find().filter(Column::Tenant.eq(tenant)).filter(condition);
        let total = match (with_total, counter_terms(query)) {
            (false, _) => None,
            (true, Some((types, statuses))) => {
                Some(super::counts::jobs(&self.db, tenant, types.as_deref(), statuses.as_deref()).await?)
            }
            (true, None) => Some(filtered.clone().count(&self.db).await.map_err(|e| db_error("count jobs", e))?),
        };
        let mut ordered = filtered;
        for (column, order) in query_sql::job_order(sort) {
            ordered = ordered.order_by(column, order);
        }
        let rows = ordered.offset(offset).limit(limit).all(&self.db).await.map_err(|e| db_error("search jobs", e))?;
        Ok((rows.into_iter().map(record).collect::<Result<_>>()?, total))
    }

    /// Deletes a finished job, optionally only at `expected_version`.
    pub async fn delete_job(&self, tenant: &str, id: &str, expected_version: Option<i64>) -> Result<()> {
        let current = self.get_job(tenant, id).await?;
        if let Some(version) = expected_version
            && version != current.version
        {
            return Err(Error::etag_mismatch(&job_name(tenant, id)));
        }
        if !current.state.is_finished() {
            return Err(Error::new(
                ErrorCode::FailedPrecondition,
                format!("{} is still in progress", job_name(tenant, id)),
            )
            .with_meta("resource", job_name(tenant, id)));
        }
        let txn = super::errors::begin_write(&self.db, "begin delete job").await?;
        let deleted = Entity::delete_many()
            .filter(Column::Tenant.eq(tenant))
            .filter(Column::Id.eq(id))
            .filter(Column::Version.eq(current.version))
            .exec(&txn)
            .await
            .map_err(|e| db_error("delete job", e))?;
        if deleted.rows_affected == 0 {
            return Err(Error::etag_mismatch(&job_name(tenant, id)));
        }
        // What the job kept (an export's bundle) goes with it.
        for owner in [Owner::Job(id.to_owned()), Owner::JobPayload(id.to_owned())] {
            super::blobs::release_owner(&txn, tenant, &owner).await?;
        }
        txn.commit().await.map_err(|e| db_error("commit delete job", e))
    }

    /// Claims the oldest runnable background job for `owner` until `lease_until`. Row locks
    /// (`FOR UPDATE SKIP LOCKED`) on PostgreSQL and SQLite's single writer make each claim
    /// exclusive, so any number of replicas can share the queue.
    pub async fn claim_job(&self, owner: &str, now: i64, lease_until: i64) -> Result<Option<JobRecord>> {
        let (sql, values): (&str, Vec<sea_orm::Value>) = match self.backend() {
            DatabaseBackend::Postgres => (
                "UPDATE jobs SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1, \
                 version = version + 1, modified_at = $3 \
                 WHERE (tenant, id) IN (SELECT tenant, id FROM jobs WHERE status = 'in_progress' AND background \
                 AND (lease_expires_at IS NULL OR lease_expires_at < $3) ORDER BY created_at, id LIMIT 1 \
                 FOR UPDATE SKIP LOCKED) RETURNING *",
                vec![owner.into(), lease_until.into(), now.into()],
            ),
            _ => (
                "UPDATE jobs SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1, \
                 version = version + 1, modified_at = ? \
                 WHERE (tenant, id) IN (SELECT tenant, id FROM jobs WHERE status = 'in_progress' AND background \
                 AND (lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY created_at, id LIMIT 1) RETURNING *",
                vec![owner.into(), lease_until.into(), now.into(), now.into()],
            ),
        };
        let statement = Statement::from_sql_and_values(self.backend(), sql, values);
        let row = Entity::find().from_raw_sql(statement).one(&self.db).await.map_err(|e| db_error("claim job", e))?;
        row.map(record).transpose()
    }

    /// Extends a lease the owner still holds; false when it was lost.
    pub async fn renew_lease(&self, tenant: &str, id: &str, owner: &str, lease_until: i64) -> Result<bool> {
        let result = Entity::update_many()
            .col_expr(Column::LeaseExpiresAt, Expr::value(lease_until))
            .filter(Column::Tenant.eq(tenant))
            .filter(Column::Id.eq(id))
            .filter(Column::LeaseOwner.eq(owner))
            .filter(Column::Status.eq(JobState::InProgress.as_str()))
            .exec(&self.db)
            .await
            .map_err(|e| db_error("renew lease", e))?;
        Ok(result.rows_affected == 1)
    }

    /// Fails background jobs whose lease expired after `max_attempts` starts.
    pub async fn fail_abandoned(&self, now: i64, max_attempts: i32) -> Result<u64> {
        let result = Entity::update_many()
            .col_expr(Column::Status, Expr::value(JobState::Failure.as_str()))
            .col_expr(
                Column::Message,
                Expr::value(format!("abandoned: no worker finished the job after {max_attempts} attempts")),
            )
            .col_expr(Column::FinishedAt, Expr::value(now))
            .col_expr(Column::ModifiedAt, Expr::value(now))
            .col_expr(Column::Version, Expr::col(Column::Version).add(Expr::value(1)))
            .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(Column::Payload, Expr::value(Option::<String>::None))
            .filter(Column::Status.eq(JobState::InProgress.as_str()))
            .filter(Column::Background.eq(true))
            .filter(Column::LeaseExpiresAt.lt(now))
            .filter(Column::Attempts.gte(max_attempts))
            .exec(&self.db)
            .await
            .map_err(|e| db_error("fail abandoned jobs", e))?;
        Ok(result.rows_affected)
    }

    /// See [`finish_claimed_job`].
    pub async fn finish_claimed_job(&self, job: &JobRecord, owner: &str, now: i64) -> Result<bool> {
        finish_claimed_job(&self.db, job, owner, now).await
    }

    /// Deletes finished jobs older than `before`.
    pub async fn purge_finished_jobs(&self, before: i64) -> Result<u64> {
        let result = Entity::delete_many()
            .filter(Column::FinishedAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(|e| db_error("purge jobs", e))?;
        Ok(result.rows_affected)
    }
}

/// Finishes a claimed job if `owner` still holds its lease; false when the lease was lost
/// (another worker took over), in which case the caller must roll back its work.
pub async fn finish_claimed_job(conn: &impl ConnectionTrait, job: &JobRecord, owner: &str, now: i64) -> Result<bool> {
    let mut row = active(job);
    row.version = Set(job.version + 1);
    row.modified_at = Set(now);
    row.finished_at = Set(Some(now));
    row.payload = Set(None);
    let result = Entity::update_many()
        .set(row)
        .filter(Column::Tenant.eq(job.tenant.as_str()))
        .filter(Column::Id.eq(job.id.as_str()))
        .filter(Column::LeaseOwner.eq(owner))
        .filter(Column::Status.eq(JobState::InProgress.as_str()))
        .exec(conn)
        .await
        .map_err(|e| db_error("finish job", e))?;
    Ok(result.rows_affected == 1)
}

/// Job types and statuses a total counts (`None`: any).
type CounterTerms = (Option<Vec<String>>, Option<Vec<String>>);

/// The types and statuses (`None`: any) a query keeps, when `type` and `status` are all it
/// tests, by value or list: then the `job_counts` counters answer its total.
fn counter_terms(query: &Query) -> Option<CounterTerms> {
    let (mut types, mut statuses): CounterTerms = (None, None);
    for condition in &query.conditions {
        let values: Vec<String> = match &condition.test {
            Test::Eq(Scalar::Text(v)) => vec![v.clone()],
            Test::In(list) => list
                .iter()
                .map(|v| match v {
                    Scalar::Text(v) => Some(v.clone()),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            _ => return None,
        };
        let kept = match condition.field {
            "type" => &mut types,
            "status" => &mut statuses,
            _ => return None,
        };
        // Conditions on one field all hold: their values intersect.
        *kept = Some(match kept.take() {
            None => values,
            Some(before) => before.into_iter().filter(|v| values.contains(v)).collect(),
        });
    }
    Some((types, statuses))
}
