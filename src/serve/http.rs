//! The HTTP side (axum): Segment's tracking API in, health and metrics out. A handler
//! checks the write key and the sizes, turns the body into event lines and hands them to
//! the core; it answers when the core has committed them.

use super::core::{wall_clock, Handle, Item, Reply};
use super::metrics::Metrics;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Segment's limits: 32 KB an event, 500 KB a batch.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
pub const MAX_BATCH_BYTES: usize = 500 * 1024;

/// The Segment calls taken one at a time, at `/v1/{kind}`.
const CALLS: &[&str] = &["track", "identify", "page", "screen", "group", "alias"];

#[derive(Clone)]
pub struct State {
    core: Handle,
    metrics: Arc<Metrics>,
    write_key: Option<Arc<str>>,
    draining: Arc<AtomicBool>,
}

impl State {
    pub fn new(core: Handle, metrics: Arc<Metrics>, write_key: Option<String>) -> State {
        State {
            core,
            metrics,
            write_key: write_key.filter(|k| !k.is_empty()).map(Arc::from),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Set when the service stops taking requests.
    pub fn draining(&self) -> Arc<AtomicBool> {
        self.draining.clone()
    }
}

pub fn router(state: State) -> Router {
    Router::new()
        .route("/v1/batch", post(batch))
        .route("/v1/{kind}", post(single))
        .route("/v1/leads/{id}", get(lead))
        .route("/v1/leads/{id}/decide/{name}", get(decide))
        .route("/v1/lists/{name}", get(list))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        // A little over Segment's limit, so that a body over it gets our 400 rather than
        // the server's 413; a far larger one is cut off at the door.
        .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES + 1))
        .with_state(state)
}

/// A bad event of a request: its index in the batch, why in words, and the kind of problem
/// for machines (docs/serve.md).
struct BadEvent {
    index: usize,
    reason: String,
    kind: &'static str,
}

impl BadEvent {
    fn new(index: usize, reason: &dyn std::fmt::Display, kind: &'static str) -> BadEvent {
        BadEvent {
            index,
            reason: reason.to_string(),
            kind,
        }
    }
}

/// A 400 (or other) answer naming what is wrong, and where in a batch.
fn problem(status: StatusCode, error: &str, bad: Vec<BadEvent>) -> Response {
    let errors: Vec<Value> = bad
        .into_iter()
        .map(|b| json!({ "index": b.index, "reason": b.reason, "kind": b.kind }))
        .collect();
    let mut body = json!({ "success": false, "error": error });
    if !errors.is_empty() {
        body["errors"] = Value::Array(errors);
    }
    (status, Json(body)).into_response()
}

/// Whether the request carries the write key, as Segment's clients send it: HTTP Basic
/// auth with the key as user name and an empty password.
fn authorised(state: &State, headers: &HeaderMap) -> bool {
    let Some(key) = &state.write_key else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok());
    given.is_some_and(|userpass| userpass.split(':').next() == Some(&**key))
}

/// Checks what every intake request must pass before its body is read.
fn admit(
    state: &State,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, Box<Response>> {
    if state.draining.load(Ordering::SeqCst) {
        return Err(Box::new(stopping()));
    }
    if !authorised(state, headers) {
        return Err(Box::new(unauthorised()));
    }
    match body {
        Ok(b) if b.len() > MAX_BATCH_BYTES => Err(Box::new(too_large(b.len()))),
        Ok(b) => Ok(b),
        Err(BytesRejection::FailedToBufferBody(_)) => Err(Box::new(too_large(MAX_BATCH_BYTES + 1))),
        Err(e) => Err(Box::new(problem(
            StatusCode::BAD_REQUEST,
            &e.body_text(),
            vec![],
        ))),
    }
}

fn too_large(len: usize) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        &format!("the body is {len} bytes or more; a request may carry at most {MAX_BATCH_BYTES} bytes (send smaller batches)"),
        vec![],
    )
}

/// Why a call of a request cannot be made a line, before the engine reads it.
enum ItemError {
    TooLarge { bytes: usize },
    NotObject,
    NotJson(serde_json::Error),
}

impl ItemError {
    /// The kind of problem, named as the engine's reject reasons are (`Problem::kind`).
    fn kind(&self) -> &'static str {
        match self {
            ItemError::TooLarge { .. } => "event-too-large",
            ItemError::NotObject => "not-an-object",
            ItemError::NotJson(_) => "not-json",
        }
    }
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemError::TooLarge { bytes } => write!(
                f,
                "the event is {bytes} bytes; an event may be at most {MAX_EVENT_BYTES} bytes"
            ),
            ItemError::NotObject => f.write_str("an event must be a JSON object"),
            ItemError::NotJson(e) => write!(f, "not JSON: {e}"),
        }
    }
}

/// One call of a batch, made a line the engine reads: its `type` filled in from the
/// endpoint when absent, and a `timestamp` when absent; a track's own `timestamp` is kept in
/// its properties as `originalTimestamp` (the service's clock decides the time:
/// docs/serve.md).
fn item(raw: &str, kind: Option<&str>) -> Result<Item, ItemError> {
    if raw.len() > MAX_EVENT_BYTES {
        return Err(ItemError::TooLarge { bytes: raw.len() });
    }
    if let Some(item) = spliced(raw, kind) {
        return Ok(item);
    }
    let mut map: Map<String, Value> = match serde_json::from_str(raw) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(ItemError::NotObject),
        Err(e) => return Err(ItemError::NotJson(e)),
    };
    if let Some(kind) = kind {
        map.entry("type").or_insert_with(|| kind.into());
    }
    match map.get("timestamp").cloned() {
        // The sender's time, for a campaign that declares it: the service's clock decides
        // when the event happened.
        Some(sent) => {
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                props.entry("originalTimestamp").or_insert(sent);
            }
        }
        None => {
            let now = nurture::lang::format::instant(wall_clock());
            map.insert("timestamp".into(), now.into());
        }
    }
    let message_id = match map.get("messageId") {
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        _ => None,
    };
    Ok(Item {
        line: Value::Object(map).to_string(),
        message_id,
    })
}

/// The fields of a call that [`item`] reads or changes, borrowed from its text.
#[derive(serde::Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "messageId", borrow)]
    message_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    properties: Option<&'a serde_json::value::RawValue>,
}

/// [`item`] for the common call, without building it as a tree and writing it again: the
/// `type` and `originalTimestamp` are spliced into its text. `None` where the tree is
/// needed (no `timestamp`, properties that are not an object or already have an
/// `originalTimestamp`, anything unusual).
fn spliced(raw: &str, kind: Option<&str>) -> Option<Item> {
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    let peek: Peek<'_> = serde_json::from_str(raw).ok()?;
    let timestamp = peek.timestamp?.get();
    let at = |inner: &str| inner.as_ptr() as usize - raw.as_ptr() as usize;
    let mut line = String::with_capacity(raw.len() + 64);
    let mut from = 0;
    let open = raw.find('{')?;
    if peek.kind.is_none() {
        // An object with a `timestamp` has a member: a comma after the new one is right.
        let kind = serde_json::to_string(kind?).ok()?;
        line.push_str(&raw[..=open]);
        line.push_str(&format!("\"type\":{kind},"));
        from = open + 1;
    }
    if let Some(props) = peek.properties {
        let text = props.get();
        if !text.starts_with('{') || text.contains("\"originalTimestamp\"") {
            return None;
        }
        let inside = at(text) + 1;
        line.push_str(&raw[from..inside]);
        line.push_str("\"originalTimestamp\":");
        line.push_str(timestamp);
        if !text[1..].trim_start().starts_with('}') {
            line.push(',');
        }
        from = inside;
    }
    line.push_str(&raw[from..]);
    Some(Item {
        line,
        message_id: peek
            .message_id
            .filter(|id| !id.is_empty())
            .map(|id| id.into_owned()),
    })
}

async fn submit(state: &State, items: Vec<Item>) -> Response {
    match state.core.submit(items).await {
        Ok(Reply::Committed) => Json(json!({ "success": true })).into_response(),
        Ok(Reply::Bad(bad)) => problem(
            StatusCode::BAD_REQUEST,
            "the batch was not applied: these events are bad",
            bad.iter()
                .map(|b| BadEvent::new(b.index, &b.reason, b.reason.kind()))
                .collect(),
        ),
        Ok(Reply::Failed(e)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("not committed: {e}"),
            vec![],
        ),
        Err(_) => stopping(),
    }
}

async fn single(
    axum::extract::State(state): axum::extract::State<State>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !CALLS.contains(&kind.as_str()) {
        return problem(
            StatusCode::NOT_FOUND,
            &format!(
                "no endpoint /v1/{kind}: use track, identify, page, screen, group, alias or batch"
            ),
            vec![],
        );
    }
    let body = match admit(&state, &headers, body) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "the body is not UTF-8 text",
            vec![],
        );
    };
    match item(text, Some(&kind)) {
        Ok(one) => submit(&state, vec![one]).await,
        Err(e) => {
            state.metrics.rejected(1);
            let bad = BadEvent::new(0, &e, e.kind());
            problem(StatusCode::BAD_REQUEST, &bad.reason.clone(), vec![bad])
        }
    }
}

#[derive(serde::Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Vec<&'a serde_json::value::RawValue>,
}

async fn batch(
    axum::extract::State(state): axum::extract::State<State>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match admit(&state, &headers, body) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    let parsed: BatchBody<'_> = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("the body must be {{\"batch\": [events…]}}: {e}"),
                vec![],
            )
        }
    };
    let mut items = Vec::with_capacity(parsed.batch.len());
    let mut bad = Vec::new();
    for (index, raw) in parsed.batch.iter().enumerate() {
        match item(raw.get(), None) {
            Ok(one) => items.push(one),
            Err(e) => bad.push(BadEvent::new(index, &e, e.kind())),
        }
    }
    if !bad.is_empty() {
        state.metrics.rejected(bad.len());
        return problem(
            StatusCode::BAD_REQUEST,
            "the batch was not applied: these events are bad",
            bad,
        );
    }
    submit(&state, items).await
}

fn unauthorised() -> Response {
    let mut answer = problem(
        StatusCode::UNAUTHORIZED,
        "missing or wrong write key: send it as HTTP Basic auth, the key as user name",
        vec![],
    );
    answer.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"nurture\""),
    );
    answer
}

fn stopping() -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "the service is stopping; send again later",
        vec![],
    )
}

/// A lead as JSON: attributes, scores, lists, workflow runs (docs/serve.md).
async fn lead(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&state, &headers) {
        return unauthorised();
    }
    let wanted = id.clone();
    match state.core.with(move |live| live.lead(&wanted)).await {
        Some(Some(lead)) => Json(lead).into_response(),
        Some(None) => problem(
            StatusCode::NOT_FOUND,
            &format!("no lead has the id {id:?}"),
            vec![],
        ),
        None => stopping(),
    }
}

/// A decision for a lead, with the row chosen and why (docs/serve.md); a lead never seen gets
/// the decision for a new lead.
async fn decide(
    axum::extract::State(state): axum::extract::State<State>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&state, &headers) {
        return unauthorised();
    }
    let wanted = name.clone();
    match state.core.with(move |live| live.decide(&id, &wanted)).await {
        Some(Some(answer)) => Json(answer).into_response(),
        Some(None) => problem(
            StatusCode::NOT_FOUND,
            &format!("the campaign has no decision named {name:?}"),
            vec![],
        ),
        None => stopping(),
    }
}

#[derive(serde::Deserialize)]
struct Page {
    limit: Option<usize>,
    cursor: Option<String>,
}

/// The most members one page of a list holds.
const MAX_PAGE: usize = 1000;

/// A list's members, a page at a time: `?limit=` (100 unless said, at most 1,000) and
/// `?cursor=` from the last page's `next_cursor`.
async fn list(
    axum::extract::State(state): axum::extract::State<State>,
    Path(name): Path<String>,
    axum::extract::Query(page): axum::extract::Query<Page>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&state, &headers) {
        return unauthorised();
    }
    let limit = page.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let from = match page.cursor.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(from)) => from,
        Some(Err(_)) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "`cursor` must be the `next_cursor` of an earlier page",
                vec![],
            )
        }
    };
    let wanted = name.clone();
    match state
        .core
        .with(move |live| live.list_members(&wanted, from, limit))
        .await
    {
        Some(Some((members, next))) => Json(json!({
            "list": name,
            "members": members,
            "next_cursor": next.map(|n| n.to_string()),
        }))
        .into_response(),
        Some(None) => problem(
            StatusCode::NOT_FOUND,
            &format!("the campaign has no list named {name:?}"),
            vec![],
        ),
        None => stopping(),
    }
}

async fn healthz(axum::extract::State(state): axum::extract::State<State>) -> Response {
    if state.draining.load(Ordering::SeqCst) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "draining" })),
        )
            .into_response()
    } else {
        Json(json!({ "status": "serving" })).into_response()
    }
}

async fn metrics(axum::extract::State(state): axum::extract::State<State>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slow path: the call as a tree, changed, written again.
    fn as_tree(raw: &str, kind: Option<&str>) -> Item {
        let mut map: Map<String, Value> = serde_json::from_str(raw).unwrap();
        if let Some(kind) = kind {
            map.entry("type").or_insert_with(|| kind.into());
        }
        let sent = map["timestamp"].clone();
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            props.entry("originalTimestamp").or_insert(sent);
        }
        let message_id = match map.get("messageId") {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            _ => None,
        };
        Item {
            line: Value::Object(map).to_string(),
            message_id,
        }
    }

    #[test]
    fn a_spliced_call_reads_as_the_call_built_as_a_tree() {
        let calls = [
            (
                r#"{"type":"track","userId":"a","event":"x","timestamp":"2026-01-01T00:00:00Z","properties":{"p":1},"messageId":"m1"}"#,
                None,
            ),
            (
                r#"{"userId":"a","event":"x","timestamp":"2026-01-01T00:00:00.5Z","properties":{ },"messageId":""}"#,
                Some("track"),
            ),
            (
                r#" { "userId" : "a\"b", "event":"x", "properties" : { "q" : [1, {"r": 2}] }, "timestamp": "2026-01-01T00:00:00Z" } "#,
                Some("track"),
            ),
            (
                r#"{"type":"identify","userId":"a","timestamp":"2026-01-01T00:00:00Z","traits":{"email":"e"},"messageId":"m\u00e9"}"#,
                Some("identify"),
            ),
        ];
        for (raw, kind) in calls {
            let fast = spliced(raw, kind).unwrap_or_else(|| panic!("spliced: {raw}"));
            let slow = as_tree(raw, kind);
            let a: Value = serde_json::from_str(&fast.line).expect("valid JSON");
            let b: Value = serde_json::from_str(&slow.line).unwrap();
            assert_eq!(a, b, "{raw}");
            assert_eq!(fast.message_id, slow.message_id, "{raw}");
        }
    }

    #[test]
    fn unusual_calls_are_left_to_the_tree() {
        for raw in [
            r#"{"type":"track","userId":"a","event":"x","properties":{}}"#,
            r#"{"type":"track","userId":"a","timestamp":"t","properties":{"originalTimestamp":"s"}}"#,
            r#"{"type":"track","userId":"a","timestamp":"t","properties":[1]}"#,
            r#"{"type":"track","userId":"a","timestamp":"t","messageId":7}"#,
            r#"["track","a"]"#,
            r#"{"userId":"a","timestamp":"t"}"#,
        ] {
            assert!(spliced(raw, None).is_none(), "{raw}");
        }
    }
}
