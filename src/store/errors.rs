//! Database errors to service errors: a unique violation is a taken id, a lost connection is
//! UNAVAILABLE, anything else is internal (logged, masked).

use sea_orm::{DbErr, SqlErr};

use crate::error::Error;

pub fn db_error(context: &str, err: DbErr) -> Error {
    if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
        return Error::new(
            crate::error::ErrorCode::AlreadyExists,
            "the resource already exists",
        );
    }
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Error::unavailable(context, err),
        other => Error::internal(context, other),
    }
}
