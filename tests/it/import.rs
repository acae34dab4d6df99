//! `flowform import ADDR ID`.

use crate::support::TestContext;
use crate::{CONNECTION_ID, FLOW_ID, INTEGRATION_ID, context_with_fixtures, context_with_imports};

#[test]
fn import_binds_an_address_and_records_no_values() {
    let context = context_with_fixtures();
    cli_snapshot!(context, context.flowform().args(["import", "connection.api", CONNECTION_ID]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    imported `connection.api` ([ID]); run `flowform plan` to see how it differs from the spec
    ");
    let state = context.state();
    let connection = &state["resources"]["connection.api"];
    assert_eq!(connection["id"], CONNECTION_ID);
    assert_eq!(connection["applied_paths"], serde_json::json!({}));
    assert_eq!(
        connection["secret_fingerprints"],
        serde_json::json!({"http.auth.token.token": "unknown"})
    );
    assert!(connection["last_modified"].is_string());
    assert!(state["target"].as_str().unwrap().starts_with(&context.emulator.url()));
    let text = fs_err::read_to_string(context.root().join(".flowform/state.json")).unwrap();
    assert!(!text.contains("live-secret") && !text.contains("example.com"), "{text}");
}

#[test]
fn import_records_prevent_destroy_and_warns_about_a_different_name() {
    let context = context_with_fixtures();
    context
        .admin()
        .edit(
            flowform_emulator::ResourceKind::Flows,
            FLOW_ID,
            &serde_json::json!({"name": "Old name"}),
        )
        .unwrap();
    cli_snapshot!(context, context.flowform().args(["import", "flow.nightly", FLOW_ID]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: the live flow is named `Old name` and the spec names it `Nightly`: the next apply renames it
    imported `flow.nightly` ([ID]); run `flowform plan` to see how it differs from the spec
    ");
    assert_eq!(context.state()["resources"]["flow.nightly"]["prevent_destroy"], true);
}

#[test]
fn import_refuses_what_cannot_be_bound() {
    let context = context_with_imports();
    // Not in the spec.
    cli_snapshot!(context, context.flowform().args(["import", "flow.other", FLOW_ID]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `flow.other` is not in the spec
    hint: write the resource in the spec first; import binds a spec address to a live resource
    ");
    // Already managed.
    cli_snapshot!(context, context.flowform().args(["import", "flow.nightly", FLOW_ID]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `flow.nightly` is already managed: it is bound to `[ID]`
    hint: run `flowform state rm flow.nightly` first to bind it to another resource
    ");
    // The id is bound to another address.
    context.write("more.yaml", "integrations:\n  second:\n    name: Second\n");
    cli_snapshot!(context, context.flowform().args(["import", "integration.second", INTEGRATION_ID]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `[ID]` is already managed as `integration.main`
    hint: run `flowform state mv integration.main integration.second` to give it the new address
    ");
    // No such live resource.
    cli_snapshot!(context, context.flowform().args(["import", "integration.second", "0123456789abcdef01234567"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: there is no integration with the id `[ID]` in the account
    caused by: `GET /v1/integrations/[ID]` was not found (404): `not_found`: Integration not found
    ");
    // Not an id at all.
    cli_snapshot!(context, context.flowform().args(["import", "integration.second", "nightly"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `nightly` is not an integrator.io id (24 hexadecimal characters)
    ");
}

#[test]
fn import_fails_on_spec_errors_before_touching_anything() {
    let context = TestContext::new();
    context.write(
        "spec.yaml",
        "flows:\n  nightly:\n    name: Nightly\n    _integrationId: ${integration.missing}\n",
    );
    let (code, rendered) =
        context.run(context.flowform().args(["import", "flow.nightly", FLOW_ID]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("error: the spec has 1 error"), "{rendered}");
    assert!(!context.root().join(".flowform/state.json").exists());
    assert_eq!(context.admin().counters().requests_received, 0);
}
