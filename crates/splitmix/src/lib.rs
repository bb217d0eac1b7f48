//! SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014; the constants of Vigna's `splitmix64.c`): a
//! 64-bit counter advanced by the golden-ratio increment and mixed by two
//! multiply-xorshift rounds. Small, fast and the same on every machine,
//! which is all the kernel's self-tests, the build script's test vectors,
//! the allocator benchmarks and the network tests need from a generator:
//! a seed gives the same sequence on the host and on the Alpha. It is not
//! cryptographic.
//!
//! `no_std`, no dependencies, no `unsafe`.

#![no_std]

/// The golden-ratio increment (2^64 / phi, odd).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A SplitMix64 generator; the state is the seed advanced by
/// [`GAMMA`] once per output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose first output is the mix of `seed + GAMMA`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` by the remainder of [`next_u64`](Self::next_u64)
    /// (slightly biased for an `n` that does not divide 2^64; fine for
    /// tests). `n == 0` gives 0 (and still draws one output).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        let x = self.next_u64();
        x.checked_rem(n).unwrap_or(0)
    }

    /// A value in `0..n` without a division: the top 32 bits of an output
    /// scaled by `n` (Lemire's multiply-shift; `n` up to 2^32, larger
    /// values are taken as 2^32). `n == 0` gives 0.
    #[inline]
    pub fn below_scaled(&mut self, n: u64) -> u64 {
        let n = n.min(1 << 32);
        ((self.next_u64() >> 32) * n) >> 32
    }

    /// Fills `buf` with outputs, each as 8 little-endian bytes (the last
    /// one cut short when `buf.len()` is not a multiple of 8).
    pub fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests;
