//! `graph`, `source_nodes` and `llm_settings` (docs/canonical-model.md, "xpander AIAgent"). An
//! item whose required enumeration value is undocumented is left out of its list; the list then
//! differs from the canonical one and travels whole in the extension.

use serde_json::Value;

use super::enums::{self, documented};
use super::fields::{Shape, required_string, required_strings, verbatim_text, verbatim_value};
use super::settings;
use crate::domain::bundle::read::{Obj, Violations, set};
use crate::domain::bundle::write::Out;
use crate::proto::{GraphItem, GraphLlmSettings, SourceNode};

pub fn write_item(item: &GraphItem) -> Option<Value> {
    let item_type = documented(&item.r#type, enums::GRAPH_ITEM_TYPES)?;
    let mut out = Out::new();
    out.string("id", &item.id)
        .put("item_id", item.item_id.as_str())
        .string("name", &item.display_name)
        .put("type", item_type)
        .opt("sub_type", documented(&item.sub_type, enums::GRAPH_ITEM_SUB_TYPES))
        .list("targets", item.targets.iter().map(String::as_str))
        .opt("settings", item.settings.as_ref().map(settings::write))
        .some("llm_settings", item.llm_settings.iter().map(write_llm))
        .opt("is_first", item.is_first);
    Some(out.take())
}

pub fn read_item(object: &Obj, errs: &mut Violations) -> GraphItem {
    let mut item = GraphItem {
        item_id: required_string(object, "item_id", errs),
        r#type: required_string(object, "type", errs),
        targets: required_strings(object, "targets", errs),
        ..Default::default()
    };
    set(&mut item.id, object.string("id", errs));
    set(&mut item.display_name, object.string("name", errs));
    set(&mut item.sub_type, object.string("sub_type", errs));
    item.settings = object.object("settings", errs).map(|s| settings::read(&s, errs));
    set(&mut item.llm_settings, read_llms(object, errs));
    item.is_first = object.bool("is_first", errs);
    item
}

pub fn write_source(node: &SourceNode) -> Option<Value> {
    let node_type = documented(&node.r#type, enums::SOURCE_NODE_TYPES)?;
    let mut out = Out::new();
    out.string("id", &node.id)
        .put("type", node_type)
        .list("targets", node.targets.iter().map(String::as_str))
        .opt("metadata", verbatim_value(&node.metadata_json, Shape::Object));
    Some(out.take())
}

pub fn read_source(object: &Obj, errs: &mut Violations) -> SourceNode {
    SourceNode {
        id: object.string("id", errs).unwrap_or_default(),
        r#type: required_string(object, "type", errs),
        targets: object.strings("targets", errs).unwrap_or_default(),
        metadata_json: verbatim_text(object, "metadata", Shape::Object, errs).unwrap_or_default(),
    }
}

/// One `AIAgentGraphItemLLMSettings`, used at agent level and per graph item.
pub fn write_llm(settings: &GraphLlmSettings) -> Value {
    let mut out = Out::new();
    out.opt("type", documented(&settings.r#type, enums::LLM_SETTINGS_TYPES))
        .string("provider", &settings.provider)
        .string("model", &settings.model)
        .float("temperature", settings.temperature);
    out.take()
}

pub fn read_llms(object: &Obj, errs: &mut Violations) -> Option<Vec<GraphLlmSettings>> {
    let items = object.objects("llm_settings", errs)?;
    Some(
        items
            .iter()
            .map(|o| GraphLlmSettings {
                r#type: o.string("type", errs).unwrap_or_default(),
                provider: o.string("provider", errs).unwrap_or_default(),
                model: o.string("model", errs).unwrap_or_default(),
                temperature: o.f64("temperature", errs),
            })
            .collect(),
    )
}
