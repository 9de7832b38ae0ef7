//! City-scale routing benches on the West Midlands stand-in network (2.6 M nodes, 673,144
//! junctions), run only when `NEARHOME_STANDIN` names it: the stand-in PBF, or a `.nhg`
//! cache prepared from it (`nearhome prepare`, which builds the hierarchies). Otherwise it
//! prints that it was skipped. The stand-in is for timings only, never for journey figures.
//!
//! Each group measures the contraction-hierarchy path against today's baseline in the same
//! run: restricted PHAST trees vs Dijkstra trees stopped at the targets (a 2,000 × 20 time
//! matrix, same cells asserted), and bidirectional hierarchy queries vs stopped Dijkstra for
//! 50 point-to-point routes.
//!
//! Run: `NEARHOME_STANDIN=osm/west-midlands-standin.nhg cargo bench --bench city`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use nearhome::index::snap::Snap;
use nearhome::load::network::load_network;
use nearhome::query::matrix::matrix;
use nearhome::query::route::{Hierarchies, Metric, Network};

/// `n` snapped points at random junction neighbourhoods (fixed seed).
fn sample_snaps(net: &Network, n: usize, seed: u64) -> Vec<Option<Snap>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nodes = net.graph.node_count() as u32;
    (0..n)
        .map(|_| {
            let mut p = net.graph.junction(rng.random_range(0..nodes)).pos;
            p.lat += rng.random_range(-0.001..0.001);
            p.lon += rng.random_range(-0.0015..0.0015);
            net.snap(p, 1000.0).ok()
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let Some(path) = std::env::var_os("NEARHOME_STANDIN") else {
        println!("city benches skipped: set NEARHOME_STANDIN to the stand-in PBF or its .nhg");
        return;
    };
    let mut ch = load_network(Path::new(&path)).expect("NEARHOME_STANDIN loads");
    if ch.hierarchies.time.is_none() {
        let h = Hierarchies::build(&ch.graph, &|_, _, _| {});
        ch = ch.with_hierarchies(h);
    }
    let mut plain = ch.clone();
    plain.hierarchies = Hierarchies::default();

    let origins = sample_snaps(&ch, 2_000, 1);
    let dests = sample_snaps(&ch, 20, 2);
    let want = matrix(&plain, &origins, &dests, Metric::Time, None);
    assert_eq!(matrix(&ch, &origins, &dests, Metric::Time, None), want);

    let mut g = c.benchmark_group("city_matrix_2000x20");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("baseline_dijkstra_trees", |b| {
        b.iter(|| {
            let m = matrix(black_box(&plain), &origins, &dests, Metric::Time, None);
            assert_eq!(m.cells.len(), want.cells.len());
        })
    });
    g.bench_function("phast_trees", |b| {
        b.iter(|| {
            let m = matrix(black_box(&ch), &origins, &dests, Metric::Time, None);
            assert_eq!(m.cells.len(), want.cells.len());
        })
    });
    g.finish();

    let pairs: Vec<(Snap, Snap)> = origins
        .iter()
        .zip(origins.iter().skip(1000))
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .take(50)
        .collect();
    let mut g = c.benchmark_group("city_routes_50");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("baseline_dijkstra_stopped", |b| {
        b.iter(|| {
            for (o, d) in &pairs {
                assert!(plain.route(o, d, Metric::Time).is_some());
            }
        })
    });
    g.bench_function("hierarchy_bidirectional", |b| {
        b.iter(|| {
            for (o, d) in &pairs {
                assert!(ch.route(o, d, Metric::Time).is_some());
            }
        })
    });
    g.finish();
}

criterion_group!(city, benches);
criterion_main!(city);
