//! flowsh: a Junos-style network OS shell.

mod check_files;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "flowsh", version, about = "A Junos-style network OS shell")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Commit-check configuration files (brace or set form) without running them.
    ///
    /// Prints every error, Junos style, with FILE:LINE:(COL); exits 0 only if every file checks.
    Check {
        /// Configuration files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files } => {
            let mut out = std::io::stdout().lock();
            match check_files::run(&files, &mut out) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
