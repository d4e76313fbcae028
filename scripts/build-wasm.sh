#!/usr/bin/env bash
# Builds the core for wasm32 (release) and generates its Node glue into host-shim/wasm/.
# The glue is wasm-bindgen's `nodejs` target: CommonJS that reads and instantiates the .wasm
# synchronously, so importing the package never needs a top-level await.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh

echo "==> building the core for wasm32 ($(rca_wasm_route) toolchain)"
rca_cargo_wasm build --lib --release --quiet
raw=target-wasm/wasm32-unknown-unknown/release/resilient_coding_agent.wasm

out=host-shim/wasm
rm -rf "$out"
wasm-bindgen --target nodejs --out-dir "$out" --out-name core "$raw"
# The package is "type": "module"; the glue is CommonJS, so its folder says so.
printf '{ "type": "commonjs" }\n' >"$out/package.json"

# No wasm-opt pass: Debian's binaryen (108) predates the reference-types layout wasm-bindgen
# emits and produced a module whose externref table Node rejects. The release profile
# (opt-level "z", LTO, one codegen unit) keeps the core small enough without it.

node scripts/check-wasm.mjs "$out/core_bg.wasm"
