//! Every name a campaign declares or uses, with where: the index behind go to definition,
//! find references, rename, hover and semantic tokens. It reads the syntax tree, so that it
//! stays useful while the file has errors (each declaration that parses is indexed).

use crate::lang::span::Span;
use crate::syntax::ast::{self, ExprKind, Item, StepKind, StrPart};
use std::collections::HashMap;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Event,
    /// A property of an event (its `container`).
    Property,
    Attribute,
    Score,
    List,
    Workflow,
    /// A `decide` table, named by `send CHANNEL decide(name)`.
    Decision,
    /// A message template, named by `send CHANNEL "name"`: declared where first sent.
    Template,
    Enum,
    /// A value of an enum (its `container`).
    Variant,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Property => "property",
            Kind::Attribute => "lead attribute",
            Kind::Score => "score",
            Kind::List => "list",
            Kind::Workflow => "workflow",
            Kind::Decision => "decision",
            Kind::Template => "template",
            Kind::Enum => "enum",
            Kind::Variant => "enum value",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub kind: Kind,
    pub name: String,
    /// The event of a property, the enum of a value.
    pub container: Option<String>,
    /// Where the name is declared; `None` for the prelude's events and `tags`.
    pub def: Option<Span>,
    /// The whole declaration, in the campaign or (for `builtin`) the prelude.
    pub decl: Option<Span>,
    pub builtin: bool,
}

/// One place a name is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: usize,
    /// This is the declaration itself.
    pub def: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    pub symbols: Vec<Symbol>,
    /// In source order.
    pub occurrences: Vec<Occurrence>,
    by_name: HashMap<(Kind, String), usize>,
    /// Each enum value's first enum, for bare values (`stage == mql`).
    variants: HashMap<String, usize>,
}

impl Index {
    /// The index of a file's syntax tree, the prelude's events included.
    pub fn of(file: &ast::File) -> Index {
        let mut ix = Index::default();
        ix.declare_items(crate::check::prelude_tree(), true);
        ix.declare_items(file, false);
        ix.declare(Kind::Attribute, "tags", None, None, None, true);
        for item in &file.items {
            ix.item(item);
        }
        ix.occurrences.sort_by_key(|o| (o.span.start, o.span.end));
        ix
    }

    /// The symbol of a kind by name (a property's name is `event.property`, a value's
    /// `Enum.value`).
    pub fn find(&self, kind: Kind, name: &str) -> Option<usize> {
        self.by_name.get(&(kind, name.to_string())).copied()
    }

    /// The symbols of a kind, in declaration order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |s| s.kind == kind)
    }

    /// The properties of an event.
    pub fn properties<'a>(&'a self, event: &'a str) -> impl Iterator<Item = &'a Symbol> {
        self.of_kind(Kind::Property)
            .filter(move |s| s.container.as_deref() == Some(event))
    }

    /// The name written at a byte offset (touching it counts: the cursor just after a word).
    pub fn at(&self, offset: usize) -> Option<Occurrence> {
        let offset = offset as u32;
        let after = self.occurrences.partition_point(|o| o.span.start <= offset);
        self.occurrences[..after]
            .iter()
            .rev()
            .take(4)
            .find(|o| o.span.end >= offset)
            .copied()
    }

    /// Every place a symbol is written, its declaration included.
    pub fn references(&self, symbol: usize) -> impl Iterator<Item = Occurrence> + '_ {
        self.occurrences
            .iter()
            .filter(move |o| o.symbol == symbol)
            .copied()
    }

    fn declare(
        &mut self,
        kind: Kind,
        name: &str,
        container: Option<&str>,
        def: Option<Span>,
        decl: Option<Span>,
        builtin: bool,
    ) {
        let key = match container {
            Some(c) => format!("{c}.{name}"),
            None => name.to_string(),
        };
        if self.by_name.contains_key(&(kind, key.clone())) {
            // A duplicate (the checker reports it): uses go to the first.
            return;
        }
        let id = self.symbols.len();
        self.symbols.push(Symbol {
            kind,
            name: name.to_string(),
            container: container.map(str::to_string),
            def: def.filter(|_| !builtin),
            decl,
            builtin,
        });
        self.by_name.insert((kind, key), id);
        if kind == Kind::Variant {
            self.variants.entry(name.to_string()).or_insert(id);
        }
        if let (Some(span), false) = (def, builtin) {
            self.occurrences.push(Occurrence {
                span,
                symbol: id,
                def: true,
            });
        }
    }

    fn declare_items(&mut self, file: &ast::File, builtin: bool) {
        for item in &file.items {
            match item {
                Item::Lead(l) => {
                    for a in &l.attrs {
                        self.declare_ident(Kind::Attribute, &a.name, None, a.span, builtin);
                    }
                }
                Item::Enum(e) => {
                    self.declare_ident(Kind::Enum, &e.name, None, e.span, builtin);
                    for v in &e.variants {
                        self.declare_ident(Kind::Variant, v, Some(&e.name.name), e.span, builtin);
                    }
                }
                Item::Event(e) => {
                    self.declare_ident(Kind::Event, &e.name, None, e.span, builtin);
                    for p in &e.props {
                        self.declare_ident(
                            Kind::Property,
                            &p.name,
                            Some(&e.name.name),
                            p.span,
                            builtin,
                        );
                    }
                }
                Item::Score(s) => self.declare_ident(Kind::Score, &s.name, None, s.span, builtin),
                Item::List(l) => self.declare_ident(Kind::List, &l.name, None, l.span, builtin),
                Item::Workflow(w) => {
                    self.declare_ident(Kind::Workflow, &w.name, None, w.span, builtin)
                }
                Item::Decide(d) => {
                    self.declare_ident(Kind::Decision, &d.name, None, d.span, builtin)
                }
                Item::Campaign(_) | Item::Trigger(_) | Item::Policy(_) | Item::Test(_) => {}
            }
        }
    }

    fn declare_ident(
        &mut self,
        kind: Kind,
        name: &ast::Ident,
        container: Option<&str>,
        decl: Span,
        builtin: bool,
    ) {
        self.declare(
            kind,
            &name.name,
            container,
            Some(name.span),
            Some(decl),
            builtin,
        );
    }

    fn use_of(&mut self, kind: Kind, key: &str, span: Span) -> bool {
        match self.find(kind, key) {
            Some(symbol) => {
                self.occurrences.push(Occurrence {
                    span,
                    symbol,
                    def: false,
                });
                true
            }
            None => false,
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Lead(l) => {
                for a in &l.attrs {
                    self.ty(&a.ty);
                    if let Some(d) = &a.default {
                        self.expr(d, None);
                    }
                }
            }
            Item::Event(e) => e.props.iter().for_each(|p| self.ty(&p.ty)),
            Item::Score(s) => match &s.body {
                ast::ScoreBody::Derived(e) => self.expr(e, None),
                ast::ScoreBody::Rules(rules) => {
                    for r in rules {
                        match r {
                            ast::ScoreRule::Decay { .. } => {}
                            ast::ScoreRule::When { cond, .. } => self.expr(cond, None),
                            ast::ScoreRule::On { event, filter, .. } => {
                                self.filtered(event, filter.as_ref())
                            }
                        }
                    }
                }
            },
            Item::List(l) => self.expr(&l.cond, None),
            Item::Trigger(t) => {
                match &t.source {
                    ast::TriggerSource::Event { event, filter } => {
                        self.filtered(event, filter.as_ref())
                    }
                    ast::TriggerSource::Enter(l) | ast::TriggerSource::Exit(l) => {
                        self.use_of(Kind::List, &l.name, l.span);
                    }
                }
                self.step(&t.action);
            }
            Item::Workflow(w) => {
                for s in &w.settings {
                    match s {
                        ast::WorkflowSetting::Enroll(..) | ast::WorkflowSetting::Holdout(..) => {}
                        ast::WorkflowSetting::OnlyIf(e, _)
                        | ast::WorkflowSetting::ExitWhen(e, _)
                        | ast::WorkflowSetting::Goal(e, _) => self.expr(e, None),
                    }
                }
                w.steps.iter().for_each(|s| self.step(s));
            }
            Item::Policy(p) => {
                for i in &p.items {
                    if let ast::PolicyItem::Suppress { cond, .. } = i {
                        self.expr(cond, None);
                    }
                }
            }
            Item::Test(t) => t.stmts.iter().for_each(|s| self.test_stmt(s)),
            Item::Decide(d) => {
                for r in &d.rows {
                    self.expr(&r.cond, None);
                    self.decided(&r.value);
                }
                if let Some(v) = &d.otherwise {
                    self.decided(v);
                }
            }
            Item::Campaign(_) | Item::Enum(_) => {}
        }
    }

    /// An event and the filter over its properties.
    fn filtered(&mut self, event: &ast::EventName, filter: Option<&ast::Expr>) {
        self.use_of(Kind::Event, &event.name, event.span);
        if let Some(f) = filter {
            self.expr(f, Some(&event.name));
        }
    }

    fn ty(&mut self, ty: &ast::TypeExpr) {
        match &ty.kind {
            ast::TypeExprKind::Named(n) => {
                self.use_of(Kind::Enum, &n.name, n.span);
            }
            ast::TypeExprKind::List(inner) => self.ty(inner),
        }
    }

    fn text(&mut self, s: &ast::StrLit, event: Option<&str>) {
        for p in &s.parts {
            if let StrPart::Interp(e) = p {
                self.expr(e, event);
            }
        }
    }

    /// A template's name: the text between the quotes, declared where it is first sent.
    fn template(&mut self, s: &ast::StrLit) {
        let Some(name) = s.as_plain() else { return };
        let span = Span::new(
            s.span.start as usize + 1,
            (s.span.end as usize).saturating_sub(1),
        );
        if span.end < span.start || (span.end - span.start) as usize != name.len() {
            return; // escapes in the name: its text is not where the span says
        }
        if !self.use_of(Kind::Template, &name, span) {
            self.declare(Kind::Template, &name, None, Some(span), Some(span), false);
        }
    }

    fn expr(&mut self, e: &ast::Expr, event: Option<&str>) {
        match &e.kind {
            ExprKind::Path(ids) => self.path(ids, event),
            ExprKind::LeadAttr(a) => {
                self.use_of(Kind::Attribute, &a.name, a.span);
            }
            ExprKind::Str(s) => self.text(s, event),
            ExprKind::List(xs) => xs.iter().for_each(|x| self.expr(x, event)),
            ExprKind::Neg(x) | ExprKind::Not(x) => self.expr(x, event),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, event);
                self.expr(rhs, event);
            }
            ExprKind::Is { expr, .. }
            | ExprKind::Matches { expr, .. }
            | ExprKind::Of { expr, .. } => self.expr(expr, event),
            ExprKind::In { expr, set, .. } => {
                self.expr(expr, event);
                self.expr(set, event);
            }
            ExprKind::History(h) => self.filtered(&h.event, h.filter.as_ref()),
            ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::TimeOfDay(_)
            | ExprKind::Instant(_)
            | ExprKind::Now
            | ExprKind::Received
            // The event a run started with is known only to the checker's paths.
            | ExprKind::EventRead { .. } => {}
        }
    }

    /// A bare name (a property of the event in scope, a score or list, an enum value) or a
    /// dotted one (`Stage.customer`).
    fn path(&mut self, ids: &[ast::Ident], event: Option<&str>) {
        match ids {
            [one] => {
                let prop = event.map(|e| format!("{e}.{}", one.name));
                if prop.is_some_and(|p| self.use_of(Kind::Property, &p, one.span))
                    || self.use_of(Kind::Score, &one.name, one.span)
                    || self.use_of(Kind::List, &one.name, one.span)
                {
                    return;
                }
                if let Some(&symbol) = self.variants.get(&one.name) {
                    self.occurrences.push(Occurrence {
                        span: one.span,
                        symbol,
                        def: false,
                    });
                }
            }
            [ty, value] if self.use_of(Kind::Enum, &ty.name, ty.span) => {
                let key = format!("{}.{}", ty.name, value.name);
                self.use_of(Kind::Variant, &key, value.span);
            }
            _ => {}
        }
    }

    fn step(&mut self, s: &ast::Step) {
        match &s.kind {
            StepKind::Send { template, data, .. } => {
                self.template(template);
                self.fields(data);
            }
            StepKind::SendDecided { decision, data, .. } => {
                self.use_of(Kind::Decision, &decision.name, decision.span);
                self.fields(data);
            }
            StepKind::Notify { message, data, .. } => {
                self.text(message, None);
                self.fields(data);
            }
            StepKind::Retarget { audience: t, .. } | StepKind::Tag(t) | StepKind::Untag(t) => {
                self.text(t, None)
            }
            StepKind::Webhook { name, fields, data } => {
                self.text(name, None);
                self.fields(fields);
                self.fields(data);
            }
            StepKind::Set { attr, value } => {
                self.use_of(Kind::Attribute, &attr.name, attr.span);
                self.expr(value, None);
            }
            StepKind::Start(w) | StepKind::Stop(w) => {
                self.use_of(Kind::Workflow, &w.name, w.span);
            }
            StepKind::Wait(ast::Wait::UpTo { event, filter, .. }) => {
                self.filtered(event, filter.as_ref())
            }
            StepKind::Wait(_) => {}
            StepKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, None);
                then.iter().chain(otherwise).for_each(|s| self.step(s));
            }
            StepKind::Split { arms } => {
                for a in arms {
                    a.steps.iter().for_each(|s| self.step(s));
                }
            }
        }
    }

    /// The values of `{ name: value, … }` (with-data, webhook fields, a decided record).
    fn fields(&mut self, fields: &[ast::Field]) {
        fields.iter().for_each(|f| self.expr(&f.value, None));
    }

    /// What a decision row gives.
    fn decided(&mut self, v: &ast::DecideValue) {
        match v {
            ast::DecideValue::Expr(e) => self.expr(e, None),
            ast::DecideValue::Record { fields, .. } => self.fields(fields),
        }
    }

    fn test_stmt(&mut self, s: &ast::TestStmt) {
        match s {
            ast::TestStmt::Lead { fields, .. } => {
                for f in fields {
                    self.use_of(Kind::Attribute, &f.name.name, f.name.span);
                    self.expr(&f.value, None);
                }
            }
            ast::TestStmt::At { event, .. } | ast::TestStmt::After { event, .. } => {
                if let Some(e) = event {
                    self.use_of(Kind::Event, &e.event.name, e.event.span);
                    for f in &e.props {
                        let key = format!("{}.{}", e.event.name, f.name.name);
                        self.use_of(Kind::Property, &key, f.name.span);
                        self.expr(&f.value, None);
                    }
                }
            }
            ast::TestStmt::Expect(x) => match x {
                ast::Expectation::Sent { template, .. } => {
                    if let Some(t) = template {
                        self.template(t);
                    }
                }
                ast::Expectation::InWorkflow { workflow, .. }
                | ast::Expectation::Converted { workflow, .. } => {
                    self.use_of(Kind::Workflow, &workflow.name, workflow.span);
                }
                ast::Expectation::Holds(e) => self.expr(e, None),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAMPAIGN: &str = r#"lead { email: string  stage: Stage = fresh }
enum Stage { fresh, won }
event demo.requested { source: string }
score fit { on demo.requested where source == "web" add 10 }
list hot = fit > 5 and lead.stage != Stage.won
on enter hot start welcome
workflow welcome { send email "hello"  wait 1d  send email "hello" }
"#;

    fn index() -> Index {
        let (file, diags) = crate::syntax::parse(CAMPAIGN);
        assert!(diags.is_empty(), "{diags:?}");
        Index::of(&file)
    }

    fn spans_of(ix: &Index, kind: Kind, name: &str) -> Vec<String> {
        let id = ix.find(kind, name).expect("declared");
        ix.references(id)
            .map(|o| CAMPAIGN[o.span.range()].to_string())
            .collect()
    }

    #[test]
    fn names_resolve_to_their_declarations() {
        let ix = index();
        assert_eq!(spans_of(&ix, Kind::List, "hot"), ["hot", "hot"]);
        assert_eq!(spans_of(&ix, Kind::Score, "fit"), ["fit", "fit"]);
        assert_eq!(
            spans_of(&ix, Kind::Property, "demo.requested.source"),
            ["source", "source"]
        );
        assert_eq!(spans_of(&ix, Kind::Template, "hello"), ["hello", "hello"]);
        assert_eq!(spans_of(&ix, Kind::Variant, "Stage.won"), ["won", "won"]);
        assert_eq!(
            spans_of(&ix, Kind::Variant, "Stage.fresh"),
            ["fresh", "fresh"]
        );
        assert_eq!(spans_of(&ix, Kind::Enum, "Stage").len(), 3);
        let at = CAMPAIGN.find("enter hot").unwrap() + 7;
        let o = ix.at(at).expect("a name there");
        assert_eq!(ix.symbols[o.symbol].name, "hot");
        assert!(!o.def);
        // The prelude's events are known, with no place in the campaign.
        let opened = ix
            .find(Kind::Event, "email.opened")
            .expect("from the prelude");
        assert!(ix.symbols[opened].builtin && ix.symbols[opened].def.is_none());
    }
}
