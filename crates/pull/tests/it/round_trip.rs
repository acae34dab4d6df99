//! The pull round trip over generated accounts: random integrations, connections, scripts,
//! exports, imports and flows (routers, flow groups, `_runNextFlowIds` with cycles, masked
//! secrets, tricky names and strings) are created through the API; then
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
    pull_into, secret_values, state_location,
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

/// Creates a random account; returns how many resources it holds.
async fn generate(client: &flowform_api::Client, seed: u64) -> usize {
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
        exports.push(create(client, Kind::Export, body).await);
        count += 1;
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
    for seed in first..first + cases {
        for token in ["source-token", "target-token"] {
            admin.for_token(token).unwrap().reset();
        }
        let resources = generate(&accounts.source, seed).await;
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
    }
}
