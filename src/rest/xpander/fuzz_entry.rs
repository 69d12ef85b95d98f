//! What the xpander dialect does with a caller's agent body, for the `xpander_body` fuzz
//! target: read it as a new agent (`POST /v1/agents`) and as changes to a stored one (`PATCH
//! /v1/agents/{id}`), with the checks those routes add, and render the result as the dialect's
//! `AIAgent`. Errors are fine; panics are not.

use serde_json::Value;

use super::http::{Body, blank};
use super::{agent_json, enums};

pub fn agent_body(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let body = Body(value);
    let Ok(object) = body.object() else { return };
    let mut errs = Vec::new();
    let created = agent_json::create(&object, &mut errs);
    errs.extend(blank(&object, "name"));
    errs.extend(enums::violations(&object));
    let _ = agent_json::ai_agent(&created, "fuzz", "http://127.0.0.1");

    let mut stored = crate::fuzzing::samples::agent();
    let _ = agent_json::apply(&object, &mut stored, &mut errs);
    let _ = agent_json::ai_agent(&stored, "fuzz", "http://127.0.0.1");
}
