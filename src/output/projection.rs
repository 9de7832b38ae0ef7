//! The `nearhome project` outputs: `projection.csv` (authority: need × phase × year with
//! 80%/95% intervals), `areas.csv` (the same per SEND area), `backtest.csv`, one fan chart a
//! need (`fan_ALL.svg`, `fan_<NEED>.svg`), `summary.json` and `report.md`; `public/` holds the
//! authority-level files only, which derive from published SEN2 figures alone (the area
//! split uses today's pupils and stays with officers). Every figure comes from
//! [`crate::analyse::projection`].

use serde::Serialize;

use crate::analyse::projection::{AreaCell, Interval, Projection};
use crate::model::Need;
use crate::output::charts::{fan_chart, FanPoint};

/// Everything `project` writes, beside the projection itself.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectionRun {
    /// Scenario name.
    pub scenario: String,
    /// Where the SEN2 series came from.
    pub sen2_source: String,
    /// How areas were apportioned (one sentence).
    pub area_basis: String,
    /// Pupils outside every area of a layer, per layer (not apportioned).
    pub outside_areas: Vec<(String, usize)>,
    /// The projection.
    pub projection: Projection,
    /// The council's own snapshots' projection, when `--snapshots` was given.
    pub snapshots: Option<crate::analyse::transitions::SnapshotProjection>,
    /// What the snapshot reader counted: `(rows, unknown placement, not recorded)`.
    pub snapshot_rows: Option<(usize, usize, usize)>,
}

/// One row of `projection.csv` / `areas.csv`.
#[derive(Debug, Clone, Serialize)]
struct Row<'a> {
    layer: &'a str,
    area_id: &'a str,
    area_name: &'a str,
    year: i32,
    academic_year: String,
    need: &'a str,
    phase: &'a str,
    plans: f64,
    lo80: f64,
    hi80: f64,
    lo95: f64,
    hi95: f64,
    published: bool,
    basis: &'a str,
}

/// `2024` → `2024/25`.
pub fn academic_year(y: i32) -> String {
    format!("{y}/{:02}", (y + 1).rem_euclid(100))
}

fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[allow(clippy::too_many_arguments)]
fn row<'a>(
    layer: &'a str,
    area: (&'a str, &'a str),
    year: i32,
    need: &'a str,
    phase: &'a str,
    i: &Interval,
    published: bool,
    basis: &'a str,
) -> Row<'a> {
    Row {
        layer,
        area_id: area.0,
        area_name: area.1,
        year,
        academic_year: academic_year(year),
        need,
        phase,
        plans: r1(i.central),
        lo80: r1(i.lo80),
        hi80: r1(i.hi80),
        lo95: r1(i.lo95),
        hi95: r1(i.hi95),
        published,
        basis,
    }
}

/// Serialises `rows` as CSV with a header from the first row's field names.
///
/// # Errors
/// A CSV encoding failure, as text.
pub fn to_csv<T: Serialize>(rows: impl IntoIterator<Item = T>) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `projection.csv`: per year, all plans (`ALL`/`all`), each need over all phases
/// (`<NEED>`/`all`) and each need × phase.
pub fn projection_csv(p: &Projection) -> Result<Vec<u8>, String> {
    let mut rows = Vec::new();
    for t in &p.totals {
        let published = t.year == p.base_year;
        rows.push(row(
            "authority",
            ("", ""),
            t.year,
            "ALL",
            "all",
            &t.plans,
            published,
            "",
        ));
        for need in Need::ALL {
            if let Some(i) = p.need_total(need, t.year) {
                rows.push(row(
                    "authority",
                    ("", ""),
                    t.year,
                    need.code(),
                    "all",
                    &i,
                    published,
                    "",
                ));
            }
        }
        for c in p.cells.iter().filter(|c| c.year == t.year) {
            rows.push(row(
                "authority",
                ("", ""),
                c.year,
                c.need.code(),
                c.phase.as_str(),
                &c.plans,
                published,
                "",
            ));
        }
    }
    to_csv(rows)
}

/// `areas.csv`: every layer × area × need × phase × year.
pub fn areas_csv(p: &Projection, cells: &[AreaCell]) -> Result<Vec<u8>, String> {
    to_csv(cells.iter().map(|c| {
        row(
            &c.layer,
            (&c.area_id, &c.area_name),
            c.year,
            c.need.code(),
            c.phase.as_str(),
            &c.plans,
            c.year == p.base_year,
            &c.basis,
        )
    }))
}

#[derive(Serialize)]
struct BacktestRow<'a> {
    series: &'a str,
    fit_from: i32,
    fit_to: i32,
    year: i32,
    published: f64,
    projected: f64,
    lo95: f64,
    hi95: f64,
    ape_percent: f64,
    within_95: bool,
    mape_percent: f64,
    reliable: bool,
}

/// `backtest.csv`: each backtested series' projected years with the error.
pub fn backtest_csv(p: &Projection) -> Result<Vec<u8>, String> {
    let mut rows = Vec::new();
    for b in &p.backtests {
        for y in &b.years {
            rows.push(BacktestRow {
                series: &b.series,
                fit_from: b.fit_years.0,
                fit_to: b.fit_years.1,
                year: y.year,
                published: y.published,
                projected: r1(y.projected.central),
                lo95: r1(y.projected.lo95),
                hi95: r1(y.projected.hi95),
                ape_percent: (y.ape * 100.0).round() / 100.0,
                within_95: y.within_95,
                mape_percent: (b.mape * 100.0).round() / 100.0,
                reliable: b.reliable,
            });
        }
    }
    to_csv(rows)
}

fn fan_points(p: &Projection, need: Option<Need>) -> Vec<FanPoint> {
    p.totals
        .iter()
        .filter(|t| t.year > p.base_year)
        .filter_map(|t| {
            let i = match need {
                None => Some(t.plans),
                Some(n) => p.need_total(n, t.year),
            }?;
            Some(FanPoint {
                year: t.year,
                central: i.central,
                lo80: i.lo80,
                hi80: i.hi80,
                lo95: i.lo95,
                hi95: i.hi95,
            })
        })
        .collect()
}

/// The fan chart of all plans (`need` None: the published history from 2018/19) or of one
/// need (its 2024/25 count is the only published point).
pub fn fan_svg(p: &Projection, need: Option<Need>) -> String {
    let history: Vec<(i32, f64)> = match need {
        None => p.history.clone(),
        Some(n) => p
            .need_total(n, p.base_year)
            .map(|i| vec![(p.base_year, i.central)])
            .unwrap_or_default(),
    };
    let title = match need {
        None => format!("All EHC plans, {}: published and projected", p.authority),
        Some(n) => format!("{} ({}): EHC plans projected", n.code(), n.description()),
    };
    fan_chart(&title, "EHC plans", &history, &fan_points(p, need))
}

/// `report.md`: the method, the totals, the backtest, each need's reliability, the notes.
pub fn report_md(run: &ProjectionRun) -> String {
    let p = &run.projection;
    let mut s = String::new();
    let push = |s: &mut String, line: String| {
        s.push_str(&line);
        s.push('\n');
    };
    push(
        &mut s,
        format!(
            "# EHC plan projection: {} ({})\n",
            run.scenario, p.authority
        ),
    );
    push(
        &mut s,
        format!(
            "From {} to {}, {} years from the SEN2 series in `{}`.\n",
            academic_year(p.base_year),
            academic_year(p.base_year + p.config.years as i32),
            p.config.years,
            run.sen2_source
        ),
    );
    push(&mut s, "## Method\n".into());
    push(&mut s, format!("{}.\n", p.method));
    push(
        &mut s,
        format!(
            "- Trend fitted on {}–{} ({} years): growth {:.2}% a year, residual error {:.3} on ln plans; growth damped by φ = {} a year ({:.2}% in the first projected year, {:.2}% in the last).",
            academic_year(p.trend.first_year),
            academic_year(p.trend.last_year),
            p.trend.n,
            p.trend.slope.exp_m1() * 100.0,
            p.trend.sigma,
            p.config.damping,
            p.trend.growth_at(1) * 100.0,
            p.trend.growth_at(p.config.years) * 100.0
        ),
    );
    push(
        &mut s,
        format!(
            "- Ceasing rates: plans ceased in calendar {} by age over plans held at January {} (pooled bands 0–4, 5–10, 11–15, 16, 17, 18, 19, 20–25); every plan ceases after 25.",
            p.cease.ceased_year,
            p.cease.plans_year + 1
        ),
    );
    push(
        &mut s,
        format!(
            "- New plans: in the need × age mix of SEN2's new plans of calendar {}{}; their number closes the gap between the plans carried forward and the trend.",
            p.new_mix_year,
            p.new_plans_published
                .map_or(String::new(), |n| format!(" ({n:.0} new plans published)"))
        ),
    );
    push(&mut s, format!("- Areas: {}\n", run.area_basis));
    push(&mut s, "## All plans\n".into());
    push(
        &mut s,
        "| year | plans | 80% interval | 95% interval | carried forward | new plans | ceasing |"
            .into(),
    );
    push(&mut s, "|---|---:|---|---|---:|---:|---:|".into());
    for t in &p.totals {
        push(
            &mut s,
            format!(
                "| {} | {:.0} | {:.0}–{:.0} | {:.0}–{:.0} | {:.0} | {:.0} | {:.0} |{}",
                academic_year(t.year),
                t.plans.central,
                t.plans.lo80,
                t.plans.hi80,
                t.plans.lo95,
                t.plans.hi95,
                t.survivors,
                t.new_plans,
                t.ceasing,
                if t.scaled { " scaled" } else { "" }
            ),
        );
    }
    let last = p.base_year + p.config.years as i32;
    push(
        &mut s,
        format!(
            "\n## By need, {} and {}\n",
            academic_year(p.base_year),
            academic_year(last)
        ),
    );
    push(
        &mut s,
        "| need | now | projected | 80% interval | 95% interval | reliable | why |".into(),
    );
    push(&mut s, "|---|---:|---:|---|---|---|---|".into());
    for r in &p.reliability {
        let Some(i) = p.need_total(r.need, last) else {
            continue;
        };
        push(
            &mut s,
            format!(
                "| {} | {:.0} | {:.0} | {:.0}–{:.0} | {:.0}–{:.0} | {} | {} |",
                r.need.code(),
                r.plans_now,
                i.central,
                i.lo80,
                i.hi80,
                i.lo95,
                i.hi95,
                if r.reliable { "yes" } else { "**no**" },
                r.reason
            ),
        );
    }
    push(&mut s, backtest_md(p));
    if let Some(sp) = &run.snapshots {
        push(&mut s, snapshots_md(sp, run.snapshot_rows));
    }
    push(&mut s, "## Notes\n".into());
    for n in &p.notes {
        push(&mut s, format!("- {n}"));
    }
    for (layer, n) in &run.outside_areas {
        if *n > 0 {
            push(
                &mut s,
                format!("- {n} pupils live in no area of layer `{layer}` and are not apportioned to one."),
            );
        }
    }
    s
}

/// The council-snapshot section of `report.md`.
pub fn snapshots_md(
    sp: &crate::analyse::transitions::SnapshotProjection,
    rows: Option<(usize, usize, usize)>,
) -> String {
    let m = &sp.model;
    let mut s = String::from("\n## The council's own snapshots\n\n");
    s.push_str(&format!("Method that ran on them: {}.\n\n", sp.method));
    if let Some((n, unknown, none)) = rows {
        s.push_str(&format!(
            "- {n} rows over {} snapshot years ({:?}); {unknown} with a placement not among the scenario's provisions (setting `unknown_placement`), {none} with neither placement nor status (`not_recorded`).\n",
            sp.snapshot_years.len(),
            sp.snapshot_years
        ));
    }
    s.push_str(&format!(
        "- Followed pairs {}–{}: {} stayers, {} leavers, {} joiners; joiners a year: {}.\n",
        m.years.0,
        m.years.1,
        m.counted.0,
        m.counted.1,
        m.counted.2,
        m.joiners
            .iter()
            .map(|(y, n)| format!("{y}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(
        "- Intervals are Poisson on each part; the uncertainty of the rates is not included.\n",
    );
    if sp.backtest_years.is_empty() {
        s.push_str("- No per-need backtest: it needs at least four snapshot years.\n");
    } else {
        s.push_str(&format!(
            "\nPer-need backtest (rates estimated without {:?}, projected from the last year before them):\n\n| need | year | observed | projected | MAPE |\n|---|---|---:|---:|---:|\n",
            sp.backtest_years
        ));
        for b in &sp.backtest {
            for (y, o, p) in &b.years {
                s.push_str(&format!(
                    "| {} | {} | {o:.0} | {p:.1} | {} |\n",
                    b.need.code(),
                    academic_year(*y),
                    b.mape.map_or("–".into(), |m| format!("{m:.1}%"))
                ));
            }
        }
    }
    s
}

#[derive(Serialize)]
struct SnapshotRow<'a> {
    year: i32,
    academic_year: String,
    need: &'a str,
    setting: &'a str,
    phase: &'a str,
    pupils: f64,
    lo80: f64,
    hi80: f64,
    lo95: f64,
    hi95: f64,
}

/// `snapshots/projection.csv`: need × setting × phase × year from the council's snapshots.
pub fn snapshot_csv(
    sp: &crate::analyse::transitions::SnapshotProjection,
) -> Result<Vec<u8>, String> {
    to_csv(sp.cells.iter().map(|c| SnapshotRow {
        year: c.year,
        academic_year: academic_year(c.year),
        need: c.need.code(),
        setting: &c.setting,
        phase: c.phase.as_str(),
        pupils: r1(c.pupils.central),
        lo80: r1(c.pupils.lo80),
        hi80: r1(c.pupils.hi80),
        lo95: r1(c.pupils.lo95),
        hi95: r1(c.pupils.hi95),
    }))
}

#[derive(Serialize)]
struct TransitionRow<'a> {
    from_need: &'a str,
    from_setting: &'a str,
    phase: &'a str,
    to_need: &'a str,
    to_setting: &'a str,
    probability: f64,
}

/// `snapshots/transitions.csv`: each state's moves among stayers.
pub fn transitions_csv(
    sp: &crate::analyse::transitions::SnapshotProjection,
) -> Result<Vec<u8>, String> {
    let mut rows = Vec::new();
    for ((need, setting, phase), dest) in &sp.model.moves {
        for (n, s, p) in dest {
            rows.push(TransitionRow {
                from_need: need.code(),
                from_setting: setting,
                phase: phase.as_str(),
                to_need: n.code(),
                to_setting: s,
                probability: (p * 1e6).round() / 1e6,
            });
        }
    }
    to_csv(rows)
}

/// The backtest section of `report.md` (also printed by the command).
pub fn backtest_md(p: &Projection) -> String {
    let mut s = format!(
        "\n## Backtest: fitted on {}–{}, projected {}–{}\n\n",
        academic_year(p.trend.first_year),
        academic_year(crate::analyse::projection::BACKTEST_FIT_LAST_YEAR),
        academic_year(crate::analyse::projection::BACKTEST_FIT_LAST_YEAR + 1),
        academic_year(p.base_year)
    );
    s.push_str("| series | year | published | projected | 95% interval | error |\n|---|---|---:|---:|---|---:|\n");
    for b in &p.backtests {
        for y in &b.years {
            s.push_str(&format!(
                "| {} | {} | {:.0} | {:.0} | {:.0}–{:.0} | {:.1}% |\n",
                b.series,
                academic_year(y.year),
                y.published,
                y.projected.central,
                y.projected.lo95,
                y.projected.hi95,
                y.ape
            ));
        }
        s.push_str(&format!(
            "| **{}** | MAPE | | | | **{:.1}%**{} |\n",
            b.series,
            b.mape,
            if b.reliable { "" } else { " unreliable" }
        ));
    }
    s.push_str(
        "\nPrimary need by year is not published by SEN2 before 2024/25, so no need can be \
         backtested; the need table above says which needs are unreliable and why.\n",
    );
    s
}

/// Every file of the folder, `(name, bytes)`.
///
/// # Errors
/// A message naming the file that failed to render.
pub fn render(run: &ProjectionRun, areas: &[AreaCell]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let p = &run.projection;
    let proj = projection_csv(p).map_err(|e| format!("projection.csv: {e}"))?;
    let back = backtest_csv(p).map_err(|e| format!("backtest.csv: {e}"))?;
    let mut files = vec![
        ("projection.csv".to_string(), proj.clone()),
        (
            "areas.csv".to_string(),
            areas_csv(p, areas).map_err(|e| format!("areas.csv: {e}"))?,
        ),
        ("backtest.csv".to_string(), back.clone()),
        (
            "summary.json".to_string(),
            serde_json::to_vec_pretty(run).map_err(|e| format!("summary.json: {e}"))?,
        ),
        ("report.md".to_string(), report_md(run).into_bytes()),
        ("public/projection.csv".to_string(), proj),
        ("public/backtest.csv".to_string(), back),
    ];
    if let Some(sp) = &run.snapshots {
        files.push((
            "snapshots/projection.csv".to_string(),
            snapshot_csv(sp).map_err(|e| format!("snapshots/projection.csv: {e}"))?,
        ));
        files.push((
            "snapshots/transitions.csv".to_string(),
            transitions_csv(sp).map_err(|e| format!("snapshots/transitions.csv: {e}"))?,
        ));
    }
    let mut charts = vec![("fan_ALL.svg".to_string(), fan_svg(p, None))];
    for need in Need::ALL {
        charts.push((format!("fan_{}.svg", need.code()), fan_svg(p, Some(need))));
    }
    for (name, svg) in charts {
        files.push((format!("public/{name}"), svg.clone().into_bytes()));
        files.push((name, svg.into_bytes()));
    }
    Ok(files)
}
