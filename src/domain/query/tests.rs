//! Every grammar form, every error (position and reason), the limits.

use super::*;
use crate::error::ErrorCode;

fn conditions(q: &str) -> Vec<Condition> {
    parse(q, JOB_FIELDS).unwrap_or_else(|e| panic!("{q}: {e}")).conditions
}

fn one(q: &str) -> (&'static str, Test) {
    let mut all = conditions(q);
    assert_eq!(all.len(), 1, "{q}: {all:?}");
    let c = all.remove(0);
    (c.field, c.test)
}

fn test(q: &str) -> Test {
    one(q).1
}

fn text(s: &str) -> Scalar {
    Scalar::Text(s.to_owned())
}

fn regex(q: &str) -> String {
    match test(q) {
        Test::Regex(p) => p,
        other => panic!("{q}: {other:?}"),
    }
}

/// Asserts the error's shape and returns its position and reason.
fn fails_on(input_field: &str, result: Result<impl std::fmt::Debug, crate::error::Error>) -> (usize, String) {
    let err = result.expect_err("should fail");
    assert_eq!(err.code, ErrorCode::InvalidFilter);
    assert_eq!(err.violations.len(), 1);
    assert_eq!(err.violations[0].field, input_field);
    let position: usize = err.metadata["position"].parse().unwrap();
    let prefix = format!("at position {position}: ");
    let description = &err.violations[0].description;
    assert!(description.starts_with(&prefix), "{description}");
    (position, description[prefix.len()..].to_owned())
}

#[track_caller]
fn error(q: &str, position: usize, reason: &str) {
    let (at, why) = fails_on("q", parse(q, JOB_FIELDS));
    assert_eq!(at, position, "{q}: {why}");
    assert!(why.contains(reason), "{q}: `{why}` lacks `{reason}`");
}

#[test]
fn blank_q_has_no_conditions() {
    assert!(conditions("").is_empty());
    assert!(conditions("  \t ").is_empty());
}

#[test]
fn exact_values_bare_and_quoted() {
    assert_eq!(one("id:abc"), ("id", Test::Eq(text("abc"))));
    assert_eq!(test(r#"message:"say \"hi\" \\ now""#), Test::Eq(text(r#"say "hi" \ now"#)));
    assert_eq!(test(r#"message:"a\.b""#), Test::Eq(text(r"a\.b")));
    assert_eq!(test(r#"message:"""#), Test::Eq(text("")));
    assert_eq!(test(r#"message:"null""#), Test::Eq(text("null")));
    assert_eq!(test("agentId:a:b"), Test::Eq(text("a:b")));
}

#[test]
fn several_conditions_all_hold() {
    let all = conditions("  agentId:x \t type:IMPORT   status:SUCCESS ");
    let fields: Vec<_> = all.iter().map(|c| c.field).collect();
    assert_eq!(fields, ["agentId", "type", "status"]);
    assert_eq!(all[1].test, Test::Eq(text("IMPORT")));
    assert_eq!(all[2].test, Test::Eq(text("success")));
}

#[test]
fn enums_match_case_insensitively_and_normalize() {
    assert_eq!(test("type:agent_chat"), Test::Eq(text("AGENT_CHAT")));
    assert_eq!(test("status:In_Progress"), Test::Eq(text("in_progress")));
    assert_eq!(test("agentType:ANTI_FRAUD"), Test::Eq(text("anti_fraud")));
    assert_eq!(test(r#"status:(SUCCESS, "Failure")"#), Test::In(vec![text("success"), text("failure")]));
}

#[test]
fn comparisons_on_text_integers_and_nested_paths() {
    assert_eq!(one("metadata.version:>3"), ("metadata.version", Test::Cmp(CmpOp::Gt, Scalar::Integer(3))));
    assert_eq!(test("attempts:<-1"), Test::Cmp(CmpOp::Lt, Scalar::Integer(-1)));
    assert_eq!(test("attempts:>=0"), Test::Cmp(CmpOp::Ge, Scalar::Integer(0)));
    assert_eq!(test("attempts:<=7"), Test::Cmp(CmpOp::Le, Scalar::Integer(7)));
    assert_eq!(test("id:>=abc"), Test::Cmp(CmpOp::Ge, text("abc")));
    assert_eq!(test(r#"sessionId:<"s 9""#), Test::Cmp(CmpOp::Lt, text("s 9")));
}

#[test]
fn timestamps_are_microseconds_since_the_epoch() {
    let t = Scalar::Timestamp(1_621_322_847_455_000);
    assert_eq!(test(r#"metadata.createdAt:"2021-05-18T07:27:27.455Z""#), Test::Eq(t.clone()));
    assert_eq!(test("metadata.modifiedAt:>=2021-05-18T09:27:27.455+02:00"), Test::Cmp(CmpOp::Ge, t));
    assert_eq!(
        test(r#"metadata.createdAt:"2021-05-18T07:27:27.455000000Z""#),
        Test::Eq(Scalar::Timestamp(1_621_322_847_455_000))
    );
}

#[test]
fn a_range_is_two_comparisons() {
    let all = conditions(r#"metadata.createdAt:(>="2026-01-01T00:00:00.000Z" AND <"2026-01-01T23:59:59.000Z")"#);
    assert_eq!(
        all,
        vec![
            Condition {
                field: "metadata.createdAt",
                key: None,
                test: Test::Cmp(CmpOp::Ge, Scalar::Timestamp(1_767_225_600_000_000)),
            },
            Condition {
                field: "metadata.createdAt",
                key: None,
                test: Test::Cmp(CmpOp::Lt, Scalar::Timestamp(1_767_311_999_000_000)),
            },
        ]
    );
    assert_eq!(conditions("attempts:( >=1  and  <=5 )").len(), 2);
    assert_eq!(test("attempts:(>1)"), Test::Cmp(CmpOp::Gt, Scalar::Integer(1)));
}

#[test]
fn lists() {
    assert_eq!(one(r#"agentId:(a,b,"c d")"#), ("agentId", Test::In(vec![text("a"), text("b"), text("c d")])));
    assert_eq!(test("attempts:( 1 , 2 )"), Test::In(vec![Scalar::Integer(1), Scalar::Integer(2)]));
    assert_eq!(test(r#"id:("a,b")"#), Test::In(vec![text("a,b")]));
}

#[test]
fn regex_forms() {
    assert_eq!(regex("message:~ab.c"), "ab.c");
    assert_eq!(regex("message:(~a b)"), "a b");
    assert_eq!(regex("message:( ~a b)"), "a b");
    assert_eq!(regex("message:~(a b)"), "a b");
    assert_eq!(regex(r#"message:~"a b""#), "a b");
    assert_eq!(regex("message:~(a(b|c))"), "a(b|c)");
    assert_eq!(regex(r"message:~(a\))"), r"a\)");
    assert_eq!(regex("message:~([)]x)"), "[)]x");
    assert_eq!(regex("message:~a(b)c"), "a(b)c");
    assert_eq!(one("id:~^j1").0, "id");
}

#[test]
fn regexes_are_rewritten_into_the_portable_subset() {
    assert_eq!(regex(r"message:~\d\D"), "[0-9][^0-9]");
    assert_eq!(regex(r"message:~\w\W"), "[0-9A-Za-z_][^0-9A-Za-z_]");
    assert_eq!(regex(r"message:~\s"), r"[\t\n\v\f\r ]");
    assert_eq!(regex(r"message:~[[:alpha:]\d_]"), "[A-Za-z0-9_]");
    assert_eq!(regex(r"message:~[^\]a\-z]"), r"[^\]a\-z]");
    assert_eq!(regex(r"message:~\A\.x+?\z"), r"^\.x+?$");
    assert_eq!(regex(r"message:~a{2,3}?b{4}c{5,}"), "a{2,3}?b{4}c{5,}");
    assert_eq!(regex(r#"message:~"(?P<n>x)(?:y)""#), "(x)(?:y)");
    // `~(` always opens the spaced form, so a pattern starting with a group needs quotes.
    assert_eq!(regex(r#"message:~"(a)b""#), "(a)b");
    assert_eq!(regex(r"message:~\x41\t"), r"A\t");
    assert_eq!(regex(r"message:~a\{\}"), r"a\{\}");
    assert_eq!(regex("message:~é<>"), "é<>");
    assert_eq!(regex("message:~a|"), "a|");
}

#[test]
fn presence_tests() {
    for (word, expected) in [("null", Test::Null), ("exists", Test::Exists), ("missing", Test::Missing)] {
        for field in ["message", "agentType", "attempts", "metadata.createdAt", "exportResult"] {
            assert_eq!(one(&format!("{field}:{word}")), (field, expected.clone()));
        }
    }
    assert_eq!(test("importResult:missing"), Test::Missing);
}

#[test]
fn booleans() {
    assert_eq!(test("background:true"), Test::Eq(Scalar::Bool(true)));
    assert_eq!(test("background:FALSE"), Test::Eq(Scalar::Bool(false)));
    assert_eq!(test(r#"background:"True""#), Test::Eq(Scalar::Bool(true)));
}

#[test]
fn injection_shaped_values_are_plain_text() {
    assert_eq!(test(r#"message:"x' OR '1'='1""#), Test::Eq(text("x' OR '1'='1")));
    assert_eq!(test(r#"message:"); DROP TABLE jobs; --""#), Test::Eq(text("); DROP TABLE jobs; --")));
    assert_eq!(test("agentId:x';--"), Test::Eq(text("x';--")));
}

#[test]
fn structural_errors() {
    error("status:success nope:x", 15, "unknown field `nope`");
    error("id", 0, "`id` is not a condition");
    error(":x", 0, "missing field name");
    error("id:", 3, "missing value after `id:`");
    error("id: x", 3, "missing value after `id:`");
    error("(id:x)", 0, "unexpected `(`");
    error("id:a)", 4, "`)` closes nothing");
    error("id:a )", 5, "`)` closes nothing");
    error(r#"id:a"b"#, 4, "unexpected quote");
    error(r#"id:"a"b"#, 6, "unexpected `b`");
    error(r#"message:"abc"#, 8, "unbalanced quote");
    error(r#"id:x message:"a \" b"#, 13, "unbalanced quote");
    error("id:(a,b", 3, "unbalanced parenthesis");
    error("id:(", 3, "unbalanced parenthesis");
    error("attempts:(>=1 AND <2", 9, "unbalanced parenthesis");
    error("message:~(ab", 9, "unbalanced parenthesis");
    error("message:(~ab", 8, "unbalanced parenthesis");
    error("id:(a b)", 6, "expected `,` or `)`");
    error("id:(a,)", 6, "missing value");
    error("id:()", 4, "missing value");
    error("id:(a(b))", 5, "unexpected `(`");
    error("attempts:(>=1 OR <5)", 14, "expected AND or `)`");
    error("attempts:(>=1 AND 5)", 18, "expected a comparison");
    error("attempts:(>=1 AND <5 AND >2)", 21, "expected `)`");
    error("attempts:>", 10, "missing value");
    error("agentType:(support,null)", 19, "`null` cannot be in a list");
    error("id:x\0", 4, "NUL");
    error("message:~(a)b", 12, "unexpected `b`");
}

#[test]
fn typed_value_errors() {
    error("status:done", 7, "`done` is not a value of `status`; allowed: in_progress, success, failure, skipped");
    error("status:(success,nah)", 16, "`nah` is not a value of `status`");
    error("agentType:robot", 10, "allowed: support, generic, complaint, anti_fraud");
    error("attempts:abc", 9, "`attempts` takes an integer, not `abc`");
    error("attempts:99999999999999999999", 9, "takes an integer");
    error("attempts:(>=1 AND <x)", 19, "takes an integer, not `x`");
    error("attempts:(1,2,x)", 14, "takes an integer");
    error(r#"metadata.createdAt:"2021-05-18""#, 19, "ISO-8601 instant");
    error(r#"metadata.createdAt:>"2021-05-18T07:27:27.1234567Z""#, 20, "microsecond precision");
    error("metadata.createdAt:(>=yesterday)", 22, "ISO-8601 instant");
    error("background:yes", 11, "`background` takes true or false, not `yes`");
}

#[test]
fn form_not_supported_by_kind() {
    error("status:>a", 7, "`status` cannot be compared");
    error("status:(>=a AND <b)", 7, "`status` cannot be compared");
    error("type:~EX", 5, "`type` does not support regular expressions");
    error("attempts:~1", 9, "`attempts` does not support regular expressions");
    error("metadata.createdAt:(~2026)", 19, "does not support regular expressions");
    error("background:null", 11, "`background` takes only true or false");
    error("background:(true)", 11, "takes only true or false");
    error("background:>false", 11, "takes only true or false");
    error("exportResult:abc", 13, "takes only null, exists or missing");
    error(r#"exportResult:"null""#, 13, "takes only null, exists or missing");
    error("importResult:(a)", 13, "takes only null, exists or missing");
}

#[test]
fn regex_errors_point_into_the_pattern() {
    error("message:~a(b", 10, "invalid regular expression");
    error("message:~", 9, "empty regular expression");
    error("message:~()", 10, "empty regular expression");
    error(r"message:~x\bword", 10, "word boundaries");
    error(r#"message:~"(?i)abc""#, 10, "flags");
    error("message:~x(?i:a)", 12, "flags");
    error(r"message:~\p{L}", 9, "Unicode classes");
    error("message:~a{256}", 10, "above 255");
    error("message:~[a&&b]", 10, "class operations");
    error("message:~[a[b]]", 11, "nested classes");
    error(r"message:~[\D]", 10, "negated classes");
    error("message:~[[:cntrl:]]", 10, "POSIX class");
    error(r"message:~\x00", 9, "NUL");
    // Through quote escapes: the `\b` sits at position 14 of q.
    error(r#"message:~"x\"y\b""#, 14, "word boundaries");
    // Positions count characters, not bytes.
    error("message:~é(", 10, "invalid regular expression");
    error(r#"message:"é" nope:1"#, 12, "unknown field `nope`");
}

#[test]
fn limits_are_errors_not_truncation() {
    let longest = format!("message:{}", "x".repeat(MAX_QUERY_CHARS - 8));
    assert_eq!(conditions(&longest).len(), 1);
    error(&format!("{longest}x"), MAX_QUERY_CHARS, "longer than 4096");

    let fifty = vec!["id:x"; MAX_CONDITIONS].join(" ");
    assert_eq!(conditions(&fifty).len(), MAX_CONDITIONS);
    error(&format!("{fifty} id:y"), fifty.len() + 1, "more than 50 conditions");

    let items: Vec<String> = (0..MAX_LIST_ITEMS).map(|i| i.to_string()).collect();
    let hundred = format!("attempts:({})", items.join(","));
    assert!(matches!(test(&hundred), Test::In(v) if v.len() == MAX_LIST_ITEMS));
    let over = format!("attempts:({},7)", items.join(","));
    error(&over, over.len() - 2, "more than 100 values");
}

#[test]
fn sort_keys() {
    let keys = parse_sort("metadata.createdAt:desc, id", JOB_FIELDS).unwrap();
    assert_eq!(
        keys,
        [
            SortKey { field: "metadata.createdAt", key: None, descending: true },
            SortKey { field: "id", key: None, descending: false },
        ]
    );
    let directions =
        |s: &str| -> Vec<bool> { parse_sort(s, JOB_FIELDS).unwrap().iter().map(|k| k.descending).collect() };
    assert_eq!(directions("id:DESC,status:Desc,type:asc,attempts:up,agentId"), [true, false, false, false, false]);
    assert!(parse_sort(" ", JOB_FIELDS).unwrap().is_empty());
}

#[test]
fn sort_errors() {
    let cases = [
        ("nope", 0, "unknown field `nope`"),
        ("id, nope:desc", 4, "unknown field `nope`"),
        ("message:asc", 0, "`message` is not sortable"),
        ("id,exportResult", 3, "`exportResult` is not sortable"),
        ("id,,status", 3, "missing field name"),
        ("id,", 3, "missing field name"),
        (":desc", 0, "missing field name"),
        ("id,status,id:desc", 10, "`id` is sorted on twice"),
    ];
    for (sort, position, reason) in cases {
        let (at, why) = fails_on("sort", parse_sort(sort, JOB_FIELDS));
        assert_eq!(at, position, "{sort}: {why}");
        assert!(why.contains(reason), "{sort}: {why}");
    }
}

#[test]
fn projection_fields() {
    assert_eq!(
        parse_fields("id, status,metadata.createdAt,id", JOB_PROJECTION_FIELDS).unwrap(),
        ["id", "status", "metadata.createdAt"]
    );
    assert!(parse_fields("", JOB_PROJECTION_FIELDS).unwrap().is_empty());
    assert!(parse_fields("  ", JOB_PROJECTION_FIELDS).unwrap().is_empty());
    let (at, why) = fails_on("fields", parse_fields("id,secret", JOB_PROJECTION_FIELDS));
    assert_eq!(at, 3);
    assert!(why.contains("unknown field `secret`"), "{why}");
    let (at, why) = fails_on("fields", parse_fields("id,,status", JOB_PROJECTION_FIELDS));
    assert_eq!((at, why.as_str()), (3, "missing field name"));
}

#[test]
fn job_fields_follow_the_brief() {
    let sortable: Vec<_> = JOB_FIELDS.iter().filter(|f| !f.sortable).map(|f| f.name).collect();
    assert_eq!(sortable, ["message", "exportResult", "importResult"]);
    for f in JOB_FIELDS {
        let projectable = JOB_PROJECTION_FIELDS.contains(&f.name);
        assert!(projectable, "{} is queryable but not projectable", f.name);
    }
}

/// A table with a `prefix.*` field, a decimal and a nullable boolean.
const DOC_FIELDS: &[FieldSpec] = &[
    FieldSpec { name: "name", kind: FieldKind::Text, nullable: true, sortable: false },
    FieldSpec { name: "name.*", kind: FieldKind::Text, nullable: true, sortable: true },
    FieldSpec { name: "temperature", kind: FieldKind::Decimal, nullable: true, sortable: true },
    FieldSpec { name: "memory", kind: FieldKind::Bool, nullable: true, sortable: true },
    FieldSpec { name: "enabled", kind: FieldKind::Bool, nullable: false, sortable: true },
];

#[test]
fn wildcard_fields_carry_their_key() {
    let all = parse("name.en:Apple name.de-CH:~Apf name:x", DOC_FIELDS).unwrap().conditions;
    let keys: Vec<_> = all.iter().map(|c| (c.field, c.key.as_deref())).collect();
    assert_eq!(keys, [("name.*", Some("en")), ("name.*", Some("de-CH")), ("name", None)]);
    let (at, why) = fails_on("q", parse("name.:x", DOC_FIELDS));
    assert_eq!(at, 0, "{why}");
    let (at, why) = fails_on("q", parse("name.e n:x", DOC_FIELDS));
    assert_eq!(at, 0, "{why}");
    let (at, why) = fails_on("q", parse("name.en.x:y", DOC_FIELDS));
    assert_eq!(at, 0, "{why}");
    let long = format!("name.{}:x", "a".repeat(MAX_KEY_CHARS + 1));
    assert!(parse(&long, DOC_FIELDS).is_err());
    let sort = parse_sort("name.en:desc,name.de", DOC_FIELDS).unwrap();
    assert_eq!(sort[0], SortKey { field: "name.*", key: Some("en".into()), descending: true });
    assert_eq!(sort[1].key.as_deref(), Some("de"));
    let (at, why) = fails_on("sort", parse_sort("name.en,name.en:desc", DOC_FIELDS));
    assert_eq!(at, 8, "{why}");
    assert!(fails_on("sort", parse_sort("name", DOC_FIELDS)).1.contains("not sortable"));
}

#[test]
fn decimals_and_nullable_booleans() {
    let all = parse("temperature:(>=0.1 AND <1) temperature:0.5 memory:missing", DOC_FIELDS).unwrap().conditions;
    assert_eq!(all[0].test, Test::Cmp(CmpOp::Ge, Scalar::Decimal("0.1".into())));
    assert_eq!(all[2].test, Test::Eq(Scalar::Decimal("0.5".into())));
    assert_eq!(all[3].test, Test::Missing);
    for bad in ["temperature:warm", "temperature:NaN", "temperature:inf"] {
        let (at, why) = fails_on("q", parse(bad, DOC_FIELDS));
        assert_eq!((at, why.contains("takes a number")), (12, true), "{bad}: {why}");
    }
    let (at, why) = fails_on("q", parse("enabled:null", DOC_FIELDS));
    assert_eq!(at, 8, "{why}");
    assert!(why.contains("true or false"), "{why}");
}
