//! API tests: one binary, each test against its own running server and database.

mod helpers;

mod crud;
mod pagination;
mod secrets;
mod server;
mod tenancy;
mod validation;
