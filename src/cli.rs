//! The command line: `agentport serve`, `agentport migrate`, and the client commands
//! `agentport export` and `agentport import` that talk to a running service.

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
    /// TOML settings file for serve and migrate (defaults, then this file, then AGENTPORT_*
    /// variables, then flags).
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
    /// Export agents of a running service to a bundle file.
    Export(ExportArgs),
    /// Import a bundle file into a tenant of a running service.
    Import(ImportArgs),
    /// Signing keys and trusted publisher keys of a tenant, on a running service.
    #[command(subcommand, name = "signing-key")]
    SigningKey(SigningKeyCommand),
    /// Create, list and revoke API keys, directly in the database.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Master keys of encryption at rest: generate one, rotate to a new one, check them.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `agentport keys ...`: the master key comes from AGENTPORT_MASTER_KEY_FILE (or
/// AGENTPORT_MASTER_KEY), the one it replaces from AGENTPORT_MASTER_KEY_PREVIOUS_FILE (or
/// AGENTPORT_MASTER_KEY_PREVIOUS).
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new random master key to a file (mode 0600; never replaces one).
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Re-wrap every data key with the new master key while replicas keep serving, then check
    /// that every stored credential opens.
    Rotate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Check that the master key unwraps every data key and every stored credential opens.
    Check {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `agentport api-key ...`: the same rules as the ApiKeyService, without a running service.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it once, on standard output.
    Create {
        /// The only tenant the key can act on.
        #[arg(long)]
        tenant: String,
        /// A scope the key grants (repeat), e.g. ai.agent_read, ai.agent_manage.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List a tenant's keys (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a key at once.
    Revoke {
        #[arg(long)]
        tenant: String,
        /// The key's id (the third dot-separated part of the key).
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

impl ApiKeyCommand {
    fn database(&self) -> &DatabaseArgs {
        match self {
            ApiKeyCommand::Create { database, .. }
            | ApiKeyCommand::List { database, .. }
            | ApiKeyCommand::Revoke { database, .. } => database,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// sqlite://path or postgres://user@host/db.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// How the client commands reach and authenticate to the service.
#[derive(Debug, clap::Args)]
pub struct ConnectionArgs {
    /// The service's address: `http://host:port`, or `https://host:port` for a service with TLS.
    #[arg(long, env = "AGENTPORT_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// PEM CA certificate(s) that sign the service's certificate, for `https://` servers whose
    /// certificate is not from a public CA.
    #[arg(long, env = "AGENTPORT_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate to present (mutual TLS); needs `--client-key`.
    #[arg(long, env = "AGENTPORT_CLIENT_CERT", value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `--client-cert`.
    #[arg(long, env = "AGENTPORT_CLIENT_KEY", value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Bearer token, sent as `authorization: Bearer <token>`.
    #[arg(long, env = "AGENTPORT_TOKEN", hide_env_values = true)]
    pub token: Option<Credential>,
    /// API key, sent as `x-api-key`.
    #[arg(long, env = "AGENTPORT_API_KEY", hide_env_values = true)]
    pub api_key: Option<Credential>,
    /// The tenant, e.g. `acme`.
    #[arg(long)]
    pub tenant: String,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Id of an agent to export (repeat for several); its dependencies come along.
    #[arg(long = "agent", value_name = "ID", required = true)]
    pub agents: Vec<String>,
    /// Bundle file to write; `-` or absent: standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Sign the bundle with this signing key of the tenant (see `signing-key create`).
    #[arg(long, value_name = "KEY_ID")]
    pub sign: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Bundle file as written by `export` (or downloaded from Emporix); `-`: standard input.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Report what the import would do and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// What to do when an agent id is taken in the tenant (service default: rename).
    #[arg(long, value_enum)]
    pub conflict_policy: Option<ConflictPolicyArg>,
    /// Idempotency key: a retry with the same key imports only once.
    #[arg(long, value_name = "ID")]
    pub request_id: Option<String>,
    /// Return the queued job at once and import on the service's job engine.
    #[arg(long)]
    pub background: bool,
    /// Refuse the bundle unless it is signed by a key the tenant trusts.
    #[arg(long)]
    pub require_signature: bool,
    /// Bind the bundle's secret REQUIRED to the tenant's secret MINE (repeatable; `REQUIRED=`
    /// leaves it unbound). With any, the bundle binds no secret by id.
    #[arg(long, value_name = "REQUIRED=MINE", value_parser = secret_mapping)]
    pub map_secret: Vec<(String, String)>,
    /// Show what the import would do to each entity and write nothing (a dry run): a table,
    /// or the plan's JSON with `--output json`. Its plan id is for `--plan-id`.
    #[arg(long, conflicts_with_all = ["plan_id", "background"])]
    pub plan: bool,
    /// Apply exactly the plan `--plan` showed with this id; refused, writing nothing, when
    /// the bundle, the options or the tenant changed since.
    #[arg(long, value_name = "ID", conflicts_with = "background")]
    pub plan_id: Option<String>,
    /// How `--plan` prints the plan.
    #[arg(long, value_enum, default_value = "table", requires = "plan")]
    pub output: PlanOutput,
}

/// How `agentport import --plan` prints the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanOutput {
    /// One line per entity: kind, id, action, details.
    Table,
    /// The plan as JSON (the `plan` of the REST dry run).
    Json,
}

fn secret_mapping(text: &str) -> Result<(String, String), String> {
    let (required, mine) = text.split_once('=').ok_or("expected REQUIRED=MINE")?;
    Ok((required.to_owned(), mine.to_owned()))
}

/// `agentport signing-key ...`: a tenant's keys on a running service (SigningService).
#[derive(Debug, Subcommand)]
pub enum SigningKeyCommand {
    /// Make a signing key; prints its public key (PEM) on standard output.
    Create {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[arg(long, value_name = "ID")]
        key_id: String,
    },
    /// List the tenant's keys, its own and the publishers' (never a private key).
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Trust a publisher's public key under its key id.
    Trust {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[arg(long, value_name = "ID")]
        key_id: String,
        /// PEM file of the publisher's Ed25519 public key; absent: trust a known key again.
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
    /// Stop trusting a key (its signatures still verify, reported as not trusted).
    Untrust {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[arg(long, value_name = "ID")]
        key_id: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ConflictPolicyArg {
    Rename,
    Skip,
    Overwrite,
    Fail,
}

/// A credential from a flag or the environment; never shown by `Debug` or `--help`.
#[derive(Clone)]
pub struct Credential(pub String);

impl std::str::FromStr for Credential {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Credential(s.to_owned()))
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(***)")
    }
}

impl Cli {
    /// The settings with this command's flags applied last (server commands only).
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
            Command::ApiKey(command) => command.database(),
            Command::Keys(KeysCommand::Rotate { database } | KeysCommand::Check { database }) => database,
            Command::Keys(KeysCommand::Generate { .. }) => return Ok(settings),
            Command::Export(_) | Command::Import(_) | Command::SigningKey(_) => return Ok(settings),
        };
        if let Some(url) = &database.database_url {
            settings.database_url = url.clone();
        }
        Ok(settings)
    }
}
