//! The capital case of `nearhome site`: `appraisal.csv`, `cashflow.csv`, `sensitivity.csv`,
//! the charts (`chart_*.svg`) and `report.html`, one self-contained file (inline SVG, inline
//! CSS, no script, no network) a finance officer can attach. With `publish`, every count of
//! pupils passes [`crate::output::disclosure`] (fewer than 10 suppressed, others rounded to
//! 5) and every figure derived from pupils (savings, NPV, BCR, payback) is hidden with its
//! count or rounded to £1,000; capital costs and the SEN2 projection are not pupil data.

use std::fmt::Write as _;

use serde::Serialize;

use crate::analyse::appraisal::{Appraisal, SensitivityRow};
use crate::analyse::capital::{CapitalAppraisal, OptionAppraisal};
use crate::analyse::planning::{CapitalPlan, SiteResult, BAND_LABELS};
use crate::analyse::projection::Projection;
use crate::output::charts::{cash_flow_chart, grouped_bars, tornado, CashFlowBar, TornadoRow};
use crate::output::disclosure::{public_count, publishable, suppress_list, Derived};
use crate::output::planning::gbp;
use crate::output::projection::{academic_year, to_csv};

/// Who the report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marking {
    /// Officers: exact figures.
    Internal,
    /// Marked for publication: the disclosure rules apply.
    Publish,
}

#[derive(Serialize)]
struct AppraisalRow<'a> {
    option: &'a str,
    number: usize,
    sites: String,
    places: u32,
    places_used_today: u32,
    demand: &'static str,
    capital_gbp: f64,
    optimism_bias: f64,
    capital_with_optimism_bias_gbp: f64,
    lead_time_years: u32,
    period_years: u32,
    discount_rate: f64,
    placement_saving_gbp_per_year_today: f64,
    transport_saving_gbp_per_year_today: f64,
    pv_costs_gbp: f64,
    pv_benefits_gbp: f64,
    npv_gbp: f64,
    bcr: Option<f64>,
    discounted_payback_years: Option<f64>,
    simple_payback_years: Option<f64>,
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn demands(o: &OptionAppraisal) -> [(&'static str, &Appraisal); 3] {
    [("low", &o.low), ("central", &o.central), ("high", &o.high)]
}

/// `appraisal.csv`: every option × demand with its NPV, PVC, PVB, BCR and paybacks.
pub fn appraisal_csv(c: &CapitalAppraisal) -> Result<Vec<u8>, String> {
    let mut rows = Vec::new();
    for o in &c.options {
        for (demand, a) in demands(o) {
            rows.push(AppraisalRow {
                option: &o.kind,
                number: o.number,
                sites: o.sites.join(";"),
                places: o.places,
                places_used_today: o.used_today,
                demand,
                capital_gbp: r2(a.capital_gbp),
                optimism_bias: a.optimism_bias,
                capital_with_optimism_bias_gbp: r2(a.capital_with_optimism_bias_gbp),
                lead_time_years: a.lead_time_years,
                period_years: a.period_years,
                discount_rate: c.settings.discount.rate,
                placement_saving_gbp_per_year_today: r2(o.placement_gbp_per_year),
                transport_saving_gbp_per_year_today: r2(o.transport_gbp_per_year),
                pv_costs_gbp: r2(a.pv_costs_gbp),
                pv_benefits_gbp: r2(a.pv_benefits_gbp),
                npv_gbp: r2(a.npv_gbp),
                bcr: a.bcr.map(|b| (b * 1000.0).round() / 1000.0),
                discounted_payback_years: a.discounted_payback_years.map(r2),
                simple_payback_years: a.simple_payback_years.map(r2),
            });
        }
    }
    to_csv(rows)
}

#[derive(Serialize)]
struct CashRow<'a> {
    option: &'a str,
    number: usize,
    demand: &'static str,
    year: u32,
    capital_gbp: f64,
    placement_saving_gbp: f64,
    transport_saving_gbp: f64,
    revenue_gbp: f64,
    net_gbp: f64,
    discount_factor: f64,
    discounted_net_gbp: f64,
    cumulative_discounted_gbp: f64,
    cumulative_gbp: f64,
}

/// `cashflow.csv`: every option × demand × year (capital and revenue in separate columns;
/// the NPV is the sum of `discounted_net_gbp`).
pub fn cashflow_csv(c: &CapitalAppraisal) -> Result<Vec<u8>, String> {
    let mut rows = Vec::new();
    for o in &c.options {
        for (demand, a) in demands(o) {
            for y in &a.cash_flows {
                rows.push(CashRow {
                    option: &o.kind,
                    number: o.number,
                    demand,
                    year: y.year,
                    capital_gbp: r2(y.capital_gbp),
                    placement_saving_gbp: r2(y.placement_saving_gbp),
                    transport_saving_gbp: r2(y.transport_saving_gbp),
                    revenue_gbp: r2(y.revenue_gbp),
                    net_gbp: r2(y.net_gbp),
                    discount_factor: (y.discount_factor * 1e9).round() / 1e9,
                    discounted_net_gbp: r2(y.discounted_net_gbp),
                    cumulative_discounted_gbp: r2(y.cumulative_discounted_gbp),
                    cumulative_gbp: r2(y.cumulative_gbp),
                });
            }
        }
    }
    to_csv(rows)
}

#[derive(Serialize)]
struct SensRow<'a> {
    option: &'a str,
    number: usize,
    assumption: &'a str,
    low: &'a str,
    high: &'a str,
    base_npv_gbp: f64,
    npv_low_gbp: f64,
    npv_high_gbp: f64,
    swing_gbp: f64,
}

/// `sensitivity.csv`: each option's one-at-a-time ±20% table, tornado order.
pub fn sensitivity_csv(c: &CapitalAppraisal) -> Result<Vec<u8>, String> {
    let mut rows = Vec::new();
    for o in &c.options {
        for s in &o.sensitivity {
            rows.push(SensRow {
                option: &o.kind,
                number: o.number,
                assumption: &s.assumption,
                low: &s.low_label,
                high: &s.high_label,
                base_npv_gbp: r2(o.central.npv_gbp),
                npv_low_gbp: r2(s.npv_low_gbp),
                npv_high_gbp: r2(s.npv_high_gbp),
                swing_gbp: r2(s.swing_gbp),
            });
        }
    }
    to_csv(rows)
}

/// The option the report leads with: the chosen set with the largest k (the whole answer).
pub fn headline(c: &CapitalAppraisal) -> Option<&OptionAppraisal> {
    c.options
        .iter()
        .filter(|o| o.kind == "chosen_set")
        .max_by_key(|o| o.number)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Formats figures for the marking: counts and pupil-derived money.
struct Fmt {
    marking: Marking,
}

impl Fmt {
    fn count(&self, n: u64) -> String {
        match self.marking {
            Marking::Internal => n.to_string(),
            Marking::Publish => public_count(n).map_or("[c]".into(), |v| v.to_string()),
        }
    }

    /// Money derived from `pupils` pupils.
    fn derived(&self, gbp_v: f64, pupils: u64) -> String {
        match self.marking {
            Marking::Internal => gbp(gbp_v),
            Marking::Publish if publishable(pupils) => gbp(Derived::Gbp.round(gbp_v)),
            Marking::Publish => "[c]".into(),
        }
    }

    fn derived_years(&self, y: Option<f64>, pupils: u64) -> String {
        if self.marking == Marking::Publish && !publishable(pupils) {
            return "[c]".into();
        }
        y.map_or("does not pay back in the period".into(), |y| {
            format!("{y:.1}")
        })
    }

    fn derived_ratio(&self, b: Option<f64>, pupils: u64) -> String {
        if self.marking == Marking::Publish && !publishable(pupils) {
            return "[c]".into();
        }
        b.map_or("–".into(), |b| format!("{b:.2}"))
    }

    fn shows(&self, pupils: u64) -> bool {
        self.marking == Marking::Internal || publishable(pupils)
    }
}

fn journey_chart(r: &SiteResult, fmt: &Fmt) -> Option<String> {
    let k = r.per_k.last()?;
    let cats: Vec<String> = BAND_LABELS.iter().map(|b| format!("{b} min")).collect();
    let shown = |counts: &[usize]| -> Vec<f64> {
        let c: Vec<u64> = counts.iter().map(|&x| x as u64).collect();
        match fmt.marking {
            Marking::Internal => c.iter().map(|&x| x as f64).collect(),
            Marking::Publish => suppress_list(&c)
                .0
                .iter()
                .map(|v| v.map_or(f64::NAN, |x| x as f64))
                .collect(),
        }
    };
    Some(grouped_bars(
        "One-way journeys of the pupils planned for: now and with the new places",
        "pupils",
        &cats,
        &[
            ("Now".into(), shown(&k.figures.distribution_before)),
            (
                format!("With {} new base(s)", k.k),
                shown(&k.figures.distribution_after),
            ),
        ],
    ))
}

fn cash_chart(o: &OptionAppraisal) -> String {
    let bars: Vec<CashFlowBar> = o
        .central
        .cash_flows
        .iter()
        .map(|y| CashFlowBar {
            year: y.year,
            capital_gbp: y.capital_gbp,
            revenue_gbp: y.revenue_gbp,
            cumulative_discounted_gbp: y.cumulative_discounted_gbp,
        })
        .collect();
    cash_flow_chart(
        &format!(
            "Cash flow of k = {} (central demand): capital, revenue saving, cumulative discounted net",
            o.number
        ),
        &bars,
    )
}

fn tornado_chart(o: &OptionAppraisal) -> String {
    let rows: Vec<TornadoRow> = o
        .sensitivity
        .iter()
        .map(|s: &SensitivityRow| TornadoRow {
            label: s.assumption.clone(),
            low_label: s.low_label.clone(),
            high_label: s.high_label.clone(),
            npv_low: s.npv_low_gbp,
            npv_high: s.npv_high_gbp,
        })
        .collect();
    tornado(
        &format!("NPV of k = {}: each assumption −20% / +20%", o.number),
        o.central.npv_gbp,
        &rows,
    )
}

/// Every chart of the report, `(file name, svg)`: the need's projection fan (when there is
/// a projection), the journey-time distribution, the headline option's cash flow and
/// tornado. Cash flow and tornado are pupil-derived and left out under `Publish` when the
/// headline's pupils are fewer than 10.
pub fn charts(
    r: &SiteResult,
    projection: Option<&Projection>,
    marking: Marking,
) -> Vec<(String, String)> {
    let fmt = Fmt { marking };
    let mut out = Vec::new();
    if let Some(p) = projection {
        out.push((
            "chart_projection.svg".into(),
            crate::output::projection::fan_svg(p, Some(r.request.need)),
        ));
    }
    if let Some(j) = journey_chart(r, &fmt) {
        out.push(("chart_journeys.svg".into(), j));
    }
    if let Some(o) = r.appraisal.as_ref().and_then(headline) {
        if fmt.shows(u64::from(o.used_today)) {
            out.push(("chart_cashflow.svg".into(), cash_chart(o)));
            out.push(("chart_tornado.svg".into(), tornado_chart(o)));
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}.mark{padding:.5rem 1rem;border:2px solid #b00;color:#b00;font-weight:bold}.mark.pub{border-color:#0072B2;color:#0072B2}.headline{font-size:1.05rem;background:#f3f6fa;padding:.75rem 1rem;border-left:4px solid #0072B2}figure{margin:1rem 0}svg{max-width:100%;height:auto}@media print{body{margin:0;max-width:none}h2{break-after:avoid}figure,table{break-inside:avoid}}";

/// `report.html`: the headline, the method, every assumption with its source, the tables
/// and the charts (projection fan, journey times now and after, cash flow, tornado).
pub fn report_html(
    r: &SiteResult,
    plan: &CapitalPlan,
    projection: Option<&Projection>,
    marking: Marking,
) -> String {
    let fmt = Fmt { marking };
    let q = &r.request;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>New {} places: capital case ({})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(q.need.code()),
        esc(&r.scenario)
    );
    let _ = writeln!(
        h,
        "<h1>New {} places for pupils aged {}–{}: the capital case</h1>",
        esc(q.need.code()),
        q.age_min,
        q.age_max
    );
    let _ = writeln!(
        h,
        "<p>Scenario <strong>{}</strong>. {}</p>",
        esc(&r.scenario),
        if r.synthetic_pupils {
            "The pupils are <strong>synthetic</strong> (generated to the authority's published totals): the figures show the method, not a real case."
        } else {
            "Figures are as good as the pupil and provision data supplied."
        }
    );
    let _ = writeln!(
        h,
        "{}",
        match marking {
            Marking::Internal => "<p class=\"mark\">OFFICIAL – internal. Contains exact counts of pupils: not for publication. Run with <code>--publish</code> for a version with small numbers suppressed.</p>",
            Marking::Publish => "<p class=\"mark pub\">Marked for publication: counts of fewer than 10 pupils, and money derived from them, are suppressed ([c]); other counts are rounded to the nearest 5 and pupil-derived money to the nearest £1,000.</p>",
        }
    );
    headline_html(&mut h, r, &fmt);
    method_html(&mut h, r, projection);
    assumptions_html(&mut h, r, projection);
    let charts = charts(r, projection, marking);
    let chart = |name: &str| {
        charts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
    };
    if let Some(p) = projection {
        let _ = writeln!(h, "<h2>Demand: the projection</h2>");
        if let Some(svg) = chart("chart_projection.svg") {
            let _ = writeln!(h, "<figure>{svg}</figure>");
        }
        projection_table(&mut h, p, q.need);
    }
    if let Some(svg) = chart("chart_journeys.svg") {
        let _ = writeln!(
            h,
            "<h2>Journey times now and after</h2>\n<figure>{svg}</figure>"
        );
    }
    options_html(&mut h, r, &fmt);
    if let Some(o) = r.appraisal.as_ref().and_then(headline) {
        let _ = writeln!(h, "<h2>Cash flow of the chosen set (k = {})</h2>", o.number);
        match chart("chart_cashflow.svg") {
            Some(svg) => {
                let _ = writeln!(h, "<figure>{svg}</figure>");
                cash_table(&mut h, o);
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p>[c] Suppressed: the new places serve fewer than 10 pupils.</p>"
                );
            }
        }
        let _ = writeln!(h, "<h2>Sensitivity</h2>");
        match chart("chart_tornado.svg") {
            Some(svg) => {
                let _ = writeln!(h, "<figure>{svg}</figure>");
                sensitivity_table(&mut h, o);
            }
            None => {
                let _ = writeln!(h, "<p>[c] Suppressed with the cash flow.</p>");
            }
        }
    }
    areas_html(&mut h, r, plan, &fmt);
    caveats_html(&mut h, r);
    h.push_str("</body>\n</html>\n");
    h
}

fn headline_html(h: &mut String, r: &SiteResult, fmt: &Fmt) {
    let Some(k) = r.per_k.last() else {
        let _ = writeln!(
            h,
            "<p class=\"headline\">No new base is proposed: {}</p>",
            esc(r.stopped_note.as_deref().unwrap_or("no site gains"))
        );
        return;
    };
    let names: Vec<String> = k.sites.iter().map(|s| esc(&s.name)).collect();
    let used: u32 = k.sites.iter().map(|s| s.used).sum();
    let mut line = format!(
        "{} new base(s) ({} places) at {} take {} pupils and return {} beyond today's spare places, saving {} a year in placements and transport for capital of {}",
        k.k,
        k.sites.iter().map(|s| s.places).sum::<u32>(),
        names.join(", "),
        fmt.count(u64::from(used)),
        fmt.count(k.extra_returned.max(0) as u64),
        fmt.derived(k.extra_gbp_per_year_saved, u64::from(used)),
        gbp(k.capital_gbp)
    );
    if let Some(o) = r.appraisal.as_ref().and_then(headline) {
        let a = &o.central;
        let _ = write!(
            line,
            " ({} with {:.0}% optimism bias). Over {} years at {:.1}%: NPV {}, discounted payback {} years, benefit–cost ratio {}.",
            gbp(a.capital_with_optimism_bias_gbp),
            a.optimism_bias * 100.0,
            a.period_years,
            r.appraisal.as_ref().map_or(3.5, |c| c.settings.discount.rate * 100.0),
            fmt.derived(a.npv_gbp, u64::from(o.used_today)),
            fmt.derived_years(a.discounted_payback_years, u64::from(o.used_today)),
            fmt.derived_ratio(a.bcr, u64::from(o.used_today))
        );
    }
    if let Some(f) = &r.future {
        let _ = write!(
            line,
            " Sites chosen for the projected demand of {} ({} pupils stand for today's {}).",
            academic_year(f.year),
            fmt.count(f.pupils_then as u64),
            fmt.count(f.pupils_now as u64)
        );
    }
    let _ = writeln!(h, "<p class=\"headline\">{line}</p>");
    if let Some(note) = &r.stopped_note {
        let _ = writeln!(h, "<p>{}</p>", esc(note));
    }
}

fn method_html(h: &mut String, r: &SiteResult, projection: Option<&Projection>) {
    let _ = writeln!(h, "<h2>Method</h2>\n<ol>");
    let _ = writeln!(
        h,
        "<li><strong>Siting.</strong> Candidate hosts are the scenario's maintained schools, academies and special schools in the area (independent and non-maintained schools are left out{}). For k = 1..{} new bases the answer {} ({}). Proposals rank each base on its own by payback.</li>",
        if r.excluded_hosts.is_empty() {
            String::new()
        } else {
            format!(": {}", esc(&r.excluded_hosts.join(", ")))
        },
        r.request.k,
        match r.request.objective {
            crate::analyse::planning::PlanObjective::Return => "brings back the most out-of-area pupils, then saves the most travel",
            crate::analyse::planning::PlanObjective::Travel => "cuts the most journey time",
        },
        esc(&r.exact_note)
    );
    if let Some(p) = projection {
        let _ = writeln!(
            h,
            "<li><strong>Demand.</strong> {}. Fitted on {}–{}; backtest (fit to 2021/22, project to {}): MAPE {:.1}% for all plans.</li>",
            esc(&p.method),
            academic_year(p.trend.first_year),
            academic_year(p.trend.last_year),
            academic_year(p.base_year),
            p.backtests.first().map_or(f64::NAN, |b| b.mape)
        );
    }
    if let Some(c) = &r.appraisal {
        let _ = writeln!(
            h,
            "<li><strong>Appraisal</strong> (HM Treasury Green Book conventions). Capital = places × cost per place × (1 + optimism bias), spent evenly over the {} year(s) of build from year 0. Revenue savings (placement and transport, kept apart from capital) start when the places open and follow the demand: today's saving × min(growth, places ÷ places used). NPV = Σ (revenue − capital) × DF<sub>t</sub>, DF<sub>t</sub> = 1.035<sup>−t</sup> (year 0 undiscounted). Discounted payback interpolates the year the cumulative discounted net turns positive. Demand: {}.</li>",
            c.settings.lead_time_years,
            esc(&c.demand.basis)
        );
    }
    let _ = writeln!(h, "</ol>");
}

fn assumptions_html(h: &mut String, r: &SiteResult, projection: Option<&Projection>) {
    let a = &r.assumptions;
    let _ = writeln!(
        h,
        "<h2>Assumptions and their sources</h2>\n<table>\n<tr><th>Assumption</th><th>Value</th><th>Source</th></tr>"
    );
    let mut row = |name: &str, value: String, source: &str| {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(name),
            esc(&value),
            esc(source)
        );
    };
    row(
        "Capital cost per place",
        gbp(a.capital_gbp_per_place),
        "scenario.toml [costs] capital_gbp_per_place (illustrative unless the council replaced it)",
    );
    if let Some(v) = a.new_place_gbp_per_year {
        row(
            "Annual cost of a new place",
            gbp(v),
            "scenario.toml [costs] placement_gbp_by_kind for the new kind",
        );
    }
    for (kind, v) in &a.placement_gbp_by_kind {
        row(
            &format!("Placement cost a year: {kind}"),
            gbp(*v),
            "scenario.toml [costs] placement_gbp_by_kind",
        );
    }
    for (mode, v) in &a.transport_gbp_per_km_by_mode {
        row(
            &format!("Transport £ per km: {mode}"),
            format!("£{v:.2}"),
            "scenario.toml [costs] transport_gbp_per_km_by_mode",
        );
    }
    row(
        "One-way journeys a year",
        format!("{:.0}", a.trips_per_year),
        "scenario.toml [costs] (school days × 2)",
    );
    row(
        "Journey limits",
        format!(
            "{:.0} min primary (to age {}), {:.0} min secondary",
            a.primary_max_minutes, a.primary_max_age, a.secondary_max_minutes
        ),
        "DfE home-to-school travel guidance",
    );
    if let Some(c) = &r.appraisal {
        let s = &c.settings;
        row(
            "Optimism bias on capital",
            format!("{:.0}%", s.optimism_bias * 100.0),
            "Green Book supplementary guidance, standard buildings upper bound (reduce as the project matures)",
        );
        row(
            "Build lead time",
            format!("{} year(s)", s.lead_time_years),
            "--lead-years (default 1 for a resource base, 2 for special school places; illustrative)",
        );
        row(
            "Appraisal period",
            format!("{} years", s.period_years),
            "--appraisal-years",
        );
        row(
            "Discount rate",
            format!(
                "{:.1}% (years 1–{}), {:.1}% after",
                s.discount.rate * 100.0,
                s.discount.long_from_year.saturating_sub(1),
                s.discount.long_rate * 100.0
            ),
            "HM Treasury Green Book (2022) social time preference rate",
        );
    }
    if let Some(p) = projection {
        row(
            "Demand growth damping φ",
            format!("{}", p.config.damping),
            "nearhome project default (growth shrinks by φ a year)",
        );
        row(
            "EHC plan series",
            format!(
                "{}–{}",
                academic_year(p.trend.first_year),
                academic_year(p.trend.last_year)
            ),
            "DfE, Education, health and care plans (SEN2), reporting year 2025; Open Government Licence v3.0",
        );
    }
    let _ = writeln!(h, "</table>");
}

fn projection_table(h: &mut String, p: &Projection, need: crate::model::Need) {
    let _ = writeln!(
        h,
        "<table>\n<tr><th>Year</th><th>{} plans</th><th>80% interval</th><th>95% interval</th><th>All plans</th></tr>",
        esc(need.code())
    );
    for t in &p.totals {
        let Some(i) = p.need_total(need, t.year) else {
            continue;
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{:.0}</td><td class=\"n\">{:.0}–{:.0}</td><td class=\"n\">{:.0}–{:.0}</td><td class=\"n\">{:.0}</td></tr>",
            academic_year(t.year),
            i.central,
            i.lo80,
            i.hi80,
            i.lo95,
            i.hi95,
            t.plans.central
        );
    }
    let _ = writeln!(h, "</table>");
    if let Some(r) = p.reliability.iter().find(|r| r.need == need) {
        let _ = writeln!(
            h,
            "<p>{}: {}.</p>",
            if r.reliable {
                "Reliable"
            } else {
                "<strong>Unreliable</strong>"
            },
            esc(&r.reason)
        );
    }
}

fn options_html(h: &mut String, r: &SiteResult, fmt: &Fmt) {
    let Some(c) = &r.appraisal else {
        return;
    };
    let _ = writeln!(
        h,
        "<h2>Options appraised</h2>\n<p>Capital and revenue are shown apart. Revenue saving is a year's saving today; NPV and payback use the demand path.</p>\n<table>\n<tr><th>Option</th><th>Sites</th><th>Places (used today)</th><th>Capital incl. optimism bias</th><th>Revenue saving £/yr today</th><th>NPV low / central / high</th><th>BCR</th><th>Discounted payback (years)</th></tr>"
    );
    for o in &c.options {
        let n = u64::from(o.used_today);
        let _ = writeln!(
            h,
            "<tr><td>{} {}</td><td>{}</td><td class=\"n\">{} ({})</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {} / {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            if o.kind == "proposal" { "Proposal" } else { "Chosen set k =" },
            o.number,
            esc(&o.sites.join(", ")),
            o.places,
            fmt.count(n),
            gbp(o.central.capital_with_optimism_bias_gbp),
            fmt.derived(o.placement_gbp_per_year + o.transport_gbp_per_year, n),
            fmt.derived(o.low.npv_gbp, n),
            fmt.derived(o.central.npv_gbp, n),
            fmt.derived(o.high.npv_gbp, n),
            fmt.derived_ratio(o.central.bcr, n),
            fmt.derived_years(o.central.discounted_payback_years, n)
        );
    }
    let _ = writeln!(h, "</table>");
}

fn cash_table(h: &mut String, o: &OptionAppraisal) {
    let _ = writeln!(
        h,
        "<table>\n<tr><th>Year</th><th>Capital</th><th>Placement saving</th><th>Transport saving</th><th>Net</th><th>Discount factor</th><th>Discounted net</th><th>Cumulative discounted</th></tr>"
    );
    for y in &o.central.cash_flows {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.6}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            y.year,
            gbp(y.capital_gbp),
            gbp(y.placement_saving_gbp),
            gbp(y.transport_saving_gbp),
            gbp(y.net_gbp),
            y.discount_factor,
            gbp(y.discounted_net_gbp),
            gbp(y.cumulative_discounted_gbp)
        );
    }
    let _ = writeln!(
        h,
        "<tr><th colspan=\"6\">NPV</th><th class=\"n\">{}</th><th></th></tr>\n</table>",
        gbp(o.central.npv_gbp)
    );
}

fn sensitivity_table(h: &mut String, o: &OptionAppraisal) {
    let _ = writeln!(
        h,
        "<table>\n<tr><th>Assumption</th><th>Low</th><th>NPV low</th><th>High</th><th>NPV high</th><th>Swing</th></tr>"
    );
    for s in &o.sensitivity {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.assumption),
            esc(&s.low_label),
            gbp(s.npv_low_gbp),
            esc(&s.high_label),
            gbp(s.npv_high_gbp),
            gbp(s.swing_gbp)
        );
    }
    let _ = writeln!(h, "</table>");
}

fn areas_html(h: &mut String, r: &SiteResult, plan: &CapitalPlan, fmt: &Fmt) {
    let rows: Vec<_> = plan
        .rows
        .iter()
        .filter(|row| {
            row.need == r.request.need
                && (row.gap_places > 0
                    || row.gap_places_year_n.unwrap_or(0) > 0
                    || row.chosen_sites > 0
                    || row.budget_share_gbp.is_some())
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let year_n = rows.iter().find_map(|row| row.year_n);
    let _ = writeln!(
        h,
        "<h2>Areas: the gap, capital and revenue</h2>\n<p>Areas with a gap, a chosen site or a budget share (every area is in <code>capital.csv</code>). Gap = out-of-area specialist pupils + unmet need − local spare places. Capital is one-off; the revenue saving and the area's budget share are annual revenue (high-needs block) and are shown together, apart from capital.</p>\n<table>\n<tr><th rowspan=\"2\">Layer</th><th rowspan=\"2\">Area</th><th colspan=\"{}\">Gap (places)</th><th colspan=\"2\">Capital</th><th colspan=\"2\">Revenue £/yr</th></tr>\n<tr><th>now</th>{}<th>chosen sites</th><th>their capital</th><th>saved by the sites</th><th>budget share</th></tr>",
        if year_n.is_some() { 2 } else { 1 },
        year_n.map_or(String::new(), |y| format!("<th>{}</th>", academic_year(y)))
    );
    let last = r.per_k.last();
    for row in rows {
        // Pupils behind the area's revenue saving: those moved to its chosen sites.
        let moved_here: u64 = last.map_or(0, |k| {
            k.sites
                .iter()
                .filter(|s| {
                    s.areas
                        .iter()
                        .any(|(l, id)| *l == row.layer && *id == row.area_id)
                })
                .map(|s| u64::from(s.used))
                .sum()
        });
        let gap_n = match (year_n, row.gap_places_year_n) {
            (Some(_), Some(g)) => format!("<td class=\"n\">{}</td>", fmt.count(g)),
            (Some(_), None) => "<td></td>".into(),
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td>{}<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&row.layer),
            esc(&row.area_name),
            fmt.count(row.gap_places),
            gap_n,
            row.chosen_sites,
            gbp(row.chosen_capital_gbp),
            fmt.derived(row.chosen_revenue_gbp_per_year, moved_here),
            row.budget_share_gbp.map(gbp).unwrap_or_else(|| "–".into())
        );
    }
    let _ = writeln!(h, "</table>");
}

fn caveats_html(h: &mut String, r: &SiteResult) {
    let _ = writeln!(h, "<h2>Caveats</h2>\n<ul>");
    for c in [
        "Costs are the stated assumptions, not quotes; capital per place excludes land and site transport.",
        "Journeys are modelled car times without traffic; real taxi routes differ.",
        "Future pupils are assumed to live where today's pupils of the same need and phase live, and to save what today's moved pupils save on average.",
        "Revenue savings are not inflated: all figures are in today's prices (real terms), as the Green Book discount rate assumes.",
    ] {
        let _ = writeln!(h, "<li>{}</li>", esc(c));
    }
    if r.synthetic_pupils {
        let _ = writeln!(h, "<li>The pupils are synthetic; do not quote these figures as Birmingham's or Rutland's.</li>");
    }
    let _ = writeln!(h, "</ul>");
}

/// Every file of the capital case: the three CSVs, the charts and `report.html`.
///
/// # Errors
/// A message naming the file that failed to encode.
pub fn files(
    r: &SiteResult,
    plan: &CapitalPlan,
    projection: Option<&Projection>,
    marking: Marking,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    if let Some(c) = &r.appraisal {
        out.push((
            "appraisal.csv".to_string(),
            appraisal_csv(c).map_err(|e| format!("appraisal.csv: {e}"))?,
        ));
        out.push((
            "cashflow.csv".to_string(),
            cashflow_csv(c).map_err(|e| format!("cashflow.csv: {e}"))?,
        ));
        out.push((
            "sensitivity.csv".to_string(),
            sensitivity_csv(c).map_err(|e| format!("sensitivity.csv: {e}"))?,
        ));
    }
    for (name, svg) in charts(r, projection, marking) {
        out.push((name, svg.into_bytes()));
    }
    out.push((
        "report.html".to_string(),
        report_html(r, plan, projection, marking).into_bytes(),
    ));
    Ok(out)
}
