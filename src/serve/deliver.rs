//! Deliveries: each outbox entry is posted to the first route that matches its record, with
//! the action's id as `Idempotency-Key`, and retried with backoff until a 2xx answer; a 4xx
//! other than 429, or a receiver still failing after `give_up_after`, makes it a dead letter.
//! Each route has its own concurrency limit, so a slow receiver only grows its own queue;
//! the core hears what became of every entry and writes it with its next commit.

use super::core::{wall_clock, Handle};
use super::metrics::Metrics;
use nurture::runtime::outbox::{Entry, Settled};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Deliveries in flight to one route at most, unless the route says otherwise.
const DEFAULT_CONCURRENCY: usize = 16;
/// How much of a refusing receiver's answer a dead letter keeps.
const KEPT_ANSWER_BYTES: usize = 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesFile {
    #[serde(default)]
    route: Vec<RouteSpec>,
    #[serde(default)]
    retry: RetrySpec,
}

#[derive(Deserialize)]
struct RouteSpec {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    timeout: Option<String>,
    concurrency: Option<usize>,
    /// Every other key matches the record's field of that name.
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RetrySpec {
    initial: Option<String>,
    max: Option<String>,
    give_up_after: Option<String>,
}

/// Why a routes file cannot be used.
#[derive(Debug)]
pub enum RoutesError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    Toml {
        path: PathBuf,
        message: String,
    },
    NoRoutes {
        path: PathBuf,
    },
    Duration {
        key: String,
        value: String,
    },
    Env {
        var: String,
        route: String,
    },
    Header {
        name: String,
        route: String,
    },
    Url {
        url: String,
        error: String,
    },
}

impl std::fmt::Display for RoutesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoutesError::Read { path, error } => {
                write!(f, "cannot read the routes file {}: {error}", path.display())
            }
            RoutesError::Toml { path, message } => {
                write!(f, "the routes file {} is not valid: {message}", path.display())
            }
            RoutesError::NoRoutes { path } => write!(
                f,
                "the routes file {} has no [[route]]: add one with a `url`",
                path.display()
            ),
            RoutesError::Duration { key, value } => write!(
                f,
                "`{key} = \"{value}\"` is not a duration: write one such as \"500ms\", \"10s\", \"5m\" or \"24h\""
            ),
            RoutesError::Env { var, route } => write!(
                f,
                "the route to {route} uses ${{{var}}}, which is not set in the environment: set it, or write the value"
            ),
            RoutesError::Header { name, route } => write!(
                f,
                "the route to {route} has a header `{name}` that is not a valid HTTP header name or value"
            ),
            RoutesError::Url { url, error } => write!(f, "`{url}` is not a usable URL: {error}"),
        }
    }
}

impl std::error::Error for RoutesError {}

/// One receiver, and which records go to it.
pub struct Route {
    url: reqwest::Url,
    headers: HeaderMap,
    timeout: Duration,
    fields: Vec<(String, String)>,
    limit: Semaphore,
}

impl Route {
    fn takes(&self, record: &Value) -> bool {
        self.fields
            .iter()
            .all(|(k, v)| record.get(k).and_then(Value::as_str) == Some(v.as_str()))
    }

    fn name(&self) -> &str {
        self.url.as_str()
    }
}

/// The backoff: `initial`, doubling each attempt up to `max`, with jitter; dead after
/// `give_up_after` since the action was committed.
pub struct Retry {
    initial: Duration,
    max: Duration,
    give_up_after: Duration,
}

pub struct Routes {
    routes: Vec<Route>,
    retry: Retry,
}

fn duration(key: &str, value: Option<&String>, default: Duration) -> Result<Duration, RoutesError> {
    match value {
        None => Ok(default),
        Some(v) => humantime::parse_duration(v).map_err(|_| RoutesError::Duration {
            key: key.into(),
            value: v.clone(),
        }),
    }
}

/// Replaces each `${VAR}` with the variable's value.
fn expand(text: &str, route: &str) -> Result<String, RoutesError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let var = &rest[start + 2..start + len];
        let value = std::env::var(var).map_err(|_| RoutesError::Env {
            var: var.into(),
            route: route.into(),
        })?;
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Routes {
    pub fn load(path: &Path) -> Result<Routes, RoutesError> {
        let text = std::fs::read_to_string(path).map_err(|error| RoutesError::Read {
            path: path.into(),
            error,
        })?;
        let file: RoutesFile = toml::from_str(&text).map_err(|e| RoutesError::Toml {
            path: path.into(),
            message: e.to_string(),
        })?;
        if file.route.is_empty() {
            return Err(RoutesError::NoRoutes { path: path.into() });
        }
        let r = &file.retry;
        let retry = Retry {
            initial: duration("initial", r.initial.as_ref(), Duration::from_secs(1))?,
            max: duration("max", r.max.as_ref(), Duration::from_secs(300))?,
            give_up_after: duration(
                "give_up_after",
                r.give_up_after.as_ref(),
                Duration::from_secs(24 * 3600),
            )?,
        };
        let routes = file
            .route
            .into_iter()
            .map(Route::from_spec)
            .collect::<Result<_, _>>()?;
        Ok(Routes { routes, retry })
    }

    fn find(&self, record: &Value) -> Option<&Route> {
        self.routes.iter().find(|r| r.takes(record))
    }
}

impl Route {
    fn from_spec(spec: RouteSpec) -> Result<Route, RoutesError> {
        let url_text = expand(&spec.url, &spec.url)?;
        let url = reqwest::Url::parse(&url_text).map_err(|e| RoutesError::Url {
            url: url_text.clone(),
            error: e.to_string(),
        })?;
        let mut headers = HeaderMap::new();
        for (name, value) in &spec.headers {
            let bad = || RoutesError::Header {
                name: name.clone(),
                route: url_text.clone(),
            };
            let value = expand(value, &url_text)?;
            headers.insert(
                HeaderName::try_from(name.as_str()).map_err(|_| bad())?,
                HeaderValue::try_from(value).map_err(|_| bad())?,
            );
        }
        Ok(Route {
            timeout: duration("timeout", spec.timeout.as_ref(), Duration::from_secs(10))?,
            limit: Semaphore::new(spec.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1)),
            fields: spec.fields.into_iter().collect(),
            url,
            headers,
        })
    }
}

/// Delivers entries as they come, until the service stops the deliveries; then waits for
/// the attempts in flight (the service bounds that wait).
pub async fn run(
    routes: Routes,
    mut entries: tokio::sync::mpsc::UnboundedReceiver<Entry>,
    core: Handle,
    metrics: Arc<Metrics>,
) {
    let routes = Arc::new(routes);
    let client = reqwest::Client::new();
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            entry = entries.recv() => match entry {
                Some(entry) => {
                    metrics.queued(1);
                    in_flight.spawn(deliver(
                        entry,
                        routes.clone(),
                        client.clone(),
                        core.clone(),
                        metrics.clone(),
                    ));
                }
                None => break,
            },
            _ = core.deliveries_stopped() => break,
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    /// Try again, after at least this long when the receiver said so.
    Again {
        error: String,
        after: Option<Duration>,
    },
    Refused {
        status: u16,
        answer: String,
    },
}

async fn attempt(client: &reqwest::Client, route: &Route, entry: &Entry) -> Attempt {
    let sent = client
        .post(route.url.clone())
        .headers(route.headers.clone())
        .header("Idempotency-Key", &entry.id)
        .header(CONTENT_TYPE, "application/json")
        .body(entry.record.clone())
        .timeout(route.timeout)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => {
            return Attempt::Again {
                error: format!("no answer within {:?}", route.timeout),
                after: None,
            }
        }
        Err(e) => {
            return Attempt::Again {
                error: format!("cannot reach the receiver: {e}"),
                after: None,
            }
        }
    };
    let status = answer.status();
    if status.is_success() {
        return Attempt::Delivered;
    }
    if status.as_u16() == 429 || status.is_server_error() {
        let after = answer
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Attempt::Again {
            error: format!("the receiver answered {status}"),
            after,
        };
    }
    let mut text = answer.text().await.unwrap_or_default();
    if text.len() > KEPT_ANSWER_BYTES {
        let mut end = KEPT_ANSWER_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    Attempt::Refused {
        status: status.as_u16(),
        answer: text,
    }
}

/// Delivers one entry, retrying until it is delivered or dead.
async fn deliver(
    entry: Entry,
    routes: Arc<Routes>,
    client: reqwest::Client,
    core: Handle,
    metrics: Arc<Metrics>,
) {
    let seq = entry.seq;
    let record: Value = serde_json::from_str(&entry.record).unwrap_or(Value::Null);
    let Some(route) = routes.find(&record) else {
        metrics.delivery("", "unrouted", None);
        core.settle(Settled::Unrouted { seq });
        return;
    };
    let retry = &routes.retry;
    let mut attempts = entry.attempts;
    loop {
        let permit = route
            .limit
            .acquire()
            .await
            .expect("the route's limit is never closed");
        attempts += 1;
        let started = Instant::now();
        let outcome = attempt(&client, route, &entry).await;
        drop(permit);
        let took = Some(started.elapsed());
        let (error, after) = match outcome {
            Attempt::Delivered => {
                metrics.delivery(route.name(), "delivered", took);
                core.settle(Settled::Delivered { seq });
                return;
            }
            Attempt::Refused { status, answer } => {
                metrics.delivery(route.name(), "dead", took);
                tracing::warn!(id = %entry.id, route = route.name(), status, "refused: dead-lettered");
                core.settle(Settled::Dead {
                    seq,
                    attempts,
                    route: route.name().into(),
                    status: Some(status),
                    error: answer,
                });
                return;
            }
            Attempt::Again { error, after } => (error, after),
        };
        let age = Duration::from_millis(wall_clock().saturating_sub(entry.created).max(0) as u64);
        if age >= retry.give_up_after {
            metrics.delivery(route.name(), "dead", took);
            tracing::warn!(id = %entry.id, route = route.name(), %error, "given up on: dead-lettered");
            core.settle(Settled::Dead {
                seq,
                attempts,
                route: route.name().into(),
                status: None,
                error,
            });
            return;
        }
        metrics.delivery(route.name(), "retried", took);
        core.settle(Settled::Retried { seq, attempts });
        tokio::time::sleep(after.unwrap_or_else(|| backoff(retry, attempts))).await;
    }
}

/// `initial` doubled per attempt so far, at most `max`, and a random half of it taken off
/// so that receivers coming back are not hit by every retry at once.
fn backoff(retry: &Retry, attempts: u32) -> Duration {
    let doubled = retry
        .initial
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    let full = doubled.min(retry.max);
    full.mul_f64(0.5 + fastrand::f64() * 0.5)
}
