//! Shared helpers: client configuration for tests and a sleeper that records instead of
//! sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flowform_api::{Client, ClientConfig, Endpoint, RetryPolicy, SecretString, Sleeper, Timeouts};

/// Records every wait the client asks for and returns at once, so tests can check that the
/// client waited at least `Retry-After` without spending the time.
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper {
    pub waits: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.waits.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// A configuration for `url` and `token` whose waits are recorded, not slept.
pub fn config(url: &str, token: &str) -> (ClientConfig, RecordingSleeper) {
    let sleeper = RecordingSleeper::default();
    let mut config = ClientConfig::new(Endpoint::parse(url).unwrap(), SecretString::from(token));
    config.retry = RetryPolicy::default();
    config.timeouts = Timeouts {
        request: Duration::from_secs(10),
        long_running: Duration::from_secs(10),
        connect: Duration::from_secs(5),
    };
    config.sleeper = Arc::new(sleeper.clone());
    (config, sleeper)
}

pub fn client(url: &str, token: &str) -> (Client, RecordingSleeper) {
    let (config, sleeper) = config(url, token);
    (Client::new(config).unwrap(), sleeper)
}

/// Every message of an error and its sources, as a user would see them.
/// A live document as JSON again (documents are plain JSON values: no references, no secrets).
pub fn json_of(document: &flowform_model::Value) -> serde_json::Value {
    document.to_json(&|_| None).expect("live documents are plain JSON")
}

pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error} | {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" | caused by: {cause}"));
        source = cause.source();
    }
    text
}
