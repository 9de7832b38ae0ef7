//! The `nearhome` command line: reads the arguments, runs one subcommand, prints errors
//! with their causes and exits non-zero on failure.

mod cli;

fn main() -> std::process::ExitCode {
    cli::init_tracing();
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
