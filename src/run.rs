//! What the `agentport` binary does with its command line: the client commands, or the
//! server's (`serve`, `migrate`, key and API-key administration) after loading the settings and
//! starting telemetry. The binary is this function; the benchmark harness runs the same one in
//! its own process, so the server it measures is compiled in the harness's build.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::client;
use crate::startup::Application;
use crate::store::Store;

/// Runs the command line's command to its end.
pub async fn run(cli: Cli) -> ExitCode {
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
    let telemetry = match crate::telemetry::init(&settings) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("agentport: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match &cli.command {
        Command::Migrate { .. } => migrate(settings).await,
        Command::ApiKey(command) => crate::admin::api_key(command, &settings).await,
        Command::Keys(command) => crate::keys::keys_command(command, &settings).await,
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

async fn serve(settings: crate::config::Settings) -> Result<(), String> {
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    app.run_until_stopped(shutdown_signal()).await.map_err(|e| e.to_string())
}

async fn migrate(settings: crate::config::Settings) -> Result<(), String> {
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
