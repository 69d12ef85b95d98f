//! `google.protobuf.Timestamp` for the generated types (build.rs maps the well-known type here):
//! the message prost would generate, plus the proto3 JSON form stored documents use, written
//! as the reflection-based writer of earlier releases wrote it (UTC with `Z`, 0, 3, 6 or 9
//! fraction digits) and read from any RFC 3339 offset.

use serde::de::Error as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Non-negative fractions of a second, below 1e9.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl ::prost::Name for Timestamp {
    const NAME: &'static str = "Timestamp";
    const PACKAGE: &'static str = "google.protobuf";
}

impl Timestamp {
    fn to_rfc3339(self) -> Option<String> {
        let at = OffsetDateTime::from_unix_timestamp(self.seconds).ok()?;
        let nanos = u32::try_from(self.nanos).ok().filter(|n| *n < 1_000_000_000)?;
        let fraction = match nanos {
            0 => String::new(),
            n if n % 1_000_000 == 0 => format!(".{:03}", n / 1_000_000),
            n if n % 1_000 == 0 => format!(".{:06}", n / 1_000),
            n => format!(".{n:09}"),
        };
        let year = at.year();
        (1..=9999).contains(&year).then(|| {
            format!(
                "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            )
        })
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_rfc3339().ok_or_else(|| {
            serde::ser::Error::custom(format!("timestamp {}s {}ns is out of range", self.seconds, self.nanos))
        })?;
        serializer.serialize_str(&text)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        let at = OffsetDateTime::parse(&text, &Rfc3339).map_err(D::Error::custom)?;
        Ok(Timestamp { seconds: at.unix_timestamp(), nanos: at.nanosecond() as i32 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_utc_with_the_shortest_fraction_and_reads_any_offset() {
        let cases = [
            (0, "2026-01-01T00:00:00Z"),
            (120_000_000, "2026-01-01T00:00:00.120Z"),
            (123_456_000, "2026-01-01T00:00:00.123456Z"),
            (123_456_789, "2026-01-01T00:00:00.123456789Z"),
        ];
        for (nanos, text) in cases {
            let at = Timestamp { seconds: 1_767_225_600, nanos };
            assert_eq!(serde_json::to_string(&at).unwrap(), format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Timestamp>(&format!("\"{text}\"")).unwrap(), at);
        }
        let offset: Timestamp = serde_json::from_str("\"2026-01-01T01:00:00.5+01:00\"").unwrap();
        assert_eq!(offset, Timestamp { seconds: 1_767_225_600, nanos: 500_000_000 });
        assert!(serde_json::to_string(&Timestamp { seconds: 0, nanos: -1 }).is_err());
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }
}
