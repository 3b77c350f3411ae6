//! `deadlock`: two processes that each wait for the other, so the machine stops and reports
//! the wait-for cycle.
//!
//! The main process spawns a partner and then receives only from it (a symmetric receive);
//! the partner receives only from the main process. Neither ever sends, so both block for
//! ever: nothing is ready and no timer is armed, and the machine reports the cycle
//! `deadlock -> partner -> deadlock`. It is the smallest program that shows what the
//! deadlock report looks like.

use crate::{Mode, Pid, ProgramTable, Source, Sys};

/// The main program's name.
pub const NAME: &str = "deadlock";
/// The partner program; its `arg` is the main process's pid.
pub const PARTNER: &str = "deadlock.partner";

/// Add `deadlock` and its partner to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        NAME,
        "deadlock: two processes each wait in a receive from the other; the machine stops \
         and reports the wait-for cycle (arg: unused)",
        run,
    );
    table.add(
        PARTNER,
        "deadlock's partner: receives only from the main process (arg: its pid)",
        partner,
    );
}

/// Spawn the partner, then wait for a message only it could send.
pub async fn run(sys: Sys, _arg: u64) -> i32 {
    let me = sys.getpid().await;
    let Ok(partner) = sys.spawn(PARTNER, me.raw()).await else {
        return 1;
    };
    match sys.receive(Source::Process(partner), Mode::Blocking).await {
        Ok(_) => 0,
        Err(_) => 1,
    }
}

/// Wait for a message only the main process could send.
async fn partner(sys: Sys, main: u64) -> i32 {
    match sys
        .receive(Source::Process(Pid::from_raw(main)), Mode::Blocking)
        .await
    {
        Ok(_) => 0,
        Err(_) => 1,
    }
}
