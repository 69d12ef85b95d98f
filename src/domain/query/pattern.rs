//! Regexes that mean the same on both stores. SQLite runs Rust `regex` (sqlx's REGEXP) and
//! PostgreSQL runs its own ARE engine (`~`); they disagree on `\b`, `\d` outside ASCII, POSIX
//! classes, flags, nested quantifiers and more. So a pattern is parsed here and re-printed in
//! the subset both read alike: literals, `.`, `^`, `$`, groups, `|`, quantifiers up to 255,
//! lazy quantifiers, `[...]` with literals and ranges, and `\d \w \s` (and negations, `[:alpha:]`
//! style classes) spelled out as ASCII sets. Anything else is refused with its position.
//! The SQL side adds `(?s)` for Rust so that `.` matches newlines as it does in PostgreSQL.
//!
//! Cost is bounded so that one row costs at most a few milliseconds on either engine: a
//! pattern has at most [`MAX_PATTERN_CHARS`] characters and expands to at most
//! [`MAX_PATTERN_COST`] positions (each literal, `.` or class is one; a counted repetition
//! `{m,n}` multiplies what it repeats by n; `*`, `+` and `?` add nothing; alternatives add up),
//! and the store matches it against the first [`REGEX_SCAN_CHARS`] characters of a value.

use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassAsciiKind, ClassPerl, ClassPerlKind, ClassSet, ClassSetItem, GroupKind,
    RepetitionKind, RepetitionRange, Span,
};

use super::error::invalid;
use crate::error::Error;

/// PostgreSQL's largest repetition count (`DUPMAX`).
const MAX_REPEAT: u32 = 255;
const NEST_LIMIT: u32 = 64;
/// Compiled-size cap for the Rust side, so a pattern cannot cost unbounded memory.
const SIZE_LIMIT: usize = 1 << 20;
/// Longest regular expression, in characters.
pub const MAX_PATTERN_CHARS: usize = 512;
/// Most positions a regular expression may expand to (see the module comment).
pub const MAX_PATTERN_COST: u64 = 256;
/// A regular expression is matched against this many leading characters of a value.
pub const REGEX_SCAN_CHARS: usize = 10_000;

const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = "\\t\\n\\v\\f\\r ";

/// Rewrites `source` into the portable subset. `positions[i]` is where the i-th char of
/// `source` sits in `q`, plus one entry for the end, so errors point into `q`.
pub(crate) fn portable(source: &str, positions: &[usize]) -> Result<String, Error> {
    let at = |offset: usize| positions[source[..offset].chars().count()];
    if source.is_empty() {
        return Err(invalid("q", at(0), "empty regular expression"));
    }
    let ast =
        ast::parse::ParserBuilder::new().nest_limit(NEST_LIMIT).build().parse(source).map_err(|e| {
            invalid("q", at(e.span().start.offset), format!("invalid regular expression: {}", e.kind()))
        })?;
    if source.chars().count() > MAX_PATTERN_CHARS {
        return Err(invalid("q", at(0), format!("regular expression is longer than {MAX_PATTERN_CHARS} characters"))
            .with_meta("limit", "regex_length"));
    }
    let expanded = cost(&ast);
    if expanded > MAX_PATTERN_COST {
        let why = format!(
            "regular expression is too complex: it expands to {expanded} positions, at most {MAX_PATTERN_COST} \
             are allowed (counted repetitions multiply what they repeat)"
        );
        return Err(invalid("q", at(0), why).with_meta("limit", "regex_complexity"));
    }
    let mut out = String::new();
    print(&ast, &mut out).map_err(|(span, why)| invalid("q", at(span.start.offset), why))?;
    ::regex::RegexBuilder::new(&format!("(?s){out}")).size_limit(SIZE_LIMIT).build().map_err(|e| {
        let why = match e {
            ::regex::Error::CompiledTooBig(_) => "regular expression is too large".to_owned(),
            other => format!("invalid regular expression: {other}"),
        };
        invalid("q", at(0), why)
    })?;
    Ok(out)
}

/// Positions the pattern expands to; saturates rather than overflows.
fn cost(ast: &Ast) -> u64 {
    match ast {
        Ast::Empty(_) | Ast::Flags(_) | Ast::Assertion(_) => 0,
        Ast::Literal(_) | Ast::Dot(_) | Ast::ClassUnicode(_) | Ast::ClassPerl(_) | Ast::ClassBracketed(_) => 1,
        Ast::Repetition(r) => {
            let times = match &r.op.kind {
                RepetitionKind::ZeroOrOne | RepetitionKind::ZeroOrMore | RepetitionKind::OneOrMore => 1,
                RepetitionKind::Range(RepetitionRange::Exactly(n) | RepetitionRange::Bounded(_, n)) => u64::from(*n),
                RepetitionKind::Range(RepetitionRange::AtLeast(n)) => u64::from(*n) + 1,
            };
            cost(&r.ast).saturating_mul(times.max(1))
        }
        Ast::Group(g) => cost(&g.ast),
        Ast::Alternation(a) => a.asts.iter().map(cost).fold(0, u64::saturating_add),
        Ast::Concat(c) => c.asts.iter().map(cost).fold(0, u64::saturating_add),
    }
}

type Refusal = (Span, String);

fn refuse<T>(span: &Span, why: &str) -> Result<T, Refusal> {
    Err((*span, why.to_owned()))
}

fn print(ast: &Ast, out: &mut String) -> Result<(), Refusal> {
    match ast {
        Ast::Empty(_) => {}
        Ast::Flags(f) => return refuse(&f.span, "regex flags are not supported"),
        Ast::Literal(l) => literal(l, false, out)?,
        Ast::Dot(_) => out.push('.'),
        Ast::Assertion(a) => match a.kind {
            AssertionKind::StartLine | AssertionKind::StartText => out.push('^'),
            AssertionKind::EndLine | AssertionKind::EndText => out.push('$'),
            _ => return refuse(&a.span, "word boundaries are not supported"),
        },
        Ast::ClassUnicode(c) => return refuse(&c.span, "Unicode classes are not supported"),
        Ast::ClassPerl(c) => {
            out.push_str(if c.negated { "[^" } else { "[" });
            out.push_str(perl(c));
            out.push(']');
        }
        Ast::ClassBracketed(c) => {
            out.push_str(if c.negated { "[^" } else { "[" });
            match &c.kind {
                ClassSet::Item(item) => class_item(item, out)?,
                ClassSet::BinaryOp(op) => {
                    return refuse(&op.span, "class operations (&&, --, ~~) are not supported");
                }
            }
            out.push(']');
        }
        Ast::Repetition(r) => {
            // PostgreSQL refuses a quantifier on a quantifier or an assertion: group those.
            let atom = matches!(
                *r.ast,
                Ast::Literal(_) | Ast::Dot(_) | Ast::ClassPerl(_) | Ast::ClassBracketed(_) | Ast::Group(_)
            );
            out.push_str(if atom { "" } else { "(?:" });
            print(&r.ast, out)?;
            out.push_str(if atom { "" } else { ")" });
            repetition(&r.op.kind, &r.op.span, out)?;
            if !r.greedy {
                out.push('?');
            }
        }
        Ast::Group(g) => {
            match &g.kind {
                GroupKind::CaptureIndex(_) | GroupKind::CaptureName { .. } => out.push('('),
                GroupKind::NonCapturing(flags) if flags.items.is_empty() => out.push_str("(?:"),
                GroupKind::NonCapturing(flags) => {
                    return refuse(&flags.span, "regex flags are not supported");
                }
            }
            print(&g.ast, out)?;
            out.push(')');
        }
        Ast::Alternation(a) => {
            for (i, branch) in a.asts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                print(branch, out)?;
            }
        }
        Ast::Concat(c) => {
            for part in &c.asts {
                print(part, out)?;
            }
        }
    }
    Ok(())
}

fn repetition(kind: &RepetitionKind, span: &Span, out: &mut String) -> Result<(), Refusal> {
    let range = match kind {
        RepetitionKind::ZeroOrOne => "?".to_owned(),
        RepetitionKind::ZeroOrMore => "*".to_owned(),
        RepetitionKind::OneOrMore => "+".to_owned(),
        // The parser guarantees min <= max, so the last count is the largest.
        RepetitionKind::Range(range) => {
            let (largest, text) = match *range {
                RepetitionRange::Exactly(n) => (n, format!("{{{n}}}")),
                RepetitionRange::AtLeast(n) => (n, format!("{{{n},}}")),
                RepetitionRange::Bounded(m, n) => (n, format!("{{{m},{n}}}")),
            };
            if largest > MAX_REPEAT {
                return refuse(span, "repetition counts above 255 are not supported");
            }
            text
        }
    };
    out.push_str(&range);
    Ok(())
}

fn class_item(item: &ClassSetItem, out: &mut String) -> Result<(), Refusal> {
    match item {
        ClassSetItem::Empty(_) => {}
        ClassSetItem::Literal(l) => literal(l, true, out)?,
        ClassSetItem::Range(r) => {
            literal(&r.start, true, out)?;
            out.push('-');
            literal(&r.end, true, out)?;
        }
        ClassSetItem::Ascii(a) => {
            if a.negated {
                return refuse(&a.span, "negated POSIX classes are not supported");
            }
            match a.kind {
                ClassAsciiKind::Alnum => out.push_str("0-9A-Za-z"),
                ClassAsciiKind::Alpha => out.push_str("A-Za-z"),
                ClassAsciiKind::Blank => out.push_str("\\t "),
                ClassAsciiKind::Digit => out.push_str(DIGIT),
                ClassAsciiKind::Lower => out.push_str("a-z"),
                ClassAsciiKind::Space => out.push_str(SPACE),
                ClassAsciiKind::Upper => out.push_str("A-Z"),
                ClassAsciiKind::Word => out.push_str(WORD),
                ClassAsciiKind::Xdigit => out.push_str("0-9A-Fa-f"),
                ClassAsciiKind::Punct => {
                    for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".chars() {
                        push_class_char(c, out);
                    }
                }
                _ => return refuse(&a.span, "this POSIX class is not supported"),
            }
        }
        ClassSetItem::Unicode(u) => return refuse(&u.span, "Unicode classes are not supported"),
        ClassSetItem::Perl(p) if p.negated => {
            return refuse(&p.span, "negated classes inside brackets are not supported");
        }
        ClassSetItem::Perl(p) => out.push_str(perl(p)),
        ClassSetItem::Bracketed(b) => {
            return refuse(&b.span, "nested classes are not supported");
        }
        ClassSetItem::Union(u) => {
            for item in &u.items {
                class_item(item, out)?;
            }
        }
    }
    Ok(())
}

/// `\d \w \s` as ASCII sets: Rust's are Unicode, PostgreSQL's follow the database locale.
fn perl(class: &ClassPerl) -> &'static str {
    match class.kind {
        ClassPerlKind::Digit => DIGIT,
        ClassPerlKind::Word => WORD,
        ClassPerlKind::Space => SPACE,
    }
}

fn literal(l: &ast::Literal, in_class: bool, out: &mut String) -> Result<(), Refusal> {
    if l.c == '\0' {
        return refuse(&l.span, "NUL cannot be matched");
    }
    if in_class {
        push_class_char(l.c, out);
    } else {
        match l.c {
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                out.push('\\');
                out.push(l.c);
            }
            c => push_plain(c, out),
        }
    }
    Ok(())
}

fn push_class_char(c: char, out: &mut String) {
    match c {
        '\\' | ']' | '[' | '-' | '^' | '&' | '~' => {
            out.push('\\');
            out.push(c);
        }
        c => push_plain(c, out),
    }
}

/// Control characters as escapes both engines read, everything else as itself.
fn push_plain(c: char, out: &mut String) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\x0b' => out.push_str("\\v"),
        '\x0c' => out.push_str("\\f"),
        c => out.push(c),
    }
}
