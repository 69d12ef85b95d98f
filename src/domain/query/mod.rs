//! Emporix q query language (filled in next).
