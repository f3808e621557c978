//! The `alphasim` binary: parses the command line and reports errors.

use clap::Parser;

fn main() -> std::process::ExitCode {
    alphasim::malloc::retain_freed_memory();
    // Ctrl-C / SIGTERM: remove the `.partial` folders being written, exit 130.
    if let Err(e) = alphasim::run_folder::remove_partials_on_interrupt() {
        eprintln!("warning: {e}");
    }
    let cli = alphasim::cli::Cli::parse();
    match alphasim::cli::run(cli).map_err(anyhow::Error::from) {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
