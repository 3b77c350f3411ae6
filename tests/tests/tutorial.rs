//! The tutorial's first Rust program: two clients call an echo server that shouts back.

use userland::{Capacity, Mode, ProgramTable, Sys};

/// Serve two requests on the mailbox named `shout`, answering each in capitals.
async fn server(sys: Sys, _arg: u64) -> i32 {
    let Ok(mailbox) = sys.create_mailbox(Capacity::Zero, Some("shout")).await else {
        return 1;
    };
    for _ in 0..2 {
        let Ok(request) = sys.receive(mailbox, Mode::Blocking).await else {
            return 1;
        };
        let answer = request.text().to_uppercase();
        if sys.reply(request.sender, answer.as_bytes()).await.is_err() {
            return 1;
        }
    }
    0
}

/// Find the server's mailbox by name, call it, and print the answer.
async fn client(sys: Sys, arg: u64) -> i32 {
    let Ok(mailbox) = sys.lookup_mailbox("shout").await else {
        return 1;
    };
    let question = format!("hello from client {arg}");
    match sys.call(mailbox, question.as_bytes(), Mode::Blocking).await {
        Ok(answer) => {
            let _ = sys
                .print(&format!("client {arg} got {}", answer.text()))
                .await;
            0
        }
        Err(_) => 1,
    }
}

/// Start the server and two clients, and wait for all three.
async fn main_program(sys: Sys, _arg: u64) -> i32 {
    let mut children = Vec::new();
    for (program, arg) in [
        ("shout.server", 0),
        ("shout.client", 0),
        ("shout.client", 1),
    ] {
        match sys.spawn(program, arg).await {
            Ok(pid) => children.push(pid),
            Err(_) => return 1,
        }
    }
    for child in children {
        if sys.wait(child).await != Ok(0) {
            return 1;
        }
    }
    0
}

#[test]
fn the_server_shouts_back_to_each_client() {
    let mut programs = ProgramTable::new();
    programs
        .add("shout", "two clients and an echo server", main_program)
        .add("shout.server", "answers in capitals", server)
        .add("shout.client", "asks once", client);
    let report = testkit::run(programs, "shout");
    assert!(report.succeeded());
    assert_eq!(
        report.console_text(),
        [
            "client 0 got HELLO FROM CLIENT 0",
            "client 1 got HELLO FROM CLIENT 1"
        ]
    );
    insta::assert_snapshot!(report.trace_text());
}

/// The tutorial shows this file; the two must never drift apart.
#[test]
fn the_tutorial_shows_this_file_as_it_is() {
    let tutorial = include_str!("../../docs/tutorial.md");
    let this_file = include_str!("tutorial.rs");
    let start = tutorial
        .find("```rust\n//! The tutorial's first Rust program")
        .expect("the tutorial shows the program")
        + "```rust\n".len();
    let len = tutorial[start..].find("\n```").expect("the block ends") + 1;
    assert_eq!(&tutorial[start..start + len], this_file);
}
