//! Planning: where new specialist places would do most good, and a capital plan view that a
//! finance officer can attach to a bid.
//!
//! Glue over the pure location-allocation core [`crate::analyse::siting`]: this module turns a
//! [`Analysed`] scenario and a [`SiteRequest`] (need, age range, places per base, `k`,
//! objective) into a [`SitingProblem`], routes **once per candidate site** (one reverse
//! search each, in parallel with rayon; the journeys are reused for every site set the search
//! evaluates), runs the heuristic ([`siting::optimise`]) for `k = 1..=K` and, on small
//! instances, the exact MIP ([`siting::solve_exact`]) to report the heuristic's gap. Every
//! chosen set is priced: pupils returned, journey hours and km saved, placement and transport
//! £/year saved, capital cost and payback. [`capital_plan`] adds the per area × need view.
//! The writers of the `nearhome site` outputs (`sites.csv`, `proposals.csv`, `capital.csv`,
//! `sites.geojson`, `report.md`) are `crate::output::planning`; reading a user candidates CSV
//! is `crate::load::candidates`. No I/O here; must not import `crate::load`,
//! `crate::output`, `crate::serve` or `crate::app`. The method is documented in
//! `docs/planning.md`.
//!
//! Semantics:
//! - **Pupils** of the problem: pupils of the requested need whose age is in
//!   `age_min..=age_max`, whose placement type admits the new kind (special-school and
//!   resource-base pupils; not mainstream or post-16 pupils, see [`PlacementType`]) and
//!   whose current journey is known (routed or estimated). Pupils without one (unsnappable
//!   home, unknown placement, unreachable) are left out and counted in
//!   [`SiteResult::excluded_no_journey`].
//! - **Existing places**: receiving provisions inside the home boundary that list the need,
//!   whose age range overlaps the request and that have spare places; a pupil may move there
//!   when the provision suits the pupil (need, age) and the routed journey is within the
//!   pupil's limit.
//! - **Candidates**: by default every mainstream and special school site inside the home
//!   boundary whose age range overlaps the request's (identical locations merged), plus user
//!   points; a user point outside the
//!   boundary is rejected (a new base must be local). A pupil may use a new base within the
//!   pupil's journey limit.
//! - **Money**: a moved pupil saves the placement cost of the current placement minus that of
//!   the new one (an existing provision's own cost, or the scenario's cost of a place of the
//!   new base's kind), and the transport cost of the current journey (the pupil's actual cost
//!   when given) minus that of the new journey at the £/km rate of the pupil's mode.
//!   Figures "due to the new places" are the set's figures minus the no-new-site baseline
//!   (existing spare places only). Capital = sites × places × `capital_gbp_per_place`;
//!   payback years = capital / annual saving due to the new places (none when ≤ 0).

use std::collections::BTreeMap;
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analyse::placement::{centiminutes, PupilResult, Trip};
use crate::analyse::siting::{
    self, CandidateSite, Destination, Evaluation, HeuristicOptions, Movers, Objective, SitingArc,
    SitingError, SitingProblem, SitingPupil, MAX_COST_CMIN,
};
use crate::analyse::Analysed;
use crate::index::snap::Snap;
use crate::model::candidate::CandidatePoint;
use crate::model::ids::CandidateIdx;
use crate::model::phase::Phase;
use crate::model::{LatLon, Need, PlacementType, ProvisionKind};
use crate::query::route::{Metric, OriginSlots};

/// The exact solver runs only when there are at most this many candidates …
pub const EXACT_MAX_CANDIDATES: usize = 60;
/// … and at most this many pupils in the problem.
pub const EXACT_MAX_PUPILS: usize = 400;
/// Default number of ranked proposals kept.
pub const DEFAULT_MAX_PROPOSALS: usize = 20;
/// Upper bounds of the journey-time bands, minutes (the last band is open: 90 and over).
pub const BANDS_MIN: [f64; 6] = [15.0, 30.0, 45.0, 60.0, 75.0, 90.0];
/// Band labels matching [`BANDS_MIN`] plus the open band.
pub const BAND_LABELS: [&str; 7] = ["0-15", "15-30", "30-45", "45-60", "60-75", "75-90", "90+"];

/// Why planning failed. Messages name the file, line and field, or the request field.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    /// A request field is invalid.
    #[error("request field `{field}`: {message}")]
    Request {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The siting core rejected the problem.
    #[error(transparent)]
    Siting(#[from] SitingError),
    /// The run has no road network: siting compares routed journeys to candidate sites,
    /// which estimates at one assumed speed cannot rank.
    #[error(
        "siting needs routed journeys, and this run has no road network (road extract {extract})"
    )]
    NoRoads {
        /// `missing: FILE`.
        extract: String,
    },
    /// An output could not be written.
    #[error("writing {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// What the new places should achieve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanObjective {
    /// Bring back the most out-of-area pupils (capacitated maximal covering).
    #[default]
    Return,
    /// Cut the most total journey time (capacitated p-median).
    Travel,
}

impl PlanObjective {
    /// Stable code (`return` or `travel`).
    pub fn as_str(self) -> &'static str {
        match self {
            PlanObjective::Return => "return",
            PlanObjective::Travel => "travel",
        }
    }
}

impl FromStr for PlanObjective {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "return" => Ok(PlanObjective::Return),
            "travel" => Ok(PlanObjective::Travel),
            other => Err(format!(
                "unknown objective `{other}` (expected return or travel)"
            )),
        }
    }
}

/// A proposal: a site, the needs and age range it serves and the places it adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Candidate id.
    pub site_id: String,
    /// Candidate name.
    pub site_name: String,
    /// Location.
    pub location: LatLon,
    /// Needs served.
    pub needs: Vec<Need>,
    /// Youngest age served, years.
    pub age_min: u8,
    /// Oldest age served, years.
    pub age_max: u8,
    /// Places added.
    pub places: u32,
    /// Kind of the new provision (its placement cost applies to the new places).
    pub kind: ProvisionKind,
}

fn default_age_max() -> u8 {
    *crate::model::AGE_RANGE.end()
}
fn default_kind() -> ProvisionKind {
    ProvisionKind::ResourceBase
}
fn yes() -> bool {
    true
}
fn default_max_proposals() -> usize {
    DEFAULT_MAX_PROPOSALS
}

/// A siting request (`nearhome site`, `/api/site`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRequest {
    /// Need the new places serve.
    pub need: Need,
    /// Youngest age served, years (default 0).
    #[serde(default)]
    pub age_min: u8,
    /// Oldest age served, years (default 25).
    #[serde(default = "default_age_max")]
    pub age_max: u8,
    /// How the ages were chosen (`nearhome site` without `--age-min`/`--age-max` picks the
    /// phase; empty: as given).
    #[serde(default)]
    pub ages_basis: String,
    /// Places per new base.
    pub places: u32,
    /// Largest number of new bases (answers for every `k = 1..=k`).
    pub k: usize,
    /// What the places should achieve.
    #[serde(default)]
    pub objective: PlanObjective,
    /// Under `travel`, let in-area pupils move too (default: out-of-area pupils only).
    #[serde(default)]
    pub any_pupil: bool,
    /// Kind of the new provision (`resource_base` or `special_school`).
    #[serde(default = "default_kind")]
    pub kind: ProvisionKind,
    /// Coverage threshold N, minutes (default: each pupil's own journey limit).
    #[serde(default)]
    pub coverage_minutes: Option<f64>,
    /// Include the scenario's mainstream and special school sites as candidates.
    #[serde(default = "yes")]
    pub scenario_sites: bool,
    /// Extra candidate points (user file or map).
    #[serde(default)]
    pub extra_candidates: Vec<CandidatePoint>,
    /// Ranked proposals kept.
    #[serde(default = "default_max_proposals")]
    pub max_proposals: usize,
    /// Run the exact solver when the instance is small enough.
    #[serde(default = "yes")]
    pub exact_when_small: bool,
}

impl SiteRequest {
    /// A request with the defaults: all ages, `return`, resource base, scenario sites.
    pub fn new(need: Need, places: u32, k: usize) -> Self {
        SiteRequest {
            need,
            age_min: 0,
            age_max: default_age_max(),
            ages_basis: String::new(),
            places,
            k,
            objective: PlanObjective::Return,
            any_pupil: false,
            kind: ProvisionKind::ResourceBase,
            coverage_minutes: None,
            scenario_sites: true,
            extra_candidates: Vec::new(),
            max_proposals: DEFAULT_MAX_PROPOSALS,
            exact_when_small: true,
        }
    }

    /// Check the fields.
    ///
    /// # Errors
    /// [`PlanningError::Request`] naming the field.
    pub fn validate(&self) -> Result<(), PlanningError> {
        let bad = |field, message: String| Err(PlanningError::Request { field, message });
        if self.places == 0 {
            return bad("places", "must be at least 1".into());
        }
        if self.k == 0 {
            return bad("k", "must be at least 1".into());
        }
        if self.age_min > self.age_max {
            return bad(
                "age_min",
                format!("{} is above age_max {}", self.age_min, self.age_max),
            );
        }
        if !crate::model::AGE_RANGE.contains(&self.age_max) {
            return bad("age_max", format!("{} is outside 0..=25", self.age_max));
        }
        if !matches!(
            self.kind,
            ProvisionKind::ResourceBase | ProvisionKind::SpecialSchool
        ) {
            return bad(
                "kind",
                format!("`{}`: expected resource_base or special_school", self.kind),
            );
        }
        if let Some(n) = self.coverage_minutes {
            if !(n.is_finite() && n > 0.0 && n <= 600.0) {
                return bad("coverage_minutes", format!("{n} is not in (0, 600]"));
            }
        }
        Ok(())
    }
}

/// True when the pupil's current placement is known and of a type whose alternatives do not
/// include `kind` (a mainstream or post-16 pupil for a new resource base): such a pupil could
/// not take the new places. A pupil with an unknown placement is not excluded here (they
/// have no current journey and are counted as such).
fn placement_excludes(analysed: &Analysed, r: &PupilResult, kind: ProvisionKind) -> bool {
    r.placement
        .and_then(|pi| analysed.scenario.provisions.get(pi.index()))
        .is_some_and(|p| !PlacementType::of(p.kind).admits(kind))
}

fn location_key(p: LatLon) -> (i64, i64) {
    ((p.lat * 1e6).round() as i64, (p.lon * 1e6).round() as i64)
}

/// The scenario's candidate sites: every mainstream and special school inside the home
/// boundary whose age range overlaps `age_min..=age_max` (a base sits inside a host school
/// of the right phase), in provision order, identical locations (to 1e-6°) merged into the
/// first.
pub fn scenario_candidates(analysed: &Analysed, age_min: u8, age_max: u8) -> Vec<CandidatePoint> {
    scenario_hosts(analysed, age_min, age_max).0
}

/// [`scenario_candidates`] and the ids of the in-area school sites left out because they
/// are independent or non-maintained (`sector`): the council opens bases only in maintained
/// schools, academies and special schools.
pub fn scenario_hosts(
    analysed: &Analysed,
    age_min: u8,
    age_max: u8,
) -> (Vec<CandidatePoint>, Vec<String>) {
    let mut out: Vec<CandidatePoint> = Vec::new();
    let mut excluded = Vec::new();
    let mut at: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for (pi, p) in analysed.scenario.provisions.iter().enumerate() {
        let kind_ok = matches!(
            p.kind,
            ProvisionKind::Mainstream | ProvisionKind::SpecialSchool
        );
        let in_area = analysed
            .analysis
            .provisions
            .get(pi)
            .is_some_and(|r| r.in_area);
        let ages_ok = p.age_min <= age_max && age_min <= p.age_max;
        if !kind_ok || !in_area || !ages_ok {
            continue;
        }
        if p.sector.is_some_and(|s| !s.state_funded()) {
            excluded.push(p.id.clone());
            continue;
        }
        let key = location_key(p.location);
        if let Some(&i) = at.get(&key) {
            out[i].source.push_str(&format!("; {}", p.id));
            continue;
        }
        at.insert(key, out.len());
        out.push(CandidatePoint {
            id: p.id.clone(),
            name: p.name.clone(),
            location: p.location,
            source: format!("scenario: {}", p.id),
        });
    }
    (out, excluded)
}

/// The ages a new base serves when the request gives none, and why: the phase
/// (primary, Reception–Year 6, aged 4 to the scenario's `primary_max_age`; or secondary,
/// Years 7–11, to 15) holding the most pupils of `need` placed out of area in specialist
/// provision of compulsory school age (ties go to secondary). Post-16 students are left to
/// post-16 providers.
pub fn default_ages(analysed: &Analysed, need: Need) -> (u8, u8, String) {
    let top = analysed.params.primary_max_age;
    let (mut primary, mut secondary) = (0usize, 0usize);
    for (pupil, r) in analysed
        .scenario
        .pupils
        .iter()
        .zip(&analysed.analysis.pupils)
    {
        if pupil.need != need
            || !r.out_of_area
            || placement_excludes(analysed, r, ProvisionKind::ResourceBase)
        {
            continue;
        }
        match pupil.age {
            4..=15 if pupil.age <= top => primary += 1,
            4..=15 => secondary += 1,
            _ => {}
        }
    }
    let (lo, hi, phase, n) = if primary > secondary {
        (4, top, "primary", primary)
    } else {
        (top + 1, 15, "secondary", secondary)
    };
    let basis = format!(
        "ages {lo}-{hi} ({phase}): {n} of the {} {need} pupils of compulsory school age placed out of area in specialist provision are {phase} ({primary} primary, {secondary} secondary); give --age-min and --age-max to choose",
        primary + secondary
    );
    (lo, hi, basis)
}

/// A site in a chosen set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChosenSite {
    /// The candidate, in [`SiteResult::candidates`].
    pub candidate: CandidateIdx,
    /// Candidate id.
    pub id: String,
    /// Candidate name.
    pub name: String,
    /// Location.
    pub location: LatLon,
    /// Places the base adds.
    pub places: u32,
    /// Places taken by moved pupils.
    pub used: u32,
    /// `(layer, area id)` for every area layer holding the site.
    pub areas: Vec<(String, String)>,
}

/// Figures for one set of open sites (or none: the baseline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetFigures {
    /// Pupils moved (to existing spare places or new sites).
    pub moved: usize,
    /// Out-of-area pupils moved, i.e. brought back.
    pub returned: usize,
    /// Pupils moved to the new sites.
    pub moved_to_new_sites: usize,
    /// Total one-way journey of the problem's pupils now, minutes.
    pub journey_minutes_before: f64,
    /// Total one-way journey after the moves, minutes.
    pub journey_minutes_after: f64,
    /// Journey hours saved a year (every school journey).
    pub hours_per_year_saved: f64,
    /// Journey km saved a year.
    pub km_per_year_saved: f64,
    /// Placement £/year saved (moves with an unknown cost count 0).
    pub placement_gbp_per_year_saved: f64,
    /// Transport £/year saved (moves with an unknown rate count 0).
    pub transport_gbp_per_year_saved: f64,
    /// Placement + transport £/year saved.
    pub total_gbp_per_year_saved: f64,
    /// Pupils with a suitable local place (existing, any capacity, or a new site) within the
    /// coverage threshold, now.
    pub coverage_before: usize,
    /// The same after opening the sites.
    pub coverage_after: usize,
    /// Pupils per journey band ([`BAND_LABELS`]) now.
    pub distribution_before: Vec<usize>,
    /// Pupils per journey band after the moves.
    pub distribution_after: Vec<usize>,
    /// Pupils whose journey is above their limit now.
    pub long_journeys_before: usize,
    /// The same after the moves.
    pub long_journeys_after: usize,
}

/// How far the heuristic is from the exact optimum for one `k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactCheck {
    /// Candidate indices of an optimal set.
    pub optimum_sites: Vec<usize>,
    /// Pupils the optimum returns.
    pub optimum_returned: usize,
    /// Journey minutes the optimum saves (one-way total).
    pub optimum_saved_minutes: f64,
    /// Pupils fewer than the optimum returned by the heuristic.
    pub returned_shortfall: i64,
    /// Journey minutes fewer than the optimum saved by the heuristic.
    pub saved_shortfall_minutes: f64,
    /// Primary-objective shortfall as a fraction of the optimum's gain (0 = optimal).
    pub relative_gap: f64,
}

/// The answer for one `k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KResult {
    /// Number of new bases.
    pub k: usize,
    /// The chosen sites, by candidate index.
    pub sites: Vec<ChosenSite>,
    /// Figures with these sites open.
    pub figures: SetFigures,
    /// Pupils returned beyond the no-new-site baseline.
    pub extra_returned: i64,
    /// Journey hours a year saved beyond the baseline.
    pub extra_hours_per_year_saved: f64,
    /// £/year saved beyond the baseline (the revenue saving of the new places).
    pub extra_gbp_per_year_saved: f64,
    /// Capital cost of the new places, £.
    pub capital_gbp: f64,
    /// Capital / extra £ saved a year (None when nothing is saved).
    pub payback_years: Option<f64>,
    /// Comparison with the exact optimum (small instances only).
    pub exact: Option<ExactCheck>,
}

/// One ranked proposal: a single new base evaluated on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalRow {
    /// 1 = best.
    pub rank: usize,
    /// The candidate, in [`SiteResult::candidates`].
    pub candidate: CandidateIdx,
    /// The proposal.
    pub proposal: Proposal,
    /// Capital cost, £.
    pub capital_gbp: f64,
    /// Out-of-area pupils returned beyond the baseline.
    pub pupils_returned: i64,
    /// Pupils moved to the new base.
    pub places_used: u32,
    /// Journey hours a year saved beyond the baseline.
    pub hours_per_year_saved: f64,
    /// Journey km a year saved beyond the baseline.
    pub km_per_year_saved: f64,
    /// Placement + transport £/year saved beyond the baseline.
    pub revenue_gbp_per_year_saved: f64,
    /// Capital / revenue saving (None when nothing is saved).
    pub payback_years: Option<f64>,
    /// `(layer, area id)` for every area layer holding the site.
    pub areas: Vec<(String, String)>,
}

/// Stated assumptions, echoed in every output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assumptions {
    /// Capital cost of one new place, £.
    pub capital_gbp_per_place: f64,
    /// Annual cost of a place in the new provision, £/year.
    pub new_place_gbp_per_year: Option<f64>,
    /// Annual placement cost by kind, £/year.
    pub placement_gbp_by_kind: BTreeMap<String, f64>,
    /// Transport £/km by mode.
    pub transport_gbp_per_km_by_mode: BTreeMap<String, f64>,
    /// Mode assumed when not given.
    pub default_transport: String,
    /// One-way journeys a year.
    pub trips_per_year: f64,
    /// Oldest primary age.
    pub primary_max_age: u8,
    /// Journey limit for primary age, minutes.
    pub primary_max_minutes: f64,
    /// Journey limit for secondary age, minutes.
    pub secondary_max_minutes: f64,
    /// Coverage threshold, minutes (None: each pupil's limit).
    pub coverage_minutes: Option<f64>,
}

/// The whole answer of [`site`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteResult {
    /// Scenario name.
    pub scenario: String,
    /// True when the scenario describes its pupils as synthetic.
    pub synthetic_pupils: bool,
    /// The request.
    pub request: SiteRequest,
    /// Every candidate, in index order.
    pub candidates: Vec<CandidatePoint>,
    /// Ids of candidates that could not be snapped to the road network (never useful).
    pub unsnappable_candidates: Vec<String>,
    /// Pupils in the problem.
    pub pupils: usize,
    /// Of which placed out of area.
    pub out_of_area_pupils: usize,
    /// Pupils of the need and age left out for want of a current journey.
    pub excluded_no_journey: usize,
    /// Existing local provisions with spare places for the need.
    pub existing_provisions: usize,
    /// Their spare places.
    pub existing_spare_places: u64,
    /// Figures with no new site.
    pub baseline: SetFigures,
    /// The answer for `k = 1..=K`.
    pub per_k: Vec<KResult>,
    /// Whether and why the exact solver ran.
    pub exact_note: String,
    /// Why fewer than the asked-for `k` bases are proposed (`None`: every `k` gains).
    pub stopped_note: Option<String>,
    /// Scenario school sites left out as hosts: independent or non-maintained schools (the
    /// council cannot open a base there); give them in a candidates file to include them.
    pub excluded_hosts: Vec<String>,
    /// Single-site proposals ranked by annual saving (fastest payback first), then returns.
    pub proposals: Vec<ProposalRow>,
    /// Assumptions.
    pub assumptions: Assumptions,
    /// Site sets evaluated by the heuristic.
    pub evaluations: usize,
    /// With `site --year N`: the sites were chosen for year N's projected demand (`per_k`,
    /// `baseline` and `proposals` are year N's figures); this holds the same sets today.
    #[serde(default)]
    pub future: Option<crate::analyse::capital::FutureFigures>,
    /// The capital appraisal of every proposal and chosen set (Green Book conventions).
    #[serde(default)]
    pub appraisal: Option<crate::analyse::capital::CapitalAppraisal>,
}

/// A built siting problem with the routing done once, ready to evaluate any site set.
pub struct PlanningContext<'a> {
    analysed: &'a Analysed,
    request: SiteRequest,
    /// Candidates, in index order.
    pub candidates: Vec<CandidatePoint>,
    snapped: Vec<bool>,
    /// Scenario pupil index per problem pupil.
    pupils: Vec<usize>,
    /// Provision index per existing target.
    existing: Vec<usize>,
    /// The siting problem.
    pub problem: SitingProblem,
    existing_trip: BTreeMap<(u32, u32), Trip>,
    candidate_trip: Vec<BTreeMap<u32, Trip>>,
    coverage_min: Vec<f64>,
    covered_now: Vec<bool>,
    excluded_no_journey: usize,
    excluded_hosts: Vec<String>,
}

fn trip_of(j: crate::query::route::Journey) -> Trip {
    Trip {
        minutes: j.duration_s / 60.0,
        km: j.distance_m / 1000.0,
        estimated: false,
    }
}

fn band(minutes: f64) -> usize {
    BANDS_MIN
        .iter()
        .position(|&b| minutes < b)
        .unwrap_or(BANDS_MIN.len())
}

fn cmin(minutes: f64) -> i64 {
    centiminutes(minutes).clamp(0, MAX_COST_CMIN)
}

impl<'a> PlanningContext<'a> {
    /// Build the problem: select pupils and existing places, assemble the candidates, and
    /// route once per candidate (rayon over candidates).
    ///
    /// # Errors
    /// An invalid request, a user candidate outside the home boundary, or a run without a
    /// road network (siting compares routed journeys to the candidate sites).
    pub fn new(analysed: &'a Analysed, request: &SiteRequest) -> Result<Self, PlanningError> {
        request.validate()?;
        let req = request.clone();
        let sc = &analysed.scenario;
        let a = &analysed.analysis;
        let params = &analysed.params;
        let Some(net) = analysed.network.as_ref() else {
            return Err(PlanningError::NoRoads {
                extract: analysed.roads.describe(),
            });
        };

        let (mut candidates, excluded_hosts) = if req.scenario_sites {
            scenario_hosts(analysed, req.age_min, req.age_max)
        } else {
            (Vec::new(), Vec::new())
        };
        for (i, c) in req.extra_candidates.iter().enumerate() {
            let (lat, lon) = (c.location.lat, c.location.lon);
            let label = if c.source.is_empty() {
                format!("extra_candidates[{i}]")
            } else {
                c.source.clone()
            };
            if c.id.is_empty() {
                return Err(PlanningError::Request {
                    field: "extra_candidates",
                    message: format!("{label}: empty id"),
                });
            }
            if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
                return Err(PlanningError::Request {
                    field: "extra_candidates",
                    message: format!(
                        "{label} (id `{}`): location {lat},{lon} is not a valid WGS84 point",
                        c.id
                    ),
                });
            }
            if !sc.boundary.contains(c.location) {
                return Err(PlanningError::Request {
                    field: "extra_candidates",
                    message: format!(
                        "{} (id `{}`): {} is outside the home authority boundary; a new base must be local",
                        label, c.id, c.location
                    ),
                });
            }
            if candidates.iter().any(|d| d.id == c.id) {
                return Err(PlanningError::Request {
                    field: "extra_candidates",
                    message: format!("{label}: id `{}` is already a candidate", c.id),
                });
            }
            candidates.push(c.clone());
        }
        if candidates.is_empty() {
            return Err(PlanningError::Request {
                field: "candidates",
                message: "no candidate site (the scenario has no mainstream or special school site in area and no points were given)".into(),
            });
        }

        // Pupils of the need and age who could be placed in the new kind, with a known
        // current journey.
        let mut pupils = Vec::new();
        let mut sp = Vec::new();
        let mut excluded_no_journey = 0;
        for (u, pupil) in sc.pupils.iter().enumerate() {
            if pupil.need != req.need || !(req.age_min..=req.age_max).contains(&pupil.age) {
                continue;
            }
            let Some(r) = a.pupils.get(u) else { continue };
            if placement_excludes(analysed, r, req.kind) {
                continue;
            }
            let Some(cur) = r.current else {
                excluded_no_journey += 1;
                continue;
            };
            pupils.push(u);
            sp.push(SitingPupil {
                current_cost_cmin: cmin(cur.minutes),
                out_of_area: r.out_of_area,
            });
        }
        let movers = match (req.objective, req.any_pupil) {
            (PlanObjective::Travel, true) => sp.len(),
            _ => sp.iter().filter(|s| s.out_of_area).count(),
        };
        if movers == 0 {
            return Err(PlanningError::Request {
                field: "need",
                message: format!(
                    "no pupil to plan for: {} {} pupils aged {}-{} with a journey ({} without one), of whom {} placed out of area{}",
                    sp.len(),
                    req.need,
                    req.age_min,
                    req.age_max,
                    excluded_no_journey,
                    sp.iter().filter(|s| s.out_of_area).count(),
                    if req.objective == PlanObjective::Travel && !req.any_pupil {
                        " (add any_pupil to let in-area pupils move)"
                    } else {
                        ""
                    }
                ),
            });
        }
        let coverage_min: Vec<f64> = pupils
            .iter()
            .map(|&u| req.coverage_minutes.unwrap_or(a.pupils[u].limit_minutes))
            .collect();

        // Existing local places for the need.
        let mut existing = Vec::new();
        let mut existing_of: BTreeMap<usize, u32> = BTreeMap::new();
        let mut existing_spare = Vec::new();
        for (pi, p) in sc.provisions.iter().enumerate() {
            let local = analysed.receiving.get(pi).copied().unwrap_or(false)
                && a.provisions.get(pi).is_some_and(|r| r.in_area);
            let overlaps = p.age_min <= req.age_max && req.age_min <= p.age_max;
            let spare = p.spare_places().unwrap_or(0);
            if local && overlaps && spare > 0 && p.needs.contains(&req.need) {
                existing_of.insert(pi, existing.len() as u32);
                existing.push(pi);
                existing_spare.push(spare);
            }
        }
        let mut existing_arcs = Vec::new();
        let mut existing_trip = BTreeMap::new();
        let mut covered_now = Vec::with_capacity(pupils.len());
        for (l, &u) in pupils.iter().enumerate() {
            let r = &a.pupils[u];
            let mut covered = false;
            for alt in r.suitable.iter() {
                let in_area = a
                    .provisions
                    .get(alt.provision.index())
                    .is_some_and(|p| p.in_area);
                let receiving = analysed
                    .receiving
                    .get(alt.provision.index())
                    .copied()
                    .unwrap_or(false);
                covered |= receiving && in_area && alt.trip.minutes <= coverage_min[l];
                let Some(&e) = existing_of.get(&alt.provision.index()) else {
                    continue;
                };
                if Some(alt.provision) == r.placement || alt.trip.minutes > r.limit_minutes {
                    continue;
                }
                existing_arcs.push(SitingArc {
                    pupil: l as u32,
                    target: e,
                    cost_cmin: cmin(alt.trip.minutes),
                });
                existing_trip.insert((l as u32, e), alt.trip);
            }
            covered_now.push(covered);
        }

        // One reverse search per candidate site, reused for every evaluation.
        let homes: Vec<Option<Snap>> = pupils
            .iter()
            .map(|&u| a.pupils[u].home_snap.snap().copied())
            .collect();
        let reach_min: Vec<f64> = pupils
            .iter()
            .zip(&coverage_min)
            .map(|(&u, &n)| a.pupils[u].limit_minutes.max(n))
            .collect();
        let targets = net.targets(homes.iter().flatten(), Metric::Time);
        let slots: Vec<Option<OriginSlots>> = homes
            .iter()
            .map(|h| h.as_ref().map(|h| net.origin_slots(&targets, h)))
            .collect();
        // A candidate at a provision's site reads the baseline's trip table; others get a
        // tree to the selected pupils' homes.
        let routed: Vec<(bool, BTreeMap<u32, Trip>)> = candidates
            .par_iter()
            .map(|c| {
                let Ok(s) = net.snap(c.location, params.max_snap_m) else {
                    return (false, BTreeMap::new());
                };
                let mut found = BTreeMap::new();
                if targets.is_empty() {
                    return (true, found);
                }
                let mut keep = |l: usize, j: Option<crate::query::route::Journey>| {
                    if let Some(t) = j.map(trip_of).filter(|t| t.minutes <= reach_min[l]) {
                        found.insert(l as u32, t);
                    }
                };
                if let Some(table) = analysed.trip_table.journeys_to(c.location) {
                    let all: Vec<_> = table.collect();
                    for (l, &u) in pupils.iter().enumerate() {
                        keep(l, all.get(u).copied().flatten());
                    }
                } else {
                    let tree = net.tree_to(&targets, &s);
                    for (l, (h, sl)) in homes.iter().zip(&slots).enumerate() {
                        if let (Some(h), Some(sl)) = (h, sl) {
                            keep(l, net.journey_from(&tree, h, sl));
                        }
                    }
                }
                (true, found)
            })
            .collect();
        let mut snapped = Vec::with_capacity(routed.len());
        let mut candidate_trip = Vec::with_capacity(routed.len());
        let mut candidate_arcs = Vec::new();
        for (j, (ok, found)) in routed.into_iter().enumerate() {
            for (&l, t) in &found {
                if t.minutes <= a.pupils[pupils[l as usize]].limit_minutes {
                    candidate_arcs.push(SitingArc {
                        pupil: l,
                        target: j as u32,
                        cost_cmin: cmin(t.minutes),
                    });
                }
            }
            snapped.push(ok);
            candidate_trip.push(found);
        }
        let objective = match req.objective {
            PlanObjective::Return => Objective::ReturnMost,
            PlanObjective::Travel => Objective::CutTravel {
                movers: if req.any_pupil {
                    Movers::AnyPupil
                } else {
                    Movers::OutOfArea
                },
            },
        };
        let problem = SitingProblem {
            pupils: sp,
            existing_spare,
            existing_arcs,
            candidates: vec![CandidateSite { places: req.places }; candidates.len()],
            candidate_arcs,
            objective,
        };
        Ok(PlanningContext {
            analysed,
            request: req,
            candidates,
            snapped,
            pupils,
            existing,
            problem,
            existing_trip,
            candidate_trip,
            coverage_min,
            covered_now,
            excluded_no_journey,
            excluded_hosts,
        })
    }

    /// Figures for opening `sites` (candidate indices).
    ///
    /// # Errors
    /// An unknown or repeated site.
    pub fn evaluate(&self, sites: &[usize]) -> Result<SetFigures, PlanningError> {
        let ids: Vec<u32> = sites.iter().map(|&s| s as u32).collect();
        let e = siting::evaluate(&self.problem, &ids)?;
        Ok(self.figures(&e))
    }

    /// The pupils `sites` (candidate indices) would move, for re-costing on shared runs
    /// ([`crate::analyse::runs::recost`]): the scenario's provisions with one new provision
    /// per opened site after them, and each move from today's school to its new one (with
    /// the per-km estimate of its transport saving).
    ///
    /// # Errors
    /// An unknown or repeated site.
    pub fn moved_pupils(
        &self,
        sites: &[usize],
    ) -> Result<
        (
            Vec<crate::model::Provision>,
            Vec<crate::analyse::runs::MovedPupil>,
        ),
        PlanningError,
    > {
        let ids: Vec<u32> = sites.iter().map(|&s| s as u32).collect();
        let e = siting::evaluate(&self.problem, &ids)?;
        let p = self.analysed;
        let mut provisions = p.scenario.provisions.clone();
        let mut new_index = BTreeMap::new();
        for s in &e.site_use {
            let j = s.candidate as usize;
            let pr = self.proposal(j);
            new_index.insert(s.candidate, provisions.len());
            provisions.push(crate::model::Provision {
                id: pr.site_id,
                name: pr.site_name,
                kind: pr.kind,
                needs: pr.needs,
                age_min: pr.age_min,
                age_max: pr.age_max,
                capacity: Some(pr.places),
                on_roll: 0,
                annual_cost_gbp: None,
                location: pr.location,
                sector: None,
                line: 0,
            });
        }
        let moves = e
            .moves
            .iter()
            .filter_map(|m| {
                let u = *self.pupils.get(m.pupil as usize)?;
                let r = p.analysis.pupils.get(u)?;
                let to = match m.to {
                    Destination::Existing(x) => *self.existing.get(x as usize)?,
                    Destination::Candidate(j) => *new_index.get(&j)?,
                };
                let trip = match m.to {
                    Destination::Existing(x) => self.existing_trip.get(&(m.pupil, x)).copied(),
                    Destination::Candidate(j) => self
                        .candidate_trip
                        .get(j as usize)
                        .and_then(|t| t.get(&m.pupil))
                        .copied(),
                };
                let pupil = p.scenario.pupils.get(u)?;
                let params = &p.params;
                let mode = pupil.transport.unwrap_or(params.costs.default_transport);
                let per_km_saved_gbp = trip.zip(r.current).and_then(|(t, cur)| {
                    let new = params.transport_cost(mode, t.km)?;
                    let old = pupil
                        .transport_cost_gbp
                        .or_else(|| params.transport_cost(mode, cur.km))?;
                    Some(old - new)
                });
                Some(crate::analyse::runs::MovedPupil {
                    pupil: u,
                    from: r.placement?.index(),
                    to,
                    per_km_saved_gbp,
                })
            })
            .collect();
        Ok((provisions, moves))
    }

    /// The same problem for a future year's demand: each pupil stands for `growth(u)`
    /// pupils like them (`u` the scenario pupil index; the projected growth of their need
    /// and phase), rounded to whole pupils by cumulative rounding in problem order, so the
    /// copies add up to `round(Σ growth)` and a group's fractional parts are spread evenly
    /// over it. Tomorrow's pupils live where today's do and have their journeys, limits and
    /// costs; existing spare places and candidate sites are unchanged. Returns the context
    /// and the pupils it holds.
    pub fn future(&self, growth: impl Fn(usize) -> f64) -> (PlanningContext<'a>, usize) {
        let mut copies = Vec::with_capacity(self.pupils.len());
        let (mut cum, mut given) = (0.0f64, 0i64);
        for &u in &self.pupils {
            cum += growth(u).max(0.0);
            let upto = cum.round() as i64;
            copies.push(usize::try_from(upto - given).unwrap_or(0));
            given = upto;
        }
        let mut new_of: Vec<Vec<u32>> = Vec::with_capacity(copies.len());
        let mut pupils = Vec::new();
        let mut sp = Vec::new();
        let mut coverage_min = Vec::new();
        let mut covered_now = Vec::new();
        for (l, &c) in copies.iter().enumerate() {
            let mut mine = Vec::with_capacity(c);
            for _ in 0..c {
                mine.push(pupils.len() as u32);
                pupils.push(self.pupils[l]);
                sp.push(self.problem.pupils[l]);
                coverage_min.push(self.coverage_min[l]);
                covered_now.push(self.covered_now[l]);
            }
            new_of.push(mine);
        }
        let spread = |arcs: &[SitingArc]| -> Vec<SitingArc> {
            let mut out = Vec::new();
            for a in arcs {
                for &n in new_of.get(a.pupil as usize).map_or(&[][..], |v| v) {
                    out.push(SitingArc { pupil: n, ..*a });
                }
            }
            out.sort_by_key(|a| (a.pupil, a.target));
            out
        };
        let mut existing_trip = BTreeMap::new();
        for (&(l, e), t) in &self.existing_trip {
            for &n in new_of.get(l as usize).map_or(&[][..], |v| v) {
                existing_trip.insert((n, e), *t);
            }
        }
        let candidate_trip = self
            .candidate_trip
            .iter()
            .map(|found| {
                let mut out = BTreeMap::new();
                for (&l, t) in found {
                    for &n in new_of.get(l as usize).map_or(&[][..], |v| v) {
                        out.insert(n, *t);
                    }
                }
                out
            })
            .collect();
        let n = pupils.len();
        let problem = SitingProblem {
            pupils: sp,
            existing_spare: self.problem.existing_spare.clone(),
            existing_arcs: spread(&self.problem.existing_arcs),
            candidates: self.problem.candidates.clone(),
            candidate_arcs: spread(&self.problem.candidate_arcs),
            objective: self.problem.objective,
        };
        let ctx = PlanningContext {
            analysed: self.analysed,
            request: self.request.clone(),
            candidates: self.candidates.clone(),
            snapped: self.snapped.clone(),
            pupils,
            existing: self.existing.clone(),
            problem,
            existing_trip,
            candidate_trip,
            coverage_min,
            covered_now,
            excluded_no_journey: self.excluded_no_journey,
            excluded_hosts: self.excluded_hosts.clone(),
        };
        (ctx, n)
    }

    /// Scenario pupil index of every problem pupil.
    pub fn problem_pupils(&self) -> &[usize] {
        &self.pupils
    }

    fn new_place_cost(&self) -> Option<f64> {
        self.analysed
            .params
            .costs
            .placement_gbp_by_kind
            .get(&self.request.kind)
            .copied()
    }

    /// Price an evaluation of the siting core.
    pub fn figures(&self, e: &Evaluation) -> SetFigures {
        let p = self.analysed;
        let params = &p.params;
        let provisions = &p.scenario.provisions;
        let trips_year = params.trips_per_year();
        let n = self.pupils.len();
        let mut after: Vec<f64> = Vec::with_capacity(n);
        let mut before: Vec<f64> = Vec::with_capacity(n);
        for &u in &self.pupils {
            let m = p.analysis.pupils[u].current.map_or(0.0, |t| t.minutes);
            before.push(m);
            after.push(m);
        }
        let mut covered = self.covered_now.clone();
        let open: Vec<u32> = e.site_use.iter().map(|s| s.candidate).collect();
        for &j in &open {
            if let Some(found) = self.candidate_trip.get(j as usize) {
                for (&l, t) in found {
                    if t.minutes <= self.coverage_min[l as usize] {
                        covered[l as usize] = true;
                    }
                }
            }
        }
        let mut f = SetFigures {
            moved: e.moved,
            returned: e.returned,
            moved_to_new_sites: 0,
            journey_minutes_before: 0.0,
            journey_minutes_after: 0.0,
            hours_per_year_saved: 0.0,
            km_per_year_saved: 0.0,
            placement_gbp_per_year_saved: 0.0,
            transport_gbp_per_year_saved: 0.0,
            total_gbp_per_year_saved: 0.0,
            coverage_before: self.covered_now.iter().filter(|&&c| c).count(),
            coverage_after: covered.iter().filter(|&&c| c).count(),
            distribution_before: vec![0; BAND_LABELS.len()],
            distribution_after: vec![0; BAND_LABELS.len()],
            long_journeys_before: 0,
            long_journeys_after: 0,
        };
        for m in &e.moves {
            let l = m.pupil as usize;
            let u = self.pupils[l];
            let pupil = &p.scenario.pupils[u];
            let r = &p.analysis.pupils[u];
            let (trip, new_cost) = match m.to {
                Destination::Existing(x) => (
                    self.existing_trip.get(&(m.pupil, x)).copied(),
                    self.existing
                        .get(x as usize)
                        .and_then(|&pi| params.placement_cost(&provisions[pi])),
                ),
                Destination::Candidate(j) => {
                    f.moved_to_new_sites += 1;
                    (
                        self.candidate_trip
                            .get(j as usize)
                            .and_then(|t| t.get(&m.pupil))
                            .copied(),
                        self.new_place_cost(),
                    )
                }
            };
            let (Some(trip), Some(cur)) = (trip, r.current) else {
                continue;
            };
            after[l] = trip.minutes;
            f.hours_per_year_saved += (cur.minutes - trip.minutes) * trips_year / 60.0;
            f.km_per_year_saved += (cur.km - trip.km) * trips_year;
            let old_cost = r
                .placement
                .and_then(|pi| provisions.get(pi.index()))
                .and_then(|p| params.placement_cost(p));
            if let (Some(a), Some(b)) = (old_cost, new_cost) {
                f.placement_gbp_per_year_saved += a - b;
            }
            let mode = pupil.transport.unwrap_or(params.costs.default_transport);
            if let Some(new) = params.transport_cost(mode, trip.km) {
                let old = pupil
                    .transport_cost_gbp
                    .or_else(|| params.transport_cost(mode, cur.km));
                if let Some(old) = old {
                    f.transport_gbp_per_year_saved += old - new;
                }
            }
        }
        f.total_gbp_per_year_saved =
            f.placement_gbp_per_year_saved + f.transport_gbp_per_year_saved;
        for (l, &u) in self.pupils.iter().enumerate() {
            let limit = p.analysis.pupils[u].limit_minutes;
            f.journey_minutes_before += before[l];
            f.journey_minutes_after += after[l];
            f.distribution_before[band(before[l])] += 1;
            f.distribution_after[band(after[l])] += 1;
            f.long_journeys_before += usize::from(before[l] > limit);
            f.long_journeys_after += usize::from(after[l] > limit);
        }
        f
    }

    fn areas_of(&self, loc: LatLon) -> Vec<(String, String)> {
        self.analysed
            .scenario
            .area_layers
            .iter()
            .filter_map(|layer| {
                let i = layer.area_of(loc)?;
                Some((layer.id.clone(), layer.get(i)?.id.clone()))
            })
            .collect()
    }

    fn chosen(&self, e: &Evaluation) -> Vec<ChosenSite> {
        e.site_use
            .iter()
            .filter_map(|s| {
                let c = self.candidates.get(s.candidate as usize)?;
                Some(ChosenSite {
                    candidate: CandidateIdx::new(s.candidate as usize),
                    id: c.id.clone(),
                    name: c.name.clone(),
                    location: c.location,
                    places: s.places,
                    used: s.used,
                    areas: self.areas_of(c.location),
                })
            })
            .collect()
    }

    fn proposal(&self, j: usize) -> Proposal {
        let c = &self.candidates[j];
        Proposal {
            site_id: c.id.clone(),
            site_name: c.name.clone(),
            location: c.location,
            needs: vec![self.request.need],
            age_min: self.request.age_min,
            age_max: self.request.age_max,
            places: self.request.places,
            kind: self.request.kind,
        }
    }

    fn assumptions(&self) -> Assumptions {
        let params = &self.analysed.params;
        let c = &self.analysed.scenario.config.costs;
        Assumptions {
            capital_gbp_per_place: c.capital_gbp_per_place,
            new_place_gbp_per_year: self.new_place_cost(),
            placement_gbp_by_kind: params
                .costs
                .placement_gbp_by_kind
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), *v))
                .collect(),
            transport_gbp_per_km_by_mode: params
                .costs
                .transport_gbp_per_km_by_mode
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), *v))
                .collect(),
            default_transport: params.costs.default_transport.as_str().to_string(),
            trips_per_year: params.trips_per_year(),
            primary_max_age: params.primary_max_age,
            primary_max_minutes: params.primary_max_minutes,
            secondary_max_minutes: params.secondary_max_minutes,
            coverage_minutes: self.request.coverage_minutes,
        }
    }
}

fn payback(capital_gbp: f64, saving_gbp: f64) -> Option<f64> {
    (saving_gbp > 0.0).then(|| capital_gbp / saving_gbp)
}

/// Choose up to `request.k` new bases and price every answer (see the module docs).
///
/// # Errors
/// An invalid request or candidate, `k` above the number of candidates, or a siting failure.
pub fn site(analysed: &Analysed, request: &SiteRequest) -> Result<SiteResult, PlanningError> {
    let ctx = PlanningContext::new(analysed, request)?;
    run(&ctx)
}

/// [`site`] on an already built context (routing reused).
///
/// # Errors
/// `k` above the number of candidates, or a siting failure.
pub fn run(ctx: &PlanningContext) -> Result<SiteResult, PlanningError> {
    let req = &ctx.request;
    let problem = &ctx.problem;
    let capital_per_place = ctx.analysed.scenario.config.costs.capital_gbp_per_place;
    let path = siting::optimise(problem, req.k, &HeuristicOptions::default())?;
    let baseline = ctx.figures(&path.baseline);

    let small = problem.candidates.len() <= EXACT_MAX_CANDIDATES
        && problem.pupils.len() <= EXACT_MAX_PUPILS;
    let run_exact = small && req.exact_when_small;
    let mut exact_note = if run_exact {
        "exact optimum computed (MIP) for every k; gap reported".to_string()
    } else if !req.exact_when_small {
        "exact not run (not requested)".to_string()
    } else {
        format!(
            "exact not run (instance too large: {} candidates, {} pupils; limits {EXACT_MAX_CANDIDATES} and {EXACT_MAX_PUPILS})",
            problem.candidates.len(),
            problem.pupils.len()
        )
    };
    let mut per_k = Vec::with_capacity(path.per_k.len());
    let mut stopped_note = None;
    let (mut last_returned, mut last_saved) =
        (path.baseline.returned, path.baseline.saved_cost_cmin);
    for sel in &path.per_k {
        let e = &sel.evaluation;
        let idle = e.site_use.iter().find(|s| s.used == 0);
        let no_gain = match req.objective {
            PlanObjective::Return => e.returned <= last_returned,
            PlanObjective::Travel => e.saved_cost_cmin <= last_saved,
        };
        if idle.is_some() || no_gain {
            stopped_note = Some(format!(
                "stopped at k = {}: a further base would {} (asked for up to {})",
                sel.k - 1,
                match req.objective {
                    PlanObjective::Return => "bring back no more pupils",
                    PlanObjective::Travel => "save no more travel",
                },
                req.k
            ));
            break;
        }
        (last_returned, last_saved) = (e.returned, e.saved_cost_cmin);
        let figures = ctx.figures(&sel.evaluation);
        let capital_gbp = sel.k as f64 * f64::from(req.places) * capital_per_place;
        let extra_gbp = figures.total_gbp_per_year_saved - baseline.total_gbp_per_year_saved;
        let exact = if run_exact {
            match siting::solve_exact(problem, sel.k) {
                Ok(opt) => {
                    let g = siting::gap(
                        problem.objective,
                        &sel.evaluation,
                        &opt.evaluation,
                        &path.baseline,
                    );
                    Some(ExactCheck {
                        optimum_sites: opt.sites.iter().map(|&s| s as usize).collect(),
                        optimum_returned: opt.evaluation.returned,
                        optimum_saved_minutes: opt.evaluation.saved_cost_cmin as f64 / 100.0,
                        returned_shortfall: g.returned_shortfall,
                        saved_shortfall_minutes: g.saved_shortfall_cmin as f64 / 100.0,
                        relative_gap: g.relative,
                    })
                }
                Err(e) => {
                    exact_note = format!("exact not run for k = {}: {e}", sel.k);
                    None
                }
            }
        } else {
            None
        };
        per_k.push(KResult {
            k: sel.k,
            sites: ctx.chosen(&sel.evaluation),
            extra_returned: figures.returned as i64 - baseline.returned as i64,
            extra_hours_per_year_saved: figures.hours_per_year_saved
                - baseline.hours_per_year_saved,
            extra_gbp_per_year_saved: extra_gbp,
            capital_gbp,
            payback_years: payback(capital_gbp, extra_gbp),
            figures,
            exact,
        });
    }

    // Every candidate on its own, ranked.
    let singles: Vec<Result<(usize, SetFigures, u32), PlanningError>> =
        siting::evaluate_singles(problem)?
            .par_iter()
            .enumerate()
            .map(|(j, e)| {
                let used = e.site_use.first().map_or(0, |s| s.used);
                Ok((j, ctx.figures(e), used))
            })
            .collect();
    let capital_one = f64::from(req.places) * capital_per_place;
    let mut proposals = Vec::new();
    for s in singles {
        let (j, f, used) = s?;
        let returned = f.returned as i64 - baseline.returned as i64;
        let gbp = f.total_gbp_per_year_saved - baseline.total_gbp_per_year_saved;
        let hours = f.hours_per_year_saved - baseline.hours_per_year_saved;
        if used == 0 {
            continue;
        }
        proposals.push(ProposalRow {
            rank: 0,
            candidate: CandidateIdx::new(j),
            proposal: ctx.proposal(j),
            capital_gbp: capital_one,
            pupils_returned: returned,
            places_used: used,
            hours_per_year_saved: hours,
            km_per_year_saved: f.km_per_year_saved - baseline.km_per_year_saved,
            revenue_gbp_per_year_saved: gbp,
            payback_years: payback(capital_one, gbp),
            areas: ctx.areas_of(ctx.candidates[j].location),
        });
    }
    proposals.sort_by(|a, b| {
        b.revenue_gbp_per_year_saved
            .total_cmp(&a.revenue_gbp_per_year_saved)
            .then(b.pupils_returned.cmp(&a.pupils_returned))
            .then(a.candidate.cmp(&b.candidate))
    });
    proposals.truncate(req.max_proposals);
    for (i, p) in proposals.iter_mut().enumerate() {
        p.rank = i + 1;
    }

    let sc = &ctx.analysed.scenario;
    Ok(SiteResult {
        scenario: sc.config.name.clone(),
        synthetic_pupils: sc.config.description.to_lowercase().contains("synthetic"),
        request: req.clone(),
        candidates: ctx.candidates.clone(),
        unsnappable_candidates: ctx
            .candidates
            .iter()
            .zip(&ctx.snapped)
            .filter(|(_, &ok)| !ok)
            .map(|(c, _)| c.id.clone())
            .collect(),
        pupils: ctx.pupils.len(),
        out_of_area_pupils: problem.pupils.iter().filter(|p| p.out_of_area).count(),
        excluded_no_journey: ctx.excluded_no_journey,
        existing_provisions: ctx.existing.len(),
        existing_spare_places: problem.existing_spare.iter().map(|&s| u64::from(s)).sum(),
        baseline,
        per_k,
        exact_note,
        stopped_note,
        excluded_hosts: ctx.excluded_hosts.clone(),
        proposals,
        assumptions: ctx.assumptions(),
        evaluations: path.stats.evaluations,
        future: None,
        appraisal: None,
    })
}

/// [`run`] for a future year's demand: the problem's pupils stand for `growth` (per need ×
/// phase) pupils each ([`PlanningContext::future`]); the sites are chosen for that demand
/// and every chosen set is also evaluated on today's pupils.
///
/// # Errors
/// As [`run`].
pub fn run_future(
    ctx: &PlanningContext,
    future: &crate::analyse::capital::FutureDemand,
) -> Result<SiteResult, PlanningError> {
    let sc = &ctx.analysed.scenario;
    let pmax = ctx.analysed.params.primary_max_age;
    let growth_of = |u: usize| {
        sc.pupils.get(u).map_or(1.0, |p| {
            future
                .growth
                .get(&(p.need, Phase::of_age(p.age, pmax)))
                .copied()
                .unwrap_or(1.0)
        })
    };
    let (fctx, then) = ctx.future(growth_of);
    let mut result = run(&fctx)?;
    let mut per_k_now = Vec::with_capacity(result.per_k.len());
    for k in &result.per_k {
        let sites: Vec<usize> = k.sites.iter().map(|s| s.candidate.index()).collect();
        per_k_now.push(ctx.evaluate(&sites)?);
    }
    let mut phases: Vec<Phase> = ctx
        .pupils
        .iter()
        .filter_map(|&u| sc.pupils.get(u).map(|p| Phase::of_age(p.age, pmax)))
        .collect();
    phases.sort();
    phases.dedup();
    result.future = Some(crate::analyse::capital::FutureFigures {
        year: future.year,
        basis: future.basis.clone(),
        pupils_now: ctx.pupils.len(),
        pupils_then: then,
        growth: phases
            .into_iter()
            .map(|ph| {
                (
                    ph,
                    future
                        .growth
                        .get(&(ctx.request.need, ph))
                        .copied()
                        .unwrap_or(1.0),
                )
            })
            .collect(),
        baseline_now: ctx.evaluate(&[])?,
        per_k_now,
    });
    Ok(result)
}

/// One row of the capital plan: an area of one layer × a need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapitalRow {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Area name.
    pub area_name: String,
    /// The need (written as its SEN2 code).
    pub need: Need,
    /// Pupils of the need living in the area with an EHC plan: placed or not.
    pub demand_pupils: usize,
    /// Of which at a specialist placement (special school or resource base, any sector)
    /// outside the area: the pupils a local place could bring back. Mainstream, post-16
    /// and alternative provision placements outside the area are not counted.
    pub out_of_area_pupils: usize,
    /// Of which with no school place found: awaiting provision, or of compulsory school age
    /// and out of education (see `PlacementStatus::is_unmet_need`).
    pub unmet_need_pupils: usize,
    /// Spare places in receiving provisions in the area listing the need.
    pub local_spare_places: u64,
    /// `max(0, out_of_area_pupils + unmet_need_pupils − local_spare_places)`: places still
    /// missing to bring every specialist out-of-area pupil of the area back and to place
    /// every pupil still waiting.
    pub gap_places: u64,
    /// Sites of the largest-k answer in the area (the siting need only).
    pub chosen_sites: usize,
    /// Their capital cost, £.
    pub chosen_capital_gbp: f64,
    /// Ranked proposals sited in the area (the siting need only).
    pub proposals_in_area: usize,
    /// The best-ranked proposal in the area: candidate id.
    pub best_proposal: Option<String>,
    /// Its payback, years.
    pub best_proposal_payback_years: Option<f64>,
    /// Revenue saved a year by the chosen sites in the area (the largest-k answer's saving
    /// beyond existing places, shared over its sites by places used), £/year.
    pub chosen_revenue_gbp_per_year: f64,
    /// The area's notional budget share (area property `budget_share_gbp`), £ a year: a
    /// *revenue* figure (high-needs block), shown beside the revenue saving, never beside
    /// capital.
    pub budget_share_gbp: Option<f64>,
    /// The future year of `site --year N` (2030 = 2030/31), when given.
    pub year_n: Option<i32>,
    /// Demand in that year: `demand_pupils` × the area's projected growth of the need.
    pub demand_pupils_year_n: Option<f64>,
    /// `max(0, (out_of_area_pupils + unmet_need_pupils) × growth − local_spare_places)`,
    /// rounded up: the gap in that year if nothing is built.
    pub gap_places_year_n: Option<u64>,
}

/// The capital plan view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapitalPlan {
    /// Capital cost of one new place, £.
    pub capital_gbp_per_place: f64,
    /// Every layer × area × need with pupils or local places.
    pub rows: Vec<CapitalRow>,
    /// Ranked proposals (from the siting result, when given).
    pub proposals: Vec<ProposalRow>,
}

/// Per area (each layer) × need: demand (every EHC plan, placed or not), local spare
/// places, specialist out-of-area pupils, unmet need and the gap, with the siting result's
/// chosen sites and proposals in each area and the area's budget share where its feature
/// has a `budget_share_gbp` property.
pub fn capital_plan(analysed: &Analysed, site: Option<&SiteResult>) -> CapitalPlan {
    capital_plan_for(analysed, site, None)
}

/// [`capital_plan`] with the gap of a future year too (`site --year N`): each area × need
/// grows by its projected growth ([`crate::analyse::capital::FutureDemand`]).
pub fn capital_plan_for(
    analysed: &Analysed,
    site: Option<&SiteResult>,
    future: Option<&crate::analyse::capital::FutureDemand>,
) -> CapitalPlan {
    let sc = &analysed.scenario;
    let a = &analysed.analysis;
    let capital_per_place = sc.config.costs.capital_gbp_per_place;
    let mut rows = Vec::new();
    for (li, layer) in analysed.layers.iter().enumerate() {
        let Some(area_layer) = sc.area_layers.get(li) else {
            continue;
        };
        for (ai, (area_id, area_name)) in layer.areas.iter().enumerate() {
            let budget = area_layer
                .get(ai)
                .and_then(|ar| ar.properties.get("budget_share_gbp"))
                .and_then(Value::as_f64);
            for need in Need::ALL {
                let mut demand = 0;
                let mut out = 0;
                for (u, pupil) in sc.pupils.iter().enumerate() {
                    if pupil.need == need && layer.pupil_area.get(u) == Some(&Some(ai)) {
                        demand += 1;
                        out += usize::from(a.pupils.get(u).is_some_and(|r| {
                            r.out_of_area && specialist_placement(&sc.provisions, r)
                        }));
                    }
                }
                let mut unmet = 0;
                for (pupil, area) in sc.unplaced.iter().zip(&layer.unplaced_area) {
                    if pupil.need == need && *area == Some(ai) {
                        demand += 1;
                        unmet += usize::from(pupil.status.is_unmet_need());
                    }
                }
                let spare: u64 = sc
                    .provisions
                    .iter()
                    .enumerate()
                    .filter(|(pi, p)| {
                        analysed.receiving.get(*pi).copied().unwrap_or(false)
                            && layer.provision_area.get(*pi) == Some(&Some(ai))
                            && p.needs.contains(&need)
                    })
                    .map(|(_, p)| u64::from(p.spare_places().unwrap_or(0)))
                    .sum();
                let this_need = site.filter(|s| s.request.need == need);
                let growth = future.map(|f| {
                    f.area_growth
                        .get(&(layer.layer.clone(), area_id.clone(), need))
                        .copied()
                        .or_else(|| {
                            // The need's growth over all phases when the area has no row.
                            let g: Vec<f64> = Phase::ALL
                                .iter()
                                .filter_map(|&ph| f.growth.get(&(need, ph)).copied())
                                .collect();
                            (!g.is_empty()).then(|| g.iter().sum::<f64>() / g.len() as f64)
                        })
                        .unwrap_or(1.0)
                });
                if demand == 0 && spare == 0 && this_need.is_none() {
                    continue;
                }
                let in_area = |areas: &[(String, String)]| {
                    areas
                        .iter()
                        .any(|(l, id)| *l == layer.layer && id == area_id)
                };
                let (mut chosen, mut chosen_places) = (0usize, 0u64);
                let (mut n_props, mut best) = (0usize, None::<&ProposalRow>);
                let mut chosen_revenue = 0.0;
                if let Some(s) = this_need {
                    if let Some(last) = s.per_k.last() {
                        let used: u32 = last.sites.iter().map(|c| c.used).sum();
                        for c in last.sites.iter().filter(|c| in_area(&c.areas)) {
                            chosen += 1;
                            chosen_places += u64::from(c.places);
                            if used > 0 {
                                chosen_revenue += last.extra_gbp_per_year_saved * f64::from(c.used)
                                    / f64::from(used);
                            }
                        }
                    }
                    for p in s.proposals.iter().filter(|p| in_area(&p.areas)) {
                        n_props += 1;
                        best = best.or(Some(p));
                    }
                }
                rows.push(CapitalRow {
                    layer: layer.layer.clone(),
                    area_id: area_id.clone(),
                    area_name: area_name.clone(),
                    need,
                    demand_pupils: demand,
                    out_of_area_pupils: out,
                    unmet_need_pupils: unmet,
                    local_spare_places: spare,
                    gap_places: ((out + unmet) as u64).saturating_sub(spare),
                    chosen_sites: chosen,
                    chosen_capital_gbp: chosen_places as f64 * capital_per_place,
                    proposals_in_area: n_props,
                    best_proposal: best.map(|p| p.proposal.site_id.clone()),
                    best_proposal_payback_years: best.and_then(|p| p.payback_years),
                    chosen_revenue_gbp_per_year: chosen_revenue,
                    budget_share_gbp: budget,
                    year_n: future.map(|f| f.year),
                    demand_pupils_year_n: growth.map(|g| demand as f64 * g),
                    gap_places_year_n: growth
                        .map(|g| (((out + unmet) as f64 * g).ceil() as u64).saturating_sub(spare)),
                });
            }
        }
    }
    CapitalPlan {
        capital_gbp_per_place: capital_per_place,
        rows,
        proposals: site.map(|s| s.proposals.clone()).unwrap_or_default(),
    }
}

/// True when the pupil's current placement is a specialist one (special school or resource
/// base of any sector), the placements a local specialist place could replace.
fn specialist_placement(provisions: &[crate::model::Provision], r: &PupilResult) -> bool {
    r.placement
        .and_then(|pi| provisions.get(pi.index()))
        .is_some_and(|p| PlacementType::of(p.kind) == PlacementType::Specialist)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_validation_names_the_field() {
        let mut r = SiteRequest::new(Need::Asd, 12, 3);
        assert!(r.validate().is_ok());
        r.age_min = 17;
        r.age_max = 11;
        assert!(r.validate().unwrap_err().to_string().contains("age_min"));
        let mut r = SiteRequest::new(Need::Asd, 0, 3);
        assert!(r.validate().unwrap_err().to_string().contains("places"));
        r.places = 4;
        r.kind = ProvisionKind::Mainstream;
        assert!(r.validate().unwrap_err().to_string().contains("kind"));
        let r: SiteRequest =
            serde_json::from_str(r#"{"need":"SEMH","places":8,"k":2,"objective":"travel"}"#)
                .unwrap();
        assert_eq!(r.objective, PlanObjective::Travel);
        assert_eq!((r.age_min, r.age_max), (0, 25));
        assert!(r.scenario_sites);
    }

    #[test]
    fn bands_payback_and_objective_codes() {
        assert_eq!(band(0.0), 0);
        assert_eq!(band(44.99), 2);
        assert_eq!(band(45.0), 3);
        assert_eq!(band(500.0), 6);
        assert_eq!(payback(100.0, 50.0), Some(2.0));
        assert_eq!(payback(100.0, 0.0), None);
        assert_eq!("travel".parse::<PlanObjective>(), Ok(PlanObjective::Travel));
        assert!("x".parse::<PlanObjective>().is_err());
    }
}
