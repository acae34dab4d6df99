//! The command line, as clap structs. No logic here: `settings.rs` turns these into `Settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Declarative GitOps deployments for Celigo integrator.io.
#[derive(Debug, Parser)]
#[command(name = "flowform", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Options every command reads.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command reads (PRODUCT.md §3). They may be written before or after the
/// command name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// A spec file or directory; repeatable. Directories are read recursively for *.yaml and
    /// *.yml, skipping environments/ and dot-folders [default: .]
    #[arg(short = 'f', long = "file", value_name = "PATH", global = true)]
    pub files: Vec<PathBuf>,

    /// Read environments/NAME.yaml under the spec root (variables, endpoint, region, state).
    #[arg(long, value_name = "NAME", global = true)]
    pub env: Option<String>,

    /// Set a variable, overriding `variables:` and the environment file; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_variable, global = true)]
    pub vars: Vec<(String, String)>,

    /// Where the state is kept: a file path, or `integrator` for the account's State API.
    #[arg(long, value_name = "LOCATION", global = true)]
    pub state: Option<String>,

    /// The integrator.io API base URL [env: CELIGO_BASE_URL].
    #[arg(long, value_name = "URL", global = true, conflicts_with = "region")]
    pub endpoint: Option<String>,

    /// The integrator.io data center.
    #[arg(long, value_enum, value_name = "REGION", global = true)]
    pub region: Option<RegionArg>,

    /// When to use colour; `auto` honours NO_COLOR and uses colour only on a terminal.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, global = true)]
    pub color: ColorArg,

    /// Print only errors and data.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail; repeatable.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Read the API token from this file instead of CELIGO_API_TOKEN.
    #[arg(long, value_name = "PATH", global = true)]
    pub token_file: Option<PathBuf>,
}

/// `--region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    /// North America (api.integrator.io).
    Na,
    /// Europe (api.eu.integrator.io).
    Eu,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the spec offline: parse, resolve and check; report every problem at once.
    Validate,
    /// Print the JSON Schema of the spec language (for editors).
    Schema,
}

/// Parses `NAME=VALUE`.
fn parse_variable(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn variables_parse() {
        assert_eq!(parse_variable("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_variable("a="), Ok(("a".into(), String::new())));
        assert!(parse_variable("a").is_err());
        assert!(parse_variable("=b").is_err());
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from([
            "flowform", "validate", "-f", "a.yaml", "--file", "b", "--var", "x=1", "-q",
        ])
        .unwrap();
        assert_eq!(cli.global.files, [PathBuf::from("a.yaml"), PathBuf::from("b")]);
        assert_eq!(cli.global.vars, [("x".to_owned(), "1".to_owned())]);
        assert!(cli.global.quiet);
        let cli =
            Cli::try_parse_from(["flowform", "-f", "a.yaml", "--env", "prod", "validate"]).unwrap();
        assert_eq!(cli.global.files, [PathBuf::from("a.yaml")]);
        assert_eq!(cli.global.env.as_deref(), Some("prod"));
        assert!(Cli::try_parse_from(["flowform", "validate", "-q", "-v"]).is_err());
        assert!(
            Cli::try_parse_from(["flowform", "validate", "--endpoint", "x", "--region", "eu"])
                .is_err()
        );
    }
}
