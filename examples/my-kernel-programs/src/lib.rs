//! My kernel programs: a counter server and its clients, talking over a mailbox.
//!
//! | program                | what it does                                         | `arg`          |
//! |------------------------|------------------------------------------------------|----------------|
//! | `client_server`        | starts the server and the clients, waits for them    | clients (0: 2) |
//! | `client_server.server` | owns the mailbox `counter`; answers each `add N`     | calls to serve |
//! |                        | call with the running total                          |                |
//! | `client_server.client` | finds `counter` by name and adds `arg + 1`, twice    | its index      |
//!
//! A program is an `async` function of a [`Sys`] handle (the syscall stubs) and one `u64`
//! argument, returning its exit code. Helpers are named after their main program with a dot,
//! so that `list` shows only the main programs.
//!
//! The clients may run before the server has created its mailbox (under `sim explore`,
//! any schedule can happen), so a client looks the mailbox up again, yielding in between,
//! until it exists.

use userland::{Capacity, Mode, ProgramTable, Sys};

/// The main program.
pub const CLIENT_SERVER: &str = "client_server";
/// The server the main program spawns.
pub const SERVER: &str = "client_server.server";
/// The client the main program spawns, once per client.
pub const CLIENT: &str = "client_server.client";
/// The name the server registers its mailbox under, and the clients look up.
pub const MAILBOX: &str = "counter";
/// Clients started when `arg` is 0.
pub const DEFAULT_CLIENTS: u64 = 2;
/// Calls each client makes.
pub const CALLS_PER_CLIENT: u64 = 2;
/// Lookups a client makes before it gives up on the server ever creating the mailbox.
pub const LOOKUP_ATTEMPTS: u32 = 100;

/// This crate's program table: what `main.rs` hands the command line, and what the tests
/// boot. A function rather than a table, because every machine gets a fresh one.
pub fn programs() -> ProgramTable {
    let mut table = ProgramTable::new();
    table
        .add(
            CLIENT_SERVER,
            "a counter server and its clients over the mailbox `counter` (arg: clients, 0 = 2)",
            client_server,
        )
        .add(
            SERVER,
            "owns `counter` and answers each `add N` call with the running total (arg: calls)",
            server,
        )
        .add(
            CLIENT,
            "finds `counter` and adds arg + 1 to it twice (arg: its index)",
            client,
        );
    table
}

/// Start the server and the clients, and wait for them all: 0 when every one exited 0.
pub async fn client_server(sys: Sys, arg: u64) -> i32 {
    let clients = if arg == 0 { DEFAULT_CLIENTS } else { arg };
    let mut children = Vec::new();
    let mut started = vec![(SERVER, clients * CALLS_PER_CLIENT)];
    started.extend((0..clients).map(|index| (CLIENT, index)));
    for (program, arg) in started {
        match sys.spawn(program, arg).await {
            Ok(pid) => children.push(pid),
            Err(e) => {
                let _ = sys.print(&format!("could not start {program}: {e}")).await;
                return 1;
            }
        }
    }
    let mut failed = 0;
    for child in children {
        if sys.wait(child).await != Ok(0) {
            failed += 1;
        }
    }
    i32::from(failed > 0)
}

/// Create the mailbox `counter`, answer `calls` calls on it, each `add N` with the total
/// so far, and exit 0; 1 on a request it cannot read or a syscall that fails.
pub async fn server(sys: Sys, calls: u64) -> i32 {
    let Ok(mailbox) = sys.create_mailbox(Capacity::Zero, Some(MAILBOX)).await else {
        return 1;
    };
    let mut total: u64 = 0;
    for _ in 0..calls {
        let Ok(request) = sys.receive(mailbox, Mode::Blocking).await else {
            return 1;
        };
        let text = request.text();
        let Some(n) = text
            .strip_prefix("add ")
            .and_then(|n| n.parse::<u64>().ok())
        else {
            let _ = sys.print(&format!("server: cannot read {text:?}")).await;
            return 1;
        };
        total += n;
        if sys
            .reply(request.sender, total.to_string().as_bytes())
            .await
            .is_err()
        {
            return 1;
        }
    }
    let _ = sys
        .print(&format!("server: {calls} calls, total {total}"))
        .await;
    0
}

/// Find `counter` and add `index + 1` to it [`CALLS_PER_CLIENT`] times, printing each total.
pub async fn client(sys: Sys, index: u64) -> i32 {
    let mut mailbox = None;
    for _ in 0..LOOKUP_ATTEMPTS {
        match sys.lookup_mailbox(MAILBOX).await {
            Ok(found) => {
                mailbox = Some(found);
                break;
            }
            // Not created yet: let the server run.
            Err(_) => sys.yield_now().await,
        }
    }
    let Some(mailbox) = mailbox else {
        let _ = sys
            .print(&format!("client {index}: no mailbox `{MAILBOX}`"))
            .await;
        return 1;
    };
    let request = format!("add {}", index + 1);
    for _ in 0..CALLS_PER_CLIENT {
        match sys.call(mailbox, request.as_bytes(), Mode::Blocking).await {
            Ok(total) => {
                let _ = sys
                    .print(&format!("client {index}: total {}", total.text()))
                    .await;
            }
            Err(_) => return 1,
        }
    }
    0
}
