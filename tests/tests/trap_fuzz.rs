//! The `trap_abi` fuzz target's decoding, bounded, in `make test`: arbitrary bytes become
//! trap frames raised by 2–4 processes (`testkit::hostile`, the same code the fuzz
//! target in `fuzz/` calls), run with every kernel invariant checked after every kernel
//! entry. A case fails if the kernel or the machine panics, an invariant breaks, the ledger
//! does not balance, a process faults, or any returned registers contradict `docs/abi.md`.
//!
//! 1,000 cases of random bytes and 500 of edited seed inputs by default; `PROPTEST_CASES`
//! to hunt longer (`make fuzz` is the unbounded hunt).

use proptest::collection::vec;
use proptest::prelude::*;
use std::path::PathBuf;
use testkit::hostile::{self, decode, encode, run, run_bytes, Trial};

fn cases() -> u32 {
    testkit::proptest_cases(1_000)
}

/// The seed inputs encoded, with random bytes replaced, inserted or removed: valid-looking
/// frames that reach further into the kernel than random bytes do.
fn edited_seed() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = hostile::seeds().iter().map(|(_, t)| encode(t)).collect();
    (
        prop::sample::select(seeds),
        vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8),
    )
        .prop_map(|(mut bytes, edits)| {
            for (at, how, b) in edits {
                if bytes.is_empty() {
                    bytes.push(b);
                    continue;
                }
                let i = at.index(bytes.len());
                match how {
                    0 => bytes[i] = b,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, b),
                }
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_as_trap_frames_never_break_the_kernel(data in vec(any::<u8>(), 0..1_500)) {
        if let Err(broken) = run_bytes(&data) {
            prop_assert!(false, "{}\ninput: {:?}", broken, data);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases() / 2,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn edited_seeds_never_break_the_kernel(data in edited_seed()) {
        if let Err(broken) = run_bytes(&data) {
            prop_assert!(false, "{}\ninput: {:?}", broken, data);
        }
    }
}

#[test]
fn decoding_is_total_and_bounded() {
    assert_eq!(
        decode(&[]).scripts.len(),
        2,
        "an empty input is two idle processes"
    );
    assert!(decode(&[]).scripts.iter().all(Vec::is_empty));
    // Every byte of a long input is a frame header at most: the frame cap holds.
    let long = vec![0u8; 100_000];
    let trial = decode(&long);
    let frames: usize = trial.scripts.iter().map(Vec::len).sum();
    assert_eq!(frames, hostile::MAX_FRAMES);
    // A frame cut short reads its missing bytes as 0 and still runs.
    let cut = [1, 0, 0, 0xff, 0x01];
    let trial = decode(&cut);
    assert_eq!(trial.scripts.len(), 3);
    assert_eq!(trial.scripts[0][0].sysno, 1);
    run(&trial).expect("a cut frame is an ordinary frame");
}

#[test]
fn every_seed_decodes_to_itself_and_reaches_what_it_was_written_for() {
    use abi::Error::*;
    use abi::Sysno::*;
    // What each seed must reach: syscalls that succeed, and errors the kernel answers with.
    type Wanted = (&'static str, &'static [abi::Sysno], &'static [abi::Error]);
    let wanted: &[Wanted] = &[
        (
            "mailbox",
            &[CreateMailbox, LookupMailbox, Send, Receive, DeleteMailbox],
            &[],
        ),
        ("call-reply", &[Call, Receive, Reply], &[]),
        ("spawn-wait", &[Spawn, Wait, GetPid], &[NoSuchProcess]),
        (
            "stale-mailbox",
            &[CreateMailbox, DeleteMailbox, Send],
            &[NoSuchMailbox],
        ),
        ("transfer", &[TransferMailbox, DeleteMailbox], &[NotOwner]),
        (
            "malformed",
            &[GetPid, Yield],
            &[
                UnknownSyscall,
                InvalidArgument,
                MessageTooLarge,
                NoSuchProgram,
            ],
        ),
        ("deadlock", &[Send, Receive, Compute], &[Deadlock]),
        ("memory", &[Send, Receive, Sleep], &[OutOfMemory, TimedOut]),
    ];
    let seeds = hostile::seeds();
    assert_eq!(seeds.len(), wanted.len(), "every seed says what it reaches");
    for ((name, trial), (want_name, calls, errors)) in seeds.iter().zip(wanted) {
        assert_eq!(name, want_name);
        assert_eq!(&decode(&encode(trial)), trial, "seed {name} round-trips");
        let summary = run(trial).unwrap_or_else(|e| panic!("seed {name}: {e}"));
        for &call in *calls {
            assert!(
                summary.succeeded[call as usize] > 0,
                "seed {name}: no {} succeeded: {summary:?}",
                call.name()
            );
        }
        for e in *errors {
            assert!(
                summary.refused.contains_key(e),
                "seed {name}: never refused with {e}: {summary:?}"
            );
        }
    }
}

/// Where the fuzz target's seed inputs live.
fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/trap_abi")
}

/// The committed corpus holds every seed as [`encode`] writes it today, so a change to the
/// encoding cannot silently turn the seeds into other programs. `HOSTILE_WRITE_SEEDS=1`
/// rewrites them after a deliberate change.
#[test]
fn the_fuzz_corpus_holds_every_seed_as_encoded_today() {
    let write = std::env::var_os("HOSTILE_WRITE_SEEDS").is_some();
    for (name, trial) in hostile::seeds() {
        let path = corpus().join(format!("seed-{name}"));
        let bytes = encode(&trial);
        if write {
            std::fs::create_dir_all(corpus()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (HOSTILE_WRITE_SEEDS=1 writes it)", path.display())
        });
        assert_eq!(stored, bytes, "{} is out of date", path.display());
    }
}

/// Corpus inputs are regression cases: every named one (the seeds, and any crash kept under
/// a name) and a fixed sixteenth of those the fuzzer named by their hash (the first hex
/// digit 0), which keeps `make test` short in a debug build; `make fuzz` starts by running
/// the whole corpus.
#[test]
fn the_corpus_inputs_run_clean() {
    let (mut named, mut sampled) = (0, 0);
    for entry in std::fs::read_dir(corpus()).expect("the corpus exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let hashed = name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if hashed && !name.starts_with('0') {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        if let Err(broken) = run_bytes(&data) {
            panic!("{}: {broken}", path.display());
        }
        if hashed {
            sampled += 1;
        } else {
            named += 1;
        }
    }
    assert!(named >= hostile::seeds().len(), "{named} named inputs");
    assert!(sampled > 0, "a sample of the fuzzer's inputs ran");
}

#[test]
fn a_trial_with_every_knob_runs() {
    let trial = Trial {
        knobs: u8::MAX,
        ..decode(&encode(&hostile::seeds()[0].1))
    };
    run(&trial).expect("every setting at once");
}

/// The decoding is meant to reach deep: random bytes (from a fixed generator, so the test is
/// the same on every run) must make most syscalls succeed somewhere, messages among them, and
/// draw most refusals, or the property tests above would only be testing the decoder's
/// error paths. (Calls that need two processes to agree on a name or a server, such as
/// `lookup_mailbox` and `call`, are rare in random bytes; the edited seeds and the fuzzer
/// reach them.)
#[test]
fn random_bytes_reach_every_syscall_and_most_refusals() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        // xorshift64: any fixed sequence of bytes will do.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    let mut succeeded = [0u64; 17];
    let mut refused = std::collections::BTreeMap::new();
    let mut frames = 0;
    for _ in 0..300 {
        let data: Vec<u8> = (0..600).map(|_| next()).collect();
        let summary = run_bytes(&data).unwrap_or_else(|e| panic!("{e}\ninput: {data:?}"));
        for (total, n) in succeeded.iter_mut().zip(summary.succeeded) {
            *total += n;
        }
        for (e, n) in summary.refused {
            *refused.entry(e).or_insert(0) += n;
        }
        frames += summary.frames;
    }
    assert!(frames > 5_000, "{frames} frames");
    let reached = succeeded.iter().filter(|&&n| n > 0).count();
    assert!(reached >= 12, "{reached} syscalls succeeded: {succeeded:?}");
    for call in [
        abi::Sysno::Send,
        abi::Sysno::Receive,
        abi::Sysno::Spawn,
        abi::Sysno::Wait,
    ] {
        assert!(succeeded[call as usize] > 0, "no {} succeeded", call.name());
    }
    assert!(refused.len() >= 14, "{refused:?}");
}
