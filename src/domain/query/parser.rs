//! `q` grammar: conditions, value expressions, ranges and lists, and which expressions each
//! field kind accepts. The lexical work (values, quotes, regex sources) is in `scan`.

use super::pattern::portable;
use super::scan::{Scanner, Source, fail};
use super::value::scalar;
use super::{CmpOp, Condition, FieldKind, FieldSpec, MAX_CONDITIONS, MAX_LIST_ITEMS, MAX_QUERY_CHARS, Query, Test};
use crate::error::Error;

/// Parses `q` against `schema`; empty or blank `q` has no conditions.
pub fn parse(q: &str, schema: &[FieldSpec]) -> Result<Query, Error> {
    let chars: Vec<char> = q.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(fail(MAX_QUERY_CHARS, format!("q is longer than {MAX_QUERY_CHARS} characters")));
    }
    // PostgreSQL text cannot hold NUL; refusing it keeps both stores answering alike.
    if let Some(at) = chars.iter().position(|c| *c == '\0') {
        return Err(fail(at, "NUL characters are not allowed"));
    }
    let mut parser = Parser { s: Scanner { chars, pos: 0 }, schema, conditions: Vec::new(), key: None };
    let mut terms = 0;
    loop {
        parser.s.skip_spaces();
        if parser.s.peek().is_none() {
            break;
        }
        if terms == MAX_CONDITIONS {
            return Err(fail(parser.s.pos, format!("more than {MAX_CONDITIONS} conditions")));
        }
        terms += 1;
        parser.condition()?;
        if let Some(c) = parser.s.peek().filter(|c| !c.is_whitespace()) {
            return Err(parser.s.unexpected(c));
        }
    }
    Ok(Query { conditions: parser.conditions })
}

/// The shape of a value expression, checked against what the field's kind supports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Eq,
    Cmp,
    List,
    Regex,
    Presence,
}

fn check(spec: &FieldSpec, form: Form, position: usize) -> Result<(), Error> {
    let name = spec.name;
    let why = match (spec.kind, form) {
        (FieldKind::Text, _) => return Ok(()),
        (FieldKind::Bool, Form::Eq) => return Ok(()),
        (FieldKind::Bool, Form::Presence) if spec.nullable => return Ok(()),
        (FieldKind::Bool, _) => format!("`{name}` takes only true or false"),
        (FieldKind::Presence, Form::Presence) => return Ok(()),
        (FieldKind::Presence, _) => format!("`{name}` takes only null, exists or missing"),
        (_, Form::Regex) => format!("`{name}` does not support regular expressions"),
        (FieldKind::Enum(_), Form::Cmp) => format!("`{name}` cannot be compared with > < >= <="),
        _ => return Ok(()),
    };
    Err(fail(position, why))
}

/// The bare words that test presence instead of naming a value; quoted, they are plain text.
fn presence(word: &str) -> Option<Test> {
    match word {
        "null" => Some(Test::Null),
        "exists" => Some(Test::Exists),
        "missing" => Some(Test::Missing),
        _ => None,
    }
}

struct Parser<'a> {
    s: Scanner,
    schema: &'a [FieldSpec],
    conditions: Vec<Condition>,
    /// The key of the `prefix.*` field of the condition being read.
    key: Option<String>,
}

impl Parser<'_> {
    fn push(&mut self, spec: &FieldSpec, test: Test) {
        self.conditions.push(Condition { field: spec.name, key: self.key.clone(), test });
    }

    fn condition(&mut self) -> Result<(), Error> {
        let start = self.s.pos;
        while self.s.peek().is_some_and(|c| !c.is_whitespace() && !matches!(c, ':' | '(' | ')' | '"')) {
            self.s.pos += 1;
        }
        let name = self.s.text(start, self.s.pos);
        match self.s.peek() {
            Some(':') if name.is_empty() => {
                return Err(fail(start, "missing field name before `:`"));
            }
            Some(':') => {}
            Some(c) if !c.is_whitespace() => return Err(self.s.unexpected(c)),
            _ => {
                return Err(fail(start, format!("`{name}` is not a condition; expected field:value")));
            }
        }
        let (spec, key) = super::lookup(self.schema, &name).ok_or_else(|| {
            let known: Vec<_> = self.schema.iter().map(|f| f.name).collect();
            fail(start, format!("unknown field `{name}`; known fields: {}", known.join(", ")))
        })?;
        let spec = *spec;
        self.key = key;
        self.s.pos += 1;
        self.value_expr(&spec)
    }

    fn value_expr(&mut self, spec: &FieldSpec) -> Result<(), Error> {
        let at = self.s.pos;
        match self.s.peek() {
            None => Err(fail(at, format!("missing value after `{}:`", spec.name))),
            Some(c) if c.is_whitespace() => Err(fail(at, format!("missing value after `{}:`", spec.name))),
            Some('~') => {
                check(spec, Form::Regex, at)?;
                self.s.pos += 1;
                let pattern = regex(self.s.regex()?)?;
                self.push(spec, Test::Regex(pattern));
                Ok(())
            }
            Some('(') => {
                self.s.pos += 1;
                self.s.skip_spaces();
                match self.s.peek() {
                    Some('~') => {
                        check(spec, Form::Regex, at)?;
                        self.s.pos += 1;
                        let pattern = regex(self.s.balanced(at)?)?;
                        self.push(spec, Test::Regex(pattern));
                        Ok(())
                    }
                    Some('>' | '<') => {
                        check(spec, Form::Cmp, at)?;
                        self.range(spec, at)
                    }
                    _ => {
                        check(spec, Form::List, at)?;
                        self.list(spec, at)
                    }
                }
            }
            Some('>' | '<') => {
                check(spec, Form::Cmp, at)?;
                let test = self.comparison(spec, &[])?;
                self.push(spec, test);
                Ok(())
            }
            Some(_) => {
                let token = self.s.value(&[])?;
                let test = match presence(&token.text).filter(|_| !token.quoted) {
                    Some(test) => {
                        check(spec, Form::Presence, at)?;
                        test
                    }
                    None => {
                        check(spec, Form::Eq, at)?;
                        Test::Eq(scalar(spec, &token.text, token.position)?)
                    }
                };
                self.push(spec, test);
                Ok(())
            }
        }
    }

    /// `>v`, `<v`, `>=v` or `<=v`.
    fn comparison(&mut self, spec: &FieldSpec, stops: &[char]) -> Result<Test, Error> {
        let (op, width) = match (self.s.peek(), self.s.peek_second()) {
            (Some('>'), Some('=')) => (CmpOp::Ge, 2),
            (Some('<'), Some('=')) => (CmpOp::Le, 2),
            (Some('>'), _) => (CmpOp::Gt, 1),
            _ => (CmpOp::Lt, 1),
        };
        self.s.pos += width;
        let token = self.s.value(stops)?;
        Ok(Test::Cmp(op, scalar(spec, &token.text, token.position)?))
    }

    /// `(>=a AND <b)` (or a single comparison); `open` is the `(`.
    fn range(&mut self, spec: &FieldSpec, open: usize) -> Result<(), Error> {
        let first = self.comparison(spec, &[')'])?;
        self.push(spec, first);
        self.s.skip_spaces();
        if self.s.peek().is_some_and(|c| c != ')') {
            if !self.s.keyword("AND") {
                return Err(fail(self.s.pos, "expected AND or `)` in the range"));
            }
            self.s.skip_spaces();
            if !matches!(self.s.peek(), Some('>' | '<')) {
                return Err(fail(self.s.pos, "expected a comparison (>, <, >=, <=) after AND"));
            }
            let second = self.comparison(spec, &[')'])?;
            self.push(spec, second);
            self.s.skip_spaces();
        }
        match self.s.peek() {
            Some(')') => {
                self.s.pos += 1;
                Ok(())
            }
            None => Err(self.s.unclosed(open)),
            Some(_) => Err(fail(self.s.pos, "expected `)` to close the range")),
        }
    }

    /// `(a, b, "c d")`; `open` is the `(`.
    fn list(&mut self, spec: &FieldSpec, open: usize) -> Result<(), Error> {
        let mut items = Vec::new();
        loop {
            self.s.skip_spaces();
            if self.s.peek().is_none() {
                return Err(self.s.unclosed(open));
            }
            let token = self.s.value(&[',', ')'])?;
            if items.len() == MAX_LIST_ITEMS {
                return Err(fail(token.position, format!("more than {MAX_LIST_ITEMS} values in a list")));
            }
            if !token.quoted && presence(&token.text).is_some() {
                return Err(fail(
                    token.position,
                    format!(
                        "`{}` cannot be in a list; use `{}:{}` as its own condition",
                        token.text, spec.name, token.text
                    ),
                ));
            }
            items.push(scalar(spec, &token.text, token.position)?);
            self.s.skip_spaces();
            match self.s.peek() {
                Some(',') => self.s.pos += 1,
                Some(')') => {
                    self.s.pos += 1;
                    break;
                }
                None => return Err(self.s.unclosed(open)),
                Some(c) => {
                    return Err(fail(self.s.pos, format!("expected `,` or `)` in the list, found `{c}`")));
                }
            }
        }
        self.push(spec, Test::In(items));
        Ok(())
    }
}

/// Rewrites a regex source into the portable subset, with errors pointing into `q`.
fn regex(source: Source) -> Result<String, Error> {
    portable(&source.text, &source.positions)
}
