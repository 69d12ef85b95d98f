//! agentport: stores AI agents with everything they depend on and moves them between tenants.

pub mod admin;
pub mod auth;
pub mod browser;
pub mod call_scope;
pub mod cli;
pub mod client;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod grpc;
pub mod keys;
pub mod limits;
pub mod log_fields;
pub mod observability;
pub mod rest;
pub mod run;
pub mod server;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;

pub mod proto {
    #![allow(clippy::all)]
    tonic::include_proto!("agentport.v1");
    /// Encoded descriptor set of every contract, extension options included.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("agentport_descriptor");
    /// `google/rpc/error_details.proto` and `google/rpc/status.proto`, for reflection.
    pub const GOOGLE_RPC_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("google_rpc_descriptor");
    // `Scrub` and `Addressed` for every message, written by build.rs from the descriptors.
    include!(concat!(env!("OUT_DIR"), "/agentport_generated.rs"));
    // Proto3-JSON serde for the stored types (pbjson-build).
    include!(concat!(env!("OUT_DIR"), "/agentport.v1.serde.rs"));
}
