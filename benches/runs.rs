//! Criterion bench for shared transport runs (`nearhome::analyse::runs`).
//!
//! A synthetic special school with 150 pupils on council vehicles, homes uniform in a 24 km
//! square around it, road factor 1.3 on the straight line at 30 km/h, 15 % travelling in a
//! wheelchair, 30 % with an escort, half primary (45 min) and half secondary (75 min), the
//! default fleet. Cases: the whole plan at 50 search iterations a pupil (`plan_school`) and,
//! as the baseline in the same run, the nearest-first grouping alone (`greedy`). Outside the
//! timed loop the bench asserts that the plan is never dearer than greedy.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use nearhome::analyse::runs::greedy::nearest_first;
use nearhome::analyse::runs::plan_school;
use nearhome::analyse::runs::problem::{Pricing, Problem, Rider};
use nearhome::analyse::runs::search::Limits;
use nearhome::model::fleet::FleetConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Pupils at the school.
const N: usize = 150;

fn school(seed: u64) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pts: Vec<(f64, f64)> = (0..N)
        .map(|_| (rng.random_range(-12.0..12.0), rng.random_range(-12.0..12.0)))
        .chain([(0.0, 0.0)])
        .collect();
    let riders = (0..N)
        .map(|i| Rider {
            pupil: i,
            wheelchair: rng.random_bool(0.15),
            escort: rng.random_bool(0.3),
            solo: false,
            limit_s: if rng.random_bool(0.5) { 2700.0 } else { 4500.0 },
            board_s: 60.0,
        })
        .collect();
    let n = N + 1;
    let km = |i: usize| {
        let (a, b) = (pts[i / n], pts[i % n]);
        1.3 * (a.0 - b.0).hypot(a.1 - b.1)
    };
    let secs: Vec<Option<f64>> = (0..n * n).map(|i| Some(km(i) * 120.0)).collect();
    let metres: Vec<Option<f64>> = (0..n * n).map(|i| Some(km(i) * 1000.0)).collect();
    Problem::new(riders, Pricing::of(&FleetConfig::default()), &secs, &metres)
}

fn bench_runs(c: &mut Criterion) {
    let p = school(2026);
    let limits = Limits {
        iterations: 50 * N as u64,
        deadline: None,
    };
    let all: Vec<usize> = (0..N).collect();
    let plan = plan_school(&p, 0, limits, 1);
    let greedy: f64 = nearest_first(&p, &all)
        .iter()
        .map(|r| p.evaluate(r).gbp_per_day)
        .sum();
    assert!(
        plan.gbp_per_day() <= greedy + 1e-6,
        "greedy beat the search"
    );
    let mut group = c.benchmark_group("runs_150_pupils");
    group.sample_size(10);
    group.bench_function("plan_school_50_iterations_a_pupil", |b| {
        b.iter(|| {
            let s = plan_school(black_box(&p), 0, limits, 1);
            assert!((s.gbp_per_day() - plan.gbp_per_day()).abs() < 1e-9);
            s
        })
    });
    group.bench_function("greedy_nearest_first", |b| {
        b.iter(|| {
            let runs = nearest_first(black_box(&p), &all);
            assert!(!runs.is_empty());
            runs
        })
    });
    group.finish();
}

criterion_group!(benches, bench_runs);
criterion_main!(benches);
