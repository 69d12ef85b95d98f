//! The command line: `agentport serve`, `agentport migrate`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "agentport",
    version,
    about = "Stores AI agents with their dependencies and moves them between tenants"
)]
pub struct Cli {
    /// TOML settings file (defaults, then this file, then AGENTPORT_* variables, then flags).
    #[arg(long, global = true, env = "AGENTPORT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (migrates the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:50051.
        #[arg(long)]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// sqlite://path or postgres://user@host/db.
    #[arg(long)]
    pub database_url: Option<String>,
}

impl Cli {
    /// The settings with this command's flags applied last.
    pub fn settings(&self) -> Result<Settings, crate::config::ConfigError> {
        let mut settings = Settings::load(self.config.as_deref())?;
        let database = match &self.command {
            Command::Serve { listen, database } => {
                if let Some(listen) = listen {
                    settings.listen = *listen;
                }
                database
            }
            Command::Migrate { database } => database,
        };
        if let Some(url) = &database.database_url {
            settings.database_url = url.clone();
        }
        Ok(settings)
    }
}
