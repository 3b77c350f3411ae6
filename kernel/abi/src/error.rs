//! Error codes: every failure a program can cause has exactly one.
//!
//! A syscall returns status `0` in return register 0 on success, or one of these codes.
//! The numbers are part of the ABI and never change meaning; new codes are appended.

use core::fmt;

macro_rules! errors {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $text:literal, $desc:literal;)*) => {
        /// Why a syscall failed. The discriminant is the code in return register 0.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u64)]
        pub enum Error {
            $($(#[$doc])* $name = $code,)*
        }

        impl Error {
            /// Every error code, in numeric order.
            pub const ALL: &'static [Error] = &[$(Error::$name,)*];

            /// The error a status register holds; `None` for 0 (success) and unknown codes.
            pub const fn from_code(code: u64) -> Option<Error> {
                match code {
                    $($code => Some(Error::$name),)*
                    _ => None,
                }
            }

            /// The code as it travels in return register 0.
            pub const fn code(self) -> u64 {
                self as u64
            }

            /// The stable snake_case name used in traces, scenario files and docs.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Error::$name => $text,)*
                }
            }

            /// One sentence on what went wrong.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Error::$name => $desc,)*
                }
            }

            /// The error whose [`name`](Self::name) is `name`.
            pub fn from_name(name: &str) -> Option<Error> {
                match name {
                    $($text => Some(Error::$name),)*
                    _ => None,
                }
            }
        }
    };
}

errors! {
    /// The mailbox id names no live mailbox: it never existed, was deleted, or is stale.
    NoSuchMailbox = 1, "no_such_mailbox", "the mailbox id or name names no live mailbox";
    /// The pid names no live process: it never existed, has exited, or is stale.
    NoSuchProcess = 2, "no_such_process", "the pid names no live process";
    /// Only a mailbox's owner may delete or transfer it, or grant and revoke the receive
    /// privilege; only the owner and the processes it granted that privilege may receive.
    NotOwner = 3, "not_owner", "only the mailbox's owner may do that";
    /// A non-blocking call could not complete without waiting.
    WouldBlock = 4, "would_block", "the call would have to wait and was non-blocking";
    /// A timed call's timeout expired first. A send or receive did nothing; a `call` whose
    /// request had already left the caller gives up on the reply (a later reply is dropped).
    TimedOut = 5, "timed_out", "the timeout expired before the call could complete";
    /// The mailbox was deleted (or its owner exited) while the caller waited on it.
    MailboxDeleted = 6, "mailbox_deleted", "the mailbox was deleted while the caller waited on it";
    /// The process the caller waited on exited.
    PeerExited = 7, "peer_exited", "the peer process exited while the caller waited on it";
    /// The message is longer than the kernel's `max_message` setting.
    MessageTooLarge = 8, "message_too_large", "the message is longer than the kernel allows";
    /// The receive buffer is shorter than the next message; return register 1 holds the
    /// length needed. Nothing was consumed.
    BufferTooSmall = 9, "buffer_too_small", "the buffer is shorter than the message; nothing was consumed";
    /// A kernel limit (queued bytes, processes, mailboxes) was reached.
    OutOfMemory = 10, "out_of_memory", "a kernel memory limit was reached";
    /// An argument is malformed: bad flags, a bad length, a bad name.
    InvalidArgument = 11, "invalid_argument", "an argument is malformed";
    /// The syscall number is not in the table.
    UnknownSyscall = 12, "unknown_syscall", "the syscall number is not in the trap table";
    /// `create_mailbox` with a name another live mailbox already has.
    NameInUse = 13, "name_in_use", "another live mailbox already has that name";
    /// `spawn` named a program the machine was not booted with.
    NoSuchProgram = 14, "no_such_program", "no program of that name is loaded";
    /// `wait` named a process that is not the caller's child.
    NotChild = 15, "not_child", "the process is not a child of the caller";
    /// Blocking would close a cycle of processes each waiting for the next (the kernel
    /// setting `refuse_deadlock`, as MINIX's `ELOCKED`): the call did nothing.
    Deadlock = 16, "deadlock", "blocking would close a cycle of processes waiting on each other";
    /// A send to a full bounded mailbox whose overflow policy is `fail` (see
    /// [`Overflow`](crate::Overflow)): nothing was sent. Also the error of a `call` whose
    /// request a `drop_newest` or `drop_oldest` mailbox discarded: no reply can come.
    MailboxFull = 17, "mailbox_full", "the mailbox is full and its overflow policy refuses the message";
    /// A receive that would wait on a `one_at_a_time` mailbox (see
    /// [`Receivers`](crate::Receivers)) while another receiver already waits there: it did
    /// not wait.
    ReceiverBusy = 18, "receiver_busy", "another receiver already waits on this one-at-a-time mailbox";
    /// In capability mode (the kernel setting `capabilities`), a send, call or
    /// `send_right` to a mailbox the caller neither owns nor holds a send right on; or a
    /// `send_right` or `grant_send` of a send right the caller does not hold. Nothing was sent.
    NoSendRight = 19, "no_send_right", "the caller holds no send right on that mailbox";
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert_eq!(e.code(), i as u64 + 1, "codes are dense and start at 1");
            assert_eq!(Error::from_code(e.code()), Some(*e));
            assert_eq!(Error::from_name(e.name()), Some(*e));
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(999), None);
    }
}
