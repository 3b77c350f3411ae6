//! A process that owns many mailboxes: transfers and deletes in any order keep every other
//! mailbox owned, and an exit deletes exactly what the process still owns. (The kernel
//! unlists a mailbox from its owner in O(1); the invariant check after every syscall verifies
//! the bookkeeping.)

use abi::{Capacity, Error, MailboxId, Mode};
use testkit::{run, Log};
use userland::{ProgramTable, Sys};

#[test]
fn transfers_and_deletes_in_any_order_keep_the_rest_owned() {
    let log: Log<(String, Result<(), Error>)> = Log::new();
    let mut t = ProgramTable::new();
    let l = log.clone();
    t.add("main", "owns five mailboxes", move |sys: Sys, _| {
        let log = l.clone();
        async move {
            let mut boxes = Vec::new();
            for _ in 0..5 {
                boxes.push(
                    sys.create_mailbox(Capacity::Bounded(1), None)
                        .await
                        .unwrap(),
                );
            }
            let heir = sys.spawn("heir", boxes[1].raw()).await.unwrap();
            // Unlist from the middle, the front and the back of the owner's list.
            log.push((
                "transfer 1".into(),
                sys.transfer_mailbox(boxes[1], heir).await,
            ));
            log.push(("delete 0".into(), sys.delete_mailbox(boxes[0]).await));
            log.push(("delete 4".into(), sys.delete_mailbox(boxes[4]).await));
            for (i, mb) in boxes.iter().enumerate() {
                let r = sys.receive(*mb, Mode::NonBlocking).await.map(drop);
                log.push((format!("receive {i}"), r));
            }
            let r = sys.send(boxes[1], b"bye", Mode::Blocking).await;
            log.push(("send to heir's box".into(), r));
            log.push(("wait heir".into(), sys.wait(heir).await.map(drop)));
            let r = sys.send(boxes[1], b"x", Mode::NonBlocking).await;
            log.push(("send to heir's box after its exit".into(), r));
            0
        }
    });
    t.add(
        "heir",
        "receives on the box it was given",
        |sys: Sys, mb: u64| async move {
            let mb = MailboxId::from_raw(mb);
            // It becomes the owner once main's transfer has run; then it waits for "bye".
            loop {
                match sys.receive(mb, Mode::Blocking).await {
                    Err(Error::NotOwner) => sys.yield_now().await,
                    Ok(m) if m.bytes == b"bye" => return 0,
                    _ => return 1,
                }
            }
        },
    );
    let report = run(t, "main");
    assert!(report.succeeded(), "{:?}", report.exited);
    let got = log.entries();
    let expect: Vec<(&str, Result<(), Error>)> = vec![
        ("transfer 1", Ok(())),
        ("delete 0", Ok(())),
        ("delete 4", Ok(())),
        ("receive 0", Err(Error::NoSuchMailbox)),
        ("receive 1", Err(Error::NotOwner)),
        ("receive 2", Err(Error::WouldBlock)),
        ("receive 3", Err(Error::WouldBlock)),
        ("receive 4", Err(Error::NoSuchMailbox)),
        ("send to heir's box", Ok(())),
        ("wait heir", Ok(())),
        (
            "send to heir's box after its exit",
            Err(Error::NoSuchMailbox),
        ),
    ];
    let got: Vec<(&str, Result<(), Error>)> = got.iter().map(|(s, r)| (s.as_str(), *r)).collect();
    assert_eq!(got, expect);
}
