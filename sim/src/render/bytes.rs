//! Writing values as bytes: integers in decimal, generational ids (`p3`, `p3.1`, `mb0`,
//! `mb0.senders`) and JSON strings, appended to a renderer's output buffer.
//!
//! This module owns the byte-level forms the byte-writing renderers (the text trace,
//! [`jsonl`](super::jsonl), [`chrome`](super::chrome)) share, so each is written, tuned and
//! tested once. What it writes is what `{v}` (and `serde_json`) would for an integer, what an
//! id's `Display` shows, and what `serde_json` writes for a string; the tests hold it to
//! both. It never allocates beyond the output buffer it is handed, never knows what a line or
//! a document looks like, and never panics on any value.
//!
//! Why by hand rather than with the `itoa` crate and `serde_json`'s own string escaping:
//! both were tried in place of this module, byte for byte the same output, and both cost
//! more work per rendering, the escaping most (the text the renderers escape is written in
//! place, and `serde_json` can only escape a whole `&str` handed to it apart). The figures
//! are in `docs/performance.md`, "Trace formats".

use abi::{MailboxId, Pid};
use kernel::trace::WaitQueueId;

// The integer writers and the escape check are `#[inline]`: they are called from the
// renderers' own modules, which the compiler may build apart from this one, on paths that run
// for every field. The string writers are not: copied into every field that writes a string,
// they made the Chrome renderer's hot code outgrow the instruction cache, which cost more
// than the calls.

/// `00`, `01`, ... `99` as the two digits' ASCII bytes in one `u16`, tens in the high byte:
/// two digits per table look-up, put together in a register rather than in memory (bytes
/// stored one by one and read back as a word stall the read).
const DIGIT_PAIRS: [u16; 100] = {
    let mut table = [0; 100];
    let mut i = 0;
    while i < 100 {
        table[i] = (b'0' as u16 + i as u16 / 10) << 8 | (b'0' as u16 + i as u16 % 10);
        i += 1;
    }
    table
};

/// 10^8: the numbers below it have at most the eight digits one `u64` of ASCII holds.
const EIGHT_DIGITS: u64 = 100_000_000;

/// `v` (below 10^8) as eight ASCII digits, zero-padded: the most significant in the highest
/// byte, so that `to_be_bytes` reads them in order.
#[inline]
pub(crate) fn eight_digits(v: u32) -> u64 {
    let (high, low) = (v / 10_000, v % 10_000);
    // `% 100`: a number's last two digits (and an index the compiler can see is in bounds).
    let pair = |p: u32| u64::from(DIGIT_PAIRS[(p % 100) as usize]);
    pair(high / 100) << 48 | pair(high) << 32 | pair(low / 100) << 16 | pair(low)
}

/// ASCII `0` in every byte of a word.
const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);

/// How many of the eight digits [`eight_digits`] wrote are leading zeros: at most seven, as
/// the last digit shows even when it is 0.
#[inline]
pub(crate) fn leading_zero_digits(digits: u64) -> u32 {
    // Less `0`, each byte is its digit's value, so the leading zeros are the leading zero
    // bytes; setting the lowest bit keeps the last digit whatever it is.
    ((digits ^ ZEROS) | 1).leading_zeros() / 8
}

/// `v` (below 10^8) in decimal.
#[inline]
fn push_short(out: &mut Vec<u8>, v: u32) {
    let digits = eight_digits(v);
    let unused = leading_zero_digits(digits);
    // The digits are moved to the top of the word and all eight bytes written, then the
    // unused tail is cut off again: one fixed-size copy rather than one of variable length,
    // which is a call to `memcpy`.
    out.extend_from_slice(&(digits << (8 * unused)).to_be_bytes());
    out.truncate(out.len() - unused as usize);
}

/// `v` in decimal, as `{v}` (and `serde_json`) writes it.
// Inlined for the one- and two-digit numbers most fields are (a store or two where the call
// would cost more than the writing); wider ones take a call.
#[inline]
pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64) {
    if v < 10 {
        // Most ids, generations, CPUs and priorities: one digit.
        out.push(b'0' + v as u8);
    } else if v < 100 {
        // Most message lengths: one pair.
        out.extend_from_slice(&DIGIT_PAIRS[v as usize].to_be_bytes());
    } else {
        push_wide(out, v);
    }
}

/// `v` (at least 100) in decimal.
fn push_wide(out: &mut Vec<u8>, v: u64) {
    if v < EIGHT_DIGITS {
        push_short(out, v as u32);
    } else {
        push_long(out, v);
    }
}

/// `v` (at least 10^8) in decimal: its leading digits, then eight at a time.
#[cold]
fn push_long(out: &mut Vec<u8>, v: u64) {
    let (high, low) = (v / EIGHT_DIGITS, (v % EIGHT_DIGITS) as u32);
    if high < EIGHT_DIGITS {
        push_short(out, high as u32);
    } else {
        // `u64::MAX` has 20 digits: at most four before the two groups of eight.
        push_short(out, (high / EIGHT_DIGITS) as u32);
        let middle = (high % EIGHT_DIGITS) as u32;
        out.extend_from_slice(&eight_digits(middle).to_be_bytes());
    }
    out.extend_from_slice(&eight_digits(low).to_be_bytes());
}

/// `v` in decimal with its sign, as `{v}` (and `serde_json`) writes it.
#[inline]
pub(crate) fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// How processes' ids are shown: `p3`.
pub(crate) const PID_PREFIX: &[u8] = b"p";

/// How mailboxes' ids are shown: `mb0`.
pub(crate) const MAILBOX_PREFIX: &[u8] = b"mb";

/// A generational id as its `Display` shows it: `p3`, or `p3.1` after the slot's reuse.
// Inlined, the prefix is a constant: a store or two rather than a call to `memcpy`.
#[inline(always)]
pub(crate) fn push_id(out: &mut Vec<u8>, prefix: &[u8], raw: u64) {
    out.extend_from_slice(prefix);
    push_u64(out, u64::from(raw as u32));
    let generation = raw >> 32;
    if generation != 0 {
        out.push(b'.');
        push_u64(out, generation);
    }
}

/// A process's id: `p3`.
#[inline(always)]
pub(crate) fn push_pid_id(out: &mut Vec<u8>, pid: Pid) {
    push_id(out, PID_PREFIX, pid.raw());
}

/// A mailbox's id: `mb0`.
#[inline(always)]
pub(crate) fn push_mailbox_id(out: &mut Vec<u8>, id: MailboxId) {
    push_id(out, MAILBOX_PREFIX, id.raw());
}

/// A wait queue's id as its `Display` shows it: its owner's id and which of its queues,
/// `mb0.senders`.
pub(crate) fn push_queue_id(out: &mut Vec<u8>, q: WaitQueueId) {
    match q {
        WaitQueueId::MailboxSenders(m)
        | WaitQueueId::MailboxReceiver(m)
        | WaitQueueId::MailboxCallers(m) => push_mailbox_id(out, m),
        WaitQueueId::InboxSenders(p)
        | WaitQueueId::InboxReceiver(p)
        | WaitQueueId::ReceiversFrom(p)
        | WaitQueueId::Replies(p)
        | WaitQueueId::Exit(p)
        | WaitQueueId::Select(p) => push_pid_id(out, p),
    }
    out.push(b'.');
    out.extend_from_slice(q.name().as_bytes());
}

/// What `serde_json` writes in a string for each byte: 0 for the byte itself; otherwise the
/// letter after the backslash, `u` meaning `\u00XX`. It escapes `"`, `\` and the control
/// characters below 0x20 only: not DEL, not `/`, not anything beyond ASCII (whose bytes are
/// all 0x80 and above, so a multi-byte character is copied whole).
const ESCAPE: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = match b {
            0x08 => b'b',
            0x09 => b't',
            0x0a => b'n',
            0x0c => b'f',
            0x0d => b'r',
            _ => b'u',
        };
        b += 1;
    }
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// `serde_json` writes `\u00XX` in lower case.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// `text` as a JSON string, quoted and escaped as `serde_json` writes it.
pub(crate) fn push_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    push_escaped(out, text);
    out.push(b'"');
}

/// A JSON string, or `null`.
pub(crate) fn push_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => push_str(out, t),
        None => out.extend_from_slice(b"null"),
    }
}

/// `text` escaped for the inside of a JSON string, without the quotes.
pub(crate) fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let start = out.len();
    out.extend_from_slice(text.as_bytes());
    escape_from(out, start);
}

/// Escape for the inside of a JSON string, in place, what was written to `out` from `start`
/// on: so a renderer can write text (a name, the text trace's words for a call) straight
/// into its output and make it a string's contents afterwards, rather than build it apart
/// first. What was written must be whole `str`s: only ASCII bytes are escaped, so the bytes
/// stay UTF-8.
pub(crate) fn escape_from(out: &mut Vec<u8>, start: usize) {
    if out.get(start..).is_some_and(needs_escape) {
        escape_slow(out, start);
    }
}

/// [`escape_from`] for text that has something to escape: rare (names and printed text a
/// program chose), so kept out of line.
#[cold]
fn escape_slow(out: &mut Vec<u8>, start: usize) {
    let written = out.len();
    // Every escape is longer than the byte it replaces, so the escaped text is written back
    // to front into the buffer grown by the difference: each byte is read before the
    // writing, always at least as far along, reaches it.
    let extra: usize = out[start..]
        .iter()
        .map(|&b| match ESCAPE[usize::from(b)] {
            0 => 0,
            b'u' => 5,
            _ => 1,
        })
        .sum();
    out.resize(written + extra, 0);
    let (mut read, mut write) = (written, written + extra);
    while read > start {
        read -= 1;
        let b = out[read];
        match ESCAPE[usize::from(b)] {
            0 => {
                write -= 1;
                out[write] = b;
            }
            b'u' => {
                write -= 6;
                out[write..write + 6].copy_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ]);
            }
            letter => {
                write -= 2;
                out[write] = b'\\';
                out[write + 1] = letter;
            }
        }
    }
}

/// Whether any byte of `bytes` is one `serde_json` escapes, looked at eight at a time.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let in_words = words.by_ref().any(|w| match <[u8; 8]>::try_from(w) {
        Ok(w) => word_needs_escape(u64::from_le_bytes(w)),
        // Never (every chunk is eight bytes); the slow path is right for any string.
        Err(_) => true,
    });
    let tail = words.remainder();
    in_words || tail.iter().any(|&b| ESCAPE[usize::from(b)] != 0)
}

/// Whether any of the eight bytes of `word` is below 0x20, `"` or `\`.
#[inline]
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Some byte of `x` is below `n` (at most 0x80) exactly when this leaves a high bit set.
    // Subtracting `n` from every byte wraps the lowest byte below `n`, setting its high bit
    // (clear in `x`, so kept by `& !x`); and no byte wraps unless a byte at or beneath it is
    // below `n`, as a borrow only starts at one. `& !x` drops the bytes at 0x80 and above,
    // none of which is escaped. A byte equal to `c` is a zero byte of `x ^ c...`: below 1.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let equal = |x: u64, c: u8| below(x ^ (ONES * u64::from(c)), 1);
    (below(word, 0x20) | equal(word, b'"') | equal(word, b'\\')) != 0
}

/// Written bytes as a `String`. They are UTF-8 by construction (ASCII, and whole `str`s
/// escaped only at ASCII bytes); were they ever not, the text is kept, with the bad bytes
/// replaced, rather than the renderer panicking.
pub(crate) fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::{escape_from, needs_escape, push_i64, push_str, push_u64, ESCAPE};
    use kernel::sched::rng::Rng;

    /// Numbers of every decimal width, at both ends of each (every digit count takes its own
    /// path through word-at-a-time formatting), the edges of `u64`, and random ones.
    fn awkward_integers() -> Vec<u64> {
        let mut rng = Rng::new(7);
        let widths = (0..20).flat_map(|k| {
            let p = 10u64.pow(k);
            [p - 1, p, p + 1, p.saturating_mul(10) - 1]
        });
        let randoms = (0..1_000).map(|_| rng.next_u64());
        widths
            .chain([0, u64::MAX - 1, u64::MAX, 1 << 63])
            .chain(randoms)
            .collect()
    }

    #[test]
    fn integers_print_as_display_and_serde_json_do() {
        let all = awkward_integers();
        for &v in &all {
            let mut s = Vec::new();
            push_u64(&mut s, v);
            assert_eq!(String::from_utf8(s).unwrap(), v.to_string());
            assert_eq!(v.to_string(), serde_json::json!(v).to_string());
        }
        let signed = all.iter().map(|&v| v as i64).chain([
            i64::MIN,
            i64::MIN + 1,
            -1,
            -10,
            i64::from(i32::MIN),
            i64::MAX,
        ]);
        for v in signed {
            let mut s = Vec::new();
            push_i64(&mut s, v);
            assert_eq!(String::from_utf8(s).unwrap(), v.to_string());
            assert_eq!(v.to_string(), serde_json::json!(v).to_string());
        }
        // Numbers after other text: the cut-off tail of a word must not take it along.
        let mut s = b"x".to_vec();
        for &v in &all {
            push_u64(&mut s, v);
            s.push(b',');
        }
        let expected: String = all.iter().map(|v| format!("{v},")).collect();
        assert_eq!(String::from_utf8(s).unwrap(), format!("x{expected}"));
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Every ASCII character and DEL, and a few beyond ASCII, at every place in and around
        // the eight-byte words the escaping check reads, among ASCII and among multi-byte
        // characters (whose bytes are 0x80 and above).
        let mut strings = vec![String::new()];
        for c in (0u8..0x80)
            .map(char::from)
            .chain(['é', '名', '🦀', '\u{2028}'])
        {
            for at in 0..18 {
                strings.push(format!("{}{c}{}", "x".repeat(at), "y".repeat(17 - at)));
                strings.push(format!("{}{c}{}", "é".repeat(at), "€".repeat(3)));
            }
        }
        for s in &strings {
            let mut out = Vec::new();
            push_str(&mut out, s);
            let quoted = serde_json::to_string(s).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), quoted, "{s:?}");
            // Escaped in place after other text: what is before it stays as it was.
            let mut out = b"a\"\n".to_vec();
            out.extend_from_slice(s.as_bytes());
            escape_from(&mut out, 3);
            assert_eq!(out[..3], *b"a\"\n");
            assert_eq!(out[3..], quoted.as_bytes()[1..quoted.len() - 1], "{s:?}");
        }
    }

    #[test]
    fn the_word_at_a_time_check_finds_exactly_the_bytes_to_escape() {
        let mut rng = Rng::new(0xe5c);
        // The bytes either side of each boundary the check draws, and anything.
        let edges = [
            0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80,
        ];
        for _ in 0..200_000 {
            let len = rng.below(20) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match rng.below(3) {
                    0 => rng.next_u64() as u8,
                    1 => 0xff - rng.below(0x80) as u8,
                    _ => edges[rng.below(edges.len() as u64) as usize],
                })
                .collect();
            let slow = bytes.iter().any(|&b| ESCAPE[usize::from(b)] != 0);
            assert_eq!(needs_escape(&bytes), slow, "{bytes:02x?}");
        }
    }
}
