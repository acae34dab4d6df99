//! Changes made outside flowform in any field (issue 15), end to end: `plan --refresh-only`,
//! the ordinary plan's note in every format, `apply --refresh-only`, saved refresh-only plans,
//! and a plain value at a write-only path that no output may show.

use flowform_emulator::ResourceKind;

use crate::apply::app;

/// A filter added to the export in the UI (through the emulator's admin API, which edits the
/// stored document as the UI does and bumps `lastModified`): an expression that can silently
/// drop orders.
fn add_filter_in_the_ui(context: &crate::support::TestContext) {
    let id = context.state()["resources"]["export.orders"]["id"].as_str().unwrap().to_owned();
    context
        .admin()
        .edit(
            ResourceKind::Exports,
            &id,
            &serde_json::json!({"filter": {"type": "expression", "expression": {"version": "1",
                "rules": ["equals", ["string", ["extract", "status"]], "open"]}}}),
        )
        .unwrap();
}

/// Issue 15: a filter added in the UI was invisible: `plan --detailed-exitcode` exited 0 and
/// called the export unchanged, so the nightly drift job never saw it. Failed before the live
/// baselines: `--refresh-only` did not exist and the plan had no note. Now the refresh-only
/// plan shows it field by field and exits 2, the ordinary plan notes it (no action, exit 0),
/// `apply --refresh-only` accepts it, and the next refresh-only plan is empty.
#[test]
fn a_filter_added_in_the_ui_is_found_noted_and_accepted() {
    let context = app();
    context.apply_ok(&[]);
    cli_snapshot!(context, context.with_secret().args(["plan", "--refresh-only", "--detailed-exitcode"]), @r"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Refresh-only plan: nothing is written to the account; applying it records the account as it is in the state.

    No changes outside flowform. The state matches the account.

    Refresh: 0 changed and 0 deleted outside flowform.

    ----- stderr -----
    ");
    add_filter_in_the_ui(&context);

    cli_snapshot!(context, context.with_secret().args(["plan", "--refresh-only", "--detailed-exitcode"]), @r#"
    exit_code: 2
    ----- stdout -----
    Target: [URL] (user [ID])

    Refresh-only plan: nothing is written to the account; applying it records the account as it is in the state.

    Changed outside flowform since the last apply (1):
      ~ export.orders "Orders" ([ID])
          + filter.expression.rules: ["equals",["string",["extract","status"]],"open"]
          + filter.type: "expression"

    Refresh: 1 changed and 0 deleted outside flowform.

    ----- stderr -----
    "#);

    cli_snapshot!(context, context.with_secret().args(["plan", "--detailed-exitcode"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    No changes. The account matches the spec.

    Changed outside flowform since the last apply (no action; `flowform apply --refresh-only` accepts these changes into the state):
      ~ export.orders "Orders" ([ID])
          + filter.expression.rules: ["equals",["string",["extract","status"]],"open"]
          + filter.type: "expression"

    Also: 6 unchanged.
    Plan: 0 to create, 0 to clone, 0 to update, 0 to delete.

    ----- stderr -----
    "#);

    let (code, json) = context.plan(&["--format", "json"]);
    assert_eq!(code, 0, "{json}");
    let json: serde_json::Value = serde_json::from_str(
        json.split("----- stdout -----\n").nth(1).unwrap().split("\n----- stderr").next().unwrap(),
    )
    .unwrap();
    assert_eq!(json["changed_outside"][0]["address"], "export.orders");
    assert_eq!(json["changed_outside"][0]["fields"][1]["path"], "filter.type");
    assert_eq!(json["changed_outside"][0]["fields"][1]["value"], "expression");
    let (_, markdown) = context.plan(&["--format", "markdown"]);
    assert!(markdown.contains("> **Changed outside flowform since the last apply"), "{markdown}");
    assert!(markdown.contains("`export.orders`: `filter.expression.rules`"), "{markdown}");

    cli_snapshot!(context, context.with_secret().args(["apply", "--refresh-only", "--auto-approve"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Refresh-only plan: nothing is written to the account; applying it records the account as it is in the state.

    Changed outside flowform since the last apply (1):
      ~ export.orders "Orders" ([ID])
          + filter.expression.rules: ["equals",["string",["extract","status"]],"open"]
          + filter.type: "expression"

    Refresh: 1 changed and 0 deleted outside flowform.

    ----- stderr -----
    Refresh complete: the state records the account as it is (1 changed outside flowform, 0 deleted outside flowform, 0 new baselines); nothing was written to the account.
    "#);
    let (code, rendered) = context.plan(&["--refresh-only"]);
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) = context.plan(&[]);
    assert_eq!(code, 0, "{rendered}");
    assert!(!rendered.contains("Changed outside flowform"), "{rendered}");
    // Nothing was written to the account: the filter is still there.
    assert_eq!(
        context.live(ResourceKind::Exports, "export.orders")["filter"]["type"],
        "expression"
    );
}

/// A refresh-only plan saved with `--out` is applied like any other, and refused like any
/// other when the account moved since.
#[test]
fn a_saved_refresh_only_plan_is_verified_then_accepted() {
    let context = app();
    context.apply_ok(&[]);
    add_filter_in_the_ui(&context);
    let (code, rendered) = context.plan(&["--refresh-only", "--out", "refresh.json"]);
    assert_eq!(code, 2, "{rendered}");
    let saved = fs_err::read_to_string(context.root().join("refresh.json")).unwrap();
    assert!(saved.contains("\"refresh_only\": true"), "{saved}");
    assert!(saved.contains("changed-outside"), "{saved}");
    let (code, shown) = context.run(context.with_secret().args(["show", "refresh.json"]));
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("Refresh-only plan") && shown.contains("+ filter.type: \"expression\""),
        "{shown}"
    );

    // Another edit in the UI after the plan: the plan is stale.
    let id = context.state()["resources"]["export.orders"]["id"].as_str().unwrap().to_owned();
    context.admin().edit(ResourceKind::Exports, &id, &serde_json::json!({"pageSize": 10})).unwrap();
    cli_snapshot!(context, context.with_secret().args(["apply", "refresh.json"]), @r"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the saved plan is stale: `export.orders` was modified in the account since the plan was made (lastModified [TIME] then, [TIME] now)
    hint: run `flowform plan --out FILE` again and review the new plan
    ");

    let (code, rendered) = context.plan(&["--refresh-only", "--out", "refresh.json"]);
    assert_eq!(code, 2, "{rendered}");
    let (code, rendered) = context.run(context.with_secret().args(["apply", "refresh.json"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("Refresh complete"), "{rendered}");
    let (code, rendered) = context.plan(&["--refresh-only"]);
    assert_eq!(code, 0, "{rendered}");

    // With `--format json`: the plan event, then the summary; no step runs.
    context.admin().edit(ResourceKind::Exports, &id, &serde_json::json!({"pageSize": 20})).unwrap();
    let output = context
        .with_secret()
        .args(["apply", "--refresh-only", "--auto-approve", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|event| event["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["plan", "summary"]);
    assert_eq!(events[0]["plan"]["refresh_only"], true);
    assert_eq!(events[0]["plan"]["changed_outside"][0]["fields"][0]["path"], "pageSize");
    assert_eq!(events[1]["outcome"], "succeeded");
}

/// `--refresh-only` plans nothing else, so the options that shape other plans are refused.
#[test]
fn refresh_only_refuses_options_of_other_plans() {
    let context = app();
    let (code, rendered) = context.plan(&["--refresh-only", "--target", "export.orders"]);
    assert_eq!(code, 64, "{rendered}");
    assert!(rendered.contains("cannot be used with"), "{rendered}");
    let (code, rendered) =
        context.run(context.with_secret().args(["apply", "--refresh-only", "plan.json"]));
    assert_eq!(code, 64, "{rendered}");
}

/// Issue 15: `password: hunter2` written in plain text at a write-only path was printed in
/// the human, JSON and markdown plans, and so in the pull-request comment. Failed before the
/// write-only rule of the diff and the renderers. Whether validation refuses the spec or not,
/// no output may show the value.
#[test]
fn a_plain_value_at_a_write_only_path_is_never_printed() {
    let context = app();
    context.write(
        "legacy.yaml",
        "connections:\n  legacy:\n    name: Legacy\n    type: http\n    http:\n      baseURI: https://legacy.example.com\n      mediaType: json\n      auth:\n        type: basic\n        basic:\n          username: svc\n          password: hunter2-canary\n",
    );
    for format in ["human", "json", "markdown"] {
        let (_, rendered) = context.plan(&["--format", format]);
        assert!(!rendered.contains("hunter2-canary"), "{format}: {rendered}");
    }
    let (_, rendered) = context.run(context.with_secret().args(["validate"]));
    assert!(!rendered.contains("hunter2-canary"), "{rendered}");
}
