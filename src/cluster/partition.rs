//! Where a lead's events go: `partition = FNV-1a 64(userId) mod N`, and the names of the
//! streams, subjects, buckets and objects of a cluster (docs/cluster.md).

use nurture::lang::hash::{fnv1a, Fnv1a};
use serde::Deserialize;
use std::borrow::Cow;

/// The stream of actions, one subject a partition.
pub const ACTIONS: &str = "NURTURE_ACTIONS";
/// Key-value bucket: a key a partition's lease (`p.N`) and a worker's heartbeat (`w.NAME`);
/// its keys expire after the lease TTL unless renewed.
pub const LEASES: &str = "nurture_leases";
/// Key-value bucket: the number of partitions, the recorded program's hash, each partition's
/// last checkpoint.
pub const META: &str = "nurture_meta";
/// Object store: the recorded program and each partition's checkpoint.
pub const OBJECTS: &str = "nurture_state";
/// The header of a tick record: the time (milliseconds) the partition's clock moves to.
pub const TICK_HEADER: &str = "Nurture-Tick";

/// The header of a message that holds several event lines (`cluster publish --pack`), each
/// ending in a newline; its value is how many.
pub const PACK_HEADER: &str = "Nurture-Pack";

/// The stream of partition `p`'s events (subject `nurture.events.<p>`): a stream a
/// partition, because nats-server 2.9 reads a filtered consumer's messages by scanning every
/// message of its stream (docs/cluster.md).
pub fn events_stream(p: u32) -> String {
    format!("NURTURE_EVENTS_{p}")
}

pub fn event_subject(p: u32) -> String {
    format!("nurture.events.{p}")
}

pub fn action_subject(p: u32) -> String {
    format!("nurture.actions.{p}")
}

pub fn lease_key(p: u32) -> String {
    format!("p.{p}")
}

pub fn worker_key(name: &str) -> String {
    format!("w.{name}")
}

pub fn checkpoint_object(p: u32) -> String {
    format!("partition.{p}")
}

pub fn checkpoint_key(p: u32) -> String {
    format!("checkpoint.{p}")
}

pub const PROGRAM_OBJECT: &str = "program";
pub const PROGRAM_KEY: &str = "program";
pub const PARTITIONS_KEY: &str = "partitions";

/// The partition of a lead.
pub fn of(user_id: &str, partitions: u32) -> u32 {
    (fnv1a(user_id.as_bytes()) % partitions as u64) as u32
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "userId", borrow, default)]
    user_id: Option<Cow<'a, str>>,
    #[serde(rename = "messageId", borrow, default)]
    message_id: Option<Cow<'a, str>>,
}

/// Where a line goes and the id JetStream deduplicates it by.
#[derive(Debug, PartialEq)]
pub struct Route {
    pub partition: u32,
    pub msg_id: String,
}

/// Routes line `number` (1-based) of a published input. A line that is not a JSON object
/// with a `userId` goes to the partition of the empty id, where the worker rejects it as
/// `run` would. Without a `messageId`, the id is a hash of the line's number and bytes: the
/// same file published again is stored once, and two equal lines in it are both kept.
pub fn route(line: &[u8], number: u64, partitions: u32) -> Route {
    let probe = serde_json::from_slice::<Probe<'_>>(line).ok();
    let user = probe
        .as_ref()
        .and_then(|p| p.user_id.as_deref())
        .unwrap_or("");
    let msg_id = match probe.as_ref().and_then(|p| p.message_id.as_deref()) {
        Some(id) => id.to_string(),
        None => {
            let mut h = Fnv1a::default();
            h.write(&number.to_le_bytes());
            h.write(line);
            format!("line-{:016x}", h.finish())
        }
    };
    Route {
        partition: of(user, partitions),
        msg_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_always_lands_in_the_same_partition() {
        let a = route(br#"{"type":"track","userId":"u-1","event":"x"}"#, 1, 8);
        let b = route(br#"{"type":"identify","userId":"u-1","traits":{}}"#, 2, 8);
        assert_eq!(a.partition, b.partition);
        assert_eq!(a.partition, (fnv1a(b"u-1") % 8) as u32);
        assert_ne!(a.msg_id, b.msg_id);
    }

    #[test]
    fn message_ids_come_from_the_line_or_its_hash() {
        let line = br#"{"userId":"u","messageId":"m-7"}"#;
        assert_eq!(route(line, 1, 4).msg_id, "m-7");
        let plain = br#"{"userId":"u"}"#;
        assert_eq!(route(plain, 3, 4), route(plain, 3, 4));
        assert_ne!(route(plain, 3, 4).msg_id, route(plain, 4, 4).msg_id);
        assert_eq!(route(b"not json", 1, 4).partition, of("", 4));
    }
}
