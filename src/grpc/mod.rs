//! Thin tonic adapters: proto request -> service -> proto response.

mod agent_service;

pub use agent_service::AgentServiceAdapter;
