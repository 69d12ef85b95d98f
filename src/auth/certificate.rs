//! Principals from verified client certificates (mTLS), read the way Kubernetes reads them:
//! the subject's common name (CN) is who calls, shown as `cert:<CN>`; its organization (O) is
//! the tenant; each organizational unit (OU) that names a known scope grants that scope (other
//! OUs are ignored, as organizations use them for their own purposes). A certificate needs
//! exactly one CN and one O: without a tenant it would otherwise act as the unrestricted local
//! principal.
//!
//! The listener verifies the certificate against the configured client CA during the handshake
//! and attaches the subject to every request of that connection; nothing here checks
//! signatures.

use std::collections::BTreeSet;

use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};

use super::Principal;
use super::policy::KNOWN_SCOPES;
use crate::error::{Error, ErrorCode, Result};

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");

/// The subject of the verified client certificate a connection presented; carried in each of
/// its requests' extensions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientCertificate {
    pub common_names: Vec<String>,
    pub organizations: Vec<String>,
    pub organizational_units: Vec<String>,
}

impl ClientCertificate {
    /// Reads the subject of a DER certificate. Attribute values in a string type other than
    /// UTF8String, PrintableString or IA5String are skipped.
    pub fn from_der(der: &[u8]) -> std::result::Result<Self, String> {
        let cert = Certificate::from_der(der).map_err(|e| format!("unreadable client certificate: {e}"))?;
        let mut subject = Self::default();
        for rdn in &cert.tbs_certificate.subject.0 {
            for attribute in rdn.0.iter() {
                let text = match attribute.value.tag() {
                    Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
                        match std::str::from_utf8(attribute.value.value()) {
                            Ok(text) => text.to_owned(),
                            Err(_) => continue,
                        }
                    }
                    _ => continue,
                };
                let list = match attribute.oid {
                    COMMON_NAME => &mut subject.common_names,
                    ORGANIZATION => &mut subject.organizations,
                    ORGANIZATIONAL_UNIT => &mut subject.organizational_units,
                    _ => continue,
                };
                list.push(text);
            }
        }
        Ok(subject)
    }

    /// The principal the certificate stands for.
    pub fn principal(&self) -> Result<Principal> {
        let refused = |why: &str| Error::new(ErrorCode::Unauthenticated, format!("the client certificate {why}"));
        let [name] = self.common_names.as_slice() else {
            return Err(refused("must name exactly one subject common name (CN)"));
        };
        let [tenant] = self.organizations.as_slice() else {
            return Err(refused("must name exactly one tenant as its organization (O)"));
        };
        if name.is_empty() || tenant.is_empty() {
            return Err(refused("has an empty common name (CN) or organization (O)"));
        }
        let scopes: BTreeSet<String> =
            self.organizational_units.iter().filter(|unit| KNOWN_SCOPES.contains(&unit.as_str())).cloned().collect();
        Ok(Principal { subject: format!("cert:{name}"), tenant: Some(tenant.clone()), scopes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(cn: &[&str], o: &[&str], ou: &[&str]) -> ClientCertificate {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        ClientCertificate { common_names: owned(cn), organizations: owned(o), organizational_units: owned(ou) }
    }

    #[test]
    fn subject_maps_to_a_principal() {
        let principal =
            subject(&["ci-bot"], &["acme"], &["ai.agent_read", "team-blue", "ai.agent_manage"]).principal().unwrap();
        assert_eq!(principal.subject, "cert:ci-bot");
        assert_eq!(principal.tenant.as_deref(), Some("acme"));
        assert_eq!(principal.scopes, ["ai.agent_manage", "ai.agent_read"].map(String::from).into_iter().collect());
    }

    #[test]
    fn reads_the_subject_of_a_der_certificate() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "ci-bot");
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "acme");
        params.distinguished_name.push(rcgen::DnType::OrganizationalUnitName, "ai.agent_read");
        params.distinguished_name.push(rcgen::DnType::CountryName, "DE");
        let cert = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        let read = ClientCertificate::from_der(cert.der()).unwrap();
        assert_eq!(read, subject(&["ci-bot"], &["acme"], &["ai.agent_read"]));
        assert!(ClientCertificate::from_der(b"not DER").is_err());
    }

    #[test]
    fn certificates_without_one_tenant_or_name_authenticate_nobody() {
        for bad in [
            subject(&["bot"], &[], &["ai.agent_read"]),
            subject(&["bot"], &["acme", "other"], &["ai.agent_read"]),
            subject(&[], &["acme"], &["ai.agent_read"]),
            subject(&["bot"], &[""], &[]),
        ] {
            let err = bad.principal().unwrap_err();
            assert_eq!(err.code, ErrorCode::Unauthenticated, "{bad:?}");
        }
    }
}
