//! The `nearhome site` outputs: `sites.csv`, `proposals.csv`, `capital.csv`,
//! `sites.geojson` and `report.md`, as text, and [`write_outputs`] that writes them to a
//! folder. Formats are documented in `docs/planning.md`.
//!
//! Owns formatting only: every figure comes from [`crate::analyse::planning`]. Must not import
//! `crate::serve` or `crate::app`.

use std::fmt::Write as _;
use std::path::Path;

use geojson::{FeatureCollection, Geometry, GeometryValue, Position};
use serde::Serialize;

use crate::analyse::planning::{
    CapitalPlan, CapitalRow, PlanObjective, PlanningError, ProposalRow, SiteResult,
};
use crate::model::ProvisionKind;
use crate::output::disclosure::round_dp;
use crate::output::records::{coord6, csv_bytes, dec2};
use crate::output::tables::{collection, feature};

fn areas_text(areas: &[(String, String)]) -> String {
    areas
        .iter()
        .map(|(l, a)| format!("{l}:{a}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// A CSV failure while encoding a planning table.
fn encode_err(name: &str, e: impl std::fmt::Display) -> PlanningError {
    PlanningError::Write {
        path: name.into(),
        message: e.to_string(),
    }
}

fn csv_text<T: Serialize>(
    name: &str,
    records: &[T],
    header: &[&str],
) -> Result<String, PlanningError> {
    let bytes = csv_bytes(records, header).map_err(|e| encode_err(name, e))?;
    String::from_utf8(bytes).map_err(|e| encode_err(name, e))
}

/// The answer of `POST /api/site`: the siting result and the capital plan beside it.
#[derive(Debug, Clone, Serialize)]
pub struct SiteAnswer {
    /// Chosen sites for every k, the ranked proposals and the assumptions.
    pub site: SiteResult,
    /// Per area × need demand, local places, out of area and the gap.
    pub capital: CapitalPlan,
}

/// One row of `sites.csv`: a chosen site of the answer for one `k`, with the set's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteRecord {
    /// Number of new bases in the answer.
    pub k: usize,
    /// Candidate site id.
    pub site_id: String,
    /// Its name.
    pub site_name: String,
    /// Latitude (6 decimals).
    pub lat: f64,
    /// Longitude (6 decimals).
    pub lon: f64,
    /// `layer:area` of every layer, `;`-separated.
    pub areas: String,
    /// Places of the new base.
    pub places: u32,
    /// Places the answer fills.
    pub places_used: u32,
    /// Out-of-area pupils the set returns (new and existing places).
    pub set_returned: usize,
    /// Pupils the set moves.
    pub set_moved: usize,
    /// Returned because of the new places (vs existing places alone).
    pub set_extra_returned: i64,
    /// Hours a year saved by the set.
    pub set_hours_per_year_saved: f64,
    /// km a year saved by the set.
    pub set_km_per_year_saved: f64,
    /// £ a year saved by the set.
    pub set_gbp_per_year_saved: f64,
    /// £ a year saved because of the new places.
    pub set_extra_gbp_per_year_saved: f64,
    /// Capital cost of the set, £.
    pub set_capital_gbp: f64,
    /// Capital ÷ extra yearly saving, years.
    pub set_payback_years: Option<f64>,
    /// Pupils within their limit of a place after the set.
    pub set_coverage_after: usize,
    /// Pupils returned by the exact optimum (small instances).
    pub exact_returned: Option<usize>,
    /// Relative gap of the heuristic to the exact optimum (4 decimals).
    pub exact_relative_gap: Option<f64>,
}

/// Columns of [`SiteRecord`].
pub const SITE_HEADER: [&str; 20] = [
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

/// Every `sites.csv` row.
pub fn site_records(r: &SiteResult) -> Vec<SiteRecord> {
    let mut rows = Vec::new();
    for k in &r.per_k {
        for s in &k.sites {
            let f = &k.figures;
            rows.push(SiteRecord {
                k: k.k,
                site_id: s.id.clone(),
                site_name: s.name.clone(),
                lat: coord6(s.location.lat),
                lon: coord6(s.location.lon),
                areas: areas_text(&s.areas),
                places: s.places,
                places_used: s.used,
                set_returned: f.returned,
                set_moved: f.moved,
                set_extra_returned: k.extra_returned,
                set_hours_per_year_saved: dec2(f.hours_per_year_saved),
                set_km_per_year_saved: dec2(f.km_per_year_saved),
                set_gbp_per_year_saved: dec2(f.total_gbp_per_year_saved),
                set_extra_gbp_per_year_saved: dec2(k.extra_gbp_per_year_saved),
                set_capital_gbp: dec2(k.capital_gbp),
                set_payback_years: k.payback_years.map(dec2),
                set_coverage_after: f.coverage_after,
                exact_returned: k.exact.as_ref().map(|x| x.optimum_returned),
                exact_relative_gap: k.exact.as_ref().map(|x| round_dp(x.relative_gap, 4)),
            });
        }
    }
    rows
}

/// `sites.csv`: one row per `k` and chosen site, with the set's figures.
///
/// # Errors
/// A CSV encoding failure.
pub fn sites_csv(r: &SiteResult) -> Result<String, PlanningError> {
    csv_text("sites.csv", &site_records(r), &SITE_HEADER)
}

/// One row of `proposals.csv`: a single-base proposal, ranked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalRecord {
    /// Rank (1 = best).
    pub rank: usize,
    /// Candidate site id.
    pub site_id: String,
    /// Its name.
    pub site_name: String,
    /// Latitude (6 decimals).
    pub lat: f64,
    /// Longitude (6 decimals).
    pub lon: f64,
    /// `layer:area` of every layer.
    pub areas: String,
    /// Kind of the new base.
    pub kind: &'static str,
    /// Needs it serves, `;`-separated codes.
    pub needs: String,
    /// Youngest age.
    pub age_min: u8,
    /// Oldest age.
    pub age_max: u8,
    /// Places.
    pub places: u32,
    /// Capital cost, £.
    pub capital_gbp: f64,
    /// Out-of-area pupils returned (more than existing places alone).
    pub pupils_returned: i64,
    /// Places filled.
    pub places_used: u32,
    /// Hours a year saved.
    pub hours_per_year_saved: f64,
    /// km a year saved.
    pub km_per_year_saved: f64,
    /// Revenue £ a year saved.
    pub revenue_gbp_per_year_saved: f64,
    /// Capital ÷ revenue saving, years.
    pub payback_years: Option<f64>,
}

/// Columns of [`ProposalRecord`].
pub const PROPOSAL_HEADER: [&str; 18] = [
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

/// Every `proposals.csv` row.
pub fn proposal_records(proposals: &[ProposalRow]) -> Vec<ProposalRecord> {
    proposals
        .iter()
        .map(|p| {
            let q = &p.proposal;
            ProposalRecord {
                rank: p.rank,
                site_id: q.site_id.clone(),
                site_name: q.site_name.clone(),
                lat: coord6(q.location.lat),
                lon: coord6(q.location.lon),
                areas: areas_text(&p.areas),
                kind: q.kind.as_str(),
                needs: q
                    .needs
                    .iter()
                    .map(|n| n.code())
                    .collect::<Vec<_>>()
                    .join(";"),
                age_min: q.age_min,
                age_max: q.age_max,
                places: q.places,
                capital_gbp: dec2(p.capital_gbp),
                pupils_returned: p.pupils_returned,
                places_used: p.places_used,
                hours_per_year_saved: dec2(p.hours_per_year_saved),
                km_per_year_saved: dec2(p.km_per_year_saved),
                revenue_gbp_per_year_saved: dec2(p.revenue_gbp_per_year_saved),
                payback_years: p.payback_years.map(dec2),
            }
        })
        .collect()
}

/// `proposals.csv`: ranked single-base proposals.
///
/// # Errors
/// A CSV encoding failure.
pub fn proposals_csv(proposals: &[ProposalRow]) -> Result<String, PlanningError> {
    csv_text(
        "proposals.csv",
        &proposal_records(proposals),
        &PROPOSAL_HEADER,
    )
}

/// Columns of `capital.csv` (the fields of [`CapitalRow`], in order).
pub const CAPITAL_HEADER: [&str; 19] = [
    "layer",
    "area_id",
    "area_name",
    "need",
    "demand_pupils",
    "out_of_area_pupils",
    "unmet_need_pupils",
    "local_spare_places",
    "gap_places",
    "chosen_sites",
    "chosen_capital_gbp",
    "proposals_in_area",
    "best_proposal",
    "best_proposal_payback_years",
    "chosen_revenue_gbp_per_year",
    "budget_share_gbp",
    "year_n",
    "demand_pupils_year_n",
    "gap_places_year_n",
];

/// Every `capital.csv` row: the plan's rows with £ and years at 2 decimals.
pub fn capital_records(plan: &CapitalPlan) -> Vec<CapitalRow> {
    plan.rows
        .iter()
        .map(|r| CapitalRow {
            chosen_capital_gbp: dec2(r.chosen_capital_gbp),
            best_proposal_payback_years: r.best_proposal_payback_years.map(dec2),
            budget_share_gbp: r.budget_share_gbp.map(dec2),
            chosen_revenue_gbp_per_year: dec2(r.chosen_revenue_gbp_per_year),
            demand_pupils_year_n: r.demand_pupils_year_n.map(dec2),
            ..r.clone()
        })
        .collect()
}

/// `capital.csv`: the capital plan rows.
///
/// # Errors
/// A CSV encoding failure.
pub fn capital_csv(plan: &CapitalPlan) -> Result<String, PlanningError> {
    csv_text("capital.csv", &capital_records(plan), &CAPITAL_HEADER)
}

/// Properties of a chosen site in `sites.geojson`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteProperties {
    /// Candidate site id.
    pub site_id: String,
    /// Its name.
    pub site_name: String,
    /// Need of the request.
    pub need: &'static str,
    /// Youngest age of the request.
    pub age_min: u8,
    /// Oldest age of the request.
    pub age_max: u8,
    /// Kind of the new base.
    pub kind: &'static str,
    /// Places.
    pub places: u32,
    /// Places filled.
    pub places_used: u32,
    /// The `k` values whose answer includes the site.
    pub in_answer_for_k: Vec<usize>,
    /// `layer:area` of every layer.
    pub areas: String,
    /// Capital cost of the base, £.
    pub capital_gbp: f64,
}

/// `sites.geojson`: the sites of the largest-k answer as points, with the `k` values whose
/// answer includes each.
pub fn sites_geojson(r: &SiteResult) -> FeatureCollection {
    let Some(last) = r.per_k.last() else {
        return collection(Vec::new());
    };
    let features = last
        .sites
        .iter()
        .map(|s| {
            let in_k: Vec<usize> = r
                .per_k
                .iter()
                .filter(|k| k.sites.iter().any(|x| x.candidate == s.candidate))
                .map(|k| k.k)
                .collect();
            let props = SiteProperties {
                site_id: s.id.clone(),
                site_name: s.name.clone(),
                need: r.request.need.code(),
                age_min: r.request.age_min,
                age_max: r.request.age_max,
                kind: r.request.kind.as_str(),
                places: s.places,
                places_used: s.used,
                in_answer_for_k: in_k,
                areas: areas_text(&s.areas),
                capital_gbp: dec2(f64::from(s.places) * r.assumptions.capital_gbp_per_place),
            };
            let geometry = Geometry::new(GeometryValue::Point {
                coordinates: Position::from([coord6(s.location.lon), coord6(s.location.lat)]),
            });
            feature(Some(geometry), Some(&s.id), &props)
        })
        .collect();
    collection(features)
}

/// Whole pounds with thousands separators, e.g. `£1,234,567` (negative with `−`).
pub fn gbp(v: f64) -> String {
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
    if !q.ages_basis.is_empty() {
        let _ = writeln!(s, "Ages chosen by the phase: {}.\n", q.ages_basis);
    }
    if !r.excluded_hosts.is_empty() {
        let _ = writeln!(
            s,
            "Left out as hosts (independent or non-maintained schools, where the council cannot open a base): {}.\n",
            r.excluded_hosts.join(", ")
        );
    }
    if let Some(note) = &r.stopped_note {
        let _ = writeln!(s, "Fewer bases than asked: {note}.\n");
    }
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
        "- {} pupils with this need and age who could take the new places are counted (pupils placed in special schools or resource bases, including independent and non-maintained ones; mainstream and post-16 pupils are compared with mainstream schools and post-16 providers instead; {} placed out of area; {} left out because their current journey is unknown).",
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
        "- A pupil may take a new place only if the journey is within the guidance limit ({} min for primary pupils, Reception to Year 6, aged up to {} at 31 August; {} min for older pupils).",
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
        let (first_k, top) = (
            r.per_k.first().and_then(|k| k.sites.first()),
            r.proposals.first(),
        );
        if let (Some(chosen), Some(top)) = (first_k, top) {
            if chosen.id != top.proposal.site_id {
                let _ = writeln!(
                    s,
                    "\nThe k = 1 answer ({}) is not the top-ranked proposal ({}): the answers maximise {} over the whole set, while the proposals are ranked by each base's own payback (revenue saved against capital). A site can {} yet save less money, because the pupils it takes cost less to place, or travel less, than those the top proposal takes.",
                    chosen.name,
                    top.proposal.site_name,
                    match q.objective {
                        PlanObjective::Return => "pupils brought back",
                        PlanObjective::Travel => "travel saved",
                    },
                    match q.objective {
                        PlanObjective::Return => "bring back as many or more pupils",
                        PlanObjective::Travel => "save as much or more travel",
                    }
                );
            }
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
            "| Area | Pupils | Out of area | Unmet need | Local spare places | Gap | Chosen sites | Their capital | Budget share |\n|---|---|---|---|---|---|---|---|---|"
        );
        for row in budgets {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.area_name,
                row.demand_pupils,
                row.out_of_area_pupils,
                row.unmet_need_pupils,
                row.local_spare_places,
                row.gap_places,
                row.chosen_sites,
                gbp(row.chosen_capital_gbp),
                row.budget_share_gbp.map(gbp).unwrap_or_default()
            );
        }
    }
    if let Some(c) = &r.appraisal {
        let st = &c.settings;
        let _ = writeln!(
            s,
            "\n## Capital appraisal (Green Book conventions)\n\nOptimism bias {:.0}% on capital, build lead time {} year(s), {} years at {:.1}%; demand: {}. Full tables: `appraisal.csv`, `cashflow.csv`, `sensitivity.csv`, `report.html`.\n",
            st.optimism_bias * 100.0,
            st.lead_time_years,
            st.period_years,
            st.discount.rate * 100.0,
            c.demand.basis
        );
        let _ = writeln!(
            s,
            "| Option | Capital incl. optimism bias | NPV central (low – high) | BCR | Discounted payback (years) |\n|---|---|---|---|---|"
        );
        for o in &c.options {
            let _ = writeln!(
                s,
                "| {} {} ({}) | {} | {} ({} – {}) | {} | {} |",
                if o.kind == "proposal" {
                    "proposal"
                } else {
                    "k ="
                },
                o.number,
                o.sites.join(", "),
                gbp(o.central.capital_with_optimism_bias_gbp),
                gbp(o.central.npv_gbp),
                gbp(o.low.npv_gbp),
                gbp(o.high.npv_gbp),
                o.central.bcr.map_or("–".into(), |b| format!("{b:.2}")),
                o.central
                    .discounted_payback_years
                    .map_or("does not pay back".into(), |y| format!("{y:.1}"))
            );
        }
    }
    if let Some(f) = &r.future {
        let _ = writeln!(
            s,
            "\nSites chosen for the projected demand of {}/{:02}: {} pupils stand for today's {} ({}). The same sets today: {}.",
            f.year,
            (f.year + 1).rem_euclid(100),
            f.pupils_then,
            f.pupils_now,
            f.growth
                .iter()
                .map(|(ph, g)| format!("{} ×{g:.2}", ph.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            f.per_k_now
                .iter()
                .zip(&r.per_k)
                .map(|(now, k)| format!("k = {} returns {} today", k.k, now.returned))
                .collect::<Vec<_>>()
                .join("; ")
        );
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
        "- Capacities and resource-base designations may be illustrative; check them before a bid.\n- Costs are the stated assumptions above, not quotes. Capital per place does not include land or transport to the site.\n- Journeys are modelled car times without traffic; real taxi routes differ.\n- The payback here is simple (capital ÷ a year's saving): the Green Book appraisal with discounting, optimism bias, build time and projected demand is in `appraisal.csv` and `report.html`.\n- Counts here are internal: suppress small numbers (below 10) before publishing."
    );
    s
}

/// Write `sites.csv`, `proposals.csv`, `capital.csv`, `sites.geojson` and `report.md` as the
/// folder `dir`, all or nothing with a manifest of `inputs`
/// ([`crate::output::folder::publish_folder`]). Returns the file names written.
///
/// # Errors
/// [`PlanningError::Write`] naming the file, the lock holder or a foreign file.
pub fn write_outputs(
    r: &SiteResult,
    plan: &CapitalPlan,
    dir: &Path,
    inputs: Vec<(String, String)>,
    extra: Vec<(String, Vec<u8>)>,
) -> Result<Vec<String>, PlanningError> {
    let files = [
        ("sites.csv", sites_csv(r)?),
        ("proposals.csv", proposals_csv(&r.proposals)?),
        ("capital.csv", capital_csv(plan)?),
        (
            "sites.geojson",
            serde_json::to_string(&sites_geojson(r)).map_err(|e| encode_err("sites.geojson", e))?,
        ),
        ("report.md", report_md(r, plan)),
    ];
    let files = files
        .into_iter()
        .map(|(name, text)| (name.to_string(), text.into_bytes()))
        .chain(extra)
        .collect();
    crate::output::folder::publish_folder(dir, files, "site", inputs).map_err(|e| {
        PlanningError::Write {
            path: dir.display().to_string(),
            message: e.to_string(),
        }
    })
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
