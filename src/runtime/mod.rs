//! Running a campaign over a stream: event intake (Segment JSON lines), the engine that
//! drives the VM in event time, and action output.

pub mod durable;
pub mod engine;
pub mod intake;
pub mod lines;
pub mod live;
pub mod outbox;
pub mod output;
pub mod record;
pub mod store;
