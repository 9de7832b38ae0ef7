//! Disclosure control for everything public: the area x need tables of every pupil count
//! the service publishes, suppressed together so that no endpoint reveals what another
//! hides.
//!
//! One grid per measure: row 0 is the whole authority, then one row per (layer, area) as in
//! [`area_rows`](crate::analyse::summary::area_rows) (including an `(outside)` row); column 0 is `ALL`, then one column per need
//! in [`Need::ALL`] order. The lines given to [`suppress_table`] are every row (ALL = sum of
//! the needs) and, per layer, every column (the authority total = sum of that layer's
//! rows). Primary suppression hides counts 1..=9, secondary suppression hides the smallest
//! other cell of any line with exactly one hidden cell, and visible counts are rounded to 5.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyse::summary::{AreaRow, GroupStats};
use crate::model::Need;
use crate::output::disclosure::suppress_table;

/// A pupil-derived count published by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Pupils (home in the area).
    Pupils,
    /// Pupils placed outside the authority.
    OutOfArea,
    /// Pupils whose journey is above their limit.
    LongJourneys,
    /// Out-of-area pupils with a suitable in-area place within their limit.
    BringBackCandidates,
    /// Pupils moved by the optimal bring-back.
    Moves,
}

impl Measure {
    /// Every measure, in output order.
    pub const ALL: [Measure; 5] = [
        Measure::Pupils,
        Measure::OutOfArea,
        Measure::LongJourneys,
        Measure::BringBackCandidates,
        Measure::Moves,
    ];

    /// The property / column name.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Pupils => "pupils",
            Measure::OutOfArea => "out_of_area",
            Measure::LongJourneys => "long_journeys",
            Measure::BringBackCandidates => "bring_back_candidates",
            Measure::Moves => "moves",
        }
    }

    /// The count in a group's figures.
    pub fn of(self, s: &GroupStats) -> u64 {
        let n = match self {
            Measure::Pupils => s.pupils,
            Measure::OutOfArea => s.out_of_area,
            Measure::LongJourneys => s.long_journeys,
            Measure::BringBackCandidates => s.bring_back_candidates,
            Measure::Moves => s.moves,
        };
        n as u64
    }
}

/// Column of a need (0 = ALL).
pub fn need_col(need: Option<Need>) -> usize {
    match need {
        None => 0,
        Some(n) => 1 + Need::ALL.iter().position(|x| *x == n).unwrap_or(0),
    }
}

/// Row 0: the authority.
pub const TOTAL_ROW: usize = 0;

/// Exact and public grids of every measure.
#[derive(Debug, Clone, Default)]
pub struct Disclosure {
    /// `(layer, area_id)` -> grid row.
    pub row_of: BTreeMap<(String, String), usize>,
    /// Exact figures per grid row and column (row 0 = the authority).
    pub stats: Vec<Vec<GroupStats>>,
    /// Public value per measure, row, column (`None` = suppressed).
    pub public: BTreeMap<Measure, Vec<Vec<Option<u64>>>>,
}

impl Disclosure {
    /// Build the grids from the area rows and the overall figures.
    pub fn build(
        rows: &[AreaRow],
        total: &GroupStats,
        per_need: &BTreeMap<String, GroupStats>,
    ) -> Disclosure {
        let n_cols = 1 + Need::ALL.len();
        let mut row_of: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut layer_rows: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut stats: Vec<Vec<GroupStats>> = Vec::new();
        let mut total_row = vec![GroupStats::default(); n_cols];
        total_row[0] = total.clone();
        for (i, need) in Need::ALL.iter().enumerate() {
            total_row[i + 1] = per_need.get(need.code()).cloned().unwrap_or_default();
        }
        stats.push(total_row);
        for r in rows {
            let key = (r.layer.clone(), r.area_id.clone());
            let row = *row_of.entry(key).or_insert_with(|| {
                stats.push(vec![GroupStats::default(); n_cols]);
                let idx = stats.len() - 1;
                layer_rows.entry(r.layer.clone()).or_default().push(idx);
                idx
            });
            let col = if r.need == "ALL" {
                0
            } else {
                let Some(pos) = Need::ALL.iter().position(|n| n.code() == r.need) else {
                    continue;
                };
                pos + 1
            };
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
        Disclosure {
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

    /// Public value of a cell (`None` = suppressed or no such cell).
    pub fn public(&self, m: Measure, row: usize, col: usize) -> Option<u64> {
        self.public.get(&m)?.get(row)?.get(col).copied().flatten()
    }

    /// Exact figures of a cell.
    pub fn exact(&self, row: usize, col: usize) -> Option<&GroupStats> {
        self.stats.get(row)?.get(col)
    }
}

/// Suppress a single list of counts that sum to a published total (the total is the last
/// value returned); used for provisions and reasons.
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

/// Round to the nearest `step` (for published money and distance figures).
pub fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

#[cfg(test)]
mod tests {
    use super::*;

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
            need: need.into(),
            stats: stats(pupils),
        }
    }

    #[test]
    fn small_cells_suppressed_and_secondary_protects_them() {
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
        per_need.insert("ASD".to_string(), stats(34));
        per_need.insert("SLCN".to_string(), stats(60));
        let d = Disclosure::build(&rows, &stats(94), &per_need);
        let a = d.row("l", "A").unwrap();
        let b = d.row("l", "B").unwrap();
        let asd = need_col(Some(Need::Asd));
        let slcn = need_col(Some(Need::Slcn));
        let p = |r, c| d.public(Measure::Pupils, r, c);
        assert_eq!(p(a, asd), None, "4 is below 10");
        // Row A: 4 hidden alone -> the smallest other (SLCN 40, or ALL 44) hidden too.
        assert_eq!(p(a, slcn), None);
        // Column ASD: A hidden alone -> B's 30 or the total hidden too.
        assert!(p(b, asd).is_none() || p(TOTAL_ROW, asd).is_none());
        // Every line has zero or at least two hidden cells.
        for r in 0..d.stats.len() {
            let hidden = (0..13).filter(|&c| p(r, c).is_none()).count();
            assert_ne!(hidden, 1, "row {r}");
        }
        // Visible values are multiples of 5.
        assert_eq!(p(TOTAL_ROW, 0), Some(95));
        assert_eq!(d.exact(a, asd).map(|s| s.pupils), Some(4));
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
    fn rounding() {
        assert_eq!(round_to(1234.0, 100.0), 1200.0);
        assert_eq!(round_to(1250.0, 100.0), 1300.0);
    }
}
