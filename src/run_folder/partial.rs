//! The `<dir>.partial` folder a run or sweep folder is written to, the registry of
//! those being written, and the Ctrl-C / SIGTERM handler that removes them.

use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// `<dir>.partial`: where a folder is written before it is renamed to `dir`.
pub fn partial_path(dir: &Path) -> PathBuf {
    let mut name = dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    dir.with_file_name(name)
}

// ------------------------------------------------------- partial folders

/// The `.partial` folders this process is writing (the one registry, used by
/// backtest's run folder and the sweep folder). Creating, committing and
/// removing a partial folder happen under its lock, and the interrupt
/// handler keeps the lock until the process exits, so no folder appears or
/// moves into place after the handler has removed them.
static PARTIALS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn partials() -> MutexGuard<'static, Vec<PathBuf>> {
    PARTIALS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes a folder that other threads may still be writing files into
/// (they cannot create folders meanwhile: that needs the registry's lock).
fn remove_busy_dir(path: &Path) {
    for _ in 0..100 {
        if !path.exists() || std::fs::remove_dir_all(path).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A folder written as `<dir>.partial` and renamed to `<dir>` by
/// [`PartialDir::commit`]; dropped without a commit (an error, a panic) it is
/// removed. While it exists it is registered, so an interrupt (see
/// [`remove_partials_on_interrupt`]) removes it too.
#[derive(Debug)]
pub struct PartialDir {
    tmp: PathBuf,
    dir: PathBuf,
}

impl PartialDir {
    /// Creates an empty `<dir>.partial` (a stale one from an earlier run is
    /// replaced) and registers it.
    pub fn create(dir: &Path) -> Result<PartialDir> {
        let tmp = partial_path(dir);
        let mut registry = partials();
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        registry.push(tmp.clone());
        Ok(PartialDir {
            tmp,
            dir: dir.to_path_buf(),
        })
    }

    /// The folder to write into (`<dir>.partial`).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Moves the folder into place: an existing `<dir>` is replaced.
    pub fn commit(self) -> Result<()> {
        let mut registry = partials();
        let moved = (|| {
            if self.dir.exists() {
                std::fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
            }
            std::fs::rename(&self.tmp, &self.dir).map_err(|e| Error::io(&self.dir, e))
        })();
        if moved.is_ok() {
            registry.retain(|p| *p != self.tmp);
        }
        drop(registry);
        // On success the drop finds nothing left to remove; on failure it removes the partial folder.
        moved
    }
}

impl Drop for PartialDir {
    fn drop(&mut self) {
        let mut registry = partials();
        if let Some(k) = registry.iter().position(|p| *p == self.tmp) {
            let _ = std::fs::remove_dir_all(&self.tmp);
            registry.remove(k);
        }
    }
}

/// Installs the SIGINT/SIGTERM (Ctrl-C) handler of the binary: it removes
/// every `.partial` folder the process is writing, says so on stderr and
/// exits with code 130. Errors when a handler is already installed.
pub fn remove_partials_on_interrupt() -> Result<()> {
    ctrlc::set_handler(|| {
        // Kept until exit: no partial folder is created or renamed after this.
        let registry = partials();
        // Outer folders were registered first: removing one removes the partial folders inside it.
        let mut removed = Vec::new();
        for p in registry.iter().filter(|p| p.exists()) {
            remove_busy_dir(p);
            removed.push(p.display().to_string());
        }
        if removed.is_empty() {
            eprintln!("interrupted");
        } else {
            eprintln!("interrupted: removed {}", removed.join(", "));
        }
        std::process::exit(130);
    })
    .map_err(|e| Error::Run(format!("cannot install the Ctrl-C handler: {e}")))
}
