//! `nearhome import` on a council-style export: the committed spreadsheet
//! (`fixtures/import/council_export.xlsx`, made by `tools/council_export_fixture.py`) and CSVs
//! made here. Every output byte is scanned for the references, names and dates of birth.

use std::path::Path;

const KEY_A: &str = "0123456789abcdef-test-key-A";
const KEY_B: &str = "0123456789abcdef-test-key-B";

fn run(args: &[&str], key: Option<&str>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nearhome"));
    cmd.args(args)
        .current_dir(crate::support::project_path("."));
    cmd.env_remove("NEARHOME_PSEUDONYM_KEY");
    if let Some(k) = key {
        cmd.env("NEARHOME_PSEUDONYM_KEY", k);
    }
    cmd.output().unwrap()
}

fn import(file: &str, out: &Path, key: Option<&str>) -> std::process::Output {
    run(
        &["import", "--pupils", file, "--out", out.to_str().unwrap()],
        key,
    )
}

fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            out.extend(std::fs::read(p).unwrap());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_council_spreadsheet_imports_without_its_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let o = import("fixtures/import/council_export.xlsx", &out, Some(KEY_A));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("header on row 3") && err.contains("5 rows in, 3 written, 2 left out"),
        "{err}"
    );
    let csv = std::fs::read_to_string(out.join("pupils.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    // Need in words, date of birth as a serial number (age at 31 August 2024), name match.
    assert!(
        rows[1].contains(",10,ASD,") && rows[1].contains("catmose-college"),
        "{csv}"
    );
    assert!(rows[2].contains(",15,SEMH,"), "{csv}");
    // NC Year 3 from a formula's cached value: age 7; no placement -> not_recorded.
    assert!(
        rows[3].contains(",7,SLCN,") && rows[3].contains("not_recorded"),
        "{csv}"
    );
    let report = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(
        report.contains("| Caseload | 8 | UPN | the same pupil reference is on an earlier row |"),
        "{report}"
    );
    assert!(report.contains("| Caseload | 9 | School |"), "{report}");
    assert!(!report.contains("No Such School"), "{report}");
    assert!(
        report.contains("| Favourite colour | unknown header"),
        "{report}"
    );
    assert!(report.contains("3 rows accepted, 0 rejected"), "{report}");
    let bytes = all_bytes(&out);
    for secret in [
        "A123456789012",
        "B223456789012",
        "C323456789012",
        "Testperson",
        "Alex",
        "Sampleton",
        "Made Up Lane",
        "41640",
        "2014-01-01",
        KEY_A,
    ] {
        assert!(
            !contains(&bytes, secret),
            "{secret} leaked into the outputs"
        );
    }
    // The same key gives the same ids; another key unlinkable ones.
    let again = dir.path().join("b");
    assert!(
        import("fixtures/import/council_export.xlsx", &again, Some(KEY_A))
            .status
            .success()
    );
    assert_eq!(
        csv,
        std::fs::read_to_string(again.join("pupils.csv")).unwrap()
    );
    let other = dir.path().join("c");
    assert!(
        import("fixtures/import/council_export.xlsx", &other, Some(KEY_B))
            .status
            .success()
    );
    let csv_b = std::fs::read_to_string(other.join("pupils.csv")).unwrap();
    let ids = |s: &str| -> Vec<String> {
        s.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    assert!(ids(&csv).iter().all(|i| !ids(&csv_b).contains(i)));
}

#[test]
fn a_reference_column_without_a_key_is_refused_with_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let o = import(
        "fixtures/import/council_export.xlsx",
        &dir.path().join("a"),
        None,
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`UPN` is a pupil reference") && err.contains("/dev/urandom"),
        "{err}"
    );
    assert!(!dir.path().join("a").exists());
}

#[test]
fn csv_exports_with_aliases_and_a_columns_file() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.csv");
    std::fs::write(
        &export,
        "Export of 2024\n\nChild Ref,Surname,DOB,Primary Need,Placement,Latitude,Longitude,Notes 2\nK1,Doe,01/09/2014,Social Emotional and Mental Health,Catmose College,52.67,-0.72,x\nK2,Roe,2030-01-01,ASD,,52.67,-0.72,\n",
    )
    .unwrap();
    let cols = dir.path().join("columns.toml");
    std::fs::write(
        &cols,
        "[columns]\n\"Child Ref\" = \"id\"\n\"Notes 2\" = \"drop\"\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = run(
        &[
            "import",
            "--pupils",
            export.to_str().unwrap(),
            "--columns",
            cols.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        Some(KEY_A),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("pupils.csv")).unwrap();
    // Born 1 September 2014: 9 at 31 August 2024.
    assert!(
        csv.lines().nth(1).unwrap().contains(",9,SEMH,52.67,-0.72,"),
        "{csv}"
    );
    let report = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(
        report.contains("| 5 | DOB | not a date of birth"),
        "{report}"
    );
    assert!(!contains(&all_bytes(&out), "Doe") && !contains(&all_bytes(&out), "K1,"));
}

#[test]
fn gias_establishments_become_provisions_and_pupils_match_them_by_urn() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.csv");
    std::fs::write(
        &export,
        "UPN,Age,Primary Need,School,Latitude,Longitude\nU1,12,ASD,900001,52.67,-0.72\nU2,12,ASD,Made Up Academy (resourced provision),52.67,-0.72\nU3,12,ASD,900005,52.67,-0.72\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = run(
        &[
            "import",
            "--provisions",
            "fixtures/import/gias_sample.csv",
            "--pupils",
            export.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        Some(KEY_A),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let prov = std::fs::read_to_string(out.join("provisions.csv")).unwrap();
    // Open special schools, the academy's resourced provision and the independent special
    // school; the closed school, the plain primary and the row without a grid reference not.
    let ids: Vec<&str> = prov
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["900001", "900002-rb", "900004", "900006"], "{prov}");
    assert!(
        prov.contains("900004,Made Up Independent Special,independent_special,SEMH,"),
        "{prov}"
    );
    assert!(prov.contains(",12,10,,486700,299900,academy"), "{prov}");
    let report = std::fs::read_to_string(out.join("provisions-report.md")).unwrap();
    assert!(
        report.contains("1 not open") && report.contains("| 8 | Easting | no grid reference |"),
        "{report}"
    );
    let pupils = std::fs::read_to_string(out.join("pupils.csv")).unwrap();
    assert!(
        pupils.contains(",900001,") && pupils.contains(",900002-rb,"),
        "{pupils}"
    );
    let ir = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(ir.contains("| 4 | School | neither a provision id"), "{ir}");
    assert!(
        !ir.contains("900005"),
        "the report quotes no value of a pupil's row: {ir}"
    );
}
