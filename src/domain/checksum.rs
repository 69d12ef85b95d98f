//! Bundle checksums: lowercase hex SHA-256 of the decoded bytes, or HMAC-SHA256 under the
//! operator's export key so that only this service can mint a valid one.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::page::hex;

pub fn checksum(bytes: &[u8], key: Option<&str>) -> String {
    match key {
        Some(key) => {
            let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
            mac.update(bytes);
            hex(&mac.finalize().into_bytes())
        }
        None => hex(&Sha256::digest(bytes)),
    }
}

/// A checksum computed as the bytes pass, for bundles too large to hold.
pub enum Hasher {
    Plain(Sha256),
    Keyed(Box<Hmac<Sha256>>),
}

impl Hasher {
    pub fn new(key: Option<&str>) -> Self {
        match key {
            Some(key) => Hasher::Keyed(Box::new(
                Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length"),
            )),
            None => Hasher::Plain(Sha256::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Plain(h) => h.update(bytes),
            Hasher::Keyed(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> String {
        match self {
            Hasher::Plain(h) => hex(&h.finalize()),
            Hasher::Keyed(h) => hex(&h.finalize().into_bytes()),
        }
    }
}

/// Whether `given` (hex, any case) is the checksum `computed`; compared in constant time.
pub fn matches(computed: &str, given: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    computed.as_bytes().ct_eq(given.as_bytes()).into()
}

/// Whether `given` (hex, any case) is the checksum of `bytes`; compared in constant time.
pub fn verify(bytes: &[u8], given: &str, key: Option<&str>) -> bool {
    let expected = checksum(bytes, key);
    let given = given.trim().to_ascii_lowercase();
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_keyed_checksums() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(checksum(b"abc", None), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // HMAC-SHA256 test vector (RFC 4231 case 2).
        assert_eq!(
            checksum(b"what do ya want for nothing?", Some("Jefe")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(b"abc", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", None));
        assert!(!verify(b"abd", &checksum(b"abc", None), None));
        assert!(!verify(b"abc", &checksum(b"abc", None), Some("k")));
        for key in [None, Some("Jefe")] {
            let mut hasher = Hasher::new(key);
            hasher.update(b"what do ya ");
            hasher.update(b"want for nothing?");
            assert_eq!(hasher.finish(), checksum(b"what do ya want for nothing?", key));
        }
    }
}
