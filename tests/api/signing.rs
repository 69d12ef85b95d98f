//! Signed bundles: tenant signing keys, trusted publishers and the signing policy, through the
//! real gRPC, REST and CLI clients. Signatures are checked here independently of the service
//! (Ed25519 over the DSSE pre-authentication encoding of the decoded `data`).

use agentport::proto::signing_service_client::SigningServiceClient;
use agentport::proto::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

use crate::fixtures::{counts, decoded, import_request, seed_source, wait_finished};
use crate::helpers::{TestApp, expect_error, spawn_app};

const PAYLOAD_TYPE: &str = "application/vnd.agentport.bundle+json";

fn signing(app: &TestApp) -> SigningServiceClient<Channel> {
    SigningServiceClient::new(app.channel.clone())
}

async fn create_key(app: &TestApp, tenant: &str, id: &str) -> SigningKey {
    let request = CreateSigningKeyRequest { parent: format!("tenants/{tenant}"), signing_key_id: id.into() };
    signing(app).create_signing_key(request).await.unwrap().into_inner()
}

async fn trust(app: &TestApp, tenant: &str, id: &str, pem: &str) -> Result<SigningKey, tonic::Status> {
    let request =
        TrustSigningKeyRequest { name: format!("tenants/{tenant}/signingKeys/{id}"), public_key_pem: pem.into() };
    signing(app).trust_signing_key(request).await.map(|r| r.into_inner())
}

async fn untrust(app: &TestApp, tenant: &str, id: &str) -> SigningKey {
    let request = UntrustSigningKeyRequest { name: format!("tenants/{tenant}/signingKeys/{id}") };
    signing(app).untrust_signing_key(request).await.unwrap().into_inner()
}

async fn set_policy(
    app: &TestApp,
    tenant: &str,
    require_signed: bool,
    trusted_only: bool,
    action: SigningPolicyAction,
) {
    let policy = SigningPolicy {
        name: format!("tenants/{tenant}/signingPolicy"),
        require_signed,
        trusted_only,
        action: action as i32,
        update_time: None,
    };
    let set = signing(app)
        .update_signing_policy(UpdateSigningPolicyRequest { signing_policy: Some(policy) })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((set.require_signed, set.trusted_only, set.action()), (require_signed, trusted_only, action));
}

async fn signed_export(app: &mut TestApp, tenant: &str, ids: &[&str], key: &str) -> ExportAgentsResponse {
    let request = ExportAgentsRequest {
        parent: format!("tenants/{tenant}"),
        agent_ids: ids.iter().map(|s| s.to_string()).collect(),
        signing_key_id: key.into(),
    };
    app.agents.export_agents(request).await.unwrap().into_inner()
}

fn signed_import(tenant: &str, bundle: &ExportAgentsResponse) -> ImportAgentsRequest {
    ImportAgentsRequest { signature: bundle.signature.clone(), ..import_request(tenant, bundle) }
}

/// Checks a bundle's signature as anyone holding the public key would.
fn verifies(public_pem: &str, data: &[u8], signature: &BundleSignature) -> bool {
    dsse_verifies(public_pem, PAYLOAD_TYPE, data, signature)
}

/// Checks the first signature of an envelope offline: Ed25519 over the DSSE PAE of `body`.
pub(crate) fn dsse_verifies(public_pem: &str, payload_type: &str, body: &[u8], envelope: &BundleSignature) -> bool {
    let key = VerifyingKey::from_public_key_pem(public_pem).unwrap();
    let mut pae = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), body.len()).into_bytes();
    pae.extend_from_slice(body);
    let sig = Signature::from_slice(&STANDARD.decode(&envelope.signatures[0].sig).unwrap()).unwrap();
    envelope.payload_type == payload_type && key.verify(&pae, &sig).is_ok()
}

/// The bundle with one byte of its data changed and its checksum made to match again.
fn tampered(bundle: &ExportAgentsResponse) -> ExportAgentsResponse {
    use sha2::Digest;
    let text = String::from_utf8(decoded(&bundle.data)).unwrap();
    let changed = text.replacen("\"support\"", "\"suppory\"", 1);
    assert_ne!(text, changed);
    ExportAgentsResponse {
        data: STANDARD.encode(&changed),
        checksum: sha2::Sha256::digest(changed.as_bytes()).iter().map(|b| format!("{b:02x}")).collect(),
        ..bundle.clone()
    }
}

#[tokio::test]
async fn a_signed_export_verifies_with_the_public_key_alone_and_the_import_names_its_signer() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let key = create_key(&app, "source", "release-1").await;
    assert!(key.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{}", key.public_key_pem);
    assert!(key.can_sign && key.trusted);

    let bundle = signed_export(&mut app, "source", &["support"], "release-1").await;
    let signature = bundle.signature.clone().expect("a signed export carries its signature");
    assert_eq!(signature.signatures.len(), 1);
    assert_eq!(signature.signatures[0].keyid, "release-1");
    assert!(verifies(&key.public_key_pem, &decoded(&bundle.data), &signature));
    assert!(!verifies(&key.public_key_pem, &decoded(&tampered(&bundle).data), &signature));
    let unsigned = crate::fixtures::export(&mut app, "source", &["support"]).await;
    assert_eq!((unsigned.data.as_str(), unsigned.signature), (bundle.data.as_str(), None), "signing changes no byte");

    // The target trusts the publisher's public key: the import says who signed, and so does its job.
    trust(&app, "target", "release-1", &key.public_key_pem).await.unwrap();
    let imported = app.agents.import_agents(signed_import("target", &bundle)).await.unwrap().into_inner();
    let signer = imported.signer.clone().expect("the import names the signer");
    assert_eq!((signer.key_id.as_str(), signer.verified, signer.trusted), ("release-1", true, true));
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let job = jobs
        .get_job(GetJobRequest { name: format!("tenants/target/jobs/{}", imported.job_id), fields: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(job.import_result.unwrap().signer, Some(signer));
    // A tenant that knows nothing of the key imports it too (the default policy), unverified.
    let elsewhere = app.agents.import_agents(signed_import("elsewhere", &bundle)).await.unwrap().into_inner();
    let signer = elsewhere.signer.unwrap();
    assert_eq!((signer.verified, signer.trusted), (false, false));
    assert_eq!(counts(&mut app, "elsewhere").await[0], counts(&mut app, "target").await[0]);

    // The streamed export signs the same bytes (piece by piece) into the same signature, and
    // a streamed import carries it in a message after the bytes.
    let request = StreamExportAgentsRequest {
        parent: "tenants/source".into(),
        agent_ids: vec!["support".into()],
        signing_key_id: "release-1".into(),
    };
    let mut stream = app.agents.stream_export_agents(request).await.unwrap().into_inner();
    let (mut bytes, mut done) = (Vec::new(), None);
    while let Some(message) = stream.message().await.unwrap() {
        match message.part.unwrap() {
            stream_export_agents_response::Part::Chunk(chunk) => bytes.extend_from_slice(&chunk),
            stream_export_agents_response::Part::Done(last) => done = Some(last),
        }
    }
    let done = done.unwrap();
    assert_eq!(bytes, decoded(&bundle.data));
    assert_eq!(done.signature.as_ref(), Some(&signature));
    use stream_import_agents_request::Part;
    let parts = vec![
        Part::Header(StreamImportAgentsHeader {
            parent: "tenants/streamed".into(),
            require_signature: false,
            ..Default::default()
        }),
        Part::Chunk(bytes.into()),
        Part::Signature(signature.clone()),
        Part::Checksum(done.checksum.clone()),
    ];
    trust(&app, "streamed", "release-1", &key.public_key_pem).await.unwrap();
    let messages = parts.into_iter().map(|p| StreamImportAgentsRequest { part: Some(p) });
    let streamed = app.agents.stream_import_agents(tokio_stream::iter(messages)).await.unwrap().into_inner();
    assert!(streamed.signer.unwrap().trusted);
}

#[tokio::test]
async fn tampered_bytes_and_tampered_signatures_are_refused_before_anything_is_written() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let key = create_key(&app, "source", "release-1").await;
    let bundle = signed_export(&mut app, "source", &["support"], "release-1").await;
    trust(&app, "target", "release-1", &key.public_key_pem).await.unwrap();

    let changed_bytes = signed_import("target", &tampered(&bundle));
    let status =
        expect_error(app.agents.import_agents(changed_bytes).await, Code::InvalidArgument, "SIGNATURE_INVALID");
    assert!(status.message().contains("release-1"), "{status:?}");

    let mut signature = bundle.signature.clone().unwrap();
    let mut sig = STANDARD.decode(&signature.signatures[0].sig).unwrap();
    sig[10] ^= 1;
    signature.signatures[0].sig = STANDARD.encode(&sig);
    let changed_signature =
        ImportAgentsRequest { signature: Some(signature.clone()), ..import_request("target", &bundle) };
    expect_error(app.agents.import_agents(changed_signature).await, Code::InvalidArgument, "SIGNATURE_INVALID");

    signature = bundle.signature.clone().unwrap();
    signature.payload_type = "application/json".into();
    let other_type = ImportAgentsRequest { signature: Some(signature), ..import_request("target", &bundle) };
    expect_error(app.agents.import_agents(other_type).await, Code::InvalidArgument, "SIGNATURE_INVALID");

    // A tampered bundle is refused even when the tenant no longer trusts the key: it is known.
    untrust(&app, "target", "release-1").await;
    let again = signed_import("target", &tampered(&bundle));
    expect_error(app.agents.import_agents(again).await, Code::InvalidArgument, "SIGNATURE_INVALID");
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0], "nothing was written");
    assert_eq!(app.count_rows("jobs WHERE tenant = 'target'").await, 0, "no job either");
}

#[tokio::test]
async fn the_policy_accepts_refuses_or_holds_unsigned_and_untrusted_bundles() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let key = create_key(&app, "source", "release-1").await;
    let signed = signed_export(&mut app, "source", &["support"], "release-1").await;
    let unsigned = crate::fixtures::export(&mut app, "source", &["support"]).await;
    let import = |bundle: &ExportAgentsResponse, require: bool| ImportAgentsRequest {
        require_signature: require,
        conflict_policy: ConflictPolicy::Overwrite as i32,
        ..signed_import("target", bundle)
    };

    // Default policy: everything that verifies (or cannot be checked) is accepted.
    app.agents.import_agents(import(&unsigned, false)).await.unwrap();
    // A request can demand a trusted signature whatever the policy.
    expect_error(
        app.agents.import_agents(import(&unsigned, true)).await,
        Code::FailedPrecondition,
        "SIGNATURE_REQUIRED",
    );
    expect_error(app.agents.import_agents(import(&signed, true)).await, Code::FailedPrecondition, "SIGNATURE_REQUIRED");

    // require_signed: a signature by a key the tenant knows, trusted or not.
    set_policy(&app, "target", true, false, SigningPolicyAction::Refuse).await;
    expect_error(
        app.agents.import_agents(import(&unsigned, false)).await,
        Code::FailedPrecondition,
        "SIGNATURE_REQUIRED",
    );
    expect_error(
        app.agents.import_agents(import(&signed, false)).await,
        Code::FailedPrecondition,
        "SIGNATURE_REQUIRED",
    );
    trust(&app, "target", "release-1", &key.public_key_pem).await.unwrap();
    let known = untrust(&app, "target", "release-1").await;
    assert!(!known.trusted && !known.can_sign);
    let accepted = app.agents.import_agents(import(&signed, false)).await.unwrap().into_inner();
    assert_eq!(accepted.signer.map(|s| (s.verified, s.trusted)), Some((true, false)));
    expect_error(app.agents.import_agents(import(&signed, true)).await, Code::FailedPrecondition, "SIGNER_NOT_TRUSTED");

    // trusted_only: refused until the key is trusted again.
    set_policy(&app, "target", false, true, SigningPolicyAction::Refuse).await;
    expect_error(
        app.agents.import_agents(import(&signed, false)).await,
        Code::FailedPrecondition,
        "SIGNER_NOT_TRUSTED",
    );
    trust(&app, "target", "release-1", "").await.unwrap();
    app.agents.import_agents(import(&signed, true)).await.unwrap();

    // Hold: the import waits in NEEDS_REVIEW, importing nothing, until it is approved.
    set_policy(&app, "held", false, true, SigningPolicyAction::Hold).await;
    let request = ImportAgentsRequest { dry_run: true, ..signed_import("held", &unsigned) };
    expect_error(app.agents.import_agents(request).await, Code::FailedPrecondition, "SIGNATURE_REQUIRED");
    let held = app.agents.import_agents(signed_import("held", &signed)).await.unwrap().into_inner();
    let job = held.job.expect("the held job");
    assert_eq!(job.status(), JobStatus::NeedsReview);
    assert!(job.message.contains("release-1"), "{}", job.message);
    let signer = job.import_result.as_ref().and_then(|r| r.signer.clone()).unwrap();
    assert_eq!((signer.key_id.as_str(), signer.verified, signer.trusted), ("release-1", false, false));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(counts(&mut app, "held").await, [0, 0, 0, 0], "held: nothing imported");
    let approved = signing(&app).approve_import(ApproveImportRequest { name: job.name.clone() }).await.unwrap();
    assert_eq!(approved.into_inner().status(), JobStatus::InProgress);
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let finished = wait_finished(&mut jobs, &job.name).await;
    assert_eq!(finished.status(), JobStatus::Success, "{finished:?}");
    assert_eq!(finished.import_result.unwrap().signer, Some(signer));
    assert_eq!(counts(&mut app, "held").await[0], 4);
    let again = signing(&app).approve_import(ApproveImportRequest { name: job.name }).await;
    expect_error(again, Code::FailedPrecondition, "FAILED_PRECONDITION");
}

#[tokio::test]
async fn rotated_keys_keep_old_signatures_verifiable_and_private_keys_never_leave() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let old = create_key(&app, "source", "release-1").await;
    let old_bundle = signed_export(&mut app, "source", &["support"], "release-1").await;
    let new = create_key(&app, "source", "release-2").await;
    let new_bundle = signed_export(&mut app, "source", &["support"], "release-2").await;
    assert_ne!(old.public_key_pem, new.public_key_pem);
    assert!(verifies(&old.public_key_pem, &decoded(&old_bundle.data), old_bundle.signature.as_ref().unwrap()));
    assert!(!verifies(&new.public_key_pem, &decoded(&old_bundle.data), old_bundle.signature.as_ref().unwrap()));

    trust(&app, "target", "release-1", &old.public_key_pem).await.unwrap();
    trust(&app, "target", "release-2", &new.public_key_pem).await.unwrap();
    // A key id never changes its public key: rotation is a new id.
    expect_error(
        trust(&app, "target", "release-1", &new.public_key_pem).await,
        Code::AlreadyExists,
        "RESOURCE_ALREADY_EXISTS",
    );
    untrust(&app, "target", "release-1").await;
    let request = |b: &ExportAgentsResponse| ImportAgentsRequest {
        conflict_policy: ConflictPolicy::Overwrite as i32,
        ..signed_import("target", b)
    };
    let by_old = app.agents.import_agents(request(&old_bundle)).await.unwrap().into_inner().signer.unwrap();
    assert_eq!((by_old.key_id.as_str(), by_old.verified, by_old.trusted), ("release-1", true, false));
    let by_new = app.agents.import_agents(request(&new_bundle)).await.unwrap().into_inner().signer.unwrap();
    assert_eq!((by_new.key_id.as_str(), by_new.trusted), ("release-2", true));

    // Only the tenant's own keys sign; a publisher's key or an unknown id is refused up front.
    let export = |key: &str| ExportAgentsRequest {
        parent: "tenants/target".into(),
        agent_ids: vec!["support".into()],
        signing_key_id: key.into(),
    };
    expect_error(app.agents.export_agents(export("release-2")).await, Code::FailedPrecondition, "FAILED_PRECONDITION");
    expect_error(app.agents.export_agents(export("nope")).await, Code::NotFound, "RESOURCE_NOT_FOUND");
    let bad = trust(
        &app,
        "target",
        "x",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    )
    .await;
    expect_error(bad, Code::InvalidArgument, "INVALID_ARGUMENT");

    // The private key is stored sealed: neither the API nor the raw table shows it.
    let listed = signing(&app)
        .list_signing_keys(ListSigningKeysRequest { parent: "tenants/source".into() })
        .await
        .unwrap()
        .into_inner()
        .signing_keys;
    assert_eq!(
        listed.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["tenants/source/signingKeys/release-1", "tenants/source/signingKeys/release-2"]
    );
    let db = sea_orm::Database::connect(app.database.url()).await.unwrap();
    use sea_orm::ConnectionTrait;
    let sql = "SELECT id, public_key, private_key FROM signing_keys WHERE tenant = 'source' ORDER BY id";
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let private: String = row.try_get("", "private_key").unwrap();
        let public: String = row.try_get("", "public_key").unwrap();
        assert!(private.starts_with("enc:v1:"), "sealed: {private}");
        assert!(!private.contains("PRIVATE KEY") && !private.contains(&public), "{private}");
    }
}

#[tokio::test]
async fn rest_signs_exports_verifies_imports_and_manages_keys_and_policy() {
    use crate::rest_emporix::Rest;
    use reqwest::StatusCode;
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let rest = Rest::new(&app);
    let key = rest
        .post("/ai-service/source/agentic/signing-keys", &json!({"keyId": "rest-1"}))
        .await
        .expect(StatusCode::CREATED)
        .body;
    assert_eq!((key["id"].as_str(), key["canSign"].as_bool()), (Some("rest-1"), Some(true)));
    assert!(key.get("privateKey").is_none());
    let exported = rest
        .post("/ai-service/source/agentic/agents/export", &json!({"agentIds": ["support"], "signingKeyId": "rest-1"}))
        .await
        .expect(StatusCode::OK)
        .body;
    let envelope = &exported["signature"];
    assert_eq!(envelope["payloadType"], PAYLOAD_TYPE);
    assert_eq!(envelope["signatures"][0]["keyid"], "rest-1");
    let signature: BundleSignature = serde_json::from_value(envelope.clone()).unwrap();
    assert!(verifies(key["publicKey"].as_str().unwrap(), &decoded(exported["data"].as_str().unwrap()), &signature));
    // Emporix's documented import body is data and checksum; the signature rides beside them.
    crate::rest_emporix::assert_valid(
        "export-response",
        &json!({
            "data": exported["data"], "checksum": exported["checksum"], "exportedAt": exported["exportedAt"], "jobId": exported["jobId"]
        }),
    );

    let trusted = rest
        .put("/ai-service/target/agentic/signing-keys/rest-1/trust", &json!({"publicKey": key["publicKey"]}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!((trusted["trusted"].as_bool(), trusted["canSign"].as_bool()), (Some(true), Some(false)));
    let policy = json!({"requireSigned": false, "trustedOnly": true, "action": "REFUSE"});
    let set = rest.put("/ai-service/target/agentic/signing-policy", &policy).await.expect(StatusCode::OK).body;
    assert_eq!(set, policy);
    assert_eq!(rest.get("/ai-service/target/agentic/signing-policy").await.expect(StatusCode::OK).body, policy);

    let imported = rest.post("/ai-service/target/agentic/agents/import", &exported).await.expect(StatusCode::OK).body;
    assert_eq!(imported["signer"], json!({"keyId": "rest-1", "verified": true, "trusted": true}));
    let job = rest
        .get(&format!("/ai-service/target/jobs/{}", imported["jobId"].as_str().unwrap()))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(job["importResult"]["signer"]["keyId"], "rest-1");
    let unsigned = json!({"data": exported["data"], "checksum": exported["checksum"]});
    rest.post("/ai-service/target/agentic/agents/import", &unsigned)
        .await
        .error(StatusCode::BAD_REQUEST, "SIGNATURE_REQUIRED");
    let mut forged = exported.clone();
    forged["signature"]["signatures"][0]["sig"] = Value::from(STANDARD.encode([7u8; 64]));
    rest.post("/ai-service/target/agentic/agents/import", &forged)
        .await
        .error(StatusCode::BAD_REQUEST, "SIGNATURE_INVALID");
    let untrusted =
        rest.delete("/ai-service/target/agentic/signing-keys/rest-1/trust").await.expect(StatusCode::OK).body;
    assert_eq!(untrusted["trusted"], false);
    rest.post("/ai-service/target/agentic/agents/import?requireSignature=true", &exported)
        .await
        .error(StatusCode::BAD_REQUEST, "SIGNER_NOT_TRUSTED");
    let listed = rest.get("/ai-service/target/agentic/signing-keys").await.expect(StatusCode::OK).body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_cli_creates_trusts_signs_and_requires_signatures() {
    use crate::cli::{agentport, stderr, stdout_json};
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let server = format!("http://{}", app.addr);
    let dir = tempfile::tempdir().unwrap();
    let created = agentport(
        &["signing-key", "create", "--server", &server, "--tenant", "source", "--key-id", "cli-1"],
        &[],
        None,
    )
    .await;
    assert_eq!(created.status.code(), Some(0), "{created:?}");
    let pem = String::from_utf8(created.stdout.clone()).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let pem_path = dir.path().join("cli-1.pem");
    std::fs::write(&pem_path, &pem).unwrap();

    let bundle_path = dir.path().join("signed.json");
    let out = bundle_path.to_str().unwrap();
    let export = agentport(
        &["export", "--server", &server, "--tenant", "source", "--agent", "support", "--sign", "cli-1", "--out", out],
        &[],
        None,
    )
    .await;
    assert_eq!(export.status.code(), Some(0), "{export:?}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
    let keys: Vec<&str> = file.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["data", "checksum", "exportedAt", "jobId", "signature"]);
    let signature: BundleSignature = serde_json::from_value(file["signature"].clone()).unwrap();
    assert!(verifies(&pem, &decoded(file["data"].as_str().unwrap()), &signature));

    let import = |extra: &'static [&'static str], path: String| {
        let server = server.clone();
        async move {
            let mut args = vec![
                "import".to_owned(),
                "--server".into(),
                server,
                "--tenant".into(),
                "target".into(),
                "--file".into(),
                path,
            ];
            args.extend(extra.iter().map(|s| s.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            agentport(&args, &[], None).await
        }
    };
    let refused = import(&["--require-signature"], out.to_owned()).await;
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(stderr(&refused).contains("SIGNATURE_REQUIRED"), "{}", stderr(&refused));

    let trust = agentport(
        &[
            "signing-key",
            "trust",
            "--server",
            &server,
            "--tenant",
            "target",
            "--key-id",
            "cli-1",
            "--public-key",
            pem_path.to_str().unwrap(),
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(trust.status.code(), Some(0), "{trust:?}");
    assert_eq!(stdout_json(&trust)["trusted"], true);
    let imported = import(&["--require-signature"], out.to_owned()).await;
    assert_eq!(imported.status.code(), Some(0), "{imported:?}");
    assert_eq!(stdout_json(&imported)["signer"], json!({"keyId": "cli-1", "verified": true, "trusted": true}));

    let untrust = agentport(
        &["signing-key", "untrust", "--server", &server, "--tenant", "target", "--key-id", "cli-1"],
        &[],
        None,
    )
    .await;
    assert_eq!(stdout_json(&untrust)["trusted"], false);
    let list = agentport(&["signing-key", "list", "--server", &server, "--tenant", "target"], &[], None).await;
    let listed = stdout_json(&list);
    assert_eq!(listed[0]["keyId"], "cli-1");
    assert_eq!(listed[0]["canSign"], false);
    assert_eq!(counts(&mut app, "target").await[0], 4);
}
