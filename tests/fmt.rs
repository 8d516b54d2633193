//! `nurture fmt`: the layout never changes what a campaign means, a formatted file stays as
//! it is, and the command line checks, diffs and rewrites as documented.
//!
//! Meaning is checked two ways: the formatted file has the same tokens in the same order
//! (only whitespace moved), and it compiles to the same program (the listings agree once
//! source positions are left out, as `--state` compares programs).

use nurture::check::check_text;
use nurture::compile::{compare::same_behaviour, compile, disasm::disasm, Compiled};
use nurture::fmt::format;
use nurture::syntax::lexer::{tokens, Token};
use proptest::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

fn compiled(src: &str) -> Compiled {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("does not check: {diags:#?}\n{src}"));
    compile(&program).expect("compiles")
}

/// The tokens of a text, whitespace left out and comments without their trailing spaces.
fn words(src: &str) -> Vec<&str> {
    tokens(src)
        .filter(|(t, _)| *t != Some(Token::Whitespace))
        .map(|(_, r)| src[r].trim_end())
        .collect()
}

/// Formats `src` and checks what formatting promises: the same tokens, a fixed point, and
/// (for a campaign) the same program.
fn formats_faithfully(src: &str, campaign: bool) -> String {
    let once = format(src).unwrap_or_else(|e| panic!("{e}: {:#?}\n{src}", e.diagnostics));
    assert_eq!(
        words(src),
        words(&once),
        "tokens changed:\n{src}\n---\n{once}"
    );
    let twice = format(&once).expect("the formatted text parses");
    assert_eq!(
        once, twice,
        "formatting again changed the text:\n{src}\n--- once:\n{once}"
    );
    if campaign {
        // The same warnings: a `// nurture: ignore` still silences what it silenced.
        let codes = |text: &str| {
            let mut codes: Vec<&str> = check_text(text).0.iter().map(|d| d.code.as_str()).collect();
            codes.sort_unstable();
            codes
        };
        assert_eq!(
            codes(src),
            codes(&once),
            "the warnings changed:\n{src}\n---\n{once}"
        );
        let (a, b) = (compiled(src), compiled(&once));
        assert!(
            same_behaviour(&a, &b),
            "the program changed:\n{}\n---\n{}\n--- source:\n{src}\n--- formatted:\n{once}",
            disasm(&a, None),
            disasm(&b, None)
        );
    }
    once
}

/// Every campaign in the repository, with whether it is a campaign of its own (the prelude
/// is read before one).
fn repository_files() -> Vec<(PathBuf, bool)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![(root.join("stdlib/prelude.nurture"), false)];
    for dir in ["examples", "tests/fixtures", "benches"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("reads the directory")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "nurture"))
            .collect();
        found.sort();
        files.extend(found.into_iter().map(|p| (p, true)));
    }
    files
}

#[test]
fn every_campaign_in_the_repository_keeps_its_meaning_and_is_formatted() {
    let files = repository_files();
    assert!(files.len() >= 9, "{files:?}");
    let mut unformatted = Vec::new();
    for (path, campaign) in files {
        let src = std::fs::read_to_string(&path).expect("reads");
        if formats_faithfully(&src, campaign) != src {
            unformatted.push(path.display().to_string());
        }
    }
    assert!(
        unformatted.is_empty(),
        "run `nurture fmt` on: {unformatted:?}"
    );
}

/// Everything the layout handles at once, written carelessly.
const MESSY: &str = r#"// A campaign written in a hurry.
campaign    "Messy"
lead { email : string , company_size:int?
  labels: list < string > ?
    stage: Stage=fresh }
enum Stage {fresh,warm,
  hot}
event demo.requested as "Demo Requested" {seats:int}
event trial.started {plan:string}   // from the app
score fit "Fit" {
    decay 50% every 14d
  on demo.requested where seats>=10 add 40 at most 1 times per 30d
  // profile
  when lead.company_size>=200 add 20
        when lead.email ends_with "@gmail.com" or lead.email ends_with "@yahoo.com" or lead.email ends_with "@hotmail.com" subtract 20
  on trial.started add 5
}
score total = fit+( lead.company_size??0 )*2
list ready="Ready"==  "Ready" and fit>=30


list big = (lead.company_size ?? 0) >= 1000 and lead.stage != fresh and did trial.started within 30d and not did demo.requested within 7d
on enter ready start handoff
on demo.requested where seats > 100 notify sales "Big demo: {lead.email}"
workflow handoff "Hand a lead to sales" { enroll once per 90d
only if lead.email is set
  // nurture: ignore W0103
  set lead.stage = hot
  if big { notify sales "Enterprise {lead.email}" } else if fit >= 50 {
  wait 2d } else { wait until weekday 10:00
  send email "nudge" }
  split { 50% "A": send email "a"
  50% "B": { wait 1d
   send email "b" } }
}
policy { frequency email at most 2 per 7d quiet hours 19:00 to 08:00 }
test "hot leads go to sales" { lead ann { email: "ann@x.com", company_size: 500 }
  at 2026-03-03T15:00:00Z ann demo.requested { seats: 20 }
  expect ann in workflow handoff }
"#;

#[test]
fn a_messy_campaign_before_and_after() {
    let after = formats_faithfully(MESSY, true);
    insta::assert_snapshot!(after);
}

/// The `nurture,before` blocks of docs/style-guide.md and the `nurture,after` block after each.
fn style_guide_pairs() -> Vec<(String, String)> {
    let doc = include_str!("../docs/style-guide.md");
    let mut blocks: Vec<(&str, String)> = Vec::new();
    let mut open: Option<(&str, String)> = None;
    for line in doc.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(flag @ ("nurture,before" | "nurture,after"))) => {
                open = Some((flag, String::new()))
            }
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    blocks
        .chunks(2)
        .map(|pair| {
            assert_eq!((pair[0].0, pair[1].0), ("nurture,before", "nurture,after"));
            (pair[0].1.clone(), pair[1].1.clone())
        })
        .collect()
}

#[test]
fn the_style_guide_shows_what_fmt_does() {
    let pairs = style_guide_pairs();
    assert!(pairs.len() >= 3, "{pairs:?}");
    for (before, after) in pairs {
        assert_eq!(format(&before).expect("parses"), after, "before:\n{before}");
        assert_eq!(
            format(&after).expect("parses"),
            after,
            "after is not a fixed point"
        );
        assert_eq!(words(&before), words(&after));
    }
}

#[test]
fn syntax_errors_are_returned_not_formatted() {
    let err = format("list hot = = fit\n").expect_err("does not parse");
    assert!(!err.diagnostics.is_empty());
    assert!(err.diagnostics.iter().all(|d| d.is_error()));
    assert_eq!(err.diagnostics[0].code.as_str(), "E0001");
}

#[test]
fn comments_and_paragraphs_stay_where_they_were() {
    let src = "// head\n\n\n\nlist a = true // why\n// about b\nlist b = a\n\n// tail\n";
    let out = format(src).unwrap();
    assert_eq!(
        out,
        "// head\n\nlist a = true // why\n// about b\nlist b = a\n\n// tail\n"
    );
    // An ignore comment stays on the line before the statement it silences.
    let src = "workflow w {\n  // nurture: ignore W0105\n    wait   1d\n}\n";
    assert_eq!(
        format(src).unwrap(),
        "workflow w {\n  // nurture: ignore W0105\n  wait 1d\n}\n"
    );
    // The line it silences is not broken, however long, nor one that ends with one.
    let cond = ["lead.email is set"; 8].join(" and ");
    for src in [
        format!("// nurture: ignore W0101\nlist a = {cond}\n"),
        format!("list a = {cond} // nurture: ignore W0101\n"),
    ] {
        assert_eq!(format(&src).unwrap(), src);
    }
    let src = format!("list a = {cond}\n");
    assert!(format(&src).unwrap().lines().count() > 2);
}

#[test]
fn an_unknown_shape_keeps_its_braces_block_or_inline() {
    // An enum written across lines stays a block; one written on a line stays on it.
    let out = format("enum A {\nx,\n   y\n}\nenum B {x,y}\n").unwrap();
    assert_eq!(out, "enum A {\n  x,\n  y\n}\n\nenum B { x, y }\n");
}

// ---------------------------------------------------------------------------------------------
// Generated campaigns: varied, valid, and laid out at random.

/// Choices drawn from a stream of random numbers.
struct Gen<'a> {
    seq: &'a [u32],
    at: usize,
}

impl Gen<'_> {
    fn pick(&mut self, n: u32) -> u32 {
        let v = self.seq[self.at % self.seq.len()].wrapping_add(self.at as u32 / 7);
        self.at += 1;
        v % n.max(1)
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.pick(100) < percent
    }
    fn one<'s>(&mut self, of: &[&'s str]) -> &'s str {
        of[self.pick(of.len() as u32) as usize]
    }

    /// A condition on the lead (every token spaced; strings hold no space).
    fn cond(&mut self, depth: u32, lists: &[String]) -> String {
        if depth < 2 && self.chance(45) {
            let a = self.cond(depth + 1, lists);
            let b = self.cond(depth + 1, lists);
            let both = match self.pick(3) {
                0 => format!("{a} and {b}"),
                1 => format!("{a} or {b}"),
                _ => format!("( {a} or {b} ) and {}", self.atom(lists)),
            };
            // `and` and `or` never mix unbracketed.
            return if depth == 0 {
                both
            } else {
                format!("( {both} )")
            };
        }
        self.atom(lists)
    }

    fn atom(&mut self, lists: &[String]) -> String {
        let n = self.pick(500);
        let ev = self.one(&["demo.requested", "trial.started", "email.opened"]);
        match self.pick(11) {
            0 => format!("lead.company_size >= {n}"),
            1 => format!("( lead.company_size ?? 0 ) + {} * 2 > {n}", self.pick(9)),
            2 => "lead.country in [ \"US\" , \"GB\" ]".to_string(),
            3 => "lead.country is set".to_string(),
            4 => format!("lead.stage {} warm", self.one(&["==", "!="])),
            5 => "lead.email ends_with \"@x.com\"".to_string(),
            6 => format!("did {ev} within {}d", 1 + self.pick(30)),
            7 => format!("count {ev} within 7d >= {}", self.pick(5)),
            8 => "not lead.consent".to_string(),
            9 if !lists.is_empty() => lists[self.pick(lists.len() as u32) as usize].clone(),
            10 if !lists.is_empty() => format!("total >= {n}"),
            _ => format!("( did demo.requested where seats > {n} )"),
        }
    }

    /// `with { … }` data, now and then long enough to break; `event` reads the run's event.
    fn with_data(&mut self, event: bool) -> String {
        let mut fields = Vec::new();
        for i in 0..1 + self.pick(5) {
            let value = match self.pick(if event { 4 } else { 3 }) {
                0 => format!("{}", self.pick(999)),
                1 => "lead.email".to_string(),
                2 => "( lead.company_size ?? 0 ) * 2".to_string(),
                _ => "event.seats ?? 0".to_string(),
            };
            fields.push(format!("field_number_{i} : {value}"));
        }
        format!(" with {{ {} }}", fields.join(" , "))
    }

    /// A step's `with` data, half the time.
    fn maybe_with(&mut self, event: bool) -> String {
        if self.chance(50) {
            self.with_data(event)
        } else {
            String::new()
        }
    }

    /// `event`: the workflow is started by an event, its steps may read it; `decision`: a
    /// `decide` named `d0` exists.
    fn steps(&mut self, depth: u32, ctx: (bool, bool), out: &mut Vec<String>) {
        let (event, decision) = ctx;
        for _ in 0..1 + self.pick(4) {
            let step = match self.pick(if depth < 2 { 12 } else { 9 }) {
                0 => format!(
                    "send email \"tpl-{}\"{}",
                    self.pick(9),
                    self.maybe_with(event)
                ),
                1 => format!("wait {}d", 1 + self.pick(9)),
                2 => "wait until weekday 10:00".to_string(),
                3 => "set lead.stage = warm".to_string(),
                4 => "tag \"touched\"".to_string(),
                5 => format!(
                    "notify sales \"Lead_{{lead.email}}_scored_{{fit}}\"{}",
                    self.maybe_with(event)
                ),
                6 => format!(
                    "send chat \"chat-{}\"{}",
                    self.pick(9),
                    self.maybe_with(event)
                ),
                7 if decision => format!("send email decide ( d0 ){}", self.maybe_with(event)),
                7 => format!("send email \"tpl-x\"{}", self.with_data(event)),
                8 if event => format!("send email \"seats\"{}", self.with_data(true)),
                8 => "wait 2d".to_string(),
                9 | 10 => {
                    let mut s = format!("if {} {{", self.cond(1, &[]));
                    let mut inner = Vec::new();
                    self.steps(depth + 1, ctx, &mut inner);
                    s += &format!(" {} }}", inner.join(" "));
                    if self.chance(50) {
                        let mut other = Vec::new();
                        self.steps(depth + 1, ctx, &mut other);
                        s += &format!(" else {{ {} }}", other.join(" "));
                    }
                    s
                }
                _ => {
                    let mut b = Vec::new();
                    self.steps(depth + 1, ctx, &mut b);
                    format!(
                        "split {{ 50% \"A\" : send email \"a\" 50% \"B\" : {{ {} }} }}",
                        b.join(" ")
                    )
                }
            };
            out.push(step);
        }
    }

    /// A valid campaign, its tokens separated by single spaces.
    fn campaign(&mut self) -> String {
        let mut d = vec![
            "campaign \"Generated\"".to_string(),
            "lead { email : string , company_size : int ? country : string ? consent : bool = true stage : Stage = fresh }".to_string(),
            "enum Stage { fresh , warm , hot }".to_string(),
            "event demo.requested as \"Demo_Requested\" { seats : int }".to_string(),
            "event trial.started { plan : string }".to_string(),
        ];
        let mut rules = Vec::new();
        if self.chance(50) {
            rules.push(format!(
                "decay {}% every {}d",
                10 + self.pick(80),
                1 + self.pick(30)
            ));
        }
        for _ in 0..1 + self.pick(5) {
            let effect = format!(
                "{} {}",
                self.one(&["add", "subtract", "set"]),
                self.pick(60)
            );
            rules.push(match self.pick(3) {
                0 => format!("when {} add {}", self.cond(1, &[]), self.pick(60)),
                1 => format!("on demo.requested where seats > {} {effect}", self.pick(50)),
                _ => format!(
                    "on {} {effect} at most {} times per 7d",
                    self.one(&["trial.started", "email.clicked"]),
                    1 + self.pick(5)
                ),
            });
        }
        d.push(format!("score fit \"Fit\" {{ {} }}", rules.join(" ")));
        d.push(format!(
            "score total = fit + ( lead.company_size ?? 0 ) * {}",
            self.pick(9)
        ));
        let mut lists = Vec::new();
        for i in 0..1 + self.pick(4) {
            let name = format!("l{i}");
            d.push(format!("list {name} = {}", self.cond(0, &lists)));
            lists.push(name);
        }
        d.push("on enter l0 start w0".to_string());
        d.push(format!(
            "on demo.requested where seats > {} tag \"big\"",
            self.pick(99)
        ));
        d.push("on exit l0 stop w0".to_string());
        d.push(format!(
            "on demo.requested where seats > {} notify sales \"Seats_{{event.seats}}\"{}",
            self.pick(99),
            self.maybe_with(true)
        ));
        d.push("on demo.requested start w1".to_string());
        let decision = self.chance(60);
        if decision {
            let mut rows = Vec::new();
            for i in 0..1 + self.pick(4) {
                rows.push(format!("when {} -> \"offer-{i}\"", self.cond(0, &lists)));
            }
            rows.push("else -> \"offer-default\"".to_string());
            d.push(format!("decide d0 \"Offer\" {{ {} }}", rows.join(" ")));
        }
        let mut settings = Vec::new();
        if self.chance(50) {
            settings.push("enroll once per 30d".to_string());
        }
        if self.chance(50) {
            settings.push(format!("only if {}", self.cond(0, &lists)));
        }
        if self.chance(50) {
            settings.push(format!("exit when {}", self.cond(0, &lists)));
        }
        let mut steps = Vec::new();
        self.steps(0, (false, decision), &mut steps);
        d.push(format!(
            "workflow w0 \"First\" {{ {} {} }}",
            settings.join(" "),
            steps.join(" ")
        ));
        // Started by an event: its steps read the event; half the time a holdout.
        let holdout = if self.chance(50) {
            format!(
                "goal did trial.started within 14d holdout {}%",
                1 + self.pick(40)
            )
        } else {
            String::new()
        };
        let mut steps = Vec::new();
        self.steps(0, (true, decision), &mut steps);
        d.push(format!(
            "workflow w1 \"Second\" {{ {holdout} {} }}",
            steps.join(" ")
        ));
        if self.chance(50) {
            d.push(format!("policy {{ frequency email at most 2 per 7d quiet hours 19:00 to 08:00 suppress when {} }}", self.cond(1, &[])));
        }
        if self.chance(40) {
            d.push("test \"t\" { lead ann { email : \"ann@x.com\" , company_size : 500 } at 2026-03-03T15:00:00Z ann demo.requested { seats : 20 } expect ann in workflow w0 }".to_string());
        }
        d.join(" ")
    }
}

/// A text's tokens (split at its spaces) joined by random whitespace and comments.
fn scatter(text: &str, seps: &[u8]) -> String {
    const SEPS: &[&str] = &[
        " ",
        " ",
        " ",
        "  ",
        "\n",
        "\n  ",
        "\n\n",
        "\t",
        " // note\n",
        "\n// own line\n    ",
    ];
    let mut out = String::new();
    for (i, tok) in text.split(' ').enumerate() {
        if i > 0 {
            out.push_str(SEPS[seps[i % seps.len()] as usize % SEPS.len()]);
        }
        out.push_str(tok);
    }
    out.push('\n');
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_generated_campaign_formats_to_the_same_program_and_a_fixed_point(
        seq in proptest::collection::vec(any::<u32>(), 64..256),
        seps in proptest::collection::vec(any::<u8>(), 1..64),
        tidy in any::<bool>(),
    ) {
        let text = Gen { seq: &seq, at: 0 }.campaign();
        // Half the time one token a space apart (long lines to break), half scattered.
        let src = if tidy { format!("{text}\n") } else { scatter(&text, &seps) };
        formats_faithfully(&src, true);
    }
}

// ---------------------------------------------------------------------------------------------
// The command line.

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn nurture(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the nurture binary starts");
    // fmt may refuse its arguments before reading stdin; the broken pipe is then expected.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
    }
    let out = child.wait_with_output().expect("it finishes");
    Run {
        code: out.status.code().expect("an exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const UGLY: &str = "list   a =   true\nlist b=a\n";
const TIDY: &str = "list a = true\nlist b = a\n";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("ugly.nurture"), UGLY).unwrap();
    std::fs::write(dir.path().join("sub/tidy.nurture"), TIDY).unwrap();
    std::fs::write(dir.path().join("sub/notes.txt"), UGLY).unwrap();
    dir
}

#[test]
fn check_names_the_files_that_would_change_and_changes_nothing() {
    let dir = workspace();
    let run = nurture(dir.path(), &["fmt", "--check", "."], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "./ugly.nurture\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.nurture")).unwrap(),
        UGLY
    );
    let run = nurture(dir.path(), &["fmt", "--check", "sub"], "");
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn diff_prints_a_unified_diff_and_changes_nothing() {
    let dir = workspace();
    let run = nurture(dir.path(), &["fmt", "--diff", "ugly.nurture"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "--- ugly.nurture\n+++ ugly.nurture\n@@ -1,2 +1,2 @@\n-list   a =   true\n-list b=a\n+list a = true\n+list b = a\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.nurture")).unwrap(),
        UGLY
    );
}

#[test]
fn files_are_rewritten_in_place_and_stdin_goes_to_stdout() {
    let dir = workspace();
    let run = nurture(dir.path(), &["fmt", "."], "");
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.nurture")).unwrap(),
        TIDY
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub/notes.txt")).unwrap(),
        UGLY
    );
    let run = nurture(dir.path(), &["fmt", "-"], UGLY);
    assert_eq!((run.code, run.stdout.as_str()), (0, TIDY), "{}", run.stderr);
}

#[test]
fn a_file_with_a_syntax_error_is_left_untouched_and_its_error_shown() {
    let dir = workspace();
    let broken = "list hot = = fit\n";
    std::fs::write(dir.path().join("broken.nurture"), broken).unwrap();
    let run = nurture(dir.path(), &["fmt", "broken.nurture", "ugly.nurture"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.nurture")).unwrap(),
        broken
    );
    assert!(run.stderr.contains("E0001"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.nurture:1:"), "{}", run.stderr);
    // The good file beside it is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.nurture")).unwrap(),
        TIDY
    );
    let run = nurture(dir.path(), &["fmt", "-"], broken);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    assert!(run.stderr.contains("E0001"), "{}", run.stderr);
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let dir = workspace();
    let run = nurture(dir.path(), &["fmt", "nope.nurture"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.nurture"), "{}", run.stderr);
}
