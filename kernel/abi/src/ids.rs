//! Generational identifiers.
//!
//! An id is a slot index plus the generation of that slot. The kernel bumps a slot's
//! generation every time it is freed, so an id kept after its object is gone names nothing
//! (`NoSuchProcess`, `NoSuchMailbox`) and never the object that reused the slot.

use core::fmt;

macro_rules! generational_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// The id of `index` in its `generation`.
            pub const fn new(index: u32, generation: u32) -> Self {
                Self(((generation as u64) << 32) | index as u64)
            }
            /// The id as it travels in a register.
            pub const fn raw(self) -> u64 {
                self.0
            }
            /// The id a register holds. Any value is a well-formed id; whether it names a
            /// live object is for the kernel to say.
            pub const fn from_raw(raw: u64) -> Self {
                Self(raw)
            }
            /// The slot index.
            pub const fn index(self) -> u32 {
                self.0 as u32
            }
            /// How many times the slot had been freed when this id was made.
            pub const fn generation(self) -> u32 {
                (self.0 >> 32) as u32
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.generation() == 0 {
                    write!(f, concat!($prefix, "{}"), self.index())
                } else {
                    write!(f, concat!($prefix, "{}.{}"), self.index(), self.generation())
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

generational_id!(
    /// A process id. Shown as `p3`, or `p3.1` once slot 3 has been reused.
    Pid,
    "p"
);
generational_id!(
    /// A mailbox id. Shown as `mb0`, or `mb0.2` once slot 0 has been reused twice.
    MailboxId,
    "mb"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_a_register() {
        let pid = Pid::new(7, 3);
        assert_eq!(pid.index(), 7);
        assert_eq!(pid.generation(), 3);
        assert_eq!(Pid::from_raw(pid.raw()), pid);
        assert_eq!(alloc::format!("{pid}"), "p7.3");
        assert_eq!(alloc::format!("{}", MailboxId::new(2, 0)), "mb2");
    }
}
