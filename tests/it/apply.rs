//! `plan` and `apply` end to end (issue 6): the real binary against the emulator.

use flowform_emulator::ResourceKind;

use crate::support::TestContext;

pub use crate::specs::APP;

/// The secret's value in most tests; it must never appear in any output.
pub const SECRET: &str = "secret-canary-one";

/// An emulator and [`APP`] in the spec directory.
pub fn app() -> TestContext {
    let context = TestContext::new();
    context.write("spec.yaml", APP);
    context
}

impl TestContext {
    /// `flowform` on the emulator with the app's secret set.
    pub fn with_secret(&self) -> std::process::Command {
        let mut command = self.flowform();
        command.env("API_TOKEN", SECRET);
        command
    }

    /// Runs `apply --auto-approve` (plus `arguments`) and asserts it succeeded.
    #[track_caller]
    pub fn apply_ok(&self, arguments: &[&str]) -> String {
        let (code, rendered) =
            self.run(self.with_secret().args(["apply", "--auto-approve"]).args(arguments));
        assert_eq!(code, 0, "{rendered}");
        assert!(!rendered.contains(SECRET), "the secret leaked: {rendered}");
        rendered
    }

    /// Runs `plan --detailed-exitcode` (plus `arguments`) and returns its exit code and output.
    pub fn plan(&self, arguments: &[&str]) -> (i32, String) {
        let (code, rendered) =
            self.run(self.with_secret().args(["plan", "--detailed-exitcode"]).args(arguments));
        assert!(!rendered.contains(SECRET), "the secret leaked: {rendered}");
        (code, rendered)
    }

    /// The live document of a managed address, by its id in the state.
    pub fn live(&self, kind: ResourceKind, address: &str) -> serde_json::Value {
        let id = self.state()["resources"][address]["id"].as_str().expect("managed").to_owned();
        self.admin().document(kind, &id).expect("live")
    }
}

#[test]
fn create_from_nothing_then_the_plan_is_empty() {
    let context = app();
    cli_snapshot!(context, context.with_secret().args(["apply", "--auto-approve", "--parallelism", "1"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Create (6):
      + integration.main "Main"
          + name: "Main"
      + connection.api "API"
          + name: "API"
          + type: "http"
          + http.baseURI: "https://example.com"
          + http.mediaType: "json"
          + http.auth.type: "token"
          + http.auth.token.token: (sensitive)
          + http.auth.token.location: "header"
          + http.auth.token.headerName: "Authorization"
          + http.auth.token.scheme: "Bearer"
      + script.shape "Shape"
          + name: "Shape"
          + content:
              +function preMap(options) { return options.data; }
      + export.orders "Orders"
          + name: "Orders"
          + adaptorType: "HTTPExport"
          + _connectionId: ${connection.api}
          + http.method: "GET"
          + http.relativeURI: "/orders"
      + import.post "Post"
          + name: "Post"
          + adaptorType: "HTTPImport"
          + _connectionId: ${connection.api}
          + http.method[0]: "POST"
          + http.relativeURI[0]: "/post"
          + hooks.preMap._scriptId: ${script.shape}
          + hooks.preMap.function: "preMap"
      + flow.sync "Sync"
          + name: "Sync"
          + _integrationId: ${integration.main}
          + schedule: "? 0 */2 * * *"
          + timezone: "UTC"
          + pageGenerators[0]: {"_exportId":"${export.orders}"}
          + pageProcessors[0]: {"type":"import","_importId":"${import.post}"}

    Flow activations (these flows start running or change schedule):
      ! flow.sync: new flow, enabled once the apply completes

    Plan: 6 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    integration.main: created ([ID])
    connection.api: created ([ID])
    script.shape: created ([ID])
    export.orders: created ([ID])
    import.post: created ([ID])
    flow.sync: created ([ID])
    flow.sync: enabled ([ID])
    Apply complete! Resources: 6 created, 0 cloned, 0 updated, 0 adopted, 0 moved, 0 deleted.
    "#);
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
    let flow = context.live(ResourceKind::Flows, "flow.sync");
    assert_eq!(flow["disabled"], false, "enabled as the last step");
    cli_snapshot!(context, context.with_secret().args(["plan", "--detailed-exitcode"]), @"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    No changes. The account matches the spec.

    Also: 6 unchanged.
    Plan: 0 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    ");
    let state = fs_err::read_to_string(context.root().join(".flowform/state.json")).unwrap();
    assert!(!state.contains(SECRET) && !state.contains("example.com"), "no values in the state");
}

#[test]
fn an_edit_is_exactly_one_update_and_exit_2() {
    let context = app();
    context.apply_ok(&[]);
    context.write("spec.yaml", &APP.replace("relativeURI: /orders", "relativeURI: /orders?open=1"));
    cli_snapshot!(context, context.with_secret().args(["plan", "--detailed-exitcode"]), @r#"
    exit_code: 2
    ----- stdout -----
    Target: [URL] (user [ID])

    Update (1):
      ~ export.orders "Orders" ([ID])
          ~ http.relativeURI: "/orders" → "/orders?open=1"
          used by: flow.sync

    Also: 5 unchanged.
    Plan: 0 to create, 0 to clone, 1 to update, 0 to delete.

    ----- stderr -----
    "#);
    context.apply_ok(&[]);
    assert_eq!(
        context.live(ResourceKind::Exports, "export.orders")["http"]["relativeURI"],
        "/orders?open=1"
    );
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn plan_formats_keep_stdout_clean() {
    let context = app();
    let output = context.with_secret().args(["plan", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["summary"]["create"], 6);
    assert!(plan["target"].as_str().unwrap().starts_with(&context.emulator.url()));
    let markdown = context.with_secret().args(["plan", "--format", "markdown"]).output().unwrap();
    let text = String::from_utf8(markdown.stdout).unwrap();
    assert!(text.contains("<details>"), "{text}");
    assert!(!text.contains(SECRET));
}

#[test]
fn removing_a_resource_deletes_it_after_its_dependents_are_updated() {
    let context = app();
    context.apply_ok(&[]);
    let script_id = context.state()["resources"]["script.shape"]["id"].as_str().unwrap().to_owned();
    let without_script = APP
        .replace("    hooks:\n      preMap:\n        _scriptId: ${script.shape}\n        function: preMap\n", "")
        .replace("scripts:\n  shape:\n    name: Shape\n    content: |\n      function preMap(options) { return options.data; }\n", "");
    context.write("spec.yaml", &without_script);
    cli_snapshot!(context, context.with_secret().args(["apply", "--auto-approve", "--parallelism", "1"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Update (1):
      ~ import.post "Post" ([ID])
          - hooks.preMap._scriptId: ${script.shape} → (absent)
          - hooks.preMap.function: "preMap" → (absent)
          used by: flow.sync

    Delete (1):
      - script.shape "Shape" ([ID])
          after: import.post

    Also: 4 unchanged.
    Plan: 0 to create, 0 to clone, 1 to update, 1 to delete.

    ----- stderr -----
    import.post: updated ([ID])
    script.shape: deleted ([ID])
    Apply complete! Resources: 0 created, 0 cloned, 1 updated, 0 adopted, 0 moved, 1 deleted.
    "#);
    assert!(context.admin().document(ResourceKind::Scripts, &script_id).is_none());
    assert!(context.live(ResourceKind::Imports, "import.post").get("hooks").is_none());
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn no_delete_leaves_removed_resources_managed() {
    let context = app();
    context.apply_ok(&[]);
    context.write(
        "spec.yaml",
        &APP.replace(
            "integrations:\n  main:\n    name: Main\n",
            "integrations:\n  main:\n    name: Main\n  extra:\n    name: Extra\n",
        ),
    );
    context.apply_ok(&[]);
    context.write("spec.yaml", APP);
    let (code, rendered) = context.plan(&["--no-delete"]);
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) = context.plan(&[]);
    assert_eq!(code, 2, "{rendered}");
    assert!(rendered.contains("- integration.extra"), "{rendered}");
}

#[test]
fn a_rename_with_moved_keeps_the_id() {
    let context = app();
    context.apply_ok(&[]);
    let id = context.state()["resources"]["flow.sync"]["id"].clone();
    context.write(
        "spec.yaml",
        &format!(
            "{}moved:\n  - from: flow.sync\n    to: flow.nightly\n",
            APP.replace("  sync:\n    name: Sync", "  nightly:\n    name: Sync")
        ),
    );
    cli_snapshot!(context, context.with_secret().args(["plan", "--detailed-exitcode"]), @r#"
    exit_code: 2
    ----- stdout -----
    Target: [URL] (user [ID])

    Move (1):
      -> flow.nightly "Sync" ([ID]), moved from flow.sync

    Also: 1 to move, 5 unchanged.
    Plan: 0 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    "#);
    context.apply_ok(&[]);
    assert_eq!(context.state()["resources"]["flow.nightly"]["id"], id);
    assert!(context.state()["resources"].get("flow.sync").is_none());
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn prevent_destroy_refuses_the_delete() {
    let context = app();
    context.write("spec.yaml", &APP.replace("  main:\n    name: Main\n", "  main:\n    name: Main\n  keep:\n    name: Keep\n    lifecycle:\n      preventDestroy: true\n"));
    context.apply_ok(&[]);
    context.write("spec.yaml", APP);
    cli_snapshot!(context, context.with_secret().args(["plan"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `integration.keep` (`[ID]`) left the spec, but it has `preventDestroy` and cannot be deleted
    hint: put `integration.keep` back in the spec, or stop managing it without deleting it with `flowform state rm integration.keep`
    error: the plan cannot be applied: 1 problem (above)
    ");
    let (code, _) = context.run(context.flowform().args(["destroy", "--auto-approve"]));
    assert_eq!(code, 1);
    assert_eq!(context.admin().count(ResourceKind::Integrations), 2);
}

/// Issue 14, fourth bug: `destroy` refused a protected resource saying it "left the spec" and
/// hinting "put it back in the spec", which is wrong for destroy; and the README's advice
/// (remove `preventDestroy`, then destroy) did not work, since an edit of the flag alone was
/// not recorded. Destroy now refuses in its own terms, and the lifecycle-only edit is a
/// state-only change (exit 2) that the apply records.
#[test]
fn destroy_refuses_in_its_own_terms_and_a_lifecycle_only_edit_lets_it_run() {
    let context = app();
    let protected = APP.replace(
        "  main:\n    name: Main\n",
        "  main:\n    name: Main\n    lifecycle:\n      preventDestroy: true\n",
    );
    context.write("spec.yaml", &protected);
    context.apply_ok(&[]);
    cli_snapshot!(context, context.flowform().args(["destroy", "--auto-approve"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `integration.main` (`[ID]`) has `preventDestroy`; `destroy` would delete it
    hint: set `preventDestroy: false` on `integration.main` (or remove the line) and run `flowform apply`, which records it, then destroy; or keep it in the account and stop managing it with `flowform state rm integration.main`
    error: destroy refused, nothing was deleted: 1 problem (above)
    ");
    context.write("spec.yaml", APP);
    cli_snapshot!(context, context.with_secret().args(["plan", "--detailed-exitcode"]), @"
    exit_code: 2
    ----- stdout -----
    Target: [URL] (user [ID])

    State only (1):
      ~ integration.main \"Main\" ([ID]) (state only)
          ~ preventDestroy: true → false

    Also: 1 state-only change (recorded in the state, nothing sent), 5 unchanged.
    Plan: 0 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    ");
    context.apply_ok(&[]);
    assert_eq!(context.plan(&[]).0, 0);
    let (code, rendered) = context.run(context.flowform().args(["destroy", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    for (kind, count) in context.admin().counts() {
        assert_eq!(count, 0, "{kind:?} left after destroy");
    }
}

/// A delete the account refuses because a resource flowform does not manage still uses it:
/// the error names that resource (from `/dependencies`), and the report does not claim that
/// running the command again converges (it would fail the same way).
#[test]
fn destroy_refuses_what_a_resource_flowform_does_not_manage_still_uses() {
    let context = app();
    context.apply_ok(&[]);
    let connection =
        context.state()["resources"]["connection.api"]["id"].as_str().unwrap().to_owned();
    let ui_export = serde_json::json!({"exports": [{
        "_id": "eeeeeeeeeeeeeeeeeeeeeeee", "name": "Made in the UI", "adaptorType": "HTTPExport",
        "_connectionId": connection, "http": {"method": "GET", "relativeURI": "/ui"}}]});

    // A destroy plan saved before the export is made in the UI.
    let plan_file = context.root().join("destroy.json");
    let (code, rendered) = context.run(context.with_secret().args([
        "plan",
        "--destroy",
        "--out",
        plan_file.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{rendered}");
    context.load(ui_export);

    // Planned now: refused before anything is deleted.
    let (code, rendered) = context.run(context.flowform().args(["destroy", "--auto-approve"]));
    assert_eq!(code, 1, "{rendered}");
    let stderr = rendered.split("----- stderr -----").nth(1).unwrap_or_default();
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error")).collect();
    insta::with_settings!({filters => crate::support::filters()}, {
        insta::assert_snapshot!(errors.join("\n"), @"
        error: `connection.api` (`[ID]`) is used by export `Made in the UI` (`[ID]`), which flowform does not manage; `destroy` cannot delete it while that stays
        error: destroy refused, nothing was deleted: 1 problem (above)
        ");
    });
    assert_eq!(context.state()["resources"].as_object().unwrap().len(), 6, "nothing deleted");

    // The plan saved before the export was made is checked against the account again when it
    // is applied: refused the same way, nothing deleted. (A user made during the apply itself
    // makes the service refuse the delete, and the step names it:
    // `crates/exec/tests/it/regression.rs`.)
    let (code, rendered) =
        context.run(context.flowform().args(["apply", plan_file.to_str().unwrap()]));
    assert_eq!(code, 1, "{rendered}");
    let stderr = rendered.split("----- stderr -----").nth(1).unwrap_or_default();
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error")).collect();
    insta::with_settings!({filters => crate::support::filters()}, {
        insta::assert_snapshot!(errors.join("\n"), @"
        error: `connection.api` (`[ID]`) is used by export `Made in the UI` (`[ID]`), which flowform does not manage; `destroy` cannot delete it while that stays
        error: the plan cannot be applied: 1 problem (above)
        ");
    });
    assert_eq!(context.state()["resources"].as_object().unwrap().len(), 6, "nothing deleted");
}

#[test]
fn a_ui_edit_shows_as_drift() {
    let context = app();
    context.apply_ok(&[]);
    let id = context.state()["resources"]["export.orders"]["id"].as_str().unwrap().to_owned();
    context
        .admin()
        .edit(
            ResourceKind::Exports,
            &id,
            &serde_json::json!({"http": {"relativeURI": "/edited-in-the-ui"}}),
        )
        .unwrap();
    cli_snapshot!(context, context.with_secret().args(["plan", "--detailed-exitcode"]), @r#"
    exit_code: 2
    ----- stdout -----
    Target: [URL] (user [ID])

    Update (1):
      ~ export.orders "Orders" ([ID])
          ~ http.relativeURI: "/edited-in-the-ui" → "/orders"  (drift: changed outside flowform)
          used by: flow.sync

    Drift (changed outside flowform since the last apply; the apply puts the spec back):
      export.orders: http.relativeURI

    Also: 5 unchanged.
    Plan: 0 to create, 0 to clone, 1 to update, 0 to delete.

    ----- stderr -----
    "#);
    context.apply_ok(&[]);
    assert_eq!(
        context.live(ResourceKind::Exports, "export.orders")["http"]["relativeURI"],
        "/orders"
    );
}

#[test]
fn the_duplicate_guard_stops_and_adopt_binds() {
    let context = app();
    context.load(
        serde_json::json!({"integrations": [{"_id": "aaaaaaaaaaaaaaaaaaaaaaaa", "name": "Main"}]}),
    );
    cli_snapshot!(context, context.with_secret().args(["plan"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `integration.main` is not in state, but live integration `Main` (`[ID]`) has the same name; creating it would make a second copy
    hint: adopt it with `lifecycle.adopt: true` (or `--adopt`), or bind it with `flowform import integration.main [ID]`
    error: the plan cannot be applied: 1 problem (above)
    ");
    context.apply_ok(&["--adopt"]);
    assert_eq!(context.state()["resources"]["integration.main"]["id"], "aaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(context.admin().count(ResourceKind::Integrations), 1);
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn lifecycle_adopt_binds_without_the_flag() {
    let context = app();
    context.load(
        serde_json::json!({"integrations": [{"_id": "aaaaaaaaaaaaaaaaaaaaaaaa", "name": "Main"}]}),
    );
    context.write(
        "spec.yaml",
        &APP.replace(
            "  main:\n    name: Main\n",
            "  main:\n    name: Main\n    lifecycle:\n      adopt: true\n",
        ),
    );
    let (code, rendered) = context.plan(&[]);
    assert_eq!(code, 2, "{rendered}");
    assert!(rendered.contains("integration.main"), "{rendered}");
    context.apply_ok(&[]);
    assert_eq!(context.state()["resources"]["integration.main"]["id"], "aaaaaaaaaaaaaaaaaaaaaaaa");
}

#[test]
fn a_clone_keeps_the_source_steps() {
    let context = app();
    context.apply_ok(&[]);
    context.write("spec.yaml", &format!("{APP}  copy:\n    name: Copy\n    _integrationId: ${{integration.main}}\n    lifecycle:\n      cloneFrom: ${{flow.sync}}\n"));
    let (code, rendered) = context.plan(&[]);
    assert_eq!(code, 2, "{rendered}");
    assert!(rendered.contains("1 to clone"), "{rendered}");
    context.apply_ok(&[]);
    let copy = context.live(ResourceKind::Flows, "flow.copy");
    assert_eq!(copy["name"], "Copy");
    assert!(copy["pageGenerators"].is_array(), "the clone brought the steps: {copy}");
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn a_run_next_cycle_is_created_then_linked() {
    let context = TestContext::new();
    context.write("spec.yaml", "integrations:\n  main:\n    name: Main\nflows:\n  first:\n    name: First\n    _integrationId: ${integration.main}\n    _runNextFlowIds: [\"${flow.second}\"]\n  second:\n    name: Second\n    _integrationId: ${integration.main}\n    _runNextFlowIds: [\"${flow.first}\"]\n");
    let rendered = context.apply_ok(&["--parallelism", "1"]);
    assert!(rendered.contains(": back-references added"), "{rendered}");
    let first = context.live(ResourceKind::Flows, "flow.first");
    let second_id = &context.state()["resources"]["flow.second"]["id"];
    assert_eq!(first["_runNextFlowIds"][0], *second_id);
    let second = context.live(ResourceKind::Flows, "flow.second");
    assert_eq!(second["_runNextFlowIds"][0], context.state()["resources"]["flow.first"]["id"]);
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn target_limits_the_plan_to_a_resource_and_its_dependencies() {
    let context = app();
    cli_snapshot!(context, context.with_secret().args(["plan", "--target", "export.orders"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Create (2):
      + connection.api "API"
          + name: "API"
          + type: "http"
          + http.baseURI: "https://example.com"
          + http.mediaType: "json"
          + http.auth.type: "token"
          + http.auth.token.token: (sensitive)
          + http.auth.token.location: "header"
          + http.auth.token.headerName: "Authorization"
          + http.auth.token.scheme: "Bearer"
      + export.orders "Orders"
          + name: "Orders"
          + adaptorType: "HTTPExport"
          + _connectionId: ${connection.api}
          + http.method: "GET"
          + http.relativeURI: "/orders"

    Warnings:
      - the plan is limited to `export.orders` and what it depends on; other changes may be pending

    Plan: 2 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    "#);
    context.apply_ok(&["--target", "export.orders"]);
    assert_eq!(context.admin().count(ResourceKind::Exports), 1);
    assert_eq!(context.admin().count(ResourceKind::Flows), 0);
    let (code, rendered) =
        context.run(context.with_secret().args(["plan", "--target", "flow.nope"]));
    assert_eq!(code, 1, "{rendered}");
}

#[test]
fn a_saved_plan_applies_once_and_then_is_stale() {
    let context = app();
    cli_snapshot!(context, context.with_secret().args(["plan", "--out", "plan.json", "-q"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Create (6):
      + integration.main "Main"
          + name: "Main"
      + connection.api "API"
          + name: "API"
          + type: "http"
          + http.baseURI: "https://example.com"
          + http.mediaType: "json"
          + http.auth.type: "token"
          + http.auth.token.token: (sensitive)
          + http.auth.token.location: "header"
          + http.auth.token.headerName: "Authorization"
          + http.auth.token.scheme: "Bearer"
      + script.shape "Shape"
          + name: "Shape"
          + content:
              +function preMap(options) { return options.data; }
      + export.orders "Orders"
          + name: "Orders"
          + adaptorType: "HTTPExport"
          + _connectionId: ${connection.api}
          + http.method: "GET"
          + http.relativeURI: "/orders"
      + import.post "Post"
          + name: "Post"
          + adaptorType: "HTTPImport"
          + _connectionId: ${connection.api}
          + http.method[0]: "POST"
          + http.relativeURI[0]: "/post"
          + hooks.preMap._scriptId: ${script.shape}
          + hooks.preMap.function: "preMap"
      + flow.sync "Sync"
          + name: "Sync"
          + _integrationId: ${integration.main}
          + schedule: "? 0 */2 * * *"
          + timezone: "UTC"
          + pageGenerators[0]: {"_exportId":"${export.orders}"}
          + pageProcessors[0]: {"type":"import","_importId":"${import.post}"}

    Flow activations (these flows start running or change schedule):
      ! flow.sync: new flow, enabled once the apply completes

    Plan: 6 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    "#);
    let saved = fs_err::read_to_string(context.root().join("plan.json")).unwrap();
    assert!(!saved.contains(SECRET), "no secret in the plan file");
    cli_snapshot!(context, context.with_secret().args(["apply", "plan.json", "--parallelism", "1", "-q"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    ");
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
    context.assert_stale_by_serial(context.with_secret().args(["apply", "plan.json"]), 1, 2);
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
}

#[test]
fn an_apply_that_ends_in_the_journal_still_makes_older_saved_plans_stale() {
    let context = app();
    context.apply_ok(&[]);
    let file = context.root().join(".flowform/state.json");
    let journal = context.root().join(".flowform/state.json.journal");
    let document = fs_err::read_to_string(&file).unwrap();
    assert!(document.contains("\"version\": 2,"), "a local state file is version 2");
    let serial = context.state()["serial"].as_u64().unwrap();
    let (code, rendered) = context.run(context.with_secret().args(["plan", "--out", "old.json"]));
    assert_eq!(code, 0, "{rendered}");
    context.write("spec.yaml", &APP.replace("name: Orders", "name: Open orders"));
    context.apply_ok(&[]);
    // The run ended in the journal: the document was not rewritten, and the state read with
    // its journal has the change and the next serial.
    assert_eq!(fs_err::read_to_string(&file).unwrap(), document);
    let lines = fs_err::read_to_string(&journal).unwrap();
    assert!(lines.ends_with(&format!("{{\"op\":\"serial\",\"serial\":{}}}\n", serial + 1)));
    assert_eq!(context.state()["serial"], serial + 1);
    assert_eq!(context.plan(&[]).0, 0, "the journal's changes are in the state");
    context.assert_stale_by_serial(context.with_secret().args(["apply", "old.json"]), 2, 3);
    // A plan saved now verifies against the state with its journal, and its apply moves the
    // serial again.
    context.write("spec.yaml", APP);
    let (code, rendered) = context.run(context.with_secret().args(["plan", "--out", "new.json"]));
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) = context.run(context.with_secret().args(["apply", "new.json"]));
    assert_eq!(code, 0, "{rendered}");
    assert_eq!(context.state()["serial"], serial + 2);
    assert_eq!(context.live(ResourceKind::Exports, "export.orders")["name"], "Orders");
}

#[test]
fn a_saved_plan_is_stale_after_a_ui_edit() {
    let context = app();
    context.apply_ok(&[]);
    context.write("spec.yaml", &APP.replace("name: Orders", "name: Open orders"));
    let (code, rendered) = context.run(context.with_secret().args(["plan", "--out", "plan.json"]));
    assert_eq!(code, 0, "{rendered}");
    let id = context.state()["resources"]["export.orders"]["id"].as_str().unwrap().to_owned();
    context
        .admin()
        .edit(ResourceKind::Exports, &id, &serde_json::json!({"description": "edited in the UI"}))
        .unwrap();
    cli_snapshot!(context, context.with_secret().args(["apply", "plan.json"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the saved plan is stale: `export.orders` was modified in the account since the plan was made (lastModified [TIME] then, [TIME] now)
    hint: run `flowform plan --out FILE` again and review the new plan
    ");
    assert_eq!(
        context.live(ResourceKind::Exports, "export.orders")["name"],
        "Orders",
        "nothing applied"
    );
    // A changed secret makes a saved plan stale too.
    let (code, _) = context.run(context.with_secret().args(["plan", "--out", "plan.json"]));
    assert_eq!(code, 0);
    let (code, rendered) =
        context.run(context.flowform().env("API_TOKEN", "rotated").args(["apply", "plan.json"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("secret `API_TOKEN`"), "{rendered}");
}

#[test]
fn a_rotated_secret_is_one_sensitive_update() {
    let context = app();
    context.apply_ok(&[]);
    assert_eq!(context.plan(&[]).0, 0, "an unchanged secret is never a change");
    let (code, rendered) = context.run(
        context
            .flowform()
            .env("API_TOKEN", "secret-canary-two")
            .args(["plan", "--detailed-exitcode"]),
    );
    assert_eq!(code, 2, "{rendered}");
    assert!(!rendered.contains("secret-canary-two"), "{rendered}");
    insta::with_settings!({filters => crate::support::filters()}, {
        insta::assert_snapshot!(rendered, @r#"
        exit_code: 2
        ----- stdout -----
        Target: [URL] (user [ID])

        Update (1):
          ~ connection.api "API" ([ID])
              ~ http.auth.token.token: (sensitive) → (sensitive)
              used by: flow.sync

        Also: 5 unchanged.
        Plan: 0 to create, 0 to clone, 1 to update, 0 to delete.

        ----- stderr -----
        "#);
    });
}

#[test]
fn the_integrator_state_backend_works_end_to_end() {
    let context = app();
    context.apply_ok(&["--state", "integrator"]);
    assert!(!context.root().join(".flowform/state.json").exists());
    let stored = context.admin().state_value("flowform-default").expect("stored in the account");
    assert!(stored["resources"]["flow.sync"]["id"].is_string());
    assert!(!stored.to_string().contains(SECRET));
    assert_eq!(context.plan(&["--state", "integrator"]).0, 0);
}

#[test]
fn a_second_concurrent_apply_fails_on_the_lock() {
    let context = app();
    // Slow requests keep the first apply holding the lock while the second starts.
    context.admin().set_latency(flowform_emulator::Latency {
        fixed: std::time::Duration::from_millis(150),
        jitter: std::time::Duration::ZERO,
    });
    let mut first = context
        .with_secret()
        .args(["apply", "--auto-approve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lock = context.root().join(".flowform/state.json.lock");
    while !lock.exists() {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first apply ended before taking the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    cli_snapshot!(context, context.with_secret().args(["apply", "--auto-approve"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the state is locked by `flowform apply` (pid [PID] on host [HOST], since [TIME])
    hint: wait for it to finish, or retry with `--lock-timeout SECONDS`; if that process is gone (a crashed CI runner), run `flowform state unlock`
    ");
    assert!(first.wait().unwrap().success());
    context.admin().set_latency(flowform_emulator::Latency::default());
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn a_failed_step_skips_its_dependents_and_a_rerun_converges() {
    let context = app();
    // The export's hook runs on a stack that does not exist (a stack deleted from the account,
    // an id copied from another): stacks are listed only when a `data:` lookup names one, so a
    // literal `_stackId` is not checked at plan time and only the service refuses it. Its
    // create fails, the flow that uses it is skipped, everything else is done.
    context.write(
        "spec.yaml",
        &APP.replace(
            "    _connectionId: ${connection.api}\n    http:\n      method: GET",
            "    _connectionId: ${connection.api}\n    hooks:\n      preSavePage:\n        _stackId: \"0123456789abcdef01234567\"\n        function: preSavePage\n    http:\n      method: GET",
        ),
    );
    cli_snapshot!(context, context.with_secret().args(["apply", "--auto-approve", "--parallelism", "1"]), @r#"
    exit_code: 1
    ----- stdout -----
    Target: [URL] (user [ID])

    Create (6):
      + integration.main "Main"
          + name: "Main"
      + connection.api "API"
          + name: "API"
          + type: "http"
          + http.baseURI: "https://example.com"
          + http.mediaType: "json"
          + http.auth.type: "token"
          + http.auth.token.token: (sensitive)
          + http.auth.token.location: "header"
          + http.auth.token.headerName: "Authorization"
          + http.auth.token.scheme: "Bearer"
      + script.shape "Shape"
          + name: "Shape"
          + content:
              +function preMap(options) { return options.data; }
      + export.orders "Orders"
          + name: "Orders"
          + adaptorType: "HTTPExport"
          + _connectionId: ${connection.api}
          + hooks.preSavePage._stackId: "[ID]"
          + hooks.preSavePage.function: "preSavePage"
          + http.method: "GET"
          + http.relativeURI: "/orders"
      + import.post "Post"
          + name: "Post"
          + adaptorType: "HTTPImport"
          + _connectionId: ${connection.api}
          + http.method[0]: "POST"
          + http.relativeURI[0]: "/post"
          + hooks.preMap._scriptId: ${script.shape}
          + hooks.preMap.function: "preMap"
      + flow.sync "Sync"
          + name: "Sync"
          + _integrationId: ${integration.main}
          + schedule: "? 0 */2 * * *"
          + timezone: "UTC"
          + pageGenerators[0]: {"_exportId":"${export.orders}"}
          + pageProcessors[0]: {"type":"import","_importId":"${import.post}"}

    Flow activations (these flows start running or change schedule):
      ! flow.sync: new flow, enabled once the apply completes

    Plan: 6 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    integration.main: created ([ID])
    connection.api: created ([ID])
    script.shape: created ([ID])
    export.orders: create failed
    import.post: created ([ID])
    flow.sync: create skipped: `create export.orders` failed
    flow.sync: enable skipped: its write did not complete
    error: create export.orders failed
    caused by: `POST /v1/exports` failed with status 422: `invalid_ref`: Invalid reference: stack `[ID]` at `hooks.preSavePage._stackId` does not exist (field `hooks.preSavePage._stackId`)
    every completed step is in the state; fix what the errors above say (see their hints), then run the same command again
    error: apply finished with failures: 4 created, 0 cloned, 0 updated, 0 adopted, 0 moved, 0 deleted; 1 step failed, 2 skipped
    "#);
    assert_eq!(context.admin().count(ResourceKind::Flows), 0);
    assert!(
        context.state()["resources"].get("import.post").is_some(),
        "completed steps are recorded"
    );
    context.write("spec.yaml", APP);
    context.apply_ok(&[]);
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
    assert_eq!(context.plan(&[]).0, 0);
}

#[test]
fn run_wait_after_apply() {
    let context = app();
    context.apply_ok(&[]);
    let (code, rendered) = context.run(context.flowform().args(["run", "flow.sync", "--wait"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("status: completed"), "{rendered}");
}

#[test]
fn destroy_deletes_everything_managed_and_nothing_else() {
    let context = app();
    context.load(serde_json::json!({"integrations": [{"_id": "dddddddddddddddddddddddd", "name": "Not managed"}]}));
    context.apply_ok(&[]);
    let (code, rendered) = context.run(context.flowform().args(["destroy"]));
    assert_eq!(code, 1, "refused without --auto-approve off a terminal: {rendered}");
    assert!(rendered.contains("--auto-approve"), "{rendered}");
    let (code, rendered) = context.run(context.flowform().args(["destroy", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    // Dependents go first; independent deletes may finish in any order.
    let position = |address: &str| {
        rendered
            .find(&format!("{address}: deleted"))
            .unwrap_or_else(|| panic!("`{address}` was not deleted: {rendered}"))
    };
    for (dependent, dependency) in [
        ("flow.sync", "export.orders"),
        ("flow.sync", "import.post"),
        ("flow.sync", "integration.main"),
        ("import.post", "script.shape"),
        ("import.post", "connection.api"),
        ("export.orders", "connection.api"),
    ] {
        assert!(
            position(dependent) < position(dependency),
            "{dependent} before {dependency}: {rendered}"
        );
    }
    assert!(
        rendered.contains("Plan: 0 to create, 0 to clone, 0 to update, 6 to delete."),
        "{rendered}"
    );
    assert!(rendered.contains("Destroy complete! Resources: 6 deleted."), "{rendered}");
    assert_eq!(context.admin().count(ResourceKind::Flows), 0);
    assert_eq!(context.admin().count(ResourceKind::Connections), 0);
    assert_eq!(context.admin().count(ResourceKind::Integrations), 1, "the unmanaged one stays");
    assert_eq!(context.state()["resources"], serde_json::json!({}));
    cli_snapshot!(context, context.flowform().args(["destroy", "--auto-approve"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    nothing to destroy: the state manages no live resources
    ");
}

#[test]
fn apply_without_approval_off_a_terminal_changes_nothing() {
    let context = app();
    let (code, rendered) = context.run(context.with_secret().args(["apply"]));
    assert_eq!(code, 1, "{rendered}");
    assert!(rendered.contains("hint: review the plan, then pass `--auto-approve`"), "{rendered}");
    assert_eq!(context.admin().count(ResourceKind::Integrations), 0);
    assert!(!context.root().join(".flowform/state.json.lock").exists());
}

#[test]
fn the_sandbox_applies_and_remembers() {
    let context = app();
    let (code, rendered) =
        context.run(context.sandbox().env("API_TOKEN", SECRET).args(["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("using the local sandbox"), "{rendered}");
    let (code, rendered) = context
        .run(context.sandbox().env("API_TOKEN", SECRET).args(["plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "the second run sees what the first created: {rendered}");
    assert_eq!(
        context.admin().count(ResourceKind::Flows),
        0,
        "the emulator of the test was not used"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_finishes_the_requests_in_flight_saves_the_state_and_exits_130() {
    use std::io::{BufRead, BufReader};
    let context = app();
    context.admin().set_latency(flowform_emulator::Latency {
        fixed: std::time::Duration::from_millis(100),
        jitter: std::time::Duration::ZERO,
    });
    let mut child = context
        .with_secret()
        .args(["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // The first finished step means the executor, and its Ctrl-C watcher, are running.
    while !seen.contains(": created") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the apply ended early: {seen}");
        seen.push_str(&line);
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{seen}{rest}");
    assert!(rest.contains("apply interrupted"), "{rest}");
    let recorded = context.state()["resources"].as_object().unwrap().len();
    assert!((1..6).contains(&recorded), "completed steps are recorded, the rest not: {recorded}");
    context.admin().set_latency(flowform_emulator::Latency::default());
    context.apply_ok(&[]);
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
    assert_eq!(context.plan(&[]).0, 0);
}

/// Keys with numbers sort as numbers (`flow-2` before `flow-10`) in plans, their JSON and
/// markdown renderings, and `state list`.
#[test]
fn names_are_listed_in_natural_order() {
    let context = TestContext::new();
    context.write(
        "spec.yaml",
        r#"integrations:
  main:
    name: Main
flows:
  flow-10:
    name: Ten
    _integrationId: ${integration.main}
    disabled: true
  flow-2:
    name: Two
    _integrationId: ${integration.main}
    disabled: true
  flow-1:
    name: One
    _integrationId: ${integration.main}
    disabled: true
"#,
    );
    cli_snapshot!(context, context.flowform().arg("plan"), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Create (4):
      + integration.main "Main"
          + name: "Main"
      + flow.flow-1 "One"
          + name: "One"
          + _integrationId: ${integration.main}
          + disabled: true
      + flow.flow-2 "Two"
          + name: "Two"
          + _integrationId: ${integration.main}
          + disabled: true
      + flow.flow-10 "Ten"
          + name: "Ten"
          + _integrationId: ${integration.main}
          + disabled: true

    Plan: 4 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    "#);
    let output = context.flowform().args(["plan", "--format", "json"]).output().expect("runs");
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON plan");
    let addresses: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| change["address"].as_str())
        .collect();
    assert_eq!(addresses, ["integration.main", "flow.flow-1", "flow.flow-2", "flow.flow-10"]);
    let output = context.flowform().args(["plan", "--format", "markdown"]).output().expect("runs");
    let markdown = String::from_utf8_lossy(&output.stdout);
    let position = |address: &str| markdown.find(address).expect("listed");
    assert!(position("flow.flow-2") < position("flow.flow-10"), "{markdown}");
    let (code, rendered) = context.run(context.flowform().args(["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    cli_snapshot!(context, context.flowform().args(["state", "list"]), @"
    exit_code: 0
    ----- stdout -----
    ADDRESS           ID
    integration.main  [ID]
    flow.flow-1       [ID]
    flow.flow-2       [ID]
    flow.flow-10      [ID]

    ----- stderr -----
    ");
}

/// The lines of `apply --format json`, parsed.
fn parse_events(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

/// Every step counted in `started` (and `total`) ends in exactly one `step_finished`.
#[track_caller]
fn assert_steady_total(events: &[serde_json::Value]) {
    let started: Vec<&serde_json::Value> =
        events.iter().filter(|event| event["event"] == "started").collect();
    assert_eq!(started.len(), 1, "one `started`: {events:#?}");
    assert!(
        events.iter().all(|event| event["event"] != "total"),
        "the total was right from the start: {events:#?}"
    );
    let finished = events.iter().filter(|event| event["event"] == "step_finished").count();
    assert_eq!(started[0]["total"], finished, "{events:#?}");
    assert!(events.iter().all(|event| event["format_version"] == 1));
}

#[test]
fn apply_format_json_streams_one_event_per_line() {
    let context = app();
    let output = context
        .with_secret()
        .args(["apply", "--auto-approve", "--format", "json", "--parallelism", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Create (6):"), "the plan goes to stderr: {stderr}");
    let events = parse_events(&output.stdout);
    let kinds: Vec<&str> = events.iter().map(|event| event["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"plan"));
    assert_eq!(kinds.get(1), Some(&"started"));
    assert_eq!(kinds.last(), Some(&"summary"));
    assert_eq!(events[0]["plan"]["summary"]["create"], 6, "the JSON plan document");
    assert!(events[1]["target"].as_str().unwrap().starts_with(&context.emulator.url()));
    // The enable of the new flow is counted from the start: 6 creates and 1 enable.
    assert_eq!(events[1]["total"], 7);
    assert_steady_total(&events);
    let enable = events
        .iter()
        .find(|event| event["event"] == "step_finished" && event["action"] == "enable")
        .expect("the enable step");
    assert_eq!(enable["address"], "flow.sync");
    assert_eq!(enable["outcome"], "done");
    let summary = events.last().unwrap();
    assert_eq!(summary["outcome"], "succeeded");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["resources"]["created"], 6);
    assert_eq!(summary["steps"]["done"], 7);

    // The documented stream is this run's, with ids, times and the address shown as
    // placeholders (docs/apply-events.md).
    let documented = documented_events();
    let ours: Vec<serde_json::Value> =
        events.iter().map(|event| placeholders(event, &context)).collect();
    assert_eq!(
        documented.len(),
        ours.len(),
        "docs/apply-events.md has another number of events than this run:\n{}",
        ours.iter().map(|event| event.to_string()).collect::<Vec<_>>().join("\n")
    );
    for (documented, ours) in documented.iter().zip(&ours) {
        assert_eq!(
            documented, ours,
            "docs/apply-events.md is out of date; this run's event:\n{ours}"
        );
    }
}

/// The event lines of the ```jsonl block of docs/apply-events.md.
fn documented_events() -> Vec<serde_json::Value> {
    let text =
        fs_err::read_to_string(crate::support::repository_root().join("docs/apply-events.md"))
            .unwrap();
    let start = text.find("```jsonl\n").expect("docs/apply-events.md has a ```jsonl block") + 9;
    let end = start + text[start..].find("```").unwrap();
    text[start..end]
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

/// An event with what changes between runs replaced: ids, the emulator's URL, and the plan
/// document (checked on its own, and documented in docs/plan-format.md).
fn placeholders(event: &serde_json::Value, context: &TestContext) -> serde_json::Value {
    let mut text = event.to_string().replace(&context.emulator.url(), "https://api.integrator.io");
    let mut masked = String::new();
    let mut rest = text.as_str();
    while let Some(position) = rest.find(|character: char| character.is_ascii_hexdigit()) {
        let run = rest[position..]
            .find(|character: char| !character.is_ascii_hexdigit())
            .unwrap_or(rest.len() - position);
        masked.push_str(&rest[..position]);
        let hex = &rest[position..position + run];
        masked.push_str(if run == 24 { "5f0000000000000000000000" } else { hex });
        rest = &rest[position + run..];
    }
    masked.push_str(rest);
    text = masked;
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    if value["event"] == "plan" {
        value["plan"] = serde_json::json!("(the JSON plan)");
    }
    value
}

#[test]
fn apply_format_json_reports_failures_with_their_chain_and_every_counted_step() {
    let context = app();
    // A hook on a stack that does not exist (stacks are listed only when a `data:` lookup names
    // one, so only the service refuses a literal `_stackId`; a literal id of a listed kind, an
    // async helper's or a connection's, is a plan error).
    context.write(
        "spec.yaml",
        &APP.replace(
            "    _connectionId: ${connection.api}\n    http:\n      method: GET",
            "    _connectionId: ${connection.api}\n    hooks:\n      preSavePage:\n        _stackId: \"0123456789abcdef01234567\"\n        function: preSavePage\n    http:\n      method: GET",
        ),
    );
    let output = context
        .with_secret()
        .args(["apply", "--auto-approve", "--format", "json", "--parallelism", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let events = parse_events(&output.stdout);
    assert_steady_total(&events);
    let failed = events
        .iter()
        .find(|event| event["event"] == "step_finished" && event["outcome"] == "failed")
        .unwrap();
    assert_eq!(failed["address"], "export.orders");
    assert_eq!(failed["error"]["message"], "create export.orders failed");
    let causes = failed["error"]["causes"].as_array().unwrap();
    assert!(causes.iter().any(|cause| cause.as_str().unwrap().contains("status 422")), "{failed}");
    let skipped: Vec<(&str, &str)> = events
        .iter()
        .filter(|event| event["outcome"] == "skipped")
        .map(|event| (event["action"].as_str().unwrap(), event["address"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped, [("create", "flow.sync"), ("enable", "flow.sync")]);
    let summary = events.last().unwrap();
    assert_eq!(summary["outcome"], "failed");
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(
        summary["steps"],
        serde_json::json!({"total": 7, "done": 4, "failed": 1, "skipped": 2, "not_run": 0})
    );

    // An error before any step is an `error` event (and the usual message on stderr).
    context.write("spec.yaml", "flows: [\n");
    let output = context
        .with_secret()
        .args(["apply", "--auto-approve", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let events = parse_events(&output.stdout);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["event"], "error");
    assert_eq!(events[0]["message"], "the spec has 1 error");
    assert!(events[0]["hint"].as_str().unwrap().contains("flowform validate"));
}

#[test]
fn json_and_markdown_plans_carry_their_problems_and_fail() {
    let context = app();
    context.load(
        serde_json::json!({"integrations": [{"_id": "aaaaaaaaaaaaaaaaaaaaaaaa", "name": "Main"}]}),
    );
    let output = context
        .with_secret()
        .args(["plan", "--format", "json", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "problems are exit 1, even with changes");
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(plan["problems"][0]["address"], "integration.main");
    assert!(plan["problems"][0]["hint"].as_str().unwrap().contains("--adopt"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: the plan cannot be applied: 1 problem"), "{stderr}");
    let output = context.with_secret().args(["plan", "--format", "markdown"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(markdown.contains("> **Problems: this plan cannot be applied**"), "{markdown}");
    assert!(markdown.contains("`integration.main` is not in state"), "{markdown}");
}

#[test]
fn the_plan_names_the_environment_it_applies_to() {
    let context = app();
    context.write("environments/staging.yaml", "variables: {}\n");
    let output = context.with_secret().args(["plan", "--env", "staging"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first.replace(&context.emulator.url(), "[URL]").split(" (user ").next(),
        Some("Target: [URL]"),
    );
    assert!(first.ends_with(", environment staging"), "{first}");
    let output = context
        .with_secret()
        .args(["plan", "--env", "staging", "--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.lines().nth(2).unwrap().ends_with(", environment `staging`"), "{text}");
}

/// The confirmation of `apply` and `destroy` names the account (on a terminal: `script` gives
/// the command one, and answers `no`).
#[cfg(target_os = "linux")]
#[test]
fn the_confirmation_names_the_target() {
    use std::io::Write;
    let context = app();
    let ask = |arguments: &str| {
        let program = crate::support::binary().display().to_string();
        let mut script = std::process::Command::new("script");
        script
            .env_clear()
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .env("FLOWFORM_TEST_NO_RETRY_DELAY", "1")
            .env("CELIGO_BASE_URL", context.emulator.url())
            .env("CELIGO_API_TOKEN", crate::support::TOKEN)
            .env("API_TOKEN", SECRET)
            .current_dir(context.root())
            .args(["-qec", &format!("{program} {arguments}"), "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = script.spawn().expect("`script` (util-linux) runs");
        child.stdin.take().unwrap().write_all(b"no\n").unwrap();
        let output = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stdout).replace(&context.emulator.url(), "[URL]")
    };
    let asked = ask("apply");
    assert!(
        asked.contains("The changes above will be made in [URL] (user "),
        "the prompt names the account: {asked}"
    );
    assert!(asked.contains("apply cancelled"), "{asked}");
    assert_eq!(context.admin().count(ResourceKind::Integrations), 0);
    context.apply_ok(&[]);
    let asked = ask("destroy");
    assert!(
        asked.contains("Every resource listed above will be deleted from [URL] (user "),
        "{asked}"
    );
    assert!(asked.contains("destroy cancelled"), "{asked}");
    assert_eq!(context.admin().count(ResourceKind::Integrations), 1);
}

/// A plan made while an apply runs says so, and neither adopts nor creates again what that
/// apply is creating: a real concurrent apply, slowed by the emulator's latency.
#[test]
fn a_plan_during_an_apply_names_it_and_plans_no_adoption_of_its_creates() {
    use std::io::{BufRead, BufReader};
    let context = app();
    context.admin().set_latency(flowform_emulator::Latency {
        // Slow enough that the creates after the first are still to come while the plan runs
        // (the plan's own requests, a few, are slowed too).
        fixed: std::time::Duration::from_millis(500),
        jitter: std::time::Duration::ZERO,
    });
    let mut apply = context
        .with_secret()
        .args(["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(apply.stderr.take().unwrap());
    let mut seen = String::new();
    // Once a step is done, the apply holds the lock and the state holds its write-ahead
    // records for the creates still to come.
    while !seen.contains(": created") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the apply ended early: {seen}");
        seen.push_str(&line);
    }
    let output = context
        .with_secret()
        .args(["plan", "--format", "json", "--detailed-exitcode"])
        .output()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(apply.wait().unwrap().success(), "{seen}{rest}");
    context.admin().set_latency(flowform_emulator::Latency::default());

    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let warnings: Vec<&str> =
        plan["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(
        warnings[0]
            .starts_with("an apply is in progress: the state is locked by `flowform apply` (pid "),
        "{warnings:#?}"
    );
    assert!(warnings[1].contains("being created by the apply in progress"), "{warnings:#?}");
    assert!(warnings[1].contains("`flow.sync`"), "the last create is still to come: {warnings:#?}");
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["action"].as_str().unwrap())
        .collect();
    assert!(!actions.contains(&"adopt"), "{plan:#}");
    assert!(plan["problems"].as_array().unwrap().is_empty(), "{plan:#}");
    assert!(
        plan["changes"].as_array().unwrap().iter().all(|change| change["address"] != "flow.sync"),
        "{plan:#}"
    );
    // Its creates are the other apply's: nothing is left for this plan to do.
    assert_eq!(output.status.code(), Some(0), "{plan:#}");
    assert_eq!(context.admin().count(ResourceKind::Flows), 1, "no duplicate");
    assert_eq!(context.plan(&[]).0, 0);
}
