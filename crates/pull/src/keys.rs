//! Spec keys for pulled resources: readable slugs of their names, unique per kind, the same on
//! every run over the same account.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use flowform_model::kind::MAX_KEY_LENGTH;
pub use flowform_model::slug;
use flowform_model::{Address, Kind, State, validate_key};

/// Integration keys that would collide with the layout's own top-level entries: `environments/`
/// is skipped when a spec directory is read, `scripts/` holds the script files and `flows/` the
/// flows outside any integration. An integration with such a name gets `-integration` appended.
const RESERVED_INTEGRATION_KEYS: &[&str] = &["environments", "scripts", "flows"];

/// One resource to name: its kind, live id and name, and what orders it among resources whose
/// names give the same slug.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    pub kind: Kind,
    pub id: &'a str,
    pub name: Option<&'a str>,
    /// A text that tells resources of the same name apart the same way in every account (their
    /// content, with ids replaced by the names they stand for); ties fall back to the id.
    pub order: String,
}

/// Assigns a key to every candidate: the key the state already binds the id to (when a state is
/// given and that key is valid and free), otherwise the slug of the name. A slug shared by
/// several resources of a kind goes to the first in `order` (then id) order; the others get
/// `-2`, `-3`, … in that order, skipping keys already taken. The result depends only on the
/// candidates (and the state), never on the order they come in; and since `order` does not
/// depend on ids, the same resources get the same keys in another account.
pub(crate) fn assign(
    candidates: &[Candidate<'_>],
    state: Option<&State>,
) -> HashMap<String, Address> {
    let mut keys: HashMap<String, Address> = HashMap::new();
    let mut taken: BTreeSet<Address> = BTreeSet::new();

    if let Some(state) = state {
        let mut from_state: Vec<(&Address, &str)> = state
            .resources
            .iter()
            .map(|(address, resource)| (address, resource.id.as_str()))
            .collect();
        from_state.sort();
        let wanted: HashMap<(Kind, &str), ()> =
            candidates.iter().map(|candidate| ((candidate.kind, candidate.id), ())).collect();
        for (address, id) in from_state {
            if validate_key(&address.key).is_ok()
                && wanted.contains_key(&(address.kind, id))
                && !keys.contains_key(id)
                && taken.insert(address.clone())
            {
                keys.insert(id.to_owned(), address.clone());
            }
        }
    }

    // Base slug per resource, grouped by kind and slug, ids sorted within a group.
    let mut groups: BTreeMap<(Kind, String), Vec<(&str, &str)>> = BTreeMap::new();
    for candidate in candidates {
        if keys.contains_key(candidate.id) {
            continue;
        }
        let mut base = slug(candidate.name.unwrap_or_default());
        if base.is_empty() {
            base = candidate.kind.singular().to_owned();
        }
        if candidate.kind == Kind::Integration && RESERVED_INTEGRATION_KEYS.contains(&base.as_str())
        {
            base.push_str("-integration");
        }
        groups.entry((candidate.kind, base)).or_default().push((&candidate.order, candidate.id));
    }
    for members in groups.values_mut() {
        members.sort_unstable();
        members.dedup();
    }

    // First pass: the smallest id of each group claims the bare slug, so that a name whose slug
    // looks like another's suffixed key (`orders-2`) keeps its own slug.
    let mut rest: Vec<(Kind, &str, usize, &str)> = Vec::new();
    for ((kind, base), members) in &groups {
        for (position, (_, id)) in members.iter().enumerate() {
            if position == 0 {
                let address = Address::new(*kind, base.clone());
                if taken.insert(address.clone()) {
                    keys.insert((*id).to_owned(), address);
                    continue;
                }
            }
            rest.push((*kind, base, position, id));
        }
    }
    // Second pass: numbered keys, in slug then group order.
    rest.sort();
    for (kind, base, _, id) in rest {
        for number in 2.. {
            let suffix = format!("-{number}");
            let mut stem = base.to_owned();
            stem.truncate(MAX_KEY_LENGTH - suffix.len());
            let stem = stem.trim_end_matches(['-', '_']);
            let key = if stem.is_empty() {
                format!("{}{suffix}", kind.singular())
            } else {
                format!("{stem}{suffix}")
            };
            let address = Address::new(kind, key);
            if taken.insert(address.clone()) {
                keys.insert(id.to_owned(), address);
                break;
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowform_model::ResourceState;

    fn candidate<'a>(kind: Kind, id: &'a str, name: Option<&'a str>, order: &str) -> Candidate<'a> {
        Candidate { kind, id, name, order: order.to_owned() }
    }

    fn keys_of(candidates: &[Candidate<'_>], state: Option<&State>) -> Vec<(String, String)> {
        let keys = assign(candidates, state);
        let mut pairs: Vec<(String, String)> =
            keys.into_iter().map(|(id, address)| (id, address.to_string())).collect();
        pairs.sort();
        pairs
    }

    #[test]
    fn duplicates_numbered_by_content_then_id_whatever_the_order() {
        let candidates = [
            candidate(Kind::Flow, "c", Some("Sync"), "3"),
            candidate(Kind::Flow, "a", Some("sync"), "1"),
            candidate(Kind::Flow, "b", Some("SYNC!"), "1"),
            candidate(Kind::Flow, "d", Some("Sync 2"), ""),
            candidate(Kind::Flow, "e", Some("Sync"), "0"),
            candidate(Kind::Export, "f", Some("Sync"), ""),
            candidate(Kind::Integration, "g", Some("Environments"), ""),
            candidate(Kind::Script, "h", None, ""),
            candidate(Kind::Script, "i", Some("???"), ""),
        ];
        let expected = vec![
            ("a".to_owned(), "flow.sync-3".to_owned()),
            ("b".to_owned(), "flow.sync-4".to_owned()),
            ("c".to_owned(), "flow.sync-5".to_owned()),
            ("d".to_owned(), "flow.sync-2".to_owned()),
            ("e".to_owned(), "flow.sync".to_owned()),
            ("f".to_owned(), "export.sync".to_owned()),
            ("g".to_owned(), "integration.environments-integration".to_owned()),
            ("h".to_owned(), "script.script".to_owned()),
            ("i".to_owned(), "script.script-2".to_owned()),
        ];
        assert_eq!(keys_of(&candidates, None), expected);
        let mut reversed = candidates.to_vec();
        reversed.reverse();
        assert_eq!(keys_of(&reversed, None), expected);
    }

    #[test]
    fn state_keys_are_kept() {
        let mut state = State::new("l".into(), "t".into(), "s".into());
        state.resources.insert(
            Address::new(Kind::Flow, "nightly"),
            ResourceState { id: "b".into(), ..Default::default() },
        );
        state.resources.insert(
            Address::new(Kind::Export, "nightly"),
            ResourceState { id: "b".into(), ..Default::default() },
        );
        let candidates = [
            candidate(Kind::Flow, "a", Some("Nightly"), ""),
            candidate(Kind::Flow, "b", Some("Something else"), ""),
        ];
        assert_eq!(
            keys_of(&candidates, Some(&state)),
            vec![
                ("a".to_owned(), "flow.nightly-2".to_owned()),
                ("b".to_owned(), "flow.nightly".to_owned()),
            ]
        );
    }
}
