//! The house rules that a test can hold (ARCHITECTURE.md, "Layers"): data flows one way,
//! syntax → check → compile → vm → runtime → front ends, with `lang`, `intern` and `diag`
//! below them all; no module imports one of a later layer.

use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import its own layer and the ones before it.
const LAYERS: &[&[&str]] = &[
    &["lang", "intern"],
    &["diag"],
    &["syntax"],
    &["fmt"],
    &["check"],
    &["compile"],
    &["vm"],
    &["runtime", "inspect"],
    &["testing", "graph", "repl", "report", "ide"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads src") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules of ours a file names (`crate::NAME`), outside its `#[cfg(test)]` tail.
fn imports(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let name: String = code[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

/// The VM runs what `compile` made: it reads no AST and no checked program. Explanations,
/// which quote the campaign as written, live a layer up (`inspect`).
#[test]
fn the_vm_reads_neither_syntax_nor_the_checked_program() {
    let vm = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vm");
    let mut files = Vec::new();
    rust_files(&vm, &mut files);
    assert!(files.len() > 10, "read only {} files", files.len());
    let mut wrong = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for name in imports(&text) {
            if name == "check" || name == "syntax" {
                wrong.push(format!("{} imports crate::{name}", f.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_module_imports_a_later_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        // The binary (main.rs, cli) and the crate root sit above every layer.
        let Some(own) = rank(&module) else { continue };
        seen += 1;
        let text = std::fs::read_to_string(f).expect("reads");
        for name in imports(&text) {
            match rank(&name) {
                Some(r) if r > own => wrong.push(format!(
                    "src/{} ({module}) imports crate::{name}, a later layer",
                    rel.display()
                )),
                None => wrong.push(format!(
                    "src/{} imports crate::{name}, which is in no layer: add it to LAYERS and to \
                     ARCHITECTURE.md",
                    rel.display()
                )),
                _ => {}
            }
        }
    }
    assert!(seen > 40, "read only {seen} files");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_layer_check_sees_a_wrong_import() {
    assert_eq!(
        imports("use crate::vm::machine::Machine;\nfn f() { crate::lang::x() }"),
        ["vm", "lang"]
    );
    assert!(rank("vm") > rank("compile"));
    assert_eq!(
        imports("#[cfg(test)]\nmod tests { use crate::runtime::x; }"),
        Vec::<String>::new()
    );
}

/// `lang` is a leaf: it names nothing else of ours.
#[test]
fn lang_is_a_leaf() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lang");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("reads");
        for name in imports(&text) {
            assert_eq!(name, "lang", "{} imports crate::{name}", f.display());
        }
        assert!(!text.contains("use super::super"), "{}", f.display());
    }
}

/// The lexer's reserved words are the grammar's: every `kw_*` rule of grammar/nurture.pest is
/// one word; those its `keyword` rule lists are reserved, and the lexer's lists hold exactly
/// those; the others (`enter`, `remove`, …) are words only where the grammar asks for them.
#[test]
fn the_lexers_reserved_words_are_the_grammars() {
    let grammar =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/nurture.pest"))
            .expect("reads the grammar");
    let mut rules = Vec::new();
    let mut words = Vec::new();
    for line in grammar.lines() {
        let Some(rest) = line.strip_prefix("kw_") else {
            continue;
        };
        let (rule, body) = rest.split_once('=').expect("a rule");
        let word = body.split('"').nth(1).expect("a quoted word");
        assert_eq!(rule.trim(), word, "kw_{} reads {word}", rule.trim());
        rules.push(format!("kw_{}", rule.trim()));
        words.push(word.to_string());
    }
    let keyword_rule = grammar
        .split("keyword = @{")
        .nth(1)
        .and_then(|r| r.split('}').next())
        .expect("the keyword rule");
    let listed: Vec<&str> = keyword_rule.split('|').map(str::trim).collect();
    for r in &listed {
        assert!(
            rules.iter().any(|k| k == r),
            "the keyword rule names {r}, no kw_ rule"
        );
    }
    let mut words: Vec<String> = rules
        .iter()
        .zip(&words)
        .filter(|(r, _)| listed.contains(&r.as_str()))
        .map(|(_, w)| w.clone())
        .collect();
    assert_eq!(
        words.len(),
        listed.len(),
        "the keyword rule lists each word once"
    );
    let mut lexer: Vec<String> = nurture::syntax::lexer::keywords()
        .map(str::to_string)
        .collect();
    lexer.sort();
    words.sort();
    assert_eq!(
        lexer, words,
        "src/syntax/lexer.rs and grammar/nurture.pest disagree"
    );
    for w in nurture::syntax::lexer::DECLARATION_WORDS {
        assert!(
            words.iter().any(|k| k == w),
            "declaration word {w} is reserved"
        );
    }
}

#[test]
fn long_functions_say_why_they_stay_whole_and_files_stay_small() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).expect("reads");
        let lines: Vec<&str> = text.lines().collect();
        let end = lines
            .iter()
            .position(|l| l.starts_with("#[cfg(test)]"))
            .unwrap_or(lines.len());
        // Test modules in files of their own (`…/tests.rs`) are tests too.
        let is_tests = rel.ends_with("/tests.rs");
        if end > 1000 && !is_tests {
            wrong.push(format!("{rel} has {end} lines: split it"));
        }
        for (i, line) in lines[..end].iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let rest = ["pub(crate) ", "pub(super) ", "pub "]
                .iter()
                .find_map(|p| trimmed.strip_prefix(p))
                .unwrap_or(trimmed);
            let Some(sig) = rest.strip_prefix("fn ") else {
                continue;
            };
            if line.trim_end().ends_with(';') {
                continue;
            }
            let name: String = sig
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let close = format!("{indent}}}");
            let Some(len) = lines[i..end].iter().position(|l| l.trim_end() == close) else {
                continue;
            };
            if len <= 100 {
                continue;
            }
            let said = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    l.trim_start().starts_with("//") || l.trim_start().starts_with("#[")
                })
                .any(|l| l.contains("stays whole"));
            if !said {
                wrong.push(format!(
                    "{rel}: fn {name} has {len} lines: split it, or say why it stays whole"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
