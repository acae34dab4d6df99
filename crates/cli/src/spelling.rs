//! Terraform habits on our command line: `plan -detailed-exitcode`, `apply -auto-approve`,
//! `-var name=value`, `-out=plan.json`. Terraform writes long options with one dash; clap reads
//! `-detailed-exitcode` as a cluster of short options and fails with a message that points
//! nowhere useful, and reads `-file x` as `-f ile` without failing at all. So before clap parses,
//! a one-dash spelling of a long option of the command being run is answered with its two-dash
//! form (exit 64). Only spellings that name a real long option of that command (its own or a
//! global one) are answered; anything else is left to clap.

use std::ffi::OsString;

use clap::CommandFactory;

use crate::args::Cli;
use crate::error::UserError;

/// A one-dash spelling found on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleDash {
    /// The argument as written, such as `-out=plan.json`.
    pub written: String,
    /// The long option it names, such as `out`.
    pub long: String,
}

/// The error for the command line `args` (the program name first), when it holds one-dash
/// spellings of long options.
pub fn check(args: &[OsString]) -> Option<UserError> {
    let mut command = Cli::command();
    command.build();
    let (path, found) = find(&command, args);
    if found.is_empty() {
        return None;
    }
    let corrections: Vec<String> = found
        .iter()
        .map(|single| format!("`{}` is `-{}`", single.written, single.written))
        .collect();
    let options = if found.len() == 1 { "this option" } else { "these options" };
    Some(
        UserError::new(format!(
            "flowform's long options take two dashes: {}",
            corrections.join(", ")
        ))
        .with_hint(format!(
            "write {options} with `--`, as in `{} --{}`; `{} --help` lists the options",
            path.join(" "),
            found[0].long,
            path.join(" ")
        )),
    )
}

/// Walks `args` through `command`'s subcommands and returns the command path (`flowform plan`)
/// and the one-dash spellings of long options of the commands on it.
pub fn find(command: &clap::Command, args: &[OsString]) -> (Vec<String>, Vec<SingleDash>) {
    let mut current = command;
    let mut path = vec![command.get_name().to_owned()];
    let mut found = Vec::new();
    let mut tokens = args.iter().skip(1);
    while let Some(token) = tokens.next() {
        let Some(token) = token.to_str() else { continue };
        if token == "--" {
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            // `--out FILE`: the next token is a value, never an option or a command name.
            if !long.contains('=')
                && takes_value(current.get_arguments().find(|arg| arg.get_long() == Some(long)))
            {
                tokens.next();
            }
            continue;
        }
        if let Some(rest) = token.strip_prefix('-') {
            let name = rest.split_once('=').map_or(rest, |(name, _)| name);
            if name.chars().count() > 1 && has_long(current, name) {
                found.push(SingleDash { written: token.to_owned(), long: name.to_owned() });
                continue;
            }
            // `-f PATH`: a short option whose value is the next token.
            let mut chars = rest.chars();
            if let (Some(short), None) = (chars.next(), chars.next())
                && takes_value(current.get_arguments().find(|arg| arg.get_short() == Some(short)))
            {
                tokens.next();
            }
            continue;
        }
        if let Some(subcommand) = current.find_subcommand(token) {
            current = subcommand;
            path.push(subcommand.get_name().to_owned());
        }
    }
    (path, found)
}

fn has_long(command: &clap::Command, name: &str) -> bool {
    command.get_arguments().any(|arg| {
        arg.get_long() == Some(name)
            || arg.get_all_aliases().is_some_and(|aliases| aliases.contains(&name))
    })
}

fn takes_value(arg: Option<&clap::Arg>) -> bool {
    arg.is_some_and(|arg| arg.get_action().takes_values())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spellings(line: &str) -> (String, Vec<String>) {
        let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
        let mut command = Cli::command();
        command.build();
        let (path, found) = find(&command, &args);
        (path.join(" "), found.into_iter().map(|single| single.written).collect())
    }

    #[test]
    fn terraform_spellings_are_found() {
        assert_eq!(
            spellings("flowform plan -detailed-exitcode -out=plan.json"),
            ("flowform plan".into(), vec!["-detailed-exitcode".into(), "-out=plan.json".into()])
        );
        assert_eq!(
            spellings("flowform apply -auto-approve -var x=1 -target flow.a"),
            (
                "flowform apply".into(),
                vec!["-auto-approve".into(), "-var".into(), "-target".into()]
            )
        );
        // Global options are options of every command; `-file` would otherwise be `-f ile`.
        assert_eq!(spellings("flowform -file spec validate").1, ["-file"]);
        assert_eq!(spellings("flowform state list -format json").0, "flowform state list");
        assert_eq!(spellings("flowform state list -format json").1, ["-format"]);
    }

    #[test]
    fn only_real_long_options_of_the_command_are_answered() {
        // `validate` has no `--out`; clap answers that one.
        assert!(spellings("flowform validate -out x").1.is_empty());
        // Short options and their clusters stay short options.
        assert!(spellings("flowform plan -vv -q -f spec.yaml").1.is_empty());
        // A value is never an option, nor is anything after `--`.
        assert!(spellings("flowform -f -out plan").1.is_empty());
        assert!(spellings("flowform plan --out -detailed-exitcode").1.is_empty());
        assert!(spellings("flowform plan -- -out").1.is_empty());
        // A value that names a command is not one.
        assert_eq!(spellings("flowform --env plan validate").0, "flowform validate");
    }

    #[test]
    fn the_message_names_the_two_dash_form() {
        let args: Vec<OsString> =
            ["flowform", "apply", "-auto-approve"].into_iter().map(OsString::from).collect();
        let error = check(&args).unwrap();
        assert_eq!(
            error.message,
            "flowform's long options take two dashes: `-auto-approve` is `--auto-approve`"
        );
        assert_eq!(
            error.hint.as_deref(),
            Some(
                "write this option with `--`, as in `flowform apply --auto-approve`; `flowform apply --help` lists the options"
            )
        );
        let plain: Vec<OsString> =
            ["flowform", "apply", "--auto-approve"].into_iter().map(OsString::from).collect();
        assert!(check(&plain).is_none());
    }
}
