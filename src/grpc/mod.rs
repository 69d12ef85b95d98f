//! Thin tonic adapters: authorize, unpack the request, call the service, pack the answer.

mod agent_service;
mod api_key_service;
pub mod codec;
mod job_service;
mod signing_service;
mod streams;
mod template_service;

pub use agent_service::AgentServiceAdapter;
pub use api_key_service::ApiKeyServiceAdapter;
pub use job_service::JobServiceAdapter;
pub use signing_service::SigningServiceAdapter;
pub use template_service::TemplateServiceAdapter;
