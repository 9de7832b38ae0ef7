//! Faults around the outputs: every output folder is replaced whole with a manifest, a
//! second run into a locked folder fails clearly, a folder of other files is never
//! replaced, and concurrent runs into one folder never mix.

use std::path::Path;

use crate::support::nearhome;

const DEMO: &str = "fixtures/scenarios/rutland/scenario.toml";

fn analyse(out: &Path, extra: &[&str]) -> std::process::Output {
    let out = out.to_str().expect("utf-8 temp path");
    let mut args = vec!["analyse", DEMO, "--out", out];
    args.extend_from_slice(extra);
    nearhome(&args)
}

fn manifest(out: &Path) -> serde_json::Value {
    let bytes = std::fs::read(out.join("MANIFEST.json")).expect("a manifest");
    serde_json::from_slice(&bytes).expect("manifest JSON")
}

/// Every file the manifest lists is there with its size and SHA-256, and nothing else is.
fn assert_matches_manifest(out: &Path) {
    let m = manifest(out);
    let listed: Vec<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    for f in m["files"].as_array().unwrap() {
        let path = out.join(f["file"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().unwrap(), "{path:?}");
        assert_eq!(
            nearhome::output::folder::sha256_hex(&bytes),
            f["sha256"].as_str().unwrap(),
            "{path:?}"
        );
    }
    let mut present = Vec::new();
    for e in std::fs::read_dir(out).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            for s in std::fs::read_dir(e.path()).unwrap() {
                present.push(format!(
                    "{name}/{}",
                    s.unwrap().file_name().to_string_lossy()
                ));
            }
        } else if name != "MANIFEST.json" {
            present.push(name);
        }
    }
    present.sort();
    let mut want = listed.clone();
    want.sort();
    assert_eq!(
        present, want,
        "the folder holds exactly the manifest's files"
    );
}

#[test]
fn a_run_without_geometry_leaves_no_lines_of_an_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = analyse(&out, &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.join("journeys.geojson").is_file());
    assert_matches_manifest(&out);
    let m = manifest(&out);
    assert_eq!(m["command"], "analyse");
    let inputs = m["inputs"].to_string();
    assert!(
        inputs.contains("scenario") && inputs.contains("pupils"),
        "{inputs}"
    );
    let run = analyse(&out, &["--no-geometry"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!out.join("journeys.geojson").exists(), "old lines removed");
    assert_matches_manifest(&out);
    // nothing left beside the folder: no lock, staging or old copy
    let beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, ["out"]);
}

#[test]
fn a_locked_folder_is_refused_and_a_foreign_one_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // a live process holds the lock (the test runner's parent, which outlives the run)
    let lock = tmp.path().join(".out.lock");
    std::fs::write(&lock, std::os::unix::process::parent_id().to_string()).unwrap();
    let run = analyse(&out, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("being written by another run"), "{stderr}");
    assert!(!out.exists());
    std::fs::remove_file(&lock).unwrap();
    // a folder holding someone else's files
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), b"keep me").unwrap();
    let run = analyse(&mine, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(std::fs::read(mine.join("notes.txt")).unwrap(), b"keep me");
}

#[test]
fn concurrent_runs_into_one_folder_never_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let runs: Vec<std::process::Output> = std::thread::scope(|s| {
        let a = s.spawn(|| analyse(&out, &[]));
        let b = s.spawn(|| analyse(&out, &["--no-geometry"]));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    let ok = runs.iter().filter(|r| r.status.success()).count();
    assert!(ok >= 1, "at least one run publishes");
    for r in runs.iter().filter(|r| !r.status.success()) {
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(stderr.contains("being written by another run"), "{stderr}");
    }
    // whichever finished last, the folder is one run's, complete
    assert_matches_manifest(&out);
}

#[test]
fn a_full_disk_names_the_file_and_fails() {
    if !Path::new("/dev/full").exists() {
        return; // Linux only
    }
    let tmp = tempfile::tempdir().unwrap();
    let pts = tmp.path().join("pts.csv");
    std::fs::write(&pts, "id,lat,lon\na,52.6709,-0.7270\nb,52.5893,-0.7231\n").unwrap();
    let pts = pts.to_str().unwrap();
    let run = nearhome(&[
        "matrix",
        "--osm",
        "osm/rutland-latest.osm.pbf",
        "--from",
        pts,
        "--to",
        pts,
        "--out",
        "/dev/full",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(
        stderr.contains("writing /dev/full") && stderr.contains("No space left"),
        "{stderr}"
    );
}

/// Block boundaries of a PBF (an independent walk of the framing: length, header, blob).
fn block_ends(b: &[u8]) -> Vec<usize> {
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let c = b[*i];
            *i += 1;
            v |= u64::from(c & 0x7f) << shift;
            shift += 7;
            if c < 0x80 {
                return v;
            }
        }
    }
    let (mut pos, mut ends) = (0usize, Vec::new());
    while pos < b.len() {
        let hl = u32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
        let h = &b[pos + 4..pos + 4 + hl];
        let (mut i, mut size) = (0usize, 0usize);
        while i < h.len() {
            let key = varint(h, &mut i);
            match key & 7 {
                0 => {
                    let v = varint(h, &mut i);
                    if key >> 3 == 3 {
                        size = v as usize;
                    }
                }
                2 => i += varint(h, &mut i) as usize,
                _ => panic!("unexpected wire type"),
            }
        }
        pos += 4 + hl + size;
        ends.push(pos);
    }
    ends
}

#[test]
fn a_pbf_cut_at_a_block_boundary_is_suspected() {
    let bytes = std::fs::read(crate::support::project_path("osm/rutland-latest.osm.pbf")).unwrap();
    let whole = nearhome::load::network::network_from_pbf(&bytes, "whole").unwrap();
    assert!(whole.graph.summary().read.suspected_truncation.is_empty());
    let ends = block_ends(&bytes);
    assert_eq!(*ends.last().unwrap(), bytes.len());
    // without the relation blocks at the end: it parses, and is suspected
    let cut = &bytes[..ends[ends.len() - 3]];
    let net = nearhome::load::network::network_from_pbf(cut, "cut.osm.pbf").unwrap();
    let why = &net.graph.summary().read.suspected_truncation;
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("cut.osm.pbf may be cut short"), "{why:?}");
}
