//! Bearer JWTs: HS256 with a shared secret, or RS256/ES256 with public keys from a JWKS file.
//! `exp` is required and checked; `nbf` and `iat` are checked when present; `iss` and `aud` are
//! required and checked when configured. Clock differences are forgiven up to the configured
//! leeway. The caller learns only that its token was refused (or expired); the reason is logged.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use super::Principal;

/// Why a token was refused; shown to the caller, never with the token itself.
pub type Refusal = &'static str;

/// What every refusal but an expired token tells the caller.
const REFUSED: Refusal = "invalid token";
/// An expired token is the one refusal worth telling: its holder should fetch a new one.
const EXPIRED: Refusal = "token expired";

/// Shortest HS256 secret accepted: 256 bits, the size of the HMAC-SHA256 key (RFC 7518 §3.2).
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// How a verifier is set up (from [`crate::config::Settings`]).
pub struct JwtSettings<'a> {
    pub hs256_secret: Option<&'a SecretString>,
    pub jwks_file: Option<&'a Path>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub tenant_claim: String,
    pub leeway: Duration,
}

pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    /// Public keys by `kid` (empty kid when the JWKS entry has none).
    public: Vec<(String, Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
    tenant_claim: String,
    leeway: Duration,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl JwtVerifier {
    pub fn new(settings: JwtSettings<'_>) -> Result<Self, String> {
        if let Some(secret) = settings.hs256_secret {
            let bytes = secret.expose_secret().len();
            if bytes < MIN_HS256_SECRET_BYTES {
                return Err(format!(
                    "AGENTPORT_JWT_HS256_SECRET has {bytes} bytes; HS256 needs at least {MIN_HS256_SECRET_BYTES} \
                     random bytes (e.g. `openssl rand -base64 48`)"
                ));
            }
        }
        let mut public = Vec::new();
        if let Some(path) = settings.jwks_file {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read JWKS file {}: {e}", path.display()))?;
            let set: JwkSet =
                serde_json::from_str(&text).map_err(|e| format!("invalid JWKS file {}: {e}", path.display()))?;
            for jwk in &set.keys {
                let algorithm = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                    _ => continue,
                };
                let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key in {}: {e}", path.display()))?;
                public.push((jwk.common.key_id.clone().unwrap_or_default(), algorithm, key));
            }
            if public.is_empty() {
                return Err(format!("JWKS file {} holds no RSA or EC key", path.display()));
            }
        }
        Ok(Self {
            hs256: settings.hs256_secret.map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            public,
            issuer: settings.issuer,
            audience: settings.audience,
            tenant_claim: settings.tenant_claim,
            leeway: settings.leeway,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Principal, Refusal> {
        self.check(token).map_err(|why| {
            tracing::debug!(why, "bearer token refused");
            if why == EXPIRED { EXPIRED } else { REFUSED }
        })
    }

    /// The precise reason a token is refused, for the log.
    fn check(&self, token: &str) -> Result<Principal, &'static str> {
        let header = decode_header(token).map_err(|_| "malformed token")?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref().ok_or("HS256 tokens are not accepted")?,
            Algorithm::RS256 | Algorithm::ES256 => {
                let kid = header.kid.clone().unwrap_or_default();
                self.public
                    .iter()
                    .find(|(id, alg, _)| *alg == header.alg && (kid.is_empty() || *id == kid))
                    .map(|(_, _, key)| key)
                    .ok_or("no key for this token")?
            }
            _ => return Err("unsupported signing algorithm"),
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = self.audience.is_some();
        let mut required = vec!["exp"];
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let data = decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => EXPIRED,
            jsonwebtoken::errors::ErrorKind::ImmatureSignature => "token not valid yet (nbf)",
            jsonwebtoken::errors::ErrorKind::InvalidSignature => "invalid token signature",
            jsonwebtoken::errors::ErrorKind::InvalidAudience => "token is for another audience",
            jsonwebtoken::errors::ErrorKind::InvalidIssuer => "token is from another issuer",
            jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
            _ => "invalid token",
        })?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        if data.claims.iat.is_some_and(|iat| iat > now + self.leeway.as_secs_f64()) {
            return Err("token issued in the future (iat)");
        }
        let tenant =
            data.claims.rest.get(&self.tenant_claim).and_then(|v| v.as_str()).ok_or("token has no tenant claim")?;
        let scopes: BTreeSet<String> =
            data.claims.scope.unwrap_or_default().split_whitespace().map(str::to_owned).collect();
        Ok(Principal {
            subject: format!("jwt:{}", data.claims.sub.unwrap_or_else(|| "unknown".into())),
            tenant: Some(tenant.to_owned()),
            scopes,
        })
    }
}
