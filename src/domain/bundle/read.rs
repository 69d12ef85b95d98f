//! Reading Emporix values onto a resource that may already hold some.

/// Overlays a value read from Emporix; an absent key keeps what the extension brought.
pub fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}
