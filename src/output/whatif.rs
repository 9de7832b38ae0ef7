//! What-if answers: the bring-back figures of a run, exact for officers and built from
//! published values only for everyone else (rule 4 of `docs/disclosure.md`).

use serde::Serialize;

use crate::analyse::placement::Analysis;
use crate::output::disclosure::{
    per_move_estimate, public_change, public_count, public_derived, Derived,
};
use crate::output::records::dec2;

/// Bring-back figures of one run (exact).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Figures {
    /// Pupils brought back.
    pub moved: usize,
    /// Total minutes of their new journeys.
    pub total_minutes: f64,
    /// km a year saved.
    pub km_per_year_saved: f64,
    /// Hours a year saved.
    pub hours_per_year_saved: f64,
    /// Placement £ a year saved.
    pub placement_gbp_saved: f64,
    /// Transport £ a year saved.
    pub transport_gbp_saved: f64,
    /// Total £ a year saved.
    pub gbp_per_year_saved: f64,
}

/// Bring-back figures as answered (`null` = suppressed).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Answer {
    /// Pupils brought back.
    pub moved: Option<i64>,
    /// Total minutes of their new journeys.
    pub total_minutes: Option<f64>,
    /// km a year saved.
    pub km_per_year_saved: Option<f64>,
    /// Hours a year saved.
    pub hours_per_year_saved: Option<f64>,
    /// Placement £ a year saved.
    pub placement_gbp_saved: Option<f64>,
    /// Transport £ a year saved.
    pub transport_gbp_saved: Option<f64>,
    /// Total £ a year saved.
    pub gbp_per_year_saved: Option<f64>,
}

impl Figures {
    /// Figures of an analysis.
    pub fn of(a: &Analysis) -> Figures {
        let mut f = Figures {
            moved: a.optimal.moved,
            total_minutes: a.optimal.total_minutes,
            ..Figures::default()
        };
        for m in &a.moves {
            f.km_per_year_saved += m.km_per_year_saved;
            f.hours_per_year_saved += m.hours_per_year_saved;
            f.placement_gbp_saved += m.placement_gbp_saved.unwrap_or(0.0);
            f.transport_gbp_saved += m.transport_gbp_saved.unwrap_or(0.0);
        }
        f.gbp_per_year_saved = f.placement_gbp_saved + f.transport_gbp_saved;
        f
    }

    fn derived(&self) -> [(Derived, f64); 6] {
        [
            (Derived::Minutes, self.total_minutes),
            (Derived::Km, self.km_per_year_saved),
            (Derived::Hours, self.hours_per_year_saved),
            (Derived::Gbp, self.placement_gbp_saved),
            (Derived::Gbp, self.transport_gbp_saved),
            (Derived::Gbp, self.gbp_per_year_saved),
        ]
    }

    /// The exact figures, at 2 decimals (officers).
    pub fn exact(&self) -> Answer {
        let d = self.derived().map(|(_, x)| Some(dec2(x)));
        Answer::from_parts(Some(self.moved as i64), d)
    }
}

impl Answer {
    fn from_parts(moved: Option<i64>, d: [Option<f64>; 6]) -> Answer {
        Answer {
            moved,
            total_minutes: d[0],
            km_per_year_saved: d[1],
            hours_per_year_saved: d[2],
            placement_gbp_saved: d[3],
            transport_gbp_saved: d[4],
            gbp_per_year_saved: d[5],
        }
    }

    /// `self − base`, figure by figure (`None` where either is).
    pub fn minus(&self, base: &Answer) -> Answer {
        let sub = |a: Option<f64>, b: Option<f64>| Some(dec2(a? - b?));
        Answer {
            moved: self.moved.zip(base.moved).map(|(a, b)| a - b),
            total_minutes: sub(self.total_minutes, base.total_minutes),
            km_per_year_saved: sub(self.km_per_year_saved, base.km_per_year_saved),
            hours_per_year_saved: sub(self.hours_per_year_saved, base.hours_per_year_saved),
            placement_gbp_saved: sub(self.placement_gbp_saved, base.placement_gbp_saved),
            transport_gbp_saved: sub(self.transport_gbp_saved, base.transport_gbp_saved),
            gbp_per_year_saved: sub(self.gbp_per_year_saved, base.gbp_per_year_saved),
        }
    }
}

/// The public baseline: the published moves of the authority (the summary's figure) and
/// each derived figure published with them, rounded.
pub fn public_baseline(base: &Figures, published_moved: Option<u64>) -> Answer {
    let d = base
        .derived()
        .map(|(kind, x)| public_derived(kind, Some(x), published_moved.is_some()));
    Answer::from_parts(published_moved.map(|m| m as i64), d)
}

/// The public what-if answer, built from published values only: the moves are published
/// when their change against the baseline is 0 or 10 or more pupils; money, km, hours and
/// minutes are the published moves times the published baseline figure per move.
pub fn public_whatif(base: &Figures, new: &Figures, baseline: &Answer) -> Answer {
    let base_moved = baseline.moved.map(|m| m.max(0) as u64);
    let shown = base_moved
        .and(public_change(base.moved as u64, new.moved as u64))
        .and(public_count(new.moved as u64));
    let b = [
        baseline.total_minutes,
        baseline.km_per_year_saved,
        baseline.hours_per_year_saved,
        baseline.placement_gbp_saved,
        baseline.transport_gbp_saved,
        baseline.gbp_per_year_saved,
    ];
    let kinds = base.derived().map(|(k, _)| k);
    let d: [Option<f64>; 6] =
        std::array::from_fn(|i| per_move_estimate(kinds[i], shown, b[i], base_moved));
    Answer::from_parts(shown.map(|m| m as i64), d)
}

/// An added or changed provision in a what-if answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TouchedProvision {
    /// Provision id.
    pub id: String,
    /// Added by the request (else changed).
    pub added: bool,
    /// Its places in the what-if.
    pub places: Option<u32>,
    /// Spare places before (officers only).
    pub spare_before: Option<u32>,
    /// Pupils the what-if's bring-back moves here.
    pub moves_in: Option<u64>,
}

/// The whole what-if answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfAnswer {
    /// `internal` or `public`.
    pub visibility: &'static str,
    /// How the public figures are made.
    pub disclosure: &'static str,
    /// Today's bring-back.
    pub baseline: Answer,
    /// The what-if's bring-back.
    pub whatif: Answer,
    /// `whatif − baseline`.
    pub change: Answer,
    /// Each added or changed provision.
    pub provisions: Vec<TouchedProvision>,
    /// With `"runs": true` (officers): the moves re-costed on shared runs.
    pub runs: Option<RunsChange>,
}

/// The bring-back's moves re-costed on shared runs, today's and the what-if's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunsChange {
    /// Today's bring-back on runs.
    pub baseline: crate::analyse::runs::MovesOnRuns,
    /// The what-if's bring-back on runs.
    pub whatif: crate::analyse::runs::MovesOnRuns,
    /// `whatif − baseline` of the £ a year saved on runs.
    pub change_gbp_per_year_saved: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(moved: usize, gbp: f64) -> Figures {
        Figures {
            moved,
            total_minutes: moved as f64 * 20.0,
            gbp_per_year_saved: gbp,
            placement_gbp_saved: gbp,
            ..Figures::default()
        }
    }

    #[test]
    fn one_pupil_more_is_not_revealed() {
        let base = figures(37, 740_000.0);
        let base_pub = public_baseline(&base, public_count(37));
        assert_eq!(base_pub.moved, Some(35));
        assert_eq!(base_pub.gbp_per_year_saved, Some(740_000.0));
        // One more pupil moved, saving £42,000: nothing of it is published.
        let new = figures(38, 782_000.0);
        let w = public_whatif(&base, &new, &base_pub);
        assert_eq!(w.moved, None);
        assert_eq!(w.gbp_per_year_saved, None);
        // Twelve more: published, priced per published move of the baseline.
        let new = figures(49, 1_300_000.0);
        let w = public_whatif(&base, &new, &base_pub);
        assert_eq!(w.moved, Some(50));
        assert_eq!(w.gbp_per_year_saved, Some(1_057_000.0));
        // No change: the baseline again.
        let w = public_whatif(&base, &base, &base_pub);
        assert_eq!(w, base_pub);
    }

    #[test]
    fn exact_answers_for_officers() {
        let a = figures(3, 123_456.0).exact();
        assert_eq!(a.moved, Some(3));
        assert_eq!(a.gbp_per_year_saved, Some(123_456.0));
        let d = figures(5, 10.0).exact().minus(&a);
        assert_eq!(d.moved, Some(2));
    }
}
