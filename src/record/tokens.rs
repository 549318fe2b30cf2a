//! Byte classes and the whitespace scanner that prefix stripping ([`super::strip_prefix`])
//! and the template miner's masking share.
//!
//! Input: the bytes of a log line or message. Output: each byte's class ([`class`]:
//! whitespace, digit, letter, punctuation; bytes ≥ 0x80 count as letters) and token
//! boundaries ([`WsScan`]). Whitespace is space, `\t`, `\n`, `\x0b`, `\x0c` and `\r`.
//!
//! How: [`WsScan`] finds token boundaries a 64-byte block at a time from the block's
//! whitespace bitmask ([`ws_bits64`]: SSE2, the x86-64 baseline, 16 bytes at a time; scalar
//! for a tail under 16 bytes and on other targets), so a token end or the end of a
//! whitespace run is a shift and a count of trailing zeros instead of a byte loop. Positions
//! past the end of the input read as whitespace.

pub(crate) const WS: u8 = 0;
pub(crate) const DIGIT: u8 = 1;
pub(crate) const ALPHA: u8 = 2;
pub(crate) const PUNCT: u8 = 3;

const fn byte_classes() -> [u8; 256] {
    let mut t = [PUNCT; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' || c == 0x0b || c == 0x0c {
            WS
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_alphabetic() || c >= 0x80 {
            ALPHA
        } else {
            PUNCT
        };
        i += 1;
    }
    t
}

pub(crate) static CLASS: [u8; 256] = byte_classes();

#[inline]
pub(crate) fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

/// Whitespace bits of `s[..64]`: bit `k` is set when `s[k]` is whitespace (class `WS`);
/// positions past the end of `s` read as whitespace. SSE2 (x86-64 baseline) 16 bytes at a
/// time, scalar for a tail under 16 bytes and on other targets.
#[inline]
fn ws_bits64(s: &[u8]) -> u64 {
    let n = s.len().min(64);
    let mut m = 0u64;
    let mut k = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        while k + 16 <= n {
            // SAFETY: `k + 16 <= s.len()`: the 16 bytes read are inside `s`; SSE2 is part of
            // the x86-64 baseline.
            let w = unsafe {
                let x = _mm_loadu_si128(s.as_ptr().add(k) as *const __m128i);
                // 9..=13 (`\t \n \x0b \x0c \r`): x - 9 <= 4 unsigned.
                let d = _mm_sub_epi8(x, _mm_set1_epi8(9));
                let ctl = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d);
                _mm_movemask_epi8(_mm_or_si128(
                    ctl,
                    _mm_cmpeq_epi8(x, _mm_set1_epi8(b' ' as i8)),
                ))
            };
            m |= (w as u32 as u64) << k;
            k += 16;
        }
    }
    while k < n {
        m |= ((class(s[k]) == WS) as u64) << k;
        k += 1;
    }
    if n < 64 {
        m |= !0u64 << n;
    }
    m
}

/// Finds token boundaries a 64-byte block at a time: the whitespace bitmask of the block
/// holding the current position (see [`ws_bits64`]), so a token end or the end of a
/// whitespace run is a shift and a count of trailing zeros instead of a byte loop.
pub(crate) struct WsScan<'a> {
    pub(super) s: &'a [u8],
    /// Start of the block `bits` describes.
    base: usize,
    bits: u64,
}

impl<'a> WsScan<'a> {
    #[inline]
    pub(crate) fn new(s: &'a [u8]) -> WsScan<'a> {
        WsScan {
            s,
            base: 0,
            bits: ws_bits64(s),
        }
    }

    /// The bits of the block at `i` from `i` on, inverted when `invert`.
    #[inline]
    fn find(&mut self, mut i: usize, invert: bool) -> usize {
        loop {
            if i >= self.s.len() {
                return self.s.len();
            }
            if i < self.base || i >= self.base + 64 {
                self.base = i;
                self.bits = ws_bits64(&self.s[i..]);
            }
            let b = if invert { !self.bits } else { self.bits };
            let m = b >> (i - self.base);
            if m != 0 {
                return (i + m.trailing_zeros() as usize).min(self.s.len());
            }
            i = self.base + 64;
        }
    }

    /// The first whitespace byte at or after `i`, or the length.
    #[inline]
    pub(crate) fn next_ws(&mut self, i: usize) -> usize {
        self.find(i, false)
    }

    /// The first non-whitespace byte at or after `i`, or the length.
    #[inline]
    pub(crate) fn next_non_ws(&mut self, i: usize) -> usize {
        self.find(i, true)
    }
}
