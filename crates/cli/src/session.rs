//! The connection to the account a command works on: the local sandbox (an emulator started in
//! this process, its data in `.flowform/sandbox.json`) or an integrator.io account reached with
//! the API token. Either way the command gets one `flowform_api::Client` and the `target`
//! string its state is bound to.

use std::hash::BuildHasher;
use std::path::Path;

use flowform_api::{Client, ClientConfig, Endpoint, SecretString};
use flowform_emulator::{EmulatorConfig, EmulatorHandle};
use flowform_exec::state::lock::{LocalLock, LockError};

use crate::error::UserError;
use crate::printer::Printer;
use flowform_exec::state::StateLocation;

use crate::settings::{Account, EndpointChoice, Settings, Target};

/// The token of the sandbox's only account. It guards nothing (the emulator listens on
/// loopback for this process only) and is never a real credential.
const SANDBOX_TOKEN: &str = "sandbox";

/// The `target` string of every state used with the local sandbox: its port changes on every
/// run, so the URL cannot be part of it.
pub const SANDBOX_TARGET: &str = "sandbox";

/// An open connection to the account.
pub struct Session {
    /// The API client, shared by every task of the command.
    pub client: Client,
    /// What the state is bound to: `sandbox`, or `<endpoint> (user <id>)`, with
    /// `, environment <id>` when the account names the token's environment.
    pub target: String,
    /// Where the state lives.
    pub state: StateLocation,
    sandbox: Option<Sandbox>,
}

/// A session prepared by [`Session::prepare`], not open yet.
pub enum Prepared {
    /// The local sandbox: opened (its lock taken, its emulator started) by [`Prepared::open`].
    Sandbox { data_file: std::path::PathBuf, requested: bool, state: StateLocation },
    /// An integrator.io account: the client is made, the token not checked yet.
    Remote { client: Client, choice: EndpointChoice, state: StateLocation },
}

impl Prepared {
    /// The client of a remote account, before its token is checked.
    pub fn remote_client(&self) -> Option<&Client> {
        match self {
            Prepared::Remote { client, .. } => Some(client),
            Prepared::Sandbox { .. } => None,
        }
    }

    /// Where the state lives.
    pub fn state(&self) -> &StateLocation {
        match self {
            Prepared::Remote { state, .. } | Prepared::Sandbox { state, .. } => state,
        }
    }

    /// Opens the session (see [`Session::open`]). For a remote account, `GET /v1/tokenInfo`
    /// and the list of environments are asked at the same time; a failed token check is
    /// reported before anything about the environments.
    pub async fn open(
        self,
        settings: &Settings,
        printer: &Printer,
        command: &str,
    ) -> anyhow::Result<Session> {
        match self {
            Prepared::Sandbox { data_file, requested, state } => {
                let (emulator, lock) =
                    start_sandbox(&data_file, command, settings.lock_timeout).await?;
                let reason = if requested { "--sandbox" } else { "no API token is set" };
                printer.status(&format!(
                    "using the local sandbox ({reason}): data in `{}`; set CELIGO_API_TOKEN to use integrator.io",
                    data_file.display()
                ));
                let endpoint = Endpoint::parse(&emulator.url())
                    .map_err(|error| anyhow::Error::new(error).context("the sandbox's URL"))?;
                let client =
                    Client::new(client_config(endpoint, SecretString::from(SANDBOX_TOKEN)))?;
                Ok(Session {
                    client,
                    target: SANDBOX_TARGET.to_owned(),
                    state,
                    sandbox: Some(Sandbox { emulator, _lock: lock }),
                })
            }
            Prepared::Remote { client, choice, state } => {
                let (who, environments) = tokio::join!(client.whoami(), client.environments());
                let who = who.map_err(|error| {
                    let problem =
                        UserError::new(format!("cannot use the account at `{}`", choice.endpoint));
                    // A 401 says what to check itself; anything else is about reaching it.
                    let problem = if error.is_unauthorized() {
                        problem
                    } else {
                        problem.with_hint(format!(
                            "check that `{}` (from {}) is the integrator.io API and can be reached from here",
                            choice.endpoint, choice.source
                        ))
                    };
                    problem.with_source(error)
                })?;
                let environments = environments.map_err(|error| {
                    UserError::new(format!(
                        "cannot list the environments of the account at `{}`",
                        choice.endpoint
                    ))
                    .with_source(error)
                })?;
                let bound_to =
                    target_of(&choice.endpoint.to_string(), &who, environments.as_deref());
                Ok(Session { client, target: bound_to, state, sandbox: None })
            }
        }
    }
}

/// The in-process emulator of the local sandbox and the lock that keeps a second flowform from
/// running its own copy over the same data file.
struct Sandbox {
    emulator: EmulatorHandle,
    _lock: LocalLock,
}

impl Session {
    /// Connects to the target's account. For the sandbox: takes its lock, starts the emulator
    /// and says so on stderr in one line. For a remote account: reads the token (warning when
    /// its file is readable by others) and checks it with `GET /v1/tokenInfo`, whose user id
    /// becomes part of the state's target.
    pub async fn open(
        settings: &Settings,
        printer: &Printer,
        target: Target,
        command: &str,
    ) -> anyhow::Result<Session> {
        Session::prepare(settings, printer, target)?.open(settings, printer, command).await
    }

    /// The first part of [`Session::open`], which sends nothing: for a remote account, reads
    /// the token (warning when its file is readable by others) and makes the client, so that a
    /// command can start read-only work with it while the account check travels.
    pub fn prepare(
        settings: &Settings,
        printer: &Printer,
        target: Target,
    ) -> anyhow::Result<Prepared> {
        match target.account {
            Account::Sandbox { data_file, requested } => {
                Ok(Prepared::Sandbox { data_file, requested, state: target.state })
            }
            Account::Remote(choice) => {
                if let Some(warning) = settings.token.permission_warning() {
                    printer.warning(&warning);
                }
                let token = settings.token.load()?.ok_or_else(|| {
                    UserError::new("no API token").with_hint(
                        "set CELIGO_API_TOKEN, or pass `--token-file PATH` naming a file whose first line is the token",
                    )
                })?;
                printer.detail(
                    1,
                    &format!(
                        "account: {} (endpoint from {}, token from {})",
                        choice.endpoint,
                        choice.source,
                        settings.token.describe()
                    ),
                );
                let client = Client::new(client_config(choice.endpoint.clone(), token))?;
                Ok(Prepared::Remote { client, choice, state: target.state })
            }
        }
    }

    /// Ends the session: the sandbox's emulator finishes open requests and writes its data file
    /// one last time, then its lock is released. Always call it, also after failures.
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.emulator.shutdown().await;
        }
        // The command is over: the client's open connections (a run of updates leaves a few
        // hundred) are closed by the process's exit, all at once, not shut down one by one.
        std::mem::forget(self.client);
    }
}

/// The state's target for an account: the endpoint, the token's user and, when the account
/// lists environments and one of them is the token's (its `_envUserId` is the token's
/// `_userId`), that environment's id. Tokens are scoped to an account and an environment
/// (integrator-api.md §1.2), so two environments of one account are two targets; a state
/// bound before environments were read (`<endpoint> (user <id>)`) is taken over by
/// `flowform_exec::state` and rewritten at its next write.
pub fn target_of(
    endpoint: &str,
    who: &flowform_api::TokenInfo,
    environments: Option<&[flowform_api::Environment]>,
) -> String {
    let Some(user) = &who.user_id else {
        return endpoint.to_owned();
    };
    let environment = environments
        .into_iter()
        .flatten()
        .find(|environment| environment.env_user_id.as_deref() == Some(user.as_str()));
    match environment {
        Some(environment) => format!("{endpoint} (user {user}, environment {})", environment.id),
        None => format!("{endpoint} (user {user})"),
    }
}

/// The client's configuration: the API crate's defaults, with as many requests in flight as
/// the executor may run steps at once, so that steps started to spend a full rate budget are
/// not queued again behind the client's own in-flight bound.
fn client_config(endpoint: Endpoint, token: SecretString) -> ClientConfig {
    let mut config = ClientConfig::new(endpoint, token);
    config.max_in_flight = config.max_in_flight.max(crate::commands::BURST_PARALLELISM);
    config
}

/// Takes the sandbox lock (`sandbox.json.lock`, the same kind of lock file as the state's) and
/// starts the emulator on a free loopback port with the real rate limit, no admin API, and its
/// data in `data_file`.
async fn start_sandbox(
    data_file: &Path,
    command: &str,
    lock_timeout: std::time::Duration,
) -> anyhow::Result<(EmulatorHandle, LocalLock)> {
    let directory = data_file.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(directory)?;
    let mut lock_path = data_file.as_os_str().to_owned();
    lock_path.push(".lock");
    let (lock, _broken) = LocalLock::acquire(Path::new(&lock_path), command, lock_timeout)
        .await
        .map_err(|error| match error {
            LockError::Held { holder, .. } => anyhow::Error::new(
                UserError::new(format!("the local sandbox is in use by {holder}")).with_hint(
                    "wait for it to finish (or pass `--lock-timeout SECONDS`); one flowform at a time can use the sandbox",
                ),
            ),
            other => anyhow::Error::new(other).context("cannot lock the local sandbox"),
        })?;
    let config = EmulatorConfig {
        data_file: Some(data_file.to_owned()),
        // Ids hold a seeded counter; a fresh seed per run keeps a second run in the same second
        // from minting ids the data file already holds.
        seed: random_seed(),
        ..EmulatorConfig::default()
    };
    let emulator = flowform_emulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|error| anyhow::Error::new(error).context("cannot start the local sandbox"))?;
    Ok((emulator, lock))
}

/// A seed that differs between runs, without another dependency: std's per-process random
/// hasher keys, mixed with the time and the pid.
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id()))
}
