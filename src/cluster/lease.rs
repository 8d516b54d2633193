//! Leases: a worker owns a partition while its key `p.N` in the leases bucket holds the
//! worker's name. Claims are compare-and-set (`create` when the key is absent, `update` on
//! the revision read), renewals rewrite the key on its revision, and the bucket's `max_age`
//! (the lease TTL) makes JetStream drop a key no one renewed: a dead worker's partitions
//! become free within the TTL, by the server's clock alone.

use super::error::ClusterError;
use super::nats::Cluster;
use super::partition as part;
use futures_util::TryStreamExt;

/// A lease held: the revision the next renewal must name.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub partition: u32,
    pub revision: u64,
}

/// Claims partition `p` for `worker` when no one holds it; `None` when someone does.
pub async fn claim(cluster: &Cluster, p: u32, worker: &str) -> Result<Option<Lease>, ClusterError> {
    match cluster
        .leases
        .create(part::lease_key(p), worker.to_string().into_bytes().into())
        .await
    {
        Ok(revision) => Ok(Some(Lease {
            partition: p,
            revision,
        })),
        Err(e) if e.kind() == async_nats::jetstream::kv::CreateErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(ClusterError::nats(format!("claim partition {p}"), e)),
    }
}

/// Renews a lease: `None` when it was lost (expired and taken, or released by someone else).
pub async fn renew(
    cluster: &Cluster,
    lease: Lease,
    worker: &str,
) -> Result<Option<Lease>, ClusterError> {
    let key = part::lease_key(lease.partition);
    match cluster
        .leases
        .update(&key, worker.to_string().into_bytes().into(), lease.revision)
        .await
    {
        Ok(revision) => Ok(Some(Lease { revision, ..lease })),
        Err(e) if e.kind() == async_nats::jetstream::kv::UpdateErrorKind::WrongLastRevision => {
            Ok(None)
        }
        Err(e) => Err(ClusterError::nats(
            format!("renew the lease of partition {}", lease.partition),
            e,
        )),
    }
}

/// Gives a lease back at once (the key is deleted on its revision, so a lease already lost
/// is left alone).
pub async fn release(cluster: &Cluster, lease: Lease) -> Result<(), ClusterError> {
    cluster
        .leases
        .delete_expect_revision(part::lease_key(lease.partition), Some(lease.revision))
        .await
        .map_err(|e| ClusterError::nats(format!("release partition {}", lease.partition), e))
}

/// Whether `worker` holds partition `p`'s lease now: checked before a checkpoint is written,
/// so that a worker that lost a lease without knowing yet does not overwrite the new owner's.
pub async fn holds(cluster: &Cluster, p: u32, worker: &str) -> Result<bool, ClusterError> {
    let value = cluster
        .leases
        .get(part::lease_key(p))
        .await
        .map_err(|e| ClusterError::nats(format!("read partition {p}'s lease"), e))?;
    Ok(value.is_some_and(|v| v.as_ref() == worker.as_bytes()))
}

/// Says `worker` is alive (its key expires with the TTL like a lease).
pub async fn heartbeat(cluster: &Cluster, worker: &str) -> Result<(), ClusterError> {
    cluster
        .leases
        .put(
            part::worker_key(worker),
            super::checkpoint::wall_ms().to_string().into_bytes().into(),
        )
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::nats("write the worker's heartbeat", e))
}

/// A worker leaving: its heartbeat goes at once.
pub async fn leave(cluster: &Cluster, worker: &str) -> Result<(), ClusterError> {
    cluster
        .leases
        .delete(part::worker_key(worker))
        .await
        .map_err(|e| ClusterError::nats("remove the worker's heartbeat", e))
}

/// Who holds what: each partition's owner (if any), and the live workers.
pub struct Holders {
    pub owners: Vec<Option<String>>,
    pub workers: Vec<String>,
}

pub async fn holders(cluster: &Cluster) -> Result<Holders, ClusterError> {
    let mut owners = vec![None; cluster.partitions as usize];
    let mut workers = Vec::new();
    let fail = |e: &dyn std::fmt::Display| ClusterError::nats("list the leases", e);
    let keys: Vec<String> = match cluster.leases.keys().await {
        Ok(keys) => keys.try_collect().await.map_err(|e| fail(&e))?,
        Err(e) => return Err(fail(&e)),
    };
    let mut leased = Vec::new();
    for key in keys {
        if let Some(name) = key.strip_prefix("w.") {
            workers.push(name.to_string());
        } else if let Some(p) = key.strip_prefix("p.").and_then(|p| p.parse::<usize>().ok()) {
            leased.push((p, key));
        }
    }
    let values =
        futures_util::future::join_all(leased.iter().map(|(_, key)| cluster.leases.get(key))).await;
    for ((p, _), value) in leased.into_iter().zip(values) {
        let value = value.map_err(|e| fail(&e))?;
        if let (Some(slot), Some(v)) = (owners.get_mut(p), value) {
            *slot = Some(String::from_utf8_lossy(&v).into_owned());
        }
    }
    workers.sort();
    Ok(Holders { owners, workers })
}

/// How many partitions each of `workers` live workers should own: about N / workers.
pub fn fair_share(partitions: u32, workers: usize) -> usize {
    (partitions as usize).div_ceil(workers.max(1))
}

#[cfg(test)]
mod tests {
    use super::fair_share;

    #[test]
    fn partitions_are_shared_out_evenly_rounding_up() {
        assert_eq!(fair_share(8, 1), 8);
        assert_eq!(fair_share(8, 2), 4);
        assert_eq!(fair_share(8, 3), 3);
        assert_eq!(fair_share(8, 0), 8);
        assert_eq!(fair_share(2, 4), 1);
    }
}
