//! Shared home-to-school runs (`nearhome transport`): for every school, the morning runs
//! that carry its pupils on council vehicles, priced from the scenario's `[fleet]`.
//!
//! **Who is planned.** Pupils whose current arrangement is a council `taxi` or `minibus`,
//! with a placement and a routed journey to it. Everyone else is counted by reason in
//! [`NotPlanned`]: another arrangement (walks, public transport, a personal budget, travel
//! training, none or unknown), no routed journey, or no vehicle type that can carry them.
//!
//! **Runs.** Per school ([`problem`]): a pupil who must travel alone (`solo`) gets a direct
//! run; so does a pupil whose direct journey is already over their limit (flagged as over
//! the guidance, [`RunKind::OverGuidance`]). Everyone else shares: the [`search`] groups and
//! orders them so that seats, wheelchair spaces and every time on board hold, escorts ride
//! where a pupil needs one, and the day's price is least. Two baselines are priced in the
//! same run: every pupil a solo vehicle from the fleet, and [`greedy`] nearest-first runs.
//!
//! Road times and distances come from the engine's exact matrix between the pupils' homes
//! and their school at the scenario's speeds (the morning school run by default).

pub mod greedy;
pub mod problem;
pub mod search;

use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::analyse::Analysed;
use crate::index::snap::Snap;
use crate::model::Transport;
use crate::query::matrix::matrix;
use crate::query::route::{Metric, Network};

use problem::{Load, Pricing, Problem, Rider, RunFigures};
use search::{Limits, SearchStats};

/// How long and how hard to search. Each school's search may run for its share of
/// `seconds` (by pupils, times the worker threads, from when it starts), so the whole search
/// takes about `seconds` of wall clock at most.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunRequest {
    /// Wall-clock budget for the whole search, seconds (shared over schools by their pupils).
    pub seconds: f64,
    /// Iterations per shared pupil (the reproducible budget; the time budget caps it).
    pub iterations_per_pupil: u64,
    /// Random seed of the search.
    pub seed: u64,
}

impl RunRequest {
    /// The lighter search of the service and of `site --runs`: 40 iterations a sharing pupil
    /// (within 1 % of the default 200 on the Birmingham stand-in, at a fifth of the time),
    /// at most 20 s, seed 1.
    pub const QUICK: RunRequest = RunRequest {
        seconds: 20.0,
        iterations_per_pupil: 40,
        seed: 1,
    };
}

impl Default for RunRequest {
    fn default() -> Self {
        RunRequest {
            seconds: 40.0,
            iterations_per_pupil: 200,
            seed: 1,
        }
    }
}

/// What kind of run it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Pupils sharing a vehicle (possibly one pupil, when nobody else fits).
    Shared,
    /// A pupil who must travel alone.
    Solo,
    /// A pupil whose direct journey is over their limit: alone, flagged.
    OverGuidance,
}

impl RunKind {
    /// The snake_case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Shared => "shared",
            RunKind::Solo => "solo",
            RunKind::OverGuidance => "over_guidance",
        }
    }
}

/// One vehicle's morning run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun {
    /// What kind of run.
    pub kind: RunKind,
    /// Pupils (scenario indices) in pick-up order.
    pub pupils: Vec<usize>,
    /// Times, distances, vehicle and price.
    pub figures: RunFigures,
}

/// One school's plan and its baselines.
#[derive(Debug, Clone)]
pub struct SchoolRuns {
    /// The provision (scenario index).
    pub school: usize,
    /// The riders, as planned (limits and boarding times included).
    pub riders: Vec<Rider>,
    /// The runs.
    pub runs: Vec<PlannedRun>,
    /// £ a day if every pupil had a vehicle of their own from the fleet.
    pub solo_gbp_per_day: f64,
    /// £ a day of the nearest-first runs.
    pub greedy_gbp_per_day: f64,
    /// Runs of the nearest-first baseline.
    pub greedy_runs: usize,
    /// The search (`None` when no pupil could share).
    pub search: Option<SearchStats>,
    /// Riders no vehicle type can carry (not planned).
    pub uncarried: usize,
}

impl SchoolRuns {
    /// £ a day of the planned runs.
    pub fn gbp_per_day(&self) -> f64 {
        self.runs.iter().map(|r| r.figures.gbp_per_day).sum()
    }
}

/// Pupils not planned, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotPlanned {
    /// Not on a council taxi or minibus today (walks, public transport, personal budget,
    /// travel training, no council transport, or not recorded).
    pub other_arrangement: usize,
    /// On council transport but with no routed journey to the school (no placement, an
    /// unsnappable home or school, or no road between them).
    pub no_journey: usize,
    /// No vehicle type in the fleet can carry them.
    pub no_vehicle: usize,
}

/// Every school's runs.
#[derive(Debug, Clone)]
pub struct TransportPlan {
    /// Schools with at least one planned pupil, in scenario order.
    pub schools: Vec<SchoolRuns>,
    /// Pupils left out, by reason.
    pub not_planned: NotPlanned,
    /// The request.
    pub request: RunRequest,
    /// Seconds spent on matrices.
    pub matrix_seconds: f64,
    /// Seconds spent on the search (wall clock).
    pub search_seconds: f64,
}

/// A school with the pupils it is planned for and the snaps of their homes.
#[derive(Clone)]
struct Group {
    school: usize,
    school_snap: Snap,
    riders: Vec<Rider>,
    homes: Vec<Snap>,
}

/// The council-vehicle pupils of each school, with their snaps; the rest counted.
fn school_groups(a: &Analysed, net: &Network) -> (Vec<Group>, NotPlanned) {
    let mut by_school: Vec<Option<Group>> =
        (0..a.scenario.provisions.len()).map(|_| None).collect();
    // Each school's site snapped once, for the schools that have pupils to plan.
    let snap_of: Vec<Option<Snap>> = a
        .scenario
        .provisions
        .par_iter()
        .map(|p| net.snap(p.location, a.params.max_snap_m).ok())
        .collect();
    let mut not = NotPlanned::default();
    for (pupil, r) in a.scenario.pupils.iter().zip(&a.analysis.pupils) {
        if !matches!(pupil.transport, Some(Transport::Taxi | Transport::Minibus)) {
            not.other_arrangement += 1;
            continue;
        }
        let snaps = r.placement.map(|p| p.index()).and_then(|s| {
            let home = *r.home_snap.snap()?;
            let school_snap = snap_of.get(s).copied().flatten()?;
            r.current.is_some().then_some((s, home, school_snap))
        });
        let Some((s, home, school_snap)) = snaps else {
            not.no_journey += 1;
            continue;
        };
        let g = by_school[s].get_or_insert_with(|| Group {
            school: s,
            school_snap,
            riders: Vec::new(),
            homes: Vec::new(),
        });
        g.riders.push(rider_of(a, r.pupil.index()));
        g.homes.push(home);
    }
    (by_school.into_iter().flatten().collect(), not)
}

/// Pupil `u` as a rider: needs from `pupils.csv`, limit from the analysis, boarding time
/// from the fleet.
fn rider_of(a: &Analysed, u: usize) -> Rider {
    let fleet = &a.scenario.config.fleet;
    let pupil = &a.scenario.pupils[u];
    let limit_minutes = a.analysis.pupils.get(u).map_or(0.0, |r| r.limit_minutes);
    let minutes = if pupil.travel.wheelchair {
        fleet.wheelchair_boarding_minutes
    } else {
        fleet.boarding_minutes
    };
    Rider {
        pupil: u,
        wheelchair: pupil.travel.wheelchair,
        escort: pupil.travel.escort,
        solo: pupil.travel.solo,
        limit_s: limit_minutes * 60.0,
        board_s: minutes * 60.0,
    }
}

/// The school's problem: the matrix between its pupils' homes and the school.
fn problem_of(net: &Network, g: &Group, pricing: &Pricing) -> Problem {
    let points: Vec<Option<Snap>> = g
        .homes
        .iter()
        .chain(std::iter::once(&g.school_snap))
        .map(|s| Some(*s))
        .collect();
    let m = matrix(net, &points, &points, Metric::Time, None);
    let secs: Vec<Option<f64>> = m.cells.iter().map(|c| c.map(|j| j.duration_s)).collect();
    let metres: Vec<Option<f64>> = m.cells.iter().map(|c| c.map(|j| j.distance_m)).collect();
    Problem::new(g.riders.clone(), pricing.clone(), &secs, &metres)
}

/// Plan one school: direct runs for the solo and the over-guidance, the search for the
/// rest, and the two baselines.
pub fn plan_school(p: &Problem, school: usize, limits: Limits, seed: u64) -> SchoolRuns {
    let mut runs = Vec::new();
    let mut shared = Vec::new();
    let mut uncarried = 0;
    for (i, r) in p.riders.iter().enumerate() {
        let kind = if p.pricing.cheapest(Load::default().with(r), 0.0).is_none() {
            uncarried += 1;
            continue;
        } else if p.direct_s(i) > r.limit_s {
            RunKind::OverGuidance
        } else if r.solo {
            RunKind::Solo
        } else {
            shared.push(i);
            continue;
        };
        runs.push((kind, vec![i]));
    }
    let greedy = greedy::nearest_first(p, &shared);
    let greedy_gbp: f64 = greedy.iter().map(|r| p.evaluate(r).gbp_per_day).sum();
    let direct_gbp: f64 = runs.iter().map(|(_, r)| p.evaluate(r).gbp_per_day).sum();
    let greedy_runs = greedy.len() + runs.len();
    let search = (!shared.is_empty()).then(|| {
        let (found, stats) = search::solve(p, &shared, greedy, limits, seed);
        runs.extend(found.into_iter().map(|r| (RunKind::Shared, r)));
        stats
    });
    let solo_gbp_per_day = runs
        .iter()
        .flat_map(|(_, r)| r)
        .map(|&i| p.evaluate(&[i]).gbp_per_day)
        .sum();
    SchoolRuns {
        school,
        riders: p.riders.clone(),
        runs: runs
            .into_iter()
            .map(|(kind, stops)| PlannedRun {
                kind,
                figures: p.evaluate(&stops),
                pupils: stops.iter().map(|&s| p.riders[s].pupil).collect(),
            })
            .collect(),
        solo_gbp_per_day,
        greedy_gbp_per_day: greedy_gbp + direct_gbp,
        greedy_runs,
        search,
        uncarried,
    }
}

/// A school's search limits: its iterations, and its share of the time budget by pupils
/// (times the worker threads, counted from when it starts).
fn limits_for(req: &RunRequest, riders: usize, total: usize) -> Limits {
    let threads = rayon::current_num_threads().max(1) as f64;
    let share = req.seconds * threads * riders as f64 / total.max(1) as f64;
    Limits {
        iterations: req.iterations_per_pupil * riders as u64,
        deadline: Some(Instant::now() + Duration::from_secs_f64(share.min(req.seconds))),
    }
}

/// A school's own seed: the request's, mixed with the school's index.
fn seed_for(req: &RunRequest, school: usize) -> u64 {
    req.seed ^ (school as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The bring-back's moves re-costed on runs ([`recost_moves`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MovesOnRuns {
    /// Moves of pupils on council vehicles.
    pub moves: usize,
    /// Schools whose runs were planned again (losing or gaining a pupil).
    pub schools_replanned: usize,
    /// Runs of those schools before and after.
    pub runs_before: usize,
    /// Runs after.
    pub runs_after: usize,
    /// £ a year of those schools' runs before (plus, for moved pupils whose current
    /// journey is not routed, their current per-km transport cost).
    pub gbp_per_year_before: f64,
    /// £ a year after.
    pub gbp_per_year_after: f64,
    /// `before − after`: what the council would stop buying.
    pub gbp_per_year_saved: f64,
    /// Moved pupils whose current journey is not routed (their old run cannot be planned):
    /// their per-km figure stands in on the before side.
    pub before_per_km_pupils: usize,
    /// The analysis's simple per-km estimate of the same moves' transport saving, £ a year.
    pub per_km_estimate_saved_gbp_per_year: f64,
}

/// The bring-back's optimal moves, re-costed by planning again the runs of every school they
/// change: the old school loses the pupil's stop, the new school gains it. `None` without a
/// road network.
pub fn recost_moves(a: &Analysed, plan: &TransportPlan, req: &RunRequest) -> Option<MovesOnRuns> {
    let moves = MovedPupil::of_moves(&a.analysis.moves);
    recost(a, plan, &a.scenario.provisions, &moves, req)
}

/// A pupil who changes school, for [`recost`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovedPupil {
    /// Pupil (scenario index).
    pub pupil: usize,
    /// Today's school (provision index).
    pub from: usize,
    /// The new school (index into the provision list given to [`recost`]).
    pub to: usize,
    /// The per-km estimate of the move's transport saving, £ a year, when known.
    pub per_km_saved_gbp: Option<f64>,
}

impl MovedPupil {
    /// The analysis's (or a what-if's) moves.
    pub fn of_moves(moves: &[crate::analyse::placement::Move]) -> Vec<MovedPupil> {
        moves
            .iter()
            .map(|m| MovedPupil {
                pupil: m.pupil.index(),
                from: m.from.index(),
                to: m.to.index(),
                per_km_saved_gbp: m.transport_gbp_saved,
            })
            .collect()
    }
}

/// [`recost_moves`] for any set of `moves` (a what-if's, a siting answer's) over
/// `provisions` (the scenario's, possibly with added ones after them).
pub fn recost(
    a: &Analysed,
    plan: &TransportPlan,
    provisions: &[crate::model::Provision],
    moves: &[MovedPupil],
    req: &RunRequest,
) -> Option<MovesOnRuns> {
    let net = a.network.as_ref()?;
    let council = |u: usize| {
        a.scenario
            .pupils
            .get(u)
            .is_some_and(|p| matches!(p.transport, Some(Transport::Taxi | Transport::Minibus)))
    };
    let moves: Vec<&MovedPupil> = moves.iter().filter(|m| council(m.pupil)).collect();
    let mut out = MovesOnRuns {
        moves: moves.len(),
        per_km_estimate_saved_gbp_per_year: moves.iter().filter_map(|m| m.per_km_saved_gbp).sum(),
        ..MovesOnRuns::default()
    };
    if moves.is_empty() {
        return Some(out);
    }
    let (groups, _) = school_groups(a, net);
    let mut by_school: Vec<Option<Group>> = vec![None; provisions.len()];
    for g in groups {
        if let Some(slot) = by_school.get_mut(g.school) {
            *slot = Some(g);
        }
    }
    let mut affected: Vec<usize> = Vec::new();
    for m in &moves {
        let (u, from, to) = (m.pupil, m.from, m.to);
        let home = a
            .analysis
            .pupils
            .get(u)
            .and_then(|r| r.home_snap.snap().copied());
        let school_snap = provisions
            .get(to)
            .and_then(|p| net.snap(p.location, a.params.max_snap_m).ok());
        let (Some(home), Some(school_snap)) = (home, school_snap) else {
            continue;
        };
        match by_school.get_mut(from).and_then(Option::as_mut) {
            Some(g) if g.riders.iter().any(|r| r.pupil == u) => {
                let k = g.riders.iter().position(|r| r.pupil == u).unwrap_or(0);
                g.riders.remove(k);
                g.homes.remove(k);
            }
            _ => {
                out.before_per_km_pupils += 1;
                let per_km = a
                    .analysis
                    .pupils
                    .get(u)
                    .and_then(|r| r.current_cost.transport_gbp);
                out.gbp_per_year_before += per_km.unwrap_or(0.0);
            }
        }
        let Some(slot) = by_school.get_mut(to) else {
            continue;
        };
        let g = slot.get_or_insert_with(|| Group {
            school: to,
            school_snap,
            riders: Vec::new(),
            homes: Vec::new(),
        });
        g.riders.push(rider_of(a, u));
        g.homes.push(home);
        affected.extend([from, to]);
    }
    affected.sort_unstable();
    affected.dedup();
    let days = a.params.costs.school_days_per_year;
    let pricing = Pricing::of(&a.scenario.config.fleet);
    let replanned: Vec<SchoolRuns> = affected
        .par_iter()
        .filter_map(|&s| by_school.get(s)?.as_ref())
        .filter(|g| !g.riders.is_empty())
        .map(|g| {
            let p = problem_of(net, g, &pricing);
            plan_school(
                &p,
                g.school,
                limits_for(req, p.len(), p.len()),
                seed_for(req, g.school),
            )
        })
        .collect();
    for &s in &affected {
        if let Some(before) = plan.schools.iter().find(|x| x.school == s) {
            out.runs_before += before.runs.len();
            out.gbp_per_year_before += before.gbp_per_day() * days;
        }
    }
    out.schools_replanned = affected.len();
    out.runs_after = replanned.iter().map(|s| s.runs.len()).sum();
    out.gbp_per_year_after = replanned.iter().map(|s| s.gbp_per_day() * days).sum();
    out.gbp_per_year_saved = out.gbp_per_year_before - out.gbp_per_year_after;
    Some(out)
}

/// Plan every school's runs for `a` (which must have a road network).
///
/// `progress(done, total)` is called as schools finish (pupils done of pupils planned).
pub fn plan(
    a: &Analysed,
    req: &RunRequest,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Option<TransportPlan> {
    let net = a.network.as_ref()?;
    let pricing = Pricing::of(&a.scenario.config.fleet);
    let (groups, mut not_planned) = school_groups(a, net);
    let t = Instant::now();
    let problems: Vec<Problem> = groups
        .par_iter()
        .map(|g| problem_of(net, g, &pricing))
        .collect();
    let matrix_seconds = t.elapsed().as_secs_f64();
    let total: usize = problems.iter().map(Problem::len).sum();
    let done = std::sync::atomic::AtomicU64::new(0);
    let t = Instant::now();
    let schools: Vec<SchoolRuns> = groups
        .par_iter()
        .zip(&problems)
        .map(|(g, p)| {
            let s = plan_school(
                p,
                g.school,
                limits_for(req, p.len(), total),
                seed_for(req, g.school),
            );
            let d = done.fetch_add(p.len() as u64, std::sync::atomic::Ordering::Relaxed);
            progress(d + p.len() as u64, total as u64);
            s
        })
        .collect();
    let search_seconds = t.elapsed().as_secs_f64();
    not_planned.no_vehicle = schools.iter().map(|s| s.uncarried).sum();
    Some(TransportPlan {
        schools,
        not_planned,
        request: *req,
        matrix_seconds,
        search_seconds,
    })
}
