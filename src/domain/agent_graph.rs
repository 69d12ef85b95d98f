//! How agents refer to each other.

use std::collections::BTreeSet;

use crate::proto::Agent;

/// Ids of the sub-agents an agent hands work to: Emporix collaborations and xpander graph items
/// of type `agent`, in id order.
pub fn sub_agent_ids(agent: &Agent) -> BTreeSet<&str> {
    let collaborations = agent.collaborations.iter().map(|c| c.agent_id.as_str());
    let graph = agent.graph.iter().filter(|g| g.r#type == "agent").map(|g| g.item_id.as_str());
    collaborations.chain(graph).filter(|id| !id.is_empty()).collect()
}

/// Ids of the custom functions an agent's graph calls (`{type: tool, sub_type:
/// custom_function, item_id}`), in id order; they may also be attached as tools, or not.
pub fn graph_function_ids(agent: &Agent) -> BTreeSet<&str> {
    agent
        .graph
        .iter()
        .filter(|g| g.r#type == "tool" && g.sub_type == "custom_function" && !g.item_id.is_empty())
        .map(|g| g.item_id.as_str())
        .collect()
}
