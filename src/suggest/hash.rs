//! Hashing for the miner's maps: a fast word-at-a-time hash of bytes, and
//! a pass-through hasher for maps whose keys already are such hashes (the
//! default SipHash would cost more than the rest of a line's work).

use std::hash::{BuildHasherDefault, Hasher};

/// A fast, good-enough 64-bit hash of bytes (word-at-a-time multiply-mix).
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut w = [0u8; 8];
    let rest = chunks.remainder();
    w[..rest.len()].copy_from_slice(rest);
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    h ^ (h >> 32)
}

/// Hasher for keys that already are hashes.
#[derive(Default)]
pub(crate) struct IdHasher(pub(crate) u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = (self.0 ^ hash(bytes)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(23) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Builds [`IdHasher`]s, for maps keyed by hashes.
pub(crate) type IdHash = BuildHasherDefault<IdHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_differ_on_small_changes() {
        let words: [&[u8]; 5] = [
            b"",
            b"a",
            b"b",
            b"socket.send() raised",
            b"socket.send() raisee",
        ];
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                assert_ne!(hash(a), hash(b));
            }
        }
    }
}
