//! UTF-8 text arriving in pieces whose boundaries may split a character.

use std::borrow::Cow;

/// Validates text piece by piece: each push returns the whole characters completed so far,
/// carrying a character split at the end of a piece over to the next.
#[derive(Debug, Default)]
pub struct Utf8Chunks {
    carry: Vec<u8>,
}

/// The bytes are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8;

impl Utf8Chunks {
    pub fn push<'a>(&mut self, piece: &'a [u8]) -> Result<Cow<'a, str>, NotUtf8> {
        let bytes: Cow<'a, [u8]> = if self.carry.is_empty() {
            Cow::Borrowed(piece)
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(piece);
            Cow::Owned(joined)
        };
        let valid = match std::str::from_utf8(&bytes) {
            Ok(_) => bytes.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Err(NotUtf8),
        };
        self.carry = bytes[valid..].to_vec();
        Ok(match bytes {
            Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(&b[..valid]).expect("checked above")),
            Cow::Owned(mut b) => {
                b.truncate(valid);
                Cow::Owned(String::from_utf8(b).expect("checked above"))
            }
        })
    }

    /// Fails when the text ended inside a character.
    pub fn finish(&self) -> Result<(), NotUtf8> {
        if self.carry.is_empty() { Ok(()) } else { Err(NotUtf8) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_split_across_pieces_are_joined() {
        let text = "añ€😀z".as_bytes();
        for split in 0..=text.len() {
            let mut chunks = Utf8Chunks::default();
            let mut out = chunks.push(&text[..split]).unwrap().into_owned();
            out.push_str(&chunks.push(&text[split..]).unwrap());
            chunks.finish().unwrap();
            assert_eq!(out, "añ€😀z");
        }
        assert_eq!(Utf8Chunks::default().push(b"a\xffb"), Err(NotUtf8));
        let mut cut = Utf8Chunks::default();
        cut.push(&"€".as_bytes()[..2]).unwrap();
        assert_eq!(cut.finish(), Err(NotUtf8));
    }
}
