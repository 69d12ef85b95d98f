use std::process::ExitCode;

use clap::Parser;

use agentport::cli::{Cli, Command};
use agentport::client;
use agentport::startup::Application;
use agentport::store::Store;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Export(args) => client::export(args).await,
        Command::Import(args) => client::import(args).await,
        Command::SigningKey(command) => client::signing_key(command).await,
        Command::Serve { .. } | Command::Migrate { .. } | Command::ApiKey(_) | Command::Keys(_) => server(&cli).await,
    }
}

/// `serve` and `migrate`: load the settings, start telemetry, run.
async fn server(cli: &Cli) -> ExitCode {
    let settings = match cli.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("agentport: {e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match agentport::telemetry::init(&settings) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("agentport: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match &cli.command {
        Command::Migrate { .. } => migrate(settings).await,
        Command::ApiKey(command) => agentport::admin::api_key(command, &settings).await,
        Command::Keys(command) => agentport::keys::keys_command(command, &settings).await,
        _ => serve(settings).await,
    };
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(error = %message, "agentport failed");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: agentport::config::Settings) -> Result<(), String> {
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    app.run_until_stopped(shutdown_signal()).await.map_err(|e| e.to_string())
}

async fn migrate(settings: agentport::config::Settings) -> Result<(), String> {
    let store = Store::connect(&settings.database_url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    tracing::info!(database = %settings.database_url_redacted(), "migrations applied");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
