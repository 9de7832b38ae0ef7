//! Path weights in integer nano-units, compared lexicographically.
//!
//! Every search (Dijkstra trees, the contraction hierarchy, its sweeps and point-to-point
//! queries) adds and compares [`Cost`]s: the figure the metric minimises first (`primary`),
//! the other figure second (`secondary`), both in nano-units — nanoseconds for duration,
//! nanometres for length. Integer sums are associative, so every search finds exactly the
//! same optimum whatever order it adds edges in, and equal-time paths are resolved by the
//! shorter one (and the reverse under the distance metric): ties are the same on every
//! thread count. Rounding each edge to a nano-unit changes a journey of a thousand edges
//! by under a micrometre (or microsecond).

use crate::model::metric::Metric;

/// Micro-units per unit (metres → nm, seconds → ns).
pub const NANO: f64 = 1_000_000_000.0;

/// A path weight: `primary` is what the metric minimises, `secondary` the other figure.
/// Ordered lexicographically (primary, then secondary).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[repr(C)]
pub struct Cost {
    /// The minimised figure, nano-units.
    pub primary: u64,
    /// The other figure, nano-units.
    pub secondary: u64,
}

impl Cost {
    /// Not reached.
    pub const INFINITE: Cost = Cost {
        primary: u64::MAX,
        secondary: u64::MAX,
    };

    /// Zero cost.
    pub const ZERO: Cost = Cost {
        primary: 0,
        secondary: 0,
    };

    /// The weight of a stretch of road `length_m` long taking `duration_s`, for `metric`.
    pub fn of(metric: Metric, length_m: f64, duration_s: f64) -> Cost {
        Cost::from_micro(metric, to_nano(length_m), to_nano(duration_s))
    }

    /// From integer micrometres and microseconds.
    pub fn from_micro(metric: Metric, length_um: u64, duration_us: u64) -> Cost {
        match metric {
            Metric::Time => Cost {
                primary: duration_us,
                secondary: length_um,
            },
            Metric::Distance => Cost {
                primary: length_um,
                secondary: duration_us,
            },
        }
    }

    /// True unless this is [`Cost::INFINITE`].
    pub fn is_finite(self) -> bool {
        self.primary != u64::MAX
    }

    /// Sum, saturating at [`Cost::INFINITE`].
    #[inline]
    pub fn plus(self, o: Cost) -> Cost {
        if !self.is_finite() || !o.is_finite() {
            return Cost::INFINITE;
        }
        Cost {
            primary: self.primary.saturating_add(o.primary),
            secondary: self.secondary.saturating_add(o.secondary),
        }
    }

    /// Length in metres.
    pub fn length_m(self, metric: Metric) -> f64 {
        let um = match metric {
            Metric::Time => self.secondary,
            Metric::Distance => self.primary,
        };
        um as f64 / NANO
    }

    /// Duration in seconds.
    pub fn duration_s(self, metric: Metric) -> f64 {
        let us = match metric {
            Metric::Time => self.primary,
            Metric::Distance => self.secondary,
        };
        us as f64 / NANO
    }

    /// The minimised figure in whole units (seconds or metres).
    pub fn primary_units(self) -> f64 {
        self.primary as f64 / NANO
    }
}

/// A non-negative figure in nano-units, rounded to the nearest; negative or non-finite
/// input (never produced by the graph) maps to 0 and to `u64::MAX - 1` respectively.
pub fn to_nano(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if !x.is_finite() || x * NANO >= (u64::MAX / 4) as f64 {
        u64::MAX / 4
    } else {
        (x * NANO).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_primary_then_secondary() {
        let a = Cost::of(Metric::Time, 100.0, 10.0);
        let b = Cost::of(Metric::Time, 90.0, 10.0);
        let c = Cost::of(Metric::Time, 10.0, 11.0);
        assert!(b < a, "equal time: the shorter wins");
        assert!(a < c, "less time wins whatever the length");
        let d = Cost::of(Metric::Distance, 100.0, 10.0);
        assert_eq!(d.length_m(Metric::Distance), 100.0);
        assert_eq!(d.duration_s(Metric::Distance), 10.0);
    }

    #[test]
    fn sums_are_exact_and_saturate() {
        let a = Cost::of(Metric::Time, 0.1, 0.2);
        let s = a.plus(a).plus(a);
        assert_eq!(s, a.plus(a.plus(a)));
        assert_eq!(s.length_m(Metric::Time), 0.3);
        assert_eq!(Cost::INFINITE.plus(a), Cost::INFINITE);
        assert!(!Cost::INFINITE.is_finite());
        assert_eq!(to_nano(-1.0), 0);
        assert_eq!(to_nano(f64::NAN), 0);
    }
}
