//! What the fuzz tests of `flowform-spec` and `flowform-exec` share (included by both with
//! `#[path]`, since test helpers are not worth a crate): the runner, sized by
//! `FLOWFORM_FUZZ_CASES` (CI: 256 cases), and byte-level mutations: flip a byte, insert one of
//! the caller's tokens, delete, duplicate or truncate a run, at positions proptest shrinks.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

const CI_CASES: u32 = 256;

/// Cases per generator: `FLOWFORM_FUZZ_CASES`, or 256.
fn cases() -> u32 {
    std::env::var("FLOWFORM_FUZZ_CASES")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .filter(|cases| *cases > 0)
        .unwrap_or(CI_CASES)
}

/// A runner of [`cases`] cases, nothing persisted, shrinking bounded.
pub fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    })
}

/// One edit of the bytes.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip(Index, u8),
    Insert(Index, Index),
    Delete(Index, usize),
    Duplicate(Index, usize),
    Truncate(Index),
}

/// Any mutation; `Insert` picks its token from the list given to [`mutate`].
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Mutation::Insert(at, token)),
        (any::<Index>(), 1usize..64).prop_map(|(at, length)| Mutation::Delete(at, length)),
        (any::<Index>(), 1usize..256).prop_map(|(at, length)| Mutation::Duplicate(at, length)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// Applies the mutations in order; `tokens` must not be empty.
pub fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation], tokens: &[&str]) -> Vec<u8> {
    for mutation in mutations {
        let length = bytes.len();
        let at = |index: &Index| if length == 0 { 0 } else { index.index(length + 1) };
        match mutation {
            Mutation::Flip(index, byte) if length > 0 => {
                let position = index.index(length);
                bytes[position] = *byte;
            }
            Mutation::Flip(..) => {}
            Mutation::Insert(index, token) => {
                let position = at(index);
                bytes.splice(position..position, tokens[token.index(tokens.len())].bytes());
            }
            Mutation::Delete(index, count) => {
                let position = at(index);
                let end = (position + count).min(length);
                bytes.drain(position..end);
            }
            Mutation::Duplicate(index, count) => {
                let position = at(index);
                let end = (position + count).min(length);
                let copy = bytes[position..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::Truncate(index) => bytes.truncate(at(index)),
        }
    }
    bytes
}
