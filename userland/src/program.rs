//! Programs: what a process runs, and the table the machine loads them from.
//!
//! A program is an async function of its [`Sys`] handle and one `u64` argument that ends with
//! an exit code. The machine polls it on a simulated CPU; it never sees a host thread.

use crate::Sys;
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
#[derive(Clone, Default)]
pub struct ProgramTable {
    programs: Vec<Program>,
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
        match self.programs.iter_mut().find(|p| p.name == name) {
            Some(slot) => *slot = program,
            None => self.programs.push(program),
        }
        self
    }

    /// The program called `name`.
    pub fn get(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
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
