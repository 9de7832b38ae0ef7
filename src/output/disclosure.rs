//! The one disclosure module: every public figure the product publishes (files under
//! `public/`, anonymous HTTP answers) passes through here. No I/O.
//!
//! The rules (ONS practice for small counts in published tables, the "10/5 rule"; documented
//! for users in `docs/disclosure.md`):
//!
//! 1. **Counts** of pupils: a true zero is published as 0; counts 1–9 are suppressed; counts of
//!    10 or more are rounded to the nearest 5 ([`public_count`]).
//! 2. **Secondary suppression** within every published table ([`suppress_table`]): every line
//!    whose cells add up to another published cell (an area's needs to its `ALL` cell, a
//!    layer's areas to the authority, a nested layer's areas to their parent area) must have
//!    zero or at least two suppressed cells, so that no suppressed cell can be recovered by
//!    subtraction. The smallest other non-zero cell of a line is suppressed until that holds.
//! 3. **Derived figures** (km, hours, £, minutes, medians, percentiles, percentages, spare
//!    places) are published only where every count they derive from is published, and are
//!    themselves rounded ([`Derived::step`]): £ to the nearest £1,000, km to 100, hours to 10,
//!    minutes to 1, percentages to 1 point, spare places to 5.
//! 4. **Differences**: a public what-if answer is built from published values only: a
//!    count whose change against the baseline is 1–9 is suppressed together with every figure
//!    derived from it ([`public_change`]), and public money, km and hours of a what-if are the
//!    published count of moves times the published baseline figure per move
//!    ([`per_move_estimate`]), so two answers compared reveal nothing beyond rounded counts.
//!
//! Internal (officer) views are exact; they never pass through the public functions.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyse::summary::{AreaRow, GroupStats, LayerIndex};
use crate::model::Need;
pub use crate::model::NeedColumn;

/// Smallest count shown publicly.
pub const MIN_PUBLIC_COUNT: u64 = 10;
/// Public counts are rounded to the nearest multiple of this.
pub const ROUND_TO: u64 = 5;

/// Who a view is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Authorised officers: exact figures, pupil-level records.
    Internal,
    /// Anyone: aggregates through this module only.
    Public,
}

impl Audience {
    /// The word used in outputs (`internal` / `public`).
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::Public => "public",
        }
    }
}

/// Kinds of figure derived from pupils, each with its public rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// Pounds (a year): nearest £1,000.
    Gbp,
    /// Kilometres: nearest 100 km.
    Km,
    /// Hours: nearest 10 hours.
    Hours,
    /// Minutes (medians, percentiles, totals): nearest minute.
    Minutes,
    /// Percentages: nearest whole point.
    Percent,
    /// Spare places (capacity minus pupils on roll): nearest 5.
    Places,
    /// Ratios (the circuity of estimated journeys): nearest 0.01.
    Ratio,
    /// Speeds (of estimated journeys), km/h: nearest 1 km/h.
    Speed,
}

impl Derived {
    /// The public rounding step.
    pub fn step(self) -> f64 {
        match self {
            Derived::Gbp => 1000.0,
            Derived::Km => 100.0,
            Derived::Hours => 10.0,
            Derived::Minutes => 1.0,
            Derived::Percent => 1.0,
            Derived::Places => ROUND_TO as f64,
            Derived::Ratio => 0.01,
            Derived::Speed => 1.0,
        }
    }

    /// The public value of an exact figure (rounded to [`Derived::step`]).
    pub fn round(self, x: f64) -> f64 {
        round_to(x, self.step())
    }
}

/// Round to the nearest `step` (halves away from zero); `-0` is returned as `0`.
pub fn round_to(x: f64, step: f64) -> f64 {
    let r = (x / step).round() * step;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// A public count: 0 stays 0, 1–9 is suppressed (`None`), 10 or more is rounded to 5.
pub fn public_count(n: u64) -> Option<u64> {
    if n == 0 {
        Some(0)
    } else if n < MIN_PUBLIC_COUNT {
        None
    } else {
        Some((n + ROUND_TO / 2) / ROUND_TO * ROUND_TO)
    }
}

/// True when a count may be published (0, or 10 or more).
pub fn publishable(n: u64) -> bool {
    n == 0 || n >= MIN_PUBLIC_COUNT
}

/// A derived figure's public value: published only when its count is (`count_published`).
pub fn public_derived(kind: Derived, x: Option<f64>, count_published: bool) -> Option<f64> {
    x.filter(|_| count_published).map(|x| kind.round(x))
}

/// Apply primary and secondary suppression to a table of counts.
///
/// `cells[r][c]` are counts; `lines` lists groups of cells whose sum is published or
/// derivable (a row with its total, a column with its total). Returns the public value per
/// cell (`None` suppressed), visible values rounded to [`ROUND_TO`].
pub fn suppress_table(cells: &[Vec<u64>], lines: &[Vec<(usize, usize)>]) -> Vec<Vec<Option<u64>>> {
    let mut hidden: Vec<Vec<bool>> = cells
        .iter()
        .map(|row| row.iter().map(|&n| !publishable(n)).collect())
        .collect();
    loop {
        let mut changed = false;
        for line in lines {
            let n_hidden = line.iter().filter(|&&(r, c)| hidden[r][c]).count();
            if n_hidden != 1 {
                continue;
            }
            // Hide the smallest other non-zero visible cell of the line.
            let pick = line
                .iter()
                .filter(|&&(r, c)| !hidden[r][c] && cells[r][c] > 0)
                .min_by_key(|&&(r, c)| (cells[r][c], r, c));
            if let Some(&(r, c)) = pick {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    cells
        .iter()
        .zip(hidden)
        .map(|(row, h)| {
            row.iter()
                .zip(h)
                .map(|(&n, hide)| if hide { None } else { public_count(n) })
                .collect()
        })
        .collect()
}

/// Suppress one list of counts that adds up to a published total (returned last).
pub fn suppress_list(counts: &[u64]) -> (Vec<Option<u64>>, Option<u64>) {
    let total: u64 = counts.iter().sum();
    let mut row: Vec<u64> = counts.to_vec();
    row.push(total);
    let line: Vec<(usize, usize)> = (0..row.len()).map(|c| (0, c)).collect();
    let mut out = suppress_table(&[row], &[line]);
    let mut cells = out.pop().unwrap_or_default();
    let t = cells.pop().flatten();
    (cells, t)
}

/// The public change of a count between a published baseline and a what-if: `None` when
/// the exact change is 1–9 pupils either way, or either side is suppressed; otherwise the
/// difference of the published values.
pub fn public_change(before: u64, after: u64) -> Option<i64> {
    let delta = before.abs_diff(after);
    if delta > 0 && delta < MIN_PUBLIC_COUNT {
        return None;
    }
    let (b, a) = (public_count(before)?, public_count(after)?);
    Some(a as i64 - b as i64)
}

/// A public estimate of a what-if's money, km or hours: `moves` (a published count) times
/// the published baseline figure per move (`baseline_figure / baseline_moves`, both
/// published), rounded. `None` when the baseline has no published moves.
pub fn per_move_estimate(
    kind: Derived,
    moves: Option<u64>,
    baseline_figure: Option<f64>,
    baseline_moves: Option<u64>,
) -> Option<f64> {
    let (m, f, bm) = (moves?, baseline_figure?, baseline_moves?);
    if bm == 0 {
        return (m == 0).then_some(0.0);
    }
    Some(kind.round(m as f64 * f / bm as f64))
}

/// A pupil-derived count published in the area × need grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Pupils (home in the area).
    Pupils,
    /// Pupils placed outside the authority.
    OutOfArea,
    /// Pupils whose journey is above their limit.
    LongJourneys,
    /// Of them, pupils whose journey is estimated.
    LongJourneysEstimated,
    /// Out-of-area pupils with a suitable in-area place within their limit.
    BringBackCandidates,
    /// Pupils moved by the optimal bring-back.
    Moves,
    /// Pupils with a current journey (routed or estimated): the base of the medians.
    WithJourney,
    /// Pupils on roll at the receiving provisions sited in the area: the base of the spare
    /// places.
    LocalOnRoll,
    /// Pupils whose current placement has a known cost: the base of its total.
    PlacementCosted,
    /// Pupils whose current transport has a known cost: the base of its total.
    TransportCosted,
    /// Pupils with an EHC plan and no school placement (home in the area).
    WithoutPlacement,
    /// Of them, unmet need (awaiting provision, or out of education at school age).
    UnmetNeed,
}

impl Measure {
    /// Every measure, in grid order.
    pub const ALL: [Measure; 12] = [
        Measure::Pupils,
        Measure::OutOfArea,
        Measure::LongJourneys,
        Measure::LongJourneysEstimated,
        Measure::BringBackCandidates,
        Measure::Moves,
        Measure::WithJourney,
        Measure::LocalOnRoll,
        Measure::PlacementCosted,
        Measure::TransportCosted,
        Measure::WithoutPlacement,
        Measure::UnmetNeed,
    ];

    /// The count in a group's figures.
    pub fn of(self, s: &GroupStats) -> u64 {
        match self {
            Measure::Pupils => s.pupils as u64,
            Measure::OutOfArea => s.out_of_area as u64,
            Measure::LongJourneys => s.long_journeys as u64,
            Measure::LongJourneysEstimated => s.long_journeys_estimated as u64,
            Measure::PlacementCosted => s.placement_costed as u64,
            Measure::TransportCosted => s.transport_costed as u64,
            Measure::BringBackCandidates => s.bring_back_candidates as u64,
            Measure::Moves => s.moves as u64,
            Measure::WithJourney => s.with_journey as u64,
            Measure::LocalOnRoll => s.local_on_roll,
            Measure::WithoutPlacement => s.without_placement as u64,
            Measure::UnmetNeed => s.unmet_need as u64,
        }
    }
}

/// Grid row 0: the whole authority.
pub const TOTAL_ROW: usize = 0;

/// The area × need grid of every published pupil figure, exact and public.
///
/// Row 0 is the authority, then one row per (layer, area) of
/// [`area_rows`](crate::analyse::summary::area_rows) (including `(outside)` rows); column 0
/// is `ALL`, then one column per need. Lines for secondary suppression: every row (ALL = sum
/// of the needs); per layer, every column (the authority = sum of that layer's rows); and
/// where a layer nests in another (every pupil of each of its areas lives in one area of the
/// other), each parent area = sum of its children.
#[derive(Debug, Clone, Default)]
pub struct AreaGrid {
    row_of: BTreeMap<(String, String), usize>,
    stats: Vec<Vec<GroupStats>>,
    public: BTreeMap<Measure, Vec<Vec<Option<u64>>>>,
}

/// The published figures of one grid cell (internal: exact; public: through the rules).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellFigures {
    /// Pupils whose home is in the area (with the need).
    pub pupils: Option<u64>,
    /// Of them, placed outside the authority.
    pub out_of_area: Option<u64>,
    /// `out_of_area / pupils`, percent.
    pub out_of_area_pct: Option<f64>,
    /// Pupils whose current journey is above their phase's limit.
    pub long_journeys: Option<u64>,
    /// Of them, pupils whose current journey is estimated (not routed).
    pub long_journeys_estimated: Option<u64>,
    /// Out-of-area pupils with a suitable in-area place within their limit.
    pub bring_back_candidates: Option<u64>,
    /// Pupils moved by the optimal bring-back.
    pub moves: Option<u64>,
    /// Median current journey, minutes.
    pub median_minutes: Option<f64>,
    /// 90th percentile current journey, minutes.
    pub p90_minutes: Option<f64>,
    /// Spare places in receiving provisions sited in the area suiting the need.
    pub local_spare_places: Option<f64>,
    /// km a year saved by the moves.
    pub km_per_year_saved: Option<f64>,
    /// Hours a year saved by the moves.
    pub hours_per_year_saved: Option<f64>,
    /// Placement £ a year saved by the moves.
    pub placement_gbp_saved: Option<f64>,
    /// Transport £ a year saved by the moves.
    pub transport_gbp_saved: Option<f64>,
    /// Placement + transport £ a year saved.
    pub gbp_per_year_saved: Option<f64>,
    /// Pupils whose current placement has a known yearly cost.
    pub placement_costed: Option<u64>,
    /// What their current placements cost a year, £.
    pub current_placement_gbp: Option<f64>,
    /// Pupils whose current transport has a known yearly cost.
    pub transport_costed: Option<u64>,
    /// What their current transport costs a year, £.
    pub current_transport_gbp: Option<f64>,
    /// Pupils with an EHC plan and no school placement whose home is in the area (with the
    /// need): in demand, not in any journey figure.
    pub without_placement: Option<u64>,
    /// Of them, unmet need: awaiting provision, or of compulsory school age and out of
    /// education.
    pub unmet_need: Option<u64>,
}

/// Round to `dp` decimals (internal precision of a figure).
pub fn round_dp(x: f64, dp: i32) -> f64 {
    let f = 10f64.powi(dp);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

impl AreaGrid {
    /// Build the grid from the area rows, the authority figures and the layers (for the
    /// nesting lines).
    pub fn build(
        rows: &[AreaRow],
        total: &GroupStats,
        per_need: &BTreeMap<Need, GroupStats>,
        layers: &[LayerIndex],
    ) -> AreaGrid {
        let n_cols = 1 + Need::ALL.len();
        let mut row_of: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut layer_rows: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut total_row = vec![GroupStats::default(); n_cols];
        total_row[0] = total.clone();
        for (i, need) in Need::ALL.iter().enumerate() {
            total_row[i + 1] = per_need.get(need).cloned().unwrap_or_default();
        }
        let mut stats: Vec<Vec<GroupStats>> = vec![total_row];
        for r in rows {
            let key = (r.layer.clone(), r.area_id.clone());
            let row = *row_of.entry(key).or_insert_with(|| {
                stats.push(vec![GroupStats::default(); n_cols]);
                let idx = stats.len() - 1;
                layer_rows.entry(r.layer.clone()).or_default().push(idx);
                idx
            });
            let col = r.need.index();
            stats[row][col] = r.stats.clone();
        }
        let mut lines: Vec<Vec<(usize, usize)>> = (0..stats.len())
            .map(|r| (0..n_cols).map(|c| (r, c)).collect())
            .collect();
        for members in layer_rows.values() {
            for c in 0..n_cols {
                let mut line: Vec<(usize, usize)> = members.iter().map(|&r| (r, c)).collect();
                line.push((TOTAL_ROW, c));
                lines.push(line);
            }
        }
        for (parent, children) in nesting(layers, &row_of) {
            for c in 0..n_cols {
                let mut line: Vec<(usize, usize)> = children.iter().map(|&r| (r, c)).collect();
                line.push((parent, c));
                lines.push(line);
            }
        }
        let public = Measure::ALL
            .iter()
            .map(|&m| {
                let cells: Vec<Vec<u64>> = stats
                    .iter()
                    .map(|row| row.iter().map(|s| m.of(s)).collect())
                    .collect();
                (m, suppress_table(&cells, &lines))
            })
            .collect();
        AreaGrid {
            row_of,
            stats,
            public,
        }
    }

    /// Grid row of an area.
    pub fn row(&self, layer: &str, area_id: &str) -> Option<usize> {
        self.row_of
            .get(&(layer.to_string(), area_id.to_string()))
            .copied()
    }

    /// Number of rows (the authority and every area).
    pub fn rows(&self) -> usize {
        self.stats.len()
    }

    /// Public value of a count (`None` = suppressed or no such cell).
    pub fn public(&self, m: Measure, row: usize, col: NeedColumn) -> Option<u64> {
        self.public
            .get(&m)?
            .get(row)?
            .get(col.index())
            .copied()
            .flatten()
    }

    /// Exact figures of a cell.
    pub fn exact(&self, row: usize, col: NeedColumn) -> Option<&GroupStats> {
        self.stats.get(row)?.get(col.index())
    }

    /// The figures of a cell for an audience.
    pub fn figures(&self, row: usize, col: NeedColumn, audience: Audience) -> CellFigures {
        let s = self.exact(row, col).cloned().unwrap_or_default();
        match audience {
            Audience::Internal => internal_figures(&s),
            Audience::Public => self.public_figures(row, col, &s),
        }
    }

    fn public_figures(&self, row: usize, col: NeedColumn, s: &GroupStats) -> CellFigures {
        let p = |m: Measure| self.public(m, row, col);
        let pupils = p(Measure::Pupils);
        let out_of_area = p(Measure::OutOfArea);
        let moves = p(Measure::Moves);
        let journeys_shown = p(Measure::WithJourney).is_some_and(|n| n > 0);
        let moves_shown = moves.is_some();
        let money = |x: f64| public_derived(Derived::Gbp, Some(x), moves_shown);
        let pct = match (out_of_area, pupils) {
            (Some(o), Some(n)) if n > 0 => {
                Some(Derived::Percent.round(100.0 * o as f64 / n as f64))
            }
            _ => None,
        };
        CellFigures {
            pupils,
            out_of_area,
            out_of_area_pct: pct,
            long_journeys: p(Measure::LongJourneys),
            long_journeys_estimated: p(Measure::LongJourneysEstimated),
            bring_back_candidates: p(Measure::BringBackCandidates),
            moves,
            median_minutes: public_derived(Derived::Minutes, s.median_minutes, journeys_shown),
            p90_minutes: public_derived(Derived::Minutes, s.p90_minutes, journeys_shown),
            local_spare_places: public_derived(
                Derived::Places,
                Some(s.local_spare_places as f64),
                p(Measure::LocalOnRoll).is_some(),
            ),
            km_per_year_saved: public_derived(Derived::Km, Some(s.km_per_year_saved), moves_shown),
            hours_per_year_saved: public_derived(
                Derived::Hours,
                Some(s.hours_per_year_saved),
                moves_shown,
            ),
            placement_gbp_saved: money(s.placement_gbp_saved),
            transport_gbp_saved: money(s.transport_gbp_saved),
            gbp_per_year_saved: money(s.placement_gbp_saved + s.transport_gbp_saved),
            placement_costed: p(Measure::PlacementCosted),
            current_placement_gbp: public_derived(
                Derived::Gbp,
                Some(s.current_placement_gbp),
                p(Measure::PlacementCosted).is_some(),
            ),
            transport_costed: p(Measure::TransportCosted),
            current_transport_gbp: public_derived(
                Derived::Gbp,
                Some(s.current_transport_gbp),
                p(Measure::TransportCosted).is_some(),
            ),
            without_placement: p(Measure::WithoutPlacement),
            unmet_need: p(Measure::UnmetNeed),
        }
    }
}

/// Exact figures of a group, at the internal precision (minutes 0.01, km and hours 0.01,
/// £ 0.01, percent 0.1).
pub fn internal_figures(s: &GroupStats) -> CellFigures {
    CellFigures {
        pupils: Some(s.pupils as u64),
        out_of_area: Some(s.out_of_area as u64),
        out_of_area_pct: (s.pupils > 0)
            .then(|| round_dp(100.0 * s.out_of_area as f64 / s.pupils as f64, 1)),
        long_journeys: Some(s.long_journeys as u64),
        long_journeys_estimated: Some(s.long_journeys_estimated as u64),
        bring_back_candidates: Some(s.bring_back_candidates as u64),
        moves: Some(s.moves as u64),
        median_minutes: s.median_minutes.map(|x| round_dp(x, 2)),
        p90_minutes: s.p90_minutes.map(|x| round_dp(x, 2)),
        local_spare_places: Some(s.local_spare_places as f64),
        km_per_year_saved: Some(round_dp(s.km_per_year_saved, 2)),
        hours_per_year_saved: Some(round_dp(s.hours_per_year_saved, 2)),
        placement_gbp_saved: Some(round_dp(s.placement_gbp_saved, 2)),
        transport_gbp_saved: Some(round_dp(s.transport_gbp_saved, 2)),
        gbp_per_year_saved: Some(round_dp(s.placement_gbp_saved + s.transport_gbp_saved, 2)),
        placement_costed: Some(s.placement_costed as u64),
        current_placement_gbp: Some(round_dp(s.current_placement_gbp, 2)),
        transport_costed: Some(s.transport_costed as u64),
        current_transport_gbp: Some(round_dp(s.current_transport_gbp, 2)),
        without_placement: Some(s.without_placement as u64),
        unmet_need: Some(s.unmet_need as u64),
    }
}

/// Parent row -> child rows, for every pair of layers where one nests in the other with
/// respect to the pupils' homes (every child area's pupils live in one parent area).
fn nesting(
    layers: &[LayerIndex],
    row_of: &BTreeMap<(String, String), usize>,
) -> Vec<(usize, Vec<usize>)> {
    let area_row = |layer: &LayerIndex, a: Option<usize>| -> Option<usize> {
        let id = match a {
            Some(i) => layer.areas.get(i)?.0.clone(),
            None => "(outside)".to_string(),
        };
        row_of.get(&(layer.layer.clone(), id)).copied()
    };
    let mut out = Vec::new();
    for child in layers {
        for parent in layers {
            if std::ptr::eq(child, parent) || child.layer == parent.layer {
                continue;
            }
            let mut parent_of: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
            // every pupil, placed or not: each measure's line must hold for its own pupils
            let placed = child.pupil_area.iter().zip(&parent.pupil_area);
            let unplaced = child.unplaced_area.iter().zip(&parent.unplaced_area);
            for (ca, pa) in placed.chain(unplaced) {
                let (Some(cr), Some(pr)) = (area_row(child, *ca), area_row(parent, *pa)) else {
                    continue;
                };
                parent_of.entry(cr).or_default().insert(pr);
            }
            if parent_of.is_empty() || parent_of.values().any(|p| p.len() != 1) {
                continue;
            }
            let mut children_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (cr, ps) in parent_of {
                if let Some(&pr) = ps.iter().next() {
                    children_of.entry(pr).or_default().push(cr);
                }
            }
            out.extend(children_of);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_rule() {
        assert_eq!(public_count(0), Some(0), "a true zero is 0");
        assert_eq!(public_count(1), None);
        assert_eq!(public_count(9), None);
        assert_eq!(public_count(10), Some(10));
        assert_eq!(public_count(12), Some(10));
        assert_eq!(public_count(13), Some(15));
        assert_eq!(public_count(376), Some(375));
    }

    #[test]
    fn secondary_suppression_hides_a_second_cell() {
        // One row with a total: 3 (hidden) + 20 + 40 = 63. Hiding only 3 lets 63-20-40 recover it.
        let cells = vec![vec![3, 20, 40, 63]];
        let lines = vec![vec![(0, 0), (0, 1), (0, 2), (0, 3)]];
        let out = suppress_table(&cells, &lines);
        assert_eq!(out[0][0], None);
        assert_eq!(out[0][1], None, "the smallest other cell is hidden too");
        assert_eq!(out[0][2], Some(40));
        assert_eq!(out[0][3], Some(65));
    }

    #[test]
    fn zero_cells_are_shown_as_zero() {
        let cells = vec![vec![0, 25]];
        let out = suppress_table(&cells, &[vec![(0, 0), (0, 1)]]);
        assert_eq!(out[0], vec![Some(0), Some(25)]);
    }

    #[test]
    fn list_suppression_hides_two() {
        let (cells, total) = suppress_list(&[3, 25, 40]);
        assert_eq!(cells, vec![None, None, Some(40)]);
        assert_eq!(total, Some(70));
        let (cells, total) = suppress_list(&[0, 0]);
        assert_eq!(cells, vec![Some(0), Some(0)]);
        assert_eq!(total, Some(0));
    }

    #[test]
    fn rounding_steps() {
        assert_eq!(round_to(1234.0, 100.0), 1200.0);
        assert_eq!(round_to(1250.0, 100.0), 1300.0);
        assert_eq!(Derived::Gbp.round(42_499.0), 42_000.0);
        assert_eq!(Derived::Hours.round(138.53), 140.0);
        assert_eq!(round_to(-0.2, 1.0).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn changes_of_one_to_nine_pupils_are_hidden() {
        assert_eq!(public_change(37, 38), None);
        assert_eq!(public_change(37, 37), Some(0));
        assert_eq!(public_change(37, 47), Some(10));
        assert_eq!(
            public_change(3, 40),
            None,
            "a suppressed side hides the change"
        );
    }

    #[test]
    fn per_move_estimate_uses_published_values_only() {
        // 20 published moves saving a published £400,000: £20,000 a move.
        let e = per_move_estimate(Derived::Gbp, Some(30), Some(400_000.0), Some(20));
        assert_eq!(e, Some(600_000.0));
        assert_eq!(
            per_move_estimate(Derived::Gbp, None, Some(1.0), Some(20)),
            None
        );
        assert_eq!(
            per_move_estimate(Derived::Gbp, Some(0), Some(0.0), Some(0)),
            Some(0.0)
        );
    }

    fn stats(pupils: usize) -> GroupStats {
        GroupStats {
            pupils,
            ..GroupStats::default()
        }
    }

    fn row(layer: &str, area: &str, need: &str, pupils: usize) -> AreaRow {
        AreaRow {
            layer: layer.into(),
            area_id: area.into(),
            area_name: area.into(),
            need: need.parse().expect("a need column code"),
            stats: stats(pupils),
        }
    }

    #[test]
    fn grid_rows_and_columns_protect_small_cells() {
        // Area A: 4 ASD + 40 SLCN = 44; area B: 30 ASD + 20 SLCN = 50. Total 94.
        let rows = vec![
            row("l", "A", "ALL", 44),
            row("l", "A", "ASD", 4),
            row("l", "A", "SLCN", 40),
            row("l", "B", "ALL", 50),
            row("l", "B", "ASD", 30),
            row("l", "B", "SLCN", 20),
        ];
        let mut per_need = BTreeMap::new();
        per_need.insert(Need::Asd, stats(34));
        per_need.insert(Need::Slcn, stats(60));
        let d = AreaGrid::build(&rows, &stats(94), &per_need, &[]);
        let a = d.row("l", "A").unwrap();
        let b = d.row("l", "B").unwrap();
        let asd = NeedColumn::One(Need::Asd);
        let slcn = NeedColumn::One(Need::Slcn);
        let p = |r, c| d.public(Measure::Pupils, r, c);
        assert_eq!(p(a, asd), None, "4 is below 10");
        assert_eq!(p(a, slcn), None, "row A: a second cell hidden");
        assert!(p(b, asd).is_none() || p(TOTAL_ROW, asd).is_none());
        for r in 0..d.rows() {
            let hidden = NeedColumn::every()
                .into_iter()
                .filter(|&c| p(r, c).is_none())
                .count();
            assert_ne!(hidden, 1, "row {r}");
        }
        assert_eq!(p(TOTAL_ROW, NeedColumn::All), Some(95));
        assert_eq!(d.exact(a, asd).map(|s| s.pupils), Some(4));
    }

    #[test]
    fn derived_figures_follow_their_counts() {
        let mut s = stats(40);
        s.moves = 1;
        s.with_journey = 40;
        s.km_per_year_saved = 5504.96;
        s.hours_per_year_saved = 138.53;
        s.placement_gbp_saved = 203_000.0;
        s.median_minutes = Some(23.4);
        let rows = vec![AreaRow {
            layer: "l".into(),
            area_id: "A".into(),
            area_name: "A".into(),
            need: NeedColumn::All,
            stats: s.clone(),
        }];
        let d = AreaGrid::build(&rows, &s, &BTreeMap::new(), &[]);
        let a = d.row("l", "A").unwrap();
        let f = d.figures(a, NeedColumn::All, Audience::Public);
        assert_eq!(f.moves, None);
        assert_eq!(
            f.km_per_year_saved, None,
            "km of one move is hidden with it"
        );
        assert_eq!(f.hours_per_year_saved, None);
        assert_eq!(f.placement_gbp_saved, None);
        assert_eq!(f.median_minutes, Some(23.0), "minutes to 1");
        let f = d.figures(a, NeedColumn::All, Audience::Internal);
        assert_eq!(f.km_per_year_saved, Some(5504.96));
    }

    #[test]
    fn nested_layers_add_lines() {
        // Pupils 0..3 in ward w1 (district d1), 3..40 in ward w2 (district d1), 40..80 in w3 (d2).
        let n = 80;
        let wards = LayerIndex {
            layer: "ward".into(),
            areas: vec![
                ("w1".into(), "w1".into()),
                ("w2".into(), "w2".into()),
                ("w3".into(), "w3".into()),
            ],
            pupil_area: (0..n)
                .map(|u| {
                    Some(if u < 3 {
                        0
                    } else if u < 40 {
                        1
                    } else {
                        2
                    })
                })
                .collect(),
            unplaced_area: vec![],
            provision_area: vec![],
        };
        let districts = LayerIndex {
            layer: "district".into(),
            areas: vec![("d1".into(), "d1".into()), ("d2".into(), "d2".into())],
            pupil_area: (0..n).map(|u| Some(usize::from(u >= 40))).collect(),
            unplaced_area: vec![],
            provision_area: vec![],
        };
        let rows = vec![
            row("ward", "w1", "ALL", 3),
            row("ward", "w2", "ALL", 37),
            row("ward", "w3", "ALL", 40),
            row("district", "d1", "ALL", 40),
            row("district", "d2", "ALL", 40),
        ];
        let d = AreaGrid::build(&rows, &stats(80), &BTreeMap::new(), &[wards, districts]);
        let p = |l: &str, a: &str| d.public(Measure::Pupils, d.row(l, a).unwrap(), NeedColumn::All);
        assert_eq!(p("ward", "w1"), None);
        // d1 = w1 + w2: with d1 shown, w2 must be hidden too (else w1 = d1 - w2).
        assert!(p("district", "d1").is_none() || p("ward", "w2").is_none());
    }
}
