//! What an import does with a bundle's signature: the tenant's policy, and the verdict on a
//! bundle given who (if anyone) signed it. Checking the signature itself is the service's job.

use crate::error::ErrorCode;
use crate::proto::Signer;

/// What happens to a bundle the policy's rules do not accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyAction {
    #[default]
    Refuse,
    /// Keep the bundle in an import job that waits for an approval.
    Hold,
}

impl PolicyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyAction::Refuse => "refuse",
            PolicyAction::Hold => "hold",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [PolicyAction::Refuse, PolicyAction::Hold].into_iter().find(|a| a.as_str() == text)
    }
}

/// A tenant's signing policy; the default accepts every bundle whose signature, if any, verifies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningPolicy {
    pub require_signed: bool,
    pub trusted_only: bool,
    pub action: PolicyAction,
    /// Microseconds since the Unix epoch; 0 while the tenant has the default.
    pub updated_at: i64,
}

/// The outcome for a bundle whose signature, if any, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Refuse { code: ErrorCode, why: String },
    Hold { why: String },
}

impl Verdict {
    /// This verdict where nothing can wait for a review (a dry run, a template import): a hold
    /// becomes a refusal, `because` saying why.
    pub fn without_hold(self, signer: Option<&Signer>, because: &str) -> Verdict {
        match self {
            Verdict::Hold { why } => Verdict::Refuse {
                code: match signer.is_some_and(|s| s.verified) {
                    true => ErrorCode::SignerNotTrusted,
                    false => ErrorCode::SignatureRequired,
                },
                why: format!("{why}; {because}"),
            },
            verdict => verdict,
        }
    }
}

/// The verdict on a bundle signed by `signer` (`None`: unsigned) under `policy`; a request that
/// asks for a signature (`require_trusted`) wants one by a trusted key and is never held.
pub fn decide(policy: &SigningPolicy, signer: Option<&Signer>, require_trusted: bool) -> Verdict {
    let verified = signer.filter(|s| s.verified);
    let (code, why) = match (signer, verified) {
        (_, Some(s)) if s.trusted => return Verdict::Accept,
        (None, _) => (ErrorCode::SignatureRequired, "the bundle is not signed".to_owned()),
        (Some(s), None) => (
            ErrorCode::SignatureRequired,
            format!(
                "the bundle is signed by key `{}`, which the tenant does not know, so nothing verified it",
                s.key_id
            ),
        ),
        (_, Some(s)) => (
            ErrorCode::SignerNotTrusted,
            format!("the bundle is signed by key `{}`, which the tenant does not trust", s.key_id),
        ),
    };
    if require_trusted {
        return Verdict::Refuse { code, why: format!("{why}; the request requires a signature by a trusted key") };
    }
    let rule = if verified.is_none() && policy.require_signed {
        "require_signed"
    } else if policy.trusted_only {
        "trusted_only"
    } else {
        return Verdict::Accept;
    };
    let why = format!("{why} (signing policy `{rule}`)");
    match policy.action {
        PolicyAction::Refuse => Verdict::Refuse { code, why },
        PolicyAction::Hold => Verdict::Hold { why },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(verified: bool, trusted: bool) -> Option<Signer> {
        Some(Signer { key_id: "k".into(), verified, trusted })
    }

    #[test]
    fn each_rule_takes_what_it_names() {
        let open = SigningPolicy::default();
        let signed = SigningPolicy { require_signed: true, ..Default::default() };
        let trusted = SigningPolicy { trusted_only: true, action: PolicyAction::Hold, ..Default::default() };
        let untrusted = signer(true, false);
        let unknown = signer(false, false);
        let good = signer(true, true);
        for s in [None, unknown.as_ref(), untrusted.as_ref(), good.as_ref()] {
            assert_eq!(decide(&open, s, false), Verdict::Accept);
        }
        assert!(matches!(decide(&signed, None, false), Verdict::Refuse { code: ErrorCode::SignatureRequired, .. }));
        assert!(matches!(
            decide(&signed, unknown.as_ref(), false),
            Verdict::Refuse { code: ErrorCode::SignatureRequired, .. }
        ));
        assert_eq!(decide(&signed, untrusted.as_ref(), false), Verdict::Accept);
        assert!(matches!(decide(&trusted, untrusted.as_ref(), false), Verdict::Hold { .. }));
        assert!(matches!(decide(&trusted, None, false), Verdict::Hold { .. }));
        assert_eq!(decide(&trusted, good.as_ref(), false), Verdict::Accept);
        assert!(matches!(
            decide(&open, untrusted.as_ref(), true),
            Verdict::Refuse { code: ErrorCode::SignerNotTrusted, .. }
        ));
        assert!(matches!(decide(&trusted, None, true), Verdict::Refuse { .. }), "a request's demand is never held");
        assert_eq!(decide(&open, good.as_ref(), true), Verdict::Accept);
    }
}
