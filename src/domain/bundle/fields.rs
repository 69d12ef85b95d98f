//! Small builders and readers of [`Field`]s shared by the entity codecs: what a canonical value
//! writes (an empty string or an unset optional is not written, as Emporix omits nulls; lists
//! Emporix always writes are kept even when empty), and references `{ "id" : ... }`.

use super::dto::{Items, Reference, Strings};
use crate::domain::wire::{Check, Field};

pub fn given<T>(value: T) -> Field<T> {
    Field::Given(value)
}

/// A string written only when it is not empty.
pub fn text(value: &str) -> Field<String> {
    if value.is_empty() { Field::Absent } else { given(value.to_owned()) }
}

/// An optional value written only when set.
pub fn opt<T>(value: Option<T>) -> Field<T> {
    value.map_or(Field::Absent, Field::Given)
}

/// A list Emporix always writes, `[ ]` when empty.
pub fn list(values: &[String]) -> Strings {
    given(values.iter().cloned().map(given).collect())
}

/// A list written only when it has items.
pub fn some(values: &[String]) -> Strings {
    if values.is_empty() { Field::Absent } else { list(values) }
}

/// A list of objects Emporix always writes.
pub fn items<T>(values: impl IntoIterator<Item = T>) -> Items<T> {
    given(values.into_iter().map(given).collect())
}

/// A list of objects written only when it has items.
pub fn some_items<T>(values: impl IntoIterator<Item = T>) -> Items<T> {
    let values: Vec<Field<T>> = values.into_iter().map(given).collect();
    if values.is_empty() { Field::Absent } else { given(values) }
}

/// The id of the reference under `key`.
pub fn reference(c: &mut Check, key: &str, field: Field<Reference>) -> Option<String> {
    let reference = c.take(key, key, field)?;
    c.within(key, key, |c| c.take("id", "id", reference.id))
}

/// A nested object written only when it has a key to write.
pub fn object<T: serde::Serialize>(value: T) -> Field<T> {
    if super::dto::has_keys(&value) { given(value) } else { Field::Absent }
}
