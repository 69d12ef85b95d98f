//! The Emporix `q` query language, `sort` and `fields`, parsed into typed values checked against
//! a resource's field schema. Nothing here knows SQL; `store::query_sql` compiles the result.
//!
//! `q` is space-separated conditions that must all hold: `field:value`, `field:>v` (also `<`,
//! `>=`, `<=`), `field:(>=a AND <b)`, `field:(a,b,"c d")`, `field:~re`, `field:~(re)`,
//! `field:(~re)`, `field:null`, `field:exists`, `field:missing`. Every error names the input
//! (`q`, `sort`, `fields`) and the 0-based character position of the problem. A field named
//! `prefix.*` in a schema stands for every `prefix.<key>` (a localized text's languages).

mod error;
mod jobs;
mod parser;
pub(crate) mod pattern;
pub mod resources;
mod scan;
mod sort;
mod value;

#[cfg(test)]
mod tests;

pub use jobs::{JOB_FIELDS, JOB_PROJECTION_FIELDS};
pub use parser::parse;
pub use pattern::{MAX_PATTERN_CHARS, MAX_PATTERN_COST, REGEX_SCAN_CHARS};
pub use sort::{parse_fields, parse_sort};

/// Longest accepted `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 4096;
/// Most conditions (`field:...` terms) in one `q`.
pub const MAX_CONDITIONS: usize = 50;
/// Most values in one `field:(a,b,...)` list.
pub const MAX_LIST_ITEMS: usize = 100;

/// What a field holds, which decides the tests it supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Exact, comparison, list, regex, null/exists/missing.
    Text,
    /// Exact and list, matched case-insensitively; holds the canonical stored spellings.
    Enum(&'static [&'static str]),
    /// Quoted ISO-8601 instants; exact, comparison, list, null/exists/missing.
    Timestamp,
    /// Exact, comparison, list, null/exists/missing.
    Integer,
    /// A decimal number: exact, comparison, list, null/exists/missing.
    Decimal,
    /// `true` / `false`, and null/exists/missing when nullable.
    Bool,
    /// Only whether a value is there: null/exists/missing.
    Presence,
}

/// One queryable field of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The API name, e.g. `metadata.createdAt`.
    pub name: &'static str,
    pub kind: FieldKind,
    pub nullable: bool,
    pub sortable: bool,
}

/// A parsed `q`: every condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The field's API name, as in its [`FieldSpec`].
    pub field: &'static str,
    /// For a `prefix.*` field, the key that was named (`en` of `name.en`).
    pub key: Option<String>,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    Eq(Scalar),
    /// A range `(>=a AND <b)` becomes two `Cmp` conditions on the same field.
    Cmp(CmpOp, Scalar),
    In(Vec<Scalar>),
    /// A case-sensitive, unanchored search in the portable dialect of `pattern.rs`:
    /// the same rows match on SQLite (Rust `regex`, with `(?s)`) and PostgreSQL (`~`).
    Regex(String),
    /// Null or absent.
    Null,
    Exists,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Lt,
    Ge,
    Le,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Integer(i64),
    /// Microseconds since the Unix epoch.
    Timestamp(i64),
    /// A decimal as written (checked to parse as a finite `f64`), so that values stay `Eq`.
    Decimal(String),
    Bool(bool),
}

/// One `sort` key, left to right in priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static str,
    /// For a `prefix.*` field, the key that was named.
    pub key: Option<String>,
    pub descending: bool,
}

/// Longest key of a `prefix.*` field (a language tag is at most 35 characters).
pub const MAX_KEY_CHARS: usize = 35;

/// The spec `name` stands for in `schema`, with the key a `prefix.*` field was named with.
/// Keys are letters, digits, `-` and `_`.
pub(crate) fn lookup<'a>(schema: &'a [FieldSpec], name: &str) -> Option<(&'a FieldSpec, Option<String>)> {
    if let Some(spec) = schema.iter().find(|f| f.name == name) {
        return Some((spec, None));
    }
    let (prefix, key) = name.rsplit_once('.')?;
    let valid = !key.is_empty()
        && key.chars().count() <= MAX_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let spec = schema.iter().find(|f| f.name.strip_suffix(".*") == Some(prefix))?;
    valid.then(|| (spec, Some(key.to_owned())))
}
