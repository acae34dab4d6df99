//! `flowform emulator serve`: the integrator.io emulator in the foreground. The first line of
//! stdout is its URL (scripts read it); it runs until Ctrl-C, then finishes open requests and
//! writes its data file, and exits 0 (Ctrl-C is how a server is meant to stop).

use flowform_emulator::ServeOptions;

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;

pub async fn serve(
    _settings: &Settings,
    printer: &Printer,
    options: &ServeOptions,
) -> anyhow::Result<ExitStatus> {
    let handle = flowform_emulator::serve(options)
        .await
        .map_err(|error| anyhow::Error::new(error).context("cannot start the emulator"))?;
    printer.data(&format!("{}\n", handle.url()));
    let accounts = options.tokens.len().max(1);
    let data = match &options.data_file {
        Some(path) => format!("data in `{}`", path.display()),
        None => "data in memory only".to_owned(),
    };
    printer.status(&format!(
        "the integrator.io emulator is serving {accounts} account{} ({data}{}); press Ctrl-C to stop",
        if accounts == 1 { "" } else { "s" },
        if options.admin { ", admin API on" } else { "" },
    ));
    handle
        .run_until_ctrl_c()
        .await
        .map_err(|error| anyhow::Error::new(error).context("cannot wait for Ctrl-C"))?;
    printer.status("the emulator stopped");
    Ok(ExitStatus::Success)
}
