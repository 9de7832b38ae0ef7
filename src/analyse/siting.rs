//! Location-allocation for new resource bases: which `k` candidate sites, each adding a given
//! number of places, bring back the most out-of-area pupils or cut the most journey time.
//!
//! This module is pure core: no I/O, no clock, no hashing. It takes journey costs that the
//! caller has already routed **once** (pupil → existing provision and pupil → candidate site,
//! integer centiminutes, only pairs within the journey threshold and suitable for the pupil), so
//! routing is reused across every site set the search evaluates. It must not import
//! `crate::load` or anything that touches files.
//!
//! # Model
//!
//! A [`SitingProblem`] holds the pupils of one need (their current journey and whether they are
//! placed out of area), the existing receiving provisions' spare places with the allowed moves
//! to them, and the candidate sites (places each would add) with the allowed moves to them.
//! Evaluating a set of open sites ([`evaluate`]) re-runs the capacity-constrained assignment of
//! [`crate::analyse::assign`] (min-cost max-flow, [`assign::solve_optimal`]) on the existing
//! spare places plus the chosen sites' places:
//!
//! - [`Objective::ReturnMost`] (capacitated maximal covering): only **out-of-area** pupils may
//!   move, exactly as in the bring-back rule. The assignment moves the largest number of them,
//!   then has the least total journey of the moved pupils. A site set is better when it returns
//!   more pupils, then when the moved pupils' journeys total less (lexicographic score
//!   `(returned, −moved_cost)`; equivalently maximise `M·returned − moved_cost` with `M` larger
//!   than any possible total cost).
//! - [`Objective::CutTravel`] (capacitated p-median): each eligible pupil either keeps the
//!   current journey or moves (capacity-limited) to an existing spare place or a new site, and the
//!   total journey minutes over all pupils of the problem is minimised. Which pupils are eligible
//!   to move is the [`Movers`] parameter: only out-of-area pupils ([`Movers::OutOfArea`], the
//!   bring-back rule) or every pupil of the need, in area too ([`Movers::AnyPupil`]). A move is
//!   only ever useful when it is strictly shorter than the current journey, so only such arcs are
//!   kept. "Keep the current journey" is a free private option of every pupil. As the
//!   assignment solver always moves as many pupils as it can, it is modelled by placeholders:
//!   every place a pupil could take also gets one placeholder pupil that can fill only that
//!   place, at a cost equal to the largest possible saving `B`, and a move costs
//!   `B + new − current ≥ 0`. Every place is then filled, by a pupil or a placeholder, and the
//!   minimum cost `B·places − saving` is reached exactly by the moves with the largest total
//!   saving, which is the same answer as one uncapacitated "keep" provision per pupil but needs
//!   one augmentation per place rather than one per pupil. Among equal totals the fewest moves
//!   are preferred (flow costs are scaled by `n + 1` and moves bumped by 1 when that fits in
//!   [`assign::MAX_COST`]; otherwise ties are left to the solver). Score: `(saved, −moved)`.
//!
//! In both forms the figures reported are the same ([`Evaluation`]): pupils moved and returned,
//! total journey of all pupils of the problem after the moves (unmoved pupils keep their current
//! journey), the saving against the current total, and each chosen site's use.
//!
//! Both scores are monotone **submodular** set functions of the open sites: for a fixed large
//! `M`, `M·returned − moved_cost` (resp. `(n+1)·saved − moved`) is the value of a maximum-weight
//! b-matching with positive weights `M − cost` (resp. `(n+1)(current − cost) − 1`), i.e. an
//! assignment (OXS) valuation, which is gross-substitutes and hence submodular (Lehmann, Lehmann
//! & Nisan, *Combinatorial auctions with decreasing marginal utilities*, GEB 2006; a site is a
//! group of `places` identical items, and submodularity carries over to groups). Two
//! consequences are used below: lazy (CELF) evaluation returns exactly the plain greedy choice,
//! and the greedy's primary figure (returned, resp. saved, above the no-new-site baseline) is at
//! least `1 − (1 − 1/k)^k ≥ 1 − 1/e` of the optimum (Nemhauser, Wolsey & Fisher 1978).
//!
//! # Heuristic ([`optimise`])
//!
//! 1. Greedy with lazy evaluation (Minoux 1978; "CELF", Leskovec et al. 2007): marginal gains sit
//!    in a priority queue as upper bounds and are re-evaluated only when they reach the top, in
//!    batches of a fixed size (independent of the thread count) evaluated in parallel with rayon.
//!    Ties go to the lowest candidate index. This gives the nested greedy path `g1, g2, …, gK`.
//! 2. For each `k = 1..=K`, 1-swap local search (Teitz & Bart 1968) from the greedy prefix
//!    `{g1..gk}` — or from the previous `k − 1` answer plus its best addition when that scores
//!    higher, so that the path is monotone in `k` — until no swap of one open site for one closed
//!    site improves the score. [`SwapRule`] picks first or best improvement. Swap candidates are
//!    pruned by submodular upper bounds (a site's gain against any subset of the remaining sites)
//!    without changing the result.
//!
//! All ties are broken by the lexicographically smallest sorted site list, and every parallel
//! step evaluates a fixed, ordered batch, so results are identical for every thread count.
//!
//! # Exact ([`solve_exact`])
//!
//! A MIP through `good_lp` + `microlp` (pure Rust) for small instances: `y_j ∈ {0,1}` open,
//! `Σ y_j = k`; `x_ij ∈ [0,1]` move of pupil `i` to provision `j`; `Σ_j x_ij ≤ 1`;
//! `Σ_i x_ij ≤ spare_j` (existing) and `Σ_i x_ij ≤ places_j·y_j`, `x_ij ≤ y_j` (candidates);
//! maximise `Σ w_ij x_ij` with the lexicographic weights above. For fixed `y` the assignment
//! polytope is integral, so only `y` needs to be integer. The chosen set is then re-evaluated
//! with [`evaluate`] so its figures are exact integers. [`gap`] reports how far a heuristic
//! answer is from it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::analyse::assign::{self, Arc as FlowArc, Problem as FlowProblem, Solver};

/// Largest accepted journey cost in centiminutes ([`assign::MAX_COST`]).
pub const MAX_COST_CMIN: i64 = assign::MAX_COST;

/// Number of stale candidates re-evaluated together in one lazy-greedy round (fixed, so the
/// result never depends on the thread count).
const LAZY_BATCH: usize = 4;

/// Number of swaps evaluated together in one local-search round (fixed, as [`LAZY_BATCH`]).
const SWAP_BATCH: usize = 8;

/// Per-candidate memory of computed gains kept as submodular bounds (besides the singleton).
const MEMO_PER_CANDIDATE: usize = 8;

/// Largest number of MIP variables [`solve_exact`] accepts.
pub const EXACT_MAX_VARIABLES: usize = 20_000;

/// One pupil of the need being planned for. Its index is its position in
/// [`SitingProblem::pupils`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitingPupil {
    /// Current one-way journey to the current placement, centiminutes (`0..=MAX_COST_CMIN`).
    /// Pupils without a known journey should be given an estimate or left out by the caller.
    pub current_cost_cmin: i64,
    /// Placed outside the home authority (the pupils the bring-back may move).
    pub out_of_area: bool,
}

/// An allowed move: `pupil` may take a place at `target` (an existing provision index for
/// [`SitingProblem::existing_arcs`], a candidate index for [`SitingProblem::candidate_arcs`]).
/// The caller includes only suitable targets within the journey threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitingArc {
    /// Pupil index into [`SitingProblem::pupils`].
    pub pupil: u32,
    /// Existing provision or candidate index.
    pub target: u32,
    /// One-way journey, centiminutes (`0..=MAX_COST_CMIN`).
    pub cost_cmin: i64,
}

/// A candidate site for a new base. Its index is its position in [`SitingProblem::candidates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateSite {
    /// Places the new base would add there.
    pub places: u32,
}

/// Which pupils may move under [`Objective::CutTravel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Movers {
    /// Only out-of-area pupils may move (the bring-back rule); in-area pupils keep their place.
    #[default]
    OutOfArea,
    /// Every pupil of the need may move, in-area pupils too (a planning "what if").
    AnyPupil,
}

/// What the new sites should achieve (see the module docs for the exact semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// (a) Bring back the most out-of-area pupils, then the least total journey of those moved.
    ReturnMost,
    /// (b) Cut the most total journey time; `movers` says who may move.
    CutTravel {
        /// Which pupils may move.
        movers: Movers,
    },
}

/// A location-allocation instance for one need (all indices are positions in the vectors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitingProblem {
    /// The pupils of the need.
    pub pupils: Vec<SitingPupil>,
    /// Spare places at each existing receiving provision.
    pub existing_spare: Vec<u32>,
    /// Allowed moves to existing provisions (`target` indexes `existing_spare`).
    pub existing_arcs: Vec<SitingArc>,
    /// Candidate sites.
    pub candidates: Vec<CandidateSite>,
    /// Allowed moves to candidate sites (`target` indexes `candidates`), routed once.
    pub candidate_arcs: Vec<SitingArc>,
    /// What the sites should achieve.
    pub objective: Objective,
}

/// Where a moved pupil goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Destination {
    /// An existing provision (index into [`SitingProblem::existing_spare`]).
    Existing(u32),
    /// A new base at a candidate site (index into [`SitingProblem::candidates`]).
    Candidate(u32),
}

/// One pupil's move in an [`Evaluation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// Pupil index.
    pub pupil: u32,
    /// Where the pupil goes.
    pub to: Destination,
    /// New one-way journey, centiminutes.
    pub cost_cmin: i64,
}

/// Use of one chosen site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteUse {
    /// Candidate index.
    pub candidate: u32,
    /// Places the site adds.
    pub places: u32,
    /// Places taken by moved pupils.
    pub used: u32,
}

/// Figures for one set of open sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Pupils moved (to existing spare places or new sites).
    pub moved: usize,
    /// Out-of-area pupils moved, i.e. brought back (equals `moved` unless in-area pupils may move).
    pub returned: usize,
    /// Sum of the new journeys of the moved pupils, centiminutes.
    pub moved_cost_cmin: i64,
    /// Sum of every pupil's current journey, centiminutes.
    pub baseline_cost_cmin: i64,
    /// Sum of every pupil's journey after the moves (unmoved pupils keep theirs), centiminutes.
    pub total_cost_cmin: i64,
    /// `baseline_cost_cmin − total_cost_cmin` (negative if moves lengthen journeys).
    pub saved_cost_cmin: i64,
    /// Use of each chosen site, in increasing candidate index.
    pub site_use: Vec<SiteUse>,
    /// Every move, by increasing pupil index.
    pub moves: Vec<Move>,
}

/// A chosen site set with its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Number of sites.
    pub k: usize,
    /// Candidate indices, increasing.
    pub sites: Vec<u32>,
    /// Figures for these sites.
    pub evaluation: Evaluation,
}

/// Local-search rule of the heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SwapRule {
    /// Apply the best improving swap of each pass (ties: smallest resulting site list).
    #[default]
    BestImprovement,
    /// Apply the first improving swap found (open sites, then closed candidates, by index).
    FirstImprovement,
}

/// Options of [`optimise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeuristicOptions {
    /// Local-search rule.
    pub swap: SwapRule,
    /// Stop the local search for one `k` after this many applied swaps (0 = greedy only).
    pub max_swaps: usize,
}

impl Default for HeuristicOptions {
    fn default() -> Self {
        Self {
            swap: SwapRule::BestImprovement,
            max_swaps: 1_000,
        }
    }
}

/// Work done by [`optimise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchStats {
    /// Site sets evaluated with the assignment solver.
    pub evaluations: usize,
    /// Swaps applied over all `k`.
    pub swaps: usize,
}

/// The heuristic's answer for every `k = 1..=max_k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitingPath {
    /// Figures with no new site (existing spare places only).
    pub baseline: Evaluation,
    /// Greedy picks in order (`greedy_order[..k]` is the greedy answer for `k`).
    pub greedy_order: Vec<u32>,
    /// Final answer for `k = 1..=max_k` (`per_k[k − 1]`), after local search.
    pub per_k: Vec<Selection>,
    /// Work done.
    pub stats: SearchStats,
}

/// How far a heuristic evaluation falls short of the optimum (all `optimum − heuristic`, so
/// zero or positive when `optimum` really is optimal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// Fewer pupils returned.
    pub returned_shortfall: i64,
    /// Less journey time saved, centiminutes.
    pub saved_shortfall_cmin: i64,
    /// Primary-objective shortfall (returned for `ReturnMost`, saved for `CutTravel`) as a
    /// fraction of the optimum's gain over `baseline`; 0 when that gain is 0.
    pub relative: f64,
}

/// Why a siting problem or request was rejected. Fields name the list, the item index and the
/// field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SitingError {
    /// An arc names a pupil that does not exist.
    #[error("{list}[{index}]: field `pupil` = {pupil} is out of range ({count} pupils)")]
    ArcPupil {
        /// `existing_arcs` or `candidate_arcs`.
        list: &'static str,
        /// Arc index.
        index: usize,
        /// The bad pupil index.
        pupil: u32,
        /// Number of pupils.
        count: usize,
    },
    /// An arc names a provision or candidate that does not exist.
    #[error("{list}[{index}]: field `target` = {target} is out of range ({count} targets)")]
    ArcTarget {
        /// `existing_arcs` or `candidate_arcs`.
        list: &'static str,
        /// Arc index.
        index: usize,
        /// The bad target index.
        target: u32,
        /// Number of existing provisions or candidates.
        count: usize,
    },
    /// A journey cost is negative or above [`MAX_COST_CMIN`].
    #[error("{list}[{index}]: field `{field}` = {cost_cmin} is outside 0..={MAX_COST_CMIN} centiminutes")]
    Cost {
        /// `pupils`, `existing_arcs` or `candidate_arcs`.
        list: &'static str,
        /// Item index.
        index: usize,
        /// Field name.
        field: &'static str,
        /// The bad cost.
        cost_cmin: i64,
    },
    /// A requested site is not a candidate.
    #[error("sites[{index}] = {site}: no such candidate ({count} candidates)")]
    Site {
        /// Position in the request.
        index: usize,
        /// The bad candidate index.
        site: u32,
        /// Number of candidates.
        count: usize,
    },
    /// A requested site is listed twice.
    #[error("sites[{index}] = {site}: candidate listed twice")]
    DuplicateSite {
        /// Position of the repeat in the request.
        index: usize,
        /// The repeated candidate index.
        site: u32,
    },
    /// `k` is 0 or more than the number of candidates.
    #[error("k = {k}: must be between 1 and the number of candidates ({count})")]
    K {
        /// Requested number of sites.
        k: usize,
        /// Number of candidates.
        count: usize,
    },
    /// The instance is too large for the exact solver or would overflow its weights.
    #[error("too large for the exact solver: {reason}")]
    TooLargeForExact {
        /// What is too large.
        reason: String,
    },
    /// The MIP solver failed.
    #[error("exact solver failed: {reason}")]
    Solver {
        /// The solver's message.
        reason: String,
    },
}

/// Figures for opening `sites` (candidate indices, any order, no repeats) on top of the existing
/// spare places: re-runs the optimal assignment (see the module docs for each objective).
/// `evaluate(problem, &[])` gives the no-new-site baseline.
///
/// # Errors
/// An invalid problem (index or cost out of range) or an unknown or repeated site.
pub fn evaluate(problem: &SitingProblem, sites: &[u32]) -> Result<Evaluation, SitingError> {
    let prepared = Prepared::new(problem)?;
    let mut seen = vec![false; problem.candidates.len()];
    for (index, &site) in sites.iter().enumerate() {
        let Some(slot) = seen.get_mut(site as usize) else {
            return Err(SitingError::Site {
                index,
                site,
                count: problem.candidates.len(),
            });
        };
        if *slot {
            return Err(SitingError::DuplicateSite { index, site });
        }
        *slot = true;
    }
    let mut sorted = sites.to_vec();
    sorted.sort_unstable();
    Ok(prepared.evaluate_full(&mut Solver::new(), &sorted))
}

/// [`evaluate`] for each candidate on its own (`evaluate(problem, &[j])` for every `j`, in
/// candidate order), preparing the problem once and evaluating in parallel.
///
/// # Errors
/// An invalid problem (index or cost out of range).
pub fn evaluate_singles(problem: &SitingProblem) -> Result<Vec<Evaluation>, SitingError> {
    let prepared = Prepared::new(problem)?;
    Ok((0..prepared.n_candidates() as u32)
        .into_par_iter()
        .map_init(Solver::new, |solver, j| {
            prepared.evaluate_full(solver, &[j])
        })
        .collect())
}

/// Heuristic siting for every `k = 1..=max_k`: lazy greedy, then 1-swap local search per `k`
/// (see the module docs). Deterministic and identical for every rayon thread count.
///
/// # Errors
/// An invalid problem, or `max_k` of 0 or above the number of candidates.
pub fn optimise(
    problem: &SitingProblem,
    max_k: usize,
    options: &HeuristicOptions,
) -> Result<SitingPath, SitingError> {
    let prepared = Prepared::new(problem)?;
    if max_k == 0 || max_k > problem.candidates.len() {
        return Err(SitingError::K {
            k: max_k,
            count: problem.candidates.len(),
        });
    }
    let mut search = Search::new(&prepared);
    let greedy = search.greedy(max_k);
    let mut per_k: Vec<Selection> = Vec::with_capacity(max_k);
    let mut swaps = 0;
    let mut previous: Option<(Vec<u32>, Score)> = None;
    for k in 1..=max_k {
        let mut start: Vec<u32> = greedy.order[..k].to_vec();
        start.sort_unstable();
        let mut start_score = greedy.scores[k - 1];
        if let Some((prev_sites, prev_score)) = &previous {
            let greedy_prev = {
                let mut g = greedy.order[..k - 1].to_vec();
                g.sort_unstable();
                g
            };
            // If the previous answer is the greedy prefix, its best addition is the greedy's
            // next pick; otherwise grow it by its own best addition and keep the better start.
            if *prev_sites != greedy_prev {
                if let Some((site, score)) = search.best_addition(prev_sites, *prev_score) {
                    let mut grown = prev_sites.clone();
                    insert_sorted(&mut grown, site);
                    if score > start_score || (score == start_score && grown < start) {
                        start = grown;
                        start_score = score;
                    }
                }
            }
        }
        let (sites, score, applied) = search.local_search(start, start_score, options);
        swaps += applied;
        let evaluation = prepared.evaluate_full(&mut Solver::new(), &sites);
        per_k.push(Selection {
            k,
            sites: sites.clone(),
            evaluation,
        });
        previous = Some((sites, score));
    }
    let baseline = prepared.evaluate_full(&mut Solver::new(), &[]);
    Ok(SitingPath {
        baseline,
        greedy_order: greedy.order,
        per_k,
        stats: SearchStats {
            evaluations: search.evaluations,
            swaps,
        },
    })
}

/// Exact optimum for `k` sites by mixed-integer programming (`good_lp` + `microlp`, see the
/// module docs for the formulation), meant for small instances (at most
/// [`EXACT_MAX_VARIABLES`] variables). Ties between optimal site sets are broken by the solver,
/// not by index. The chosen set is re-evaluated with [`evaluate`], so the figures are exact.
///
/// # Errors
/// An invalid problem, `k` of 0 or above the number of candidates, an instance too large (or
/// whose lexicographic weights would exceed 2^40, beyond reliable floating-point resolution),
/// or a solver failure.
pub fn solve_exact(problem: &SitingProblem, k: usize) -> Result<Selection, SitingError> {
    use good_lp::{microlp, variable, Expression, ProblemVariables, Solution as _, SolverModel};

    let prepared = Prepared::new(problem)?;
    let n_candidates = prepared.n_candidates();
    if k == 0 || k > n_candidates {
        return Err(SitingError::K {
            k,
            count: n_candidates,
        });
    }
    // Every allowed move: (local pupil, destination, cost).
    let mut moves: Vec<(u32, Destination, i64)> = prepared
        .existing_arcs
        .iter()
        .map(|a| (a.pupil, Destination::Existing(a.provision), a.cost))
        .collect();
    for (j, list) in prepared.cand_arcs.iter().enumerate() {
        moves.extend(
            list.iter()
                .map(|&(p, c)| (p, Destination::Candidate(j as u32), c)),
        );
    }
    if moves.len() + n_candidates > EXACT_MAX_VARIABLES {
        return Err(SitingError::TooLargeForExact {
            reason: format!(
                "{} variables, at most {EXACT_MAX_VARIABLES}",
                moves.len() + n_candidates
            ),
        });
    }
    let n = prepared.pupil_of_local.len();
    let weights: Vec<i64> = match prepared.objective {
        Objective::ReturnMost => {
            // M above any possible total cost: sum over pupils of their dearest move, plus 1.
            let mut dearest = vec![0i64; n];
            for &(p, _, c) in &moves {
                dearest[p as usize] = dearest[p as usize].max(c);
            }
            let big = dearest.iter().sum::<i64>() + 1;
            moves.iter().map(|&(_, _, c)| big - c).collect()
        }
        Objective::CutTravel { .. } => moves
            .iter()
            .map(|&(p, _, c)| prepared.scale * (prepared.current[p as usize] - c) - prepared.bump)
            .collect(),
    };
    let limit = 1i64 << 40;
    let max_total = weights
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .saturating_mul(n as i64 + 1);
    if max_total > limit {
        return Err(SitingError::TooLargeForExact {
            reason: format!("objective up to {max_total} exceeds 2^40"),
        });
    }

    let mut vars = ProblemVariables::new();
    let open: Vec<_> = (0..n_candidates)
        .map(|_| vars.add(variable().binary()))
        .collect();
    let take: Vec<_> = moves
        .iter()
        .map(|_| vars.add(variable().min(0).max(1)))
        .collect();
    let mut objective = Expression::with_capacity(take.len());
    for (&x, &w) in take.iter().zip(&weights) {
        objective.add_mul(w as f64, x);
    }
    let mut model = vars.maximise(objective).using(microlp);
    let mut per_pupil: Vec<Expression> = vec![Expression::default(); n];
    let mut per_existing: Vec<Expression> =
        vec![Expression::default(); prepared.existing_spare.len()];
    let mut per_candidate: Vec<Expression> = vec![Expression::default(); n_candidates];
    for (&(p, dest, _), &x) in moves.iter().zip(&take) {
        per_pupil[p as usize].add_mul(1.0, x);
        match dest {
            Destination::Existing(e) => per_existing[e as usize].add_mul(1.0, x),
            Destination::Candidate(j) => {
                per_candidate[j as usize].add_mul(1.0, x);
                model.add_constraint(Expression::from(x).leq(open[j as usize]));
            }
        }
    }
    for e in per_pupil {
        model.add_constraint(e.leq(1.0));
    }
    for (e, &spare) in per_existing.into_iter().zip(&prepared.existing_spare) {
        model.add_constraint(e.leq(f64::from(spare)));
    }
    for ((mut e, &places), &y) in per_candidate.into_iter().zip(&prepared.places).zip(&open) {
        e.add_mul(-f64::from(places), y);
        model.add_constraint(e.leq(0.0));
    }
    let mut count = Expression::with_capacity(n_candidates);
    for &y in &open {
        count.add_mul(1.0, y);
    }
    model.add_constraint(count.eq(k as f64));
    let solution = model.solve().map_err(|e| SitingError::Solver {
        reason: e.to_string(),
    })?;
    let sites: Vec<u32> = open
        .iter()
        .enumerate()
        .filter(|&(_, &y)| solution.value(y) > 0.5)
        .map(|(j, _)| j as u32)
        .collect();
    if sites.len() != k {
        return Err(SitingError::Solver {
            reason: format!("solution opens {} sites, expected {k}", sites.len()),
        });
    }
    let evaluation = prepared.evaluate_full(&mut Solver::new(), &sites);
    Ok(Selection {
        k,
        sites,
        evaluation,
    })
}

/// How far `heuristic` falls short of `optimum` for `objective`; `baseline` is the
/// no-new-site evaluation used for the relative figure.
pub fn gap(
    objective: Objective,
    heuristic: &Evaluation,
    optimum: &Evaluation,
    baseline: &Evaluation,
) -> Gap {
    let returned_shortfall = optimum.returned as i64 - heuristic.returned as i64;
    let saved_shortfall_cmin = optimum.saved_cost_cmin - heuristic.saved_cost_cmin;
    let (shortfall, best_gain) = match objective {
        Objective::ReturnMost => (
            returned_shortfall,
            optimum.returned as i64 - baseline.returned as i64,
        ),
        Objective::CutTravel { .. } => (
            saved_shortfall_cmin,
            optimum.saved_cost_cmin - baseline.saved_cost_cmin,
        ),
    };
    let relative = if best_gain == 0 {
        0.0
    } else {
        shortfall as f64 / best_gain as f64
    };
    Gap {
        returned_shortfall,
        saved_shortfall_cmin,
        relative,
    }
}

// ---------------------------------------------------------------------------------------------
// Preparation and evaluation
// ---------------------------------------------------------------------------------------------

/// Lexicographic score of a site set, higher is better (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score(i64, i64);

impl Score {
    fn plus(self, other: Score) -> Score {
        Score(
            self.0.saturating_add(other.0),
            self.1.saturating_add(other.1),
        )
    }
    fn minus(self, other: Score) -> Score {
        Score(
            self.0.saturating_sub(other.0),
            self.1.saturating_sub(other.1),
        )
    }
}

/// The problem in solver form: eligible pupils renumbered `0..n`, arcs grouped and deduplicated.
struct Prepared {
    objective: Objective,
    /// Problem pupil index of each eligible (local) pupil.
    pupil_of_local: Vec<u32>,
    /// Current journey of each local pupil.
    current: Vec<i64>,
    /// Out-of-area flag of each local pupil.
    out_of_area: Vec<bool>,
    /// Existing spare places.
    existing_spare: Vec<u32>,
    /// Arcs to existing provisions, local pupils, original costs (deduplicated, cheapest).
    existing_arcs: Vec<FlowArc>,
    /// Number of pupils with an arc to each existing provision.
    existing_demand: Vec<u32>,
    /// Places of each candidate.
    places: Vec<u32>,
    /// Per candidate: `(local pupil, cost)`, by pupil, deduplicated.
    cand_arcs: Vec<Vec<(u32, i64)>>,
    /// CutTravel only: largest saving of any move (`B`), and the scale and bump of the flow
    /// costs (see [`Prepared::flow_cost`]).
    slack: i64,
    scale: i64,
    bump: i64,
    /// Sum of all pupils' current journeys.
    baseline_cost: i64,
}

impl Prepared {
    fn new(problem: &SitingProblem) -> Result<Self, SitingError> {
        validate(problem)?;
        let movers = match problem.objective {
            Objective::ReturnMost => Movers::OutOfArea,
            Objective::CutTravel { movers } => movers,
        };
        let cut_travel = matches!(problem.objective, Objective::CutTravel { .. });
        let mut local_of = vec![u32::MAX; problem.pupils.len()];
        let mut pupil_of_local = Vec::new();
        let mut current = Vec::new();
        let mut out_of_area = Vec::new();
        let mut baseline_cost = 0i64;
        for (i, p) in problem.pupils.iter().enumerate() {
            baseline_cost = baseline_cost.saturating_add(p.current_cost_cmin);
            if p.out_of_area || movers == Movers::AnyPupil {
                local_of[i] = pupil_of_local.len() as u32;
                pupil_of_local.push(i as u32);
                current.push(p.current_cost_cmin);
                out_of_area.push(p.out_of_area);
            }
        }
        let n = pupil_of_local.len();
        // Keep only arcs of eligible pupils (and, for CutTravel, strictly shorter journeys).
        let useful = |arc: &SitingArc| -> Option<(u32, i64)> {
            let local = local_of[arc.pupil as usize];
            if local == u32::MAX {
                return None;
            }
            if cut_travel && arc.cost_cmin >= current[local as usize] {
                return None;
            }
            Some((local, arc.cost_cmin))
        };
        let mut by_existing: Vec<Vec<(u32, i64)>> = vec![Vec::new(); problem.existing_spare.len()];
        for arc in &problem.existing_arcs {
            if let Some(pc) = useful(arc) {
                by_existing[arc.target as usize].push(pc);
            }
        }
        let mut cand_arcs: Vec<Vec<(u32, i64)>> = vec![Vec::new(); problem.candidates.len()];
        for arc in &problem.candidate_arcs {
            if let Some(pc) = useful(arc) {
                cand_arcs[arc.target as usize].push(pc);
            }
        }
        for list in by_existing.iter_mut().chain(cand_arcs.iter_mut()) {
            list.sort_unstable();
            list.dedup_by_key(|&mut (p, _)| p);
        }
        // Candidates that add nothing need no arcs (their gain is always zero).
        for (list, c) in cand_arcs.iter_mut().zip(&problem.candidates) {
            if c.places == 0 {
                list.clear();
            }
        }
        let mut slack = 0i64;
        if cut_travel {
            for list in by_existing.iter().chain(&cand_arcs) {
                for &(p, c) in list {
                    slack = slack.max(current[p as usize] - c);
                }
            }
        }
        let (scale, bump) = if cut_travel {
            let scale = n as i64 + 1;
            match slack.checked_mul(scale).and_then(|v| v.checked_add(1)) {
                Some(v) if v <= assign::MAX_COST => (scale, 1),
                _ => (1, 0),
            }
        } else {
            (1, 0)
        };
        let mut existing_arcs = Vec::new();
        for (j, list) in by_existing.iter().enumerate() {
            existing_arcs.extend(list.iter().map(|&(p, c)| FlowArc {
                pupil: p,
                provision: j as u32,
                cost: c,
            }));
        }
        Ok(Self {
            objective: problem.objective,
            pupil_of_local,
            current,
            out_of_area,
            existing_spare: problem.existing_spare.clone(),
            existing_arcs,
            existing_demand: by_existing.iter().map(|l| l.len() as u32).collect(),
            places: problem.candidates.iter().map(|c| c.places).collect(),
            cand_arcs,
            slack,
            scale,
            bump,
            baseline_cost,
        })
    }

    fn cut_travel(&self) -> bool {
        matches!(self.objective, Objective::CutTravel { .. })
    }

    fn n_candidates(&self) -> usize {
        self.places.len()
    }

    /// True if opening candidate `j` can never change anything.
    fn is_inert(&self, j: u32) -> bool {
        self.cand_arcs[j as usize].is_empty()
    }

    /// Flow cost of moving local pupil `p` at journey `cost`. ReturnMost: the journey.
    /// CutTravel: `scale·(B + cost − current) + bump`, non-negative because `B` is the largest
    /// saving; an empty place costs `scale·B` (see [`Prepared::solve`]).
    fn flow_cost(&self, p: u32, cost: i64) -> i64 {
        if self.cut_travel() {
            self.scale * (self.slack + cost - self.current[p as usize]) + self.bump
        } else {
            cost
        }
    }

    /// Solves the assignment for sorted `sites`. Returns, per local pupil, where it moves and
    /// the journey there, if it moves.
    ///
    /// CutTravel ("keep the current journey" as a free option): the assignment solver always
    /// moves as many pupils as it can, so each place that a pupil could take (at most
    /// `min(places, pupils with an arc)` per provision) also gets one placeholder pupil that
    /// can fill only it, at cost `scale·B`. Every place is then filled in any maximum flow,
    /// by a real pupil or a placeholder, and any set of real moves extends to one, so the
    /// minimum cost `scale·(B·places − saving) + moves` picks the largest saving, then the
    /// fewest moves. Unmoved pupils keep their current journey. This gives the same answer as
    /// a private uncapacitated "keep" provision per pupil, with only as many augmentations as
    /// there are places instead of one per pupil.
    fn solve(&self, solver: &mut Solver, sites: &[u32]) -> Vec<Option<(Destination, i64)>> {
        let n = self.pupil_of_local.len();
        let n_existing = self.existing_spare.len();
        let active: Vec<u32> = sites
            .iter()
            .copied()
            .filter(|&j| !self.is_inert(j))
            .collect();
        let extra: usize = active
            .iter()
            .map(|&j| self.cand_arcs[j as usize].len())
            .sum();
        let n_real = self.existing_arcs.len() + extra;
        let mut capacity = self.existing_spare.clone();
        let mut demand = self.existing_demand.clone();
        let mut arcs = Vec::with_capacity(n_real);
        let mut journey = Vec::with_capacity(n_real);
        for a in &self.existing_arcs {
            arcs.push(FlowArc {
                cost: self.flow_cost(a.pupil, a.cost),
                ..*a
            });
            journey.push(a.cost);
        }
        for (slot, &j) in active.iter().enumerate() {
            capacity.push(self.places[j as usize]);
            demand.push(self.cand_arcs[j as usize].len() as u32);
            let provision = (n_existing + slot) as u32;
            for &(pupil, cost) in &self.cand_arcs[j as usize] {
                arcs.push(FlowArc {
                    pupil,
                    provision,
                    cost: self.flow_cost(pupil, cost),
                });
                journey.push(cost);
            }
        }
        let mut n_pupils = n;
        if self.cut_travel() {
            let empty_cost = self.scale * self.slack;
            for (q, (cap, &d)) in capacity.iter_mut().zip(&demand).enumerate() {
                *cap = (*cap).min(d);
                for _ in 0..*cap {
                    arcs.push(FlowArc {
                        pupil: n_pupils as u32,
                        provision: q as u32,
                        cost: empty_cost,
                    });
                    n_pupils += 1;
                }
            }
        }
        let flow = FlowProblem {
            n_pupils,
            capacity,
            arcs,
        };
        let solution = solver.solve(&flow);
        // Decode the real pupils' moves (cheapest arc to the assigned provision).
        let mut out: Vec<Option<(Destination, i64)>> = vec![None; n];
        for (arc, &cost) in flow.arcs[..n_real].iter().zip(&journey) {
            let Some(Some(to)) = solution.assigned.get(arc.pupil as usize) else {
                continue;
            };
            if *to != arc.provision {
                continue;
            }
            let dest = if (arc.provision as usize) < n_existing {
                Destination::Existing(arc.provision)
            } else {
                Destination::Candidate(active[arc.provision as usize - n_existing])
            };
            let slot = &mut out[arc.pupil as usize];
            match slot {
                Some((_, c)) if *c <= cost => {}
                _ => *slot = Some((dest, cost)),
            }
        }
        out
    }

    /// Score of sorted `sites`.
    fn score(&self, solver: &mut Solver, sites: &[u32]) -> Score {
        let moves = self.solve(solver, sites);
        let mut moved = 0i64;
        let mut returned = 0i64;
        let mut moved_cost = 0i64;
        let mut saved = 0i64;
        for (i, m) in moves.iter().enumerate() {
            if let Some((_, cost)) = m {
                moved += 1;
                returned += i64::from(self.out_of_area[i]);
                moved_cost += cost;
                saved += self.current[i] - cost;
            }
        }
        match self.objective {
            Objective::ReturnMost => Score(returned, -moved_cost),
            Objective::CutTravel { .. } if self.bump == 0 => Score(saved, 0),
            Objective::CutTravel { .. } => Score(saved, -moved),
        }
    }

    /// Full figures for sorted `sites`.
    fn evaluate_full(&self, solver: &mut Solver, sites: &[u32]) -> Evaluation {
        let solved = self.solve(solver, sites);
        let mut moves = Vec::new();
        let mut returned = 0;
        let mut moved_cost = 0i64;
        let mut saved = 0i64;
        let mut used = vec![0u32; sites.len()];
        for (i, m) in solved.iter().enumerate() {
            let Some((to, cost)) = *m else { continue };
            returned += usize::from(self.out_of_area[i]);
            moved_cost += cost;
            saved += self.current[i] - cost;
            if let Destination::Candidate(j) = to {
                if let Ok(at) = sites.binary_search(&j) {
                    used[at] += 1;
                }
            }
            moves.push(Move {
                pupil: self.pupil_of_local[i],
                to,
                cost_cmin: cost,
            });
        }
        Evaluation {
            moved: moves.len(),
            returned,
            moved_cost_cmin: moved_cost,
            baseline_cost_cmin: self.baseline_cost,
            total_cost_cmin: self.baseline_cost - saved,
            saved_cost_cmin: saved,
            site_use: sites
                .iter()
                .zip(used)
                .map(|(&j, used)| SiteUse {
                    candidate: j,
                    places: self.places[j as usize],
                    used,
                })
                .collect(),
            moves,
        }
    }

    /// Scores of many sorted site sets, in parallel, in input order.
    fn scores(&self, sets: &[Vec<u32>]) -> Vec<Score> {
        sets.par_iter()
            .map_init(Solver::new, |solver, s| self.score(solver, s))
            .collect()
    }
}

/// Checks every index and cost of `problem`.
fn validate(problem: &SitingProblem) -> Result<(), SitingError> {
    let cost_ok = |c: i64| (0..=MAX_COST_CMIN).contains(&c);
    for (index, p) in problem.pupils.iter().enumerate() {
        if !cost_ok(p.current_cost_cmin) {
            return Err(SitingError::Cost {
                list: "pupils",
                index,
                field: "current_cost_cmin",
                cost_cmin: p.current_cost_cmin,
            });
        }
    }
    let lists = [
        (
            "existing_arcs",
            &problem.existing_arcs,
            problem.existing_spare.len(),
        ),
        (
            "candidate_arcs",
            &problem.candidate_arcs,
            problem.candidates.len(),
        ),
    ];
    for (list, arcs, count) in lists {
        for (index, arc) in arcs.iter().enumerate() {
            if arc.pupil as usize >= problem.pupils.len() {
                return Err(SitingError::ArcPupil {
                    list,
                    index,
                    pupil: arc.pupil,
                    count: problem.pupils.len(),
                });
            }
            if arc.target as usize >= count {
                return Err(SitingError::ArcTarget {
                    list,
                    index,
                    target: arc.target,
                    count,
                });
            }
            if !cost_ok(arc.cost_cmin) {
                return Err(SitingError::Cost {
                    list,
                    index,
                    field: "cost_cmin",
                    cost_cmin: arc.cost_cmin,
                });
            }
        }
    }
    Ok(())
}

fn insert_sorted(set: &mut Vec<u32>, j: u32) {
    let at = set.partition_point(|&x| x < j);
    set.insert(at, j);
}

/// `a ⊆ b` for sorted slices.
fn is_subset(a: &[u32], b: &[u32]) -> bool {
    let mut it = b.iter();
    a.iter().all(|x| it.by_ref().any(|y| y == x))
}

// ---------------------------------------------------------------------------------------------
// Heuristic search
// ---------------------------------------------------------------------------------------------

/// A known marginal gain of a candidate over a base set (an upper bound for supersets).
struct MemoEntry {
    base: Vec<u32>,
    gain: Score,
}

struct Greedy {
    order: Vec<u32>,
    /// Score of `order[..k + 1]`.
    scores: Vec<Score>,
}

struct Search<'a> {
    prepared: &'a Prepared,
    /// Per candidate: gain over the empty set (always a valid bound).
    singleton: Vec<Score>,
    /// Per candidate: recent gains over other bases.
    memo: Vec<Vec<MemoEntry>>,
    /// Score with no new site.
    empty_score: Score,
    evaluations: usize,
}

impl<'a> Search<'a> {
    fn new(prepared: &'a Prepared) -> Self {
        let n = prepared.n_candidates();
        let empty_score = prepared.score(&mut Solver::new(), &[]);
        let live: Vec<u32> = (0..n as u32).filter(|&j| !prepared.is_inert(j)).collect();
        let sets: Vec<Vec<u32>> = live.iter().map(|&j| vec![j]).collect();
        let scores = prepared.scores(&sets);
        let mut singleton = vec![Score(0, 0); n];
        for (&j, s) in live.iter().zip(&scores) {
            singleton[j as usize] = s.minus(empty_score);
        }
        Self {
            prepared,
            singleton,
            memo: (0..n).map(|_| Vec::new()).collect(),
            empty_score,
            evaluations: 1 + live.len(),
        }
    }

    /// Smallest known gain of `j` over a subset of `base` (sorted), and whether it is exact
    /// (known for `base` itself).
    fn bound(&self, j: u32, base: &[u32]) -> (Score, bool) {
        if self.prepared.is_inert(j) {
            return (Score(0, 0), true);
        }
        let mut best = (self.singleton[j as usize], base.is_empty());
        for e in &self.memo[j as usize] {
            if e.gain <= best.0 && is_subset(&e.base, base) {
                let exact = e.base.len() == base.len();
                best = if e.gain < best.0 {
                    (e.gain, exact)
                } else {
                    (best.0, best.1 || exact)
                };
            }
        }
        best
    }

    fn remember(&mut self, j: u32, base: &[u32], gain: Score) {
        if base.is_empty() {
            return;
        }
        let list = &mut self.memo[j as usize];
        if list.len() >= MEMO_PER_CANDIDATE {
            list.remove(0);
        }
        list.push(MemoEntry {
            base: base.to_vec(),
            gain,
        });
    }

    /// Evaluates `base + j` for each `j`, in parallel, recording the gains.
    fn gains(&mut self, base: &[u32], base_score: Score, js: &[u32]) -> Vec<Score> {
        let sets: Vec<Vec<u32>> = js
            .iter()
            .map(|&j| {
                let mut s = base.to_vec();
                insert_sorted(&mut s, j);
                s
            })
            .collect();
        let scores = self.prepared.scores(&sets);
        self.evaluations += sets.len();
        let gains: Vec<Score> = scores.iter().map(|s| s.minus(base_score)).collect();
        for (&j, &g) in js.iter().zip(&gains) {
            self.remember(j, base, g);
        }
        gains
    }

    /// Lazy (CELF) best single addition to sorted `base`: the candidate with the largest gain,
    /// lowest index among ties, and the resulting score. `None` if every candidate is open.
    fn best_addition(&mut self, base: &[u32], base_score: Score) -> Option<(u32, Score)> {
        // Max-heap on (bound, lowest index); `fresh` = exact for this base.
        let mut heap: BinaryHeap<(Score, Reverse<u32>, bool)> = (0..self.prepared.n_candidates()
            as u32)
            .filter(|j| base.binary_search(j).is_err())
            .map(|j| {
                let (b, exact) = self.bound(j, base);
                (b, Reverse(j), exact)
            })
            .collect();
        loop {
            let &(gain, Reverse(j), fresh) = heap.peek()?;
            if fresh {
                return Some((j, base_score.plus(gain)));
            }
            let mut batch = Vec::with_capacity(LAZY_BATCH);
            while batch.len() < LAZY_BATCH {
                match heap.peek() {
                    Some(&(_, Reverse(j), false)) => {
                        heap.pop();
                        batch.push(j);
                    }
                    _ => break,
                }
            }
            let gains = self.gains(base, base_score, &batch);
            for (j, g) in batch.into_iter().zip(gains) {
                heap.push((g, Reverse(j), true));
            }
        }
    }

    /// Nested greedy path of length `max_k`.
    fn greedy(&mut self, max_k: usize) -> Greedy {
        let mut base: Vec<u32> = Vec::new();
        let mut score = self.empty_score;
        let mut order = Vec::with_capacity(max_k);
        let mut scores = Vec::with_capacity(max_k);
        for _ in 0..max_k {
            let Some((j, s)) = self.best_addition(&base, score) else {
                break;
            };
            insert_sorted(&mut base, j);
            order.push(j);
            scores.push(s);
            score = s;
        }
        Greedy { order, scores }
    }

    /// 1-swap local search from sorted `start`. Returns the final sites, score and swaps applied.
    fn local_search(
        &mut self,
        start: Vec<u32>,
        start_score: Score,
        options: &HeuristicOptions,
    ) -> (Vec<u32>, Score, usize) {
        let mut sites = start;
        let mut score = start_score;
        let mut applied = 0;
        while applied < options.max_swaps {
            let found = match options.swap {
                SwapRule::BestImprovement => self.best_swap(&sites, score),
                SwapRule::FirstImprovement => self.first_swap(&sites, score),
            };
            let Some((next, next_score)) = found else {
                break;
            };
            sites = next;
            score = next_score;
            applied += 1;
        }
        (sites, score, applied)
    }

    /// `S − i` for each open `i`, with scores.
    fn reduced(&mut self, sites: &[u32]) -> Vec<(u32, Vec<u32>, Score)> {
        let sets: Vec<Vec<u32>> = (0..sites.len())
            .map(|at| {
                let mut s = sites.to_vec();
                s.remove(at);
                s
            })
            .collect();
        let scores = self.prepared.scores(&sets);
        self.evaluations += sets.len();
        sites
            .iter()
            .zip(sets)
            .zip(scores)
            .map(|((&i, s), sc)| (i, s, sc))
            .collect()
    }

    /// Candidate swaps `(upper bound, resulting set, reduced set index, j)` that might beat
    /// `score`, for every open site and closed candidate.
    fn swap_candidates(
        &self,
        sites: &[u32],
        score: Score,
        reduced: &[(u32, Vec<u32>, Score)],
    ) -> Vec<(Score, Vec<u32>, usize, u32)> {
        let mut out = Vec::new();
        for (r, (_, base, base_score)) in reduced.iter().enumerate() {
            for j in 0..self.prepared.n_candidates() as u32 {
                if sites.binary_search(&j).is_ok() || self.prepared.is_inert(j) {
                    continue;
                }
                let (gain, _) = self.bound(j, base);
                let ub = base_score.plus(gain);
                if ub > score {
                    let mut set = base.clone();
                    insert_sorted(&mut set, j);
                    out.push((ub, set, r, j));
                }
            }
        }
        out
    }

    /// Evaluates a batch of swaps in parallel; records gains; returns the scores.
    fn eval_swaps(
        &mut self,
        batch: &[(Score, Vec<u32>, usize, u32)],
        reduced: &[(u32, Vec<u32>, Score)],
    ) -> Vec<Score> {
        let sets: Vec<Vec<u32>> = batch.iter().map(|c| c.1.clone()).collect();
        let scores = self.prepared.scores(&sets);
        self.evaluations += sets.len();
        for (c, &s) in batch.iter().zip(&scores) {
            let (_, base, base_score) = &reduced[c.2];
            self.remember(c.3, base, s.minus(*base_score));
        }
        scores
    }

    /// The best improving swap (ties: smallest resulting set), if any.
    fn best_swap(&mut self, sites: &[u32], score: Score) -> Option<(Vec<u32>, Score)> {
        let reduced = self.reduced(sites);
        let mut cands = self.swap_candidates(sites, score, &reduced);
        cands.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut best: Option<(Score, Vec<u32>)> = None;
        for chunk in cands.chunks(SWAP_BATCH) {
            if let Some((bs, bset)) = &best {
                let (ub, set) = (chunk[0].0, &chunk[0].1);
                if ub < *bs || (ub == *bs && set > bset) {
                    break;
                }
            }
            let scores = self.eval_swaps(chunk, &reduced);
            for (c, s) in chunk.iter().zip(scores) {
                if s <= score {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some((bs, bset)) => s > *bs || (s == *bs && c.1 < *bset),
                };
                if better {
                    best = Some((s, c.1.clone()));
                }
            }
        }
        best.map(|(s, set)| (set, s))
    }

    /// The first improving swap: open sites by increasing index, then closed candidates by
    /// increasing index.
    fn first_swap(&mut self, sites: &[u32], score: Score) -> Option<(Vec<u32>, Score)> {
        let reduced = self.reduced(sites);
        let cands = self.swap_candidates(sites, score, &reduced);
        // `swap_candidates` lists by reduced set (open site order), then by candidate index.
        for chunk in cands.chunks(SWAP_BATCH) {
            let scores = self.eval_swaps(chunk, &reduced);
            if let Some((c, s)) = chunk.iter().zip(scores).find(|(_, s)| *s > score) {
                return Some((c.1.clone(), s));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn pupil(current_cost_cmin: i64, out_of_area: bool) -> SitingPupil {
        SitingPupil {
            current_cost_cmin,
            out_of_area,
        }
    }

    fn arc(pupil: u32, target: u32, cost_cmin: i64) -> SitingArc {
        SitingArc {
            pupil,
            target,
            cost_cmin,
        }
    }

    /// The objective's lexicographic score of an evaluation (as the search ranks them).
    fn score_of(objective: Objective, e: &Evaluation) -> (i64, i64) {
        match objective {
            Objective::ReturnMost => (e.returned as i64, -e.moved_cost_cmin),
            Objective::CutTravel { .. } => (e.saved_cost_cmin, -(e.moved as i64)),
        }
    }

    /// Primary figure of an evaluation: returned, or saved centiminutes.
    fn primary(objective: Objective, e: &Evaluation) -> i64 {
        score_of(objective, e).0
    }

    /// Five pupils, one existing provision with one spare place, three candidates (see the
    /// figures worked out by hand in each test).
    fn hand_built(objective: Objective) -> SitingProblem {
        SitingProblem {
            pupils: vec![
                pupil(6000, true),
                pupil(7000, true),
                pupil(5000, true),
                pupil(1500, false),
                pupil(8000, true),
            ],
            existing_spare: vec![1],
            existing_arcs: vec![arc(4, 0, 3000), arc(0, 0, 2500)],
            candidates: vec![
                CandidateSite { places: 2 },
                CandidateSite { places: 3 },
                CandidateSite { places: 3 },
            ],
            candidate_arcs: vec![
                arc(0, 0, 2000),
                arc(4, 0, 4000),
                arc(0, 1, 1000),
                arc(1, 1, 1500),
                arc(2, 1, 2000),
                arc(3, 2, 500),
                arc(1, 2, 4000),
            ],
            objective,
        }
    }

    /// Random small instance: a few pupils, existing provisions and candidates, random arcs.
    fn random_problem(rng: &mut ChaCha8Rng, objective: Objective) -> SitingProblem {
        let n_pupils = rng.random_range(3..=12);
        let n_existing = rng.random_range(0..=3);
        let n_candidates = rng.random_range(3..=9);
        let pupils: Vec<SitingPupil> = (0..n_pupils)
            .map(|_| pupil(rng.random_range(500..=9000), rng.random_bool(0.6)))
            .collect();
        let existing_spare = (0..n_existing).map(|_| rng.random_range(0..=2)).collect();
        let candidates = (0..n_candidates)
            .map(|_| CandidateSite {
                places: rng.random_range(0..=3),
            })
            .collect();
        let mut existing_arcs = Vec::new();
        let mut candidate_arcs = Vec::new();
        for p in 0..n_pupils as u32 {
            for e in 0..n_existing as u32 {
                if rng.random_bool(0.4) {
                    existing_arcs.push(arc(p, e, rng.random_range(100..=8000)));
                }
            }
            for c in 0..n_candidates as u32 {
                if rng.random_bool(0.5) {
                    candidate_arcs.push(arc(p, c, rng.random_range(100..=8000)));
                }
            }
        }
        SitingProblem {
            pupils,
            existing_spare,
            existing_arcs,
            candidates,
            candidate_arcs,
            objective,
        }
    }

    /// Every k-subset of `0..n`, in lexicographic order.
    fn subsets(n: usize, k: usize) -> Vec<Vec<u32>> {
        fn go(start: u32, n: u32, k: usize, cur: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
            if cur.len() == k {
                out.push(cur.clone());
                return;
            }
            for j in start..n {
                cur.push(j);
                go(j + 1, n, k, cur, out);
                cur.pop();
            }
        }
        let mut out = Vec::new();
        go(0, n as u32, k, &mut Vec::new(), &mut out);
        out
    }

    /// Best k-subset by enumeration (ties: lexicographically smallest set).
    fn brute_force(problem: &SitingProblem, k: usize) -> (Vec<u32>, Evaluation) {
        let mut best: Option<(Vec<u32>, Evaluation)> = None;
        for set in subsets(problem.candidates.len(), k) {
            let e = evaluate(problem, &set).unwrap();
            let better = match &best {
                None => true,
                Some((_, b)) => score_of(problem.objective, &e) > score_of(problem.objective, b),
            };
            if better {
                best = Some((set, e));
            }
        }
        best.unwrap()
    }

    const OBJECTIVES: [Objective; 3] = [
        Objective::ReturnMost,
        Objective::CutTravel {
            movers: Movers::OutOfArea,
        },
        Objective::CutTravel {
            movers: Movers::AnyPupil,
        },
    ];

    #[test]
    fn hand_built_return_most_picks_the_site_near_three_out_of_area_pupils() {
        let problem = hand_built(Objective::ReturnMost);
        let baseline = evaluate(&problem, &[]).unwrap();
        // Only the existing place: pupil 0 (25 min) rather than pupil 4 (30 min).
        assert_eq!((baseline.returned, baseline.moved_cost_cmin), (1, 2500));
        let path = optimise(&problem, 2, &HeuristicOptions::default()).unwrap();
        let one = &path.per_k[0];
        assert_eq!(one.sites, vec![1]);
        let e = &one.evaluation;
        assert_eq!(e.returned, 4);
        assert_eq!(e.moved, 4);
        assert_eq!(e.moved_cost_cmin, 1000 + 1500 + 2000 + 3000);
        assert_eq!(e.baseline_cost_cmin, 27_500);
        assert_eq!(e.saved_cost_cmin, 5000 + 5500 + 3000 + 5000);
        assert_eq!(e.total_cost_cmin, 27_500 - 18_500);
        assert_eq!(
            e.site_use,
            vec![SiteUse {
                candidate: 1,
                places: 3,
                used: 3
            }]
        );
        assert_eq!(
            e.moves,
            vec![
                Move {
                    pupil: 0,
                    to: Destination::Candidate(1),
                    cost_cmin: 1000
                },
                Move {
                    pupil: 1,
                    to: Destination::Candidate(1),
                    cost_cmin: 1500
                },
                Move {
                    pupil: 2,
                    to: Destination::Candidate(1),
                    cost_cmin: 2000
                },
                Move {
                    pupil: 4,
                    to: Destination::Existing(0),
                    cost_cmin: 3000
                },
            ]
        );
        // k = 2: {0,1} and {1,2} tie at 4 returned, 75 min; the lower indices win.
        assert_eq!(path.per_k[1].sites, vec![0, 1]);
        assert_eq!(path.per_k[1].evaluation.returned, 4);
        assert_eq!(path.greedy_order[0], 1);
        let exact = solve_exact(&problem, 1).unwrap();
        assert_eq!(exact.sites, vec![1]);
        assert_eq!(exact.evaluation, *e);
    }

    #[test]
    fn hand_built_cut_travel_depends_on_who_may_move() {
        let any = hand_built(Objective::CutTravel {
            movers: Movers::AnyPupil,
        });
        let path = optimise(&any, 2, &HeuristicOptions::default()).unwrap();
        assert_eq!(path.per_k[0].sites, vec![1]);
        assert_eq!(path.per_k[0].evaluation.saved_cost_cmin, 18_500);
        // The in-area pupil 3 saves 10 more minutes at site 2.
        assert_eq!(path.per_k[1].sites, vec![1, 2]);
        let e = &path.per_k[1].evaluation;
        assert_eq!((e.saved_cost_cmin, e.moved, e.returned), (19_500, 5, 4));
        assert_eq!(e.total_cost_cmin, 8000);
        assert_eq!(
            solve_exact(&any, 2).unwrap().evaluation.saved_cost_cmin,
            19_500
        );

        let out_only = hand_built(Objective::CutTravel {
            movers: Movers::OutOfArea,
        });
        let path = optimise(&out_only, 2, &HeuristicOptions::default()).unwrap();
        // Without in-area moves {0,1} and {1,2} tie at 185 min saved with 4 moves.
        assert_eq!(path.per_k[1].sites, vec![0, 1]);
        let e = &path.per_k[1].evaluation;
        assert_eq!((e.saved_cost_cmin, e.moved, e.returned), (18_500, 4, 4));
    }

    /// Checks one heuristic answer against the optimum `best` (brute force); returns its gap.
    fn check_against_optimum(
        problem: &SitingProblem,
        h: &Selection,
        best: &Evaluation,
        baseline: &Evaluation,
        what: &str,
    ) -> Gap {
        let objective = problem.objective;
        let k = h.k;
        assert_eq!(h.evaluation, evaluate(problem, &h.sites).unwrap(), "{what}");
        let (hs, bs) = (
            score_of(objective, &h.evaluation),
            score_of(objective, best),
        );
        assert!(
            hs <= bs,
            "{what}: heuristic {hs:?} beats brute force {bs:?}"
        );
        // Greedy guarantee on the primary figure (monotone submodular), which the local
        // search only improves: h − base ≥ (1 − (1 − 1/k)^k)·(opt − base).
        let base = primary(objective, baseline);
        let kk = (k as i64).pow(k as u32);
        let km = (k as i64 - 1).pow(k as u32);
        let (hp, op) = (hs.0, bs.0);
        assert!(
            (hp - base) * kk >= (kk - km) * (op - base),
            "{what}: {hp} vs optimum {op}, baseline {base}"
        );
        let g = gap(objective, &h.evaluation, best, baseline);
        assert!(
            g.relative >= 0.0 && g.relative <= 1.0 - (-1.0f64).exp(),
            "{what}: {g:?}"
        );
        g
    }

    #[test]
    fn heuristic_matches_exact_and_brute_force_on_small_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x0517_14e6);
        // (cases, below optimum, worst relative gap) for greedy alone and greedy + swap.
        let mut greedy_stats = (0, 0, 0.0f64);
        let mut swap_stats = (0, 0, 0.0f64);
        // Worst shortfall in the secondary figure (moved cost, or moves) at an equal primary.
        let mut worst_secondary = 0i64;
        for round in 0..150 {
            let objective = OBJECTIVES[round % OBJECTIVES.len()];
            let problem = random_problem(&mut rng, objective);
            let max_k = problem.candidates.len().min(4);
            let optimum: Vec<(Vec<u32>, Evaluation)> =
                (1..=max_k).map(|k| brute_force(&problem, k)).collect();
            let greedy_only = HeuristicOptions {
                max_swaps: 0,
                ..HeuristicOptions::default()
            };
            let path = optimise(&problem, max_k, &greedy_only).unwrap();
            assert_eq!(path.baseline, evaluate(&problem, &[]).unwrap());
            assert_eq!(path.stats.swaps, 0);
            for (k, (_, best)) in (1..=max_k).zip(&optimum) {
                let h = &path.per_k[k - 1];
                let what = format!("round {round} k {k} greedy");
                let g = check_against_optimum(&problem, h, best, &path.baseline, &what);
                greedy_stats.0 += 1;
                greedy_stats.1 +=
                    usize::from(score_of(objective, &h.evaluation) < score_of(objective, best));
                greedy_stats.2 = greedy_stats.2.max(g.relative);
            }
            for rule in [SwapRule::BestImprovement, SwapRule::FirstImprovement] {
                let options = HeuristicOptions {
                    swap: rule,
                    ..HeuristicOptions::default()
                };
                let path = optimise(&problem, max_k, &options).unwrap();
                for (k, (_, best)) in (1..=max_k).zip(&optimum) {
                    let h = &path.per_k[k - 1];
                    assert_eq!(h.k, k);
                    let what = format!("round {round} k {k} {rule:?}");
                    let g = check_against_optimum(&problem, h, best, &path.baseline, &what);
                    swap_stats.0 += 1;
                    swap_stats.1 +=
                        usize::from(score_of(objective, &h.evaluation) < score_of(objective, best));
                    swap_stats.2 = swap_stats.2.max(g.relative);
                    let (hs, bs) = (
                        score_of(objective, &h.evaluation),
                        score_of(objective, best),
                    );
                    if hs.0 == bs.0 {
                        worst_secondary = worst_secondary.max(bs.1 - hs.1);
                    }
                    // No single swap improves the answer (a 1-swap local optimum).
                    let hs = score_of(objective, &h.evaluation);
                    for i in &h.sites {
                        for j in
                            (0..problem.candidates.len() as u32).filter(|j| !h.sites.contains(j))
                        {
                            let mut s: Vec<u32> =
                                h.sites.iter().copied().filter(|x| x != i).collect();
                            s.push(j);
                            let e = evaluate(&problem, &s).unwrap();
                            assert!(
                                score_of(objective, &e) <= hs,
                                "{what}: swap {i}->{j} improves"
                            );
                        }
                    }
                }
            }
            // The MIP finds the same optimum as enumeration.
            for (k, (best_set, best)) in (1..=max_k).zip(&optimum) {
                let exact = solve_exact(&problem, k).unwrap();
                assert_eq!(exact.k, k);
                assert_eq!(
                    score_of(objective, &exact.evaluation),
                    score_of(objective, best),
                    "round {round} k {k}: exact {:?} vs brute force {best_set:?}",
                    exact.sites
                );
            }
        }
        eprintln!(
            "siting gaps: greedy {}/{} below optimum (worst {:.4}); greedy + swap {}/{} (worst {:.4}, \
             secondary {worst_secondary})",
            greedy_stats.1, greedy_stats.0, greedy_stats.2, swap_stats.1, swap_stats.0, swap_stats.2
        );
        assert!(greedy_stats.0 > 500 && swap_stats.0 > 1000);
    }

    #[test]
    fn more_places_or_more_sites_never_return_fewer_pupils() {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        for round in 0..60 {
            let objective = OBJECTIVES[round % OBJECTIVES.len()];
            let problem = random_problem(&mut rng, objective);
            let n = problem.candidates.len();
            // Fixed sites: one more place at any open site, or one more site.
            for set in subsets(n, 2) {
                let e = evaluate(&problem, &set).unwrap();
                for (at, &j) in set.iter().enumerate() {
                    let mut bigger = problem.clone();
                    bigger.candidates[j as usize].places += 1;
                    let e2 = evaluate(&bigger, &set).unwrap();
                    assert!(e2.returned >= e.returned || objective != Objective::ReturnMost);
                    assert!(
                        primary(objective, &e2) >= primary(objective, &e),
                        "round {round} {set:?} site {at}"
                    );
                }
                for j in 0..n as u32 {
                    if !set.contains(&j) {
                        let mut s = set.clone();
                        s.push(j);
                        let e2 = evaluate(&problem, &s).unwrap();
                        assert!(
                            primary(objective, &e2) >= primary(objective, &e),
                            "round {round} {set:?} + {j}"
                        );
                    }
                }
            }
            // Optimum and heuristic path are monotone in k; the optimum is monotone in places.
            let max_k = n.min(3);
            let path = optimise(&problem, max_k, &HeuristicOptions::default()).unwrap();
            let mut bigger = problem.clone();
            for c in &mut bigger.candidates {
                c.places += 1;
            }
            let mut last = (i64::MIN, i64::MIN);
            for k in 1..=max_k {
                let opt = primary(objective, &brute_force(&problem, k).1);
                let opt_bigger = primary(objective, &brute_force(&bigger, k).1);
                assert!(opt_bigger >= opt, "round {round} k {k}");
                let h = primary(objective, &path.per_k[k - 1].evaluation);
                assert!(h >= last.0, "round {round}: heuristic k {k} below k − 1");
                assert!(opt >= last.1, "round {round}: optimum k {k} below k − 1");
                last = (h, opt);
            }
        }
    }

    /// A medium instance (too big to enumerate) for determinism checks.
    fn medium_problem(seed: u64, objective: Objective) -> SitingProblem {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n_pupils = 300;
        let pupils: Vec<SitingPupil> = (0..n_pupils)
            .map(|_| pupil(rng.random_range(1000..=9000), rng.random_bool(0.3)))
            .collect();
        let existing_spare: Vec<u32> = (0..5).map(|_| rng.random_range(0..=4)).collect();
        let candidates: Vec<CandidateSite> = (0..40)
            .map(|_| CandidateSite {
                places: rng.random_range(4..=12),
            })
            .collect();
        let mut existing_arcs = Vec::new();
        let mut candidate_arcs = Vec::new();
        for p in 0..n_pupils as u32 {
            for e in 0..5 {
                if rng.random_bool(0.3) {
                    existing_arcs.push(arc(p, e, rng.random_range(300..=8000)));
                }
            }
            for c in 0..40 {
                if rng.random_bool(0.2) {
                    candidate_arcs.push(arc(p, c, rng.random_range(300..=8000)));
                }
            }
        }
        SitingProblem {
            pupils,
            existing_spare,
            existing_arcs,
            candidates,
            candidate_arcs,
            objective,
        }
    }

    #[test]
    fn identical_across_thread_counts() {
        for (seed, objective) in OBJECTIVES.into_iter().enumerate() {
            let problem = medium_problem(seed as u64, objective);
            for rule in [SwapRule::BestImprovement, SwapRule::FirstImprovement] {
                let options = HeuristicOptions {
                    swap: rule,
                    ..HeuristicOptions::default()
                };
                let run = |threads: usize| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap()
                        .install(|| optimise(&problem, 4, &options).unwrap())
                };
                let one = run(1);
                let two = run(2);
                assert_eq!(one, two, "{objective:?} {rule:?}");
                assert_eq!(one.per_k.len(), 4);
                // Each answer is a local optimum at least as good as the greedy prefix.
                for (k, sel) in one.per_k.iter().enumerate() {
                    let mut greedy: Vec<u32> = one.greedy_order[..=k].to_vec();
                    greedy.sort_unstable();
                    let g = evaluate(&problem, &greedy).unwrap();
                    assert!(score_of(objective, &sel.evaluation) >= score_of(objective, &g));
                }
            }
        }
    }

    #[test]
    fn singles_equal_one_evaluation_each() {
        for (seed, objective) in OBJECTIVES.into_iter().enumerate() {
            let problem = medium_problem(seed as u64 + 20, objective);
            let singles = evaluate_singles(&problem).unwrap();
            assert_eq!(singles.len(), problem.candidates.len());
            for (j, e) in singles.iter().enumerate() {
                assert_eq!(
                    e,
                    &evaluate(&problem, &[j as u32]).unwrap(),
                    "{objective:?} {j}"
                );
            }
        }
    }

    #[test]
    fn exact_bounds_heuristic_on_medium_instances() {
        // 300 pupils, 40 candidates: too many subsets to enumerate, fine for the MIP.
        let mut worst = 0.0f64;
        for (seed, objective) in OBJECTIVES.into_iter().enumerate() {
            let problem = medium_problem(seed as u64 + 10, objective);
            let path = optimise(&problem, 4, &HeuristicOptions::default()).unwrap();
            for k in 1..=4 {
                let exact = solve_exact(&problem, k).unwrap();
                assert_eq!(exact.evaluation, evaluate(&problem, &exact.sites).unwrap());
                let h = &path.per_k[k - 1];
                let (hs, es) = (
                    score_of(objective, &h.evaluation),
                    score_of(objective, &exact.evaluation),
                );
                assert!(
                    hs <= es,
                    "{objective:?} k {k}: heuristic {hs:?} beats exact {es:?}"
                );
                let g = gap(objective, &h.evaluation, &exact.evaluation, &path.baseline);
                assert!(
                    g.relative <= 1.0 - (-1.0f64).exp(),
                    "{objective:?} k {k}: {g:?}"
                );
                worst = worst.max(g.relative);
            }
        }
        eprintln!("siting medium instances: worst relative gap {worst:.4}");
    }

    #[test]
    fn site_use_respects_places_and_moves_respect_capacity() {
        let problem = medium_problem(7, Objective::ReturnMost);
        let e = evaluate(&problem, &[3, 9, 27]).unwrap();
        let mut load_existing = vec![0u32; problem.existing_spare.len()];
        let mut load_site = std::collections::BTreeMap::new();
        for m in &e.moves {
            assert!(
                problem.pupils[m.pupil as usize].out_of_area,
                "in-area pupil {} moved",
                m.pupil
            );
            let (list, target) = match m.to {
                Destination::Existing(x) => {
                    load_existing[x as usize] += 1;
                    (&problem.existing_arcs, x)
                }
                Destination::Candidate(x) => {
                    *load_site.entry(x).or_insert(0u32) += 1;
                    (&problem.candidate_arcs, x)
                }
            };
            let cost = list
                .iter()
                .filter(|a| a.pupil == m.pupil && a.target == target)
                .map(|a| a.cost_cmin)
                .min();
            assert_eq!(cost, Some(m.cost_cmin), "pupil {}", m.pupil);
        }
        for (x, &l) in load_existing.iter().enumerate() {
            assert!(l <= problem.existing_spare[x], "existing {x}");
        }
        for u in &e.site_use {
            assert!(u.used <= u.places);
            assert_eq!(load_site.get(&u.candidate).copied().unwrap_or(0), u.used);
        }
        assert_eq!(e.returned, e.moves.len());
    }

    #[test]
    fn cut_travel_never_lengthens_a_journey() {
        let problem = medium_problem(
            3,
            Objective::CutTravel {
                movers: Movers::AnyPupil,
            },
        );
        let e = evaluate(&problem, &[0, 1, 2, 3]).unwrap();
        assert!(e
            .moves
            .iter()
            .any(|m| !problem.pupils[m.pupil as usize].out_of_area));
        for m in &e.moves {
            assert!(m.cost_cmin < problem.pupils[m.pupil as usize].current_cost_cmin);
        }
        assert_eq!(e.total_cost_cmin + e.saved_cost_cmin, e.baseline_cost_cmin);
        assert!(e.saved_cost_cmin > 0);
    }

    #[test]
    fn invalid_input_names_the_field() {
        let mut problem = hand_built(Objective::ReturnMost);
        problem.candidate_arcs[3].target = 9;
        assert_eq!(
            evaluate(&problem, &[]).unwrap_err().to_string(),
            "candidate_arcs[3]: field `target` = 9 is out of range (3 targets)"
        );
        let mut problem = hand_built(Objective::ReturnMost);
        problem.existing_arcs[1].pupil = 5;
        assert!(matches!(
            optimise(&problem, 1, &HeuristicOptions::default()),
            Err(SitingError::ArcPupil {
                list: "existing_arcs",
                index: 1,
                pupil: 5,
                count: 5
            })
        ));
        let mut problem = hand_built(Objective::ReturnMost);
        problem.pupils[2].current_cost_cmin = -1;
        assert!(matches!(
            evaluate(&problem, &[]),
            Err(SitingError::Cost {
                list: "pupils",
                index: 2,
                ..
            })
        ));
        let problem = hand_built(Objective::ReturnMost);
        assert_eq!(
            evaluate(&problem, &[1, 1]),
            Err(SitingError::DuplicateSite { index: 1, site: 1 })
        );
        assert!(matches!(
            evaluate(&problem, &[3]),
            Err(SitingError::Site { site: 3, .. })
        ));
        assert!(matches!(
            optimise(&problem, 4, &HeuristicOptions::default()),
            Err(SitingError::K { k: 4, count: 3 })
        ));
        assert!(matches!(
            solve_exact(&problem, 0),
            Err(SitingError::K { k: 0, .. })
        ));
    }

    #[test]
    fn sites_nobody_can_reach_add_nothing() {
        let mut problem = hand_built(Objective::ReturnMost);
        problem.candidates.push(CandidateSite { places: 10 });
        let lonely = evaluate(&problem, &[3]).unwrap();
        assert_eq!(lonely.returned, evaluate(&problem, &[]).unwrap().returned);
        assert_eq!(lonely.site_use[0].used, 0);
        let path = optimise(&problem, 4, &HeuristicOptions::default()).unwrap();
        assert_eq!(path.per_k[3].sites, vec![0, 1, 2, 3]);
        assert_eq!(path.per_k[3].evaluation.returned, 4);
    }
}
