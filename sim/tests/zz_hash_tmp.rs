#[test]
fn hash_sweep() {
    let mut h: u64 = 0;
    let mut steps = 0u64;
    for seed in 0..300u64 {
        let o = kraft_sim::cluster::run_seed(seed, 0);
        h = h.rotate_left(7) ^ o.trace_hash;
        steps += o.steps;
    }
    eprintln!("HASHSWEEP {h:x} steps {steps}");
}
