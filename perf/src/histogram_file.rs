//! HdrHistogram's text "percentile distribution" format (what `outputPercentileDistribution`
//! prints and plotting tools such as HdrHistogram's plotter read), values in milliseconds.

use hdrhistogram::Histogram;
use std::io::{self, Write};

/// Writes `histogram` (recorded in microseconds) as a percentile distribution in milliseconds.
pub fn write_percentile_distribution(
    histogram: &Histogram<u64>,
    out: &mut impl Write,
) -> io::Result<()> {
    const TICKS_PER_HALF_DISTANCE: u32 = 5;
    writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    if !histogram.is_empty() {
        for v in histogram.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            let quantile = v.quantile_iterated_to();
            let value_ms = histogram.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0;
            if quantile < 1.0 {
                writeln!(
                    out,
                    "{:>12.3} {:>2.12} {:>10} {:>14.2}",
                    value_ms,
                    quantile,
                    v.count_since_last_iteration(),
                    1.0 / (1.0 - quantile)
                )?;
            } else {
                writeln!(
                    out,
                    "{:>12.3} {:>2.12} {:>10}",
                    value_ms,
                    quantile,
                    v.count_since_last_iteration()
                )?;
            }
        }
    }
    let mean_ms = histogram.mean() / 1000.0;
    let stdev_ms = histogram.stdev() / 1000.0;
    let max_ms = histogram.max() as f64 / 1000.0;
    writeln!(
        out,
        "#[Mean    = {mean_ms:>12.3}, StdDeviation   = {stdev_ms:>12.3}]"
    )?;
    writeln!(
        out,
        "#[Max     = {max_ms:>12.3}, Total count    = {:>12}]",
        histogram.len()
    )?;
    writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        histogram.buckets(),
        histogram.distinct_values()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_parsable_distribution() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for us in [1000u64, 2000, 3000, 4000] {
            h.record(us).unwrap();
        }
        let mut out = Vec::new();
        write_percentile_distribution(&h, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"));
        let rows: Vec<Vec<f64>> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains("Value"))
            .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
            .collect();
        assert!(rows.len() >= 4);
        let total: f64 = rows.iter().map(|r| r[2]).sum();
        assert_eq!(total, 4.0);
        assert!((rows.last().unwrap()[0] - 4.0).abs() < 0.01);
        assert!(text.contains("Total count    =            4"));
    }
}
