//! What can go wrong in `nurture cluster` and `nurture worker`, said for the person running
//! them.

use nurture::runtime::durable::RunError;
use nurture::runtime::store::StoreError;

#[derive(Debug)]
pub enum ClusterError {
    /// The NATS server could not be reached.
    Connect { url: String, error: String },
    /// A JetStream request failed: `what` says which.
    Nats { what: String, error: String },
    /// `cluster init` has not been run against this server.
    NotInitialised,
    /// `cluster init` asked for another number of partitions than the one recorded.
    PartitionsDiffer { recorded: u32, asked: u32 },
    /// A file could not be read or written.
    Io { what: String, error: std::io::Error },
    /// A partition's checkpoint (a state database).
    Store { partition: u32, error: StoreError },
    /// The campaign differs from the one recorded with the partitions.
    Changed { differences: Vec<String> },
    /// A checkpoint could not be opened or migrated.
    Run { partition: u32, error: RunError },
    /// The recorded program cannot be read by this nurture.
    Program(String),
    /// A partition's lease went to another worker: its state here is dropped.
    LeaseLost { partition: u32 },
    /// `cluster migrate` while workers hold partitions.
    Busy { owners: Vec<String> },
}

impl ClusterError {
    /// A failed JetStream request, named.
    pub fn nats(what: impl Into<String>, error: impl std::fmt::Display) -> ClusterError {
        ClusterError::Nats {
            what: what.into(),
            error: error.to_string(),
        }
    }
}

impl std::fmt::Display for ClusterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterError::Connect { url, error } => write!(
                f,
                "cannot reach NATS at {url}: {error} (is nats-server running with -js?)"
            ),
            ClusterError::Nats { what, error } => write!(f, "NATS: cannot {what}: {error}"),
            ClusterError::NotInitialised => f.write_str(
                "this NATS server has no Nurture cluster: run `nurture cluster init --partitions N` first",
            ),
            ClusterError::PartitionsDiffer { recorded, asked } => write!(
                f,
                "the cluster has {recorded} partitions, not {asked}: leads are placed by the number \
                 of partitions, so it cannot change once events are published"
            ),
            ClusterError::Io { what, error } => write!(f, "cannot {what}: {error}"),
            ClusterError::Store { partition, error } => {
                write!(f, "partition {partition}'s checkpoint: {error}")
            }
            ClusterError::Changed { differences } => {
                writeln!(
                    f,
                    "the partitions were written by another version of the campaign, which \
                     differs from this one:"
                )?;
                for d in differences {
                    writeln!(f, "  - {d}")?;
                }
                f.write_str(
                    "stop every worker and run `nurture cluster migrate CAMPAIGN` to carry the \
                     checkpoints over, or start the workers with the campaign they ran",
                )
            }
            ClusterError::Run { partition, error } => write!(f, "partition {partition}: {error}"),
            ClusterError::Program(e) => f.write_str(e),
            ClusterError::LeaseLost { partition } => write!(
                f,
                "partition {partition}'s lease was taken by another worker before this one \
                 renewed it: its state here is dropped, the new owner replays from the last \
                 checkpoint"
            ),
            ClusterError::Busy { owners } => write!(
                f,
                "workers still own partitions ({}): stop them (SIGTERM) before migrating",
                owners.join(", ")
            ),
        }
    }
}

impl std::error::Error for ClusterError {}
