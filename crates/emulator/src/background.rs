//! An emulator on its own thread with its own tokio runtime, for synchronous tests (for
//! example CLI end-to-end tests that run the binary against it).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::admin::Admin;
use crate::config::EmulatorConfig;
use crate::error::StartError;
use crate::server::start;

/// A running emulator owned by a background thread; dropping it shuts the emulator down
/// gracefully (flushing its data file) and joins the thread.
#[derive(Debug)]
pub struct BackgroundEmulator {
    url: String,
    admin: Admin,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundEmulator {
    /// Starts an emulator on `127.0.0.1` with a free port.
    pub fn start(config: EmulatorConfig) -> Result<Self, StartError> {
        Self::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Starts an emulator on the given address.
    pub fn start_on(config: EmulatorConfig, addr: SocketAddr) -> Result<Self, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("flowform-emulator")
            .enable_all()
            .build()
            .map_err(|source| StartError::Runtime { source })?;
        let (started_sender, started_receiver) = mpsc::channel();
        let (stop_sender, stop_receiver) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("flowform-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match start(config, addr).await {
                        Ok(handle) => {
                            let _ = started_sender.send(Ok((handle.url(), handle.admin())));
                            let _ = stop_receiver.await;
                            handle.shutdown().await;
                        }
                        Err(error) => {
                            let _ = started_sender.send(Err(error));
                        }
                    }
                });
            })
            .map_err(|source| StartError::Runtime { source })?;
        let started = started_receiver.recv().map_err(|_| StartError::Runtime {
            source: std::io::Error::other("the emulator thread stopped before it started"),
        });
        match started {
            Ok(Ok((url, admin))) => {
                Ok(Self { url, admin, stop: Some(stop_sender), thread: Some(thread) })
            }
            Ok(Err(error)) | Err(error) => {
                let _ = thread.join();
                Err(error)
            }
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The in-process admin controls of the first account.
    pub fn admin(&self) -> Admin {
        self.admin.clone()
    }
}

impl Drop for BackgroundEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
