//! Spec keys for pulled resources: readable slugs of their names, unique per kind, the same on
//! every run over the same account.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use flowform_model::{Address, Kind, State, validate_key};

/// Longest key the spec accepts.
const MAX_KEY_LENGTH: usize = 63;

/// Integration keys that would collide with the layout's own top-level entries: `environments/`
/// is skipped when a spec directory is read, `scripts/` holds the script files and `flows/` the
/// flows outside any integration. An integration with such a name gets `-integration` appended.
const RESERVED_INTEGRATION_KEYS: &[&str] = &["environments", "scripts", "flows"];

/// The slug of a name: lowercase ASCII letters and digits, `_` kept, every other run of
/// characters turned into one `-`, no leading or trailing separator, at most 63 characters.
/// Common accented Latin letters lose their accents. Empty when nothing usable is left.
pub fn slug(name: &str) -> String {
    let mut spaced = String::with_capacity(name.len());
    for character in name.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_' {
            spaced.push(character);
        } else if let Some(folded) = fold_accent(character) {
            spaced.push_str(folded);
        } else {
            spaced.push(' ');
        }
    }
    let joined = spaced.split(' ').filter(|word| !word.is_empty()).collect::<Vec<_>>().join("-");
    let mut slug = joined.trim_matches(['-', '_']).to_owned();
    if slug.len() > MAX_KEY_LENGTH {
        slug.truncate(MAX_KEY_LENGTH);
        slug = slug.trim_end_matches(['-', '_']).to_owned();
    }
    slug
}

/// The plain letters for the accented Latin letters names commonly hold.
fn fold_accent(character: char) -> Option<&'static str> {
    Some(match character {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

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

    #[test]
    fn slugs() {
        assert_eq!(slug("Orders to ERP"), "orders-to-erp");
        assert_eq!(slug("  GitHub → Slack!! (v2) "), "github-slack-v2");
        assert_eq!(slug("Café Crème Ñandú Straße"), "cafe-creme-nandu-strasse");
        assert_eq!(slug("snake_case_Name"), "snake_case_name");
        assert_eq!(slug("__private__"), "private");
        assert_eq!(slug("日本語"), "");
        assert_eq!(slug("2024 Q1 — export"), "2024-q1-export");
        let long = slug(&"word ".repeat(40));
        assert!(long.len() <= 63 && !long.ends_with('-'), "{long}");
        for name in ["a", "A-B", "x__y", "9", &"long name ".repeat(20)] {
            let key = slug(name);
            assert!(validate_key(&key).is_ok(), "{name:?} → {key:?}");
        }
    }

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
