//! `nearhome transport`: every run re-checked independently, a known optimum found, the
//! baselines, determinism and the public file.

use std::collections::{BTreeMap, HashMap};

use nearhome::analyse::runs::problem::{Pricing, Problem, Rider};
use nearhome::analyse::runs::search::Limits;
use nearhome::analyse::runs::{plan_school, RunKind};
use nearhome::model::fleet::FleetConfig;
use nearhome::query::route::Metric;
use rand::{Rng, SeedableRng};

use crate::support::{nearhome, project_path, rutland_demo};

const RUTLAND: &str = "fixtures/scenarios/rutland/scenario.toml";

/// Run `transport` on Rutland into a fresh folder; returns the folder.
fn run_rutland(seed: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("t");
    let o = nearhome(&[
        "transport",
        RUTLAND,
        "--seconds",
        "600",
        "--seed",
        seed,
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

fn read(dir: &tempfile::TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.path().join("t").join(name)).expect("the output exists")
}

/// The pupils file's rows by id: `(lat, lon, wheelchair, escort, solo, transport)`.
fn pupils_by_id() -> HashMap<String, (f64, f64, bool, bool, bool, String)> {
    let text = std::fs::read_to_string(project_path("fixtures/scenarios/rutland/pupils.csv"))
        .expect("pupils");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().expect("header").clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (id, lat, lon, wc, esc, solo, tr) = (
        col("id"),
        col("lat"),
        col("lon"),
        col("wheelchair"),
        col("escort"),
        col("solo"),
        col("transport"),
    );
    rdr.records()
        .map(|r| {
            let r = r.expect("a row");
            let num = |i: usize| r[i].parse::<f64>().expect("a number");
            (
                r[id].to_string(),
                (
                    num(lat),
                    num(lon),
                    &r[wc] == "yes",
                    &r[esc] == "yes",
                    &r[solo] == "yes",
                    r[tr].to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn every_run_is_feasible_by_an_independent_check() {
    let dir = run_rutland("1");
    let p = rutland_demo();
    let net = p.network.as_ref().expect("roads");
    let fleet = FleetConfig::default();
    let pupils = pupils_by_id();
    let school_at: HashMap<&str, _> = p
        .scenario
        .provisions
        .iter()
        .map(|s| (s.id.as_str(), s.location))
        .collect();
    let text = read(&dir, "runs.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut runs: BTreeMap<String, Vec<csv::StringRecord>> = BTreeMap::new();
    for r in rdr.records() {
        let r = r.expect("a row");
        runs.entry(r[0].to_string()).or_default().push(r);
    }
    assert!(runs.len() > 10, "Rutland has runs");
    let mut seen = std::collections::HashSet::new();
    let snap = |lat: f64, lon: f64| {
        net.snap(nearhome::model::LatLon { lat, lon }, 1000.0)
            .expect("a home near a road")
    };
    for (id, stops) in &runs {
        let (kind, vehicle, escort) = (&stops[0][3], &stops[0][4], &stops[0][5] == "yes");
        let v = fleet
            .vehicles
            .iter()
            .find(|v| v.name == *vehicle)
            .unwrap_or_else(|| panic!("{id}: unknown vehicle {vehicle}"));
        let homes: Vec<_> = stops
            .iter()
            .map(|s| {
                pupils
                    .get(&s[7])
                    .unwrap_or_else(|| panic!("{id}: unknown pupil"))
            })
            .collect();
        // Capacity, solo and escort.
        let wheelchairs = homes.iter().filter(|h| h.2).count() as u32;
        let ambulant = homes.len() as u32 - wheelchairs;
        assert!(
            ambulant <= v.seats && wheelchairs <= v.wheelchair_spaces,
            "{id}: over capacity"
        );
        if homes.iter().any(|h| h.4) {
            assert_eq!(homes.len(), 1, "{id}: a solo pupil shares");
        }
        assert_eq!(escort, homes.iter().any(|h| h.3), "{id}: escort flag");
        for (s, h) in stops.iter().zip(&homes) {
            assert!(seen.insert(s[7].to_string()), "{id}: a pupil on two runs");
            assert!(
                matches!(h.5.as_str(), "taxi" | "minibus"),
                "{id}: not on council transport"
            );
            assert_eq!(&s[8] == "yes", h.2, "{id}: wheelchair column");
        }
        // Times on board from point-to-point journeys (not the planner's matrix).
        let school = school_at[&stops[0][1]];
        let mut points: Vec<_> = homes.iter().map(|h| snap(h.0, h.1)).collect();
        points.push(net.snap(school, 1000.0).expect("a school near a road"));
        let legs: Vec<(f64, f64)> = points
            .windows(2)
            .map(|w| {
                let j = net.journey(&w[0], &w[1], Metric::Time).expect("a road");
                (j.duration_s / 60.0, j.distance_m / 1000.0)
            })
            .collect();
        let board = |h: &(f64, f64, bool, bool, bool, String)| {
            if h.2 {
                fleet.wheelchair_boarding_minutes
            } else {
                fleet.boarding_minutes
            }
        };
        let mut on = 0.0;
        for k in (0..stops.len()).rev() {
            if k + 1 < stops.len() {
                on += board(homes[k + 1]);
            }
            on += legs[k].0;
            let written: f64 = stops[k][10].parse().expect("minutes on board");
            assert!(
                (on - written).abs() < 0.02,
                "{id} stop {k}: {on} vs {written}"
            );
            let limit: f64 = stops[k][11].parse().expect("limit");
            if kind != "over_guidance" {
                assert!(on <= limit + 0.01, "{id} stop {k}: {on} min over {limit}");
            } else {
                assert_eq!(stops.len(), 1, "{id}: an over-guidance run is direct");
                assert!(on > limit, "{id}: flagged but within the limit");
            }
        }
        // The price from the fleet table.
        let km: f64 = legs.iter().map(|l| l.1).sum();
        let gbp = v.gbp_per_day
            + 2.0 * v.gbp_per_mile * km / 1.609_344
            + if escort {
                fleet.escort_gbp_per_day
            } else {
                0.0
            };
        let written: f64 = stops[0][19].parse().expect("cost");
        assert!((gbp - written).abs() < 0.02, "{id}: £{gbp} vs £{written}");
        // No cheaper type carries the same pupils.
        for w in &fleet.vehicles {
            if ambulant <= w.seats && wheelchairs <= w.wheelchair_spaces {
                let c = w.gbp_per_day + 2.0 * w.gbp_per_mile * km / 1.609_344;
                assert!(
                    c + 0.01
                        >= gbp
                            - if escort {
                                fleet.escort_gbp_per_day
                            } else {
                                0.0
                            },
                    "{id}: {} is cheaper",
                    w.name
                );
            }
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir, "summary.json")).expect("json");
    assert_eq!(summary["pupils_planned"].as_u64(), Some(seen.len() as u64));
    let on_council = pupils
        .values()
        .filter(|h| matches!(h.5.as_str(), "taxi" | "minibus"))
        .count() as u64;
    let not = &summary["not_planned"];
    assert_eq!(
        seen.len() as u64
            + not["no_journey"].as_u64().unwrap_or(0)
            + not["no_vehicle"].as_u64().unwrap_or(0),
        on_council,
        "every pupil on council transport is planned or counted"
    );
}

/// Riders at planar points (km) around a school at the origin, 2 minutes per km, with a
/// factor 1.3 on the straight line so the matrix keeps the triangle inequality.
fn planar(points: &[(f64, f64)], riders: Vec<Rider>) -> Problem {
    let all: Vec<(f64, f64)> = points.iter().copied().chain([(0.0, 0.0)]).collect();
    let n = all.len();
    let km = |i: usize| {
        let (a, b) = (all[i / n], all[i % n]);
        1.3 * ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    };
    let secs: Vec<Option<f64>> = (0..n * n).map(|i| Some(km(i) * 120.0)).collect();
    let metres: Vec<Option<f64>> = (0..n * n).map(|i| Some(km(i) * 1000.0)).collect();
    Problem::new(riders, Pricing::of(&FleetConfig::default()), &secs, &metres)
}

fn rider(i: usize, limit_min: f64) -> Rider {
    Rider {
        pupil: i,
        wheelchair: false,
        escort: false,
        solo: false,
        limit_s: limit_min * 60.0,
        board_s: 60.0,
    }
}

fn limits(iterations: u64) -> Limits {
    Limits {
        iterations,
        deadline: None,
    }
}

fn plan_cost(p: &Problem, seed: u64) -> (f64, f64, Vec<Vec<usize>>) {
    let s = plan_school(p, 0, limits(400 * p.len() as u64), seed);
    let runs = s.runs.iter().map(|r| r.pupils.clone()).collect();
    (s.gbp_per_day(), s.greedy_gbp_per_day, runs)
}

#[test]
fn a_hand_made_school_gets_one_taxi_per_cluster() {
    // Four pupils 8 km east, four 8 km west, within 200 m of each other: two taxis, one
    // per side, each collecting its side in one sweep.
    let pts: Vec<(f64, f64)> = (0..8)
        .map(|i| {
            let side = if i < 4 { 8.0 } else { -8.0 };
            (side + 0.1 * (i % 4) as f64, 0.05 * (i % 2) as f64)
        })
        .collect();
    let p = planar(&pts, (0..8).map(|i| rider(i, 45.0)).collect());
    let (gbp, _, runs) = plan_cost(&p, 3);
    let mut sides: Vec<Vec<usize>> = runs
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.sort_unstable();
            r
        })
        .collect();
    sides.sort();
    assert_eq!(sides, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    let best: f64 = runs.iter().map(|r| p.evaluate(r).gbp_per_day).sum();
    assert!((best - gbp).abs() < 1e-9);
}

/// The exact optimum by exhaustive search: every subset's best order, then the best
/// partition into subsets (dynamic programming over bit masks).
fn exhaustive_optimum(p: &Problem) -> f64 {
    let n = p.len();
    let full = (1usize << n) - 1;
    let mut block = vec![f64::INFINITY; full + 1];
    for (mask, cost) in block.iter_mut().enumerate().skip(1) {
        let members: Vec<usize> = (0..n).filter(|&i| mask >> i & 1 == 1).collect();
        permute(&members, &mut |order| {
            let f = p.evaluate(order);
            if f.feasible(&p.riders, order) && f.gbp_per_day < *cost {
                *cost = f.gbp_per_day;
            }
        });
    }
    let mut best = vec![f64::INFINITY; full + 1];
    best[0] = 0.0;
    for mask in 1..=full {
        let low = mask & mask.wrapping_neg();
        let mut sub = mask;
        while sub > 0 {
            if sub & low != 0 {
                let c = block[sub] + best[mask ^ sub];
                if c < best[mask] {
                    best[mask] = c;
                }
            }
            sub = (sub - 1) & mask;
        }
    }
    best[full]
}

fn permute(items: &[usize], f: &mut dyn FnMut(&[usize])) {
    fn go(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
        if k == v.len() {
            f(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            go(v, k + 1, f);
            v.swap(k, i);
        }
    }
    go(&mut items.to_vec(), 0, f);
}

fn random_school(seed: u64, n: usize) -> Problem {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|_| (rng.random_range(-12.0..12.0), rng.random_range(-12.0..12.0)))
        .collect();
    let riders = (0..n)
        .map(|i| Rider {
            wheelchair: rng.random_bool(0.15),
            escort: rng.random_bool(0.3),
            ..rider(i, if rng.random_bool(0.5) { 45.0 } else { 75.0 })
        })
        .collect();
    planar(&pts, riders)
}

#[test]
fn the_search_finds_the_exhaustive_optimum_on_small_schools() {
    for seed in 0..6 {
        let p = random_school(seed, 8);
        let optimum = exhaustive_optimum(&p);
        let (gbp, _, _) = plan_cost(&p, seed);
        assert!(
            (gbp - optimum).abs() < 1e-6,
            "seed {seed}: search £{gbp:.2} vs optimum £{optimum:.2}"
        );
    }
}

#[test]
fn the_greedy_baseline_never_beats_the_search() {
    for seed in 0..8 {
        let p = random_school(100 + seed, 60);
        let (gbp, greedy, _) = plan_cost(&p, seed);
        assert!(
            gbp <= greedy + 1e-6,
            "seed {seed}: search £{gbp:.2} vs greedy £{greedy:.2}"
        );
    }
}

#[test]
fn solo_and_over_guidance_pupils_travel_direct() {
    let pts = [(3.0, 0.0), (3.1, 0.0), (3.2, 0.0), (40.0, 0.0)];
    let mut riders: Vec<Rider> = (0..4).map(|i| rider(i, 45.0)).collect();
    riders[1].solo = true;
    let p = planar(&pts, riders);
    let s = plan_school(&p, 0, limits(1000), 1);
    let kind_of = |u: usize| {
        s.runs
            .iter()
            .find(|r| r.pupils.contains(&u))
            .map(|r| (r.kind, r.pupils.len()))
    };
    assert_eq!(kind_of(1), Some((RunKind::Solo, 1)));
    assert_eq!(
        kind_of(3),
        Some((RunKind::OverGuidance, 1)),
        "104 minutes direct"
    );
    assert_eq!(kind_of(0), Some((RunKind::Shared, 2)));
}

#[test]
fn the_same_seed_gives_the_same_runs_and_the_public_file_holds_no_pupil() {
    let a = run_rutland("5");
    let b = run_rutland("5");
    assert_eq!(read(&a, "runs.csv"), read(&b, "runs.csv"));
    let public = read(&a, "public/summary.json");
    for (id, h) in pupils_by_id() {
        assert!(!public.contains(&id), "a pupil id in the public file");
        assert!(
            !public.contains(&format!("{:.4}", h.0)),
            "a home latitude in the public file"
        );
    }
    let v: serde_json::Value = serde_json::from_str(&public).expect("json");
    let n = v["pupils_planned"].as_u64();
    assert!(n.is_none_or(|n| n % 5 == 0 && n >= 10), "{n:?}");
    for area in v["areas"].as_array().expect("areas") {
        let pupils = area["pupils"].as_u64();
        assert!(pupils.is_none_or(|n| n == 0 || (n >= 10 && n % 5 == 0)));
        if pupils.is_none() {
            assert!(area["gbp_per_year"].is_null() && area["vehicles"].is_null());
        }
    }
}

#[test]
fn siting_answers_are_recosted_on_runs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("s");
    let o = nearhome(&[
        "site",
        RUTLAND,
        "--need",
        "ASD",
        "--places",
        "12",
        "--k",
        "2",
        "--runs",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("transport_runs.csv")).expect("the file");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("a row")).collect();
    let sites = std::fs::read_to_string(out.join("sites.csv")).expect("sites");
    let ks: std::collections::BTreeSet<&str> = sites
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(rows.len(), ks.len(), "one row per k answered");
    for r in &rows {
        let num = |i: usize| r[i].parse::<f64>().expect("a number");
        assert!(
            num(2) > 0.0,
            "k={}: moves of pupils on council vehicles",
            &r[0]
        );
        assert!(
            (num(6) - num(7) - num(8)).abs() < 0.02,
            "saved = before − after"
        );
    }
}
