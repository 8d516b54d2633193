//! What a condition comes to when one attribute is known to hold one value and nothing else is
//! known: true, false, or unknown, combined by `and`, `or` and `not` as three-valued logic.
//!
//! The trigger-loop analysis asks it what a `set lead.x = v` can do to a list: a list whose
//! condition is false with `x = v` cannot be entered by that `set`, one whose condition is true
//! cannot be left by it. Lists read inside a condition are followed a few levels deep, and one
//! analysis shares a budget of expressions, so a generated file costs no more than a campaign a
//! person writes; past either limit the answer is "unknown", which is always safe.

use super::program::*;
use crate::lang::ops::BinOp;
use crate::lang::types::Value;

/// What a condition is under an assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, other: Truth) -> Truth {
        self.not().and(other.not()).not()
    }
}

/// How many expressions one analysis may look at in all, and how many lists deep it follows a
/// list read inside another's condition.
pub const BUDGET: usize = 200_000;
pub const MAX_LIST_DEPTH: usize = 16;

/// "`attr` holds `value`", asked of one program's conditions.
pub struct Assumption<'p> {
    pub program: &'p Program,
    pub attr: AttrId,
    pub value: &'p Value,
}

/// What is left of an analysis's expressions.
#[derive(Debug)]
pub struct Budget(pub usize);

impl Default for Budget {
    fn default() -> Budget {
        Budget(BUDGET)
    }
}

impl Assumption<'_> {
    /// What `cond` is when the attribute holds the value.
    pub fn truth(&self, cond: &Expr, budget: &mut Budget) -> Truth {
        self.truth_at(cond, budget, 0)
    }

    fn truth_at(&self, e: &Expr, budget: &mut Budget, depth: usize) -> Truth {
        if budget.0 == 0 {
            return Truth::Unknown;
        }
        budget.0 -= 1;
        match &e.kind {
            ExprKind::Const(Value::Bool(b)) => Truth::of(*b),
            ExprKind::Not(x) => self.truth_at(x, budget, depth).not(),
            ExprKind::Binary {
                op: BinOp::And,
                lhs,
                rhs,
            } => {
                let l = self.truth_at(lhs, budget, depth);
                l.and(self.truth_at(rhs, budget, depth))
            }
            ExprKind::Binary {
                op: BinOp::Or,
                lhs,
                rhs,
            } => {
                let l = self.truth_at(lhs, budget, depth);
                l.or(self.truth_at(rhs, budget, depth))
            }
            ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
                match (self.value(lhs), self.value(rhs)) {
                    (Some(a), Some(b)) => compare(*op, &a, &b).map_or(Truth::Unknown, Truth::of),
                    _ => Truth::Unknown,
                }
            }
            // The value is never missing: a `set` to a constant writes a value.
            ExprKind::Is { expr, set } => match self.value(expr) {
                Some(_) => Truth::of(*set),
                None => Truth::Unknown,
            },
            ExprKind::In { expr, negated, set } => match (self.value(expr), self.value(set)) {
                (Some(x), Some(Value::List(items))) => {
                    let found = items
                        .iter()
                        .any(|i| compare(BinOp::Eq, &x, i) == Some(true));
                    Truth::of(found != *negated)
                }
                _ => Truth::Unknown,
            },
            ExprKind::InList(l) if depth < MAX_LIST_DEPTH => {
                let cond = &self.program.lists[*l as usize].cond;
                self.truth_at(cond, budget, depth + 1)
            }
            // A `bool` attribute, as in `list vip = lead.vip`.
            _ => match self.value(e) {
                Some(Value::Bool(b)) => Truth::of(b),
                _ => Truth::Unknown,
            },
        }
    }

    /// The value of `e`, when the assumption fixes it.
    fn value(&self, e: &Expr) -> Option<Value> {
        match &e.kind {
            ExprKind::Const(Value::Missing) => None,
            ExprKind::Const(v) => Some(v.clone()),
            ExprKind::Attr(a) if *a == self.attr => Some(self.value.clone()),
            // `lead.x ?? fallback` is `lead.x` when it is set.
            ExprKind::Binary {
                op: BinOp::Coalesce,
                lhs,
                ..
            } => self.value(lhs),
            _ => None,
        }
    }
}

/// `a op b` on two known values; `None` when the values do not compare that way.
fn compare(op: BinOp, a: &Value, b: &Value) -> Option<bool> {
    use std::cmp::Ordering;
    let order = match (a, b) {
        (Value::Int(_) | Value::Number(_), Value::Int(_) | Value::Number(_)) => {
            number(a)?.partial_cmp(&number(b)?)
        }
        (Value::Duration(x), Value::Duration(y)) | (Value::Time(x), Value::Time(y)) => {
            Some(x.cmp(y))
        }
        (Value::TimeOfDay(x), Value::TimeOfDay(y)) => Some(x.cmp(y)),
        _ => None,
    };
    Some(match op {
        BinOp::Eq => order.map_or(a == b, |o| o == Ordering::Equal),
        BinOp::Ne => order.map_or(a != b, |o| o != Ordering::Equal),
        BinOp::Lt => order? == Ordering::Less,
        BinOp::Le => order? != Ordering::Greater,
        BinOp::Gt => order? == Ordering::Greater,
        BinOp::Ge => order? != Ordering::Less,
        BinOp::Contains => match (a, b) {
            (Value::Str(x), Value::Str(y)) => x.contains(y.as_str()),
            (Value::List(items), x) => items.iter().any(|i| compare(BinOp::Eq, i, x) == Some(true)),
            _ => return None,
        },
        BinOp::StartsWith | BinOp::EndsWith => match (a, b) {
            (Value::Str(x), Value::Str(y)) if op == BinOp::StartsWith => x.starts_with(y.as_str()),
            (Value::Str(x), Value::Str(y)) => x.ends_with(y.as_str()),
            _ => return None,
        },
        _ => return None,
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The truth of list `name` in `src` when `lead.attr` is set to `value` (an expression).
    fn truth(src: &str, name: &str, attr: &str, value: &str) -> Truth {
        let src = format!("{src}\non form.submitted set lead.{attr} = {value}\n");
        let (_, program) = crate::check::check_text(&src);
        let program = program.expect("checks");
        let StepKind::Set { attr, value } = &program.triggers.last().unwrap().action.kind else {
            panic!("a set")
        };
        let ExprKind::Const(value) = &value.kind else {
            panic!("a constant")
        };
        let a = Assumption {
            program: &program,
            attr: *attr,
            value,
        };
        let list = program.list(name).unwrap() as usize;
        a.truth(&program.lists[list].cond, &mut Budget::default())
    }

    const LEAD: &str = "lead { stage: Stage = fresh\n size: int = 0\n vip: bool = false\n \
                        country: string? }\nenum Stage { fresh, mql, sql }\n";

    #[test]
    fn a_known_value_decides_what_reads_only_it() {
        let list = |cond: &str| format!("{LEAD}list l = {cond}");
        let t = |cond: &str, attr: &str, value: &str| truth(&list(cond), "l", attr, value);
        assert_eq!(t("lead.stage == mql", "stage", "sql"), Truth::False);
        assert_eq!(t("lead.stage == sql", "stage", "sql"), Truth::True);
        assert_eq!(t("lead.stage != sql", "stage", "sql"), Truth::False);
        assert_eq!(t("lead.stage in [mql, sql]", "stage", "sql"), Truth::True);
        assert_eq!(
            t("lead.stage not in [mql, sql]", "stage", "fresh"),
            Truth::True
        );
        assert_eq!(t("lead.vip", "vip", "true"), Truth::True);
        assert_eq!(t("lead.size >= 50", "size", "49"), Truth::False);
        assert_eq!(t("lead.size >= 50.5", "size", "51"), Truth::True);
        assert_eq!(t("lead.country is set", "country", "\"FR\""), Truth::True);
        assert_eq!(
            t("(lead.country ?? \"\") == \"FR\"", "country", "\"FR\""),
            Truth::True
        );
        assert_eq!(
            t("lead.country starts_with \"F\"", "country", "\"FR\""),
            Truth::True
        );
        assert_eq!(t("not lead.vip", "vip", "true"), Truth::False);
    }

    #[test]
    fn what_else_a_condition_reads_stays_unknown_unless_and_or_decide() {
        let list = |cond: &str| format!("{LEAD}list l = {cond}");
        let t = |cond: &str| truth(&list(cond), "l", "stage", "sql");
        assert_eq!(t("lead.stage == sql and lead.vip"), Truth::Unknown);
        assert_eq!(t("lead.stage == mql and lead.vip"), Truth::False);
        assert_eq!(t("lead.stage == sql or lead.vip"), Truth::True);
        assert_eq!(t("lead.size > 3"), Truth::Unknown);
        assert_eq!(t("did email.opened"), Truth::Unknown);
    }

    #[test]
    fn lists_read_inside_a_condition_are_followed() {
        let src = format!(
            "{LEAD}list qualified = lead.stage == sql\nlist l = qualified and lead.stage != fresh"
        );
        assert_eq!(truth(&src, "l", "stage", "sql"), Truth::True);
        assert_eq!(truth(&src, "l", "stage", "mql"), Truth::False);
    }

    #[test]
    fn the_budget_and_the_depth_bound_the_work() {
        let src = format!("{LEAD}list l = lead.stage == sql");
        let (_, program) = crate::check::check_text(&src);
        let program = program.unwrap();
        let value = Value::Bool(true);
        let a = Assumption {
            program: &program,
            attr: 0,
            value: &value,
        };
        let cond = &program.lists[0].cond;
        assert_eq!(a.truth(cond, &mut Budget(0)), Truth::Unknown);
        // A chain of lists deeper than the limit: unknown, not a deep walk.
        let mut src = format!("{LEAD}list l0 = lead.stage == sql\n");
        for i in 1..=MAX_LIST_DEPTH + 1 {
            src.push_str(&format!("list l{i} = l{}\n", i - 1));
        }
        let near = format!("l{}", MAX_LIST_DEPTH);
        let far = format!("l{}", MAX_LIST_DEPTH + 1);
        assert_eq!(truth(&src, &near, "stage", "sql"), Truth::True);
        assert_eq!(truth(&src, &far, "stage", "sql"), Truth::Unknown);
    }
}
