//! The one error shape of this module: INVALID_FILTER naming the input and the position.

use crate::error::{Error, ErrorCode};

/// `at position N: why` on the input `field` (`q`, `sort` or `fields`), with `position` in the
/// ErrorInfo metadata so clients can point at it.
pub(super) fn invalid(field: &str, position: usize, why: impl std::fmt::Display) -> Error {
    let mut err = Error::invalid_field(field, format!("at position {position}: {why}"));
    err.code = ErrorCode::InvalidFilter;
    err.with_meta("position", position.to_string())
}
