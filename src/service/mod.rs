//! Domain rules applied to requests: every transport (gRPC, REST) calls these.

mod resources;

pub use resources::ResourceService;
