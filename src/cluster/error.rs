//! What can go wrong in `nurture cluster` and `nurture worker`, said for the person running
//! them.

use nurture::runtime::durable::RunError;
use nurture::runtime::store::{StoreError, SCHEMA_VERSION};
use std::path::PathBuf;

#[derive(Debug)]
pub enum ClusterError {
    /// The NATS server could not be reached.
    Connect { url: String, error: String },
    /// `--nats` is not a list of NATS URLs.
    BadUrl { url: String, error: String },
    /// The server refused the credentials presented (or asked for some and got none).
    NotAuthorised { url: String, presented: Presented },
    /// The TLS handshake failed: an unknown CA, a name that does not match, no TLS there.
    Tls { url: String, error: String },
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
    /// A partition's checkpoint was written by a nurture with another table layout.
    CheckpointLayout { partition: u32, found: i32 },
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
    /// `cluster migrate` while partitions have published actions their checkpoints do not
    /// cover (a worker was killed, not stopped).
    AheadOfCheckpoint { partitions: Vec<u32> },
    /// Another worker published a partition's actions since this one last did.
    ActionsRaced { partition: u32 },
    /// A partition's last actions message does not say where it ends.
    ActionsUnreadable { partition: u32, sequence: u64 },
}

/// The credentials a connection presented, for saying what to fix when they are refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Presented {
    None,
    UserPassword { user: String },
    Token,
    File(PathBuf),
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
    /// It stays whole: one arm per variant, so that every error's text reads side by side.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterError::Connect { url, error } => write!(
                f,
                "cannot reach NATS at {url}: {error} (is nats-server running with -js?)"
            ),
            ClusterError::BadUrl { url, error } => write!(
                f,
                "--nats (or NURTURE_NATS_URL) `{url}` is not a NATS server URL: {error}; write \
                 nats://HOST:4222 (tls://HOST:4222 for TLS), with credentials \
                 nats://USER:PASSWORD@HOST:4222 or nats://TOKEN@HOST:4222, several \
                 comma-separated"
            ),
            ClusterError::NotAuthorised { url, presented } => match presented {
                Presented::None => write!(
                    f,
                    "NATS at {url} asks for credentials and none were given: put them in the \
                     URL (nats://USER:PASSWORD@HOST:4222 or nats://TOKEN@HOST:4222), or give a \
                     credentials file with --creds"
                ),
                Presented::UserPassword { user } => write!(
                    f,
                    "NATS at {url} refused user `{user}` with the password given: check both in \
                     the URL (nats://USER:PASSWORD@HOST:4222, with special characters of the \
                     password percent-encoded, such as %40 for @)"
                ),
                Presented::Token => write!(
                    f,
                    "NATS at {url} refused the token given: check it in the URL \
                     (nats://TOKEN@HOST:4222)"
                ),
                Presented::File(path) => write!(
                    f,
                    "NATS at {url} refused the credentials in {}: check that it is this user's \
                     current .creds file (its JWT and NKey seed), issued under this server's \
                     operator",
                    path.display()
                ),
            },
            ClusterError::Tls { url, error } => write!(
                f,
                "the TLS connection to NATS at {url} failed: {error}. Check that --tls-ca names \
                 the CA that signed the server's certificate and that the certificate names the \
                 host of the URL; give --tls-cert and --tls-key if the server asks for a client \
                 certificate; drop --tls-ca and the tls:// scheme if the server has no TLS"
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
            ClusterError::CheckpointLayout { partition, found } => write!(
                f,
                "partition {partition}'s checkpoint has table layout {found}, and this nurture \
                 reads layout {SCHEMA_VERSION}: run the workers with the nurture that wrote it, \
                 or start the cluster afresh (a new stream directory, `cluster init`, the events \
                 published again); nothing was changed"
            ),
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
            ClusterError::AheadOfCheckpoint { partitions } => write!(
                f,
                "partition(s) {} published actions after their last checkpoint (a worker was \
                 killed rather than stopped), and the new campaign cannot take over from there: \
                 start the workers with the campaign they ran, let them catch up, stop them \
                 (SIGTERM), then migrate",
                partitions
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ClusterError::ActionsRaced { partition } => write!(
                f,
                "another worker published partition {partition}'s actions meanwhile (its lease \
                 moved): this one's batch was refused, so nothing went out twice; the partition \
                 starts again from its last checkpoint if this worker still owns it"
            ),
            ClusterError::ActionsUnreadable {
                partition,
                sequence,
            } => write!(
                f,
                "the actions stream's message {sequence} (partition {partition}'s last) has no \
                 Nurture-Through header, so where the partition's published actions end is \
                 unknown: was it written by something other than this version of `nurture \
                 worker`? Start the cluster afresh (a new stream directory, `cluster init`, \
                 the events published again)"
            ),
        }
    }
}

impl std::error::Error for ClusterError {}
