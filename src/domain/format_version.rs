//! agentport's format version of bundles and templates: `"MAJOR.MINOR"` under
//! `agentport.formatVersion` at the document's root (docs/canonical-model.md, "Format versions").
//! A minor step only adds fields an older reader may ignore; a major step changes what existing
//! fields mean, so an older reader refuses it rather than guess.

use std::fmt;

use serde_json::{Map, Value};

use crate::domain::bundle::extension::KEY;
use crate::error::{Error, ErrorCode, FieldViolation};
use crate::proto::{ImportDetail, ImportDetailCode};

/// The key under the root's `agentport` object.
pub const FIELD: &str = "formatVersion";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FormatVersion {
    pub major: u32,
    pub minor: u32,
}

/// The version this server writes.
pub const CURRENT: FormatVersion = FormatVersion { major: 1, minor: 0 };

impl fmt::Display for FormatVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FormatVersion {
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        let number = |s: &str| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?;
        Some(Self { major: number(major)?, minor: number(minor)? })
    }
}

/// How a document's version relates to [`CURRENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    /// Older: migrate it step by step before reading.
    Older(FormatVersion),
    Current,
    /// A newer minor version: read it, and warn about what was not understood.
    NewerMinor(FormatVersion),
}

/// The version a document's root declares; `None` when it declares none. `what` names the
/// document in messages ("bundle", "template").
pub fn declared(root: &Map<String, Value>, path: &str) -> Result<Option<FormatVersion>, Error> {
    let Some(text) = root.get(KEY).and_then(|ext| ext.get(FIELD)) else {
        return Ok(None);
    };
    let field = format!("{path}{KEY}.{FIELD}");
    match text.as_str().map(FormatVersion::parse) {
        Some(Some(version)) => Ok(Some(version)),
        _ => Err(Error::invalid(vec![FieldViolation::new(field, "must be a version \"MAJOR.MINOR\", e.g. \"1.0\"")])),
    }
}

/// Whether this server reads `found`; a newer major version is refused with FORMAT_UNSUPPORTED.
pub fn check(found: FormatVersion, what: &str) -> Result<Compat, Error> {
    if found.major > CURRENT.major {
        return Err(Error::new(
            ErrorCode::FormatUnsupported,
            format!("the {what} is in format version {found}; this server reads format versions up to {CURRENT}"),
        ));
    }
    Ok(match found.cmp(&CURRENT) {
        std::cmp::Ordering::Less => Compat::Older(found),
        std::cmp::Ordering::Equal => Compat::Current,
        std::cmp::Ordering::Greater => Compat::NewerMinor(found),
    })
}

/// The warning of a document in a newer minor version: its version, and the JSON paths of what
/// this server did not read (`None` when it cannot tell).
pub fn newer_minor_warning(found: FormatVersion, what: &str, not_understood: Option<&[String]>) -> ImportDetail {
    let fields = match not_understood {
        Some([]) => "; every field was understood".to_owned(),
        Some(paths) => format!("; fields not understood: {}", paths.join(", ")),
        None => "; fields it does not know are ignored".to_owned(),
    };
    ImportDetail {
        code: ImportDetailCode::FormatNewerMinor as i32,
        object_id: found.to_string(),
        object_name: String::new(),
        message: format!("the {what} is in format version {found}, newer than this server's {CURRENT}{fields}"),
    }
}

/// Writes [`CURRENT`] into the root's `agentport` object, creating it when absent.
pub fn stamp(root: &mut Map<String, Value>) {
    let ext = root.entry(KEY).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(ext) = ext {
        ext.insert(FIELD.to_owned(), Value::from(CURRENT.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_minor_only() {
        assert_eq!(FormatVersion::parse("1.0"), Some(CURRENT));
        assert_eq!(FormatVersion::parse("12.3"), Some(FormatVersion { major: 12, minor: 3 }));
        for bad in ["1", "1.", ".1", "1.0.0", "v1.0", "1.-1", "1.+1", ""] {
            assert_eq!(FormatVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn newer_major_is_refused_naming_both_versions() {
        let err = check(FormatVersion { major: 2, minor: 0 }, "bundle").unwrap_err();
        assert_eq!(err.code, ErrorCode::FormatUnsupported);
        assert!(err.message.contains("2.0") && err.message.contains("1.0"), "{}", err.message);
        assert_eq!(
            check(FormatVersion { major: 1, minor: 7 }, "bundle").unwrap(),
            Compat::NewerMinor(FormatVersion { major: 1, minor: 7 })
        );
        assert_eq!(check(CURRENT, "bundle").unwrap(), Compat::Current);
        assert!(matches!(check(FormatVersion { major: 0, minor: 9 }, "bundle").unwrap(), Compat::Older(_)));
    }
}
