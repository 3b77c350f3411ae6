# The commands a newcomer needs. `make demo` runs the shipped bounded-buffer scenario
# (userland/scenarios/producers.sim) and shows its timeline; `make test` runs every test
# (snapshots are checked, never updated).

SHELL := bash
CARGO ?= cargo
export INSTA_UPDATE := no
export CI ?=

.PHONY: demo test lint doc bench build clean

demo:
	$(CARGO) run --quiet --release -p sim --bin sim -- run producers --trace gantt

build:
	$(CARGO) build --workspace --all-targets

# Every test binary, then one closing line with the totals over all of them.
test:
	@mkdir -p target
	@set -o pipefail; { $(CARGO) test --workspace --all-targets --no-fail-fast && $(CARGO) test --workspace --doc; } 2>&1 \
	  | tee target/test.log
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "%d passed, %d failed\n", p, f }' target/test.log

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

bench:
	$(CARGO) bench -p sim

clean:
	$(CARGO) clean
