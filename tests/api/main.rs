//! API tests: one binary, each test against its own running server and database.

mod helpers;
mod jobs;

mod crud;
mod engine;
mod fixtures;
mod pagination;
mod secrets;
mod server;
mod tenancy;
mod transfer;
mod validation;
