//! A large, realistic account (the benchmark generator's documents: thousands of resources with
//! secrets, scripts, routers and chained flows) pulls into a spec that loads into the pulled
//! bodies and plans empty.

use std::time::Instant;

use flowform_pull::Selection;
use flowform_specgen::{Options, generate};

use crate::support::{Accounts, assert_loads_as_pulled, changes, plan, pull_into, secret_values};

/// `FLOWFORM_PULL_LARGE=N` runs it with N resources and prints how long the pull took (tests
/// make no timing assertions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::print_stderr, reason = "the measurement asked for with FLOWFORM_PULL_LARGE")]
async fn a_large_account_pulls_and_plans_empty() {
    let resources: usize = std::env::var("FLOWFORM_PULL_LARGE")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(1_000);
    let accounts = Accounts::start().await;
    let generated = generate(Options { resources, seed: 11 }).unwrap();
    let mut fixtures = serde_json::Map::new();
    for document in generated.api_documents() {
        fixtures
            .entry(document.kind.plural())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()))
            .as_array_mut()
            .expect("an array")
            .push(document.document);
    }
    accounts
        .emulator
        .admin()
        .for_token("source-token")
        .unwrap()
        .load_fixtures(&serde_json::Value::Object(fixtures))
        .unwrap();

    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("pulled");
    let started = Instant::now();
    let pulled = pull_into(&accounts.source, &Selection::All, &out).await;
    let pulled_in = started.elapsed();
    assert_eq!(pulled.resources.len(), resources);
    assert!(!pulled.secrets.is_empty());

    let secrets = secret_values(&pulled);
    assert_loads_as_pulled(&out, &pulled, &secrets);
    let plan = plan(&accounts.source, &out, &secrets, None).await;
    assert!(!plan.has_changes(), "changes right after pull: {:#?}", changes(&plan));
    if std::env::var("FLOWFORM_PULL_LARGE").is_ok() {
        let files = pulled.files.len();
        eprintln!("pulled {resources} resources into {files} files in {pulled_in:?}");
    }
}
