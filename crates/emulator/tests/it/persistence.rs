//! The data file, the background emulator and the `serve` entry point.

use std::net::SocketAddr;

use flowform_emulator::{
    AccountConfig, BackgroundEmulator, EmulatorConfig, ResourceKind, ServeOptions, StartError,
    serve,
};
use serde_json::json;

use crate::support::{Client, emulator, http_connection};

fn config_with_file(path: &std::path::Path) -> EmulatorConfig {
    EmulatorConfig {
        accounts: vec![AccountConfig::new("sandbox", "token-that-must-not-be-saved")],
        data_file: Some(path.to_path_buf()),
        ..EmulatorConfig::for_tests()
    }
}

#[tokio::test]
async fn data_survives_a_restart_in_a_private_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("nested").join("sandbox.json");
    let handle = emulator(config_with_file(&path)).await;
    let client = Client::new(&handle.url(), "token-that-must-not-be-saved");
    let connection = client.create("connections", http_connection("c", "the-password")).await;
    let integration = client.create("integrations", json!({"name": "I"})).await;
    client.delete(&format!("/v1/integrations/{integration}")).await;
    client.put("/v1/state/cursor", json!({"at": 5})).await;
    handle.shutdown().await;

    let text = fs_err::read_to_string(&path).expect("the data file exists");
    assert!(!text.contains("token-that-must-not-be-saved"), "the token is never written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs_err::metadata(&path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let leftovers: Vec<_> =
        fs_err::read_dir(path.parent().expect("a parent")).expect("list").flatten().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");

    let restarted = emulator(config_with_file(&path)).await;
    let client = Client::new(&restarted.url(), "token-that-must-not-be-saved");
    assert_eq!(client.get(&format!("/v1/connections/{connection}")).await.status, 200);
    let stored =
        restarted.admin().document(ResourceKind::Connections, &connection).expect("reloaded");
    assert_eq!(stored["http"]["auth"]["basic"]["password"], "the-password");
    assert_eq!(client.get("/v1/recycleBinTTL").await.json()[0]["doc"]["_id"], json!(integration));
    assert_eq!(client.get("/v1/state/cursor").await.json(), json!({"at": 5}));
    // References were re-indexed on load.
    let export = client
        .create(
            "exports",
            json!({"name": "e", "adaptorType": "HTTPExport", "_connectionId": connection}),
        )
        .await;
    assert_eq!(
        client.delete(&format!("/v1/connections/{connection}")).await.error_code(),
        "resource_in_use"
    );
    restarted.shutdown().await;
    let text = fs_err::read_to_string(&path).expect("the data file exists");
    assert!(text.contains(&export));
}

#[tokio::test]
async fn a_corrupt_data_file_is_a_start_error() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("sandbox.json");
    fs_err::write(&path, "{not json").expect("write");
    let result =
        flowform_emulator::start(config_with_file(&path), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await;
    assert!(matches!(result, Err(StartError::LoadData { .. })), "{result:?}");
    fs_err::write(&path, "{\"format\": \"something-else\"}").expect("write");
    let result =
        flowform_emulator::start(config_with_file(&path), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await;
    assert!(matches!(result, Err(StartError::LoadData { .. })));
}

#[test]
fn the_background_emulator_serves_synchronous_tests_and_flushes_on_drop() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("sandbox.json");
    let background = BackgroundEmulator::start(config_with_file(&path)).expect("starts");
    assert!(background.url().starts_with("http://127.0.0.1:"));
    let admin = background.admin();
    admin
        .load_fixtures(
            &json!({"integrations": [{"_id": "5f0000000000000000000001", "name": "Loaded"}]}),
        )
        .expect("loads");
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let url = background.url();
    let status = runtime.block_on(async move {
        Client::new(&url, "token-that-must-not-be-saved")
            .get("/v1/integrations/5f0000000000000000000001")
            .await
            .status
    });
    assert_eq!(status, 200);
    drop(background);
    let text = fs_err::read_to_string(&path).expect("flushed on drop");
    assert!(text.contains("5f0000000000000000000001"));
}

#[test]
fn start_refuses_broken_configurations() {
    let no_accounts = EmulatorConfig { accounts: Vec::new(), ..EmulatorConfig::default() };
    assert!(matches!(
        BackgroundEmulator::start(no_accounts),
        Err(StartError::InvalidConfig { .. })
    ));
    let twins = EmulatorConfig {
        accounts: vec![AccountConfig::new("a", "t"), AccountConfig::new("b", "t")],
        ..EmulatorConfig::default()
    };
    assert!(matches!(BackgroundEmulator::start(twins), Err(StartError::InvalidConfig { .. })));
    let mut bad_rate = EmulatorConfig::default();
    bad_rate.faults.server_error_rate = 1.5;
    assert!(matches!(BackgroundEmulator::start(bad_rate), Err(StartError::InvalidConfig { .. })));
    let debug = format!("{:?}", AccountConfig::new("a", "super-secret-token"));
    assert!(!debug.contains("super-secret-token"), "{debug}");
}

#[tokio::test]
async fn serve_options_map_to_accounts_and_limits() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let options = ServeOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_file: Some(directory.path().join("serve.json")),
        tokens: vec!["first".into(), "second".into()],
        page_size: 2,
        rate_capacity: 0,
        admin: true,
        ..ServeOptions::default()
    };
    let config = options.to_config().expect("valid");
    assert_eq!(config.rate_limit, None, "capacity 0 turns the limit off");
    assert_eq!(
        config.accounts.iter().map(|account| account.name.as_str()).collect::<Vec<_>>(),
        ["sandbox", "account-2"]
    );
    assert_eq!(
        ServeOptions::default().to_config().expect("valid").accounts,
        vec![AccountConfig::new("sandbox", "sandbox")]
    );
    let handle = serve(&options).await.expect("serves");
    let first = Client::new(&handle.url(), "first");
    let second = Client::new(&handle.url(), "second");
    first.create("integrations", json!({"name": "a"})).await;
    assert_eq!(second.get("/v1/integrations").await.status, 204);
    assert_eq!(first.get("/admin/counts").await.json()["integrations"], 1);
    handle.shutdown().await;
    assert!(directory.path().join("serve.json").exists());
}
