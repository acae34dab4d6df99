//! Merges flags, environment variables and the environment file (`--env NAME`) into one
//! `Settings`. Precedence, highest first: command-line flags, environment variables
//! (`CELIGO_BASE_URL`, `CELIGO_API_TOKEN`), the environment file, built-in defaults.

use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use flowform_spec::{EnvironmentSettings, LoadOptions, ProcessEnvironment, Region, SecretPolicy};
use secrecy::SecretString;

use crate::args::{ColorArg, Command, GlobalArgs, RegionArg};
use crate::error::UserError;

/// The process environment as the settings see it; tests build one by hand.
pub struct Environment {
    variables: HashMap<String, String>,
    stderr_is_terminal: bool,
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
        }
    }

    #[cfg(test)]
    fn fixed(variables: &[(&str, &str)], stderr_is_terminal: bool) -> Environment {
        Environment {
            variables: variables.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            stderr_is_terminal,
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
            TokenSource::Environment(_) => f.write_str("Environment(CELIGO_API_TOKEN, redacted)"),
            TokenSource::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl TokenSource {
    /// Reads the token: the file's first line, or the environment variable's value.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the commands that call the API"))]
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

    /// Where the token comes from, for messages; never the token itself.
    pub fn describe(&self) -> String {
        match self {
            TokenSource::None => "none".to_owned(),
            TokenSource::Environment(_) => "CELIGO_API_TOKEN".to_owned(),
            TokenSource::File(path) => format!("file `{}`", path.display()),
        }
    }
}

/// The API base URL and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Validated: `https://`, or `http://` on a loopback address; no trailing slash.
    pub url: String,
    /// `--endpoint`, `--region`, `CELIGO_BASE_URL`, the environment file or the default.
    pub source: String,
}

/// Where the state document lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// A JSON file.
    File(PathBuf),
    /// The target account's State API.
    Integrator,
}

/// The account a command works on: endpoint and state, after the environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoint: Endpoint,
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
    /// `--state`, before the environment file is read.
    pub state: Option<String>,
    /// `--endpoint`, `--region` or `CELIGO_BASE_URL`, before the environment file is read.
    pub endpoint: Option<Endpoint>,
    /// Whether stderr gets colour.
    pub color: bool,
    pub verbosity: Verbosity,
    pub token: TokenSource,
    /// `CI` is set: a missing token is an error rather than a local sandbox.
    pub ci: bool,
}

impl Settings {
    /// Resolves flags and environment variables.
    pub fn resolve(
        global: GlobalArgs,
        command: Command,
        environment: &Environment,
    ) -> Result<Settings, UserError> {
        let color = match global.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                environment.get("NO_COLOR").is_none()
                    && environment.get("TERM") != Some("dumb")
                    && environment.stderr_is_terminal
            }
        };
        let verbosity = match (global.quiet, global.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, level) => Verbosity::Verbose(level),
        };
        let endpoint = match (global.endpoint, global.region) {
            (Some(url), _) => {
                Some(Endpoint { url: validate_endpoint(&url)?, source: "--endpoint".into() })
            }
            (None, Some(region)) => Some(Endpoint {
                url: region_of(region).base_url().to_owned(),
                source: "--region".into(),
            }),
            (None, None) => match environment.get("CELIGO_BASE_URL") {
                Some(url) => Some(Endpoint {
                    url: validate_endpoint(url)
                        .map_err(|error| error.context("`CELIGO_BASE_URL`"))?,
                    source: "CELIGO_BASE_URL".into(),
                }),
                None => None,
            },
        };
        let token = match (global.token_file, environment.get("CELIGO_API_TOKEN")) {
            (Some(path), _) => TokenSource::File(path),
            (None, Some(token)) => TokenSource::Environment(SecretString::from(token.to_owned())),
            (None, None) => TokenSource::None,
        };
        let paths = if global.files.is_empty() { vec![PathBuf::from(".")] } else { global.files };
        Ok(Settings {
            command,
            paths,
            env: global.env,
            vars: global.vars,
            state: global.state,
            endpoint,
            color,
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
            secrets,
            environment: ProcessEnvironment::Process,
        }
    }

    /// The endpoint and state after the environment file: flags and environment variables win
    /// over the file, the file over the defaults (North America, `.flowform/state.json` in the
    /// spec root, or `.flowform/NAME.state.json` with `--env NAME`).
    pub fn target(
        &self,
        root: &Path,
        file: Option<&EnvironmentSettings>,
    ) -> Result<Target, UserError> {
        let endpoint = match (&self.endpoint, file) {
            (Some(endpoint), _) => endpoint.clone(),
            (None, Some(EnvironmentSettings { endpoint: Some(url), file, .. })) => Endpoint {
                url: validate_endpoint(url).map_err(|error| {
                    error.context(&format!("`endpoint` in `{}`", file.display()))
                })?,
                source: file.display().to_string(),
            },
            (None, Some(EnvironmentSettings { region: Some(region), file, .. })) => {
                Endpoint { url: region.base_url().to_owned(), source: file.display().to_string() }
            }
            (None, _) => {
                Endpoint { url: Region::Na.base_url().to_owned(), source: "default".into() }
            }
        };
        let state_text = self.state.as_deref().or(file.and_then(|file| file.state.as_deref()));
        let state = match state_text {
            Some("integrator") => StateLocation::Integrator,
            Some(path) => StateLocation::File(root.join(path)),
            None => {
                let name = match &self.env {
                    Some(env) => format!("{env}.state.json"),
                    None => "state.json".to_owned(),
                };
                StateLocation::File(root.join(".flowform").join(name))
            }
        };
        Ok(Target { endpoint, state })
    }
}

fn region_of(region: RegionArg) -> Region {
    match region {
        RegionArg::Na => Region::Na,
        RegionArg::Eu => Region::Eu,
    }
}

/// Checks an endpoint URL: `https://`, or plain `http://` only on a loopback address; no
/// credentials in the URL. Returns it without a trailing slash.
pub fn validate_endpoint(url: &str) -> Result<String, UserError> {
    let invalid = |message: String, hint: &str| UserError::new(message).with_hint(hint);
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| {
        invalid(
            format!("endpoint `{url}` is not a URL"),
            "write the API base URL, such as `https://api.integrator.io`",
        )
    })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(
            format!("endpoint `{}` holds credentials", redact_userinfo(trimmed)),
            "remove them from the URL; the token comes from CELIGO_API_TOKEN or --token-file",
        ));
    }
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(invalid(
            format!("endpoint `{url}` has no host"),
            "write a URL such as `https://api.integrator.io`",
        ));
    }
    match scheme {
        "https" => Ok(trimmed.to_owned()),
        "http" if is_loopback(host) => Ok(trimmed.to_owned()),
        "http" => Err(invalid(
            format!("endpoint `{trimmed}` uses plain http on a non-loopback host"),
            "use https://; plain http:// is allowed only on a loopback address (127.0.0.1, ::1, localhost), as for an emulator",
        )),
        other => Err(invalid(
            format!("endpoint `{url}` has the scheme `{other}`"),
            "use https://, or http:// on a loopback address",
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "::1" {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4 && parts[0] == "127" && parts.iter().all(|part| part.parse::<u8>().is_ok())
}

fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://(redacted)@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
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

    #[test]
    fn endpoint_precedence_flags_then_environment_then_file() {
        let file = EnvironmentSettings {
            name: "prod".into(),
            file: PathBuf::from("environments/prod.yaml"),
            endpoint: None,
            region: Some(Region::Eu),
            state: Some("integrator".into()),
        };
        let root = Path::new("/spec");

        let plain = settings(&["validate"], &[], false).unwrap();
        let target = plain.target(root, None).unwrap();
        assert_eq!(target.endpoint.url, "https://api.integrator.io");
        assert_eq!(target.state, StateLocation::File(PathBuf::from("/spec/.flowform/state.json")));
        let target = plain.target(root, Some(&file)).unwrap();
        assert_eq!(target.endpoint.url, "https://api.eu.integrator.io");
        assert_eq!(target.state, StateLocation::Integrator);

        let from_variable =
            settings(&["validate"], &[("CELIGO_BASE_URL", "http://127.0.0.1:9000/")], false)
                .unwrap();
        let target = from_variable.target(root, Some(&file)).unwrap();
        assert_eq!(target.endpoint.url, "http://127.0.0.1:9000");
        assert_eq!(target.endpoint.source, "CELIGO_BASE_URL");

        let flags = settings(
            &["validate", "--region", "na", "--state", "custom.json", "--env", "prod"],
            &[("CELIGO_BASE_URL", "https://other.example")],
            false,
        )
        .unwrap();
        let target = flags.target(root, Some(&file)).unwrap();
        assert_eq!(target.endpoint.url, "https://api.integrator.io");
        assert_eq!(target.state, StateLocation::File(PathBuf::from("/spec/custom.json")));

        let env_only = settings(&["validate", "--env", "prod"], &[], false).unwrap();
        let no_state = EnvironmentSettings { state: None, ..file };
        assert_eq!(
            env_only.target(root, Some(&no_state)).unwrap().state,
            StateLocation::File(PathBuf::from("/spec/.flowform/prod.state.json"))
        );
    }

    #[test]
    fn endpoints_are_checked() {
        assert_eq!(
            validate_endpoint("https://api.integrator.io/").unwrap(),
            "https://api.integrator.io"
        );
        assert!(validate_endpoint("http://localhost:8080").is_ok());
        assert!(validate_endpoint("http://[::1]:8080").is_ok());
        assert!(validate_endpoint("http://127.0.0.2").is_ok());
        let error = validate_endpoint("http://api.integrator.io").unwrap_err();
        assert!(error.hint.as_deref().unwrap().contains("loopback"));
        assert!(validate_endpoint("ftp://x").is_err());
        assert!(validate_endpoint("api.integrator.io").is_err());
        assert!(validate_endpoint("https://").is_err());
        let error = validate_endpoint("https://user:hunter2@api.integrator.io").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(settings(&["validate", "--endpoint", "http://example.com"], &[], false).is_err());
        assert!(
            settings(&["validate"], &[("CELIGO_BASE_URL", "http://example.com")], false).is_err()
        );
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
