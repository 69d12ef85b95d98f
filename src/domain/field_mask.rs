//! Update masks (AIP-134/161) applied generically to any resource message.

use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value};

use super::reflect::{from_dynamic, to_dynamic};
use super::secrets::is_secret;
use crate::error::FieldViolation;

/// Output-only fields: never taken from an update.
const OUTPUT_ONLY: &[&str] = &["name", "revision", "etag", "create_time", "update_time"];

/// Returns `current` with the masked fields taken from `update`.
///
/// `paths` are top-level field names (proto or JSON spelling). An empty mask takes every field
/// the update sets; `*` replaces the whole resource. Output-only fields always keep their value.
/// Write-only (secret) fields left empty by the update keep their stored value, at any depth:
/// callers can never read them back, so they could never resend them. A mask naming the secret
/// field itself replaces it.
pub fn apply<M: prost::Message + prost::Name + Default>(
    current: &M,
    update: &M,
    paths: &[String],
    field_prefix: &str,
) -> Result<M, Vec<FieldViolation>> {
    let mut target = to_dynamic(current);
    let source = to_dynamic(update);
    let descriptor = target.descriptor();
    let fields = resolve(&descriptor, &source, paths, field_prefix)?;
    for field in fields {
        if OUTPUT_ONLY.contains(&field.name()) {
            continue;
        }
        if source.has_field(&field) {
            target.set_field(&field, source.get_field(&field).into_owned());
        } else {
            target.clear_field(&field);
        }
    }
    keep_secrets(&mut target, &to_dynamic(current), "", paths);
    Ok(from_dynamic(&target))
}

/// Restores stored secret values that `merged` left empty, unless `explicit` names the field.
fn keep_secrets(merged: &mut DynamicMessage, stored: &DynamicMessage, prefix: &str, explicit: &[String]) {
    for field in merged.descriptor().fields() {
        let path = format!("{prefix}{}", field.name());
        if is_secret(&field) {
            let named = explicit.iter().any(|p| *p == path || *p == format!("{prefix}{}", field.json_name()));
            if !named && !merged.has_field(&field) && stored.has_field(&field) {
                merged.set_field(&field, stored.get_field(&field).into_owned());
            }
            continue;
        }
        if !matches!(field.kind(), Kind::Message(_)) || !merged.has_field(&field) || !stored.has_field(&field) {
            continue;
        }
        let stored_value = stored.get_field(&field).into_owned();
        match (merged.get_field_mut(&field), stored_value) {
            (Value::Message(m), Value::Message(s)) => keep_secrets(m, &s, &format!("{path}."), explicit),
            // Lists sent back as read (same length) keep their items' secrets by position.
            (Value::List(ms), Value::List(ss)) if ms.len() == ss.len() => {
                for (i, (m, s)) in ms.iter_mut().zip(ss.iter()).enumerate() {
                    if let (Value::Message(m), Value::Message(s)) = (m, s) {
                        keep_secrets(m, s, &format!("{path}[{i}]."), explicit);
                    }
                }
            }
            _ => {}
        }
    }
}

fn resolve(
    descriptor: &MessageDescriptor,
    source: &DynamicMessage,
    paths: &[String],
    field_prefix: &str,
) -> Result<Vec<prost_reflect::FieldDescriptor>, Vec<FieldViolation>> {
    if paths.is_empty() {
        return Ok(descriptor.fields().filter(|f| source.has_field(f)).collect());
    }
    if paths.iter().any(|p| p == "*") {
        return if paths.len() == 1 {
            Ok(descriptor.fields().collect())
        } else {
            Err(vec![FieldViolation::new("update_mask", "`*` cannot be combined with other paths")])
        };
    }
    let mut fields = Vec::new();
    let mut violations = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let found = descriptor.get_field_by_name(path).or_else(|| descriptor.get_field_by_json_name(path));
        match found {
            Some(field) => fields.push(field),
            None if path.contains('.') => violations.push(FieldViolation::new(
                format!("update_mask.paths[{i}]"),
                format!("`{path}`: only top-level fields of {field_prefix} can be masked"),
            )),
            None => violations.push(FieldViolation::new(
                format!("update_mask.paths[{i}]"),
                format!("`{path}` is not a field of {field_prefix}"),
            )),
        }
    }
    if violations.is_empty() { Ok(fields) } else { Err(violations) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Agent;

    fn agent(icon: &str, tags: &[&str]) -> Agent {
        Agent {
            icon: icon.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            revision: 3,
            ..Default::default()
        }
    }

    #[test]
    fn masked_fields_replace_and_others_stay() {
        let current = agent("robot", &["a"]);
        let update = Agent { icon: "cat".into(), revision: 99, ..Default::default() };
        let merged = apply(&current, &update, &["icon".into(), "tags".into(), "revision".into()], "agent").unwrap();
        assert_eq!(merged.icon, "cat");
        assert!(merged.tags.is_empty());
        assert_eq!(merged.revision, 3);
        let implied = apply(&current, &update, &[], "agent").unwrap();
        assert_eq!((implied.icon.as_str(), implied.tags.len()), ("cat", 1));
    }

    #[test]
    fn empty_secrets_keep_their_stored_values_unless_named() {
        use crate::proto::{GraphItem, GraphItemSettings, LlmConfig, LlmCredentials, McpSettings, Secret};
        let stored = Agent {
            llm: Some(LlmConfig {
                model: "old".into(),
                credentials: Some(LlmCredentials { name: "k".into(), value: "sk-1".into(), ..Default::default() }),
                ..Default::default()
            }),
            graph: vec![GraphItem {
                settings: Some(GraphItemSettings {
                    mcp: Some(McpSettings { api_key: "mcp-key".into(), ..Default::default() }),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        // What a caller read (secrets scrubbed), with one change.
        let mut update = stored.clone();
        crate::domain::secrets::scrub(&mut update);
        update.llm.as_mut().unwrap().model = "new".into();
        let merged = apply(&stored, &update, &["llm".into(), "graph".into()], "agent").unwrap();
        let llm = merged.llm.unwrap();
        assert_eq!((llm.model.as_str(), llm.credentials.unwrap().value.as_str()), ("new", "sk-1"));
        assert_eq!(merged.graph[0].settings.as_ref().unwrap().mcp.as_ref().unwrap().api_key, "mcp-key");

        let secret = Secret { display_name: "s".into(), value: "v1".into(), ..Default::default() };
        let rename = Secret { display_name: "t".into(), ..Default::default() };
        assert_eq!(apply(&secret, &rename, &["*".into()], "secret").unwrap().value, "v1");
        let rotate = Secret { value: "v2".into(), ..Default::default() };
        assert_eq!(apply(&secret, &rotate, &["value".into()], "secret").unwrap().value, "v2");
        assert_eq!(
            apply(&secret, &Secret::default(), &["value".into()], "secret").unwrap().value,
            "",
            "naming it clears it"
        );
    }

    #[test]
    fn unknown_paths_are_named() {
        let err = apply(&agent("a", &[]), &agent("b", &[]), &["icon".into(), "nope".into()], "agent").unwrap_err();
        assert_eq!(err[0].field, "update_mask.paths[1]");
    }
}
