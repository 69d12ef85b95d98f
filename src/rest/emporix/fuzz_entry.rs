//! What the Emporix dialect does with a caller's PATCH body, for the `emporix_patch` fuzz
//! target: decode the operation array, apply it to a stored resource's Emporix JSON, read the
//! result back as the resource and check nothing was dropped. Errors are fine; panics are not.

use serde_json::Value;

use super::crud::read;
use super::kinds::{Agents, Kind, McpServers, Tools};
use super::patch::{self, PatchOperation};

pub fn patch_body(data: &[u8]) {
    let Ok(mut operations) = serde_json::from_slice::<Vec<PatchOperation>>(data) else { return };
    patch::localize(&mut operations, &super::crud::LOCALIZED_KEYS, "en");
    run::<Agents>(&operations, crate::fuzzing::samples::agent());
    run::<Tools>(&operations, crate::fuzzing::samples::tool());
    run::<McpServers>(&operations, crate::fuzzing::samples::mcp_server());
}

fn run<K: Kind>(operations: &[PatchOperation], resource: K::R) {
    let mut document: Value = K::write("sample", &resource);
    if patch::apply(&mut document, operations, K::PATCHABLE).is_err() {
        return;
    }
    if let Ok(patched) = read::<K>(&document) {
        let _ = patch::check_kept(&K::write("sample", &patched), operations);
    }
}
