//! Placement analysis bench: a synthetic 12,000-pupil, 150-provision scenario on the Isle of
//! Man graph (pupils from `synth`, see `nearhome::benchkit`). Split: the whole analysis
//! (snapping, routing, alternatives, assignment), the assignment alone, and the outputs; plus
//! a naive baseline of one point-to-point search per (pupil, provision) pair on a sample.
//!
//! Run: `cargo bench --bench analysis`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use nearhome::analyse::assign::{solve_optimal, Arc, Problem};
use nearhome::analyse::placement::{analyse, centiminutes, Inputs, Params};
use nearhome::benchkit::synthetic_scenario;
use nearhome::load::network::network_from_pbf;
use nearhome::load::scenario::ValidationReport;
use nearhome::model::ids::{ProvisionIdx, PupilIdx};
use nearhome::query::route::Metric;

const PBF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/osm/isle-of-man_2019-09-05.osm.pbf"
);

fn benches(c: &mut Criterion) {
    let bytes = std::fs::read(PBF).expect("the Isle of Man extract is shipped in osm/");
    let net = network_from_pbf(&bytes, PBF).expect("extract builds");
    let sc = synthetic_scenario(&net, 12_000, 42).expect("synthetic scenario");
    assert_eq!(sc.pupils.len(), 12_000);
    let params = Params::default();
    let in_area = |p| sc.in_area(p);
    let inputs = Inputs {
        network: Some(&net),
        provisions: &sc.provisions,
        pupils: &sc.pupils,
        in_area: &in_area,
        params: &params,
        calibration: None,
    };
    let reference = analyse(&inputs);
    let moved = reference.optimal.moved;
    assert!(moved > 0, "the bench scenario has bring-back moves");

    let mut g = c.benchmark_group("analysis");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("analyse_12000_pupils_150_provisions", |b| {
        b.iter(|| {
            let a = analyse(black_box(&inputs));
            assert_eq!(a.optimal.moved, moved);
            a.candidates.len()
        })
    });
    let problem = Problem {
        n_pupils: sc.pupils.len(),
        capacity: sc
            .provisions
            .iter()
            .map(|p| p.spare_places().unwrap_or(0))
            .collect(),
        arcs: reference
            .candidates
            .iter()
            .filter(|c| c.within_threshold)
            .map(|c| Arc {
                pupil: c.pupil.index() as u32,
                provision: c.provision.index() as u32,
                cost: centiminutes(c.trip.minutes),
            })
            .collect(),
    };
    g.bench_function("assignment_only", |b| {
        b.iter(|| {
            let s = solve_optimal(black_box(&problem));
            assert_eq!(s.moved, moved);
            s.total_cost
        })
    });
    // Outputs: build a scenario around the same data and write every file (no geometry).
    let scenario = sc.to_scenario(&net);
    let prepared =
        nearhome::app::analyse_loaded(scenario, ValidationReport::default(), net.clone());
    assert_eq!(prepared.analysis.optimal.moved, moved);
    let dir = tempfile::tempdir().expect("temp dir");
    g.bench_function("outputs_no_geometry", |b| {
        b.iter(|| {
            nearhome::output::report::write_all(
                &prepared,
                &prepared.report,
                dir.path(),
                false,
                vec![],
            )
            .expect("outputs written")
            .len()
        })
    });
    // Naive baseline: one point-to-point search per (pupil, provision) pair, on the first
    // 20 pupils' pairs (placement + every suitable provision). Scale by pairs for the total.
    let sample: Vec<(PupilIdx, ProvisionIdx)> = reference
        .pupils
        .iter()
        .take(20)
        .flat_map(|r| {
            r.placement
                .into_iter()
                .chain(r.suitable.iter().map(|a| a.provision))
                .map(move |p| (r.pupil, p))
        })
        .collect();
    let total_pairs: usize = reference
        .pupils
        .iter()
        .map(|r| r.suitable.len() + usize::from(r.placement.is_some()))
        .sum();
    eprintln!(
        "naive baseline sample: {} pairs of {} in the whole analysis (scale factor {:.1})",
        sample.len(),
        total_pairs,
        total_pairs as f64 / sample.len().max(1) as f64
    );
    g.bench_function("naive_per_pair_sample", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for &(u, p) in &sample {
                let (Ok(h), Ok(s)) = (
                    net.snap(sc.pupils[u].home, 1000.0),
                    net.snap(sc.provisions[p].location, 1000.0),
                ) else {
                    continue;
                };
                found += usize::from(net.journey(&h, &s, Metric::Time).is_some());
            }
            found
        })
    });
    g.finish();
}

criterion_group!(analysis, benches);
criterion_main!(analysis);
