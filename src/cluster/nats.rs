//! Connecting to NATS, and the streams and buckets of a cluster (made by `cluster init`,
//! opened by everything else), and how an owner of a partition reads its events.

use super::access::{self, Login};
use super::error::{ClusterError, Presented};
use super::partition::{self as part, ACTIONS, LEASES, META, OBJECTS};
use async_nats::jetstream::{self, consumer, kv, object_store, stream};
use clap::Args;
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
        .build(client))
}

/// What `cluster init` sets up.
pub struct Layout {
    pub partitions: u32,
    pub lease_ttl: Duration,
    pub duplicate_window: Duration,
    pub replicas: usize,
}

fn stream_config(name: &str, subjects: String, layout: &Layout) -> stream::Config {
    stream::Config {
        name: name.to_string(),
        subjects: vec![subjects],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: layout.duplicate_window,
        num_replicas: layout.replicas,
        ..Default::default()
    }
}

/// Makes (or checks, when they exist) the streams and buckets; idempotent. The
/// number of partitions cannot change once recorded.
pub async fn init(js: &jetstream::Context, layout: &Layout) -> Result<Cluster, ClusterError> {
    create_stream(
        js,
        stream_config(ACTIONS, "nurture.actions.*".into(), layout),
    )
    .await?;
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
    // Made once the number of partitions is known to be the recorded one.
    for p in 0..layout.partitions {
        let config = stream_config(&part::events_stream(p), part::event_subject(p), layout);
        create_stream(js, config).await?;
    }
    open(js).await
}

async fn create_stream(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<(), ClusterError> {
    let name = config.name.clone();
    js.create_or_update_stream(config)
        .await
        .map_err(|e| ClusterError::nats(format!("create the stream {name}"), e))?;
    Ok(())
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

/// Partition `p`'s events after stream sequence `after`, in order, for its owner.
///
/// Each owner reads through an ordered consumer of its own: no acknowledgements (the
/// checkpoint's sequence is the partition's position, and a new owner reads from there), and
/// the client makes it again from the last event it delivered when it sees a gap or misses
/// the server's heartbeats. A worker that has lost its lease but has not noticed yet goes on
/// reading its own, which gives it every event in order: it recomputes the new owner's
/// actions with the same ids, and the actions stream drops them as copies. The server
/// removes an ordered consumer nobody reads within 30 seconds.
pub async fn read_events(
    js: &jetstream::Context,
    p: u32,
    after: u64,
) -> Result<consumer::pull::Ordered, ClusterError> {
    let events = get_stream(js, &part::events_stream(p)).await?;
    let deliver_policy = if after == 0 {
        consumer::DeliverPolicy::All
    } else {
        consumer::DeliverPolicy::ByStartSequence {
            start_sequence: after + 1,
        }
    };
    let what = || format!("read partition {p}'s events");
    events
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::nats(what(), e))?
        .messages()
        .await
        .map_err(|e| ClusterError::nats(what(), e))
}
