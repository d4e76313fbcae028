//! A tiny deterministic generator (xorshift64) for the randomised core tests: the same inputs
//! on every run and in wasm, with no dependency.
#![allow(dead_code)] // each test file uses a different subset

pub struct Rng(pub u64);

impl Rng {
    /// The next value; the seed must not be 0 (xorshift stays at 0).
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of `xs` (which must not be empty).
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}
