//! The evaluator for condition and value chunks. It reads lead state and the current event
//! through `Env`, and reuses one stack, so evaluating allocates nothing.

use crate::compile::bytecode::{Chunk, Op};
use crate::compile::expr::Pools;
use crate::lang::seq;
use crate::lang::value::Val;

/// What a chunk can read: the lead, the event being processed, the clock.
pub trait Env {
    fn attr(&self, id: u16) -> Val;
    fn prop(&self, id: u16) -> Val;
    /// A score's value; NaN where it is missing (a derived score over a missing value, or
    /// divided by zero).
    fn score(&self, id: u16) -> f64;
    fn in_list(&self, id: u16) -> bool;
    fn history(&self, slot: u16) -> Val;
    fn now(&self) -> i64;
    fn received(&self) -> bool;
    /// The text of the current event's text property.
    fn prop_text(&self, id: u16) -> &str;
    /// The lead's tags (interned texts) when `list` is the list value that stands for them:
    /// `lead.tags` evaluates to `Val::List` of a list number the environment reserves.
    fn tags(&self, _list: u32) -> Option<&[u32]> {
        None
    }
    /// A kept event property (`compile::layout::Layout::kept`): missing where there is none.
    fn kept(&self, _k: u16) -> Val {
        Val::Missing
    }
}

/// Whether a list value (a constant list, the lead's tags, a list an event brought) holds
/// `v`; `false` when the list is not one.
fn list_has<E: Env + ?Sized>(list: Val, v: Val, pools: &Pools, env: &E) -> bool {
    if v.is_missing() {
        return false;
    }
    match list {
        Val::List(l) => {
            if let Some(tags) = env.tags(l) {
                return tags
                    .iter()
                    .any(|t| equal(Val::Sym(*t), v, pools, env) == Some(true));
            }
            pools.lists[l as usize]
                .iter()
                .any(|x| equal(*x, v, pools, env) == Some(true))
        }
        Val::Seq(_) | Val::PropSeq(_) => match (encoding(list, pools, env), item(v, pools, env)) {
            (Some(enc), Some(x)) => seq::items(enc).any(|i| seq::item_eq(i, x)),
            _ => false,
        },
        _ => false,
    }
}

/// The encoding of a list an event brought (`crate::lang::seq`).
fn encoding<'a, E: Env + ?Sized>(v: Val, pools: &'a Pools, env: &'a E) -> Option<&'a str> {
    match v {
        Val::Seq(s) => Some(pools.texts.get(s)),
        Val::PropSeq(p) => Some(env.prop_text(p)),
        _ => None,
    }
}

/// A value as an item of a list an event brought: a text or a number.
fn item<'a, E: Env + ?Sized>(v: Val, pools: &'a Pools, env: &'a E) -> Option<seq::Item<'a>> {
    match v {
        Val::Int(i) => Some(seq::Item::Int(i)),
        Val::Num(n) => Some(seq::Item::Num(n)),
        v => text(v, pools, env).map(seq::Item::Text),
    }
}

/// Whether two lists hold the same items in the same order, one of them brought by an event.
fn same_items<E: Env + ?Sized>(a: Val, b: Val, pools: &Pools, env: &E) -> bool {
    let (x, other) = match (encoding(a, pools, env), encoding(b, pools, env)) {
        (Some(x), Some(y)) => return x == y,
        (Some(x), None) => (x, b),
        (None, Some(y)) => (y, a),
        (None, None) => return false,
    };
    match other {
        Val::List(l) if env.tags(l).is_none() => {
            let list = &pools.lists[l as usize];
            seq::len(x) == list.len()
                && seq::items(x)
                    .zip(list)
                    .all(|(i, v)| item(*v, pools, env).is_some_and(|v| seq::item_eq(i, v)))
        }
        _ => false,
    }
}

/// Runs a chunk and returns the value it leaves. `stack` is scratch space, kept between calls.
pub fn eval<E: Env + ?Sized>(chunk: &Chunk, pools: &Pools, env: &E, stack: &mut Vec<Val>) -> Val {
    run(chunk, pools, env, stack)
}

/// The index of the first of `conds` that holds (a decision's rows, top to bottom), all run
/// in one call of the interpreter: a row costs its instructions, as the same conditions
/// joined by `or` in one chunk would.
pub fn first_true<'c, E: Env + ?Sized>(
    conds: impl Iterator<Item = &'c Chunk>,
    pools: &Pools,
    env: &E,
    stack: &mut Vec<Val>,
) -> Option<usize> {
    for (i, c) in conds.enumerate() {
        if run(c, pools, env, stack).truthy() {
            return Some(i);
        }
    }
    None
}

// Generic over the environment so the VM's reads inline into the loop; inlined into its two
// callers, so a decision's rows pay no call each.
/// It stays whole: the interpreter loop, one arm per instruction, kept in one function so the stack top stays in registers (BENCHMARKS.md).
#[inline(always)]
fn run<E: Env + ?Sized>(chunk: &Chunk, pools: &Pools, env: &E, stack: &mut Vec<Val>) -> Val {
    // A lone read (`did order.placed`, a list, an attribute) needs no stack.
    if let [op] = chunk.ops[..] {
        match op {
            Op::History(h) => return env.history(h),
            Op::InList(l) => return Val::Bool(env.in_list(l)),
            Op::Attr(a) => return env.attr(a),
            _ => {}
        }
    }
    stack.clear();
    let mut stack = Stack {
        below: stack,
        top: Val::Missing,
        depth: 0,
    };
    let ops = &chunk.ops;
    let mut pc = 0;
    while pc < ops.len() {
        let op = ops[pc];
        pc += 1;
        match op {
            Op::Const(i) => stack.push(pools.consts[i as usize]),
            Op::Attr(a) => stack.push(env.attr(a)),
            Op::Prop(p) => stack.push(env.prop(p)),
            Op::Score(s) => stack.push(match env.score(s) {
                n if n.is_nan() => Val::Missing,
                n => Val::Num(n),
            }),
            Op::InList(l) => stack.push(Val::Bool(env.in_list(l))),
            Op::History(h) => stack.push(env.history(h)),
            Op::Now => stack.push(Val::Time(env.now())),
            Op::Received => stack.push(Val::Bool(env.received())),
            Op::Kept(k) => stack.push(env.kept(k)),
            Op::Not => {
                let v = stack.pop();
                stack.push(Val::Bool(!v.truthy()));
            }
            Op::Neg => {
                let v = stack.pop();
                stack.push(match v {
                    Val::Int(i) => Val::Int(i.wrapping_neg()),
                    Val::Num(n) => Val::Num(-n),
                    Val::Dur(d) => Val::Dur(d.wrapping_neg()),
                    _ => Val::Missing,
                });
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div => {
                let b = stack.pop();
                let a = stack.pop();
                stack.push(arithmetic(op, a, b));
            }
            Op::Eq | Op::Ne => {
                let b = stack.pop();
                let a = stack.pop();
                // A comparison on a missing value is false, whichever way it is put.
                let r = match equal(a, b, pools, env) {
                    None => false,
                    Some(eq) => eq == (op == Op::Eq),
                };
                stack.push(Val::Bool(r));
            }
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let b = stack.pop();
                let a = stack.pop();
                let r = order(a, b).is_some_and(|o| match op {
                    Op::Lt => o.is_lt(),
                    Op::Le => o.is_le(),
                    Op::Gt => o.is_gt(),
                    _ => o.is_ge(),
                });
                stack.push(Val::Bool(r));
            }
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let b = stack.pop();
                let a = stack.pop();
                let r = match (op, a) {
                    (Op::Contains, Val::List(_) | Val::Seq(_) | Val::PropSeq(_)) => {
                        list_has(a, b, pools, env)
                    }
                    _ => match (text(a, pools, env), text(b, pools, env)) {
                        (Some(a), Some(b)) => match op {
                            Op::Contains => a.contains(b),
                            Op::StartsWith => a.starts_with(b),
                            _ => a.ends_with(b),
                        },
                        _ => false,
                    },
                };
                stack.push(Val::Bool(r));
            }
            Op::Matches(r) => {
                let a = stack.pop();
                let m = text(a, pools, env).is_some_and(|t| pools.regexes[r as usize].is_match(t));
                stack.push(Val::Bool(m));
            }
            Op::In => {
                let list = stack.pop();
                let v = stack.pop();
                let found = list_has(list, v, pools, env);
                stack.push(Val::Bool(found));
            }
            Op::IsSet | Op::IsMissing => {
                let v = stack.pop();
                stack.push(Val::Bool(v.is_missing() == (op == Op::IsMissing)));
            }
            Op::JumpIfSet(d) => {
                if stack.last().is_some_and(|v| !v.is_missing()) {
                    pc += d as usize;
                } else {
                    stack.pop();
                }
            }
            Op::JumpUnlessTrue(d) => {
                if !stack.last().is_some_and(|v| v.truthy()) {
                    stack.pop();
                    stack.push(Val::Bool(false));
                    pc += d as usize;
                } else {
                    stack.pop();
                }
            }
            Op::JumpIfTrue(d) => {
                if stack.last().is_some_and(|v| v.truthy()) {
                    pc += d as usize;
                } else {
                    stack.pop();
                }
            }
        }
    }
    stack.pop()
}

/// The evaluation stack with its top value kept apart, where the compiler can hold it in
/// registers: operators read and replace the top, and a value stored in parts and read back
/// whole from memory stalls the processor.
struct Stack<'a> {
    /// The values under the top.
    below: &'a mut Vec<Val>,
    top: Val,
    depth: usize,
}

impl Stack<'_> {
    #[inline(always)]
    fn push(&mut self, v: Val) {
        if self.depth > 0 {
            self.below.push(self.top);
        }
        self.top = v;
        self.depth += 1;
    }

    /// The top value; `Missing` when the stack is empty.
    #[inline(always)]
    fn pop(&mut self) -> Val {
        if self.depth == 0 {
            return Val::Missing;
        }
        self.depth -= 1;
        let under = match self.depth {
            0 => Val::Missing,
            _ => self.below.pop().unwrap_or(Val::Missing),
        };
        std::mem::replace(&mut self.top, under)
    }

    #[inline(always)]
    fn last(&self) -> Option<&Val> {
        (self.depth > 0).then_some(&self.top)
    }
}

fn text<'a, E: Env + ?Sized>(v: Val, pools: &'a Pools, env: &'a E) -> Option<&'a str> {
    match v {
        Val::Sym(s) => Some(pools.texts.get(s)),
        Val::PropText(p) => Some(env.prop_text(p)),
        _ => None,
    }
}

/// Equality; `None` when either side is missing.
fn equal<E: Env + ?Sized>(a: Val, b: Val, pools: &Pools, env: &E) -> Option<bool> {
    if a.is_missing() || b.is_missing() {
        return None;
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return Some(x == y);
    }
    match (a, b) {
        (Val::Sym(x), Val::Sym(y)) => Some(x == y),
        (Val::Sym(_) | Val::PropText(_), Val::Sym(_) | Val::PropText(_)) => {
            Some(text(a, pools, env) == text(b, pools, env))
        }
        (Val::Seq(_) | Val::PropSeq(_), _) | (_, Val::Seq(_) | Val::PropSeq(_)) => {
            Some(same_items(a, b, pools, env))
        }
        _ => Some(a == b),
    }
}

fn order(a: Val, b: Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(&y)),
        (Val::Time(x), Val::Time(y)) | (Val::Dur(x), Val::Dur(y)) => Some(x.cmp(&y)),
        (Val::Tod(x), Val::Tod(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn arithmetic(op: Op, a: Val, b: Val) -> Val {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => match op {
            Op::Add => Val::Int(x.wrapping_add(y)),
            Op::Sub => Val::Int(x.wrapping_sub(y)),
            Op::Mul => Val::Int(x.wrapping_mul(y)),
            _ if y == 0 => Val::Missing,
            _ => Val::Num(x as f64 / y as f64),
        },
        (Val::Dur(x), Val::Dur(y)) => match op {
            Op::Add => Val::Dur(x.saturating_add(y)),
            Op::Sub => Val::Dur(x.saturating_sub(y)),
            _ => Val::Missing,
        },
        (Val::Time(t), Val::Dur(d)) => match op {
            Op::Add => Val::Time(t.saturating_add(d)),
            Op::Sub => Val::Time(t.saturating_sub(d)),
            _ => Val::Missing,
        },
        (Val::Time(x), Val::Time(y)) if op == Op::Sub => Val::Dur(x.saturating_sub(y)),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => match op {
                Op::Add => Val::Num(x + y),
                Op::Sub => Val::Num(x - y),
                Op::Mul => Val::Num(x * y),
                _ if y == 0.0 => Val::Missing,
                _ => Val::Num(x / y),
            },
            _ => Val::Missing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_text;
    use crate::check::program::Program;

    /// A lead and an event, fixed for the test.
    struct Fixture {
        attrs: Vec<Val>,
        props: Vec<Val>,
        prop_texts: Vec<String>,
        history: Vec<Val>,
    }

    impl Env for Fixture {
        fn attr(&self, id: u16) -> Val {
            self.attrs[id as usize]
        }
        fn prop(&self, id: u16) -> Val {
            self.props[id as usize]
        }
        fn score(&self, id: u16) -> f64 {
            id as f64 * 10.0
        }
        fn in_list(&self, id: u16) -> bool {
            id == 0
        }
        fn history(&self, slot: u16) -> Val {
            self.history
                .get(slot as usize)
                .copied()
                .unwrap_or(Val::Missing)
        }
        fn now(&self) -> i64 {
            1_000_000_000
        }
        fn received(&self) -> bool {
            false
        }
        fn prop_text(&self, id: u16) -> &str {
            &self.prop_texts[id as usize]
        }
    }

    /// Compiles the condition of `list probe` in a campaign and evaluates it.
    fn run(campaign: &str, fixture: impl FnOnce(&Program, &mut Pools) -> Fixture) -> Val {
        let (diags, program) = check_text(campaign);
        let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
        let probe = program.list("probe").expect("a list named probe");
        let mut pools = Pools::default();
        let chunk = pools.compile(&program.lists[probe as usize].cond).unwrap();
        let env = fixture(&program, &mut pools);
        eval(&chunk, &pools, &env, &mut Vec::new())
    }

    const SCHEMA: &str = "lead { email: string, size: int?, country: string? }\n";

    fn lead(pools: &mut Pools, email: &str, size: Option<i64>, country: Option<&str>) -> Fixture {
        Fixture {
            attrs: vec![
                Val::Sym(pools.texts.intern(email)),
                size.map_or(Val::Missing, Val::Int),
                country.map_or(Val::Missing, |c| Val::Sym(pools.texts.intern(c))),
            ],
            props: Vec::new(),
            prop_texts: Vec::new(),
            history: Vec::new(),
        }
    }

    #[test]
    fn comparisons_on_missing_values_are_false() {
        let src = format!("{SCHEMA}list probe = lead.size >= 50 // nurture: ignore W0101\n");
        assert_eq!(
            run(&src, |_, p| lead(p, "a@b.c", None, None)),
            Val::Bool(false)
        );
        assert_eq!(
            run(&src, |_, p| lead(p, "a@b.c", Some(60), None)),
            Val::Bool(true)
        );
        let src = format!("{SCHEMA}list probe = lead.size != 50 // nurture: ignore W0101\n");
        assert_eq!(
            run(&src, |_, p| lead(p, "a@b.c", None, None)),
            Val::Bool(false)
        );
    }

    #[test]
    fn coalesce_supplies_a_default() {
        let src = format!("{SCHEMA}list probe = (lead.size ?? 100) >= 50\n");
        assert_eq!(
            run(&src, |_, p| lead(p, "a@b.c", None, None)),
            Val::Bool(true)
        );
        assert_eq!(
            run(&src, |_, p| lead(p, "a@b.c", Some(3), None)),
            Val::Bool(false)
        );
    }

    #[test]
    fn and_or_short_circuit() {
        let src = format!("{SCHEMA}list probe = lead.size is set and lead.size > 10 or lead.email ends_with \"@x.com\" // nurture: ignore W0109\n");
        assert_eq!(
            run(&src, |_, p| lead(p, "a@x.com", None, None)),
            Val::Bool(true)
        );
        assert_eq!(
            run(&src, |_, p| lead(p, "a@y.com", Some(11), None)),
            Val::Bool(true)
        );
        assert_eq!(
            run(&src, |_, p| lead(p, "a@y.com", Some(9), None)),
            Val::Bool(false)
        );
    }

    #[test]
    fn text_operators_and_lists() {
        let src = format!("{SCHEMA}list probe = (lead.country ?? \"\") in [\"US\", \"GB\"] and lead.email matches \"(?i)^ceo@\"\n");
        assert_eq!(
            run(&src, |_, p| lead(p, "CEO@acme.com", None, Some("GB"))),
            Val::Bool(true)
        );
        assert_eq!(
            run(&src, |_, p| lead(p, "CEO@acme.com", None, Some("FR"))),
            Val::Bool(false)
        );
        assert_eq!(
            run(&src, |_, p| lead(p, "bob@acme.com", None, Some("US"))),
            Val::Bool(false)
        );
    }

    #[test]
    fn event_properties_are_read_in_place() {
        let src =
            format!("{SCHEMA}list probe = did page.viewed where url starts_with \"/pricing\"\n");
        let (_, program) = check_text(&src);
        let program = program.unwrap();
        let mut pools = Pools::default();
        pools.compile(&program.lists[0].cond).unwrap();
        let filter = pools.history[0]
            .filter
            .clone()
            .expect("the filter compiles to its own chunk");
        let env = Fixture {
            attrs: vec![],
            props: vec![Val::PropText(0)],
            prop_texts: vec!["/pricing/teams".into()],
            history: vec![],
        };
        assert_eq!(
            eval(&filter, &pools, &env, &mut Vec::new()),
            Val::Bool(true)
        );
    }

    #[test]
    fn equal_history_predicates_share_a_slot() {
        let src = format!("{SCHEMA}list a = did email.opened within 7d\nlist b = not did email.opened within 7d\nlist c = did email.opened\n");
        let (_, program) = check_text(&src);
        let program = program.unwrap();
        let mut pools = Pools::default();
        for l in &program.lists {
            pools.compile(&l.cond).unwrap();
        }
        assert_eq!(pools.history.len(), 2);
    }

    #[test]
    fn time_arithmetic() {
        let src = format!("{SCHEMA}list probe = now - (last order.placed ?? now) > 30d\n");
        let old = |_: &Program, p: &mut Pools| Fixture {
            history: vec![Val::Time(1_000_000_000 - 31 * 86_400_000)],
            ..lead(p, "a@b.c", None, None)
        };
        assert_eq!(run(&src, old), Val::Bool(true));
        assert_eq!(
            run(&src, |_, p| lead(p, "a@b.c", None, None)),
            Val::Bool(false)
        );
    }
}
