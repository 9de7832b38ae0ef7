//! Acceptance: the Isle of Man reference matrices of an independent implementation
//! (`fixtures/acceptance/isle-of-man`, 60 origins x 40 destinations, both metrics).
//!
//! The rule (from the reference's README, copied into `fixtures/README.md`): a pair agrees
//! when both figures are empty, or when `distance_m` is within max(0.5%, 10 m) and
//! `duration_s` within max(0.5%, 2 s). At least 99% of pairs must agree, and the empty pairs
//! must be exactly the reference's (two origins and one destination are unsnappable).

use nearhome::index::snap::{Snap, DEFAULT_MAX_SNAP_M};
use nearhome::load::points::{read_points, NamedPoint};
use nearhome::query::matrix::{matrix, Matrix};
use nearhome::query::route::Metric;

use nearhome::model::LatLon;

use crate::support::{
    haversine_m, isle_of_man, ll, nearhome, polyline_m, project_path, read_matrix_csv, MatrixRow,
};

const DIR: &str = "fixtures/acceptance/isle-of-man";

fn read(rel: &str) -> Vec<u8> {
    let path = project_path(&format!("{DIR}/{rel}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn points(rel: &str) -> Vec<NamedPoint> {
    read_points(&read(rel), rel).unwrap_or_else(|e| panic!("{e}"))
}

fn expected(metric: Metric) -> Vec<MatrixRow> {
    let name = match metric {
        Metric::Time => "expected_time.csv",
        Metric::Distance => "expected_distance.csv",
    };
    read_matrix_csv(&read(name), name)
}

/// Within max(0.5%, `abs`) of the reference.
fn within(got: f64, want: f64, abs: f64) -> bool {
    (got - want).abs() <= abs.max(0.005 * want.abs())
}

fn agrees(got: &MatrixRow, want: &MatrixRow) -> bool {
    match (
        got.distance_m,
        got.duration_s,
        want.distance_m,
        want.duration_s,
    ) {
        (None, None, None, None) => true,
        (Some(gd), Some(gt), Some(wd), Some(wt)) => within(gd, wd, 10.0) && within(gt, wt, 2.0),
        _ => false,
    }
}

/// Compare rows with the reference: same pairs in the same order, empty exactly where the
/// reference is empty, at least 99% agreeing. Returns the number that agree.
fn assert_matches_reference(got: &[MatrixRow], want: &[MatrixRow], what: &str) -> usize {
    assert_eq!(got.len(), want.len(), "{what}: rows");
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (&g.from_id, &g.to_id),
            (&w.from_id, &w.to_id),
            "{what}: row order (origins outer, input order)"
        );
        assert_eq!(
            g.distance_m.is_none(),
            w.distance_m.is_none(),
            "{what}: {} -> {} empty in one only ({g:?} vs {w:?})",
            g.from_id,
            g.to_id
        );
        if agrees(g, w) {
            agree += 1;
        } else {
            disagreements.push(format!("{g:?} vs {w:?}"));
        }
    }
    assert!(
        agree * 100 >= want.len() * 99,
        "{what}: {agree} of {} pairs agree; first disagreements: {:#?}",
        want.len(),
        &disagreements[..disagreements.len().min(10)]
    );
    agree
}

/// Largest absolute differences (metres, seconds) over the pairs both have figures for.
fn max_abs_difference(got: &[MatrixRow], want: &[MatrixRow]) -> (f64, f64) {
    let diff = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs(),
        _ => 0.0,
    };
    got.iter().zip(want).fold((0.0, 0.0), |(dm, ds), (g, w)| {
        (
            f64::max(dm, diff(g.distance_m, w.distance_m)),
            f64::max(ds, diff(g.duration_s, w.duration_s)),
        )
    })
}

fn rows_of(m: &Matrix, origins: &[NamedPoint], dests: &[NamedPoint]) -> Vec<MatrixRow> {
    let mut rows = Vec::new();
    for (oi, o) in origins.iter().enumerate() {
        for (di, d) in dests.iter().enumerate() {
            let j = m.get(oi, di);
            rows.push(MatrixRow {
                from_id: o.id.clone(),
                to_id: d.id.clone(),
                distance_m: j.map(|j| j.distance_m),
                duration_s: j.map(|j| j.duration_s),
            });
        }
    }
    rows
}

#[test]
fn reference_fixture_is_as_documented() {
    let (origins, dests) = (points("from.csv"), points("to.csv"));
    assert_eq!((origins.len(), dests.len()), (60, 40));
    for metric in [Metric::Time, Metric::Distance] {
        let rows = expected(metric);
        assert_eq!(rows.len(), 2400);
        let empty = rows.iter().filter(|r| r.distance_m.is_none()).count();
        assert_eq!(
            empty,
            2 * 40 + 60 - 2,
            "{metric:?}: two origins, one destination"
        );
    }
}

#[test]
fn library_matrix_agrees_with_the_reference() {
    let net = isle_of_man();
    let (origins, dests) = (points("from.csv"), points("to.csv"));
    let snap = |pts: &[NamedPoint]| -> Vec<Option<Snap>> {
        pts.iter()
            .map(|p| net.snap(p.pos, DEFAULT_MAX_SNAP_M).ok())
            .collect()
    };
    let (so, sd) = (snap(&origins), snap(&dests));
    assert_eq!(
        so.iter().filter(|s| s.is_none()).count(),
        2,
        "unsnappable origins"
    );
    assert_eq!(
        sd.iter().filter(|s| s.is_none()).count(),
        1,
        "unsnappable destinations"
    );
    for metric in [Metric::Time, Metric::Distance] {
        let m = matrix(net, &so, &sd, metric, None);
        let rows = rows_of(&m, &origins, &dests);
        let agree = assert_matches_reference(&rows, &expected(metric), &format!("{metric:?}"));
        // The engine reproduced the reference exactly when these tests were written.
        assert_eq!(agree, 2400, "{metric:?}");
        // "To the millimetre" (README): every figure within 0.001 m and 0.001 s of the
        // reference, which is written with 3 decimals.
        let (dm, ds) = max_abs_difference(&rows, &expected(metric));
        assert!(
            dm <= 0.001 && ds <= 0.001,
            "{metric:?}: largest differences {dm} m, {ds} s"
        );
    }
}

#[test]
fn cli_matrix_agrees_with_the_reference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("distance.csv");
    let out_s = out.to_str().expect("utf-8 temp path");
    let run = nearhome(&[
        "matrix",
        "--osm",
        "osm/isle-of-man_2019-09-05.osm.pbf",
        "--from",
        &format!("{DIR}/from.csv"),
        "--to",
        &format!("{DIR}/to.csv"),
        "--metric",
        "distance",
        "--out",
        out_s,
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "nearhome matrix failed: {stderr}");
    assert!(stderr.contains("2400 pairs"), "summary: {stderr}");
    assert!(stderr.contains("138 unsnappable"), "summary: {stderr}");
    let bytes = std::fs::read(&out).expect("output written");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with("from_id,to_id,distance_m,duration_s\n"),
        "header: {}",
        &text[..text.len().min(80)]
    );
    // An unsnappable pair is a row with both figures empty (not 0).
    assert!(text.lines().any(|l| l.ends_with(",,")), "no empty cells");
    assert!(!text.lines().any(|l| l.ends_with(",0.000,0.000")));
    let rows = read_matrix_csv(&bytes, "cli output");
    let agree = assert_matches_reference(&rows, &expected(Metric::Distance), "cli distance");
    assert_eq!(agree, 2400);
}

// ---------------------------------------------------------------------------------------
// The CLI on a hand-written fixture (fixtures/osm/directions.osm: the square with the
// one-way "school lane" diagonal from its south-west to its north-east corner).
// ---------------------------------------------------------------------------------------

const DIRECTIONS: &str = "fixtures/osm/directions.osm.pbf";

#[test]
fn cli_route_prints_figures_and_geojson() {
    let (sw, ne) = (ll(54.0, -4.5), ll(54.009, -4.4847));
    let diagonal = haversine_m(sw, ne);
    // 50 m west of the south-west corner and exactly on the north-east corner.
    let run = nearhome(&[
        "route",
        "--osm",
        DIRECTIONS,
        "--from",
        "54.0,-4.50076",
        "--to",
        "54.009,-4.4847",
        "--metric",
        "distance",
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let field = |name: &str| -> f64 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"));
        line[name.len() + 1..].parse().expect("a number")
    };
    assert!((field("distance_m") - diagonal).abs() < 0.01, "{stdout}");
    assert!(
        (field("duration_s") - diagonal / (32.0 / 3.6)).abs() < 0.01,
        "{stdout}"
    );
    assert!((field("from_snap_m") - haversine_m(ll(54.0, -4.50076), sw)).abs() < 0.05);
    assert_eq!(field("to_snap_m"), 0.0);

    let run = nearhome(&[
        "route",
        "--osm",
        DIRECTIONS,
        "--from",
        "54.009,-4.4847",
        "--to",
        "54.0,-4.5",
        "--metric",
        "distance",
        "--geojson",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let f: serde_json::Value = serde_json::from_slice(&run.stdout).expect("GeoJSON");
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["geometry"]["type"], "LineString");
    let coords = f["geometry"]["coordinates"]
        .as_array()
        .expect("coordinates");
    let pts: Vec<LatLon> = coords
        .iter()
        .map(|c| ll(c[1].as_f64().expect("lat"), c[0].as_f64().expect("lon")))
        .collect();
    // Against the one-way: round the square by the north-west corner, three points.
    assert_eq!(pts.len(), 3, "{pts:?}");
    assert!(haversine_m(pts[0], ne) < 0.2 && haversine_m(pts[2], sw) < 0.2);
    assert!(haversine_m(pts[1], ll(54.009, -4.5)) < 0.2, "{pts:?}");
    let props = &f["properties"];
    let round = haversine_m(ne, ll(54.009, -4.5)) + haversine_m(ll(54.009, -4.5), sw);
    let d = props["distance_m"].as_f64().expect("distance_m");
    assert!((d - round).abs() < 0.01, "{props}");
    assert!((polyline_m(&pts) - d).abs() < 0.5);
    assert!(props["duration_s"].as_f64().is_some());
    assert_eq!(props["from_snap_m"].as_f64(), Some(0.0));
    assert_eq!(props["to_snap_m"].as_f64(), Some(0.0));

    // A point 4.4 km out: unsnappable, with the reason.
    let run = nearhome(&[
        "route",
        "--osm",
        DIRECTIONS,
        "--from",
        "54.05,-4.49",
        "--to",
        "54.0,-4.5",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("--from") && stderr.contains("no road within 1000 m"),
        "{stderr}"
    );
}

#[test]
fn cli_matrix_keeps_ids_verbatim_in_input_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let from = dir.path().join("from.csv");
    let to = dir.path().join("to.csv");
    let out = dir.path().join("out.csv");
    // Ids are text: leading zeros, spaces, a comma; one origin 4.4 km out (unsnappable).
    std::fs::write(
        &from,
        "id,lat,lon\n007,54.0,-4.5\n\"corner, NE\",54.009,-4.4847\nfar away,54.05,-4.49\n",
    )
    .expect("write");
    std::fs::write(&to, "id,lat,lon\nz,54.009,-4.5\n10,54.0,-4.4847\n").expect("write");
    let arg = |p: &std::path::Path| p.to_str().expect("utf-8").to_string();
    let run = nearhome(&[
        "matrix",
        "--osm",
        DIRECTIONS,
        "--from",
        &arg(&from),
        "--to",
        &arg(&to),
        "--out",
        &arg(&out),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("6 pairs") && stderr.contains("2 unsnappable"),
        "{stderr}"
    );
    let rows = read_matrix_csv(&std::fs::read(&out).expect("output"), "out.csv");
    let ids: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.from_id.as_str(), r.to_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("007", "z"),
            ("007", "10"),
            ("corner, NE", "z"),
            ("corner, NE", "10"),
            ("far away", "z"),
            ("far away", "10")
        ]
    );
    for r in &rows[..4] {
        assert!(r.distance_m.is_some_and(|d| d > 900.0), "{r:?}");
    }
    for r in &rows[4..] {
        assert_eq!((r.distance_m, r.duration_s), (None, None), "{r:?}");
    }
}
