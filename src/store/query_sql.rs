//! A parsed `q` and `sort` as SeaORM conditions and order on the jobs table. Every value is a
//! bound parameter; the SQL text only ever holds column names and operators. SQLite and
//! PostgreSQL select the same rows: text compares byte-wise on both, regexes are in the
//! portable subset the parser produced, and NULLs sort as the smallest value on both.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend, Order, Value};

use super::entity::job::{Column, Entity};
use crate::domain::query::{self, CmpOp, Query, REGEX_SCAN_CHARS, Scalar, SortKey, Test};

/// All of `query`'s conditions, for a `Select<job::Entity>`.
pub fn job_condition(query: &Query, backend: DatabaseBackend) -> Condition {
    query.conditions.iter().fold(Condition::all(), |all, c| all.add(test(c, backend)))
}

/// ORDER BY terms for `sort`, with `id` last so pages are stable. A nullable key first sorts
/// on `key IS NULL` (portable; SQLite and PostgreSQL place NULLs differently by default).
pub fn job_order(sort: &[SortKey]) -> Vec<(SimpleExpr, Order)> {
    let mut terms = Vec::new();
    for key in sort {
        let Some(column) = column(key.field) else {
            tracing::error!(field = key.field, "sort field has no jobs column");
            continue;
        };
        let (order, nulls) = if key.descending { (Order::Desc, Order::Asc) } else { (Order::Asc, Order::Desc) };
        if column.def().is_null() {
            terms.push((col(column).is_null(), nulls));
        }
        terms.push((col(column), order));
    }
    if !sort.iter().any(|k| k.field == "id") {
        // Ties break by id in the direction of the last key, so an index on
        // (..., created_at, id) serves `created_at:desc` by a backward scan, with no sort step.
        let descending = sort.last().is_some_and(|k| k.descending);
        terms.push((col(Column::Id), if descending { Order::Desc } else { Order::Asc }));
    }
    terms
}

/// The column behind an API field name of [`query::JOB_FIELDS`].
fn column(field: &str) -> Option<Column> {
    Some(match field {
        "id" => Column::Id,
        "type" => Column::Type,
        "status" => Column::Status,
        "agentType" => Column::AgentType,
        "agentId" => Column::AgentId,
        "sessionId" => Column::SessionId,
        "message" => Column::Message,
        "commerceEvent" => Column::CommerceEvent,
        "background" => Column::Background,
        "attempts" => Column::Attempts,
        "metadata.version" => Column::Version,
        "metadata.createdAt" => Column::CreatedAt,
        "metadata.modifiedAt" => Column::ModifiedAt,
        "exportResult" => Column::ExportResult,
        "importResult" => Column::ImportResult,
        _ => return None,
    })
}

fn col(column: Column) -> SimpleExpr {
    Expr::col((Entity, column))
}

/// The leading characters of a column that a regex reads (`substr` counts characters on both).
fn scanned(column: Column) -> SimpleExpr {
    Func::cust("substr").arg(col(column)).arg(1i32).arg(REGEX_SCAN_CHARS as i32).into()
}

fn test(condition: &query::Condition, backend: DatabaseBackend) -> SimpleExpr {
    let Some(column) = column(condition.field) else {
        // Only a query parsed against another schema gets here; match nothing, loudly.
        tracing::error!(field = condition.field, "q field has no jobs column");
        return Expr::cust("1 = 0");
    };
    let postgres = backend == DatabaseBackend::Postgres;
    // `null`, `missing` and `exists` need nothing special on NOT NULL columns: IS NULL is
    // simply never true there, which is the wanted meaning.
    match &condition.test {
        Test::Eq(v) => col(column).eq(value(v)),
        Test::In(vs) => col(column).is_in(vs.iter().map(value)),
        Test::Cmp(op, v) => {
            // PostgreSQL orders text by the database collation; "C" is SQLite's byte order.
            let left = if postgres && matches!(v, Scalar::Text(_)) {
                Expr::cust_with_expr(r#"$1 COLLATE "C""#, col(column))
            } else {
                col(column)
            };
            left.binary(cmp(*op), value(v))
        }
        // A regex reads a bounded prefix of the value, so one row costs a bounded amount.
        Test::Regex(pattern) if postgres => scanned(column).binary(BinOper::Custom("~"), pattern),
        // Rust's `.` skips newlines unless `s` is set; PostgreSQL's `.` matches them.
        Test::Regex(pattern) => scanned(column).binary(BinOper::Custom("REGEXP"), format!("(?s){pattern}")),
        Test::Null | Test::Missing => col(column).is_null(),
        Test::Exists => col(column).is_not_null(),
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

fn value(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Text(s) => s.clone().into(),
        Scalar::Integer(i) | Scalar::Timestamp(i) => (*i).into(),
        Scalar::Bool(b) => (*b).into(),
        Scalar::Decimal(d) => d.parse::<f64>().expect("checked by the parser").into(),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{
        ActiveModelTrait, ConnectionTrait, Database, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QueryTrait,
    };

    use super::*;
    use crate::domain::query::{JOB_FIELDS, parse, parse_sort};
    use crate::store::Store;
    use crate::store::entity::job::Model;

    /// 2026-01-01T00:00:00Z in microseconds.
    const BASE: i64 = 1_767_225_600_000_000;
    const HOUR: i64 = 3_600_000_000;
    const DAY: i64 = 24 * HOUR;

    fn job(id: &str, kind: &str, status: &str, created_at: i64) -> Model {
        Model {
            tenant: "t".into(),
            id: id.into(),
            r#type: kind.into(),
            status: status.into(),
            agent_type: None,
            agent_id: None,
            session_id: None,
            message: None,
            commerce_event: None,
            background: false,
            attempts: 0,
            version: 1,
            created_at,
            modified_at: created_at + 10,
            export_result: None,
            import_result: None,
            request_id: None,
            payload: None,
            lease_owner: None,
            lease_expires_at: None,
            finished_at: None,
            trace_parent: None,
        }
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    fn rows() -> Vec<Model> {
        vec![
            Model {
                agent_type: some("support"),
                agent_id: some("agent-1"),
                session_id: some("s-1"),
                message: some("export done"),
                export_result: some("{}"),
                ..job("j01", "EXPORT", "success", BASE)
            },
            Model {
                agent_id: some("agent-2"),
                message: some("Import FAILED: bad checksum"),
                background: true,
                attempts: 3,
                version: 2,
                import_result: some("{}"),
                ..job("j02", "IMPORT", "failure", BASE + HOUR)
            },
            Model {
                agent_type: some("complaint"),
                agent_id: some("agent-1"),
                session_id: some("s-2"),
                message: some("hello world"),
                commerce_event: some("order.created"),
                attempts: 1,
                ..job("j03", "AGENT_CHAT", "in_progress", BASE + 2 * HOUR)
            },
            Model {
                agent_type: some("anti_fraud"),
                agent_id: some("agent-3"),
                session_id: some("s-3"),
                message: some("line1\nline2"),
                commerce_event: some("order.paid"),
                background: true,
                attempts: 2,
                version: 5,
                ..job("j04", "AGENT_CHAT", "success", BASE + DAY)
            },
            Model {
                agent_type: some("generic"),
                agent_id: some("agent-2"),
                ..job("j05", "EXPORT", "skipped", BASE - DAY)
            },
            Model {
                agent_type: some("support"),
                agent_id: some("agent-4"),
                session_id: some("s-4"),
                message: some("x' OR '1'='1"),
                background: true,
                attempts: 1,
                version: 3,
                ..job("j06", "IMPORT", "success", BASE + 123_456)
            },
            Model {
                message: some("); DROP TABLE jobs; --"),
                commerce_event: some("customer.created"),
                attempts: 5,
                ..job("j07", "AGENT_CHAT", "failure", BASE + 2 * DAY)
            },
            Model {
                agent_type: some("support"),
                agent_id: some("Agent-1"),
                session_id: some("s-5"),
                message: some("Export 100% done"),
                background: true,
                version: 7,
                ..job("j08", "EXPORT", "in_progress", BASE + 3 * DAY)
            },
            Model {
                agent_type: some("generic"),
                agent_id: some("agent-10"),
                session_id: some("s-1"),
                message: some("naïve café ÉTÉ"),
                commerce_event: some("order.created"),
                attempts: 10,
                ..job("j09", "AGENT_CHAT", "skipped", BASE + 4 * DAY)
            },
            Model {
                agent_id: some("agent 5"),
                message: some("a.b*c"),
                version: 0,
                ..job("j10", "IMPORT", "in_progress", BASE + 5 * DAY)
            },
            Model {
                agent_type: some("complaint"),
                agent_id: some("agent-1"),
                session_id: some("s-6"),
                message: some("digits 12345"),
                background: true,
                attempts: 2,
                version: 2,
                export_result: some("{}"),
                ..job("j11", "EXPORT", "failure", BASE + 6 * DAY)
            },
            Model {
                agent_type: some("support"),
                agent_id: some("zeta"),
                session_id: some("s-7"),
                message: some(""),
                commerce_event: some(""),
                attempts: 4,
                version: 4,
                ..job("j12", "AGENT_CHAT", "success", BASE + 7 * DAY)
            },
            // Another tenant's row matches everything; the tenant filter must keep it out.
            Model { tenant: "other".into(), ..job("j01", "EXPORT", "success", BASE) },
        ]
    }

    const ALL: &str = "j01 j02 j03 j04 j05 j06 j07 j08 j09 j10 j11 j12";

    /// (q, sort, expected ids in order).
    const CASES: &[(&str, &str, &str)] = &[
        ("", "", ALL),
        ("   ", "", ALL),
        ("type:EXPORT", "", "j01 j05 j08 j11"),
        ("type:export", "", "j01 j05 j08 j11"),
        ("status:SUCCESS", "", "j01 j04 j06 j12"),
        ("agentType:support", "", "j01 j06 j08 j12"),
        ("agentType:null", "", "j02 j07 j10"),
        ("agentType:missing", "", "j02 j07 j10"),
        ("agentType:exists", "", "j01 j03 j04 j05 j06 j08 j09 j11 j12"),
        ("agentType:(Generic,ANTI_FRAUD)", "", "j04 j05 j09"),
        ("agentId:agent-1", "", "j01 j03 j11"),
        (r#"agentId:"agent 5""#, "", "j10"),
        (r#"agentId:(agent-2, "agent 5",zeta)"#, "", "j02 j05 j10 j12"),
        ("agentId:>agent-2", "", "j04 j06 j12"),
        ("agentId:<=agent-1", "", "j01 j03 j08 j10 j11"),
        ("agentId:(>=agent-1 AND <agent-2)", "", "j01 j03 j09 j11"),
        ("sessionId:null", "", "j02 j05 j07 j10"),
        ("sessionId:exists", "", "j01 j03 j04 j06 j08 j09 j11 j12"),
        ("sessionId:s-1", "", "j01 j09"),
        ("message:~FAILED", "", "j02"),
        ("message:~failed", "", ""),
        ("message:~(FAILED: bad)", "", "j02"),
        ("message:(~hello wor)", "", "j03"),
        ("message:~^line1.line2$", "", "j04"),
        ("message:~line1$", "", ""),
        (r#"message:~"a\.b\*c""#, "", "j10"),
        (r"message:~\d{5}", "", "j11"),
        (r"message:~\d\d\d%", "", "j08"),
        ("message:~caf[eé]", "", "j09"),
        ("message:~É", "", "j09"),
        ("message:~(^x|DROP)", "", "j06 j07"),
        ("message:~[[:upper:]]{3}", "", "j02 j07"),
        (r"message:~^\w+\s\w+$", "", "j01 j03 j04 j11"),
        ("message:~^$", "", "j12"),
        ("message:~(a(b|\\.)+)", "", "j10"),
        (r#"message:"x' OR '1'='1""#, "", "j06"),
        (r#"message:"); DROP TABLE jobs; --""#, "", "j07"),
        (r#"message:"""#, "", "j12"),
        ("message:null", "", "j05"),
        ("commerceEvent:order.created", "", "j03 j09"),
        ("commerceEvent:(order.created,order.paid)", "", "j03 j04 j09"),
        (r"commerceEvent:~^order\.", "", "j03 j04 j09"),
        ("background:true", "", "j02 j04 j06 j08 j11"),
        ("background:FALSE", "", "j01 j03 j05 j07 j09 j10 j12"),
        ("attempts:>2", "", "j02 j07 j09 j12"),
        ("attempts:(0,1)", "", "j01 j03 j05 j06 j08 j10"),
        ("attempts:(>=1 AND <=3)", "", "j02 j03 j04 j06 j11"),
        ("attempts:null", "", ""),
        ("attempts:exists", "", ALL),
        ("metadata.version:5", "", "j04"),
        ("metadata.version:<1", "", "j10"),
        (r#"metadata.createdAt:>="2026-01-02T00:00:00Z""#, "", "j04 j07 j08 j09 j10 j11 j12"),
        (r#"metadata.createdAt:(>="2026-01-01T00:00:00.000Z" AND <"2026-01-01T23:59:59.000Z")"#, "", "j01 j02 j03 j06"),
        (r#"metadata.createdAt:"2026-01-01T00:00:00.123456Z""#, "", "j06"),
        (r#"metadata.createdAt:<"2026-01-01T01:00:00+01:00""#, "", "j05"),
        ("metadata.modifiedAt:missing", "", ""),
        ("exportResult:exists", "", "j01 j11"),
        ("importResult:exists", "", "j02"),
        ("exportResult:missing", "", "j02 j03 j04 j05 j06 j07 j08 j09 j10 j12"),
        ("id:(j01,j02) status:success", "", "j01"),
        ("type:AGENT_CHAT status:(success,failure) agentType:exists", "", "j04 j12"),
        ("id:~^j1", "", "j10 j11 j12"),
        ("id:>j10", "id:desc", "j12 j11"),
        ("", "agentType", "j02 j07 j10 j04 j03 j11 j05 j09 j01 j06 j08 j12"),
        ("", "agentType:desc", "j12 j08 j06 j01 j09 j05 j11 j03 j04 j10 j07 j02"),
        ("", "agentId", "j07 j08 j10 j01 j03 j11 j09 j02 j05 j04 j06 j12"),
        ("type:EXPORT", "metadata.createdAt:DESC", "j11 j08 j01 j05"),
        ("", "background:desc,attempts", "j08 j06 j04 j11 j02 j01 j05 j10 j03 j12 j07 j09"),
    ];

    async fn ids(store: &Store, q: &str, sort: &str) -> String {
        let query = parse(q, JOB_FIELDS).unwrap();
        let sort = parse_sort(sort, JOB_FIELDS).unwrap();
        let mut select = Entity::find().filter(Column::Tenant.eq("t")).filter(job_condition(&query, store.backend()));
        for (expr, order) in job_order(&sort) {
            select = select.order_by(expr, order);
        }
        let rows = select.all(store.db()).await.unwrap();
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// Patterns that poke at where the engines differ; each must select exactly the rows Rust
    /// `regex` (the SQLite side) selects, on whichever store runs.
    const PATTERNS: &[&str] = &[
        r"a.b",
        r"^$",
        r"\d+",
        r"\d{3}%",
        r"[[:punct:]]{2}",
        r"[[:space:]]",
        r"\s\S",
        r"\W\w",
        r"[^a-z ]",
        r"[\^\-\]]",
        r"\.\*",
        r"é|É",
        r"[à-ü]",
        r"^(.)*$",
        r"^.{20,}$",
        r"'1'",
        r"[\t\n]",
        r"e$",
        r"^(?:x|\)).",
        r"o{1,2}?",
        r"[[:xdigit:]]{4,}",
        r"[[:blank:]][[:upper:]]",
        r"#|&|~|%",
        r"[&~%]",
        r"a**",
        r"(a|)+b",
        r"x{0}y?",
        r"\A[A-Z]",
        r"done\z",
        r"(?P<w>o)r",
        r"\x41|\u00e9",
        r"[[:word:]]+\.",
        r"\{|\}|\$",
    ];

    async fn regexes_agree_with_rust(store: &Store) -> Vec<String> {
        let messages: Vec<(String, Option<String>)> =
            rows().into_iter().filter(|r| r.tenant == "t").map(|r| (r.id, r.message)).collect();
        let mut failures = Vec::new();
        for pattern in PATTERNS {
            let q = format!(r#"message:~"{}""#, pattern.replace('\\', r"\\").replace('"', r#"\""#));
            let query = match parse(&q, JOB_FIELDS) {
                Ok(query) => query,
                Err(e) => {
                    failures.push(format!("{q}: {e}"));
                    continue;
                }
            };
            let Test::Regex(portable) = &query.conditions[0].test else { unreachable!("a regex condition") };
            let rust = ::regex::Regex::new(&format!("(?s){portable}")).unwrap();
            let want: Vec<&str> = messages
                .iter()
                .filter(|(_, m)| m.as_deref().is_some_and(|m| rust.is_match(m)))
                .map(|(id, _)| id.as_str())
                .collect();
            let got = ids(store, &q, "").await;
            if got != want.join(" ") {
                failures.push(format!("{q} ({portable}): got [{got}], Rust says [{}]", want.join(" ")));
            }
        }
        failures
    }

    async fn check_every_form(store: Store) {
        for row in rows() {
            row.into_active_model().insert(store.db()).await.unwrap();
        }
        let mut failures = Vec::new();
        for (q, sort, expected) in CASES {
            let got = ids(&store, q, sort).await;
            if got != *expected {
                failures.push(format!("q={q:?} sort={sort:?}: got [{got}], want [{expected}]"));
            }
        }
        failures.extend(regexes_agree_with_rust(&store).await);
        assert!(failures.is_empty(), "{:?}:\n{}", store.backend(), failures.join("\n"));
        // The injection-shaped values were data: the table is still there, whole.
        assert_eq!(ids(&store, "", "").await, ALL);
    }

    #[tokio::test]
    async fn every_form_selects_the_expected_rows_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        check_every_form(store).await;
    }

    /// Runs when AGENTPORT_TEST_DATABASE_URL names a PostgreSQL server to create a scratch
    /// database on; passes without it, as the rest of the suite does.
    #[tokio::test]
    async fn every_form_selects_the_expected_rows_on_postgres() {
        let admin_url = std::env::var("AGENTPORT_TEST_DATABASE_URL").unwrap_or_default();
        if admin_url.is_empty() {
            eprintln!("AGENTPORT_TEST_DATABASE_URL not set; skipping the PostgreSQL run");
            return;
        }
        let name = format!("agentport_q_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url).await.unwrap();
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("URL has a path").0);
        // Run in a task so that any panic still lets the database be dropped below.
        let outcome = tokio::spawn(async move {
            let store = Store::connect(&url).await.unwrap();
            store.migrate().await.unwrap();
            check_every_form(store).await;
        })
        .await;
        admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    #[test]
    fn values_are_bound_never_spliced() {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let q = r#"message:"); DROP TABLE jobs; --" agentId:(>="x' OR '1'='1" AND <z) sessionId:~(a'b)"#;
            let query = parse(q, JOB_FIELDS).unwrap();
            let statement = Entity::find().filter(job_condition(&query, backend)).build(backend);
            assert!(!statement.sql.contains("DROP"), "{}", statement.sql);
            assert!(!statement.sql.contains("OR '1'"), "{}", statement.sql);
            assert!(!statement.sql.contains("a'b"), "{}", statement.sql);
            // Four values, plus the two bounds of the regex's `substr`.
            assert_eq!(statement.values.unwrap().0.len(), 6);
        }
    }

    #[test]
    fn every_job_field_has_a_column_and_id_breaks_ties() {
        for spec in JOB_FIELDS {
            assert!(column(spec.name).is_some(), "{} has no column", spec.name);
            assert_eq!(column(spec.name).unwrap().def().is_null(), spec.nullable, "{}", spec.name);
        }
        assert_eq!(job_order(&[]).len(), 1);
        let sort = parse_sort("id:desc", JOB_FIELDS).unwrap();
        assert_eq!(job_order(&sort).len(), 1, "id is not repeated");
        let sort = parse_sort("agentType,attempts", JOB_FIELDS).unwrap();
        assert_eq!(job_order(&sort).len(), 4, "is-null term, agentType, attempts, id");
    }
}
