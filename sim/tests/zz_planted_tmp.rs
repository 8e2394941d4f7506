use kraft_driver::planted::{self, PlantedRuntimeBug};
#[test]
fn scan() {
    planted::set_active(Some(PlantedRuntimeBug::LogRangeInCurrentGeneration));
    let mut caught = 0;
    let mut first = std::collections::BTreeMap::new();
    for seed in 0..300u64 {
        let o = kraft_sim::cluster::run_seed(seed, 0);
        if o.violation_count > 0 {
            caught += 1;
            for v in &o.violations {
                first
                    .entry(format!("{:?}", v.invariant))
                    .or_insert((seed, v.detail.clone()));
            }
        }
    }
    eprintln!("CAUGHT {caught} {first:#?}");
}
