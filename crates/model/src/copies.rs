//! What the service makes when it clones a resource, and where flowform records those copies.
//!
//! integrator.io copies a flow's exports and imports when it clones the flow, and an
//! integration's flows (with their exports and imports) when it clones the integration
//! (integrator-api.md §6.5; every copy carries `_sourceId`). flowform manages what a clone made
//! from that apply on: the plan names the copies, the state records each under an address of its
//! own with the clone as its `owner` ([`crate::ResourceState::owner`]). The facts per kind are
//! in [`CLONE_COPIES`], so a new kind adds a row, not a `match`.

use crate::fields::RefTarget;
use crate::kind::{Address, Kind, MAX_KEY_LENGTH, slug};
use crate::references::{IdField, for_each_id_field};
use crate::value::{Object, Value};

/// What a clone of each kind copies besides the resource itself (kinds without a row copy
/// nothing: a cloned export or import is just the one resource).
pub const CLONE_COPIES: [(Kind, &[Kind]); 2] = [
    // §6.5: "the flow's exports and imports" (the steps its lists name).
    (Kind::Flow, &[Kind::Export, Kind::Import]),
    // §6.5: an integration clone copies its flows, and theirs.
    (Kind::Integration, &[Kind::Flow, Kind::Export, Kind::Import]),
];

/// The kinds a clone of `kind` copies.
pub fn copied_kinds(kind: Kind) -> &'static [Kind] {
    CLONE_COPIES.iter().find(|(cloned, _)| *cloned == kind).map_or(&[], |(_, copied)| copied)
}

/// The top-level lists of a flow whose `_exportId` and `_importId` are its steps (what a flow
/// clone copies); `routers` hold them inside their branches.
pub const FLOW_STEP_LISTS: [&str; 3] = ["pageGenerators", "pageProcessors", "routers"];

/// A step a flow body names: a reference (in a spec body, or a live id read as the managed
/// address it is) or a plain id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepRef<'a> {
    /// `${KIND.KEY}`.
    Ref(&'a Address),
    /// A literal id.
    Id(&'a str),
}

/// The exports and imports a flow body (a spec body with references, or a live document with
/// ids) names as steps, in document order, each once.
pub fn flow_steps(body: &Object) -> Vec<(Kind, StepRef<'_>)> {
    let mut steps: Vec<(Kind, StepRef<'_>)> = Vec::new();
    for_each_id_field(body, &mut |site, field| {
        if !site.first_key().is_some_and(|key| FLOW_STEP_LISTS.contains(&key)) {
            return;
        }
        let step = match field {
            IdField::Ref(address) if matches!(address.kind, Kind::Export | Kind::Import) => {
                (address.kind, StepRef::Ref(address))
            }
            IdField::Text(id, RefTarget::Managed(kind @ (Kind::Export | Kind::Import))) => {
                (kind, StepRef::Id(id))
            }
            _ => return,
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    });
    steps
}

/// The steps of a flow document held as a [`Value`] (none when it is not an object).
pub fn flow_steps_of(document: &Value) -> Vec<(Kind, StepRef<'_>)> {
    document.as_object().map(flow_steps).unwrap_or_default()
}

/// The address a copy made by cloning into `owner` is recorded under:
/// `KIND.<owner key>--<basis>`, where `basis` is the source's key when flowform manages the
/// source and the slug of its name otherwise (the kind when the name gives nothing). Cut to
/// the 63 characters a key may have, and numbered (`-2`, `-3`, …) while `taken` says the
/// address is used, so it is always a valid key that no spec resource or other copy has.
pub fn copy_address(
    owner: &Address,
    kind: Kind,
    basis: &str,
    taken: &dyn Fn(&Address) -> bool,
) -> Address {
    let basis = match slug(basis) {
        empty if empty.is_empty() => kind.singular().to_owned(),
        slugged => slugged,
    };
    let stem = cut(&format!("{}--{basis}", owner.key), MAX_KEY_LENGTH);
    let address = Address::new(kind, stem.clone());
    if !taken(&address) {
        return address;
    }
    (2..)
        .map(|number| {
            let suffix = format!("-{number}");
            Address::new(kind, format!("{}{suffix}", cut(&stem, MAX_KEY_LENGTH - suffix.len())))
        })
        .find(|address| !taken(address))
        .expect("an unbounded range finds a free address")
}

/// `text` cut to `length` bytes (keys are ASCII) without a trailing separator.
fn cut(text: &str, length: usize) -> String {
    let mut cut = text.to_owned();
    if cut.len() > length {
        cut.truncate(length);
    }
    cut.trim_end_matches(['-', '_']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::validate_key;

    #[test]
    fn copy_addresses_read_well_and_stay_valid_keys() {
        let owner = Address::new(Kind::Flow, "issues-to-triage");
        let free = |_: &Address| false;
        assert_eq!(
            copy_address(&owner, Kind::Export, "github-new-issues", &free).to_string(),
            "export.issues-to-triage--github-new-issues"
        );
        // An unmanaged source is named by the slug of its name, or by its kind.
        assert_eq!(
            copy_address(&owner, Kind::Import, "Post to Slack!", &free).key,
            "issues-to-triage--post-to-slack"
        );
        assert_eq!(
            copy_address(&owner, Kind::Import, "日本", &free).key,
            "issues-to-triage--import"
        );
        let long = Address::new(Kind::Flow, "f".repeat(63));
        let key = copy_address(&long, Kind::Export, &"e".repeat(63), &free).key;
        assert!(validate_key(&key).is_ok() && key.len() == 63, "{key}");
        let taken = |address: &Address| !address.key.ends_with("-3");
        let numbered = copy_address(&long, Kind::Export, "e", &taken).key;
        assert!(validate_key(&numbered).is_ok() && numbered.ends_with("-3"), "{numbered}");
    }

    #[test]
    fn flow_steps_are_read_from_bodies_and_documents() {
        let live = Value::from(serde_json::json!({
            "_integrationId": "i1",
            "pageGenerators": [{"_exportId": "e1"}],
            "pageProcessors": [{"type": "export", "_exportId": "e2"}, {"type": "import", "_importId": "m1"}],
            "routers": [{"branches": [{"pageProcessors": [{"_importId": "m2"}, {"_importId": "m1"}]}]}],
            "settings": {"_exportId": "not-a-step"},
        }));
        let steps: Vec<String> = flow_steps_of(&live)
            .into_iter()
            .map(|(kind, step)| format!("{kind} {step:?}"))
            .collect();
        assert_eq!(
            steps,
            ["export Id(\"e1\")", "export Id(\"e2\")", "import Id(\"m1\")", "import Id(\"m2\")",]
        );
        let mut body = Object::default();
        body.insert(
            "pageGenerators".into(),
            Value::Array(vec![Value::Object(Object::from_iter([(
                "_exportId".to_owned(),
                Value::Ref(Address::new(Kind::Export, "hook")),
            )]))]),
        );
        assert_eq!(flow_steps(&body).len(), 1);
        assert_eq!(copied_kinds(Kind::Flow), [Kind::Export, Kind::Import]);
        assert!(copied_kinds(Kind::Script).is_empty());
    }
}
