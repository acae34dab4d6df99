//! Merges flags, environment variables and the environment file (`--env NAME`) into one
//! `Settings`. Precedence, highest first: command-line flags, environment variables
//! (`CELIGO_BASE_URL`, `CELIGO_API_TOKEN`), the environment file, built-in defaults.

use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flowform_api::{BASE_URL_ENV, Endpoint, Region};
use flowform_exec::state::StateLocation;
use flowform_spec::{EnvironmentSettings, LoadOptions, ProcessEnvironment, SecretPolicy};
use secrecy::SecretString;

use crate::args::{ColorArg, Command, GlobalArgs, RegionArg};
use crate::error::UserError;

/// The environment variable that holds the API token (the official Celigo CLI's name).
pub const TOKEN_ENV: &str = "CELIGO_API_TOKEN";

/// The process environment as the settings see it; tests build one by hand.
pub struct Environment {
    variables: HashMap<String, String>,
    stderr_is_terminal: bool,
    stdout_is_terminal: bool,
}

impl Environment {
    /// The real environment. Variables that are not UTF-8 are left out.
    pub fn from_process() -> Environment {
        Environment {
            variables: std::env::vars_os()
                .filter_map(|(name, value)| {
                    Some((name.into_string().ok()?, value.into_string().ok()?))
                })
                .collect(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
        }
    }

    #[cfg(test)]
    fn fixed(variables: &[(&str, &str)], stderr_is_terminal: bool) -> Environment {
        Environment {
            variables: variables.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            stderr_is_terminal,
            stdout_is_terminal: stderr_is_terminal,
        }
    }

    /// A variable's value; an empty value counts as unset.
    fn get(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str).filter(|value| !value.is_empty())
    }
}

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors and data only.
    Quiet,
    /// The default.
    Normal,
    /// `-v` (1), `-vv` (2), …
    Verbose(u8),
}

/// Where the API token comes from. Read lazily, by the commands that talk to the API.
pub enum TokenSource {
    /// Neither `--token-file` nor `CELIGO_API_TOKEN`.
    None,
    /// `CELIGO_API_TOKEN`.
    Environment(SecretString),
    /// `--token-file PATH`.
    File(PathBuf),
}

impl fmt::Debug for TokenSource {
    // The token never appears in output, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::None => f.write_str("None"),
            TokenSource::Environment(_) => {
                write!(f, "Environment({TOKEN_ENV}, redacted)")
            }
            TokenSource::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl TokenSource {
    /// Reads the token: the file's first line, or the environment variable's value.
    pub fn load(&self) -> Result<Option<SecretString>, UserError> {
        match self {
            TokenSource::None => Ok(None),
            TokenSource::Environment(token) => Ok(Some(token.clone())),
            TokenSource::File(path) => {
                let text = fs_err::read_to_string(path).map_err(|error| {
                    UserError::new(format!("cannot read the token file: {error}"))
                        .with_hint("`--token-file` names a file whose first line is the API token")
                })?;
                let token = text.lines().next().unwrap_or_default().trim();
                if token.is_empty() {
                    return Err(UserError::new(format!(
                        "the token file `{}` is empty",
                        path.display()
                    )));
                }
                Ok(Some(SecretString::from(token.to_owned())))
            }
        }
    }

    /// A warning when the token file can be read by group or others (Unix permissions), so a
    /// token is not left readable by every user of a shared machine.
    pub fn permission_warning(&self) -> Option<String> {
        let TokenSource::File(path) = self else { return None };
        let mode = file_mode(path)?;
        (mode & 0o077 != 0).then(|| {
            format!(
                "the token file `{}` is readable by group or others (mode {:04o}); restrict it with `chmod 600 {}`",
                path.display(),
                mode & 0o7777,
                path.display()
            )
        })
    }

    /// Where the token comes from, for messages; never the token itself.
    pub fn describe(&self) -> String {
        match self {
            TokenSource::None => "none".to_owned(),
            TokenSource::Environment(_) => TOKEN_ENV.to_owned(),
            TokenSource::File(path) => format!("file `{}`", path.display()),
        }
    }
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::metadata(path).ok().map(|metadata| metadata.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

/// The API endpoint and where it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointChoice {
    /// The validated origin (`https://`, or `http://` on a loopback address).
    pub endpoint: Endpoint,
    /// `--endpoint`, `--region`, `CELIGO_BASE_URL`, the environment file or `default`.
    pub source: String,
}

/// Which account a command works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// The local sandbox: an emulator started in-process whose data lives in `data_file`.
    Sandbox {
        /// `.flowform/sandbox.json` (or `.flowform/NAME.sandbox.json` with `--env NAME`).
        data_file: PathBuf,
        /// Whether `--sandbox` asked for it (otherwise no token and no endpoint were given).
        requested: bool,
    },
    /// An integrator.io account (or an emulator given by URL) reached with the API token.
    Remote(EndpointChoice),
}

/// The account a command works on and where its state lives, after the environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account: Account,
    pub state: StateLocation,
}

/// Everything a command needs to know, resolved once.
#[derive(Debug)]
pub struct Settings {
    /// The command to run.
    pub command: Command,
    /// `-f` paths (default `.`).
    pub paths: Vec<PathBuf>,
    /// `--env NAME`.
    pub env: Option<String>,
    /// `--var NAME=VALUE`.
    pub vars: Vec<(String, String)>,
    /// `--var-file`, in order.
    pub var_files: Vec<PathBuf>,
    /// `--state`, before the environment file is read.
    pub state: Option<String>,
    /// `--endpoint`, `--region` or `CELIGO_BASE_URL`, before the environment file is read.
    pub endpoint: Option<EndpointChoice>,
    /// `--sandbox`: use the local sandbox even in CI.
    pub sandbox: bool,
    /// `--lock-timeout`: how long to wait for a state lock held by someone else.
    pub lock_timeout: Duration,
    /// Whether stderr gets colour.
    pub color: bool,
    /// Whether data on stdout (a human plan) gets colour.
    pub data_color: bool,
    pub verbosity: Verbosity,
    pub token: TokenSource,
    /// `CI` is set: a missing token is an error rather than a local sandbox.
    pub ci: bool,
    /// `--strict` (`validate`, `plan`, `apply`): spec warnings are errors.
    pub strict: bool,
}

impl Settings {
    /// Resolves flags and environment variables.
    pub fn resolve(
        global: GlobalArgs,
        command: Command,
        environment: &Environment,
    ) -> Result<Settings, UserError> {
        let color_on = |is_terminal: bool| match global.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                environment.get("NO_COLOR").is_none()
                    && environment.get("TERM") != Some("dumb")
                    && is_terminal
            }
        };
        let color = color_on(environment.stderr_is_terminal);
        let data_color = color_on(environment.stdout_is_terminal);
        let verbosity = match (global.quiet, global.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, level) => Verbosity::Verbose(level),
        };
        let base_url = environment.get(BASE_URL_ENV);
        let source = match (&global.endpoint, global.region, base_url) {
            (Some(_), _, _) => "--endpoint",
            (None, Some(_), _) => "--region",
            (None, None, _) => BASE_URL_ENV,
        };
        let endpoint =
            Endpoint::resolve(global.endpoint.as_deref(), global.region.map(region_of), base_url)
                .map_err(|error| endpoint_error(&error, &format!("`{source}`")))?
                .map(|endpoint| EndpointChoice { endpoint, source: source.to_owned() });
        let token = match (global.token_file, environment.get(TOKEN_ENV)) {
            (Some(path), _) => TokenSource::File(path),
            (None, Some(token)) => TokenSource::Environment(SecretString::from(token.to_owned())),
            (None, None) => TokenSource::None,
        };
        let paths = if global.files.is_empty() { vec![PathBuf::from(".")] } else { global.files };
        let strict = match &command {
            Command::Validate(args) => args.strict,
            Command::Plan(args) => args.strict,
            Command::Apply(args) => args.strict,
            _ => false,
        };
        Ok(Settings {
            strict,
            command,
            paths,
            env: global.env,
            vars: global.vars,
            var_files: global.var_files,
            state: global.state,
            endpoint,
            sandbox: global.sandbox,
            lock_timeout: Duration::from_secs(global.lock_timeout),
            color,
            data_color,
            verbosity,
            token,
            ci: environment.get("CI").is_some(),
        })
    }

    /// What the spec loader needs.
    pub fn load_options(&self, secrets: SecretPolicy) -> LoadOptions {
        LoadOptions {
            paths: self.paths.clone(),
            env: self.env.clone(),
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            secrets,
            environment: ProcessEnvironment::Process,
            strict: self.strict,
        }
    }

    /// The endpoint after the environment file: flags and environment variables win over the
    /// file. `None` when nothing chose one (then a token means North America, and no token the
    /// local sandbox).
    pub fn chosen_endpoint(
        &self,
        file: Option<&EnvironmentSettings>,
    ) -> Result<Option<EndpointChoice>, UserError> {
        if let Some(endpoint) = &self.endpoint {
            return Ok(Some(endpoint.clone()));
        }
        match file {
            Some(EnvironmentSettings { endpoint: Some(url), file, .. }) => {
                let place = format!("`endpoint` in `{}`", file.display());
                let endpoint =
                    Endpoint::parse(url).map_err(|error| endpoint_error(&error, &place))?;
                Ok(Some(EndpointChoice { endpoint, source: file.display().to_string() }))
            }
            Some(EnvironmentSettings { region: Some(region), file, .. }) => {
                Ok(Some(EndpointChoice {
                    endpoint: Endpoint::region(*region),
                    source: file.display().to_string(),
                }))
            }
            _ => Ok(None),
        }
    }

    /// Where the state lives: `--state`, else the environment file's `state`, else
    /// `.flowform/state.json` in the spec root (`.flowform/NAME.state.json` with `--env NAME`).
    pub fn state_location(&self, root: &Path, file: Option<&EnvironmentSettings>) -> StateLocation {
        let state_text = self.state.as_deref().or(file.and_then(|file| file.state.as_deref()));
        match state_text {
            Some("integrator") => StateLocation::Integrator {
                name: self.env.clone().unwrap_or_else(|| "default".to_owned()),
            },
            Some(path) => StateLocation::File(root.join(path)),
            None => {
                StateLocation::File(root.join(".flowform").join(self.env_file_name("state.json")))
            }
        }
    }

    /// `NAME` (no `--env`) or `ENV.NAME` (with `--env ENV`).
    fn env_file_name(&self, name: &str) -> String {
        match &self.env {
            Some(env) => format!("{env}.{name}"),
            None => name.to_owned(),
        }
    }

    /// The account and state a command that talks to an account works on (PRODUCT.md §3):
    /// `--sandbox` picks the local sandbox; otherwise a token picks the chosen endpoint (North
    /// America by default). Without a token, no endpoint means the local sandbox, except in CI
    /// (`CI` set), where it is an error; an endpoint without a token is an error too.
    pub fn target(
        &self,
        root: &Path,
        file: Option<&EnvironmentSettings>,
    ) -> Result<Target, UserError> {
        let state = self.state_location(root, file);
        let sandbox = |requested| Account::Sandbox {
            data_file: root.join(".flowform").join(self.env_file_name("sandbox.json")),
            requested,
        };
        if self.sandbox {
            return Ok(Target { account: sandbox(true), state });
        }
        let endpoint = self.chosen_endpoint(file)?;
        let has_token = !matches!(self.token, TokenSource::None);
        let account = match (endpoint, has_token) {
            (Some(endpoint), true) => Account::Remote(endpoint),
            (None, true) => Account::Remote(EndpointChoice {
                endpoint: Endpoint::region(Region::Na),
                source: "default".to_owned(),
            }),
            (Some(endpoint), false) => {
                return Err(UserError::new(format!(
                    "no API token for `{}` (endpoint from {})",
                    endpoint.endpoint, endpoint.source
                ))
                .with_hint(format!(
                    "set the environment variable `{TOKEN_ENV}`, or pass `--token-file PATH` naming a file whose first line is the token"
                )));
            }
            (None, false) if self.ci => {
                return Err(UserError::new(format!(
                    "no API token: `CI` is set and neither `{TOKEN_ENV}` nor `--token-file` gives a token"
                ))
                .with_hint(format!(
                    "a CI job never falls back to the local sandbox by mistake: set `{TOKEN_ENV}` (or pass `--token-file PATH`) to use integrator.io, or pass `--sandbox` to use the local sandbox on purpose"
                )));
            }
            (None, false) => sandbox(false),
        };
        Ok(Target { account, state })
    }
}

fn region_of(region: RegionArg) -> Region {
    match region {
        RegionArg::Na => Region::Na,
        RegionArg::Eu => Region::Eu,
    }
}

/// An endpoint refused by [`Endpoint::parse`], said with where it came from and how to fix it.
fn endpoint_error(error: &flowform_api::Error, place: &str) -> UserError {
    UserError::new(format!("{place}: {error}")).with_hint(
        "write an origin such as `https://api.integrator.io`; plain `http://` is only for an emulator on this machine",
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::Cli;

    fn settings(
        arguments: &[&str],
        variables: &[(&str, &str)],
        terminal: bool,
    ) -> Result<Settings, UserError> {
        let cli = Cli::try_parse_from(std::iter::once("flowform").chain(arguments.iter().copied()))
            .expect("the arguments parse");
        Settings::resolve(cli.global, cli.command, &Environment::fixed(variables, terminal))
    }

    #[test]
    fn colour_follows_flag_no_color_and_terminal() {
        assert!(settings(&["validate"], &[], true).unwrap().color);
        assert!(!settings(&["validate"], &[], false).unwrap().color);
        assert!(!settings(&["validate"], &[("NO_COLOR", "1")], true).unwrap().color);
        assert!(!settings(&["validate"], &[("TERM", "dumb")], true).unwrap().color);
        assert!(
            settings(&["validate", "--color", "always"], &[("NO_COLOR", "1")], false)
                .unwrap()
                .color
        );
        assert!(!settings(&["validate", "--color", "never"], &[], true).unwrap().color);
    }

    fn remote(target: &Target) -> (&str, String) {
        match &target.account {
            Account::Remote(choice) => (choice.source.as_str(), choice.endpoint.to_string()),
            Account::Sandbox { .. } => panic!("expected a remote account, got {target:?}"),
        }
    }

    #[test]
    fn endpoint_precedence_flags_then_environment_then_file() {
        let file = EnvironmentSettings {
            name: "prod".into(),
            file: PathBuf::from("environments/prod.yaml"),
            endpoint: None,
            region: Some(flowform_spec::Region::Eu),
            state: Some("integrator".into()),
        };
        let root = Path::new("/spec");
        let token = ("CELIGO_API_TOKEN", "t");

        let plain = settings(&["validate"], &[token], false).unwrap();
        let target = plain.target(root, None).unwrap();
        assert_eq!(remote(&target), ("default", "https://api.integrator.io".to_owned()));
        assert_eq!(target.state, StateLocation::File(PathBuf::from("/spec/.flowform/state.json")));
        let target = plain.target(root, Some(&file)).unwrap();
        assert_eq!(remote(&target).1, "https://api.eu.integrator.io");
        assert_eq!(target.state, StateLocation::Integrator { name: "default".into() });

        let from_variable =
            settings(&["validate"], &[("CELIGO_BASE_URL", "http://127.0.0.1:9000/"), token], false)
                .unwrap();
        let target = from_variable.target(root, Some(&file)).unwrap();
        assert_eq!(remote(&target), ("CELIGO_BASE_URL", "http://127.0.0.1:9000".to_owned()));

        let flags = settings(
            &["validate", "--region", "na", "--state", "custom.json", "--env", "prod"],
            &[("CELIGO_BASE_URL", "https://other.example"), token],
            false,
        )
        .unwrap();
        let target = flags.target(root, Some(&file)).unwrap();
        assert_eq!(remote(&target), ("--region", "https://api.integrator.io".to_owned()));
        assert_eq!(target.state, StateLocation::File(PathBuf::from("/spec/custom.json")));

        let env_only = settings(&["validate", "--env", "prod"], &[token], false).unwrap();
        let no_state = EnvironmentSettings { state: None, ..file.clone() };
        assert_eq!(
            env_only.target(root, Some(&no_state)).unwrap().state,
            StateLocation::File(PathBuf::from("/spec/.flowform/prod.state.json"))
        );
        assert_eq!(
            env_only.target(root, Some(&file)).unwrap().state,
            StateLocation::Integrator { name: "prod".into() }
        );
    }

    #[test]
    fn no_token_and_no_endpoint_means_the_sandbox_except_in_ci() {
        let root = Path::new("/spec");
        let target = settings(&["validate"], &[], false).unwrap().target(root, None).unwrap();
        assert_eq!(
            target.account,
            Account::Sandbox {
                data_file: PathBuf::from("/spec/.flowform/sandbox.json"),
                requested: false
            }
        );
        let target = settings(&["validate", "--env", "dev"], &[], false)
            .unwrap()
            .target(root, None)
            .unwrap();
        assert!(matches!(
            target.account,
            Account::Sandbox { ref data_file, .. } if data_file == Path::new("/spec/.flowform/dev.sandbox.json")
        ));

        let error = settings(&["validate"], &[("CI", "true")], false)
            .unwrap()
            .target(root, None)
            .unwrap_err();
        assert!(error.message.contains("`CI` is set"), "{error}");
        assert!(error.hint.as_deref().unwrap().contains("--sandbox"));

        // `--sandbox` wins over CI and over a token.
        let target = settings(
            &["validate", "--sandbox"],
            &[("CI", "true"), ("CELIGO_API_TOKEN", "t"), ("CELIGO_BASE_URL", "https://x.example")],
            false,
        )
        .unwrap()
        .target(root, None)
        .unwrap();
        assert!(matches!(target.account, Account::Sandbox { requested: true, .. }));
    }

    #[test]
    fn an_endpoint_without_a_token_is_an_error() {
        let root = Path::new("/spec");
        let error = settings(&["validate", "--region", "eu"], &[], false)
            .unwrap()
            .target(root, None)
            .unwrap_err();
        assert!(error.message.contains("https://api.eu.integrator.io"), "{error}");
        let hint = error.hint.unwrap();
        assert!(hint.contains("CELIGO_API_TOKEN") && hint.contains("--token-file"), "{hint}");
        let file = EnvironmentSettings {
            name: "prod".into(),
            file: PathBuf::from("environments/prod.yaml"),
            endpoint: Some("https://api.integrator.io".into()),
            region: None,
            state: None,
        };
        let error =
            settings(&["validate"], &[], false).unwrap().target(root, Some(&file)).unwrap_err();
        assert!(error.message.contains("environments/prod.yaml"), "{error}");
        // A token file counts as a token even before it is read.
        let with_file = settings(&["validate", "--token-file", "/nowhere"], &[], false).unwrap();
        assert!(with_file.target(root, Some(&file)).is_ok());
    }

    #[test]
    fn endpoints_are_checked_by_the_api_crate() {
        assert!(settings(&["validate", "--endpoint", "http://localhost:8080"], &[], false).is_ok());
        let error =
            settings(&["validate", "--endpoint", "http://example.com"], &[], false).unwrap_err();
        assert!(error.message.starts_with("`--endpoint`: invalid endpoint"), "{error}");
        assert!(error.hint.as_deref().unwrap().contains("emulator"));
        let error = settings(&["validate"], &[("CELIGO_BASE_URL", "ftp://x")], false).unwrap_err();
        assert!(error.message.starts_with("`CELIGO_BASE_URL`"), "{error}");
        let error = settings(
            &["validate", "--endpoint", "https://user:hunter2@api.integrator.io"],
            &[],
            false,
        )
        .unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let file = EnvironmentSettings {
            name: "prod".into(),
            file: PathBuf::from("environments/prod.yaml"),
            endpoint: Some("http://example.com".into()),
            region: None,
            state: None,
        };
        let error = settings(&["validate"], &[], false).unwrap().chosen_endpoint(Some(&file));
        assert!(error.unwrap_err().message.contains("`endpoint` in `environments/prod.yaml`"));
    }

    #[cfg(unix)]
    #[test]
    fn token_file_readable_by_others_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("token");
        fs_err::write(&path, "tok\n").unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let source = TokenSource::File(path.clone());
        let warning = source.permission_warning().unwrap();
        assert!(warning.contains("mode 0644") && warning.contains("chmod 600"), "{warning}");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(source.permission_warning(), None);
        assert_eq!(TokenSource::None.permission_warning(), None);
    }

    #[test]
    fn token_never_shows() {
        let settings =
            settings(&["validate"], &[("CELIGO_API_TOKEN", "tok-canary")], false).unwrap();
        assert!(matches!(settings.token, TokenSource::Environment(_)));
        assert!(!format!("{settings:?}").contains("canary"));
    }

    #[test]
    fn token_file_is_read_lazily() {
        use secrecy::ExposeSecret;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("token");
        fs_err::write(&path, "tok-from-file\n").unwrap();
        let source = TokenSource::File(path.clone());
        assert_eq!(source.load().unwrap().unwrap().expose_secret(), "tok-from-file");
        fs_err::write(&path, "\n").unwrap();
        assert!(source.load().is_err());
        assert!(TokenSource::File(directory.path().join("missing")).load().is_err());
        assert!(TokenSource::None.load().unwrap().is_none());
    }

    #[test]
    fn defaults() {
        let settings = settings(&["validate", "-vv"], &[("CI", "true")], false).unwrap();
        assert_eq!(settings.paths, [PathBuf::from(".")]);
        assert_eq!(settings.verbosity, Verbosity::Verbose(2));
        assert!(settings.ci);
        assert!(matches!(settings.token, TokenSource::None));
    }
}
