//! The JSON of a bundle file or an Emporix import body, `{"data": "<base64>", "checksum": ...,
//! "signature": {...}}`, read as a stream: REST import bodies and the CLI's bundle files of any
//! size.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use struson::reader::{JsonReader, JsonStreamReader, ValueType};

use super::ImportPart;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::BundleSignature;

/// Reads a bundle's JSON (`{"data": "<base64>", "checksum": ..., "signature": {...},
/// "secretMappings": {...}}`, other keys ignored, in any order) from a blocking reader, handing
/// each part to `emit` as it is read: `data` decoded
/// from base64 a piece at a time. Stops early when `emit` returns false.
pub fn read_bundle_json<R: Read>(reader: R, mut emit: impl FnMut(ImportPart) -> bool) -> Result<()> {
    let invalid = |why: String| Error::invalid_field("body", format!("the request body is not valid: {why}"));
    let mut json = JsonStreamReader::new(reader);
    json.begin_object().map_err(|e| invalid(e.to_string()))?;
    let mut seen_data = false;
    while json.has_next().map_err(|e| invalid(e.to_string()))? {
        let key = json.next_name_owned().map_err(|e| invalid(e.to_string()))?;
        match key.as_str() {
            "data" if json.peek().map_err(|e| invalid(e.to_string()))? == ValueType::String => {
                seen_data = true;
                let mut data = json.next_string_reader().map_err(|e| invalid(e.to_string()))?;
                let mut decoder = Base64Pieces::default();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = data.read(&mut buf).map_err(|e| invalid(e.to_string()))?;
                    let done = n == 0;
                    let decoded = decoder.push(&buf[..n], done)?;
                    if !decoded.is_empty() && !emit(ImportPart::Bytes(decoded.into())) {
                        return Ok(());
                    }
                    if done {
                        break;
                    }
                }
            }
            "checksum" if json.peek().map_err(|e| invalid(e.to_string()))? == ValueType::String => {
                let checksum = json.next_string().map_err(|e| invalid(e.to_string()))?;
                if !emit(ImportPart::Checksum(checksum)) {
                    return Ok(());
                }
            }
            "signature" if json.peek().map_err(|e| invalid(e.to_string()))? == ValueType::Object => {
                let envelope: BundleSignature =
                    json.deserialize_next().map_err(|e| invalid(format!("`signature`: {e}")))?;
                if !emit(ImportPart::Signature(envelope)) {
                    return Ok(());
                }
            }
            "signature" if json.peek().map_err(|e| invalid(e.to_string()))? == ValueType::Null => {
                json.next_null().map_err(|e| invalid(e.to_string()))?
            }
            "signature" => return Err(invalid("`signature` must be an object".to_owned())),
            "secretMappings" => {
                let mappings = read_mappings(&mut json).map_err(|e| {
                    Error::invalid_field("secretMappings", format!("must be an object of strings: {e}"))
                })?;
                if !emit(ImportPart::Mappings(mappings)) {
                    return Ok(());
                }
            }
            "data" | "checksum" => return Err(invalid(format!("`{key}` must be a string"))),
            _ => json.skip_value().map_err(|e| invalid(e.to_string()))?,
        }
    }
    json.end_object().map_err(|e| invalid(e.to_string()))?;
    json.consume_trailing_whitespace().map_err(|e| invalid(e.to_string()))?;
    if !seen_data {
        return Err(invalid("missing field `data`".to_owned()));
    }
    Ok(())
}

/// An object of strings (required secret id -> the tenant's secret id), at most 100 entries
/// (more are refused by the import, which names them).
fn read_mappings<R: Read>(json: &mut JsonStreamReader<R>) -> std::result::Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    json.begin_object().map_err(|e| e.to_string())?;
    while json.has_next().map_err(|e| e.to_string())? {
        let key = json.next_name_owned().map_err(|e| e.to_string())?;
        if json.peek().map_err(|e| e.to_string())? != ValueType::String {
            return Err(format!("`{key}` is not a string"));
        }
        out.insert(key, json.next_string().map_err(|e| e.to_string())?);
        if out.len() > 1000 {
            return Err("too many entries".to_owned());
        }
    }
    json.end_object().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Base64 text decoded a group of four characters at a time.
#[derive(Default)]
struct Base64Pieces {
    carry: Vec<u8>,
}

impl Base64Pieces {
    fn push(&mut self, text: &[u8], last: bool) -> Result<Vec<u8>> {
        self.carry.extend(text.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        let whole = if last { self.carry.len() } else { self.carry.len() / 4 * 4 };
        let decoded = STANDARD.decode(&self.carry[..whole]).map_err(|e| {
            Error::invalid_field("data", format!("is not base64: {e}")).with_code(ErrorCode::InvalidBundle)
        })?;
        self.carry.drain(..whole);
        Ok(decoded)
    }
}
