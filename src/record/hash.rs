//! Hashes of the template miner: FxHash for its in-memory maps, FNV-1a for template ids.
//!
//! - [`FxHasher`] and [`FxHashMap`] (rustc's hasher, a multiply-rotate over 8-byte words):
//!   the maps of masked messages and tokens. Fast, not collision-hardened: keys are our own
//!   masked text, not attacker-controlled in a way that matters for a one-shot CLI run.
//! - [`fnv1a64`] and [`template_id`]: a template's id is a 64-bit FNV-1a hash of its text,
//!   printed as 16 lowercase hex digits (documented, reproducible anywhere): the same text
//!   gets the same id on every run, for `-j1` and `-j8`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHasher (rustc's hasher): a multiply-rotate over 8-byte words.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

pub(super) const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// FNV-1a, 64 bit: the stable template id hash (documented, reproducible anywhere).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The stable id of a template text: 16 lowercase hex digits.
pub fn template_id(text: &str) -> String {
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable() {
        assert_eq!(template_id("a <*> b"), template_id("a <*> b"));
        assert_ne!(template_id("a <*> b"), template_id("a <*> c"));
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    }
}
