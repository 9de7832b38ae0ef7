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
        for alt in &r.suitable {
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
            arcs.push((u, j, csv_centiminutes(&r[2])));
        }
    }
    assert!(!moves.is_empty(), "the demo moves some pupils");
    let (moved, total_lp) = lp_most_moves_then_least_time(pupils.len(), &capacity, &arcs);
    assert_eq!(moved, moves.len());
    let total: i64 = moves.iter().map(|r| csv_centiminutes(&r[10])).sum();
    assert_eq!(total_lp, total);
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
    let inputs = Inputs {
        network: &p.network,
        provisions: &p.scenario.provisions,
        pupils: &p.scenario.pupils,
        in_area: &|q| p.scenario.boundary.contains(q),
        params: &p.params,
    };
    let (journeys, moves) = nearhome::analyse::placement::route_geometries(&inputs, &p.analysis);
    let mut checked = 0;
    for (r, route) in p.analysis.pupils.iter().zip(&journeys) {
        let Some(route) = route else { continue };
        let home = r.home_snap.as_ref().unwrap();
        let pl = r.placement.unwrap();
        let site = p
            .network
            .snap(p.scenario.provisions[pl].location, p.params.max_snap_m)
            .unwrap();
        let want = p
            .network
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
        network: &p.network,
        provisions: &provs,
        pupils: &p.scenario.pupils,
        in_area: &in_area,
        params: &p.params,
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
        let inputs = Inputs {
            network: &p.network,
            provisions: provs,
            pupils: &p.scenario.pupils,
            in_area: &in_area,
            params: &p.params,
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
