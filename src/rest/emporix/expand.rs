//! `expand`: references shown as the resources they name. Without it a reference is `{id}`;
//! with it the referenced tool, MCP server or token is read (one List per kind and 100 ids,
//! through the same `q` every client can send) and shown in its place, as its own GET shows it
//! (a token as `{id, name, metadata}`, never its value). A reference to nothing stays `{id}`.

use std::collections::{BTreeSet, HashMap};

use axum::http::HeaderMap;
use serde_json::Value;

use super::RestState;
use super::crud::{Languages, render};
use super::error::ApiError;
use super::kinds::{Kind, ListPage, McpServers, Tokens, Tools};
use crate::domain::query::MAX_LIST_ITEMS;

/// The kind a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tokens,
    Tools,
    McpServers,
}

/// One documented `expand` value of a kind: the kind it reads and where its references sit in
/// the resource's JSON (`*` is every item of a list). No target: accepted, nothing to read
/// (OAuth configurations are no resource of this service).
pub struct Expansion {
    pub name: &'static str,
    pub target: Option<Target>,
    pub paths: &'static [&'static [&'static str]],
}

/// The expansions `expand` asks for, checked against what the kind documents.
pub fn parse<K: Kind>(expand: Option<&str>) -> Result<Vec<&'static Expansion>, ApiError> {
    let mut out: Vec<&'static Expansion> = Vec::new();
    for name in expand.unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(expansion) = K::EXPANSIONS.iter().find(|e| e.name == name) else {
            let known: Vec<&str> = K::EXPANSIONS.iter().map(|e| e.name).collect();
            let why = match known.is_empty() {
                true => format!("`{name}` cannot be expanded: {} hold no references", K::COLLECTION),
                false => format!("`{name}` cannot be expanded; expandable: {}", known.join(", ")),
            };
            return Err(ApiError::invalid("expand", why));
        };
        if !out.iter().any(|e| e.name == name) {
            out.push(expansion);
        }
    }
    Ok(out)
}

/// Replaces, in each rendered resource, every reference the expansions name.
pub async fn apply(
    state: &RestState,
    headers: &HeaderMap,
    parent: &str,
    expansions: &[&Expansion],
    rendered: &mut [Value],
) -> Result<(), ApiError> {
    for expansion in expansions {
        let Some(target) = expansion.target else { continue };
        let mut ids = BTreeSet::new();
        for value in rendered.iter_mut() {
            for path in expansion.paths {
                visit(value, path, &mut |reference| {
                    if let Some(id) = reference.get("id").and_then(Value::as_str) {
                        ids.insert(id.to_owned());
                    }
                });
            }
        }
        if ids.is_empty() {
            continue;
        }
        let found = read(state, headers, parent, target, ids.into_iter().collect()).await?;
        for value in rendered.iter_mut() {
            for path in expansion.paths {
                visit(value, path, &mut |reference| expand(reference, &found));
            }
        }
    }
    Ok(())
}

/// The shown form of each resource of `target` with one of `ids`, keyed by id.
async fn read(
    state: &RestState,
    headers: &HeaderMap,
    parent: &str,
    target: Target,
    ids: Vec<String>,
) -> Result<HashMap<String, Value>, ApiError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(MAX_LIST_ITEMS) {
        let quoted: Vec<String> = chunk.iter().map(|id| format!("\"{id}\"")).collect();
        let page = ListPage {
            size: chunk.len() as i32,
            skip: 0,
            q: format!("id:({})", quoted.join(",")),
            sort: String::new(),
            with_total: false,
        };
        let shown = match target {
            Target::Tokens => shown::<Tokens>(state, headers, parent, page).await?,
            Target::Tools => shown::<Tools>(state, headers, parent, page).await?,
            Target::McpServers => shown::<McpServers>(state, headers, parent, page).await?,
        };
        for value in shown {
            if let Some(id) = value.get("id").and_then(Value::as_str) {
                found.insert(id.to_owned(), value.clone());
            }
        }
    }
    Ok(found)
}

async fn shown<K: Kind>(
    state: &RestState,
    headers: &HeaderMap,
    parent: &str,
    page: ListPage,
) -> Result<Vec<Value>, ApiError> {
    let (items, _) = K::list(state, headers, parent.to_owned(), page).await?;
    let shown = items.iter().map(|r| render::<K>(r, &Languages::All));
    Ok(shown.map(|body| serde_json::to_value(body).expect("a DTO always serializes")).collect())
}

/// The referenced resource in place of `{id, ...}`; keys of the reference the resource has not
/// (an agent's `allowedOperations` of a tool) stay.
fn expand(reference: &mut Value, found: &HashMap<String, Value>) {
    let Some(Value::Object(resource)) = reference.get("id").and_then(Value::as_str).and_then(|id| found.get(id)) else {
        return;
    };
    let mut expanded = resource.clone();
    if let Value::Object(kept) = reference {
        for (key, value) in kept.iter() {
            expanded.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    *reference = Value::Object(expanded);
}

/// Calls `f` on each object at `path` (`*` stepping into every item of a list).
fn visit(value: &mut Value, path: &[&str], f: &mut impl FnMut(&mut Value)) {
    let Some((first, rest)) = path.split_first() else {
        if value.is_object() {
            f(value);
        }
        return;
    };
    match (*first, value) {
        ("*", Value::Array(items)) => items.iter_mut().for_each(|item| visit(item, rest, f)),
        (key, Value::Object(map)) => {
            if let Some(inner) = map.get_mut(key) {
                visit(inner, rest, f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_are_replaced_where_the_paths_say() {
        let mut agent = json!({
            "llmConfig": { "token": { "id": "k1" } },
            "nativeTools": [ { "id": "t1", "allowedOperations": ["sendMessage"] }, { "id": "gone" } ],
        });
        let found: HashMap<String, Value> = [
            ("k1".to_owned(), json!({ "id": "k1", "name": "OpenAI" })),
            ("t1".to_owned(), json!({ "id": "t1", "name": "Slack", "type": "slack" })),
        ]
        .into();
        visit(&mut agent, &["llmConfig", "token"], &mut |r| expand(r, &found));
        visit(&mut agent, &["nativeTools", "*"], &mut |r| expand(r, &found));
        assert_eq!(
            agent,
            json!({
                "llmConfig": { "token": { "id": "k1", "name": "OpenAI" } },
                "nativeTools": [
                    { "id": "t1", "name": "Slack", "type": "slack", "allowedOperations": ["sendMessage"] },
                    { "id": "gone" },
                ],
            })
        );
    }
}
