//! What every stage shares: spans, types, runtime values (lists an event brings among them),
//! operators, channels and enrollment modes, how values are written, the one stable hash, and
//! "did you mean". A leaf: it imports nothing of ours, and every other module may import it
//! (ARCHITECTURE.md, "Layers").

pub mod format;
pub mod hash;
pub mod modes;
pub mod ops;
pub mod seq;
pub mod span;
pub mod spelling;
pub mod stack;
pub mod time;
pub mod types;
pub mod value;
pub mod written;
