# The commands a newcomer needs. `make demo` runs the shipped bounded-buffer scenario
# (userland/scenarios/producers.sim) and shows its timeline; `make test` runs every test
# (snapshots are checked, never updated).

SHELL := bash
CARGO ?= cargo
export INSTA_UPDATE := no
export CI ?=

.PHONY: demo test lint doc bench bench-peers build clean browser-test

demo:
	$(CARGO) run --quiet --release -p sim --bin sim -- run producers --trace gantt

build:
	$(CARGO) build --workspace --all-targets

# Every test binary, then one closing line with the totals over all of them. The bench crate
# holds measurements, not tests, and its peers (tokio, crossbeam, shuttle, criterion) are
# the heaviest builds here: `make lint` compiles it (clippy --all-targets), `make bench` and
# `make bench-peers` run it.
test:
	@mkdir -p target
	@set -o pipefail; { $(CARGO) test --workspace --exclude bench --all-targets --no-fail-fast && $(CARGO) test --workspace --exclude bench --doc; } 2>&1 \
	  | tee target/test.log
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "%d passed, %d failed\n", p, f }' target/test.log

# The page that steps through a run (`sim run ... --trace html`), opened in headless Chromium
# at a few ticks and driven through its buttons, checked against the page's model, which the
# tests of `make test` hold against the kernel (sim/tests/integration/html.rs). Needs Debian's
# chromium (`apt-get install chromium`; .ci/run installs it) or CHROMIUM=/path/to/it. A few
# seconds of browser starts, so not part of `make test`.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
browser-test:
	@test -x "$(CHROMIUM)" || { echo "make browser-test needs Chromium at $(CHROMIUM): apt-get install chromium"; exit 1; }
	$(CARGO) test -p sim --test integration -- --ignored --exact html::the_page_shows_the_model_in_a_real_browser

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

# The criterion benchmarks: IPC workloads and syscalls (ipc), trace renderers (render) and
# schedule exploration (explore). `make bench-peers` is separate: it is not criterion.
bench:
	$(CARGO) bench -p bench --bench ipc --bench render --bench explore

# W1–W4 on this simulator, on tokio (current-thread) and on crossbeam with OS threads, and
# exploring the philosophers on this simulator and on shuttle, in one run: one table of the
# figures, the ratios and the targets (bench/benches/peers.rs); then exhaustive exploration
# (dpor) against loom, a second table, which `cargo bench -p bench --bench peers -- loom`
# runs alone. About three minutes with the build; W4's memory is read from /proc, so Linux
# only.
bench-peers:
	$(CARGO) bench -p bench --bench peers

# Instructions per unit of work, which a noisy machine cannot blur: callgrind counts a
# workload at two lengths and the difference is divided by the difference of the lengths,
# so the setup cancels out (bench/examples/floor.rs). Needs valgrind. FLOOR_WORKLOADS picks
# some of: getpid w1-mailbox w1-call w2-ring w3-fan-in.
FLOOR_WORKLOADS ?= getpid w1-mailbox w1-call w2-ring w3-fan-in
.PHONY: floor
floor:
	@command -v valgrind >/dev/null || { echo "make floor needs valgrind (apt-get install valgrind)"; exit 1; }
	$(CARGO) build --quiet --profile bench -p bench --example floor
	@for w in $(FLOOR_WORKLOADS); do \
	  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/floor $$w $$1 2>&1 \
	    | awk '/Collected/ { print $$4 }'; }; \
	  a=$$(count 20000); b=$$(count 40000); \
	  [ -n "$$a" ] && [ -n "$$b" ] || { echo "$$w: the run failed"; exit 1; }; \
	  awk -v w=$$w -v a=$$a -v b=$$b 'BEGIN { printf "%-11s %8.1f instructions per unit\n", w, (b - a) / 20000 }'; \
	done

# Hostile input through the command line (sim/tests/integration/hostile): every class of input that
# once hung or aborted the tools, more seeds and larger inputs than `make test` runs
# (HOSTILE_SEEDS, HOSTILE_SCALE); prints the cases per class and the largest memory seen.
HOSTILE_SEEDS ?= 20
HOSTILE_SCALE ?= 4
.PHONY: hostile
hostile:
	HOSTILE_SEEDS=$(HOSTILE_SEEDS) HOSTILE_SCALE=$(HOSTILE_SCALE) \
	  $(CARGO) test --release -p sim --test integration -- --ignored --nocapture hostile::hostile_inputs_at_scale

# 10 million messages through random scenarios, checking that the simulator's memory stays
# flat (docs/performance.md, "Soak"). About half a minute; not part of `test` or CI.
.PHONY: soak
soak:
	$(CARGO) run --release -p testkit --example soak

# Fuzz the trap ABI and the scenario parser (fuzz/, docs/security.md) for FUZZ_SECONDS each.
# cargo-fuzz wants nightly compiler flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take
# them. No sanitizer by default: every crate forbids `unsafe`, and ASan would cost 4x the
# speed (FUZZ_SANITIZER=address to use it). New inputs go to fuzz/corpus/, crashes to
# fuzz/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_SANITIZER ?= none
FUZZ := RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --sanitizer $(FUZZ_SANITIZER) --target-dir $(CURDIR)/fuzz/target
.PHONY: fuzz
fuzz:
	$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	$(FUZZ) trap_abi fuzz/corpus/trap_abi -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096
	$(FUZZ) scenario_parser fuzz/corpus/scenario_parser userland/scenarios -- -max_total_time=$(FUZZ_SECONDS)

clean:
	$(CARGO) clean
