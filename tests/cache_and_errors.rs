//! The graph cache (`prepare` -> `.nhg`) and bad inputs: the cache gives the same matrices
//! as the PBF; truncated, corrupt, missing and empty files give an error naming the file
//! (the CLI exits non-zero with the file name on stderr); a malformed matrix CSV gives the
//! file, line and field.

use std::path::Path;

use nearhome::error::Error;
use nearhome::index::snap::{Snap, DEFAULT_MAX_SNAP_M};
use nearhome::load::network::{encode_cache, load_network, network_from_cache, network_from_pbf};
use nearhome::load::points::read_points;
use nearhome::query::matrix::matrix;
use nearhome::query::route::{Metric, Network};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::{isle_of_man, nearhome, project_path, rutland};

const IOM_PBF: &str = "osm/isle-of-man_2019-09-05.osm.pbf";
const FROM: &str = "fixtures/acceptance/isle-of-man/from.csv";
const TO: &str = "fixtures/acceptance/isle-of-man/to.csv";

fn snaps(net: &Network, rel: &str) -> Vec<Option<Snap>> {
    let bytes = std::fs::read(project_path(rel)).expect("points file");
    read_points(&bytes, rel)
        .expect("valid points")
        .iter()
        .map(|p| net.snap(p.pos, DEFAULT_MAX_SNAP_M).ok())
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// The error (as displayed) from loading `path`, which must fail.
fn load_error(path: &Path) -> String {
    match load_network(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

fn rutland_bytes() -> Vec<u8> {
    std::fs::read(project_path("osm/rutland-latest.osm.pbf")).expect("shipped extract")
}

#[test]
fn cache_round_trip_gives_identical_networks_and_matrices() {
    let net = isle_of_man();
    let bytes = encode_cache(net).expect("encodes");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "iom.nhg", &bytes);
    let cached = load_network(&path).expect("cache loads");
    assert_eq!(cached.graph.summary(), net.graph.summary());
    assert_eq!(cached.graph.pieces(), net.graph.pieces());
    assert_eq!(cached.graph.node_count(), net.graph.node_count());
    assert_eq!(cached.index.len(), net.index.len());
    let (o, d) = (snaps(net, FROM), snaps(net, TO));
    assert_eq!(snaps(&cached, FROM), o);
    assert_eq!(snaps(&cached, TO), d);
    for metric in [Metric::Time, Metric::Distance] {
        let a = matrix(net, &o, &d, metric, None);
        let b = matrix(&cached, &o, &d, metric, None);
        assert_eq!(a, b, "{metric:?}");
    }
    // Encoding is deterministic.
    assert_eq!(encode_cache(&cached).expect("encodes"), bytes);
}

/// `nearhome prepare`, then `nearhome matrix` on the cache: the CSV is exactly the
/// library's matrix from the PBF (figures to 3 decimals, empty where unsnappable).
#[test]
fn cli_prepare_then_matrix_from_the_cache_is_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let (nhg, out) = (p("iom.nhg"), p("from-cache.csv"));
    let run = nearhome(&["prepare", "--osm", IOM_PBF, "--out", &nhg]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "prepare: {stderr}");
    assert!(stderr.contains(&nhg), "prepare names its output: {stderr}");
    let run = nearhome(&[
        "matrix", "--osm", &nhg, "--from", FROM, "--to", TO, "--out", &out,
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "matrix --osm {nhg}: {stderr}");

    let net = isle_of_man();
    let ids = |rel: &str| -> Vec<String> {
        let bytes = std::fs::read(project_path(rel)).expect("points file");
        read_points(&bytes, rel)
            .expect("valid points")
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    let (oids, dids) = (ids(FROM), ids(TO));
    let m = matrix(net, &snaps(net, FROM), &snaps(net, TO), Metric::Time, None);
    let mut want = String::from("from_id,to_id,distance_m,duration_s\n");
    for (oi, o) in oids.iter().enumerate() {
        for (di, d) in dids.iter().enumerate() {
            let figures = m.get(oi, di).map_or(String::from(","), |j| {
                format!("{:.3},{:.3}", j.distance_m, j.duration_s)
            });
            want.push_str(&format!("{o},{d},{figures}\n"));
        }
    }
    let got = std::fs::read_to_string(&out).expect("output written");
    assert!(
        got == want,
        "the CSV from the cache differs from the library's matrix"
    );
}

// ---------------------------------------------------------------------------------------
// Bad graph caches
// ---------------------------------------------------------------------------------------

#[test]
fn truncated_cache_is_an_error_naming_the_file() {
    let bytes = encode_cache(rutland()).expect("encodes");
    let dir = tempfile::tempdir().expect("temp dir");
    for keep in [5, 8, 9, 100, bytes.len() / 2, bytes.len() - 1] {
        let path = write(dir.path(), &format!("cut-{keep}.nhg"), &bytes[..keep]);
        let e = load_error(&path);
        assert!(e.contains(&format!("cut-{keep}.nhg")), "{e}");
        assert!(e.contains("not a nearhome graph cache"), "{e}");
    }
    // A cache from another format version.
    let mut other = bytes.clone();
    other[4..8].copy_from_slice(&99u32.to_le_bytes());
    let path = write(dir.path(), "v99.nhg", &other);
    let e = load_error(&path);
    assert!(e.contains("v99.nhg") && e.contains("version 99"), "{e}");
}

/// Damaged bytes anywhere in the body must be reported, not loaded as a different road
/// network (nor panic). Without a checksum most single-byte changes decode "fine".
#[test]
fn corrupt_cache_is_an_error_naming_the_file() {
    let bytes = encode_cache(rutland()).expect("encodes");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut loaded = Vec::new();
    for k in 0..12 {
        let mut bad = bytes.clone();
        let at = rng.random_range(8..bad.len());
        bad[at] ^= 0x5a;
        let label = format!("corrupt-{k}.nhg");
        let result = std::panic::catch_unwind(|| network_from_cache(&bad, &label).map(|_| ()));
        match result {
            Err(_) => panic!("{label}: byte {at} changed: panic while loading"),
            Ok(Ok(())) => loaded.push(at),
            Ok(Err(e)) => {
                let e = e.to_string();
                assert!(e.contains(&label), "{e}");
            }
        }
    }
    assert!(
        loaded.is_empty(),
        "{} of 12 corrupted caches loaded without error (changed bytes at {loaded:?})",
        loaded.len()
    );
}

/// A cache whose coordinates are damaged into NaN must be an error, not a panic.
#[test]
fn cache_with_a_nan_coordinate_is_an_error() {
    let net = rutland();
    let bytes = encode_cache(net).expect("encodes");
    let first = net.graph.piece_coords(0)[0];
    let needle = first.lat.to_le_bytes();
    let at = bytes
        .windows(8)
        .position(|w| w == needle)
        .expect("the first coordinate is stored as 8 little-endian bytes");
    let mut bad = bytes.clone();
    bad[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let result = std::panic::catch_unwind(|| {
        network_from_cache(&bad, "nan.nhg").map(|n| {
            // If it loads, using it must not panic either.
            let _ = n.snap(first, 1000.0);
        })
    });
    match result {
        Err(_) => panic!("panic on a NaN coordinate in the cache"),
        Ok(Ok(())) => panic!("a NaN coordinate was accepted"),
        Ok(Err(e)) => assert!(e.to_string().contains("nan.nhg"), "{e}"),
    }
}

// ---------------------------------------------------------------------------------------
// Bad PBFs
// ---------------------------------------------------------------------------------------

#[test]
fn missing_empty_and_non_pbf_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nowhere.osm.pbf");
    let e = load_error(&missing);
    assert!(e.contains("nowhere.osm.pbf"), "{e}");
    assert!(matches!(load_network(&missing), Err(Error::Io { .. })));

    let empty = write(dir.path(), "empty.osm.pbf", b"");
    let e = load_error(&empty);
    assert!(e.contains("empty.osm.pbf"), "{e}");

    // Not a PBF at all: the XML a fixture was made from.
    let xml = std::fs::read(project_path("fixtures/osm/directions.osm")).expect("fixture");
    let path = write(dir.path(), "directions.osm", &xml);
    let e = load_error(&path);
    assert!(e.contains("directions.osm"), "{e}");
}

/// Loading must not panic: `Err` naming the label, or (for harmless damage) `Ok`.
fn load_pbf_bytes(bytes: &[u8], label: &str) -> Result<(), String> {
    match std::panic::catch_unwind(|| network_from_pbf(bytes, label).map(|_| ())) {
        Err(_) => panic!("{label}: panic while reading the PBF"),
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
    }
}

/// A PBF cut short (an interrupted download) is an error naming the file. osmpbfreader
/// 0.19 panics (`assert_eq!` in `OsmPbfReader::push`) when a blob is cut short.
#[test]
fn truncated_pbf_is_an_error_naming_the_file() {
    let pbf = rutland_bytes();
    for keep in [3, 20, 1000, pbf.len() / 2, pbf.len() - 10] {
        let label = format!("cut-{keep}.osm.pbf");
        match load_pbf_bytes(&pbf[..keep], &label) {
            Ok(()) => panic!("{label} loaded"),
            Err(e) => assert!(e.contains(&label), "{e}"),
        }
    }
}

#[test]
fn pbf_with_a_hole_is_an_error_naming_the_file() {
    let mut bad = rutland_bytes();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 64] {
        *b = 0xff;
    }
    match load_pbf_bytes(&bad, "holed.osm.pbf") {
        Ok(()) => panic!("holed.osm.pbf loaded"),
        Err(e) => assert!(e.contains("holed.osm.pbf"), "{e}"),
    }
}

#[test]
fn randomly_damaged_pbf_never_panics() {
    let pbf = rutland_bytes();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for k in 0..6 {
        let mut bad = pbf.clone();
        for _ in 0..4 {
            let at = rng.random_range(0..bad.len());
            bad[at] ^= 1 << rng.random_range(0..8);
        }
        let label = format!("damaged-{k}.osm.pbf");
        if let Err(e) = load_pbf_bytes(&bad, &label) {
            assert!(e.contains(&label), "{e}");
        } // else a flipped bit in a tag value can be harmless
    }
}

// ---------------------------------------------------------------------------------------
// The CLI on bad inputs
// ---------------------------------------------------------------------------------------

fn assert_fails_naming(args: &[&str], name: &str) {
    let run = nearhome(args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{args:?} succeeded");
    // A clean error exit (2), not a panic (101).
    assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(name),
        "{args:?}: stderr does not name {name}: {stderr}"
    );
}

/// Every subcommand that reads `--osm` fails with the file's name on stderr.
fn cli_fails_on_network(name: &str, bytes: Option<&[u8]>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    if let Some(bytes) = bytes {
        write(dir.path(), name, bytes);
    }
    let (osm, out, nhg) = (p(name), p("out.csv"), p("x.nhg"));
    let from_to = ["--from", "52.66,-0.73", "--to", "52.67,-0.72"];
    let route: Vec<&str> = ["route", "--osm", &osm]
        .into_iter()
        .chain(from_to)
        .collect();
    assert_fails_naming(&route, name);
    let m = [
        "matrix", "--osm", &osm, "--from", FROM, "--to", TO, "--out", &out,
    ];
    assert_fails_naming(&m, name);
    assert_fails_naming(&["prepare", "--osm", &osm, "--out", &nhg], name);
}

#[test]
fn cli_fails_naming_a_missing_pbf() {
    cli_fails_on_network("nowhere.osm.pbf", None);
}

#[test]
fn cli_fails_naming_a_truncated_cache() {
    let cache = encode_cache(rutland()).expect("encodes");
    cli_fails_on_network("cut.nhg", Some(&cache[..cache.len() / 3]));
}

#[test]
fn cli_fails_naming_a_truncated_pbf() {
    let pbf = rutland_bytes();
    cli_fails_on_network("cut.osm.pbf", Some(&pbf[..pbf.len() / 2]));
}

#[test]
fn cli_matrix_names_file_line_and_field_of_a_bad_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let osm = "fixtures/osm/directions.osm.pbf";
    let good = write(dir.path(), "good.csv", b"id,lat,lon\na,54.0,-4.5\n");
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "lat.csv",
            b"id,lat,lon\na,54.0,-4.5\nb,north,-4.5\n",
            "lat.csv line 3, field `lat`",
        ),
        (
            "range.csv",
            b"id,lat,lon\na,54.0,-4.5\nb,54.0,-190\n",
            "range.csv line 3, field `lon`",
        ),
        (
            "nan.csv",
            b"id,lat,lon\na,NaN,-4.5\n",
            "nan.csv line 2, field `lat`",
        ),
        (
            "dup.csv",
            b"id,lat,lon\na,54.0,-4.5\nb,54.0,-4.49\na,54.0,-4.48\n",
            "dup.csv line 4, field `id`",
        ),
        (
            "header.csv",
            b"name,lat,lon\na,54.0,-4.5\n",
            "header.csv line 1, field `id`",
        ),
    ];
    for (name, bytes, want) in cases {
        let bad = write(dir.path(), name, bytes);
        for (from, to) in [(&bad, &good), (&good, &bad)] {
            let out = dir.path().join("out.csv");
            let run = nearhome(&[
                "matrix",
                "--osm",
                osm,
                "--from",
                from.to_str().expect("utf-8"),
                "--to",
                to.to_str().expect("utf-8"),
                "--out",
                out.to_str().expect("utf-8"),
            ]);
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(!run.status.success(), "{name} accepted");
            assert!(stderr.contains(want), "{name}: `{want}` not in {stderr}");
        }
    }
}

/// A copy of the mini scenario in a temp folder with `pupils` as its `pupils.csv`; the road
/// extract is left unreachable (validate checks the rest).
fn mini_with_pupils(pupils: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in [
        "scenario.toml",
        "boundary.geojson",
        "areas.geojson",
        "provisions.csv",
        "postcodes.csv",
    ] {
        let bytes = std::fs::read(project_path(&format!("fixtures/data/mini/{f}"))).unwrap();
        write(dir.path(), f, &bytes);
    }
    write(dir.path(), "pupils.csv", pupils.as_bytes());
    dir
}

/// `validate` output (stdout and stderr) for a mini scenario with these pupils.
fn validate_output(pupils: &str, extra: &[&str]) -> (bool, String) {
    let dir = mini_with_pupils(pupils);
    let toml = dir.path().join("scenario.toml");
    let mut args = vec!["validate", toml.to_str().expect("utf-8 temp path")];
    args.extend_from_slice(extra);
    let out = nearhome(&args);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The temp folder's random name is not from the file.
    let text = text.replace(dir.path().to_str().expect("utf-8 temp path"), "DIR");
    (out.status.success(), text)
}

fn assert_quotes_none(text: &str, values: &[&str]) {
    for v in values {
        assert!(!text.contains(v), "the message quotes {v:?}:\n{text}");
    }
}

/// Pupil rows are personal data: with the header row missing, the first pupil is not echoed
/// as "columns found".
#[test]
fn validate_never_echoes_a_headerless_pupil_row() {
    let rows = "X001,7,ASD,54.1450,-4.4700,,SS1,taxi,3200\n\
                X003,12,SEMH,54.1550,-4.4500,,IS1,taxi,9800\n";
    let (ok, text) = validate_output(rows, &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("pupils.csv"), "{text}");
    assert!(text.contains("header row missing"), "{text}");
    assert_quotes_none(&text, &["X001", "54.145", "4.47", "3200", "SEMH", "X003"]);
    // Two equal fields in the first row ("7") must not be echoed as a repeated column.
    let (ok, text) = validate_output("X001,7,7,54.1450,-4.4700\n", &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("columns 2 and 3"), "{text}");
    assert_quotes_none(&text, &["X001", "54.145", "4.47", "`7`"]);
}

/// An unknown postcode, a bad need, age, NCY, transport, cost and a mangled id: every fault
/// is named by line and column, no value is quoted, with or without `--all`.
#[test]
fn validate_names_pupil_faults_without_their_values() {
    let pupils = "id,age,ncy,need,lat,lon,postcode,placement_id,transport,transport_cost_gbp\n\
                  X001,7,,ASD,54.1450,-4.4700,,SS1,taxi,3200\n\
                  X002,9,,SLCN,,,ZZ9 9ZZ,RB1,minibus,\n\
                  X007,,Q9,QQQX,,,IM1 1AA,SS1,rocket,-77\n\
                  1.23E+05,99,,ASD,54.1450,-4.4700,,NOPE42,taxi,\n\
                  X009,9,,ASD,95.5,-4.4700,,SS1,taxi,\n\
                  X009,9,,ASD,54.1,-4.4700,,SS1,taxi,\n\
                  X010,9,,ASD,54.1450,-4.4700,,NOPE42,taxi,\n";
    for extra in [&[][..], &["--all"][..]] {
        let (ok, text) = validate_output(pupils, extra);
        assert!(!ok, "{text}");
        for want in [
            "pupils.csv line 3, column postcode: postcode not found in the postcode table",
            "pupils.csv line 4, column ncy",
            "pupils.csv line 4, column need",
            "pupils.csv line 4, column transport",
            "pupils.csv line 4, column transport_cost_gbp",
            "pupils.csv line 5, column id",
            "pupils.csv line 5, column age",
            "pupils.csv line 6, column lat",
            "pupils.csv line 7, column id: duplicate id: already used on line 6",
            "pupils.csv line 8, column placement_id",
        ] {
            assert!(text.contains(want), "{want:?} missing:\n{text}");
        }
        assert_quotes_none(
            &text,
            &[
                "X002", "X007", "X009", "X010", "ZZ9", "Q9", "QQQX", "rocket", "-77", "1.23E+05",
                "99", "NOPE42", "95.5", "54.145", "4.47",
            ],
        );
    }
}

/// `nearhome route ... | head`: a reader that has gone is a clean exit, not an error.
#[test]
fn cli_route_into_a_closed_pipe_exits_cleanly() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nearhome"))
        .args([
            "route",
            "--osm",
            "fixtures/osm/directions.osm.pbf",
            "--from",
            "54.0,-4.5",
            "--to",
            "54.009,-4.4847",
            "--geojson",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the nearhome binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// Several extracts
// ---------------------------------------------------------------------------------------

const WEST: &str = "fixtures/osm/rutland-west.osm.pbf";
const EAST: &str = "fixtures/osm/rutland-east.osm.pbf";

/// Points spread over Rutland (some off the roads, to keep unsnappable cells in the CSV).
fn rutland_points(n: usize, seed: u64, prefix: &str) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut csv = String::from("id,lat,lon\n");
    for i in 0..n {
        let lat = rng.random_range(52.56..52.74);
        let lon = rng.random_range(-0.80..-0.45);
        csv.push_str(&format!("{prefix}{i},{lat:.6},{lon:.6}\n"));
    }
    csv
}

/// Two overlapping halves of the Rutland extract (cut with `tools/split_extract.py` as
/// neighbouring Geofabrik extracts overlap: complete ways, shared ids), merged in either
/// order, are the whole extract's graph, and route the same matrix.
#[test]
fn two_overlapping_extracts_merge_into_the_whole() {
    use nearhome::load::network::load_networks;
    let whole = rutland();
    let (w, e) = (project_path(WEST), project_path(EAST));
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let points: Vec<nearhome::model::LatLon> = (0..60)
        .map(|_| nearhome::model::LatLon {
            lat: rng.random_range(52.56..52.74),
            lon: rng.random_range(-0.80..-0.45),
        })
        .collect();
    let snapped = |net: &Network| -> Vec<Option<Snap>> {
        points
            .iter()
            .map(|p| net.snap(*p, DEFAULT_MAX_SNAP_M).ok())
            .collect()
    };
    let ws = snapped(whole);
    assert!(ws.iter().flatten().count() > 30, "most points snap");
    let want = matrix(whole, &ws[..40], &ws[40..], Metric::Time, None);
    for order in [[w.clone(), e.clone()], [e.clone(), w.clone()]] {
        let merged = load_networks(&order, &[Metric::Time]).expect("both halves load");
        let s = &merged.graph.summary().read;
        assert_eq!(s.files, 2);
        assert!(s.ways_in_several_files > 0, "the halves overlap");
        assert_eq!(
            merged.graph.parts().junctions,
            whole.graph.parts().junctions
        );
        assert_eq!(merged.graph.pieces(), whole.graph.pieces());
        assert_eq!(merged.graph.parts().coords, whole.graph.parts().coords);
        let ms = snapped(&merged);
        assert_eq!(ms, ws);
        let got = matrix(&merged, &ms[..40], &ms[40..], Metric::Time, None);
        assert_eq!(got, want, "{order:?}");
    }
    // One half alone is not the whole.
    let west = load_networks(&[w], &[Metric::Time]).expect("west loads");
    assert!(west.graph.node_count() < whole.graph.node_count());
}

/// `matrix --osm WEST,EAST` writes exactly the CSV of `--osm` the whole extract, through
/// one cache for the pair; a graph cache cannot be listed with other extracts.
#[test]
fn cli_matrix_on_two_extracts_equals_the_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = |rel: &str| {
        let to = dir
            .path()
            .join(Path::new(rel).file_name().expect("a file name"));
        std::fs::copy(project_path(rel), &to).expect("copy fixture");
        to.to_str().expect("utf-8").to_string()
    };
    let (w, e, whole) = (copy(WEST), copy(EAST), copy("osm/rutland-latest.osm.pbf"));
    let from = write(
        dir.path(),
        "from.csv",
        rutland_points(80, 3, "o").as_bytes(),
    );
    let to = write(dir.path(), "to.csv", rutland_points(12, 4, "d").as_bytes());
    let (from, to) = (from.to_str().expect("utf-8"), to.to_str().expect("utf-8"));
    let out = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let run = |osm: &[&str], csv: &str| {
        let mut args = vec!["matrix"];
        for o in osm {
            args.extend(["--osm", o]);
        }
        args.extend(["--from", from, "--to", to, "--out", csv]);
        let r = nearhome(&args);
        let stderr = String::from_utf8_lossy(&r.stderr).to_string();
        assert!(r.status.success(), "matrix {osm:?}: {stderr}");
        stderr
    };
    let said = run(&[&format!("{w},{e}")], &out("pair.csv"));
    assert!(said.contains("from 2 extracts"), "{said}");
    run(&[&w, &e], &out("pair-again.csv"));
    run(&[&whole], &out("whole.csv"));
    let read = |name: &str| std::fs::read_to_string(out(name)).expect("written");
    assert_eq!(read("pair.csv"), read("whole.csv"));
    assert_eq!(read("pair-again.csv"), read("whole.csv"));
    let caches: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|d| d.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".nhg"))
        .collect();
    assert_eq!(
        caches.len(),
        2,
        "one cache for the pair, one for the whole: {caches:?}"
    );
    let pair_cache = caches
        .iter()
        .find(|n| n.starts_with("rutland-west+1-"))
        .expect("the pair's cache is named after both");
    let nhg = dir.path().join(pair_cache);
    let r = nearhome(&[
        "matrix",
        "--osm",
        &format!("{},{e}", nhg.display()),
        "--from",
        from,
        "--to",
        to,
        "--out",
        &out("bad.csv"),
    ]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert!(
        stderr.contains(pair_cache.as_str()) && stderr.contains("cannot be merged"),
        "{stderr}"
    );
}
