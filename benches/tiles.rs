//! Vector tile benches on the Rutland demo: cutting and encoding the busiest base tiles
//! (`BaseTiles::tile`: Oakham at zoom 14 and 12, the whole county at zoom 10) against, as the
//! baseline in the same run, building the whole-authority GeoJSON base map (`BaseMap::build`,
//! what `/api/basemap` serves and the old map had to fetch before drawing any view). The
//! tile index is built outside the timed loop (once per run in the service); each case
//! asserts the tile is the same bytes as before the loop. Prints the ratio of the baseline's
//! time to each tile's, and their sizes.
//!
//! Run: `cargo bench --bench tiles`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use nearhome::model::LatLon;
use nearhome::output::basemap::BaseMap;
use nearhome::output::tiles::{BaseTiles, TileId};

/// Oakham town centre.
const OAKHAM: LatLon = LatLon {
    lat: 52.6709,
    lon: -0.7270,
};

/// Mean seconds of `f` over `n` runs.
fn mean_s(n: u32, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() / f64::from(n)
}

fn benches(c: &mut Criterion) {
    let scenario =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/rutland/scenario.toml");
    let p = nearhome::app::prepare(&scenario).expect("the Rutland demo prepares");
    let index = BaseTiles::build(&p);
    let cases = [
        ("oakham_z14", TileId::containing(OAKHAM, 14)),
        ("oakham_z12", TileId::containing(OAKHAM, 12)),
        ("county_z10", TileId::containing(OAKHAM, 10)),
    ];
    let want: Vec<Vec<u8>> = cases.iter().map(|(_, t)| index.tile(&p, *t)).collect();
    for ((name, _), bytes) in cases.iter().zip(&want) {
        assert!(bytes.len() > 1000, "{name}: {} bytes", bytes.len());
    }
    let geojson = BaseMap::build(&p);

    let mut g = c.benchmark_group("tiles_rutland");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("baseline_geojson_basemap", |b| {
        b.iter(|| black_box(BaseMap::build(&p)))
    });
    for ((name, t), bytes) in cases.iter().zip(&want) {
        g.bench_function(*name, |b| {
            b.iter(|| {
                let got = index.tile(&p, *t);
                assert_eq!(&got, bytes);
                black_box(got)
            })
        });
    }
    g.finish();

    let base = mean_s(5, || {
        black_box(BaseMap::build(&p));
    });
    println!(
        "baseline: GeoJSON base map {:.1} ms, {} + {} bytes (major + all)",
        base * 1e3,
        geojson.major.len(),
        geojson.all.len()
    );
    for ((name, t), bytes) in cases.iter().zip(&want) {
        let s = mean_s(20, || {
            black_box(index.tile(&p, *t));
        });
        println!(
            "{name}: {:.2} ms, {} bytes; baseline / tile = {:.0}x",
            s * 1e3,
            bytes.len(),
            base / s
        );
    }
}

criterion_group!(group, benches);
criterion_main!(group);
