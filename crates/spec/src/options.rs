//! What [`load`](crate::load) reads and how: the inputs, the environment and the secret policy.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// How a missing secret (`${secret.NAME}` whose environment variable is unset) is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretPolicy {
    /// A missing secret is a warning; the value stays unresolved. `validate` uses this.
    #[default]
    Offline,
    /// A missing secret is an error. `plan` and `apply` use this.
    Required,
}

/// Where `${env.NAME}` and `${secret.NAME}` are read from.
#[derive(Clone, Default)]
pub enum ProcessEnvironment {
    /// The real process environment.
    #[default]
    Process,
    /// A fixed set of variables, for tests.
    Fixed(BTreeMap<String, String>),
}

/// An environment variable that is set but is not valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnicode;

impl ProcessEnvironment {
    /// The value of the variable `name`, `None` when it is unset.
    pub fn get(&self, name: &str) -> Result<Option<String>, NotUnicode> {
        match self {
            ProcessEnvironment::Process => match std::env::var(name) {
                Ok(value) => Ok(Some(value)),
                Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => Err(NotUnicode),
            },
            ProcessEnvironment::Fixed(variables) => Ok(variables.get(name).cloned()),
        }
    }
}

impl fmt::Debug for ProcessEnvironment {
    // Values may be secrets: show only the names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessEnvironment::Process => f.write_str("Process"),
            ProcessEnvironment::Fixed(variables) => {
                f.debug_tuple("Fixed").field(&variables.keys().collect::<Vec<_>>()).finish()
            }
        }
    }
}

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Files or directories (`-f`). Directories are read recursively for `*.yaml`/`*.yml` in
    /// sorted path order, skipping `environments/` and dot-folders.
    pub paths: Vec<PathBuf>,
    /// `--env NAME`: read `environments/NAME.yaml` under the spec root.
    pub env: Option<String>,
    /// `--var NAME=VALUE`, in command-line order (a later one wins). Values are read as YAML
    /// scalars (`true`, `20`, `"quoted text"`).
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`, in command-line order (a later one wins; `--var` wins over all):
    /// YAML mappings of variables.
    pub var_files: Vec<PathBuf>,
    /// How missing secrets are treated.
    pub secrets: SecretPolicy,
    /// Where environment variables and secrets are read from.
    pub environment: ProcessEnvironment,
    /// `--strict`: every warning is reported as an error.
    pub strict: bool,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            paths: vec![PathBuf::from(".")],
            env: None,
            vars: Vec::new(),
            var_files: Vec::new(),
            secrets: SecretPolicy::Offline,
            environment: ProcessEnvironment::Process,
            strict: false,
        }
    }
}
