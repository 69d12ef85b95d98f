//! DSSE (Dead Simple Signing Envelope, as in-toto and Sigstore use it): what is signed is the
//! pre-authentication encoding (PAE) of the payload type and the payload bytes,
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal. A bundle is
//! signed over the exact bytes of its decoded `data`.

/// The payload type of a signed bundle (an export's decoded `data`).
pub const BUNDLE_PAYLOAD_TYPE: &str = "application/vnd.agentport.bundle+json";
/// The payload type of a signed template (its JSON document, as exported).
pub const TEMPLATE_PAYLOAD_TYPE: &str = "application/vnd.agentport.template+json";

/// Everything PAE puts before the body: hashing it then the body, piece by piece, hashes the
/// whole encoding without holding the body in memory.
pub fn pae_prefix(payload_type: &str, body_len: u64) -> Vec<u8> {
    format!("DSSEv1 {} {payload_type} {body_len} ", payload_type.len()).into_bytes()
}

/// The whole PAE of `body`.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = pae_prefix(payload_type, body.len() as u64);
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_encoding_of_the_dsse_spec() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }
}
