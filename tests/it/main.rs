//! End-to-end tests: the real `flowform` binary against the integrator.io emulator on loopback
//! (STYLE.md items 17, 20, 22). The harness is in `support`.

#[macro_use]
mod support;

#[macro_use]
#[path = "../shared/specs.rs"]
mod specs;

mod apply;
mod destroy;
mod diagrams;
mod drift;
mod emulator_serve;
mod examples;
mod fidelity;
mod graph;
mod import;
mod journeys;
mod pull;
mod readme;
mod run;
mod sandbox;
mod show;
mod state;
mod usage;

/// A spec with an integration, a connection holding a secret, and a flow.
pub const SPEC: &str = concat!(
    main_and_api!("API_TOKEN"),
    r#"flows:
  nightly:
    name: Nightly
    _integrationId: ${integration.main}
    lifecycle:
      preventDestroy: true
"#
);

/// Live documents matching [`SPEC`], with fixed ids.
pub const INTEGRATION_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaa";
pub const CONNECTION_ID: &str = "cccccccccccccccccccccccc";
pub const FLOW_ID: &str = "bbbbbbbbbbbbbbbbbbbbbbbb";

pub fn fixtures() -> serde_json::Value {
    serde_json::json!({
        "integrations": [{"_id": INTEGRATION_ID, "name": "Main"}],
        "connections": [{
            "_id": CONNECTION_ID,
            "name": "API",
            "type": "http",
            "http": {
                "baseURI": "https://example.com",
                "mediaType": "json",
                "auth": {"type": "token", "token": {"token": "live-secret", "location": "header"}}
            }
        }],
        "flows": [{"_id": FLOW_ID, "name": "Nightly", "_integrationId": INTEGRATION_ID, "disabled": false}],
    })
}

/// A context with [`SPEC`] written and [`fixtures`] loaded.
pub fn context_with_fixtures() -> support::TestContext {
    let context = support::TestContext::new();
    context.write("spec.yaml", SPEC);
    context.load(fixtures());
    context
}

/// A context as [`context_with_fixtures`], with all three resources imported.
pub fn context_with_imports() -> support::TestContext {
    let context = context_with_fixtures();
    for (address, id) in [
        ("integration.main", INTEGRATION_ID),
        ("connection.api", CONNECTION_ID),
        ("flow.nightly", FLOW_ID),
    ] {
        let (code, rendered) = context.run(context.flowform().args(["import", address, id]));
        assert_eq!(code, 0, "{rendered}");
    }
    context
}
