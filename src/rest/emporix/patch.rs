//! Emporix PATCH bodies: `[{op: ADD|REMOVE|REPLACE, path: "/llmConfig/model", value}]`, applied
//! to a resource's Emporix JSON. `ADD` appends to a list (or sets a key), `REMOVE` removes a
//! key, an index or the list items equal to `value`, `REPLACE` sets the value.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::ApiError;

/// One partial update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PatchOperation {
    pub op: PatchOp,
    /// Path of the field, e.g. `/enabled` or `/llmConfig/model`; `-` as the last segment of a
    /// list path appends.
    #[schema(example = "/enabled")]
    pub path: String,
    /// The new value (`ADD`, `REPLACE`) or the list item to remove (`REMOVE`).
    #[serde(default)]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PatchOp {
    #[serde(alias = "add")]
    Add,
    #[serde(alias = "remove")]
    Remove,
    #[serde(alias = "replace")]
    Replace,
}

/// The segments of a path (`~1` is `/`, `~0` is `~`).
fn segments(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return None;
    }
    Some(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

fn field(i: usize) -> String {
    format!("[{i}].path")
}

/// Texts of localized keys sent as strings become the text of `language`.
pub fn localize(operations: &mut [PatchOperation], keys: &[&str], language: &str) {
    for operation in operations {
        let localized = keys.iter().any(|k| operation.path == format!("/{k}"));
        if localized && matches!(operation.value, Some(Value::String(_))) && operation.op != PatchOp::Remove {
            operation.path = format!("{}/{}", operation.path, language.replace('~', "~0").replace('/', "~1"));
        }
    }
}

/// Applies the operations in order; the first segment of each path must be `patchable`.
pub fn apply(document: &mut Value, operations: &[PatchOperation], patchable: &[&str]) -> Result<(), ApiError> {
    for (i, operation) in operations.iter().enumerate() {
        let path = &operation.path;
        let segments = segments(path)
            .ok_or_else(|| ApiError::invalid(&field(i), format!("`{path}` is not a path like `/enabled`")))?;
        if !patchable.contains(&segments[0].as_str()) {
            return Err(ApiError::invalid(&field(i), format!("`{path}` is not a field that can be changed")));
        }
        let value = operation.value.clone().unwrap_or(Value::Null);
        let (last, parents) = segments.split_last().expect("at least one segment");
        let parent = walk(document, parents, operation.op != PatchOp::Remove)
            .map_err(|why| ApiError::invalid(&field(i), format!("`{path}`: {why}")))?;
        let Some(parent) = parent else {
            continue;
        };
        match (operation.op, parent) {
            (PatchOp::Remove, Value::Object(map)) => match (map.get_mut(last.as_str()), operation.value.as_ref()) {
                (Some(Value::Array(items)), Some(item)) => items.retain(|x| x != item),
                _ => {
                    map.shift_remove(last.as_str());
                }
            },
            (PatchOp::Remove, Value::Array(items)) => {
                if let Some(index) = index(last, items.len(), false) {
                    items.remove(index);
                }
            }
            (PatchOp::Add, Value::Object(map)) => match map.get_mut(last.as_str()) {
                Some(Value::Array(items)) => items.push(value),
                _ => {
                    map.insert(last.clone(), value);
                }
            },
            (op, Value::Array(items)) => {
                let index = index(last, items.len(), true)
                    .ok_or_else(|| ApiError::invalid(&field(i), format!("`{path}`: no item `{last}`")))?;
                match op {
                    PatchOp::Replace if index < items.len() => items[index] = value,
                    PatchOp::Add if index < items.len() => items.insert(index, value),
                    _ => items.push(value),
                }
            }
            (_, Value::Object(map)) => {
                map.insert(last.clone(), value);
            }
            _ => unreachable!("walk returns objects and arrays only"),
        }
    }
    Ok(())
}

/// The index a segment names in a list of `len` items; `-` and `len` append when allowed.
fn index(segment: &str, len: usize, append: bool) -> Option<usize> {
    match segment {
        "-" if append => Some(len),
        _ => segment.parse().ok().filter(|&i| i < len || (append && i == len)),
    }
}

/// The object or list the segments lead to, creating missing objects when `create`;
/// `Ok(None)` when it is missing and not created.
fn walk<'a>(document: &'a mut Value, segments: &[String], create: bool) -> Result<Option<&'a mut Value>, String> {
    let mut node = document;
    for segment in segments {
        node = match node {
            Value::Object(map) => {
                let missing = map.get(segment.as_str()).is_none_or(Value::is_null);
                if missing && !create {
                    return Ok(None);
                }
                if missing {
                    map.insert(segment.clone(), Value::Object(Default::default()));
                }
                map.get_mut(segment.as_str()).expect("present or just inserted")
            }
            Value::Array(items) => {
                let len = items.len();
                let Some(i) = index(segment, len, false) else {
                    return Err(format!("no item `{segment}`"));
                };
                &mut items[i]
            }
            _ => return Err(format!("`{segment}` is inside a value that is neither an object nor a list")),
        };
    }
    match node {
        Value::Object(_) | Value::Array(_) => Ok(Some(node)),
        _ => Err("its parent is neither an object nor a list".into()),
    }
}

/// Whether a non-empty value set by `ADD` or `REPLACE` is still there once the document was
/// read and written again: a path the resource has no field for is an error, not a no-op.
pub fn check_kept(shown: &Value, operations: &[PatchOperation]) -> Result<(), ApiError> {
    for (i, operation) in operations.iter().enumerate() {
        let empty = match &operation.value {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(items)) => items.is_empty(),
            Some(Value::Object(map)) => map.is_empty(),
            Some(_) => false,
        };
        if operation.op == PatchOp::Remove || empty {
            continue;
        }
        let Some(segments) = segments(&operation.path) else {
            continue;
        };
        let mut node = Some(shown);
        for segment in segments.iter().filter(|s| s.as_str() != "-") {
            node = match node {
                Some(Value::Object(map)) => map.get(segment.as_str()),
                Some(Value::Array(items)) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
        }
        if node.is_none() {
            return Err(ApiError::invalid(&field(i), format!("`{}` is not a field of this resource", operation.path)));
        }
    }
    Ok(())
}
