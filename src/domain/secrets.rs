//! Write-only credentials. Fields marked `(agentport.v1.secret) = true` in the contracts are
//! cleared from everything the service hands out; the marks are the single source of truth:
//! build.rs turns them into [`Scrub`] impls (plain field clears, no reflection on the read
//! path), and [`find_secrets`] reads them by reflection to check that nothing survived.

use prost_reflect::{DynamicMessage, FieldDescriptor, Value};
#[cfg(test)]
use prost_reflect::{Kind, ReflectMessage};

use super::reflect::{SECRET_OPTION, to_dynamic};

/// Whether the contract marks this field as a credential.
pub fn is_secret(field: &FieldDescriptor) -> bool {
    field.options().get_extension(&SECRET_OPTION).as_bool().unwrap_or(false)
}

/// Clears every secret-marked field at any depth. Implemented for every contract message by
/// code generated from the marks.
pub trait Scrub {
    fn scrub(&mut self);
}

/// Hands every secret-marked text at any depth (a string, each item of a list, each value of
/// a map, a oneof case) to a function that may rewrite it in place: sealing before a write,
/// opening after a read. Implemented for every contract message by code generated from the
/// marks, like [`Scrub`], so the two always cover the same fields.
pub trait SecretTexts {
    fn for_each_secret(&mut self, f: &mut dyn FnMut(&mut String));
}

/// Clears every secret-marked field, at any depth.
pub fn scrub<M: Scrub>(message: &mut M) {
    message.scrub();
}

/// The same clearing by reflection: the reference the generated code is checked against.
#[cfg(test)]
fn scrub_by_reflection<M: prost::Message + prost::Name + Default>(message: &mut M) {
    let mut dynamic = to_dynamic(message);
    scrub_dynamic(&mut dynamic);
    *message = super::reflect::from_dynamic(&dynamic);
}

#[cfg(test)]
fn scrub_dynamic(message: &mut DynamicMessage) {
    for field in message.descriptor().fields() {
        if is_secret(&field) {
            message.clear_field(&field);
        } else if matches!(field.kind(), Kind::Message(_)) && message.has_field(&field) {
            for_each_message(message.get_field_mut(&field), &mut scrub_dynamic);
        }
    }
}

/// Every non-empty secret value in the message, with its field path. Empty means clean.
pub fn find_secrets<M: prost::Message + prost::Name>(message: &M) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect(&to_dynamic(message), "", &mut found);
    found
}

fn collect(message: &DynamicMessage, prefix: &str, found: &mut Vec<(String, String)>) {
    for (field, value) in message.fields() {
        let path = if prefix.is_empty() { field.name().to_owned() } else { format!("{prefix}.{}", field.name()) };
        if is_secret(&field) {
            match value {
                Value::String(s) if !s.is_empty() => found.push((path, s.clone())),
                Value::Map(map) => {
                    for (key, v) in map {
                        if let Value::String(s) = v
                            && !s.is_empty()
                        {
                            found.push((format!("{path}[{key:?}]"), s.clone()));
                        }
                    }
                }
                Value::List(items) => {
                    for (i, v) in items.iter().enumerate() {
                        if let Value::String(s) = v
                            && !s.is_empty()
                        {
                            found.push((format!("{path}[{i}]"), s.clone()));
                        }
                    }
                }
                _ => {}
            }
        } else {
            match value {
                Value::Message(m) => collect(m, &path, found),
                Value::List(items) => {
                    for (i, v) in items.iter().enumerate() {
                        if let Value::Message(m) = v {
                            collect(m, &format!("{path}[{i}]"), found);
                        }
                    }
                }
                Value::Map(map) => {
                    for (key, v) in map {
                        if let Value::Message(m) = v {
                            collect(m, &format!("{path}[{key:?}]"), found);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Applies `f` to the message, or to each message of a list or map value.
#[cfg(test)]
fn for_each_message(value: &mut Value, f: &mut impl FnMut(&mut DynamicMessage)) {
    match value {
        Value::Message(m) => f(m),
        Value::List(items) => items.iter_mut().for_each(|v| for_each_message(v, f)),
        Value::Map(map) => map.values_mut().for_each(|v| for_each_message(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Agent, GraphItem, GraphItemSettings, LlmConfig, LlmCredentials, McpSettings, Secret};

    #[test]
    fn scrubs_marked_fields_at_any_depth_and_keeps_the_rest() {
        let mut agent = Agent {
            icon: "robot".into(),
            llm: Some(LlmConfig {
                model: "gpt".into(),
                credentials: Some(LlmCredentials { name: "k".into(), value: "sk-1".into(), ..Default::default() }),
                extra_headers: [("x-key".to_owned(), "sk-2".to_owned())].into(),
                ..Default::default()
            }),
            graph: vec![GraphItem {
                item_id: "m".into(),
                settings: Some(GraphItemSettings {
                    mcp: Some(McpSettings { api_key: "sk-3".into(), url: "u".into(), ..Default::default() }),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        let found: Vec<String> = find_secrets(&agent).into_iter().map(|(_, v)| v).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        scrub(&mut agent);
        assert!(find_secrets(&agent).is_empty());
        assert_eq!(agent.icon, "robot");
        assert_eq!(agent.llm.as_ref().unwrap().credentials.as_ref().unwrap().name, "k");
        assert_eq!(agent.graph[0].settings.as_ref().unwrap().mcp.as_ref().unwrap().url, "u");

        let mut secret = Secret { display_name: "n".into(), value: "v".into(), ..Default::default() };
        scrub(&mut secret);
        assert_eq!((secret.display_name.as_str(), secret.value.as_str()), ("n", ""));
    }

    /// Every field at any depth set (secrets too, each oneof case in turn): the generated
    /// clearing leaves no secret and exactly what clearing by reflection leaves.
    fn generated_matches_the_marks<M>(cases: usize)
    where
        M: prost::Message + prost::Name + Default + Clone + PartialEq + Scrub,
    {
        for case in 0..cases {
            let full: M = crate::domain::bundle::populate::Filler::new(true, case).fill();
            let mut generated = full.clone();
            scrub(&mut generated);
            assert!(find_secrets(&generated).is_empty(), "{}: {:?}", M::full_name(), find_secrets(&generated));
            let mut reflected = full.clone();
            scrub_by_reflection(&mut reflected);
            assert!(generated == reflected, "{} case {case}: generated and reflected scrubs differ", M::full_name());
        }
    }

    /// Every field at any depth set (each oneof case in turn): the generated visitor reaches
    /// exactly the secret values the marks name, and nothing else.
    fn visitor_reaches_every_marked_value<M>(cases: usize)
    where
        M: prost::Message + prost::Name + Default + Clone + PartialEq + SecretTexts,
    {
        for case in 0..cases {
            let full: M = crate::domain::bundle::populate::Filler::new(true, case).fill();
            let mut visited = full.clone();
            visited.for_each_secret(&mut |text| *text = format!("sealed({text})"));
            let mut expected: Vec<(String, String)> =
                find_secrets(&full).into_iter().map(|(path, value)| (path, format!("sealed({value})"))).collect();
            let mut got = find_secrets(&visited);
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "{} case {case}", M::full_name());
            // Undone, the message is what it was: nothing but secret texts was touched.
            visited.for_each_secret(&mut |text| {
                *text = text.strip_prefix("sealed(").and_then(|t| t.strip_suffix(')')).unwrap_or(text).to_owned()
            });
            assert!(visited == full, "{} case {case}: the visitor changed more than the secrets", M::full_name());
        }
    }

    #[test]
    fn every_marked_value_of_every_resource_is_visited() {
        use crate::proto::*;
        visitor_reaches_every_marked_value::<Agent>(1);
        visitor_reaches_every_marked_value::<Tool>(6);
        visitor_reaches_every_marked_value::<McpServer>(1);
        visitor_reaches_every_marked_value::<KnowledgeBase>(1);
        visitor_reaches_every_marked_value::<Document>(1);
        visitor_reaches_every_marked_value::<Secret>(1);
    }

    #[test]
    fn every_marked_field_of_every_resource_is_scrubbed() {
        use crate::proto::*;
        generated_matches_the_marks::<Agent>(1);
        generated_matches_the_marks::<Tool>(6);
        generated_matches_the_marks::<McpServer>(1);
        generated_matches_the_marks::<KnowledgeBase>(1);
        generated_matches_the_marks::<Document>(1);
        generated_matches_the_marks::<Secret>(1);
        generated_matches_the_marks::<UpdateAgentRequest>(1);
        generated_matches_the_marks::<UpdateToolRequest>(6);
        generated_matches_the_marks::<UpdateMcpServerRequest>(1);
        let full: Agent = crate::domain::bundle::populate::Filler::new(true, 0).fill();
        assert!(find_secrets(&full).len() >= 10, "the filler sets the agent's secrets");
    }
}
