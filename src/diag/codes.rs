//! The table of diagnostic codes. Codes are stable: never renumber, only add.
//!
//! Each code is documented with a wrong and a fixed example in `docs/diagnostics.md`, which
//! `nurture explain CODE` prints and the test suite checks.

use super::Severity;
use serde::{Serialize, Serializer};

macro_rules! codes {
    ($( $variant:ident = $code:literal, $name:literal, $sev:ident, $summary:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable code, such as `E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A short stable name, usable instead of the code in `nurture: ignore` comments.
            pub fn name(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    // Reading the file.
    Syntax            = "E0001", "syntax",             Error, "the file does not follow Nurture's syntax";
    NotUtf8           = "E0002", "not-utf8",           Error, "the file is not UTF-8 text";
    TooDeep           = "E0003", "too-deep",           Error, "an expression is nested too deeply";
    UnclosedString    = "E0004", "unclosed-string",    Error, "a string has no closing quote on its line";
    BadLiteral        = "E0005", "bad-literal",        Error, "a literal is out of range (a time, a date, a number)";
    TooLarge          = "E0006", "too-large",          Error, "the file is larger than Nurture accepts";
    TooManyInterpolations = "E0007", "too-many-interpolations", Error, "a text has more `{…}` interpolations than Nurture accepts";

    // Names.
    UnknownName       = "E0101", "unknown-name",       Error, "a name that is not declared";
    UnknownEvent      = "E0102", "unknown-event",      Error, "an event that is not declared";
    UnknownWorkflow   = "E0103", "unknown-workflow",   Error, "a workflow that is not declared";
    UnknownList       = "E0104", "unknown-list",       Error, "a smart list that is not declared";
    Duplicate         = "E0105", "duplicate",          Error, "two declarations share a name";
    UnknownType       = "E0106", "unknown-type",       Error, "a type that does not exist";
    UnknownAttribute  = "E0107", "unknown-attribute",  Error, "a lead attribute that the schema does not declare";
    UnknownVariant    = "E0108", "unknown-variant",    Error, "an enum value that the enum does not have";
    UnknownChannel    = "E0109", "unknown-channel",    Error, "a channel or audience Nurture does not know";

    // Types.
    TypeMismatch      = "E0201", "type-mismatch",      Error, "a value of the wrong type";
    NotACondition     = "E0202", "not-a-condition",    Error, "a condition that is not true or false";
    BadOperands       = "E0203", "bad-operands",       Error, "an operator applied to values it does not work on";
    OptionalInString  = "E0204", "optional-in-string", Error, "an optional value interpolated into a string";
    NotComparable     = "E0205", "not-comparable",     Error, "a comparison chained onto another";

    // Meaning.
    BadRegex          = "E0301", "bad-regex",          Error, "a regex that does not compile";
    BadTimezone       = "E0302", "bad-timezone",       Error, "a time zone that is not an IANA name";
    ScoreCycle        = "E0303", "score-cycle",        Error, "derived scores that depend on each other in a circle";
    MisplacedSince    = "E0304", "misplaced-since",    Error, "`since enrolled` outside a workflow";
    HistoryInWhere    = "E0305", "history-in-where",   Error, "`did`, `count` or `last` inside a `where` filter";
    SplitShares       = "E0306", "split-shares",       Error, "split shares that do not add up to 100%";
    MisplacedReceived = "E0307", "misplaced-received", Error, "`received` with no `wait up to … for` before it";
    TriggerLoop       = "E0308", "trigger-loop",       Error, "triggers and `set` steps that set each other off forever";
    TestOnly          = "E0309", "test-only",          Error, "test syntax (`NAME of LEAD`) outside a test";
    BadPercent        = "E0310", "bad-percent",        Error, "a percentage outside 0% to 100%";
    BadAssignment     = "E0311", "bad-assignment",     Error, "a `set` that cannot write that attribute";
    Misplaced         = "E0312", "misplaced",          Error, "a construct used where it has no meaning";
    EventNotInRun     = "E0313", "event-not-in-run",   Error, "a step reads an event its run may not have";
    MissingElse       = "E0317", "missing-else",       Error, "a decision with no `else` row";
    DecisionTypes     = "E0318", "decision-types",     Error, "decision rows that give values of different types";
    DecisionValue     = "E0319", "decision-value",     Error, "a decision value that is not fixed text or a record of fixed values";
    HoldoutWithoutGoal = "E0320", "holdout-without-goal", Error, "a `holdout` in a workflow whose `goal` has no `within` window";
    BadHoldout        = "E0321", "bad-holdout",        Error, "a holdout share that is not a whole percent from 1% to 99%";

    // Running tests.
    TestFailed        = "E0401", "test-failed",        Error, "an expectation in a `test` block did not hold";

    // Lints: warnings, each silenceable with `// nurture: ignore CODE`.
    BareOptional      = "W0101", "bare-optional",      Warning, "an optional value compared without `is set` or `??`";
    UnstartedWorkflow = "W0102", "unstarted-workflow", Warning, "a workflow that nothing starts";
    UnusedEvent       = "W0103", "unused-event",       Warning, "an event declared but never used";
    NoExit            = "W0104", "no-exit",            Warning, "a workflow that sends but has neither `exit when` nor `goal`";
    NoFrequencyCap    = "W0105", "no-frequency-cap",   Warning, "a campaign that sends email with no frequency cap";
    UnreachableStep   = "W0106", "unreachable-step",   Warning, "steps that can never run";
    NeverHolds        = "W0107", "never-holds",        Warning, "a condition that can never hold";
    ShadowedName      = "W0108", "shadowed-name",      Warning, "an event property that hides a score, list or attribute";
    MixedAndOr        = "W0109", "mixed-and-or",       Warning, "`and` and `or` mixed without parentheses";
    UnknownIgnore     = "W0110", "unknown-ignore",     Warning, "a `nurture: ignore` comment naming no known lint";
    PossibleLoop      = "W0111", "possible-loop",      Warning, "triggers and `set` steps that may set each other off in a circle";
    UndeclaredLead    = "W0112", "undeclared-lead",    Warning, "a test event for a lead the test has not declared";
    MaybeMissingData  = "W0113", "missing-data",       Warning, "a `with` value that may be missing, sent as `null`";
    UnreadList        = "W0114", "unread-list",        Warning, "an event property of a list type that input cannot carry";
    UnreachableRow    = "W0115", "unreachable-row",    Warning, "a decision row that is never chosen";
    AlwaysHoldsRow    = "W0116", "always-holds-row",   Warning, "a decision row that always holds, before other rows";
    SmallHoldout      = "W0117", "small-holdout",      Warning, "a holdout under 5%, too small to measure much";
    LargeHoldout      = "W0118", "large-holdout",      Warning, "a holdout over 50%, keeping most leads from the workflow";

    // Notes: about the report itself, never a problem of their own.
    TooManyDiagnostics = "N0001", "too-many-diagnostics", Note, "a file has more problems than Nurture shows at once";
}

impl Code {
    /// The anchor of the code's section in docs/diagnostics.md, as GitHub makes it from the
    /// heading `## E0101 unknown-name`: `e0101-unknown-name`.
    pub fn anchor(self) -> String {
        format!("{}-{}", self.as_str().to_lowercase(), self.name())
    }

    /// Looks a code up by its code (`W0101`) or its name (`bare-optional`).
    pub fn parse(text: &str) -> Option<Code> {
        let text = text.trim();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text) || c.name() == text)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let codes: HashSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let names: HashSet<_> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(codes.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
    }

    #[test]
    fn severity_follows_the_letter() {
        for c in Code::ALL {
            let want = match &c.as_str()[..1] {
                "E" => Severity::Error,
                "W" => Severity::Warning,
                "N" => Severity::Note,
                other => panic!("{c}: no severity starts with {other}"),
            };
            assert_eq!(c.severity(), want, "{}", c);
        }
    }

    #[test]
    fn parse_accepts_code_or_name() {
        assert_eq!(Code::parse("w0101"), Some(Code::BareOptional));
        assert_eq!(Code::parse("unused-event"), Some(Code::UnusedEvent));
        assert_eq!(Code::parse("nope"), None);
    }
}
