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

# The release build of the shipped .wasm: a plain release build on either route (the Debian
# route builds std from source only because Debian ships no prebuilt wasm32 std: -Zbuild-std is
# the one unstable flag it needs). Panics keep their messages: the core's panic hook reports
# them to JS as `internal` errors.
rca_cargo_wasm_release() {
  rca_cargo_wasm build --lib --release "$@"
}

# Where rca_cargo_wasm_release puts the .wasm.
rca_wasm_release_artifact() {
  echo target-wasm/wasm32-unknown-unknown/release/resilient_coding_agent.wasm
}

# Native cargo: rustup's if present, else Debian's.
rca_cargo_native() {
  if command -v cargo >/dev/null 2>&1; then cargo "$@"; else "$RCA_DEB_CARGO" "$@"; fi
}
