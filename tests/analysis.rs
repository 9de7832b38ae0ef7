//! The placement analysis on the shipped Rutland demo: golden summary, determinism across
//! thread counts, capacity and reason properties, and the written files re-solved.

use std::path::{Path, PathBuf};

use nearhome::analyse::assign::{solve_optimal, Arc, Problem};
use nearhome::analyse::placement::{analyse, centiminutes, Inputs};
use nearhome::app::Prepared;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rutland() -> &'static Prepared {
    crate::support::rutland_demo()
}

/// Golden `summary.json`: changes only on purpose. To accept a change, run with
/// `NEARHOME_BLESS=1`, then review `git diff fixtures/expected/`.
#[test]
fn rutland_summary_is_golden() {
    let p = rutland();
    let agg = nearhome::output::tables::Aggregates::new(p);
    let bytes = nearhome::output::report::summary_bytes(
        p,
        &p.report,
        &agg,
        nearhome::output::disclosure::Audience::Internal,
    )
    .unwrap();
    let path = root().join("fixtures/expected/rutland_summary.json");
    let text = String::from_utf8(bytes).unwrap();
    if std::env::var_os("NEARHOME_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        panic!(
            "wrote {}: review the diff, then run again without NEARHOME_BLESS",
            path.display()
        );
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        want == text,
        "summary.json differs from {} (run with NEARHOME_BLESS=1 and review the diff)",
        path.display()
    );
}

#[test]
fn same_result_with_one_and_two_threads() {
    let p = rutland();
    let in_area = |q| p.scenario.boundary.contains(q);
    let inputs = Inputs {
        network: &p.network,
        provisions: &p.scenario.provisions,
        pupils: &p.scenario.pupils,
        in_area: &in_area,
        params: &p.params,
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| analyse(&inputs))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, p.analysis);
}

#[test]
fn moves_respect_capacity_threshold_and_every_pupil_is_accounted_for() {
    let p = rutland();
    let a = &p.analysis;
    assert!(a.optimal.moved > 0, "the demo has bring-back moves");
    assert!(a.optimal.moved >= a.greedy.moved);
    let mut used = vec![0u32; p.scenario.provisions.len()];
    for m in &a.moves {
        used[m.to] += 1;
        let r = &a.pupils[m.pupil];
        assert!(r.out_of_area, "only out-of-area pupils move");
        assert!(m.after.minutes <= r.limit_minutes);
        assert!(p
            .scenario
            .boundary
            .contains(p.scenario.provisions[m.to].location));
    }
    for (i, u) in used.iter().enumerate() {
        let spare = p.scenario.provisions[i].spare_places().unwrap_or(0);
        assert!(
            *u <= spare,
            "provision {} over its spare places",
            p.scenario.provisions[i].id
        );
    }
    for r in &a.pupils {
        if r.out_of_area {
            assert!(
                r.moved.is_some() != r.not_moved.is_some(),
                "pupil {}",
                r.pupil
            );
        } else {
            assert!(r.moved.is_none() && r.not_moved.is_none());
        }
        // Unreachable is never 0 minutes.
        if let Some(c) = r.current {
            assert!(c.minutes > 0.0 || c.km == 0.0);
        }
    }
}

/// Re-solve the assignment from the written `candidates.csv` alone: same count and total.
#[test]
fn candidates_csv_re_solves_to_moves_csv() {
    let p = rutland();
    let dir = tempfile::tempdir().unwrap();
    nearhome::output::report::write_all(p, &p.report, dir.path(), true).unwrap();
    let read = |name: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(dir.path().join(name))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect()
    };
    let cands = read("candidates.csv");
    let moves = read("moves.csv");
    let mut pupils: Vec<String> = Vec::new();
    let mut provs: Vec<String> = Vec::new();
    let mut capacity: Vec<u32> = Vec::new();
    let mut arcs = Vec::new();
    let idx = |v: &mut Vec<String>, s: &str| {
        v.iter().position(|x| x == s).unwrap_or_else(|| {
            v.push(s.to_string());
            v.len() - 1
        })
    };
    for r in &cands {
        let u = idx(&mut pupils, &r[0]);
        let j = idx(&mut provs, &r[1]);
        if capacity.len() <= j {
            capacity.push(r[6].parse().unwrap());
        }
        if &r[5] == "true" {
            let minutes: f64 = r[2].parse().unwrap();
            arcs.push(Arc {
                pupil: u as u32,
                provision: j as u32,
                cost: centiminutes(minutes),
            });
        }
    }
    let s = solve_optimal(&Problem {
        n_pupils: pupils.len(),
        capacity,
        arcs,
    });
    assert_eq!(s.moved, moves.len());
    let total: i64 = moves
        .iter()
        .map(|r| centiminutes(r[10].parse::<f64>().unwrap()))
        .sum();
    assert_eq!(s.total_cost, total);
    for f in [
        "pupils.csv",
        "areas.csv",
        "public/areas.csv",
        "summary.json",
        "provisions.geojson",
        "areas.geojson",
        "moves.geojson",
        "journeys.geojson",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
    // Public files carry no pupil ids.
    let public = std::fs::read_to_string(dir.path().join("public/areas.csv")).unwrap();
    assert!(!public.contains("P000"));
    let _ = Path::new("");
}
