//! The `nearhome site` outputs: `sites.csv`, `proposals.csv`, `capital.csv`,
//! `sites.geojson` and `report.md`, as text, and [`write_outputs`] that writes them to a
//! folder. Formats are documented in `docs/planning.md`.
//!
//! Owns formatting only: every figure comes from [`crate::analyse::planning`]. Must not import
//! `crate::serve` or `crate::app`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::analyse::planning::{
    CapitalPlan, CapitalRow, PlanObjective, PlanningError, ProposalRow, SiteResult,
};
use crate::model::ProvisionKind;

fn f2(v: f64) -> String {
    format!("{v:.2}")
}
fn f6(v: f64) -> String {
    format!("{v:.6}")
}
fn opt_f2(v: Option<f64>) -> String {
    v.map(f2).unwrap_or_default()
}
fn areas_text(areas: &[(String, String)]) -> String {
    areas
        .iter()
        .map(|(l, a)| format!("{l}:{a}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn csv_text(header: &[&str], rows: Vec<Vec<String>>) -> Result<String, PlanningError> {
    let e = |m: String| PlanningError::Write {
        path: "CSV".into(),
        message: m,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|x| e(x.to_string()))?;
    for r in rows {
        w.write_record(&r).map_err(|x| e(x.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|x| e(x.to_string()))?;
    String::from_utf8(bytes).map_err(|x| e(x.to_string()))
}

/// `sites.csv`: one row per `k` and chosen site, with the set's figures.
///
/// # Errors
/// A CSV encoding failure.
pub fn sites_csv(r: &SiteResult) -> Result<String, PlanningError> {
    let header = [
        "k",
        "site_id",
        "site_name",
        "lat",
        "lon",
        "areas",
        "places",
        "places_used",
        "set_returned",
        "set_moved",
        "set_extra_returned",
        "set_hours_per_year_saved",
        "set_km_per_year_saved",
        "set_gbp_per_year_saved",
        "set_extra_gbp_per_year_saved",
        "set_capital_gbp",
        "set_payback_years",
        "set_coverage_after",
        "exact_returned",
        "exact_relative_gap",
    ];
    let mut rows = Vec::new();
    for k in &r.per_k {
        for s in &k.sites {
            let f = &k.figures;
            rows.push(vec![
                k.k.to_string(),
                s.id.clone(),
                s.name.clone(),
                f6(s.location.lat),
                f6(s.location.lon),
                areas_text(&s.areas),
                s.places.to_string(),
                s.used.to_string(),
                f.returned.to_string(),
                f.moved.to_string(),
                k.extra_returned.to_string(),
                f2(f.hours_per_year_saved),
                f2(f.km_per_year_saved),
                f2(f.total_gbp_per_year_saved),
                f2(k.extra_gbp_per_year_saved),
                f2(k.capital_gbp),
                opt_f2(k.payback_years),
                f.coverage_after.to_string(),
                k.exact
                    .as_ref()
                    .map(|x| x.optimum_returned.to_string())
                    .unwrap_or_default(),
                k.exact
                    .as_ref()
                    .map(|x| format!("{:.4}", x.relative_gap))
                    .unwrap_or_default(),
            ]);
        }
    }
    csv_text(&header, rows)
}

/// `proposals.csv`: ranked single-base proposals.
///
/// # Errors
/// A CSV encoding failure.
pub fn proposals_csv(proposals: &[ProposalRow]) -> Result<String, PlanningError> {
    let header = [
        "rank",
        "site_id",
        "site_name",
        "lat",
        "lon",
        "areas",
        "kind",
        "needs",
        "age_min",
        "age_max",
        "places",
        "capital_gbp",
        "pupils_returned",
        "places_used",
        "hours_per_year_saved",
        "km_per_year_saved",
        "revenue_gbp_per_year_saved",
        "payback_years",
    ];
    let rows = proposals
        .iter()
        .map(|p| {
            let q = &p.proposal;
            vec![
                p.rank.to_string(),
                q.site_id.clone(),
                q.site_name.clone(),
                f6(q.location.lat),
                f6(q.location.lon),
                areas_text(&p.areas),
                q.kind.as_str().to_string(),
                q.needs
                    .iter()
                    .map(|n| n.code())
                    .collect::<Vec<_>>()
                    .join(";"),
                q.age_min.to_string(),
                q.age_max.to_string(),
                q.places.to_string(),
                f2(p.capital_gbp),
                p.pupils_returned.to_string(),
                p.places_used.to_string(),
                f2(p.hours_per_year_saved),
                f2(p.km_per_year_saved),
                f2(p.revenue_gbp_per_year_saved),
                opt_f2(p.payback_years),
            ]
        })
        .collect();
    csv_text(&header, rows)
}

/// `capital.csv`: the capital plan rows.
///
/// # Errors
/// A CSV encoding failure.
pub fn capital_csv(plan: &CapitalPlan) -> Result<String, PlanningError> {
    let header = [
        "layer",
        "area_id",
        "area_name",
        "need",
        "demand_pupils",
        "out_of_area_pupils",
        "local_spare_places",
        "gap_places",
        "chosen_sites",
        "chosen_capital_gbp",
        "proposals_in_area",
        "best_proposal",
        "best_proposal_payback_years",
        "budget_share_gbp",
    ];
    let rows = plan
        .rows
        .iter()
        .map(|r| {
            vec![
                r.layer.clone(),
                r.area_id.clone(),
                r.area_name.clone(),
                r.need.code().to_string(),
                r.demand_pupils.to_string(),
                r.out_of_area_pupils.to_string(),
                r.local_spare_places.to_string(),
                r.gap_places.to_string(),
                r.chosen_sites.to_string(),
                f2(r.chosen_capital_gbp),
                r.proposals_in_area.to_string(),
                r.best_proposal.clone().unwrap_or_default(),
                opt_f2(r.best_proposal_payback_years),
                opt_f2(r.budget_share_gbp),
            ]
        })
        .collect();
    csv_text(&header, rows)
}

/// `sites.geojson`: the sites of the largest-k answer as points, with the `k` values whose
/// answer includes each.
pub fn sites_geojson(r: &SiteResult) -> Value {
    let Some(last) = r.per_k.last() else {
        return json!({"type": "FeatureCollection", "features": []});
    };
    let features: Vec<Value> = last
        .sites
        .iter()
        .map(|s| {
            let in_k: Vec<usize> = r
                .per_k
                .iter()
                .filter(|k| k.sites.iter().any(|x| x.candidate == s.candidate))
                .map(|k| k.k)
                .collect();
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [
                    (s.location.lon * 1e6).round() / 1e6, (s.location.lat * 1e6).round() / 1e6]},
                "properties": {
                    "site_id": s.id,
                    "site_name": s.name,
                    "need": r.request.need.code(),
                    "age_min": r.request.age_min,
                    "age_max": r.request.age_max,
                    "kind": r.request.kind.as_str(),
                    "places": s.places,
                    "places_used": s.used,
                    "in_answer_for_k": in_k,
                    "areas": areas_text(&s.areas),
                    "capital_gbp": f64::from(s.places) * r.assumptions.capital_gbp_per_place,
                }
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

fn gbp(v: f64) -> String {
    let neg = v < 0.0;
    let whole = v.abs().round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}£{out}", if neg { "−" } else { "" })
}

/// `report.md`: a short report a finance officer can attach to a bid.
pub fn report_md(r: &SiteResult, plan: &CapitalPlan) -> String {
    let q = &r.request;
    let a = &r.assumptions;
    let mut s = String::new();
    let aim = match q.objective {
        PlanObjective::Return => "bring the most pupils placed out of area back to local provision",
        PlanObjective::Travel => "cut the most total journey time",
    };
    let _ = writeln!(
        s,
        "# New places for {} pupils aged {}–{}: where, and what they return\n",
        q.need.code(),
        q.age_min,
        q.age_max
    );
    let _ = writeln!(s, "Scenario: **{}**.\n", r.scenario);
    let _ = writeln!(s, "## The question\n");
    let _ = writeln!(
        s,
        "Where would 1 to {} new {} of {} places each, for pupils with a primary need of {} aged {}–{}, {}? What would they cost, and how fast would they pay back?\n",
        q.k,
        if q.kind == ProvisionKind::SpecialSchool { "special school units" } else { "resource bases" },
        q.places,
        q.need.code(),
        q.age_min,
        q.age_max,
        aim
    );
    let _ = writeln!(s, "## Method in plain words\n");
    let _ = writeln!(
        s,
        "- {} pupils with this need and age are counted ({} placed out of area; {} left out because their current journey is unknown).",
        r.pupils, r.out_of_area_pupils, r.excluded_no_journey
    );
    let _ = writeln!(
        s,
        "- Journeys are driving times on the OpenStreetMap road network. Each of the {} candidate sites (school sites in the area of a suitable phase{}) is routed once.",
        r.candidates.len(),
        if q.extra_candidates.is_empty() { "" } else { " plus the sites supplied" }
    );
    let _ = writeln!(
        s,
        "- A pupil may take a new place only if the journey is within the guidance limit ({} min up to age {}, {} min above).",
        a.primary_max_minutes, a.primary_max_age, a.secondary_max_minutes
    );
    let _ = writeln!(
        s,
        "- For each set of sites, pupils are matched to places (the {} existing local places with spare capacity plus the new ones) by an optimal assignment: {}.",
        r.existing_spare_places,
        match q.objective {
            PlanObjective::Return => "first the most out-of-area pupils brought back, then the shortest journeys",
            PlanObjective::Travel => "the largest total cut in journey time; a pupil only moves if the journey gets shorter",
        }
    );
    let _ = writeln!(
        s,
        "- Sites are chosen by a greedy search improved by swapping sites ({} site sets evaluated). {}{}.",
        r.evaluations,
        r.exact_note.get(..1).unwrap_or_default().to_uppercase(),
        r.exact_note.get(1..).unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "- Savings are counted against what existing spare places alone would achieve, so they are due to the new places only.\n"
    );
    let _ = writeln!(s, "## Assumptions\n");
    let _ = writeln!(s, "| Assumption | Value |\n|---|---|");
    let _ = writeln!(
        s,
        "| Capital cost of one new place | {} |",
        gbp(a.capital_gbp_per_place)
    );
    let _ = writeln!(
        s,
        "| Annual cost of a new place ({}) | {} |",
        q.kind.as_str(),
        a.new_place_gbp_per_year
            .map(gbp)
            .unwrap_or_else(|| "not set".into())
    );
    for (k, v) in &a.placement_gbp_by_kind {
        let _ = writeln!(s, "| Annual placement cost, {k} | {} |", gbp(*v));
    }
    for (k, v) in &a.transport_gbp_per_km_by_mode {
        let _ = writeln!(s, "| Transport cost per km, {k} | £{v:.2} |");
    }
    let _ = writeln!(
        s,
        "| Transport mode when not recorded | {} |",
        a.default_transport
    );
    let _ = writeln!(s, "| One-way journeys a year | {} |", a.trips_per_year);
    let _ = writeln!(
        s,
        "| Coverage threshold | {} |\n",
        a.coverage_minutes
            .map(|m| format!("{m} min"))
            .unwrap_or_else(|| "each pupil's journey limit".into())
    );
    let _ = writeln!(s, "## Results\n");
    let _ = writeln!(
        s,
        "With existing spare places only, {} of the {} out-of-area pupils could come back.\n",
        r.baseline.returned, r.out_of_area_pupils
    );
    let _ = writeln!(
        s,
        "| New bases | Sites | Pupils returned (extra) | Places used | Journey hours saved/yr | Revenue saved £/yr | Capital | Payback (years) | Within threshold before → after |\n|---|---|---|---|---|---|---|---|---|"
    );
    for k in &r.per_k {
        let names: Vec<&str> = k.sites.iter().map(|x| x.name.as_str()).collect();
        let used: u32 = k.sites.iter().map(|x| x.used).sum();
        let _ = writeln!(
            s,
            "| {} | {} | {} ({:+}) | {} of {} | {:.0} | {} | {} | {} | {} → {} |",
            k.k,
            names.join("; "),
            k.figures.returned,
            k.extra_returned,
            used,
            k.sites.len() as u32 * q.places,
            k.extra_hours_per_year_saved,
            gbp(k.extra_gbp_per_year_saved),
            gbp(k.capital_gbp),
            k.payback_years
                .map(|y| format!("{y:.1}"))
                .unwrap_or_else(|| "does not pay back".into()),
            k.figures.coverage_before,
            k.figures.coverage_after
        );
    }
    if let Some(gap) = r
        .per_k
        .iter()
        .filter_map(|k| k.exact.as_ref())
        .map(|x| x.relative_gap)
        .reduce(f64::max)
    {
        let _ = writeln!(
            s,
            "\nLargest gap between the search and the exact optimum: {:.1}%.",
            gap * 100.0
        );
    }
    if !r.proposals.is_empty() {
        let _ = writeln!(
            s,
            "\n## Ranked proposals (one base each, fastest payback first)\n"
        );
        let _ = writeln!(
            s,
            "| Rank | Site | Places | Capital | Pupils returned | Revenue saved £/yr | Payback (years) |\n|---|---|---|---|---|---|---|"
        );
        for p in r.proposals.iter().take(10) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                p.rank,
                p.proposal.site_name,
                p.proposal.places,
                gbp(p.capital_gbp),
                p.pupils_returned,
                gbp(p.revenue_gbp_per_year_saved),
                p.payback_years
                    .map(|y| format!("{y:.1}"))
                    .unwrap_or_else(|| "does not pay back".into())
            );
        }
    }
    let budgets: Vec<&CapitalRow> = plan
        .rows
        .iter()
        .filter(|row| row.budget_share_gbp.is_some() && row.need == q.need)
        .collect();
    if !budgets.is_empty() {
        let _ = writeln!(s, "\n## Areas: budget share beside the proposed capital\n");
        let _ = writeln!(
            s,
            "| Area | Pupils | Out of area | Local spare places | Gap | Chosen sites | Their capital | Budget share |\n|---|---|---|---|---|---|---|---|"
        );
        for row in budgets {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                row.area_name,
                row.demand_pupils,
                row.out_of_area_pupils,
                row.local_spare_places,
                row.gap_places,
                row.chosen_sites,
                gbp(row.chosen_capital_gbp),
                row.budget_share_gbp.map(gbp).unwrap_or_default()
            );
        }
    }
    let _ = writeln!(s, "\n## Caveats\n");
    if r.synthetic_pupils {
        let _ = writeln!(
            s,
            "- The pupils in this scenario are **synthetic** (generated to match the authority's published totals), not real children: the figures show the method, not a real case."
        );
    } else {
        let _ = writeln!(
            s,
            "- Figures are only as good as the pupil and provision data supplied."
        );
    }
    let _ = writeln!(
        s,
        "- Capacities and resource-base designations may be illustrative; check them before a bid.\n- Costs are the stated assumptions above, not quotes. Capital per place does not include land or transport to the site.\n- Journeys are modelled car times without traffic; real taxi routes differ.\n- Payback ignores inflation, discounting and the time to build.\n- Counts here are internal: suppress small numbers (below 10) before publishing."
    );
    s
}

/// Write `sites.csv`, `proposals.csv`, `capital.csv`, `sites.geojson` and `report.md`
/// into `dir` (created if needed). Returns the file names written.
///
/// # Errors
/// [`PlanningError::Write`] naming the file.
pub fn write_outputs(
    r: &SiteResult,
    plan: &CapitalPlan,
    dir: &Path,
) -> Result<Vec<String>, PlanningError> {
    let werr = |path: &Path, e: std::io::Error| PlanningError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| werr(dir, e))?;
    let files = [
        ("sites.csv", sites_csv(r)?),
        ("proposals.csv", proposals_csv(&r.proposals)?),
        ("capital.csv", capital_csv(plan)?),
        ("sites.geojson", sites_geojson(r).to_string()),
        ("report.md", report_md(r, plan)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| werr(&path, e))?;
        written.push(name.to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_format() {
        assert_eq!(gbp(1_234_567.4), "£1,234,567");
        assert_eq!(gbp(-900.0), "−£900");
    }
}
