//! JSON Schema (placeholder during development).
