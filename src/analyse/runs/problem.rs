//! One school's run-planning problem: who rides, the road times and distances between
//! their homes and the school, and the fleet's prices. A run is the pupils in pick-up
//! order; the school follows the last of them.
//!
//! **Times on board.** A pupil's time on board is from leaving their stop to reaching
//! school: the road times of every later leg plus the boarding time of every pupil picked
//! up after them. It must not exceed the pupil's limit (45 or 75 minutes by phase).
//!
//! **Cost of a run** (£ per school day): the cheapest vehicle type that carries its pupils
//! (seats for the ambulant, wheelchair spaces for the others), its `gbp_per_day`, its
//! `gbp_per_mile` for the run's miles twice (the afternoon run is priced as the morning
//! one), and an escort's day when a pupil on it needs one. Miles are from the first stop
//! to school; the drive from the operator's base is not priced.

use crate::model::fleet::FleetConfig;

const METRES_PER_MILE: f64 = 1609.344;
/// Rounding slack for comparisons of sums of seconds.
const EPS: f64 = 1e-6;

/// A pupil to carry, as the planner sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rider {
    /// Index of the pupil in the scenario.
    pub pupil: usize,
    /// Travels in a wheelchair (takes a wheelchair space).
    pub wheelchair: bool,
    /// Needs a passenger assistant on the vehicle.
    pub escort: bool,
    /// Must travel alone.
    pub solo: bool,
    /// Longest time on board, seconds.
    pub limit_s: f64,
    /// Time to board at their stop, seconds.
    pub board_s: f64,
}

/// What a vehicle type costs and carries, in the planner's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    /// Pupil seats.
    pub seats: u32,
    /// Wheelchair spaces.
    pub wheelchair_spaces: u32,
    /// Hire for the day, £.
    pub gbp_per_day: f64,
    /// £ per metre of the morning run (its miles are paid twice a day).
    pub gbp_per_run_metre: f64,
}

/// The fleet's vehicle types (in `[fleet]` order) and the escort's price.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    /// Vehicle types, indexed as in the scenario's `[fleet]`.
    pub vehicles: Vec<Vehicle>,
    /// An escort's day, £.
    pub escort_gbp_per_day: f64,
}

impl Pricing {
    /// The pricing of a scenario's fleet.
    pub fn of(fleet: &FleetConfig) -> Pricing {
        Pricing {
            vehicles: fleet
                .vehicles
                .iter()
                .map(|v| Vehicle {
                    seats: v.seats,
                    wheelchair_spaces: v.wheelchair_spaces,
                    gbp_per_day: v.gbp_per_day,
                    gbp_per_run_metre: 2.0 * v.gbp_per_mile / METRES_PER_MILE,
                })
                .collect(),
            escort_gbp_per_day: fleet.escort_gbp_per_day,
        }
    }

    /// The cheapest vehicle type for `load` over a run of `metres`, and the run's £ a day;
    /// `None` when no type carries the load. Ties go to the type listed first.
    pub fn cheapest(&self, load: Load, metres: f64) -> Option<(usize, f64)> {
        let escort = if load.escort {
            self.escort_gbp_per_day
        } else {
            0.0
        };
        self.vehicles
            .iter()
            .enumerate()
            .filter(|(_, v)| load.ambulant <= v.seats && load.wheelchairs <= v.wheelchair_spaces)
            .map(|(i, v)| (i, v.gbp_per_day + v.gbp_per_run_metre * metres + escort))
            .fold(None, |best: Option<(usize, f64)>, (i, c)| match best {
                Some((_, b)) if b <= c => best,
                _ => Some((i, c)),
            })
    }
}

/// Who is on a vehicle: ambulant pupils, wheelchair users, and whether one needs an escort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    /// Pupils in seats.
    pub ambulant: u32,
    /// Pupils in wheelchair spaces.
    pub wheelchairs: u32,
    /// Some pupil needs an escort.
    pub escort: bool,
}

impl Load {
    /// The load with `r` added.
    pub fn with(self, r: &Rider) -> Load {
        Load {
            ambulant: self.ambulant + u32::from(!r.wheelchair),
            wheelchairs: self.wheelchairs + u32::from(r.wheelchair),
            escort: self.escort || r.escort,
        }
    }

    /// The load of `stops`.
    pub fn of(riders: &[Rider], stops: &[usize]) -> Load {
        stops
            .iter()
            .filter_map(|&s| riders.get(s))
            .fold(Load::default(), |l, r| l.with(r))
    }
}

/// One school's problem. Location `i < n` is rider `i`'s home; location `n` is the school.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The riders.
    pub riders: Vec<Rider>,
    /// The fleet's prices.
    pub pricing: Pricing,
    /// Road `(seconds, metres)`, `(n + 1)²`, row = from, column = to (infinite where
    /// unreachable); kept as pairs so that a look-up of both touches one cache line.
    cells: Vec<(f64, f64)>,
}

/// A run's figures, worked out from the matrix ([`Problem::evaluate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunFigures {
    /// Seconds on board per stop, in pick-up order.
    pub on_board_s: Vec<f64>,
    /// Road seconds and metres from each stop to the next (the last stop's to school).
    pub legs: Vec<(f64, f64)>,
    /// Road metres from the first stop to school.
    pub metres: f64,
    /// Seconds from leaving the first stop to reaching school.
    pub seconds: f64,
    /// Cheapest vehicle type (index into the fleet), or `None` when none carries the load.
    pub vehicle: Option<usize>,
    /// £ a day with that vehicle.
    pub gbp_per_day: f64,
    /// The pupils need an escort.
    pub escort: bool,
}

impl RunFigures {
    /// Every pupil within their limit and a vehicle that carries them.
    pub fn feasible(&self, riders: &[Rider], stops: &[usize]) -> bool {
        self.vehicle.is_some()
            && stops
                .iter()
                .zip(&self.on_board_s)
                .all(|(&s, &t)| riders.get(s).is_some_and(|r| t <= r.limit_s + EPS))
    }
}

impl Problem {
    /// A problem over `riders` with row-major `(n + 1)²` matrices (`None` = unreachable).
    ///
    /// # Panics
    /// Never on data: a matrix of the wrong size is a programming error, caught by a
    /// debug assertion and treated as unreachable in release builds.
    pub fn new(
        riders: Vec<Rider>,
        pricing: Pricing,
        seconds: &[Option<f64>],
        metres: &[Option<f64>],
    ) -> Problem {
        let m = (riders.len() + 1) * (riders.len() + 1);
        debug_assert!(seconds.len() == m && metres.len() == m);
        let at = |v: &[Option<f64>], i: usize| v.get(i).copied().flatten().unwrap_or(f64::INFINITY);
        Problem {
            cells: (0..m).map(|i| (at(seconds, i), at(metres, i))).collect(),
            riders,
            pricing,
        }
    }

    /// Number of riders.
    pub fn len(&self) -> usize {
        self.riders.len()
    }

    /// No rider.
    pub fn is_empty(&self) -> bool {
        self.riders.is_empty()
    }

    /// The school's location index.
    pub fn school(&self) -> usize {
        self.riders.len()
    }

    /// Road seconds and metres from location `a` to `b`.
    pub fn leg(&self, a: usize, b: usize) -> (f64, f64) {
        self.cells[a * (self.riders.len() + 1) + b]
    }

    /// Road seconds from location `a` to `b`.
    pub fn secs(&self, a: usize, b: usize) -> f64 {
        self.leg(a, b).0
    }

    /// Road metres from location `a` to `b`.
    pub fn dist(&self, a: usize, b: usize) -> f64 {
        self.leg(a, b).1
    }

    /// Rider `r` straight to school, seconds.
    pub fn direct_s(&self, r: usize) -> f64 {
        self.secs(r, self.school())
    }

    /// The run's times, miles, vehicle and price.
    pub fn evaluate(&self, stops: &[usize]) -> RunFigures {
        let school = self.school();
        let mut on_board_s = vec![0.0; stops.len()];
        let mut legs = vec![(0.0, 0.0); stops.len()];
        let (mut after, mut metres, mut next) = (0.0, 0.0, school);
        for (k, &s) in stops.iter().enumerate().rev() {
            if next != school {
                after += self.riders[next].board_s;
            }
            legs[k] = self.leg(s, next);
            after += legs[k].0;
            metres += legs[k].1;
            on_board_s[k] = after;
            next = s;
        }
        let load = Load::of(&self.riders, stops);
        let (vehicle, gbp_per_day) = match self.pricing.cheapest(load, metres) {
            Some((v, c)) => (Some(v), c),
            None => (None, f64::INFINITY),
        };
        RunFigures {
            seconds: on_board_s.first().copied().unwrap_or(0.0),
            on_board_s,
            legs,
            metres,
            vehicle,
            gbp_per_day,
            escort: load.escort,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Riders on a line east of a school at 0: rider `i` at `xs[i]` km, 30 km/h (120 s/km).
    pub(crate) fn line(xs: &[f64], riders: Vec<Rider>) -> Problem {
        let pts: Vec<f64> = xs.iter().copied().chain([0.0]).collect();
        let km = |a: usize, b: usize| (pts[a] - pts[b]).abs();
        let n = pts.len();
        let secs: Vec<Option<f64>> = (0..n * n).map(|i| Some(km(i / n, i % n) * 120.0)).collect();
        let dist: Vec<Option<f64>> = (0..n * n)
            .map(|i| Some(km(i / n, i % n) * 1000.0))
            .collect();
        Problem::new(riders, Pricing::of(&FleetConfig::default()), &secs, &dist)
    }

    pub(crate) fn rider(pupil: usize) -> Rider {
        Rider {
            pupil,
            wheelchair: false,
            escort: false,
            solo: false,
            limit_s: 45.0 * 60.0,
            board_s: 60.0,
        }
    }

    #[test]
    fn times_on_board_add_later_legs_and_boardings() {
        let p = line(&[10.0, 6.0, 2.0], (0..3).map(rider).collect());
        let f = p.evaluate(&[0, 1, 2]);
        // rider 2: 2 km; rider 1: 4 km + boarding 2 + 2 km; rider 0: 4 km + board + ...
        assert_eq!(f.on_board_s, vec![1200.0 + 120.0, 720.0 + 60.0, 240.0]);
        assert!((f.metres - 10_000.0).abs() < 1e-9);
        assert_eq!(f.vehicle, Some(0), "three ambulant pupils fit a taxi");
        let miles = 10_000.0 / METRES_PER_MILE;
        assert!((f.gbp_per_day - (30.0 + 2.0 * 2.0 * miles)).abs() < 1e-9);
        assert!(f.feasible(&p.riders, &[0, 1, 2]));
    }

    #[test]
    fn the_cheapest_vehicle_carries_the_load_and_the_escort_is_paid() {
        let pricing = Pricing::of(&FleetConfig::default());
        let five = Load {
            ambulant: 5,
            wheelchairs: 0,
            escort: false,
        };
        assert_eq!(
            pricing.cheapest(five, 0.0).map(|v| v.0),
            Some(2),
            "minibus_8"
        );
        let wc = Load {
            ambulant: 1,
            wheelchairs: 1,
            escort: true,
        };
        let (v, c) = pricing.cheapest(wc, 0.0).expect("a wheelchair taxi");
        assert_eq!((v, c), (1, 45.0 + 70.0));
        let too_many = Load {
            ambulant: 0,
            wheelchairs: 5,
            escort: false,
        };
        assert_eq!(pricing.cheapest(too_many, 0.0), None);
    }
}
