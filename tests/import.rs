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
        report.contains("| Caseload | 8 | UPN | the same pupil reference as row 4 |"),
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
        report.contains("| 5 | DOB | not a day/month/year date of birth"),
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
    assert!(
        ir.contains("| 4 | School | no provision has this id, URN, DfE number or exact name"),
        "{ir}"
    );
    assert!(
        !ir.contains("900005"),
        "the report quotes no value of a pupil's row: {ir}"
    );
}

#[test]
fn xls_and_ods_exports_import_as_the_xlsx_does() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str| {
        let out = dir.path().join(name);
        let o = import(&format!("fixtures/import/{name}"), &out, Some(KEY_A));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("pupils.csv")).unwrap()
    };
    let xlsx = read("council_export.xlsx");
    assert_eq!(xlsx.lines().count(), 4, "{xlsx}");
    assert_eq!(read("council_export.xls"), xlsx);
    assert_eq!(read("council_export.ods"), xlsx);
}

/// The hostile export: a notes sheet first, a header over two merged rows, placements by
/// URN and DfE number, grid references, text dates, a formula, an error cell, a US date, a
/// repeated UPN, a cell far right and a stray cell at XFD1048576.
#[test]
fn a_merged_two_row_header_export_with_codes_grid_references_and_odd_cells() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let o = run(
        &[
            "import",
            "--provisions",
            "fixtures/import/gias_sample.csv",
            "--pupils",
            "fixtures/import/council_merged.xlsx",
            "--out",
            out.to_str().unwrap(),
        ],
        Some(KEY_A),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("sheet `Export`, header on rows 2-3: 9 rows in, 4 written, 5 left out"),
        "{err}"
    );
    let csv = std::fs::read_to_string(out.join("pupils.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // (age, need, easting, northing, placement, status, transport)
    let got: Vec<[&str; 7]> = rows
        .iter()
        .map(|r| [r[1], r[2], r[5], r[6], r[7], r[8], r[9]])
        .collect();
    assert_eq!(
        got,
        [
            // 12/03/2014, URN 900001, SK 861 086, Taxi.
            ["10", "ASD", "486100", "308600", "900001", "", "taxi"],
            // Serial 40000 (6 July 2009), DfE number 857/4001 -> the academy's resourced
            // provision, PTB.
            [
                "15",
                "ASD",
                "486700",
                "399900",
                "900002-rb",
                "",
                "personal_budget"
            ],
            // 29 February 2016, placement type EOTAS, no school.
            [
                "8",
                "SLCN",
                "486100",
                "308600",
                "",
                "other_arrangements",
                ""
            ],
            // 12-Mar-15, need in words, URN of the independent special school, bus pass.
            ["9", "ASD", "486100", "308600", "900004", "", "public"],
        ],
        "{csv}"
    );
    let report = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    for line in [
        "| Export | 8 | UPN | the same pupil reference as row 4 |",
        "| Export | 9 | Date of Birth | the cell holds a spreadsheet error (#N/A), not a value |",
        "| Export | 10 | Date of Birth | not a day/month/year date of birth",
        "| Export | 11 | Placement URN | no provision has this id, URN, DfE number or exact name |",
        "| Export | 12 | Home Grid Reference | not an Ordnance Survey grid reference",
        "| Placement URN | Urn |",
        "| DfE Number | Laestab |",
        "| Placement Type | PlacementType |",
        "Placements matched to a provision: 1 by DfE number, 3 by URN.",
        "2 cells right of column 256 were not read.",
        "4 rows accepted, 0 rejected",
    ] {
        assert!(report.contains(line), "{line}\n{report}");
    }
    let prov = std::fs::read_to_string(out.join("provisions.csv")).unwrap();
    assert!(
        prov.lines().next().unwrap().ends_with(",urn,laestab"),
        "{prov}"
    );
    assert!(prov.contains(",900002,8574001"), "{prov}");
    // No reference, name or written date of birth in any output byte.
    let bytes = all_bytes(&out);
    for secret in [
        "U00000000000",
        "Alex",
        "Sam",
        "Kim",
        "Ann",
        "12/03/2014",
        "2016-02-29",
        "12-Mar-15",
        "2009-07-06",
        "03/13/2014",
        "far right",
        "stray",
    ] {
        assert!(!contains(&bytes, secret), "`{secret}` is in the output");
    }
}

#[test]
fn a_scenario_provisions_file_with_urn_and_dfe_columns_matches_codes() {
    let dir = tempfile::tempdir().unwrap();
    let src = crate::support::project_path("fixtures/scenarios/rutland");
    let scen = dir.path().join("scen");
    std::fs::create_dir_all(&scen).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, scen.join(p.file_name().unwrap())).unwrap();
        }
    }
    let toml = std::fs::read_to_string(scen.join("scenario.toml")).unwrap();
    let root = crate::support::project_path(".");
    let toml = toml.replace("../../../", &format!("{}/", root.display()));
    std::fs::write(scen.join("scenario.toml"), toml).unwrap();
    // Give the scenario's provisions a URN and a DfE number column.
    let prov = std::fs::read_to_string(scen.join("provisions.csv")).unwrap();
    let mut lines = prov.lines();
    let mut text = format!("{},urn,laestab\n", lines.next().unwrap());
    let mut first_id = String::new();
    for (i, l) in lines.enumerate() {
        if i == 0 {
            first_id = l.split(',').next().unwrap().to_string();
            text.push_str(&format!("{l},700001,857/7777\n"));
        } else {
            text.push_str(&format!("{l},,\n"));
        }
    }
    std::fs::write(scen.join("provisions.csv"), text).unwrap();
    let export = dir.path().join("export.csv");
    std::fs::write(
        &export,
        "UPN,Age,Primary Need,URN,DfE Number,Grid Reference\nQ1,12,ASD,700001,,SK 862 086\nQ2,12,ASD,,8577777,SK 862 086\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = run(
        &[
            "import",
            scen.join("scenario.toml").to_str().unwrap(),
            "--pupils",
            export.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        Some(KEY_A),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("pupils.csv")).unwrap();
    let placed: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(7).unwrap())
        .collect();
    assert_eq!(placed, [first_id.as_str(), first_id.as_str()], "{csv}");
}
