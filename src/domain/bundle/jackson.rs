//! Byte format of Emporix bundles: Jackson's `DefaultPrettyPrinter`, so that bundles we write look
//! like (and for the same content are byte-identical to) the ones Emporix exports.
//!
//! Objects indent by two spaces per level and separate keys with `" : "`; arrays stay inline
//! (`[ "a", "b" ]`, `[ {` ... `} ]`, `[ ]`); an empty object is `{ }`; no trailing newline.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter};

/// Serializes a JSON value the way Jackson's default pretty printer does.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = serde_json::Serializer::with_formatter(Vec::new(), Jackson::default());
    value.serialize(&mut out).expect("a JSON value always serializes into memory");
    out.into_inner()
}

/// Appends the escaped contents of a JSON string (no quotes) as Jackson writes them.
pub fn escape_into(text: &str, out: &mut Vec<u8>) {
    let start = out.len();
    {
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, Jackson::default());
        text.serialize(&mut ser).expect("a string always serializes into memory");
    }
    // Drop the quotes: the caller writes the string's contents only.
    out.pop();
    out.remove(start);
}

#[derive(Default)]
struct Jackson {
    /// Object nesting only: Jackson's array indenter is inline and does not count.
    depth: usize,
    /// Whether the innermost object written so far has an entry.
    has_entry: bool,
}

impl Jackson {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Formatter for Jackson {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b"[")
    }

    // Jackson writes one space before `]` whether or not the array has values.
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" ]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b" " } else { b", " })
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_entry = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_entry {
            self.newline(w)?;
        } else {
            w.write_all(b" ")?;
        }
        // The enclosing object, if any, is inside one of its values, so it has an entry.
        self.has_entry = true;
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" : ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_entry = true;
        Ok(())
    }

    // Jackson spells `\u00XX` escapes with upper-case hex digits.
    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, escape: CharEscape) -> io::Result<()> {
        let short = match escape {
            CharEscape::Quote => b'"',
            CharEscape::ReverseSolidus => b'\\',
            CharEscape::Solidus => b'/',
            CharEscape::Backspace => b'b',
            CharEscape::FormFeed => b'f',
            CharEscape::LineFeed => b'n',
            CharEscape::CarriageReturn => b'r',
            CharEscape::Tab => b't',
            CharEscape::AsciiControl(byte) => return write!(w, "\\u{byte:04X}"),
        };
        w.write_all(&[b'\\', short])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(value: Value) -> String {
        String::from_utf8(to_bytes(&value)).unwrap()
    }

    #[test]
    fn prints_like_jackson_default_pretty_printer() {
        let value = json!({
            "a": [{"b": 1, "c": {}}, {"d": []}],
            "e": ["x", "y"],
            "f": {"g": 0.1, "h": null},
            "i": [],
            "j": {}
        });
        let expected = "{\n  \"a\" : [ {\n    \"b\" : 1,\n    \"c\" : { }\n  }, {\n    \"d\" : [ ]\n  } ],\n  \"e\" : [ \"x\", \"y\" ],\n  \"f\" : {\n    \"g\" : 0.1,\n    \"h\" : null\n  },\n  \"i\" : [ ],\n  \"j\" : { }\n}";
        assert_eq!(text(value), expected);
        assert_eq!(text(json!({})), "{ }");
        assert_eq!(text(json!([[1], []])), "[ [ 1 ], [ ] ]");
    }

    #[test]
    fn escapes_like_jackson() {
        assert_eq!(text(json!("q\"\\/\n\t\u{1}é")), "\"q\\\"\\\\/\\n\\t\\u0001é\"");
    }
}
