//! `nurture lsp`: the Language Server Protocol over standard input and output (lsp-server,
//! synchronous). The language knowledge is the library's (`nurture::ide`); here are the
//! protocol's messages, the open documents, and the conversion of byte spans to positions.
//!
//! Typing sends a change per keystroke; changes already waiting are applied together before
//! the file is checked again, so a fast typist waits for one check, not one per key; each
//! check parses again only around the change (`ide::Document::edit`).

mod convert;
mod requests;

use lsp_server::{Connection, Message, Notification, ProtocolError};
use lsp_types as lsp;
use lsp_types::notification::{self as note, Notification as _};
use nurture::ide::Document;
use std::collections::{HashMap, VecDeque};

/// Why the server stopped other than by the protocol's `shutdown` and `exit`.
#[derive(Debug)]
pub enum LspError {
    Protocol(ProtocolError),
    Io(std::io::Error),
}

impl std::fmt::Display for LspError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LspError::Protocol(e) => write!(f, "the editor broke the protocol: {e}"),
            LspError::Io(e) => write!(f, "standard input or output failed: {e}"),
        }
    }
}

impl std::error::Error for LspError {}

impl From<ProtocolError> for LspError {
    fn from(e: ProtocolError) -> LspError {
        LspError::Protocol(e)
    }
}

/// Serves the editor on standard input and output until it says `exit` (or closes them).
pub fn serve_stdio() -> Result<(), LspError> {
    let (connection, io_threads) = Connection::stdio();
    let caps = serde_json::to_value(requests::capabilities()).expect("capabilities serialize");
    connection.initialize(caps)?;
    let mut server = Server {
        connection,
        docs: HashMap::new(),
        backlog: VecDeque::new(),
    };
    server.run()?;
    drop(server);
    io_threads.join().map_err(LspError::Io)
}

/// An open file.
struct Open {
    uri: lsp::Uri,
    doc: Document,
}

struct Server {
    connection: Connection,
    /// Open documents by URI.
    docs: HashMap<String, Open>,
    /// Messages read while gathering changes, to handle next.
    backlog: VecDeque<Message>,
}

impl Server {
    fn run(&mut self) -> Result<(), LspError> {
        loop {
            let msg = match self.backlog.pop_front() {
                Some(m) => m,
                None => match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()), // the editor closed our input
                },
            };
            match msg {
                Message::Request(req) => {
                    if self.connection.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let response = requests::handle(self, req);
                    self.send(Message::Response(response));
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, msg: Message) {
        // The editor has gone when this fails; the loop ends when its input closes.
        let _ = self.connection.sender.send(msg);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidOpenTextDocumentParams>(note::DidOpenTextDocument::METHOD)
                {
                    let uri = p.text_document.uri;
                    let doc = Document::new(p.text_document.text);
                    self.docs.insert(
                        uri.as_str().to_string(),
                        Open {
                            uri: uri.clone(),
                            doc,
                        },
                    );
                    self.publish(uri.as_str());
                }
            }
            note::DidChangeTextDocument::METHOD => {
                let mut changed = Vec::new();
                let mut texts: HashMap<String, String> = HashMap::new();
                let mut next = Some(n);
                // Gather every change already waiting, then check each file once.
                while let Some(n) = next.take() {
                    if let Ok(p) = n.extract::<lsp::DidChangeTextDocumentParams>(
                        note::DidChangeTextDocument::METHOD,
                    ) {
                        let key = p.text_document.uri.as_str().to_string();
                        if let Some(open) = self.docs.get(&key) {
                            let text = texts
                                .entry(key.clone())
                                .or_insert_with(|| open.doc.text.clone());
                            for change in p.content_changes {
                                apply(text, change);
                            }
                            if !changed.contains(&key) {
                                changed.push(key);
                            }
                        }
                    }
                    match self.connection.receiver.try_recv() {
                        Ok(Message::Notification(n))
                            if n.method == note::DidChangeTextDocument::METHOD =>
                        {
                            next = Some(n)
                        }
                        Ok(other) => self.backlog.push_back(other),
                        Err(_) => {}
                    }
                }
                for key in changed {
                    if let (Some(open), Some(text)) = (self.docs.get_mut(&key), texts.remove(&key))
                    {
                        open.doc.edit(text);
                    }
                    self.publish(&key);
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidCloseTextDocumentParams>(note::DidCloseTextDocument::METHOD)
                {
                    let uri = p.text_document.uri;
                    self.docs.remove(uri.as_str());
                    self.notify::<note::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                        uri,
                        diagnostics: Vec::new(),
                        version: None,
                    });
                }
            }
            _ => {}
        }
    }

    fn notify<N: note::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.to_string(),
            params,
        )));
    }

    /// Sends a document's diagnostics.
    fn publish(&self, key: &str) {
        let Some(open) = self.docs.get(key) else {
            return;
        };
        let diagnostics = (open.doc.diagnostics().iter())
            .map(|d| convert::diagnostic(&open.doc, &open.uri, d))
            .collect();
        self.notify::<note::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
            uri: open.uri.clone(),
            diagnostics,
            version: None,
        });
    }
}

/// Applies one change to a text: a range replaced, or (no range) the whole text.
fn apply(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let lines = nurture::ide::position::Lines::new(text);
    let start = lines.offset(text, range.start.line, range.start.character);
    let end = lines
        .offset(text, range.end.line, range.end.character)
        .max(start);
    text.replace_range(start..end, &change.text);
}
