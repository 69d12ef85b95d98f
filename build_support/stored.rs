//! Which contract types are stored as JSON documents (used by build.rs): the resources and job
//! results, and every message and enum they hold. pbjson-build generates proto3-JSON serde for
//! exactly these, so reading a stored document is one serde pass.

use std::collections::BTreeSet;

use prost_reflect::{DescriptorPool, Kind, MessageDescriptor};

/// The messages written to the database with `domain::json`.
const STORED: &[&str] = &[
    "Agent",
    "Tool",
    "McpServer",
    "KnowledgeBase",
    "Document",
    "Secret",
    "ExportResult",
    "ImportResult",
    "TenantSettings",
];

/// Well-known types a stored message may hold; build.rs maps each to a type with serde impls.
pub const WELL_KNOWN: &[&str] = &["google.protobuf.Timestamp"];

/// Full names (with a leading dot) of the package's types reachable from [`STORED`].
pub fn stored_types(pool: &DescriptorPool, package: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<MessageDescriptor> = STORED
        .iter()
        .map(|name| pool.get_message_by_name(&format!("{package}.{name}")).expect("a stored message is declared"))
        .collect();
    while let Some(message) = pending.pop() {
        if !seen.insert(message.full_name().to_owned()) {
            continue;
        }
        for field in message.fields() {
            match field.kind() {
                Kind::Message(m) if m.package_name() == package => pending.push(m),
                Kind::Message(m) if m.is_map_entry() => pending.push(m),
                Kind::Message(m) => assert!(
                    WELL_KNOWN.contains(&m.full_name()),
                    "{} holds {}: map it to a type with serde impls in build.rs",
                    message.full_name(),
                    m.full_name()
                ),
                Kind::Enum(e) if e.package_name() == package => {
                    seen.insert(e.full_name().to_owned());
                }
                _ => {}
            }
        }
    }
    // Map entries are generated with their message.
    seen.into_iter()
        .filter(|name| pool.get_message_by_name(name).is_none_or(|m| !m.is_map_entry()))
        .map(|name| format!(".{name}"))
        .collect()
}
