//! Mermaid pictures of flows: page generators on the left, then the page processors in order,
//! routers as decisions with their branches, each step labelled with its resource's name and
//! address and marked added, removed or changed.
//!
//! A picture is built from flow bodies ([`FlowPicture::of_body`] for a flow drawn as it is,
//! [`FlowPicture::between`] for a flow that changes, [`FlowPicture::of_clone`] for a flow a clone
//! fills in), optionally marked with the resources that change ([`FlowPicture::mark_affected`]),
//! and drawn by [`flow_mermaid`]. The input types are this module's own, so the picture does not
//! depend on how a plan stores its changes. `docs/plan-format.md` documents the conventions.
//!
//! Labels are escaped with Mermaid's entity codes ([`mermaid_text`]) and node ids are generated
//! (`g0`, `p3`, `r1`, …), so no name can break the diagram, close a markdown fence or inject
//! HTML. Only plain strings of a body reach a label (a secret is never a plain string), and names
//! come from the caller's lookup, which must give plain `name` fields only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use flowform_model::references::{Step as PathStep, for_each_reference};
use flowform_model::{Address, FieldPath, Kind, Object, Segment, Value};

use crate::align::{Aligned, align, pair_replacements};

/// How an element of a picture fares in the change the picture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    /// New with the change.
    Added,
    /// Gone after the change; drawn dashed so the picture still shows where it was.
    Removed,
    /// Still there, but it or a resource it uses changes.
    Changed,
    /// Untouched.
    Unchanged,
}

impl Mark {
    /// The symbol a label starts with (none for unchanged elements).
    fn symbol(self) -> Option<&'static str> {
        match self {
            Mark::Added => Some("+"),
            Mark::Removed => Some("-"),
            Mark::Changed => Some("~"),
            Mark::Unchanged => None,
        }
    }

    /// The Mermaid class of the mark (see [`CLASS_DEFINITIONS`]).
    fn class(self) -> Option<&'static str> {
        match self {
            Mark::Added => Some("added"),
            Mark::Removed => Some("removed"),
            Mark::Changed => Some("changed"),
            Mark::Unchanged => None,
        }
    }
}

/// The classes of the marks, shared by flow pictures and dependency graphs: green for added,
/// red and dashed for removed, amber for changed, grey and dashed for what a plan leaves out.
pub(crate) const CLASS_DEFINITIONS: [(&str, &str); 4] = [
    ("added", "fill:#dafbe1,stroke:#1a7f37,color:#0f3d1f"),
    ("removed", "fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-dasharray:5 5"),
    ("changed", "fill:#fff8c5,stroke:#9a6700,color:#4d2d00"),
    ("outside", "fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:2 2"),
];

/// What a step's `_exportId` or `_importId` names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StepTarget {
    /// A resource of the spec: `${KIND.KEY}`.
    Resource(Address),
    /// A literal id of a resource flowform does not manage.
    Unmanaged {
        /// The kind the field implies (`_exportId` names an export).
        kind: Kind,
        /// The id as written.
        id: String,
    },
    /// No resource yet: a step saved unfinished (`setupInProgress`, no id).
    Unconfigured,
}

/// What a step does, which decides its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepRole {
    /// A page generator (an export that produces the records): a parallelogram on the left.
    Source,
    /// A page processor of type `export`: a lookup, drawn as a cylinder.
    Lookup,
    /// A page processor of type `import`: a rectangle.
    Import,
    /// A page processor with no type and no resource yet: a rectangle with rounded corners.
    Pending,
}

/// One step of a flow: a page generator or a page processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the step does.
    pub role: StepRole,
    /// The resource it runs.
    pub target: StepTarget,
    /// How it fares in the change.
    pub mark: Mark,
    /// Why it is marked changed, shown under its address (`step settings changed`, `uses
    /// changed connection.erp`).
    pub notes: Vec<String>,
    /// Written in the legacy top-level `_exportId` / `_importId` of the flow.
    pub legacy: bool,
    /// Brought by a clone from the source flow: the clone makes a copy of the resource.
    pub copy: bool,
    /// The other resources the step object references itself (a `postResponseMap` hook's
    /// script), besides its target.
    pub uses: Vec<Address>,
    /// Where the step sits in the flow body after the change (`pageProcessors[2]`,
    /// `routers[0].branches[1].pageProcessors[0]`); `None` for a removed or copied step.
    pub at: Option<FieldPath>,
}

/// A branch of a router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// Its name (the edge label); an unnamed branch is called by its position.
    pub name: String,
    /// Its steps, in order.
    pub steps: Vec<Step>,
    /// The router its records go to next (`nextRouterId`).
    pub next_router: Option<String>,
    /// How it fares in the change.
    pub mark: Mark,
    /// Why it is marked changed.
    pub notes: Vec<String>,
}

/// A router: a decision that sends records into its branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    /// Its `id`, unique in the flow.
    pub id: String,
    /// Its `name`, when it has a non-empty one.
    pub name: Option<String>,
    /// How it picks branches, in words (`first matching branch`, `all matching branches`).
    pub routing: Option<String>,
    /// The script that picks the branch (`script._scriptId`; [`StepTarget::Unconfigured`] when
    /// it routes by script without naming one).
    pub script: Option<StepTarget>,
    /// Its branches, in order.
    pub branches: Vec<Branch>,
    /// The router its branches continue to unless they name their own (`nextRouterId`).
    pub next_router: Option<String>,
    /// How it fares in the change.
    pub mark: Mark,
    /// Why it is marked changed.
    pub notes: Vec<String>,
    /// Brought by a clone from the source flow.
    pub copy: bool,
}

/// A flow as a picture: what is drawn, with marks. Build it with [`FlowPicture::of_body`],
/// [`FlowPicture::between`] or [`FlowPicture::of_clone`]; draw it with [`flow_mermaid`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowPicture {
    /// The page generators (and a legacy top-level `_exportId`).
    pub sources: Vec<Step>,
    /// The page processors in order (and a legacy top-level `_importId`, first).
    pub processors: Vec<Step>,
    /// The routers; the first one is where records go after the sources and processors.
    pub routers: Vec<Router>,
}

/// A step with the object it was read from, for comparing two versions of a flow.
struct Read<'a, T> {
    item: T,
    raw: Option<&'a Value>,
}

/// A flow body read into steps and routers, each with its raw object.
struct ReadFlow<'a> {
    sources: Vec<Read<'a, Step>>,
    processors: Vec<Read<'a, Step>>,
    routers: Vec<ReadRouter<'a>>,
}

struct ReadRouter<'a> {
    router: Router,
    raw: &'a Value,
    /// Where it sits in its body (`routers[1]`).
    at: FieldPath,
    branches: Vec<ReadBranch<'a>>,
}

struct ReadBranch<'a> {
    branch: Branch,
    raw: &'a Value,
    /// Where it sits in its body (`routers[1].branches[0]`).
    at: FieldPath,
    steps: Vec<Read<'a, Step>>,
}

fn string_of<'a>(object: &'a Object, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

/// The target a reference field names.
fn target_of(value: Option<&Value>, kind: Kind) -> StepTarget {
    match value {
        Some(Value::Ref(address)) => StepTarget::Resource(address.clone()),
        Some(Value::String(id)) if !id.is_empty() => StepTarget::Unmanaged { kind, id: id.clone() },
        _ => StepTarget::Unconfigured,
    }
}

/// Every reference in `value` except the one at the top-level field `skip`.
fn references_besides(value: &Value, skip: &str) -> Vec<Address> {
    let mut found: Vec<Address> = Vec::new();
    for_each_reference(value, &mut |site, address| {
        let at_skip = matches!(site.steps(), [PathStep::Key(key)] if *key == skip);
        if !at_skip && !found.contains(address) {
            found.push(address.clone());
        }
    });
    found
}

fn new_step(role: StepRole, target: StepTarget, mark: Mark) -> Step {
    Step {
        role,
        target,
        mark,
        notes: Vec::new(),
        legacy: false,
        copy: false,
        uses: Vec::new(),
        at: None,
    }
}

fn read_source(raw: &Value, mark: Mark) -> Step {
    let object = raw.as_object();
    let target = target_of(object.and_then(|object| object.get("_exportId")), Kind::Export);
    let mut step = new_step(StepRole::Source, target, mark);
    step.uses = references_besides(raw, "_exportId");
    step
}

fn read_processor(raw: &Value, mark: Mark) -> Step {
    let object = raw.as_object();
    let field = |name: &str| object.and_then(|object| object.get(name));
    let kind = object.and_then(|object| string_of(object, "type"));
    let (role, id_field) = match kind {
        Some("export") => (StepRole::Lookup, "_exportId"),
        Some("import") => (StepRole::Import, "_importId"),
        _ if field("_importId").is_some() => (StepRole::Import, "_importId"),
        _ if field("_exportId").is_some() => (StepRole::Lookup, "_exportId"),
        _ => (StepRole::Pending, "_importId"),
    };
    let target_kind = if id_field == "_exportId" { Kind::Export } else { Kind::Import };
    let mut step = new_step(role, target_of(field(id_field), target_kind), mark);
    step.uses = references_besides(raw, id_field);
    step
}

fn routing_words(object: &Object) -> Option<String> {
    match string_of(object, "routeRecordsTo")? {
        "first_matching_branch" => Some("first matching branch".to_owned()),
        "all_matching_branches" => Some("all matching branches".to_owned()),
        other => Some(other.replace('_', " ")),
    }
}

/// The steps of a `pageProcessors` list found at `list`.
fn read_steps<'a>(raw: Option<&'a Value>, mark: Mark, list: &FieldPath) -> Vec<Read<'a, Step>> {
    match raw {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let mut step = read_processor(item, mark);
                step.at = Some(list.index(index));
                Read { item: step, raw: Some(item) }
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn read_router(raw: &Value, position: usize, mark: Mark) -> ReadRouter<'_> {
    let field = |name: &str| raw.as_object().and_then(|object| object.get(name));
    let text = |name: &str| field(name).and_then(Value::as_str);
    // Routers that use input filters may still carry `script: {function}` without an id
    // (service-behaviours.md §5): only an id, or routing by script, makes a script worth showing.
    let script_id =
        field("script").and_then(Value::as_object).and_then(|script| script.get("_scriptId"));
    let script = match script_id {
        Some(value) => Some(target_of(Some(value), Kind::Script)),
        None if text("routeRecordsUsing") == Some("script") => Some(StepTarget::Unconfigured),
        None => None,
    };
    let mut branches = Vec::new();
    if let Some(Value::Array(items)) = field("branches") {
        for (index, item) in items.iter().enumerate() {
            let branch_object = item.as_object();
            let name = branch_object
                .and_then(|branch| string_of(branch, "name"))
                .filter(|name| !name.is_empty())
                .map_or_else(|| format!("branch {}", index + 1), str::to_owned);
            let at = FieldPath::from_keys(["routers"]).index(position).key("branches").index(index);
            let list = at.key("pageProcessors");
            let steps = read_steps(
                branch_object.and_then(|branch| branch.get("pageProcessors")),
                mark,
                &list,
            );
            branches.push(ReadBranch {
                branch: Branch {
                    name,
                    steps: Vec::new(),
                    next_router: branch_object
                        .and_then(|branch| string_of(branch, "nextRouterId"))
                        .map(str::to_owned),
                    mark,
                    notes: Vec::new(),
                },
                raw: item,
                at,
                steps,
            });
        }
    }
    ReadRouter {
        router: Router {
            id: text("id").map_or_else(|| format!("#{}", position + 1), str::to_owned),
            name: text("name").filter(|name| !name.is_empty()).map(str::to_owned),
            routing: raw.as_object().and_then(routing_words),
            script,
            branches: Vec::new(),
            next_router: text("nextRouterId").map(str::to_owned),
            mark,
            notes: Vec::new(),
            copy: false,
        },
        raw,
        at: FieldPath::from_keys(["routers"]).index(position),
        branches,
    }
}

/// Which parts of a flow a body sets: a cloned flow takes the rest from its source.
#[derive(Clone, Copy)]
struct Parts {
    sources: bool,
    steps: bool,
}

fn parts_of(body: &Object) -> Parts {
    let set = |field: &str| body.get(field).is_some_and(|value| !value.is_absent());
    Parts {
        sources: set("pageGenerators") || set("_exportId"),
        steps: set("pageProcessors") || set("routers") || set("_importId"),
    }
}

fn read_flow(body: &Object, mark: Mark, parts: Parts) -> ReadFlow<'_> {
    let mut flow = ReadFlow { sources: Vec::new(), processors: Vec::new(), routers: Vec::new() };
    if parts.sources {
        if let Some(legacy) = body.get("_exportId").filter(|value| !value.is_absent()) {
            let mut step = new_step(StepRole::Source, target_of(Some(legacy), Kind::Export), mark);
            step.legacy = true;
            step.at = Some(FieldPath::from_keys(["_exportId"]));
            flow.sources.push(Read { item: step, raw: None });
        }
        if let Some(Value::Array(items)) = body.get("pageGenerators") {
            for (index, item) in items.iter().enumerate() {
                let mut step = read_source(item, mark);
                step.at = Some(FieldPath::from_keys(["pageGenerators"]).index(index));
                flow.sources.push(Read { item: step, raw: Some(item) });
            }
        }
    }
    if parts.steps {
        if let Some(legacy) = body.get("_importId").filter(|value| !value.is_absent()) {
            let mut step = new_step(StepRole::Import, target_of(Some(legacy), Kind::Import), mark);
            step.legacy = true;
            step.at = Some(FieldPath::from_keys(["_importId"]));
            flow.processors.push(Read { item: step, raw: None });
        }
        let list = FieldPath::from_keys(["pageProcessors"]);
        flow.processors.extend(read_steps(body.get("pageProcessors"), mark, &list));
        if let Some(Value::Array(items)) = body.get("routers") {
            flow.routers = items
                .iter()
                .enumerate()
                .map(|(position, item)| read_router(item, position, mark))
                .collect();
        }
    }
    flow
}

fn finish_router(read: ReadRouter<'_>) -> Router {
    let mut router = read.router;
    router.branches = read
        .branches
        .into_iter()
        .map(|branch| {
            let mut finished = branch.branch;
            finished.steps = branch.steps.into_iter().map(|step| step.item).collect();
            finished
        })
        .collect();
    router
}

fn finish(flow: ReadFlow<'_>) -> FlowPicture {
    FlowPicture {
        sources: flow.sources.into_iter().map(|step| step.item).collect(),
        processors: flow.processors.into_iter().map(|step| step.item).collect(),
        routers: flow.routers.into_iter().map(finish_router).collect(),
    }
}

/// Whether `after` sets something `before` does not have (fields named in `skip` aside): the
/// fields a spec writes are compared, fields only the live side has are not (the server adds
/// some), as the field diff's superset rule does.
fn sets_differently(before: Option<&Value>, after: Option<&Value>, skip: &[&str]) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return before.is_some() != after.is_some();
    };
    let strip = |value: &Value| match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(key, _)| !skip.contains(&key.as_str()))
                .map(|(key, child)| (key.clone(), child.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    let (before, after) = (strip(before), strip(after));
    after.leaves().into_iter().any(|(path, value)| before.get(&path) != Some(value))
}

fn step_key(step: &Step) -> (StepRole, &StepTarget, bool) {
    (step.role, &step.target, step.legacy)
}

/// Merges two versions of a step list: kept steps are unchanged or changed (their object sets
/// something new), the others are added or removed.
/// How a kept element is judged changed.
#[derive(Clone, Copy)]
enum Verdict<'p> {
    /// By comparing its two objects: changed when the new one sets something the old one does
    /// not have (or sets it differently).
    Compare,
    /// By the diff's field changes: changed when one falls inside it (list indexes are
    /// positions after the change, as the element's own path is).
    Paths(&'p [FieldPath]),
}

impl Verdict<'_> {
    /// Whether the element at `at` (after the change), read from `before` and `after`, changes
    /// in its own fields: those other than `skip` (its nested lists, judged element by element).
    fn changed(
        self,
        before: Option<&Value>,
        after: Option<&Value>,
        at: Option<&FieldPath>,
        skip: &[&str],
    ) -> bool {
        match self {
            Verdict::Compare => sets_differently(before, after, skip),
            Verdict::Paths(paths) => at.is_some_and(|at| {
                paths.iter().any(|path| {
                    path.0.len() > at.0.len()
                        && path.starts_with(at)
                        && !matches!(&path.0[at.0.len()], Segment::Key(key) if skip.contains(&key.as_str()))
                })
            }),
        }
    }
}

fn merge_steps(
    old: Vec<Read<'_, Step>>,
    new: Vec<Read<'_, Step>>,
    verdict: Verdict<'_>,
) -> Vec<Step> {
    let old_keys: Vec<_> = old.iter().map(|step| step_key(&step.item)).collect();
    let new_keys: Vec<_> = new.iter().map(|step| step_key(&step.item)).collect();
    let alignment = align(&old_keys, &new_keys);
    let mut old: Vec<Option<Read<'_, Step>>> = old.into_iter().map(Some).collect();
    let mut new: Vec<Option<Read<'_, Step>>> = new.into_iter().map(Some).collect();
    let mut merged = Vec::with_capacity(alignment.len());
    for entry in alignment {
        match entry {
            Aligned::Old(index) => {
                if let Some(mut step) = old[index].take() {
                    step.item.mark = Mark::Removed;
                    step.item.at = None;
                    merged.push(step.item);
                }
            }
            Aligned::New(index) => {
                if let Some(mut step) = new[index].take() {
                    step.item.mark = Mark::Added;
                    merged.push(step.item);
                }
            }
            Aligned::Both(old_index, new_index) => {
                let (Some(before), Some(mut after)) =
                    (old[old_index].take(), new[new_index].take())
                else {
                    continue;
                };
                if verdict.changed(before.raw, after.raw, after.item.at.as_ref(), &[]) {
                    after.item.mark = Mark::Changed;
                    after.item.notes.push("step settings changed".to_owned());
                } else {
                    after.item.mark = Mark::Unchanged;
                }
                merged.push(after.item);
            }
        }
    }
    merged
}

fn with_mark(mut router: ReadRouter<'_>, mark: Mark) -> Router {
    router.router.mark = mark;
    for branch in &mut router.branches {
        branch.branch.mark = mark;
        for step in &mut branch.steps {
            step.item.mark = mark;
            if mark == Mark::Removed {
                step.item.at = None;
            }
        }
    }
    finish_router(router)
}

fn merge_branches(
    old: Vec<ReadBranch<'_>>,
    new: Vec<ReadBranch<'_>>,
    verdict: Verdict<'_>,
) -> Vec<Branch> {
    let old_keys: Vec<&str> = old.iter().map(|branch| branch.branch.name.as_str()).collect();
    let new_keys: Vec<&str> = new.iter().map(|branch| branch.branch.name.as_str()).collect();
    // A branch renamed in place (as many branches gone as come, at one place) is the same
    // branch under a new name.
    let alignment = pair_replacements(align(&old_keys, &new_keys), |_, _| true);
    let mut old: Vec<Option<ReadBranch<'_>>> = old.into_iter().map(Some).collect();
    let mut new: Vec<Option<ReadBranch<'_>>> = new.into_iter().map(Some).collect();
    let mut merged = Vec::new();
    let whole = |branch: ReadBranch<'_>, mark: Mark| {
        let mut finished = branch.branch;
        finished.mark = mark;
        finished.steps = branch
            .steps
            .into_iter()
            .map(|mut step| {
                step.item.mark = mark;
                if mark == Mark::Removed {
                    step.item.at = None;
                }
                step.item
            })
            .collect();
        finished
    };
    for entry in alignment {
        match entry {
            Aligned::Old(index) => {
                merged.extend(old[index].take().map(|b| whole(b, Mark::Removed)))
            }
            Aligned::New(index) => merged.extend(new[index].take().map(|b| whole(b, Mark::Added))),
            Aligned::Both(old_index, new_index) => {
                let (Some(before), Some(after)) = (old[old_index].take(), new[new_index].take())
                else {
                    continue;
                };
                let mut branch = after.branch;
                branch.mark = Mark::Unchanged;
                if before.branch.name != branch.name {
                    branch.mark = Mark::Changed;
                    branch.notes.push(format!("renamed from {}", cut_label(&before.branch.name)));
                }
                let skip = ["pageProcessors", "name"];
                if verdict.changed(Some(before.raw), Some(after.raw), Some(&after.at), &skip) {
                    branch.mark = Mark::Changed;
                    branch.notes.push("branch settings changed".to_owned());
                }
                branch.steps = merge_steps(before.steps, after.steps, verdict);
                merged.push(branch);
            }
        }
    }
    merged
}

fn merge_routers(
    old: Vec<ReadRouter<'_>>,
    new: Vec<ReadRouter<'_>>,
    verdict: Verdict<'_>,
) -> Vec<Router> {
    let old_keys: Vec<String> = old.iter().map(|router| router.router.id.clone()).collect();
    let new_keys: Vec<String> = new.iter().map(|router| router.router.id.clone()).collect();
    let alignment = align(&old_keys, &new_keys);
    let mut old: Vec<Option<ReadRouter<'_>>> = old.into_iter().map(Some).collect();
    let mut new: Vec<Option<ReadRouter<'_>>> = new.into_iter().map(Some).collect();
    let mut merged = Vec::new();
    for entry in alignment {
        match entry {
            Aligned::Old(index) => {
                merged.extend(old[index].take().map(|r| with_mark(r, Mark::Removed)));
            }
            Aligned::New(index) => {
                merged.extend(new[index].take().map(|r| with_mark(r, Mark::Added)));
            }
            Aligned::Both(old_index, new_index) => {
                let (Some(before), Some(after)) = (old[old_index].take(), new[new_index].take())
                else {
                    continue;
                };
                let mut router = after.router;
                if verdict.changed(
                    Some(before.raw),
                    Some(after.raw),
                    Some(&after.at),
                    &["branches"],
                ) {
                    router.mark = Mark::Changed;
                    router.notes.push("router settings changed".to_owned());
                } else {
                    router.mark = Mark::Unchanged;
                }
                router.branches = merge_branches(before.branches, after.branches, verdict);
                merged.push(router);
            }
        }
    }
    merged
}

const ALL_PARTS: Parts = Parts { sources: true, steps: true };

impl FlowPicture {
    /// The picture of a flow body with every element marked `mark`: [`Mark::Added`] for a flow
    /// being created, [`Mark::Removed`] for one being deleted, [`Mark::Unchanged`] to draw a flow
    /// as it is.
    pub fn of_body(body: &Object, mark: Mark) -> FlowPicture {
        finish(read_flow(body, mark, ALL_PARTS))
    }

    /// The picture of a flow created by cloning `source_body`: the parts the spec's `body` sets
    /// (page generators; steps: page processors or routers) are its own, the others come from
    /// the source and are drawn as copies the clone makes. Everything is marked `mark`.
    pub fn of_clone(body: &Object, source_body: &Object, mark: Mark) -> FlowPicture {
        let own = parts_of(body);
        let mut picture = finish(read_flow(body, mark, own));
        let inherited = Parts { sources: !own.sources, steps: !own.steps };
        let mut copied = finish(read_flow(source_body, mark, inherited));
        for step in copied.sources.iter_mut().chain(copied.processors.iter_mut()) {
            step.copy = true;
            step.at = None;
        }
        for router in &mut copied.routers {
            router.copy = true;
            for step in router.branches.iter_mut().flat_map(|branch| branch.steps.iter_mut()) {
                step.copy = true;
                step.at = None;
            }
        }
        if inherited.sources {
            picture.sources = copied.sources;
        }
        if inherited.steps {
            picture.processors = copied.processors;
            picture.routers = copied.routers;
        }
        picture
    }

    /// The picture of a flow that changes from `before` to `after`: the flow after the change,
    /// with removed steps, branches and routers drawn where they were. Steps are matched by the
    /// resource they run (a step inserted or removed is one addition or removal, not a shift of
    /// every later step), routers by `id`, branches by name. A kept element whose object sets
    /// something new is marked changed.
    ///
    /// `before` should be the live flow normalised as the diff compares it (managed ids written
    /// as references), `after` the spec's body.
    pub fn between(before: &Object, after: &Object) -> FlowPicture {
        FlowPicture::merged(before, after, Verdict::Compare)
    }

    /// [`FlowPicture::between`], with the diff's verdict on which kept steps, branches and
    /// routers change: `paths` are the flow's field changes (list indexes are positions after
    /// the change, as the diff gives them). A field change inside an element marks it changed,
    /// also one the two objects cannot show: a field the spec no longer sets, or one the live
    /// side only lacks because it holds the server's default.
    pub fn between_fields(before: &Object, after: &Object, paths: &[FieldPath]) -> FlowPicture {
        FlowPicture::merged(before, after, Verdict::Paths(paths))
    }

    fn merged(before: &Object, after: &Object, verdict: Verdict<'_>) -> FlowPicture {
        let old = read_flow(before, Mark::Removed, ALL_PARTS);
        let new = read_flow(after, Mark::Added, ALL_PARTS);
        FlowPicture {
            sources: merge_steps(old.sources, new.sources, verdict),
            processors: merge_steps(old.processors, new.processors, verdict),
            routers: merge_routers(old.routers, new.routers, verdict),
        }
    }

    /// Draws the steps a clone copies under the copies' own addresses: `copies` maps a source
    /// resource to the address of the copy the clone makes of it.
    pub fn rename_copies(&mut self, copies: &BTreeMap<Address, Address>) {
        let routers = self.routers.iter_mut().flat_map(|router| {
            router.branches.iter_mut().flat_map(|branch| branch.steps.iter_mut())
        });
        for step in self.sources.iter_mut().chain(self.processors.iter_mut()).chain(routers) {
            if let (true, StepTarget::Resource(source)) = (step.copy, &step.target)
                && let Some(copy) = copies.get(source)
            {
                step.target = StepTarget::Resource(copy.clone());
            }
        }
    }

    /// Marks the steps and routers that use a resource that changes: `changed` holds the
    /// addresses the plan changes, `references` gives what a resource references (for a spec,
    /// its `${KIND.KEY}`s). A step is affected when its resource, or a connection, export,
    /// import or script reached from it (or from its own hooks), changes; it is then marked
    /// changed (unless added or removed) with a note naming what changes.
    pub fn mark_affected(
        &mut self,
        changed: &BTreeSet<Address>,
        references: &dyn Fn(&Address) -> Vec<Address>,
    ) {
        if changed.is_empty() {
            return;
        }
        let mut reach = Reach { changed, references, memo: BTreeMap::new() };
        let routers = self.routers.iter_mut().flat_map(|router| {
            router.branches.iter_mut().flat_map(|branch| branch.steps.iter_mut())
        });
        for step in self.sources.iter_mut().chain(self.processors.iter_mut()).chain(routers) {
            if step.copy {
                continue;
            }
            let own = match &step.target {
                StepTarget::Resource(address) => Some(address.clone()),
                _ => None,
            };
            let uses = step.uses.clone();
            note_affected(&mut step.mark, &mut step.notes, &mut reach, own.as_ref(), &uses);
        }
        for router in &mut self.routers {
            if let (Some(StepTarget::Resource(script)), false) = (&router.script, router.copy) {
                let uses = vec![script.clone()];
                note_affected(&mut router.mark, &mut router.notes, &mut reach, None, &uses);
            }
        }
    }

    /// Whether anything in the picture is added, removed or changed.
    pub fn has_marks(&self) -> bool {
        let step_marked = |step: &Step| step.mark != Mark::Unchanged;
        self.sources.iter().chain(&self.processors).any(step_marked)
            || self.routers.iter().any(|router| {
                router.mark != Mark::Unchanged
                    || router.branches.iter().any(|branch| {
                        branch.mark != Mark::Unchanged || branch.steps.iter().any(step_marked)
                    })
            })
    }
}

/// The changed resources each resource reaches through connections, exports, imports and
/// scripts (the kinds through which a flow uses a resource), memoised.
struct Reach<'a> {
    changed: &'a BTreeSet<Address>,
    references: &'a dyn Fn(&Address) -> Vec<Address>,
    memo: BTreeMap<Address, BTreeSet<Address>>,
}

impl Reach<'_> {
    fn of(&mut self, start: &Address) -> BTreeSet<Address> {
        if let Some(known) = self.memo.get(start) {
            return known.clone();
        }
        let mut found = BTreeSet::new();
        let mut seen: BTreeSet<Address> = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(address) = stack.pop() {
            if !seen.insert(address.clone()) {
                continue;
            }
            if self.changed.contains(&address) {
                found.insert(address.clone());
            }
            for next in (self.references)(&address) {
                if matches!(
                    next.kind,
                    Kind::Connection | Kind::Export | Kind::Import | Kind::Script
                ) {
                    stack.push(next);
                }
            }
        }
        self.memo.insert(start.clone(), found.clone());
        found
    }
}

/// Marks an element changed when its own resource (`own`) or what it uses reaches a change,
/// with notes naming it: `resource changes`, `uses changed connection.erp`.
fn note_affected(
    mark: &mut Mark,
    notes: &mut Vec<String>,
    reach: &mut Reach<'_>,
    own: Option<&Address>,
    uses: &[Address],
) {
    let mut itself = false;
    let mut used: BTreeSet<Address> = BTreeSet::new();
    for start in own.into_iter().chain(uses) {
        for address in reach.of(start) {
            if Some(&address) == own {
                itself = true;
            } else {
                used.insert(address);
            }
        }
    }
    if !itself && used.is_empty() {
        return;
    }
    if *mark == Mark::Unchanged {
        *mark = Mark::Changed;
    }
    // Added and removed elements keep their mark; the notes explain a change only.
    if *mark == Mark::Changed {
        if itself {
            notes.push("resource changes".to_owned());
        }
        if !used.is_empty() {
            let shown: Vec<String> = used.iter().map(ToString::to_string).collect();
            notes.push(format!("uses changed {}", shown.join(", ")));
        }
    }
}

/// The most edges Mermaid draws in one diagram by default (`maxEdges`), GitHub's too.
pub const MERMAID_MAX_EDGES: usize = 500;
/// The longest diagram text Mermaid draws by default (`maxTextSize`), GitHub's too.
pub const MERMAID_MAX_TEXT: usize = 50_000;

/// The number of links (arrows and invisible links) in a flowchart's text.
pub fn mermaid_edges(text: &str) -> usize {
    text.lines()
        .filter(|line| {
            line.contains(" --> ")
                || line.contains(" -.-> ")
                || line.contains(" ~~~ ")
                || line.contains(" -->|")
                || line.contains(" -.->|")
        })
        .count()
}

/// Escapes text for a quoted Mermaid label or edge text: characters Mermaid, markdown or HTML
/// give a meaning to become Mermaid entity codes (`#quot;`, `#35;`, …, which Mermaid shows as
/// the character itself), line breaks and other control characters become spaces.
pub fn mermaid_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => escaped.push_str("#quot;"),
            '#' => escaped.push_str("#35;"),
            '&' => escaped.push_str("#amp;"),
            '<' => escaped.push_str("#lt;"),
            '>' => escaped.push_str("#gt;"),
            '`' => escaped.push_str("#96;"),
            ':' => escaped.push_str("#58;"),
            ';' => escaped.push_str("#59;"),
            '|' => escaped.push_str("#124;"),
            '\\' => escaped.push_str("#92;"),
            character if character.is_control() => escaped.push(' '),
            character => escaped.push(character),
        }
    }
    escaped
}

/// A label of several lines, each escaped, joined by Mermaid's line break.
pub(crate) fn mermaid_label(lines: &[String]) -> String {
    lines.iter().map(|line| mermaid_text(line)).collect::<Vec<_>>().join("<br/>")
}

/// Names longer than this are cut with `…` in labels.
const LABEL_LIMIT: usize = 80;

pub(crate) fn cut_label(text: &str) -> String {
    if text.chars().count() <= LABEL_LIMIT {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(LABEL_LIMIT - 1).collect();
    cut.push('…');
    cut
}

/// The lines of a step's label.
fn step_lines(step: &Step, names: &dyn Fn(&Address) -> Option<String>) -> Vec<String> {
    let mut lines = Vec::new();
    let (first, second) = match &step.target {
        StepTarget::Resource(address) => {
            let name = names(address);
            match (name, step.copy) {
                (Some(name), true) => {
                    (format!("copy of {}", cut_label(&name)), Some(address.to_string()))
                }
                (None, true) => (format!("copy of {address}"), None),
                (Some(name), false) => (cut_label(&name), Some(address.to_string())),
                (None, false) => (address.to_string(), None),
            }
        }
        StepTarget::Unmanaged { kind, id } => {
            (format!("{kind} {}", cut_label(id)), Some("not managed by flowform".to_owned()))
        }
        StepTarget::Unconfigured => ("unconfigured step".to_owned(), None),
    };
    lines.push(match step.mark.symbol() {
        Some(symbol) => format!("{symbol} {first}"),
        None => first,
    });
    lines.extend(second);
    if step.copy {
        lines.push("copied by the clone".to_owned());
    }
    if step.legacy {
        let field = if step.role == StepRole::Source { "_exportId" } else { "_importId" };
        lines.push(format!("legacy top-level {field}"));
    }
    lines.extend(step.notes.iter().cloned());
    lines
}

fn router_lines(router: &Router) -> Vec<String> {
    let id = format!("router {}", cut_label(&router.id));
    let (title, second) = match &router.name {
        Some(name) => (cut_label(name), Some(id)),
        None => (id, None),
    };
    let mut lines = vec![match router.mark.symbol() {
        Some(symbol) => format!("{symbol} {title}"),
        None => title,
    }];
    lines.extend(second);
    if let Some(routing) = &router.routing {
        lines.push(routing.clone());
    }
    match &router.script {
        Some(StepTarget::Resource(address)) => lines.push(format!("by {address}")),
        Some(StepTarget::Unmanaged { id, .. }) => {
            lines.push(format!("by script {}", cut_label(id)))
        }
        Some(StepTarget::Unconfigured) => lines.push("by script".to_owned()),
        None => {}
    }
    if router.copy {
        lines.push("copied by the clone".to_owned());
    }
    lines.extend(router.notes.iter().cloned());
    lines
}

fn branch_text(branch: &Branch) -> String {
    let mut text = cut_label(&branch.name);
    if let Some(symbol) = branch.mark.symbol() {
        text = format!("{symbol} {text}");
    }
    if !branch.notes.is_empty() {
        text = format!("{text} ({})", branch.notes.join(", "));
    }
    mermaid_text(&text)
}

/// The shapes of a flow picture, for nodes and the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Source,
    Lookup,
    Import,
    Pending,
    Router,
    End,
}

impl Shape {
    fn of(role: StepRole) -> Shape {
        match role {
            StepRole::Source => Shape::Source,
            StepRole::Lookup => Shape::Lookup,
            StepRole::Import => Shape::Import,
            StepRole::Pending => Shape::Pending,
        }
    }

    /// The node text for `label` in this shape.
    fn node(self, id: &str, label: &str) -> String {
        match self {
            Shape::Source => format!("{id}[/\"{label}\"/]"),
            Shape::Lookup => format!("{id}[(\"{label}\")]"),
            Shape::Import => format!("{id}[\"{label}\"]"),
            Shape::Pending => format!("{id}(\"{label}\")"),
            Shape::Router => format!("{id}{{\"{label}\"}}"),
            Shape::End => format!("{id}((\"{label}\"))"),
        }
    }

    fn legend(self) -> &'static str {
        match self {
            Shape::Source => "source (page generator)",
            Shape::Lookup => "lookup (export step)",
            Shape::Import => "import step",
            Shape::Pending => "unconfigured step",
            Shape::Router => "router",
            Shape::End => "branch without steps",
        }
    }
}

/// Collects the lines of a diagram: nodes, edges, the classes and shapes used.
#[derive(Default)]
pub(crate) struct Diagram {
    nodes: Vec<String>,
    edges: Vec<String>,
    marks: BTreeSet<Mark>,
    shapes: BTreeSet<Shape>,
    counters: BTreeMap<&'static str, usize>,
}

impl Diagram {
    fn next_id(&mut self, prefix: &'static str) -> String {
        let counter = self.counters.entry(prefix).or_default();
        let id = format!("{prefix}{counter}");
        *counter += 1;
        id
    }

    fn node(&mut self, prefix: &'static str, shape: Shape, label: &str, mark: Mark) -> String {
        let id = self.next_id(prefix);
        let mut line = shape.node(&id, label);
        if let Some(class) = mark.class() {
            line.push_str(":::");
            line.push_str(class);
        }
        self.marks.insert(mark);
        self.shapes.insert(shape);
        self.nodes.push(line);
        id
    }

    fn edge(&mut self, from: &str, to: &str, text: Option<&str>, dashed: bool) {
        let arrow = if dashed { "-.->" } else { "-->" };
        self.edges.push(match text {
            Some(text) => format!("{from} {arrow}|\"{text}\"| {to}"),
            None => format!("{from} {arrow} {to}"),
        });
    }
}

/// A node drawn, with its mark (edges touching a removed node are dashed).
#[derive(Clone)]
struct Drawn {
    id: String,
    removed: bool,
}

fn draw_step(
    diagram: &mut Diagram,
    step: &Step,
    names: &dyn Fn(&Address) -> Option<String>,
) -> Drawn {
    let prefix = if step.role == StepRole::Source { "g" } else { "p" };
    let label = mermaid_label(&step_lines(step, names));
    let id = diagram.node(prefix, Shape::of(step.role), &label, step.mark);
    Drawn { id, removed: step.mark == Mark::Removed }
}

/// Draws a flow picture as a Mermaid `flowchart LR`, with a legend of the shapes and marks it
/// uses. `names` gives a resource's name (its `name` field), if it has one.
pub fn flow_mermaid(picture: &FlowPicture, names: &dyn Fn(&Address) -> Option<String>) -> String {
    let mut diagram = Diagram::default();
    let mut tails: Vec<Drawn> =
        picture.sources.iter().map(|step| draw_step(&mut diagram, step, names)).collect();
    for step in &picture.processors {
        let drawn = draw_step(&mut diagram, step, names);
        for tail in &tails {
            diagram.edge(&tail.id, &drawn.id, None, tail.removed || drawn.removed);
        }
        tails = vec![drawn];
    }
    if picture.sources.is_empty() && picture.processors.is_empty() && picture.routers.is_empty() {
        diagram.node("t", Shape::End, "no sources or steps", Mark::Unchanged);
    }
    let routers: Vec<Drawn> = picture
        .routers
        .iter()
        .map(|router| {
            let label = mermaid_label(&router_lines(router));
            let id = diagram.node("r", Shape::Router, &label, router.mark);
            Drawn { id, removed: router.mark == Mark::Removed }
        })
        .collect();
    if let Some(first) = routers.first() {
        for tail in &tails {
            diagram.edge(&tail.id, &first.id, None, tail.removed || first.removed);
        }
    }
    // Router ids to their nodes; a removed router gives way to a kept or added one of the same id.
    let mut by_id: BTreeMap<&str, &Drawn> = BTreeMap::new();
    for (router, drawn) in picture.routers.iter().zip(&routers) {
        let replace = by_id.get(router.id.as_str()).is_none_or(|known| known.removed);
        if replace {
            by_id.insert(router.id.as_str(), drawn);
        }
    }
    for (router, drawn) in picture.routers.iter().zip(&routers) {
        for branch in &router.branches {
            let branch_removed = branch.mark == Mark::Removed || drawn.removed;
            let text = branch_text(branch);
            diagram.marks.insert(branch.mark);
            let mut previous = drawn.clone();
            let mut labelled = false;
            for step in &branch.steps {
                let step_drawn = draw_step(&mut diagram, step, names);
                let label = (!labelled).then_some(text.as_str());
                labelled = true;
                diagram.edge(
                    &previous.id,
                    &step_drawn.id,
                    label,
                    branch_removed || previous.removed || step_drawn.removed,
                );
                previous = step_drawn;
            }
            let next = branch.next_router.as_deref().or(router.next_router.as_deref());
            let label = (!labelled).then_some(text.as_str());
            match next {
                Some(next) => {
                    let target = match by_id.get(next) {
                        Some(target) => (*target).clone(),
                        None => {
                            let label =
                                mermaid_label(&[format!("unknown router {}", cut_label(next))]);
                            let id = diagram.node("t", Shape::End, &label, Mark::Unchanged);
                            Drawn { id, removed: false }
                        }
                    };
                    diagram.edge(
                        &previous.id,
                        &target.id,
                        label,
                        branch_removed || previous.removed || target.removed,
                    );
                }
                None if !labelled => {
                    let mark = if branch_removed { Mark::Removed } else { Mark::Unchanged };
                    let end = diagram.node("t", Shape::End, "no steps", mark);
                    diagram.edge(&previous.id, &end, label, branch_removed);
                }
                None => {}
            }
        }
    }
    diagram.finish_flow()
}

impl Diagram {
    fn finish_flow(mut self) -> String {
        // Shapes whose nodes say what they are ("no steps", "unconfigured step") need no entry.
        let mut legend: Vec<(Shape, &str, Mark)> = self
            .shapes
            .iter()
            .filter(|shape| !matches!(shape, Shape::End | Shape::Pending))
            .map(|shape| (*shape, shape.legend(), Mark::Unchanged))
            .collect();
        for (mark, text) in [
            (Mark::Added, "+ added"),
            (Mark::Removed, "- removed"),
            (Mark::Changed, "~ changed, or uses a changed resource"),
        ] {
            if self.marks.contains(&mark) {
                legend.push((Shape::Import, text, mark));
            }
        }
        let legend: Vec<String> = legend
            .into_iter()
            .map(|(shape, label, mark)| {
                let id = self.next_id("l");
                let mut line = shape.node(&id, &mermaid_text(label));
                if let Some(class) = mark.class() {
                    line.push_str(":::");
                    line.push_str(class);
                }
                line
            })
            .collect();
        let content: Vec<String> = self.nodes.into_iter().chain(self.edges).collect();
        with_legend(&content, &legend, self.marks.iter().filter_map(|mark| mark.class()))
    }
}

/// A diagram drawn left to right with its legend in a row underneath: the content in a
/// borderless subgraph laid out `LR`, the legend in a subgraph laid out `TB` (a row, as its
/// entries have no edges), the two stacked by an invisible link. Without a legend, a plain
/// `flowchart LR`.
pub(crate) fn with_legend<'a>(
    content: &[String],
    legend: &[String],
    classes: impl Iterator<Item = &'a str>,
) -> String {
    let mut text = String::new();
    if legend.is_empty() {
        text.push_str("flowchart LR\n");
        for line in content {
            let _ = writeln!(text, "  {line}");
        }
    } else {
        text.push_str("flowchart TB\n  subgraph picture [\" \"]\n    direction LR\n");
        for line in content {
            let _ = writeln!(text, "    {line}");
        }
        text.push_str("  end\n  subgraph legend [\"Legend\"]\n    direction TB\n");
        for line in legend {
            let _ = writeln!(text, "    {line}");
        }
        text.push_str("  end\n  picture ~~~ legend\n  style picture fill:none,stroke:none\n");
    }
    push_class_definitions(&mut text, classes);
    text
}

/// Appends the `classDef` lines of the classes used, in a fixed order.
pub(crate) fn push_class_definitions<'a>(text: &mut String, used: impl Iterator<Item = &'a str>) {
    let used: BTreeSet<&str> = used.collect();
    for (class, style) in CLASS_DEFINITIONS {
        if used.contains(class) {
            let _ = writeln!(text, "  classDef {class} {style}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_escape_their_quotes() {
        let text = mermaid_text("a \"b\" #1; <i>c</i> & `d` e|f [g] h:i\nj\\k");
        // Without its entity codes, nothing is left that Mermaid, markdown or HTML reads.
        let mut bare = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find('#') {
            bare.push_str(&rest[..start]);
            let end = rest[start..].find(';').expect("an entity code ends with `;`");
            let code = &rest[start + 1..start + end];
            assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
            rest = &rest[start + end + 1..];
        }
        bare.push_str(rest);
        for forbidden in ['"', '<', '>', '`', '|', '\n', ':', ';', '#', '&', '\\'] {
            assert!(!bare.contains(forbidden), "{forbidden:?} in {text}");
        }
        assert_eq!(mermaid_text("#"), "#35;");
        assert_eq!(mermaid_text("plain words"), "plain words");
    }
}
