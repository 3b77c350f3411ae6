//! A generational slab: the store behind process and mailbox ids.
//!
//! Invariant: a slot's generation changes every time it is freed, so an id built from
//! (index, generation) resolves only while the object it was issued for is alive. Free slots
//! are reused last-freed-first, which keeps the store compact and reuse deterministic.

use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU32;

/// A slot index that may be absent, in four bytes: held as index + 1, so that `None` is the
/// zero a `NonZeroU32` leaves free. The links that thread processes into wait queues and
/// lists of children are these, where an `Option<u32>` would take eight bytes each. A slab never reaches index `u32::MAX`, the one index this
/// cannot hold (that many processes would need terabytes).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct OptSlot(Option<NonZeroU32>);

impl OptSlot {
    /// No slot.
    pub const NONE: OptSlot = OptSlot(None);

    /// Slot `index`.
    #[inline]
    pub fn some(index: u32) -> OptSlot {
        OptSlot(NonZeroU32::new(index.wrapping_add(1)))
    }

    /// The slot index, if any.
    #[inline]
    pub fn get(self) -> Option<u32> {
        self.0.map(|n| n.get() - 1)
    }

    /// Whether there is a slot.
    #[inline]
    pub fn is_some(self) -> bool {
        self.0.is_some()
    }

    /// The slot index, leaving none behind.
    #[inline]
    pub fn take(&mut self) -> Option<u32> {
        core::mem::take(self).get()
    }

    /// Set slot `index`; the slot index it replaces, if any.
    #[inline]
    pub fn replace(&mut self, index: u32) -> Option<u32> {
        core::mem::replace(self, OptSlot::some(index)).get()
    }
}

impl From<Option<u32>> for OptSlot {
    fn from(index: Option<u32>) -> OptSlot {
        index.map_or(OptSlot::NONE, OptSlot::some)
    }
}

/// Shown as the `Option<u32>` it stands for.
impl fmt::Debug for OptSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

enum Slot<T> {
    Occupied {
        generation: u32,
        value: T,
    },
    Free {
        generation: u32,
        next_free: Option<u32>,
    },
}

/// Objects addressed by (index, generation).
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free_head: Option<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free_head: None,
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// How many objects are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The (index, generation) the next [`insert`](Self::insert) will use.
    pub fn next_key(&self) -> (u32, u32) {
        match self.free_head {
            Some(i) => match &self.slots[i as usize] {
                Slot::Free { generation, .. } => (i, *generation),
                Slot::Occupied { .. } => unreachable!("free list points at an occupied slot"),
            },
            None => (self.slots.len() as u32, 0),
        }
    }

    /// Store `value` at [`next_key`](Self::next_key) and return that key.
    pub fn insert(&mut self, value: T) -> (u32, u32) {
        let (index, generation) = self.next_key();
        match self.free_head {
            Some(i) => {
                let next = match &self.slots[i as usize] {
                    Slot::Free { next_free, .. } => *next_free,
                    Slot::Occupied { .. } => None,
                };
                self.free_head = next;
                self.slots[i as usize] = Slot::Occupied { generation, value };
            }
            None => {
                debug_assert!(index < u32::MAX, "a slab never reaches index u32::MAX");
                self.slots.push(Slot::Occupied { generation, value })
            }
        }
        self.len += 1;
        (index, generation)
    }

    /// Free the slot if (index, generation) is live, bumping its generation.
    pub fn remove(&mut self, index: u32, generation: u32) -> Option<T> {
        let slot = self.slots.get_mut(index as usize)?;
        match slot {
            Slot::Occupied { generation: g, .. } if *g == generation => {}
            _ => return None,
        }
        let old = core::mem::replace(
            slot,
            Slot::Free {
                generation: generation.wrapping_add(1),
                next_free: self.free_head,
            },
        );
        self.free_head = Some(index);
        self.len -= 1;
        match old {
            Slot::Occupied { value, .. } => Some(value),
            Slot::Free { .. } => None,
        }
    }

    /// The object at (index, generation), if that id is live.
    pub fn get(&self, index: u32, generation: u32) -> Option<&T> {
        match self.slots.get(index as usize)? {
            Slot::Occupied {
                generation: g,
                value,
            } if *g == generation => Some(value),
            _ => None,
        }
    }

    /// The object at (index, generation), if that id is live.
    pub fn get_mut(&mut self, index: u32, generation: u32) -> Option<&mut T> {
        match self.slots.get_mut(index as usize)? {
            Slot::Occupied {
                generation: g,
                value,
            } if *g == generation => Some(value),
            _ => None,
        }
    }

    /// The object in slot `index`, whatever its generation.
    pub fn at(&self, index: u32) -> Option<&T> {
        match self.slots.get(index as usize)? {
            Slot::Occupied { value, .. } => Some(value),
            Slot::Free { .. } => None,
        }
    }

    /// The object in slot `index`, whatever its generation.
    pub fn at_mut(&mut self, index: u32) -> Option<&mut T> {
        match self.slots.get_mut(index as usize)? {
            Slot::Occupied { value, .. } => Some(value),
            Slot::Free { .. } => None,
        }
    }

    /// Every stored object with its key, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = ((u32, u32), &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Occupied { generation, value } => Some(((i as u32, *generation), value)),
            Slot::Free { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_slot_never_answers_its_old_key() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        assert_eq!(slab.remove(a.0, a.1), Some("a"));
        let b = slab.insert("b");
        assert_eq!(b.0, a.0, "the slot is reused");
        assert_ne!(b.1, a.1, "with a new generation");
        assert_eq!(slab.get(a.0, a.1), None);
        assert_eq!(slab.get(b.0, b.1), Some(&"b"));
        assert_eq!(slab.remove(a.0, a.1), None, "a stale key frees nothing");
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn an_optional_slot_holds_every_index_but_the_last_in_four_bytes() {
        assert_eq!(core::mem::size_of::<OptSlot>(), 4);
        for i in [0, 1, 7, u32::MAX - 1] {
            let mut s = OptSlot::some(i);
            assert_eq!(s.get(), Some(i));
            assert!(s.is_some());
            assert_eq!(OptSlot::from(Some(i)), s);
            assert_eq!(alloc::format!("{s:?}"), alloc::format!("{:?}", Some(i)));
            assert_eq!(s.replace(3), Some(i));
            assert_eq!(s.take(), Some(3));
            assert_eq!(s, OptSlot::NONE);
        }
        assert_eq!(OptSlot::default().get(), None);
        assert_eq!(OptSlot::from(None), OptSlot::NONE);
        assert!(!OptSlot::NONE.is_some());
    }
}
