//! Placement analysis: every pupil's current journey, every suitable alternative, the
//! optimal capacity-constrained bring-back of out-of-area pupils, and what it saves.
//!
//! Semantics (documented for independent re-implementation; see `docs/analysis.md`):
//! - Journeys use the `time` metric (least duration); minutes and km are of that path.
//! - A provision *suits* a pupil (is one of their alternatives) when its kind is one the
//!   pupil could be placed in, read from the kind of their current placement
//!   ([`PlacementType`]): special-school and resource-base pupils (independent and
//!   non-maintained special schools included) -> special schools and resource bases;
//!   mainstream pupils -> mainstream schools of their phase; post-16 pupils -> post-16
//!   providers; alternative provision -> alternative provision. It must also accept the
//!   pupil's age and, except for a mainstream school, list the pupil's need
//!   ([`Provision::is_alternative_for`]). Nearest suitable, rank and extra minutes compare
//!   a pupil with these alternatives only.
//! - A placement that cannot be snapped (outside the road extract) gets an *estimated*
//!   journey: great-circle km x circuity, at a speed, both fitted by distance band on this
//!   run's routed journeys ([`crate::analyse::estimate`]; the scenario's `circuity_factor`
//!   and `estimate_speed_kmh` where nothing could be fitted).
//! - Without a road network (an *estimate-only* run, [`Inputs::network`] `None`) every
//!   journey with a known placement is estimated at the defaults, homes are not checked
//!   ([`RoadSnap::NoRoads`]), and nothing that compares provisions by journey is done: no
//!   suitable alternatives, ranks, candidates or bring-back (out-of-area pupils are not
//!   moved, [`NotMoved::NoRoadNetwork`]). Those choose between places minutes apart, which a
//!   straight-line estimate at one assumed speed cannot tell apart.
//! - Out of area: the placement's location lies outside the home authority boundary.
//! - Long journey: minutes above the limit of the pupil's phase ([`Phase::of_age`]): the
//!   primary limit for Reception to Year 6 (age <= `primary_max_age`, 10), else the
//!   secondary limit (Years 7 to 11, and post-16, for which the guidance sets no figure).
//! - Bring-back: out-of-area pupils with a snapped home, except mainstream pupils, may move
//!   to a suitable provision of a receiving kind inside the boundary with spare places
//!   (capacity known, capacity - on_roll > 0), when the routed minutes are within the
//!   pupil's limit. The assignment maximises pupils moved, then minimises total minutes,
//!   with minutes rounded to 0.01 (centiminutes) as written in `candidates.csv`. Pupils
//!   already in area are not moved.
//!
//! Rayon parallelism: one reverse search per provision, folded per provision. Results do
//! not depend on the number of threads.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc as Shared;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analyse::assign::{solve_greedy, solve_optimal, Arc, Problem, Solution};
use crate::analyse::estimate::{Calibration, Defaults, JourneyFit, RoutedPair};
use crate::index::cost::{to_nano, NANO};
use crate::index::snap::{Snap, SnapFailure};
use crate::model::ids::{MoveIdx, ProvisionIdx, PupilIdx};
use crate::model::phase::{Phase, PRIMARY_MAX_AGE};
use crate::model::{LatLon, Need, PlacementType, Provision, ProvisionKind, Pupil, Transport};
use crate::query::route::{Metric, Network, OriginSlots, Route, Targets};

/// Analysis parameters (from the scenario's `[analysis]` and `[costs]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Oldest age at 31 August in the primary phase, years (10: Year 6).
    pub primary_max_age: u8,
    /// Longest acceptable journey for primary-phase pupils, minutes.
    pub primary_max_minutes: f64,
    /// Longest acceptable journey for secondary-phase and post-16 pupils, minutes.
    pub secondary_max_minutes: f64,
    /// Largest snap distance, metres.
    pub max_snap_m: f64,
    /// Road km per great-circle km for estimated journeys where no distance band could be
    /// fitted on routed journeys ([`crate::analyse::estimate`]).
    pub circuity_factor: f64,
    /// Average speed for estimated journeys where no distance band could be fitted, km/h.
    pub estimate_speed_kmh: f64,
    /// Provision kinds that may receive pupils brought back (of the pupil's alternatives).
    pub receiving_kinds: Vec<ProvisionKind>,
    /// Cost assumptions.
    pub costs: Costs,
}

/// Cost assumptions, echoed in every output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// School days per year.
    pub school_days_per_year: f64,
    /// Journeys per school day (there and back: 2).
    pub journeys_per_day: f64,
    /// Annual placement cost by kind, £/year (a provision's own `annual_cost_gbp` wins).
    pub placement_gbp_by_kind: BTreeMap<ProvisionKind, f64>,
    /// Transport cost per km by mode, £/km.
    pub transport_gbp_per_km_by_mode: BTreeMap<Transport, f64>,
    /// Mode assumed when a pupil's transport is not given.
    pub default_transport: Transport,
    /// Travel training one pupil, £ (one-off).
    #[serde(default)]
    pub travel_training_gbp: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            primary_max_age: PRIMARY_MAX_AGE,
            primary_max_minutes: 45.0,
            secondary_max_minutes: 75.0,
            max_snap_m: crate::index::snap::DEFAULT_MAX_SNAP_M,
            circuity_factor: 1.3,
            estimate_speed_kmh: 40.0,
            receiving_kinds: vec![ProvisionKind::SpecialSchool, ProvisionKind::ResourceBase],
            costs: Costs {
                school_days_per_year: 190.0,
                journeys_per_day: 2.0,
                placement_gbp_by_kind: BTreeMap::new(),
                transport_gbp_per_km_by_mode: BTreeMap::new(),
                default_transport: Transport::Taxi,
                travel_training_gbp: 2_500.0,
            },
        }
    }
}

impl Params {
    /// The phase of a pupil of this age (at 31 August).
    pub fn phase(&self, age: u8) -> Phase {
        Phase::of_age(age, self.primary_max_age)
    }

    /// The journey limit of a phase, minutes: the primary limit, or the secondary one for
    /// secondary and post-16 pupils.
    pub fn phase_limit_minutes(&self, phase: Phase) -> f64 {
        match phase {
            Phase::Primary => self.primary_max_minutes,
            Phase::Secondary | Phase::Post16 => self.secondary_max_minutes,
        }
    }

    /// The journey limit for a pupil of this age, minutes: that of the pupil's phase.
    pub fn limit_minutes(&self, age: u8) -> f64 {
        self.phase_limit_minutes(self.phase(age))
    }

    /// Annual placement cost of a provision, £/year, when known.
    pub fn placement_cost(&self, p: &Provision) -> Option<f64> {
        p.annual_cost_gbp
            .or_else(|| self.costs.placement_gbp_by_kind.get(&p.kind).copied())
    }

    /// Annual transport cost of `km` one-way journeys by `mode`, £/year, when a rate is set.
    pub fn transport_cost(&self, mode: Transport, km: f64) -> Option<f64> {
        let rate = self.costs.transport_gbp_per_km_by_mode.get(&mode)?;
        Some(km * self.trips_per_year() * rate)
    }

    /// One-way journeys per year.
    pub fn trips_per_year(&self) -> f64 {
        self.costs.school_days_per_year * self.costs.journeys_per_day
    }

    /// The circuity and speed of estimated journeys where nothing could be fitted.
    pub fn estimate_defaults(&self) -> Defaults {
        Defaults {
            circuity: self.circuity_factor,
            speed_kmh: self.estimate_speed_kmh,
        }
    }
}

/// Everything the analysis reads.
pub struct Inputs<'a> {
    /// The road network; `None` for an estimate-only run (the extract is missing).
    pub network: Option<&'a Network>,
    /// Provisions.
    pub provisions: &'a [Provision],
    /// Pupils.
    pub pupils: &'a [Pupil],
    /// True when a point lies inside the home authority.
    pub in_area: &'a (dyn Fn(LatLon) -> bool + Sync),
    /// Parameters.
    pub params: &'a Params,
    /// The journey estimates to use, calibrated on another run: a what-if passes its
    /// baseline's, so that it changes only what its provisions change. `None`: calibrate on
    /// this run's routed journeys.
    pub calibration: Option<&'a Calibration>,
}

/// A journey figure and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    /// Minutes.
    pub minutes: f64,
    /// Kilometres.
    pub km: f64,
    /// True when estimated from the great-circle distance (the placement is not within
    /// `max_snap_m` of the road extract), by the run's [`Calibration`]; false when routed.
    pub estimated: bool,
}

impl Trip {
    /// `estimated` or `routed`, as written in outputs (`journey_source`).
    pub fn source(&self) -> &'static str {
        if self.estimated {
            "estimated"
        } else {
            "routed"
        }
    }
}

/// An alternative provision for a pupil.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// The provision.
    pub provision: ProvisionIdx,
    /// Routed journey.
    pub trip: Trip,
}

/// How a home meets the road network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RoadSnap {
    /// Snapped to the nearest road within `max_snap_m`.
    Snapped(Snap),
    /// Not within `max_snap_m` of a road (or bad coordinates): no journey, with the reason.
    Unsnappable(SnapFailure),
    /// No road network was loaded (an estimate-only run): not checked.
    NoRoads,
}

impl RoadSnap {
    fn of(r: &Result<Snap, SnapFailure>) -> RoadSnap {
        match r {
            Ok(s) => RoadSnap::Snapped(*s),
            Err(e) => RoadSnap::Unsnappable(*e),
        }
    }

    /// The snap, when snapped.
    pub fn snap(&self) -> Option<&Snap> {
        match self {
            RoadSnap::Snapped(s) => Some(s),
            _ => None,
        }
    }

    /// Why the point could not be snapped, when it was checked and failed.
    pub fn failure(&self) -> Option<&SnapFailure> {
        match self {
            RoadSnap::Unsnappable(e) => Some(e),
            _ => None,
        }
    }

    /// True when the point was checked and is too far from every road.
    pub fn is_unsnappable(&self) -> bool {
        matches!(self, RoadSnap::Unsnappable(_))
    }
}

/// Why an out-of-area pupil is not moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotMoved {
    /// The home could not be snapped to the road network.
    Unsnappable,
    /// No road network was loaded (an estimate-only run): a bring-back needs routed journeys
    /// to the local places, so none is attempted.
    NoRoadNetwork,
    /// The pupil is placed in a mainstream school: compared with mainstream schools of
    /// their phase for the journey review, never a bring-back candidate.
    MainstreamPlacement,
    /// No in-area provision of a receiving kind is among the pupil's alternatives (suits
    /// the placement type, need and age).
    NoSuitableProvision,
    /// Suitable in-area provisions exist but none has (or, after the optimal allocation, has
    /// left) a spare place within reach.
    AllSuitableFull,
    /// Suitable in-area provisions with spare places exist but every one is beyond the
    /// journey limit (or unreachable).
    OverThreshold,
}

impl NotMoved {
    /// Every reason, in declaration order.
    pub const ALL: [NotMoved; 6] = [
        NotMoved::Unsnappable,
        NotMoved::NoRoadNetwork,
        NotMoved::MainstreamPlacement,
        NotMoved::NoSuitableProvision,
        NotMoved::AllSuitableFull,
        NotMoved::OverThreshold,
    ];

    /// Stable code used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            NotMoved::Unsnappable => "unsnappable",
            NotMoved::NoRoadNetwork => "no_road_network",
            NotMoved::MainstreamPlacement => "mainstream_placement",
            NotMoved::NoSuitableProvision => "no_suitable_provision",
            NotMoved::AllSuitableFull => "all_suitable_full",
            NotMoved::OverThreshold => "over_threshold",
        }
    }
}

/// A bring-back move and what it saves a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    /// The pupil.
    pub pupil: PupilIdx,
    /// The current placement.
    pub from: ProvisionIdx,
    /// The new provision.
    pub to: ProvisionIdx,
    /// Current journey.
    pub before: Option<Trip>,
    /// New journey.
    pub after: Trip,
    /// km/year saved (both journeys a day, every school day).
    pub km_per_year_saved: f64,
    /// Hours/year saved.
    pub hours_per_year_saved: f64,
    /// Placement cost saved, £/year (None when a cost is unknown).
    pub placement_gbp_saved: Option<f64>,
    /// Transport cost saved, £/year (None when a rate is unknown).
    pub transport_gbp_saved: Option<f64>,
}

impl Move {
    /// Total £/year saved (unknown parts count as 0).
    pub fn total_gbp_saved(&self) -> f64 {
        self.placement_gbp_saved.unwrap_or(0.0) + self.transport_gbp_saved.unwrap_or(0.0)
    }
}

/// Every figure for one pupil.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PupilResult {
    /// The pupil.
    pub pupil: PupilIdx,
    /// The placement, when the placement id is known.
    pub placement: Option<ProvisionIdx>,
    /// The home snap, why it failed, or that there was no road network to snap to.
    pub home_snap: RoadSnap,
    /// Snap distance of the placement, metres (None when outside the road extract).
    pub placement_snap_m: Option<f64>,
    /// Current journey (None when the home is unsnappable or the pair unreachable).
    pub current: Option<Trip>,
    /// Every suitable provision (the pupil's alternatives, see the module docs) with its
    /// journey, nearest first (ties by index). Shared: a what-if's unaffected pupils keep
    /// the baseline's list without copying it.
    pub suitable: std::sync::Arc<[Alternative]>,
    /// Nearest suitable provision, any capacity.
    pub nearest: Option<Alternative>,
    /// Nearest suitable provision with spare places.
    pub nearest_with_space: Option<Alternative>,
    /// Rank of the current placement among suitable provisions by minutes (1 = nearest):
    /// 1 + the number of suitable provisions strictly nearer than the current journey.
    pub current_rank: Option<usize>,
    /// Current minutes minus the nearest suitable provision's minutes (may be negative).
    pub extra_minutes: Option<f64>,
    /// Placement outside the home boundary.
    pub out_of_area: bool,
    /// Current journey above the pupil's limit.
    pub long_journey: bool,
    /// The pupil's journey limit, minutes.
    pub limit_minutes: f64,
    /// The move, when brought back (index into [`Analysis::moves`]).
    pub moved: Option<MoveIdx>,
    /// Why an out-of-area pupil was not moved.
    pub not_moved: Option<NotMoved>,
    /// What the current placement and transport cost a year, as far as known.
    pub current_cost: CurrentCost,
}

/// The yearly cost of a pupil's current placement and transport (before any move), £/year:
/// `None` where the assumptions give no figure (no cost for the provision or its kind; no
/// current journey, or no rate for the mode, and no actual transport cost).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrentCost {
    /// The placement: the provision's `annual_cost_gbp`, else its kind's cost.
    pub placement_gbp: Option<f64>,
    /// Transport: the pupil's actual `transport_cost_gbp`, else the mode's £/km × the
    /// current journey's km × one-way journeys a year.
    pub transport_gbp: Option<f64>,
    /// For a pupil on a council vehicle (taxi or minibus) with a journey: the same journeys
    /// paid as a personal transport budget (the `personal_budget` £/km), £/year.
    pub personal_budget_gbp: Option<f64>,
    /// For a pupil on a council vehicle who could be travel trained (secondary or post-16
    /// age; no wheelchair, escort or solo travel; not PMLD, SLD or MSI): the first year,
    /// training plus the `travel_training` £/km for the journeys, £.
    pub travel_training_first_year_gbp: Option<f64>,
    /// ... and each later year (the journeys only), £/year.
    pub travel_training_later_gbp: Option<f64>,
}

/// True when a pupil could be offered travel training instead of a council vehicle: of
/// secondary or post-16 age, travelling without a wheelchair, escort or the need to travel
/// alone, and not of a need that rules independent travel out (PMLD, SLD, MSI). A screen,
/// not an assessment: the council decides pupil by pupil.
pub fn may_travel_train(pupil: &Pupil, phase: Phase) -> bool {
    phase != Phase::Primary
        && !pupil.travel.wheelchair
        && !pupil.travel.escort
        && !pupil.travel.solo
        && !matches!(pupil.need, Need::Pmld | Need::Sld | Need::Msi)
}

/// One out-of-area pupil (not mainstream) x suitable in-area provision of a receiving kind
/// with spare places.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The pupil.
    pub pupil: PupilIdx,
    /// The provision.
    pub provision: ProvisionIdx,
    /// Routed journey (minutes rounded to 0.01 for the assignment).
    pub trip: Trip,
    /// Minutes within the pupil's limit.
    pub within_threshold: bool,
}

/// Per-provision figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionResult {
    /// The provision.
    pub provision: ProvisionIdx,
    /// Inside the home boundary.
    pub in_area: bool,
    /// Snap distance, metres (None when outside the road extract).
    pub snap_m: Option<f64>,
    /// Spare places before moves (None when capacity unknown).
    pub spare_before: Option<u32>,
    /// Pupils of this scenario placed here now.
    pub placed: usize,
    /// Pupils moved here by the bring-back.
    pub moves_in: usize,
    /// Pupils moved away from here.
    pub moves_out: usize,
}

/// Headline bring-back figures for one solver.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SolverFigures {
    /// Pupils moved.
    pub moved: usize,
    /// Total minutes of the new journeys (sum of centiminute-rounded minutes).
    pub total_minutes: f64,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// One per input pupil, in input order.
    pub pupils: Vec<PupilResult>,
    /// One per provision, in input order.
    pub provisions: Vec<ProvisionResult>,
    /// Every out-of-area pupil (not mainstream) x suitable in-area provision of a receiving
    /// kind with spare places.
    pub candidates: Vec<Candidate>,
    /// The optimal moves, by pupil index.
    pub moves: Vec<Move>,
    /// The optimum's figures.
    pub optimal: SolverFigures,
    /// The greedy (nearest-first) baseline's figures.
    pub greedy: SolverFigures,
    /// Provisions with unknown capacity (never offered as having spare places).
    pub unknown_capacity: usize,
    /// How estimated journeys were made: the fit by distance band on this run's routed
    /// journeys (or the one given in [`Inputs::calibration`]) and its hold-out error.
    pub calibration: Calibration,
}

crate::model::ids::indexed_by!(PupilIdx => PupilResult);
crate::model::ids::indexed_by!(ProvisionIdx => ProvisionResult);
crate::model::ids::indexed_by!(MoveIdx => Move);

/// Round minutes to centiminutes (the assignment's integer cost).
pub fn centiminutes(minutes: f64) -> i64 {
    (minutes * 100.0).round() as i64
}

fn trip_of(j: crate::query::route::Journey) -> Trip {
    Trip {
        minutes: j.duration_s / 60.0,
        km: j.distance_m / 1000.0,
        estimated: false,
    }
}

/// What every stage of [`analyse`] shares: the inputs, the snaps and each pupil's placement.
/// Vectors are indexed by [`PupilIdx::index`] or [`ProvisionIdx::index`].
/// Road journeys from every routable home to provision sites, by site location: the
/// pupil × provision cost table. A server keeps the baseline's table so that a what-if
/// routes only the sites it adds or moves ([`analyse_with`]); a table is used only for the
/// same homes and snap limit it was made for.
#[derive(Debug, Clone, Default)]
pub struct TripTable {
    homes: Option<Shared<HomeRouting>>,
    sites: HashMap<(u64, u64), Shared<SiteTrips>>,
    /// Where each provision site snapped (for the same network and snap limit).
    snaps: HashMap<(u64, u64), RoadSnap>,
}

/// The homes' side of routing, shared by every analysis of the same pupils on the same
/// network: snaps, the target set (with its restricted sweep) and each home's slots.
#[derive(Debug)]
struct HomeRouting {
    key: u64,
    snaps: Vec<Result<Snap, SnapFailure>>,
    targets: Targets,
    slots: Vec<Option<OriginSlots>>,
}

impl HomeRouting {
    fn new(net: &Network, inp: &Inputs, key: u64) -> HomeRouting {
        let max_snap_m = inp.params.max_snap_m;
        let snaps: Vec<Result<Snap, SnapFailure>> = inp
            .pupils
            .par_iter()
            .map(|p| net.snap(p.home, max_snap_m))
            .collect();
        let targets = net.targets(snaps.iter().flatten(), Metric::Time);
        let slots = snaps
            .par_iter()
            .map(|s| s.as_ref().ok().map(|s| net.origin_slots(&targets, s)))
            .collect();
        HomeRouting {
            key,
            snaps,
            targets,
            slots,
        }
    }
}

/// Per pupil, the road journey to one site: (duration ns, length nm), `None` unreachable
/// or unsnapped. Stored as the integers the router computed, so a trip read from the table
/// equals the trip routed again.
type SiteTrips = Vec<Option<(u64, u64)>>;

/// A provision's site trips (when it snaps) and the trips of the pupils it matters to.
type RoutedSite = (Option<Shared<SiteTrips>>, Vec<(PupilIdx, Trip)>);

impl TripTable {
    /// Sites held.
    pub fn sites(&self) -> usize {
        self.sites.len()
    }

    /// Cells held (sites × pupils).
    pub fn cells(&self) -> usize {
        self.sites.values().map(|v| v.len()).sum()
    }

    /// The road journeys from every pupil's home to the site at `site`, when the table
    /// holds that site: per pupil (input order), `None` where the home is not routable.
    /// The same figures a tree to the site gives ([`Network::journey_from`]).
    pub fn journeys_to(
        &self,
        site: LatLon,
    ) -> Option<impl ExactSizeIterator<Item = Option<crate::query::route::Journey>> + '_> {
        let trips = self.sites.get(&site_key(site))?;
        Some(trips.iter().map(|cell| cell.map(journey_of)))
    }

    /// Approximate heap bytes held.
    pub fn bytes(&self) -> usize {
        self.cells() * std::mem::size_of::<Option<(u64, u64)>>()
    }
}

/// A table cell (nanoseconds, nanometres) as a journey.
fn journey_of((ns, nm): (u64, u64)) -> crate::query::route::Journey {
    crate::query::route::Journey {
        distance_m: nm as f64 / NANO,
        duration_s: ns as f64 / NANO,
    }
}

fn site_key(p: LatLon) -> (u64, u64) {
    (p.lat.to_bits(), p.lon.to_bits())
}

/// A fingerprint of the homes, snap limit and network a table is valid for.
fn homes_key(net: &Network, inp: &Inputs) -> u64 {
    let (pupils, max_snap_m, g) = (inp.pupils, inp.params.max_snap_m, &net.graph);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    max_snap_m.to_bits().hash(&mut h);
    (
        g.node_count(),
        g.pieces().len(),
        g.summary().geometry_points,
    )
        .hash(&mut h);
    for p in pupils {
        (p.home.lat.to_bits(), p.home.lon.to_bits()).hash(&mut h);
    }
    h.finish()
}

struct Stage<'a> {
    inp: &'a Inputs<'a>,
    /// Per provision, its site's snap (all `NoRoads` without a network).
    prov_snaps: Vec<RoadSnap>,
    /// The network, and the homes snapped and prepared as the targets of every provision
    /// tree (`None`: an estimate-only run).
    roads: Option<(&'a Network, Shared<HomeRouting>)>,
    placement: Vec<Option<ProvisionIdx>>,
    /// Per pupil, the type of their placement (`None` when the placement is unknown).
    placement_type: Vec<Option<PlacementType>>,
    receiving: Vec<bool>,
    prov_in_area: Vec<bool>,
    spare: Vec<u32>,
}

/// Per pupil, the journey to each provision that matters to them.
type PupilTrips = BTreeMap<ProvisionIdx, Trip>;

impl<'a> Stage<'a> {
    /// Snap every site and home (in parallel) and resolve placements.
    fn new(inp: &'a Inputs<'a>, reuse: &TripTable) -> Stage<'a> {
        let (params, provisions) = (inp.params, inp.provisions);
        let mut known_snaps = None;
        let roads = inp.network.map(|net| {
            let key = homes_key(net, inp);
            let homes = match &reuse.homes {
                Some(h) if h.key == key => {
                    known_snaps = Some(&reuse.snaps);
                    h.clone()
                }
                _ => Shared::new(HomeRouting::new(net, inp, key)),
            };
            (net, homes)
        });
        let index: BTreeMap<&str, ProvisionIdx> = provisions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), ProvisionIdx::new(i)))
            .collect();
        let placement: Vec<Option<ProvisionIdx>> = inp
            .pupils
            .iter()
            .map(|p| index.get(p.placement_id.as_str()).copied())
            .collect();
        let placement_type = placement
            .iter()
            .map(|pl| {
                let p = provisions.get((*pl)?.index())?;
                Some(PlacementType::of(p.kind))
            })
            .collect();
        Stage {
            prov_snaps: provisions
                .par_iter()
                .map(|p| {
                    let known = known_snaps.and_then(|k| k.get(&site_key(p.location)));
                    match (known, inp.network) {
                        (Some(s), _) => *s,
                        (None, Some(net)) => RoadSnap::of(&net.snap(p.location, params.max_snap_m)),
                        (None, None) => RoadSnap::NoRoads,
                    }
                })
                .collect(),
            roads,
            placement,
            placement_type,
            receiving: provisions
                .iter()
                .map(|p| params.receiving_kinds.contains(&p.kind))
                .collect(),
            prov_in_area: provisions
                .iter()
                .map(|p| (inp.in_area)(p.location))
                .collect(),
            spare: provisions
                .iter()
                .map(|p| p.spare_places().unwrap_or(0))
                .collect(),
            inp,
        }
    }

    fn pupil(&self, u: PupilIdx) -> &'a Pupil {
        &self.inp.pupils[u.index()]
    }

    fn provision(&self, pi: ProvisionIdx) -> &'a Provision {
        &self.inp.provisions[pi.index()]
    }

    fn home_snap(&self, u: PupilIdx) -> RoadSnap {
        match &self.roads {
            Some((_, homes)) => homes
                .snaps
                .get(u.index())
                .map_or(RoadSnap::NoRoads, RoadSnap::of),
            None => RoadSnap::NoRoads,
        }
    }

    fn placement_of(&self, u: PupilIdx) -> Option<ProvisionIdx> {
        self.placement[u.index()]
    }

    fn in_area(&self, pi: ProvisionIdx) -> bool {
        self.prov_in_area[pi.index()]
    }

    fn spare(&self, pi: ProvisionIdx) -> u32 {
        self.spare[pi.index()]
    }

    /// Provision `pi` is one of pupil `u`'s alternatives: a kind the pupil's placement type
    /// admits, accepting the pupil's age and (but for mainstream schools) need.
    fn suits(&self, pi: ProvisionIdx, u: PupilIdx) -> bool {
        let Some(placement) = self.placement_type[u.index()] else {
            return false;
        };
        let pupil = self.pupil(u);
        self.provision(pi)
            .is_alternative_for(placement, pupil.need, pupil.age)
    }

    /// Pupil `u` may be brought back if placed out of area (not a mainstream pupil).
    fn may_be_brought_back(&self, u: PupilIdx) -> bool {
        self.placement_type[u.index()].is_some_and(PlacementType::may_be_brought_back)
    }

    /// Provision `pi` may take pupils brought back: a receiving kind inside the boundary.
    fn takes_bring_back(&self, pi: ProvisionIdx) -> bool {
        self.receiving[pi.index()] && self.in_area(pi)
    }

    /// One tree per provision site (in parallel; sites in `reuse` are not routed again);
    /// the journeys of the pupils each provision matters to (placed there, or suited by
    /// it), per pupil by provision; and the table of every site's trips.
    fn trips(&self, reuse: &TripTable) -> (Vec<PupilTrips>, TripTable) {
        let (pupils, n_prov) = (self.inp.pupils, self.inp.provisions.len());
        let Some((_, homes)) = &self.roads else {
            return (vec![BTreeMap::new(); pupils.len()], TripTable::default());
        };
        let same_homes = reuse
            .homes
            .as_ref()
            .is_some_and(|h| Shared::ptr_eq(h, homes));
        let reuse = same_homes.then_some(&reuse.sites);
        let per_provision: Vec<RoutedSite> = (0..n_prov)
            .into_par_iter()
            .map(|pi| {
                let pi = ProvisionIdx::new(pi);
                let key = site_key(self.provision(pi).location);
                let site = match reuse.and_then(|r| r.get(&key)) {
                    Some(t) => Some(t.clone()),
                    None => self.site_trips(pi).map(Shared::new),
                };
                let list = site
                    .as_ref()
                    .map(|t| self.trips_from(pi, t))
                    .unwrap_or_default();
                (site, list)
            })
            .collect();
        let mut table = TripTable {
            homes: Some(homes.clone()),
            sites: HashMap::new(),
            snaps: self
                .inp
                .provisions
                .iter()
                .zip(&self.prov_snaps)
                .map(|(p, s)| (site_key(p.location), *s))
                .collect(),
        };
        let mut trips: Vec<PupilTrips> = vec![BTreeMap::new(); pupils.len()];
        for (pi, (site, list)) in ProvisionIdx::all(n_prov).zip(per_provision) {
            if let Some(site) = site {
                table
                    .sites
                    .insert(site_key(self.provision(pi).location), site);
            }
            for (u, t) in list {
                trips[u.index()].insert(pi, t);
            }
        }
        (trips, table)
    }

    /// Every pupil's road journey to provision `pi`'s site (one tree); `None` when the
    /// site does not snap.
    fn site_trips(&self, pi: ProvisionIdx) -> Option<SiteTrips> {
        let (net, homes) = self.roads.as_ref()?;
        let ps = self.prov_snaps[pi.index()].snap()?;
        let tree = net.tree_to(&homes.targets, ps);
        Some(
            PupilIdx::all(self.inp.pupils.len())
                .map(|u| {
                    let hs = homes.snaps.get(u.index())?.as_ref().ok()?;
                    let slots = homes.slots.get(u.index())?.as_ref()?;
                    let j = net.journey_from(&tree, hs, slots)?;
                    Some((to_nano(j.duration_s), to_nano(j.distance_m)))
                })
                .collect(),
        )
    }

    /// The trips to `pi` of the pupils it matters to, read from its site's trips.
    fn trips_from(&self, pi: ProvisionIdx, site: &SiteTrips) -> Vec<(PupilIdx, Trip)> {
        // A provision matters to the pupils placed there and those it is an alternative for.
        PupilIdx::all(self.inp.pupils.len())
            .filter(|&u| self.placement_of(u) == Some(pi) || self.suits(pi, u))
            .filter_map(|u| {
                let cell = (*site.get(u.index())?)?;
                Some((u, trip_of(journey_of(cell))))
            })
            .collect()
    }

    /// Great-circle distance from pupil `u`'s home to provision `pi`'s site, km.
    fn great_circle_km(&self, u: PupilIdx, pi: ProvisionIdx) -> f64 {
        crate::model::proj::haversine_m(self.pupil(u).home, self.provision(pi).location) / 1000.0
    }

    /// Every routed home → provision pair of the run (current journeys and alternatives),
    /// pupils in input order and each pupil's provisions in index order: what the estimates
    /// are calibrated on.
    fn routed_pairs(&self, trips: &[PupilTrips]) -> Vec<RoutedPair> {
        PupilIdx::all(trips.len())
            .zip(trips)
            .flat_map(|(u, t)| {
                t.iter().map(move |(&pi, trip)| RoutedPair {
                    pupil: u,
                    current: self.placement_of(u) == Some(pi),
                    great_circle_km: self.great_circle_km(u, pi),
                    road_km: trip.km,
                    minutes: trip.minutes,
                })
            })
            .collect()
    }

    /// The current journey: routed, else estimated from the great-circle distance by the
    /// run's fit when the placement is outside the road extract.
    fn current_trip(&self, u: PupilIdx, trips: &PupilTrips, fit: &JourneyFit) -> Option<Trip> {
        let pi = self.placement_of(u)?;
        if let Some(t) = trips.get(&pi) {
            return Some(*t);
        }
        // Estimated when the site has no snap (off the extract, or no network at all) and
        // the home is not known to be off the roads.
        let site_routable = self.prov_snaps[pi.index()].snap().is_some();
        if !site_routable && !self.home_snap(u).is_unsnappable() {
            let e = fit.estimate(self.great_circle_km(u, pi));
            return Some(Trip {
                minutes: e.minutes,
                km: e.km,
                estimated: true,
            });
        }
        None
    }

    /// A pupil's journeys, alternatives and flags (no bring-back yet).
    fn pupil_result(&self, u: PupilIdx, trips: &PupilTrips, fit: &JourneyFit) -> PupilResult {
        let pupil = self.pupil(u);
        let limit = self.inp.params.limit_minutes(pupil.age);
        let pl = self.placement_of(u);
        let current = self.current_trip(u, trips, fit);
        let mut suitable: Vec<Alternative> = trips
            .iter()
            .filter(|(pi, _)| self.suits(**pi, u))
            .map(|(pi, t)| Alternative {
                provision: *pi,
                trip: *t,
            })
            .collect();
        suitable.sort_by(|a, b| {
            a.trip
                .minutes
                .total_cmp(&b.trip.minutes)
                .then(a.provision.cmp(&b.provision))
        });
        let nearest = suitable.first().copied();
        let nearest_with_space = suitable
            .iter()
            .find(|a| self.provision(a.provision).spare_places().unwrap_or(0) > 0)
            .copied();
        // Without roads no provision is compared, so there is no rank.
        let compared = current.filter(|_| self.roads.is_some());
        let current_rank = compared.map(|c| {
            1 + suitable
                .iter()
                .filter(|a| Some(a.provision) != pl && a.trip.minutes < c.minutes)
                .count()
        });
        let extra_minutes = match (current, nearest) {
            (Some(c), Some(n)) => Some(c.minutes - n.trip.minutes),
            _ => None,
        };
        PupilResult {
            pupil: u,
            placement: pl,
            home_snap: self.home_snap(u),
            placement_snap_m: pl
                .and_then(|pi| self.prov_snaps[pi.index()].snap().map(|s| s.distance_m)),
            current,
            suitable: suitable.into(),
            nearest,
            nearest_with_space,
            current_rank,
            extra_minutes,
            out_of_area: pl.is_some_and(|pi| !self.in_area(pi)),
            long_journey: current.is_some_and(|c| c.minutes > limit),
            limit_minutes: limit,
            moved: None,
            not_moved: None,
            current_cost: self.current_cost(u, current),
        }
    }

    /// What pupil `u`'s current placement and transport cost a year (see [`CurrentCost`]).
    fn current_cost(&self, u: PupilIdx, current: Option<Trip>) -> CurrentCost {
        let (params, pupil) = (self.inp.params, self.pupil(u));
        let placement = self.placement_of(u).map(|pi| self.provision(pi));
        let mode = pupil.transport.unwrap_or(params.costs.default_transport);
        let km = current.map(|c| c.km);
        let on_vehicle = mode.is_council_vehicle();
        let trained = (on_vehicle && may_travel_train(pupil, params.phase(pupil.age)))
            .then(|| params.transport_cost(Transport::TravelTraining, km?))
            .flatten();
        CurrentCost {
            placement_gbp: placement.and_then(|p| params.placement_cost(p)),
            transport_gbp: pupil
                .transport_cost_gbp
                .or_else(|| params.transport_cost(mode, km?)),
            personal_budget_gbp: on_vehicle
                .then(|| params.transport_cost(Transport::PersonalBudget, km?))
                .flatten(),
            travel_training_first_year_gbp: trained.map(|g| g + params.costs.travel_training_gbp),
            travel_training_later_gbp: trained,
        }
    }

    /// Out-of-area pupils (not mainstream) with a snapped home × suitable in-area
    /// provisions of a receiving kind with spare places, sorted by (pupil, provision).
    fn candidates(&self, results: &[PupilResult]) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        for r in results {
            if !r.out_of_area || r.home_snap.snap().is_none() || !self.may_be_brought_back(r.pupil)
            {
                continue;
            }
            for a in r.suitable.iter() {
                if self.takes_bring_back(a.provision) && self.spare(a.provision) > 0 {
                    candidates.push(Candidate {
                        pupil: r.pupil,
                        provision: a.provision,
                        trip: a.trip,
                        within_threshold: a.trip.minutes <= r.limit_minutes,
                    });
                }
            }
        }
        candidates.sort_by_key(|c| (c.pupil, c.provision));
        candidates
    }

    /// The assignment problem of the within-limit candidates (cost: centiminutes). The
    /// solver's dense `u32` indices are the pupil and provision positions.
    fn problem(&self, candidates: &[Candidate]) -> Problem {
        Problem {
            n_pupils: self.inp.pupils.len(),
            capacity: self.spare.clone(),
            arcs: candidates
                .iter()
                .filter(|c| c.within_threshold)
                .map(|c| Arc {
                    pupil: c.pupil.index() as u32,
                    provision: c.provision.index() as u32,
                    cost: centiminutes(c.trip.minutes),
                })
                .collect(),
        }
    }

    /// A move of pupil `u` from its placement to `to`, priced a year.
    fn priced_move(
        &self,
        u: PupilIdx,
        to: ProvisionIdx,
        before: Option<Trip>,
        after: Trip,
    ) -> Option<Move> {
        let (params, pupil) = (self.inp.params, self.pupil(u));
        let from = self.placement_of(u)?;
        let mode = pupil.transport.unwrap_or(params.costs.default_transport);
        let trips_year = params.trips_per_year();
        let placement_gbp_saved = match (
            params.placement_cost(self.provision(from)),
            params.placement_cost(self.provision(to)),
        ) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        };
        let transport_gbp_saved = before.and_then(|b| {
            let new = params.transport_cost(mode, after.km)?;
            let old = match pupil.transport_cost_gbp {
                Some(actual) => actual,
                None => params.transport_cost(mode, b.km)?,
            };
            Some(old - new)
        });
        Some(Move {
            pupil: u,
            from,
            to,
            before,
            after,
            km_per_year_saved: before.map_or(0.0, |b| (b.km - after.km) * trips_year),
            hours_per_year_saved: before
                .map_or(0.0, |b| (b.minutes - after.minutes) * trips_year / 60.0),
            placement_gbp_saved,
            transport_gbp_saved,
        })
    }

    /// Why an out-of-area pupil was not moved.
    fn not_moved_reason(&self, r: &PupilResult) -> NotMoved {
        if !self.may_be_brought_back(r.pupil) {
            return NotMoved::MainstreamPlacement;
        }
        match r.home_snap {
            RoadSnap::Unsnappable(_) => return NotMoved::Unsnappable,
            RoadSnap::NoRoads => return NotMoved::NoRoadNetwork,
            RoadSnap::Snapped(_) => {}
        }
        let local: Vec<ProvisionIdx> = ProvisionIdx::all(self.inp.provisions.len())
            .filter(|&pi| self.takes_bring_back(pi) && self.suits(pi, r.pupil))
            .collect();
        let any_space = local.iter().any(|&pi| self.spare(pi) > 0);
        let reachable_within = r.suitable.iter().any(|a| {
            self.takes_bring_back(a.provision)
                && self.spare(a.provision) > 0
                && a.trip.minutes <= r.limit_minutes
        });
        if local.is_empty() {
            NotMoved::NoSuitableProvision
        } else if !any_space || reachable_within {
            NotMoved::AllSuitableFull
        } else {
            NotMoved::OverThreshold
        }
    }

    /// Per provision: where it is, its spare places, pupils placed and moved in and out.
    /// From every pupil's result: the candidates, the optimal and greedy bring-back, the
    /// moves priced, the reasons for pupils not moved and the per-provision figures.
    fn conclude(&self, mut results: Vec<PupilResult>, calibration: Calibration) -> Analysis {
        let candidates = self.candidates(&results);
        let problem = self.problem(&candidates);
        let optimal = solve_optimal(&problem);
        let greedy = solve_greedy(&problem);
        let figures = |s: &Solution| SolverFigures {
            moved: s.moved,
            total_minutes: s.total_cost as f64 / 100.0,
        };
        let mut moves = Vec::new();
        for (r, to) in results.iter_mut().zip(&optimal.assigned) {
            let Some(to) = to.map(|t| ProvisionIdx::new(t as usize)) else {
                continue;
            };
            // A candidate's provision is one of the pupil's alternatives.
            let Some(after) = r
                .suitable
                .iter()
                .find(|a| a.provision == to)
                .map(|a| a.trip)
            else {
                continue;
            };
            if let Some(m) = self.priced_move(r.pupil, to, r.current, after) {
                r.moved = Some(MoveIdx::new(moves.len()));
                moves.push(m);
            }
        }
        for r in results.iter_mut() {
            if r.out_of_area && r.moved.is_none() {
                r.not_moved = Some(self.not_moved_reason(r));
            }
        }
        Analysis {
            provisions: self.provision_results(&moves),
            pupils: results,
            candidates,
            moves,
            optimal: figures(&optimal),
            greedy: figures(&greedy),
            unknown_capacity: self
                .inp
                .provisions
                .iter()
                .filter(|p| p.capacity.is_none())
                .count(),
            calibration,
        }
    }

    fn provision_results(&self, moves: &[Move]) -> Vec<ProvisionResult> {
        let mut out: Vec<ProvisionResult> = self
            .inp
            .provisions
            .iter()
            .zip(ProvisionIdx::all(self.inp.provisions.len()))
            .map(|(p, pi)| ProvisionResult {
                provision: pi,
                in_area: self.in_area(pi),
                snap_m: self.prov_snaps[pi.index()].snap().map(|s| s.distance_m),
                spare_before: p.spare_places(),
                placed: 0,
                moves_in: 0,
                moves_out: 0,
            })
            .collect();
        for pl in self.placement.iter().flatten() {
            out[pl.index()].placed += 1;
        }
        for m in moves {
            out[m.to.index()].moves_in += 1;
            out[m.from.index()].moves_out += 1;
        }
        out
    }
}

/// The whole placement analysis: snap, route one tree per provision, each pupil's
/// journeys and alternatives, the candidates, the optimal and greedy bring-back, the moves
/// priced, the reasons for pupils not moved and the per-provision figures.
pub fn analyse(inp: &Inputs) -> Analysis {
    analyse_with(inp, &TripTable::default()).0
}

/// [`analyse`], reading the trips of sites already in `reuse` instead of routing them
/// again; also returns the table of every site's trips for the next call. The analysis is
/// exactly the one [`analyse`] gives.
pub fn analyse_with(inp: &Inputs, reuse: &TripTable) -> (Analysis, TripTable) {
    let stage = Stage::new(inp, reuse);
    let (trips, table) = stage.trips(reuse);
    let calibration = match inp.calibration {
        Some(c) => c.clone(),
        None => {
            Calibration::from_pairs(&stage.routed_pairs(&trips), inp.params.estimate_defaults())
        }
    };
    let results: Vec<PupilResult> = trips
        .par_iter()
        .enumerate()
        .map(|(i, t)| stage.pupil_result(PupilIdx::new(i), t, &calibration.fit))
        .collect();
    (stage.conclude(results, calibration), table)
}

/// A what-if on top of a baseline, exactly [`analyse`]`(inp)` but incremental: `base` is
/// the analysis of `base_provisions` for the same pupils, network and parameters, with
/// `table` its trip table; `inp.provisions` starts with those provisions (the same but
/// for places, on roll and cost) and may add more after them. Only the added provisions'
/// sites missing from the table are routed, and only the pupils an added or changed
/// provision is an alternative for are worked out again; the bring-back is solved afresh.
/// Estimates use `inp.calibration` (a server passes the baseline's). Without one, or when
/// the inputs do not extend the baseline this way, it is [`analyse_with`].
pub fn analyse_whatif(
    inp: &Inputs,
    base_provisions: &[Provision],
    base: &Analysis,
    table: &TripTable,
) -> Analysis {
    let stage = Stage::new(inp, table);
    let n_base = base_provisions.len();
    let same_homes = match (&table.homes, &stage.roads) {
        (Some(t), Some((_, h))) => Shared::ptr_eq(t, h),
        _ => false,
    };
    let extends = same_homes
        && inp.provisions.len() >= n_base
        && base.provisions.len() == n_base
        && base.pupils.len() == inp.pupils.len()
        && inp.provisions[..n_base]
            .iter()
            .zip(base_provisions)
            .all(|(a, b)| same_site_and_offer(a, b))
        && base
            .pupils
            .iter()
            .zip(&stage.placement)
            .all(|(r, pl)| r.placement == *pl);
    // Without a given calibration the estimates would be refitted on every routed pair,
    // the added ones included: that is the full analysis.
    let (true, Some(calibration)) = (extends, inp.calibration) else {
        return analyse_with(inp, table).0;
    };
    let calibration = calibration.clone();
    let changed: Vec<bool> = inp.provisions[..n_base]
        .iter()
        .zip(base_provisions)
        .map(|(a, b)| a.spare_places() != b.spare_places())
        .collect();
    // The added provisions' journeys, per pupil (a tree for each site not in the table).
    let added: Vec<Vec<(PupilIdx, Trip)>> = (n_base..inp.provisions.len())
        .into_par_iter()
        .map(|i| {
            let pi = ProvisionIdx::new(i);
            let key = site_key(stage.provision(pi).location);
            let site = match table.sites.get(&key) {
                Some(t) => Some(t.clone()),
                None => stage.site_trips(pi).map(Shared::new),
            };
            site.map(|t| stage.trips_from(pi, &t)).unwrap_or_default()
        })
        .collect();
    let mut extra: Vec<Vec<(ProvisionIdx, Trip)>> = vec![Vec::new(); inp.pupils.len()];
    for (k, list) in added.into_iter().enumerate() {
        let pi = ProvisionIdx::new(n_base + k);
        for (u, t) in list {
            extra[u.index()].push((pi, t));
        }
    }
    let results: Vec<PupilResult> = base
        .pupils
        .par_iter()
        .zip(&extra)
        .map(|(r, more)| {
            let touched = !more.is_empty()
                || r.suitable
                    .iter()
                    .any(|a| changed.get(a.provision.index()).copied().unwrap_or(true));
            if !touched {
                return PupilResult {
                    moved: None,
                    not_moved: None,
                    ..r.clone()
                };
            }
            let mut trips: PupilTrips = r.suitable.iter().map(|a| (a.provision, a.trip)).collect();
            if let (Some(pl), Some(c)) = (r.placement, r.current) {
                if !c.estimated {
                    trips.insert(pl, c);
                }
            }
            trips.extend(more.iter().copied());
            stage.pupil_result(r.pupil, &trips, &calibration.fit)
        })
        .collect();
    stage.conclude(results, calibration)
}

/// Two provisions at the same site offering the same (kind, needs, ages): a what-if may
/// change only their places, pupils on roll and cost.
fn same_site_and_offer(a: &Provision, b: &Provision) -> bool {
    a.id == b.id
        && a.kind == b.kind
        && a.needs == b.needs
        && a.age_min == b.age_min
        && a.age_max == b.age_max
        && site_key(a.location) == site_key(b.location)
}

/// Routed geometry for each pupil's current journey (internal, pupil-level) and each move:
/// one reverse tree per provision, then a path walk per pupil. `None` where not routed
/// (every one without a road network). The first list is indexed by [`PupilIdx::index`],
/// the second by [`MoveIdx::index`].
pub fn route_geometries(
    inp: &Inputs,
    analysis: &Analysis,
) -> (Vec<Option<Route>>, Vec<Option<Route>>) {
    let Some(net) = inp.network else {
        return (
            vec![None; inp.pupils.len()],
            vec![None; analysis.moves.len()],
        );
    };
    let provs = inp.provisions;
    // Per provision: (pupil, None) for the current journey or (pupil, Some(move)).
    type Wanted = Vec<(PupilIdx, Option<MoveIdx>)>;
    type Done = Vec<(PupilIdx, Option<MoveIdx>, Option<Route>)>;
    let mut wanted: BTreeMap<ProvisionIdx, Wanted> = BTreeMap::new();
    for r in &analysis.pupils {
        if let (Some(pl), Some(c)) = (r.placement, r.current) {
            if !c.estimated {
                wanted.entry(pl).or_default().push((r.pupil, None));
            }
        }
    }
    for (mi, m) in MoveIdx::all(analysis.moves.len()).zip(&analysis.moves) {
        wanted.entry(m.to).or_default().push((m.pupil, Some(mi)));
    }
    let jobs: Vec<(ProvisionIdx, Wanted)> = wanted.into_iter().collect();
    let done: Vec<Done> = jobs
        .par_iter()
        .map(|(pi, list)| {
            let Some(site) = provs.get(pi.index()) else {
                return Vec::new();
            };
            let Ok(ps) = net.snap(site.location, inp.params.max_snap_m) else {
                return Vec::new();
            };
            // One backward search from the site shared by a pruned forward search per
            // home (hierarchy), or one search stopped once every home is settled.
            let homes: Vec<(PupilIdx, Option<MoveIdx>, &Snap)> = list
                .iter()
                .filter_map(|&(u, mi)| {
                    let hs = analysis.pupils.get(u.index())?.home_snap.snap()?;
                    Some((u, mi, hs))
                })
                .collect();
            let snaps: Vec<&Snap> = homes.iter().map(|h| h.2).collect();
            let routes = net.routes_to(&snaps, &ps, Metric::Time);
            homes
                .into_iter()
                .zip(routes)
                .map(|((u, mi, _), r)| (u, mi, r))
                .collect()
        })
        .collect();
    let mut journeys = vec![None; inp.pupils.len()];
    let mut moves = vec![None; analysis.moves.len()];
    for (u, mi, route) in done.into_iter().flatten() {
        let slot = match mi {
            None => journeys.get_mut(u.index()),
            Some(mi) => moves.get_mut(mi.index()),
        };
        if let Some(slot) = slot {
            *slot = route;
        }
    }
    (journeys, moves)
}

/// Median and 90th percentile (nearest-rank) of a list of minutes.
pub fn median_p90(mut xs: Vec<f64>) -> (Option<f64>, Option<f64>) {
    if xs.is_empty() {
        return (None, None);
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let rank = |q: f64| {
        let k = (q * xs.len() as f64).ceil() as usize;
        xs[k.clamp(1, xs.len()) - 1]
    };
    (Some(rank(0.5)), Some(rank(0.9)))
}

/// Pupil counts per need (all needs, zero included), for summaries.
pub fn by_need<'a>(pupils: impl Iterator<Item = &'a Pupil>) -> BTreeMap<Need, usize> {
    let mut m: BTreeMap<Need, usize> = Need::ALL.iter().map(|n| (*n, 0)).collect();
    for p in pupils {
        *m.entry(p.need).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::graph::RoadGraph;
    use crate::index::graph::{RawNetwork, RawWay};
    use crate::model::profile::{Direction, RoadClass, WayRule};
    use std::collections::HashMap;

    /// A straight two-way road along the equator, nodes every 0.01 degrees (1,111.95 m),
    /// at 36 km/h (10 m/s).
    fn line_network() -> Network {
        line_network_at(36.0)
    }

    /// [`line_network`] at `speed_kmh`.
    fn line_network_at(speed_kmh: f64) -> Network {
        let mut nodes = HashMap::new();
        for i in 0..=10 {
            nodes.insert(
                i,
                LatLon {
                    lat: 0.0,
                    lon: i as f64 * 0.01,
                },
            );
        }
        let raw = RawNetwork {
            ways: vec![RawWay {
                id: 1,
                nodes: (0..=10).collect(),
                rule: WayRule {
                    class: RoadClass::Residential,
                    speed_kmh,
                    direction: Direction::Both,
                },
            }],
            nodes,
            stats: Default::default(),
        };
        Network::new(RoadGraph::build(&raw).unwrap())
    }

    fn provision(
        id: &str,
        kind: ProvisionKind,
        lon: f64,
        capacity: u32,
        on_roll: u32,
    ) -> Provision {
        Provision {
            id: id.into(),
            name: id.into(),
            kind,
            needs: vec![Need::Asd],
            age_min: 4,
            age_max: 18,
            capacity: Some(capacity),
            on_roll,
            annual_cost_gbp: None,
            location: LatLon { lat: 0.0, lon },
            sector: None,
            line: 0,
        }
    }

    fn pupil(id: &str, age: u8, lon: f64, placement: &str) -> Pupil {
        Pupil {
            id: id.into(),
            age,
            need: Need::Asd,
            home: LatLon { lat: 0.0, lon },
            placement_id: placement.into(),
            transport: Some(Transport::Taxi),
            transport_cost_gbp: None,
            travel: Default::default(),
            line: 0,
        }
    }

    /// Minutes for `k` node spacings at 10 m/s.
    fn minutes(k: f64) -> f64 {
        let step = crate::model::proj::haversine_m(
            LatLon { lat: 0.0, lon: 0.0 },
            LatLon {
                lat: 0.0,
                lon: 0.01,
            },
        );
        k * step / 10.0 / 60.0
    }

    #[test]
    fn hand_checked_mini_scenario() {
        let net = line_network();
        // Area: lon < 0.07. A, B in area; C outside.
        let provisions = vec![
            provision("A", ProvisionKind::ResourceBase, 0.02, 5, 4),
            provision("B", ProvisionKind::SpecialSchool, 0.05, 10, 9),
            provision("C", ProvisionKind::IndependentSpecial, 0.09, 20, 20),
        ];
        let pupils = vec![
            pupil("P1", 8, 0.0, "C"),
            pupil("P2", 14, 0.06, "C"),
            pupil("P3", 8, 0.01, "A"),
        ];
        let mut params = Params::default();
        params
            .costs
            .placement_gbp_by_kind
            .insert(ProvisionKind::IndependentSpecial, 60_000.0);
        params
            .costs
            .placement_gbp_by_kind
            .insert(ProvisionKind::ResourceBase, 18_000.0);
        params
            .costs
            .placement_gbp_by_kind
            .insert(ProvisionKind::SpecialSchool, 25_000.0);
        params
            .costs
            .transport_gbp_per_km_by_mode
            .insert(Transport::Taxi, 2.0);
        let in_area = |p: LatLon| p.lon < 0.07;
        let a = analyse(&Inputs {
            network: Some(&net),
            provisions: &provisions,
            pupils: &pupils,
            in_area: &in_area,
            params: &params,
            calibration: None,
        });
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        // Current journeys: P1 9 steps, P2 3 steps, P3 1 step.
        let cur: Vec<f64> = a
            .pupils
            .iter()
            .map(|r| r.current.unwrap().minutes)
            .collect();
        assert!(
            close(cur[0], minutes(9.0))
                && close(cur[1], minutes(3.0))
                && close(cur[2], minutes(1.0))
        );
        assert!(close(
            a.pupils[0].current.unwrap().km,
            minutes(9.0) * 60.0 * 10.0 / 1000.0
        ));
        assert_eq!(
            a.pupils.iter().map(|r| r.out_of_area).collect::<Vec<_>>(),
            [true, true, false]
        );
        // P1: suitable A (2 steps), B (5 steps); C is not a receiving kind.
        let r1 = &a.pupils[0];
        assert_eq!(
            r1.suitable.iter().map(|s| s.provision).collect::<Vec<_>>(),
            [ProvisionIdx(0), ProvisionIdx(1)]
        );
        assert_eq!(r1.nearest.unwrap().provision, ProvisionIdx(0));
        assert_eq!(r1.current_rank, Some(3));
        assert!(close(r1.extra_minutes.unwrap(), minutes(7.0)));
        // P2 (secondary): nearest is B (1 step), then A (4 steps); current 3 steps -> rank 2.
        let r2 = &a.pupils[1];
        assert_eq!(r2.nearest.unwrap().provision, ProvisionIdx(1));
        assert_eq!(r2.current_rank, Some(2));
        assert!(close(r2.limit_minutes, 75.0));
        assert!(close(r1.limit_minutes, 45.0));
        // P3 at A: rank 1 (A itself is not counted as nearer).
        assert_eq!(a.pupils[2].current_rank, Some(1));
        assert!(!a.pupils.iter().any(|r| r.long_journey));
        // Candidates: both out-of-area pupils x {A, B}; one spare place each.
        assert_eq!(a.candidates.len(), 4);
        // Optimal: P1 -> A (2 steps), P2 -> B (1 step).
        assert_eq!(a.optimal.moved, 2);
        let want_total = (centiminutes(minutes(2.0)) + centiminutes(minutes(1.0))) as f64 / 100.0;
        assert!(close(a.optimal.total_minutes, want_total));
        assert_eq!(a.greedy.moved, 2);
        let m1 = &a.moves[0];
        assert_eq!(
            (m1.pupil, m1.from, m1.to),
            (PupilIdx(0), ProvisionIdx(2), ProvisionIdx(0))
        );
        let trips = 190.0 * 2.0;
        assert!((m1.km_per_year_saved - minutes(7.0) * 0.6 * trips).abs() < 1e-6);
        assert!(close(m1.hours_per_year_saved, minutes(7.0) * trips / 60.0));
        assert_eq!(m1.placement_gbp_saved, Some(60_000.0 - 18_000.0));
        let km = |k: f64| k * a.pupils[0].current.unwrap().km / 9.0;
        assert!(close(
            m1.transport_gbp_saved.unwrap(),
            (km(9.0) - km(2.0)) * trips * 2.0
        ));
        let m2 = &a.moves[1];
        assert_eq!((m2.pupil, m2.to), (PupilIdx(1), ProvisionIdx(1)));
        assert_eq!(m2.placement_gbp_saved, Some(60_000.0 - 25_000.0));
        assert!(a.pupils.iter().all(|r| r.not_moved.is_none()));
        assert_eq!(a.provisions[0].moves_in, 1);
        assert_eq!(a.provisions[2].moves_out, 2);
    }

    #[test]
    fn limits_follow_the_phase_of_the_curriculum_year() {
        let params = Params::default();
        for (age, phase, limit) in [
            (4, Phase::Primary, 45.0),
            (10, Phase::Primary, 45.0),
            (11, Phase::Secondary, 75.0),
            (15, Phase::Secondary, 75.0),
            (16, Phase::Post16, 75.0),
            (25, Phase::Post16, 75.0),
        ] {
            assert_eq!(params.phase(age), phase, "age {age}");
            assert_eq!(params.limit_minutes(age), limit, "age {age}");
        }
    }

    #[test]
    fn year_6_has_the_primary_limit_and_year_7_the_secondary_one() {
        // At 6 km/h a journey of 5 node spacings takes about 55.6 minutes: above the primary
        // 45 minutes, within the secondary 75.
        let net = line_network_at(6.0);
        let provisions = vec![provision("S", ProvisionKind::SpecialSchool, 0.05, 10, 2)];
        let pupils = vec![pupil("Y6", 10, 0.0, "S"), pupil("Y7", 11, 0.0, "S")];
        let params = Params::default();
        let in_area = |_: LatLon| true;
        let a = analyse(&Inputs {
            network: Some(&net),
            provisions: &provisions,
            pupils: &pupils,
            in_area: &in_area,
            params: &params,
            calibration: None,
        });
        let minutes: Vec<f64> = a
            .pupils
            .iter()
            .filter_map(|r| r.current.map(|t| t.minutes))
            .collect();
        assert_eq!(minutes.len(), 2, "both journeys routed");
        assert!(
            minutes.iter().all(|m| (45.0..75.0).contains(m)),
            "{minutes:?}"
        );
        let (y6, y7) = (&a.pupils[0], &a.pupils[1]);
        assert_eq!(y6.limit_minutes, 45.0);
        assert!(
            y6.long_journey,
            "aged 10 (Year 6): over the primary 45 minutes"
        );
        assert_eq!(y7.limit_minutes, 75.0);
        assert!(
            !y7.long_journey,
            "aged 11 (Year 7): within the secondary 75 minutes"
        );
    }

    /// Provisions of every placement type on the line; the area is `lon < 0.07`.
    fn provisions_of_every_type() -> Vec<Provision> {
        let mainstream = |id: &str, lon: f64, ages: (u8, u8), on_roll: u32| Provision {
            needs: Vec::new(),
            age_min: ages.0,
            age_max: ages.1,
            ..provision(id, ProvisionKind::Mainstream, lon, 30, on_roll)
        };
        let college = |id: &str, lon: f64, on_roll: u32| Provision {
            age_min: 16,
            age_max: 25,
            ..provision(id, ProvisionKind::Post16, lon, 10, on_roll)
        };
        vec![
            provision("RB", ProvisionKind::ResourceBase, 0.01, 5, 0),
            provision("SS", ProvisionKind::SpecialSchool, 0.02, 5, 0),
            mainstream("PRI", 0.03, (4, 10), 10),
            mainstream("SEC", 0.05, (11, 15), 10),
            college("COL", 0.06, 0),
            mainstream("FAR-PRI", 0.09, (4, 10), 30),
            college("FAR-COL", 0.1, 10),
            provision("IND", ProvisionKind::IndependentSpecial, 0.09, 10, 10),
        ]
    }

    /// A mainstream pupil of 10 placed out of area, one of 11 in area, a special-school pupil
    /// of 8 placed out of area, and a post-16 pupil of 17 at an out-of-area college.
    fn pupils_of_every_type() -> Vec<Pupil> {
        vec![
            pupil("M10", 10, 0.0, "FAR-PRI"),
            pupil("M11", 11, 0.0, "SEC"),
            pupil("S8", 8, 0.04, "IND"),
            pupil("C17", 17, 0.0, "FAR-COL"),
        ]
    }

    /// The ids of a pupil's suitable provisions (nearest first) and of their nearest.
    fn alternatives_of(r: &PupilResult, provisions: &[Provision]) -> (Vec<String>, String) {
        let id = |pi: ProvisionIdx| provisions[pi.index()].id.clone();
        let suitable = r.suitable.iter().map(|a| id(a.provision)).collect();
        let nearest = r.nearest.map(|a| id(a.provision)).unwrap_or_default();
        (suitable, nearest)
    }

    #[test]
    fn alternatives_are_the_kinds_of_the_placement_type() {
        let net = line_network();
        let provisions = provisions_of_every_type();
        let pupils = pupils_of_every_type();
        let params = Params::default();
        let in_area = |p: LatLon| p.lon < 0.07;
        let a = analyse(&Inputs {
            network: Some(&net),
            provisions: &provisions,
            pupils: &pupils,
            in_area: &in_area,
            params: &params,
            calibration: None,
        });
        let alt = |u: usize| alternatives_of(&a.pupils[u], &provisions);
        // Mainstream pupils: mainstream schools of their phase only, although the resource
        // base and the special school are nearer and list their need.
        assert_eq!(alt(0), (vec!["PRI".into(), "FAR-PRI".into()], "PRI".into()));
        assert_eq!(a.pupils[0].current_rank, Some(2));
        assert_eq!(
            alt(1),
            (vec!["SEC".into()], "SEC".into()),
            "Year 7: not PRI"
        );
        // A special-school pupil: special schools and resource bases, not the nearer
        // mainstream primary school.
        assert_eq!(alt(2), (vec!["SS".into(), "RB".into()], "SS".into()));
        // A post-16 pupil: post-16 providers only.
        assert_eq!(alt(3), (vec!["COL".into(), "FAR-COL".into()], "COL".into()));
        let extra = a.pupils[3].extra_minutes.unwrap_or(f64::NAN);
        assert!(
            (extra - (minutes(10.0) - minutes(6.0))).abs() < 1e-9,
            "{extra}"
        );
        // Bring-back: only the special-school pupil, to a special school or resource base.
        let candidates: Vec<(usize, String)> = a
            .candidates
            .iter()
            .map(|c| (c.pupil.index(), provisions[c.provision.index()].id.clone()))
            .collect();
        assert_eq!(candidates, [(2, "RB".into()), (2, "SS".into())]);
        assert_eq!(a.optimal.moved, 1);
        assert_eq!(a.pupils[0].not_moved, Some(NotMoved::MainstreamPlacement));
        assert_eq!(a.pupils[3].not_moved, Some(NotMoved::NoSuitableProvision));
    }

    #[test]
    fn receiving_kinds_never_make_a_mainstream_pupil_a_bring_back_candidate() {
        let net = line_network();
        let provisions = provisions_of_every_type();
        let pupils = pupils_of_every_type();
        let params = Params {
            receiving_kinds: ProvisionKind::ALL.to_vec(),
            ..Params::default()
        };
        let in_area = |p: LatLon| p.lon < 0.07;
        let a = analyse(&Inputs {
            network: Some(&net),
            provisions: &provisions,
            pupils: &pupils,
            in_area: &in_area,
            params: &params,
            calibration: None,
        });
        let of = |u: usize| -> Vec<String> {
            a.candidates
                .iter()
                .filter(|c| c.pupil.index() == u)
                .map(|c| provisions[c.provision.index()].id.clone())
                .collect()
        };
        assert!(of(0).is_empty(), "mainstream: {:?}", of(0));
        assert_eq!(a.pupils[0].not_moved, Some(NotMoved::MainstreamPlacement));
        assert_eq!(of(2), ["RB", "SS"]);
        assert_eq!(of(3), ["COL"], "post-16: post-16 providers only");
        assert_eq!(a.optimal.moved, 2);
    }

    #[test]
    fn reasons_for_pupils_not_moved() {
        let net = line_network();
        let provisions = vec![
            provision("A", ProvisionKind::ResourceBase, 0.02, 1, 0),
            provision("C", ProvisionKind::IndependentSpecial, 0.09, 20, 20),
        ];
        let mut far = pupil("far", 8, 0.0, "C");
        far.need = Need::Hi; // A only lists ASD
        let pupils = vec![
            pupil("P1", 8, 0.0, "C"),
            pupil("P2", 8, 0.03, "C"),
            far,
            pupil("off", 8, 0.0, "C"),
            pupil("unknown", 8, 0.0, "C"),
        ];
        let mut pupils = pupils;
        pupils[3].home = LatLon { lat: 0.5, lon: 0.0 }; // 55 km from the road
                                                        // A tight limit leaves the 2-step journey of P1 within and nothing else.
        let params = Params {
            primary_max_minutes: minutes(2.5),
            ..Params::default()
        };
        let in_area = |p: LatLon| p.lon < 0.07;
        let a = analyse(&Inputs {
            network: Some(&net),
            provisions: &provisions,
            pupils: &pupils,
            in_area: &in_area,
            params: &params,
            calibration: None,
        });
        assert_eq!(a.optimal.moved, 1);
        assert!(a.pupils[0].moved.is_some() || a.pupils[1].moved.is_some());
        let reasons: Vec<Option<NotMoved>> = a.pupils.iter().map(|r| r.not_moved).collect();
        assert_eq!(reasons[2], Some(NotMoved::NoSuitableProvision));
        assert_eq!(reasons[3], Some(NotMoved::Unsnappable));
        assert!(matches!(
            a.pupils[3].home_snap,
            RoadSnap::Unsnappable(SnapFailure::TooFar { .. })
        ));
        // P1 and P2 compete for one place: the other is told all suitable places are full.
        let loser = if a.pupils[0].moved.is_some() { 1 } else { 0 };
        assert_eq!(reasons[loser], Some(NotMoved::AllSuitableFull));
        // Every out-of-area pupil is moved or has a reason.
        assert!(a
            .pupils
            .iter()
            .filter(|r| r.out_of_area)
            .all(|r| r.moved.is_some() != r.not_moved.is_some()));
    }
}
