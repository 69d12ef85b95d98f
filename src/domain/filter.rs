//! The List `filter`: space-separated `field:value` conditions (all must hold) on top-level
//! string, enum and bool fields of a resource. Values may be double-quoted to contain spaces.

use prost_reflect::{Cardinality, Kind, MessageDescriptor};

use super::secrets::is_secret;
use crate::error::{Error, ErrorCode};

/// A validated condition on one stored JSON field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The field's JSON name, as stored.
    pub json_field: String,
    pub value: FilterValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    Text(String),
    Bool(bool),
}

pub fn parse(descriptor: &MessageDescriptor, filter: &str) -> Result<Vec<Condition>, Error> {
    let mut conditions = Vec::new();
    for (term, position) in split_terms(filter)? {
        let (field_name, raw) = term
            .split_once(':')
            .ok_or_else(|| invalid(position, format!("`{term}` is not of the form field:value")))?;
        let value = unquote(raw);
        let field = descriptor
            .get_field_by_json_name(field_name)
            .or_else(|| descriptor.get_field_by_name(field_name))
            .filter(|f| f.cardinality() != Cardinality::Repeated && !is_secret(f))
            .ok_or_else(|| invalid(position, format!("unknown or unfilterable field `{field_name}`")))?;
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
        conditions.push(Condition { json_field: field.json_name().to_owned(), value });
    }
    Ok(conditions)
}

fn invalid(position: usize, why: String) -> Error {
    let mut err = Error::invalid_field("filter", format!("at position {position}: {why}"));
    err.code = ErrorCode::InvalidFilter;
    err.with_meta("position", position.to_string())
}

/// Splits on spaces outside double quotes; returns each term with its 0-based char position.
fn split_terms(filter: &str) -> Result<Vec<(String, usize)>, Error> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in filter.chars().enumerate() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => {
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
            Condition { json_field: "status".into(), value: FilterValue::Text("AGENT_STATUS_ACTIVE".into()) }
        );
        assert_eq!(c[1].value, FilterValue::Text("anti fraud".into()));
        let t = parse(&descriptor::<Tool>(), "enabled:true type:slack").unwrap();
        assert_eq!(t[0].value, FilterValue::Bool(true));
    }

    #[test]
    fn reports_unknown_fields_and_positions() {
        let err = parse(&descriptor::<Agent>(), "status:ACTIVE nope:x").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidFilter);
        assert!(err.message.contains("position 14"), "{}", err.message);
        assert!(parse(&descriptor::<Agent>(), "tags:x").is_err());
        assert!(parse(&descriptor::<crate::proto::Secret>(), "value:guess").is_err(), "secrets are not filterable");
    }
}
