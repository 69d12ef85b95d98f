//! What the xpander dialect does with a caller's agent body, for the `xpander_body` fuzz
//! target: decode it as the routes do, read it as a new agent (`POST /v1/agents`) and as
//! changes to a stored one (`PATCH /v1/agents/{id}`), and render the result as the dialect's
//! `AIAgent`. Errors are fine; panics are not.

use super::dto::AgentBuilderCreateAgentRequest;
use super::http::decode;
use super::{agent_in, agent_out};

pub fn agent_body(data: &[u8]) {
    let Ok(body) = decode::<AgentBuilderCreateAgentRequest>(data) else { return };
    let (created, _) = agent_in::create(body.clone());
    let _ = agent_out::ai_agent(&created, "fuzz", "http://127.0.0.1");

    let mut stored = crate::fuzzing::samples::agent();
    let _ = agent_in::apply(body, &mut stored);
    let _ = agent_out::ai_agent(&stored, "fuzz", "http://127.0.0.1");
}
