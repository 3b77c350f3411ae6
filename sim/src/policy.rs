//! Policy names and settings as a user writes them: the `--policy` flag and its settings
//! flags (`--quantum 4 --aging 10`), and a scenario's `set policy` and `set quantum` lines.
//!
//! This module owns turning those words and numbers into a kernel [`Policy`]: the names
//! [`NAMES`] the command line accepts, the settings a user gave ([`PolicySettings`]) and the
//! strict [`parse`] that checks them and fills in the defaults, with a message that says
//! what is wrong when they do not fit. The kernel only ever receives the finished `Policy`.
//!
//! It must never build or run a scheduler: that is the kernel's (`Policy::build` and the
//! policies in `kernel::sched`). The defaults it fills in are the kernel's constants
//! (`Policy::DEFAULT_QUANTUM`, …), so the two cannot drift apart.

use crate::Policy;
use abi::Ticks;
use kernel::sched::PriorityOrder;

/// The policy names `--policy` accepts, in the order the docs list them: the words a
/// scenario's `set policy` takes, so the flag and the file cannot disagree.
pub const NAMES: &[&str] = userland::scenario::SettingKey::Policy.words();

/// Turn a policy name and its settings, as the command line and scenario files give them,
/// into a kernel [`Policy`]: `parse("mlfq", &PolicySettings { levels: Some(3), quanta:
/// Some(vec![2, 4, 8]), boost: Some(100), ..Default::default() })`. `round-robin` and `fifo`
/// are taken for `rr` and `fcfs`. Settings left out take their defaults; a setting the policy
/// does not use, or a value out of range, is an error that says which.
pub fn parse(name: &str, settings: &PolicySettings) -> Result<Policy, String> {
    let name = match name {
        "round-robin" => "rr",
        "fifo" => "fcfs",
        other => other,
    };
    let Some(used) = settings_taken(name) else {
        return Err(format!(
            "unknown policy `{name}`: expected one of {}",
            NAMES.join(", ")
        ));
    };
    if let Some(extra) = settings.given().into_iter().find(|k| !used.contains(k)) {
        let takes = if used.is_empty() {
            "no settings".to_string()
        } else {
            format!("only {}", used.join(", "))
        };
        return Err(format!(
            "`{extra}` does not apply to {name} (it takes {takes})"
        ));
    }
    let s = settings;
    Ok(match name {
        "rr" => Policy::RoundRobin {
            quantum: positive("quantum", s.quantum)?.unwrap_or(Policy::DEFAULT_QUANTUM),
        },
        "fcfs" => Policy::Fcfs,
        "sjf" | "srtf" => {
            let alpha_percent =
                percent("alpha", s.alpha_percent)?.unwrap_or(Policy::DEFAULT_ALPHA_PERCENT);
            let initial_estimate = s
                .initial_estimate
                .unwrap_or(Policy::DEFAULT_INITIAL_ESTIMATE);
            if name == "sjf" {
                Policy::Sjf {
                    alpha_percent,
                    initial_estimate,
                }
            } else {
                Policy::Srtf {
                    alpha_percent,
                    initial_estimate,
                }
            }
        }
        "priority" => Policy::Priority {
            quantum: positive("quantum", s.quantum)?,
            aging: s.aging.unwrap_or(0),
            order: s.priority_order.unwrap_or_default(),
        },
        "priority_np" => Policy::PriorityNp {
            aging: s.aging.unwrap_or(0),
            order: s.priority_order.unwrap_or_default(),
        },
        "mlfq" => {
            let boost = s.boost.unwrap_or(Policy::DEFAULT_MLFQ_BOOST);
            let quanta = match (&s.quanta, s.quantum) {
                (Some(_), Some(_)) => {
                    return Err("give either `quanta` (every level's quantum) or `quantum` \
                                (the top level's, doubling down), not both"
                        .to_string())
                }
                (Some(list), None) => {
                    if let Some(levels) = s.levels {
                        if levels != list.len() as u64 {
                            return Err(format!(
                                "`levels` is {levels} but `quanta` lists {} quanta",
                                list.len()
                            ));
                        }
                    }
                    list.clone()
                }
                (None, top) => {
                    let top = positive("quantum", top)?.unwrap_or(Policy::DEFAULT_MLFQ_TOP_QUANTUM);
                    let levels = s.levels.unwrap_or(u64::from(Policy::DEFAULT_MLFQ_LEVELS));
                    if levels == 0 || levels > Policy::MLFQ_MAX_LEVELS as u64 {
                        return Err(format!(
                            "`levels` must be 1 to {}, not {levels}",
                            Policy::MLFQ_MAX_LEVELS
                        ));
                    }
                    (0..levels as u32)
                        .map(|i| top.saturating_mul(1u64 << i))
                        .collect()
                }
            };
            Policy::mlfq(&quanta, boost).ok_or_else(|| {
                format!(
                    "`quanta` must list 1 to {} quanta of at least 1 tick each",
                    Policy::MLFQ_MAX_LEVELS
                )
            })?
        }
        "lottery" => Policy::Lottery {
            quantum: positive("quantum", s.quantum)?.unwrap_or(Policy::DEFAULT_QUANTUM),
        },
        "random" => Policy::Random {
            preempt_percent: percent("preempt", s.preempt_percent)?
                .unwrap_or(Policy::DEFAULT_PREEMPT_PERCENT),
        },
        _ => Policy::Pct {
            depth: match s.depth {
                None => Policy::DEFAULT_PCT_DEPTH,
                Some(d) => crate::limits::pct_depth(d)?,
            },
            steps: s.steps.unwrap_or(Policy::DEFAULT_PCT_STEPS),
        },
    })
}

/// A policy's settings as the command line (`--quantum 4 --aging 10`) or a scenario's `set`
/// lines give them, each `None` when not given. Numbers are taken as given and checked by
/// [`parse`], so a mistake gets a message rather than a silent clamp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySettings {
    /// `quantum`: rr, lottery, priority (among equals), mlfq (the top level's, doubling
    /// down). At least 1.
    pub quantum: Option<Ticks>,
    /// `alpha`: sjf, srtf; percent, 0..=100.
    pub alpha_percent: Option<u64>,
    /// `initial_estimate`: sjf, srtf; ticks.
    pub initial_estimate: Option<Ticks>,
    /// `aging`: priority; ticks of waiting per level, 0 = off.
    pub aging: Option<Ticks>,
    /// `levels`: mlfq; 1..=[`Policy::MLFQ_MAX_LEVELS`].
    pub levels: Option<u64>,
    /// `quanta`: mlfq; every level's quantum, top first.
    pub quanta: Option<Vec<Ticks>>,
    /// `boost`: mlfq; ticks between boosts, 0 = off.
    pub boost: Option<Ticks>,
    /// `depth`: pct; 1..=[`crate::limits::MAX_PCT_DEPTH`].
    pub depth: Option<u64>,
    /// `steps`: pct.
    pub steps: Option<u64>,
    /// `preempt`: random; percent, 0..=100.
    pub preempt_percent: Option<u64>,
    /// `priority_order`: priority, priority_np; which end of the numbers is the most urgent
    /// (`higher_is_higher`, the default, or `lower_is_higher`).
    pub priority_order: Option<PriorityOrder>,
}

impl PolicySettings {
    /// Take every setting `over` gives in place of this one's (flags over a scenario's).
    pub fn overlay(&mut self, over: &mut PolicySettings) {
        fn take<T>(mine: &mut Option<T>, theirs: &mut Option<T>) {
            if theirs.is_some() {
                *mine = theirs.take();
            }
        }
        take(&mut self.quantum, &mut over.quantum);
        take(&mut self.alpha_percent, &mut over.alpha_percent);
        take(&mut self.initial_estimate, &mut over.initial_estimate);
        take(&mut self.aging, &mut over.aging);
        take(&mut self.levels, &mut over.levels);
        take(&mut self.quanta, &mut over.quanta);
        take(&mut self.boost, &mut over.boost);
        take(&mut self.depth, &mut over.depth);
        take(&mut self.steps, &mut over.steps);
        take(&mut self.preempt_percent, &mut over.preempt_percent);
        take(&mut self.priority_order, &mut over.priority_order);
    }

    /// Forget every setting not named in `keep`.
    pub fn keep_only(&mut self, keep: &[&str]) {
        fn drop_unless<T>(keep: &[&str], name: &str, setting: &mut Option<T>) {
            if !keep.contains(&name) {
                *setting = None;
            }
        }
        drop_unless(keep, "quantum", &mut self.quantum);
        drop_unless(keep, "alpha", &mut self.alpha_percent);
        drop_unless(keep, "initial_estimate", &mut self.initial_estimate);
        drop_unless(keep, "aging", &mut self.aging);
        drop_unless(keep, "levels", &mut self.levels);
        drop_unless(keep, "quanta", &mut self.quanta);
        drop_unless(keep, "boost", &mut self.boost);
        drop_unless(keep, "depth", &mut self.depth);
        drop_unless(keep, "steps", &mut self.steps);
        drop_unless(keep, "preempt", &mut self.preempt_percent);
        drop_unless(keep, "priority_order", &mut self.priority_order);
    }

    /// The names of the settings given, as the command line and scenarios spell them.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("quantum", self.quantum.is_some()),
            ("alpha", self.alpha_percent.is_some()),
            ("initial_estimate", self.initial_estimate.is_some()),
            ("aging", self.aging.is_some()),
            ("levels", self.levels.is_some()),
            ("quanta", self.quanta.is_some()),
            ("boost", self.boost.is_some()),
            ("depth", self.depth.is_some()),
            ("steps", self.steps.is_some()),
            ("preempt", self.preempt_percent.is_some()),
            ("priority_order", self.priority_order.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

/// The settings policy `name` takes, as the command line and scenarios spell them; `None`
/// for a name that is no policy.
pub fn settings_taken(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "rr" | "round-robin" | "lottery" => &["quantum"],
        "fcfs" | "fifo" => &[],
        "sjf" | "srtf" => &["alpha", "initial_estimate"],
        "priority" => &["quantum", "aging", "priority_order"],
        "priority_np" => &["aging", "priority_order"],
        "mlfq" => &["quantum", "levels", "quanta", "boost"],
        "random" => &["preempt"],
        "pct" => &["depth", "steps"],
        _ => return None,
    })
}

/// How a run's policy reads in its summary: the bare name when it runs with its default
/// settings, else the name with every setting in force (`rr(quantum=3)`).
pub fn in_force(policy: &Policy) -> String {
    match parse(policy.name(), &PolicySettings::default()) {
        Ok(default) if default == *policy => policy.name().to_string(),
        _ => policy.to_string(),
    }
}

/// A setting that must be at least 1, if given.
fn positive(name: &str, value: Option<u64>) -> Result<Option<u64>, String> {
    match value {
        Some(0) => Err(format!("`{name}` must be at least 1")),
        v => Ok(v),
    }
}

/// A percentage setting, if given.
fn percent(name: &str, value: Option<u64>) -> Result<Option<u8>, String> {
    match value {
        Some(p) if p > 100 => Err(format!("`{name}` is a percentage: 0 to 100, not {p}")),
        v => Ok(v.map(|p| p as u8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_alone_takes_every_default() {
        let d = PolicySettings::default();
        assert_eq!(parse("fcfs", &d), Ok(Policy::Fcfs));
        assert_eq!(parse("round-robin", &d), Ok(Policy::default()));
        assert!(parse("lotto", &d).is_err());
    }

    #[test]
    fn every_name_parses_to_its_defaults_and_back() {
        for name in NAMES {
            let policy = parse(name, &PolicySettings::default()).unwrap();
            assert_eq!(policy.name(), *name);
            assert_eq!(policy.build(0).name(), *name);
        }
        let shown = |name: &str| parse(name, &PolicySettings::default()).unwrap().to_string();
        assert_eq!(shown("rr"), "rr(quantum=10)");
        assert_eq!(shown("fifo"), "fcfs");
        assert_eq!(shown("sjf"), "sjf(alpha=50%, initial=5)");
        assert_eq!(shown("srtf"), "srtf(alpha=50%, initial=5)");
        assert_eq!(shown("priority"), "priority(quantum=none, aging=off)");
        assert_eq!(shown("priority_np"), "priority_np(aging=off)");
        assert_eq!(shown("mlfq"), "mlfq(levels=3, quanta=2,4,8, boost=100)");
        assert_eq!(shown("lottery"), "lottery(quantum=10)");
    }

    #[test]
    fn settings_reach_their_policy() {
        let mlfq = PolicySettings {
            levels: Some(3),
            quanta: Some(vec![2, 4, 8]),
            boost: Some(100),
            ..PolicySettings::default()
        };
        assert_eq!(
            parse("mlfq", &mlfq),
            parse("mlfq", &PolicySettings::default())
        );
        let top = PolicySettings {
            quantum: Some(3),
            levels: Some(4),
            boost: Some(0),
            ..PolicySettings::default()
        };
        assert_eq!(
            parse("mlfq", &top).unwrap().to_string(),
            "mlfq(levels=4, quanta=3,6,12,24, boost=off)"
        );
        let aging = PolicySettings {
            quantum: Some(4),
            aging: Some(10),
            ..PolicySettings::default()
        };
        assert_eq!(
            parse("priority", &aging),
            Ok(Policy::Priority {
                quantum: Some(4),
                aging: 10,
                order: PriorityOrder::HigherIsHigher,
            })
        );
        let book = PolicySettings {
            priority_order: Some(PriorityOrder::LowerIsHigher),
            ..PolicySettings::default()
        };
        assert_eq!(
            parse("priority_np", &book),
            Ok(Policy::PriorityNp {
                aging: 0,
                order: PriorityOrder::LowerIsHigher,
            })
        );
        assert_eq!(
            parse("priority_np", &book).unwrap().to_string(),
            "priority_np(aging=off, order=lower_is_higher)"
        );
        assert_eq!(
            parse("priority", &book).unwrap().to_string(),
            "priority(quantum=none, aging=off, order=lower_is_higher)"
        );
        assert_eq!(
            parse("rr", &book).unwrap_err(),
            "`priority_order` does not apply to rr (it takes only quantum)"
        );
        assert_eq!(
            parse(
                "priority_np",
                &PolicySettings {
                    quantum: Some(2),
                    ..PolicySettings::default()
                }
            )
            .unwrap_err(),
            "`quantum` does not apply to priority_np (it takes only aging, priority_order)"
        );
        let est = PolicySettings {
            alpha_percent: Some(100),
            initial_estimate: Some(0),
            ..PolicySettings::default()
        };
        assert_eq!(
            parse("srtf", &est),
            Ok(Policy::Srtf {
                alpha_percent: 100,
                initial_estimate: 0
            })
        );
        let q = PolicySettings {
            quantum: Some(7),
            ..PolicySettings::default()
        };
        assert_eq!(parse("lottery", &q), Ok(Policy::Lottery { quantum: 7 }));
        assert_eq!(parse("rr", &q), Ok(Policy::RoundRobin { quantum: 7 }));
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let err = |name: &str, s: PolicySettings| parse(name, &s).unwrap_err();
        let d = PolicySettings::default;
        assert_eq!(
            err(
                "fcfs",
                PolicySettings {
                    quantum: Some(3),
                    ..d()
                }
            ),
            "`quantum` does not apply to fcfs (it takes no settings)"
        );
        assert_eq!(
            err(
                "sjf",
                PolicySettings {
                    levels: Some(3),
                    ..d()
                }
            ),
            "`levels` does not apply to sjf (it takes only alpha, initial_estimate)"
        );
        assert_eq!(
            err(
                "rr",
                PolicySettings {
                    quantum: Some(0),
                    ..d()
                }
            ),
            "`quantum` must be at least 1"
        );
        assert_eq!(
            err(
                "srtf",
                PolicySettings {
                    alpha_percent: Some(101),
                    ..d()
                }
            ),
            "`alpha` is a percentage: 0 to 100, not 101"
        );
        assert_eq!(
            err(
                "mlfq",
                PolicySettings {
                    levels: Some(9),
                    ..d()
                }
            ),
            "`levels` must be 1 to 8, not 9"
        );
        assert_eq!(
            err(
                "mlfq",
                PolicySettings {
                    levels: Some(2),
                    quanta: Some(vec![1, 2, 3]),
                    ..d()
                }
            ),
            "`levels` is 2 but `quanta` lists 3 quanta"
        );
        assert!(err(
            "mlfq",
            PolicySettings {
                quanta: Some(vec![1, 0]),
                ..d()
            }
        )
        .contains("at least 1"));
        assert!(err(
            "mlfq",
            PolicySettings {
                quanta: Some(vec![]),
                ..d()
            }
        )
        .contains("1 to 8"));
        assert_eq!(
            err(
                "mlfq",
                PolicySettings {
                    quantum: Some(2),
                    quanta: Some(vec![2]),
                    ..d()
                }
            ),
            "give either `quanta` (every level's quantum) or `quantum` (the top level's, \
             doubling down), not both"
        );
        assert!(err(
            "pct",
            PolicySettings {
                depth: Some(0),
                ..d()
            }
        )
        .contains("`depth`"));
        // A depth beyond the bound would have PCT draw that many change points up front.
        assert_eq!(
            err(
                "pct",
                PolicySettings {
                    depth: Some(4_000_000_000),
                    ..d()
                }
            ),
            "`depth` must be 1 to 1000, not 4000000000"
        );
        assert!(err(
            "random",
            PolicySettings {
                preempt_percent: Some(200),
                ..d()
            }
        )
        .contains("`preempt`"));
        assert!(err("edf", d()).starts_with("unknown policy `edf`: expected one of rr, fcfs"));
    }
}
