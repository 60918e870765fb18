//! Percentiles and summaries of samples (milliseconds, kibibytes, …).

use serde::{Deserialize, Serialize};

/// The nearest-rank percentile `p` (0–100) of `sorted` (ascending): the smallest sample with at
/// least p % of the samples at or below it. No interpolation, so every figure reported is a
/// latency that was actually measured.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    /// `None` without samples; NaNs are dropped.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| !s.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let at = |p| percentile(&sorted, p).unwrap_or_default();
        Some(Summary {
            n: sorted.len(),
            min: sorted[0],
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            max: sorted[sorted.len() - 1],
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        })
    }
}

/// `peer / ours`, when both exist and ours is not zero.
pub fn ratio(peer: f64, ours: f64) -> Option<f64> {
    (ours > 0.0 && peer.is_finite()).then(|| peer / ours)
}

/// Least-squares slope of `ys` over `xs` (units of y per unit of x): how fast memory grows
/// over a load test. `None` with fewer than two distinct x.
pub fn slope(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return None;
    }
    let mean_x = xs[..n].iter().sum::<f64>() / n as f64;
    let mean_y = ys[..n].iter().sum::<f64>() / n as f64;
    let (mut cov, mut var) = (0.0, 0.0);
    for i in 0..n {
        cov += (xs[i] - mean_x) * (ys[i] - mean_y);
        var += (xs[i] - mean_x).powi(2);
    }
    (var > 0.0).then(|| cov / var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50.0));
        assert_eq!(percentile(&sorted, 99.0), Some(99.0));
        assert_eq!(percentile(&sorted, 100.0), Some(100.0));
        assert_eq!(percentile(&sorted, 0.0), Some(1.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
        // Ten samples: p50 is the 5th, p90 the 9th, p99 the 10th.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(
            [50.0, 90.0, 99.0].map(|p| percentile(&ten, p)),
            [Some(5.0), Some(9.0), Some(10.0)]
        );
    }

    #[test]
    fn summary_sorts_and_drops_nan() {
        let summary = Summary::of(&[3.0, f64::NAN, 1.0, 2.0, 10.0]).unwrap();
        assert_eq!(
            (
                summary.n,
                summary.min,
                summary.p50,
                summary.max,
                summary.mean
            ),
            (4, 1.0, 2.0, 10.0, 4.0)
        );
        assert_eq!(summary.p99, 10.0);
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
    }

    #[test]
    fn ratios_and_slopes() {
        assert_eq!(ratio(30.0, 3.0), Some(10.0));
        assert_eq!(ratio(30.0, 0.0), None);
        assert_eq!(
            slope(&[0.0, 1.0, 2.0, 3.0], &[10.0, 12.0, 14.0, 16.0]),
            Some(2.0)
        );
        assert_eq!(slope(&[0.0, 1.0, 2.0], &[5.0, 5.0, 5.0]), Some(0.0));
        assert_eq!(slope(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(slope(&[1.0], &[1.0]), None);
    }
}
