//! Printing HdrHistogram figures in one consistent shape.

use hdrhistogram::Histogram;

/// A histogram of nanoseconds, 3 significant digits, up to 100 s.
pub fn new_histogram_ns() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid bounds")
}

/// `name: n=.. p50=..µs p99=..µs p99.9=..µs max=..µs`
pub fn line(name: &str, h: &Histogram<u64>) -> String {
    format!(
        "{name:<40} n={:>7} p50={:>9.1}µs p99={:>9.1}µs p99.9={:>9.1}µs max={:>9.1}µs",
        h.len(),
        h.value_at_quantile(0.50) as f64 / 1e3,
        h.value_at_quantile(0.99) as f64 / 1e3,
        h.value_at_quantile(0.999) as f64 / 1e3,
        h.max() as f64 / 1e3,
    )
}

/// `name: p99 ratio = x.xx (a / b)`
pub fn ratio_line(
    name: &str,
    numerator: &Histogram<u64>,
    denominator: &Histogram<u64>,
    quantile: f64,
) -> String {
    let a = numerator.value_at_quantile(quantile) as f64;
    let b = denominator.value_at_quantile(quantile).max(1) as f64;
    format!(
        "{name:<40} p{} ratio = {:.2} ({:.1}µs / {:.1}µs)",
        quantile * 100.0,
        a / b,
        a / 1e3,
        b / 1e3
    )
}
