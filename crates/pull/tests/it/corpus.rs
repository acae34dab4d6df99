//! The conformance corpus end to end (issue 13 item 7): every source of `tests/corpus` (real
//! `GET` documents) is loaded into an emulator account as the service returned it, pulled, and
//! planned: no change. The pulled spec is then applied to an empty account (holding only
//! stand-ins for what the spec names but does not manage: the ids outside the pull) and planned
//! again: no change. The emulator models every behaviour it knows (`Fidelity::all()`).
//!
//! Before issue 13, the pull of these documents carried the service's additions (router ids
//! aside), the plan right after a pull of the router flows and HTTP imports was not empty, and
//! the masked tokens of OAuth and Salesforce connections became placeholders to fill in.

use std::collections::BTreeSet;
use std::path::PathBuf;

use flowform_emulator::{AccountConfig, CorpusSource, EmulatorConfig, Fidelity, read_corpus};
use flowform_pull::{Pulled, Selection};
use serde_json::{Value, json};

use crate::support::{
    apply_folder, assert_success, changes, client, plan, plan_with_state, pull_into, secret_values,
    start_emulator, state_location,
};

fn corpus() -> Vec<CorpusSource> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    read_corpus(&root).expect("the corpus reads")
}

/// The connection of stand-in imports.
const STAND_IN_CONNECTION: &str = "5f00000000000000000000c0";

/// A document standing for a resource the pulled spec names by id without managing it.
fn stand_in(collection: &str, id: &str) -> Value {
    let name = format!("stand-in {id}");
    match collection {
        "connections" => {
            json!({"_id": id, "name": name, "type": "http", "http": {"baseURI": "https://stand-in.example.com", "mediaType": "json"}})
        }
        "exports" => {
            json!({"_id": id, "name": name, "adaptorType": "WebhookExport", "webhook": {"provider": "custom"}})
        }
        "imports" => {
            json!({"_id": id, "name": name, "adaptorType": "HTTPImport", "_connectionId": STAND_IN_CONNECTION, "http": {"method": ["POST"], "relativeURI": ["/"]}})
        }
        "scripts" => json!({"_id": id, "name": name, "content": "function stand_in() {}"}),
        "iclients" => {
            json!({"_id": id, "name": name, "provider": "custom_oauth2", "oauth2": {"clientId": "stand-in"}})
        }
        _ => json!({"_id": id, "name": name}),
    }
}

/// The stand-ins a pulled spec needs in an account: every literal id it holds of a kind the
/// account must have (managed kinds outside the pull, and the kinds flowform does not manage
/// that the emulator keeps) for which `missing` says the account has nothing.
fn stand_ins(pulled: &Pulled, missing: impl Fn(&str, &str) -> bool) -> Value {
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for reference in &pulled.outside_references {
        wanted.insert((reference.kind.plural().to_owned(), reference.id.clone()));
    }
    for id in &pulled.unmanaged_ids {
        let collection = id.collection.to_lowercase();
        if flowform_emulator::ResourceKind::from_collection(&collection).is_some() {
            wanted.insert((collection, id.id.clone()));
        }
    }
    if wanted.iter().any(|(collection, _)| collection == "imports") {
        wanted.insert(("connections".to_owned(), STAND_IN_CONNECTION.to_owned()));
    }
    wanted.retain(|(collection, id)| missing(collection, id));
    let mut documents = serde_json::Map::new();
    for (collection, id) in wanted {
        let entry = documents.entry(collection.clone()).or_insert_with(|| json!([]));
        entry.as_array_mut().expect("an array").push(stand_in(&collection, &id));
    }
    Value::Object(documents)
}

/// The agents and stacks the pulled spec finds by name (`data:` lookups): what another account
/// must hold under the same names for the spec to apply there.
fn looked_up(pulled: &Pulled) -> Value {
    let mut documents = serde_json::Map::new();
    for (index, lookup) in pulled.lookups.values().enumerate() {
        let mut document = serde_json::Map::new();
        document.insert("_id".to_owned(), json!(format!("5f00000000000000000001{index:02x}")));
        for (field, value) in &lookup.criteria {
            if let Some(text) = value.as_str() {
                document.insert(field.clone(), json!(text));
            }
        }
        let entry =
            documents.entry(lookup.address.kind.plural().to_owned()).or_insert_with(|| json!([]));
        entry.as_array_mut().expect("an array").push(serde_json::Value::Object(document));
    }
    Value::Object(documents)
}

/// The corpus made into what a real account holds, in three ways a `GET` by id differs from
/// these documents: redactions inside longer strings (the secret path of a webhook URL the
/// authors replaced by `******`, README "notes") get a stand-in text, since the account held a
/// value there, not a mask (whole masks stay masks); scripts that are list entries (lists omit
/// `content`) get a stand-in content; and a draft step of the UI (`setupInProgress` and no
/// `type`, which no client can write: the spec checks and the service's validation refuse it)
/// is left out of its branch.
fn prepared(mut documents: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::String(text) if text.contains("******") && !text.bytes().all(|b| b == b'*') => {
                *text = text.replace("******", "redacted");
            }
            Value::Array(items) => {
                items.retain(|item| {
                    !(item.get("setupInProgress").is_some()
                        && item.get("type").is_none()
                        && item.get("responseMapping").is_some())
                });
                items.iter_mut().for_each(walk);
            }
            Value::Object(object) => object.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut documents);
    if let Some(scripts) = documents.get_mut("scripts").and_then(Value::as_array_mut) {
        for script in scripts.iter_mut().filter(|script| script.get("content").is_none()) {
            script["content"] = json!("function standIn(options) { return options.data; }");
        }
    }
    documents
}

#[tokio::test]
async fn every_corpus_source_pulls_plans_empty_and_applies_to_an_empty_account() {
    let mut report = Vec::new();
    let mut documents = 0;
    for source in corpus() {
        documents += source.documents.len();
        let config = EmulatorConfig {
            accounts: vec![
                AccountConfig::new("source", "source-token"),
                AccountConfig::new("target", "target-token"),
            ],
            fidelity: Fidelity::all(),
            ..EmulatorConfig::for_tests()
        };
        let emulator = start_emulator(config).await;
        let source_client = client(&emulator, "source-token");
        let target_client = client(&emulator, "target-token");
        let admin = emulator.admin().for_token("source-token").unwrap();
        admin.load_raw(&prepared(source.raw_documents())).unwrap();
        // The real account held what these documents name and the corpus does not: stand-ins.
        let first = flowform_pull::pull(&source_client, &Selection::All, &Default::default())
            .await
            .unwrap();
        let absent = |collection: &str, id: &str| {
            flowform_emulator::ResourceKind::from_collection(collection)
                .is_some_and(|kind| admin.document(kind, id).is_none())
        };
        admin.load_raw(&stand_ins(&first, absent)).unwrap();

        let folder = tempfile::tempdir().unwrap();
        let out = folder.path().join("pulled");
        let pulled = pull_into(&source_client, &Selection::All, &out).await;
        let secrets = secret_values(&pulled);
        let after_pull = plan(&source_client, &out, &secrets, None).await;
        if after_pull.has_changes() || !after_pull.problems.is_empty() {
            report.push(format!("{}: plan after pull: {:#?}", source.name, changes(&after_pull)));
        }

        let target_admin = emulator.admin().for_token("target-token").unwrap();
        target_admin.load_raw(&stand_ins(&pulled, |_, _| true)).unwrap();
        target_admin.load_raw(&looked_up(&pulled)).unwrap();
        let elsewhere = folder.path().join("elsewhere-state");
        fs_err::create_dir_all(&elsewhere).unwrap();
        let location = state_location(&elsewhere);
        let applied = apply_folder(&target_client, &out, &location, &secrets, None).await;
        assert_success(&applied);
        let created = applied.steps.iter().filter(|step| step.label.starts_with("create")).count();
        assert_eq!(
            created,
            pulled.resources.len(),
            "{}: every pulled resource is created in the empty account",
            source.name
        );
        let after_apply = plan_with_state(&target_client, &out, &location, &secrets, None).await;
        if after_apply.has_changes() {
            report.push(format!(
                "{}: plan after apply elsewhere: {:#?}",
                source.name,
                changes(&after_apply)
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    assert!(documents >= 85, "{documents}");
}
