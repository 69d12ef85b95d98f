//! Domain rules applied to requests: every transport (gRPC, REST) calls these.

mod api_keys;
pub(crate) mod documents;
mod job_feed;
pub(crate) mod job_view;
mod jobs;
pub(crate) mod resources;
pub mod sealing;
mod settings;
mod signatures;
mod signing;
mod templates;
pub(crate) mod transfer;
pub(crate) mod unique_names;

pub use api_keys::ApiKeyService;
pub use documents::DocumentService;
pub use job_feed::{JobFeed, JobStream};
pub use jobs::{JobSearch, JobService};
pub use resources::{ListQuery, Listed, ResourceService};
pub use settings::SettingsService;
pub use signing::SigningService;
pub use templates::{TemplateDefinition, TemplateRequest, TemplateService, TemplateView};
pub use transfer::{ImportOptions, TransferRunner, TransferService};
