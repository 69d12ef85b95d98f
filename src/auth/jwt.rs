//! Bearer JWTs: HS256 with a shared secret, or RS256/ES256 with public keys from a JWKS file.
//! `exp` is always checked; `iss` and `aud` when configured.

use std::collections::BTreeSet;
use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use super::Principal;

/// Why a token was refused; shown to the caller, never with the token itself.
pub type Refusal = &'static str;

pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    /// Public keys by `kid` (empty kid when the JWKS entry has none).
    public: Vec<(String, Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
    tenant_claim: String,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl JwtVerifier {
    pub fn new(
        hs256_secret: Option<&str>,
        jwks_file: Option<&Path>,
        issuer: Option<String>,
        audience: Option<String>,
        tenant_claim: String,
    ) -> Result<Self, String> {
        let mut public = Vec::new();
        if let Some(path) = jwks_file {
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
            hs256: hs256_secret.map(|s| DecodingKey::from_secret(s.as_bytes())),
            public,
            issuer,
            audience,
            tenant_claim,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Principal, Refusal> {
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
        validation.leeway = 5;
        validation.validate_exp = true;
        validation.validate_aud = self.audience.is_some();
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        let data = decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token expired",
            jsonwebtoken::errors::ErrorKind::InvalidSignature => "invalid token signature",
            jsonwebtoken::errors::ErrorKind::InvalidAudience => "token is for another audience",
            jsonwebtoken::errors::ErrorKind::InvalidIssuer => "token is from another issuer",
            jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
            _ => "invalid token",
        })?;
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
