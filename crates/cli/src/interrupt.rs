//! Ctrl-C during work that must end cleanly (apply, destroy): the first Ctrl-C sets a stop flag
//! the executor polls (it schedules nothing new, lets requests in flight finish and saves the
//! state; the command then exits 130); a second Ctrl-C exits at once.
//!
//! The watcher is installed only once the work starts: installing a handler replaces the
//! default "terminate on SIGINT" for the rest of the process, which must stay in force while a
//! confirmation prompt blocks on stdin.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::JoinHandle;

use crate::exit::ExitStatus;
use crate::printer::Printer;

/// A running Ctrl-C watcher and its stop flag.
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    watcher: JoinHandle<()>,
}

impl Interrupt {
    /// Starts watching for Ctrl-C.
    pub fn watch(printer: &Printer) -> Interrupt {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let printer = printer.clone();
        let watcher = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                // No signal handling on this platform: Ctrl-C keeps its default effect.
                return;
            }
            flag.store(true, Ordering::SeqCst);
            printer.warning(
                "interrupted: starting nothing new, letting requests in flight finish and saving the state (press Ctrl-C again to stop at once)",
            );
            if tokio::signal::ctrl_c().await.is_ok() {
                printer.error_line(
                    "interrupted twice: stopping at once; run the command again to converge",
                );
                std::process::exit(i32::from(ExitStatus::Interrupted.code()));
            }
        });
        Interrupt { stop, watcher }
    }

    /// The flag the executor polls.
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// Whether Ctrl-C was pressed.
    pub fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}
