//! Builders for desired, applied and live models, a small simulated integrator.io server, and the
//! one `check` that runs `diff` and snapshots the plan with its three renderings.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use flowform_diff::render::{self, HumanOptions, JsonContext, MarkdownOptions};
use flowform_diff::{
    DiffOptions, WriteOptions, baseline_after_write, create_document, diff, record_applied,
    update_document,
};
use flowform_model::fields::write_only_paths;
use flowform_model::{
    Address, DesiredResource, DesiredState, FieldPath, Kind, Lifecycle, LiveResource, LiveState,
    Moved, Plan, RefOrId, ResourceState, SecretValue, State, Value,
};
use serde_json::json;

/// The salt of every test state.
pub const SALT: &str = "0123456789abcdef";

/// A deterministic 24-hex live id.
pub fn id(number: u32) -> String {
    format!("5f{number:022x}")
}

/// Parses `kind.key`.
pub fn address(text: &str) -> Address {
    text.parse().expect("test addresses are valid")
}

/// The value the world's secret `name` resolves to, unless a test set another. Every default
/// value holds `canary` so leaks are easy to find.
pub fn default_secret(name: &str) -> String {
    format!("canary-{}-value", name.to_lowercase())
}

/// Desired, applied and live state for one test, plus the simulated server that produced the
/// live documents.
pub struct World {
    pub desired: DesiredState,
    pub state: State,
    pub server: Server,
    secrets: BTreeMap<String, String>,
    next_id: u32,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    pub fn new() -> World {
        World {
            desired: DesiredState::default(),
            state: State::new(
                "lineage-1".into(),
                "https://api.integrator.io (test)".into(),
                SALT.into(),
            ),
            server: Server::default(),
            secrets: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Sets the value secret `name` resolves to from now on.
    pub fn secret(&mut self, name: &str, value: &str) -> &mut World {
        self.secrets.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Every secret value the world has handed out (for leak checks).
    pub fn secret_values(&self) -> Vec<String> {
        let mut values: Vec<String> = self.secrets.values().cloned().collect();
        collect_secret_values(&self.desired, &mut values);
        values
    }

    /// Builds a desired resource from spec-like JSON: a string `${KIND.KEY}` is a reference, a
    /// string holding `${secret.NAME}` is a secret.
    pub fn resource(&self, address_text: &str, body: serde_json::Value) -> DesiredResource {
        let Value::Object(body) = self.spec_value(&body) else {
            panic!("a resource body must be an object");
        };
        DesiredResource {
            address: address(address_text),
            body,
            lifecycle: Lifecycle::default(),
            origin: None,
        }
    }

    /// Converts spec-like JSON to a desired value.
    pub fn spec_value(&self, json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::String(text) => {
                if let Some(inner) = text.strip_prefix("${").and_then(|rest| rest.strip_suffix('}'))
                    && !inner.starts_with("secret.")
                    && let Ok(address) = inner.parse::<Address>()
                {
                    return Value::Ref(address);
                }
                if text.contains("${secret.") {
                    let mut names = Vec::new();
                    let mut resolved = String::new();
                    let mut rest = text.as_str();
                    while let Some(start) = rest.find("${secret.") {
                        resolved.push_str(&rest[..start]);
                        let after = &rest[start + "${secret.".len()..];
                        let end = after.find('}').expect("closed secret placeholder");
                        let name = &after[..end];
                        names.push(name.to_owned());
                        match self.secrets.get(name) {
                            Some(value) => resolved.push_str(value),
                            None if name.starts_with("UNSET") => {
                                return Value::Secret(SecretValue::unresolved(names));
                            }
                            None => resolved.push_str(&default_secret(name)),
                        }
                        rest = &after[end + 1..];
                    }
                    resolved.push_str(rest);
                    return Value::Secret(SecretValue::new(names, resolved));
                }
                Value::String(text.clone())
            }
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(|item| self.spec_value(item)).collect())
            }
            serde_json::Value::Object(object) => Value::Object(
                object.iter().map(|(key, value)| (key.clone(), self.spec_value(value))).collect(),
            ),
            other => Value::from_json(other),
        }
    }

    /// Declares a resource in the spec.
    pub fn desire(&mut self, address_text: &str, body: serde_json::Value) -> &mut DesiredResource {
        let resource = self.resource(address_text, body);
        let address = resource.address.clone();
        self.desired.resources.insert(address.clone(), resource);
        self.desired.resources.get_mut(&address).expect("just inserted")
    }

    /// Removes a resource from the spec.
    pub fn undesire(&mut self, address_text: &str) {
        self.desired.resources.shift_remove(&address(address_text));
    }

    /// Adds a `moved` entry.
    pub fn moved(&mut self, from: &str, to: &str) {
        self.desired.moved.push(Moved { from: address(from), to: address(to), origin: None });
    }

    /// Resolves references through the state.
    pub fn resolver(&self) -> impl Fn(&Address) -> Option<String> + '_ {
        move |address: &Address| self.state.get(address).map(|resource| resource.id.clone())
    }

    /// Applies the current spec of `address` the way the executor does: create it (flows
    /// disabled, then enabled by an update) or update it, then record the state. Returns the id.
    pub fn apply(&mut self, address_text: &str) -> String {
        let address = address(address_text);
        let resource = self.desired.get(&address).expect("declared before apply").clone();
        let previous = self.state.get(&address).cloned();
        let mut before = None;
        let id = match &previous {
            Some(previous) if self.server.contains(&previous.id) => {
                let live = self.server.get(&previous.id).expect("present");
                before = Some(Value::from(live.clone()));
                let body = update_document(
                    &Value::from(live),
                    &resource,
                    Some(previous),
                    &self.resolver(),
                    &WriteOptions::default(),
                )
                .expect("update body");
                self.server.put(&previous.id, body);
                previous.id.clone()
            }
            _ => {
                let options = WriteOptions {
                    force_disabled: (address.kind == Kind::Flow).then_some(true),
                    omit_breakable: false,
                };
                let body =
                    create_document(&resource, &self.resolver(), &options).expect("create body");
                let id = id(self.next_id);
                self.next_id += 1;
                self.server.post(address.kind, &id, body);
                if address.kind == Kind::Flow {
                    let recorded = record_applied(
                        &resource,
                        SALT,
                        &id,
                        &Value::from(self.server.get(&id).expect("created")),
                        None,
                    );
                    let live = self.server.get(&id).expect("created");
                    let body = update_document(
                        &Value::from(live),
                        &resource,
                        Some(&recorded),
                        &self.resolver(),
                        &WriteOptions::default(),
                    )
                    .expect("enable body");
                    self.server.put(&id, body);
                }
                id
            }
        };
        let response = Value::from(self.server.get(&id).expect("written"));
        let mut recorded = record_applied(&resource, SALT, &id, &response, previous.as_ref());
        recorded.live = Some(baseline_after_write(
            &resource,
            SALT,
            before.as_ref(),
            &response,
            previous.as_ref(),
            &recorded,
        ));
        self.state.resources.insert(address, recorded);
        id
    }

    /// Declares and applies.
    pub fn applied(&mut self, address_text: &str, body: serde_json::Value) -> String {
        self.desire(address_text, body);
        self.apply(address_text)
    }

    /// Declares, sets the lifecycle, and applies.
    pub fn applied_with(
        &mut self,
        address_text: &str,
        body: serde_json::Value,
        lifecycle: impl FnOnce(&mut Lifecycle),
    ) -> String {
        let resource = self.desire(address_text, body);
        lifecycle(&mut resource.lifecycle);
        self.apply(address_text)
    }

    /// A live resource flowform does not manage.
    pub fn unmanaged(&mut self, kind: Kind, body: serde_json::Value) -> String {
        let id = id(self.next_id);
        self.next_id += 1;
        self.server.post(kind, &id, body);
        id
    }

    /// Edits a live document as someone in the UI would.
    pub fn edit_live(&mut self, live_id: &str, edit: impl FnOnce(&mut serde_json::Value)) {
        self.server.edit(live_id, edit);
    }

    /// The live state as the API client would read it.
    pub fn live(&self) -> LiveState {
        self.server.live_state()
    }

    /// Plans.
    pub fn plan(&self, options: DiffOptions) -> Plan {
        diff(&self.desired, &self.state, &self.live(), &options)
    }
}

fn collect_secret_values(desired: &DesiredState, values: &mut Vec<String>) {
    fn walk(value: &Value, values: &mut Vec<String>) {
        match value {
            Value::Secret(secret) => values.extend(secret.expose().map(str::to_owned)),
            Value::Array(items) => items.iter().for_each(|item| walk(item, values)),
            Value::Object(object) => object.values().for_each(|child| walk(child, values)),
            _ => {}
        }
    }
    for resource in desired.resources.values() {
        for value in resource.body.values() {
            walk(value, values);
        }
    }
}

/// A small stand-in for integrator.io: it stores what it is sent, adds server-owned fields and
/// documented defaults, drops nulls and empty objects, and masks write-only fields on read.
#[derive(Debug, Default, Clone)]
pub struct Server {
    documents: BTreeMap<String, (Kind, serde_json::Value)>,
    clock: u32,
}

impl Server {
    pub fn contains(&self, id: &str) -> bool {
        self.documents.contains_key(id)
    }

    fn now(&mut self) -> String {
        self.clock += 1;
        format!("2026-01-01T00:00:{:02}.{:03}Z", self.clock / 1000 % 60, self.clock % 1000)
    }

    pub fn post(&mut self, kind: Kind, id: &str, body: serde_json::Value) {
        let now = self.now();
        let mut document = body;
        store_shape(kind, &mut document);
        let object = document.as_object_mut().expect("bodies are objects");
        object.insert("_id".into(), json!(id));
        object.insert("createdAt".into(), json!(now));
        object.insert("lastModified".into(), json!(now));
        add_server_fields(kind, object);
        self.documents.insert(id.to_owned(), (kind, document));
    }

    pub fn put(&mut self, id: &str, body: serde_json::Value) {
        let now = self.now();
        let (kind, previous) = self.documents.get(id).cloned().expect("put to an existing id");
        let mut document = body;
        store_shape(kind, &mut document);
        let object = document.as_object_mut().expect("bodies are objects");
        object.insert("_id".into(), json!(id));
        object.insert("createdAt".into(), previous["createdAt"].clone());
        object.insert("lastModified".into(), json!(now));
        add_server_fields(kind, object);
        self.documents.insert(id.to_owned(), (kind, document));
    }

    pub fn edit(&mut self, id: &str, edit: impl FnOnce(&mut serde_json::Value)) {
        let now = self.now();
        let (_, document) = self.documents.get_mut(id).expect("edit of an existing id");
        edit(document);
        document["lastModified"] = json!(now);
    }

    pub fn delete(&mut self, id: &str) {
        self.documents.remove(id);
    }

    /// The document as `GET` returns it: write-only fields masked.
    pub fn get(&self, id: &str) -> Option<serde_json::Value> {
        let (kind, document) = self.documents.get(id)?;
        let mut document = document.clone();
        for path in write_only_paths(*kind) {
            mask(&mut document, &path.split('.').collect::<Vec<_>>());
        }
        Some(document)
    }

    pub fn live_state(&self) -> LiveState {
        let mut live = LiveState::default();
        for (id, (kind, _)) in &self.documents {
            let document = self.get(id).expect("listed");
            live.insert(LiveResource::from_document(*kind, document).expect("documents have ids"));
        }
        live
    }
}

fn mask(value: &mut serde_json::Value, keys: &[&str]) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    let Some(child) = value.as_object_mut().and_then(|object| object.get_mut(*first)) else {
        return;
    };
    if rest.is_empty() {
        *child = json!("******");
    } else {
        mask(child, rest);
    }
}

/// What the API does with a stored body: drops nulls and empty objects, and fills documented
/// defaults (including inside list elements).
fn store_shape(kind: Kind, document: &mut serde_json::Value) {
    drop_absent(document);
    let Some(object) = document.as_object_mut() else {
        return;
    };
    match kind {
        Kind::Flow => {
            object.entry("disabled").or_insert(json!(false));
            // A key the server adds inside list elements that no table lists: the superset rule
            // must leave it alone.
            if let Some(serde_json::Value::Array(generators)) = object.get_mut("pageGenerators") {
                for generator in
                    generators.iter_mut().filter_map(|generator| generator.as_object_mut())
                {
                    generator.entry("setupInProgress").or_insert(json!(false));
                }
            }
            if let Some(processors) = object.get_mut("pageProcessors") {
                fill_processor_defaults(processors);
            }
            if let Some(serde_json::Value::Array(routers)) = object.get_mut("routers") {
                for router in routers.iter_mut().filter_map(|router| router.as_object_mut()) {
                    router.entry("routeRecordsTo").or_insert(json!("first_matching_branch"));
                    if let Some(serde_json::Value::Array(branches)) = router.get_mut("branches") {
                        for branch in branches {
                            if let Some(processors) = branch.get_mut("pageProcessors") {
                                fill_processor_defaults(processors);
                            }
                        }
                    }
                }
            }
        }
        Kind::Connection => {
            if let Some(serde_json::Value::Object(http)) = object.get_mut("http") {
                http.entry("concurrencyLevel").or_insert(json!(25));
            }
        }
        Kind::Script => {
            object.entry("postResponseHookToProcessOnChildRecord").or_insert(json!(false));
        }
        _ => {}
    }
}

fn fill_processor_defaults(processors: &mut serde_json::Value) {
    if let serde_json::Value::Array(processors) = processors {
        for processor in processors.iter_mut().filter_map(|processor| processor.as_object_mut()) {
            processor.entry("proceedOnFailure").or_insert(json!(false));
        }
    }
}

fn drop_absent(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Object(object) => {
            object.retain(|_, child| drop_absent(child));
            !object.is_empty()
        }
        serde_json::Value::Array(items) => {
            for item in items.iter_mut() {
                if item.is_object() {
                    drop_absent(item);
                }
            }
            true
        }
        _ => true,
    }
}

fn add_server_fields(kind: Kind, object: &mut serde_json::Map<String, serde_json::Value>) {
    object.insert("lastModifiedBy".into(), json!("someone@example.com"));
    match kind {
        Kind::Flow => {
            object.insert("free".into(), json!(false));
            object.insert("numInstances".into(), json!(0));
            object.insert("logging".into(), json!({"debugUntil": "2026-01-01T01:00:00.000Z"}));
        }
        Kind::Connection => {
            object.insert("offline".into(), json!(false));
            object.insert("queues".into(), json!([{"name": "q", "size": 0}]));
        }
        Kind::Export | Kind::Import => {
            object.insert("apiIdentifier".into(), json!("e1a2b3c4d5"));
        }
        _ => {}
    }
}

/// A compact, complete dump of a plan: every field of every change, warnings and problems.
pub fn plan_dump(plan: &Plan) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let _ = write!(out, "{} {}", change.action.as_str(), change.address);
        if let Some(id) = change.id() {
            let _ = write!(out, " id={id}");
        }
        if let Some(name) = &change.name {
            let _ = write!(out, " name={name:?}");
        }
        if let Some(from) = change.action.moved_from() {
            let _ = write!(out, " moved_from={from}");
        }
        if let Some(source) = change.action.clone_from() {
            let source = match source {
                RefOrId::Ref(address) => address.to_string(),
                RefOrId::Id(id) => id.clone(),
            };
            let _ = write!(out, " clone_from={source}");
        }
        if let Some(modified) = change.action.live_last_modified() {
            let _ = write!(out, " live_last_modified={modified}");
        }
        out.push('\n');
        let list: Vec<String> = change.waits_for().map(ToString::to_string).collect();
        if !list.is_empty() {
            let _ = writeln!(out, "  depends_on: {}", list.join(", "));
        }
        if !change.used_by.is_empty() {
            let list: Vec<String> = change.used_by.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "  used_by: {}", list.join(", "));
        }
        for copy in change.action.copies() {
            let source = match &copy.source {
                RefOrId::Ref(address) => address.to_string(),
                RefOrId::Id(id) => id.clone(),
            };
            let _ = writeln!(
                out,
                "  copy {} name={:?} of={source} kept={}",
                copy.address, copy.name, copy.kept
            );
        }
        for state_change in change.action.state_changes() {
            let _ = writeln!(
                out,
                "  state {} {:?} -> {:?}",
                state_change.flag.as_str(),
                state_change.before,
                state_change.after
            );
        }
        for field in change.fields() {
            let _ = write!(out, "  {} {}", field.op.as_str(), field.path);
            if let Some(before) = &field.before {
                let _ = write!(out, " before={before:?}");
            }
            if let Some(after) = &field.after {
                let _ = write!(out, " after={after:?}");
            }
            if field.drift {
                out.push_str(" drift");
            }
            if field.sensitive {
                out.push_str(" sensitive");
            }
            out.push('\n');
        }
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for problem in &plan.problems {
        let _ = writeln!(out, "problem: {}: {}", problem.address, problem.message);
        if let Some(hint) = &problem.hint {
            let _ = writeln!(out, "  hint: {hint}");
        }
    }
    out
}

/// The three renderings of a plan.
pub struct Renderings {
    pub human: String,
    pub json: String,
    pub markdown: String,
}

pub fn render_all(plan: &Plan) -> Renderings {
    Renderings {
        human: render::human(plan, &HumanOptions { color: false }),
        json: render::json(
            plan,
            &JsonContext { target: "https://api.integrator.io (test)".into() },
        ),
        markdown: render::markdown(plan, &MarkdownOptions::default()),
    }
}

/// Asserts that no secret value of the world appears in the plan's `Debug` output or renderings.
#[track_caller]
pub fn assert_no_secret(world: &World, plan: &Plan, renderings: &Renderings) {
    let debug = format!("{plan:?} {plan:#?}");
    for secret in world.secret_values() {
        for (name, text) in [
            ("debug", &debug),
            ("human", &renderings.human),
            ("json", &renderings.json),
            ("markdown", &renderings.markdown),
        ] {
            assert!(!text.contains(&secret), "secret value leaked into the {name} output");
        }
    }
}

/// Runs `diff` on the world and snapshots the plan with its three renderings under `name`;
/// also checks that no secret leaks and that the JSON rendering parses.
#[track_caller]
pub fn check(name: &str, world: &World, options: DiffOptions) -> Plan {
    let plan = world.plan(options);
    let renderings = render_all(&plan);
    assert_no_secret(world, &plan, &renderings);
    let parsed: flowform_diff::render::json::JsonPlan =
        serde_json::from_str(&renderings.json).expect("the JSON plan parses with its own types");
    assert_eq!(parsed.format_version, 1);
    assert_reads_back(&plan, &parsed);
    let text = format!(
        "== plan ==\n{}\n== human ==\n{}\n== json ==\n{}\n== markdown ==\n{}",
        plan_dump(&plan),
        renderings.human,
        renderings.json,
        renderings.markdown
    );
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
    plan
}

/// Asserts that the JSON document reads back (`render::json::plan_from_document`, what
/// `flowform show` renders a saved plan from) into a plan whose three renderings are those of
/// the plan without its no-ops (the document lists none).
#[track_caller]
pub fn assert_reads_back(plan: &Plan, document: &flowform_diff::render::json::JsonPlan) {
    let read_back =
        render::json::plan_from_document(document).expect("the JSON plan reads back into a plan");
    let listed = Plan {
        changes: plan
            .changes
            .iter()
            .filter(|change| change.action_kind() != flowform_model::ActionKind::NoOp)
            .cloned()
            .collect(),
        ..plan.clone()
    };
    let (again, expected) = (render_all(&read_back), render_all(&listed));
    assert_eq!(again.human, expected.human, "the human plan read back differs");
    assert_eq!(again.json, expected.json, "the JSON plan read back differs");
    assert_eq!(again.markdown, expected.markdown, "the markdown plan read back differs");
}

/// A path.
pub fn path(text: &str) -> FieldPath {
    text.parse().expect("test paths are valid")
}

/// A state entry made by hand, for cases that no apply produces (a pulled resource).
pub fn state_entry(id: &str) -> ResourceState {
    ResourceState { id: id.to_owned(), ..ResourceState::default() }
}
