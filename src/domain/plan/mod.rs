//! The plan of an import: what it would do to each entity, the field-level changes of an
//! overwrite, and the id that lets a caller apply exactly that plan.

pub mod id;
pub mod patch;
