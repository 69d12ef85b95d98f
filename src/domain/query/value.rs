//! One value of a condition, typed by its field: the error points at the value itself.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::invalid;
use super::{FieldKind, FieldSpec, Scalar};
use crate::error::Error;

/// Types `raw` (already unquoted) found at `position` of `q`.
pub(super) fn scalar(spec: &FieldSpec, raw: &str, position: usize) -> Result<Scalar, Error> {
    let name = spec.name;
    match spec.kind {
        FieldKind::Text => Ok(Scalar::Text(raw.to_owned())),
        // Clients send `SUCCESS` or `success`; rows hold one spelling, so normalize here.
        FieldKind::Enum(allowed) => allowed
            .iter()
            .find(|v| v.eq_ignore_ascii_case(raw))
            .map(|v| Scalar::Text((*v).to_owned()))
            .ok_or_else(|| {
                invalid("q", position, format!("`{raw}` is not a value of `{name}`; allowed: {}", allowed.join(", ")))
            }),
        FieldKind::Timestamp => timestamp(raw).map(Scalar::Timestamp).ok_or_else(|| {
            invalid(
                "q",
                position,
                format!(
                    "`{name}` takes an ISO-8601 instant with microsecond precision at most, \
                     like \"2021-05-18T07:27:27.455Z\", not `{raw}`"
                ),
            )
        }),
        FieldKind::Integer => raw
            .parse()
            .map(Scalar::Integer)
            .map_err(|_| invalid("q", position, format!("`{name}` takes an integer, not `{raw}`"))),
        FieldKind::Decimal => raw
            .parse::<f64>()
            .ok()
            .filter(|n| {
                n.is_finite() && raw.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
            })
            .map(|_| Scalar::Decimal(raw.to_owned()))
            .ok_or_else(|| invalid("q", position, format!("`{name}` takes a number, not `{raw}`"))),
        FieldKind::Bool => boolean(raw)
            .map(Scalar::Bool)
            .ok_or_else(|| invalid("q", position, format!("`{name}` takes true or false, not `{raw}`"))),
        FieldKind::Presence => Err(invalid("q", position, format!("`{name}` takes only null, exists or missing"))),
    }
}

/// Microseconds since the epoch; a finer instant would need rounding, so it is refused.
fn timestamp(raw: &str) -> Option<i64> {
    let nanos = OffsetDateTime::parse(raw, &Rfc3339).ok()?.unix_timestamp_nanos();
    if nanos % 1000 != 0 {
        return None;
    }
    i64::try_from(nanos / 1000).ok()
}

fn boolean(raw: &str) -> Option<bool> {
    if raw.eq_ignore_ascii_case("true") {
        Some(true)
    } else if raw.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
