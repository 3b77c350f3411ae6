//! Measurements of the simulator, kept out of the product crates so that their heavy
//! dependencies (criterion, tokio, crossbeam, shuttle, loom) build only when something is
//! measured: the benchmarks are in `benches/`, the instruction counts (`make floor`) and PCT
//! against random in `examples/`. `docs/performance.md` has the figures and the commands.
