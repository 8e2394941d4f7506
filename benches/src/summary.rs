//! Reading the server's own report back: the `Summary:` line a leader prints on exit, and the
//! percentile distribution file it writes beside its log.

/// The figures of one `Summary:` line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    pub bytes_per_s: f64,
    pub p50_ms: f64,
    pub p75_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub records_per_s: f64,
    pub mb_per_s: f64,
    pub offered_met: bool,
}

/// The number right before `label` (the report writes "value label").
fn before(words: &[&str], label: &str) -> Option<f64> {
    let i = words
        .iter()
        .position(|w| w.trim_end_matches(',') == label)?;
    words
        .get(i.checked_sub(1)?)?
        .trim_end_matches(',')
        .parse()
        .ok()
}

/// Parses `Summary: Throughput (bytes/second): X, Latency (ms): a p75 b p99 c p999, d p50 e max,
/// committed f records/s g MB/s over h s[, offered rate ... NOT met ...]`.
pub fn parse_summary(line: &str) -> Option<Summary> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let bytes_i = words.iter().position(|w| *w == "(bytes/second):")?;
    Some(Summary {
        bytes_per_s: words.get(bytes_i + 1)?.trim_end_matches(',').parse().ok()?,
        p75_ms: before(&words, "p75")?,
        p99_ms: before(&words, "p99")?,
        p999_ms: before(&words, "p999")?,
        p50_ms: before(&words, "p50")?,
        max_ms: before(&words, "max")?,
        records_per_s: before(&words, "records/s")?,
        mb_per_s: before(&words, "MB/s")?,
        offered_met: !line.contains("NOT met"),
    })
}

/// `(latency ms, percentile)` points of an HdrHistogram percentile distribution file.
pub fn parse_hgrm(text: &str) -> Vec<(f64, f64)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.contains("Value"))
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let value: f64 = cols.next()?.parse().ok()?;
            let quantile: f64 = cols.next()?.parse().ok()?;
            Some((value, quantile * 100.0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_servers_summary_line() {
        let line = "Summary: Throughput (bytes/second): 1277571.33, Latency (ms): 21.8 p75 29.2 p99 31.6 p999, \
                    15.7 p50 34.6 max, committed 4990.5 records/s 1.28 MB/s over 8.5 s";
        let s = parse_summary(line).unwrap();
        assert_eq!(s.bytes_per_s, 1277571.33);
        assert_eq!(
            (s.p50_ms, s.p75_ms, s.p99_ms, s.p999_ms, s.max_ms),
            (15.7, 21.8, 29.2, 31.6, 34.6)
        );
        assert_eq!((s.records_per_s, s.mb_per_s), (4990.5, 1.28));
        assert!(s.offered_met);
        let unmet = format!("{line}, offered rate 9000 records/s NOT met (10.0 records/s offered, 3 shed by backpressure)");
        assert!(!parse_summary(&unmet).unwrap().offered_met);
    }

    #[test]
    fn parses_percentile_distributions() {
        let text = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n       1.000 0.000000000000          1           1.00\n       4.000 1.000000000000          4\n#[Mean    =        2.500, StdDeviation   =        1.118]\n";
        assert_eq!(parse_hgrm(text), vec![(1.0, 0.0), (4.0, 100.0)]);
    }
}
