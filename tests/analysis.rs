//! The placement analysis on the shipped Rutland demo: golden summary, determinism across
//! thread counts, capacity and reason properties, and the written files re-solved.

use std::path::{Path, PathBuf};

use nearhome::analyse::placement::{analyse, Inputs};
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
        network: p.network.as_ref(),
        provisions: &p.scenario.provisions,
        pupils: &p.scenario.pupils,
        in_area: &in_area,
        params: &p.params,
        calibration: None,
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
        used[m.to.index()] += 1;
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

/// Centiminutes of a `minutes` cell (2 decimals), as the assignment counts them.
/// Every pupil of the demo is compared only with the kinds they could be placed in: for a
/// mainstream pupil, mainstream schools of their phase (and never a bring-back candidate);
/// for a post-16 pupil, post-16 providers; for the rest, special schools and resource bases.
#[test]
fn alternatives_follow_the_placement_type() {
    use nearhome::model::{PlacementType, ProvisionKind};
    let p = rutland();
    let provisions = &p.scenario.provisions;
    let mut mainstream_with_nearest = 0;
    for r in &p.analysis.pupils {
        let pupil = &p.scenario.pupils[r.pupil];
        let placement = &provisions[r.placement.unwrap()];
        let t = PlacementType::of(placement.kind);
        for alt in r.suitable.iter() {
            let q = &provisions[alt.provision];
            assert!(
                t.admits(q.kind),
                "pupil {}: {} is a {}",
                pupil.id,
                q.id,
                q.kind
            );
            assert!(
                q.accepts_age(pupil.age),
                "pupil {}: {} by age",
                pupil.id,
                q.id
            );
            if t == PlacementType::Mainstream {
                assert_eq!(q.kind, ProvisionKind::Mainstream, "pupil {}", pupil.id);
            }
            if t == PlacementType::Post16 {
                assert_eq!(q.kind, ProvisionKind::Post16, "pupil {}", pupil.id);
            }
        }
        if t == PlacementType::Mainstream && r.nearest.is_some() {
            mainstream_with_nearest += 1;
        }
    }
    assert!(
        mainstream_with_nearest > 100,
        "{mainstream_with_nearest} mainstream pupils"
    );
    for c in &p.analysis.candidates {
        let placement = &provisions[p.analysis.pupils[c.pupil].placement.unwrap()];
        assert_ne!(
            placement.kind,
            ProvisionKind::Mainstream,
            "pupil {}",
            c.pupil
        );
    }
}

fn csv_centiminutes(cell: &str) -> i64 {
    (cell.parse::<f64>().unwrap() * 100.0).round() as i64
}

/// The transportation problem of `candidates.csv` as linear programmes (good_lp + microlp),
/// independent of the min-cost max-flow under test: first the most pupils moved, then the
/// least total centiminutes with that many moved. The constraint matrix is totally
/// unimodular, so the LP optima are those of the integer problem.
fn lp_most_moves_then_least_time(
    n_pupils: usize,
    capacity: &[u32],
    arcs: &[(usize, usize, i64)],
) -> (usize, i64) {
    use good_lp::{microlp, variable, Expression, ProblemVariables, Solution, SolverModel};
    let solve = |min_moves: Option<f64>| {
        let mut vars = ProblemVariables::new();
        let x: Vec<_> = arcs
            .iter()
            .map(|_| vars.add(variable().min(0.0).max(1.0)))
            .collect();
        let moves: Expression = x.iter().copied().sum();
        let cost: Expression = x
            .iter()
            .zip(arcs)
            .map(|(&v, &(_, _, c))| c as f64 * v)
            .sum();
        let mut model = match min_moves {
            None => vars.maximise(moves.clone()).using(microlp),
            Some(_) => vars.minimise(cost.clone()).using(microlp),
        };
        for u in 0..n_pupils {
            let e: Expression = x
                .iter()
                .zip(arcs)
                .filter(|(_, a)| a.0 == u)
                .map(|(&v, _)| v)
                .sum();
            model.add_constraint(e.leq(1.0));
        }
        for (j, &cap) in capacity.iter().enumerate() {
            let e: Expression = x
                .iter()
                .zip(arcs)
                .filter(|(_, a)| a.1 == j)
                .map(|(&v, _)| v)
                .sum();
            model.add_constraint(e.leq(f64::from(cap)));
        }
        if let Some(m) = min_moves {
            model.add_constraint(moves.clone().geq(m));
        }
        let sol = model.solve().expect("the LP solves");
        // The optimal values: by total unimodularity they are those of the integer problem
        // (the LP may still return a fractional point among tied optima).
        let moved: f64 = x.iter().map(|&v| sol.value(v)).sum();
        let total: f64 = x
            .iter()
            .zip(arcs)
            .map(|(&v, &(_, _, c))| sol.value(v) * c as f64)
            .sum();
        assert!((moved - moved.round()).abs() < 1e-6, "moves {moved}");
        assert!((total - total.round()).abs() < 1e-4, "total {total}");
        (moved.round() as usize, total.round() as i64)
    };
    let (most, _) = solve(None);
    let (moved, total) = solve(Some(most as f64));
    assert_eq!(moved, most, "the second LP keeps the most moves");
    (moved, total)
}

/// Re-solve the assignment from the written `candidates.csv` alone, by linear programming
/// (not the solver under test): same count and total as `moves.csv`.
#[test]
fn candidates_csv_re_solves_to_moves_csv() {
    let p = rutland();
    let dir = tempfile::tempdir().unwrap();
    nearhome::output::report::write_all(p, &p.report, dir.path(), true, vec![]).unwrap();
    // Rows as column name -> cell.
    let read = |name: &str| -> Vec<std::collections::BTreeMap<String, String>> {
        let mut rdr = csv::Reader::from_path(dir.path().join(name)).unwrap();
        let head: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        rdr.records()
            .map(|r| {
                head.iter()
                    .cloned()
                    .zip(r.unwrap().iter().map(String::from))
                    .collect()
            })
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
        let u = idx(&mut pupils, &r["pupil_id"]);
        let j = idx(&mut provs, &r["provision_id"]);
        if capacity.len() <= j {
            capacity.push(r["spare_places"].parse().unwrap());
        }
        if r["within_threshold"] == "true" {
            arcs.push((u, j, csv_centiminutes(&r["minutes"])));
        }
        assert_eq!(
            r["journey_source"], "routed",
            "candidates are routed places"
        );
    }
    assert!(!moves.is_empty(), "the demo moves some pupils");
    let (moved, total_lp) = lp_most_moves_then_least_time(pupils.len(), &capacity, &arcs);
    assert_eq!(moved, moves.len());
    let total: i64 = moves
        .iter()
        .map(|r| csv_centiminutes(&r["after_minutes"]))
        .sum();
    assert_eq!(total_lp, total);
    // Every journey row says how it was obtained.
    for r in &read("pupils.csv") {
        let want = match r["current_minutes"].as_str() {
            "" => "",
            _ if r["placement_snap_m"].is_empty() => "estimated",
            _ => "routed",
        };
        assert_eq!(r["journey_source"], want, "pupil {}", r["pupil_id"]);
    }
    for r in &moves {
        assert!(
            ["routed", "estimated"].contains(&r["before_journey_source"].as_str()),
            "{r:?}"
        );
        assert_eq!(r["after_journey_source"], "routed");
    }
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

/// The geometries drawn for the map (one tree per provision, stopped once its pupils'
/// homes are settled) are the routes a point-to-point query gives, journey and line.
#[test]
fn journey_geometries_equal_point_to_point_routes() {
    let p = rutland();
    let in_area = |q| p.scenario.boundary.contains(q);
    let inputs = p.inputs(&in_area);
    let (journeys, moves) = nearhome::analyse::placement::route_geometries(&inputs, &p.analysis);
    let mut checked = 0;
    for (r, route) in p.analysis.pupils.iter().zip(&journeys) {
        let Some(route) = route else { continue };
        let home = r.home_snap.snap().unwrap();
        let pl = r.placement.unwrap();
        let net = p.network.as_ref().unwrap();
        let site = net
            .snap(p.scenario.provisions[pl].location, p.params.max_snap_m)
            .unwrap();
        let want = net
            .route(home, &site, nearhome::query::route::Metric::Time)
            .unwrap();
        assert_eq!(route, &want, "pupil {}", p.scenario.pupils[r.pupil].id);
        checked += 1;
    }
    assert!(checked > 100, "{checked} routed journeys checked");
    assert_eq!(
        moves.iter().filter(|m| m.is_some()).count(),
        p.analysis.moves.len()
    );
}

/// A what-if through the baseline's trip table (routing only added or moved sites) equals a
/// full re-analysis: a new resource base, a moved school, changed needs and capacity.
#[test]
fn whatif_through_the_trip_table_equals_full_reanalysis() {
    use nearhome::analyse::placement::analyse_with;
    use nearhome::model::{LatLon, Need, ProvisionKind};
    let p = rutland();
    assert!(p.trip_table.sites() > 0, "the baseline keeps its table");
    assert_eq!(
        p.trip_table.cells(),
        p.trip_table.sites() * p.scenario.pupils.len()
    );
    let in_area = |q| p.scenario.boundary.contains(q);
    let mut provs = p.scenario.provisions.clone();
    let host = provs
        .iter()
        .find(|x| x.kind == ProvisionKind::Mainstream && in_area(x.location))
        .expect("an in-area mainstream school")
        .clone();
    let mut base = host.clone();
    base.id = "whatif-base".into();
    base.kind = ProvisionKind::ResourceBase;
    base.needs = vec![Need::Asd, Need::Slcn, Need::Semh];
    base.age_min = 4;
    base.age_max = 18;
    base.capacity = Some(40);
    base.on_roll = 0;
    base.location = LatLon {
        lat: host.location.lat + 0.004,
        lon: host.location.lon - 0.003,
    };
    provs.push(base);
    if let Some(special) = provs
        .iter_mut()
        .find(|x| x.kind == ProvisionKind::SpecialSchool)
    {
        special.capacity = special.capacity.map(|c| c + 25);
        special.needs.push(Need::Semh);
        special.location.lat += 0.002;
    }
    let inputs = Inputs {
        network: p.network.as_ref(),
        provisions: &provs,
        pupils: &p.scenario.pupils,
        in_area: &in_area,
        params: &p.params,
        calibration: None,
    };
    let full = analyse(&inputs);
    let (cached, table) = analyse_with(&inputs, &p.trip_table);
    assert_eq!(cached, full);
    assert_ne!(full, p.analysis, "the what-if changes something");
    assert_eq!(table.cells(), table.sites() * p.scenario.pupils.len());
    // A table for other homes is not used (same result, every site routed).
    let mut moved = p.scenario.pupils.clone();
    moved[0].home.lat += 0.001;
    let inputs2 = Inputs {
        pupils: &moved,
        ..inputs
    };
    assert_eq!(analyse_with(&inputs2, &p.trip_table).0, analyse(&inputs2));
}

/// The server's incremental what-if (new bases routed alone, only the pupils they or a
/// changed provision are an alternative for worked out again) equals a full re-analysis:
/// for added bases, changed places (more, fewer, none), and inputs it cannot extend.
#[test]
fn incremental_whatif_equals_full_reanalysis() {
    use nearhome::analyse::placement::analyse_whatif;
    use nearhome::model::{LatLon, Need, ProvisionKind};
    let p = rutland();
    let in_area = |q| p.scenario.boundary.contains(q);
    let base_provs = &p.scenario.provisions;
    let hosts: Vec<_> = base_provs
        .iter()
        .filter(|x| x.kind == ProvisionKind::Mainstream && in_area(x.location))
        .take(2)
        .cloned()
        .collect();
    assert_eq!(hosts.len(), 2, "two in-area mainstream schools");
    let new_base = |i: usize, shift: f64, places: u32| {
        let mut b = hosts[i].clone();
        b.id = format!("whatif-base-{i}");
        b.kind = ProvisionKind::ResourceBase;
        b.needs = vec![Need::Asd, Need::Semh];
        b.age_min = 4;
        b.age_max = 16;
        b.capacity = Some(places);
        b.on_roll = 0;
        b.location = LatLon {
            lat: hosts[i].location.lat + shift,
            lon: hosts[i].location.lon,
        };
        b
    };
    let special = base_provs
        .iter()
        .position(|x| x.kind == ProvisionKind::SpecialSchool && x.capacity.is_some())
        .expect("a special school with a capacity");
    let mut cases: Vec<(&str, Vec<nearhome::model::Provision>)> = Vec::new();
    let mut one = base_provs.clone();
    one.push(new_base(0, 0.003, 12));
    cases.push(("one base", one));
    let mut two = base_provs.clone();
    two.push(new_base(0, 0.0, 30));
    two.push(new_base(1, -0.002, 5));
    cases.push(("two bases, one at its host's site", two));
    let mut more = base_provs.clone();
    more[special].capacity = more[special].capacity.map(|c| c + 20);
    cases.push(("more places", more));
    let mut fewer = base_provs.clone();
    fewer[special].capacity = Some(0);
    fewer.push(new_base(1, 0.001, 8));
    cases.push(("no places there, a base elsewhere", fewer));
    let mut moved = base_provs.clone();
    moved[special].location.lat += 0.002;
    cases.push(("a moved school (not incremental)", moved));
    let mut changed_any = false;
    for (name, provs) in &cases {
        // As the server does: estimates keep the baseline's calibration.
        let inputs = Inputs {
            network: p.network.as_ref(),
            provisions: provs,
            pupils: &p.scenario.pupils,
            in_area: &in_area,
            params: &p.params,
            calibration: Some(&p.analysis.calibration),
        };
        let full = analyse(&inputs);
        let fast = analyse_whatif(&inputs, base_provs, &p.analysis, &p.trip_table);
        assert_eq!(fast, full, "{name}");
        changed_any |= full != p.analysis;
    }
    assert!(changed_any, "the what-ifs change something");
}

/// A scenario whose `osm` lists two overlapping extracts (the Rutland halves) analyses
/// exactly as the demo on the whole extract.
#[test]
fn scenario_on_two_extracts_equals_the_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = root().join("fixtures/scenarios/rutland");
    let text = std::fs::read_to_string(demo.join("scenario.toml")).expect("demo toml");
    let mut halves = Vec::new();
    for name in ["rutland-west.osm.pbf", "rutland-east.osm.pbf"] {
        let to = dir.path().join(name);
        std::fs::copy(root().join("fixtures/osm").join(name), &to).expect("copy half");
        halves.push(format!("{:?}", to.display().to_string()));
    }
    let mut out = String::new();
    for line in text.lines() {
        let (key, rest) = line.split_once(" = ").unwrap_or(("", ""));
        let is_path = rest.starts_with("\"../")
            || rest.starts_with("\"provisions")
            || rest.starts_with("\"pupils");
        if key == "osm" {
            out.push_str(&format!("osm = [{}]\n", halves.join(", ")));
        } else if is_path {
            let rel = rest.trim_matches('"');
            let abs = demo.join(rel);
            out.push_str(&format!("{key} = {:?}\n", abs.display().to_string()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let toml = dir.path().join("scenario.toml");
    std::fs::write(&toml, out).expect("write toml");
    let merged = nearhome::app::prepare(&toml).expect("the scenario on two extracts analyses");
    assert_eq!(merged.scenario.osm_paths().len(), 2);
    assert_eq!(merged.analysis, rutland().analysis);
}

/// The band (0-5, 5-15, 15-40, 40+ great-circle km) of a distance, written out again here.
fn band_of(km: f64) -> usize {
    [5.0, 15.0, 40.0].iter().filter(|&&edge| km >= edge).count()
}

/// The median of a list (the mean of the two middle values for an even count).
fn median_of(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// The estimates are the documented rule (`docs/outputs.md`, "Estimated journeys") applied
/// to this run's routed journeys, re-implemented here from the analysis' own journeys: the
/// pairs are each pupil's routed current journey and routed alternatives, the figures the
/// medians per band with the nearest-band fallback, and every estimated journey is its
/// great-circle distance times its band's circuity at its band's speed.
#[test]
fn estimates_follow_the_documented_rule_on_this_runs_routed_journeys() {
    use crate::support::haversine_m;
    use nearhome::analyse::placement::Trip;
    use std::collections::BTreeMap;
    let p = rutland();
    let (a, provs) = (&p.analysis, &p.scenario.provisions);
    let mut circuity: Vec<Vec<f64>> = vec![Vec::new(); 4];
    let mut speed: Vec<Vec<f64>> = vec![Vec::new(); 4];
    for r in &a.pupils {
        let home = p.scenario.pupils[r.pupil].home;
        let mut routed: BTreeMap<usize, Trip> = BTreeMap::new();
        if let (Some(pl), Some(c)) = (r.placement, r.current) {
            if !c.estimated {
                routed.insert(pl.index(), c);
            }
        }
        for alt in r.suitable.iter() {
            routed.insert(alt.provision.index(), alt.trip);
        }
        for (pi, t) in routed {
            let d = haversine_m(home, provs[pi].location) / 1000.0;
            if d < 0.1 || t.km <= 0.0 || t.minutes <= 0.0 {
                continue;
            }
            circuity[band_of(d)].push(t.km / d);
            speed[band_of(d)].push(t.km / (t.minutes / 60.0));
        }
    }
    let own: Vec<Option<(f64, f64)>> = (0..4)
        .map(|b| {
            (circuity[b].len() >= 20).then(|| {
                (
                    median_of(circuity[b].clone()).unwrap(),
                    median_of(speed[b].clone()).unwrap(),
                )
            })
        })
        .collect();
    // Nearest fitted band, the longer one on a tie, else the scenario's defaults.
    let used = |b: usize| -> (f64, f64) {
        let order = [0usize, 1, 2, 3];
        let mut by_distance: Vec<usize> = order.to_vec();
        by_distance.sort_by_key(|&o| (o.abs_diff(b), std::cmp::Reverse(o)));
        by_distance
            .into_iter()
            .find_map(|o| own[o])
            .unwrap_or((p.params.circuity_factor, p.params.estimate_speed_kmh))
    };
    let fit = &a.calibration.fit;
    for (b, band) in fit.bands.iter().enumerate() {
        assert_eq!(band.pairs, circuity[b].len(), "band {b} pairs");
        let (c, s) = used(b);
        assert!(
            (band.circuity - c).abs() < 1e-9,
            "band {b}: {band:?} vs {c}"
        );
        assert!(
            (band.speed_kmh - s).abs() < 1e-9,
            "band {b}: {band:?} vs {s}"
        );
    }
    assert!(
        fit.calibrated(),
        "the demo has routed journeys to calibrate on"
    );
    let mut estimated = 0;
    for r in &a.pupils {
        let Some(c) = r.current.filter(|c| c.estimated) else {
            continue;
        };
        let pupil = &p.scenario.pupils[r.pupil];
        let d = haversine_m(pupil.home, provs[r.placement.unwrap()].location) / 1000.0;
        let (circ, kmh) = used(band_of(d));
        assert!((c.km - d * circ).abs() < 1e-9, "pupil {}", pupil.id);
        assert!(
            (c.minutes - d * circ / kmh * 60.0).abs() < 1e-9,
            "pupil {}",
            pupil.id
        );
        estimated += 1;
    }
    assert!(estimated > 50, "{estimated} estimated journeys checked");
    // The hold-out: every fifth pupil (positions 4, 9, ...) with a routed pair.
    let h = a.calibration.hold_out.as_ref().expect("held-out pupils");
    let held = a
        .pupils
        .iter()
        .filter(|r| r.pupil.index() % 5 == 4)
        .filter(|r| r.current.is_some_and(|c| !c.estimated) || !r.suitable.is_empty())
        .count();
    assert_eq!(h.pupils, held);
}

/// A what-if is estimated with its baseline's calibration: adding a base changes no
/// estimated journey (a fresh calibration would, since the base adds routed pairs).
#[test]
fn a_whatif_keeps_the_baselines_estimates() {
    use nearhome::model::{Need, ProvisionKind};
    let p = rutland();
    let in_area = |q| p.scenario.boundary.contains(q);
    let mut provs = p.scenario.provisions.clone();
    let mut base = provs
        .iter()
        .find(|x| x.kind == ProvisionKind::Mainstream && in_area(x.location))
        .expect("an in-area mainstream school")
        .clone();
    base.id = "whatif-base".into();
    base.kind = ProvisionKind::ResourceBase;
    base.needs = Need::ALL.to_vec();
    (base.age_min, base.age_max, base.capacity, base.on_roll) = (4, 18, Some(40), 0);
    provs.push(base);
    let inputs = |calibration| Inputs {
        network: p.network.as_ref(),
        provisions: &provs,
        pupils: &p.scenario.pupils,
        in_area: &in_area,
        params: &p.params,
        calibration,
    };
    let kept = analyse(&inputs(Some(&p.analysis.calibration)));
    assert_eq!(kept.calibration, p.analysis.calibration);
    let mut compared = 0;
    for (before, after) in p.analysis.pupils.iter().zip(&kept.pupils) {
        if before.current.is_some_and(|c| c.estimated) {
            assert_eq!(before.current, after.current, "pupil {}", before.pupil);
            compared += 1;
        }
    }
    assert!(compared > 50, "{compared} estimated journeys compared");
    let fresh = analyse(&inputs(None));
    assert_ne!(
        fresh.calibration, p.analysis.calibration,
        "the base's routed pairs would move a fresh calibration"
    );
}

/// `validate` and `analyse` say how many journeys are (or will be) estimated and why, with
/// the analysis' own counts.
#[test]
fn validate_and_analyse_say_how_many_journeys_are_estimated() {
    let p = rutland();
    let count = |f: &dyn Fn(&nearhome::analyse::placement::PupilResult) -> bool| {
        p.analysis.pupils.iter().filter(|r| f(r)).count()
    };
    let estimated = count(&|r| r.current.is_some_and(|c| c.estimated));
    let routed = count(&|r| r.current.is_some_and(|c| !c.estimated));
    let pupils = p.analysis.pupils.len();
    let toml = "fixtures/scenarios/rutland/scenario.toml";
    let v = crate::support::nearhome(&["validate", toml]);
    let stdout = String::from_utf8_lossy(&v.stdout);
    let want = format!(
        "Journeys: {routed} of {pupils} journeys can be routed; {estimated} will be estimated \
         (placement more than 1000 m from any road of the extract, or outside it)"
    );
    assert!(stdout.contains(&want), "{want}\n{stdout}");
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let a = crate::support::nearhome(&["analyse", toml, "--out", out_dir, "--no-geometry"]);
    assert!(a.status.success());
    let stderr = String::from_utf8_lossy(&a.stderr);
    let current: usize = p
        .analysis
        .calibration
        .fit
        .bands
        .iter()
        .map(|b| b.current_journeys)
        .sum();
    let want = format!(
        "journeys: {estimated} of {pupils} journeys estimated (placement more than 1000 m from \
         any road of the extract, or outside it), calibrated on {current} routed journeys and "
    );
    assert!(stderr.contains(&want), "{want}\n{stderr}");
}

/// School-run speeds (the default) slow every routed journey, never speed one up, and leave
/// free-flow runs (`--free-flow`) as the car profile times them; a uniform factor of 0.5
/// doubles every duration along the same paths.
#[test]
fn school_run_speeds_slow_journeys_and_free_flow_is_one_flag_away() {
    use nearhome::app::{prepare_at, MissingRoads, Speeds};
    use nearhome::model::speeds::{SpeedProfile, SpeedProfileName, SpeedsConfig};
    let school = rutland();
    let scenario = root().join("fixtures/scenarios/rutland/scenario.toml");
    let free = prepare_at(&scenario, MissingRoads::Refuse, Speeds::FreeFlow).expect("free flow");
    let speeds = |p: &nearhome::app::Prepared| p.network.as_ref().expect("roads").speeds.clone();
    assert_eq!(speeds(school).name(), SpeedProfileName::SchoolRun);
    assert!(speeds(&free).is_free_flow());
    let mut compared = 0;
    for (s, f) in school.analysis.pupils.iter().zip(&free.analysis.pupils) {
        if let (Some(s), Some(f)) = (s.current, f.current) {
            if !s.estimated && !f.estimated {
                assert!(
                    s.minutes >= f.minutes - 1e-9,
                    "{} < {}",
                    s.minutes,
                    f.minutes
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{compared} routed journeys compared");
    // A uniform factor keeps every path and doubles its time.
    let net = free.network.as_ref().expect("roads");
    let mut cfg = SpeedsConfig {
        profile: SpeedProfileName::FreeFlow,
        ..SpeedsConfig::default()
    };
    for class in nearhome::model::profile::RoadClass::ALL {
        cfg.factors.insert(class.as_str().to_string(), 0.5);
    }
    let half = SpeedProfile::from_config(&cfg).expect("valid");
    let slow = net.with_speeds(&half);
    let snaps: Vec<_> = school
        .analysis
        .pupils
        .iter()
        .filter_map(|r| r.home_snap.snap().copied())
        .take(40)
        .collect();
    for pair in snaps.windows(2) {
        let (a, b) = (
            net.journey(&pair[0], &pair[1], nearhome::query::route::Metric::Time),
            slow.journey(&pair[0], &pair[1], nearhome::query::route::Metric::Time),
        );
        let (Some(a), Some(b)) = (a, b) else {
            assert_eq!(a.is_some(), b.is_some());
            continue;
        };
        assert!(
            (b.duration_s - 2.0 * a.duration_s).abs() < 1e-6,
            "{b:?} vs {a:?}"
        );
        assert!((b.distance_m - a.distance_m).abs() < 1e-6);
    }
}

/// Today's costs: every pupil's placement and transport cost add up to the overall figures
/// and to the per-kind ones, each pupil costed as documented.
#[test]
fn todays_costs_add_up_per_pupil_area_and_kind() {
    use nearhome::output::disclosure::Audience;
    let p = rutland();
    let agg = nearhome::output::tables::Aggregates::new(p);
    let s = nearhome::output::tables::summary(
        p,
        &agg,
        nearhome::output::report::data_quality(&p.report),
        Audience::Internal,
    );
    let (mut placed, mut moved) = (0.0, 0.0);
    for r in &p.analysis.pupils {
        let u = &p.scenario.pupils[r.pupil];
        let pl = r.placement.map(|pi| &p.scenario.provisions[pi.index()]);
        assert_eq!(
            r.current_cost.placement_gbp,
            pl.and_then(|x| p.params.placement_cost(x))
        );
        let mode = u.transport.unwrap_or(p.params.costs.default_transport);
        let want = u
            .transport_cost_gbp
            .or_else(|| p.params.transport_cost(mode, r.current?.km));
        assert_eq!(r.current_cost.transport_gbp, want);
        placed += r.current_cost.placement_gbp.unwrap_or(0.0);
        moved += r.current_cost.transport_gbp.unwrap_or(0.0);
    }
    let o = &s.overall;
    assert!((o.current_placement_gbp.expect("internal") - placed).abs() < 0.01);
    assert!((o.current_transport_gbp.expect("internal") - moved).abs() < 0.01);
    assert!(placed > 0.0 && moved > 0.0);
    let by_kind: f64 = s
        .current_costs_by_kind
        .iter()
        .map(|k| k.current_placement_gbp.unwrap_or(0.0))
        .sum();
    assert!((by_kind - placed).abs() < 0.05, "{by_kind} vs {placed}");
    let pupils: u64 = s
        .current_costs_by_kind
        .iter()
        .filter_map(|k| k.pupils)
        .sum();
    assert_eq!(Some(pupils), o.pupils);
}

/// `journeys.geojson`, written straight from the routes, is byte for byte the collection
/// of journey features (routed and estimated) the API pages through.
#[test]
fn journeys_file_bytes_equal_the_feature_collection() {
    let p = rutland();
    let in_area = |q| p.scenario.boundary.contains(q);
    let inputs = p.inputs(&in_area);
    let (journeys, _) = nearhome::analyse::placement::route_geometries(&inputs, &p.analysis);
    let fast = nearhome::output::tables::journeys_geojson_bytes(p, &journeys).expect("encodes");
    let features = nearhome::output::tables::journey_features(p, &journeys, &|_| true);
    assert!(
        features.features.len() > 300,
        "routed and estimated journeys"
    );
    let slow = nearhome::output::report::geojson_bytes("journeys.geojson", &features).unwrap();
    assert!(
        fast == slow,
        "journeys.geojson differs from the feature collection"
    );
}
