//! Routing engine benches on the Isle of Man extract: build from PBF, load the cache,
//! snap 10,000 points, a 10,000 x 200 time matrix, and a baseline of petgraph's
//! `algo::dijkstra` (one full search per origin) measured in the same run.
//!
//! Run: `cargo bench --bench route_matrix`. Points are sampled deterministically (fixed seed).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use nearhome::index::snap::Snap;
use nearhome::load::network::{encode_cache, network_from_cache, network_from_pbf};
use nearhome::model::LatLon;
use nearhome::query::matrix::matrix;
use nearhome::query::route::{Metric, Network};

const PBF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/osm/isle-of-man_2019-09-05.osm.pbf"
);

/// Points near the road network: a random geometry point, jittered by up to ~300 m.
fn sample_points(net: &Network, n: usize, seed: u64) -> Vec<LatLon> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pieces = net.graph.pieces().len() as u32;
    (0..n)
        .map(|_| {
            let coords = net.graph.piece_coords(rng.random_range(0..pieces));
            let c = coords[rng.random_range(0..coords.len())];
            LatLon {
                lat: c.lat + rng.random_range(-0.0027..0.0027),
                lon: c.lon + rng.random_range(-0.0045..0.0045),
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let bytes = std::fs::read(PBF).expect("the Isle of Man extract is shipped in osm/");
    let net = network_from_pbf(&bytes, PBF).expect("extract builds");
    let cache = encode_cache(&net).expect("cache encodes");

    let mut g = c.benchmark_group("load");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("build_from_pbf", |b| {
        b.iter(|| network_from_pbf(black_box(&bytes), PBF).expect("builds"))
    });
    g.bench_function("load_cache", |b| {
        b.iter(|| network_from_cache(black_box(&cache), "cache").expect("loads"))
    });
    g.finish();

    let origins = sample_points(&net, 10_000, 1);
    let dests = sample_points(&net, 200, 2);
    let mut g = c.benchmark_group("snap");
    g.sample_size(10);
    g.bench_function("snap_10000", |b| {
        b.iter(|| {
            let n = origins
                .iter()
                .filter(|p| net.snap(**p, 1000.0).is_ok())
                .count();
            assert_eq!(n, 10_000);
            n
        })
    });
    g.finish();

    let so: Vec<Option<Snap>> = origins.iter().map(|p| net.snap(*p, 1000.0).ok()).collect();
    let sd: Vec<Option<Snap>> = dests.iter().map(|p| net.snap(*p, 1000.0).ok()).collect();
    let mut g = c.benchmark_group("matrix");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("matrix_10000x200_time", |b| {
        b.iter(|| {
            let m = matrix(&net, &so, &sd, Metric::Time, None);
            let found = m.cells.iter().filter(|c| c.is_some()).count();
            assert_eq!(
                found,
                10_000 * 200,
                "every pair on one strongly connected graph"
            );
            found
        })
    });
    // Baseline: petgraph's Dijkstra, one full search per origin junction, on 100 origins.
    // Multiply by 100 for the 10,000-origin figure (it has no partial edges, so it is a
    // lower bound on the naive approach's cost).
    let starts: Vec<_> = so
        .iter()
        .take(100)
        .flatten()
        .map(|s| petgraph::graph::NodeIndex::new(net.origin_vertices(s)[0] as usize))
        .collect();
    let pg = net.graph.to_petgraph();
    g.bench_function("baseline_petgraph_dijkstra_100_origins", |b| {
        b.iter(|| {
            let mut reached = 0usize;
            for s in &starts {
                let d = petgraph::algo::dijkstra(&pg, *s, None, |e| e.weight().duration_s);
                reached += d.len();
            }
            assert!(reached >= starts.len());
            reached
        })
    });
    g.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
