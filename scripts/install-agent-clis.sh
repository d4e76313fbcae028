#!/usr/bin/env bash
# Installs the pinned agent CLIs that the conformance suite (tests/e2e/conformance.test.js)
# runs against a loopback mock model server. Idempotent: a second run only checks.
#
# Where: ${RCA_TEST_CACHE:-$HOME/.cache/resilient-coding-agent-tests}/agents/<agent>/ (one npm
# prefix per CLI, binaries in agents/<agent>/node_modules/.bin/), outside the clone so a fresh
# clone in CI reuses them. A CLI whose needs_node is above the running Node (Claude Code, Pi
# 1.x: Node >= 22) gets Node 24 from scripts/install-node24.sh ($CACHE/node-24/), first on PATH.
#
# To verify a CLI upgrade: change its cli.verified_version in agents/<agent>.json, run `make test` (or just
# `node --test tests/e2e/conformance.test.js`), fix what breaks, update the README.
#
# Prints one line per agent: "<agent> <version> <bin dir>". On a download error it exits
# non-zero with npm's reason; it never skips silently.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${RCA_TEST_CACHE:-$HOME/.cache/resilient-coding-agent-tests}"
AGENTS="$CACHE/agents"

# The pins come from the agents' data files (the `cli` object of agents/<agent>.json: the one place
# the verified versions live; `doctor` reads it too): one line per agent with a CLI,
# "<agent> <package> <version> <program> <needs_node>".
command -v node >/dev/null 2>&1 || { printf 'install-agent-clis: error: node is not on PATH\n' >&2; exit 1; }
mapfile -t PINS < <(node -e '
  const fs = require("fs");
  for (const file of fs.readdirSync("agents").filter((f) => f.endsWith(".json")).sort()) {
    const a = JSON.parse(fs.readFileSync("agents/" + file, "utf8"));
    if (a.cli && a.program) console.log([file.slice(0, -5), a.cli.package, a.cli.verified_version, a.program, a.cli.needs_node ?? 0].join(" "));
  }
')
[ "${#PINS[@]}" -gt 0 ] || { printf 'install-agent-clis: error: no agent in agents/*.json has a cli object\n' >&2; exit 1; }

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install-agent-clis: error: %s\n' "$*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm is not on PATH (Node.js 20+ with npm is required)"

# Node 24 for the CLIs whose needs_node is above this Node's major (Claude Code, Pi 1.x),
# installed on first need.
NODE24_BIN="$CACHE/node-24/bin"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
need_node24() {
  [ -f scripts/install-node24.sh ] || die "scripts/install-node24.sh is missing (Node 24 is needed by $1)"
  bash scripts/install-node24.sh >/dev/null || die "scripts/install-node24.sh failed (see above)"
  [ -x "$NODE24_BIN/node" ] || die "Node 24 not found at $NODE24_BIN/node after scripts/install-node24.sh"
}

# Optional arguments: the agents to install (default: every agent with a cli object).
all_agents="$(printf '%s\n' "${PINS[@]}" | cut -d' ' -f1 | tr '\n' ' ')"
want_agents=" ${*:-$all_agents} "

installed_version() { # dir package -> version or empty
  local pj="$1/node_modules/$2/package.json"
  [ -f "$pj" ] || return 0
  node -e 'try{process.stdout.write(String(require(process.argv[1]).version||""))}catch{}' "$pj"
}

for line in "${PINS[@]}"; do
  read -r agent pkg version bin needs_node <<<"$line"
  case "$want_agents" in *" $agent "*) ;; *) continue ;; esac
  node24=0
  if [ "$needs_node" -gt "$NODE_MAJOR" ]; then node24=1; need_node24 "$pkg@$version"; fi
  dir="$AGENTS/$agent"
  have="$(installed_version "$dir" "$pkg")"
  if [ "$have" != "$version" ] || [ ! -x "$dir/node_modules/.bin/$bin" ] || [ ! -f "$dir/.rca-installed" ]; then
    say "installing $pkg@$version into $dir (was: ${have:-none}; a few hundred MB)"
    mkdir -p "$dir"
    rm -f "$dir/.rca-installed"
    [ -f "$dir/package.json" ] || printf '{"name":"rca-agent-%s","private":true}\n' "$agent" >"$dir/package.json"
    npm_path="$PATH"
    # Such a package checks the engine at install time: install it with Node 24.
    [ "$node24" = 1 ] && npm_path="$NODE24_BIN:$PATH"
    log="$dir/npm-install.log"
    if ! PATH="$npm_path" npm install --prefix "$dir" --no-audit --no-fund --no-save \
        --loglevel=error "$pkg@$version" >"$log" 2>&1; then
      cat "$log" >&2
      die "npm install $pkg@$version failed (log above, also in $log)"
    fi
    have="$(installed_version "$dir" "$pkg")"
    [ "$have" = "$version" ] || die "$pkg: wanted $version, npm installed ${have:-nothing}"
    [ -x "$dir/node_modules/.bin/$bin" ] || die "$pkg@$version installed but $dir/node_modules/.bin/$bin is missing"
  fi
  # Check that the binary runs (its native part is an optional npm dependency that can be missing).
  run_path="$dir/node_modules/.bin:$PATH"
  [ "$node24" = 1 ] && run_path="$dir/node_modules/.bin:$NODE24_BIN:$PATH"
  if ! out="$(cd "$dir" && HOME="$dir/.probe-home" PI_OFFLINE=1 PATH="$run_path" timeout 60 "$bin" --version 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "$bin --version failed after installing $pkg@$version (output above)"
  fi
  case "$out" in
    *"$version"*) ;;
    *) die "$bin --version printed '$out', expected $version" ;;
  esac
  touch "$dir/.rca-installed"
  printf '%s %s %s\n' "$agent" "$version" "$dir/node_modules/.bin"
done
