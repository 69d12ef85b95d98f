//! Content encoded on the fly as it streams into a JSON document: as the contents of a JSON
//! string (escaped exactly as a serializer escapes the whole text, so the output is
//! byte-identical), or as base64. Each piece is encoded as it arrives; what cannot be encoded
//! yet (a split character, a partial base64 group) waits for the next piece.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::utf8::{NotUtf8, Utf8Chunks};

/// How content is written inside a JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 text, escaped as serde_json's compact writer does.
    Text,
    /// UTF-8 text, escaped as Jackson's pretty printer does (bundles).
    JacksonText,
    /// Any bytes, standard base64.
    Base64,
}

/// An encoder for one content.
#[derive(Debug)]
pub struct Encoder {
    encoding: Encoding,
    text: Utf8Chunks,
    carry: Vec<u8>,
}

impl Encoder {
    pub fn new(encoding: Encoding) -> Self {
        Self { encoding, text: Utf8Chunks::default(), carry: Vec::new() }
    }

    /// Appends the encoding of `piece` (as far as it can be encoded yet) to `out`.
    pub fn push(&mut self, piece: &[u8], out: &mut Vec<u8>) -> Result<(), NotUtf8> {
        match self.encoding {
            Encoding::Text => escape_compact(&self.text.push(piece)?, out),
            Encoding::JacksonText => super::bundle::jackson::escape_into(&self.text.push(piece)?, out),
            Encoding::Base64 => {
                self.carry.extend_from_slice(piece);
                let whole = self.carry.len() / 3 * 3;
                let start = out.len();
                out.resize(start + whole / 3 * 4, 0);
                STANDARD.encode_slice(&self.carry[..whole], &mut out[start..]).expect("sized for the groups");
                self.carry.drain(..whole);
            }
        }
        Ok(())
    }

    /// Appends what is left (base64 padding); fails when text ended inside a character.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), NotUtf8> {
        match self.encoding {
            Encoding::Base64 => {
                out.extend_from_slice(STANDARD.encode(&self.carry).as_bytes());
                Ok(())
            }
            _ => self.text.finish(),
        }
    }
}

fn escape_compact(text: &str, out: &mut Vec<u8>) {
    let start = out.len();
    serde_json::to_writer(&mut *out, text).expect("a string always serializes into memory");
    out.pop();
    out.remove(start);
}

/// The encoded length of `size` bytes of base64.
pub fn base64_len(size: u64) -> u64 {
    size.div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(encoding: Encoding, bytes: &[u8], split: usize) -> Vec<u8> {
        let mut encoder = Encoder::new(encoding);
        let mut out = Vec::new();
        for piece in bytes.chunks(split) {
            encoder.push(piece, &mut out).unwrap();
        }
        encoder.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn pieces_encode_as_the_whole_does() {
        let text = "a\"b\\c\n\u{1}é€😀 end";
        let whole_compact = serde_json::to_string(text).unwrap();
        let mut whole_jackson = Vec::new();
        crate::domain::bundle::jackson::escape_into(text, &mut whole_jackson);
        for split in 1..=text.len() {
            let compact = encode(Encoding::Text, text.as_bytes(), split);
            assert_eq!(compact, whole_compact.as_bytes()[1..whole_compact.len() - 1]);
            assert_eq!(encode(Encoding::JacksonText, text.as_bytes(), split), whole_jackson);
            assert_eq!(encode(Encoding::Base64, text.as_bytes(), split), STANDARD.encode(text).as_bytes());
        }
        assert!(String::from_utf8(whole_jackson).unwrap().contains("\\u0001"));
        assert_eq!(base64_len(text.len() as u64), STANDARD.encode(text).len() as u64);
    }
}
