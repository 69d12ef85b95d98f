//! Signed templates: the signature covers the exact bytes DownloadTemplate streams (and the
//! xpander endpoints send), checks offline with the public key alone, and an import checks it
//! with the importing tenant's keys and policy before it writes anything.

use agentport::proto::signing_service_client::SigningServiceClient;
use agentport::proto::template_service_client::TemplateServiceClient;
use agentport::proto::*;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{TestApp, expect_error, spawn_app};
use crate::signing::dsse_verifies;
use crate::templates::seed_tree;

const PAYLOAD_TYPE: &str = "application/vnd.agentport.template+json";

fn templates(app: &TestApp) -> TemplateServiceClient<Channel> {
    TemplateServiceClient::new(app.channel.clone())
}

fn signing(app: &TestApp) -> SigningServiceClient<Channel> {
    SigningServiceClient::new(app.channel.clone())
}

async fn create_key(app: &TestApp, tenant: &str, id: &str) -> String {
    let request = CreateSigningKeyRequest { parent: format!("tenants/{tenant}"), signing_key_id: id.into() };
    signing(app).create_signing_key(request).await.unwrap().into_inner().public_key_pem
}

async fn trust(app: &TestApp, tenant: &str, id: &str, pem: &str) {
    let request =
        TrustSigningKeyRequest { name: format!("tenants/{tenant}/signingKeys/{id}"), public_key_pem: pem.into() };
    signing(app).trust_signing_key(request).await.unwrap();
}

async fn set_policy(app: &TestApp, tenant: &str, require_signed: bool, trusted_only: bool) {
    let policy = SigningPolicy {
        name: format!("tenants/{tenant}/signingPolicy"),
        require_signed,
        trusted_only,
        // A hold is what a bundle import would do; a template import refuses instead.
        action: SigningPolicyAction::Hold as i32,
        update_time: None,
    };
    let request = UpdateSigningPolicyRequest { signing_policy: Some(policy) };
    signing(app).update_signing_policy(request).await.unwrap();
}

async fn export(app: &TestApp, key: &str) -> Result<Template, tonic::Status> {
    let request = ExportAgentTemplateRequest {
        agent: "tenants/source/agents/concierge".into(),
        display_name: "Concierge template".into(),
        description: "A concierge".into(),
        signing_key_id: key.into(),
        ..Default::default()
    };
    templates(app).export_agent_template(request).await.map(|r| r.into_inner())
}

fn import_request(tenant: &str, template: &Template, require_signature: bool) -> ImportAgentTemplateRequest {
    ImportAgentTemplateRequest {
        parent: format!("tenants/{tenant}"),
        template_id: template.name.rsplit('/').next().unwrap().into(),
        display_name: "My concierge".into(),
        require_signature,
        ..Default::default()
    }
}

async fn plan(app: &TestApp, tenant: &str, template: &Template) -> Result<ImportResult, tonic::Status> {
    let request = PlanAgentTemplateImportRequest { request: Some(import_request(tenant, template, false)) };
    templates(app).plan_agent_template_import(request).await.map(|r| r.into_inner())
}

async fn agents_of(app: &mut TestApp, tenant: &str) -> usize {
    let request = ListAgentsRequest { parent: format!("tenants/{tenant}"), ..Default::default() };
    app.agents.list_agents(request).await.unwrap().into_inner().agents.len()
}

/// The template's bytes and the signature on the stream's first message.
async fn download(app: &TestApp, template: &Template) -> (Vec<u8>, Option<BundleSignature>) {
    let request = DownloadTemplateRequest { name: template.name.clone() };
    let mut stream = templates(app).download_template(request).await.unwrap().into_inner();
    let (mut bytes, mut signature, mut first) = (Vec::new(), None, true);
    while let Some(message) = stream.message().await.unwrap() {
        assert!(first || message.signature.is_none(), "only the first message carries the signature");
        signature = signature.or(message.signature);
        bytes.extend_from_slice(&message.chunk);
        first = false;
    }
    (bytes, signature)
}

/// Checks a template's signature as anyone holding the public key would.
fn verifies(public_pem: &str, body: &[u8], envelope: &BundleSignature) -> bool {
    dsse_verifies(public_pem, PAYLOAD_TYPE, body, envelope)
}

fn signer(key: &str, verified: bool, trusted: bool) -> Option<Signer> {
    Some(Signer { key_id: key.into(), verified, trusted })
}

#[tokio::test]
async fn a_signed_template_verifies_offline_and_its_imports_name_the_signer() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let public = create_key(&app, "source", "publisher-2026").await;

    let status = export(&app, "nobody").await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let template = export(&app, "publisher-2026").await.unwrap();
    let envelope = template.signature.clone().expect("a signed export carries its signature");
    assert_eq!(
        (envelope.payload_type.as_str(), envelope.signatures[0].keyid.as_str()),
        (PAYLOAD_TYPE, "publisher-2026")
    );
    let got = templates(&app).get_template(GetTemplateRequest { name: template.name.clone() }).await.unwrap();
    assert_eq!(got.into_inner().signature.as_ref(), Some(&envelope), "the template keeps its signature");

    // Offline: the downloaded bytes and the public key are all it takes.
    let (bytes, streamed) = download(&app, &template).await;
    assert_eq!(streamed.as_ref(), Some(&envelope));
    assert!(verifies(&public, &bytes, &envelope), "the signature covers exactly the downloaded bytes");
    let mut changed = bytes.clone();
    let at = changed.len() / 2;
    changed[at] ^= 1;
    assert!(!verifies(&public, &changed, &envelope));

    // A tenant that trusts the publisher's key: the plan, the import and its job name the signer.
    trust(&app, "target", "publisher-2026", &public).await;
    set_policy(&app, "target", true, true).await;
    assert_eq!(plan(&app, "target", &template).await.unwrap().signer, signer("publisher-2026", true, true));
    templates(&app).import_agent_template(import_request("target", &template, true)).await.unwrap();
    assert_eq!(agents_of(&mut app, "target").await, 4);
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let jobs = jobs
        .list_jobs(ListJobsRequest { parent: "tenants/target".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .jobs;
    let imported = jobs.iter().find_map(|j| j.import_result.as_ref()).expect("an import job");
    assert_eq!(imported.signer, signer("publisher-2026", true, true));

    // A tenant that does not know the key: open policy imports and says nothing verified it.
    assert_eq!(plan(&app, "open", &template).await.unwrap().signer, signer("publisher-2026", false, false));
    // ... a request that requires a signature, or a policy that does, refuses (never holds).
    let status = templates(&app).import_agent_template(import_request("open", &template, true)).await;
    expect_error(status, Code::FailedPrecondition, "SIGNATURE_REQUIRED");
    set_policy(&app, "strict", true, false).await;
    let status = templates(&app).import_agent_template(import_request("strict", &template, false)).await;
    expect_error(status, Code::FailedPrecondition, "SIGNATURE_REQUIRED");
    assert_eq!(agents_of(&mut app, "strict").await, 0, "a refused import writes nothing");

    // A known key it does not trust, under trusted_only.
    trust(&app, "picky", "publisher-2026", &public).await;
    let request = UntrustSigningKeyRequest { name: "tenants/picky/signingKeys/publisher-2026".into() };
    signing(&app).untrust_signing_key(request).await.unwrap();
    set_policy(&app, "picky", false, true).await;
    expect_error(plan(&app, "picky", &template).await, Code::FailedPrecondition, "SIGNER_NOT_TRUSTED");
    assert_eq!(agents_of(&mut app, "picky").await, 0);
}

#[tokio::test]
async fn unsigned_changed_and_wrongly_keyed_templates_are_refused_before_anything_is_written() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let public = create_key(&app, "source", "k1").await;
    let signed = export(&app, "k1").await.unwrap();
    let unsigned = export(&app, "").await.unwrap();
    assert_eq!(unsigned.signature, None);

    // Unsigned: fine under the default policy, refused under require_signed.
    assert_eq!(plan(&app, "open", &unsigned).await.unwrap().signer, None);
    set_policy(&app, "strict", true, false).await;
    expect_error(plan(&app, "strict", &unsigned).await, Code::FailedPrecondition, "SIGNATURE_REQUIRED");

    // A tenant holding another public key under the same id: the signature does not verify.
    let other = create_key(&app, "elsewhere", "k1").await;
    assert_ne!(other, public);
    trust(&app, "impostor", "k1", &other).await;
    let refused = templates(&app).import_agent_template(import_request("impostor", &signed, false)).await;
    expect_error(refused, Code::InvalidArgument, "SIGNATURE_INVALID");
    assert_eq!(agents_of(&mut app, "impostor").await, 0);

    // The stored template changed after it was signed: refused where the key is known.
    trust(&app, "target", "k1", &public).await;
    plan(&app, "target", &signed).await.expect("verifies before the change");
    let db = sea_orm::Database::connect(app.database.url()).await.unwrap();
    db.execute_unprepared(
        "UPDATE resources SET body = REPLACE(body, 'A concierge', 'A c0ncierge') WHERE kind = 'template'",
    )
    .await
    .unwrap();
    let _ = db.close().await;
    let refused = templates(&app).import_agent_template(import_request("target", &signed, false)).await;
    expect_error(refused, Code::InvalidArgument, "SIGNATURE_INVALID");
    assert_eq!(agents_of(&mut app, "target").await, 0);
}

#[tokio::test]
async fn the_xpander_endpoints_sign_send_and_require_template_signatures() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let public = create_key(&app, "source", "k1").await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", app.addr);
    let call = |method: reqwest::Method, path: &str, tenant: &str, body: serde_json::Value| {
        http.request(method, format!("{base}{path}")).header("x-agentport-tenant", tenant).json(&body).send()
    };

    let body = json!({"name": "Concierge template", "signing_key_id": "k1"});
    let response = call(reqwest::Method::POST, "/v1/agents/concierge/export", "source", body).await.unwrap();
    assert_eq!(response.status(), 200);
    let header = response.headers().get("x-agentport-signature").expect("the signature header").clone();
    let bytes = response.bytes().await.unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(header.as_bytes()).unwrap();
    let envelope = BundleSignature {
        payload_type: envelope["payloadType"].as_str().unwrap().into(),
        signatures: vec![DsseSignature {
            keyid: envelope["signatures"][0]["keyid"].as_str().unwrap().into(),
            sig: envelope["signatures"][0]["sig"].as_str().unwrap().into(),
        }],
    };
    assert!(verifies(&public, &bytes, &envelope), "the header signs exactly the body");
    let id = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["id"].as_str().unwrap().to_owned();

    let response = call(reqwest::Method::GET, &format!("/v1/templates/{id}"), "source", json!(null)).await.unwrap();
    assert_eq!(response.headers().get("x-agentport-signature"), Some(&header), "reading sends it again");
    assert_eq!(response.bytes().await.unwrap(), bytes);

    let body = json!({"name": "Mine", "require_signature": true});
    let path = format!("/v1/agents/template_import/{id}");
    let response = call(reqwest::Method::POST, &path, "target", body.clone()).await.unwrap();
    assert_eq!(response.status(), 400, "no key of the importer verifies it");
    assert_eq!(agents_of(&mut app, "target").await, 0);
    trust(&app, "target", "k1", &public).await;
    let response = call(reqwest::Method::POST, &path, "target", body).await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let body = json!({"name": "x", "signing_key_id": "Bad Id!"});
    let response = call(reqwest::Method::POST, "/v1/agents/concierge/export", "source", body).await.unwrap();
    assert_eq!(response.status(), 422, "an invalid key id names its field");
}
