//! A disclosure audit that attacks the outputs.
//!
//! Ground truth is the internal output of the same run (exact area × need counts, exact
//! provision counts, the officer's what-if answers). Every public file and every public API
//! answer of the Rutland demo and of the adversarial mini scenario (six pupils in two tiny
//! areas, one pupil of a need, a single move) is checked for any figure that derives from
//! 1–9 pupils, for counts that are not rounded to 5, for lines (an area's needs, a layer's
//! areas against the authority) where exactly one cell is hidden, and for what-if answers
//! that reveal a change of 1–9 pupils. The auditor itself is checked on a hand-made leaky
//! table like the one the product wrote before the output layer was rebuilt.

use std::collections::BTreeMap;
use std::path::Path;

use axum::body::Body;
use axum::http::{header, Method, Request};
use http_body_util::BodyExt;
use nearhome::serve::auth::Auth;
use nearhome::serve::{router, AppState, ServiceConfig};
use serde_json::Value;
use tower::ServiceExt;

use crate::support::project_path;

const OFFICER: &str = "audit-officer-token-0123456789";

const COUNTS: [&str; 6] = [
    "pupils",
    "out_of_area",
    "long_journeys",
    "long_journeys_estimated",
    "bring_back_candidates",
    "moves",
];

/// Derived columns and the count each derives from.
const DERIVED: [(&str, &str, f64); 9] = [
    ("out_of_area_pct", "out_of_area", 1.0),
    ("median_minutes", "pupils", 1.0),
    ("p90_minutes", "pupils", 1.0),
    ("km_per_year_saved", "moves", 100.0),
    ("hours_per_year_saved", "moves", 10.0),
    ("placement_gbp_saved", "moves", 1000.0),
    ("transport_gbp_saved", "moves", 1000.0),
    ("gbp_per_year_saved", "moves", 1000.0),
    ("local_spare_places", "", 5.0),
];

type Row = BTreeMap<String, String>;

fn read_csv(text: &str) -> Vec<Row> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn key(r: &Row) -> (String, String, String) {
    (r["layer"].clone(), r["area_id"].clone(), r["need"].clone())
}

fn num(s: &str) -> Option<f64> {
    if s.is_empty() {
        None
    } else {
        Some(s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}")))
    }
}

fn multiple_of(x: f64, step: f64) -> bool {
    ((x / step).round() * step - x).abs() < 1e-6
}

/// Check one published count against its exact value.
fn check_count(what: &str, exact: f64, shown: Option<f64>, out: &mut Vec<String>) {
    match shown {
        Some(v) if exact > 0.0 && exact < 10.0 => {
            out.push(format!("{what}: {v} published for {exact} pupils"))
        }
        Some(v) if !multiple_of(v, 5.0) => out.push(format!("{what}: {v} not rounded to 5")),
        Some(v) if (v - exact).abs() > 2.5 => {
            out.push(format!("{what}: {v} is not {exact} rounded"))
        }
        _ => {}
    }
}

/// Audit a public area × need table against the internal one: primary rule, rounding,
/// derived figures with their counts, and secondary suppression on every row, and on every
/// layer's column against the authority's figures (`authority[need][count]`).
fn audit_areas(
    internal: &[Row],
    public: &[Row],
    authority: &BTreeMap<(String, String), Option<f64>>,
) -> Vec<String> {
    let mut out = Vec::new();
    let exact: BTreeMap<_, _> = internal.iter().map(|r| (key(r), r)).collect();
    assert_eq!(internal.len(), public.len(), "same rows in both tables");
    for p in public {
        let k = key(p);
        let Some(e) = exact.get(&k) else {
            out.push(format!("{k:?}: no internal row"));
            continue;
        };
        for c in COUNTS {
            let ex = num(&e[c]).unwrap_or(0.0);
            check_count(&format!("{k:?} {c}"), ex, num(&p[c]), &mut out);
        }
        for (d, base, step) in DERIVED {
            let Some(v) = num(&p[d]) else { continue };
            if !base.is_empty() {
                let b = num(&e[base]).unwrap_or(0.0);
                if b > 0.0 && b < 10.0 {
                    out.push(format!("{k:?} {d}: {v} published from {b} pupils"));
                }
                if num(&p[base]).is_none() {
                    out.push(format!(
                        "{k:?} {d}: {v} published beside a suppressed {base}"
                    ));
                }
            }
            if !multiple_of(v, step) {
                out.push(format!("{k:?} {d}: {v} not rounded to {step}"));
            }
        }
    }
    // Lines: an area's ALL against its needs; a layer's areas against the authority.
    for c in COUNTS {
        let mut rows: BTreeMap<(String, String), Vec<Option<f64>>> = BTreeMap::new();
        let mut cols: BTreeMap<(String, String), Vec<Option<f64>>> = BTreeMap::new();
        for p in public {
            let (layer, area, need) = key(p);
            rows.entry((layer.clone(), area))
                .or_default()
                .push(num(&p[c]));
            cols.entry((layer, need)).or_default().push(num(&p[c]));
        }
        for ((layer, need), mut cells) in cols {
            cells.push(
                authority
                    .get(&(need.clone(), c.to_string()))
                    .copied()
                    .flatten(),
            );
            if cells.iter().filter(|v| v.is_none()).count() == 1 {
                out.push(format!("{c}: layer {layer} need {need}: one hidden cell"));
            }
        }
        for ((layer, area), cells) in rows {
            if cells.iter().filter(|v| v.is_none()).count() == 1 {
                out.push(format!(
                    "{c}: {layer}/{area}: one hidden cell among its needs"
                ));
            }
        }
    }
    out
}

/// The authority's public figures per (need, count) from a public summary.
fn authority(summary: &Value) -> BTreeMap<(String, String), Option<f64>> {
    let mut m = BTreeMap::new();
    for c in COUNTS {
        m.insert(("ALL".into(), c.into()), summary["overall"][c].as_f64());
        for n in summary["by_need"].as_array().unwrap() {
            m.insert(
                (n["need"].as_str().unwrap().to_string(), c.to_string()),
                n[c].as_f64(),
            );
        }
    }
    m
}

/// Audit a public summary against the internal one.
fn audit_summary(internal: &Value, public: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let groups = |s: &Value| -> Vec<Value> {
        let mut v = vec![s["overall"].clone()];
        v.extend(s["by_need"].as_array().unwrap().iter().cloned());
        v
    };
    for (e, p) in groups(internal).iter().zip(groups(public)) {
        let name = p["need"].as_str().unwrap_or("ALL").to_string();
        for c in COUNTS {
            check_count(
                &format!("summary {name} {c}"),
                e[c].as_f64().unwrap(),
                p[c].as_f64(),
                &mut out,
            );
        }
        for (d, base, step) in DERIVED {
            let Some(v) = p[d].as_f64() else { continue };
            if !base.is_empty() {
                let b = e[base].as_f64().unwrap();
                if (b > 0.0 && b < 10.0) || p[base].is_null() {
                    out.push(format!("summary {name} {d}: {v} published from {b} pupils"));
                }
            }
            if !multiple_of(v, step) {
                out.push(format!("summary {name} {d}: {v} not rounded to {step}"));
            }
        }
    }
    for (k, v) in public["bring_back"]["not_moved"].as_object().unwrap() {
        let ex = internal["bring_back"]["not_moved"][k].as_f64().unwrap();
        check_count(&format!("not_moved {k}"), ex, v.as_f64(), &mut out);
    }
    out.extend(audit_journeys(internal, public));
    out.extend(audit_estimates(
        &internal["journey_estimates"],
        &public["journey_estimates"],
    ));
    for s in ["optimal", "greedy"] {
        let ex = internal["bring_back"][s]["moved"].as_f64().unwrap();
        let shown = public["bring_back"][s]["moved"].as_f64();
        check_count(&format!("{s} moved"), ex, shown, &mut out);
        if shown.is_none() && !public["bring_back"][s]["total_minutes"].is_null() {
            out.push(format!(
                "{s} total_minutes published beside suppressed moves"
            ));
        }
    }
    out
}

/// `cells` with exactly one hidden (null) cell: the hidden one could be recovered.
fn one_hidden(cells: &[&Value]) -> bool {
    cells.iter().filter(|v| v.is_null()).count() == 1
}

/// The summary's journey counts: each count by the rules, and the two lines that add up
/// (routed + estimated + none = pupils; homes_unsnappable + journeys_unrouted = none).
fn audit_journeys(internal: &Value, public: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (ij, pj) = (&internal["journeys"], &public["journeys"]);
    let keys = [
        "routed",
        "estimated",
        "none",
        "homes_unsnappable",
        "journeys_unrouted",
    ];
    for k in keys {
        let ex = ij[k].as_f64().unwrap();
        check_count(&format!("journeys {k}"), ex, pj[k].as_f64(), &mut out);
    }
    let pupils = &public["overall"]["pupils"];
    if one_hidden(&[&pj["routed"], &pj["estimated"], &pj["none"], pupils]) {
        out.push("journeys: one hidden cell among routed, estimated, none and pupils".into());
    }
    if one_hidden(&[
        &pj["homes_unsnappable"],
        &pj["journeys_unrouted"],
        &pj["none"],
    ]) {
        out.push("journeys: one hidden cell among the reasons for none".into());
    }
    out
}

/// The summary's journey estimates: pair counts by the rules with the bands' line against
/// the total, and medians and errors only beside published counts, rounded.
fn audit_estimates(internal: &Value, public: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let bands_i = internal["bands"].as_array().unwrap();
    let bands_p = public["bands"].as_array().unwrap();
    assert_eq!(bands_i.len(), bands_p.len(), "same bands");
    let derived = [
        ("median_circuity", "pairs", 0.01),
        ("median_speed_kmh", "pairs", 1.0),
        ("hold_out_mdape_pct", "hold_out_pairs", 1.0),
    ];
    for (e, p) in bands_i.iter().zip(bands_p) {
        let band = p["band"].as_str().unwrap_or("?");
        for c in ["pairs", "hold_out_pairs"] {
            let ex = e[c].as_f64().unwrap();
            check_count(
                &format!("estimates {band} {c}"),
                ex,
                p[c].as_f64(),
                &mut out,
            );
        }
        for (d, base, step) in derived {
            let Some(v) = p[d].as_f64() else { continue };
            let b = e[base].as_f64().unwrap();
            if (b > 0.0 && b < 10.0) || p[base].is_null() {
                out.push(format!(
                    "estimates {band} {d}: {v} published from {b} pairs"
                ));
            }
            if !multiple_of(v, step) {
                out.push(format!("estimates {band} {d}: {v} not rounded to {step}"));
            }
        }
        for c in ["current_journeys", "estimated_journeys"] {
            if !p[c].is_null() {
                out.push(format!("estimates {band} {c} published"));
            }
        }
    }
    let mut line: Vec<&Value> = bands_p.iter().map(|b| &b["pairs"]).collect();
    line.push(&public["calibrated_on"]["pairs"]);
    if one_hidden(&line) {
        out.push("estimates: one hidden cell among the bands' pairs and their total".into());
    }
    let hold = &public["hold_out"];
    if !hold.is_null() {
        let mut line: Vec<&Value> = bands_p.iter().map(|b| &b["hold_out_pairs"]).collect();
        line.push(&hold["pairs"]);
        if one_hidden(&line) {
            out.push("estimates: one hidden cell among the held-out pairs by band".into());
        }
        for (d, base) in [
            ("mdape_pct", "pairs"),
            ("median_error_pct", "pairs"),
            ("current_journeys_mdape_pct", "current_journeys"),
        ] {
            let Some(v) = hold[d].as_f64() else { continue };
            let b = internal["hold_out"][base].as_f64().unwrap();
            if (b > 0.0 && b < 10.0) || hold[base].is_null() {
                out.push(format!(
                    "estimates hold-out {d}: {v} published from {b} pairs"
                ));
            }
            if !multiple_of(v, 1.0) {
                out.push(format!("estimates hold-out {d}: {v} not rounded to 1"));
            }
        }
    }
    out
}

/// Audit public provision features against the internal ones.
fn audit_provisions(internal: &Value, public: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let fi = internal["features"].as_array().unwrap();
    let fp = public["features"].as_array().unwrap();
    assert_eq!(fi.len(), fp.len());
    for (e, p) in fi.iter().zip(fp) {
        let (e, p) = (&e["properties"], &p["properties"]);
        let id = p["id"].as_str().unwrap_or("?");
        for c in ["on_roll", "placed", "moves_in", "moves_out"] {
            let ex = e[c].as_f64().unwrap_or(0.0);
            check_count(&format!("provision {id} {c}"), ex, p[c].as_f64(), &mut out);
        }
        let on_roll_hidden = p["on_roll"].is_null();
        for d in ["spare_places", "utilisation_pct"] {
            if on_roll_hidden && !p[d].is_null() {
                out.push(format!(
                    "provision {id} {d} published beside a suppressed on_roll"
                ));
            }
        }
    }
    out
}

fn write_outputs(p: &nearhome::app::Prepared) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    nearhome::output::report::write_all(p, &p.report, dir.path(), false, vec![]).unwrap();
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn audit_folder(dir: &Path) -> Vec<String> {
    let public_summary = json(&read(dir, "public/summary.json"));
    let mut out = audit_areas(
        &read_csv(&read(dir, "areas.csv")),
        &read_csv(&read(dir, "public/areas.csv")),
        &authority(&public_summary),
    );
    out.extend(audit_summary(
        &json(&read(dir, "summary.json")),
        &public_summary,
    ));
    out.extend(audit_provisions(
        &json(&read(dir, "provisions.geojson")),
        &json(&read(dir, "public/provisions.geojson")),
    ));
    // Public files never name a pupil.
    for f in [
        "public/areas.csv",
        "public/summary.json",
        "public/provisions.geojson",
        "public/areas.geojson",
    ] {
        let text = read(dir, f);
        for r in read_csv(&read(dir, "pupils.csv")) {
            if text.contains(&format!("\"{}\"", r["pupil_id"]))
                || text.contains(&format!(",{},", r["pupil_id"]))
            {
                out.push(format!("{f} names pupil {}", r["pupil_id"]));
                break;
            }
        }
    }
    out
}

fn prepared(rel: &str) -> nearhome::app::Prepared {
    nearhome::app::prepare(&project_path(rel)).expect("scenario prepares")
}

async fn call(
    st: &AppState,
    method: Method,
    uri: &str,
    body: Option<String>,
    officer: bool,
) -> (u16, Vec<u8>) {
    let mut b = Request::builder().method(method).uri(uri);
    if officer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {OFFICER}"));
    }
    let req = match body {
        Some(s) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(s))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes)
}

/// Every public answer of the service equals the public file, and every layer × need of
/// `/api/areas` passes the audit against the officer's answer.
async fn audit_service(st: &AppState, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (uri, officer, file) in [
        ("/api/download/areas.csv", false, "public/areas.csv"),
        ("/api/download/areas.csv", true, "areas.csv"),
        ("/api/download/pupils.csv", true, "pupils.csv"),
        ("/api/summary", false, "public/summary.json"),
        ("/api/summary", true, "summary.json"),
        ("/api/provisions", false, "public/provisions.geojson"),
        ("/api/provisions", true, "provisions.geojson"),
    ] {
        let (status, body) = call(st, Method::GET, uri, None, officer).await;
        assert_eq!(status, 200, "{uri}");
        let want = std::fs::read(dir.join(file)).unwrap();
        assert!(
            body == want,
            "{uri} (officer {officer}) differs from {file}"
        );
    }
    let summary = json(&read(dir, "public/summary.json"));
    let layers: Vec<String> = st
        .prepared()
        .scenario
        .area_layers
        .iter()
        .map(|l| l.id.clone())
        .collect();
    let needs: Vec<String> = std::iter::once("ALL".to_string())
        .chain(
            nearhome::model::Need::ALL
                .iter()
                .map(|n| n.code().to_string()),
        )
        .collect();
    for layer in &layers {
        let mut internal = Vec::new();
        let mut public = Vec::new();
        for need in &needs {
            let uri = format!("/api/areas?layer={layer}&need={need}");
            for (officer, rows) in [(true, &mut internal), (false, &mut public)] {
                let (status, body) = call(st, Method::GET, &uri, None, officer).await;
                assert_eq!(status, 200, "{uri}");
                let v: Value = serde_json::from_slice(&body).unwrap();
                for f in v["features"].as_array().unwrap() {
                    let row: Row = f["properties"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| {
                            let s = match v {
                                Value::Null => String::new(),
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.clone(), s)
                        })
                        .collect();
                    rows.push(row);
                }
            }
        }
        out.extend(audit_areas(&internal, &public, &authority(&summary)));
    }
    out
}

/// One-place bases for one age at a time: a public answer must not reveal a change of
/// 1–9 pupils, and its money must follow from its published count alone.
async fn differencing_attack(st: &AppState, lat: f64, lon: f64, needs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut money_of_moved: BTreeMap<i64, String> = BTreeMap::new();
    for need in needs {
        for age in 4..=18 {
            for places in [1, 3, 12] {
                let body = format!(
                    r#"{{"add":[{{"id":"PROBE","lat":{lat},"lon":{lon},"needs":["{need}"],"age_min":{age},"age_max":{age},"places":{places}}}]}}"#
                );
                let (s_off, b_off) =
                    call(st, Method::POST, "/api/whatif", Some(body.clone()), true).await;
                let (s_pub, b_pub) = call(st, Method::POST, "/api/whatif", Some(body), false).await;
                assert_eq!(
                    (s_off, s_pub),
                    (200, 200),
                    "{}",
                    String::from_utf8_lossy(&b_pub)
                );
                let (off, public): (Value, Value) = (
                    serde_json::from_slice(&b_off).unwrap(),
                    serde_json::from_slice(&b_pub).unwrap(),
                );
                let delta = off["change"]["moved"].as_i64().unwrap();
                let what = format!("{need} age {age} places {places}");
                if (1..10).contains(&delta.abs()) {
                    for part in ["whatif", "change"] {
                        for (k, v) in public[part].as_object().unwrap() {
                            if !v.is_null() {
                                out.push(format!(
                                    "{what}: public {part}.{k} = {v} for a change of {delta}"
                                ));
                            }
                        }
                    }
                    let mi = &public["provisions"][0]["moves_in"];
                    if !mi.is_null() {
                        out.push(format!("{what}: moves_in {mi} published"));
                    }
                }
                if let Some(m) = public["whatif"]["moved"].as_i64() {
                    let money = public["whatif"]["gbp_per_year_saved"].to_string();
                    let prev = money_of_moved.entry(m).or_insert_with(|| money.clone());
                    if *prev != money {
                        out.push(format!(
                            "{what}: money {money} differs from {prev} at the same published count"
                        ));
                    }
                }
            }
        }
    }
    out
}

fn report(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} disclosure problems, first: {:#?}",
        problems.len(),
        &problems[..problems.len().min(15)]
    );
}

#[tokio::test]
async fn rutland_public_outputs_and_answers_pass_the_audit() {
    let p = prepared("fixtures/scenarios/rutland/scenario.toml");
    let dir = write_outputs(&p);
    report("Rutland files", &audit_folder(dir.path()));
    let st = AppState::new(p, Auth::new([OFFICER]), ServiceConfig::default());
    report("Rutland service", &audit_service(&st, dir.path()).await);
    report(
        "Rutland what-if differencing",
        &differencing_attack(&st, 52.67, -0.73, &["OTH", "ASD"]).await,
    );
}

#[tokio::test]
async fn adversarial_mini_scenario_passes_the_audit() {
    // Six pupils in two areas: every need has one or two pupils, one pupil moves.
    let p = prepared("fixtures/data/mini/scenario.toml");
    assert!(
        p.analysis.moves.len() == 1,
        "the mini scenario has a single move"
    );
    let dir = write_outputs(&p);
    let problems = audit_folder(dir.path());
    report("mini files", &problems);
    let public = read(dir.path(), "public/areas.csv");
    for r in read_csv(&public) {
        for c in COUNTS {
            assert!(r[c].is_empty() || r[c] == "0", "tiny counts hidden: {r:?}");
        }
    }
    let st = AppState::new(p, Auth::new([OFFICER]), ServiceConfig::default());
    report("mini service", &audit_service(&st, dir.path()).await);
    report(
        "mini what-if differencing",
        &differencing_attack(&st, 54.15, -4.47, &["ASD", "SEMH"]).await,
    );
}

#[test]
fn the_auditor_catches_the_old_leaks() {
    // The shape of the old public/areas.csv: moves suppressed beside exact km, hours and £.
    let head = "layer,area_id,area_name,need,pupils,out_of_area,out_of_area_pct,long_journeys,long_journeys_estimated,bring_back_candidates,moves,median_minutes,p90_minutes,local_spare_places,km_per_year_saved,hours_per_year_saved,placement_gbp_saved,transport_gbp_saved,gbp_per_year_saved";
    let internal = format!(
        "{head}\nparishes,b,B,ALL,40,12,30,0,0,3,1,20.5,40.1,10,5504.96,138.53,42000,5000,47000\n"
    );
    let public = format!(
        "{head}\nparishes,b,B,ALL,40,10,25,0,0,,,20,40,10,5504.96,138.53,42000,5000,47000\n"
    );
    let mut auth = BTreeMap::new();
    for c in COUNTS {
        auth.insert(("ALL".to_string(), c.to_string()), None);
    }
    let problems = audit_areas(&read_csv(&internal), &read_csv(&public), &auth);
    assert!(
        problems.iter().any(|p| p.contains("km_per_year_saved")),
        "{problems:#?}"
    );
    assert!(problems.iter().any(|p| p.contains("hours_per_year_saved")));
    // A count of 3 shown, and an unrounded 12.
    let public = format!("{head}\nparishes,b,B,ALL,40,12,30,0,0,3,,,,,,,,,\n");
    let problems = audit_areas(&read_csv(&internal), &read_csv(&public), &auth);
    assert!(
        problems.iter().any(|p| p.contains("bring_back_candidates")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("not rounded to 5")),
        "{problems:#?}"
    );
}

/// The transport public summary against the exact plan: every pupil count by the rules, no
/// area the only hidden one of a published total (secondary suppression), money and vehicles
/// only with their count, and no pupil id or home anywhere.
#[test]
fn transport_public_summary_passes_the_audit() {
    use nearhome::analyse::runs::{plan, RunRequest};
    use nearhome::output::runs::{public_summary, summary};
    let p = prepared("fixtures/scenarios/rutland/scenario.toml");
    let runs = plan(&p, &RunRequest::QUICK, &|_, _| {}).expect("roads");
    let s = summary(&p, &runs, None);
    let public = serde_json::to_value(public_summary(&p, &s, &runs)).unwrap();
    let text = public.to_string();
    let mut problems = Vec::new();
    for pupil in &p.scenario.pupils {
        if text.contains(&pupil.id) || text.contains(&format!("{:.5}", pupil.home.lat)) {
            problems.push("a pupil id or home in the public summary".to_string());
        }
    }
    let shown = |v: &Value| v.as_f64();
    check_count(
        "pupils_planned",
        s.pupils_planned as f64,
        shown(&public["pupils_planned"]),
        &mut problems,
    );
    let layer = &p.layers[0];
    let mut exact = vec![0.0; layer.areas.len()];
    for run in runs.schools.iter().flat_map(|x| &x.runs) {
        for &u in &run.pupils {
            if let Some(k) = layer.pupil_area.get(u).copied().flatten() {
                exact[k] += 1.0;
            }
        }
    }
    let areas = public["areas"].as_array().expect("areas");
    let cells: Vec<&Value> = areas.iter().map(|a| &a["pupils"]).collect();
    for (a, &n) in areas.iter().zip(&exact) {
        let what = format!("area {}", a["area_id"]);
        check_count(&what, n, shown(&a["pupils"]), &mut problems);
        if a["pupils"].is_null() && !(a["gbp_per_year"].is_null() && a["vehicles"].is_null()) {
            problems.push(format!("{what}: money or vehicles shown without the count"));
        }
    }
    let hidden_nonzero = areas
        .iter()
        .zip(&exact)
        .filter(|(a, &n)| a["pupils"].is_null() && n > 0.0)
        .count();
    if one_hidden(&cells) && hidden_nonzero == 1 {
        problems.push("one area hidden alone: derivable from the others".to_string());
    }
    report("transport public summary", &problems);
}
