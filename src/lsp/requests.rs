//! The requests the server answers, each from the library's `ide` functions.

use super::convert::{self, offset, range};
use super::{Open, Server};
use lsp_server::{ErrorCode, Request, Response};
use lsp_types as lsp;
use lsp_types::request::{self as req, Request as _};
use nurture::ide;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What the server can do, as `initialize` answers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), " ".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        semantic_tokens_provider: Some(
            lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lsp::SemanticTokensOptions {
                    legend: convert::legend(),
                    full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: Default::default(),
                },
            ),
        ),
        folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        ..Default::default()
    }
}

/// Why a request got no answer.
enum Failure {
    BadParams(String),
    UnknownDocument(String),
    Refused(String),
    UnknownMethod(String),
}

/// Answers one request.
pub fn handle(server: &Server, r: Request) -> Response {
    let id = r.id.clone();
    match answer(server, r) {
        Ok(value) => Response::new_ok(id, value),
        Err(f) => {
            let (code, message) = match f {
                Failure::BadParams(m) => (ErrorCode::InvalidParams, m),
                Failure::UnknownDocument(uri) => (
                    ErrorCode::InvalidParams,
                    format!("{uri} is not open: send textDocument/didOpen first"),
                ),
                Failure::Refused(m) => (ErrorCode::RequestFailed, m),
                Failure::UnknownMethod(m) => (
                    ErrorCode::MethodNotFound,
                    format!("nurture lsp does not answer {m}"),
                ),
            };
            Response::new_err(id, code as i32, message)
        }
    }
}

fn params<P: DeserializeOwned>(r: Request) -> Result<P, Failure> {
    serde_json::from_value(r.params).map_err(|e| Failure::BadParams(e.to_string()))
}

fn open<'s>(server: &'s Server, uri: &lsp::Uri) -> Result<&'s Open, Failure> {
    (server.docs.get(uri.as_str())).ok_or_else(|| Failure::UnknownDocument(uri.as_str().into()))
}

fn json(v: impl serde::Serialize) -> Result<Value, Failure> {
    Ok(serde_json::to_value(v).expect("protocol types serialize"))
}

/// The document and byte offset a position request is about.
fn at<'s>(
    server: &'s Server,
    p: &lsp::TextDocumentPositionParams,
) -> Result<(&'s Open, usize), Failure> {
    let open = open(server, &p.text_document.uri)?;
    Ok((open, offset(&open.doc, p.position)))
}

/// It stays whole: one arm per request method, each a few lines over `ide`.
fn answer(server: &Server, r: Request) -> Result<Value, Failure> {
    match r.method.as_str() {
        req::HoverRequest::METHOD => {
            let p: lsp::HoverParams = params(r)?;
            let (o, offset) = at(server, &p.text_document_position_params)?;
            json(ide::hover(&o.doc, offset).map(|(span, text)| lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: text,
                }),
                range: Some(range(&o.doc, span)),
            }))
        }
        req::GotoDefinition::METHOD => {
            let p: lsp::GotoDefinitionParams = params(r)?;
            let (o, offset) = at(server, &p.text_document_position_params)?;
            json(o.doc.definition(offset).map(|span| {
                lsp::GotoDefinitionResponse::Scalar(lsp::Location {
                    uri: o.uri.clone(),
                    range: range(&o.doc, span),
                })
            }))
        }
        req::References::METHOD => {
            let p: lsp::ReferenceParams = params(r)?;
            let (o, offset) = at(server, &p.text_document_position)?;
            let def = o.doc.definition(offset);
            let spans = o.doc.references(offset).into_iter();
            let spans = spans.filter(|s| p.context.include_declaration || Some(*s) != def);
            json(
                spans
                    .map(|s| lsp::Location {
                        uri: o.uri.clone(),
                        range: range(&o.doc, s),
                    })
                    .collect::<Vec<_>>(),
            )
        }
        req::PrepareRenameRequest::METHOD => {
            let p: lsp::TextDocumentPositionParams = params(r)?;
            let (o, offset) = at(server, &p)?;
            json(
                o.doc
                    .name_at(offset)
                    .map(|s| lsp::PrepareRenameResponse::Range(range(&o.doc, s))),
            )
        }
        req::Rename::METHOD => {
            let p: lsp::RenameParams = params(r)?;
            let (o, offset) = at(server, &p.text_document_position)?;
            let edits =
                (o.doc.rename(offset, &p.new_name)).map_err(|e| Failure::Refused(e.to_string()))?;
            let edits = edits
                .into_iter()
                .map(|(span, new_text)| lsp::TextEdit {
                    range: range(&o.doc, span),
                    new_text,
                })
                .collect();
            json(lsp::WorkspaceEdit {
                changes: Some([(o.uri.clone(), edits)].into_iter().collect()),
                ..Default::default()
            })
        }
        req::Completion::METHOD => {
            let p: lsp::CompletionParams = params(r)?;
            let (o, offset) = at(server, &p.text_document_position)?;
            let (replace, items) = ide::complete(&o.doc, offset);
            json(lsp::CompletionResponse::Array(
                items
                    .into_iter()
                    .map(|c| convert::completion(&o.doc, replace, c))
                    .collect(),
            ))
        }
        req::DocumentSymbolRequest::METHOD => {
            let p: lsp::DocumentSymbolParams = params(r)?;
            let o = open(server, &p.text_document.uri)?;
            json(lsp::DocumentSymbolResponse::Nested(
                ide::outline(&o.doc)
                    .into_iter()
                    .map(|x| convert::outline(&o.doc, x))
                    .collect(),
            ))
        }
        req::SemanticTokensFullRequest::METHOD => {
            let p: lsp::SemanticTokensParams = params(r)?;
            let o = open(server, &p.text_document.uri)?;
            json(lsp::SemanticTokensResult::Tokens(convert::semantic_tokens(
                &o.doc,
            )))
        }
        req::FoldingRangeRequest::METHOD => {
            let p: lsp::FoldingRangeParams = params(r)?;
            let o = open(server, &p.text_document.uri)?;
            json(
                ide::folding_ranges(&o.doc)
                    .into_iter()
                    .map(|(start_line, end_line)| lsp::FoldingRange {
                        start_line,
                        end_line,
                        ..Default::default()
                    })
                    .collect::<Vec<_>>(),
            )
        }
        req::CodeActionRequest::METHOD => {
            let p: lsp::CodeActionParams = params(r)?;
            let o = open(server, &p.text_document.uri)?;
            let (from, to) = (offset(&o.doc, p.range.start), offset(&o.doc, p.range.end));
            let mut actions = Vec::new();
            for d in o.doc.diagnostics() {
                let (start, end) = (d.span.start as usize, d.span.end as usize);
                if end < from || start > to {
                    continue;
                }
                for fix in ide::fixes(&o.doc.text, d) {
                    let edit = lsp::TextEdit {
                        range: range(&o.doc, fix.span),
                        new_text: fix.replacement,
                    };
                    actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title: fix.title,
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![convert::diagnostic(&o.doc, &o.uri, d)]),
                        edit: Some(lsp::WorkspaceEdit {
                            changes: Some([(o.uri.clone(), vec![edit])].into_iter().collect()),
                            ..Default::default()
                        }),
                        is_preferred: Some(true),
                        ..Default::default()
                    }));
                }
            }
            json(actions)
        }
        req::Formatting::METHOD => {
            let p: lsp::DocumentFormattingParams = params(r)?;
            let o = open(server, &p.text_document.uri)?;
            let formatted =
                nurture::fmt::format(&o.doc.text).map_err(|e| Failure::Refused(e.to_string()))?;
            // One edit over the whole file, or none when it is already in the layout.
            let whole = nurture::lang::span::Span::new(0, o.doc.text.len());
            let edits: Vec<_> = (formatted != o.doc.text)
                .then(|| lsp::TextEdit {
                    range: range(&o.doc, whole),
                    new_text: formatted,
                })
                .into_iter()
                .collect();
            json(edits)
        }
        other => Err(Failure::UnknownMethod(other.to_string())),
    }
}
