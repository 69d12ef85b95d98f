//! API tests: one binary, each test against its own running server and database.

mod helpers;
mod jobs;

mod audit;
mod auth;
mod bulk_import;
mod cli;
mod crud;
mod documents;
mod emporix_edges;
mod emporix_query;
mod encryption;
mod engine;
mod fixtures;
mod grpc_web;
mod hostile_input;
mod limits;
mod offset_pages;
mod operations;
mod pagination;
mod references;
mod resilience;
mod rest_emporix;
mod rest_xpander;
mod rest_xpander_edges;
mod routing;
mod safe_imports;
mod secrets;
mod server;
mod signing;
mod streaming;
mod templates;
mod tenancy;
mod tls;
mod transfer;
mod validation;
