//! Agent bundles (filled in next).
