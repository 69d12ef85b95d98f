//! Database errors to service errors: a unique violation is a taken id, a lost connection is
//! UNAVAILABLE, anything else is internal (logged, masked).

use sea_orm::{DbErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::error::Error;

pub fn db_error(context: &str, err: DbErr) -> Error {
    if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
        return Error::new(crate::error::ErrorCode::AlreadyExists, "the resource already exists");
    }
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Error::unavailable(context, err),
        other => Error::internal(context, other),
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
