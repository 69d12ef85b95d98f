//! Domain rules applied to requests: every transport (gRPC, REST) calls these.

mod job_view;
mod jobs;
pub(crate) mod resources;
mod transfer;

pub use jobs::{JobSearch, JobService};
pub use resources::ResourceService;
pub use transfer::{ImportOptions, TransferRunner, TransferService, sub_agent_ids};
