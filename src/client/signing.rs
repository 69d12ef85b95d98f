//! `agentport signing-key create|list|trust|untrust`: the SigningService over gRPC.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::{Failure, authorized, channel, conclude, emit, init_logging, parent, pretty};
use crate::cli::{ConnectionArgs, SigningKeyCommand};
use crate::proto::signing_service_client::SigningServiceClient;
use crate::proto::{
    CreateSigningKeyRequest, ListSigningKeysRequest, SigningKey, TrustSigningKeyRequest, UntrustSigningKeyRequest,
};

/// Runs one `signing-key` command.
pub async fn signing_key(command: SigningKeyCommand) -> ExitCode {
    init_logging();
    conclude(run(command).await)
}

async fn run(command: SigningKeyCommand) -> Result<(), Failure> {
    match command {
        SigningKeyCommand::Create { connection, key_id } => {
            let request = CreateSigningKeyRequest { parent: parent(&connection.tenant), signing_key_id: key_id };
            let key = client(&connection).await?.create_signing_key(authorized(request, &connection)?).await;
            let key = key.map_err(Failure::Refused)?.into_inner();
            eprintln!("agentport: created signing key {}; its public key:", key.name);
            emit(None, &key.public_key_pem)
        }
        SigningKeyCommand::List { connection } => {
            let request = ListSigningKeysRequest { parent: parent(&connection.tenant) };
            let keys = client(&connection).await?.list_signing_keys(authorized(request, &connection)?).await;
            let keys = keys.map_err(Failure::Refused)?.into_inner().signing_keys;
            emit(None, &pretty(&Value::Array(keys.iter().map(describe).collect())))
        }
        SigningKeyCommand::Trust { connection, key_id, public_key } => {
            let pem = match &public_key {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| Failure::Invalid(format!("--public-key {}: {e}", path.display())))?,
                None => String::new(),
            };
            let request = TrustSigningKeyRequest { name: key_name(&connection, &key_id), public_key_pem: pem };
            let key = client(&connection).await?.trust_signing_key(authorized(request, &connection)?).await;
            emit(None, &pretty(&describe(&key.map_err(Failure::Refused)?.into_inner())))
        }
        SigningKeyCommand::Untrust { connection, key_id } => {
            let request = UntrustSigningKeyRequest { name: key_name(&connection, &key_id) };
            let key = client(&connection).await?.untrust_signing_key(authorized(request, &connection)?).await;
            emit(None, &pretty(&describe(&key.map_err(Failure::Refused)?.into_inner())))
        }
    }
}

async fn client(connection: &ConnectionArgs) -> Result<SigningServiceClient<tonic::transport::Channel>, Failure> {
    Ok(SigningServiceClient::new(channel(connection).await?))
}

fn key_name(connection: &ConnectionArgs, key_id: &str) -> String {
    format!("tenants/{}/signingKeys/{key_id}", connection.tenant)
}

fn describe(key: &SigningKey) -> Value {
    json!({
        "keyId": key.name.rsplit('/').next().unwrap_or_default(),
        "canSign": key.can_sign,
        "trusted": key.trusted,
        "publicKey": key.public_key_pem,
    })
}
