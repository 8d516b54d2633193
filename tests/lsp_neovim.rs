//! A real editor on `nurture lsp`: Neovim (Debian's `neovim`, 0.7) headless, its built-in LSP
//! client attached to the server on an example campaign with a mistake in it. The diagnostics
//! Neovim receives are written to a file from Lua and checked here.

#![cfg(feature = "external")]

mod external;

use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Opens the file, starts and attaches the client, waits for diagnostics, writes them out.
const SCRIPT: &str = r#"
local bin, file, out = os.getenv("NURTURE_BIN"), os.getenv("NURTURE_CAMPAIGN"), os.getenv("NURTURE_OUT")
local function write(value)
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(value))
  f:close()
end
local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local client = vim.lsp.start_client({
    name = "nurture",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(file, ":h"),
  })
  assert(client, "the LSP client did not start")
  vim.lsp.buf_attach_client(0, client)
  local waited = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(found, {
      lnum = d.lnum, col = d.col, severity = d.severity, message = d.message,
      source = d.source, code = d.code or lsp.code,
      href = lsp.codeDescription and lsp.codeDescription.href or vim.NIL,
    })
  end
  write({ waited = waited, diagnostics = found })
  vim.lsp.get_client_by_id(client).stop()
end)
if not ok then write({ error = tostring(err) }) end
vim.cmd("qa!")
"#;

#[test]
fn neovim_receives_the_diagnostics_of_an_example_with_a_mistake() {
    let nvim = external::require("nvim", "neovim");
    let dir = tempfile::tempdir().unwrap();
    let example = include_str!("../examples/b2b_scoring.nurture");
    let right = "fit >= 30 and engagement >= 30";
    assert!(example.contains(right));
    let wrong = example.replacen(right, "fit >= 30 and engagment >= 30", 1);
    let campaign = dir.path().join("b2b_scoring.nurture");
    std::fs::write(&campaign, &wrong).unwrap();
    let script = dir.path().join("attach.lua");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = dir.path().join("diagnostics.json");

    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("NURTURE_BIN", env!("CARGO_BIN_EXE_nurture"))
        .env("NURTURE_CAMPAIGN", &campaign)
        .env("NURTURE_OUT", &out)
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts nvim");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("nvim did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("the script wrote its report"))
            .unwrap();
    assert!(report.get("error").is_none(), "{report}");
    assert_eq!(report["waited"], true, "{report}");
    let diags = report["diagnostics"].as_array().unwrap();
    let at = wrong.find("engagment").unwrap();
    let line = wrong[..at].matches('\n').count();
    let col = at - wrong[..at].rfind('\n').map_or(0, |i| i + 1);
    let error = diags
        .iter()
        .find(|d| d["severity"] == 1)
        .unwrap_or_else(|| panic!("no error among {diags:#?}"));
    assert_eq!(error["lnum"], line, "{error}");
    assert_eq!(error["col"], col, "{error}");
    assert_eq!(error["source"], "nurture");
    assert!(error["code"].as_str().unwrap().starts_with('E'), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `engagement`"),
        "{error}"
    );
    assert!(
        error["href"]
            .as_str()
            .unwrap()
            .contains("docs/diagnostics.md#"),
        "{error}"
    );
    assert_eq!(
        diags.iter().filter(|d| d["severity"] == 1).count(),
        1,
        "{diags:#?}"
    );
}
