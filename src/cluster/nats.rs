//! Connecting to NATS, and the streams and buckets of a cluster (made by `cluster init`,
//! opened by everything else), and the consumer each owner of a partition makes for itself.

use super::access::{self, Login};
use super::error::{ClusterError, Presented};
use super::partition::{self as part, ACTIONS, EVENTS, LEASES, META, OBJECTS};
use async_nats::jetstream::{self, consumer, kv, object_store, stream};
use clap::Args;
use futures_util::StreamExt;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach NATS: every cluster command and the worker take these.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// The NATS server: nats://HOST:4222, or tls://HOST:4222 to require TLS (verified against
    /// the system's CAs unless --tls-ca is given); several, comma-separated, for a NATS
    /// cluster. A user and password (nats://USER:PASSWORD@HOST:4222, percent-encoded) or a
    /// token (nats://TOKEN@HOST:4222) written in the URL are presented to the server.
    // The variable's value is not shown in --help: it may hold a password.
    #[arg(
        long = "nats",
        value_name = "URL",
        env = "NURTURE_NATS_URL",
        hide_env_values = true
    )]
    pub url: String,

    /// A NATS credentials file (.creds: a user's JWT and NKey seed), for servers with
    /// decentralised (operator) authentication.
    #[arg(long, value_name = "FILE", env = "NURTURE_NATS_CREDS")]
    pub creds: Option<PathBuf>,

    /// Trust server certificates signed by this CA (PEM) instead of the system's CAs; TLS is
    /// then required.
    #[arg(long, value_name = "FILE", env = "NURTURE_NATS_TLS_CA")]
    pub tls_ca: Option<PathBuf>,

    /// A client certificate (PEM), with --tls-key, for servers that verify clients; TLS is
    /// then required.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        env = "NURTURE_NATS_TLS_CERT"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert",
        env = "NURTURE_NATS_TLS_KEY"
    )]
    pub tls_key: Option<PathBuf>,
}

/// A cluster's handles.
#[derive(Clone)]
pub struct Cluster {
    pub js: jetstream::Context,
    pub leases: kv::Store,
    pub meta: kv::Store,
    pub objects: object_store::ObjectStore,
    pub partitions: u32,
    /// How long a lease lasts unless renewed.
    pub lease_ttl: Duration,
}

/// Connects; the client reconnects on its own for as long as the process runs.
pub async fn connect(args: &NatsArgs, name: &str) -> Result<jetstream::Context, ClusterError> {
    let servers = access::servers(&args.url)?;
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(5));
    let mut presented = servers.login.presented();
    match &servers.login {
        Login::None => {}
        Login::UserPassword { user, password } => {
            options = options.user_and_password(user.clone(), password.clone());
        }
        Login::Token(token) => options = options.token(token.clone()),
    }
    if let Some(creds) = &args.creds {
        access::readable(creds, "the credentials file")?;
        options = options
            .credentials_file(creds)
            .await
            .map_err(|error| ClusterError::Io {
                what: format!("read the credentials file {}", creds.display()),
                error,
            })?;
        presented = Presented::File(creds.clone());
    }
    if let Some(ca) = &args.tls_ca {
        access::readable(ca, "the TLS CA file")?;
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        access::readable(cert, "the TLS client certificate")?;
        access::readable(key, "the TLS client key")?;
        options = options
            .add_client_certificate(cert.clone(), key.clone())
            .require_tls(true);
    }
    let client = options
        .connect(servers.addrs.as_slice())
        .await
        .map_err(|e| access::refused(&servers.shown, presented, e))?;
    Ok(jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(10))
        .max_ack_inflight(ACK_PERMITS)
        .build(client))
}

/// Publish acknowledgements a connection may await at once. A publish past it waits for a
/// free permit, and the key-value and object-store writes (leases, heartbeats, checkpoints)
/// take permits too: so the partitions' actions may hold only `ACK_PERMITS - CONTROL_PERMITS`
/// of them all together (`actions_in_flight`), else a worker's partitions could hold every
/// permit while each waits for one, and the whole worker stop, silently.
pub const ACK_PERMITS: usize = 8192;

/// Permits kept for leases, heartbeats and checkpoints.
const CONTROL_PERMITS: usize = 1024;

/// How many actions' acknowledgements each partition may leave in flight when a worker could
/// own all `partitions`: at most 1,024, and all of them together within the permits left
/// for actions.
pub fn actions_in_flight(partitions: u32) -> usize {
    ((ACK_PERMITS - CONTROL_PERMITS) / partitions.max(1) as usize).clamp(1, 1024)
}

/// What `cluster init` sets up.
pub struct Layout {
    pub partitions: u32,
    pub lease_ttl: Duration,
    pub duplicate_window: Duration,
    pub replicas: usize,
}

fn stream_config(name: &str, subjects: &str, layout: &Layout) -> stream::Config {
    stream::Config {
        name: name.to_string(),
        subjects: vec![subjects.to_string()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: layout.duplicate_window,
        num_replicas: layout.replicas,
        ..Default::default()
    }
}

/// Makes (or checks, when they exist) the streams, buckets and consumers; idempotent. The
/// number of partitions cannot change once recorded.
pub async fn init(js: &jetstream::Context, layout: &Layout) -> Result<Cluster, ClusterError> {
    for (name, subjects) in [(EVENTS, "nurture.events.*"), (ACTIONS, "nurture.actions.*")] {
        js.create_or_update_stream(stream_config(name, subjects, layout))
            .await
            .map_err(|e| ClusterError::nats(format!("create the stream {name}"), e))?;
    }
    for (name, max_age) in [(LEASES, layout.lease_ttl), (META, Duration::ZERO)] {
        // An existing bucket is kept as it is. The bucket's stream is made here, as the
        // client's `create_key_value` would make it, because that first reads account
        // fields that nats-server 2.9 does not send.
        if js.get_key_value(name).await.is_err() {
            js.create_stream(stream::Config {
                name: format!("KV_{name}"),
                subjects: vec![format!("$KV.{name}.>")],
                max_messages_per_subject: 1,
                max_age,
                storage: stream::StorageType::File,
                num_replicas: layout.replicas,
                discard: stream::DiscardPolicy::New,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                ..Default::default()
            })
            .await
            .map_err(|e| ClusterError::nats(format!("create the bucket {name}"), e))?;
        }
    }
    if js.get_object_store(OBJECTS).await.is_err() {
        js.create_object_store(object_store::Config {
            bucket: OBJECTS.to_string(),
            storage: stream::StorageType::File,
            num_replicas: layout.replicas,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::nats(format!("create the object store {OBJECTS}"), e))?;
    }
    let meta = open_kv(js, META).await?;
    let recorded = read_u64(&meta, part::PARTITIONS_KEY).await?;
    match recorded {
        Some(n) if n != layout.partitions as u64 => {
            return Err(ClusterError::PartitionsDiffer {
                recorded: n as u32,
                asked: layout.partitions,
            })
        }
        Some(_) => {}
        None => {
            meta.create(
                part::PARTITIONS_KEY,
                layout.partitions.to_string().into_bytes().into(),
            )
            .await
            .map_err(|e| ClusterError::nats("record the number of partitions", e))?;
        }
    }
    meta.put(
        "lease_ttl_ms",
        layout.lease_ttl.as_millis().to_string().into_bytes().into(),
    )
    .await
    .map_err(|e| ClusterError::nats("record the lease TTL", e))?;
    // No consumer is made here: each owner of a partition makes its own (`create_consumer`).
    open(js).await
}

async fn open_kv(js: &jetstream::Context, name: &str) -> Result<kv::Store, ClusterError> {
    js.get_key_value(name).await.map_err(|e| {
        // The kind says only that the bucket's stream could not be had; its source says why.
        if e.kind() == jetstream::context::KeyValueErrorKind::GetBucket
            && e.to_string().contains("not found")
        {
            ClusterError::NotInitialised
        } else {
            ClusterError::nats(format!("open the bucket {name}"), e)
        }
    })
}

pub async fn get_stream(
    js: &jetstream::Context,
    name: &str,
) -> Result<stream::Stream, ClusterError> {
    js.get_stream(name).await.map_err(|e| match e.kind() {
        jetstream::context::GetStreamErrorKind::JetStream(j)
            if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
        {
            ClusterError::NotInitialised
        }
        _ => ClusterError::nats(format!("open the stream {name}"), e),
    })
}

/// Reads a decimal number from a bucket.
pub async fn read_u64(store: &kv::Store, key: &str) -> Result<Option<u64>, ClusterError> {
    let value = store
        .get(key)
        .await
        .map_err(|e| ClusterError::nats(format!("read {key}"), e))?;
    Ok(value.and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok()))
}

/// Opens an initialised cluster.
pub async fn open(js: &jetstream::Context) -> Result<Cluster, ClusterError> {
    let meta = open_kv(js, META).await?;
    let leases = open_kv(js, LEASES).await?;
    let partitions = read_u64(&meta, part::PARTITIONS_KEY)
        .await?
        .ok_or(ClusterError::NotInitialised)? as u32;
    let ttl = read_u64(&meta, "lease_ttl_ms").await?.unwrap_or(10_000);
    let objects = js
        .get_object_store(OBJECTS)
        .await
        .map_err(|_| ClusterError::NotInitialised)?;
    Ok(Cluster {
        js: js.clone(),
        leases,
        meta,
        objects,
        partitions,
        lease_ttl: Duration::from_millis(ttl),
    })
}

/// Time a delivered event may stay unacknowledged before JetStream delivers it again: well
/// over any checkpoint interval, since events are acknowledged only by checkpoints.
pub const ACK_WAIT: Duration = Duration::from_secs(30 * 60);

/// Makes a consumer of its own for a new owner of partition `p`, delivering the events after
/// stream sequence `after`, and removes the consumers of the partition's earlier owners.
///
/// No two owners ever read through one consumer. A worker that has lost its lease but has
/// not noticed yet goes on pulling from its own consumer, which gives it every event in
/// order: it recomputes the new owner's actions with the same ids, and the actions stream
/// drops them as copies. Pulling from the new owner's consumer instead, each would be given
/// only some of the events, and would compute different actions.
pub async fn create_consumer(
    events: &stream::Stream,
    p: u32,
    after: u64,
) -> Result<consumer::PullConsumer, ClusterError> {
    // Removing earlier owners' consumers is tidying only: when the list cannot be had (a
    // busy or restarting server), this owner's consumer is made all the same, and the next
    // owner's removes them.
    let earlier = partition_consumers(events, p).await.unwrap_or_else(|e| {
        tracing::warn!(partition = p, "earlier consumers are left in place: {e}");
        Vec::new()
    });
    for old in earlier {
        match events.delete_consumer(&old.name).await {
            Ok(_) => {}
            // Removed meanwhile by another worker taking the partition over.
            Err(e)
                if matches!(e.kind(), stream::ConsumerErrorKind::JetStream(j)
                    if j.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND) => {}
            Err(e) => {
                return Err(ClusterError::nats(
                    format!("remove the consumer {}", old.name),
                    e,
                ))
            }
        }
    }
    let name = format!("{}-{}", part::consumer(p), nuid::next());
    let deliver_policy = if after == 0 {
        consumer::DeliverPolicy::All
    } else {
        consumer::DeliverPolicy::ByStartSequence {
            start_sequence: after + 1,
        }
    };
    events
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: part::event_subject(p),
            deliver_policy,
            ack_policy: consumer::AckPolicy::All,
            ack_wait: ACK_WAIT,
            max_ack_pending: 1_000_000,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::nats(format!("create the consumer {name}"), e))
}

/// The consumers of each of the first `partitions` partitions, oldest first: an owner's own,
/// and any an earlier owner left.
pub async fn consumers(
    events: &stream::Stream,
    partitions: u32,
) -> Result<Vec<Vec<consumer::Info>>, ClusterError> {
    let mut by_partition: Vec<Vec<consumer::Info>> = vec![Vec::new(); partitions as usize];
    let mut list = events.consumers();
    while let Some(info) = list.next().await {
        let info = info.map_err(|e| ClusterError::nats("list the consumers", e))?;
        if let Some(p) = part::consumer_partition(&info.name) {
            if let Some(of) = by_partition.get_mut(p as usize) {
                of.push(info);
            }
        }
    }
    for of in &mut by_partition {
        of.sort_by_key(|i| i.created);
    }
    Ok(by_partition)
}

async fn partition_consumers(
    events: &stream::Stream,
    p: u32,
) -> Result<Vec<consumer::Info>, ClusterError> {
    let mut all = consumers(events, p + 1).await?;
    Ok(all.swap_remove(p as usize))
}
