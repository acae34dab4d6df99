//! `plan --destroy` and `destroy --target` (issue 17): the plan `destroy` makes, saved and
//! applied like any plan, and a destroy limited to some resources and what depends on them.

use flowform_emulator::ResourceKind;

use crate::apply::{APP, app};

#[test]
fn plan_destroy_is_what_destroy_does_and_a_saved_one_applies_without_the_secrets() {
    let context = app();
    context.apply_ok(&[]);
    cli_snapshot!(context, context.flowform().args(["plan", "--destroy", "--detailed-exitcode"]), @r#"
    exit_code: 2
    ----- stdout -----
    Target: [URL] (user [ID])

    Delete (6):
      - integration.main "Main" ([ID])
          after: flow.sync
      - connection.api "API" ([ID])
          after: export.orders, import.post
      - script.shape "Shape" ([ID])
          after: import.post
      - export.orders "Orders" ([ID])
          after: flow.sync
      - import.post "Post" ([ID])
          after: flow.sync
      - flow.sync "Sync" ([ID])

    Plan: 0 to create, 0 to clone, 0 to update, 6 to delete.

    ----- stderr -----
    "#);
    let (code, rendered) =
        context.run(context.flowform().args(["plan", "--destroy", "--out", "destroy.json"]));
    assert_eq!(code, 0, "{rendered}");
    let (code, rendered) = context.run(context.flowform().args(["show", "destroy.json"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("(saved destroy plan `destroy.json` made"), "{rendered}");
    let saved: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(context.root().join("destroy.json")).unwrap())
            .unwrap();
    assert_eq!(saved["format_version"], 2, "older builds must refuse a destroy plan");
    assert_eq!(saved["options"]["destroy"], true);
    // No `API_TOKEN`: deleting needs no secret of the spec.
    let (code, rendered) = context.run(context.flowform().args(["apply", "destroy.json"]));
    assert_eq!(code, 0, "{rendered}");
    assert!(
        rendered.contains(
            "Apply complete! Resources: 0 created, 0 cloned, 0 updated, 0 adopted, 0 moved, 6 deleted."
        ),
        "{rendered}"
    );
    assert_eq!(context.admin().count(ResourceKind::Flows), 0);
    assert_eq!(context.admin().count(ResourceKind::Integrations), 0);
    assert_eq!(context.state()["resources"], serde_json::json!({}));
}

#[test]
fn a_saved_destroy_plan_is_stale_once_the_state_moved() {
    let context = app();
    context.apply_ok(&[]);
    let (code, _) =
        context.run(context.flowform().args(["plan", "--destroy", "--out", "destroy.json"]));
    assert_eq!(code, 0);
    context.write("spec.yaml", &APP.replace("relativeURI: /orders", "relativeURI: /orders?x=1"));
    context.apply_ok(&[]);
    context.assert_stale_by_serial(context.flowform().args(["apply", "destroy.json"]), 2, 3);
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
}

#[test]
fn plan_destroy_shows_prevent_destroy_in_every_format_and_fails() {
    let context = app();
    context.write(
        "spec.yaml",
        &APP.replace(
            "  sync:\n    name: Sync\n",
            "  sync:\n    name: Sync\n    lifecycle:\n      preventDestroy: true\n",
        ),
    );
    context.apply_ok(&[]);
    let output =
        context.flowform().args(["plan", "--destroy", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(plan["problems"][0]["address"], "flow.sync");
    assert!(plan["problems"][0]["message"].as_str().unwrap().contains("preventDestroy"), "{plan}");
    cli_snapshot!(context, context.flowform().args(["plan", "--destroy", "--target", "flow.sync", "--format", "markdown", "--out", "d.json"]), @r#"
    exit_code: 1
    ----- stdout -----
    ### flowform plan

    Target: `[URL] (user [ID])`

    | action | count |
    | --- | ---: |
    | create | 0 |
    | clone | 0 |
    | update | 0 |
    | adopt | 0 |
    | move | 0 |
    | delete | 1 |
    | unchanged | 0 |

    **Plan: 0 to create, 0 to clone, 0 to update, 1 to delete.**

    > [!CAUTION]
    > **Problems: this plan cannot be applied**
    >
    > - `flow.sync` (`[ID]`) has `preventDestroy`; `destroy` would delete it (hint: set `preventDestroy: false` on `flow.sync` (or remove the line) and run `flowform apply`, which records it, then destroy; or keep it in the account and stop managing it with `flowform state rm flow.sync`)

    > [!WARNING]
    > **1 to delete**
    >
    > - `flow.sync` ([ID])

    **Warnings**

    - the destroy is limited to `flow.sync` and what depends on it (1 resource in all); the other managed resources stay

    #### Flows

    <details open><summary><code>delete</code> <b>flow.sync</b> “Sync”</summary>

    ```mermaid
    flowchart TB
      subgraph picture [" "]
        direction LR
        g0[/"- Orders<br/>export.orders"/]:::removed
        p0["- Post<br/>import.post"]:::removed
        g0 -.-> p0
      end
      subgraph legend ["Legend"]
        direction TB
        l0[/"source (page generator)"/]
        l1["import step"]
        l2["- removed"]:::removed
      end
      picture ~~~ legend
      style picture fill:none,stroke:none
      classDef removed fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-dasharray:5 5
    ```

    </details>

    <details><summary><code>delete</code> <b>flow.sync</b> “Sync”</summary>

    id `[ID]`

    </details>


    ----- stderr -----
    nothing was saved to `d.json`
    error: `flow.sync` (`[ID]`) has `preventDestroy`; `destroy` would delete it
    hint: set `preventDestroy: false` on `flow.sync` (or remove the line) and run `flowform apply`, which records it, then destroy; or keep it in the account and stop managing it with `flowform state rm flow.sync`
    error: the plan cannot be applied: 1 problem (above)
    "#);
    assert!(!context.root().join("d.json").exists());
    let (code, rendered) = context.run(context.flowform().args(["destroy", "--auto-approve"]));
    assert_eq!(code, 1, "{rendered}");
    assert_eq!(context.admin().count(ResourceKind::Flows), 1);
}

#[test]
fn destroy_target_deletes_the_resource_and_everything_that_depends_on_it() {
    let context = app();
    context.apply_ok(&[]);
    cli_snapshot!(context, context.flowform().args(["destroy", "--target", "script.shape", "--auto-approve", "--parallelism", "1"]), @r#"
    exit_code: 0
    ----- stdout -----
    Target: [URL] (user [ID])

    Delete (3):
      - script.shape "Shape" ([ID])
          after: import.post
      - import.post "Post" ([ID])
          after: flow.sync
      - flow.sync "Sync" ([ID])

    Warnings:
      - the destroy is limited to `script.shape` and what depends on it (3 resources in all); the other managed resources stay

    Plan: 0 to create, 0 to clone, 0 to update, 3 to delete.

    ----- stderr -----
    flow.sync: deleted ([ID])
    import.post: deleted ([ID])
    script.shape: deleted ([ID])
    Destroy complete! Resources: 3 deleted.
    "#);
    let managed: Vec<String> =
        context.state()["resources"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(managed, ["connection.api", "export.orders", "integration.main"]);
    assert_eq!(context.admin().count(ResourceKind::Scripts), 0);
    assert_eq!(context.admin().count(ResourceKind::Exports), 1);
    cli_snapshot!(context, context.flowform().args(["destroy", "--target", "script.shape", "--auto-approve"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `--target script.shape` names no resource the state manages
    hint: `flowform state list` lists the managed addresses
    ");
}
