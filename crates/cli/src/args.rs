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

/// The help heading of [`GlobalArgs`]: every subcommand's help lists its own options under
/// `Options:` and these apart, so they do not bury the command's own.
pub const GLOBAL_HEADING: &str = "Global options";

/// Options every command reads (PRODUCT.md §3). They may be written before or after the
/// command name.
#[derive(Debug, Args)]
#[command(next_help_heading = GLOBAL_HEADING)]
pub struct GlobalArgs {
    /// A spec file or directory; repeatable. Directories are read recursively for *.yaml and
    /// *.yml, skipping environments/, dot-folders, .flowformignore matches and YAML that holds
    /// no spec section [default: .]
    #[arg(short = 'f', long = "file", value_name = "PATH", global = true)]
    pub files: Vec<PathBuf>,

    /// Read environments/NAME.yaml under the spec root (variables, endpoint, region, state).
    #[arg(long, value_name = "NAME", global = true)]
    pub env: Option<String>,

    /// Set a declared variable, overriding every other source; repeatable. The value is a YAML
    /// scalar (`true`, `20`); quote it to keep text.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_variable, global = true)]
    pub vars: Vec<(String, String)>,

    /// Read variables from a YAML mapping, overriding `variables:` and the environment file;
    /// repeatable, a later file wins.
    #[arg(long = "var-file", value_name = "FILE", global = true)]
    pub var_files: Vec<PathBuf>,

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

    /// Use the local sandbox (an embedded emulator whose data lives in .flowform/sandbox.json),
    /// even when a token is set or CI is set. Without a token and an endpoint, the sandbox is
    /// used anyway, except in CI.
    #[arg(long, global = true, conflicts_with_all = ["endpoint", "region"])]
    pub sandbox: bool,

    /// Seconds to wait for a state lock held by another flowform before failing.
    #[arg(long, value_name = "SECONDS", default_value_t = 0, global = true)]
    pub lock_timeout: u64,
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
    Validate(ValidateArgs),
    /// Print the JSON Schema of the spec language (for editors).
    Schema,
    /// Print the spec's dependency graph (Mermaid or Graphviz DOT), offline; with --plan, each
    /// resource carries its planned action.
    Graph(GraphArgs),
    /// Read the account and show what apply would change (with --destroy, what destroy would
    /// delete).
    Plan(PlanArgs),
    /// Make the account match the spec (or apply a saved plan exactly).
    Apply(ApplyArgs),
    /// Delete every resource the state manages (or those --target names and what depends on
    /// them), dependents first.
    Destroy(DestroyArgs),
    /// Print a plan saved with `plan --out` (human, JSON or markdown), without the account: the
    /// file is read, not verified.
    Show(ShowArgs),
    /// Write spec files, and the state that binds them, from a live account.
    Pull(PullArgs),
    /// Start managing an existing live resource: bind ADDR (which must be in the spec) to ID.
    Import(ImportArgs),
    /// Inspect and change the state: which live resource each address is bound to.
    #[command(subcommand)]
    State(StateCommand),
    /// Run a flow now; with --wait, follow its job to the end and print its counts.
    Run(RunArgs),
    /// The integrator.io emulator (for local development and tests).
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Print a shell completion script on stdout (for example `flowform completions bash >
    /// ~/.local/share/bash-completion/completions/flowform`).
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `flowform man | man -l -`, or `flowform man plan`
    /// for one command's page; `--dir DIR` writes every page.
    Man(ManArgs),
}

/// `--format` of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Rendered diagnostics on stderr.
    Human,
    /// One JSON document on stdout: every diagnostic with file, line, column, severity and code.
    Json,
}

/// `flowform validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Treat every warning as an error (exit 1 when there is any).
    #[arg(long)]
    pub strict: bool,
    /// How to report: rendered diagnostics on stderr, or JSON on stdout (for CI annotations).
    #[arg(long, value_enum, default_value_t = ValidateFormat::Human)]
    pub format: ValidateFormat,
}

/// Options that shape a plan (shared by `plan` and `apply` without a plan file).
#[derive(Debug, Args)]
pub struct PlanShape {
    /// Limit the plan to ADDR and what it depends on; repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Plan no deletes: resources that left the spec stay managed and untouched.
    #[arg(long)]
    pub no_delete: bool,
    /// Adopt live resources of the same kind and name as unmanaged spec resources, as
    /// `lifecycle.adopt` does for one.
    #[arg(long)]
    pub adopt: bool,
    /// Plan no change to the account: show every field changed outside flowform since the last
    /// apply (the spec plays no part); applying such a plan records the account as it is in
    /// the state.
    #[arg(long, conflicts_with_all = ["targets", "no_delete", "adopt"])]
    pub refresh_only: bool,
}

/// `--format` of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// For a terminal.
    Human,
    /// The versioned JSON plan (docs/plan-format.md).
    Json,
    /// One pull-request comment.
    Markdown,
}

/// `flowform plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub shape: PlanShape,
    /// Plan what `destroy` would do: delete every managed resource, dependents first (with
    /// --target, those resources and everything that depends on them). Save it with --out and
    /// apply it with `apply FILE`.
    #[arg(long, conflicts_with_all = ["no_delete", "adopt", "refresh_only"])]
    pub destroy: bool,
    /// Save the plan to FILE for `flowform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// How to print the plan on stdout.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Exit 0 when there are no changes and 2 when there are (errors, and a plan with
    /// problems, stay 1); with `--refresh-only`, 2 when anything changed outside flowform.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Treat every spec warning as an error.
    #[arg(long)]
    pub strict: bool,
}

/// `flowform show PLANFILE`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `plan --out`.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: PathBuf,
    /// How to print the plan on stdout (`json` is the plan document exactly as `plan --format
    /// json` printed it).
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
}

/// `--format` of `apply` and `destroy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    /// The plan on stdout, progress and the summary on stderr.
    Human,
    /// One JSON event per line on stdout (docs/apply-events.md): the plan, each step started
    /// and finished, errors, the summary. stderr is unchanged.
    Json,
}

/// `--format` of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (GitHub and GitLab draw it inside markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

/// `flowform graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// How to print the graph on stdout.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// Draw only ADDR and what it depends on (as `plan --target` selects); repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// A plan saved with `plan --out`: each resource carries its planned action. The file is
    /// read, not verified against the account (that needs the account; `apply FILE` does it).
    #[arg(long, value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,
}

/// `flowform apply [PLANFILE]`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`: apply exactly it, refusing if the account, the state,
    /// the spec or a secret changed since.
    #[arg(
        value_name = "PLANFILE",
        conflicts_with_all = ["targets", "no_delete", "adopt", "refresh_only"]
    )]
    pub plan_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub shape: PlanShape,
    /// Apply without asking (required when stdin or stderr is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Steps in flight at once [default: 8, and up to 64 while the rate budget has requests to
    /// spare]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: Option<u16>,
    /// Treat every spec warning as an error (without a plan file).
    #[arg(long, conflicts_with = "plan_file")]
    pub strict: bool,
    /// What stdout gets.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
    pub format: ApplyFormat,
}

/// `flowform destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Destroy only ADDR and everything that depends on it, directly or not (what references
    /// it must go first); repeatable. ADDR must be managed by the state.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Destroy without asking (required when stdin or stderr is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Steps in flight at once [default: 8, and up to 64 while the rate budget has requests to
    /// spare]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: Option<u16>,
    /// What stdout gets.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
    pub format: ApplyFormat,
}

/// `flowform pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The folder to write the spec into. It must be new or empty unless `--force` is given;
    /// there is no default, so a pull never writes into the current folder by accident.
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Pull only this integration (a name or an id), its flows and the connections, exports,
    /// imports and scripts they use; repeatable [default: everything in the account].
    #[arg(long = "integration", value_name = "NAME|ID")]
    pub integrations: Vec<String>,
    /// Write into a folder that holds files, replacing the spec files of an earlier pull there
    /// (environment files, `.flowform/` and other files are kept), and replace a state that
    /// already manages resources.
    #[arg(long)]
    pub force: bool,
}

/// `flowform import ADDR ID`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The spec address to bind, such as `flow.nightly-sync`.
    #[arg(value_name = "ADDR")]
    pub address: String,
    /// The live `_id` of the resource.
    #[arg(value_name = "ID")]
    pub id: String,
}

/// `flowform state …`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the managed addresses and their live ids.
    List(StateListArgs),
    /// Show what the state records for one address (never field values).
    Show(StateShowArgs),
    /// Stop managing ADDR: remove it from the state; the live resource is left as it is.
    Rm(StateRmArgs),
    /// Rebind the live resource of FROM to the address TO (same kind; TO must not be managed).
    Mv(StateMvArgs),
    /// Break the state lock, whoever holds it, and print the holder. Only do this when the
    /// holder is gone (a crashed CI runner): two writers at once can lose state records.
    Unlock,
}

/// `--format` of the state commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateFormat {
    /// A table for people.
    Human,
    /// JSON for scripts.
    Json,
}

/// `flowform state list`.
#[derive(Debug, Args)]
pub struct StateListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = StateFormat::Human)]
    pub format: StateFormat,
}

/// `flowform state show ADDR`.
#[derive(Debug, Args)]
pub struct StateShowArgs {
    /// The address, such as `flow.nightly-sync`.
    #[arg(value_name = "ADDR")]
    pub address: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StateFormat::Human)]
    pub format: StateFormat,
}

/// `flowform state rm ADDR`.
#[derive(Debug, Args)]
pub struct StateRmArgs {
    /// The address to stop managing.
    #[arg(value_name = "ADDR", required = true)]
    pub addresses: Vec<String>,
}

/// `flowform state mv FROM TO`.
#[derive(Debug, Args)]
pub struct StateMvArgs {
    /// The managed address.
    #[arg(value_name = "FROM")]
    pub from: String,
    /// The new address (same kind, not managed yet).
    #[arg(value_name = "TO")]
    pub to: String,
}

/// `flowform run ADDR`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The flow: a managed address such as `flow.nightly-sync`, or a literal 24-hex flow id.
    #[arg(value_name = "ADDR")]
    pub flow: String,
    /// Follow the job to its end, print its counts, and exit 1 if it failed or had errors.
    #[arg(long)]
    pub wait: bool,
    /// With --wait, give up after this many seconds (exit 1); implies --wait.
    #[arg(long, value_name = "S")]
    pub timeout: Option<u64>,
    /// How to print the result on stdout: with --wait, the job's status, counts and errors
    /// (`human`: the first 10 errors and where to read the rest; `json`: one document with
    /// every error the API lists); without it, the job id.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
}

/// `--format` of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// `name: value` lines and the first errors, for people.
    Human,
    /// One JSON document, for scripts.
    Json,
}

/// `flowform completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `flowform man [COMMAND]… | --dir DIR`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, such as `plan` or `state list` [default: flowform]
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Instead of printing one page, write every page into DIR (created if missing):
    /// flowform.1, flowform-plan.1, flowform-state-list.1, …
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// `flowform emulator …`.
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Run the integrator.io emulator in the foreground until Ctrl-C; the first line of stdout
    /// is its URL.
    Serve(flowform_emulator::ServeOptions),
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
    use std::path::Path;

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
        assert!(
            Cli::try_parse_from(["flowform", "state", "list", "--sandbox", "--region", "eu"])
                .is_err()
        );
    }

    #[test]
    fn subcommands_parse() {
        let cli = Cli::try_parse_from(["flowform", "state", "mv", "flow.a", "flow.b"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::State(StateCommand::Mv(StateMvArgs { ref from, ref to })) if from == "flow.a" && to == "flow.b"
        ));
        let cli = Cli::try_parse_from(["flowform", "run", "flow.a", "--timeout", "5", "--sandbox"])
            .unwrap();
        assert!(cli.global.sandbox);
        assert!(matches!(cli.command, Command::Run(RunArgs { timeout: Some(5), wait: false, .. })));
        let cli = Cli::try_parse_from([
            "flowform",
            "emulator",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Emulator(EmulatorCommand::Serve(ref options)) if options.admin)
        );
        assert!(Cli::try_parse_from(["flowform", "state", "rm"]).is_err());
        let cli = Cli::try_parse_from([
            "flowform",
            "pull",
            "--out",
            "spec",
            "--integration",
            "Orders",
            "--integration",
            "0123456789abcdef01234567",
            "--state",
            "integrator",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Pull(PullArgs { ref out, ref integrations, force: false })
                if out == Path::new("spec") && integrations.len() == 2
        ));
        assert_eq!(cli.global.state.as_deref(), Some("integrator"));
        // `--out` has no default: a pull never fills the current folder by accident.
        assert!(Cli::try_parse_from(["flowform", "pull", "--force"]).is_err());
        let cli = Cli::try_parse_from([
            "flowform",
            "graph",
            "--format",
            "dot",
            "--target",
            "flow.a",
            "--target",
            "flow.b",
            "--plan",
            "plan.json",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Graph(GraphArgs { format: GraphFormat::Dot, ref targets, plan: Some(ref plan) })
                if targets.len() == 2 && plan == Path::new("plan.json")
        ));
        let cli = Cli::try_parse_from(["flowform", "graph"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Graph(GraphArgs { format: GraphFormat::Mermaid, plan: None, .. })
        ));
    }
}
