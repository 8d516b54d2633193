//! The service's metrics, in Prometheus text format at `GET /metrics`; every name starts with
//! `nurture_`.

use nurture::runtime::live::{Accepted, Live};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Result_ {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Delivery {
    route: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

type Latency = Family<Route, Histogram, fn() -> Histogram>;

/// Seconds, from half a millisecond to about a minute.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

pub struct Metrics {
    registry: Registry,
    events: Family<Result_, Counter>,
    skipped: Gauge,
    commits: Counter,
    commit_seconds: Histogram,
    actions: Family<Kind, Counter>,
    deliveries: Family<Delivery, Counter>,
    delivery_seconds: Latency,
    outbox_depth: Gauge,
    dead_letters: Gauge,
    timers: Gauge,
    leads: Gauge,
    reloads: Family<Result_, Counter>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("nurture");
        let m = Metrics {
            events: Family::default(),
            skipped: Gauge::default(),
            commits: Counter::default(),
            commit_seconds: latency(),
            actions: Family::default(),
            deliveries: Family::default(),
            delivery_seconds: Family::new_with_constructor(latency),
            outbox_depth: Gauge::default(),
            dead_letters: Gauge::default(),
            timers: Gauge::default(),
            leads: Gauge::default(),
            reloads: Family::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "events",
            "Events taken in, by result: accepted, duplicate (message id seen), rejected",
            m.events.clone(),
        );
        r.register(
            "events_skipped",
            "Events skipped (undeclared events, page/screen/group/alias calls), since the state began",
            m.skipped.clone(),
        );
        r.register(
            "commits",
            "Commits to the state database",
            m.commits.clone(),
        );
        r.register(
            "commit_seconds",
            "How long a commit took",
            m.commit_seconds.clone(),
        );
        r.register("actions", "Actions committed, by kind", m.actions.clone());
        r.register(
            "deliveries",
            "Delivery attempts, by route and result: delivered, retried, dead, unrouted",
            m.deliveries.clone(),
        );
        r.register(
            "delivery_seconds",
            "How long a delivery attempt took, by route",
            m.delivery_seconds.clone(),
        );
        r.register(
            "outbox_depth",
            "Actions waiting for delivery",
            m.outbox_depth.clone(),
        );
        r.register(
            "dead_letters",
            "Actions given up on (nurture state DB --outbox lists them)",
            m.dead_letters.clone(),
        );
        r.register("timers_pending", "Timers scheduled", m.timers.clone());
        r.register("leads", "Leads in the state", m.leads.clone());
        r.register(
            "reloads",
            "Campaign reloads on SIGHUP, by result: same, applied, migrated, refused, invalid",
            m.reloads.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The metrics in Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    fn event(&self, result: &'static str) -> Counter {
        self.events.get_or_create(&Result_ { result }).clone()
    }

    pub fn accepted(&self, a: &Accepted) {
        self.event("accepted").inc_by(a.applied as u64);
        self.event("duplicate").inc_by(a.duplicates as u64);
    }

    pub fn rejected(&self, events: usize) {
        self.event("rejected").inc_by(events as u64);
    }

    pub fn committed(&self, took: Duration, actions: &BTreeMap<&'static str, u64>) {
        self.commits.inc();
        self.commit_seconds.observe(took.as_secs_f64());
        for (&kind, &n) in actions {
            self.actions.get_or_create(&Kind { kind }).inc_by(n);
        }
    }

    /// The gauges read off the state.
    pub fn state(&self, live: &Live) {
        let summary = live.engine().summary();
        self.leads.set(summary.leads as i64);
        self.skipped
            .set(summary.skipped.values().sum::<u64>() as i64);
        self.timers
            .set(live.engine().machine.pending_timers() as i64);
    }

    pub fn reload(&self, result: &'static str) {
        self.reloads.get_or_create(&Result_ { result }).inc();
    }

    pub fn queued(&self, n: i64) {
        self.outbox_depth.inc_by(n);
    }

    pub fn dead_at_start(&self, n: i64) {
        self.dead_letters.set(n);
    }

    /// Dead letters put back in the queue: the queue counts them as it takes them.
    pub fn revived(&self, n: usize) {
        self.dead_letters.dec_by(n as i64);
    }

    pub fn delivery(&self, route: &str, result: &'static str, took: Option<Duration>) {
        let label = Delivery {
            route: route.to_string(),
            result,
        };
        self.deliveries.get_or_create(&label).inc();
        if let Some(took) = took {
            let route = Route {
                route: route.to_string(),
            };
            self.delivery_seconds
                .get_or_create(&route)
                .observe(took.as_secs_f64());
        }
        match result {
            "delivered" | "unrouted" => {
                self.outbox_depth.dec();
            }
            "dead" => {
                self.outbox_depth.dec();
                self.dead_letters.inc();
            }
            _ => {}
        }
    }
}
