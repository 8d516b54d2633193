//! Bare expressions at the REPL: `total of ann`, `ann in hot`, `fit of ann > fit of bob`.
//!
//! Each `NAME of LEAD` is evaluated by the machine for that lead, each `LEAD in LIST` reads the
//! lead's membership; what remains is a constant expression, evaluated on no lead at all.

use super::commands::Arg;
use super::session::{Campaign, Problem};
use crate::check::program::{Expr, ExprKind};
use crate::check::repl::check_expr_in;
use crate::compile::bytecode::Chunk;
use crate::diag::{Code, Diagnostic};
use crate::inspect::{count_kept, show_val};
use crate::lang::seq;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::lang::value::Val;
use crate::syntax::parser::parse_expr;
use crate::vm::eval::{eval, Env};
use crate::vm::machine::Machine;

/// Evaluates an expression typed at the REPL; `leads` are the session's lead ids and `clock`
/// the session's time (for `now`).
pub(crate) fn evaluate(
    c: &mut Campaign,
    leads: &[String],
    arg: &Arg,
    clock: i64,
) -> Result<String, Problem> {
    let shift = |mut ds: Vec<Diagnostic>| {
        for d in &mut ds {
            d.span = Span::new(d.span.start as usize + arg.at, d.span.end as usize + arg.at);
            for l in &mut d.labels {
                l.span = Span::new(l.span.start as usize + arg.at, l.span.end as usize + arg.at);
            }
            d.message = d
                .message
                .replace("the end of the file", "the end of the input");
        }
        ds
    };
    let ast = parse_expr(&arg.text).map_err(shift)?;
    let checked = check_expr_in(&c.program, &ast, leads).map_err(shift)?;
    let ty = checked.ty.clone();
    // `count … of ann` alone: a count at what lead state keeps is a floor, said as such.
    if let ExprKind::Of { expr, lead } = &checked.kind {
        let m = &mut c.machine;
        if let Some(l) = m.find_lead(&leads[*lead as usize]) {
            let chunk = compile(m, expr).map_err(|p| match p {
                Problem::Input(d) => Problem::Input(shift(d)),
                p => p,
            })?;
            if let Some(kept) = count_kept(m, &chunk) {
                let v = m.eval_compiled(l, &chunk, None);
                if v == Val::Int(kept as i64) {
                    return Ok(format!(
                        "at least {kept} (lead state keeps the last {kept}, as many as the campaign's conditions need)"
                    ));
                }
            }
        }
    }
    let reduced = reduce(&mut c.machine, leads, &checked).map_err(|d| shift(vec![d]))?;
    if let Some(x) = lead_dependent(&reduced) {
        let example = leads.first().map_or("ann", |s| s.as_str());
        return Err(shift(vec![Diagnostic::new(
            Code::Misplaced,
            x,
            "which lead? this reads a lead's attributes, scores, lists or history",
        )
        .with_label("about which lead?")
        .with_help(format!(
            "name the lead: `NAME of {example}`, or `{example} in LIST` for a list"
        ))])
        .into());
    }
    let chunk = compile(&mut c.machine, &reduced)?;
    let v = eval(
        &chunk,
        &c.machine.c.pools,
        &NoLead { now: clock },
        &mut Vec::new(),
    );
    Ok(show_val(&c.machine, v, &ty))
}

/// The expression with every `NAME of LEAD` and `LEAD in LIST` replaced by its value.
fn reduce(m: &mut Machine, leads: &[String], e: &Expr) -> Result<Expr, Diagnostic> {
    let constant = |v: Value| Expr {
        kind: ExprKind::Const(v),
        ty: e.ty.clone(),
        span: e.span,
    };
    let kind = match &e.kind {
        ExprKind::Of { expr, lead } => {
            let id = &leads[*lead as usize];
            let l = m
                .find_lead(id)
                .expect("the checker knows only the session's leads");
            let chunk = compile(m, expr).map_err(|p| match p {
                Problem::Input(mut d) => d.remove(0),
                Problem::Text(t) => Diagnostic::new(Code::Misplaced, expr.span, t),
            })?;
            let v = m.eval_compiled(l, &chunk, None);
            if let Some(kept) = count_kept(m, &chunk).filter(|k| v == Val::Int(*k as i64)) {
                return Err(Diagnostic::new(
                    Code::Misplaced,
                    expr.span,
                    format!("{id} did this at least {kept} times: the campaign keeps no more"),
                )
                .with_label(format!("at least {kept}"))
                .with_help(format!(
                    "lead state keeps only as many recent events as the campaign's own comparisons need (here {kept}); ask `(count … >= N) of {id}` with N up to {kept}"
                )));
            }
            return Ok(constant(value_of(m, v, &expr.ty)));
        }
        ExprKind::LeadInList {
            lead,
            list,
            negated,
        } => {
            let id = &leads[*lead as usize];
            let l = m
                .find_lead(id)
                .expect("the checker knows only the session's leads");
            let member = m.leads[l as usize].in_list(&m.c, *list as u16);
            return Ok(constant(Value::Bool(member != *negated)));
        }
        ExprKind::Not(x) => ExprKind::Not(Box::new(reduce(m, leads, x)?)),
        ExprKind::Neg(x) => ExprKind::Neg(Box::new(reduce(m, leads, x)?)),
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op: *op,
            lhs: Box::new(reduce(m, leads, lhs)?),
            rhs: Box::new(reduce(m, leads, rhs)?),
        },
        ExprKind::Is { expr, set } => ExprKind::Is {
            expr: Box::new(reduce(m, leads, expr)?),
            set: *set,
        },
        ExprKind::Matches { expr, regex } => ExprKind::Matches {
            expr: Box::new(reduce(m, leads, expr)?),
            regex: regex.clone(),
        },
        ExprKind::In { expr, negated, set } => ExprKind::In {
            expr: Box::new(reduce(m, leads, expr)?),
            negated: *negated,
            set: Box::new(reduce(m, leads, set)?),
        },
        ExprKind::List(items) => ExprKind::List(
            items
                .iter()
                .map(|i| reduce(m, leads, i))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    };
    Ok(Expr {
        kind,
        ty: e.ty.clone(),
        span: e.span,
    })
}

/// The first part of an expression that needs a lead to mean anything.
fn lead_dependent(e: &Expr) -> Option<Span> {
    let mut found = None;
    crate::check::visit::each_subexpr(e, &mut |x| {
        if found.is_none()
            && matches!(
                x.kind,
                ExprKind::Attr(_)
                    | ExprKind::Score(_)
                    | ExprKind::InList(_)
                    | ExprKind::History(_)
                    | ExprKind::Prop(_)
            )
        {
            found = Some(x.span);
        }
    });
    found
}

/// Compiles an expression into the machine's pools. History the campaign does not keep has no
/// place in lead state, so such an expression is refused and the pools are left as they were.
fn compile(m: &mut Machine, e: &Expr) -> Result<Chunk, Problem> {
    let pools = &mut m.c.pools;
    let kept = pools.history.len();
    let chunk = pools.compile(e);
    if pools.history.len() > kept {
        pools.history.truncate(kept);
        pools.count_bounds.truncate(kept);
        return Err(Diagnostic::new(
            Code::Misplaced,
            e.span,
            "the campaign keeps no history for this",
        )
        .with_label("not kept")
        .with_help(
            "lead state keeps only the history the campaign's own conditions read; ask about \
             a `did`, `count` or `last` written as the campaign writes it, or a list or score \
             built on it",
        )
        .into());
    }
    chunk.map_err(|e| {
        let mut d = e.diagnostic();
        d.message = format!("the REPL cannot evaluate this: {}", d.message);
        d.help = None;
        d.into()
    })
}

/// A machine value as a constant of the checked program.
fn value_of(m: &Machine, v: Val, ty: &Ty) -> Value {
    match v {
        Val::Missing | Val::PropText(_) | Val::PropSeq(_) => Value::Missing,
        Val::Seq(s) => Value::List(
            seq::items(m.c.pools.texts.get(s))
                .map(|item| match item {
                    seq::Item::Text(t) => Value::Str(t.to_string()),
                    seq::Item::Int(i) => Value::Int(i),
                    seq::Item::Num(n) => Value::Number(n),
                })
                .collect(),
        ),
        Val::Bool(b) => Value::Bool(b),
        Val::Int(i) => Value::Int(i),
        Val::Num(n) => Value::Number(n),
        Val::Sym(s) => Value::Str(m.c.pools.texts.get(s).to_string()),
        Val::Time(t) => Value::Time(t),
        Val::Dur(d) => Value::Duration(d),
        Val::Tod(t) => Value::TimeOfDay(t),
        Val::Enum(i) => match ty.base() {
            Ty::Enum(e) => Value::Enum(*e, i),
            _ => Value::Int(i as i64),
        },
        Val::List(l) => {
            let elem = match ty.base() {
                Ty::List(e) => (**e).clone(),
                _ => Ty::Error,
            };
            Value::List(
                m.c.pools.lists[l as usize]
                    .iter()
                    .map(|x| value_of(m, *x, &elem))
                    .collect(),
            )
        }
    }
}

/// The environment of an expression about no lead: only the clock.
struct NoLead {
    now: i64,
}

impl Env for NoLead {
    fn attr(&self, _: u16) -> Val {
        Val::Missing
    }
    fn prop(&self, _: u16) -> Val {
        Val::Missing
    }
    fn score(&self, _: u16) -> f64 {
        0.0
    }
    fn in_list(&self, _: u16) -> bool {
        false
    }
    fn history(&self, _: u16) -> Val {
        Val::Missing
    }
    fn now(&self) -> i64 {
        self.now
    }
    fn received(&self) -> bool {
        false
    }
    fn prop_text(&self, _: u16) -> &str {
        ""
    }
}
