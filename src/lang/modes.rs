//! The channels, audiences and enrollment rules a campaign names, shared by the checked
//! program, the compiled one and the VM.

/// How often a lead may enter a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Enroll {
    Once,
    /// Seconds.
    OncePer(i64),
    EveryTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Channel {
    Email,
    Sms,
    Push,
    /// Messages a chatbot shows the lead.
    Chat,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Push, Channel::Chat];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Chat => "chat",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Audience {
    Sales,
    Owner,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Sales, Audience::Owner];

    pub fn name(self) -> &'static str {
        match self {
            Audience::Sales => "sales",
            Audience::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        Audience::ALL.into_iter().find(|c| c.name() == s)
    }
}
