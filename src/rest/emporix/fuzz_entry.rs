//! What the Emporix dialect does with a caller's bodies, for the fuzz targets:
//! - `emporix_patch`: decode the operation array, apply it to a stored resource's Emporix JSON,
//!   read the result back as the resource and check nothing was dropped;
//! - `emporix_body`: read a PUT body as a new agent, tool, MCP server and token, with every rule
//!   of a new resource, and write what was read back as Emporix JSON.
//!
//! Errors are fine; panics are not.

use serde_json::Value;

use super::crud::{read, read_new};
use super::kinds::{Agents, Kind, McpServers, Tokens, Tools};

pub fn resource_body(data: &[u8]) {
    create::<Agents>(data);
    create::<Tools>(data);
    create::<McpServers>(data);
    create::<Tokens>(data);
}

fn create<K: Kind>(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<K::Dto>(data) else { return };
    for language in [None, Some("de")] {
        if let Ok(resource) = read_new::<K>(body.clone(), language) {
            let _ = super::crud::written::<K>("sample", &resource);
        }
    }
}
use super::patch::{self, PatchOperation};

pub fn patch_body(data: &[u8]) {
    let Ok(mut operations) = serde_json::from_slice::<Vec<PatchOperation>>(data) else { return };
    patch::localize(&mut operations, &super::crud::LOCALIZED_KEYS, "en");
    run::<Agents>(&operations, crate::fuzzing::samples::agent());
    run::<Tools>(&operations, crate::fuzzing::samples::tool());
    run::<McpServers>(&operations, crate::fuzzing::samples::mcp_server());
}

fn run<K: Kind>(operations: &[PatchOperation], resource: K::R) {
    let mut document: Value = super::crud::written::<K>("sample", &resource);
    if patch::apply(&mut document, operations, K::PATCHABLE).is_err() {
        return;
    }
    if let Ok(patched) = read::<K>(&document) {
        let _ = patch::check_kept(&super::crud::written::<K>("sample", &patched), operations);
    }
}
