//! gRPC adapter for `agentport.v1.ApiKeyService`.

use tonic::{Request, Response, Status};

use crate::auth::Authorizer;
use crate::domain::resource::timestamp;
use crate::proto::api_key_service_server::ApiKeyService as ApiKeyServiceApi;
use crate::proto::*;
use crate::service::ApiKeyService;
use crate::store::ApiKeyRecord;

pub struct ApiKeyServiceAdapter {
    auth: Authorizer,
    keys: ApiKeyService,
}

impl ApiKeyServiceAdapter {
    pub fn new(auth: Authorizer, keys: ApiKeyService) -> Self {
        Self { auth, keys }
    }
}

fn to_proto(record: ApiKeyRecord) -> ApiKey {
    ApiKey {
        name: format!("tenants/{}/apiKeys/{}", record.tenant, record.id),
        scopes: record.scopes,
        description: record.description,
        create_time: Some(timestamp(record.created_at)),
        revoke_time: record.revoked_at.map(timestamp),
    }
}

#[tonic::async_trait]
impl ApiKeyServiceApi for ApiKeyServiceAdapter {
    async fn create_api_key(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        let (call, r) = self.auth.check(request, "CreateApiKey").await?;
        let (record, key) = call.finish(self.keys.create(&r.parent, &r.scopes, &r.description).await)?;
        Ok(Response::new(CreateApiKeyResponse { api_key: Some(to_proto(record)), key }))
    }

    async fn list_api_keys(
        &self,
        request: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListApiKeys").await?;
        let keys = call.finish(self.keys.list(&r.parent).await)?;
        Ok(Response::new(ListApiKeysResponse { api_keys: keys.into_iter().map(to_proto).collect() }))
    }

    async fn revoke_api_key(&self, request: Request<RevokeApiKeyRequest>) -> Result<Response<ApiKey>, Status> {
        let (call, r) = self.auth.check(request, "RevokeApiKey").await?;
        Ok(Response::new(to_proto(call.finish(self.keys.revoke(&r.name).await)?)))
    }
}
