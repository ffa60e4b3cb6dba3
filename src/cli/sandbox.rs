use std::net::SocketAddr;
use std::path::PathBuf;

use super::{CliError, ExitStatus, Printer};
use crate::live::sandbox::SandboxState;
use crate::sim::{Faults, SimCredentials, SimShared};

/// `cspctl sandbox ...`
#[derive(Debug, clap::Subcommand)]
pub enum SandboxCommand {
    /// Serve a sandbox state over HTTP in the ConnectWise, Autotask and Dicker Data wire formats.
    Serve(ServeArgs),
}

/// Arguments of `cspctl sandbox serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Sandbox state file (`.yaml` or `.json`); it is read once and never written.
    #[arg(long)]
    state: PathBuf,
    /// Address to listen on (loopback only is sensible).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of responses answered 429 with Retry-After (0..1).
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// Share of responses answered 502/503/504 (0..1).
    #[arg(long, default_value_t = 0.0)]
    rate_5xx: f64,
    /// Share of responses held longer than a client timeout (0..1).
    #[arg(long, default_value_t = 0.0)]
    rate_slow: f64,
    /// Share of responses with truncated JSON (0..1).
    #[arg(long, default_value_t = 0.0)]
    rate_malformed: f64,
    /// Share of creates that land late: held past a client timeout, then carried out (0..1).
    #[arg(long, default_value_t = 0.0)]
    rate_late: f64,
    /// Seed for the fault draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Runs the simulator until Ctrl-C.
pub async fn run(cmd: SandboxCommand, printer: &Printer) -> Result<ExitStatus, CliError> {
    let SandboxCommand::Serve(args) = cmd;
    let state = SandboxState::load(&args.state).map_err(|e| CliError::new(&e))?;
    let faults = Faults {
        latency_ms: args.latency_ms,
        rate_429: args.rate_429,
        retry_after_secs: 1.0,
        rate_5xx: args.rate_5xx,
        rate_slow: args.rate_slow,
        slow_ms: 60_000,
        rate_malformed: args.rate_malformed,
        rate_late: args.rate_late,
        late_writes: 0,
        late_ms: 60_000,
        seed: args.seed,
        max_in_flight: 0,
        draws: 0,
        injected: 0,
    };
    let shared = SimShared::new(state, faults, SimCredentials::default());
    let sim = crate::sim::start(args.addr, shared).await.map_err(|e| CliError::new(&e))?;
    printer.status(&format!(
        "Simulator listening on {} (ConnectWise, Autotask, Dicker Data; GET /_sandbox/stats). Ctrl-C to stop.",
        sim.url()
    ));
    tokio::signal::ctrl_c().await.map_err(|e| CliError::new(&e))?;
    Ok(ExitStatus::Success)
}
