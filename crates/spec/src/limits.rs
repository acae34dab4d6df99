//! The limits that keep hostile or broken input from exhausting memory, time or the stack.
//! Every limit is named in the error that reports it.

/// Largest spec file read, in bytes (16 MiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Largest script `contentFile` read, in bytes (4 MiB).
pub const MAX_CONTENT_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Largest lookup cache `dataFile` read, in bytes (100 MiB: a cache holds at most 50 MB of
/// keys and values, API §5.8, and a file writes them with some room).
pub const MAX_DATA_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// Deepest nesting of mappings and sequences in a file (as serde_json's default).
pub const MAX_DEPTH: usize = 128;

/// Most nodes that aliases (`*name`) may copy in one file, so an alias bomb ("billion laughs")
/// fails fast instead of expanding exponentially.
pub const MAX_ALIAS_EXPANSION_NODES: usize = 100_000;

/// Most nodes (scalars, mappings, sequences) in one file after alias expansion.
pub const MAX_NODES_PER_FILE: usize = 2_000_000;
