//! `sort` (`a:desc,b`) and `fields` (`id,status,metadata`): comma lists of field names.

use super::error::invalid;
use super::{FieldSpec, SortKey};
use crate::error::Error;

/// Sort keys, left to right in priority. Only `desc`/`DESC` sorts descending; any other
/// direction sorts ascending, as Emporix defines it. Blank `sort` gives no keys.
pub fn parse_sort(sort: &str, schema: &[FieldSpec]) -> Result<Vec<SortKey>, Error> {
    let mut keys: Vec<SortKey> = Vec::new();
    if sort.trim().is_empty() {
        return Ok(keys);
    }
    for (item, position) in items(sort) {
        let (name, direction) = item.split_once(':').unwrap_or((&item, ""));
        let name = name.trim_end();
        if name.is_empty() {
            return Err(invalid("sort", position, "missing field name"));
        }
        let (spec, key) = super::lookup(schema, name).ok_or_else(|| {
            let known: Vec<_> = schema.iter().filter(|f| f.sortable).map(|f| f.name).collect();
            invalid("sort", position, format!("unknown field `{name}`; sortable fields: {}", known.join(", ")))
        })?;
        if !spec.sortable {
            return Err(invalid("sort", position, format!("`{name}` is not sortable")));
        }
        if keys.iter().any(|k| k.field == spec.name && k.key == key) {
            return Err(invalid("sort", position, format!("`{name}` is sorted on twice")));
        }
        let direction = direction.trim();
        keys.push(SortKey { field: spec.name, key, descending: direction == "desc" || direction == "DESC" });
    }
    Ok(keys)
}

/// The projection, in the order given, without repeats. Blank `fields` selects everything,
/// which the caller sees as an empty list.
pub fn parse_fields(fields: &str, allowed: &[&str]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    if fields.trim().is_empty() {
        return Ok(out);
    }
    for (name, position) in items(fields) {
        if name.is_empty() {
            return Err(invalid("fields", position, "missing field name"));
        }
        if !allowed.contains(&name.as_str()) {
            return Err(invalid(
                "fields",
                position,
                format!("unknown field `{name}`; known fields: {}", allowed.join(", ")),
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// Comma-separated items, trimmed, each with the char position of its first non-space char.
fn items(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let (mut start, mut current) = (0, String::new());
    for (i, c) in text.chars().chain([',']).enumerate() {
        if c == ',' {
            let lead = current.chars().take_while(|c| c.is_whitespace()).count();
            out.push((current.trim().to_owned(), start + lead));
            current.clear();
            start = i + 1;
        } else {
            current.push(c);
        }
    }
    out
}
