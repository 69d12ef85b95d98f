//! Wire bodies (both REST dialects, and the entities of bundle data) as serde DTOs that do not
//! stop at the first problem. Each key of a body DTO is a [`Field`], which keeps whether the key
//! was absent, `null`, a value of its type or a value of another type; converting the DTO into
//! proto messages ([`Check`]) then reports every problem at once with its JSON path and kind, as
//! FastAPI's 422 and Emporix's `ErrorMessage.details` list them all.

use std::collections::BTreeSet;

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{FieldViolation, ViolationKind};

/// One key of a body as the caller gave it. In responses, `Given` is the value and the others
/// are `null` (or left out where the DTO says so).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Given(T),
    /// A value that is not a `T`, reported with `T`'s [`Expect`].
    Wrong,
}

impl<T> Field<T> {
    /// Absent or `null`: what responses leave out where a key is optional.
    pub fn is_none(&self) -> bool {
        matches!(self, Field::Absent | Field::Null)
    }

    /// Left out of a response.
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }
}

impl<T> From<Option<T>> for Field<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Field::Null, Field::Given)
    }
}

impl<T> From<T> for Field<T> {
    fn from(value: T) -> Self {
        Field::Given(value)
    }
}

/// What a value of the type must be, for the violation of a value that is not one.
pub trait Expect {
    const KIND: ViolationKind;

    /// FastAPI's message for a value of another type.
    fn expected() -> String;

    /// Whether serde may try to read `value` as this type (objects are not read from arrays).
    fn accepts(_value: &Value) -> bool {
        true
    }
}

macro_rules! expect {
    ($($ty:ty => $kind:ident, $msg:literal;)+) => {
        $(impl Expect for $ty {
            const KIND: ViolationKind = ViolationKind::$kind;

            fn expected() -> String {
                $msg.to_owned()
            }
        })+
    };
}

expect! {
    String => NotString, "Input should be a valid string";
    bool => NotBool, "Input should be a valid boolean";
    i32 => NotInteger, "Input should be a valid integer";
    i64 => NotInteger, "Input should be a valid integer";
    f64 => NotNumber, "Input should be a valid number";
    Map<String, Value> => NotObject, "Input should be a valid dictionary";
    // Verbatim values are checked by their readers.
    Value => Invalid, "Input should be valid JSON";
}

impl<T> Expect for Vec<T> {
    const KIND: ViolationKind = ViolationKind::NotArray;

    fn expected() -> String {
        "Input should be a valid list".to_owned()
    }
}

impl<T> Expect for indexmap::IndexMap<String, T> {
    const KIND: ViolationKind = ViolationKind::NotObject;

    fn expected() -> String {
        "Input should be a valid dictionary".to_owned()
    }

    fn accepts(value: &Value) -> bool {
        value.is_object()
    }
}

/// A DTO whose fields are all [`Field`]s: it reads from any object, never from anything else.
macro_rules! object_dto {
    ($($ty:ty),+ $(,)?) => {
        $(impl $crate::domain::wire::Expect for $ty {
            const KIND: $crate::error::ViolationKind = $crate::error::ViolationKind::NotObject;

            fn expected() -> String {
                "Input should be a valid dictionary or object to extract fields from".to_owned()
            }

            fn accepts(value: &serde_json::Value) -> bool {
                value.is_object()
            }
        })+
    };
}
pub(crate) use object_dto;

impl<'de, T: DeserializeOwned + Expect> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Field::read(Value::deserialize(deserializer)?))
    }
}

impl<T: DeserializeOwned + Expect> Field<T> {
    /// The field a JSON value makes.
    pub fn read(value: Value) -> Self {
        if value.is_null() {
            return Field::Null;
        }
        if !T::accepts(&value) {
            return Field::Wrong;
        }
        T::deserialize(value).map_or(Field::Wrong, Field::Given)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Given(value) => value.serialize(serializer),
            _ => serializer.serialize_none(),
        }
    }
}

/// Where a field of the proto message came from in the body: `canonical` (`llm.provider`) was
/// read from `wire` (`model_provider`). A leaf takes every path below it too (a localized map
/// is one string in the body).
#[derive(Debug, Clone, Default)]
pub struct Origins(Vec<(String, String)>);

impl Origins {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        Self(pairs.iter().map(|(c, w)| ((*c).to_owned(), (*w).to_owned())).collect())
    }

    /// The body path of a proto field path, when a recorded field holds it.
    pub fn wire(&self, canonical: &str) -> Option<String> {
        let holds =
            |c: &str| canonical == c || canonical.strip_prefix(c).is_some_and(|rest| rest.starts_with(['.', '[']));
        self.0.iter().filter(|(c, _)| holds(c)).max_by_key(|(c, _)| c.len()).map(|(_, w)| w.clone())
    }
}

/// Reads the fields of a DTO into a message, collecting violations at their body paths, the
/// top-level proto fields the body set, and where each proto field came from.
#[derive(Default)]
pub struct Check {
    pub errs: Vec<FieldViolation>,
    /// Top-level proto fields the body gave a value.
    pub touched: BTreeSet<String>,
    pub origins: Origins,
    wire: String,
    canonical: String,
}

fn join(prefix: &str, key: &str) -> String {
    match (prefix.is_empty(), key.starts_with('[')) {
        _ if key.is_empty() => prefix.to_owned(),
        (true, _) => key.to_owned(),
        (false, true) => format!("{prefix}{key}"),
        (false, false) => format!("{prefix}.{key}"),
    }
}

impl Check {
    /// The body path of `key` here.
    pub fn path(&self, key: &str) -> String {
        join(&self.wire, key)
    }

    pub fn push(&mut self, kind: ViolationKind, key: &str, description: impl Into<String>) {
        let path = self.path(key);
        self.errs.push(FieldViolation::of_kind(kind, path, description));
    }

    /// Records that the proto field `canonical` (relative to here) comes from `key`.
    pub fn record(&mut self, key: &str, canonical: &str) {
        let canonical = join(&self.canonical, canonical);
        let top = canonical.split(['.', '[']).next().unwrap_or_default().to_owned();
        self.touched.insert(top);
        self.origins.0.push((canonical, self.path(key)));
    }

    /// The value of an optional key read into `canonical`; a value of another type is reported.
    pub fn take<T: Expect>(&mut self, key: &str, canonical: &str, field: Field<T>) -> Option<T> {
        match field {
            Field::Given(value) => {
                self.record(key, canonical);
                Some(value)
            }
            Field::Wrong => {
                self.push(T::KIND, key, T::expected());
                None
            }
            Field::Absent | Field::Null => None,
        }
    }

    /// The value of a required key; absent or `null` is reported.
    pub fn required<T: Expect>(&mut self, key: &str, canonical: &str, field: Field<T>) -> Option<T> {
        if field.is_none() {
            self.errs.push(FieldViolation::missing(self.path(key)));
        }
        self.take(key, canonical, field)
    }

    /// A required string that must have a character other than blanks.
    pub fn required_text(&mut self, key: &str, canonical: &str, field: Field<String>) -> Option<String> {
        if field.is_none() {
            self.errs.push(FieldViolation::missing(self.path(key)));
        }
        self.text(key, canonical, field)
    }

    /// An optional string that, when given, must have a character other than blanks.
    pub fn text(&mut self, key: &str, canonical: &str, field: Field<String>) -> Option<String> {
        let text = self.take(key, canonical, field)?;
        if text.is_empty() {
            self.push(ViolationKind::TooShort, key, "String should have at least 1 character");
        } else if text.trim().is_empty() {
            self.push(ViolationKind::Invalid, key, "must not be blank");
        }
        Some(text)
    }

    /// Runs `read` with paths below `key` (body) and `canonical` (proto).
    pub fn within<R>(&mut self, key: &str, canonical: &str, read: impl FnOnce(&mut Check) -> R) -> R {
        let inner_wire = join(&self.wire, key);
        let inner_canonical = join(&self.canonical, canonical);
        let wire = std::mem::replace(&mut self.wire, inner_wire);
        let outer = std::mem::replace(&mut self.canonical, inner_canonical);
        let out = read(self);
        self.wire = wire;
        self.canonical = outer;
        out
    }

    /// Each item of a list read into the list `canonical`; items of another type are reported
    /// and left out.
    pub fn items<T: Expect, R>(
        &mut self,
        key: &str,
        canonical: &str,
        items: Vec<Field<T>>,
        mut read: impl FnMut(&mut Check, T) -> R,
    ) -> Vec<R> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let index = format!("[{i}]");
            let value = self.within(key, canonical, |c| c.take(&index, &index, item));
            if let Some(value) = value {
                out.push(self.within(&join(key, &index), &join(canonical, &index), |c| read(c, value)));
            }
        }
        out
    }

    /// A list of strings; other items are reported.
    pub fn strings(&mut self, key: &str, canonical: &str, field: Field<Vec<Field<String>>>) -> Option<Vec<String>> {
        let items = self.take(key, canonical, field)?;
        Some(self.items(key, canonical, items, |_, s| s))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Sample {
        name: Field<String>,
        tags: Field<Vec<Field<String>>>,
        inner: Field<Inner>,
    }

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default)]
    struct Inner {
        flag: Field<bool>,
    }

    object_dto!(Inner);

    #[test]
    fn every_problem_is_kept_with_its_path_and_kind() {
        let sample: Sample = serde_json::from_value(json!({"tags": ["a", 1], "inner": {"flag": "x"}})).unwrap();
        let mut c = Check::default();
        c.required("name", "display_name", sample.name);
        let tags = c.strings("tags", "labels", sample.tags);
        let inner = c.take("inner", "inner", sample.inner).unwrap();
        c.within("inner", "inner", |c| c.take("flag", "enabled", inner.flag));
        let found: Vec<_> = c.errs.iter().map(|v| (v.field.as_str(), v.kind)).collect();
        assert_eq!(
            found,
            [
                ("name", ViolationKind::Missing),
                ("tags[1]", ViolationKind::NotString),
                ("inner.flag", ViolationKind::NotBool)
            ]
        );
        assert_eq!(tags, Some(vec!["a".to_owned()]));
        assert_eq!(c.origins.wire("labels[0]").as_deref(), Some("tags[0]"));
    }

    #[test]
    fn objects_are_not_read_from_arrays_and_null_is_not_a_value() {
        let sample: Sample = serde_json::from_value(json!({"inner": [true], "name": null})).unwrap();
        assert_eq!(sample.inner, Field::Wrong);
        assert_eq!(sample.name, Field::Null);
        assert_eq!(sample.tags, Field::Absent);
    }

    #[test]
    fn origins_take_the_longest_recorded_field() {
        let origins = Origins::new(&[("display_name", "name"), ("tools[0].tool_id", "attached_tools[0].id")]);
        assert_eq!(origins.wire("display_name[\"en\"]").as_deref(), Some("name"));
        assert_eq!(origins.wire("tools[0].tool_id").as_deref(), Some("attached_tools[0].id"));
        assert_eq!(origins.wire("display_names"), None);
    }
}
