//! Settings, layered: built-in defaults, then a TOML file, then `AGENTPORT_*` environment
//! variables, then command-line flags. Credentials inside settings are never printed.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// Everything the service can be told.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address of the one listener serving gRPC (and HTTP). Default `127.0.0.1:50051`.
    pub listen: SocketAddr,
    /// `sqlite://path` (created on first start) or `postgres://user@host/db`.
    /// Default `sqlite://agentport.db`.
    pub database_url: String,
    /// How often the health check pings the database, in milliseconds. Default 5000.
    pub health_check_interval_ms: u64,
    /// Largest accepted request message, in bytes. Default 16 MiB.
    pub max_request_bytes: usize,
    /// `text` (default) or `json` log lines.
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: "sqlite://agentport.db".to_owned(),
            health_check_interval_ms: 5000,
            max_request_bytes: 16 * 1024 * 1024,
            log_format: LogFormat::Text,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &self.database_url_redacted())
            .field("health_check_interval_ms", &self.health_check_interval_ms)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("log_format", &self.log_format)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid environment variable {name}: {message}")]
    Env { name: String, message: String },
}

impl Settings {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut settings = match file {
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: shown.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: shown,
                    message: e.message().to_owned(),
                })?
            }
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env {
                name: name.to_owned(),
                message: e.to_string(),
            })
        }
        if let Some(v) = var("AGENTPORT_LISTEN") {
            self.listen = parse("AGENTPORT_LISTEN", v)?;
        }
        if let Some(v) = var("AGENTPORT_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = var("AGENTPORT_HEALTH_CHECK_INTERVAL_MS") {
            self.health_check_interval_ms = parse("AGENTPORT_HEALTH_CHECK_INTERVAL_MS", v)?;
        }
        if let Some(v) = var("AGENTPORT_MAX_REQUEST_BYTES") {
            self.max_request_bytes = parse("AGENTPORT_MAX_REQUEST_BYTES", v)?;
        }
        if let Some(v) = var("AGENTPORT_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Env {
                        name: "AGENTPORT_LOG_FORMAT".into(),
                        message: "use text or json".into(),
                    });
                }
            };
        }
        Ok(())
    }

    pub fn health_check_interval(&self) -> Duration {
        Duration::from_millis(self.health_check_interval_ms.max(10))
    }

    /// The database URL with any password replaced by `***`.
    pub fn database_url_redacted(&self) -> String {
        redact_password(&self.database_url)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest
        .split_once('/')
        .map(|(a, t)| (a, format!("/{t}")))
        .unwrap_or((rest, String::new()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo
                .split_once(':')
                .map(|(u, _)| format!("{u}:***"))
                .unwrap_or_else(|| userinfo.to_owned());
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_passwords_never_print() {
        let mut s = Settings::default();
        s.apply_env(|n| match n {
            "AGENTPORT_LISTEN" => Some("0.0.0.0:9000".into()),
            "AGENTPORT_DATABASE_URL" => Some("postgres://app:hunter2@db:5432/agents".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(
            s.database_url_redacted(),
            "postgres://app:***@db:5432/agents"
        );
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(
            s.apply_env(|n| (n == "AGENTPORT_LISTEN").then(|| "nope".into()))
                .is_err()
        );
    }

    #[test]
    fn file_values_are_read_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agentport.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:7000\"\n").unwrap();
        assert_eq!(Settings::load(Some(&path)).unwrap().listen.port(), 7000);
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(matches!(
            Settings::load(Some(&path)),
            Err(ConfigError::Parse { .. })
        ));
    }
}
