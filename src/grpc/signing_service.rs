//! gRPC adapter for `agentport.v1.SigningService`.

use tonic::{Request, Response, Status};

use crate::auth::Authorizer;
use crate::domain::resource::timestamp;
use crate::domain::signing::{PolicyAction, SigningPolicy as Policy};
use crate::proto::signing_service_server::SigningService as SigningServiceApi;
use crate::proto::*;
use crate::service::SigningService;
use crate::service::job_view;
use crate::store::SigningKeyRecord;

pub struct SigningServiceAdapter {
    auth: Authorizer,
    signing: SigningService,
}

impl SigningServiceAdapter {
    pub fn new(auth: Authorizer, signing: SigningService) -> Self {
        Self { auth, signing }
    }
}

fn key_to_proto(record: SigningKeyRecord) -> SigningKey {
    SigningKey {
        name: record.name(),
        public_key_pem: record.public_key,
        can_sign: record.private_key.is_some(),
        trusted: record.trusted,
        create_time: Some(timestamp(record.created_at)),
        update_time: Some(timestamp(record.updated_at)),
    }
}

fn policy_to_proto((tenant, policy): (String, Policy)) -> SigningPolicy {
    SigningPolicy {
        name: format!("tenants/{tenant}/signingPolicy"),
        require_signed: policy.require_signed,
        trusted_only: policy.trusted_only,
        action: match policy.action {
            PolicyAction::Refuse => SigningPolicyAction::Refuse,
            PolicyAction::Hold => SigningPolicyAction::Hold,
        } as i32,
        update_time: (policy.updated_at > 0).then(|| timestamp(policy.updated_at)),
    }
}

fn policy_from_proto(policy: &SigningPolicy) -> Policy {
    Policy {
        require_signed: policy.require_signed,
        trusted_only: policy.trusted_only,
        action: match policy.action() {
            SigningPolicyAction::Hold => PolicyAction::Hold,
            SigningPolicyAction::Refuse | SigningPolicyAction::Unspecified => PolicyAction::Refuse,
        },
        updated_at: 0,
    }
}

#[tonic::async_trait]
impl SigningServiceApi for SigningServiceAdapter {
    async fn create_signing_key(
        &self,
        request: Request<CreateSigningKeyRequest>,
    ) -> Result<Response<SigningKey>, Status> {
        let (call, r) = self.auth.check(request, "CreateSigningKey").await?;
        Ok(Response::new(key_to_proto(call.finish(self.signing.create_key(&r.parent, &r.signing_key_id).await)?)))
    }

    async fn get_signing_key(&self, request: Request<GetSigningKeyRequest>) -> Result<Response<SigningKey>, Status> {
        let (call, r) = self.auth.check(request, "GetSigningKey").await?;
        Ok(Response::new(key_to_proto(call.finish(self.signing.get_key(&r.name).await)?)))
    }

    async fn list_signing_keys(
        &self,
        request: Request<ListSigningKeysRequest>,
    ) -> Result<Response<ListSigningKeysResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListSigningKeys").await?;
        let keys = call.finish(self.signing.list_keys(&r.parent).await)?;
        Ok(Response::new(ListSigningKeysResponse { signing_keys: keys.into_iter().map(key_to_proto).collect() }))
    }

    async fn trust_signing_key(
        &self,
        request: Request<TrustSigningKeyRequest>,
    ) -> Result<Response<SigningKey>, Status> {
        let (call, r) = self.auth.check(request, "TrustSigningKey").await?;
        Ok(Response::new(key_to_proto(call.finish(self.signing.trust(&r.name, &r.public_key_pem).await)?)))
    }

    async fn untrust_signing_key(
        &self,
        request: Request<UntrustSigningKeyRequest>,
    ) -> Result<Response<SigningKey>, Status> {
        let (call, r) = self.auth.check(request, "UntrustSigningKey").await?;
        Ok(Response::new(key_to_proto(call.finish(self.signing.untrust(&r.name).await)?)))
    }

    async fn get_signing_policy(
        &self,
        request: Request<GetSigningPolicyRequest>,
    ) -> Result<Response<SigningPolicy>, Status> {
        let (call, r) = self.auth.check(request, "GetSigningPolicy").await?;
        Ok(Response::new(policy_to_proto(call.finish(self.signing.policy(&r.name).await)?)))
    }

    async fn update_signing_policy(
        &self,
        request: Request<UpdateSigningPolicyRequest>,
    ) -> Result<Response<SigningPolicy>, Status> {
        let (call, r) = self.auth.check(request, "UpdateSigningPolicy").await?;
        let policy = r.signing_policy.unwrap_or_default();
        let set = self.signing.set_policy(&policy.name, policy_from_proto(&policy)).await;
        Ok(Response::new(policy_to_proto(call.finish(set)?)))
    }

    async fn approve_import(&self, request: Request<ApproveImportRequest>) -> Result<Response<Job>, Status> {
        let (call, r) = self.auth.check(request, "ApproveImport").await?;
        let job = call.finish(self.signing.approve_import(&r.name).await.and_then(|job| job_view::to_proto(&job)))?;
        Ok(Response::new(job))
    }
}
