#!/usr/bin/env bash
# The REPL on a real terminal, driven through tmux: tab completion, syntax highlighting,
# hints, multi-line input and history saved between sessions. Not run by `cargo test` (it
# needs tmux); run it by hand: `tests/repl_tty.sh` (exit code 0 when every check passes).
#
# Needs: tmux, and a built binary (it runs `cargo build` first).
set -u
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 2; }
cargo build --quiet || exit 2
bin="$PWD/target/debug/nurture"
tmp=$(mktemp -d)
session="nurture-tty-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -rf "$tmp"' EXIT
cp tests/fixtures/contract.nurture "$tmp/campaign.nurture"
export NURTURE_HISTORY="$tmp/history"

failures=0
check() { # check NAME COMMAND...: runs the command, reports
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
start() {
  tmux new-session -d -s "$session" -x 200 -y 60 -c "$tmp" \
    "env TERM=xterm-256color NURTURE_HISTORY=$NURTURE_HISTORY $bin repl campaign.nurture"
  sleep 0.5
}
keys() { tmux send-keys -t "$session" "$@"; sleep 0.3; }
screen() { tmux capture-pane -t "$session" -p; }
colours() { tmux capture-pane -t "$session" -p -e; }
has() { screen | grep -qF -- "$1"; }
has_line() { screen | grep -qxF -- "$1"; }
# has_sgr CODE TEXT: TEXT drawn with the SGR attribute CODE (tmux may add codes of its own).
has_sgr() { colours | grep -qP "\\x1b\\[(?:[0-9]*;)*$1m(?:\\x1b\\[[0-9;]*m)*\\Q$2\\E"; }

start
check "banner" has "Nurture REPL"

# Completion: a command, a lead id, an event, an event's property.
keys ':le' Tab
check "completes :lead" has ":lead"
keys ' ann { email: "ann@acme.com", job_title: "VP Marketing" }' Enter
keys ':at 2026-03-02T09:00:00Z' Enter
check "runs :lead" has "created ann with email, job_title"
keys ':event a' Tab
keys ' ebook.dow' Tab
check "completes lead ids and event names" has ":event ann ebook.downloaded"
keys ' { ti' Tab
check "completes event properties" has ":event ann ebook.downloaded { title:"
keys '"Guide" }' Enter
check "prints actions as they happen" has 'ann  sent email "welcome-brand-values"'

# Hints: the rest of a command and its arguments, in grey.
keys ':wh'
check "hints a command's arguments" has ":why ID NAME"
check "hints are dim" has_sgr 2 "y ID NAME"
keys C-u

# Highlighting: scores yellow, keywords magenta, lead ids cyan, strings green.
keys 'fit of ann'
check "highlights a score" has_sgr 33 "fit"
check "highlights a keyword" has_sgr 35 "of"
check "highlights a lead id" has_sgr 36 "ann"
keys Enter
check "evaluates an expression" has_line "20"

# Multi-line input while braces are open.
keys ':lead bob {' Enter
keys 'email: "bob@gmail.com" }' Enter
check "multi-line input" has "created bob with email"

keys ':show ann' Enter
check ":show" has "welcome_series  step wait 3d"
keys C-d
sleep 0.5
check "history saved on exit" grep -qF ':show ann' "$NURTURE_HISTORY"

# History comes back in a new session.
tmux kill-session -t "$session" 2>/dev/null
start
keys Up
check "history recalled in a new session" has ":show ann"
keys C-u C-d

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
