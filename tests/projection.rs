//! The ten-year projection (`nearhome project`), siting against the future (`site --year`), the
//! capital appraisal and the HTML report, on the shipped SEN2 series and the Rutland demo. The
//! backtest and the NPV are recomputed here from the published series and the output files by
//! code that shares nothing with the product.

use std::collections::BTreeMap;

use nearhome::analyse::capital::{appraise_site, AppraisalSettings, DemandIndex, FutureDemand};
use nearhome::analyse::planning::{
    capital_plan_for, run, run_future, PlanningContext, SiteRequest,
};
use nearhome::analyse::projection::{project, AreaShares, ProjectionConfig};
use nearhome::load::sen2::{series_for, BUILTIN_SERIES_CSV, BUILTIN_SERIES_LABEL};
use nearhome::model::phase::Phase;
use nearhome::model::sen2::Sen2Series;
use nearhome::model::Need;
use nearhome::output::capital::{files, Marking};

const RUTLAND: &str = "E06000017";
const BIRMINGHAM: &str = "E08000025";

/// `(year, plans)` of an authority read straight from the shipped CSV.
fn published_plans(authority: &str) -> Vec<(i32, f64)> {
    let text =
        std::fs::read_to_string(crate::support::project_path("fixtures/sen2/series.csv")).unwrap();
    let mut out: Vec<(i32, f64)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0] == authority && f[1] == "plans")
                .then(|| (f[2].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect();
    out.sort_by_key(|p| p.0);
    out
}

/// The documented backtest, written again: OLS slope of ln plans over 2018/19–2021/22, then
/// `y_2021 · exp(b · Σ φ^j)`, and the mean absolute percentage error of 2022/23–2024/25.
fn independent_mape(points: &[(i32, f64)], phi: f64) -> f64 {
    let fit: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0 <= 2021)
        .map(|&(y, v)| (f64::from(y), v.ln()))
        .collect();
    let n = fit.len() as f64;
    let (sx, sy) = fit.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (sxx, sxy) = fit
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x * x, b + x * y));
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    let last = points.iter().find(|p| p.0 == 2021).unwrap().1;
    let tests: Vec<f64> = points
        .iter()
        .filter(|p| p.0 > 2021)
        .map(|&(y, published)| {
            let h = y - 2021;
            let damped: f64 = (1..=h).map(|j| phi.powi(j)).sum();
            let projected = last * (slope * damped).exp();
            (projected - published).abs() / published * 100.0
        })
        .collect();
    tests.iter().sum::<f64>() / tests.len() as f64
}

fn series(authority: &str) -> Sen2Series {
    series_for(BUILTIN_SERIES_CSV, BUILTIN_SERIES_LABEL, authority).unwrap()
}

#[test]
fn the_backtest_is_recomputed_from_the_published_series() {
    for authority in [RUTLAND, BIRMINGHAM] {
        for phi in [0.9, 1.0] {
            let cfg = ProjectionConfig {
                damping: phi,
                ..ProjectionConfig::default()
            };
            let p = project(&series(authority), &cfg).unwrap();
            let b = &p.backtests[0];
            assert_eq!(b.series, "plans");
            assert_eq!(b.fit_years, (2018, 2021));
            let want = independent_mape(&published_plans(authority), phi);
            assert!(
                (b.mape - want).abs() < 1e-9,
                "{authority} φ={phi}: {} vs {want}",
                b.mape
            );
            assert_eq!(b.years.len(), 3);
        }
    }
}

#[test]
fn a_synthetic_exact_trend_is_recovered_through_the_cohort() {
    // 6% growth a year exactly; one need, plans at ages 5 and 12; nothing ceases.
    let mut values = BTreeMap::new();
    for (i, y) in (2018..=2024).enumerate() {
        values.insert(("plans".to_string(), y), 1000.0 * 1.06f64.powi(i as i32));
    }
    let base = 1000.0 * 1.06f64.powi(6);
    values.insert(("plans_need_age.ASD.5".to_string(), 2024), base / 2.0);
    values.insert(("plans_need_age.ASD.12".to_string(), 2024), base / 2.0);
    values.insert(("new_need_age.ASD.4".to_string(), 2024), 10.0);
    values.insert(("ceased_age.5".to_string(), 2024), 0.0);
    values.insert(("plans_age.5".to_string(), 2023), 100.0);
    let s = Sen2Series {
        authority: "E00000000".into(),
        values,
    };
    let cfg = ProjectionConfig {
        years: 12,
        damping: 1.0,
        primary_max_age: 10,
    };
    let p = project(&s, &cfg).unwrap();
    for t in &p.totals {
        let want = 1000.0 * 1.06f64.powi(t.year - 2018);
        assert!((t.plans.central / want - 1.0).abs() < 1e-9, "{}", t.year);
        assert!((t.plans.hi95 - t.plans.lo95).abs() < 1e-6 * want);
    }
    // Nothing ceases, so the new plans are exactly the growth.
    let y1 = &p.totals[1];
    assert!((y1.new_plans - base * 0.06).abs() < 1e-6);
    assert_eq!(p.trend.n, 7);
}

#[test]
fn shipped_projections_have_intervals_phases_and_reliability() {
    let p = project(&series(BIRMINGHAM), &ProjectionConfig::default()).unwrap();
    assert_eq!(p.base_year, 2024);
    assert_eq!(p.totals.len(), 11);
    assert_eq!(p.totals[0].plans.central, 12_094.0);
    let last = p.totals.last().unwrap();
    assert!(last.plans.lo95 < last.plans.lo80 && last.plans.hi80 < last.plans.hi95);
    for t in &p.totals {
        let sum: f64 = Need::ALL
            .iter()
            .map(|&n| p.need_total(n, t.year).unwrap().central)
            .sum();
        assert!((sum - t.plans.central).abs() < 1e-6 * t.plans.central);
    }
    // Base year: SEN2 2024/25 by need (ASD 4,702).
    let asd: f64 = Phase::ALL
        .iter()
        .map(|&ph| p.cell(Need::Asd, ph, 2024).unwrap().central)
        .sum();
    assert!((asd - 4702.0).abs() < 0.5, "{asd}");
    let msi = p.reliability.iter().find(|r| r.need == Need::Msi).unwrap();
    assert!(!msi.reliable && msi.reason.contains("12 plans"));
    // Backtests for the total and the placement groups, errors computed.
    assert!(p.backtests.len() >= 6);
    assert!(p.backtests.iter().all(|b| b.mape.is_finite()));
    assert!(project(
        &series(BIRMINGHAM),
        &ProjectionConfig {
            years: 16,
            ..ProjectionConfig::default()
        }
    )
    .is_err());
}

#[test]
fn project_command_writes_every_file_and_public_holds_no_area_split() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let o = crate::support::nearhome(&["project", "--years", "10", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("MAPE") && err.contains("unreliable needs"),
        "{err}"
    );
    for f in [
        "projection.csv",
        "areas.csv",
        "backtest.csv",
        "summary.json",
        "report.md",
        "fan_ALL.svg",
        "fan_ASD.svg",
        "public/projection.csv",
        "public/fan_ALL.svg",
        "MANIFEST.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(!out.join("public/areas.csv").exists());
    let csv = std::fs::read_to_string(out.join("projection.csv")).unwrap();
    assert!(csv.starts_with("layer,area_id,area_name,year,academic_year,need,phase,plans,lo80,hi80,lo95,hi95,published,basis"));
    assert!(csv.contains("authority,,,2034,2034/35,ALL,all,"));
    let areas = std::fs::read_to_string(out.join("areas.csv")).unwrap();
    assert!(areas.lines().count() > 100 && areas.contains("need_phase"));
    // A growth file shifts areas, keeps the total, and is said.
    let growth = dir.path().join("g.csv");
    std::fs::write(&growth, "area_id,annual_growth\nE04012345,1.05\n").unwrap();
    let o = crate::support::nearhome(&[
        "project",
        "--area-growth",
        growth.to_str().unwrap(),
        "--out",
        dir.path().join("q").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = std::fs::read_to_string(dir.path().join("q/report.md")).unwrap();
    assert!(report.contains("growth factors"), "{report}");
    std::fs::write(&growth, "area_id,annual_growth\nx,-1\n").unwrap();
    let o = crate::support::nearhome(&[
        "project",
        "--area-growth",
        growth.to_str().unwrap(),
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 2, field `annual_growth`"));
}

fn settings() -> AppraisalSettings {
    AppraisalSettings {
        optimism_bias: 0.24,
        lead_time_years: 1,
        period_years: 10,
        discount: nearhome::analyse::appraisal::GREEN_BOOK,
    }
}

#[test]
fn site_for_a_future_year_grows_demand_and_the_gap() {
    let p = crate::support::rutland_demo();
    let proj = project(&series(RUTLAND), &ProjectionConfig::default()).unwrap();
    let mut req = SiteRequest::new(Need::Asd, 12, 2);
    (req.age_min, req.age_max) = (11, 15);
    let ctx = PlanningContext::new(p, &req).unwrap();
    let shares = AreaShares::of_scenario(&p.scenario);
    let future = FutureDemand::from_projection(&proj, &shares, None, 2029);
    let g = future.growth[&(Need::Asd, Phase::Secondary)];
    assert!(g > 1.0, "ASD secondary grows in Rutland's projection: {g}");
    let r = run_future(&ctx, &future).unwrap();
    let f = r.future.as_ref().unwrap();
    assert_eq!(f.pupils_now, ctx.problem_pupils().len());
    assert_eq!(f.pupils_then, (f.pupils_now as f64 * g).round() as usize);
    assert_eq!(r.pupils, f.pupils_then);
    assert_eq!(f.per_k_now.len(), r.per_k.len());
    let today = run(&ctx).unwrap();
    assert!(r.out_of_area_pupils > today.out_of_area_pupils);
    // The gap in year N is the area's growth on out-of-area + unmet, less spare places.
    let plan = capital_plan_for(p, Some(&r), Some(&future));
    let mut checked = 0;
    for row in plan.rows.iter().filter(|r| r.need == Need::Asd) {
        let growth = future.area_growth[&(row.layer.clone(), row.area_id.clone(), Need::Asd)];
        let want = (((row.out_of_area_pupils + row.unmet_need_pupils) as f64 * growth).ceil()
            as u64)
            .saturating_sub(row.local_spare_places);
        assert_eq!(row.gap_places_year_n, Some(want), "{}", row.area_name);
        assert_eq!(row.year_n, Some(2029));
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn npv_is_recomputed_from_the_cash_flow_file_and_the_report_holds_every_chart() {
    let p = crate::support::rutland_demo();
    let proj = project(&series(RUTLAND), &ProjectionConfig::default()).unwrap();
    let mut req = SiteRequest::new(Need::Asd, 12, 2);
    (req.age_min, req.age_max) = (11, 15);
    let ctx = PlanningContext::new(p, &req).unwrap();
    let mut r = run(&ctx).unwrap();
    let weights: BTreeMap<Phase, f64> = [(Phase::Secondary, 1.0)].into();
    let demand = DemandIndex::from_projection(&proj, Need::Asd, &weights, 10);
    assert_eq!(demand.central.len(), 11);
    assert_eq!(demand.central[0], 1.0);
    r.appraisal = Some(appraise_site(&r, &settings(), &demand).unwrap());
    let plan = capital_plan_for(p, Some(&r), None);
    let out = files(&r, &plan, Some(&proj), Marking::Internal).unwrap();
    let file = |name: &str| {
        String::from_utf8(out.iter().find(|(n, _)| n == name).unwrap().1.clone()).unwrap()
    };
    // NPV from the cash flows: Σ (capital and revenue columns) × 1.035^−t.
    let cash = file("cashflow.csv");
    let head: Vec<&str> = cash.lines().next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let mut npv: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for line in cash.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let t: i32 = f[col("year")].parse().unwrap();
        let capital: f64 = f[col("capital_gbp")].parse().unwrap();
        let revenue: f64 = f[col("placement_saving_gbp")].parse::<f64>().unwrap()
            + f[col("transport_saving_gbp")].parse::<f64>().unwrap();
        *npv.entry((f[0].into(), f[1].into(), f[col("demand")].into()))
            .or_default() += (revenue - capital) / 1.035f64.powi(t);
    }
    let appraisal = file("appraisal.csv");
    let ahead: Vec<&str> = appraisal.lines().next().unwrap().split(',').collect();
    let acol = |n: &str| ahead.iter().position(|h| *h == n).unwrap();
    let mut compared = 0;
    for line in appraisal.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let key = (
            f[0].to_string(),
            f[1].to_string(),
            f[acol("demand")].to_string(),
        );
        let stated: f64 = f[acol("npv_gbp")].parse().unwrap();
        assert!(
            (npv[&key] - stated).abs() < 1.0,
            "{key:?}: {} vs {stated}",
            npv[&key]
        );
        // Capital with optimism bias is the places' cost × 1.24.
        let cap: f64 = f[acol("capital_gbp")].parse().unwrap();
        let with_ob: f64 = f[acol("capital_with_optimism_bias_gbp")].parse().unwrap();
        assert!((with_ob - cap * 1.24).abs() < 0.01);
        compared += 1;
    }
    assert!(compared >= 3);
    // The report: one document, every chart inline, no network, tags balanced.
    let html = file("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    for class in ["chart-fan", "chart-bars", "chart-cashflow", "chart-tornado"] {
        assert!(
            html.contains(&format!("class=\"chart {class}\"")),
            "{class}"
        );
    }
    assert_eq!(
        html.matches("http://").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "the only URLs are SVG namespaces"
    );
    assert!(!html.contains("https://") && !html.contains("<script") && !html.contains("<link"));
    assert_balanced(&html);
    for heading in [
        "Method",
        "Assumptions and their sources",
        "Options appraised",
        "Sensitivity",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
}

#[test]
fn a_report_marked_for_publication_suppresses_small_counts() {
    let p = crate::support::rutland_demo();
    let mut req = SiteRequest::new(Need::Asd, 12, 2);
    (req.age_min, req.age_max) = (11, 15);
    let ctx = PlanningContext::new(p, &req).unwrap();
    let mut r = run(&ctx).unwrap();
    r.appraisal =
        Some(appraise_site(&r, &settings(), &DemandIndex::flat(10, 2024, "test")).unwrap());
    let plan = capital_plan_for(p, Some(&r), None);
    let out = files(&r, &plan, None, Marking::Publish).unwrap();
    let html = String::from_utf8(
        out.iter()
            .find(|(n, _)| n == "report.html")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(html.contains("Marked for publication"));
    // Every count in the headline is suppressed or a multiple of 5.
    let headline = html
        .split("class=\"headline\">")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap();
    for lead in ["take ", "return "] {
        let shown = headline
            .split(lead)
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert!(
            shown == "[c]" || shown.parse::<u64>().is_ok_and(|n| n % 5 == 0 && n >= 10),
            "{lead}{shown}: {headline}"
        );
    }
    assert_balanced(&html);
    let internal = files(&r, &plan, None, Marking::Internal).unwrap();
    let html_i = String::from_utf8(
        internal
            .iter()
            .find(|(n, _)| n == "report.html")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(html_i.contains("not for publication"));
}

/// Every non-void element closes in order.
fn assert_balanced(html: &str) {
    const VOID: [&str; 6] = ["meta", "br", "img", "hr", "input", "link"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("tag closes");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "closing {name}"
            );
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// Five annual snapshots made from the demo's synthetic pupils: each pupil is followed back
/// from 2024/25, joining in a year fixed by their id; a few leave before 2024 (kept in the
/// earlier years under another id range).
fn demo_snapshots() -> String {
    let text = std::fs::read_to_string(crate::support::project_path(
        "fixtures/scenarios/rutland/pupils.csv",
    ))
    .unwrap();
    let mut out = String::from("year,id,age,need,placement_id\n");
    for (i, line) in text.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (id, age, need, placement) = (f[0], f[1].parse::<i32>().unwrap(), f[2], f[5]);
        let joined = 2020 + (i % 5) as i32;
        for y in joined..=2024 {
            let a = age - (2024 - y);
            if a >= 2 {
                out.push_str(&format!("{y},{id},{a},{need},{placement}\n"));
            }
        }
        if i % 7 == 0 {
            // A leaver: held a plan 2020-2022 only.
            for y in 2020..=2022 {
                out.push_str(&format!(
                    "{y},L{i},{},{need},{placement}\n",
                    (age - 2).max(3) + (y - 2020)
                ));
            }
        }
    }
    out
}

#[test]
fn council_snapshots_give_transitions_and_a_per_need_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots.csv");
    std::fs::write(&snaps, demo_snapshots()).unwrap();
    let out = dir.path().join("p");
    let o = crate::support::nearhome(&[
        "project",
        "--snapshots",
        snaps.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("council snapshots (5 years"), "{err}");
    for f in ["snapshots/projection.csv", "snapshots/transitions.csv"] {
        assert!(out.join(f).is_file(), "{f}");
        assert!(!out.join("public").join(f).exists(), "{f} is pupil-derived");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("## The council's own snapshots"),
        "{report}"
    );
    assert!(report.contains("Per-need backtest"), "{report}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let sp = &summary["snapshots"];
    assert_eq!(sp["backtest_years"], serde_json::json!([2023, 2024]));
    let asd = sp["backtest"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["need"] == "ASD")
        .unwrap();
    assert!(asd["mape"].as_f64().is_some_and(f64::is_finite), "{asd}");
    // Transition probabilities of each state sum to 1.
    let csv = std::fs::read_to_string(out.join("snapshots/transitions.csv")).unwrap();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        *sums
            .entry(format!("{}/{}/{}", f[0], f[1], f[2]))
            .or_default() += f[5].parse::<f64>().unwrap();
    }
    assert!(!sums.is_empty());
    for (k, s) in sums {
        assert!((s - 1.0).abs() < 1e-5, "{k}: {s}");
    }
    // A fault names the file, line and field.
    std::fs::write(&snaps, "year,id,age,need\n2024,A,40,ASD\n").unwrap();
    let o = crate::support::nearhome(&[
        "project",
        "--snapshots",
        snaps.to_str().unwrap(),
        "--out",
        dir.path().join("q").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 2, field `age`"));
}

#[test]
fn a_published_report_hides_money_derived_from_fewer_than_ten_pupils() {
    // Bases of 6 places: every option serves fewer than 10 pupils, so its savings, NPV, BCR and
    // payback must not appear; the internal report (the truth) has them.
    let p = crate::support::rutland_demo();
    let mut req = SiteRequest::new(Need::Asd, 6, 2);
    (req.age_min, req.age_max) = (11, 15);
    let ctx = PlanningContext::new(p, &req).unwrap();
    let mut r = run(&ctx).unwrap();
    r.appraisal =
        Some(appraise_site(&r, &settings(), &DemandIndex::flat(10, 2024, "test")).unwrap());
    let plan = capital_plan_for(p, Some(&r), None);
    let html = |m| {
        let out = files(&r, &plan, None, m).unwrap();
        String::from_utf8(out.into_iter().find(|(n, _)| n == "report.html").unwrap().1).unwrap()
    };
    let (public, internal) = (html(Marking::Publish), html(Marking::Internal));
    let options = &r.appraisal.as_ref().unwrap().options;
    assert!(!options.is_empty() && options.iter().all(|o| o.used_today < 10));
    for o in options {
        let npv = nearhome::output::planning::gbp(o.central.npv_gbp);
        let saving =
            nearhome::output::planning::gbp(o.placement_gbp_per_year + o.transport_gbp_per_year);
        assert!(internal.contains(&npv), "the internal report shows {npv}");
        assert!(
            !public.contains(&npv),
            "NPV {npv} of {} pupils published",
            o.used_today
        );
        assert!(!public.contains(&saving), "saving {saving} published");
    }
    assert!(!public.contains("chart-cashflow") && !public.contains("chart-tornado"));
    assert!(public.contains("[c]"));
    let files_public = files(&r, &plan, None, Marking::Publish).unwrap();
    assert!(files_public.iter().all(|(n, _)| n != "chart_cashflow.svg"));
}
