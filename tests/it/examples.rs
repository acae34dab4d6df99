//! The specs under `examples/` that model what integrator.io teams build (issue 14): each is
//! applied to an emulator account with the default fidelity (the service's own behaviours),
//! planned empty, pulled back into a new folder (`plan` there is empty too), and destroyed to an
//! account with nothing left, checked through the emulator's admin API.

use flowform_emulator::ResourceKind;

use crate::readme::copy_tree;
use crate::support::{TestContext, repository_root};

/// The secrets of `examples/realistic`; any values do for the emulator.
pub const REALISTIC_SECRETS: [(&str, &str); 6] = [
    ("SHOP_API_TOKEN", "shop-token"),
    ("WAREHOUSE_PASSWORD", "warehouse-password"),
    ("NETSUITE_TOKEN_ID", "netsuite-token-id"),
    ("NETSUITE_TOKEN_SECRET", "netsuite-token-secret"),
    ("PARTNER_SFTP_PASSWORD", "sftp-password"),
    ("RETURNS_WEBHOOK_TOKEN", "webhook-token"),
];

#[test]
fn the_realistic_example_applies_pulls_back_and_destroys_to_an_empty_account() {
    let context = TestContext::new();
    copy_tree(&repository_root().join("examples/realistic"), &context.root().join("realistic"));
    let flowform = |folder: &str, arguments: &[&str], secrets: &[(String, String)]| {
        let mut command = context.flowform_in(folder);
        command.envs(secrets.iter().map(|(name, value)| (name.as_str(), value.as_str())));
        context.run(command.args(arguments))
    };
    let secrets: Vec<(String, String)> = REALISTIC_SECRETS
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();

    let (code, rendered) = flowform("realistic", &["apply", "--auto-approve"], &secrets);
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("Plan: 20 to create, 0 to clone, 0 to update, 0 to delete."));
    let (code, rendered) = flowform("realistic", &["plan", "--detailed-exitcode"], &secrets);
    assert_eq!(code, 0, "the plan after the apply is empty:\n{rendered}");
    let admin = context.admin();
    let flows = admin.documents(ResourceKind::Flows);
    assert_eq!(flows.len(), 3);
    assert!(flows.iter().all(|flow| flow["disabled"] == false), "{flows:?}");
    let routed = flows.iter().find(|flow| flow["routers"].is_array()).expect("the router flow");
    assert_eq!(routed["routers"][0]["branches"].as_array().map(Vec::len), Some(3), "{routed}");
    assert!(routed.get("pageProcessors").is_none(), "routers exclude pageProcessors: {routed}");
    let realtime = flows.iter().find(|flow| flow["name"] == "Shop returns to NetSuite (realtime)");
    assert!(realtime.is_some_and(|flow| flow.get("schedule").is_none()), "{flows:?}");
    // The service's own forms (`docs/fidelity.md`) took the spec as written: the filter holds
    // its rules twice, the NetSuite account is upper-case.
    let orders = admin
        .documents(ResourceKind::Exports)
        .into_iter()
        .find(|export| export["name"] == "Paid shop orders")
        .expect("the shop export");
    assert_eq!(orders["filter"]["rules"], orders["filter"]["expression"]["rules"], "{orders}");

    // Pulled back into a new folder: the same keys (from the state of the folder pulled from)
    // and an empty plan with the pulled secrets' names set.
    let (code, rendered) = flowform("realistic", &["pull", "--out", "../pulled"], &[]);
    assert_eq!(code, 0, "{rendered}");
    let pulled = fs_err::read_to_string(context.root().join("pulled/README.md")).unwrap();
    let pulled_secrets: Vec<(String, String)> = pulled
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| (name.to_owned(), "value".to_owned()))
        .filter(|(name, _)| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    assert_eq!(pulled_secrets.len(), 6, "the six secrets: {pulled}");
    let (code, rendered) = flowform("pulled", &["plan", "--detailed-exitcode"], &pulled_secrets);
    assert_eq!(code, 0, "the plan of the pulled folder is empty:\n{rendered}");
    let state: serde_json::Value = serde_json::from_str(
        &fs_err::read_to_string(context.root().join("pulled/.flowform/state.json")).unwrap(),
    )
    .unwrap();
    for address in
        ["flow.orders-to-netsuite", "connection.partner-sftp", "import.warehouse-shipment"]
    {
        assert!(state["resources"].get(address).is_some(), "`{address}` kept its key: {state:#}");
    }

    let (code, rendered) = flowform("realistic", &["destroy", "--auto-approve"], &[]);
    assert_eq!(code, 0, "{rendered}");
    assert!(rendered.contains("Destroy complete! Resources: 20 deleted."), "{rendered}");
    for (kind, count) in admin.counts() {
        assert_eq!(count, 0, "{kind:?} left in the account after destroy");
    }
}
