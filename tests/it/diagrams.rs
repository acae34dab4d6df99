//! Every diagram the test suite produces is checked by the tools that draw it: each Mermaid
//! block by Mermaid's own parser, each DOT graph by Graphviz, and a markdown document is
//! rendered in headless Chromium, where each diagram must draw an SVG without a syntax error: a
//! real plan comment (the binary's `plan --format markdown` for a change of the README's example
//! spec, applied to the emulator first), then all the Mermaid blocks. The diagrams are the file
//! snapshots of the tests (a snapshot that is a `flowchart` or a `digraph`, and every
//! ```` ```mermaid ```` block inside any snapshot), so a diagram that changes is checked as soon
//! as its snapshot is accepted. The ```` ```mermaid ```` blocks of the README and `docs/` are
//! checked too.
//!
//! The realistic examples (`examples/realistic/`) are applied to the emulator and changed so that
//! every flow of the spec changes, one flow is deleted and one created; the plan comment of that
//! change must draw every flow, each block must parse and draw in Chromium.
//!
//! The tools live in `tests/mermaid/` (`check.mjs`, with the npm packages pinned in its
//! `package-lock.json`); `tests/mermaid/install.sh`, which `.ci/run` runs, installs them. When
//! they are missing these tests fail, so CI proves the diagrams draw, unless
//! `FLOWFORM_SKIP_BROWSER_TESTS=1` is set (for local runs without Node or Chromium).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::examples::REALISTIC_SECRETS;
use crate::readme::copy_tree;
use crate::support::{TestContext, bare_command, repository_root};

/// The name `crates/diff/tests/it/pictures.rs` gives its hostile resource; the browser must show
/// it exactly, character for character.
const HOSTILE_NAME: &str =
    "Q3 \"big\" <b>orders</b> & #1; [x] {y} (z) a|b c:d `e` *f* _g_ %% end\\";

/// The change the plan comment below shows, made to the README's example spec after it was
/// applied: the GitHub connection moves to GitHub Enterprise, and a lookup of the repository is
/// inserted at the front of `flow.issues-to-slack`. The README shows an excerpt of its comment;
/// [`REALISTIC_CHANGE`] is the larger plan of the realistic examples.
const EXAMPLE_CHANGE: [(&str, &str); 3] = [
    (
        "      baseURI: https://api.github.com\n",
        "      baseURI: https://github.example.com/api/v3\n",
    ),
    (
        "exports:\n",
        "exports:\n  github-repo-lookup:\n    name: Look up the repository\n    adaptorType: HTTPExport\n    \
         _connectionId: ${connection.github}\n    isLookup: true\n    http:\n      method: GET\n      \
         relativeURI: /repos/${var.repository}\n",
    ),
    (
        "    pageProcessors:\n      - type: export\n        _exportId: ${export.github-user-lookup}\n",
        "    pageProcessors:\n      - type: export\n        _exportId: ${export.github-repo-lookup}\n      \
         - type: export\n        _exportId: ${export.github-user-lookup}\n",
    ),
];

/// The plan comment the binary prints (`plan --format markdown`) for [`EXAMPLE_CHANGE`], after
/// the example spec was applied to the emulator, and the same plan saved and shown again
/// (`show PLANFILE --format markdown`); made once for every test that reads them.
struct ExampleComment {
    planned: String,
    shown: String,
}

fn example() -> &'static ExampleComment {
    static COMMENT: OnceLock<ExampleComment> = OnceLock::new();
    COMMENT.get_or_init(make_example_plan_comment)
}

fn example_plan_comment() -> &'static str {
    &example().planned
}

fn make_example_plan_comment() -> ExampleComment {
    let context = TestContext::new();
    for file in ["flows.example.yaml", "examples/scripts/format-issue.js"] {
        let text = fs_err::read_to_string(repository_root().join(file)).expect("read");
        context.write(file, &text);
    }
    let flowform = || {
        let mut command = context.flowform();
        command
            .env("GITHUB_TOKEN", "demo")
            .env("SLACK_BOT_TOKEN", "demo")
            .env("GITHUB_WEBHOOK_SECRET", "demo");
        command
    };
    let (code, rendered) =
        context.run(flowform().args(["apply", "-f", "flows.example.yaml", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    let mut spec = fs_err::read_to_string(context.root().join("flows.example.yaml")).expect("read");
    for (from, to) in EXAMPLE_CHANGE {
        assert_eq!(spec.matches(from).count(), 1, "flows.example.yaml changed: `{from}`");
        spec = spec.replace(from, to);
    }
    context.write("flows.example.yaml", &spec);
    let stdout_of = |command: &mut Command| {
        let output = command.output().expect("the binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        stdout
    };
    let planned = stdout_of(flowform().args([
        "plan",
        "-f",
        "flows.example.yaml",
        "--format",
        "markdown",
        "--out",
        "plan.json",
    ]));
    let shown = stdout_of(context.flowform().args(["show", "plan.json", "--format", "markdown"]));
    ExampleComment { planned, shown }
}

/// The change the realistic plan comment shows, made to `examples/realistic/` after it was
/// applied, so that every flow of the spec changes: the NetSuite connection (which the order and
/// return flows use) gets a lower concurrency level; a stock lookup is inserted in front of the
/// `Retail` branch's step of the router flow and the alert import of the catch-all branch gets a
/// new body; the returns webhook answers differently; the stock flow is deleted (its file goes)
/// and a new flow is created from [`REALISTIC_NEW_FLOW`]. Each edit is `(file, from, to)`.
const REALISTIC_CHANGE: [(&str, &str, &str); 5] = [
    ("order-to-cash.yaml", "      concurrencyLevel: 2\n", "      concurrencyLevel: 1\n"),
    (
        "flows/orders-to-netsuite.yaml",
        "exports:\n",
        "exports:\n  warehouse-stock-check:\n    name: Check the warehouse stock\n    \
         adaptorType: HTTPExport\n    _connectionId: ${connection.warehouse}\n    isLookup: true\n    \
         http:\n      method: GET\n      relativeURI: /stock/{{sku}}\n",
    ),
    (
        "flows/orders-to-netsuite.yaml",
        "            pageProcessors:\n              - type: import\n                \
         _importId: ${import.warehouse-shipment}\n",
        "            pageProcessors:\n              - type: export\n                \
         _exportId: ${export.warehouse-stock-check}\n              - type: import\n                \
         _importId: ${import.warehouse-shipment}\n",
    ),
    (
        "flows/orders-to-netsuite.yaml",
        r#"body: ['{"order": "{{name}}", "channel": "{{channel}}"}']"#,
        r#"body: ['{"order": "{{name}}", "channel": "{{channel}}", "total": "{{total_price}}"}']"#,
    ),
    (
        "flows/returns-webhook.yaml",
        "      successStatusCode: 202\n",
        "      successStatusCode: 200\n",
    ),
];

/// The spec file [`REALISTIC_CHANGE`] deletes: the stock flow and the export and import only it
/// uses.
const REALISTIC_DELETED_FILE: &str = "flows/stock-from-sftp.yaml";

/// The spec file [`REALISTIC_CHANGE`] adds: a new flow, from the warehouse back to the shop.
const REALISTIC_NEW_FLOW: (&str, &str) = (
    "flows/shipments-to-shop.yaml",
    r#"exports:
  warehouse-shipped:
    name: Shipped warehouse orders
    adaptorType: HTTPExport
    _connectionId: ${connection.warehouse}
    type: delta
    delta:
      dateField: shipped_at
    http:
      method: GET
      relativeURI: /shipments?status=shipped&since={{lastExportDateTime}}
      response:
        resourcePath: shipments

imports:
  shop-fulfillment:
    name: Fulfil the order in the shop
    adaptorType: HTTPImport
    _connectionId: ${connection.shop}
    http:
      method: [POST]
      relativeURI: ["/orders/{{reference}}/fulfillments.json"]
      requestMediaType: json
      body: ['{"fulfillment": {"tracking_number": "{{tracking}}"}}']

flows:
  shipments-to-shop:
    name: Warehouse shipments to the shop
    _integrationId: ${integration.order-to-cash}
    schedule: "? 30 * * * *"
    timezone: ${var.timezone}
    pageGenerators:
      - _exportId: ${export.warehouse-shipped}
    pageProcessors:
      - type: import
        _importId: ${import.shop-fulfillment}
"#,
);

/// The most characters a markdown plan holds (`MarkdownOptions`' default; GitHub allows 65,536 per
/// comment).
const COMMENT_LIMIT: usize = 60_000;

/// The flows of the spec in `folder`, as `flowform graph` (offline) draws them.
fn spec_flows(folder: &Path) -> BTreeSet<String> {
    let output = bare_command(folder).arg("graph").output().expect("the binary runs");
    let graph = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{graph}\n{}", String::from_utf8_lossy(&output.stderr));
    let flows: BTreeSet<String> = graph
        .split("<br/>flow.")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(key, _)| format!("flow.{key}"))
        .collect();
    assert!(!flows.is_empty(), "the graph draws no flow:\n{graph}");
    flows
}

/// The realistic plan comment: what the binary prints (`plan --format markdown`) for
/// [`REALISTIC_CHANGE`] after `examples/realistic/` was applied to the emulator, with the flows of
/// the spec before and after the change.
struct RealisticComment {
    comment: String,
    flows_before: BTreeSet<String>,
    flows_after: BTreeSet<String>,
}

fn make_realistic_plan_comment() -> RealisticComment {
    let context = TestContext::new();
    let folder = context.root().join("realistic");
    copy_tree(&repository_root().join("examples/realistic"), &folder);
    let flowform = || {
        let mut command = context.flowform_in("realistic");
        command.envs(REALISTIC_SECRETS);
        command
    };
    let (code, rendered) = context.run(flowform().args(["apply", "--auto-approve"]));
    assert_eq!(code, 0, "{rendered}");
    let flows_before = spec_flows(&folder);
    for (file, from, to) in REALISTIC_CHANGE {
        let path = folder.join(file);
        let text = fs_err::read_to_string(&path).expect("read");
        assert_eq!(text.matches(from).count(), 1, "examples/realistic/{file} changed: `{from}`");
        fs_err::write(&path, text.replace(from, to)).expect("written");
    }
    fs_err::remove_file(folder.join(REALISTIC_DELETED_FILE)).expect("removed");
    let (file, text) = REALISTIC_NEW_FLOW;
    fs_err::write(folder.join(file), text).expect("written");
    let flows_after = spec_flows(&folder);
    let output = flowform().args(["plan", "--format", "markdown"]).output().expect("it runs");
    let comment = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{comment}\n{}", String::from_utf8_lossy(&output.stderr));
    RealisticComment { comment, flows_before, flows_after }
}

/// A diagram found in a snapshot.
struct Diagram {
    /// The snapshot file and, for a block inside it, the block's number.
    name: String,
    /// `mmd` (Mermaid) or `dot` (Graphviz).
    language: &'static str,
    text: String,
}

/// Whether the diagram tools are there; if not, fails with the fix, or skips when
/// `FLOWFORM_SKIP_BROWSER_TESTS=1`.
#[expect(clippy::print_stderr, reason = "a skipped test says why")]
fn tools_ready(need_chromium: bool) -> bool {
    let tools = repository_root().join("tests/mermaid");
    let mut missing = Vec::new();
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|output| output.status.success()) {
        missing.push("`node` (Node.js 20 or later)".to_owned());
    }
    if !tools.join("node_modules/mermaid/package.json").exists() {
        missing.push(format!("the npm packages in `{}`", tools.join("node_modules").display()));
    }
    if need_chromium && std::env::var_os("FLOWFORM_CHROMIUM").is_none() {
        let chromium = Command::new("chromium").arg("--version").output();
        if !chromium.is_ok_and(|output| output.status.success()) {
            missing.push("`chromium`".to_owned());
        }
    }
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "the diagram checks need {}: run `tests/mermaid/install.sh` (the install step of \
         `.ci/run`), or set FLOWFORM_SKIP_BROWSER_TESTS=1 to skip these checks locally",
        missing.join(", ")
    );
    if std::env::var("FLOWFORM_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: {message}");
        return false;
    }
    panic!("{message}");
}

/// The snapshot folders of the workspace: `tests/*/snapshots` and `crates/*/tests/**/snapshots`.
fn snapshot_files() -> Vec<PathBuf> {
    fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs_err::read_dir(directory) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != "node_modules" && entry.file_name() != "target" {
                    walk(&path, found);
                }
            } else if path.extension().is_some_and(|extension| extension == "snap")
                && path.parent().is_some_and(|parent| parent.ends_with("snapshots"))
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&repository_root().join("tests"), &mut found);
    walk(&repository_root().join("crates"), &mut found);
    found.sort();
    found
}

/// The content of an insta snapshot file: what follows its `---` header.
fn snapshot_content(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, content)| content)
}

/// Every ```mermaid block of `text`, named after `name`.
fn mermaid_blocks(name: &str, text: &str, diagrams: &mut Vec<Diagram>) {
    for (index, block) in text.split("```mermaid\n").skip(1).enumerate() {
        let Some((block, _)) = block.split_once("```") else { continue };
        diagrams.push(Diagram {
            name: format!("{name}__block{index}"),
            language: "mmd",
            text: block.to_owned(),
        });
    }
}

/// Every diagram in the workspace's snapshots, the README and `docs/`.
fn diagrams() -> Vec<Diagram> {
    let mut diagrams = Vec::new();
    let mut documents = vec![repository_root().join("README.md")];
    for entry in fs_err::read_dir(repository_root().join("docs")).expect("docs/").flatten() {
        if entry.path().extension().is_some_and(|extension| extension == "md") {
            documents.push(entry.path());
        }
    }
    documents.sort();
    for path in documents {
        let text = fs_err::read_to_string(&path).expect("a document is text");
        let name =
            path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        mermaid_blocks(&name, &text, &mut diagrams);
    }
    for path in snapshot_files() {
        let text = fs_err::read_to_string(&path).expect("a snapshot is text");
        let content = snapshot_content(&text);
        let name = path
            .strip_prefix(repository_root())
            .unwrap_or(&path)
            .display()
            .to_string()
            .replace(['/', '\\'], "__");
        if content.starts_with("flowchart ") {
            diagrams.push(Diagram {
                name: name.clone(),
                language: "mmd",
                text: content.to_owned(),
            });
        } else if content.starts_with("digraph ") {
            diagrams.push(Diagram {
                name: name.clone(),
                language: "dot",
                text: content.to_owned(),
            });
        }
        mermaid_blocks(&name, content, &mut diagrams);
    }
    diagrams
}

fn check_tool(arguments: &[&Path]) -> std::process::Output {
    Command::new("node")
        .arg(repository_root().join("tests/mermaid/check.mjs"))
        .args(arguments)
        .output()
        .expect("node runs")
}

#[test]
fn every_diagram_parses_with_mermaid_and_graphviz() {
    let diagrams = diagrams();
    // The pictures of crates/diff/tests/it/pictures.rs and the graphs of tests/it/graph.rs at
    // least: a collector that finds nothing must not pass.
    for expected in [
        "flow_linear",
        "flow_lookup_created",
        "flow_router.",
        "flow_cloned",
        "plan_markdown_linear_created",
        "plan_markdown_lookup_inserted_front",
        "plan_markdown_router_changed",
        "plan_markdown_cloned",
        "plan_markdown_uses_changed_connection",
        "step_lists_front_middle_end",
        "graph_dot",
        "graph_example_mermaid",
    ] {
        assert!(
            diagrams.iter().any(|diagram| diagram.name.contains(expected)),
            "no snapshot diagram named like `{expected}`"
        );
    }
    if !tools_ready(false) {
        return;
    }
    parse_all(&diagrams);
}

/// Checks each diagram with its own tool (`check.mjs parse`): Mermaid's parser or Graphviz.
fn parse_all(diagrams: &[Diagram]) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    for diagram in diagrams {
        let path = directory.path().join(format!("{}.{}", diagram.name, diagram.language));
        fs_err::write(path, &diagram.text).expect("written");
    }
    let output = check_tool(&[Path::new("parse"), directory.path()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "a diagram does not parse:\n{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().filter(|line| line.starts_with("ok ")).count(),
        diagrams.len(),
        "{stdout}"
    );
}

/// The part of the example plan comment the README shows: the `#### Flows` heading and the
/// picture of `flow.issues-to-slack`.
fn comment_excerpt(comment: &str) -> &str {
    let start = comment.find("#### Flows\n").expect("the comment draws flows");
    let end = start
        + comment[start..].find("</details>\n").expect("a picture block")
        + "</details>\n".len();
    &comment[start..end]
}

#[test]
fn the_example_plan_comment_draws_every_changed_flow() {
    let comment = example_plan_comment();
    // The flow the change inserts a step into, and the clone that uses the changed connection
    // through the copies its clone made.
    for flow in ["flow.issues-to-slack", "flow.issues-to-triage"] {
        let heading = format!("<b>{flow}</b>");
        let at =
            comment.find(&heading).unwrap_or_else(|| panic!("{flow} is not drawn:\n{comment}"));
        assert!(comment[at..].contains("```mermaid\n"), "{flow}");
    }
    assert!(comment.contains("+ Look up the repository<br/>export.github-repo-lookup"));
    // The clone's copy of the author lookup uses the changed connection too.
    assert!(
        comment.contains(
            "export.issues-to-triage--github-user-lookup<br/>uses changed connection.github"
        ),
        "{comment}"
    );
    assert!(comment.contains("+ pageProcessors[0] (inserted)"), "one insertion:\n{comment}");
    assert!(!comment.contains("pageProcessors[1]"), "no shifted steps:\n{comment}");
    // The saved plan draws the same pictures, from the plan file alone.
    let pictures = |text: &str| {
        let start = text.find("#### Flows\n").expect("a pictures section");
        let end = start + text[start..].find("<details><summary>").expect("resource blocks");
        text[start..end].to_owned()
    };
    assert_eq!(pictures(&example().shown), pictures(comment), "show draws what plan drew");
    // The README shows this very excerpt (and a PNG of it drawn by Chromium).
    let readme = fs_err::read_to_string(repository_root().join("README.md")).expect("README.md");
    let excerpt = comment_excerpt(comment);
    assert!(
        readme.contains(excerpt),
        "README.md's plan comment excerpt is out of date; the binary prints:\n{excerpt}"
    );
}

#[test]
fn a_plan_comment_and_every_diagram_draw_in_chromium() {
    let diagrams: Vec<Diagram> =
        diagrams().into_iter().filter(|diagram| diagram.language == "mmd").collect();
    if !tools_ready(true) {
        return;
    }
    // A real plan comment, as the binary prints it and GitHub would show it, then every Mermaid
    // diagram of the test snapshots.
    let comment = example_plan_comment();
    let mut in_comment = Vec::new();
    mermaid_blocks("plan comment", comment, &mut in_comment);
    assert!(in_comment.len() >= 2, "the comment draws its flows:\n{comment}");
    let mut document = comment.to_owned();
    document.push_str("\n# Every Mermaid diagram of the test snapshots\n");
    for diagram in &diagrams {
        document.push_str(&format!("\n## {}\n\n```mermaid\n{}```\n", diagram.name, diagram.text));
    }
    let drawn_texts: Vec<&Diagram> = in_comment.iter().chain(&diagrams).collect();
    let drawn = draw_in_chromium(&document, &drawn_texts);
    // The comment's pictures show the names and addresses of its steps as the browser draws them.
    let comment_labels: Vec<&str> = drawn[..in_comment.len()]
        .iter()
        .flat_map(|result| result["labels"].as_array().into_iter().flatten())
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(
        comment_labels.iter().any(|label| label.contains("+ Look up the repository")
            && label.contains("export.github-repo-lookup")),
        "{comment_labels:#?}"
    );
    // Hostile names come out exactly as written: escaped, not interpreted.
    let labels: Vec<&str> = drawn
        .iter()
        .flat_map(|result| result["labels"].as_array().into_iter().flatten())
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(
        labels.iter().filter(|label| label.contains(HOSTILE_NAME)).count() >= 2,
        "the hostile name is shown verbatim in the flow picture and the graph: {labels:#?}"
    );
}

#[test]
fn the_realistic_plan_comment_draws_every_flow_in_chromium() {
    let RealisticComment { comment, flows_before, flows_after } = make_realistic_plan_comment();
    // The change deletes a flow and creates one, and changes every other flow of the spec, so
    // every flow the spec had or has is drawn: once, and in the comment's size limit.
    let deleted: BTreeSet<&String> = flows_before.difference(&flows_after).collect();
    let created: BTreeSet<&String> = flows_after.difference(&flows_before).collect();
    assert!(!deleted.is_empty() && !created.is_empty(), "{flows_before:?} → {flows_after:?}");
    let flows: BTreeSet<&String> = flows_before.union(&flows_after).collect();
    assert!(
        comment.chars().count() <= COMMENT_LIMIT,
        "the comment is over its limit: {} characters",
        comment.chars().count()
    );
    assert!(!comment.contains("flow pictures are left out"), "{comment}");
    let section = {
        let start = comment.find("#### Flows\n").expect("a pictures section");
        let end = start + comment[start..].find("<details><summary>").expect("resource blocks");
        &comment[start..end]
    };
    let pictures: Vec<&str> = section.split("<details open><summary>").skip(1).collect();
    let drawn: Vec<&str> = pictures
        .iter()
        .filter_map(|picture| picture.split_once("<b>")?.1.split_once("</b>"))
        .map(|(address, _)| address)
        .collect();
    assert_eq!(
        drawn.iter().copied().collect::<BTreeSet<&str>>(),
        flows.iter().map(|flow| flow.as_str()).collect(),
        "every flow of the spec is drawn:\n{comment}"
    );
    assert_eq!(drawn.len(), flows.len(), "each flow once: {drawn:?}");
    for (address, picture) in drawn.iter().zip(&pictures) {
        let mut blocks = Vec::new();
        mermaid_blocks(address, picture, &mut blocks);
        assert_eq!(blocks.len(), 1, "{address} is drawn as one Mermaid block:\n{picture}");
        // The picture marks what changes (the legend's samples aside).
        let steps = blocks[0].text.split("subgraph legend").next().unwrap_or_default();
        assert!(
            [":::added", ":::changed", ":::removed"].iter().any(|mark| steps.contains(mark)),
            "{address} marks no step:\n{picture}"
        );
        let action = |word: &str| picture.starts_with(&format!("<code>{word}</code>"));
        assert_eq!(deleted.iter().any(|flow| flow == address), action("delete"), "{picture}");
        assert_eq!(created.iter().any(|flow| flow == address), action("create"), "{picture}");
    }
    // The step inserted into a branch of the router flow is one insertion, drawn as added.
    assert!(
        comment
            .contains("+ Check the warehouse stock<br/>export.warehouse-stock-check\")]:::added"),
        "{comment}"
    );
    assert!(
        comment.contains("routers[0].branches[1].pageProcessors[0] (inserted)")
            && !comment.contains("branches[1].pageProcessors[1]"),
        "{comment}"
    );

    // Every Mermaid block of the comment parses, and draws in Chromium.
    let mut blocks = Vec::new();
    mermaid_blocks("realistic plan comment", &comment, &mut blocks);
    assert_eq!(blocks.len(), flows.len(), "a Mermaid block is a flow's picture");
    if !tools_ready(true) {
        return;
    }
    parse_all(&blocks);
    let drawn = draw_in_chromium(&comment, &blocks.iter().collect::<Vec<_>>());
    let labels: Vec<&str> = drawn
        .iter()
        .flat_map(|result| result["labels"].as_array().into_iter().flatten())
        .filter_map(serde_json::Value::as_str)
        .collect();
    for step in
        ["export.warehouse-stock-check", "import.shop-fulfillment", "export.partner-stock-file"]
    {
        assert!(labels.iter().any(|label| label.contains(step)), "{step}: {labels:#?}");
    }
}

/// Draws the markdown `document` in headless Chromium (`check.mjs render`) and checks that each
/// of its Mermaid blocks, `diagrams` in order, drew an SVG without a syntax error and with every
/// node it writes; returns the report of each.
fn draw_in_chromium(document: &str, diagrams: &[&Diagram]) -> Vec<serde_json::Value> {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("diagrams.md");
    fs_err::write(&path, document).expect("written");
    let output = check_tool(&[Path::new("render"), &path]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "a diagram did not draw:\n{stderr}\n{stdout}");
    let mut report: serde_json::Value = serde_json::from_str(&stdout).expect("the report is JSON");
    let drawn = match report["diagrams"].take() {
        serde_json::Value::Array(drawn) => drawn,
        other => panic!("a list of diagrams: {other}"),
    };
    assert_eq!(drawn.len(), diagrams.len(), "every block was found and drawn");
    for (Diagram { name, text, .. }, result) in diagrams.iter().zip(&drawn) {
        assert_eq!(result["ok"], true, "{name}: {result}");
        assert_eq!(result["syntax_error"], false, "{name}: {result}");
        let nodes = result["nodes"].as_u64().unwrap_or(0);
        // Every node written is a node drawn (`n3[…]`, `p0[(…)]`, …: an id, then a shape).
        let written = text
            .lines()
            .map(str::trim_start)
            .filter(|line| {
                let id_end = line.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(0);
                id_end > 0 && line[id_end..].starts_with(['[', '(', '{'])
            })
            .count() as u64;
        assert_eq!(nodes, written, "{name}: {result}");
    }
    drawn
}
