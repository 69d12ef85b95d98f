//! `graph`, `source_nodes` and `llm_settings` (docs/canonical-model.md, "xpander AIAgent"). An
//! item whose required enumeration value is undocumented is left out of its list; the list then
//! differs from the canonical one and travels whole in the extension.

use super::dto;
use super::enums::{self, documented};
use super::fields::{Shape, float, optional_items, required_strings, verbatim_text, verbatim_value};
use super::settings;
use crate::domain::bundle::fields::{given, list, opt, some_items, text};
use crate::domain::bundle::read::set;
use crate::domain::wire::Check;
use crate::proto::{GraphItem, GraphLlmSettings, SourceNode};

pub fn write_item(item: &GraphItem) -> Option<dto::GraphItem> {
    let item_type = documented(&item.r#type, enums::GRAPH_ITEM_TYPES)?;
    Some(dto::GraphItem {
        id: text(&item.id),
        item_id: given(item.item_id.clone()),
        name: text(&item.display_name),
        kind: given(item_type.to_owned()),
        sub_type: enums::written(&item.sub_type, enums::GRAPH_ITEM_SUB_TYPES),
        targets: list(&item.targets),
        settings: opt(item.settings.as_ref().map(settings::write)),
        llm_settings: some_items(item.llm_settings.iter().map(write_llm)),
        is_first: opt(item.is_first),
    })
}

pub fn read_item(c: &mut Check, given: dto::GraphItem) -> GraphItem {
    let mut item = GraphItem {
        item_id: c.required("item_id", "item_id", given.item_id).unwrap_or_default(),
        r#type: c.required("type", "type", given.kind).unwrap_or_default(),
        targets: required_strings(c, "targets", given.targets),
        ..Default::default()
    };
    set(&mut item.id, c.take("id", "id", given.id));
    set(&mut item.display_name, c.take("name", "display_name", given.name));
    set(&mut item.sub_type, c.take("sub_type", "sub_type", given.sub_type));
    if let Some(s) = c.take("settings", "settings", given.settings) {
        item.settings = Some(c.within("settings", "settings", |c| settings::read(c, s)));
    }
    set(&mut item.llm_settings, optional_items(c, "llm_settings", given.llm_settings, read_llm));
    item.is_first = c.take("is_first", "is_first", given.is_first);
    item
}

pub fn write_source(node: &SourceNode) -> Option<dto::SourceNode> {
    let node_type = documented(&node.r#type, enums::SOURCE_NODE_TYPES)?;
    Some(dto::SourceNode {
        id: text(&node.id),
        kind: given(node_type.to_owned()),
        targets: list(&node.targets),
        metadata: opt(verbatim_value(&node.metadata_json, Shape::Object)),
    })
}

pub fn read_source(c: &mut Check, given: dto::SourceNode) -> SourceNode {
    SourceNode {
        id: c.take("id", "id", given.id).unwrap_or_default(),
        r#type: c.required("type", "type", given.kind).unwrap_or_default(),
        targets: c.strings("targets", "targets", given.targets).unwrap_or_default(),
        metadata_json: verbatim_text(c, "metadata", given.metadata, Shape::Object).unwrap_or_default(),
    }
}

/// One `AIAgentGraphItemLLMSettings`, used at agent level and per graph item.
pub fn write_llm(settings: &GraphLlmSettings) -> dto::LlmSettings {
    dto::LlmSettings {
        kind: enums::written(&settings.r#type, enums::LLM_SETTINGS_TYPES),
        provider: text(&settings.provider),
        model: text(&settings.model),
        temperature: float(settings.temperature),
    }
}

pub fn read_llm(c: &mut Check, given: dto::LlmSettings) -> GraphLlmSettings {
    GraphLlmSettings {
        r#type: c.take("type", "type", given.kind).unwrap_or_default(),
        provider: c.take("provider", "provider", given.provider).unwrap_or_default(),
        model: c.take("model", "model", given.model).unwrap_or_default(),
        temperature: c.take("temperature", "temperature", given.temperature),
    }
}
