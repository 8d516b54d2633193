//! `nurture serve`: a campaign as a live service. Segment's HTTP tracking API in, the wall
//! clock for waits, actions out to `--out` and to HTTP receivers through a transactional
//! outbox (docs/serve.md).
//!
//! Three parts, each owning its data: `core` is one thread that owns the engine and the
//! state database (`runtime::live::Live`) and commits; `http` (axum) parses requests and
//! hands batches to the core; `deliver` (reqwest) posts outbox entries to their routes and
//! tells the core what became of them. `metrics` is shared by all three.

mod core;
mod deliver;
mod http;
mod metrics;

use crate::cli::files::{self, OutRules, StateLock};
use crate::cli::logs::{init_logs, LogFormat};
use crate::cli::run::load_program;
use crate::cli::{EXIT_OK, EXIT_USAGE};
use clap::Args;
use nurture::runtime::durable::{self, Output};
use nurture::runtime::engine::Options;
use nurture::runtime::live::{Live, LiveSetup, Reloaded};
use std::path::PathBuf;
use std::sync::Arc;

/// Run a campaign live: take Segment events over HTTP, fire waits on the wall clock, and
/// deliver actions.
///
/// Intake is Segment's HTTP tracking API (`POST /v1/track`, `/v1/identify`, `/v1/batch`,
/// and `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`); a request is answered once its
/// events are committed to the state database. Actions are appended to `--out` and posted to
/// the receivers of `--deliver` with an `Idempotency-Key`, retried until delivered. Also
/// `GET /healthz` and `GET /metrics` (Prometheus). See docs/serve.md.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The campaign file, or a program compiled with `nurture compile` (`.nbc`).
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub campaign: PathBuf,

    /// The state database (made when missing): lead state, timers, the outbox.
    #[arg(long, value_name = "DB")]
    pub state: PathBuf,

    /// The address to listen on; port 0 picks a free port (printed on standard error as
    /// `listening on http://ADDR`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    pub listen: String,

    /// Also append every action record to this file (JSON lines, as `nurture run` writes).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Deliver actions over HTTP by the routes of this TOML file (docs/serve.md).
    #[arg(long, value_name = "ROUTES.toml")]
    pub deliver: Option<PathBuf>,

    /// Require this write key on intake and lead reads (HTTP Basic auth, the key as user
    /// name), as Segment's clients send it.
    #[arg(
        long,
        value_name = "KEY",
        env = "NURTURE_WRITE_KEY",
        hide_env_values = true
    )]
    pub write_key: Option<String>,

    /// When the campaign changed since the state was written: carry the state over as
    /// `nurture run --migrate` does.
    #[arg(long)]
    pub migrate: bool,

    /// Reject events the campaign does not declare, instead of skipping and counting them.
    #[arg(long)]
    pub strict: bool,

    /// Also record each time a lead enters or leaves a list.
    #[arg(long)]
    pub memberships: bool,

    /// How logs are written on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// Milliseconds to wait for in-flight deliveries once the service is asked to stop.
const DELIVERY_GRACE_MS: u64 = 5_000;

pub fn run(args: &ServeArgs) -> u8 {
    init_logs(args.log_format, "info");
    match serve(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("nurture serve: {message}");
            EXIT_USAGE
        }
    }
}

fn serve(args: &ServeArgs) -> Result<u8, String> {
    let (compiled, source) = match load_program(&args.campaign, "nurture serve") {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let routes = match &args.deliver {
        Some(path) => Some(deliver::Routes::load(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let _lock = StateLock::acquire(&args.state, "nurture serve")?;
    let store = files::open_state(&args.state, false).map_err(|e| e.to_string())?;
    let options = Options {
        strict: args.strict,
    };
    let opened = durable::open_state(
        store,
        &args.state.display().to_string(),
        compiled,
        source,
        &options,
        args.migrate,
    )
    .map_err(|e| e.to_string())?;
    let out: Option<Box<dyn Output + Send>> = match &args.out {
        Some(path) => {
            let rules = OutRules {
                resuming: false,
                reset: false,
            };
            let recorded = opened.position.out.clone();
            Some(Box::new(files::open_output(
                Some(path),
                recorded.as_ref(),
                &rules,
                "--out",
            )?))
        }
        None => None,
    };
    let setup = LiveSetup {
        memberships: args.memberships,
        deliver: routes.is_some(),
    };
    let live = Live::new(opened, out, setup, core::wall_clock()).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the service's runtime: {e}"))?;
    runtime.block_on(service(args, live, routes))
}

/// Starts the parts, serves until SIGTERM or SIGINT, then stops them in order: intake
/// first, then deliveries (with a grace period), then the core's last commit.
async fn service(
    args: &ServeArgs,
    live: Live,
    routes: Option<deliver::Routes>,
) -> Result<u8, String> {
    let metrics = Arc::new(metrics::Metrics::new());
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let (deliveries, entries) = tokio::sync::mpsc::unbounded_channel();
    let core =
        core::start(live, deliveries, metrics.clone()).map_err(|e| format!("cannot start: {e}"))?;
    let delivery = routes.map(|routes| {
        tokio::spawn(deliver::run(
            routes,
            entries,
            core.handle(),
            metrics.clone(),
        ))
    });
    // Listening for SIGHUP before the service says it is up, so that no hangup kills it.
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("cannot listen for SIGHUP: {e}"))?;
    tokio::spawn(reload_on_hangup(
        hangups,
        args.campaign.clone(),
        Options {
            strict: args.strict,
        },
        args.migrate,
        core.handle(),
        metrics.clone(),
    ));
    let state = http::State::new(core.handle(), metrics.clone(), args.write_key.clone());
    let draining = state.draining();
    let app = http::router(state);
    eprintln!("listening on http://{addr}");
    tracing::info!(%addr, campaign = %args.campaign.display(), "serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop_signal().await;
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::info!("stopping: no new requests; finishing those in flight");
        })
        .await
        .map_err(|e| format!("the HTTP server stopped: {e}"))?;
    if let Some(task) = delivery {
        core.handle().stop_deliveries();
        let grace = std::time::Duration::from_millis(DELIVERY_GRACE_MS);
        if tokio::time::timeout(grace, task).await.is_err() {
            tracing::warn!(
                "deliveries still in flight after the grace period: they stay in the outbox"
            );
        }
    }
    core.stop().map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(EXIT_OK)
}

/// SIGHUP: reads the campaign again. One with errors is refused (its diagnostics go to
/// standard error) and the running one goes on; an edit that changes no behaviour goes on at
/// once; a change of behaviour is migrated with `--migrate`, and refused without it.
async fn reload_on_hangup(
    mut hangups: tokio::signal::unix::Signal,
    campaign: PathBuf,
    options: Options,
    migrate: bool,
    core: core::Handle,
    metrics: Arc<metrics::Metrics>,
) {
    while hangups.recv().await.is_some() {
        let path = campaign.clone();
        let loaded = tokio::task::spawn_blocking(move || load_program(&path, "nurture serve"))
            .await
            .ok()
            .and_then(Result::ok);
        let Some((compiled, source)) = loaded else {
            metrics.reload("invalid");
            tracing::error!(campaign = %campaign.display(), "the campaign has errors (above): the running campaign goes on");
            continue;
        };
        let options = options.clone();
        let outcome = core
            .with(move |live| live.reload(compiled, source, &options, migrate, core::wall_clock()))
            .await;
        match outcome {
            None => return,
            Some(Ok(Reloaded::Same)) => {
                metrics.reload("same");
                tracing::info!("campaign read again: unchanged");
            }
            Some(Ok(Reloaded::Relined)) => {
                metrics.reload("applied");
                tracing::info!("campaign reloaded: it behaves as before, the state goes on");
            }
            Some(Ok(Reloaded::Migrated(report))) => {
                metrics.reload("migrated");
                tracing::info!(
                    differences = ?report.differences,
                    unplaced = report.migration.lost.len(),
                    "campaign reloaded: the state was migrated"
                );
            }
            Some(Err(e)) => {
                metrics.reload("refused");
                tracing::error!("the new campaign was refused, the running one goes on: {e}");
            }
        }
    }
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
