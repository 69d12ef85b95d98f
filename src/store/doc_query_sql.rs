//! Emporix `q` and `sort` on resource documents: each field's source (a row column or a JSON
//! path of the stored document, see `domain::query::resources`) as a SQL expression, and
//! each test on it. Every value and every JSON key is a bound parameter. SQLite reads the
//! document with `json_extract`/`json_each`, PostgreSQL with `jsonb` operators; both select
//! the same rows in the same order: text compares byte-wise, numbers as numbers, a missing
//! value sorts as the smallest, ties break by id.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait, SimpleExpr};
use sea_orm::{Condition, DatabaseBackend, Order, Value};

use super::entity::resource::{Column, Entity};
use crate::domain::query::resources::{DocField, Path, RowColumn, Source, source};
use crate::domain::query::{self, CmpOp, FieldKind, REGEX_SCAN_CHARS, Scalar, SortKey, Test};

/// Conditions and sort keys parsed against `fields`.
#[derive(Debug, Clone, Copy)]
pub struct DocQuery<'a> {
    pub fields: &'static [DocField],
    pub conditions: &'a [query::Condition],
    pub sort: &'a [SortKey],
}

impl DocQuery<'_> {
    /// No condition, id order.
    pub const NONE: DocQuery<'static> = DocQuery { fields: &[], conditions: &[], sort: &[] };
}

/// All conditions, for a `Select<resource::Entity>`.
pub fn doc_condition(query: &DocQuery, backend: DatabaseBackend) -> Condition {
    let sql = Sql { backend };
    query.conditions.iter().fold(Condition::all(), |all, c| {
        let Some((source, kind)) = lookup(query.fields, c.field) else {
            // Only a query parsed against another table gets here; match nothing, loudly.
            tracing::error!(field = c.field, "q field has no source");
            return all.add(Expr::cust("1 = 0"));
        };
        all.add(sql.condition(source, kind, c.key.as_deref(), &c.test))
    })
}

/// ORDER BY terms for the sort keys, then id (in the direction of the last key). A key first
/// sorts on whether its value is missing, so a missing value is the smallest on both stores.
pub fn doc_order(query: &DocQuery, backend: DatabaseBackend) -> Vec<(SimpleExpr, Order)> {
    let sql = Sql { backend };
    let mut terms = Vec::new();
    for key in query.sort {
        let Some((source, kind)) = lookup(query.fields, key.field) else {
            tracing::error!(field = key.field, "sort field has no source");
            continue;
        };
        let Some(value) = sql.value(source, kind, key.key.as_deref()) else {
            tracing::error!(field = key.field, "sort field has many values");
            continue;
        };
        let (order, missing) = if key.descending { (Order::Desc, Order::Asc) } else { (Order::Asc, Order::Desc) };
        if !matches!(source, Source::Row(_)) {
            terms.push((sql.missing(source, &value), missing));
        }
        terms.push((sql.ordered(kind, value), order));
    }
    if !query.sort.iter().any(|k| k.field == "id") {
        let descending = query.sort.last().is_some_and(|k| k.descending);
        terms.push((Expr::col((Entity, Column::Id)), if descending { Order::Desc } else { Order::Asc }));
    }
    terms
}

fn lookup(fields: &[DocField], name: &str) -> Option<(Source, FieldKind)> {
    let kind = fields.iter().find(|f| f.spec.name == name)?.spec.kind;
    Some((source(fields, name)?, kind))
}

struct Sql {
    backend: DatabaseBackend,
}

impl Sql {
    fn postgres(&self) -> bool {
        self.backend == DatabaseBackend::Postgres
    }

    /// Custom SQL written with `$1`, `$2`, ... (PostgreSQL's numbered placeholders); SQLite
    /// takes `?` in order, so its copy repeats the arguments as they appear.
    fn cust(&self, template: &str, args: Vec<SimpleExpr>) -> SimpleExpr {
        if self.postgres() {
            return Expr::cust_with_exprs(template.to_owned(), args);
        }
        let mut sql = String::with_capacity(template.len());
        let mut ordered = Vec::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            let mut digits = String::new();
            while c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                digits.push(chars.next().expect("peeked"));
            }
            match digits.parse::<usize>() {
                Ok(n) => {
                    ordered.push(args[n - 1].clone());
                    sql.push('?');
                }
                Err(_) => sql.push(c),
            }
        }
        Expr::cust_with_exprs(sql, ordered)
    }

    /// The JSON at `path` of the document, as text (PostgreSQL `->>`, SQLite `json_extract`,
    /// which gives numbers as numbers and booleans as 0/1).
    fn json(&self, path: &[&str]) -> SimpleExpr {
        if self.postgres() {
            let (last, parents) = path.split_last().expect("a path has a key");
            let mut template = "body::jsonb".to_owned();
            for i in 1..=parents.len() {
                template.push_str(&format!(" -> ${i}"));
            }
            template.push_str(&format!(" ->> ${}", path.len()));
            let keys = parents.iter().chain([last]).map(|k| Expr::val(k.to_string())).collect();
            self.cust(&format!("({template})"), keys)
        } else {
            self.cust("json_extract(body, $1)", vec![Expr::val(sqlite_path(path))])
        }
    }

    /// The JSON value at `path` (an array or a map) to iterate: the FROM item of a subquery
    /// and the expression of one of its entries.
    fn each(&self, path: &[&str], objects: bool, map: bool) -> (String, Vec<SimpleExpr>, &'static str) {
        if self.postgres() {
            let mut chain = "body::jsonb".to_owned();
            for i in 1..=path.len() {
                chain.push_str(&format!(" -> ${i}"));
            }
            let keys = path.iter().map(|k| Expr::val(k.to_string())).collect();
            let from = match (map, objects) {
                (true, _) => format!("jsonb_each_text({chain}) AS t(k, v)"),
                (false, true) => format!("jsonb_array_elements({chain}) AS t(v)"),
                (false, false) => format!("jsonb_array_elements_text({chain}) AS t(v)"),
            };
            (from, keys, "t.v")
        } else {
            ("json_each(body, $1) AS t".to_owned(), vec![Expr::val(sqlite_path(path))], "t.value")
        }
    }

    /// The single value of a source (`None` for sources with many values).
    fn value(&self, source: Source, kind: FieldKind, key: Option<&str>) -> Option<SimpleExpr> {
        let raw = match source {
            Source::Row(column) => return Some(Expr::col((Entity, row_column(column)))),
            Source::Scalar { paths: [one], .. } => self.json(one),
            Source::Scalar { paths, .. } => {
                let each: Vec<SimpleExpr> = paths.iter().map(|p| self.json(p)).collect();
                let template = (1..=each.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                self.cust(&format!("COALESCE({template})"), each)
            }
            Source::MapKey { path } => {
                let mut full: Vec<&str> = path.to_vec();
                full.push(key.unwrap_or_default());
                self.json(&full)
            }
            Source::Flag { path, on, off } => {
                let mut template = "CASE WHEN $1 = $2 THEN TRUE WHEN $1 IN (".to_owned();
                template.push_str(&(3..3 + off.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "));
                template.push_str(") THEN FALSE END");
                let mut args = vec![self.json(path), Expr::val(on)];
                args.extend(off.iter().map(|v| Expr::val(*v)));
                // A boolean on PostgreSQL, 1/0 on SQLite: each compares it with a bound boolean.
                return Some(self.cust(&format!("({template})"), args));
            }
            Source::AnyMapValue { .. } | Source::AnyElement { .. } => return None,
        };
        Some(self.typed(kind, raw))
    }

    /// PostgreSQL's `->>` gives text; numbers and booleans are compared as what they are.
    fn typed(&self, kind: FieldKind, raw: SimpleExpr) -> SimpleExpr {
        match (self.postgres(), kind) {
            (true, FieldKind::Integer) => self.cust("CAST($1 AS BIGINT)", vec![raw]),
            (true, FieldKind::Decimal) => self.cust("CAST($1 AS DOUBLE PRECISION)", vec![raw]),
            (true, FieldKind::Bool) => self.cust("CAST($1 AS BOOLEAN)", vec![raw]),
            _ => raw,
        }
    }

    /// The value as ORDER BY reads it: text byte-wise on PostgreSQL, as SQLite orders it.
    fn ordered(&self, kind: FieldKind, value: SimpleExpr) -> SimpleExpr {
        match (self.postgres(), kind) {
            (true, FieldKind::Text) => Expr::cust_with_expr(r#"$1 COLLATE "C""#, value),
            _ => value,
        }
    }

    /// Whether the value of a single-valued source is missing.
    fn missing(&self, source: Source, value: &SimpleExpr) -> SimpleExpr {
        match source {
            Source::Scalar { blank_is_missing: true, .. } | Source::MapKey { .. } => {
                value.clone().is_null().or(value.clone().eq(""))
            }
            _ => value.clone().is_null(),
        }
    }

    fn condition(&self, source: Source, kind: FieldKind, key: Option<&str>, test: &Test) -> SimpleExpr {
        match source {
            Source::AnyMapValue { path } => self.any(path, None, true, kind, test),
            Source::AnyElement { path, key: element_key } => self.any(path, element_key, false, kind, test),
            _ => {
                let value = self.value(source, kind, key).expect("single-valued source");
                let missing = self.missing(source, &value);
                match test {
                    Test::Null | Test::Missing => missing,
                    Test::Exists => missing.not(),
                    // A missing value matches no value test.
                    _ if matches!(source, Source::Row(_) | Source::Flag { .. }) => self.test(kind, value, test),
                    _ => missing.not().and(self.test(kind, value, test)),
                }
            }
        }
    }

    /// A test on a list or map: whether any element passes it; `missing` when none has a value.
    fn any(&self, path: Path, element_key: Option<&str>, map: bool, kind: FieldKind, test: &Test) -> SimpleExpr {
        let (from, mut args, entry) = self.each(path, element_key.is_some(), map);
        let element = match element_key {
            Some(k) if self.postgres() => Expr::cust_with_exprs(format!("({entry} ->> $1)"), [Expr::val(k)]),
            Some(k) => Expr::cust_with_exprs(format!("json_extract({entry}, ?)"), [Expr::val(sqlite_path(&[k]))]),
            None => Expr::cust(entry),
        };
        let present = element.clone().is_not_null().and(element.clone().ne(""));
        let inner = match test {
            Test::Null | Test::Missing | Test::Exists => present,
            _ => present.and(self.test(kind, element, test)),
        };
        let n = args.len() + 1;
        args.push(inner);
        let exists = self.cust(&format!("EXISTS (SELECT 1 FROM {from} WHERE ${n})"), args);
        match test {
            Test::Null | Test::Missing => exists.not(),
            _ => exists,
        }
    }

    /// A value test (not presence) on a single value.
    fn test(&self, kind: FieldKind, value: SimpleExpr, test: &Test) -> SimpleExpr {
        match test {
            Test::Eq(v) => value.eq(self.bound(v)),
            Test::In(vs) => value.is_in(vs.iter().map(|v| self.bound(v))),
            Test::Cmp(op, v) => {
                let left = if self.postgres() && kind == FieldKind::Text {
                    Expr::cust_with_expr(r#"$1 COLLATE "C""#, value)
                } else {
                    value
                };
                left.binary(cmp(*op), self.bound(v))
            }
            Test::Regex(pattern) => {
                let scanned: SimpleExpr = self.cust(&format!("substr($1, 1, {REGEX_SCAN_CHARS})"), vec![value]);
                if self.postgres() {
                    scanned.binary(BinOper::Custom("~"), pattern)
                } else {
                    // Rust's `.` skips newlines unless `s` is set; PostgreSQL's `.` matches them.
                    scanned.binary(BinOper::Custom("REGEXP"), format!("(?s){pattern}"))
                }
            }
            Test::Null | Test::Missing | Test::Exists => unreachable!("presence is tested by the caller"),
        }
    }

    /// A bound value (SQLite binds a boolean as 1/0, which is how its JSON functions give them).
    fn bound(&self, scalar: &Scalar) -> SimpleExpr {
        Expr::val(match scalar {
            Scalar::Text(s) => Value::from(s.clone()),
            Scalar::Integer(i) | Scalar::Timestamp(i) => Value::from(*i),
            Scalar::Decimal(d) => Value::from(d.parse::<f64>().expect("checked by the parser")),
            Scalar::Bool(b) => Value::from(*b),
        })
    }
}

fn cmp(op: CmpOp) -> BinOper {
    match op {
        CmpOp::Gt => BinOper::GreaterThan,
        CmpOp::Lt => BinOper::SmallerThan,
        CmpOp::Ge => BinOper::GreaterThanOrEqual,
        CmpOp::Le => BinOper::SmallerThanOrEqual,
    }
}

fn row_column(column: RowColumn) -> Column {
    match column {
        RowColumn::Id => Column::Id,
        RowColumn::Revision => Column::Revision,
        RowColumn::CreateTime => Column::CreateTime,
        RowColumn::UpdateTime => Column::UpdateTime,
    }
}

/// `$."a"."b"`: every key quoted, so a key is never read as path syntax.
fn sqlite_path(path: &[&str]) -> String {
    let mut out = "$".to_owned();
    for key in path {
        out.push_str(&format!(".\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\"")));
    }
    out
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, QueryFilter, QueryOrder, QueryTrait};

    use super::*;
    use crate::domain::query::resources::{AGENT_FIELDS, specs};
    use crate::domain::query::{parse, parse_sort};

    #[test]
    fn values_and_keys_are_bound_never_spliced() {
        let specs = specs(AGENT_FIELDS);
        let q = r#"name.x-evil:"'); DROP TABLE resources; --" tags:~(a'b) nativeTools.id:("x' OR '1'='1",y) llmConfig.temperature:>0.5 enabled:true"#;
        let query = parse(q, &specs).unwrap();
        let sort = parse_sort("name.en:desc,enabled", &specs).unwrap();
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let doc = DocQuery { fields: AGENT_FIELDS, conditions: &query.conditions, sort: &sort };
            let mut select = Entity::find().filter(doc_condition(&doc, backend));
            for (expr, order) in doc_order(&doc, backend) {
                select = select.order_by(expr, order);
            }
            let statement = select.build(backend);
            for spliced in ["DROP", "OR '1'", "a'b", "x-evil", "displayName", "toolId", "AGENT_STATUS"] {
                assert!(!statement.sql.contains(spliced), "{backend:?}: {spliced} in {}", statement.sql);
            }
            let placeholders = match backend {
                DatabaseBackend::Postgres => statement.sql.matches('$').count(),
                _ => statement.sql.matches('?').count(),
            };
            assert_eq!(placeholders, statement.values.unwrap().0.len(), "{backend:?}: {}", statement.sql);
        }
    }

    #[test]
    fn sqlite_takes_numbered_arguments_in_order() {
        let sql = Sql { backend: DatabaseBackend::Sqlite };
        let expr = sql.cust("f($2, $1, $2)", vec![Expr::val(1), Expr::val(2)]);
        let statement = Entity::find().filter(expr).build(DatabaseBackend::Sqlite);
        assert!(statement.sql.contains("f(?, ?, ?)"), "{}", statement.sql);
        let values: Vec<_> = statement.values.unwrap().0;
        assert_eq!(values, [Value::from(2), Value::from(1), Value::from(2)]);
    }

    #[test]
    fn sqlite_paths_quote_every_key() {
        assert_eq!(sqlite_path(&["displayName", "de-CH"]), r#"$."displayName"."de-CH""#);
        assert_eq!(sqlite_path(&[r#"a"b"#]), r#"$."a\"b""#);
    }
}
