//! A message's bytes, as the kernel queues them and as a program receives them.
//!
//! Most messages are a word or a short header, so a payload of at most [`INLINE_PAYLOAD`]
//! bytes is held in place: queueing, handing over or receiving one allocates nothing. A longer
//! one is a single exact heap allocation. Either way a [`Payload`] reads as a `[u8]`, and two
//! payloads are equal exactly when their bytes are. This module only stores bytes; it never
//! decides what a message means or where it goes.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

/// Payloads up to this many bytes are stored inside the [`Payload`] itself.
pub const INLINE_PAYLOAD: usize = 32;

/// The bytes of a message: read it as a `[u8]` (`&p[..8]`, `p.len()`, `p == b"ok"`).
#[derive(Clone)]
pub struct Payload(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` of `bytes` (`len <= INLINE_PAYLOAD`); the rest is unused.
    Inline {
        len: u8,
        bytes: [u8; INLINE_PAYLOAD],
    },
    /// More than [`INLINE_PAYLOAD`] bytes.
    Heap(Box<[u8]>),
}

impl Payload {
    /// A copy of `bytes`.
    #[inline]
    pub fn from_slice(bytes: &[u8]) -> Payload {
        if bytes.len() <= INLINE_PAYLOAD {
            Payload(Repr::Inline {
                // At most INLINE_PAYLOAD (32), so it fits.
                len: bytes.len() as u8,
                bytes: inline_copy(bytes),
            })
        } else {
            Payload(Repr::Heap(bytes.into()))
        }
    }

    /// The bytes, wherever they are kept.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(bytes) => bytes,
        }
    }

    /// The bytes as a vector (moved, not copied, when they are on the heap).
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { len, bytes } => bytes[..usize::from(len)].to_vec(),
            Repr::Heap(bytes) => bytes.into_vec(),
        }
    }

    /// Whether the bytes are held in place rather than on the heap.
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

/// `bytes` (at most [`INLINE_PAYLOAD`] of them) at the start of an inline buffer, copied a
/// word at a time: most messages are a few words, and a call into `memcpy` would cost more
/// than the copy.
#[inline]
fn inline_copy(bytes: &[u8]) -> [u8; INLINE_PAYLOAD] {
    let mut inline = [0u8; INLINE_PAYLOAD];
    let mut words = bytes.chunks_exact(8);
    for (to, word) in inline.chunks_exact_mut(8).zip(&mut words) {
        to.copy_from_slice(word);
    }
    let tail = words.remainder();
    let at = bytes.len() - tail.len();
    for (to, b) in inline[at..].iter_mut().zip(tail) {
        *to = *b;
    }
    inline
}

impl Default for Payload {
    /// No bytes.
    fn default() -> Payload {
        Payload::from_slice(&[])
    }
}

impl Deref for Payload {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Payload {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<&[u8]> for Payload {
    fn from(bytes: &[u8]) -> Payload {
        Payload::from_slice(bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for Payload {
    fn from(bytes: &[u8; N]) -> Payload {
        Payload::from_slice(bytes)
    }
}

impl From<Vec<u8>> for Payload {
    /// Takes over the vector's allocation when the bytes do not fit in place.
    fn from(bytes: Vec<u8>) -> Payload {
        if bytes.len() <= INLINE_PAYLOAD {
            Payload::from_slice(&bytes)
        } else {
            Payload(Repr::Heap(bytes.into_boxed_slice()))
        }
    }
}

impl From<Payload> for Vec<u8> {
    fn from(p: Payload) -> Vec<u8> {
        p.into_vec()
    }
}

/// Two payloads are equal when their bytes are, however each is stored.
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Payload {}

impl PartialOrd for Payload {
    fn partial_cmp(&self, other: &Payload) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered as their bytes are.
impl Ord for Payload {
    fn cmp(&self, other: &Payload) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

/// Hashed as its bytes, so it agrees with `==`.
impl Hash for Payload {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

/// Shown as its bytes, like a `Vec<u8>`.
impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

macro_rules! eq_bytes {
    ($($(#[$generic:meta])* [$($g:tt)*] $other:ty;)*) => {$(
        impl<$($g)*> PartialEq<$other> for Payload {
            fn eq(&self, other: &$other) -> bool {
                self.as_slice() == &other[..]
            }
        }
        impl<$($g)*> PartialEq<Payload> for $other {
            fn eq(&self, other: &Payload) -> bool {
                &self[..] == other.as_slice()
            }
        }
    )*};
}

eq_bytes! {
    [] [u8];
    ['a] &'a [u8];
    [] Vec<u8>;
    [const N: usize] [u8; N];
    ['a, const N: usize] &'a [u8; N];
}

#[cfg(test)]
mod tests {
    use super::{Payload, INLINE_PAYLOAD};
    use alloc::format;
    use alloc::vec::Vec;

    #[test]
    fn a_payload_reads_back_as_its_bytes_inline_up_to_the_limit_and_on_the_heap_beyond() {
        for len in [
            0,
            1,
            16,
            INLINE_PAYLOAD - 1,
            INLINE_PAYLOAD,
            INLINE_PAYLOAD + 1,
            4096,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let p = Payload::from_slice(&bytes);
            assert_eq!(&*p, bytes.as_slice(), "{len} bytes");
            assert_eq!(p.is_inline(), len <= INLINE_PAYLOAD, "{len}");
            assert_eq!(format!("{p:?}"), format!("{bytes:?}"), "reads as a slice");
            assert_eq!(p.clone(), p);
            // Every way in and out keeps the bytes.
            assert_eq!(Payload::from(bytes.clone()), p);
            assert_eq!(Payload::from(bytes.as_slice()), p);
            assert_eq!(p.clone().into_vec(), bytes);
            assert_eq!(Vec::from(p.clone()), bytes);
            assert_eq!(p, bytes);
            assert_eq!(bytes, p);
        }
        assert_eq!(Payload::default().len(), 0);
    }

    #[test]
    fn payloads_compare_by_their_bytes_however_they_are_stored() {
        // The unused inline bytes never matter.
        let mut junk = Payload::from_slice(b"abXYZ");
        if let super::Repr::Inline { len, .. } = &mut junk.0 {
            *len = 2;
        }
        assert_eq!(junk, Payload::from_slice(b"ab"));
        let heap = Payload(super::Repr::Heap(b"ab".as_slice().into()));
        assert_eq!(heap, junk);
        assert_ne!(Payload::from_slice(b"ab"), Payload::from_slice(b"ac"));
        assert!(Payload::from_slice(b"ab") < Payload::from_slice(b"ac"));
        assert!(Payload::from_slice(b"ab") < Payload::from_slice(b"abc"));
        // Against the byte containers programs compare with.
        let p = Payload::from_slice(b"ok");
        assert!(p == *b"ok" && p == b"ok" && p == b"ok".as_slice() && p == *b"ok".as_slice());
        assert!(p != b"no" && *b"ok" == p && b"ok" == p);
        assert_eq!(Payload::from(b"ok"), p);
    }
}
