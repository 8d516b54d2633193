//! Why a line is rejected: one variant per kind of problem, with the names and values its
//! message needs. `Display` is the reason a marketer reads (in `run`'s rejects, `serve`'s
//! answers, the REPL); `kind` a stable short name for machines. The intake finds most of
//! them; the engine adds the out-of-order time, and the front ends the lines they cannot
//! hand over (too long, not UTF-8).

use std::fmt;

use super::page::PAGE_EVENT;
use super::{MAX_PROPERTIES, TOO_LONG};
use crate::lang::{format, time};

/// Why a line cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Longer than `MAX_LINE`.
    TooLong,
    /// Not UTF-8 text (found by the front end that reads bytes).
    NotUtf8,
    /// Blank apart from a byte-order mark.
    Empty,
    /// Not valid JSON: serde_json's error, its column on the line.
    NotJson {
        error: String,
    },
    /// Valid JSON but not an object: what it is.
    NotObject {
        got: &'static str,
    },
    /// A top-level key given twice.
    Duplicate {
        key: &'static str,
    },
    /// A Segment call the intake does not read (`screen`, …), under `--strict`.
    UnreadCall {
        call: &'static str,
    },
    /// A `type` that is no Segment call, as quoted.
    UnknownType {
        got: String,
    },
    /// A `type` that is not a string.
    BadType {
        got: String,
    },
    /// Nothing tells the call: no `type`, `event` or `traits`.
    NoCall,
    /// No `userId`, or a null one.
    MissingUserId {
        null: bool,
    },
    EmptyUserId,
    BadUserId {
        got: String,
    },
    MissingTimestamp,
    BadTimestamp {
        got: String,
    },
    /// A `timestamp` outside the range the clock supports (`crate::lang::time`).
    TimestampOutOfRange {
        at: i64,
    },
    /// Earlier than the clock, which never goes back (found by the engine).
    OutOfOrder {
        at: i64,
        clock: i64,
    },
    MissingEvent,
    EmptyEvent,
    BadEvent {
        got: String,
    },
    /// An event the campaign does not declare, under `--strict`.
    UndeclaredEvent {
        event: String,
    },
    PropertiesNotObject {
        event: String,
        got: String,
    },
    TooManyProperties {
        event: String,
    },
    /// `properties` that are not valid JSON, read after the line.
    UnreadableProperties {
        event: String,
        error: String,
    },
    MissingProperties {
        event: String,
        names: Vec<String>,
    },
    TraitsNotObject {
        got: String,
    },
    TooManyTraits,
    UnreadableTraits {
        error: String,
    },
    /// A value that does not have its field's type.
    WrongType {
        owner: Owner,
        expected: String,
        or_null: bool,
        got: String,
    },
    /// An item of a list property that does not have the list's item type (`item` from 1).
    BadListItem {
        event: String,
        property: String,
        expected: String,
        item: usize,
        got: String,
    },
    /// More texts than a record can refer to.
    TooManyTexts {
        owner: Owner,
    },
    /// A page call when the campaign declares no `page.viewed`, under `--strict`.
    PageUndeclared,
    /// A page call that also names an `event`.
    PageWithEvent,
    UnreadablePageName {
        error: String,
    },
}

/// Whose value a problem is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Property {
        event: String,
        name: String,
    },
    Trait {
        name: String,
    },
    /// A page call's own `name`.
    PageName,
}

impl Problem {
    /// A stable short name for the kind of problem, for machines.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::TooLong => "too-long",
            Problem::NotUtf8 => "not-utf8",
            Problem::Empty => "empty-line",
            Problem::NotJson { .. } => "not-json",
            Problem::NotObject { .. } => "not-an-object",
            Problem::Duplicate { .. } => "duplicate-key",
            Problem::UnreadCall { .. } => "unread-call",
            Problem::UnknownType { .. } => "unknown-type",
            Problem::BadType { .. } => "bad-type",
            Problem::NoCall => "unknown-call",
            Problem::MissingUserId { .. } => "missing-user-id",
            Problem::EmptyUserId => "empty-user-id",
            Problem::BadUserId { .. } => "bad-user-id",
            Problem::MissingTimestamp => "missing-timestamp",
            Problem::BadTimestamp { .. } => "bad-timestamp",
            Problem::TimestampOutOfRange { .. } => "timestamp-out-of-range",
            Problem::OutOfOrder { .. } => "out-of-order",
            Problem::MissingEvent => "missing-event",
            Problem::EmptyEvent => "empty-event",
            Problem::BadEvent { .. } => "bad-event",
            Problem::UndeclaredEvent { .. } => "undeclared-event",
            Problem::PropertiesNotObject { .. } => "properties-not-an-object",
            Problem::TooManyProperties { .. } => "too-many-properties",
            Problem::UnreadableProperties { .. } => "unreadable-properties",
            Problem::MissingProperties { .. } => "missing-property",
            Problem::TraitsNotObject { .. } => "traits-not-an-object",
            Problem::TooManyTraits => "too-many-traits",
            Problem::UnreadableTraits { .. } => "unreadable-traits",
            Problem::WrongType { .. } => "wrong-type",
            Problem::BadListItem { .. } => "bad-list-item",
            Problem::TooManyTexts { .. } => "too-many-texts",
            Problem::PageUndeclared => "page-undeclared",
            Problem::PageWithEvent => "page-with-event",
            Problem::UnreadablePageName { .. } => "unreadable-page-name",
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Property { event, name } => write!(f, "event `{event}`: property `{name}`"),
            Owner::Trait { name } => write!(f, "trait `{name}`"),
            Owner::PageName => f.write_str("a `page` call: `name`"),
        }
    }
}

impl fmt::Display for Problem {
    /// It stays whole: one arm per variant, so that every reason's text reads side by side.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::TooLong => f.write_str(TOO_LONG),
            Problem::NotUtf8 => f.write_str("the line is not UTF-8 text"),
            Problem::Empty => f.write_str("empty line: expected a JSON object"),
            Problem::NotJson { error } => write!(f, "not valid JSON: {error}"),
            Problem::NotObject { got } => write!(f, "not a JSON object: the line is {got}"),
            Problem::Duplicate { key } => write!(f, "`{key}` is given twice"),
            Problem::UnreadCall { call } => write!(
                f,
                "a `{call}` call: only identify, track and page calls are read"
            ),
            Problem::UnknownType { got } => write!(
                f,
                "unknown `type` {got}: expected identify, track, page, screen, group or alias"
            ),
            Problem::BadType { got } => write!(f, "`type` must be a string, got {got}"),
            Problem::NoCall => f.write_str(
                "no `type`, `event` or `traits`: cannot tell an identify from a track",
            ),
            Problem::MissingUserId { null: false } => f.write_str("missing `userId`"),
            Problem::MissingUserId { null: true } => f.write_str("missing `userId` (it is null)"),
            Problem::EmptyUserId => f.write_str("`userId` is empty"),
            Problem::BadUserId { got } => {
                write!(f, "`userId` must be a string or a number, got {got}")
            }
            Problem::MissingTimestamp => f.write_str("missing `timestamp`"),
            Problem::BadTimestamp { got } => write!(
                f,
                "`timestamp` must be an RFC 3339 time such as 2026-03-02T09:00:00Z, got {got}"
            ),
            Problem::TimestampOutOfRange { at } => {
                f.write_str(&time::out_of_range("`timestamp`", *at, time::LAST_EVENT))
            }
            Problem::OutOfOrder { at, clock } => write!(
                f,
                "timestamp {} is earlier than {} already processed: the input must be in time order",
                format::instant(*at),
                format::instant(*clock)
            ),
            Problem::MissingEvent => f.write_str("track record without `event`"),
            Problem::EmptyEvent => f.write_str("`event` is empty"),
            Problem::BadEvent { got } => write!(f, "`event` must be a string, got {got}"),
            Problem::UndeclaredEvent { event } => {
                write!(f, "event `{event}` is not declared in the campaign")
            }
            Problem::PropertiesNotObject { event, got } => write!(
                f,
                "event `{event}`: `properties` must be an object, got {got}"
            ),
            Problem::TooManyProperties { event } => write!(
                f,
                "event `{event}`: `properties` has more than {MAX_PROPERTIES} keys"
            ),
            Problem::UnreadableProperties { event, error } => {
                write!(f, "event `{event}`: cannot read `properties`: {error}")
            }
            Problem::MissingProperties { event, names } => {
                let noun = if names.len() == 1 {
                    "property"
                } else {
                    "properties"
                };
                write!(f, "event `{event}`: missing required {noun} ")?;
                for (n, name) in names.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{name}`")?;
                }
                Ok(())
            }
            Problem::TraitsNotObject { got } => write!(f, "`traits` must be an object, got {got}"),
            Problem::TooManyTraits => write!(f, "`traits` has more than {MAX_PROPERTIES} keys"),
            Problem::UnreadableTraits { error } => write!(f, "cannot read `traits`: {error}"),
            Problem::WrongType {
                owner,
                expected,
                or_null,
                got,
            } => {
                let or_null = if *or_null { " or null" } else { "" };
                write!(f, "{owner} must be {expected}{or_null}, got {got}")
            }
            Problem::BadListItem {
                event,
                property,
                expected,
                item,
                got,
            } => write!(
                f,
                "event `{event}`: property `{property}` must be {expected}, but its item {item} is {got}"
            ),
            Problem::TooManyTexts { owner } => {
                write!(f, "{owner}: too many text values in one record")
            }
            Problem::PageUndeclared => write!(
                f,
                "a `page` call: the campaign declares no `{PAGE_EVENT}` to read it as"
            ),
            Problem::PageWithEvent => write!(
                f,
                "a `page` call with an `event`: a page call is read as `{PAGE_EVENT}`; send other \
                 events as `track` calls"
            ),
            Problem::UnreadablePageName { error } => {
                write!(f, "a `page` call: cannot read `name`: {error}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Owner, Problem};

    /// A number per variant, with no wildcard: a new variant does not compile here until it
    /// has an example below.
    fn variant(p: &Problem) -> usize {
        match p {
            Problem::TooLong => 0,
            Problem::NotUtf8 => 1,
            Problem::Empty => 2,
            Problem::NotJson { .. } => 3,
            Problem::NotObject { .. } => 4,
            Problem::Duplicate { .. } => 5,
            Problem::UnreadCall { .. } => 6,
            Problem::UnknownType { .. } => 7,
            Problem::BadType { .. } => 8,
            Problem::NoCall => 9,
            Problem::MissingUserId { .. } => 10,
            Problem::EmptyUserId => 11,
            Problem::BadUserId { .. } => 12,
            Problem::MissingTimestamp => 13,
            Problem::BadTimestamp { .. } => 14,
            Problem::TimestampOutOfRange { .. } => 15,
            Problem::OutOfOrder { .. } => 16,
            Problem::MissingEvent => 17,
            Problem::EmptyEvent => 18,
            Problem::BadEvent { .. } => 19,
            Problem::UndeclaredEvent { .. } => 20,
            Problem::PropertiesNotObject { .. } => 21,
            Problem::TooManyProperties { .. } => 22,
            Problem::UnreadableProperties { .. } => 23,
            Problem::MissingProperties { .. } => 24,
            Problem::TraitsNotObject { .. } => 25,
            Problem::TooManyTraits => 26,
            Problem::UnreadableTraits { .. } => 27,
            Problem::WrongType { .. } => 28,
            Problem::BadListItem { .. } => 29,
            Problem::TooManyTexts { .. } => 30,
            Problem::PageUndeclared => 31,
            Problem::PageWithEvent => 32,
            Problem::UnreadablePageName { .. } => 33,
        }
    }
    const VARIANTS: usize = 34;

    fn examples() -> Vec<Problem> {
        let s = |t: &str| t.to_string();
        let prop = || Owner::Property {
            event: s("Order Completed"),
            name: s("total"),
        };
        vec![
            Problem::TooLong,
            Problem::NotUtf8,
            Problem::Empty,
            Problem::NotJson {
                error: s("expected value at column 1"),
            },
            Problem::NotObject { got: "an array" },
            Problem::Duplicate { key: "userId" },
            Problem::UnreadCall { call: "screen" },
            Problem::UnknownType {
                got: s("\"purchase\""),
            },
            Problem::BadType { got: s("3") },
            Problem::NoCall,
            Problem::MissingUserId { null: false },
            Problem::MissingUserId { null: true },
            Problem::EmptyUserId,
            Problem::BadUserId { got: s("true") },
            Problem::MissingTimestamp,
            Problem::BadTimestamp {
                got: s("\"yesterday\""),
            },
            Problem::TimestampOutOfRange { at: -1_000 },
            Problem::OutOfOrder {
                at: 1_772_442_000_000,
                clock: 1_772_445_600_000,
            },
            Problem::MissingEvent,
            Problem::EmptyEvent,
            Problem::BadEvent {
                got: s("an object"),
            },
            Problem::UndeclaredEvent { event: s("Promo") },
            Problem::PropertiesNotObject {
                event: s("signup"),
                got: s("\"x\""),
            },
            Problem::TooManyProperties { event: s("signup") },
            Problem::UnreadableProperties {
                event: s("signup"),
                error: s("EOF while parsing an object at column 9"),
            },
            Problem::MissingProperties {
                event: s("Order Completed"),
                names: vec![s("total")],
            },
            Problem::MissingProperties {
                event: s("Order Completed"),
                names: vec![s("total"), s("items")],
            },
            Problem::TraitsNotObject { got: s("an array") },
            Problem::TooManyTraits,
            Problem::UnreadableTraits {
                error: s("EOF while parsing a string at column 12"),
            },
            Problem::WrongType {
                owner: prop(),
                expected: s("a number"),
                or_null: false,
                got: s("\"12\""),
            },
            Problem::WrongType {
                owner: Owner::Trait { name: s("plan") },
                expected: s("one of \"free\", \"pro\""),
                or_null: true,
                got: s("\"gold\""),
            },
            Problem::BadListItem {
                event: s("Order Completed"),
                property: s("skus"),
                expected: s("a list of strings"),
                item: 2,
                got: s("7"),
            },
            Problem::TooManyTexts { owner: prop() },
            Problem::TooManyTexts {
                owner: Owner::PageName,
            },
            Problem::PageUndeclared,
            Problem::PageWithEvent,
            Problem::UnreadablePageName {
                error: s("invalid escape at column 3"),
            },
        ]
    }

    /// Every variant's kind and text, so that a change of wording shows in review.
    #[test]
    fn every_problem_renders() {
        let examples = examples();
        let mut seen = [false; VARIANTS];
        for p in &examples {
            seen[variant(p)] = true;
        }
        assert!(
            seen.iter().all(|&s| s),
            "a variant has no example: {seen:?}"
        );
        let listing: String = examples
            .iter()
            .map(|p| format!("{}: {p}\n", p.kind()))
            .collect();
        insta::assert_snapshot!(listing);
    }

    /// A kind names one variant: two variants never share one.
    #[test]
    fn kinds_are_distinct_short_names() {
        let mut by_kind = std::collections::BTreeMap::new();
        for p in examples() {
            let kind = p.kind();
            assert!(
                kind.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{kind}"
            );
            let v = *by_kind.entry(kind).or_insert(variant(&p));
            assert_eq!(v, variant(&p), "{kind} names two variants");
        }
        assert_eq!(by_kind.len(), VARIANTS);
    }

    /// docs/serve.md lists every kind, for the programs that read them.
    #[test]
    fn every_kind_is_documented() {
        let doc = include_str!("../../../docs/serve.md");
        for p in examples() {
            let row = format!("| `{}` |", p.kind());
            assert!(doc.contains(&row), "docs/serve.md has no row {row}");
        }
    }
}
