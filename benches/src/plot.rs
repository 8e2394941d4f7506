//! A small SVG plot of commit-latency percentile distributions (one curve per offered rate), in
//! the usual HdrHistogram layout: x = percentile on a "number of nines" scale, y = latency on a
//! log scale (so sub-millisecond and 100 ms curves both stay readable).

use std::fmt::Write;

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 480.0;
const MARGIN: f64 = 60.0;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];
/// The x axis ends at 99.999% (5 nines).
const MAX_NINES: f64 = 5.0;

fn nines(percentile: f64) -> f64 {
    let rest = (1.0 - percentile / 100.0).max(10f64.powf(-MAX_NINES));
    (-rest.log10()).min(MAX_NINES)
}

/// `series`: (label, points of (latency ms, percentile)).
pub fn percentile_svg(title: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let all = || series.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.0));
    let max_ms = all().fold(0.0f64, f64::max).max(0.01) * 1.2;
    let min_ms = all()
        .filter(|v| *v > 0.0)
        .fold(f64::MAX, f64::min)
        .min(max_ms / 10.0)
        .max(0.001)
        / 1.2;
    let (log_min, log_max) = (min_ms.log10(), max_ms.log10());
    let x = |p: f64| MARGIN + nines(p) / MAX_NINES * (WIDTH - 2.0 * MARGIN);
    let y = |ms: f64| {
        let v = (ms.max(min_ms).log10() - log_min) / (log_max - log_min);
        HEIGHT - MARGIN - v * (HEIGHT - 2.0 * MARGIN)
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{title}</text>"#,
        WIDTH / 2.0
    );
    // Axes and grid.
    for (i, label) in ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        .iter()
        .enumerate()
    {
        let gx = MARGIN + i as f64 / MAX_NINES * (WIDTH - 2.0 * MARGIN);
        let _ = writeln!(
            svg,
            r##"<line x1="{gx}" y1="{MARGIN}" x2="{gx}" y2="{}" stroke="#ddd"/>"##,
            HEIGHT - MARGIN
        );
        let _ = writeln!(
            svg,
            r#"<text x="{gx}" y="{}" text-anchor="middle">{label}</text>"#,
            HEIGHT - MARGIN + 18.0
        );
    }
    for i in 0..=5 {
        let ms = 10f64.powf(log_min + (log_max - log_min) * i as f64 / 5.0);
        let gy = y(ms);
        let _ = writeln!(
            svg,
            r##"<line x1="{MARGIN}" y1="{gy}" x2="{}" y2="{gy}" stroke="#ddd"/>"##,
            WIDTH - MARGIN
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{ms:.3}</text>"#,
            MARGIN - 6.0,
            gy + 4.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">percentile</text>"#,
        WIDTH / 2.0,
        HEIGHT - 18.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">commit latency (ms, log scale)</text>"#,
        HEIGHT / 2.0,
        HEIGHT / 2.0
    );
    for (i, (label, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let path: Vec<String> = points
            .iter()
            .filter(|(_, p)| *p < 100.0)
            .map(|(ms, p)| format!("{:.1},{:.1}", x(*p), y(*ms)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        let ly = MARGIN + 16.0 * i as f64 + 10.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{}" y="{}" width="12" height="3" fill="{color}"/>"#,
            MARGIN + 10.0,
            ly - 4.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{ly}">{label}</text>"#,
            MARGIN + 28.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_polyline_per_series() {
        let series = vec![
            (
                "1000 rec/s".to_string(),
                vec![(1.0, 0.0), (2.0, 90.0), (3.0, 99.0)],
            ),
            ("10000 rec/s".to_string(), vec![(1.5, 0.0), (5.0, 99.9)]),
        ];
        let svg = percentile_svg("t", &series);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("1000 rec/s") && svg.ends_with("</svg>\n"));
        assert!((nines(99.0) - 2.0).abs() < 1e-9);
    }
}
