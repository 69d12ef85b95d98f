//! xpander `unique_name`: a human-friendly slug (`emerald-emu`) the service gives every agent
//! created without one, unique among the agents of its organization (tenant). Candidates are
//! drawn at random; the caller checks each against the store and draws again on a clash.

use super::filter::{Condition, FilterValue};
use crate::error::{Error, FieldViolation};

const ADJECTIVES: &[&str] = &[
    "amber", "azure", "bold", "brave", "bright", "calm", "clever", "coral", "crimson", "eager", "emerald", "gentle",
    "golden", "happy", "ivory", "jade", "jolly", "keen", "lively", "lucky", "mellow", "misty", "noble", "olive",
    "proud", "quick", "quiet", "ruby", "silver", "swift", "teal", "witty",
];
const ANIMALS: &[&str] = &[
    "ant", "bass", "bear", "bison", "crane", "deer", "dove", "eagle", "emu", "falcon", "fox", "gecko", "heron", "ibis",
    "jay", "koala", "lark", "lemur", "lynx", "marten", "newt", "otter", "owl", "panda", "puffin", "quail", "raven",
    "seal", "swan", "tiger", "wolf", "yak",
];

/// Draws tried before candidates get a numeric suffix (the plain pairs are only 1024).
const PLAIN_DRAWS: u32 = 4;
/// Draws before giving up: with a 6-digit suffix a clash this often means something is wrong.
pub const MAX_DRAWS: u32 = 16;

/// The `attempt`-th candidate: `adjective-animal`, then `adjective-animal-123456`.
pub fn candidate(attempt: u32) -> String {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let adjective = ADJECTIVES[bytes[0] as usize % ADJECTIVES.len()];
    let animal = ANIMALS[bytes[1] as usize % ANIMALS.len()];
    if attempt < PLAIN_DRAWS {
        return format!("{adjective}-{animal}");
    }
    let number = u32::from_le_bytes([bytes[2], bytes[3], bytes[4], 0]) % 1_000_000;
    format!("{adjective}-{animal}-{number:06}")
}

/// The store condition "an agent has this unique name".
pub fn condition(unique_name: &str) -> Condition {
    Condition { json_field: "uniqueName".into(), value: FilterValue::Text(unique_name.into()), any_value: false }
}

/// The refusal of a name another agent of the organization has: from the service's check,
/// and from the store's unique index when two writes raced past it.
pub fn taken() -> Error {
    Error::invalid(vec![FieldViolation::new(
        "agent.unique_name",
        "is already the unique name of another agent of the organization",
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_slugs_and_later_ones_carry_a_number() {
        let plain = candidate(0);
        assert_eq!(plain.split('-').count(), 2, "{plain}");
        let numbered = candidate(PLAIN_DRAWS);
        let parts: Vec<&str> = numbered.split('-').collect();
        assert_eq!(parts.len(), 3, "{numbered}");
        assert!(parts[2].len() == 6 && parts[2].chars().all(|c| c.is_ascii_digit()), "{numbered}");
        assert!(numbered.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}
