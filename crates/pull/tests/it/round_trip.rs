//! The pull round trip over generated accounts: random integrations, iClients, connections,
//! scripts, file definitions, EDI profiles, lookup caches (with data), exports, imports, async
//! helpers (with the export ↔ helper cycle) and flows (routers, flow groups, `_runNextFlowIds`
//! with cycles, masked secrets, tricky names and strings), using agents and stacks both
//! accounts have under the same names (with other ids), are created through the API; then
//! - the pulled spec loads into exactly the pulled bodies, and `plan` right after shows nothing;
//! - the pulled spec applied to an empty account pulls back into the same files.
//!
//! A seeded loop with a fixed budget of cases (`FLOWFORM_PULL_CASES`, default 12), so that a
//! failure names its seed and reruns the same way.

use serde_json::{Value, json};

use flowform_model::Kind;
use flowform_pull::Selection;

use crate::support::{
    Accounts, apply_folder, assert_loads_as_pulled, assert_success, changes, create, json_of, plan,
    pull_into, read_tree, secret_values, state_location,
};

/// SplitMix64: small, seedable, good enough to pick shapes.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Names that collide, need quoting, look like placeholders, or slug to nothing.
const NAMES: &[&str] = &[
    "Orders",
    "orders",
    "ORDERS!",
    "Orders 2",
    "Sync",
    "Café crème",
    "日本語",
    "Environments",
    "scripts",
    "a: b # c",
    "${var.x} and $${y}",
    "{{record.id}}",
    "  padded  ",
    "true",
    "null",
    "- dash",
    "Nightly — report",
    "yes",
    "0x1F",
];

/// Strings for values: YAML indicators, placeholders, handlebars, blanks, lines, unicode.
const STRINGS: &[&str] = &[
    "plain",
    "",
    " ",
    "true",
    "1.0",
    "~",
    "null",
    "#hash",
    "a #b",
    "key: value",
    "- item",
    "*star",
    "&amp",
    "!bang",
    "%percent",
    "@at",
    "`tick`",
    "${not.a.placeholder}",
    "$${already}",
    "cost $5",
    "{{handlebars}}",
    "https://example.com/a?b={{c}}&d=${e}",
    "line one\nline two\n",
    "line one\nline two",
    "trailing  \nspaces",
    "  leading\nblank",
    "tab\there",
    "\ttab first",
    "many\n\n\n",
    "quote \" and \\ backslash",
    "'single'",
    "unicode ✓ é 🚀",
    "nbsp\u{a0}",
    "bell\u{7}",
    "---",
    "...",
];

fn name(random: &mut Random, index: usize) -> String {
    if random.chance(35) {
        format!("Thing {index}")
    } else if random.chance(5) {
        "x".repeat(70 + random.below(20))
    } else {
        (*random.pick(NAMES)).to_owned()
    }
}

fn string(random: &mut Random) -> String {
    (*random.pick(STRINGS)).to_owned()
}

/// A random JSON value for free-form fields.
fn value(random: &mut Random, depth: usize) -> Value {
    let choice = if depth >= 3 { random.below(5) } else { random.below(8) };
    match choice {
        0 => Value::Null,
        1 => Value::Bool(random.chance(50)),
        2 => json!(random.next() as i64 % 100_000),
        3 => json!((random.next() % 10_000) as f64 / 7.0),
        4 => Value::String(string(random)),
        5 => Value::Array((0..random.below(4)).map(|_| value(random, depth + 1)).collect()),
        _ => {
            let mut object = serde_json::Map::new();
            for _ in 0..random.below(4) {
                object.insert(string(random), value(random, depth + 1));
            }
            Value::Object(object)
        }
    }
}

/// Agents and stacks both accounts have, under the same names (each account gives its own ids).
const AGENTS: &[&str] = &["Warehouse agent", "Office agent"];
const STACKS: &[&str] = &["Hook server"];

/// Creates the agents and stacks of [`AGENTS`] and [`STACKS`] in the account of `token`.
fn agents_and_stacks(admin: &flowform_emulator::Admin, token: &str) -> (Vec<String>, Vec<String>) {
    let account = admin.for_token(token).unwrap();
    let agents = AGENTS
        .iter()
        .map(|name| {
            account.create_agent(&json!({"name": name})).unwrap()["_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let stacks = STACKS
        .iter()
        .map(|name| {
            account
                .create_stack(&json!({"name": name, "type": "server", "server": {"hostURI": "https://hooks.example.com"}}))
                .unwrap()["_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    (agents, stacks)
}

/// Creates a random account; returns how many resources it holds.
async fn generate(
    client: &flowform_api::Client,
    seed: u64,
    agents: &[String],
    stacks: &[String],
) -> usize {
    let mut random = Random(seed);
    let mut count = 0;

    let mut integrations: Vec<(String, Vec<String>)> = Vec::new();
    for index in 0..random.range(1, 3) {
        let mut body = json!({"name": name(&mut random, index)});
        if random.chance(50) {
            body["description"] = Value::String(string(&mut random));
        }
        if random.chance(40) {
            body["settings"] = value(&mut random, 1);
        }
        if random.chance(50) {
            body["flowGroupings"] =
                json!([{"name": "Nightly"}, {"name": string(&mut random) + "group"}]);
        }
        let id = create(client, Kind::Integration, body).await;
        let groups: Vec<String> =
            json_of(&client.get(Kind::Integration, &id).await.unwrap().document)["flowGroupings"]
                .as_array()
                .map(|groups| {
                    groups
                        .iter()
                        .filter_map(|group| group["_id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        integrations.push((id, groups));
        count += 1;
    }

    let mut iclients: Vec<String> = Vec::new();
    for index in 0..random.range(0, 2) {
        let mut body = json!({"name": name(&mut random, index), "provider": "custom_oauth2",
            "oauth2": {"clientId": format!("app-{index}"), "clientSecret": "iclient-secret",
                "scope": [string(&mut random).replace(['\n', ' '], "")]}});
        if random.chance(50) {
            body["oauth2"]["encrypted"] = json!({"apiKey": "iclient-key"});
        }
        iclients.push(create(client, Kind::IClient, body).await);
        count += 1;
    }

    let mut connections: Vec<String> = Vec::new();
    for index in 0..random.range(1, 3) {
        let auth = match random.below(3) {
            0 => {
                json!({"type": "token", "token": {"token": "secret-token", "location": "header", "headerName": "Authorization", "scheme": "Bearer"}})
            }
            1 => {
                json!({"type": "basic", "basic": {"username": string(&mut random), "password": "secret-password"}})
            }
            _ => json!({"type": "custom"}),
        };
        let mut body = json!({"name": name(&mut random, index), "type": "http", "http": {
            "baseURI": format!("https://api{index}.example.com/{}", string(&mut random).replace(['\n', ' '], "")),
            "mediaType": "json",
            "concurrencyLevel": random.range(1, 30),
            "auth": auth,
        }});
        if let Some(borrowed) = connections.first().filter(|_| random.chance(30)) {
            body["_borrowConcurrencyFromConnectionId"] = Value::String(borrowed.clone());
        }
        if !iclients.is_empty() && random.chance(50) {
            body["http"]["_iClientId"] = Value::String(random.pick(&iclients).clone());
        }
        if random.chance(40) {
            body["_agentId"] = Value::String(random.pick(agents).clone());
        }
        connections.push(create(client, Kind::Connection, body).await);
        count += 1;
    }

    let mut scripts: Vec<String> = Vec::new();
    for index in 0..random.range(0, 3) {
        let mut content = String::from("function preMap(options) {\n");
        for _ in 0..random.range(1, 4) {
            content.push_str(&format!("  // {}\n", string(&mut random).replace('\n', " ")));
        }
        content.push_str("\treturn options.data.map((r) => `${r.id}`);\n}\n");
        let mut body = json!({"name": name(&mut random, index), "content": content});
        if random.chance(50) {
            body["description"] = Value::String(string(&mut random));
        }
        scripts.push(create(client, Kind::Script, body).await);
        count += 1;
    }

    let mut definitions: Vec<String> = Vec::new();
    for index in 0..random.range(0, 1) {
        let body = json!({"name": name(&mut random, index), "version": "2", "format": "delimited/x12",
            "delimited": {"rowSuffix": "~", "colDelimiter": "*"}, "rules": [{"elements": [string(&mut random)]}]});
        definitions.push(create(client, Kind::FileDefinition, body).await);
        count += 1;
    }
    let mut profiles: Vec<String> = Vec::new();
    for index in 0..random.range(0, 1) {
        let body = json!({"name": name(&mut random, index), "fileType": "edifact", "unb010_0001": string(&mut random)});
        profiles.push(create(client, Kind::EdiProfile, body).await);
        count += 1;
    }
    let mut caches: Vec<String> = Vec::new();
    for index in 0..random.range(0, 2) {
        let mut body = json!({"name": name(&mut random, index)});
        if random.chance(50) {
            body["_integrationId"] = Value::String(random.pick(&integrations).0.clone());
        }
        if random.chance(50) {
            body["description"] = Value::String(string(&mut random));
        }
        let cache = create(client, Kind::LookupCache, body).await;
        let entries: Vec<(String, Value)> = (0..random.range(0, 30))
            .map(|entry| (format!("{}-{entry}", string(&mut random)), value(&mut random, 1)))
            .filter(|(key, _)| !key.is_empty())
            .collect();
        if !entries.is_empty() {
            client.upsert_lookup_data(&cache, &entries).await.unwrap();
        }
        caches.push(cache);
        count += 1;
    }
    // An async helper (created by name first) and the export that polls with it, which it
    // names back: the legal cycle.
    let helper = if random.chance(40) {
        count += 1;
        Some(create(client, Kind::AsyncHelper, json!({"name": name(&mut random, 0)})).await)
    } else {
        None
    };

    let mut exports: Vec<String> = Vec::new();
    for index in 0..random.range(1, 4) {
        let mut body = if random.chance(25) {
            json!({"name": name(&mut random, index), "adaptorType": "WebhookExport",
                "webhook": {"provider": "custom", "verify": "token", "token": "webhook-secret", "path": format!("/hooks/{index}")}})
        } else {
            json!({"name": name(&mut random, index), "adaptorType": "HTTPExport",
                "_connectionId": random.pick(&connections),
                "http": {"method": "GET", "relativeURI": string(&mut random)}})
        };
        if let Some(script) =
            (!scripts.is_empty() && random.chance(40)).then(|| random.pick(&scripts).clone())
        {
            body["hooks"] =
                json!({"preSavePage": {"_scriptId": script, "function": "preSavePage"}});
        }
        if random.chance(30) {
            body["settings"] = value(&mut random, 1);
        }
        if body.get("http").is_some() {
            if let Some(helper) = helper.as_ref().filter(|_| index == 0) {
                body["http"]["_asyncHelperId"] = Value::String(helper.clone());
            }
            if !profiles.is_empty() && random.chance(50) {
                body["_ediProfileId"] = Value::String(random.pick(&profiles).clone());
            }
            if !definitions.is_empty() && random.chance(50) {
                body["file"] = json!({"type": "filedefinition", "fileDefinition": {"_fileDefinitionId": random.pick(&definitions)}});
            }
            if random.chance(25) {
                body["hooks"] = json!({"preSavePage": {"_stackId": random.pick(stacks), "function": "preSavePage"}});
            }
        }
        exports.push(create(client, Kind::Export, body).await);
        count += 1;
    }
    if let Some(helper) = &helper {
        let export = &exports[0];
        let body = json!({"name": json_of(&client.get(Kind::AsyncHelper, helper).await.unwrap().document)["name"],
            "http": {"status": {"_exportId": export, "statusPath": "state", "doneValues": ["DONE"]},
                "result": {"_exportId": export}}});
        client.update(Kind::AsyncHelper, helper, &body).await.unwrap();
    }

    let mut imports: Vec<String> = Vec::new();
    for index in 0..random.range(1, 4) {
        let fields: Vec<Value> = (0..random.range(1, 3))
            .map(|field| json!({"extract": string(&mut random), "generate": format!("field{field}")}))
            .collect();
        let mut body = json!({"name": name(&mut random, index), "adaptorType": "HTTPImport",
            "_connectionId": random.pick(&connections),
            "http": {"method": ["POST"], "relativeURI": [string(&mut random)], "body": [string(&mut random)]},
            "mapping": {"fields": fields}});
        if let Some(script) =
            (!scripts.is_empty() && random.chance(40)).then(|| random.pick(&scripts).clone())
        {
            body["hooks"] = json!({"preMap": {"_scriptId": script, "function": "preMap"}});
        }
        if !caches.is_empty() && random.chance(50) {
            body["lookups"] =
                json!([{"name": "sku", "_lookupCacheId": random.pick(&caches), "extract": "sku"}]);
        }
        imports.push(create(client, Kind::Import, body).await);
        count += 1;
    }

    let mut flows: Vec<String> = Vec::new();
    for index in 0..random.range(1, 5) {
        let mut body = json!({"name": name(&mut random, index)});
        if random.chance(85) {
            let (integration, groups) = random.pick(&integrations).clone();
            body["_integrationId"] = Value::String(integration);
            if !groups.is_empty() && random.chance(50) {
                body["_flowGroupingId"] = Value::String(random.pick(&groups).clone());
            }
        }
        if random.chance(40) {
            body["disabled"] = Value::Bool(true);
        }
        if random.chance(50) {
            body["schedule"] = json!(format!("? {} */2 * * *", random.below(60)));
            body["timezone"] = json!(*random.pick(&["UTC", "America/New_York", "Europe/Berlin"]));
        }
        body["pageGenerators"] = Value::Array(
            (0..random.range(1, 2)).map(|_| json!({"_exportId": random.pick(&exports)})).collect(),
        );
        let step = |random: &mut Random| {
            if random.chance(25) {
                json!({"type": "export", "_exportId": random.pick(&exports)})
            } else {
                let mut step = json!({"type": "import", "_importId": random.pick(&imports)});
                if random.chance(30) {
                    step["proceedOnFailure"] = Value::Bool(random.chance(50));
                }
                step
            }
        };
        if random.chance(35) {
            let routers = random.range(1, 2);
            let mut list = Vec::new();
            for router in 0..routers {
                let branches: Vec<Value> = (0..random.range(1, 3))
                    .map(|branch| {
                        let mut branch = json!({"name": format!("branch {branch}"),
                            "pageProcessors": (0..random.range(0, 2)).map(|_| step(&mut random)).collect::<Vec<_>>()});
                        if random.chance(50) {
                            branch["inputFilter"] = json!({"version": "1", "rules": ["equals", ["extract", "country"], string(&mut random)]});
                        }
                        if router + 1 < routers {
                            branch["nextRouterId"] = json!(format!("router{}", router + 1));
                        }
                        branch
                    })
                    .collect();
                let mut entry = json!({"branches": branches});
                if routers > 1 || random.chance(50) {
                    entry["id"] = json!(format!("router{router}"));
                }
                if random.chance(50) {
                    entry["routeRecordsTo"] =
                        json!(*random.pick(&["first_matching_branch", "all_matching_branches"]));
                }
                list.push(entry);
            }
            body["routers"] = Value::Array(list);
        } else {
            body["pageProcessors"] =
                Value::Array((0..random.range(0, 3)).map(|_| step(&mut random)).collect());
        }
        if random.chance(30) {
            body["settings"] = value(&mut random, 1);
        }
        flows.push(create(client, Kind::Flow, body).await);
        count += 1;
    }
    // Chains, cycles and self-references through `_runNextFlowIds`, added once all flows exist.
    for flow in &flows {
        if random.chance(40) {
            let next: Vec<String> =
                (0..random.range(1, 2)).map(|_| random.pick(&flows).clone()).collect();
            let mut document = json_of(&client.get(Kind::Flow, flow).await.unwrap().document);
            document["_runNextFlowIds"] = json!(next);
            client.update(Kind::Flow, flow, &document).await.unwrap();
        }
    }
    // A resource nothing uses.
    if random.chance(30) {
        create(
            client,
            Kind::Import,
            json!({"name": "Unused", "adaptorType": "HTTPImport", "_connectionId": random.pick(&connections),
                "http": {"method": ["PUT"], "relativeURI": ["/unused"]}}),
        )
        .await;
        count += 1;
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_accounts_round_trip() {
    let cases: u64 = std::env::var("FLOWFORM_PULL_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(12);
    let first: u64 =
        std::env::var("FLOWFORM_PULL_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or(1);
    let accounts = Accounts::start().await;
    let admin = accounts.emulator.admin();
    // What the seeds covered, so a generator that stops making a kind is noticed.
    let mut covered: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for seed in first..first + cases {
        for token in ["source-token", "target-token"] {
            admin.for_token(token).unwrap().reset();
        }
        let (agents, stacks) = agents_and_stacks(&admin, "source-token");
        agents_and_stacks(&admin, "target-token");
        let resources = generate(&accounts.source, seed, &agents, &stacks).await;
        let folder = tempfile::tempdir().unwrap();
        let out = folder.path().join("pulled");
        let pulled = pull_into(&accounts.source, &Selection::All, &out).await;
        assert_eq!(pulled.resources.len(), resources, "seed {seed}: every resource is pulled");
        assert!(
            pulled.outside_references.is_empty(),
            "seed {seed}: {:?}",
            pulled.outside_references
        );

        let secrets = secret_values(&pulled);
        assert_loads_as_pulled(&out, &pulled, &secrets);
        let source_plan = plan(&accounts.source, &out, &secrets, None).await;
        assert!(
            !source_plan.has_changes(),
            "seed {seed}: changes right after pull: {:#?}",
            changes(&source_plan)
        );

        let target_state = state_location(&folder.path().join("target"));
        let report = apply_folder(&accounts.target, &out, &target_state, &secrets, None).await;
        assert_success(&report);
        let again = folder.path().join("again");
        let repulled = pull_into(&accounts.target, &Selection::All, &again).await;
        for (path, text) in &pulled.files {
            match repulled.files.get(path) {
                Some(other) => assert_eq!(
                    other,
                    text,
                    "seed {seed}: `{}` differs after apply and pull",
                    path.display()
                ),
                None => panic!("seed {seed}: `{}` is missing after apply and pull", path.display()),
            }
        }
        assert_eq!(
            repulled.files.len(),
            pulled.files.len(),
            "seed {seed}: extra files after apply and pull"
        );
        // The lookup caches' data files too, and nothing of the target's own ids: agents and
        // stacks are found by name in each account.
        assert_eq!(
            read_tree(&again),
            read_tree(&out)
                .into_iter()
                .filter(|(path, _)| !path.starts_with(".flowform"))
                .collect(),
            "seed {seed}: the files differ"
        );
        assert!(pulled.unmanaged_ids.is_empty(), "seed {seed}: {:?}", pulled.unmanaged_ids);
        covered.extend(pulled.resources.keys().map(|address| address.kind.plural().to_owned()));
        covered.extend(pulled.lookups.keys().map(|address| format!("data.{}", address.kind)));
        if pulled.data_files.iter().any(|data| {
            fs_err::read_to_string(out.join(&data.path)).is_ok_and(|text| text.len() > 3)
        }) {
            covered.insert("data files".to_owned());
        }
        if pulled.files.values().any(|text| text.contains("flowGroup: ")) {
            covered.insert("flow groups".to_owned());
        }
    }
    if cases >= 12 {
        for wanted in [
            "iclients",
            "filedefinitions",
            "ediprofiles",
            "lookupcaches",
            "asynchelpers",
            "data.agent",
            "data.stack",
            "data files",
            "flow groups",
        ] {
            assert!(covered.contains(wanted), "no seed generated {wanted}: {covered:?}");
        }
    }
}
