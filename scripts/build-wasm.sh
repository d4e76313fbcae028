#!/usr/bin/env bash
# Builds the core for wasm32 (release) and generates its Node glue into host-shim/wasm/.
# The glue is wasm-bindgen's `nodejs` target: CommonJS that reads and instantiates the .wasm
# synchronously, so importing the package never needs a top-level await.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh

echo "==> building the core for wasm32 ($(rca_wasm_route) toolchain)"
rca_cargo_wasm_release --quiet
raw=$(rca_wasm_release_artifact)

out=host-shim/wasm
rm -rf "$out"
wasm-bindgen --target nodejs --remove-name-section --remove-producers-section \
  --out-dir "$out" --out-name core "$raw"
# The package is "type": "module"; the glue is CommonJS, so its folder says so.
printf '{ "type": "commonjs" }\n' >"$out/package.json"

# Shrink with binaryen's wasm-opt, pinned in package.json (Debian's binaryen 108 predates the
# reference-types layout wasm-bindgen emits). Features are named one by one: with
# --all-features wasm-opt rewrites strings to `stringref`, which Node does not accept.
node node_modules/binaryen/bin/wasm-opt -Oz \
  --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
  "$out/core_bg.wasm" -o "$out/core_bg.wasm"

node scripts/check-wasm.mjs "$out/core_bg.wasm"
