//! Walks over a checked program's expressions and steps, for the passes after checking.

use super::program::*;

/// Calls `f` on `e` and every expression inside it.
pub fn each_subexpr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Not(x) | ExprKind::Neg(x) => each_subexpr(x, f),
        ExprKind::Is { expr, .. } | ExprKind::Matches { expr, .. } | ExprKind::Of { expr, .. } => {
            each_subexpr(expr, f)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            each_subexpr(lhs, f);
            each_subexpr(rhs, f);
        }
        ExprKind::In { expr, set, .. } => {
            each_subexpr(expr, f);
            each_subexpr(set, f);
        }
        ExprKind::List(xs) => xs.iter().for_each(|x| each_subexpr(x, f)),
        ExprKind::Template(t) => each_template_expr(t, &mut |x| each_subexpr(x, f)),
        ExprKind::History(h) => {
            if let Some(x) = &h.filter {
                each_subexpr(x, f);
            }
        }
        ExprKind::Const(_)
        | ExprKind::Attr(_)
        | ExprKind::Prop(_)
        | ExprKind::Score(_)
        | ExprKind::InList(_)
        | ExprKind::Now
        | ExprKind::Received
        | ExprKind::Kept(_)
        | ExprKind::LeadInList { .. } => {}
    }
}

fn each_template_expr(t: &Template, f: &mut dyn FnMut(&Expr)) {
    for p in &t.parts {
        if let TemplatePart::Expr(x) = p {
            f(x);
        }
    }
}

/// Calls `f` on every step, nested ones included, in source order.
pub fn each_step(steps: &[Step], f: &mut dyn FnMut(&Step)) {
    for s in steps {
        f(s);
        match &s.kind {
            StepKind::If {
                then, otherwise, ..
            } => {
                each_step(then, f);
                each_step(otherwise, f);
            }
            StepKind::Split { arms } => arms.iter().for_each(|a| each_step(&a.steps, f)),
            _ => {}
        }
    }
}

/// Calls `f` on the top-level expressions a step holds (conditions, values, templates).
pub fn each_step_expr(s: &Step, f: &mut dyn FnMut(&Expr)) {
    match &s.kind {
        StepKind::Send { template, data, .. } => {
            each_template_expr(template, f);
            data.iter().for_each(|(_, x)| f(x));
        }
        StepKind::Tag(template) | StepKind::Untag(template) => each_template_expr(template, f),
        StepKind::Notify { message, data, .. } => {
            each_template_expr(message, f);
            data.iter().for_each(|(_, x)| f(x));
        }
        StepKind::Retarget { audience, .. } => each_template_expr(audience, f),
        StepKind::Webhook { name, fields, data } => {
            each_template_expr(name, f);
            fields.iter().chain(data).for_each(|(_, x)| f(x));
        }
        StepKind::Set { value, .. } => f(value),
        StepKind::WaitUpTo {
            filter: Some(x), ..
        } => f(x),
        StepKind::If { cond, .. } => f(cond),
        _ => {}
    }
}

/// Every top-level expression in the program's campaign logic (tests excluded).
pub fn each_campaign_expr(p: &Program, f: &mut dyn FnMut(&Expr)) {
    for s in &p.scores {
        match &s.kind {
            ScoreKind::Derived(e) => f(e),
            ScoreKind::Rules { when, on, .. } => {
                when.iter().for_each(|w| f(&w.cond));
                on.iter()
                    .filter_map(|o| o.filter.as_ref())
                    .for_each(&mut *f);
            }
        }
    }
    p.lists.iter().for_each(|l| f(&l.cond));
    for t in &p.triggers {
        if let TriggerSource::Event {
            filter: Some(x), ..
        } = &t.source
        {
            f(x);
        }
        each_step_expr(&t.action, f);
    }
    for w in &p.workflows {
        [&w.only_if, &w.exit_when, &w.goal]
            .into_iter()
            .flatten()
            .for_each(&mut *f);
        each_step(&w.steps, &mut |s| each_step_expr(s, f));
    }
    p.policy.suppress.iter().for_each(&mut *f);
    (p.decisions.iter())
        .flat_map(|d| d.rows.iter().map(|r| &r.cond))
        .for_each(f);
}

/// Calls `f` on each step sequence: workflow bodies, branches and split arms, and trigger actions.
pub fn each_step_list(p: &Program, f: &mut dyn FnMut(&[Step])) {
    fn walk(steps: &[Step], f: &mut dyn FnMut(&[Step])) {
        f(steps);
        for s in steps {
            match &s.kind {
                StepKind::If {
                    then, otherwise, ..
                } => {
                    walk(then, f);
                    walk(otherwise, f);
                }
                StepKind::Split { arms } => arms.iter().for_each(|a| walk(&a.steps, f)),
                _ => {}
            }
        }
    }
    for w in &p.workflows {
        walk(&w.steps, f);
    }
    for t in &p.triggers {
        walk(std::slice::from_ref(&t.action), f);
    }
}
