//! `rpc`: request and reply with `call`, served over a process's direct inbox.
//!
//! The server ([`SERVER`]) receives with [`Source::Any`] on its own inbox (asymmetric direct
//! naming: it does not know its clients in advance). A client's `call` sends a request and
//! waits for the answer in one trap; the server sees `is_call` on such a message and answers
//! with `reply` to the stamped sender. A plain `send` is not a call and gets no reply: the
//! main process uses one, `"quit"`, to stop the server.
//!
//! Requests are text: `"add A B"` is answered with the sum as text, anything else with a
//! line starting with `"error:"`.
//!
//! Clients ([`CLIENT`]) get the server's pid as `arg`. Each learns its own index from a
//! first direct message from the main process (8 bytes, little-endian), which the client
//! takes with `receive(Source::Any)` before making its calls.

use super::support::{exit_code, fail, or_default, reap, say, Check, Outcome};
use crate::{Mode, Pid, ProgramTable, Source, SpawnOptions, Sys};

/// The main program's name.
pub const NAME: &str = "rpc";
/// The server program; its `arg` is unused.
pub const SERVER: &str = "rpc.server";
/// The client program; its `arg` is the server's raw pid.
pub const CLIENT: &str = "rpc.client";
/// Clients spawned when `arg` is 0.
pub const DEFAULT_CLIENTS: u64 = 2;
/// How many calls each client makes.
pub const CALLS_PER_CLIENT: u64 = 2;
/// The plain message that stops the server.
pub const QUIT: &[u8] = b"quit";

/// Add `rpc`, its server and its client to `table`.
pub fn register(table: &mut ProgramTable) {
    table.add(
        NAME,
        "remote procedure call: clients `call` a server that receives from any sender and \
         `reply`s; a plain send stops it (arg: clients, 0 = 2)",
        run,
    );
    table.add(
        SERVER,
        "rpc's server: answers \"add A B\" calls on its inbox until a plain \"quit\" message",
        server,
    );
    table.add(
        CLIENT,
        "rpc's client: learns its index from a first message, then calls the server twice \
         (arg: the server's pid)",
        client,
    );
}

/// Spawns the server and `arg` clients (0 means [`DEFAULT_CLIENTS`]), waits for the
/// clients, then stops the server and waits for it. Exits 0 when every process exited 0.
pub async fn run(sys: Sys, arg: u64) -> i32 {
    let outcome = main_body(&sys, or_default(arg, DEFAULT_CLIENTS)).await;
    exit_code(&sys, NAME, outcome).await
}

async fn main_body(sys: &Sys, clients: u64) -> Outcome {
    let server = sys
        .spawn_with(SpawnOptions::new(SERVER, 0).label("server"))
        .await
        .check("spawn server")?;
    say(sys, &format!("main: server is {server}")).await?;
    // Whatever happens to the clients, stop the server before reporting it.
    let clients_outcome = start_and_reap_clients(sys, server, clients).await;
    sys.send(server, QUIT, Mode::Blocking)
        .await
        .check("send \"quit\" to the server")?;
    reap(sys, server, "server").await?;
    clients_outcome?;
    say(sys, "main: all clients done, server stopped").await
}

async fn start_and_reap_clients(sys: &Sys, server: Pid, clients: u64) -> Outcome {
    let mut pids = Vec::new();
    for index in 0..clients {
        let label = format!("client {index}");
        let pid = sys
            .spawn_with(SpawnOptions::new(CLIENT, server.raw()).label(&label))
            .await
            .check(&format!("spawn {label}"))?;
        // The client's inbox has capacity zero: this waits until it takes the message, which
        // is the first thing it does.
        sys.send(pid, &index.to_le_bytes(), Mode::Blocking)
            .await
            .check(&format!("send {label} its index"))?;
        pids.push(pid);
    }
    for (index, pid) in pids.into_iter().enumerate() {
        reap(sys, pid, &format!("client {index}")).await?;
    }
    Ok(())
}

/// The server: answers calls until a plain [`QUIT`] message arrives. Other plain messages are
/// printed and ignored.
async fn server(sys: Sys, _arg: u64) -> i32 {
    let outcome = serve(&sys).await;
    exit_code(&sys, SERVER, outcome).await
}

async fn serve(sys: &Sys) -> Outcome {
    let mut served = 0u64;
    loop {
        let msg = sys
            .receive(Source::Any, Mode::Blocking)
            .await
            .check("receive a request")?;
        let text = msg.text();
        if msg.is_call {
            let answer = answer(&text);
            say(
                sys,
                &format!("server: call {text:?} from {} -> {answer:?}", msg.sender),
            )
            .await?;
            sys.reply(msg.sender, answer.as_bytes())
                .await
                .check(&format!("reply to {}", msg.sender))?;
            served += 1;
        } else if msg.bytes == QUIT {
            return say(
                sys,
                &format!("server: quit from {} after {served} calls", msg.sender),
            )
            .await;
        } else {
            say(
                sys,
                &format!(
                    "server: ignoring plain message {text:?} from {}",
                    msg.sender
                ),
            )
            .await?;
        }
    }
}

/// The reply to one request: the sum for `"add A B"`, `"error: ..."` for anything else.
fn answer(request: &str) -> String {
    let words: Vec<&str> = request.split_whitespace().collect();
    match words.as_slice() {
        ["add", a, b] => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) => match a.checked_add(b) {
                Some(sum) => sum.to_string(),
                None => "error: overflow".to_string(),
            },
            _ => "error: operands must be unsigned integers".to_string(),
        },
        _ => "error: unknown request".to_string(),
    }
}

/// A client: `arg` is the server's pid.
async fn client(sys: Sys, arg: u64) -> i32 {
    let outcome = call_server(&sys, Pid::from_raw(arg)).await;
    exit_code(&sys, CLIENT, outcome).await
}

async fn call_server(sys: &Sys, server: Pid) -> Outcome {
    let start = sys
        .receive(Source::Any, Mode::Blocking)
        .await
        .check("receive my index")?;
    let Ok(raw) = <[u8; 8]>::try_from(start.bytes.as_slice()) else {
        return fail(format!(
            "expected an 8-byte index, got {} bytes from {}",
            start.bytes.len(),
            start.sender
        ));
    };
    let index = u64::from_le_bytes(raw);
    for k in 0..CALLS_PER_CLIENT {
        let (a, b) = (10 * (index + 1) + k, k + 1);
        let request = format!("add {a} {b}");
        let reply = sys
            .call(server, request.as_bytes(), Mode::Blocking)
            .await
            .check(&format!("call {server} with {request:?}"))?;
        let text = reply.text();
        say(
            sys,
            &format!(
                "client {index}: {request} = {text} (reply from {})",
                reply.sender
            ),
        )
        .await?;
        if text.parse::<u64>() != Ok(a + b) {
            return fail(format!("client {index}: expected {}, got {text:?}", a + b));
        }
    }
    Ok(())
}
