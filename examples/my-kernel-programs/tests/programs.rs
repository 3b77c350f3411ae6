//! The programs run as a test wants them run (`sim::testing`: every kernel invariant checked,
//! every message accounted for, no process panicked), with the trace kept as a snapshot.

use my_kernel_programs::{programs, CLIENT_SERVER};

#[test]
fn every_client_is_served_and_the_totals_add_up() {
    let report = sim::testing::run(programs(), CLIENT_SERVER);
    assert!(report.succeeded(), "{:?}", report.outcome);
    let mut said = report.console_text();
    said.sort();
    // Clients 0 and 1 add 1 and 2, twice each: the last total is 6 whatever the order.
    assert_eq!(
        said,
        [
            "client 0: total 1",
            "client 0: total 4",
            "client 1: total 3",
            "client 1: total 6",
            "server: 4 calls, total 6"
        ]
    );
    assert_eq!((report.ledger.sent, report.ledger.received), (4, 4));
    insta::assert_snapshot!(report.trace_text());
}

#[test]
fn more_clients_are_served_too() {
    let mut config = sim::testing::config();
    config.cpus = 2;
    let mut table = programs();
    // A test may add programs of its own: here, the main program with five clients.
    table.add("five_clients", "client_server with 5 clients", |sys, _| {
        my_kernel_programs::client_server(sys, 5)
    });
    let report = sim::testing::run_with(config, table, "five_clients");
    assert!(report.succeeded(), "{:?}", report.outcome);
    // 2 × (1 + 2 + 3 + 4 + 5).
    assert!(report
        .console_text()
        .contains(&"server: 10 calls, total 30"));
}

#[test]
fn no_schedule_breaks_it() {
    // Searches seeded schedules (PCT, bug depth 3) and panics with the seed that replays a
    // failure: a client that ran before the server made its mailbox, say.
    sim::explore::check_pct(programs, CLIENT_SERVER, 0..200, 3);
}
