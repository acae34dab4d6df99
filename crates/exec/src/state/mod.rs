//! The state document and where it is kept.

pub mod format;
pub mod local;
pub mod lock;
pub mod open;
pub mod remote;
pub mod writer;

pub use format::{FormatError, parse, render};
pub use local::{LocalError, LocalPaths, LocalStore, LockedFile, write_atomically};
pub use lock::{LockError, LockHolder, force_unlock};
pub use open::{
    LockedState, OpenError, StateLocation, break_lock, local_writer, lock_holder, open_locked,
    open_writer, read_checked,
};
pub use remote::{RemoteError, RemoteKeys, RemoteStore, StateApi};
pub use writer::{Backend, StateWriter, StoreError};

/// A fresh random hex string of `bytes` random bytes (lineages and salts).
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// A new, empty state bound to `target`, with a random lineage and salt.
pub fn new_state(target: String) -> flowform_model::State {
    flowform_model::State::new(random_hex(16), target, random_hex(32))
}
