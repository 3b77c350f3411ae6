//! Programs: what a process runs, and the table the machine loads them from.
//!
//! A program is an async function of its [`Sys`] handle and one `u64` argument that ends with
//! an exit code. The machine polls it on a simulated CPU; it never sees a host thread.

use crate::Sys;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A running program's body, as the machine polls it.
pub type ProcessFuture = Pin<Box<dyn Future<Output = i32>>>;

/// How a process of a program starts: its handle and its argument in, its body out.
pub type Entry = Rc<dyn Fn(Sys, u64) -> ProcessFuture>;

/// A program the machine can spawn.
#[derive(Clone)]
pub struct Program {
    /// The name `spawn` uses.
    pub name: String,
    /// One line on what it shows.
    pub about: String,
    /// Its entry point.
    pub entry: Entry,
}

/// The programs a machine is booted with, in the order they were added.
///
/// A scenario adds one program per process declaration, so a table can hold as many
/// programs as a file holds declarations: finding one by name is a lookup in an ordered
/// index (deterministic, like everything the machine does), not a scan.
#[derive(Clone, Default)]
pub struct ProgramTable {
    /// In the order added: a program's position is its id.
    programs: Vec<Program>,
    /// Each name, with its position in `programs`.
    index: BTreeMap<String, usize>,
}

impl ProgramTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `entry` under `name`, replacing a program of the same name.
    pub fn add<F, Fut>(&mut self, name: &str, about: &str, entry: F) -> &mut Self
    where
        F: Fn(Sys, u64) -> Fut + 'static,
        Fut: Future<Output = i32> + 'static,
    {
        let entry: Entry = Rc::new(move |sys, arg| Box::pin(entry(sys, arg)) as ProcessFuture);
        let program = Program {
            name: name.to_string(),
            about: about.to_string(),
            entry,
        };
        crate::work::step(1);
        match self.index.get(name) {
            Some(&at) => self.programs[at] = program,
            None => {
                self.index.insert(name.to_string(), self.programs.len());
                self.programs.push(program);
            }
        }
        self
    }

    /// The program called `name`.
    pub fn get(&self, name: &str) -> Option<&Program> {
        crate::work::step(1);
        self.index.get(name).map(|&at| &self.programs[at])
    }

    /// The program added `index`-th (from 0), which is its id in a kernel built from
    /// [`ProgramTable::names`].
    pub fn at(&self, index: usize) -> Option<&Program> {
        self.programs.get(index)
    }

    /// Every program, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Program> {
        self.programs.iter()
    }

    /// Every program's name, in the order added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.programs.iter().map(|p| p.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 80,000 programs, as a scenario with 80,000 declarations adds: adding and finding
    /// each is a lookup, not a scan, and the table keeps its order.
    #[test]
    fn many_programs_are_added_and_found_by_name_in_order() {
        let n = 80_000;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut t = ProgramTable::new();
            for i in 0..n {
                t.add(&format!("p{i}"), "", |_, _| async { 0 });
            }
            t.add("p7", "replaced", |_, _| async { 7 });
            let found = (0..n).all(|i| t.get(&format!("p{i}")).is_some());
            let _ = tx.send((t.names().map(str::to_string).collect::<Vec<_>>(), found, {
                let p7 = t.get("p7").map(|p| p.about.clone());
                (
                    p7,
                    t.at(7).map(|p| p.about.clone()),
                    t.get("p80000").is_none(),
                )
            }));
        });
        let (names, found, (p7, at7, missing)) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("80,000 adds and lookups within 20 s");
        assert!(found);
        assert_eq!(names.len(), n, "a replaced program is not added twice");
        assert!(names
            .iter()
            .enumerate()
            .all(|(i, name)| *name == format!("p{i}")));
        assert_eq!(p7.as_deref(), Some("replaced"));
        assert_eq!(at7.as_deref(), Some("replaced"), "replaced in its place");
        assert!(missing);
    }
}
