//! Seeded message loss, reordering and duplication for the randomized core tests.

/// Seeded network faults for the randomized tests.
pub struct Chaos {
    pub rng: u64,
    /// Probability in 1/1000 that a message is lost.
    pub drop_per_mille: u64,
    /// Deliver a random one of the first `reorder_window` queued events.
    pub reorder_window: usize,
    /// Probability in 1/1000 that a delivered message is delivered again later.
    pub duplicate_per_mille: u64,
}

impl Chaos {
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}
