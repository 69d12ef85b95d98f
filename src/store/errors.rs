//! Database errors to service errors: a unique violation is a taken id, a lost connection is
//! UNAVAILABLE, anything else is internal (logged, masked).

use sea_orm::{DbErr, RuntimeErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::call_scope::CallScope;
use crate::error::{Error, ErrorCode};

/// SQLite's SQLITE_INTERRUPT and PostgreSQL's query_canceled (statement timeout or cancel).
const INTERRUPTED: &[&str] = &["9", "57014"];

pub fn db_error(context: &str, err: DbErr) -> Error {
    if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
        return Error::new(ErrorCode::AlreadyExists, "the resource already exists");
    }
    if interrupted(&err) {
        return stopped(context);
    }
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Error::unavailable(context, err),
        other => Error::internal(context, other),
    }
}

/// Whether the database stopped the statement because its call ended.
fn interrupted(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return false;
    };
    e.as_database_error().and_then(|d| d.code()).is_some_and(|code| INTERRUPTED.contains(&code.as_ref()))
}

/// The error of a statement stopped at the call's end: its deadline, or its caller leaving.
fn stopped(context: &str) -> Error {
    tracing::debug!(context, "statement stopped at the end of its call");
    match CallScope::current() {
        // PostgreSQL's statement timeout may stop a statement a little before the deadline.
        Some(scope) if !scope.expired() && !super::pg_binding::may_stop_early(&scope) => {
            Error::new(ErrorCode::Cancelled, "the call was cancelled; its database work was stopped")
        }
        _ => Error::new(ErrorCode::DeadlineExceeded, "the call's deadline passed; its database work was stopped"),
    }
}

/// Starts a write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE): a
/// deferred transaction that reads and then writes fails at once when another connection
/// wrote meanwhile, instead of waiting its turn. Other backends ignore the mode.
pub async fn begin_write<C: TransactionTrait>(conn: &C, context: &str) -> Result<C::Transaction, Error> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    conn.begin_with_options(options).await.map_err(|e| db_error(context, e))
}
