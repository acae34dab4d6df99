//! Command-line usage errors exit 64, so 2 always means "changes present".

use crate::support::TestContext;

#[test]
fn usage_errors_exit_64() {
    let context = TestContext::new();
    cli_snapshot!(context, context.flowform().args(["state", "mv", "flow.a"]), @"
    exit_code: 64
    ----- stdout -----

    ----- stderr -----
    error: the following required arguments were not provided:
      <TO>

    Usage: flowform state mv <FROM> <TO>

    For more information, try '--help'.
    ");
    for arguments in [
        &["state"][..],
        &["run"],
        &["import", "flow.a"],
        &["state", "list", "--format", "xml"],
        &["state", "list", "--sandbox", "--region", "eu"],
        &["run", "flow.a", "--timeout", "soon"],
        &["emulator", "serve", "--addr", "nowhere"],
    ] {
        let (code, rendered) = context.run(context.flowform().args(arguments));
        assert_eq!(code, 64, "{arguments:?}: {rendered}");
    }
}

#[test]
fn help_lists_global_options_under_their_own_heading() {
    let context = TestContext::new();
    cli_snapshot!(context, context.flowform().args(["state", "list", "-h"]), @"
    exit_code: 0
    ----- stdout -----
    List the managed addresses and their live ids

    Usage: flowform state list [OPTIONS]

    Options:
          --format <FORMAT>  Output format [default: human] [possible values: human, json]
      -h, --help             Print help (see more with '--help')
      -V, --version          Print version

    Global options:
      -f, --file <PATH>             A spec file or directory; repeatable. Directories are read
                                    recursively for *.yaml and *.yml, skipping environments/,
                                    dot-folders, .flowformignore matches and YAML that holds no spec
                                    section [default: .]
          --env <NAME>              Read environments/NAME.yaml under the spec root (variables,
                                    endpoint, region, state)
          --var <NAME=VALUE>        Set a declared variable, overriding every other source; repeatable.
                                    The value is a YAML scalar (`true`, `20`); quote it to keep text
          --var-file <FILE>         Read variables from a YAML mapping, overriding `variables:` and the
                                    environment file; repeatable, a later file wins
          --state <LOCATION>        Where the state is kept: a file path, or `integrator` for the
                                    account's State API
          --endpoint <URL>          The integrator.io API base URL [env: CELIGO_BASE_URL]
          --region <REGION>         The integrator.io data center [possible values: na, eu]
          --color <WHEN>            When to use colour; `auto` honours NO_COLOR and uses colour only on
                                    a terminal [default: auto] [possible values: auto, always, never]
      -q, --quiet                   Print only errors and data
      -v, --verbose...              Print more detail; repeatable
          --token-file <PATH>       Read the API token from this file instead of CELIGO_API_TOKEN
          --sandbox                 Use the local sandbox (an embedded emulator whose data lives in
                                    .flowform/sandbox.json), even when a token is set or CI is set.
                                    Without a token and an endpoint, the sandbox is used anyway, except
                                    in CI
          --lock-timeout <SECONDS>  Seconds to wait for a state lock held by another flowform before
                                    failing [default: 0]

    ----- stderr -----
    ");
    // Every command's own options come first, under `Options:`.
    for command in [&["plan"][..], &["apply"], &["run"], &["pull"], &["emulator", "serve"]] {
        let output = context.flowform().args(command).arg("--help").output().expect("runs");
        let help = String::from_utf8_lossy(&output.stdout);
        let own = help.find("\nOptions:\n").expect("an Options heading");
        let global = help.find("\nGlobal options:\n").expect("a Global options heading");
        assert!(own < global, "{command:?}:\n{help}");
        assert!(!help[own..global].contains("--lock-timeout"), "{command:?}:\n{help}");
    }
}

#[test]
fn terraform_one_dash_spellings_are_answered_with_two_dashes() {
    let context = TestContext::new();
    cli_snapshot!(context, context.flowform().args(["plan", "-detailed-exitcode"]), @"
    exit_code: 64
    ----- stdout -----

    ----- stderr -----
    error: flowform's long options take two dashes: `-detailed-exitcode` is `--detailed-exitcode`
    hint: write this option with `--`, as in `flowform plan --detailed-exitcode`; `flowform plan --help` lists the options
    ");
    let mut apply = context.flowform();
    apply.args(["apply", "-auto-approve", "-target", "flow.a", "-var=x=1"]);
    cli_snapshot!(context, &mut apply, @"
    exit_code: 64
    ----- stdout -----

    ----- stderr -----
    error: flowform's long options take two dashes: `-auto-approve` is `--auto-approve`, `-target` is `--target`, `-var=x=1` is `--var=x=1`
    hint: write these options with `--`, as in `flowform apply --auto-approve`; `flowform apply --help` lists the options
    ");
    for arguments in [
        &["plan", "-out", "plan.json"][..],
        &["-file", "spec", "validate"],
        &["state", "list", "-format", "json"],
    ] {
        let (code, rendered) = context.run(context.flowform().args(arguments));
        assert_eq!(code, 64, "{arguments:?}: {rendered}");
        assert!(rendered.contains("long options take two dashes"), "{arguments:?}: {rendered}");
    }
    // A spelling that is no option of the command stays clap's to answer.
    let (code, rendered) = context.run(context.flowform().args(["validate", "-out", "x"]));
    assert_eq!(code, 64, "{rendered}");
    assert!(!rendered.contains("two dashes"), "{rendered}");
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    let context = TestContext::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = context.flowform().args(["completions", shell]).output().expect("runs");
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for word in ["flowform", "plan", "apply", "destroy", "detailed-exitcode", "completions"] {
            assert!(script.contains(word), "{shell} completions lack `{word}`");
        }
        assert!(output.stderr.is_empty(), "{shell}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let (code, rendered) = context.run(context.flowform().args(["completions", "tcsh"]));
    assert_eq!(code, 64, "{rendered}");
    // They need no valid environment: a shell's startup file runs them.
    let output = context
        .flowform()
        .env("CELIGO_BASE_URL", "ftp://nowhere")
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn the_man_page_renders_for_flowform_and_each_command() {
    let context = TestContext::new();
    let output = context.flowform().arg("man").output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.starts_with(".ie ") || page.starts_with(".TH"), "{page}");
    for needle in [
        ".TH flowform 1",
        ".SH NAME",
        ".SH SUBCOMMANDS",
        "flowform\\-plan",
        ".SH \"GLOBAL OPTIONS\"",
    ] {
        assert!(page.contains(needle), "the page lacks `{needle}`:\n{page}");
    }
    let output = context.flowform().args(["man", "state", "mv"]).output().expect("runs");
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.contains(".TH flowform-state-mv 1"), "{page}");
    assert!(page.contains("Rebind the live resource"), "{page}");
    cli_snapshot!(context, context.flowform().args(["man", "plan", "nope"]), @"
    exit_code: 64
    ----- stdout -----

    ----- stderr -----
    error: `flowform plan` has no command `nope`
    hint: `flowform man plan` is its page
    ");
}
