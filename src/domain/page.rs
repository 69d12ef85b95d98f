//! Pages of a list: keyset pages with opaque, query-bound page tokens (AIP-158), plus an
//! optional `skip` after the token's position for the offset pages of the REST dialects.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// Largest `skip`: an offset page walks the index past every skipped entry, so its cost
/// grows with the offset (a page token's does not); this keeps the walk bounded.
pub const MAX_SKIP: u64 = 1_000_000;

/// One page to read: at most `size` items with ids after `after`, the first `skip` of those
/// left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub size: u64,
    pub after: Option<String>,
    pub skip: u64,
}

#[derive(Serialize, Deserialize)]
struct Token {
    /// Last id of the previous page (id order).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    a: String,
    /// Items before the next page (sorted lists, which page by position).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<u64>,
    /// Fingerprint of the query the token belongs to.
    q: String,
}

/// A short digest of everything that defines a query besides the page.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize()[..8])
}

/// A page as a List request asks for it: `page_size`, `page_token`, `skip`.
pub fn request(page_size: i32, page_token: &str, skip: i32, fingerprint: &str) -> Result<PageRequest, Error> {
    let skip = match u64::try_from(skip) {
        Ok(n) if n <= MAX_SKIP => n,
        Ok(_) => return Err(Error::invalid_field("skip", format!("must be at most {MAX_SKIP}"))),
        Err(_) => return Err(Error::invalid_field("skip", "must not be negative")),
    };
    let size = match page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if n < 0 => return Err(Error::invalid_field("page_size", "must not be negative")),
        n if n as u64 > MAX_PAGE_SIZE => {
            return Err(Error::invalid_field("page_size", format!("must be at most {MAX_PAGE_SIZE}")));
        }
        n => n as u64,
    };
    if page_token.is_empty() {
        return Ok(PageRequest { size, after: None, skip });
    }
    let bytes = URL_SAFE_NO_PAD.decode(page_token).map_err(|_| bad_token())?;
    let token: Token = serde_json::from_slice(&bytes).map_err(|_| bad_token())?;
    if token.q != fingerprint {
        return Err(bad_token());
    }
    match token.o {
        Some(offset) => {
            let skip = offset + skip;
            if skip > MAX_SKIP {
                return Err(Error::invalid_field(
                    "page_token",
                    format!("pages past the {MAX_SKIP}th item of a sorted list; narrow the query"),
                ));
            }
            Ok(PageRequest { size, after: None, skip })
        }
        None if token.a.is_empty() => Err(bad_token()),
        None => Ok(PageRequest { size, after: Some(token.a), skip }),
    }
}

/// INVALID_PAGE_TOKEN: the token does not belong to this query.
pub fn bad_token() -> Error {
    let mut err = Error::invalid_field("page_token", "not a token of this query; start again without it");
    err.code = ErrorCode::InvalidPageToken;
    err
}

/// [`split`] for a list that pages by position: the token holds how many items come before
/// the next page.
pub fn split_by_position<T>(rows: &mut Vec<T>, page: &PageRequest, fingerprint: &str) -> String {
    if rows.len() as u64 <= page.size {
        return String::new();
    }
    rows.truncate(page.size as usize);
    let token = Token { a: String::new(), o: Some(page.skip + page.size), q: fingerprint.to_owned() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("token serializes"))
}

/// Cuts `rows` (read with one extra row) to the page and returns the next page's token, empty
/// when this is the last page.
pub fn split<T>(rows: &mut Vec<T>, page: &PageRequest, fingerprint: &str, id: impl Fn(&T) -> &str) -> String {
    if rows.len() as u64 <= page.size {
        return String::new();
    }
    rows.truncate(page.size as usize);
    rows.last().map(|r| next_token(id(r), fingerprint)).unwrap_or_default()
}

pub fn next_token(last_id: &str, fingerprint: &str) -> String {
    let token = Token { a: last_id.to_owned(), o: None, q: fingerprint.to_owned() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("token serializes"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bind_to_their_query() {
        let fp = fingerprint(&["tenants/a", ""]);
        let token = next_token("agent-7", &fp);
        assert_eq!(request(10, &token, 0, &fp).unwrap().after.as_deref(), Some("agent-7"));
        let other = fingerprint(&["tenants/a", "status:ACTIVE"]);
        assert_eq!(request(10, &token, 0, &other).unwrap_err().code, ErrorCode::InvalidPageToken);
        assert!(request(-1, "", 0, &fp).is_err());
        assert!(request(1001, "", 0, &fp).is_err());
        assert_eq!(request(0, "", 0, &fp).unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(request(10, "", 30, &fp).unwrap().skip, 30);
        assert_eq!(request(10, "", -1, &fp).unwrap_err().violations[0].field, "skip");
        assert!(request(10, "", MAX_SKIP as i32 + 1, &fp).is_err());
    }

    #[test]
    fn sorted_lists_page_by_position() {
        let fp = fingerprint(&["tenants/a", "", "", "name"]);
        let first = request(2, "", 1, &fp).unwrap();
        let mut rows = vec![1, 2, 3];
        let token = split_by_position(&mut rows, &first, &fp);
        assert_eq!(rows, [1, 2]);
        let next = request(2, &token, 0, &fp).unwrap();
        assert_eq!((next.after.as_deref(), next.skip), (None, 3));
        let mut last = vec![4];
        assert_eq!(split_by_position(&mut last, &next, &fp), "");
        let other = fingerprint(&["tenants/a", "", "", "name:desc"]);
        assert_eq!(request(2, &token, 0, &other).unwrap_err().code, ErrorCode::InvalidPageToken);
    }
}
