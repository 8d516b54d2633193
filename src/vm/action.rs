//! What the VM emits: actions for downstream systems, and records of what it decided.

use crate::check::program::{Audience, Channel};
use compact_str::CompactString;

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// Inline for ids of up to 24 bytes (most), so emitting an action allocates nothing.
    pub lead: CompactString,
    pub kind: ActionKind,
    pub source: Source,
    /// Stable across runs of the same input: downstream senders drop duplicates by it.
    pub id: u64,
}

/// What produced an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Workflow { workflow: String, step: String },
    Trigger { index: u16 },
    Engine,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    Send {
        channel: Channel,
        template: String,
    },
    /// A send that did not go out, and the rule that stopped it.
    Suppressed {
        channel: Channel,
        template: String,
        rule: String,
    },
    Notify {
        audience: Audience,
        message: String,
    },
    Retarget {
        add: bool,
        audience: String,
    },
    Webhook {
        name: String,
        fields: Vec<(String, serde_json::Value)>,
    },
    Set {
        attr: String,
        value: serde_json::Value,
    },
    Tag {
        tag: String,
        add: bool,
    },
    Converted {
        workflow: String,
    },
    Entered {
        list: CompactString,
    },
    Exited {
        list: CompactString,
    },
    /// A cascade of triggers and `set`s stopped at the depth limit.
    CascadeLimit {
        depth: u32,
    },
}

impl ActionKind {
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::Send { .. } => "send",
            ActionKind::Suppressed { .. } => "suppressed",
            ActionKind::Notify { .. } => "notify",
            ActionKind::Retarget { .. } => "retarget",
            ActionKind::Webhook { .. } => "webhook",
            ActionKind::Set { .. } => "set",
            ActionKind::Tag { add: true, .. } => "tag",
            ActionKind::Tag { add: false, .. } => "untag",
            ActionKind::Converted { .. } => "converted",
            ActionKind::Entered { .. } => "enter",
            ActionKind::Exited { .. } => "exit",
            ActionKind::CascadeLimit { .. } => "error",
        }
    }

    /// Membership records are written only when asked for (`--memberships`).
    pub fn is_membership(&self) -> bool {
        matches!(self, ActionKind::Entered { .. } | ActionKind::Exited { .. })
    }
}

/// FNV-1a, 64 bits: the hash `split` uses (language.md §9) and the basis of action ids.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::default();
    h.write(bytes);
    h.finish()
}

/// FNV-1a fed in pieces, so a key need not be assembled first.
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// As a hasher for maps keyed by short names (a schema's properties): quick where they are.
impl std::hash::Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        Fnv1a::write(self, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }
}
