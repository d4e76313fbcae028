# The two commands a person needs: `make demo` (the main job) and `make test` (every suite).
# Each starts with scripts/bootstrap.sh, which installs what is missing and skips the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help bootstrap wasm pkg test test-native test-wasm typecheck test-shim test-e2e demo bench clean

help:
	@echo "make demo   run a real task in tmux on the simulated agent, crash it, watch it resume"
	@echo "make test   run every test suite (installs what it needs first)"
	@echo "make pkg    build the npm package into pkg/"
	@echo "make bench  measure the budgets of the design"

bootstrap:
	@bash scripts/bootstrap.sh

wasm: bootstrap
	@bash scripts/build-wasm.sh

pkg: wasm
	@node scripts/build-pkg.mjs

test: pkg test-native test-wasm typecheck test-shim test-e2e
	@echo "==> all test suites passed"

test-native: bootstrap
	@echo "==> core tests (native)"
	@source scripts/toolchain.sh && rca_cargo_native test --quiet

test-wasm: bootstrap
	@echo "==> core tests (wasm32 in Node)"
	@source scripts/toolchain.sh && rca_cargo_wasm test

typecheck: wasm
	@echo "==> tsc --noEmit (host shim)"
	@node_modules/.bin/tsc --noEmit -p tsconfig.json

test-shim: pkg
	@echo "==> host shim tests (node --test)"
	@node --test --test-concurrency=1 tests/shim/

test-e2e: pkg
	@if [ -d tests/e2e ] && ls tests/e2e/*.test.js >/dev/null 2>&1; then \
	  echo "==> end-to-end tests (node --test)"; \
	  node --test --test-concurrency=1 tests/e2e/; \
	fi

demo: pkg
	@node pkg/host-shim/cli/main.js demo

bench: pkg
	@node bench/run.js
	@node bench/dashboard.js
	@node bench/remote.js

clean:
	rm -rf target target-wasm pkg host-shim/wasm
