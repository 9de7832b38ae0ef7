//! Deterministic synthetic pupils calibrated to DfE SEN2 statistics.
//!
//! [`generate`] draws a synthetic cohort of pupils with EHC plans for one authority. It is
//! pure (no I/O, no clock, no global state): the same [`SynthConfig`], provisions, home
//! points and boundary test always give the same pupils, byte for byte. Randomness comes
//! from a [`ChaCha8Rng`] seeded with [`SynthConfig::seed`].
//!
//! The method (also in `docs/synth.md`):
//! 1. **Counts.** The pupils to generate are split over the placement groups
//!    ([`PlacementGroup`]) by largest-remainder apportionment of the SEN2 placement counts,
//!    then each group over primary needs by its SEN2 need mix (the SEN2 "type of placement ×
//!    primary need" table), then over ages by its SEN2 age mix restricted to
//!    [`SynthConfig::age_min`]..=[`SynthConfig::age_max`] and to ages some provision of the
//!    group accepts. With the default total every count equals SEN2 exactly. The
//!    `elsewhere` group (educated elsewhere, early years, placement not recorded) is split
//!    over its placement statuses ([`PlacementStatus`]: home educated, awaiting provision,
//!    …) by SEN2's columns, each status over needs and its own SEN2 ages: these pupils have
//!    a home and no placement ([`SynthUnplaced`]), so the cohort is every EHC plan.
//! 2. **Homes** are drawn uniformly from the candidate home points that lie in the area
//!    (postcode centroids or points on residential roads).
//! 3. **Placement.** Pupils of scarcer needs are placed first. Each takes an age from its
//!    group's age pool (the first one, in a shuffled order, for which a suitable provision
//!    still has room), then a provision among the suitable ones with room, with probability
//!    proportional to `exp(-d / λ)`, `d` the great-circle distance from home and `λ` the
//!    group's decay length ([`DecayLengths`]). Independent and non-maintained placements
//!    only go to provisions outside the area, so the out-of-area independent share equals
//!    SEN2's. A provision never takes more pupils than its capacity (unknown capacity:
//!    no limit); in-area special schools and resource bases keep
//!    [`SynthConfig::in_area_spare_fraction`] of their places free when they can, so that
//!    bring-back has somewhere to go.
//! 4. **Transport** follows a simple documented rule ([`transport_for`]).
//! 5. Pupils, placed and not, are shuffled together and given pseudonymous ids `P000001`,
//!    `P000002`, …
//!
//! The SEN2 targets ([`Sen2Targets`]) are read by `crate::load::sen2` (the shipped
//! `fixtures/sen2/targets.csv` is embedded there); the pupils CSV and calibration table
//! writers are `crate::output::synth`. This module does no I/O and must not import
//! `crate::load`, `crate::output`, `crate::serve` or `crate::app`.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::phase::{Phase, PRIMARY_MAX_AGE};
use crate::model::sen2::{PlacementGroup, Sen2Targets};
use crate::model::status::{PlacementStatus, UnplacedPupil};
use crate::model::{
    LatLon, Need, Provision, ProvisionKind, Pupil, Transport, TravelNeeds, AGE_RANGE,
};

/// Statutory walking distance for pupils under 8, metres (2 miles).
pub const WALK_UNDER_8_M: f64 = 3_218.69;

/// Statutory walking distance for pupils aged 8 and over, metres (3 miles).
pub const WALK_8_AND_OVER_M: f64 = 4_828.03;

/// Why synthetic pupils could not be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    /// No candidate home point lies inside the area.
    #[error("none of the {candidates} candidate home points lies inside the area")]
    NoHomes {
        /// How many candidates were offered.
        candidates: usize,
    },
    /// Pupils of a group and need must be generated but no provision could ever take them.
    #[error(
        "{count} {group} pupil(s) with need {need} to place, but no {kinds} provision{where_} lists {need} for ages {age_min}-{age_max}"
    )]
    NoSuitableProvision {
        /// The placement group.
        group: PlacementGroup,
        /// The need.
        need: Need,
        /// Pupils to place.
        count: u32,
        /// The provision kinds the group uses.
        kinds: String,
        /// " outside the area" for the independent group, else empty.
        where_: &'static str,
        /// Youngest age generated.
        age_min: u8,
        /// Oldest age generated.
        age_max: u8,
    },
    /// Every suitable provision is full.
    #[error(
        "no room left for a {group} pupil with need {need}: every suitable provision is at capacity (add places or raise capacities)"
    )]
    NoPlaceLeft {
        /// The placement group.
        group: PlacementGroup,
        /// The need.
        need: Need,
    },
    /// A setting of [`SynthConfig`] is unusable.
    #[error("invalid synth setting: {0}")]
    Config(String),
}

/// Distance-decay lengths `λ` (metres) per placement group: a provision `d` metres from
/// home is chosen with weight `exp(-d / λ)` among the suitable ones with room.
#[derive(Debug, Clone, PartialEq)]
pub struct DecayLengths {
    /// Mainstream schools (default 1,500 m: most children go to a school near home).
    pub mainstream_m: f64,
    /// Resource bases (default 4,000 m).
    pub resourced_m: f64,
    /// Maintained and academy special schools (default 5,000 m).
    pub special_m: f64,
    /// Independent and non-maintained special schools (default 25,000 m).
    pub independent_m: f64,
    /// Post-16 colleges (default 5,000 m).
    pub post16_m: f64,
    /// Alternative provision (default 4,000 m).
    pub ap_m: f64,
}

impl Default for DecayLengths {
    fn default() -> Self {
        Self {
            mainstream_m: 1_500.0,
            resourced_m: 4_000.0,
            special_m: 5_000.0,
            independent_m: 25_000.0,
            post16_m: 5_000.0,
            ap_m: 4_000.0,
        }
    }
}

impl DecayLengths {
    /// The decay length of `group` in metres (`Elsewhere` uses the mainstream length).
    pub fn for_group(&self, group: PlacementGroup) -> f64 {
        match group {
            PlacementGroup::Mainstream | PlacementGroup::Elsewhere => self.mainstream_m,
            PlacementGroup::Resourced => self.resourced_m,
            PlacementGroup::Special => self.special_m,
            PlacementGroup::Independent => self.independent_m,
            PlacementGroup::Post16 => self.post16_m,
            PlacementGroup::Ap => self.ap_m,
        }
    }
}

/// Settings of [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Seed of the random generator; the same seed gives the same pupils.
    pub seed: u64,
    /// SEN2 counts to calibrate to.
    pub targets: Sen2Targets,
    /// EHC plans to generate (placed or not); `None` means the SEN2 total (then every
    /// count equals SEN2 exactly). Other totals scale every count proportionally.
    pub total_pupils: Option<u32>,
    /// Youngest age generated (default 4, Reception).
    pub age_min: u8,
    /// Oldest age generated (default 18).
    pub age_max: u8,
    /// Distance-decay lengths per group.
    pub decay: DecayLengths,
    /// Share of the places of each in-area special school and resource base kept free when
    /// possible (default 0.02, rounded up to whole places), so bring-back has room.
    pub in_area_spare_fraction: f64,
}

impl SynthConfig {
    /// Default settings for `targets` and `seed`.
    pub fn new(targets: Sen2Targets, seed: u64) -> Self {
        Self {
            seed,
            targets,
            total_pupils: None,
            age_min: 4,
            age_max: 18,
            decay: DecayLengths::default(),
            in_area_spare_fraction: 0.02,
        }
    }
}

/// One generated pupil with the facts behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthPupil {
    /// The pupil (`line` is 0; `transport` set by [`transport_for`]; no transport cost).
    pub pupil: Pupil,
    /// Index of the home in the `homes` slice given to [`generate`] (to write a postcode).
    pub home_index: usize,
    /// Placement group drawn for the pupil.
    pub group: PlacementGroup,
    /// Index of the placement in the `provisions` slice given to [`generate`].
    pub provision_index: usize,
    /// Great-circle distance from home to placement, metres.
    pub distance_m: f64,
    /// True when the placement lies outside the area.
    pub out_of_area: bool,
}

/// One generated pupil with no school placement (SEN2's `elsewhere` group).
#[derive(Debug, Clone, PartialEq)]
pub struct SynthUnplaced {
    /// The pupil (`line` is 0).
    pub pupil: UnplacedPupil,
    /// Index of the home in the `homes` slice given to [`generate`].
    pub home_index: usize,
}

/// One row of the calibration table: a SEN2 figure, what the generator aimed for and got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationRow {
    /// Measure name, as in `targets.csv` (plus `age_band.*` and `out_of_area.*`).
    pub measure: String,
    /// The SEN2 2024/25 figure, when SEN2 has one.
    pub sen2: Option<u32>,
    /// Part of the generated figure with no journey (pupils without a school placement):
    /// counted in demand, left out of journey statistics.
    pub excluded: u32,
    /// The count aimed for (the SEN2 figure, scaled when a total is set); `None` for
    /// information rows with no target.
    pub target: Option<u32>,
    /// The count generated.
    pub generated: u32,
    /// True when [`generate`] guarantees `generated == target` (totals, needs, groups,
    /// group × need, out-of-area independent). Age bands are aimed at but may deviate when
    /// the provisions' age ranges and designations cannot take the SEN2 age mix (see
    /// [`SynthOutput::re_aged`]).
    pub exact: bool,
    /// Plain-English note.
    pub note: String,
}

impl CalibrationRow {
    /// True when the target, if any, was met exactly (information rows count as met).
    pub fn is_met(&self) -> bool {
        self.target.is_none_or(|t| t == self.generated)
    }
}

/// Everything [`generate`] produces.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOutput {
    /// The placed pupils, in id order (`P000001` first).
    pub pupils: Vec<SynthPupil>,
    /// The pupils without a school placement, in id order (ids shared with `pupils`).
    pub unplaced: Vec<SynthUnplaced>,
    /// Target vs generated per category.
    pub calibration: Vec<CalibrationRow>,
    /// Pupils placed at each provision, aligned with the `provisions` slice.
    pub placed: Vec<u32>,
    /// Pupils whose age had to be drawn outside their group's SEN2 age pool because no
    /// suitable provision with room took any age left in it (0 in the shipped scenarios).
    pub re_aged: u32,
    /// Candidate homes inside the area that were eligible.
    pub homes_in_area: usize,
}

impl SynthOutput {
    /// True when every row marked [`CalibrationRow::exact`] is met.
    pub fn is_calibrated(&self) -> bool {
        self.calibration
            .iter()
            .filter(|r| r.exact)
            .all(CalibrationRow::is_met)
    }
}

/// The transport arrangement the generator records for a pupil (a simple, documented rule,
/// not a council policy): mainstream and post-16 pupils within the statutory walking
/// distance (2 miles under 8, 3 miles from 8) get `none`; beyond it, a public transport
/// pass from secondary age (Year 7, 11 at 31 August; always for post-16), a taxi for
/// primary pupils; resource bases and
/// alternative provision: taxi; maintained special schools: minibus; independent and
/// non-maintained special schools: taxi.
pub fn transport_for(group: PlacementGroup, age: u8, distance_m: f64) -> Transport {
    let walk_m = if age < 8 {
        WALK_UNDER_8_M
    } else {
        WALK_8_AND_OVER_M
    };
    match group {
        PlacementGroup::Mainstream | PlacementGroup::Elsewhere => {
            if distance_m <= walk_m {
                Transport::Walk
            } else if Phase::of_age(age, PRIMARY_MAX_AGE) != Phase::Primary {
                Transport::Public
            } else {
                Transport::Taxi
            }
        }
        PlacementGroup::Post16 => {
            if distance_m <= walk_m {
                Transport::Walk
            } else {
                Transport::Public
            }
        }
        PlacementGroup::Resourced | PlacementGroup::Ap | PlacementGroup::Independent => {
            Transport::Taxi
        }
        PlacementGroup::Special => Transport::Minibus,
    }
}

/// Largest-remainder (Hamilton) apportionment of `total` over `weights`: the shares sum to
/// `total`, each is the floor of its quota or one more, and ties go to the earlier index.
/// All-zero weights share `total` equally (earlier indices first).
pub fn apportion(total: u32, weights: &[u64]) -> Vec<u32> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u64 = weights.iter().sum();
    let weights: Vec<u64> = if sum == 0 {
        vec![1; weights.len()]
    } else {
        weights.to_vec()
    };
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let total_w = u128::from(total);
    let mut shares: Vec<u32> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let q = total_w * u128::from(w);
        // q / sum <= total, which fits in u32
        shares.push(u32::try_from(q / sum).unwrap_or(u32::MAX));
        remainders.push((q % sum, i));
    }
    let given: u32 = shares.iter().sum();
    let mut left = total.saturating_sub(given);
    // largest remainder first; ties to the earlier index
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in &remainders {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

/// How much of a provision is still free for the generator.
#[derive(Debug, Clone, Copy)]
struct Room {
    /// Places the generator may fill before touching the kept-free reserve (`None`: no limit).
    soft: Option<u32>,
    /// Places it may fill at most (`None`: no limit).
    hard: Option<u32>,
    placed: u32,
}

impl Room {
    fn has_room(&self, use_reserve: bool) -> bool {
        let cap = if use_reserve { self.hard } else { self.soft };
        cap.is_none_or(|c| self.placed < c)
    }
}

/// The placements made so far, for moving pupils to make room.
struct Placed<'a> {
    provisions: &'a [Provision],
    prov_in_area: &'a [bool],
    rooms: &'a mut [Room],
    at: &'a mut [Vec<usize>],
    pupils: &'a mut [SynthPupil],
}

impl Placed<'_> {
    /// Frees a place (up to capacity) at an `eligible` provision suiting `need` and `age`
    /// by moving already placed pupils, each to another eligible provision that suits
    /// them, along the shortest chain ending at a provision with room (breadth-first
    /// search for an augmenting path). False when no chain exists.
    fn free_a_place(&mut self, need: Need, age: u8, eligible: &[usize]) -> bool {
        let n = self.provisions.len();
        // parent[y] = (x, pupil moved from x to y)
        let mut parent: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue = std::collections::VecDeque::new();
        for &i in eligible {
            if self.provisions[i].suits(need, age) {
                seen[i] = true;
                queue.push_back(i);
            }
        }
        while let Some(x) = queue.pop_front() {
            for k in 0..self.at[x].len() {
                let q = self.at[x][k];
                let (qn, qa) = (self.pupils[q].pupil.need, self.pupils[q].pupil.age);
                for &y in eligible {
                    if seen[y] || !self.provisions[y].suits(qn, qa) {
                        continue;
                    }
                    if self.rooms[y].has_room(true) {
                        self.move_pupil(q, x, y);
                        let mut cur = x;
                        while let Some((prev, moved)) = parent[cur] {
                            self.move_pupil(moved, prev, cur);
                            cur = prev;
                        }
                        return true;
                    }
                    seen[y] = true;
                    parent[y] = Some((x, q));
                    queue.push_back(y);
                }
            }
        }
        false
    }

    /// Lets the pupil being placed (need `need`) take the age of an already placed pupil `q`
    /// of the group, `q` taking an age still in the pool instead (staying put when its
    /// provision accepts the new age, else moving to one with room that suits it). Keeps
    /// the group's age counts exact. Returns `(pooled age given to q, age taken)`.
    fn swap_age(&mut self, need: Need, pooled: &[u8], eligible: &[usize]) -> Option<(u8, u8)> {
        for &a_p in pooled {
            for &x in eligible {
                for k in 0..self.at[x].len() {
                    let q = self.at[x][k];
                    let (qn, a_q) = (self.pupils[q].pupil.need, self.pupils[q].pupil.age);
                    if a_q == a_p
                        || !eligible
                            .iter()
                            .any(|&i| self.provisions[i].suits(need, a_q))
                    {
                        continue;
                    }
                    let y = if self.provisions[x].suits(qn, a_p) {
                        x
                    } else {
                        let Some(&y) = eligible.iter().find(|&&y| {
                            self.provisions[y].suits(qn, a_p) && self.rooms[y].has_room(true)
                        }) else {
                            continue;
                        };
                        y
                    };
                    self.pupils[q].pupil.age = a_p;
                    if y != x {
                        self.move_pupil(q, x, y);
                    }
                    let fits = eligible.iter().any(|&i| {
                        self.provisions[i].suits(need, a_q) && self.rooms[i].has_room(true)
                    });
                    if fits {
                        let sp = &mut self.pupils[q];
                        sp.pupil.transport = Some(transport_for(sp.group, a_p, sp.distance_m));
                        return Some((a_p, a_q));
                    }
                    // undo (q goes back to the end of `at[x]`: the scan may skip one
                    // candidate, never repeats forever, and stays deterministic)
                    self.pupils[q].pupil.age = a_q;
                    if y != x {
                        self.move_pupil(q, y, x);
                    }
                }
            }
        }
        None
    }

    /// Moves pupil `q` from provision `from` to `to`, updating every derived field.
    fn move_pupil(&mut self, q: usize, from: usize, to: usize) {
        self.at[from].retain(|&p| p != q);
        self.at[to].push(q);
        self.rooms[from].placed -= 1;
        self.rooms[to].placed += 1;
        let sp = &mut self.pupils[q];
        let prov = &self.provisions[to];
        sp.provision_index = to;
        sp.pupil.placement_id = prov.id.clone();
        sp.distance_m = sp.pupil.home.haversine_m(prov.location);
        sp.out_of_area = !self.prov_in_area[to];
        sp.pupil.transport = Some(transport_for(sp.group, sp.pupil.age, sp.distance_m));
    }
}

/// Per-group counts decided before placing anyone.
struct GroupPlan {
    group: PlacementGroup,
    /// Eligible provision indices.
    eligible: Vec<usize>,
    /// Pupils per need (Need::ALL order).
    by_need: Vec<u32>,
    /// Pupils per age (age_min..=age_max).
    by_age: Vec<u32>,
}

/// Generates synthetic pupils; see the module documentation for the method.
///
/// `provisions` are the scenario's provisions, `homes` the candidate home points (only
/// those for which `in_area` is true are used), `in_area` the boundary test of the home
/// authority. Errors when a group cannot be placed (no suitable provision, or every
/// suitable one full) or no home lies in the area.
pub fn generate(
    cfg: &SynthConfig,
    provisions: &[Provision],
    homes: &[LatLon],
    in_area: &dyn Fn(LatLon) -> bool,
) -> Result<SynthOutput, SynthError> {
    check_config(cfg)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);

    let home_idx: Vec<usize> = (0..homes.len()).filter(|&i| in_area(homes[i])).collect();
    if home_idx.is_empty() {
        return Err(SynthError::NoHomes {
            candidates: homes.len(),
        });
    }
    let prov_in_area: Vec<bool> = provisions.iter().map(|p| in_area(p.location)).collect();

    // 1. counts per group, need and age
    let total = cfg.total_pupils.unwrap_or(cfg.targets.ehc_plans);
    let ages: Vec<u8> = (cfg.age_min..=cfg.age_max).collect();
    let group_counts = group_counts(&cfg.targets, total);
    let plans = group_plans(cfg, provisions, &prov_in_area, &ages, &group_counts)?;
    let elsewhere = group_counts
        .iter()
        .find(|(g, _)| *g == PlacementGroup::Elsewhere)
        .map_or(0, |c| c.1);
    let statuses = status_plans(cfg, elsewhere);

    // 2-3. homes, ages, placements
    let mut fill = Filling {
        provisions,
        prov_in_area: &prov_in_area,
        rooms: initial_rooms(provisions, &prov_in_area, cfg.in_area_spare_fraction),
        at: vec![Vec::new(); provisions.len()],
        pupils: Vec::with_capacity(total as usize),
        re_aged: 0,
    };
    for plan in &plans {
        let decay_m = cfg.decay.for_group(plan.group);
        let order = need_order(plan, provisions);
        let mut pool = age_pool(&ages, &plan.by_age, &mut rng);
        for k in order {
            let need = Need::ALL[k];
            for _ in 0..plan.by_need[k] {
                let home_index = home_idx[rng.random_range(0..home_idx.len())];
                let (age, use_reserve) = fill.draw_age(plan, need, &mut pool, &ages, &mut rng)?;
                let draw = Draw {
                    need,
                    age,
                    home_index,
                    home: homes[home_index],
                    use_reserve,
                };
                let (pi, distance_m) = fill.pick_provision(plan, &draw, decay_m, &mut rng);
                fill.record(plan.group, draw, pi, distance_m);
            }
        }
    }
    let Filling {
        rooms,
        mut pupils,
        re_aged,
        ..
    } = fill;
    let mut unplaced = draw_unplaced(&statuses, &home_idx, homes, &mut rng);

    // 5. shuffle and number
    shuffle_and_number(&mut pupils, &mut unplaced, &mut rng);
    draw_travel_needs(&mut pupils, cfg.seed);
    let placed = rooms.iter().map(|r| r.placed).collect();
    let calibration = calibration_rows(cfg, &plans, &statuses, &pupils, &unplaced, total);
    Ok(SynthOutput {
        pupils,
        unplaced,
        calibration,
        placed,
        re_aged,
        homes_in_area: home_idx.len(),
    })
}

/// Refuses unusable settings: an empty age range, a spare fraction outside `0..1`, a
/// decay length that is not a positive number of metres.
fn check_config(cfg: &SynthConfig) -> Result<(), SynthError> {
    if cfg.age_min > cfg.age_max {
        return Err(SynthError::Config(format!(
            "age_min {} is above age_max {}",
            cfg.age_min, cfg.age_max
        )));
    }
    if !(0.0..1.0).contains(&cfg.in_area_spare_fraction) {
        return Err(SynthError::Config(format!(
            "in_area_spare_fraction {} is outside 0..1",
            cfg.in_area_spare_fraction
        )));
    }
    for g in PlacementGroup::ALL.into_iter().filter(|g| g.is_placed()) {
        let l = cfg.decay.for_group(g);
        if !(l.is_finite() && l > 0.0) {
            return Err(SynthError::Config(format!(
                "decay length for {g} must be a positive number of metres, not {l}"
            )));
        }
    }
    Ok(())
}

/// The room at each provision: in-area special schools and resource bases keep
/// `spare_fraction` of their places (rounded up) as a reserve filled last.
fn initial_rooms(
    provisions: &[Provision],
    prov_in_area: &[bool],
    spare_fraction: f64,
) -> Vec<Room> {
    provisions
        .iter()
        .zip(prov_in_area)
        .map(|(p, &inside)| {
            let keep = inside
                && matches!(
                    p.kind,
                    ProvisionKind::SpecialSchool | ProvisionKind::ResourceBase
                );
            let soft = p.capacity.map(|c| {
                if keep {
                    // ceil(c * fraction) places kept free; small float error must not add one
                    let reserve = (f64::from(c) * spare_fraction - 1e-9).ceil();
                    c.saturating_sub(reserve.max(0.0) as u32)
                } else {
                    c
                }
            });
            Room {
                soft,
                hard: p.capacity,
                placed: 0,
            }
        })
        .collect()
}

/// Step 1: `total` plans over every placement group (`elsewhere` included).
fn group_counts(t: &Sen2Targets, total: u32) -> Vec<(PlacementGroup, u32)> {
    let counts = apportion(
        total,
        &PlacementGroup::ALL.map(|g| u64::from(t.placement_count(g))),
    );
    PlacementGroup::ALL.into_iter().zip(counts).collect()
}

/// Each placed group's count over needs and ages (see [`plan_group`]).
fn group_plans(
    cfg: &SynthConfig,
    provisions: &[Provision],
    prov_in_area: &[bool],
    ages: &[u8],
    counts: &[(PlacementGroup, u32)],
) -> Result<Vec<GroupPlan>, SynthError> {
    counts
        .iter()
        .filter(|(g, _)| g.is_placed())
        .map(|&(group, count)| plan_group(cfg, group, count, provisions, prov_in_area, ages))
        .collect()
}

/// One placement status's pupils: counts per need, and per age.
struct StatusPlan {
    status: PlacementStatus,
    /// Pupils per need (Need::ALL order).
    by_need: Vec<u32>,
    /// Pupils per age, indexed by age over [`AGE_RANGE`].
    by_age: Vec<u32>,
}

/// The `elsewhere` group's `count` plans over its placement statuses (SEN2's columns), each
/// over needs and over its SEN2 ages (all of [`AGE_RANGE`]: no provision limits them; a
/// status SEN2 gives no ages for spreads evenly over `age_min..=age_max`).
fn status_plans(cfg: &SynthConfig, count: u32) -> Vec<StatusPlan> {
    let t = &cfg.targets;
    let statuses: Vec<PlacementStatus> = PlacementStatus::without_placement().collect();
    let counts = apportion(
        count,
        &statuses
            .iter()
            .map(|&s| u64::from(t.status_count(s)))
            .collect::<Vec<_>>(),
    );
    statuses
        .into_iter()
        .zip(counts)
        .filter(|(_, c)| *c > 0)
        .map(|(status, c)| {
            let need_weights = Need::ALL.map(|n| u64::from(t.status_need_count(status, n)));
            let mut age_weights: Vec<u64> = AGE_RANGE
                .map(|a| u64::from(t.status_age_count(status, a)))
                .collect();
            if age_weights.iter().all(|&w| w == 0) {
                age_weights = AGE_RANGE
                    .map(|a| u64::from((cfg.age_min..=cfg.age_max).contains(&a)))
                    .collect();
            }
            StatusPlan {
                status,
                by_need: apportion(c, &need_weights),
                by_age: apportion(c, &age_weights),
            }
        })
        .collect()
}

/// Step 3 for the pupils without a placement: each status's needs in turn, each pupil with
/// a home drawn uniformly from the area's candidates and an age from the status's shuffled
/// age pool (which holds exactly one age per pupil).
fn draw_unplaced(
    plans: &[StatusPlan],
    home_idx: &[usize],
    homes: &[LatLon],
    rng: &mut ChaCha8Rng,
) -> Vec<SynthUnplaced> {
    let all_ages: Vec<u8> = AGE_RANGE.collect();
    let mut out = Vec::new();
    for plan in plans {
        let pool = age_pool(&all_ages, &plan.by_age, rng);
        let needs = Need::ALL
            .iter()
            .zip(&plan.by_need)
            .flat_map(|(&n, &c)| std::iter::repeat_n(n, c as usize));
        for (need, age) in needs.zip(pool) {
            let home_index = home_idx[rng.random_range(0..home_idx.len())];
            out.push(SynthUnplaced {
                pupil: UnplacedPupil {
                    id: String::new(),
                    age,
                    need,
                    home: homes[home_index],
                    status: plan.status,
                    line: 0,
                },
                home_index,
            });
        }
    }
    out
}

/// One group's plan: its eligible provisions (independent: outside the area only) and
/// `count` pupils apportioned over needs and over the ages some eligible provision takes.
fn plan_group(
    cfg: &SynthConfig,
    group: PlacementGroup,
    count: u32,
    provisions: &[Provision],
    prov_in_area: &[bool],
    ages: &[u8],
) -> Result<GroupPlan, SynthError> {
    let t = &cfg.targets;
    let eligible: Vec<usize> = (0..provisions.len())
        .filter(|&i| {
            group.kinds().contains(&provisions[i].kind)
                && (group != PlacementGroup::Independent || !prov_in_area[i])
        })
        .collect();
    let by_need = apportion(
        count,
        &Need::ALL.map(|n| u64::from(t.placement_need_count(group, n))),
    );
    check_placeable(cfg, group, &eligible, &by_need, provisions, ages)?;
    let by_age = apportion(count, &age_weights(t, group, &eligible, provisions, ages));
    Ok(GroupPlan {
        group,
        eligible,
        by_need,
        by_age,
    })
}

/// Every need with pupils to place has an eligible provision listing it for some age.
fn check_placeable(
    cfg: &SynthConfig,
    group: PlacementGroup,
    eligible: &[usize],
    by_need: &[u32],
    provisions: &[Provision],
    ages: &[u8],
) -> Result<(), SynthError> {
    let where_ = if group == PlacementGroup::Independent {
        " outside the area"
    } else {
        ""
    };
    let kinds = group
        .kinds()
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join("/");
    for (n, &c) in Need::ALL.iter().zip(by_need) {
        let any = eligible.iter().any(|&i| {
            provisions[i].needs.contains(n) && ages.iter().any(|&a| provisions[i].accepts_age(a))
        });
        if c > 0 && !any {
            return Err(SynthError::NoSuitableProvision {
                group,
                need: *n,
                count: c,
                kinds: kinds.clone(),
                where_,
                age_min: cfg.age_min,
                age_max: cfg.age_max,
            });
        }
    }
    Ok(())
}

/// Weights of `ages` for a group: its SEN2 age counts at ages some eligible provision
/// accepts (SEN2 ages outside them are folded in), or evenly over those ages when SEN2 has
/// none in range.
fn age_weights(
    t: &Sen2Targets,
    group: PlacementGroup,
    eligible: &[usize],
    provisions: &[Provision],
    ages: &[u8],
) -> Vec<u64> {
    let feasible: Vec<bool> = ages
        .iter()
        .map(|&a| eligible.iter().any(|&i| provisions[i].accepts_age(a)))
        .collect();
    let weights: Vec<u64> = ages
        .iter()
        .zip(&feasible)
        .map(|(&a, &ok)| {
            if ok {
                u64::from(t.placement_age_count(group, a))
            } else {
                0
            }
        })
        .collect();
    if weights.iter().all(|&w| w == 0) {
        // no SEN2 ages in range: spread evenly over the feasible ages
        feasible.iter().map(|&ok| u64::from(ok)).collect()
    } else {
        weights
    }
}

/// The needs of a group to place, scarcer first: places listing the need per pupil of that
/// need, then fewer provisions listing it, then `Need::ALL` order. Returns indices into
/// `Need::ALL`.
fn need_order(plan: &GroupPlan, provisions: &[Provision]) -> Vec<usize> {
    let mut order: Vec<(f64, usize, usize)> = Need::ALL
        .iter()
        .enumerate()
        .filter(|(k, _)| plan.by_need[*k] > 0)
        .map(|(k, n)| {
            let mut places = 0.0f64;
            let mut listing = 0usize;
            for &i in &plan.eligible {
                if provisions[i].needs.contains(n) {
                    listing += 1;
                    places += provisions[i].capacity.map_or(f64::INFINITY, f64::from);
                }
            }
            (places / f64::from(plan.by_need[k]), listing, k)
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    order.into_iter().map(|(_, _, k)| k).collect()
}

/// A group's ages to hand out, one per pupil (`by_age[i]` copies of `ages[i]`), shuffled.
fn age_pool(ages: &[u8], by_age: &[u32], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut pool: Vec<u8> = Vec::new();
    for (a, &c) in ages.iter().zip(by_age) {
        pool.extend(std::iter::repeat_n(*a, c as usize));
    }
    pool.shuffle(rng);
    pool
}

/// Shares of pupils on council vehicles needing a wheelchair space, an escort, or to travel
/// alone, by primary need: ILLUSTRATIVE rates (no national statistic publishes them; see
/// `docs/synth.md`), `(wheelchair, escort, solo)`.
pub fn travel_need_rates(need: Need) -> (f64, f64, f64) {
    match need {
        Need::Pmld => (0.60, 0.60, 0.02),
        Need::Pd => (0.35, 0.25, 0.02),
        Need::Msi => (0.20, 0.50, 0.02),
        Need::Sld => (0.10, 0.50, 0.03),
        Need::Semh => (0.00, 0.15, 0.15),
        Need::Asd => (0.01, 0.20, 0.06),
        Need::Vi | Need::Hi => (0.01, 0.10, 0.01),
        _ => (0.01, 0.05, 0.02),
    }
}

/// Step 6: what each pupil on a council vehicle (taxi or minibus) needs of it, drawn by
/// [`travel_need_rates`] from a random stream of its own (so the placements above do not
/// change with the rates), in id order. Under 8s always have an escort. A pupil who must
/// travel alone goes by taxi.
fn draw_travel_needs(pupils: &mut [SynthPupil], seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7472_6176_656c_0001);
    for sp in pupils.iter_mut() {
        let p = &mut sp.pupil;
        // one draw per need, for every pupil, so a pupil's needs do not depend on others'
        let (w, e, s) = travel_need_rates(p.need);
        let (dw, de, ds): (f64, f64, f64) = (rng.random(), rng.random(), rng.random());
        if !p.transport.is_some_and(Transport::is_council_vehicle) {
            continue;
        }
        p.travel = TravelNeeds {
            wheelchair: dw < w,
            escort: de < e || p.age < 8,
            solo: ds < s,
        };
        if p.travel.solo {
            p.transport = Some(Transport::Taxi);
        }
    }
}

/// Step 5: shuffle every pupil, placed or not, number them `P000001`, `P000002`, … and
/// leave each list in id order.
fn shuffle_and_number(
    pupils: &mut [SynthPupil],
    unplaced: &mut [SynthUnplaced],
    rng: &mut ChaCha8Rng,
) {
    let n = pupils.len() + unplaced.len();
    // slot k < pupils.len() is placed pupil k; the others are the unplaced in order
    let mut slots: Vec<usize> = (0..n).collect();
    slots.shuffle(rng);
    let width = n.to_string().len().max(6);
    for (k, &slot) in slots.iter().enumerate() {
        let id = format!("P{:0width$}", k + 1);
        match slot.checked_sub(pupils.len()) {
            None => pupils[slot].pupil.id = id,
            Some(j) => unplaced[j].pupil.id = id,
        }
    }
    // fixed-width ids: text order is numeric order
    pupils.sort_by(|a, b| a.pupil.id.cmp(&b.pupil.id));
    unplaced.sort_by(|a, b| a.pupil.id.cmp(&b.pupil.id));
}

/// One pupil being placed: need, age, home and whether kept-free places may be used.
struct Draw {
    need: Need,
    age: u8,
    home_index: usize,
    home: LatLon,
    use_reserve: bool,
}

/// The provisions being filled: room left, who is placed where, the pupils so far.
struct Filling<'a> {
    provisions: &'a [Provision],
    prov_in_area: &'a [bool],
    rooms: Vec<Room>,
    /// Pupils placed at each provision (indices into `pupils`).
    at: Vec<Vec<usize>>,
    pupils: Vec<SynthPupil>,
    re_aged: u32,
}

impl Filling<'_> {
    fn placed(&mut self) -> Placed<'_> {
        Placed {
            provisions: self.provisions,
            prov_in_area: self.prov_in_area,
            rooms: &mut self.rooms,
            at: &mut self.at,
            pupils: &mut self.pupils,
        }
    }

    fn suits_with_room(&self, plan: &GroupPlan, need: Need, age: u8, use_reserve: bool) -> bool {
        plan.eligible
            .iter()
            .any(|&i| self.provisions[i].suits(need, age) && self.rooms[i].has_room(use_reserve))
    }

    /// The pupil's age, and whether kept-free places may be used: the first pooled age
    /// that a suitable provision with room accepts (without, then with the reserve); else
    /// after moving placed pupils along to make room; else after trading ages with a
    /// placed pupil of the group; else (re-aged) any age a suitable provision takes.
    fn draw_age(
        &mut self,
        plan: &GroupPlan,
        need: Need,
        pool: &mut Vec<u8>,
        ages: &[u8],
        rng: &mut ChaCha8Rng,
    ) -> Result<(u8, bool), SynthError> {
        let mut chosen = self.pooled_with_room(plan, need, pool);
        if chosen.is_none() {
            chosen = self.pooled_after_moves(plan, need, pool);
        }
        if chosen.is_none() {
            chosen = self.pooled_after_age_swap(plan, need, pool);
        }
        match chosen {
            Some((pos, r)) => Ok((pool.swap_remove(pos), r)),
            None => Ok((self.any_age(plan, need, ages, rng)?, true)),
        }
    }

    /// Position in `pool` of the first age a suitable provision with room accepts.
    fn pooled_with_room(&self, plan: &GroupPlan, need: Need, pool: &[u8]) -> Option<(usize, bool)> {
        for use_reserve in [false, true] {
            let mut tried: Vec<u8> = Vec::new();
            for (pos, &age) in pool.iter().enumerate() {
                if tried.contains(&age) {
                    continue;
                }
                if self.suits_with_room(plan, need, age, use_reserve) {
                    return Some((pos, use_reserve));
                }
                tried.push(age);
            }
        }
        None
    }

    /// Every suitable provision is full: move placed pupils along to make room for the
    /// first pooled age that can have one.
    fn pooled_after_moves(
        &mut self,
        plan: &GroupPlan,
        need: Need,
        pool: &[u8],
    ) -> Option<(usize, bool)> {
        let mut tried: Vec<u8> = Vec::new();
        for (pos, &age) in pool.iter().enumerate() {
            if tried.contains(&age) {
                continue;
            }
            tried.push(age);
            if self.placed().free_a_place(need, age, &plan.eligible) {
                return Some((pos, true));
            }
        }
        None
    }

    /// Trade ages with a placed pupil of the group (keeps the age counts).
    fn pooled_after_age_swap(
        &mut self,
        plan: &GroupPlan,
        need: Need,
        pool: &mut [u8],
    ) -> Option<(usize, bool)> {
        let mut pooled: Vec<u8> = Vec::new();
        for &a in pool.iter() {
            if !pooled.contains(&a) {
                pooled.push(a);
            }
        }
        let (given, taken) = self.placed().swap_age(need, &pooled, &plan.eligible)?;
        let pos = pool.iter().position(|&a| a == given)?;
        pool[pos] = taken;
        Some((pos, true))
    }

    /// No pooled age fits: any age a suitable provision with room takes (making room by
    /// moves when none has any), drawn at random; counted in `re_aged`.
    fn any_age(
        &mut self,
        plan: &GroupPlan,
        need: Need,
        ages: &[u8],
        rng: &mut ChaCha8Rng,
    ) -> Result<u8, SynthError> {
        let mut fits: Vec<u8> = ages
            .iter()
            .copied()
            .filter(|&a| self.suits_with_room(plan, need, a, true))
            .collect();
        if fits.is_empty() {
            for &a in ages {
                if self.placed().free_a_place(need, a, &plan.eligible) {
                    fits.push(a);
                    break;
                }
            }
        }
        if fits.is_empty() {
            return Err(SynthError::NoPlaceLeft {
                group: plan.group,
                need,
            });
        }
        self.re_aged += 1;
        Ok(fits[rng.random_range(0..fits.len())])
    }

    /// A suitable eligible provision with room, drawn with weight `exp(-(d - d_min) / λ)`
    /// by great-circle distance `d` from home; returns its index and that distance.
    fn pick_provision(
        &self,
        plan: &GroupPlan,
        draw: &Draw,
        decay_m: f64,
        rng: &mut ChaCha8Rng,
    ) -> (usize, f64) {
        let candidates: Vec<(usize, f64)> = plan
            .eligible
            .iter()
            .copied()
            .filter(|&i| {
                self.provisions[i].suits(draw.need, draw.age)
                    && self.rooms[i].has_room(draw.use_reserve)
            })
            .map(|i| (i, draw.home.haversine_m(self.provisions[i].location)))
            .collect();
        let d_min = candidates.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
        let weights: Vec<f64> = candidates
            .iter()
            .map(|c| (-(c.1 - d_min) / decay_m).exp())
            .collect();
        candidates[weighted_pick(&weights, rng)]
    }

    /// Place the pupil at provision `pi`.
    fn record(&mut self, group: PlacementGroup, draw: Draw, pi: usize, distance_m: f64) {
        self.rooms[pi].placed += 1;
        self.at[pi].push(self.pupils.len());
        self.pupils.push(SynthPupil {
            pupil: Pupil {
                id: String::new(),
                age: draw.age,
                need: draw.need,
                home: draw.home,
                placement_id: self.provisions[pi].id.clone(),
                transport: Some(transport_for(group, draw.age, distance_m)),
                transport_cost_gbp: None,
                travel: TravelNeeds::default(),
                line: 0,
            },
            home_index: draw.home_index,
            group,
            provision_index: pi,
            distance_m,
            out_of_area: !self.prov_in_area[pi],
        });
    }
}

/// Index drawn with probability proportional to `weights` (the last one when rounding
/// leaves the draw past the end).
fn weighted_pick(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let sum: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * sum;
    let mut pick = weights.len() - 1;
    for (j, w) in weights.iter().enumerate() {
        if x < *w {
            pick = j;
            break;
        }
        x -= w;
    }
    pick
}

/// Age bands reported in the calibration table: primary, secondary, post-16.
const AGE_BANDS: [(&str, u8, u8); 3] = [("4-10", 4, 10), ("11-15", 11, 15), ("16-18", 16, 18)];

fn calibration_rows(
    cfg: &SynthConfig,
    plans: &[GroupPlan],
    statuses: &[StatusPlan],
    pupils: &[SynthPupil],
    unplaced: &[SynthUnplaced],
    total: u32,
) -> Vec<CalibrationRow> {
    let t = &cfg.targets;
    let scaled = cfg.total_pupils.is_some_and(|n| n != t.ehc_plans);
    let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let no_journey = as_u32(unplaced.len());
    let mut rows = Vec::new();
    let count =
        |f: &dyn Fn(&SynthPupil) -> bool| -> u32 { as_u32(pupils.iter().filter(|p| f(p)).count()) };
    let count_unplaced = |f: &dyn Fn(&UnplacedPupil) -> bool| -> u32 {
        as_u32(unplaced.iter().filter(|p| f(&p.pupil)).count())
    };
    let scale_note = if scaled {
        format!(" (scaled to {total} pupils)")
    } else {
        String::new()
    };
    rows.push(CalibrationRow {
        measure: "ehc_plans".into(),
        sen2: Some(t.ehc_plans),
        excluded: no_journey,
        target: Some(total),
        generated: as_u32(pupils.len()) + no_journey,
        exact: true,
        note: format!(
            "all EHC plans; {no_journey} educated elsewhere / early years / not recorded have no placement and no journey{scale_note}"
        ),
    });
    for (k, n) in Need::ALL.iter().enumerate() {
        let target: u32 = plans.iter().map(|p| p.by_need[k]).sum::<u32>()
            + statuses.iter().map(|s| s.by_need[k]).sum::<u32>();
        let unplaced_n = count_unplaced(&|p| p.need == *n);
        rows.push(CalibrationRow {
            measure: format!("need.{n}"),
            sen2: Some(t.need.get(n).copied().unwrap_or(0)),
            excluded: unplaced_n,
            target: Some(target),
            generated: count(&|p| p.pupil.need == *n) + unplaced_n,
            exact: true,
            note: String::new(),
        });
    }
    for g in PlacementGroup::ALL {
        let plan = plans.iter().find(|p| p.group == g);
        let note = match g {
            PlacementGroup::Mainstream => "mainstream without resourced places",
            PlacementGroup::Resourced => "resourced provision and SEN units",
            PlacementGroup::Special => "LA-maintained, academy and free special schools",
            PlacementGroup::Independent => "independent and non-maintained special schools",
            PlacementGroup::Post16 => "further education",
            PlacementGroup::Ap => "alternative provision / PRU",
            PlacementGroup::Elsewhere => {
                "no school placement to travel to: the placement statuses below"
            }
        };
        let (target, generated, excluded) = if g.is_placed() {
            let target = plan.map_or(0, |p| p.by_need.iter().sum());
            (target, count(&|p| p.group == g), 0)
        } else {
            let target = statuses.iter().flat_map(|s| &s.by_need).sum();
            (target, no_journey, no_journey)
        };
        rows.push(CalibrationRow {
            measure: format!("placement.{g}"),
            sen2: Some(t.placement_count(g)),
            excluded,
            target: Some(target),
            generated,
            exact: true,
            note: note.into(),
        });
    }
    for s in PlacementStatus::without_placement() {
        let plan = statuses.iter().find(|p| p.status == s);
        let generated = count_unplaced(&|p| p.status == s);
        let reason = s.no_journey_reason().unwrap_or_default();
        rows.push(CalibrationRow {
            measure: format!("status.{s}"),
            sen2: Some(t.status_count(s)),
            excluded: generated,
            target: Some(plan.map_or(0, |p| p.by_need.iter().sum())),
            generated,
            exact: true,
            note: format!("SEN2 {}: {reason}", s.sen2_columns().join(" + ")),
        });
    }
    for plan in plans {
        for (k, n) in Need::ALL.iter().enumerate() {
            rows.push(CalibrationRow {
                measure: format!("placement_need.{}.{n}", plan.group),
                sen2: Some(t.placement_need_count(plan.group, *n)),
                excluded: 0,
                target: Some(plan.by_need[k]),
                generated: count(&|p| p.group == plan.group && p.pupil.need == *n),
                exact: true,
                note: String::new(),
            });
        }
    }
    for plan in statuses {
        for (k, n) in Need::ALL.iter().enumerate() {
            let generated = count_unplaced(&|p| p.status == plan.status && p.need == *n);
            rows.push(CalibrationRow {
                measure: format!("status_need.{}.{n}", plan.status),
                sen2: Some(t.status_need_count(plan.status, *n)),
                excluded: generated,
                target: Some(plan.by_need[k]),
                generated,
                exact: true,
                note: String::new(),
            });
        }
    }
    for plan in plans {
        for (band, lo, hi) in AGE_BANDS {
            let target: u32 = (cfg.age_min..=cfg.age_max)
                .zip(&plan.by_age)
                .filter(|(a, _)| (lo..=hi).contains(a))
                .map(|(_, &c)| c)
                .sum();
            let sen2: u32 = (lo..=hi)
                .map(|a| t.placement_age_count(plan.group, a))
                .sum();
            rows.push(CalibrationRow {
                measure: format!("age_band.{}.{band}", plan.group),
                sen2: Some(sen2),
                excluded: 0,
                target: Some(target),
                generated: count(&|p| p.group == plan.group && (lo..=hi).contains(&p.pupil.age)),
                exact: false,
                note: "ages outside 4-18 or every provision's range folded in".into(),
            });
        }
    }
    let independent_target = plans
        .iter()
        .find(|p| p.group == PlacementGroup::Independent)
        .map_or(0, |p| p.by_need.iter().sum());
    rows.push(CalibrationRow {
        measure: "out_of_area.independent".into(),
        sen2: Some(t.placement_count(PlacementGroup::Independent)),
        excluded: 0,
        target: Some(independent_target),
        generated: count(&|p| p.group == PlacementGroup::Independent && p.out_of_area),
        exact: true,
        note: "independent + non-maintained special placements outside the area (SEN2 share)"
            .into(),
    });
    for g in PlacementGroup::ALL
        .into_iter()
        .filter(|g| g.is_placed() && *g != PlacementGroup::Independent)
    {
        rows.push(CalibrationRow {
            measure: format!("out_of_area.{g}"),
            sen2: None,
            excluded: 0,
            target: None,
            generated: count(&|p| p.group == g && p.out_of_area),
            exact: false,
            note: "information: placements of this group at provisions outside the area".into(),
        });
    }
    rows.push(CalibrationRow {
        measure: "out_of_area.all".into(),
        sen2: None,
        excluded: 0,
        target: None,
        generated: count(&|p| p.out_of_area),
        exact: false,
        note: "information: all placements outside the area".into(),
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::sen2::tests::targets_csv;
    use crate::load::sen2::{builtin_targets, targets_for};

    fn targets() -> Sen2Targets {
        targets_for(&targets_csv(), "test.csv", "T").unwrap()
    }

    fn prov(
        id: &str,
        kind: ProvisionKind,
        needs: &[Need],
        ages: (u8, u8),
        capacity: Option<u32>,
        at: (f64, f64),
    ) -> Provision {
        Provision {
            id: id.into(),
            name: id.into(),
            kind,
            needs: needs.to_vec(),
            age_min: ages.0,
            age_max: ages.1,
            capacity,
            on_roll: 0,
            annual_cost_gbp: None,
            location: LatLon {
                lat: at.0,
                lon: at.1,
            },
            sector: None,
            line: 0,
        }
    }

    /// The area is lat < 1.0; provisions at lat >= 1.0 are outside.
    fn inside(p: LatLon) -> bool {
        p.lat < 1.0
    }

    fn world() -> (Vec<Provision>, Vec<LatLon>) {
        use Need::{Asd, Semh};
        use ProvisionKind::*;
        let both = [Asd, Semh];
        let provisions = vec![
            prov("M1", Mainstream, &both, (4, 10), None, (0.10, 0.10)),
            prov("M2", Mainstream, &both, (4, 10), None, (0.50, 0.50)),
            prov("M3", Mainstream, &both, (11, 15), None, (0.30, 0.30)),
            prov("RB1", ResourceBase, &[Asd], (4, 10), Some(4), (0.20, 0.20)),
            prov("RB2", ResourceBase, &both, (11, 15), Some(5), (0.40, 0.40)),
            prov("S1", SpecialSchool, &both, (4, 18), Some(6), (0.25, 0.35)),
            prov("S2", SpecialSchool, &[Asd], (11, 18), Some(4), (0.60, 0.10)),
            prov(
                "I1",
                IndependentSpecial,
                &both,
                (7, 18),
                Some(10),
                (1.30, 0.20),
            ),
            // an in-area independent school never receives generated pupils
            prov(
                "I2",
                IndependentSpecial,
                &both,
                (4, 18),
                Some(10),
                (0.45, 0.45),
            ),
            prov("C1", Post16, &both, (16, 25), None, (0.35, 0.15)),
            prov(
                "A1",
                AlternativeProvision,
                &[Semh],
                (11, 15),
                Some(3),
                (0.15, 0.45),
            ),
        ];
        let mut homes = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                homes.push(LatLon {
                    lat: 0.05 * f64::from(i),
                    lon: 0.03 * f64::from(j),
                });
            }
        }
        (provisions, homes)
    }

    fn run(seed: u64) -> SynthOutput {
        let (p, h) = world();
        generate(&SynthConfig::new(targets(), seed), &p, &h, &inside).unwrap()
    }

    #[test]
    fn apportion_is_exact_and_largest_remainder() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[5, 3, 2]), vec![4, 2, 1]);
        assert_eq!(apportion(100, &[50, 30, 20]), vec![50, 30, 20]);
        assert_eq!(apportion(3, &[0, 0]), vec![2, 1]);
        assert_eq!(apportion(0, &[4, 9]), vec![0, 0]);
        assert!(apportion(5, &[]).is_empty());
        // Birmingham's need mix apportioned to its own total reproduces it
        let b = builtin_targets("E08000025").unwrap();
        let w: Vec<u64> = Need::ALL.iter().map(|n| u64::from(b.need[n])).collect();
        let got = apportion(b.ehc_plans, &w);
        assert_eq!(got.iter().map(|&v| u64::from(v)).collect::<Vec<_>>(), w);
        // scaled: sums hold and every share is within one of its quota
        let got = apportion(1000, &w);
        assert_eq!(got.iter().sum::<u32>(), 1000);
        for (g, wi) in got.iter().zip(&w) {
            let quota = 1000.0 * *wi as f64 / f64::from(b.ehc_plans);
            assert!((f64::from(*g) - quota).abs() < 1.0);
        }
    }

    #[test]
    fn same_seed_same_pupils_and_other_seed_differs() {
        let a = run(7);
        let b = run(7);
        assert_eq!(a, b);
        let c = run(8);
        assert_ne!(
            a.pupils.iter().map(|p| &p.pupil).collect::<Vec<_>>(),
            c.pupils.iter().map(|p| &p.pupil).collect::<Vec<_>>()
        );
    }

    #[test]
    fn calibration_counts_equal_targets() {
        for seed in 0..20 {
            let out = run(seed);
            assert!(
                out.is_calibrated(),
                "seed {seed}:\n{}",
                out.calibration_csv()
            );
            assert_eq!(out.pupils.len(), 42);
            // the two educated elsewhere are generated too, without a placement (a targets
            // file without status rows counts them as not recorded)
            assert_eq!(out.unplaced.len(), 2);
            assert!(out
                .unplaced
                .iter()
                .all(|u| u.pupil.status == PlacementStatus::NotRecorded && inside(u.pupil.home)));
            assert_eq!(out.re_aged, 0);
            let row = |m: &str| {
                out.calibration
                    .iter()
                    .find(|r| r.measure == m)
                    .unwrap()
                    .clone()
            };
            assert_eq!(row("ehc_plans").sen2, Some(44));
            assert_eq!(row("ehc_plans").excluded, 2);
            assert_eq!(row("ehc_plans").generated, 44);
            assert_eq!(row("need.ASD").target, Some(27));
            assert_eq!(row("need.ASD").generated, 27);
            assert_eq!(row("need.ASD").excluded, 1);
            assert_eq!(row("need.SEMH").generated, 17);
            assert_eq!(row("placement.special").generated, 8);
            assert_eq!(row("placement.elsewhere").generated, 2);
            assert_eq!(row("status.not_recorded").generated, 2);
            assert_eq!(row("status_need.not_recorded.SEMH").generated, 1);
            assert_eq!(row("placement_need.resourced.SEMH").generated, 2);
            assert_eq!(row("out_of_area.independent").generated, 4);
            // mainstream ages: SEN2 5 at age 10 and 8 at 12 within 4-18; age 3 (2 plans)
            // folded in: 20 pupils over weights 10 and 8
            assert_eq!(row("age_band.mainstream.4-10").target, Some(11));
            assert_eq!(row("age_band.mainstream.11-15").target, Some(9));
            let csv = out.calibration_csv();
            assert!(csv.starts_with("measure,sen2,excluded,target,generated,exact,note\n"));
            // with room to spare every age band is met too
            assert!(out.calibration.iter().all(CalibrationRow::is_met));
            assert!(out
                .calibration_markdown()
                .contains("| placement.special | 8 | 0 | 8 | 8 |"));
        }
    }

    #[test]
    fn no_provision_overfilled_and_spare_places_kept() {
        let (provisions, _) = world();
        for seed in 0..20 {
            let out = run(seed);
            for (p, &n) in provisions.iter().zip(&out.placed) {
                if let Some(c) = p.capacity {
                    assert!(n <= c, "seed {seed}: {} has {n} > {c}", p.id);
                }
            }
            let counted: u32 = out.placed.iter().sum();
            assert_eq!(counted as usize, out.pupils.len());
            // in-area special schools and bases keep a place free when demand allows:
            // 6 resourced pupils into 4 + 5 places, 8 special into 6 + 4
            let free = |id: &str| {
                let i = provisions.iter().position(|p| p.id == id).unwrap();
                provisions[i].capacity.unwrap() - out.placed[i]
            };
            assert!(free("RB1") + free("RB2") >= 2, "seed {seed}");
            assert!(free("S1") + free("S2") >= 2, "seed {seed}");
        }
    }

    #[test]
    fn every_placement_suits_need_age_and_group() {
        let (provisions, homes) = world();
        for seed in 0..20 {
            let out = run(seed);
            let mut ids = std::collections::BTreeSet::new();
            for sp in &out.pupils {
                let p = &sp.pupil;
                let prov = &provisions[sp.provision_index];
                assert_eq!(prov.id, p.placement_id);
                assert!(
                    prov.suits(p.need, p.age),
                    "{} {} {}",
                    prov.id,
                    p.need,
                    p.age
                );
                assert!((4..=18).contains(&p.age));
                assert!(sp.group.kinds().contains(&prov.kind));
                assert_eq!(sp.out_of_area, !inside(prov.location));
                if sp.group == PlacementGroup::Independent {
                    assert!(sp.out_of_area, "independent pupil placed in area");
                }
                assert_eq!(homes[sp.home_index], p.home);
                assert!(inside(p.home));
                assert!((sp.distance_m - p.home.haversine_m(prov.location)).abs() < 1e-6);
                // the rule's mode, except a pupil who must travel alone goes by taxi
                let rule = transport_for(sp.group, p.age, sp.distance_m);
                let want = if p.travel.solo { Transport::Taxi } else { rule };
                assert_eq!(p.transport, Some(want));
                if p.travel != TravelNeeds::default() {
                    assert!(rule.is_council_vehicle(), "needs only on council vehicles");
                }
                if rule.is_council_vehicle() && p.age < 8 {
                    assert!(
                        p.travel.escort,
                        "under 8s on council vehicles have an escort"
                    );
                }
                assert_eq!(p.id.len(), 7);
                assert!(p.id.starts_with('P'));
                assert!(ids.insert(p.id.clone()), "duplicate id {}", p.id);
            }
            let mut all: Vec<&str> = out.pupils.iter().map(|p| p.pupil.id.as_str()).collect();
            all.extend(out.unplaced.iter().map(|u| u.pupil.id.as_str()));
            all.sort_unstable();
            let expected: Vec<String> = (1..=44).map(|k| format!("P{k:06}")).collect();
            assert_eq!(all, expected, "ids are P000001.. over everyone, no gaps");
            for u in &out.unplaced {
                assert!(
                    ids.insert(u.pupil.id.clone()),
                    "duplicate id {}",
                    u.pupil.id
                );
            }
            // the in-area independent school is never used
            assert_eq!(out.placed[8], 0);
        }
    }

    #[test]
    fn nearer_provisions_are_chosen_more_often() {
        // one primary need, two mainstream schools; homes all next to the first school
        let t = "authority,measure,value\nT,ehc_plans,200\nT,need.ASD,200\n\
                 T,placement.mainstream,200\nT,placement_need.mainstream.ASD,200\n\
                 T,placement_age.mainstream.6,200\n";
        let targets = targets_for(t, "t", "T").unwrap();
        let provisions = vec![
            prov(
                "NEAR",
                ProvisionKind::Mainstream,
                &[Need::Asd],
                (4, 10),
                None,
                (0.0, 0.0),
            ),
            prov(
                "FAR",
                ProvisionKind::Mainstream,
                &[Need::Asd],
                (4, 10),
                None,
                (0.0, 0.03),
            ),
        ];
        let homes = vec![LatLon {
            lat: 0.001,
            lon: 0.0,
        }];
        let out = generate(&SynthConfig::new(targets, 1), &provisions, &homes, &|_| {
            true
        })
        .unwrap();
        // 3.3 km apart, decay 1.5 km: P(far) = 1 / (1 + e^2.2) ~ 0.10
        assert!(out.placed[0] > 150, "{:?}", out.placed);
        assert!(out.placed[1] > 0, "{:?}", out.placed);
    }

    #[test]
    fn scaled_totals_keep_the_mix() {
        let (p, h) = world();
        let mut cfg = SynthConfig::new(targets(), 3);
        cfg.total_pupils = Some(22);
        let out = generate(&cfg, &p, &h, &inside).unwrap();
        assert_eq!(out.pupils.len() + out.unplaced.len(), 22);
        assert_eq!(out.unplaced.len(), 1);
        assert!(out.is_calibrated(), "{}", out.calibration_csv());
        let special = out
            .pupils
            .iter()
            .filter(|p| p.group == PlacementGroup::Special)
            .count();
        assert_eq!(special, 4);
    }

    #[test]
    fn clear_errors_when_placement_is_impossible() {
        let (mut p, h) = world();
        let cfg = SynthConfig::new(targets(), 1);
        let e = generate(&cfg, &p, &h, &|_| false).unwrap_err();
        assert_eq!(e, SynthError::NoHomes { candidates: 400 });
        // the only out-of-area independent school moves inside: nowhere to go
        p[7].location = LatLon { lat: 0.5, lon: 0.5 };
        let e = generate(&cfg, &p, &h, &inside).unwrap_err().to_string();
        assert_eq!(
            e,
            "3 independent pupil(s) with need ASD to place, but no independent_special/non_maintained_special provision outside the area lists ASD for ages 4-18"
        );
        // too few special places
        let (mut p, h) = world();
        p[5].capacity = Some(1);
        p[6].capacity = Some(1);
        let e = generate(&cfg, &p, &h, &inside).unwrap_err();
        assert!(
            matches!(
                e,
                SynthError::NoPlaceLeft {
                    group: PlacementGroup::Special,
                    ..
                }
            ),
            "{e}"
        );
        let mut bad = cfg.clone();
        bad.decay.special_m = 0.0;
        assert!(matches!(
            generate(&bad, &p, &h, &inside),
            Err(SynthError::Config(_))
        ));
    }

    #[test]
    fn pupils_csv_with_coordinates_or_postcodes() {
        let out = run(5);
        let text = out.pupils_csv(None).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("id,age,need,lat,lon,placement_id,placement_status,transport,transport_cost_gbp,wheelchair,escort,solo")
        );
        let first = &out.pupils[0];
        let yn = |b: bool| if b { "yes" } else { "no" };
        let t = first.pupil.travel;
        let expected = format!(
            "{},{},{},{:.6},{:.6},{},placed,{},,{},{},{}",
            first.pupil.id,
            first.pupil.age,
            first.pupil.need,
            first.pupil.home.lat,
            first.pupil.home.lon,
            first.pupil.placement_id,
            first.pupil.transport.unwrap(),
            yn(t.wheelchair),
            yn(t.escort),
            yn(t.solo)
        );
        assert!(text.lines().any(|l| l == expected), "{expected} in\n{text}");
        let u = &out.unplaced[0].pupil;
        let unplaced = format!(
            "{},{},{},{:.6},{:.6},,not_recorded,,,no,no,no",
            u.id, u.age, u.need, u.home.lat, u.home.lon
        );
        assert!(text.lines().any(|l| l == unplaced), "{unplaced} in\n{text}");
        let ids: Vec<&str> = text.lines().skip(1).map(|l| &l[..7]).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "rows in id order");
        assert_eq!(text.lines().count(), 45);
        let labels: Vec<String> = (0..400).map(|i| format!("B{i} 1AA")).collect();
        let text = out.pupils_csv(Some(&labels)).unwrap();
        assert!(text.starts_with(
            "id,age,need,postcode,placement_id,placement_status,transport,transport_cost_gbp,wheelchair,escort,solo\n"
        ));
        assert!(text
            .lines()
            .any(|l| l.starts_with(&format!("{},", first.pupil.id))
                && l.contains(&format!(",B{} 1AA,", first.home_index))));
        assert!(matches!(
            out.pupils_csv(Some(&labels[..1])),
            Err(SynthError::Config(_))
        ));
    }

    /// Regenerates a shipped scenario's pupils with seed 2025 as `nearhome synth` does.
    fn regenerate(name: &str) -> (SynthOutput, String) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("fixtures/scenarios").join(name);
        let (scenario, report) =
            crate::model::scenario::Scenario::load(&dir.join("scenario.toml"), None).unwrap();
        assert!(!report.has_errors(), "{report}");
        let la = scenario.config.la_code.clone().unwrap();
        let (homes, labels): (Vec<LatLon>, Option<Vec<String>>) = match &scenario.postcodes {
            Some(table) => {
                let (codes, points) = table.entries().iter().cloned().unzip();
                (points, Some(codes))
            }
            None => {
                let osm = scenario.osm_path();
                let bytes = std::fs::read(&osm).unwrap();
                let net = crate::load::network::network_from_pbf(&bytes, "osm").unwrap();
                (net.graph.residential_points(), None)
            }
        };
        let cfg = SynthConfig::new(builtin_targets(&la).unwrap(), 2025);
        let b = &scenario.boundary;
        let out = generate(&cfg, &scenario.provisions, &homes, &|p| b.contains(p)).unwrap();
        // the shipped on_roll is the generated count (plus The Shires' other pupils)
        for (p, &n) in scenario.provisions.iter().zip(&out.placed) {
            let others = u32::from(p.id == "the-shires") * 17;
            assert_eq!(p.on_roll, n + others, "{name}: on_roll of {}", p.id);
            assert!(
                p.capacity.is_none_or(|c| n <= c),
                "{name}: {} overfilled",
                p.id
            );
        }
        let text = out.pupils_csv(labels.as_deref()).unwrap();
        (out, text)
    }

    /// Every EHC plan is generated: the total, each primary need and each placement status
    /// equal SEN2 2024/25 exactly.
    fn assert_whole_cohort(out: &SynthOutput, la: &str, plans: usize) {
        let t = builtin_targets(la).unwrap();
        assert_eq!(out.pupils.len() + out.unplaced.len(), plans);
        for n in Need::ALL {
            let placed = out.pupils.iter().filter(|p| p.pupil.need == n).count();
            let unplaced = out.unplaced.iter().filter(|u| u.pupil.need == n).count();
            assert_eq!((placed + unplaced) as u32, t.need[&n], "{la} need {n}");
        }
        for s in PlacementStatus::without_placement() {
            let got = out.unplaced.iter().filter(|u| u.pupil.status == s).count();
            assert_eq!(got as u32, t.status_count(s), "{la} status {s}");
        }
    }

    #[test]
    fn shipped_rutland_pupils_are_reproduced_and_calibrated() {
        let (out, text) = regenerate("rutland");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let shipped =
            std::fs::read_to_string(root.join("fixtures/scenarios/rutland/pupils.csv")).unwrap();
        assert!(
            text == shipped,
            "fixtures/scenarios/rutland/pupils.csv is stale"
        );
        assert!(out.is_calibrated());
        assert!(out.calibration.iter().all(CalibrationRow::is_met));
        assert_eq!(out.pupils.len(), 376 - 39);
        assert_whole_cohort(&out, "E06000017", 376);
        let calib =
            std::fs::read_to_string(root.join("fixtures/scenarios/rutland/calibration.csv"))
                .unwrap();
        assert_eq!(calib, out.calibration_csv());
    }

    #[test]
    fn shipped_birmingham_pupils_are_reproduced_and_calibrated() {
        let (out, text) = regenerate("birmingham");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let shipped =
            std::fs::read_to_string(root.join("fixtures/scenarios/birmingham/pupils.csv")).unwrap();
        assert!(
            text == shipped,
            "fixtures/scenarios/birmingham/pupils.csv is stale"
        );
        assert!(out.is_calibrated());
        assert!(out.calibration.iter().all(CalibrationRow::is_met));
        assert_eq!(out.pupils.len(), 12_094 - 1_274);
        assert_whole_cohort(&out, "E08000025", 12_094);
        let awaiting = out
            .unplaced
            .iter()
            .filter(|u| u.pupil.status == PlacementStatus::AwaitingProvision)
            .count();
        assert_eq!(awaiting, 464);
        let out_of_area = out
            .calibration
            .iter()
            .find(|r| r.measure == "out_of_area.independent");
        assert_eq!(out_of_area.map(|r| r.generated), Some(229 + 3));
        let calib =
            std::fs::read_to_string(root.join("fixtures/scenarios/birmingham/calibration.csv"))
                .unwrap();
        assert_eq!(calib, out.calibration_csv());
    }

    #[test]
    fn transport_rule() {
        use PlacementGroup as G;
        assert_eq!(transport_for(G::Mainstream, 6, 3_000.0), Transport::Walk);
        assert_eq!(transport_for(G::Mainstream, 6, 3_300.0), Transport::Taxi);
        assert_eq!(transport_for(G::Mainstream, 9, 4_000.0), Transport::Walk);
        assert_eq!(transport_for(G::Mainstream, 12, 5_000.0), Transport::Public);
        assert_eq!(transport_for(G::Post16, 17, 9_000.0), Transport::Public);
        assert_eq!(transport_for(G::Special, 12, 100.0), Transport::Minibus);
        assert_eq!(transport_for(G::Independent, 12, 100.0), Transport::Taxi);
        assert_eq!(transport_for(G::Resourced, 12, 100.0), Transport::Taxi);
    }
}
