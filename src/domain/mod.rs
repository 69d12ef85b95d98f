//! The product's rules on plain types, independent of transport and storage.

pub mod agent_graph;
pub mod annotations;
pub mod blob;
pub mod bundle;
pub mod checksum;
pub mod clock;
pub mod defaults;
pub mod encode;
pub mod field_mask;
pub mod filter;
pub mod job;
pub mod json;
pub mod limits;
pub mod names;
pub mod page;
pub mod query;
pub mod references;
pub mod reflect;
pub mod resource;
pub mod secrets;
pub mod template;
pub mod text;
pub mod timestamp;
pub mod unique_name;
pub mod utf8;
pub mod validate;
