//! Every call has a principal, a tenant and scopes: bearer JWTs (HS256, RS256, ES256) and API
//! keys, refused with the right code, deciding before existence.

use std::time::{SystemTime, UNIX_EPOCH};

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::api_key_service_client::ApiKeyServiceClient;
use agentport::proto::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::crud::sample_agent;
use crate::helpers::{TestApp, reason, spawn_app_with};

pub const HS_SECRET: &str = "test-hs256-secret-that-is-long-enough";
pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "agentport";
const READ: &str = "ai.agent_read";
const MANAGE: &str = "ai.agent_manage";

pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth").join(name)
}

pub async fn secured_app() -> TestApp {
    spawn_app_with(|s| {
        s.jwt_hs256_secret = Some(HS_SECRET.into());
        s.jwks_file = Some(fixture("jwks.json"));
        s.jwt_issuer = Some(ISSUER.into());
        s.jwt_audience = Some(AUDIENCE.into());
        s.auth_api_keys = true;
    })
    .await
}

/// Claims with overridable parts.
pub struct Claims<'a> {
    pub tenant: &'a str,
    pub scopes: &'a [&'a str],
    pub expires_in: i64,
    pub audience: &'a str,
    pub issuer: &'a str,
    /// Claims left out of the token.
    pub without: &'a [&'a str],
    /// Seconds from now, for `nbf` (absent when `None`) and `iat`.
    pub not_before_in: Option<i64>,
    pub issued_in: i64,
    pub subject: &'a str,
}

impl<'a> Claims<'a> {
    pub fn new(tenant: &'a str, scopes: &'a [&'a str]) -> Self {
        Self {
            tenant,
            scopes,
            expires_in: 600,
            audience: AUDIENCE,
            issuer: ISSUER,
            without: &[],
            not_before_in: None,
            issued_in: 0,
            subject: "tester",
        }
    }

    fn json(&self) -> serde_json::Value {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let mut claims = serde_json::json!({
            "sub": self.subject, "tenant": self.tenant, "scope": self.scopes.join(" "),
            "exp": now + self.expires_in, "iat": now + self.issued_in, "aud": self.audience, "iss": self.issuer,
        });
        if let Some(offset) = self.not_before_in {
            claims["nbf"] = (now + offset).into();
        }
        for claim in self.without {
            claims.as_object_mut().unwrap().remove(*claim);
        }
        claims
    }

    pub fn hs256(&self, secret: &str) -> String {
        encode(&Header::new(Algorithm::HS256), &self.json(), &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    pub fn rs256(&self) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rsa-1".into());
        let key = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rsa_private.pem")).unwrap()).unwrap();
        encode(&header, &self.json(), &key).unwrap()
    }

    pub fn es256(&self) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("ec-1".into());
        let key = EncodingKey::from_ec_pem(&std::fs::read(fixture("ec_private.pem")).unwrap()).unwrap();
        encode(&header, &self.json(), &key).unwrap()
    }
}

/// A request carrying a credential header.
pub fn with<M>(message: M, header: &'static str, value: &str) -> Request<M> {
    let mut request = Request::new(message);
    if !value.is_empty() {
        request.metadata_mut().insert(header, value.parse().unwrap());
    }
    request
}

pub fn bearer<M>(message: M, token: &str) -> Request<M> {
    with(message, "authorization", &format!("Bearer {token}"))
}

/// Result codes of a read (GetAgent) and a write (CreateAgent) in `tenant` with a credential.
async fn probe(
    client: &mut AgentServiceClient<Channel>,
    tenant: &str,
    header: &'static str,
    value: &str,
) -> (Code, Code) {
    let read = client
        .get_agent(with(GetAgentRequest { name: format!("tenants/{tenant}/agents/existing") }, header, value))
        .await;
    let id = format!("new-{}", uuid::Uuid::new_v4().simple());
    let write = client
        .create_agent(with(
            CreateAgentRequest { parent: format!("tenants/{tenant}"), agent_id: id, agent: Some(sample_agent()) },
            header,
            value,
        ))
        .await;
    (read.map(|_| Code::Ok).unwrap_or_else(|s| s.code()), write.map(|_| Code::Ok).unwrap_or_else(|s| s.code()))
}

#[tokio::test]
async fn bearer_tokens_are_checked_for_signature_expiry_audience_issuer_tenant_and_scope() {
    let app = secured_app().await;
    let mut client = app.agents.clone();
    let admin = Claims::new("a", &[READ, MANAGE]).hs256(HS_SECRET);
    client
        .create_agent(bearer(
            CreateAgentRequest { parent: "tenants/a".into(), agent_id: "existing".into(), agent: Some(sample_agent()) },
            &admin,
        ))
        .await
        .unwrap();

    let auth = "authorization";
    let token = |c: Claims| format!("Bearer {}", c.hs256(HS_SECRET));
    let rw = || Claims::new("a", &[READ, MANAGE]);
    let cases: Vec<(&str, String, (Code, Code))> = vec![
        ("no credentials", String::new(), (Code::Unauthenticated, Code::Unauthenticated)),
        ("valid HS256", token(Claims::new("a", &[READ, MANAGE])), (Code::Ok, Code::Ok)),
        ("valid RS256", format!("Bearer {}", Claims::new("a", &[READ, MANAGE]).rs256()), (Code::Ok, Code::Ok)),
        ("valid ES256", format!("Bearer {}", Claims::new("a", &[READ, MANAGE]).es256()), (Code::Ok, Code::Ok)),
        (
            "expired",
            token(Claims { expires_in: -3600, ..Claims::new("a", &[READ, MANAGE]) }),
            (Code::Unauthenticated, Code::Unauthenticated),
        ),
        (
            "wrong signature",
            format!("Bearer {}", Claims::new("a", &[READ, MANAGE]).hs256("another-secret-of-some-length")),
            (Code::Unauthenticated, Code::Unauthenticated),
        ),
        (
            "wrong audience",
            token(Claims { audience: "someone-else", ..Claims::new("a", &[READ, MANAGE]) }),
            (Code::Unauthenticated, Code::Unauthenticated),
        ),
        (
            "wrong issuer",
            token(Claims { issuer: "https://evil.test", ..Claims::new("a", &[READ, MANAGE]) }),
            (Code::Unauthenticated, Code::Unauthenticated),
        ),
        ("garbage", "Bearer not-a-jwt".into(), (Code::Unauthenticated, Code::Unauthenticated)),
        ("no audience", token(Claims { without: &["aud"], ..rw() }), (Code::Unauthenticated, Code::Unauthenticated)),
        ("no issuer", token(Claims { without: &["iss"], ..rw() }), (Code::Unauthenticated, Code::Unauthenticated)),
        ("no expiry", token(Claims { without: &["exp"], ..rw() }), (Code::Unauthenticated, Code::Unauthenticated)),
        (
            "not valid for an hour (nbf)",
            token(Claims { not_before_in: Some(3600), ..rw() }),
            (Code::Unauthenticated, Code::Unauthenticated),
        ),
        ("nbf within the leeway", token(Claims { not_before_in: Some(10), ..rw() }), (Code::Ok, Code::Ok)),
        ("nbf passed", token(Claims { not_before_in: Some(-10), ..rw() }), (Code::Ok, Code::Ok)),
        (
            "issued in an hour (iat)",
            token(Claims { issued_in: 3600, ..rw() }),
            (Code::Unauthenticated, Code::Unauthenticated),
        ),
        ("wrong tenant", token(Claims::new("b", &[READ, MANAGE])), (Code::PermissionDenied, Code::PermissionDenied)),
        ("read scope only", token(Claims::new("a", &[READ])), (Code::Ok, Code::PermissionDenied)),
        ("manage scope only", token(Claims::new("a", &[MANAGE])), (Code::PermissionDenied, Code::Ok)),
        ("no scope", token(Claims::new("a", &[])), (Code::PermissionDenied, Code::PermissionDenied)),
    ];
    for (case, value, expected) in cases {
        assert_eq!(probe(&mut client, "a", auth, &value).await, expected, "{case}");
    }

    // A refusal tells the caller nothing about why, except that a token expired.
    let refused = |value: String| {
        let mut client = client.clone();
        async move {
            let request = with(GetAgentRequest { name: "tenants/a/agents/existing".into() }, auth, &value);
            client.get_agent(request).await.unwrap_err().message().to_owned()
        }
    };
    assert_eq!(refused(token(Claims { audience: "someone-else", ..rw() })).await, "invalid token");
    assert_eq!(refused(token(Claims { without: &["iss"], ..rw() })).await, "invalid token");
    assert_eq!(refused(token(Claims { expires_in: -3600, ..rw() })).await, "token expired");
}

#[tokio::test]
async fn a_short_hs256_secret_is_refused_at_start() {
    let database = crate::helpers::TestDatabase::create().await;
    let settings = agentport::config::Settings {
        database_url: database.url().to_owned(),
        jwt_hs256_secret: Some("x".into()),
        ..Default::default()
    };
    let refused = agentport::startup::Application::build(settings).await.err().expect("refuses to start");
    assert!(refused.to_string().contains("at least 32"), "{refused}");
}

#[tokio::test]
async fn api_keys_are_checked_and_revocable() {
    let app = secured_app().await;
    let mut client = app.agents.clone();
    let mut keys = ApiKeyServiceClient::new(app.channel.clone());
    let admin = Claims::new("a", &["agentport.admin"]).hs256(HS_SECRET);
    let create = |scopes: &[&str]| CreateApiKeyRequest {
        parent: "tenants/a".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        description: "test".into(),
    };
    let unknown = keys.create_api_key(bearer(create(&[READ, "bogus.scope"]), &admin)).await.unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(unknown.message().contains("scopes[1]") && unknown.message().contains("unknown scope"), "{unknown:?}");
    let full = keys.create_api_key(bearer(create(&[READ, MANAGE]), &admin)).await.unwrap().into_inner();
    let reader = keys.create_api_key(bearer(create(&[READ]), &admin)).await.unwrap().into_inner();
    assert!(full.key.starts_with("ap.a."));
    let listed = keys
        .list_api_keys(bearer(ListApiKeysRequest { parent: "tenants/a".into() }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.api_keys.len(), 2);
    assert!(!format!("{listed:?}").contains(&full.key[full.key.len() - 20..]), "a listed key never shows its secret");

    client
        .create_agent(with(
            CreateAgentRequest { parent: "tenants/a".into(), agent_id: "existing".into(), agent: Some(sample_agent()) },
            "x-api-key",
            &full.key,
        ))
        .await
        .unwrap();
    let key = "x-api-key";
    assert_eq!(probe(&mut client, "a", key, &full.key).await, (Code::Ok, Code::Ok), "valid key");
    assert_eq!(probe(&mut client, "a", key, &reader.key).await, (Code::Ok, Code::PermissionDenied), "missing scope");
    assert_eq!(
        probe(&mut client, "b", key, &full.key).await,
        (Code::PermissionDenied, Code::PermissionDenied),
        "wrong tenant"
    );
    let mut tampered = full.key.clone();
    tampered.pop();
    tampered.push('x');
    assert_eq!(
        probe(&mut client, "a", key, &tampered).await,
        (Code::Unauthenticated, Code::Unauthenticated),
        "wrong secret"
    );
    assert_eq!(
        probe(&mut client, "a", key, "ap.a.nope.0123456789abcdef0123456789abcdef").await.0,
        Code::Unauthenticated,
        "unknown key"
    );

    let revoked = keys
        .revoke_api_key(bearer(RevokeApiKeyRequest { name: full.api_key.unwrap().name }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoke_time.is_some());
    assert_eq!(
        probe(&mut client, "a", key, &full.key).await,
        (Code::Unauthenticated, Code::Unauthenticated),
        "revoked key"
    );

    // Managing keys needs the admin scope, in the key's own tenant.
    let manager = Claims::new("a", &[READ, MANAGE]).hs256(HS_SECRET);
    let denied = keys.create_api_key(bearer(create(&[READ]), &manager)).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let other_admin = Claims::new("b", &["agentport.admin"]).hs256(HS_SECRET);
    assert_eq!(
        keys.list_api_keys(bearer(ListApiKeysRequest { parent: "tenants/a".into() }, &other_admin))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
}

#[tokio::test]
async fn a_refusal_never_reveals_whether_something_exists() {
    let app = secured_app().await;
    let mut client = app.agents.clone();
    let owner = Claims::new("a", &[READ, MANAGE]).hs256(HS_SECRET);
    client
        .create_agent(bearer(
            CreateAgentRequest { parent: "tenants/a".into(), agent_id: "real".into(), agent: Some(sample_agent()) },
            &owner,
        ))
        .await
        .unwrap();
    let stranger = Claims::new("b", &[READ, MANAGE]).hs256(HS_SECRET);
    let existing = client
        .get_agent(bearer(GetAgentRequest { name: "tenants/a/agents/real".into() }, &stranger))
        .await
        .unwrap_err();
    let missing = client
        .get_agent(bearer(GetAgentRequest { name: "tenants/a/agents/ghost".into() }, &stranger))
        .await
        .unwrap_err();
    assert_eq!((existing.code(), existing.message()), (missing.code(), missing.message()));
    assert_eq!(reason(&existing), "PERMISSION_DENIED");
    let update = client
        .update_agent(bearer(
            UpdateAgentRequest {
                agent: Some(Agent { name: "tenants/a/agents/real".into(), ..Default::default() }),
                update_mask: None,
            },
            &stranger,
        ))
        .await
        .unwrap_err();
    assert_eq!(update.code(), Code::PermissionDenied, "the tenant of a nested resource name counts too");
}

#[tokio::test]
async fn health_and_reflection_need_no_credentials() {
    let mut app = secured_app().await;
    let status =
        app.health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.unwrap().into_inner();
    assert_eq!(status.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
}

#[tokio::test]
async fn without_authentication_the_service_only_binds_loopback() {
    let database = crate::helpers::TestDatabase::create().await;
    let open = agentport::config::Settings {
        listen: "0.0.0.0:0".parse().unwrap(),
        database_url: database.url().to_owned(),
        ..Default::default()
    };
    let refused = agentport::startup::Application::build(open.clone()).await.err().expect("refuses to start");
    assert!(refused.to_string().contains("without authentication"), "{refused}");
    let secured = agentport::config::Settings { jwt_hs256_secret: Some(HS_SECRET.into()), ..open };
    agentport::startup::Application::build(secured).await.expect("starts with authentication on any address");
}
