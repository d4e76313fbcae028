# Sourced by the build scripts: which route builds wasm32 here, and the cargo to use for it.
# rustup's wasm32-unknown-unknown target is used when installed; otherwise Debian's
# rustc-web/cargo-web build std for wasm32 from source (-Zbuild-std), linked by lld's wasm-ld.

export PATH="$HOME/.cargo/bin:$PATH"
RCA_DEB_RUSTC=/usr/bin/rustc
RCA_DEB_RUSTDOC=/usr/bin/rustdoc
RCA_DEB_CARGO=/usr/bin/cargo
RCA_DEB_WASM_LD=/usr/lib/llvm-22/bin/wasm-ld

rca_wasm_route() {
  if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo rustup
  else
    echo debian
  fi
}

# cargo for wasm32, run with the route's environment. The wasm build has its own target
# directory so its artefacts never mix with the native (host) build.
rca_cargo_wasm() {
  local cmd=$1; shift
  export CARGO_TARGET_DIR="$PWD/target-wasm"
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
  if [ "$(rca_wasm_route)" = rustup ]; then
    cargo "$cmd" --target wasm32-unknown-unknown "$@"
  else
    RUSTC=$RCA_DEB_RUSTC RUSTDOC=$RCA_DEB_RUSTDOC RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$RCA_DEB_WASM_LD \
      "$RCA_DEB_CARGO" "$cmd" --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort "$@"
  fi
}

# The release build of the shipped .wasm, smallest form each route allows. On the Debian route
# std is built from source anyway, so it is built for size too: std's `optimize_for_size`
# feature (smaller sort/fmt/str algorithms) and `-Cpanic=immediate-abort` (a panic is a bare
# trap: no panic messages, locations or formatting machinery; the core never panics on input,
# and with panic=abort a panic already ended in a trap). These need their own target directory
# (different std) so `make test-wasm` keeps its own std build. The rustup route uses the
# prebuilt std and is about 30 KB bigger.
rca_cargo_wasm_release() {
  if [ "$(rca_wasm_route)" = rustup ]; then
    rca_cargo_wasm build --lib --release "$@"
  else
    export CARGO_TARGET_DIR="$PWD/target-wasm/size"
    RUSTC=$RCA_DEB_RUSTC RUSTDOC=$RCA_DEB_RUSTDOC RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$RCA_DEB_WASM_LD \
      RUSTFLAGS="${RUSTFLAGS:-} -Zunstable-options -Cpanic=immediate-abort" \
      "$RCA_DEB_CARGO" build --lib --release --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size "$@"
  fi
}

# Where rca_cargo_wasm_release puts the .wasm.
rca_wasm_release_artifact() {
  if [ "$(rca_wasm_route)" = rustup ]; then
    echo target-wasm/wasm32-unknown-unknown/release/resilient_coding_agent.wasm
  else
    echo target-wasm/size/wasm32-unknown-unknown/release/resilient_coding_agent.wasm
  fi
}

# Native cargo: rustup's if present, else Debian's.
rca_cargo_native() {
  if command -v cargo >/dev/null 2>&1; then cargo "$@"; else "$RCA_DEB_CARGO" "$@"; fi
}
