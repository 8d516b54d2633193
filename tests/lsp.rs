//! `nurture lsp` spoken to as an editor does: JSON-RPC over the real binary's standard input
//! and output.

use serde_json::{json, Value};

#[path = "../benches/support/lsp_client.rs"]
mod lsp_client;
use lsp_client::Client;

/// The position (line, UTF-16 column) of the `nth` `needle` in `text`, plus `skip` bytes.
fn pos(text: &str, needle: &str, skip: usize) -> Value {
    let at = text.find(needle).expect("the needle") + skip;
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": text[start..at].encode_utf16().count() })
}

fn at(uri: &str, text: &str, needle: &str, skip: usize) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos(text, needle, skip) })
}

const URI: &str = "file:///tmp/campaign.nurture";

const CAMPAIGN: &str = r#"lead {
  email: string
  company_size: int?
}

event demo.requested as "Demo Requested" { source: string }

score fit "How well the lead fits" {
  when (lead.company_size ?? 0) >= 200 add 20
  on demo.requested where source == "web" add 40
}

list hot "Fits and is keen" = fit >= 30

list hot_and_big = hot and (lead.company_size ?? 0) > 1000

on enter hot start welcome

workflow welcome {
  only if hot
  send email "welcome"
}
"#;

#[test]
fn diagnostics_arrive_at_their_lines_with_utf16_columns_codes_and_links() {
    let mut c = Client::start();
    // `☕` is one UTF-16 unit in three bytes, `😀` two in four: the column of `engagment`
    // counts units, not bytes or characters.
    let text = "lead { email: string }\n\nscore engagement { on demo.requested add 1 }\nevent demo.requested\n\nlist hot \"Café ☕ 😀\" = engagment > 3\n";
    let diags = c.open(URI, text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["range"]["start"], pos(text, "engagment", 0));
    assert_eq!(d["range"]["start"]["line"], 5);
    assert_eq!(d["range"]["start"]["character"], 23);
    assert_eq!(d["range"]["end"]["character"], 32);
    assert_eq!(d["severity"], 1);
    let code = d["code"].as_str().unwrap();
    assert!(code.starts_with('E'), "{code}");
    let href = d["codeDescription"]["href"].as_str().unwrap();
    assert!(
        href.contains("docs/diagnostics.md#") && href.contains(&code.to_lowercase()),
        "{href}"
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `engagement`"),
        "{d}"
    );

    // The checker knows the fix: a quick fix renames the word.
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": URI }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "engagement");
    assert_eq!(edit["range"], d["range"]);

    // Fixing it clears the diagnostics (a ranged change, as editors send).
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 },
                "contentChanges": [{ "range": d["range"], "text": "engagement" }] }),
    );
    assert_eq!(c.diagnostics(URI), Vec::<Value>::new());
    c.shutdown();
}

#[test]
fn hover_a_score_shows_its_rules() {
    let mut c = Client::start();
    let diags = c.open(URI, CAMPAIGN);
    assert!(diags.iter().all(|d| d["severity"] != 1), "{diags:#?}");
    let hover = c.request("textDocument/hover", at(URI, CAMPAIGN, "fit >= 30", 1));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("score `fit`"), "{text}");
    assert!(
        text.contains("on demo.requested where source == \"web\" add 40"),
        "{text}"
    );
    assert_eq!(hover["range"]["start"], pos(CAMPAIGN, "fit >= 30", 0));
    let hover = c.request(
        "textDocument/hover",
        at(URI, CAMPAIGN, "demo.requested where", 2),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("{ source: string }"), "{text}");
    c.shutdown();
}

#[test]
fn go_to_a_lists_definition_from_a_condition() {
    let mut c = Client::start();
    c.open(URI, CAMPAIGN);
    let def = c.request(
        "textDocument/definition",
        at(URI, CAMPAIGN, "only if hot", 9),
    );
    assert_eq!(def["uri"], URI);
    assert_eq!(def["range"]["start"], pos(CAMPAIGN, "list hot ", 5));
    assert_eq!(def["range"]["end"], pos(CAMPAIGN, "list hot ", 8));
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": URI }, "position": pos(CAMPAIGN, "only if hot", 9),
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs:#}");
    c.shutdown();
}

#[test]
fn complete_after_on_offers_the_declared_events() {
    let mut c = Client::start();
    c.open(URI, CAMPAIGN);
    // Type `on ` on a new line at the end, as an editor sends it.
    let end = json!({ "line": CAMPAIGN.lines().count(), "character": 0 });
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 },
                "contentChanges": [{ "range": { "start": end, "end": end }, "text": "on " }] }),
    );
    let diags = c.diagnostics(URI);
    assert!(!diags.is_empty(), "`on ` alone is not a trigger yet");
    let items = c.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": URI }, "position": { "line": CAMPAIGN.lines().count(), "character": 3 } }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for want in ["demo.requested", "email.opened", "enter", "exit"] {
        assert!(labels.contains(&want), "{want} not in {labels:?}");
    }
    assert!(!labels.contains(&"fit"), "{labels:?}");
    c.shutdown();
}

#[test]
fn rename_a_list_across_the_file() {
    let mut c = Client::start();
    c.open(URI, CAMPAIGN);
    let prepared = c.request(
        "textDocument/prepareRename",
        at(URI, CAMPAIGN, "enter hot", 6),
    );
    assert_eq!(prepared["start"], pos(CAMPAIGN, "enter hot", 6));
    let mut params = at(URI, CAMPAIGN, "enter hot", 6);
    params["newName"] = json!("keen");
    let edit = c.request("textDocument/rename", params);
    let mut edits = edit["changes"][URI].as_array().unwrap().clone();
    assert_eq!(edits.len(), 4, "{edits:#?}");
    // Apply them, last first, and the file checks with the new name everywhere.
    edits.sort_by_key(|e| {
        let s = &e["range"]["start"];
        (s["line"].as_u64(), s["character"].as_u64())
    });
    let mut lines: Vec<String> = CAMPAIGN.lines().map(str::to_string).collect();
    for e in edits.iter().rev() {
        let (s, t) = (&e["range"]["start"], &e["range"]["end"]);
        assert_eq!(s["line"], t["line"]);
        let line = &mut lines[s["line"].as_u64().unwrap() as usize];
        let range =
            s["character"].as_u64().unwrap() as usize..t["character"].as_u64().unwrap() as usize;
        assert_eq!(&line[range.clone()], "hot");
        line.replace_range(range, e["newText"].as_str().unwrap());
    }
    let renamed = lines.join("\n") + "\n";
    assert!(renamed.contains("list keen \"Fits") && renamed.contains("on enter keen"));
    assert!(renamed.contains("hot_and_big = keen and"), "{renamed}");
    let (diags, program) = nurture::check::check_text(&renamed);
    assert!(program.is_some(), "{diags:?}");
    // A reserved word is refused, with a reason.
    let mut params = at(URI, CAMPAIGN, "enter hot", 6);
    params["newName"] = json!("and");
    let refused = c.request_raw("textDocument/rename", params);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reserved word"),
        "{refused}"
    );
    c.shutdown();
}

#[test]
fn outline_tokens_and_folding() {
    let mut c = Client::start();
    c.open(URI, CAMPAIGN);
    let doc = json!({ "textDocument": { "uri": URI } });
    let symbols = c.request("textDocument/documentSymbol", doc.clone());
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "lead",
            "demo.requested",
            "fit",
            "hot",
            "hot_and_big",
            "on enter hot",
            "welcome"
        ]
    );
    let tokens = c.request("textDocument/semanticTokens/full", doc.clone());
    let data = tokens["data"].as_array().unwrap();
    assert_eq!(data.len() % 5, 0);
    assert!(data.len() > 100, "{}", data.len());
    let folds = c.request("textDocument/foldingRange", doc);
    let folds: Vec<(u64, u64)> = folds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        folds.contains(&(0, 3)) && folds.contains(&(7, 10)),
        "{folds:?}"
    );
    c.shutdown();
}

#[test]
fn format_a_file() {
    let mut c = Client::start();
    let messy = "lead {\nemail:string\n}\nlist   known=lead.email   is set\n";
    c.open(URI, messy);
    let params = json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } });
    let edits = c.request("textDocument/formatting", params.clone());
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1, "{edits:?}");
    let formatted = edits[0]["newText"].as_str().unwrap();
    assert_eq!(formatted, nurture::fmt::format(messy).unwrap());
    assert!(
        formatted.contains("list known = lead.email is set"),
        "{formatted}"
    );
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 4, "character": 0 })
    );
    // A formatted file needs no edit; one that does not parse is refused with its error.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": formatted }] }),
    );
    c.diagnostics(URI);
    assert_eq!(
        c.request("textDocument/formatting", params.clone()),
        json!([])
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 3 }, "contentChanges": [{ "text": "list x = (" }] }),
    );
    c.diagnostics(URI);
    let refused = c.request_raw("textDocument/formatting", params);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("syntax error"),
        "{refused}"
    );
    c.shutdown();
}
