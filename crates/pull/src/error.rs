//! Errors of a pull and of writing its files.

use std::path::PathBuf;

use flowform_model::Address;

/// Why a pull failed. Nothing has been written when it does.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// Listing the account failed.
    #[error("cannot read the account")]
    Read(#[source] Box<flowform_api::Error>),
    /// Reading a script's content failed.
    #[error("cannot read the content of script `{name}` (`{id}`)")]
    ReadScript {
        /// The script's id.
        id: String,
        /// Its name.
        name: String,
        /// The cause.
        #[source]
        source: Box<flowform_api::Error>,
    },
    /// `--integration` names no integration.
    #[error("no integration has the id or name `{selector}`{}", known_list(.known))]
    UnknownIntegration {
        /// As given.
        selector: String,
        /// The account's integration names, quoted and comma-separated.
        known: String,
    },
    /// `--integration` names several integrations.
    #[error("several integrations are named `{selector}` ({ids}); pass the id of the one to pull")]
    AmbiguousIntegration {
        /// As given.
        selector: String,
        /// Their ids, quoted and comma-separated.
        ids: String,
    },
    /// A lookup cache's entries could not be staged in a temporary file.
    #[error("cannot stage a lookup cache's data: {0}")]
    Stage(String),
    /// A resource body could not be written as YAML.
    #[error("cannot write `{address}` as YAML")]
    Emit {
        /// The resource.
        address: Address,
        /// Why.
        #[source]
        source: flowform_spec::EmitError,
    },
}

fn known_list(known: &str) -> String {
    if known.is_empty() {
        "; the account has no integrations".to_owned()
    } else {
        format!("; the account has {known}")
    }
}

/// Why the pulled files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output folder holds files and `force` was not given.
    #[error("the output folder `{}` is not empty (it holds {entries})", path.display())]
    NotEmpty {
        /// The folder.
        path: PathBuf,
        /// Some of its entries, quoted and comma-separated.
        entries: String,
    },
    /// The output path exists and is not a folder.
    #[error("the output path `{}` is not a folder", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A pulled file's path would leave the output folder (a bug, never user input).
    #[error("the pulled file path `{}` is not a plain relative path", path.display())]
    UnsafePath {
        /// The path.
        path: PathBuf,
    },
    /// A file-system operation failed (the message names the path).
    #[error("cannot write the pulled files")]
    Io(#[source] std::io::Error),
}

impl WriteError {
    /// A remedy to print under the error, when there is one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            WriteError::NotEmpty { .. } => Some(
                "pull into a new folder, or pass `--force` to replace the spec files there (environment files, `.flowform/` and other files are kept)",
            ),
            _ => None,
        }
    }
}
