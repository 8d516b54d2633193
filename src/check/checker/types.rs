//! Types and constant values: type names resolved, defaults and test values read as
//! constants of the type they must have, enum values and time zones looked up.

use super::{Checker, Scope};
use crate::check::hints;
use crate::check::program::*;
use crate::check::suggest;
use crate::diag::Code;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast::{self, ExprKind as A};
use std::str::FromStr;

impl Checker<'_> {
    pub(super) fn resolve_type(&mut self, t: &ast::TypeExpr) -> Ty {
        let base = match &t.kind {
            ast::TypeExprKind::List(inner) => Ty::List(Box::new(self.resolve_type(inner))),
            ast::TypeExprKind::Named(name) => match name.name.as_str() {
                "bool" => Ty::Bool,
                "int" => Ty::Int,
                "number" => Ty::Number,
                "string" => Ty::Str,
                "duration" => Ty::Duration,
                "time" => Ty::Time,
                "timezone" => Ty::Timezone,
                other => match self.program.enums.iter().position(|e| e.name == other) {
                    Some(i) => Ty::Enum(i as u32),
                    None => {
                        let mut known: Vec<&str> = vec![
                            "bool", "int", "number", "string", "duration", "time", "timezone",
                        ];
                        known.extend(self.program.enums.iter().map(|e| e.name.as_str()));
                        let help = suggest::help(
                            &mut self.suggestions,
                            other,
                            "types Nurture knows",
                            known.iter().copied(),
                        );
                        self.error(
                            Code::UnknownType,
                            name.span,
                            format!("there is no type `{other}`"),
                        )
                        .with_help_opt(help);
                        Ty::Error
                    }
                },
            },
        };
        if t.optional {
            base.optional()
        } else {
            base
        }
    }

    /// A constant value of the expected type: defaults, test attributes and event properties.
    pub(super) fn constant(&mut self, e: &ast::Expr, want: &Ty) -> Value {
        let value = match (&e.kind, want.base()) {
            (A::Path(p), Ty::Enum(id)) if p.len() == 1 => match self.variant(*id, &p[0]) {
                Some(v) => v,
                None => return Value::Missing,
            },
            (A::List(items), Ty::List(elem)) => {
                let elem = (**elem).clone();
                Value::List(items.iter().map(|i| self.constant(i, &elem)).collect())
            }
            _ => {
                let checked = self.expr(e, Scope::default(), Some(want));
                match &checked.kind {
                    ExprKind::Const(v) => {
                        if !checked.ty.fits(want) {
                            self.mismatch(e.span, want, &checked);
                        }
                        v.clone()
                    }
                    _ => {
                        self.error(
                            Code::TypeMismatch,
                            e.span,
                            "this must be a plain value, such as `42`, `\"text\"` or `true`",
                        )
                        .with_help(
                            "defaults and test values cannot depend on scores, lists or history",
                        );
                        Value::Missing
                    }
                }
            }
        };
        if let (Ty::Timezone, Value::Str(name)) = (want.base(), &value) {
            self.timezone(name, e.span);
        }
        value
    }

    pub(super) fn timezone(&mut self, name: &str, span: Span) {
        if chrono_tz::Tz::from_str(name).is_err() {
            let help = suggest::closest(
                &mut self.suggestions,
                name,
                chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()),
            )
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| {
                "use an IANA time zone name such as `Europe/Paris` or `America/New_York`".into()
            });
            self.error(
                Code::BadTimezone,
                span,
                format!("`{name}` is not a time zone Nurture knows"),
            )
            .with_help(help);
        }
    }

    pub(super) fn variant(&mut self, id: u32, name: &ast::Ident) -> Option<Value> {
        let def = &self.program.enums[id as usize];
        match def.variants.iter().position(|v| *v == name.name) {
            Some(i) => Some(Value::Enum(id, i as u32)),
            None => {
                let help = suggest::help(
                    &mut self.suggestions,
                    &name.name,
                    "values",
                    def.variants.iter().map(|s| s.as_str()),
                );
                let msg = format!("enum `{}` has no value `{}`", def.name, name.name);
                self.error(Code::UnknownVariant, name.span, msg)
                    .with_help_opt(help);
                None
            }
        }
    }

    pub(super) fn mismatch(&mut self, span: Span, want: &Ty, got: &Expr) {
        let (w, g) = (self.describe_a(want), self.describe_a(&got.ty));
        let help = hints::unquote(want, got);
        self.error(Code::TypeMismatch, span, format!("expected {w}, found {g}"))
            .with_label(format!("this is {g}"))
            .with_help_opt(help);
    }
}
