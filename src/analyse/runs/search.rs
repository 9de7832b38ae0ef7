//! Shared runs for one school: a ruin-and-recreate search in the manner of SISR (Christiaens
//! and Vanden Berghe, "Slack Induction by String Removals for Vehicle Routing Problems",
//! Transportation Science 54(2), 2020), with simulated-annealing acceptance.
//!
//! Each iteration removes a few strings of neighbouring stops from nearby runs and puts the
//! pupils back one by one at their cheapest feasible place (a new run if none), each place
//! skipped with a small probability ("blinks"). The result is accepted against a
//! temperature that cools geometrically from [`T0_GBP`] to [`TF_GBP`] over the iteration
//! budget. Every choice comes from one [`ChaCha8Rng`] seeded by the caller, so a run that
//! stops on its iteration budget is reproducible to the bit; a run cut short by its time
//! budget says so ([`SearchStats::stopped_by_time`]).
//!
//! Feasibility (seats, wheelchair spaces, times on board) is checked in O(1) per candidate
//! place from each run's times on board and the smallest slack before each position. The
//! vehicle is priced per run ([`Pricing::cheapest`]), so the search chooses vehicle types
//! as it groups pupils.

use std::rc::Rc;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::problem::{Load, Problem};

/// Average number of pupils removed per iteration.
const MEAN_REMOVED: f64 = 10.0;
/// Longest string of stops removed from one run.
const MAX_STRING: f64 = 10.0;
/// Probability of skipping a place when putting a pupil back.
const BLINK: f64 = 0.01;
/// A pupil is put back only into runs holding one of their this many nearest neighbours
/// (or a new run): a granular neighbourhood that keeps each iteration's work independent of
/// the school's size.
const NEAREST_RUNS_OF: usize = 40;
/// Starting temperature, £ a day: a worsening of £30 (a taxi's day) is accepted about one
/// time in twenty.
pub const T0_GBP: f64 = 10.0;
/// Final temperature, £ a day.
pub const TF_GBP: f64 = 0.05;
const EPS: f64 = 1e-6;

/// When the search stops.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Iterations (the reproducible budget).
    pub iterations: u64,
    /// Wall-clock cut-off.
    pub deadline: Option<Instant>,
}

/// How a search went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchStats {
    /// Iterations run.
    pub iterations: u64,
    /// The iteration budget.
    pub iteration_budget: u64,
    /// The time budget ran out first (the result may differ between runs).
    pub stopped_by_time: bool,
    /// Seconds spent.
    pub seconds: f64,
    /// £ a day of the starting solution (the better of greedy and cheapest insertion).
    pub initial_gbp_per_day: f64,
    /// £ a day of the best solution.
    pub best_gbp_per_day: f64,
    /// `(seconds, £ a day)` at each new best.
    pub improvements: Vec<(f64, f64)>,
}

/// `x <= bound` (with rounding slack) for a finite `x`: an unreachable leg (infinite, or NaN
/// from infinities) never fits.
fn within(x: f64, bound: f64) -> bool {
    x.is_finite() && x <= bound + EPS
}

/// A run being built: stops in pick-up order and what insertion checks need.
#[derive(Debug, Clone)]
struct Tour {
    stops: Vec<usize>,
    /// Seconds on board per stop.
    on_board: Vec<f64>,
    /// `slack[i]`: the least (limit − time on board) over stops `0..i` (infinite at 0).
    slack: Vec<f64>,
    /// Road `(seconds, metres)` from each stop to the next (the last stop's to school).
    legs: Vec<(f64, f64)>,
    metres: f64,
    load: Load,
    gbp: f64,
}

impl Tour {
    fn new(p: &Problem, stops: Vec<usize>) -> Tour {
        let mut t = Tour {
            stops,
            on_board: Vec::new(),
            slack: Vec::new(),
            legs: Vec::new(),
            metres: 0.0,
            load: Load::default(),
            gbp: 0.0,
        };
        t.refresh(p);
        t
    }

    fn refresh(&mut self, p: &Problem) {
        let f = p.evaluate(&self.stops);
        self.slack.clear();
        self.slack.push(f64::INFINITY);
        for (k, &s) in self.stops.iter().enumerate() {
            let least = self.slack[k].min(p.riders[s].limit_s - f.on_board_s[k]);
            self.slack.push(least);
        }
        self.on_board = f.on_board_s;
        self.legs = f.legs;
        self.metres = f.metres;
        self.load = Load::of(&p.riders, &self.stops);
        self.gbp = f.gbp_per_day;
    }

    /// The extra metres of putting rider `u` before position `pos`, when every time on
    /// board stays within its limit (capacity is the caller's).
    fn insertion(&self, p: &Problem, u: usize, pos: usize) -> Option<f64> {
        let n = self.stops.len();
        let school = p.school();
        let next = if pos < n { self.stops[pos] } else { school };
        let (u_next_s, u_next_m) = p.leg(u, next);
        let u_on = u_next_s
            + if pos < n {
                p.riders[next].board_s + self.on_board[pos]
            } else {
                0.0
            };
        if !within(u_on, p.riders[u].limit_s) {
            return None;
        }
        let dm = if pos > 0 {
            let prev = self.stops[pos - 1];
            let (prev_u_s, prev_u_m) = p.leg(prev, u);
            let (prev_next_s, prev_next_m) = self.legs[pos - 1];
            let dt = prev_u_s + p.riders[u].board_s + u_next_s - prev_next_s;
            if !within(dt, self.slack[pos]) {
                return None;
            }
            prev_u_m + u_next_m - prev_next_m
        } else {
            u_next_m
        };
        dm.is_finite().then_some(dm)
    }

    /// The change in £ a day of the cheapest feasible place for `u` in this run (each place
    /// skipped with probability `blink`) and that place. Every vehicle's price rises with
    /// the miles, so the cheapest place is the one adding the fewest metres: the vehicle is
    /// priced once per run, not once per place.
    fn best_place(
        &self,
        p: &Problem,
        u: usize,
        rng: &mut ChaCha8Rng,
        blink: f64,
    ) -> Option<(f64, usize)> {
        let load = self.load.with(&p.riders[u]);
        p.pricing.cheapest(load, 0.0)?;
        let mut best: Option<(f64, usize)> = None;
        for pos in 0..=self.stops.len() {
            if blink > 0.0 && rng.random::<f64>() < blink {
                continue;
            }
            match self.insertion(p, u, pos) {
                Some(dm) if best.is_none_or(|(b, _)| dm < b) => best = Some((dm, pos)),
                _ => {}
            }
        }
        let (dm, pos) = best?;
        let (_, gbp) = p.pricing.cheapest(load, self.metres + dm)?;
        Some((gbp - self.gbp, pos))
    }
}

/// A solution: its runs (shared between copies until one is changed) and its £ a day.
#[derive(Debug, Clone)]
struct Plan {
    tours: Vec<Rc<Tour>>,
    gbp: f64,
}

impl Plan {
    fn of(p: &Problem, runs: Vec<Vec<usize>>) -> Plan {
        let tours: Vec<Rc<Tour>> = runs.into_iter().map(|s| Rc::new(Tour::new(p, s))).collect();
        let gbp = tours.iter().map(|t| t.gbp).sum();
        Plan { tours, gbp }
    }

    fn runs(&self) -> Vec<Vec<usize>> {
        self.tours.iter().map(|t| t.stops.clone()).collect()
    }

    fn tour_of(&self, n: usize) -> Vec<usize> {
        let mut of = vec![usize::MAX; n];
        for (t, tour) in self.tours.iter().enumerate() {
            for &s in &tour.stops {
                of[s] = t;
            }
        }
        of
    }
}

/// What the search keeps about the riders: neighbours and the price of each alone.
struct Context<'a> {
    p: &'a Problem,
    near: Vec<Vec<usize>>,
    alone_gbp: Vec<f64>,
}

impl Context<'_> {
    /// The runs worth trying for `u`: those holding one of their nearest neighbours (all
    /// runs when `near` is empty, as in the first build), in run order.
    fn runs_for(&self, u: usize, tour_of: &[usize], n_tours: usize) -> Vec<usize> {
        let near = &self.near[u];
        if near.is_empty() {
            return (0..n_tours).collect();
        }
        let mut ts: Vec<usize> = near
            .iter()
            .take(NEAREST_RUNS_OF)
            .map(|&v| tour_of[v])
            .filter(|&t| t < n_tours)
            .collect();
        ts.sort_unstable();
        ts.dedup();
        ts
    }
}

/// Put `removed` back, in order, each at its cheapest feasible place among the runs worth
/// trying (a new run when none).
fn recreate(cx: &Context, plan: &mut Plan, removed: &[usize], rng: &mut ChaCha8Rng, blink: f64) {
    let p = cx.p;
    let mut tour_of = plan.tour_of(p.len());
    for &u in removed {
        let mut best: Option<(f64, usize, usize)> = None;
        for t in cx.runs_for(u, &tour_of, plan.tours.len()) {
            match plan.tours[t].best_place(p, u, rng, blink) {
                Some((d, pos)) if best.is_none_or(|(b, _, _)| d < b) => best = Some((d, t, pos)),
                _ => {}
            }
        }
        match best {
            Some((d, t, pos)) if d <= cx.alone_gbp[u] => {
                let tour = Rc::make_mut(&mut plan.tours[t]);
                tour.stops.insert(pos, u);
                let before = tour.gbp;
                tour.refresh(p);
                plan.gbp += tour.gbp - before;
                tour_of[u] = t;
            }
            _ => {
                plan.gbp += cx.alone_gbp[u];
                tour_of[u] = plan.tours.len();
                plan.tours.push(Rc::new(Tour::new(p, vec![u])));
            }
        }
    }
}

/// The SISR ruin: strings of stops near a random seed pupil, from a few runs.
fn ruin(cx: &Context, plan: &mut Plan, riders: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
    let (p, near) = (cx.p, &cx.near);
    let n: usize = plan.tours.iter().map(|t| t.stops.len()).sum();
    if n == 0 {
        return Vec::new();
    }
    let mean_len = n as f64 / plan.tours.len().max(1) as f64;
    let ls_max = MAX_STRING.min(mean_len);
    let ks_max = (4.0 * MEAN_REMOVED / (1.0 + ls_max) - 1.0).max(1.0);
    let ks = rng.random_range(1.0..ks_max + 1.0).floor() as usize;
    let tour_of = plan.tour_of(p.len());
    let seed = riders[rng.random_range(0..riders.len())];
    let mut ruined: Vec<usize> = Vec::new();
    let mut removed = Vec::new();
    for &c in std::iter::once(&seed).chain(&near[seed]) {
        if ruined.len() >= ks {
            break;
        }
        let t = tour_of[c];
        if t == usize::MAX || ruined.contains(&t) {
            continue;
        }
        let tour = Rc::make_mut(&mut plan.tours[t]);
        let len = tour.stops.len();
        let l_max = (len as f64).min(ls_max).max(1.0);
        let l = (rng.random_range(1.0..l_max + 1.0).floor() as usize).clamp(1, len);
        let at = tour.stops.iter().position(|&s| s == c).unwrap_or(0);
        let lo = at.saturating_sub(l - 1);
        let hi = at.min(len - l);
        let start = if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        };
        removed.extend(tour.stops.drain(start..start + l));
        let before = tour.gbp;
        tour.refresh(p);
        plan.gbp += tour.gbp - before;
        ruined.push(t);
    }
    plan.tours.retain(|t| !t.stops.is_empty());
    plan.gbp = plan.tours.iter().map(|t| t.gbp).sum();
    removed
}

/// The order pupils are put back in (SISR's weights 4 : 4 : 2 : 1): random, wheelchair
/// users first, farthest from school first, nearest first.
fn sort_removed(p: &Problem, removed: &mut [usize], rng: &mut ChaCha8Rng) {
    use rand::seq::SliceRandom;
    removed.shuffle(rng);
    let direct = |u: &usize| p.direct_s(*u);
    match rng.random_range(0..11) {
        0..=3 => {}
        4..=7 => removed.sort_by_key(|&u| !p.riders[u].wheelchair),
        8..=9 => removed.sort_by(|a, b| direct(b).total_cmp(&direct(a))),
        _ => removed.sort_by(|a, b| direct(a).total_cmp(&direct(b))),
    }
}

/// Each rider's other riders, nearest first by the round trip between their homes.
fn neighbours(p: &Problem, riders: &[usize]) -> Vec<Vec<usize>> {
    let mut near = vec![Vec::new(); p.len()];
    for &u in riders {
        let mut others: Vec<usize> = riders.iter().copied().filter(|&v| v != u).collect();
        let key = |v: usize| p.secs(u, v) + p.secs(v, u);
        others.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
        near[u] = others;
    }
    near
}

/// The best runs found for `riders` (indices into `p.riders`, each able to share), starting
/// from the better of `start` (ignored unless it carries exactly `riders`) and a
/// cheapest-insertion build, within `limits`.
pub fn solve(
    p: &Problem,
    riders: &[usize],
    start: Vec<Vec<usize>>,
    limits: Limits,
    seed: u64,
) -> (Vec<Vec<usize>>, SearchStats) {
    let clock = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let given = Plan::of(p, start);
    let mut cx = Context {
        p,
        near: vec![Vec::new(); p.len()],
        alone_gbp: (0..p.len()).map(|u| p.evaluate(&[u]).gbp_per_day).collect(),
    };
    let mut built = Plan::of(p, Vec::new());
    let mut order = riders.to_vec();
    order.sort_by(|&a, &b| p.direct_s(b).total_cmp(&p.direct_s(a)).then(a.cmp(&b)));
    recreate(&cx, &mut built, &order, &mut rng, 0.0);
    let covers = given.tours.iter().map(|t| t.stops.len()).sum::<usize>() == riders.len();
    let mut current = if !covers || built.gbp < given.gbp - EPS {
        built
    } else {
        given
    };
    let mut best = current.clone();
    let mut stats = SearchStats {
        iterations: 0,
        iteration_budget: limits.iterations,
        stopped_by_time: false,
        seconds: 0.0,
        initial_gbp_per_day: current.gbp,
        best_gbp_per_day: current.gbp,
        improvements: vec![(clock.elapsed().as_secs_f64(), current.gbp)],
    };
    if riders.len() > 1 {
        cx.near = neighbours(p, riders);
        let budget = limits.iterations.max(1) as f64;
        for it in 0..limits.iterations {
            if it % 32 == 0 && limits.deadline.is_some_and(|d| Instant::now() >= d) {
                stats.stopped_by_time = true;
                break;
            }
            let temperature = T0_GBP * (TF_GBP / T0_GBP).powf(it as f64 / budget);
            let mut next = current.clone();
            let mut removed = ruin(&cx, &mut next, riders, &mut rng);
            sort_removed(p, &mut removed, &mut rng);
            recreate(&cx, &mut next, &removed, &mut rng, BLINK);
            stats.iterations = it + 1;
            let threshold = current.gbp - temperature * rng.random::<f64>().ln();
            if next.gbp < threshold {
                current = next;
                if current.gbp < best.gbp - EPS {
                    best = current.clone();
                    stats
                        .improvements
                        .push((clock.elapsed().as_secs_f64(), best.gbp));
                }
            }
        }
    }
    stats.seconds = clock.elapsed().as_secs_f64();
    stats.best_gbp_per_day = best.gbp;
    (best.runs(), stats)
}

#[cfg(test)]
mod tests {
    use super::super::problem::tests::{line, rider};
    use super::*;

    fn limits(iterations: u64) -> Limits {
        Limits {
            iterations,
            deadline: None,
        }
    }

    #[test]
    fn neighbours_on_a_line_share_one_taxi() {
        let p = line(&[3.0, 2.0, 1.0], (0..3).map(rider).collect());
        let (runs, stats) = solve(&p, &[0, 1, 2], Vec::new(), limits(200), 7);
        assert_eq!(runs, vec![vec![0, 1, 2]]);
        assert!(stats.best_gbp_per_day <= stats.initial_gbp_per_day);
    }

    #[test]
    fn the_same_seed_gives_the_same_runs() {
        let xs: Vec<f64> = (0..30).map(|i| ((i * 37) % 23) as f64 + 0.5).collect();
        let p = line(&xs, (0..30).map(rider).collect());
        let all: Vec<usize> = (0..30).collect();
        let a = solve(&p, &all, Vec::new(), limits(300), 11);
        let b = solve(&p, &all, Vec::new(), limits(300), 11);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1.best_gbp_per_day, b.1.best_gbp_per_day);
    }
}
