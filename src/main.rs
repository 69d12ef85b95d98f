use std::process::ExitCode;

use clap::Parser;

use agentport::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    agentport::run::run(Cli::parse()).await
}
