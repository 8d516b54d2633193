//! Logging for the commands that log (`serve`, `worker`, the `cluster` commands): to
//! standard error, filtered by `NURTURE_LOG`.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for a person.
    Human,
    /// One JSON object a line.
    Json,
}

/// Logs to standard error, filtered by `NURTURE_LOG`, else at `default` ("info" for the
/// services, "warn" for commands that end by themselves).
pub fn init_logs(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NURTURE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Human => logs.try_init(),
        LogFormat::Json => logs.json().try_init(),
    };
}
