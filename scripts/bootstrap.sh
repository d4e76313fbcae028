#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already present.
# Idempotent: a second run only checks. Every make target runs it first.
#
# What it may install (first run on a fresh machine, a few minutes):
#   tmux, chromium and openssh-server (Debian packages), the wasm32 toolchain (rustup's target if installed, otherwise
#   Debian's rustc-web/cargo-web/rust-web-src/lld, which build std for wasm32 from source),
#   the wasm-bindgen CLI at exactly the version Cargo.lock pins, and the Node dev packages.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/toolchain.sh
. scripts/toolchain.sh

say() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update (once)"
    as_root apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# --- tmux -----------------------------------------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
  apt_install tmux
fi

# --- chromium (Debian's; the dashboard's browser tests drive it with playwright-core) --------
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

# --- OpenSSH (the remote-host tests run a real sshd and the user's ssh client) ---------------
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; }; then
    apt_install openssh-server openssh-client
  else
    say "no sshd and no apt-get: the remote-host e2e tests will be skipped"
  fi
fi

# --- Node (20 or later) ---------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "error: Node.js 20 or later is required (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "       Install it from your distribution or nodejs.org, then run this again." >&2
  exit 1
fi

# --- Rust: a native cargo, and a way to build wasm32 ----------------------------------------
if ! command -v cargo >/dev/null 2>&1 && [ ! -x /usr/bin/cargo ]; then
  apt_install rustc-web cargo-web
fi
if [ "$(rca_wasm_route)" = debian ]; then
  missing=()
  [ -x "$RCA_DEB_RUSTC" ] || missing+=(rustc-web)
  [ -x "$RCA_DEB_CARGO" ] || missing+=(cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || missing+=(rust-web-src)
  [ -x "$RCA_DEB_WASM_LD" ] || missing+=(lld-22)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "no rustup wasm32 target: installing Debian's wasm-capable Rust (${missing[*]})"
    apt_install "${missing[@]}"
  fi
fi

# --- wasm-bindgen CLI, exactly the version Cargo.lock pins ----------------------------------
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (was: ${have:-none}; about 4 minutes on 2 cores)"
  cargo install -q wasm-bindgen-cli --version "$want" --locked \
    || cargo install -q wasm-bindgen-cli --version "$want"
fi

# --- Node dev packages (typescript, @types/node) --------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (dev packages)"
  npm ci --no-audit --no-fund --loglevel=error
fi
