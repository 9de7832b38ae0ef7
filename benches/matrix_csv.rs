//! The matrix CSV writer (`nearhome::output::matrix`) on a synthetic 10,000 × 200 matrix
//! (no routing, so it times the writer alone): every cell a journey of up to 60 km and
//! 1.5 h, or a quarter of the origins unsnappable. The baseline is the one-thread
//! `csv::Writer` with a `format!("{:.3}")` per figure, measured in the same run; the bytes
//! are checked equal outside the timed loop.
//!
//! Run: `cargo bench --bench matrix_csv`. Figures are sampled deterministically (fixed seed).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use nearhome::output::matrix::{matrix_csv, matrix_csv_serial};
use nearhome::query::matrix::Matrix;
use nearhome::query::route::Journey;

/// Origins (rows of the matrix).
const N_ORIGINS: usize = 10_000;
/// Destinations (columns).
const N_DESTS: usize = 200;

/// A matrix with every `unsnappable_every`-th origin's row empty (0: none).
fn synthetic(seed: u64, unsnappable_every: usize) -> (Matrix, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let snapped: Vec<bool> = (0..N_ORIGINS)
        .map(|o| unsnappable_every == 0 || o % unsnappable_every != 0)
        .collect();
    let cells = (0..N_ORIGINS * N_DESTS)
        .map(|i| {
            snapped[i / N_DESTS].then(|| Journey {
                distance_m: rng.random_range(0.0..60_000.0),
                duration_s: rng.random_range(0.0..5_400.0),
            })
        })
        .collect();
    let m = Matrix {
        n_origins: N_ORIGINS,
        n_dests: N_DESTS,
        cells,
    };
    (m, snapped)
}

fn benches(c: &mut Criterion) {
    let o_names: Vec<String> = (0..N_ORIGINS).map(|i| format!("pupil-{i:05}")).collect();
    let d_names: Vec<String> = (0..N_DESTS).map(|i| format!("school {i}")).collect();
    let o: Vec<&str> = o_names.iter().map(String::as_str).collect();
    let d: Vec<&str> = d_names.iter().map(String::as_str).collect();
    let d_snapped = vec![true; N_DESTS];

    let mut g = c.benchmark_group("matrix_csv");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for (name, every) in [("all_journeys", 0), ("quarter_unsnappable", 4)] {
        let (m, o_snapped) = synthetic(7, every);
        let (fast, _) = matrix_csv(&m, &o, &d, &o_snapped, &d_snapped).expect("in memory");
        let serial = matrix_csv_serial(&m, &o, &d).expect("in memory");
        assert!(fast == serial, "{name}: writers disagree");
        g.bench_function(format!("{name}_parallel"), |b| {
            b.iter(|| {
                let (bytes, missing) =
                    matrix_csv(black_box(&m), &o, &d, &o_snapped, &d_snapped).expect("in memory");
                assert_eq!(bytes.len(), serial.len());
                missing
            })
        });
        g.bench_function(format!("{name}_baseline_serial_csv_writer"), |b| {
            b.iter(|| {
                let bytes = matrix_csv_serial(black_box(&m), &o, &d).expect("in memory");
                assert_eq!(bytes.len(), serial.len());
                bytes.len()
            })
        });
    }
    g.finish();
}

criterion_group!(writer, benches);
criterion_main!(writer);
