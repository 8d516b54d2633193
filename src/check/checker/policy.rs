//! The sending policy: frequency caps, quiet hours and `suppress` rules.

use super::{Checker, Scope};
use crate::check::program::*;
use crate::diag::Code;
use crate::lang::modes::Channel;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn policy(&mut self, p: &ast::Policy) {
        for item in &p.items {
            match item {
                ast::PolicyItem::Frequency {
                    channel,
                    times,
                    per,
                    span,
                } => {
                    let Some(ch) = Channel::parse(&channel.name) else {
                        self.error(
                            Code::UnknownChannel,
                            channel.span,
                            format!("Nurture does not send by `{}`", channel.name),
                        )
                        .with_help("cap `email`, `sms`, `push` or `chat`");
                        continue;
                    };
                    if self
                        .program
                        .policy
                        .frequency
                        .iter()
                        .any(|f| f.channel == ch)
                    {
                        self.error(
                            Code::Misplaced,
                            *span,
                            format!("`{}` is capped twice", ch.name()),
                        )
                        .with_help("keep one frequency cap per channel");
                        continue;
                    }
                    if *times == 0 || per.seconds == 0 {
                        self.error(
                            Code::BadLiteral,
                            *span,
                            "a frequency cap needs at least one send per a period longer than zero",
                        );
                    }
                    self.program.policy.frequency.push(Frequency {
                        channel: ch,
                        times: *times,
                        per: per.seconds.max(1),
                        span: *span,
                    });
                }
                ast::PolicyItem::QuietHours { from, to, span } => {
                    if self.program.policy.quiet_hours.is_some() {
                        self.error(Code::Misplaced, *span, "quiet hours are given twice")
                            .with_help("keep one `quiet hours` line");
                    }
                    if from.minutes == to.minutes {
                        self.error(
                            Code::BadLiteral,
                            *span,
                            "quiet hours must start and end at different times",
                        );
                    }
                    self.program.policy.quiet_hours = Some(QuietHours {
                        from: from.minutes,
                        to: to.minutes,
                        span: *span,
                    });
                }
                ast::PolicyItem::Suppress { cond, .. } => {
                    let c = self.cond(cond, Scope::default());
                    self.program.policy.suppress.push(c);
                }
            }
        }
    }
}
