//! pest pairs -> AST, and syntax errors in a marketer's words.

use super::ast::*;
use super::errors::syntax_error;
use super::lexer::DECLARATION_WORDS;
use super::limits;
use crate::diag::{Code, Diagnostic};
use crate::lang::ops::{BinOp, EffectKind, HistoryKind};
use crate::lang::span::Span;
use crate::lang::time::MAX_DURATION_SECONDS;
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/nurture.pest"]
struct NurtureParser;

/// Parses a whole file. On syntax errors the file is re-read declaration by declaration so
/// that every broken declaration is reported, not only the first; the tree then holds the
/// declarations that did parse.
pub fn parse(source: &str) -> (File, Vec<Diagnostic>) {
    let scan = limits::scan(source);
    if !scan.is_empty() {
        return (File::default(), scan);
    }
    if let Some(file) = parse_items(source) {
        return file;
    }
    match parse_rule(source, source, Rule::file, 0) {
        Ok(file) => file,
        Err(_) => parse_by_declaration(source),
    }
}

/// Parses a file one declaration at a time, as `file = { SOI ~ item* ~ EOI }` does, each
/// turned into its AST node before the next is read, so that pest's record of a parse (tens
/// of bytes a rule) never holds more than one declaration. `None` at the first declaration
/// that does not parse: the caller then reads the whole file again for its errors.
fn parse_items(source: &str) -> Option<(File, Vec<Diagnostic>)> {
    let mut b = Builder {
        offset: 0,
        diags: Vec::new(),
    };
    let mut items = Vec::new();
    let mut at = skip_trivia(source, 0);
    while at < source.len() {
        let rest = &source[at..];
        let pair = NurtureParser::parse(Rule::item_input, rest)
            .ok()?
            .next()?
            .into_inner()
            .next()?;
        let end = at + pair.as_span().end();
        b.offset = at;
        items.push(b.item(pair));
        at = skip_trivia(source, end);
    }
    Some((File { items }, b.diags))
}

/// The offset after the whitespace and comments at `at` (the grammar's `WHITESPACE` and
/// `COMMENT`).
fn skip_trivia(source: &str, mut at: usize) -> usize {
    loop {
        let rest = &source[at..];
        if rest.starts_with("//") {
            at += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}'))
        {
            at += c.len_utf8();
        } else {
            return at;
        }
    }
}

/// Parses one expression (REPL input and tests).
pub fn parse_expr(source: &str) -> Result<Expr, Vec<Diagnostic>> {
    let scan = limits::scan(source);
    if !scan.is_empty() {
        return Err(scan);
    }
    let mut pairs = NurtureParser::parse(Rule::expr_input, source)
        .map_err(|e| vec![syntax_error(e, source, 0)])?;
    let pair = pairs
        .next()
        .and_then(|p| p.into_inner().next())
        .expect("expr_input holds an expr");
    let mut b = Builder {
        offset: 0,
        diags: Vec::new(),
    };
    let expr = b.expr(pair);
    if b.diags.is_empty() {
        Ok(expr)
    } else {
        Err(b.diags)
    }
}

/// Parses one test statement (the REPL's `:event`-style input reuses the test syntax).
pub fn parse_test_stmts(source: &str) -> Result<Vec<TestStmt>, Vec<Diagnostic>> {
    let scan = limits::scan(source);
    if !scan.is_empty() {
        return Err(scan);
    }
    let pairs = NurtureParser::parse(Rule::test_stmts_input, source)
        .map_err(|e| vec![syntax_error(e, source, 0)])?;
    let mut b = Builder {
        offset: 0,
        diags: Vec::new(),
    };
    let stmts = pairs
        .flat_map(|p| p.into_inner())
        .filter(|p| p.as_rule() != Rule::EOI)
        .map(|p| b.test_stmt(p))
        .collect();
    if b.diags.is_empty() {
        Ok(stmts)
    } else {
        Err(b.diags)
    }
}

fn parse_rule(
    full: &str,
    source: &str,
    rule: Rule,
    offset: usize,
) -> Result<(File, Vec<Diagnostic>), Diagnostic> {
    let mut pairs =
        NurtureParser::parse(rule, source).map_err(|e| syntax_error(e, full, offset))?;
    let file = pairs.next().expect("the file rule always yields a pair");
    let mut b = Builder {
        offset,
        diags: Vec::new(),
    };
    let items = file
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .map(|p| b.item(p))
        .collect();
    Ok((File { items }, b.diags))
}

fn parse_by_declaration(source: &str) -> (File, Vec<Diagnostic>) {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let word: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if offset > 0 && DECLARATION_WORDS.contains(&word.as_str()) {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(source.len());
    let mut file = File::default();
    let mut diags = Vec::new();
    for w in starts.windows(2) {
        let chunk = &source[w[0]..w[1]];
        match parse_rule(source, chunk, Rule::file, w[0]) {
            Ok((f, d)) => {
                file.items.extend(f.items);
                diags.extend(d);
            }
            Err(d) => diags.push(d),
        }
    }
    if diags.is_empty() {
        // Chunking found nothing wrong although the whole file failed: report the whole-file error.
        if let Err(d) = parse_rule(source, source, Rule::file, 0) {
            diags.push(d);
        }
    }
    (file, diags)
}

struct Builder {
    /// Where the parsed text starts in the file, when a declaration is parsed on its own.
    offset: usize,
    diags: Vec<Diagnostic>,
}

fn inner(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner()
}

fn is_keyword_pair(p: &Pair<'_, Rule>) -> bool {
    format!("{:?}", p.as_rule()).starts_with("kw_")
}

/// The meaningful children: keywords dropped.
fn parts(pair: Pair<'_, Rule>) -> Vec<Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword_pair(p)).collect()
}

impl Builder {
    /// A pair's span, without the whitespace pest may leave at its end.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let len = pair.as_str().trim_end().len();
        Span::new(s.start() + self.offset, s.start() + len + self.offset)
    }

    fn bad_literal(&mut self, span: Span, message: String, help: &str) {
        self.diags
            .push(Diagnostic::new(Code::BadLiteral, span, message).with_help(help));
    }

    /// It stays whole: one arm per kind of declaration in the grammar.
    fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        match pair.as_rule() {
            Rule::campaign_decl => Item::Campaign(self.string(parts(pair).remove(0))),
            Rule::lead_decl => {
                let span = self.span(&pair);
                Item::Lead(LeadDecl {
                    attrs: parts(pair).into_iter().map(|p| self.attr_decl(p)).collect(),
                    span,
                })
            }
            Rule::enum_decl => {
                let span = self.span(&pair);
                let mut ps = parts(pair).into_iter();
                let name = self.ident(ps.next().unwrap());
                Item::Enum(EnumDecl {
                    name,
                    variants: ps.map(|p| self.ident(p)).collect(),
                    span,
                })
            }
            Rule::event_decl => {
                let span = self.span(&pair);
                let mut decl = EventDecl {
                    name: Ident {
                        name: String::new(),
                        span,
                    },
                    segment_name: None,
                    props: Vec::new(),
                    span,
                };
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::event_name => decl.name = self.ident(p),
                        Rule::string => decl.segment_name = Some(self.string(p)),
                        Rule::prop_block => {
                            for prop in inner(p) {
                                let span = self.span(&prop);
                                let mut ps = inner(prop);
                                let name = self.ident(ps.next().unwrap());
                                let ty = self.type_expr(ps.next().unwrap());
                                decl.props.push(PropDecl { name, ty, span });
                            }
                        }
                        r => unreachable!("event_decl child {r:?}"),
                    }
                }
                Item::Event(decl)
            }
            Rule::score_decl => Item::Score(self.score_decl(pair)),
            Rule::list_decl => {
                let span = self.span(&pair);
                let mut name = None;
                let mut description = None;
                let mut cond = None;
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::description => {
                            description = Some(self.string(p.into_inner().next().unwrap()))
                        }
                        _ => cond = Some(self.expr(p)),
                    }
                }
                Item::List(ListDecl {
                    name: name.unwrap(),
                    description,
                    cond: cond.unwrap(),
                    span,
                })
            }
            Rule::trigger => {
                let span = self.span(&pair);
                let mut ps = parts(pair).into_iter();
                let src = ps.next().unwrap();
                let source = match src.as_rule() {
                    Rule::enter_list => TriggerSource::Enter(self.ident(parts(src).remove(0))),
                    Rule::exit_list => TriggerSource::Exit(self.ident(parts(src).remove(0))),
                    _ => {
                        let mut ps = inner(src);
                        let event = self.ident(ps.next().unwrap());
                        let filter = ps.next().map(|w| self.where_clause(w));
                        TriggerSource::Event { event, filter }
                    }
                };
                let action = self.step(ps.next().unwrap());
                Item::Trigger(Trigger {
                    source,
                    action,
                    span,
                })
            }
            Rule::workflow => Item::Workflow(self.workflow(pair)),
            Rule::policy => {
                let span = self.span(&pair);
                Item::Policy(Policy {
                    items: parts(pair)
                        .into_iter()
                        .map(|p| self.policy_item(p))
                        .collect(),
                    span,
                })
            }
            Rule::test_decl => {
                let span = self.span(&pair);
                let mut ps = parts(pair).into_iter();
                let name = self.string(ps.next().unwrap());
                Item::Test(TestDecl {
                    name,
                    stmts: ps.map(|p| self.test_stmt(p)).collect(),
                    span,
                })
            }
            r => unreachable!("item {r:?}"),
        }
    }

    fn attr_decl(&mut self, pair: Pair<'_, Rule>) -> AttrDecl {
        let span = self.span(&pair);
        let mut ps = inner(pair);
        let name = self.ident(ps.next().unwrap());
        let ty = self.type_expr(ps.next().unwrap());
        let default = ps.next().map(|p| self.expr(p));
        AttrDecl {
            name,
            ty,
            default,
            span,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut optional = false;
        let mut kind = None;
        for p in inner(pair) {
            match p.as_rule() {
                Rule::ident => kind = Some(TypeExprKind::Named(self.ident(p))),
                Rule::list_type => {
                    let elem = parts(p).remove(0);
                    kind = Some(TypeExprKind::List(Box::new(self.type_expr(elem))));
                }
                Rule::optional_mark => optional = true,
                r => unreachable!("type child {r:?}"),
            }
        }
        TypeExpr {
            kind: kind.unwrap(),
            optional,
            span,
        }
    }

    fn score_decl(&mut self, pair: Pair<'_, Rule>) -> ScoreDecl {
        let span = self.span(&pair);
        let mut name = None;
        let mut description = None;
        let mut body = ScoreBody::Rules(Vec::new());
        for p in parts(pair) {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::description => {
                    description = Some(self.string(p.into_inner().next().unwrap()))
                }
                Rule::derived_score => {
                    body = ScoreBody::Derived(self.expr(p.into_inner().next().unwrap()))
                }
                Rule::score_block => {
                    body = ScoreBody::Rules(inner(p).map(|r| self.score_rule(r)).collect())
                }
                r => unreachable!("score child {r:?}"),
            }
        }
        ScoreDecl {
            name: name.unwrap(),
            description,
            body,
            span,
        }
    }

    fn score_rule(&mut self, pair: Pair<'_, Rule>) -> ScoreRule {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::decay_rule => {
                let mut ps = parts(pair).into_iter();
                let percent = self.percent(ps.next().unwrap());
                let every = self.duration(ps.next().unwrap());
                ScoreRule::Decay {
                    percent,
                    every,
                    span,
                }
            }
            Rule::when_rule => {
                let mut ps = parts(pair).into_iter();
                let cond = self.expr(ps.next().unwrap());
                let effect = self.effect(ps.next().unwrap());
                ScoreRule::When { cond, effect, span }
            }
            Rule::on_rule => {
                let mut event = None;
                let mut filter = None;
                let mut effect = None;
                let mut cap = None;
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::event_name | Rule::quoted_event => event = Some(self.ident(p)),
                        Rule::where_clause => filter = Some(self.where_clause(p)),
                        Rule::effect => effect = Some(self.effect(p)),
                        Rule::cap => cap = Some(self.cap(p)),
                        r => unreachable!("on rule child {r:?}"),
                    }
                }
                ScoreRule::On {
                    event: event.unwrap(),
                    filter,
                    effect: effect.unwrap(),
                    cap,
                    span,
                }
            }
            r => unreachable!("score rule {r:?}"),
        }
    }

    fn effect(&mut self, pair: Pair<'_, Rule>) -> Effect {
        let span = self.span(&pair);
        let mut ps = inner(pair);
        let kind = match ps.next().unwrap().as_rule() {
            Rule::kw_add => EffectKind::Add,
            Rule::kw_subtract => EffectKind::Subtract,
            _ => EffectKind::Set,
        };
        let amount = self.number(ps.next().unwrap());
        Effect { kind, amount, span }
    }

    fn cap(&mut self, pair: Pair<'_, Rule>) -> Cap {
        let span = self.span(&pair);
        let mut ps = parts(pair).into_iter();
        let times = self.integer(ps.next().unwrap());
        let per = self.duration(ps.next().unwrap());
        Cap { times, per, span }
    }

    fn workflow(&mut self, pair: Pair<'_, Rule>) -> Workflow {
        let span = self.span(&pair);
        let mut wf = Workflow {
            name: Ident {
                name: String::new(),
                span,
            },
            description: None,
            settings: Vec::new(),
            steps: Vec::new(),
            span,
        };
        for p in parts(pair) {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::ident => wf.name = self.ident(p),
                Rule::description => {
                    wf.description = Some(self.string(p.into_inner().next().unwrap()))
                }
                Rule::enroll => {
                    let how = parts(p).remove(0);
                    let enroll = match how.as_rule() {
                        Rule::enroll_every_time => Enroll::EveryTime,
                        _ => match parts(how).into_iter().next() {
                            Some(d) => Enroll::OncePer(self.duration(d)),
                            None => Enroll::Once,
                        },
                    };
                    wf.settings.push(WorkflowSetting::Enroll(enroll, pspan));
                }
                Rule::only_if => {
                    let e = self.expr(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::OnlyIf(e, pspan));
                }
                Rule::exit_when => {
                    let e = self.expr(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::ExitWhen(e, pspan));
                }
                Rule::goal => {
                    let e = self.expr(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::Goal(e, pspan));
                }
                _ => {
                    let step = self.step(p);
                    wf.steps.push(step);
                }
            }
        }
        wf
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Vec<Step> {
        inner(pair).map(|p| self.step(p)).collect()
    }

    /// It stays whole: one arm per kind of workflow step in the grammar.
    fn step(&mut self, pair: Pair<'_, Rule>) -> Step {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::send_step => {
                let mut ps = parts(pair).into_iter();
                StepKind::Send {
                    channel: self.ident(ps.next().unwrap()),
                    template: self.string(ps.next().unwrap()),
                }
            }
            Rule::notify_step => {
                let mut ps = parts(pair).into_iter();
                StepKind::Notify {
                    audience: self.ident(ps.next().unwrap()),
                    message: self.string(ps.next().unwrap()),
                }
            }
            Rule::retarget_step => {
                let mut ps = inner(pair).skip(1);
                let add = ps.next().unwrap().as_rule() == Rule::kw_add;
                StepKind::Retarget {
                    add,
                    audience: self.string(ps.next().unwrap()),
                }
            }
            Rule::webhook_step => {
                let mut ps = parts(pair).into_iter();
                let name = self.string(ps.next().unwrap());
                let fields = ps.next().map(|o| self.object(o)).unwrap_or_default();
                StepKind::Webhook { name, fields }
            }
            Rule::set_step => {
                let mut ps = parts(pair).into_iter();
                let attr = self.lead_attr(ps.next().unwrap());
                StepKind::Set {
                    attr,
                    value: self.expr(ps.next().unwrap()),
                }
            }
            Rule::tag_step => StepKind::Tag(self.string(parts(pair).remove(0))),
            Rule::untag_step => StepKind::Untag(self.string(parts(pair).remove(0))),
            Rule::start_step => StepKind::Start(self.ident(parts(pair).remove(0))),
            Rule::stop_step => StepKind::Stop(self.ident(parts(pair).remove(0))),
            Rule::wait_for => StepKind::Wait(Wait::For(self.duration(parts(pair).remove(0)))),
            Rule::wait_until => {
                let mut weekday = false;
                let mut time = None;
                for p in inner(pair) {
                    match p.as_rule() {
                        Rule::kw_weekday => weekday = true,
                        Rule::time_of_day => time = Some(self.time_of_day(p)),
                        _ => {}
                    }
                }
                StepKind::Wait(Wait::Until {
                    weekday,
                    time: time.unwrap(),
                })
            }
            Rule::wait_up_to => {
                let mut ps = parts(pair).into_iter();
                let timeout = self.duration(ps.next().unwrap());
                let event = self.ident(ps.next().unwrap());
                let filter = ps.next().map(|w| self.where_clause(w));
                StepKind::Wait(Wait::UpTo {
                    timeout,
                    event,
                    filter,
                })
            }
            Rule::if_step => {
                let mut ps = parts(pair).into_iter();
                let cond = self.expr(ps.next().unwrap());
                let then = self.block(ps.next().unwrap());
                let otherwise = match ps.next() {
                    Some(p) if p.as_rule() == Rule::if_step => vec![self.step(p)],
                    Some(p) => self.block(p),
                    None => Vec::new(),
                };
                StepKind::If {
                    cond,
                    then,
                    otherwise,
                }
            }
            Rule::split_step => {
                let arms = parts(pair)
                    .into_iter()
                    .map(|arm| {
                        let span = self.span(&arm);
                        let mut ps = inner(arm);
                        let share = self.percent(ps.next().unwrap());
                        let label = self.string(ps.next().unwrap());
                        let body = ps.next().unwrap();
                        let steps = if body.as_rule() == Rule::block {
                            self.block(body)
                        } else {
                            vec![self.step(body)]
                        };
                        SplitArm {
                            share,
                            label,
                            steps,
                            span,
                        }
                    })
                    .collect();
                StepKind::Split { arms }
            }
            r => unreachable!("step {r:?}"),
        };
        Step { kind, span }
    }

    fn policy_item(&mut self, pair: Pair<'_, Rule>) -> PolicyItem {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::frequency => {
                let mut ps = parts(pair).into_iter();
                let channel = self.ident(ps.next().unwrap());
                let times = self.integer(ps.next().unwrap());
                let per = self.duration(ps.next().unwrap());
                PolicyItem::Frequency {
                    channel,
                    times,
                    per,
                    span,
                }
            }
            Rule::quiet_hours => {
                let mut ps = parts(pair).into_iter();
                let from = self.time_of_day(ps.next().unwrap());
                let to = self.time_of_day(ps.next().unwrap());
                PolicyItem::QuietHours { from, to, span }
            }
            Rule::suppress => PolicyItem::Suppress {
                cond: self.expr(parts(pair).remove(0)),
                span,
            },
            r => unreachable!("policy item {r:?}"),
        }
    }

    fn test_stmt(&mut self, pair: Pair<'_, Rule>) -> TestStmt {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::test_lead => {
                let mut ps = parts(pair).into_iter();
                let name = self.ident(ps.next().unwrap());
                let fields = self.object(ps.next().unwrap());
                TestStmt::Lead { name, fields, span }
            }
            Rule::test_at => {
                let mut ps = parts(pair).into_iter();
                let time = self.literal(ps.next().unwrap());
                let event = ps.next().map(|p| self.test_event(p));
                TestStmt::At { time, event, span }
            }
            Rule::test_after => {
                let mut ps = parts(pair).into_iter();
                let duration = self.duration(ps.next().unwrap());
                let event = ps.next().map(|p| self.test_event(p));
                TestStmt::After {
                    duration,
                    event,
                    span,
                }
            }
            Rule::test_expect => {
                let e = inner(pair).nth(1).unwrap();
                let espan = self.span(&e);
                TestStmt::Expect(match e.as_rule() {
                    Rule::expect_sent => {
                        let mut lead = None;
                        let mut negated = false;
                        let mut channel = None;
                        let mut template = None;
                        for p in parts(e) {
                            match p.as_rule() {
                                Rule::ident if lead.is_none() => lead = Some(self.ident(p)),
                                Rule::ident => channel = Some(self.ident(p)),
                                Rule::negation => negated = true,
                                Rule::string => template = Some(self.string(p)),
                                r => unreachable!("expect sent {r:?}"),
                            }
                        }
                        Expectation::Sent {
                            lead: lead.unwrap(),
                            negated,
                            channel: channel.unwrap(),
                            template,
                            span: espan,
                        }
                    }
                    Rule::expect_workflow => {
                        let mut lead = None;
                        let mut negated = false;
                        let mut workflow = None;
                        let mut step = None;
                        for p in parts(e) {
                            match p.as_rule() {
                                Rule::ident if lead.is_none() => lead = Some(self.ident(p)),
                                Rule::ident => workflow = Some(self.ident(p)),
                                Rule::negation => negated = true,
                                Rule::string => step = Some(self.string(p)),
                                r => unreachable!("expect workflow {r:?}"),
                            }
                        }
                        Expectation::InWorkflow {
                            lead: lead.unwrap(),
                            negated,
                            workflow: workflow.unwrap(),
                            step,
                            span: espan,
                        }
                    }
                    Rule::expect_converted => {
                        let mut ids = Vec::new();
                        let mut negated = false;
                        for p in parts(e) {
                            match p.as_rule() {
                                Rule::ident => ids.push(self.ident(p)),
                                _ => negated = true,
                            }
                        }
                        let workflow = ids.pop().unwrap();
                        Expectation::Converted {
                            lead: ids.pop().unwrap(),
                            negated,
                            workflow,
                            span: espan,
                        }
                    }
                    _ => Expectation::Holds(self.expr(e)),
                })
            }
            r => unreachable!("test statement {r:?}"),
        }
    }

    fn test_event(&mut self, pair: Pair<'_, Rule>) -> TestEvent {
        let span = self.span(&pair);
        let mut ps = inner(pair);
        let lead = self.ident(ps.next().unwrap());
        let event = self.ident(ps.next().unwrap());
        let props = ps.next().map(|o| self.object(o)).unwrap_or_default();
        TestEvent {
            lead,
            event,
            props,
            span,
        }
    }

    fn object(&mut self, pair: Pair<'_, Rule>) -> Vec<Field> {
        inner(pair)
            .map(|f| {
                let mut ps = inner(f);
                let name = self.ident(ps.next().unwrap());
                let value = self.expr(ps.next().unwrap());
                Field { name, value }
            })
            .collect()
    }

    fn where_clause(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.expr(parts(pair).remove(0))
    }

    // ---- expressions ---------------------------------------------------------------------

    /// It stays whole: one arm per expression rule in the grammar.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren => {
                let mut e = self.expr(pair.into_inner().next().unwrap());
                if matches!(e.kind, ExprKind::Binary { .. }) {
                    // Keep the parentheses in the span so lints can tell `(a or b)` from `a or b`.
                    e.span = span;
                }
                e
            }
            Rule::or_expr | Rule::and_expr => {
                let op = if pair.as_rule() == Rule::or_expr {
                    BinOp::Or
                } else {
                    BinOp::And
                };
                let mut ps = inner(pair);
                let mut lhs = self.expr(ps.next().unwrap());
                while let Some(kw) = ps.next() {
                    let op_span = self.span(&kw);
                    let rhs = self.expr(ps.next().unwrap());
                    lhs = binary(op, op_span, lhs, rhs);
                }
                lhs
            }
            Rule::not_expr => {
                let ps: Vec<_> = inner(pair).collect();
                let (nots, rest) = ps.split_at(ps.len() - 1);
                let mut e = self.expr(rest[0].clone());
                for n in nots.iter().rev() {
                    let s = self.span(n).to(e.span);
                    e = Expr {
                        kind: ExprKind::Not(Box::new(e)),
                        span: s,
                    };
                }
                e
            }
            Rule::comparison => {
                let mut ps = inner(pair);
                let lhs = self.expr(ps.next().unwrap());
                match ps.next() {
                    None => lhs,
                    Some(tail) => self.comparison_tail(lhs, tail, span),
                }
            }
            Rule::coalesce | Rule::sum | Rule::product => {
                let rule = pair.as_rule();
                let mut ps = inner(pair).peekable();
                let mut lhs = self.expr(ps.next().unwrap());
                while ps.peek().is_some() {
                    let (op, op_span) = if rule == Rule::coalesce {
                        (
                            BinOp::Coalesce,
                            Span::new(lhs.span.end as usize, lhs.span.end as usize),
                        )
                    } else {
                        let o = ps.next().unwrap();
                        let op = match o.as_str() {
                            "+" => BinOp::Add,
                            "-" => BinOp::Sub,
                            "*" => BinOp::Mul,
                            _ => BinOp::Div,
                        };
                        (op, self.span(&o))
                    };
                    let rhs = self.expr(ps.next().unwrap());
                    let op_span = if rule == Rule::coalesce {
                        Span::new(op_span.start as usize, rhs.span.start as usize)
                    } else {
                        op_span
                    };
                    lhs = binary(op, op_span, lhs, rhs);
                }
                lhs
            }
            Rule::unary => {
                let ps: Vec<_> = inner(pair).collect();
                let (negs, rest) = ps.split_at(ps.len() - 1);
                let mut e = self.expr(rest[0].clone());
                for n in negs.iter().rev() {
                    let s = self.span(n).to(e.span);
                    e = match e.kind {
                        // Fold `-5` into a literal so `add -5` and `x > -5` read naturally.
                        ExprKind::Int(i) => Expr {
                            kind: ExprKind::Int(-i),
                            span: s,
                        },
                        ExprKind::Number(f) => Expr {
                            kind: ExprKind::Number(-f),
                            span: s,
                        },
                        _ => Expr {
                            kind: ExprKind::Neg(Box::new(e)),
                            span: s,
                        },
                    };
                }
                e
            }
            Rule::postfix => {
                let mut ps = parts(pair).into_iter();
                let e = self.expr(ps.next().unwrap());
                match ps.next() {
                    None => e,
                    Some(lead) => Expr {
                        kind: ExprKind::Of {
                            expr: Box::new(e),
                            lead: self.ident(lead),
                        },
                        span,
                    },
                }
            }
            Rule::did_expr | Rule::count_expr | Rule::last_expr => {
                let kind = match pair.as_rule() {
                    Rule::did_expr => HistoryKind::Did,
                    Rule::count_expr => HistoryKind::Count,
                    _ => HistoryKind::Last,
                };
                let mut h = History {
                    kind,
                    event: Ident {
                        name: String::new(),
                        span,
                    },
                    filter: None,
                    within: None,
                    since_enrolled: None,
                };
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::event_name | Rule::quoted_event => h.event = self.ident(p),
                        Rule::where_clause => h.filter = Some(self.where_clause(p)),
                        Rule::within => h.within = Some(self.duration(parts(p).remove(0))),
                        Rule::since_enrolled => h.since_enrolled = Some(self.span(&p)),
                        r => unreachable!("history child {r:?}"),
                    }
                }
                Expr {
                    kind: ExprKind::History(Box::new(h)),
                    span,
                }
            }
            Rule::lead_attr => Expr {
                kind: ExprKind::LeadAttr(self.lead_attr(pair)),
                span,
            },
            Rule::path => Expr {
                kind: ExprKind::Path(inner(pair).map(|p| self.ident(p)).collect()),
                span,
            },
            Rule::now => Expr {
                kind: ExprKind::Now,
                span,
            },
            Rule::received => Expr {
                kind: ExprKind::Received,
                span,
            },
            Rule::list_literal => Expr {
                kind: ExprKind::List(inner(pair).map(|p| self.expr(p)).collect()),
                span,
            },
            _ => self.literal(pair),
        }
    }

    fn comparison_tail(&mut self, lhs: Expr, tail: Pair<'_, Rule>, span: Span) -> Expr {
        let kind = match tail.as_rule() {
            Rule::is_test => {
                let set = tail.into_inner().nth(1).unwrap().as_rule() == Rule::kw_set;
                ExprKind::Is {
                    expr: Box::new(lhs),
                    set,
                }
            }
            Rule::matches_test => {
                let re = tail.into_inner().nth(1).unwrap();
                let regex_span = self.span(&re);
                let body = re
                    .into_inner()
                    .next()
                    .map(|b| b.as_str().to_string())
                    .unwrap_or_default();
                ExprKind::Matches {
                    expr: Box::new(lhs),
                    regex: body,
                    regex_span,
                }
            }
            Rule::in_test => {
                let mut negated = false;
                let mut set = None;
                for p in tail.into_inner() {
                    match p.as_rule() {
                        Rule::negation => negated = true,
                        Rule::kw_in => {}
                        _ => set = Some(self.expr(p)),
                    }
                }
                ExprKind::In {
                    expr: Box::new(lhs),
                    negated,
                    set: Box::new(set.unwrap()),
                }
            }
            _ => {
                let mut ps = tail.into_inner();
                let op_pair = ps.next().unwrap();
                let op_span = self.span(&op_pair);
                let op = match op_pair.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    ">=" => BinOp::Ge,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    "<" => BinOp::Lt,
                    "contains" => BinOp::Contains,
                    "starts_with" => BinOp::StartsWith,
                    _ => BinOp::EndsWith,
                };
                let rhs = self.expr(ps.next().unwrap());
                return binary(op, op_span, lhs, rhs);
            }
        };
        Expr { kind, span }
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Expr {
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

    fn string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
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

    fn ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn lead_attr(&mut self, pair: Pair<'_, Rule>) -> Ident {
        let word = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::word)
            .unwrap();
        self.ident(word)
    }

    fn number(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = self.span(&pair);
        let value = pair.as_str().parse().unwrap_or(0.0);
        Number { value, span }
    }

    fn integer(&mut self, pair: Pair<'_, Rule>) -> u32 {
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

    fn percent(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = self.span(&pair);
        let value = pair.as_str().trim_end_matches('%').parse().unwrap_or(0.0);
        Number { value, span }
    }

    fn duration(&mut self, pair: Pair<'_, Rule>) -> Duration {
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

    fn time_of_day(&mut self, pair: Pair<'_, Rule>) -> TimeOfDay {
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

fn binary(op: BinOp, op_span: Span, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            op_span,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> File {
        let (file, diags) = parse(src);
        assert!(diags.is_empty(), "{diags:#?}");
        file
    }

    #[test]
    fn a_file_read_one_declaration_at_a_time_is_the_file_read_whole() {
        let sources = [
            include_str!("../../../tests/fixtures/contract.nurture"),
            include_str!("../../../stdlib/prelude.nurture"),
            include_str!("../../../examples/b2b_scoring.nurture"),
            include_str!("../../../examples/cart_recovery.nurture"),
            include_str!("../../../examples/coupon_leadgen.nurture"),
            include_str!("../../../examples/ebook_welcome.nurture"),
            include_str!("../../../examples/fashion_segments.nurture"),
            include_str!("../../../examples/post_purchase.nurture"),
            // Comments and blank lines around and between, a BOM, no final newline.
            "\u{FEFF}// a\n\n  list a = true // b\n// c\r\nlist b = a\t\n\n// end",
            "list a = true",
            "",
            "// only a comment",
        ];
        for src in sources {
            let whole = parse_rule(src, src, Rule::file, 0).expect("parses");
            let items = parse_items(src).expect("parses");
            assert_eq!(items, whole, "{src}");
        }
        // The first declaration that does not parse sends the file to the whole reading.
        assert!(parse_items("list a = true\nlist b = = \nlist c = a\n").is_none());
    }

    #[test]
    fn parses_the_contract() {
        let src = include_str!("../../../tests/fixtures/contract.nurture");
        let file = ok(src);
        assert!(file.items.len() > 20);
    }

    #[test]
    fn not_binds_looser_than_history() {
        let file = ok("list x = did a.b within 1d and not did c.d within 1d");
        let Item::List(l) = &file.items[0] else {
            panic!()
        };
        let ExprKind::Binary {
            op: BinOp::And,
            rhs,
            ..
        } = &l.cond.kind
        else {
            panic!("{:?}", l.cond)
        };
        assert!(matches!(rhs.kind, ExprKind::Not(_)));
    }

    #[test]
    fn where_runs_to_within() {
        let file = ok("list x = count e.f where a == 1 and b == 2 within 3d >= 2");
        let Item::List(l) = &file.items[0] else {
            panic!()
        };
        let ExprKind::Binary {
            op: BinOp::Ge, lhs, ..
        } = &l.cond.kind
        else {
            panic!("{:?}", l.cond)
        };
        let ExprKind::History(h) = &lhs.kind else {
            panic!()
        };
        assert!(matches!(
            h.filter.as_ref().unwrap().kind,
            ExprKind::Binary { op: BinOp::And, .. }
        ));
        assert_eq!(h.within.unwrap().seconds, 3 * 86_400);
    }

    #[test]
    fn once_is_not_read_as_on() {
        let file = ok("workflow w { enroll once per 90d wait 1d }");
        let Item::Workflow(w) = &file.items[0] else {
            panic!()
        };
        assert!(matches!(
            w.settings[0],
            WorkflowSetting::Enroll(Enroll::OncePer(_), _)
        ));
    }

    #[test]
    fn a_missing_unit_gets_a_hint() {
        let (_, diags) = parse("workflow w { wait 3 }");
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("a duration such as `3d`"),
            "{}",
            diags[0].message
        );
        assert!(diags[0].help.as_deref().unwrap_or("").contains("`3d`"));
    }

    #[test]
    fn every_broken_declaration_is_reported() {
        let (_, diags) =
            parse("list a = \nlist b = did x.y\nscore s { when add 1 }\nworkflow w { wait }\n");
        assert_eq!(diags.len(), 3, "{diags:#?}");
    }

    #[test]
    fn strings_interpolate_and_escape() {
        let file = ok(r#"on enter hot notify sales "a {lead.email} {{b}} \"c\"""#);
        let Item::Trigger(t) = &file.items[0] else {
            panic!()
        };
        let StepKind::Notify { message, .. } = &t.action.kind else {
            panic!()
        };
        assert_eq!(message.parts.len(), 3);
        assert_eq!(message.display(), "a {…} {b} \"c\"");
    }

    #[test]
    fn regex_keeps_backslashes() {
        let file = ok(r#"list x = lead.email matches "^\d+\.com$""#);
        let Item::List(l) = &file.items[0] else {
            panic!()
        };
        let ExprKind::Matches { regex, .. } = &l.cond.kind else {
            panic!()
        };
        assert_eq!(regex, r"^\d+\.com$");
    }

    #[test]
    fn bad_time_of_day_is_reported() {
        let (_, diags) = parse("policy { quiet hours 25:00 to 08:00 }");
        assert_eq!(diags[0].code, Code::BadLiteral);
    }
}
