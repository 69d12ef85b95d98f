//! Text log fields that a caller cannot forge lines with: every value (also ones recorded with
//! `%`, and the message) has its control characters escaped, so a JWT `sub`, an id or a name
//! holding a newline stays inside its own line. The JSON format escapes by itself.

use std::fmt::{self, Write as _};

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{Writer, debug_fn};

/// The field formatter of the text log format.
pub fn escaped() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    debug_fn(write_field).delimited(" ")
}

fn write_field(writer: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn fmt::Debug) -> fmt::Result {
    if field.name() != "message" {
        write!(writer, "{}=", field.name())?;
    }
    let mut escaping = Escaping(writer);
    write!(escaping, "{value:?}")
}

/// Passes text through, with each control character written as its Rust escape (`\n`, `\u{1b}`).
struct Escaping<'a, 'w>(&'a mut Writer<'w>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for piece in text.split_inclusive(char::is_control) {
            match piece.char_indices().last() {
                Some((at, c)) if c.is_control() => {
                    self.0.write_str(&piece[..at])?;
                    write!(self.0, "{}", c.escape_default())?;
                }
                _ => self.0.write_str(piece)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    #[test]
    fn a_forged_line_stays_inside_its_event() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(super::escaped())
            .with_writer(buffer.clone())
            .with_ansi(false)
            .finish();
        let forged = "eve\n2026-12-01T00:00:00Z INFO agentport::audit: audit principal=admin outcome=\"ok\"";
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("call", resource = %"tenants/a/agents/x\r\ny");
            let _entered = span.enter();
            tracing::info!(target: "agentport::audit", principal = %forged, name = "a\u{1b}[2Jb", "audit {}", "m\ne");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains(r"principal=eve\n2026-12-01T00:00:00Z"), "{text}");
        assert!(text.contains(r"tenants/a/agents/x\r\ny"), "{text}");
        assert!(text.contains(r#"name="a\u{1b}[2Jb""#), "{text}");
        assert!(text.contains(r"audit m\ne"), "{text}");
    }
}
