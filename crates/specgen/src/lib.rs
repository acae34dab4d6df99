//! Spec generator.
