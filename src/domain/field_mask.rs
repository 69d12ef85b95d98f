//! Update masks (AIP-134/161) applied generically to any resource message.

use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage};

use super::reflect::{from_dynamic, to_dynamic};
use crate::error::FieldViolation;

/// Output-only fields: never taken from an update.
const OUTPUT_ONLY: &[&str] = &["name", "revision", "etag", "create_time", "update_time"];

/// Returns `current` with the masked fields taken from `update`.
///
/// `paths` are top-level field names (proto or JSON spelling). An empty mask takes every field
/// the update sets; `*` replaces the whole resource. Output-only fields always keep their value.
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
    Ok(from_dynamic(&target))
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
    fn unknown_paths_are_named() {
        let err = apply(&agent("a", &[]), &agent("b", &[]), &["icon".into(), "nope".into()], "agent").unwrap_err();
        assert_eq!(err[0].field, "update_mask.paths[1]");
    }
}
