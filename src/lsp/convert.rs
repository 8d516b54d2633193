//! The library's answers (byte spans, its own kinds) in the protocol's types.

use lsp_types as lsp;
use nurture::diag::{self, Severity};
use nurture::ide::{self, CompletionKind, Document, OutlineKind, TokenKind};
use nurture::lang::span::Span;

pub fn position(doc: &Document, offset: usize) -> lsp::Position {
    let (line, character) = doc.lines.position(&doc.text, offset);
    lsp::Position { line, character }
}

pub fn offset(doc: &Document, p: lsp::Position) -> usize {
    doc.lines.offset(&doc.text, p.line, p.character)
}

pub fn range(doc: &Document, span: Span) -> lsp::Range {
    lsp::Range {
        start: position(doc, span.start as usize),
        end: position(doc, span.end as usize),
    }
}

pub fn diagnostic(doc: &Document, uri: &lsp::Uri, d: &diag::Diagnostic) -> lsp::Diagnostic {
    let severity = match d.severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
    };
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<_> = (d.labels.iter())
        .map(|l| lsp::DiagnosticRelatedInformation {
            location: lsp::Location {
                uri: uri.clone(),
                range: range(doc, l.span),
            },
            message: l.message.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: range(doc, d.span),
        severity: Some(severity),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: diag::sarif::help_uri(d.code)
            .parse()
            .ok()
            .map(|href| lsp::CodeDescription { href }),
        source: Some("nurture".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp::Diagnostic::default()
    }
}

pub fn completion(doc: &Document, replace: Span, c: ide::Completion) -> lsp::CompletionItem {
    let kind = match c.kind {
        CompletionKind::Event => lsp::CompletionItemKind::EVENT,
        CompletionKind::Property | CompletionKind::Attribute => lsp::CompletionItemKind::FIELD,
        CompletionKind::Score | CompletionKind::List => lsp::CompletionItemKind::VARIABLE,
        CompletionKind::Workflow => lsp::CompletionItemKind::FUNCTION,
        CompletionKind::Template => lsp::CompletionItemKind::TEXT,
        CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        CompletionKind::Snippet => lsp::CompletionItemKind::SNIPPET,
    };
    let (text, format) = match c.snippet {
        Some(s) => (s, lsp::InsertTextFormat::SNIPPET),
        None => (c.label.clone(), lsp::InsertTextFormat::PLAIN_TEXT),
    };
    lsp::CompletionItem {
        label: c.label,
        kind: Some(kind),
        detail: c.detail,
        insert_text_format: Some(format),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range: range(doc, replace),
            new_text: text,
        })),
        ..lsp::CompletionItem::default()
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be given
pub fn outline(doc: &Document, o: ide::Outline) -> lsp::DocumentSymbol {
    let kind = match o.kind {
        OutlineKind::Campaign => lsp::SymbolKind::FILE,
        OutlineKind::Schema => lsp::SymbolKind::STRUCT,
        OutlineKind::Field => lsp::SymbolKind::FIELD,
        OutlineKind::Enum => lsp::SymbolKind::ENUM,
        OutlineKind::EnumMember => lsp::SymbolKind::ENUM_MEMBER,
        OutlineKind::Event => lsp::SymbolKind::EVENT,
        OutlineKind::Score => lsp::SymbolKind::NUMBER,
        OutlineKind::List => lsp::SymbolKind::ARRAY,
        OutlineKind::Trigger => lsp::SymbolKind::OPERATOR,
        OutlineKind::Workflow | OutlineKind::Decision => lsp::SymbolKind::FUNCTION,
        OutlineKind::Policy => lsp::SymbolKind::NAMESPACE,
        OutlineKind::Test => lsp::SymbolKind::METHOD,
    };
    let children: Vec<_> = o.children.into_iter().map(|c| outline(doc, c)).collect();
    lsp::DocumentSymbol {
        name: o.name,
        detail: o.detail,
        kind,
        tags: None,
        deprecated: None,
        range: range(doc, o.span),
        selection_range: range(doc, o.selection),
        children: (!children.is_empty()).then_some(children),
    }
}

/// The semantic token legend, in `TokenKind::ALL`'s order.
pub fn legend() -> lsp::SemanticTokensLegend {
    let name = |k: TokenKind| match k {
        TokenKind::Keyword => lsp::SemanticTokenType::KEYWORD,
        TokenKind::String => lsp::SemanticTokenType::STRING,
        TokenKind::Number => lsp::SemanticTokenType::NUMBER,
        TokenKind::Comment => lsp::SemanticTokenType::COMMENT,
        TokenKind::Operator => lsp::SemanticTokenType::OPERATOR,
        TokenKind::Event => lsp::SemanticTokenType::EVENT,
        TokenKind::Property => lsp::SemanticTokenType::PROPERTY,
        TokenKind::Variable => lsp::SemanticTokenType::VARIABLE,
        TokenKind::Function => lsp::SemanticTokenType::FUNCTION,
        TokenKind::Enum => lsp::SemanticTokenType::ENUM,
        TokenKind::EnumMember => lsp::SemanticTokenType::ENUM_MEMBER,
        TokenKind::Type => lsp::SemanticTokenType::TYPE,
    };
    lsp::SemanticTokensLegend {
        token_types: TokenKind::ALL.into_iter().map(name).collect(),
        token_modifiers: Vec::new(),
    }
}

/// The tokens in the protocol's relative encoding, a token that spans lines cut at each.
pub fn semantic_tokens(doc: &Document) -> lsp::SemanticTokens {
    let mut data = Vec::new();
    let (mut last_line, mut last_col) = (0, 0);
    for (span, kind) in ide::semantic_tokens(doc) {
        let token_type = TokenKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u32;
        let mut start = span.start as usize;
        for piece in doc.text[span.range()].split_inclusive('\n') {
            let text = piece.trim_end_matches(['\n', '\r']);
            let (line, col) = doc.lines.position(&doc.text, start);
            let length = text.encode_utf16().count() as u32;
            if length > 0 {
                let delta_line = line - last_line;
                let delta_start = if delta_line == 0 { col - last_col } else { col };
                data.push(lsp::SemanticToken {
                    delta_line,
                    delta_start,
                    length,
                    token_type,
                    token_modifiers_bitset: 0,
                });
                (last_line, last_col) = (line, col);
            }
            start += piece.len();
        }
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}
