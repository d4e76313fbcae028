#!/usr/bin/env bash
# Installs the real OpenClaw host for the end-to-end tests, outside the clone so fresh clones
# (CI) reuse it:
#   ${RCA_TEST_CACHE:-$HOME/.cache/resilient-coding-agent-tests}/openclaw-2026.9.6/
#     node_modules/openclaw/   openclaw@2026.9.6 with its runtime deps
#                              (npm install --omit=dev --ignore-scripts)
#     bin/openclaw             a launcher that runs it on the cached Node 24
# Node 24 comes from scripts/install-node24.sh ($CACHE/node-24/bin/node).
# Idempotent: a finished install is marked with a stamp file and only checked next time.
# Prints the launcher path as its last line of stdout; progress goes to stderr.
# Fails loudly (non-zero, with the reason) when a download fails.
set -euo pipefail

OPENCLAW_VERSION=2026.9.6
CACHE=${RCA_TEST_CACHE:-$HOME/.cache/resilient-coding-agent-tests}
DIR=$CACHE/openclaw-$OPENCLAW_VERSION
STAMP=$DIR/.installed
LAUNCHER=$DIR/bin/openclaw
here=$(cd "$(dirname "$0")" && pwd)

say() { printf '==> install-openclaw: %s\n' "$*" >&2; }
die() { printf 'error: install-openclaw: %s\n' "$*" >&2; exit 1; }

node24=$(RCA_TEST_CACHE=$CACHE bash "$here/install-node24.sh" | tail -n 1) \
  || die "Node 24 is required by openclaw@$OPENCLAW_VERSION and could not be installed (see above)"
[ -x "$node24" ] || die "install-node24.sh did not produce a node binary ($node24)"

if [ -f "$STAMP" ] && [ -x "$LAUNCHER" ] && [ -f "$DIR/node_modules/openclaw/package.json" ] \
   && [ "$("$node24" -p 'require(process.argv[1]).version' "$DIR/node_modules/openclaw/package.json" 2>/dev/null || true)" = "$OPENCLAW_VERSION" ]; then
  say "openclaw@$OPENCLAW_VERSION already installed at $DIR"
  printf '%s\n' "$LAUNCHER"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to download openclaw@$OPENCLAW_VERSION (not on PATH)"

say "installing openclaw@$OPENCLAW_VERSION (runtime deps only, no install scripts) into $DIR; first time takes a few minutes"
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/openclaw-$OPENCLAW_VERSION.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '{ "name": "rca-test-openclaw", "private": true }\n' >"$tmp/package.json"
log=$tmp/npm.log
# npm runs on the cached Node 24 so OpenClaw's engines field (>=24.16) is satisfied.
if ! (cd "$tmp" && PATH="$(dirname "$node24"):$PATH" npm install --no-audit --no-fund \
        --omit=dev --ignore-scripts --loglevel=error "openclaw@$OPENCLAW_VERSION") >"$log" 2>&1; then
  cat "$log" >&2
  die "downloading openclaw@$OPENCLAW_VERSION from $(npm config get registry 2>/dev/null) failed (npm output above)"
fi
[ -f "$tmp/node_modules/openclaw/openclaw.mjs" ] \
  || die "openclaw@$OPENCLAW_VERSION installed but node_modules/openclaw/openclaw.mjs is missing"

mkdir -p "$tmp/bin"
cat >"$tmp/bin/openclaw" <<LAUNCH
#!/bin/sh
# Runs the cached openclaw@$OPENCLAW_VERSION on the cached Node 24 (written by install-openclaw.sh).
exec "$node24" "$DIR/node_modules/openclaw/openclaw.mjs" "\$@"
LAUNCH
chmod 0755 "$tmp/bin/openclaw"
rm -f "$log"
rm -rf "$DIR"
mv "$tmp" "$DIR"
trap - EXIT

version=$("$LAUNCHER" --version 2>&1) || die "the installed openclaw does not run: $version"
case "$version" in
  *"$OPENCLAW_VERSION"*) ;;
  *) die "the installed openclaw reports '$version', expected $OPENCLAW_VERSION" ;;
esac
printf '%s %s\n' "$OPENCLAW_VERSION" "$node24" >"$STAMP"
say "openclaw $version ready: $LAUNCHER"
printf '%s\n' "$LAUNCHER"
