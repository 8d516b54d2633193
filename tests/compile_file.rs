//! The compiled-program file and the disassembler: `.nbc` round trips that run the same,
//! loads that fail with clear errors and never panic, a golden disassembly of the contract
//! campaign, and `nurture compile` / `nurture disasm` as a user runs them.

use nurture::check::check_text;
use nurture::compile::disasm::disasm;
use nurture::compile::file::{self, LoadError, SourceText, FORMAT_VERSION, HEADER_LEN, MAGIC};
use nurture::compile::program::{ScoreKind, WOp};
use nurture::compile::{compile, Compiled};
use nurture::lang::value::Val;
use nurture::vm::action::{Action, ActionKind};
use nurture::vm::machine::{EventRef, Machine};
use std::path::Path;
use std::process::Command;

const CONTRACT: &str = include_str!("fixtures/contract.nurture");
const CONTRACT_NAME: &str = "tests/fixtures/contract.nurture";
const BIN: &str = env!("CARGO_BIN_EXE_nurture");

fn compiled(src: &str) -> Compiled {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
    compile(&program).expect("compiles")
}

fn contract_source() -> SourceText {
    SourceText {
        name: CONTRACT_NAME.into(),
        text: CONTRACT.into(),
    }
}

/// A value for an attribute or event property, as the test writes it.
#[derive(Clone, Copy)]
enum V<'a> {
    Text(&'a str),
    Int(i64),
    Num(f64),
}

/// Values in the engine's form: texts as `PropText` into the returned strings.
fn vals(items: &[Option<V<'_>>]) -> (Vec<Val>, Vec<String>) {
    let mut texts = Vec::new();
    let vals = items
        .iter()
        .map(|v| match v {
            None => Val::Missing,
            Some(V::Text(t)) => {
                texts.push(t.to_string());
                Val::PropText(texts.len() as u16 - 1)
            }
            Some(V::Int(i)) => Val::Int(*i),
            Some(V::Num(n)) => Val::Num(*n),
        })
        .collect();
    (vals, texts)
}

/// Sets the attributes the program has (a damaged program may have lost some names).
fn identify(m: &mut Machine, lead: &str, at: i64, attrs: &[(&str, V<'_>)], out: &mut Vec<Action>) {
    let known: Vec<(u32, V<'_>)> = attrs
        .iter()
        .filter_map(|(name, v)| {
            let id = m.c.attrs.iter().position(|a| a.name == *name)?;
            Some((id as u32, *v))
        })
        .collect();
    let (values, texts) = vals(&known.iter().map(|(_, v)| Some(*v)).collect::<Vec<_>>());
    let traits: Vec<(u32, Val)> = known.iter().map(|(id, _)| *id).zip(values).collect();
    m.identify(lead, at, &traits, &texts, out);
}

/// Sends an event, if the program knows it.
fn track(
    m: &mut Machine,
    lead: &str,
    at: i64,
    event: &str,
    props: &[(&str, V<'_>)],
    out: &mut Vec<Action>,
) {
    let Some(e) = m.c.events.iter().position(|e| e.name == event) else {
        return;
    };
    let given: Vec<Option<V<'_>>> = m.c.events[e]
        .props
        .iter()
        .map(|(name, _)| props.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
        .collect();
    let (values, texts) = vals(&given);
    let ev = EventRef {
        event: e as u16,
        props: &values,
        texts: &texts,
    };
    m.track(lead, at, ev, out);
}

/// 2026-01-01T09:00:00Z, a Thursday.
const T0: i64 = 1_767_258_000_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// Two leads through the contract campaign for two months: the welcome series with its
/// branch, split and wait for a click, a cart recovery cut short by an order, a purchase
/// follow-up, rate caps, frequency caps and quiet hours.
fn journey(c: Compiled) -> (Vec<Action>, Machine) {
    let mut m = Machine::new(c);
    m.now = T0;
    let mut out = Vec::new();
    let o = &mut out;
    identify(
        &mut m,
        "ann",
        T0,
        &[
            ("email", V::Text("ann@acme.com")),
            ("job_title", V::Text("VP Marketing")),
            ("company_size", V::Int(200)),
            ("country", V::Text("US")),
        ],
        o,
    );
    identify(
        &mut m,
        "bob",
        T0,
        &[
            ("email", V::Text("bob@gmail.com")),
            ("company_size", V::Int(10)),
        ],
        o,
    );
    let t = V::Text("Lead nurturing 101");
    track(
        &mut m,
        "ann",
        T0 + HOUR,
        "ebook.downloaded",
        &[("title", t)],
        o,
    );
    let welcome = V::Text("welcome-brand-values");
    for k in 0..4 {
        let at = T0 + 2 * HOUR + k * HOUR;
        track(
            &mut m,
            "ann",
            at,
            "email.opened",
            &[("template", welcome)],
            o,
        );
    }
    let pricing = V::Text("/pricing");
    track(
        &mut m,
        "ann",
        T0 + 7 * HOUR,
        "page.viewed",
        &[("url", pricing)],
        o,
    );
    let cart = [("cart_value", V::Num(80.0)), ("items", V::Int(2))];
    track(&mut m, "bob", T0 + 8 * HOUR, "cart.abandoned", &cart, o);
    track(
        &mut m,
        "ann",
        T0 + 5 * DAY,
        "email.clicked",
        &[("template", V::Text("offer-a"))],
        o,
    );
    let order = [("order_id", V::Text("o-1")), ("total", V::Num(99.5))];
    track(&mut m, "bob", T0 + 2 * DAY, "order.placed", &order, o);
    track(
        &mut m,
        "ann",
        T0 + 9 * DAY,
        "email.unsubscribed",
        &[("template", welcome)],
        o,
    );
    m.advance_to(T0 + 60 * DAY, o);
    (out, m)
}

#[test]
fn a_loaded_program_runs_exactly_like_the_compiled_one() {
    let fresh = compiled(CONTRACT);
    let bytes = file::write(&fresh, Some(&contract_source()));
    let loaded = file::read(&bytes).expect("loads");
    assert_eq!(loaded.source, Some(contract_source()));

    let (expected, m1) = journey(compiled(CONTRACT));
    let (actual, m2) = journey(loaded.program);
    assert_eq!(actual, expected);
    // The journey is not trivial: mail went out and was held back, lists changed.
    let sends = expected
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Send { .. }))
        .count();
    assert!(sends >= 4, "{expected:#?}");
    assert!(expected
        .iter()
        .any(|a| matches!(a.kind, ActionKind::Entered { .. })));
    // Same lead state, word for word, and the same scores.
    assert_eq!(m1.leads, m2.leads);
    for lead in 0..m1.leads.len() as u32 {
        for s in 0..m1.c.scores.len() as u16 {
            assert_eq!(m1.score(lead, s), m2.score(lead, s));
        }
    }
}

#[test]
fn writing_a_loaded_program_gives_the_same_bytes() {
    let bytes = file::write(&compiled(CONTRACT), Some(&contract_source()));
    let again = file::read(&bytes).expect("loads");
    assert_eq!(file::write(&again.program, again.source.as_ref()), bytes);
    // Without the source as well.
    let bare = compiled(CONTRACT).to_bytes();
    let c = Compiled::load(&bare).expect("loads");
    assert_eq!(c.to_bytes(), bare);
    assert!(file::read(&bare).expect("loads").source.is_none());
}

#[test]
fn texts_are_interned_again_on_load() {
    let mut c = Compiled::load(&compiled(CONTRACT).to_bytes()).expect("loads");
    let sym = c
        .pools
        .texts
        .lookup("welcome-brand-values")
        .expect("interned");
    assert_eq!(c.pools.texts.get(sym), "welcome-brand-values");
    // Interning a known text finds it rather than adding it again.
    let n = c.pools.texts.len();
    assert_eq!(c.pools.texts.intern("welcome-brand-values"), sym);
    assert_eq!(c.pools.texts.len(), n);
    // The regex works after being rebuilt from its pattern.
    assert!(c.pools.regexes[0].is_match("VP Marketing"));
}

#[test]
fn the_header_is_magic_version_length_checksum() {
    let bytes = compiled(CONTRACT).to_bytes();
    assert_eq!(&bytes[..8], b"NURTURE\0");
    assert_eq!(MAGIC, *b"NURTURE\0");
    assert_eq!(
        u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        FORMAT_VERSION
    );
    assert_eq!(FORMAT_VERSION, 6);
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap());
    assert_eq!(len as usize, bytes.len() - HEADER_LEN);
    let sum = u64::from_le_bytes(bytes[20..28].try_into().unwrap());
    assert_eq!(sum, fnv1a(&bytes[HEADER_LEN..]));
}

#[test]
fn a_file_that_is_not_ours_is_refused() {
    for bytes in [
        &b""[..],
        b"campaign \"x\"\nlead { email: string }\n",
        b"NURTURX\0\x01\0\0\0",
    ] {
        let e = Compiled::load(bytes).unwrap_err();
        assert_eq!(e, LoadError::NotCompiled);
        let msg = e.describe("x.nbc");
        assert!(
            msg.starts_with("x.nbc is not a compiled Nurture program"),
            "{msg}"
        );
    }
}

#[test]
fn another_format_version_is_refused_with_the_fix() {
    let mut bytes = compiled(CONTRACT).to_bytes();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    let e = Compiled::load(&bytes).unwrap_err();
    assert_eq!(e, LoadError::Version { found: 2 });
    assert_eq!(
        e.describe("FILE.nbc"),
        "FILE.nbc was written by format version 2; this nurture reads version 6: recompile it \
         with `nurture compile`"
    );
    // The version is read before anything else, so even a bare header from another version
    // says which version it is.
    let header = [&MAGIC[..], &7u32.to_le_bytes()].concat();
    assert_eq!(
        Compiled::load(&header).unwrap_err(),
        LoadError::Version { found: 7 }
    );
}

#[test]
fn a_truncated_file_is_refused_at_every_length() {
    let bytes = compiled(CONTRACT).to_bytes();
    for cut in 1..bytes.len() {
        let e = Compiled::load(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(e, LoadError::Truncated { .. }),
            "cut at {cut}: {e:?}"
        );
        assert!(e.describe("f.nbc").starts_with("f.nbc is truncated"), "{e}");
    }
    let e = Compiled::load(&bytes[..100]).unwrap_err();
    assert_eq!(
        e.describe("f.nbc"),
        format!(
            "f.nbc is truncated: its header promises {} bytes but the file has 100; \
             recompile it with `nurture compile`",
            bytes.len()
        )
    );
}

#[test]
fn damage_is_caught_by_the_checksum() {
    let mut bytes = compiled(CONTRACT).to_bytes();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let e = Compiled::load(&bytes).unwrap_err();
    assert!(
        matches!(&e, LoadError::Corrupt(d) if d.contains("checksum")),
        "{e:?}"
    );
    bytes[mid] ^= 0x40;
    bytes.push(0);
    let e = Compiled::load(&bytes).unwrap_err();
    assert!(
        matches!(&e, LoadError::Corrupt(d) if d.contains("1 unexpected bytes")),
        "{e:?}"
    );
}

/// The body with a correct checksum, as a damaged writer (not the disk) would produce it.
fn with_body(body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[test]
fn a_program_that_does_not_hang_together_is_refused() {
    let mut c = compiled(CONTRACT);
    c.workflows[0].ops.push(WOp::Jump { target: 99 });
    let e = Compiled::load(&c.to_bytes()).unwrap_err();
    let msg = e.describe("f.nbc");
    assert!(
        msg.contains("does not hang together")
            && msg.contains("workflow welcome_series jumps to 99"),
        "{msg}"
    );

    let mut c = compiled(CONTRACT);
    c.layout.size = 10;
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(msg.contains("lies outside the lead state"), "{msg}");

    // Times keep as many bits as what they can reach, in bit fields of their own.
    let mut c = compiled(CONTRACT);
    c.layout.runs[0].wake.bits.width = 32;
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(msg.contains("keeps a time in 32 bits"), "{msg}");
    let mut c = compiled(CONTRACT);
    c.layout.recheck.bits.at = c.layout.lists;
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(msg.contains("overlap in the lead state"), "{msg}");
    let mut c = compiled(CONTRACT);
    c.policy.frequency[0].ring.newest = 42;
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(msg.contains("keeps its newest stamp in 42 bits"), "{msg}");
    let mut c = compiled(CONTRACT);
    for s in &mut c.scores {
        if let ScoreKind::Rules { updated, .. } = &mut s.kind {
            *updated = None;
        }
    }
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(
        msg.contains("score engagement decays and keeps no time"),
        "{msg}"
    );

    let mut c = compiled(CONTRACT);
    c.pools.consts.push(Val::Sym(10_000));
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(msg.contains("names text 10000"), "{msg}");

    // A body that is not a program at all.
    let e = Compiled::load(&with_body(&[0xff; 40])).unwrap_err();
    assert!(
        matches!(&e, LoadError::Corrupt(d) if d.contains("cannot be read")),
        "{e:?}"
    );
}

#[test]
fn damaged_bodies_never_panic() {
    // Every byte of the body changed in turn, with the checksum made to match, so the
    // decoder and the validator see the damage: each load fails cleanly or yields a program
    // that disassembles and runs.
    // Without its regex, which takes milliseconds to build again in a debug build; the
    // regex pool has its own test below.
    let regex = r#"when lead.job_title matches "(?i)director|vp|head|chief""#;
    assert!(CONTRACT.contains(regex));
    let src = CONTRACT.replace(regex, r#"when lead.job_title == "VP""#);
    let bytes = compiled(&src).to_bytes();
    let body = &bytes[HEADER_LEN..];
    let mut loaded = 0;
    for at in 0..body.len() {
        for flip in [0x01u8, 0xff] {
            let mut b = body.to_vec();
            b[at] ^= flip;
            if let Ok(c) = Compiled::load(&with_body(&b)) {
                loaded += 1;
                let _ = disasm(&c, None);
                if at % 16 == 0 {
                    let _ = journey(c);
                }
            }
        }
    }
    assert!(
        loaded > 0,
        "some changes (a constant, a span) still make a program"
    );
}

#[test]
fn a_regex_that_no_longer_compiles_is_refused() {
    let bytes = compiled(CONTRACT).to_bytes();
    let body = &bytes[HEADER_LEN..];
    let pattern = b"(?i)director";
    let at = body
        .windows(pattern.len())
        .position(|w| w == pattern)
        .expect("the pattern is stored as text");
    let mut damaged = body.to_vec();
    damaged[at + 3] = b'('; // `(?i(director…`: an unclosed group
    let e = Compiled::load(&with_body(&damaged)).unwrap_err();
    assert!(
        matches!(&e, LoadError::Corrupt(d) if d.contains("regex 0 does not compile")),
        "{e:?}"
    );
}

#[test]
fn a_text_pool_with_a_text_twice_is_refused() {
    let bytes = compiled(CONTRACT).to_bytes();
    let body = &bytes[HEADER_LEN..];
    let at = body
        .windows(7)
        .position(|w| w == b"offer-b")
        .expect("the text is stored as text");
    let mut damaged = body.to_vec();
    damaged[at + 6] = b'a'; // now "offer-a" twice: every symbol after it would shift
    let e = Compiled::load(&with_body(&damaged)).unwrap_err();
    assert!(
        matches!(&e, LoadError::Corrupt(d) if d.contains("appears twice in the text pool")),
        "{e:?}"
    );
}

#[test]
fn disassembly_of_the_contract() {
    let c = compiled(CONTRACT);
    let text = disasm(&c, Some(&contract_source()));
    insta::assert_snapshot!("disasm_contract", text);
}

#[test]
fn disassembly_is_the_same_from_the_file() {
    let c = compiled(CONTRACT);
    let source = contract_source();
    let f = file::read(&file::write(&c, Some(&source))).expect("loads");
    assert_eq!(
        disasm(&f.program, f.source.as_ref()),
        disasm(&c, Some(&source))
    );
}

#[test]
fn disassembly_without_source_shows_byte_spans() {
    let c = compiled(CONTRACT);
    let text = disasm(&c, None);
    assert!(text.contains("; no source kept"));
    assert!(text.contains("attr             lead.job_title"), "{text}");
    assert!(text.contains("; @"), "{text}");
    assert!(!text.contains("; L"), "{text}");
}

// ---- the command line ------------------------------------------------------------------

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn nurture(args: &[&str], dir: &Path) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    Run {
        code: out.status.code().expect("exits"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("contract.nurture"), CONTRACT).unwrap();
    dir
}

#[test]
fn cli_compile_writes_a_file_that_disassembles_like_the_campaign() {
    let dir = workdir();
    let d = dir.path();
    let r = nurture(&["compile", "contract.nurture", "-o", "out.nbc"], d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("wrote out.nbc: "), "{}", r.stdout);
    // The campaign's warnings are shown, on standard error.
    assert!(r.stderr.contains("W0101"), "{}", r.stderr);
    let bytes = std::fs::read(d.join("out.nbc")).unwrap();
    let f = file::read(&bytes).expect("loads");
    assert_eq!(
        f.source.as_ref().map(|s| s.name.as_str()),
        Some("contract.nurture")
    );

    let from_source = nurture(&["disasm", "contract.nurture"], d);
    assert_eq!(from_source.code, 0, "{}", from_source.stderr);
    assert!(from_source.stderr.is_empty(), "{}", from_source.stderr);
    let from_file = nurture(&["disasm", "out.nbc"], d);
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);
    assert_eq!(from_file.stdout, from_source.stdout);
    assert!(from_file.stdout.contains("; source contract.nurture"));
    assert!(from_file.stdout.contains(
        "send             email \"welcome-brand-values\"       ; L60  send email \"welcome-brand-values\""
    ));
}

#[test]
fn cli_compile_defaults_to_the_campaign_name_with_nbc() {
    let dir = workdir();
    let r = nurture(&["compile", "contract.nurture"], dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("contract.nbc").exists());
    // It never writes over its own input.
    let r = nurture(
        &["compile", "contract.nurture", "-o", "contract.nurture"],
        dir.path(),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is the campaign itself"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("contract.nurture")).unwrap(),
        CONTRACT
    );
}

#[test]
fn cli_a_campaign_with_errors_exits_1_with_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let src = "campaign \"Broken\"\nlead { email: string }\nlist hot = fit >= 60\n";
    std::fs::write(dir.path().join("broken.nurture"), src).unwrap();
    for args in [
        &["compile", "broken.nurture", "-o", "b.nbc"][..],
        &["disasm", "broken.nurture"],
    ] {
        let r = nurture(args, dir.path());
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("Error"), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("broken.nurture:3"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    assert!(!dir.path().join("b.nbc").exists());
}

#[test]
fn cli_unreadable_and_damaged_files_exit_2() {
    let dir = workdir();
    let d = dir.path();
    let r = nurture(&["compile", "missing.nurture", "-o", "x.nbc"], d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read missing.nurture"),
        "{}",
        r.stderr
    );
    let r = nurture(&["disasm", "missing.nbc"], d);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot read missing.nbc"), "{}", r.stderr);
    let r = nurture(
        &["compile", "contract.nurture", "-o", "no/such/dir/x.nbc"],
        d,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot write no/such/dir/x.nbc"),
        "{}",
        r.stderr
    );

    let bytes = compiled(CONTRACT).to_bytes();
    std::fs::write(d.join("cut.nbc"), &bytes[..bytes.len() / 2]).unwrap();
    let r = nurture(&["disasm", "cut.nbc"], d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("nurture disasm: cut.nbc is truncated"),
        "{}",
        r.stderr
    );

    let mut old = bytes.clone();
    old[8..12].copy_from_slice(&2u32.to_le_bytes());
    std::fs::write(d.join("old.nbc"), old).unwrap();
    let r = nurture(&["disasm", "old.nbc"], d);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "nurture disasm: old.nbc was written by format version 2; this nurture reads version 6: \
         recompile it with `nurture compile`\n"
    );

    // A .nbc that is not one, and a compiled file given to `compile`.
    std::fs::write(d.join("fake.nbc"), "campaign \"x\"\n").unwrap();
    let r = nurture(&["disasm", "fake.nbc"], d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("fake.nbc is not a compiled Nurture program"),
        "{}",
        r.stderr
    );
    std::fs::write(d.join("real.nbc"), &bytes).unwrap();
    let r = nurture(&["compile", "real.nbc", "-o", "again.nbc"], d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("already a compiled program"),
        "{}",
        r.stderr
    );
}

// ---- docs/bytecode.md's instruction tables are the instruction sets ---------------------

/// Every variant of an enum, found by decoding each variant index with zeroed operands.
fn variants<T: serde::de::DeserializeOwned>() -> Vec<T> {
    let zeros = [0u8; 64];
    (0u8..64)
        .filter_map(|i| {
            let mut bytes = vec![i];
            bytes.extend_from_slice(&zeros);
            postcard::take_from_bytes::<T>(&bytes).ok().map(|(v, _)| v)
        })
        .collect()
}

/// The names docs/bytecode.md gives in the first column of the table headed by `header`.
fn documented(header: &str) -> Vec<String> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bytecode.md"))
            .expect("reads docs/bytecode.md");
    let mut lines = doc.lines().skip_while(|l| !l.starts_with(header)).skip(2);
    let mut names = Vec::new();
    for l in lines.by_ref().take_while(|l| l.starts_with('|')) {
        let first = l.split('|').nth(1).unwrap_or("");
        names.extend(first.split('`').skip(1).step_by(2).map(str::to_string));
    }
    names
}

fn op_names(op: &nurture::compile::bytecode::Op) -> &'static [&'static str] {
    use nurture::compile::bytecode::Op;
    // Exhaustive: a new instruction does not compile until it is named here and documented.
    match op {
        Op::Const(_) => &["const"],
        Op::Attr(_) => &["attr"],
        Op::Prop(_) => &["prop"],
        Op::Score(_) => &["score"],
        Op::InList(_) => &["in_list"],
        Op::History(_) => &["history"],
        Op::Now => &["now"],
        Op::Received => &["received"],
        Op::Not => &["not"],
        Op::Neg => &["neg"],
        Op::Add => &["add"],
        Op::Sub => &["sub"],
        Op::Mul => &["mul"],
        Op::Div => &["div"],
        Op::Eq => &["eq"],
        Op::Ne => &["ne"],
        Op::Lt => &["lt"],
        Op::Le => &["le"],
        Op::Gt => &["gt"],
        Op::Ge => &["ge"],
        Op::Contains => &["contains"],
        Op::StartsWith => &["starts_with"],
        Op::EndsWith => &["ends_with"],
        Op::Matches(_) => &["matches"],
        Op::In => &["in"],
        Op::IsSet => &["is_set"],
        Op::IsMissing => &["is_missing"],
        Op::JumpIfSet(_) => &["jump_if_set"],
        Op::JumpUnlessTrue(_) => &["jump_unless_true"],
        Op::JumpIfTrue(_) => &["jump_if_true"],
    }
}

fn wop_names(op: &WOp) -> &'static [&'static str] {
    match op {
        WOp::Send { .. } => &["send"],
        WOp::Notify { .. } => &["notify"],
        WOp::Retarget { .. } => &["retarget_add", "retarget_remove"],
        WOp::Webhook { .. } => &["webhook"],
        WOp::Set { .. } => &["set"],
        WOp::Tag { .. } => &["tag", "untag"],
        WOp::Start { .. } => &["start"],
        WOp::Stop { .. } => &["stop"],
        WOp::WaitFor { .. } => &["wait_for"],
        WOp::WaitUntil { .. } => &["wait_until"],
        WOp::WaitUpTo { .. } => &["wait_up_to"],
        WOp::JumpUnless { .. } => &["jump_unless"],
        WOp::Jump { .. } => &["jump"],
        WOp::Split { .. } => &["split"],
    }
}

fn same_names(in_code: Vec<&str>, in_docs: Vec<String>, table: &str) {
    let mut code: Vec<String> = in_code.into_iter().map(str::to_string).collect();
    let mut docs = in_docs;
    code.sort();
    docs.sort();
    docs.retain(|d| d != "end"); // `end` is documented as the index past the last instruction
    assert_eq!(
        code, docs,
        "docs/bytecode.md's {table} table and the code disagree"
    );
}

#[test]
fn the_bytecode_docs_list_every_instruction_and_no_other() {
    let ops = variants::<nurture::compile::bytecode::Op>();
    assert!(
        ops.len() >= 30,
        "decoded {} expression instructions",
        ops.len()
    );
    same_names(
        ops.iter().flat_map(op_names).copied().collect(),
        documented("| op |"),
        "expression instruction",
    );
    let wops = variants::<WOp>();
    assert!(
        wops.len() >= 14,
        "decoded {} workflow instructions",
        wops.len()
    );
    same_names(
        wops.iter().flat_map(wop_names).copied().collect(),
        documented("| instruction |"),
        "workflow instruction",
    );
}

// ---- the .nbc format changes only with its version ---------------------------------------

/// The format version and the FNV-1a 64 of the contract campaign's compiled bytes. A change to
/// anything the `.nbc` body serialises (an enum of the checked program, the layout, the
/// instruction set) changes the hash: bump `FORMAT_VERSION` with it, so that an old file is
/// refused with "recompile it" instead of misread, then pin the new pair here.
const PINNED: (u32, u64) = (6, 0x7cd2_87a7_ceca_0824);

#[test]
fn the_compiled_format_changes_only_with_its_version() {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contract.nurture"),
    )
    .expect("reads the contract");
    let (_, program) = check_text(&src);
    let program = program.expect("the contract checks");
    let bytes = compile(&program).expect("compiles").to_bytes();
    let hash = nurture::lang::hash::fnv1a(&bytes);
    assert_eq!(
        (FORMAT_VERSION, hash),
        PINNED,
        "the .nbc bytes of the contract changed: if the format changed, bump FORMAT_VERSION \
         in src/compile/file.rs (and docs/bytecode.md), then pin ({FORMAT_VERSION}, {hash:#x}) \
         here; if it did not, the compiler's output changed for the contract campaign: review why"
    );
}
