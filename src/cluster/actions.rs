//! `cluster actions`: the actions stream as JSON lines (the records `run` writes), read from
//! its start with an ordered consumer. Each message is a batch of lines (`batch`).

use super::error::ClusterError;
use super::nats::{self, Cluster};
use super::partition::ACTIONS;
use async_nats::jetstream::consumer;
use futures_util::StreamExt;
use std::io::Write;
use tokio::signal::unix::{signal, SignalKind};

/// Writes every action to `out`; stops once the actions stored when it began are written,
/// unless `follow`, and in any case on SIGTERM or Ctrl-C. How many were written.
pub async fn read(
    cluster: &Cluster,
    out: &mut dyn Write,
    follow: bool,
) -> Result<u64, ClusterError> {
    let mut stream = nats::get_stream(&cluster.js, ACTIONS).await?;
    let last = stream
        .info()
        .await
        .map_err(|e| ClusterError::nats("read the actions stream", e))?
        .state
        .last_sequence;
    let write = |e: std::io::Error| ClusterError::Io {
        what: "write the actions".into(),
        error: e,
    };
    if last == 0 && !follow {
        return Ok(0);
    }
    let reader = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::nats("read the actions stream", e))?;
    let mut messages = reader
        .messages()
        .await
        .map_err(|e| ClusterError::nats("read the actions stream", e))?;
    let mut written = 0;
    // Following ends on SIGTERM or Ctrl-C, as a success: what was written is flushed.
    let mut term = signal(SignalKind::terminate()).map_err(|error| ClusterError::Io {
        what: "listen for SIGTERM".into(),
        error,
    })?;
    loop {
        let next = tokio::select! {
            next = messages.next() => next,
            _ = term.recv() => None,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(message) = next else { break };
        let message = message.map_err(|e| ClusterError::nats("read the actions stream", e))?;
        out.write_all(&message.payload).map_err(write)?;
        written += message.payload.iter().filter(|&&b| b == b'\n').count() as u64;
        let seq = message
            .info()
            .map_err(|e| ClusterError::nats("read the actions stream", e))?
            .stream_sequence;
        if follow {
            out.flush().map_err(write)?;
        } else if seq >= last {
            break;
        }
    }
    out.flush().map_err(write)?;
    Ok(written)
}
