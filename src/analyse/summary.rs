//! Summaries of an [`Analysis`]: per area (of every layer) x need, and overall.
//!
//! A pupil belongs to the area holding their home; a provision to the area holding its
//! site. Journey percentiles are nearest-rank over the pupils' current journeys (routed or
//! estimated). Pupils without a school placement ([`UnplacedPupil`]) count in their area's
//! `without_placement` (and `unmet_need`) only: they have no journey. No I/O here; the
//! caller locates points in areas.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyse::placement::{median_p90, Analysis, NotMoved};
use crate::model::ids::{ProvisionIdx, PupilIdx};
use crate::model::status::UnplacedPupil;
use crate::model::{Need, NeedColumn, Provision, Pupil};

/// One layer's areas and where each pupil and provision falls.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerIndex {
    /// Layer id.
    pub layer: String,
    /// `(id, name)` per area.
    pub areas: Vec<(String, String)>,
    /// Area index per pupil (home), indexed by [`PupilIdx::index`].
    pub pupil_area: Vec<Option<usize>>,
    /// Area index per pupil without a placement (home), aligned with
    /// `Scenario::unplaced`.
    pub unplaced_area: Vec<Option<usize>>,
    /// Area index per provision (site), indexed by [`ProvisionIdx::index`].
    pub provision_area: Vec<Option<usize>>,
}

impl LayerIndex {
    /// The area holding a pupil's home (`None`: outside every area of the layer).
    pub fn area_of_pupil(&self, u: PupilIdx) -> Option<usize> {
        self.pupil_area.get(u.index()).copied().flatten()
    }

    /// The area holding a provision's site (`None`: outside every area of the layer).
    pub fn area_of_provision(&self, pi: ProvisionIdx) -> Option<usize> {
        self.provision_area.get(pi.index()).copied().flatten()
    }
}

/// Figures for a group of pupils (an area x need cell, a need, or everyone).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    /// Pupils at a placement (the base of every journey figure).
    pub pupils: usize,
    /// Pupils with an EHC plan and no school placement (home educated, awaiting provision,
    /// …): counted in demand, excluded from journey figures.
    pub without_placement: usize,
    /// Of them, unmet need: awaiting provision, or of compulsory school age and out of
    /// education. Counted in the capital gap.
    pub unmet_need: usize,
    /// Pupils placed outside the home authority.
    pub out_of_area: usize,
    /// Pupils whose current journey is above their limit.
    pub long_journeys: usize,
    /// Of them, pupils whose current journey is estimated, not routed.
    pub long_journeys_estimated: usize,
    /// Pupils with a current journey (routed or estimated): the base of the percentiles.
    pub with_journey: usize,
    /// Median current journey, minutes.
    pub median_minutes: Option<f64>,
    /// 90th percentile current journey, minutes.
    pub p90_minutes: Option<f64>,
    /// Spare places in receiving provisions of the area suiting the need (for "ALL", every
    /// receiving provision in the area).
    pub local_spare_places: u64,
    /// Pupils on roll at those provisions (the count the spare places derive from).
    pub local_on_roll: u64,
    /// Out-of-area pupils with at least one suitable in-area place within their limit.
    pub bring_back_candidates: usize,
    /// Pupils moved by the optimal bring-back.
    pub moves: usize,
    /// km/year saved by those moves.
    pub km_per_year_saved: f64,
    /// Hours/year saved.
    pub hours_per_year_saved: f64,
    /// Placement £/year saved.
    pub placement_gbp_saved: f64,
    /// Transport £/year saved.
    pub transport_gbp_saved: f64,
    /// Pupils whose current placement has a known yearly cost.
    pub placement_costed: usize,
    /// Their current placements' yearly cost, £.
    pub current_placement_gbp: f64,
    /// Pupils whose current transport has a known yearly cost.
    pub transport_costed: usize,
    /// Their current transport's yearly cost, £.
    pub current_transport_gbp: f64,
}

/// One row of `areas.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaRow {
    /// Layer id.
    pub layer: String,
    /// Area id (`"(outside)"` for homes in no area of the layer).
    pub area_id: String,
    /// Area name.
    pub area_name: String,
    /// The need, or every need (`ALL`); written as its code.
    pub need: NeedColumn,
    /// The figures.
    #[serde(flatten)]
    pub stats: GroupStats,
}

/// A group of pupils: those at a placement (by index) and those without one.
struct Members<'a> {
    placed: Vec<PupilIdx>,
    unplaced: Vec<&'a UnplacedPupil>,
}

impl<'a> Members<'a> {
    /// The members of need `need`.
    fn of_need(&self, need: Need, pupils: &[Pupil]) -> Members<'a> {
        Members {
            placed: self
                .placed
                .iter()
                .copied()
                .filter(|u| pupils.get(u.index()).is_some_and(|p| p.need == need))
                .collect(),
            unplaced: self
                .unplaced
                .iter()
                .copied()
                .filter(|p| p.need == need)
                .collect(),
        }
    }
}

fn group_stats(
    analysis: &Analysis,
    members: &Members<'_>,
    local: LocalPlaces,
    candidates_by_pupil: &BTreeMap<PupilIdx, bool>,
) -> GroupStats {
    let mut s = GroupStats {
        local_spare_places: local.spare,
        local_on_roll: local.on_roll,
        without_placement: members.unplaced.len(),
        unmet_need: members
            .unplaced
            .iter()
            .filter(|p| p.status.is_unmet_need())
            .count(),
        ..GroupStats::default()
    };
    let mut minutes = Vec::new();
    for &u in &members.placed {
        let Some(r) = analysis.pupils.get(u.index()) else {
            continue;
        };
        s.pupils += 1;
        s.out_of_area += usize::from(r.out_of_area);
        s.long_journeys += usize::from(r.long_journey);
        s.long_journeys_estimated +=
            usize::from(r.long_journey && r.current.is_some_and(|c| c.estimated));
        if let Some(c) = r.current {
            minutes.push(c.minutes);
        }
        if let Some(g) = r.current_cost.placement_gbp {
            s.placement_costed += 1;
            s.current_placement_gbp += g;
        }
        if let Some(g) = r.current_cost.transport_gbp {
            s.transport_costed += 1;
            s.current_transport_gbp += g;
        }
        if candidates_by_pupil.get(&u).copied().unwrap_or(false) {
            s.bring_back_candidates += 1;
        }
        if let Some(m) = r.moved.and_then(|mi| analysis.moves.get(mi.index())) {
            s.moves += 1;
            s.km_per_year_saved += m.km_per_year_saved;
            s.hours_per_year_saved += m.hours_per_year_saved;
            s.placement_gbp_saved += m.placement_gbp_saved.unwrap_or(0.0);
            s.transport_gbp_saved += m.transport_gbp_saved.unwrap_or(0.0);
        }
    }
    s.with_journey = minutes.len();
    let (median, p90) = median_p90(minutes);
    s.median_minutes = median;
    s.p90_minutes = p90;
    s
}

/// Spare places of a set of provisions and the pupils on roll there.
#[derive(Debug, Clone, Copy, Default)]
struct LocalPlaces {
    spare: u64,
    on_roll: u64,
}

fn spare_of(
    provisions: &[Provision],
    receiving: &[bool],
    idx: &[ProvisionIdx],
    need: Option<Need>,
) -> LocalPlaces {
    idx.iter()
        .filter(|pi| receiving.get(pi.index()).copied().unwrap_or(false))
        .filter_map(|pi| provisions.get(pi.index()))
        .filter(|p| need.is_none_or(|n| p.needs.contains(&n)))
        .fold(LocalPlaces::default(), |acc, p| LocalPlaces {
            spare: acc.spare + u64::from(p.spare_places().unwrap_or(0)),
            on_roll: acc.on_roll + u64::from(p.on_roll),
        })
}

/// The pupils of a cohort: at a placement, and without one.
#[derive(Debug, Clone, Copy)]
pub struct Cohort<'a> {
    /// Pupils at a placement (indexed like the analysis's pupils).
    pub pupils: &'a [Pupil],
    /// Pupils without a school placement.
    pub unplaced: &'a [UnplacedPupil],
}

/// Rows for every layer x area x (ALL + each need), plus an `(outside)` row per layer for
/// homes outside every area of the layer when there are any.
pub fn area_rows(
    analysis: &Analysis,
    cohort: Cohort<'_>,
    provisions: &[Provision],
    receiving: &[bool],
    layers: &[LayerIndex],
) -> Vec<AreaRow> {
    let pupils = cohort.pupils;
    let candidates = candidate_flags(analysis);
    let mut rows = Vec::new();
    for layer in layers {
        let n_areas = layer.areas.len();
        let mut members: Vec<Members<'_>> = (0..=n_areas)
            .map(|_| Members {
                placed: Vec::new(),
                unplaced: Vec::new(),
            })
            .collect();
        for (u, a) in PupilIdx::all(layer.pupil_area.len()).zip(&layer.pupil_area) {
            members[a.unwrap_or(n_areas)].placed.push(u);
        }
        for (p, a) in cohort.unplaced.iter().zip(&layer.unplaced_area) {
            members[a.unwrap_or(n_areas)].unplaced.push(p);
        }
        let mut sites: Vec<Vec<ProvisionIdx>> = vec![Vec::new(); n_areas + 1];
        for (pi, a) in ProvisionIdx::all(layer.provision_area.len()).zip(&layer.provision_area) {
            sites[a.unwrap_or(n_areas)].push(pi);
        }
        for ai in 0..=n_areas {
            let (id, name) = match layer.areas.get(ai) {
                Some((i, n)) => (i.clone(), n.clone()),
                None => {
                    if members[ai].placed.is_empty() && members[ai].unplaced.is_empty() {
                        continue;
                    }
                    ("(outside)".to_string(), "Outside every area".to_string())
                }
            };
            let all = group_stats(
                analysis,
                &members[ai],
                spare_of(provisions, receiving, &sites[ai], None),
                &candidates,
            );
            rows.push(AreaRow {
                layer: layer.layer.clone(),
                area_id: id.clone(),
                area_name: name.clone(),
                need: NeedColumn::All,
                stats: all,
            });
            for need in Need::ALL {
                let m = members[ai].of_need(need, pupils);
                let stats = group_stats(
                    analysis,
                    &m,
                    spare_of(provisions, receiving, &sites[ai], Some(need)),
                    &candidates,
                );
                rows.push(AreaRow {
                    layer: layer.layer.clone(),
                    area_id: id.clone(),
                    area_name: name.clone(),
                    need: NeedColumn::One(need),
                    stats,
                });
            }
        }
    }
    rows
}

/// Per pupil: has at least one within-limit bring-back candidate.
pub fn candidate_flags(analysis: &Analysis) -> BTreeMap<PupilIdx, bool> {
    let mut m = BTreeMap::new();
    for c in &analysis.candidates {
        let e = m.entry(c.pupil).or_insert(false);
        *e |= c.within_threshold;
    }
    m
}

/// Figures for everyone and per need.
pub fn overall(
    analysis: &Analysis,
    cohort: Cohort<'_>,
    provisions: &[Provision],
    receiving: &[bool],
) -> (GroupStats, BTreeMap<Need, GroupStats>) {
    let pupils = cohort.pupils;
    let candidates = candidate_flags(analysis);
    let all_sites: Vec<ProvisionIdx> = analysis
        .provisions
        .iter()
        .filter(|p| p.in_area)
        .map(|p| p.provision)
        .collect();
    let everyone = Members {
        placed: PupilIdx::all(pupils.len()).collect(),
        unplaced: cohort.unplaced.iter().collect(),
    };
    let total = group_stats(
        analysis,
        &everyone,
        spare_of(provisions, receiving, &all_sites, None),
        &candidates,
    );
    let mut per_need = BTreeMap::new();
    for need in Need::ALL {
        let m = everyone.of_need(need, pupils);
        per_need.insert(
            need,
            group_stats(
                analysis,
                &m,
                spare_of(provisions, receiving, &all_sites, Some(need)),
                &candidates,
            ),
        );
    }
    (total, per_need)
}

/// Out-of-area pupils not moved, by reason (every reason, zero included).
pub fn not_moved_counts(analysis: &Analysis) -> BTreeMap<NotMoved, usize> {
    let mut m: BTreeMap<NotMoved, usize> = NotMoved::ALL.iter().map(|&r| (r, 0)).collect();
    for r in &analysis.pupils {
        if let Some(reason) = r.not_moved {
            *m.entry(reason).or_default() += 1;
        }
    }
    m
}
