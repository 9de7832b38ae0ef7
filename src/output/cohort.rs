//! The `cohort` block of `summary.json`: every EHC plan, at a placement or not, by placement
//! status, with the unmet need and why the pupils without a placement have no journey.
//!
//! Public: one table of three lines (`placed + without_placement = ehc_plans`; the statuses
//! sum to `without_placement`; awaiting provision + missing education = `unmet_need`) through
//! primary and secondary suppression.

use serde::Serialize;

use crate::analyse::Analysed;
use crate::model::status::PlacementStatus;
use crate::output::disclosure::{suppress_table, Audience};

/// Pupils of one placement status (`cohort.by_status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCount {
    /// The status code, e.g. `awaiting_provision`.
    pub status: &'static str,
    /// Pupils with it.
    pub pupils: Option<u64>,
    /// True when it counts as unmet need (in the capital gap).
    pub unmet_need: bool,
    /// Why these pupils have no journey.
    pub no_journey: &'static str,
}

/// `summary.json` `cohort`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRecord {
    /// Every EHC plan in the pupils file (placed or not).
    pub ehc_plans: Option<u64>,
    /// Pupils at a named placement: the base of every journey figure.
    pub placed: Option<u64>,
    /// Pupils with no school placement: in demand, excluded from journey figures.
    pub without_placement: Option<u64>,
    /// Of them, unmet need (awaiting provision, or of compulsory school age and out of
    /// education): in the capital gap.
    pub unmet_need: Option<u64>,
    /// Every status without a placement, with its count (all listed, zero included).
    pub by_status: Vec<StatusCount>,
    /// The rule, in one sentence.
    pub journeys_exclude: &'static str,
}

/// The sentence behind `cohort.journeys_exclude`.
pub const JOURNEYS_EXCLUDE: &str = "pupils without a school placement (home educated, \
     other arrangements, other settings, awaiting provision, out of education, NEET, early \
     years, not recorded) count in demand and, when awaiting provision or out of education \
     at school age, in the capital gap; they have no journey and are left out of every \
     journey, long-journey and bring-back figure";

/// The `cohort` block for an audience.
pub fn cohort_record(p: &Analysed, audience: Audience) -> CohortRecord {
    let statuses: Vec<PlacementStatus> = PlacementStatus::without_placement().collect();
    let unplaced = &p.scenario.unplaced;
    let by_status: Vec<u64> = statuses
        .iter()
        .map(|&s| unplaced.iter().filter(|u| u.status == s).count() as u64)
        .collect();
    let without = unplaced.len() as u64;
    let placed = p.scenario.pupils.len() as u64;
    let unmet = unplaced.iter().filter(|u| u.status.is_unmet_need()).count() as u64;
    // cells: placed, without, total, each status, unmet
    let mut cells = vec![placed, without, placed + without];
    cells.extend(&by_status);
    cells.push(unmet);
    let status_col = |k: usize| 3 + k;
    let unmet_col = cells.len() - 1;
    let shown: Vec<Option<u64>> = match audience {
        Audience::Internal => cells.iter().copied().map(Some).collect(),
        Audience::Public => {
            let mut statuses_line: Vec<(usize, usize)> =
                (0..statuses.len()).map(|k| (0, status_col(k))).collect();
            statuses_line.push((0, 1));
            let mut unmet_line: Vec<(usize, usize)> = statuses
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_unmet_need())
                .map(|(k, _)| (0, status_col(k)))
                .collect();
            unmet_line.push((0, unmet_col));
            let lines = [vec![(0, 0), (0, 1), (0, 2)], statuses_line, unmet_line];
            suppress_table(&[cells.clone()], &lines)
                .pop()
                .unwrap_or_default()
        }
    };
    let at = |i: usize| shown.get(i).copied().flatten();
    CohortRecord {
        ehc_plans: at(2),
        placed: at(0),
        without_placement: at(1),
        unmet_need: at(unmet_col),
        by_status: statuses
            .iter()
            .enumerate()
            .map(|(k, &s)| StatusCount {
                status: s.as_str(),
                pupils: at(status_col(k)),
                unmet_need: s.is_unmet_need(),
                no_journey: s.no_journey_reason().unwrap_or_default(),
            })
            .collect(),
        journeys_exclude: JOURNEYS_EXCLUDE,
    }
}
