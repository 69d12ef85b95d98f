//! The List `filter`: space-separated `field:value` conditions (all must hold) on top-level
//! string, enum and bool fields of a resource, and on localized texts (string maps: a value of
//! any language matches). Values may be double-quoted to contain spaces; `field:~regex` (or
//! `field:~(regex with spaces)`) matches a regular expression on string fields.

use prost_reflect::{Cardinality, Kind, MessageDescriptor};

use super::secrets::is_secret;
use crate::error::{Error, ErrorCode};

/// A validated condition on one stored JSON field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The field's JSON name, as stored.
    pub json_field: String,
    pub value: FilterValue,
    /// The field is a string map (a localized text); any of its values may match.
    pub any_value: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    Text(String),
    Bool(bool),
    /// A regular expression in the subset both stores read alike.
    Regex(String),
}

/// Whether a field holds text a condition can read: a string, or a string-to-string map.
fn text_field(field: &prost_reflect::FieldDescriptor) -> Option<bool> {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else { return None };
        let value = entry.map_entry_value_field();
        return matches!(value.kind(), Kind::String).then_some(true);
    }
    (field.cardinality() != Cardinality::Repeated).then_some(false)
}

pub fn parse(descriptor: &MessageDescriptor, filter: &str) -> Result<Vec<Condition>, Error> {
    let mut conditions = Vec::new();
    for (term, position) in split_terms(filter)? {
        let (field_name, raw) = term
            .split_once(':')
            .ok_or_else(|| invalid(position, format!("`{term}` is not of the form field:value")))?;
        let field = descriptor
            .get_field_by_json_name(field_name)
            .or_else(|| descriptor.get_field_by_name(field_name))
            .filter(|f| !is_secret(f))
            .ok_or_else(|| invalid(position, format!("unknown or unfilterable field `{field_name}`")))?;
        if is_body(descriptor, &field) {
            return Err(invalid(
                position,
                format!("`{field_name}` is a document body; filters cannot read it (filter on its metadata instead)"),
            )
            .with_meta("field", field.json_name()));
        }
        let any_value = text_field(&field)
            .ok_or_else(|| invalid(position, format!("unknown or unfilterable field `{field_name}`")))?;
        if let Some(pattern) = raw.strip_prefix('~') {
            if !any_value && field.kind() != Kind::String {
                return Err(invalid(position, format!("`{field_name}` is not text; `~` needs a text field")));
            }
            let start = position + field_name.chars().count() + 2;
            let (source, offset) = match pattern.strip_prefix('(').and_then(|p| p.strip_suffix(')')) {
                Some(inner) => (inner.to_owned(), start + 1),
                None => (unquote(pattern), start + usize::from(pattern.starts_with('"'))),
            };
            let positions: Vec<usize> = (0..=source.chars().count()).map(|i| offset + i).collect();
            let portable = super::query::pattern::portable(&source, &positions).map_err(|mut e| {
                for v in &mut e.violations {
                    v.field = "filter".into();
                }
                e
            })?;
            conditions.push(Condition {
                json_field: field.json_name().to_owned(),
                value: FilterValue::Regex(portable),
                any_value,
            });
            continue;
        }
        let value = unquote(raw);
        if any_value {
            conditions.push(Condition {
                json_field: field.json_name().to_owned(),
                value: FilterValue::Text(value),
                any_value,
            });
            continue;
        }
        let value = match field.kind() {
            Kind::String => FilterValue::Text(value),
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "true" => FilterValue::Bool(true),
                "false" => FilterValue::Bool(false),
                _ => {
                    return Err(invalid(position, format!("`{field_name}` takes true or false")));
                }
            },
            Kind::Enum(e) => {
                let wanted = value.to_ascii_uppercase();
                let prefix = format!("{}_", to_upper_snake(e.name()));
                let found = e.values().find(|v| v.name() == wanted || v.name() == format!("{prefix}{wanted}"));
                match found {
                    Some(v) => FilterValue::Text(v.name().to_owned()),
                    None => {
                        return Err(invalid(position, format!("`{value}` is not a value of `{field_name}`")));
                    }
                }
            }
            _ => {
                return Err(invalid(position, format!("unknown or unfilterable field `{field_name}`")));
            }
        };
        conditions.push(Condition { json_field: field.json_name().to_owned(), value, any_value });
    }
    Ok(conditions)
}

/// Large bodies (a document's content) live outside the rows a filter reads.
const BODIES: &[(&str, &str)] = &[("agentport.v1.Document", "content")];

fn is_body(message: &MessageDescriptor, field: &prost_reflect::FieldDescriptor) -> bool {
    BODIES.iter().any(|(m, f)| message.full_name() == *m && field.name() == *f)
}

fn invalid(position: usize, why: String) -> Error {
    let mut err = Error::invalid_field("filter", format!("at position {position}: {why}"));
    err.code = ErrorCode::InvalidFilter;
    err.with_meta("position", position.to_string())
}

/// Splits on spaces outside double quotes and parentheses; returns each term with its 0-based
/// char position.
pub fn split_terms(filter: &str) -> Result<Vec<(String, usize)>, Error> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut quoted = false;
    let mut depth = 0usize;
    for (i, c) in filter.chars().enumerate() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '(' | ')' if !quoted => {
                if current.is_empty() {
                    start = i;
                }
                depth = if c == '(' { depth + 1 } else { depth.saturating_sub(1) };
                current.push(c);
            }
            ' ' if !quoted && depth == 0 => {
                if !current.is_empty() {
                    terms.push((std::mem::take(&mut current), start));
                }
            }
            _ => {
                if current.is_empty() {
                    start = i;
                }
                current.push(c);
            }
        }
    }
    if quoted {
        return Err(invalid(filter.chars().count(), "unterminated quote".into()));
    }
    if !current.is_empty() {
        terms.push((current, start));
    }
    Ok(terms)
}

fn unquote(raw: &str) -> String {
    raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw).to_owned()
}

fn to_upper_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reflect::descriptor;
    use crate::proto::{Agent, Tool};

    #[test]
    fn parses_enum_string_and_bool_conditions() {
        let c = parse(&descriptor::<Agent>(), r#"status:active category:"anti fraud""#).unwrap();
        assert_eq!(
            c[0],
            Condition {
                json_field: "status".into(),
                value: FilterValue::Text("AGENT_STATUS_ACTIVE".into()),
                any_value: false
            }
        );
        assert_eq!(c[1].value, FilterValue::Text("anti fraud".into()));
        let t = parse(&descriptor::<Tool>(), "enabled:true type:slack").unwrap();
        assert_eq!(t[0].value, FilterValue::Bool(true));
    }

    #[test]
    fn regexes_and_localized_texts() {
        let c = parse(&descriptor::<Agent>(), "displayName:~(Compl aint) icon:~^rob displayName:Reklamation").unwrap();
        assert_eq!(
            c[0],
            Condition {
                json_field: "displayName".into(),
                value: FilterValue::Regex("Compl aint".into()),
                any_value: true
            }
        );
        assert_eq!(
            c[1],
            Condition { json_field: "icon".into(), value: FilterValue::Regex("^rob".into()), any_value: false }
        );
        assert_eq!(c[2].value, FilterValue::Text("Reklamation".into()));
        let err = parse(&descriptor::<Agent>(), "icon:~(a[").unwrap_err();
        assert_eq!(err.violations[0].field, "filter");
        assert!(parse(&descriptor::<Agent>(), "status:~ACT").is_err(), "enums take no regex");
    }

    #[test]
    fn reports_unknown_fields_and_positions() {
        let err = parse(&descriptor::<Agent>(), "status:ACTIVE nope:x").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidFilter);
        assert!(err.message.contains("position 14"), "{}", err.message);
        assert!(parse(&descriptor::<Agent>(), "tags:x").is_err());
        assert!(parse(&descriptor::<crate::proto::Secret>(), "value:guess").is_err(), "secrets are not filterable");
        let err = parse(&descriptor::<crate::proto::Document>(), "content:~(D.{0,9}c)").unwrap_err();
        assert_eq!((err.code.grpc_code(), err.metadata["field"].as_str()), (tonic::Code::InvalidArgument, "content"));
        assert!(err.message.contains("`content`"), "{}", err.message);
        assert!(parse(&descriptor::<crate::proto::Document>(), "displayName:~x").is_ok());
    }
}
