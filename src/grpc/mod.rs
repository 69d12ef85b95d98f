//! Thin tonic adapters: proto request -> service -> proto response.

mod agent_service;
mod job_service;

pub use agent_service::AgentServiceAdapter;
pub use job_service::JobServiceAdapter;
