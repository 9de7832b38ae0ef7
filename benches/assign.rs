//! Criterion bench for the bring-back assignment (`nearhome::analyse::assign`).
//!
//! A synthetic 2,000-pupil × 150-provision instance: homes and provisions uniform in a
//! 30 km square, each pupil with arcs to its 40 nearest provisions, cost = straight-line
//! distance × 1.3 circuity at 30 km/h, in centiminutes. Two capacity regimes:
//! - `scarce`: 0..=10 spare places per provision (716 in all, fewer than the pupils);
//! - `ample`: 0..=30 spare places (2,152 in all), where greedy strands pupils in dense areas.
//!
//! Each case asserts, outside the timed loop, that the optimum moves `min(pupils, places)`
//! pupils (true for these seeded instances) and never fewer than greedy.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use nearhome::analyse::assign::{solve_greedy, solve_optimal, Arc, Problem, Solver};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Number of pupils in the synthetic instance.
const N_PUPILS: usize = 2_000;
/// Number of provisions in the synthetic instance.
const N_PROVISIONS: usize = 150;
/// Arcs per pupil (its nearest provisions).
const ARCS_PER_PUPIL: usize = 40;

/// The synthetic instance described in the module docs, with capacities `0..=max_places`.
fn instance(seed: u64, max_places: u32) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let point = |rng: &mut ChaCha8Rng| {
        (
            rng.random_range(0.0..30_000.0f64),
            rng.random_range(0.0..30_000.0f64),
        )
    };
    let provisions: Vec<(f64, f64)> = (0..N_PROVISIONS).map(|_| point(&mut rng)).collect();
    let capacity: Vec<u32> = (0..N_PROVISIONS)
        .map(|_| rng.random_range(0..=max_places))
        .collect();
    let mut arcs = Vec::with_capacity(N_PUPILS * ARCS_PER_PUPIL);
    let mut nearest: Vec<(i64, u32)> = Vec::with_capacity(N_PROVISIONS);
    for pupil in 0..N_PUPILS as u32 {
        let home = point(&mut rng);
        nearest.clear();
        nearest.extend(provisions.iter().enumerate().map(|(j, q)| {
            let distance_m = (home.0 - q.0).hypot(home.1 - q.1);
            // 1.3 circuity, 30 km/h = 500 m/min, 100 centiminutes per minute.
            let cost_cmin = (distance_m * 1.3 / 500.0 * 100.0).round() as i64;
            (cost_cmin, j as u32)
        }));
        nearest.sort_unstable();
        arcs.extend(nearest.iter().take(ARCS_PER_PUPIL).map(|&(cost, j)| Arc {
            pupil,
            provision: j,
            cost,
        }));
    }
    Problem {
        n_pupils: N_PUPILS,
        capacity,
        arcs,
    }
}

fn bench_assign(c: &mut Criterion) {
    for (name, max_places) in [("scarce", 10u32), ("ample", 30)] {
        let p = instance(2024, max_places);
        assert!(p.validate().is_ok(), "{name}: invalid instance");
        let places: usize = p.capacity.iter().map(|&c| c as usize).sum();
        let optimal = solve_optimal(&p);
        let greedy = solve_greedy(&p);
        assert_eq!(
            optimal.moved,
            N_PUPILS.min(places),
            "{name}: optimum should fill min(pupils, places)"
        );
        assert!(
            greedy.moved <= optimal.moved,
            "{name}: greedy beat the optimum"
        );
        if greedy.moved == optimal.moved {
            assert!(
                optimal.total_cost <= greedy.total_cost,
                "{name}: greedy cheaper"
            );
        }

        let mut group = c.benchmark_group(format!("assign_2000x150_{name}"));
        group.sample_size(20);
        group.bench_function("solve_optimal", |b| {
            b.iter(|| {
                let s = solve_optimal(black_box(&p));
                assert_eq!(s.moved, optimal.moved);
                s
            })
        });
        let mut solver = Solver::new();
        group.bench_function("solver_reused", |b| {
            b.iter(|| {
                let s = solver.solve(black_box(&p));
                assert_eq!(s.moved, optimal.moved);
                s
            })
        });
        group.bench_function("solve_greedy", |b| {
            b.iter(|| {
                let s = solve_greedy(black_box(&p));
                assert_eq!(s.moved, greedy.moved);
                s
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench_assign);
criterion_main!(benches);
