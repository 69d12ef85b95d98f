//! One module per scenario; each measures its figures beside their anchors and pushes rows.
//! A new scenario is a module with `pub async fn run(ctx: &mut Ctx)` added to [`ALL`].

pub mod get;
pub mod import;
pub mod lists;
pub mod search_jobs;
pub mod stream;

use std::future::Future;
use std::pin::Pin;

use sea_orm::DatabaseConnection;

use crate::report::{Row, print_row};
use crate::server::Process;

/// What every scenario works with: one store's running agentport and its database.
pub struct Ctx {
    pub store: String,
    pub server: Process,
    pub db: DatabaseConnection,
    pub db_url: String,
    pub work: tempfile::TempDir,
    /// Smaller collections and shorter runs, for a smoke test of the harness itself.
    pub quick: bool,
    pub rows: Vec<Row>,
}

impl Ctx {
    pub fn push(&mut self, row: Row) {
        print_row(&row);
        self.rows.push(row);
    }

    pub fn row(&self, scenario: &str, case: impl Into<String>, metric: &str, value: f64) -> Row {
        Row::new(&self.store, scenario, case, metric, value)
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }
}

type Run = fn(&mut Ctx) -> Pin<Box<dyn Future<Output = ()> + '_>>;

/// A scenario module's `run` as a [`Run`].
macro_rules! scenario {
    ($module:ident) => {{
        fn run(ctx: &mut Ctx) -> Pin<Box<dyn Future<Output = ()> + '_>> {
            Box::pin($module::run(ctx))
        }
        (stringify!($module), run as Run)
    }};
}

/// Every scenario by name, in the order they run.
pub const ALL: &[(&str, Run)] =
    &[scenario!(get), scenario!(import), scenario!(lists), scenario!(search_jobs), scenario!(stream)];
