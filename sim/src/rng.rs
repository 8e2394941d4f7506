//! Seeded pseudo-random numbers for the simulator.
//!
//! Everything random in a simulation (network delays, drops, crash points, workload, the seeds handed
//! to each node) comes from one `SimRng` built from the run's u64 seed, so a seed replays exactly.
//! The generator is xoshiro256** seeded through splitmix64 (both public-domain algorithms by Vigna
//! and Blackman), written out here so that no dependency upgrade can change a replay.

/// splitmix64 step: used to expand one u64 seed into a full xoshiro state and to derive child seeds.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator.
#[derive(Clone, Debug)]
pub struct SimRng {
    state: [u64; 4],
}

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        let mut sm = seed;
        let mut state = [0u64; 4];
        for word in state.iter_mut() {
            *word = splitmix64(&mut sm);
        }
        // splitmix64 never yields four zero words in a row, but the all-zero state is the one
        // fixed point of xoshiro, so guard it anyway.
        if state == [0; 4] {
            state[0] = 1;
        }
        SimRng { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// An independent generator for a sub-component (e.g. one node's core), so that adding draws in
    /// one component does not shift the sequence another component sees.
    pub fn fork(&mut self) -> SimRng {
        SimRng::new(self.next_u64())
    }

    /// Uniform in `[0, bound)`; `bound` must be > 0. Uses Lemire's multiply-shift with rejection so
    /// small ranges are unbiased.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "SimRng::below needs a positive bound");
        loop {
            let x = self.next_u64();
            let m = (x as u128) * (bound as u128);
            let low = m as u64;
            if low >= bound.wrapping_neg() % bound {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in the inclusive range `[low, high]`.
    pub fn range_inclusive(&mut self, low: u64, high: u64) -> u64 {
        assert!(
            low <= high,
            "SimRng::range_inclusive: empty range {low}..={high}"
        );
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            None => self.next_u64(),
        }
    }

    /// Uniform index into a non-empty slice of length `len`.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `per_million / 1_000_000`.
    pub fn chance_ppm(&mut self, per_million: u32) -> bool {
        self.below(1_000_000) < u64::from(per_million)
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        // 53 random bits give a uniform f64 in [0, 1).
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    pub fn fill_bytes(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let mut c = SimRng::new(43);
        let seq_a: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let seq_b: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let seq_c: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(seq_a, seq_b);
        assert_ne!(seq_a, seq_c);
    }

    #[test]
    fn splitmix_matches_reference_vector() {
        // First outputs of splitmix64 seeded with 0 (reference implementation by Vigna).
        let mut state = 0u64;
        assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut state), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = SimRng::new(7);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let v = rng.below(10);
            assert!(v < 10);
            seen[v as usize] = true;
        }
        assert!(
            seen.iter().all(|&s| s),
            "every value of a small range appears"
        );
        for _ in 0..100 {
            let v = rng.range_inclusive(5, 9);
            assert!((5..=9).contains(&v));
        }
        assert_eq!(rng.range_inclusive(3, 3), 3);
    }

    #[test]
    fn chance_extremes() {
        let mut rng = SimRng::new(1);
        assert!(!rng.chance(0.0));
        assert!(rng.chance(1.0));
        assert!(!rng.chance_ppm(0));
        assert!(rng.chance_ppm(1_000_000));
        let hits = (0..10_000).filter(|_| rng.chance(0.5)).count();
        assert!(
            (4_000..6_000).contains(&hits),
            "fair coin gave {hits}/10000"
        );
    }
}
