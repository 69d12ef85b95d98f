//! The AIP annotations on the contracts (`google.api.resource`, `google.api.field_behavior`,
//! `google.api.resource_reference`), checked against what the service does: generated clients
//! and linters read them, so a wrong one misleads every caller.

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost_reflect::{FieldDescriptor, MessageDescriptor, Value};

    use crate::domain::reflect::{POOL, SECRET_OPTION};

    const IDENTIFIER: i32 = 8;
    const REQUIRED: i32 = 2;
    const OPTIONAL: i32 = 1;
    const OUTPUT_ONLY: i32 = 3;
    const INPUT_ONLY: i32 = 4;

    fn ours() -> impl Iterator<Item = MessageDescriptor> {
        POOL.all_messages().filter(|m| m.package_name() == "agentport.v1")
    }

    fn behaviors(field: &FieldDescriptor) -> Vec<i32> {
        let ext = POOL.get_extension_by_name("google.api.field_behavior").expect("field_behavior is declared");
        match field.options().get_extension(&ext).as_ref() {
            Value::List(values) => values.iter().filter_map(Value::as_enum_number).collect(),
            _ => Vec::new(),
        }
    }

    fn string_option(message: &prost_reflect::DynamicMessage, field: &str) -> Vec<String> {
        match message.get_field_by_name(field).as_deref() {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::List(values)) => values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        }
    }

    /// Resource types declared by a message or a file, with their patterns.
    fn declared_resources() -> Vec<(String, Vec<String>, Option<MessageDescriptor>)> {
        let resource = POOL.get_extension_by_name("google.api.resource").expect("resource is declared");
        let definition =
            POOL.get_extension_by_name("google.api.resource_definition").expect("resource_definition is declared");
        let mut out = Vec::new();
        for message in ours().filter(|m| m.options().has_extension(&resource)) {
            if let Value::Message(r) = message.options().get_extension(&resource).as_ref() {
                out.push((string_option(r, "type").concat(), string_option(r, "pattern"), Some(message)));
            }
        }
        for file in POOL.files().filter(|f| f.package_name() == "agentport.v1") {
            if let Value::List(defs) = file.options().get_extension(&definition).as_ref() {
                for d in defs.iter().filter_map(Value::as_message) {
                    out.push((string_option(d, "type").concat(), string_option(d, "pattern"), None));
                }
            }
        }
        out
    }

    #[test]
    fn every_resource_declares_its_type_and_pattern_and_an_identifier_name() {
        let resources = declared_resources();
        let messages: BTreeSet<String> =
            resources.iter().filter_map(|(_, _, m)| m.as_ref().map(|m| m.name().to_owned())).collect();
        let expected = [
            "Agent",
            "ApiKey",
            "Document",
            "Job",
            "KnowledgeBase",
            "McpServer",
            "Secret",
            "SigningKey",
            "SigningPolicy",
            "Template",
            "TenantSettings",
            "Tool",
        ];
        assert_eq!(messages, expected.iter().map(|s| s.to_string()).collect());
        for (kind, patterns, message) in &resources {
            assert!(kind.starts_with("agentport.io/"), "{kind}");
            assert_eq!(patterns.len(), 1, "{kind}");
            assert!(patterns[0].starts_with("tenants/{tenant}"), "{kind}: {patterns:?}");
            let Some(message) = message else { continue };
            assert_eq!(kind, &format!("agentport.io/{}", message.name()));
            let name = message.get_field_by_name("name").expect("a resource has a name");
            assert_eq!(behaviors(&name), [IDENTIFIER], "{}.name", message.name());
            for field in message.fields() {
                let b = behaviors(&field);
                if ["create_time", "update_time", "revision"].contains(&field.name()) {
                    assert_eq!(b, [OUTPUT_ONLY], "{}", field.full_name());
                }
                if field.name() == "etag" {
                    assert_eq!(b, [OPTIONAL], "{}", field.full_name());
                }
            }
        }
    }

    #[test]
    fn every_secret_field_is_input_only() {
        let mut secrets = 0;
        for field in ours().flat_map(|m| m.fields().collect::<Vec<_>>()) {
            let secret = field.options().get_extension(&SECRET_OPTION).as_bool().unwrap_or(false);
            let input_only = behaviors(&field).contains(&INPUT_ONLY);
            assert_eq!(secret, input_only, "{}: secret and INPUT_ONLY go together", field.full_name());
            secrets += usize::from(secret);
        }
        assert!(secrets > 10, "found only {secrets} secret fields");
    }

    #[test]
    fn request_names_and_parents_are_required_references_to_declared_types() {
        let reference = POOL.get_extension_by_name("google.api.resource_reference").expect("declared");
        let declared: BTreeSet<String> = declared_resources().into_iter().map(|(t, _, _)| t).collect();
        let mut checked = 0;
        let requests = ours().filter(|m| m.name().ends_with("Request") || m.name().ends_with("Header"));
        for message in requests {
            for field in message.fields().filter(|f| ["name", "parent"].contains(&f.name())) {
                assert!(field.options().has_extension(&reference), "{} has no resource_reference", field.full_name());
                let Value::Message(r) = field.options().get_extension(&reference).into_owned() else {
                    panic!("{}: resource_reference is a message", field.full_name());
                };
                let kind = string_option(&r, "type").concat();
                assert!(declared.contains(&kind), "{} refers to undeclared {kind}", field.full_name());
                // An upload names either the knowledge base or the document it replaces.
                let expected = if message.name() == "UploadDocumentHeader" { OPTIONAL } else { REQUIRED };
                assert_eq!(behaviors(&field), [expected], "{}", field.full_name());
                checked += 1;
            }
        }
        assert!(checked > 40, "checked only {checked} fields");
    }
}
