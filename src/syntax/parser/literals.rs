//! Literals: numbers, percentages, durations, times, strings with their interpolations, names.

use super::{Builder, Rule};
use crate::lang::time::MAX_DURATION_SECONDS;
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Builder {
    pub(super) fn literal(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::boolean => {
                ExprKind::Bool(pair.into_inner().next().unwrap().as_rule() == Rule::kw_true)
            }
            Rule::instant => ExprKind::Instant(self.instant(&pair)),
            Rule::time_of_day => ExprKind::TimeOfDay(self.time_of_day(pair).minutes),
            Rule::duration => ExprKind::Duration(self.duration(pair).seconds),
            Rule::percent => ExprKind::Percent(self.percent(pair).value),
            Rule::number => {
                let text = pair.as_str();
                if text.contains('.') {
                    ExprKind::Number(text.parse().unwrap_or(0.0))
                } else {
                    match text.parse::<i64>() {
                        Ok(i) => ExprKind::Int(i),
                        Err(_) => {
                            self.bad_literal(
                                span,
                                format!("`{text}` is too large a number"),
                                "whole numbers go up to 9223372036854775807",
                            );
                            ExprKind::Int(0)
                        }
                    }
                }
            }
            Rule::string => ExprKind::Str(self.string(pair)),
            r => unreachable!("literal {r:?}"),
        };
        Expr { kind, span }
    }

    pub(super) fn string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&pair);
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, t: &str| match parts.last_mut() {
            Some(StrPart::Text(prev)) => prev.push_str(t),
            _ => parts.push(StrPart::Text(t.to_string())),
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::text => push_text(&mut parts, p.as_str()),
                Rule::escape => {
                    let t = match p.as_str() {
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\\"" => "\"",
                        "\\\\" => "\\",
                        "{{" => "{",
                        _ => "}",
                    };
                    push_text(&mut parts, t);
                }
                Rule::interpolation => {
                    let e = self.expr(p.into_inner().next().unwrap());
                    parts.push(StrPart::Interp(e));
                }
                r => unreachable!("string part {r:?}"),
            }
        }
        StrLit { parts, span }
    }

    pub(super) fn ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    pub(super) fn lead_attr(&mut self, pair: Pair<'_, Rule>) -> Ident {
        let word = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::word)
            .unwrap();
        self.ident(word)
    }

    pub(super) fn number(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = self.span(&pair);
        let value = pair.as_str().parse().unwrap_or(0.0);
        Number { value, span }
    }

    pub(super) fn integer(&mut self, pair: Pair<'_, Rule>) -> u32 {
        let span = self.span(&pair);
        pair.as_str().parse().unwrap_or_else(|_| {
            self.bad_literal(
                span,
                format!("`{}` is too large a count", pair.as_str()),
                "counts go up to 4294967295",
            );
            0
        })
    }

    pub(super) fn percent(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = self.span(&pair);
        let value = pair.as_str().trim_end_matches('%').parse().unwrap_or(0.0);
        Number { value, span }
    }

    pub(super) fn duration(&mut self, pair: Pair<'_, Rule>) -> Duration {
        let span = self.span(&pair);
        let mut seconds: i64 = 0;
        let mut digits = String::new();
        let mut overflow = false;
        for c in pair.as_str().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit: i64 = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => 604_800,
            };
            let part = digits.parse::<i64>().ok().and_then(|n| n.checked_mul(unit));
            match part.and_then(|p| seconds.checked_add(p)) {
                Some(s) if s <= MAX_DURATION_SECONDS => seconds = s,
                _ => overflow = true,
            }
            digits.clear();
        }
        if overflow {
            self.bad_literal(
                span,
                format!("`{}` is too long a duration", pair.as_str()),
                "durations go up to 100 years (`5200w`)",
            );
            seconds = 0;
        }
        Duration { seconds, span }
    }

    pub(super) fn time_of_day(&mut self, pair: Pair<'_, Rule>) -> TimeOfDay {
        let span = self.span(&pair);
        let (h, m) = pair.as_str().split_once(':').unwrap();
        let (h, m): (u32, u32) = (h.parse().unwrap(), m.parse().unwrap());
        if h > 23 || m > 59 {
            self.bad_literal(
                span,
                format!("`{}` is not a time of day", pair.as_str()),
                "times of day run from `00:00` to `23:59`",
            );
        }
        TimeOfDay {
            minutes: h * 60 + m,
            span,
        }
    }

    fn instant(&mut self, pair: &Pair<'_, Rule>) -> i64 {
        let text = pair.as_str();
        // RFC 3339 needs seconds; the grammar lets them be left out.
        let full = if text.len() >= 16 && text.as_bytes().get(16) != Some(&b':') {
            format!("{}:00{}", &text[..16], &text[16..])
        } else {
            text.to_string()
        };
        // To the millisecond, as a record's `timestamp` (`crate::lang::time`).
        match chrono::DateTime::parse_from_rfc3339(&full) {
            Ok(t) => t.timestamp_millis(),
            Err(_) => {
                let span = self.span(pair);
                self.bad_literal(
                    span,
                    format!("`{text}` is not a valid date and time"),
                    "write an RFC 3339 instant such as `2026-03-02T09:00:00Z`",
                );
                0
            }
        }
    }
}
