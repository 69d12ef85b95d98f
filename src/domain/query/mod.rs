//! The Emporix `q` query language, `sort` and `fields`, parsed into typed values checked against
//! a resource's field schema. Nothing here knows SQL; `store::query_sql` compiles the result.
//!
//! `q` is space-separated conditions that must all hold: `field:value`, `field:>v` (also `<`,
//! `>=`, `<=`), `field:(>=a AND <b)`, `field:(a,b,"c d")`, `field:~re`, `field:~(re)`,
//! `field:(~re)`, `field:null`, `field:exists`, `field:missing`. Every error names the input
//! (`q`, `sort`, `fields`) and the 0-based character position of the problem.

mod error;
mod jobs;
mod parser;
pub(crate) mod pattern;
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
    /// `true` / `false` only.
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
    Bool(bool),
}

/// One `sort` key, left to right in priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static str,
    pub descending: bool,
}
