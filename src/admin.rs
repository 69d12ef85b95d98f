//! `agentport api-key ...`: API keys managed directly in the database, with the rules of the
//! ApiKeyService. The key is printed once, on standard output; nothing else ever shows it.

use crate::cli::ApiKeyCommand;
use crate::config::Settings;
use crate::domain::clock::iso8601;
use crate::service::ApiKeyService;
use crate::store::{ApiKeyRecord, Store};

fn describe(key: &ApiKeyRecord) -> String {
    let state = match key.revoked_at {
        Some(at) => format!("revoked {}", iso8601(at)),
        None => "active".to_owned(),
    };
    format!(
        "tenants/{}/apiKeys/{}\tscopes={}\tcreated={}\t{state}\t{}",
        key.tenant,
        key.id,
        key.scopes.join(","),
        iso8601(key.created_at),
        key.description
    )
}

pub async fn api_key(command: &ApiKeyCommand, settings: &Settings) -> Result<(), String> {
    let store = Store::connect(&settings.database_url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let keys = ApiKeyService::new(store);
    match command {
        ApiKeyCommand::Create { tenant, scopes, description, .. } => {
            let (record, key) =
                keys.create(&format!("tenants/{tenant}"), scopes, description).await.map_err(|e| e.to_string())?;
            eprintln!("created {}; the key below is shown only now", describe(&record));
            println!("{key}");
        }
        ApiKeyCommand::List { tenant, .. } => {
            for key in keys.list(&format!("tenants/{tenant}")).await.map_err(|e| e.to_string())? {
                println!("{}", describe(&key));
            }
        }
        ApiKeyCommand::Revoke { tenant, id, .. } => {
            let key = keys.revoke(&format!("tenants/{tenant}/apiKeys/{id}")).await.map_err(|e| e.to_string())?;
            println!("{}", describe(&key));
        }
    }
    Ok(())
}
