//! The split of one search into pieces that shards search without talking to each other.
//!
//! This module owns the plan of a sharded search: how the search tree is cut into pieces,
//! and which shard searches which. Every shard makes the same planning runs, in the same
//! order, so every shard draws the same plan without being told it. It never decides how a
//! piece is searched (that is the search's, with the whole reduction), and never gives one
//! interleaving to two pieces.
//!
//! **Pieces.** A piece is the subtree of the interleavings that start with a given
//! sequence of choices. The plan starts with one piece, the whole search, and its first
//! interleaving. To cut a piece, it goes down that interleaving to the first node whose
//! races ask for another choice (the *split node*): every choice at that node and at each
//! node above it (down from the piece's root) other than the one the interleaving took
//! becomes a piece of its own, whose first interleaving the plan runs; what is left, the
//! interleavings that follow the first one through the split node, is the piece's *tail*.
//! The biggest piece by estimate is cut again and again, until none is a big share of a
//! shard's work or the planning runs are spent. Then the pieces, biggest first, go to the
//! shard with the least work so far.
//!
//! **Estimates.** A piece's estimate is the product of the choices its first
//! interleaving's races ask for at the nodes below its root: what the tree would hold if
//! every node branched as that one path does. It sees none of the choices later races ask
//! for, so it is rough: it ranks pieces better than it sizes them.
//!
//! **Why it is sound.** Above a piece's root every choice belongs to some piece, so a race
//! found inside a piece that asks for a choice up there asks for one some piece searches,
//! and the piece need not. Within a piece, the search is the whole search's. Each piece's
//! root is reached as the whole search reaches it, after the same siblings (the choice the
//! first interleaving took, then the others in the order of processes), with the same
//! sleep set: what a piece passes over as covered, an earlier piece covers.

use super::steps::P;
use super::{add_backtracks, within, Halt, Node, Piece, Runner};
use crate::explore::Shard;
use std::path::{Path, PathBuf};

/// How many runs the plan may make, per shard, to cut pieces beyond the first cut of the
/// whole search. Every shard makes them all.
const PLAN_RUNS_PER_SHARD: u64 = 128;

/// Pieces are cut until the biggest is estimated at no more than this fraction of one
/// shard's share: several pieces per shard even out some of the estimates' errors.
const PIECES_PER_SHARD: f64 = 4.0;

/// The plan: every piece, biggest first by estimate, with the shard the estimates give it to.
pub(super) struct Split {
    pub pieces: Vec<(Piece, u64)>,
    /// What names this plan among others' (its pieces' choices, and the count of shards),
    /// so that claims in a directory shared by another search are not taken for its own.
    pub fingerprint: u64,
}

/// A piece while planning: its first interleaving, laid out.
struct Part {
    /// How many of the stack's first choices the piece's interleavings all start with.
    root: usize,
    stack: Vec<Node>,
    estimate: f64,
    cut: bool,
}

/// Whether `w` is another choice at `node`: not the one taken, and not asleep there.
fn other(node: &Node, w: P) -> bool {
    w != node.chosen && !node.sleep.iter().any(|(q, _)| *q == w)
}

/// How many other choices at `node` its races ask for.
fn asked(node: &Node) -> usize {
    node.backtrack.iter().filter(|w| other(node, **w)).count()
}

/// Every other choice at node `t` of `stack` that can run there within the preemption
/// bound: each is a piece when the node is cut.
fn others(stack: &[Node], t: usize, bound: Option<u32>) -> Vec<P> {
    let node = &stack[t];
    let fits = |w: &&P| within(stack, t, &node.enabled, node.preemptions, **w, bound);
    node.enabled
        .iter()
        .filter(fits)
        .filter(|w| other(node, **w))
        .copied()
        .collect()
}

impl Part {
    /// Run the piece whose interleavings start with `stack`, and read the choices its
    /// races ask for below its root.
    fn lay_out(runner: &mut Runner<'_>, mut stack: Vec<Node>) -> Result<Part, Halt> {
        let root = stack.len();
        let ext = runner.extend(&mut stack)?;
        let settings = runner.settings;
        if !settings.exhaustive {
            let fresh = ext.fresh..stack.len();
            let forget = settings.forget_dependence;
            add_backtracks(
                &mut stack,
                &ext.read.steps,
                fresh,
                forget,
                settings.preemptions,
            );
        }
        Ok(Part::below(root, stack))
    }

    /// The piece of `stack`'s interleavings that start with its first `root` choices.
    fn below(root: usize, stack: Vec<Node>) -> Part {
        let estimate = stack[root.min(stack.len())..]
            .iter()
            .map(|node| 1.0 + asked(node) as f64)
            .product::<f64>()
            .min(f64::MAX);
        Part {
            root,
            stack,
            estimate,
            cut: false,
        }
    }

    /// The split node: the first below the root where a race asks for another choice.
    fn split_node(&self) -> Option<usize> {
        (self.root..self.stack.len()).find(|&t| asked(&self.stack[t]) > 0)
    }

    /// How many runs cutting it takes: one per piece cut off.
    fn cost(&self, bound: Option<u32>) -> u64 {
        self.split_node().map_or(0, |split| {
            let each = |t: usize| others(&self.stack, t, bound).len() as u64;
            (self.root..=split).map(each).sum()
        })
    }
}

impl Split {
    /// Draw the plan for `shard`: the same runs and the same plan in every shard.
    pub(super) fn plan(runner: &mut Runner<'_>, shard: Shard) -> Result<Split, Halt> {
        let n = shard.count;
        let bound = runner.settings.preemptions;
        let start = runner.runs;
        let mut parts = vec![Part::lay_out(runner, Vec::new())?];
        let mut budget = None;
        loop {
            let whole = |i: &usize| !parts[*i].cut;
            let total: f64 = (0..parts.len())
                .filter(whole)
                .map(|i| parts[i].estimate)
                .sum();
            let biggest = (0..parts.len()).filter(whole).max_by(|&a, &b| {
                parts[a]
                    .estimate
                    .total_cmp(&parts[b].estimate)
                    .then(b.cmp(&a))
            });
            let Some(i) = biggest else { break };
            let cost = parts[i].cost(bound);
            // The first cut is always made (with a choice to cut at): it is what gives
            // every shard a piece. Later cuts only while they fit the budget, at the runs a
            // piece's first interleaving has taken so far (re-runs included).
            let limit = *budget.get_or_insert(runner.runs + PLAN_RUNS_PER_SHARD.saturating_mul(n));
            let each = (runner.runs - start).div_ceil(parts.len() as u64);
            let first = parts.len() == 1;
            if cost == 0
                || !first
                    && (parts[i].estimate * PIECES_PER_SHARD <= total / n as f64
                        || runner.runs.saturating_add(cost.saturating_mul(each)) > limit)
            {
                break;
            }
            cut(runner, &mut parts, i)?;
        }

        // Biggest first, each to the shard with the least work so far.
        let mut order: Vec<usize> = (0..parts.len()).filter(|&i| !parts[i].cut).collect();
        order.sort_by(|&a, &b| {
            parts[b]
                .estimate
                .total_cmp(&parts[a].estimate)
                .then(a.cmp(&b))
        });
        let mut load = vec![0.0_f64; n as usize];
        let mut pieces = Vec::new();
        let mut fingerprint = Fingerprint::default();
        fingerprint.add(n);
        for i in order {
            let least = (0..load.len())
                .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
                .unwrap_or(0);
            load[least] += parts[i].estimate;
            let part = &parts[i];
            let stack = part.stack[..part.root].to_vec();
            fingerprint.add(stack.len() as u64);
            for node in &stack {
                fingerprint.add(u64::from(node.chosen.index()));
            }
            let piece = Piece {
                stack,
                floor: part.root,
            };
            pieces.push((piece, least as u64));
        }
        Ok(Split {
            pieces,
            fingerprint: fingerprint.0,
        })
    }
}

/// Cut part `i` at its split node: a piece for each other choice at that node and at each
/// node above it down from the root, each reached as the search reaches it (after the
/// choice the first interleaving took and the other choices before it in the order of
/// processes, all of them done), and the tail.
fn cut(runner: &mut Runner<'_>, parts: &mut Vec<Part>, i: usize) -> Result<(), Halt> {
    let bound = runner.settings.preemptions;
    let Some(split) = parts[i].split_node() else {
        return Ok(());
    };
    for t in parts[i].root..=split {
        let node = &parts[i].stack[t];
        let mut done = vec![(node.chosen, node.touched.clone())];
        for w in others(&parts[i].stack, t, bound) {
            let mut stack = parts[i].stack[..=t].to_vec();
            let root = &mut stack[t];
            root.done = done.clone();
            root.chosen = w;
            let part = Part::lay_out(runner, stack)?;
            done.push((w, part.stack[t].touched.clone()));
            parts.push(part);
        }
    }
    let tail = Part::below(split + 1, parts[i].stack.clone());
    parts.push(tail);
    parts[i].cut = true;
    Ok(())
}

/// FNV-1a over a plan's numbers: the same in every shard of one search, and (almost surely)
/// another in another search.
struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    fn add(&mut self, n: u64) {
        for byte in n.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A directory in which the shards of one search take pieces as they come free: a piece is
/// the first claimer's, who creates its file (creating a file that must not exist yet is
/// atomic on every file system a cluster shares, NFS included since version 3).
pub(super) struct Claims {
    dir: PathBuf,
    plan: u64,
}

impl Claims {
    /// Claims for the plan `plan` in `dir`, made if it is not there.
    pub(super) fn open(dir: &Path, plan: u64) -> Result<Claims, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot make the claims directory {}: {e}", dir.display()))?;
        Ok(Claims {
            dir: dir.to_path_buf(),
            plan,
        })
    }

    /// Claim piece `index`: `true` if this shard is the first.
    pub(super) fn take(&self, index: usize) -> Result<bool, String> {
        let path = self.dir.join(format!("{:016x}-{index}", self.plan));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(format!(
                "cannot claim a piece in {}: {e}",
                self.dir.display()
            )),
        }
    }
}
