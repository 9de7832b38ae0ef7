//! `POST /api/whatif`: add provisions or change places, re-run the analysis on a copy of
//! the provision list, and compare the bring-back with the baseline.
//!
//! The shared state is never changed: each request copies the provisions, applies its
//! edits and analyses on the blocking pool, at most [`ServiceConfig::whatif_concurrency`]
//! at a time. Public callers see counts suppressed and rounded like every other public
//! figure; officers see exact figures.
//!
//! [`ServiceConfig::whatif_concurrency`]: crate::serve::state::ServiceConfig

use std::collections::HashSet;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::analyse::placement::{analyse, Analysis, Inputs};
use crate::model::{LatLon, Need, Provision, ProvisionKind};
use crate::output::disclosure::{
    per_move_estimate, public_change, public_count, public_derived, Derived, Measure, NeedColumn,
    TOTAL_ROW,
};
use crate::output::records::dec2;
use crate::serve::auth::{Caller, Role};
use crate::serve::error::ApiError;
use crate::serve::state::AppState;

/// Oldest age a provision may list (EHC plans run to 25).
pub const MAX_AGE: u8 = 25;
/// Most places one added provision may have.
pub const MAX_PLACES: u32 = 1000;
/// Longest id or name, characters.
pub const MAX_TEXT: usize = 100;

/// A provision to add.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddProvision {
    /// New unique id.
    pub id: String,
    /// Display name (default: the id).
    #[serde(default)]
    pub name: Option<String>,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Needs served (SEN2 codes).
    pub needs: Vec<Need>,
    /// Youngest age, years.
    pub age_min: u8,
    /// Oldest age, years.
    pub age_max: u8,
    /// Places (all spare: nobody on roll yet).
    pub places: u32,
    /// Kind (default `resource_base`); must be a receiving kind of the scenario.
    #[serde(default)]
    pub kind: Option<ProvisionKind>,
    /// Cost of a place per year, £ (default: the scenario's cost for the kind).
    #[serde(default)]
    pub annual_cost_gbp: Option<f64>,
}

/// A change of places at an existing provision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePlaces {
    /// Existing provision id.
    pub id: String,
    /// New total places (capacity); spare = places − on roll.
    pub places: u32,
}

/// The request body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// Provisions to add.
    #[serde(default)]
    pub add: Vec<AddProvision>,
    /// Places to change.
    #[serde(default)]
    pub change: Vec<ChangePlaces>,
}

/// Bring-back figures of one run (exact).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Figures {
    /// Pupils brought back.
    pub moved: usize,
    /// Total minutes of their new journeys.
    pub total_minutes: f64,
    /// km a year saved.
    pub km_per_year_saved: f64,
    /// Hours a year saved.
    pub hours_per_year_saved: f64,
    /// Placement £ a year saved.
    pub placement_gbp_saved: f64,
    /// Transport £ a year saved.
    pub transport_gbp_saved: f64,
    /// Total £ a year saved.
    pub gbp_per_year_saved: f64,
}

/// Bring-back figures as answered (`null` = suppressed).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Answer {
    /// Pupils brought back.
    pub moved: Option<i64>,
    /// Total minutes of their new journeys.
    pub total_minutes: Option<f64>,
    /// km a year saved.
    pub km_per_year_saved: Option<f64>,
    /// Hours a year saved.
    pub hours_per_year_saved: Option<f64>,
    /// Placement £ a year saved.
    pub placement_gbp_saved: Option<f64>,
    /// Transport £ a year saved.
    pub transport_gbp_saved: Option<f64>,
    /// Total £ a year saved.
    pub gbp_per_year_saved: Option<f64>,
}

impl Figures {
    /// Figures of an analysis.
    pub fn of(a: &Analysis) -> Figures {
        let mut f = Figures {
            moved: a.optimal.moved,
            total_minutes: a.optimal.total_minutes,
            ..Figures::default()
        };
        for m in &a.moves {
            f.km_per_year_saved += m.km_per_year_saved;
            f.hours_per_year_saved += m.hours_per_year_saved;
            f.placement_gbp_saved += m.placement_gbp_saved.unwrap_or(0.0);
            f.transport_gbp_saved += m.transport_gbp_saved.unwrap_or(0.0);
        }
        f.gbp_per_year_saved = f.placement_gbp_saved + f.transport_gbp_saved;
        f
    }

    fn derived(&self) -> [(Derived, f64); 6] {
        [
            (Derived::Minutes, self.total_minutes),
            (Derived::Km, self.km_per_year_saved),
            (Derived::Hours, self.hours_per_year_saved),
            (Derived::Gbp, self.placement_gbp_saved),
            (Derived::Gbp, self.transport_gbp_saved),
            (Derived::Gbp, self.gbp_per_year_saved),
        ]
    }

    /// The exact figures, at 2 decimals (officers).
    pub fn exact(&self) -> Answer {
        let d = self.derived().map(|(_, x)| Some(dec2(x)));
        Answer::from_parts(Some(self.moved as i64), d)
    }
}

impl Answer {
    fn from_parts(moved: Option<i64>, d: [Option<f64>; 6]) -> Answer {
        Answer {
            moved,
            total_minutes: d[0],
            km_per_year_saved: d[1],
            hours_per_year_saved: d[2],
            placement_gbp_saved: d[3],
            transport_gbp_saved: d[4],
            gbp_per_year_saved: d[5],
        }
    }

    fn minus(&self, base: &Answer) -> Answer {
        let sub = |a: Option<f64>, b: Option<f64>| Some(dec2(a? - b?));
        Answer {
            moved: self.moved.zip(base.moved).map(|(a, b)| a - b),
            total_minutes: sub(self.total_minutes, base.total_minutes),
            km_per_year_saved: sub(self.km_per_year_saved, base.km_per_year_saved),
            hours_per_year_saved: sub(self.hours_per_year_saved, base.hours_per_year_saved),
            placement_gbp_saved: sub(self.placement_gbp_saved, base.placement_gbp_saved),
            transport_gbp_saved: sub(self.transport_gbp_saved, base.transport_gbp_saved),
            gbp_per_year_saved: sub(self.gbp_per_year_saved, base.gbp_per_year_saved),
        }
    }
}

/// The public baseline: the published moves of the authority (the summary's figure) and
/// each derived figure published with them, rounded.
pub fn public_baseline(base: &Figures, published_moved: Option<u64>) -> Answer {
    let d = base
        .derived()
        .map(|(kind, x)| public_derived(kind, Some(x), published_moved.is_some()));
    Answer::from_parts(published_moved.map(|m| m as i64), d)
}

/// The public what-if answer, built from published values only: the moves are published
/// when their change against the baseline is 0 or 10 or more pupils; money, km, hours and
/// minutes are the published moves times the published baseline figure per move.
pub fn public_whatif(base: &Figures, new: &Figures, baseline: &Answer) -> Answer {
    let base_moved = baseline.moved.map(|m| m.max(0) as u64);
    let shown = base_moved
        .and(public_change(base.moved as u64, new.moved as u64))
        .and(public_count(new.moved as u64));
    let b = [
        baseline.total_minutes,
        baseline.km_per_year_saved,
        baseline.hours_per_year_saved,
        baseline.placement_gbp_saved,
        baseline.transport_gbp_saved,
        baseline.gbp_per_year_saved,
    ];
    let kinds = base.derived().map(|(k, _)| k);
    let d: [Option<f64>; 6] =
        std::array::from_fn(|i| per_move_estimate(kinds[i], shown, b[i], base_moved));
    Answer::from_parts(shown.map(|m| m as i64), d)
}

/// Check a request and build the edited provision list; returns it with the indices of
/// the added and changed provisions.
///
/// # Errors
/// 413 for too many items; 422 for invalid values, unknown ids, or sites off the road
/// network or outside the authority.
pub fn apply(
    state: &AppState,
    req: &WhatIfRequest,
) -> Result<(Vec<Provision>, Vec<usize>), ApiError> {
    let max = state.config().max_whatif_items;
    let n = req.add.len() + req.change.len();
    if n > max {
        return Err(ApiError::TooLarge(format!(
            "{n} provisions in one what-if; at most {max}"
        )));
    }
    if n == 0 {
        return Err(ApiError::Unprocessable(
            "nothing to do: give `add` and/or `change`".into(),
        ));
    }
    let p = state.prepared();
    let mut provs = p.scenario.provisions.clone();
    let mut touched = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, c) in req.change.iter().enumerate() {
        let Some(pi) = state.provision(&c.id) else {
            return Err(ApiError::Unprocessable(format!(
                "change[{i}].id: no provision with this id"
            )));
        };
        if !seen.insert(c.id.as_str()) {
            return Err(ApiError::Unprocessable(format!(
                "change[{i}].id: changed twice"
            )));
        }
        if c.places > MAX_PLACES * 2 {
            return Err(ApiError::Unprocessable(format!(
                "change[{i}].places: at most {}",
                MAX_PLACES * 2
            )));
        }
        provs[pi].capacity = Some(c.places);
        touched.push(pi);
    }
    for (i, a) in req.add.iter().enumerate() {
        let field = |f: &str| format!("add[{i}].{f}");
        let id = a.id.trim();
        if id.is_empty() || id.chars().count() > MAX_TEXT {
            return Err(ApiError::Unprocessable(format!(
                "{}: 1 to {MAX_TEXT} characters",
                field("id")
            )));
        }
        if state.provision(id).is_some() || !seen.insert(id) {
            return Err(ApiError::Unprocessable(format!(
                "{}: already used",
                field("id")
            )));
        }
        let name = a.name.clone().unwrap_or_else(|| id.to_string());
        if name.chars().count() > MAX_TEXT {
            return Err(ApiError::Unprocessable(format!(
                "{}: at most {MAX_TEXT} characters",
                field("name")
            )));
        }
        let location = LatLon::new(a.lat, a.lon)
            .map_err(|e| ApiError::Unprocessable(format!("{}: {e}", field("lat/lon"))))?;
        if a.needs.is_empty() || a.needs.len() > Need::ALL.len() {
            return Err(ApiError::Unprocessable(format!(
                "{}: list 1 to 12 need codes",
                field("needs")
            )));
        }
        if a.age_min > a.age_max || a.age_max > MAX_AGE {
            return Err(ApiError::Unprocessable(format!(
                "{}: need age_min <= age_max <= {MAX_AGE}",
                field("age_min/age_max")
            )));
        }
        if a.places == 0 || a.places > MAX_PLACES {
            return Err(ApiError::Unprocessable(format!(
                "{}: 1 to {MAX_PLACES}",
                field("places")
            )));
        }
        let kind = a.kind.unwrap_or(ProvisionKind::ResourceBase);
        if !p.params.receiving_kinds.contains(&kind) {
            return Err(ApiError::Unprocessable(format!(
                "{}: `{}` does not receive pupils in this scenario",
                field("kind"),
                kind.as_str()
            )));
        }
        if let Some(c) = a.annual_cost_gbp {
            if !(c.is_finite() && (0.0..=1e7).contains(&c)) {
                return Err(ApiError::Unprocessable(format!(
                    "{}: 0 to 10,000,000",
                    field("annual_cost_gbp")
                )));
            }
        }
        if !p.scenario.boundary.contains(location) {
            return Err(ApiError::Unprocessable(format!(
                "{}: the site is outside the authority boundary",
                field("lat/lon")
            )));
        }
        if let Err(e) = p.network.snap(location, p.params.max_snap_m) {
            return Err(ApiError::Unprocessable(format!(
                "{}: the site cannot be reached: {e}",
                field("lat/lon")
            )));
        }
        let mut needs = a.needs.clone();
        needs.dedup();
        provs.push(Provision {
            id: id.to_string(),
            name,
            kind,
            needs,
            age_min: a.age_min,
            age_max: a.age_max,
            capacity: Some(a.places),
            on_roll: 0,
            annual_cost_gbp: a.annual_cost_gbp,
            location,
            line: 0,
        });
        touched.push(provs.len() - 1);
    }
    Ok((provs, touched))
}

/// `POST /api/whatif`.
pub async fn whatif(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<WhatIfRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) = body?;
    let (provs, touched) = apply(&state, &req)?;
    let slots = state.whatif_slots();
    let permit = tokio::time::timeout(state.config().request_timeout, slots.acquire_owned())
        .await
        .map_err(|_| ApiError::Unavailable("too many what-ifs at once; try again".into()))?
        .map_err(|e| ApiError::Internal(format!("what-if slots: {e}")))?;
    let st = state.clone();
    let (analysis, provs) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let p = st.prepared();
        let boundary = &p.scenario.boundary;
        let in_area = |x| boundary.contains(x);
        let a = analyse(&Inputs {
            network: &p.network,
            provisions: &provs,
            pupils: &p.scenario.pupils,
            in_area: &in_area,
            params: &p.params,
        });
        (a, provs)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("what-if task: {e}")))?;
    let role = caller.role;
    let base_exact = Figures::of(&state.prepared().analysis);
    let new_exact = Figures::of(&analysis);
    let (base, new) = match role {
        Role::Officer => (base_exact.exact(), new_exact.exact()),
        Role::Public => {
            let published =
                state
                    .aggregates()
                    .grid
                    .public(Measure::Moves, TOTAL_ROW, NeedColumn::All);
            let base = public_baseline(&base_exact, published);
            let new = public_whatif(&base_exact, &new_exact, &base);
            (base, new)
        }
    };
    let change = new.minus(&base);
    let n_existing = state.prepared().scenario.provisions.len();
    let old = &state.prepared().analysis.provisions;
    let provisions: Vec<Value> = touched
        .iter()
        .filter_map(|&pi| {
            let pr = provs.get(pi)?;
            let r = analysis.provisions.get(pi)?;
            let before = old.get(pi).map_or(0, |o| o.moves_in as u64);
            let after = r.moves_in as u64;
            let (moves_in, spare_before) = match role {
                Role::Officer => (Some(after), pr.spare_places()),
                Role::Public => (public_change(before, after).and(public_count(after)), None),
            };
            Some(json!({
                "id": pr.id,
                "added": pi >= n_existing,
                "places": pr.capacity,
                "spare_before": spare_before,
                "moves_in": moves_in,
            }))
        })
        .collect();
    Ok(Json(json!({
        "role": role,
        "disclosure": match role {
            Role::Officer => "exact",
            Role::Public => "published values only: a change of 1-9 pupils is suppressed; money, km, hours and minutes are the published moves times the published baseline figure per move",
        },
        "baseline": base,
        "whatif": new,
        "change": change,
        "provisions": provisions,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(moved: usize, gbp: f64) -> Figures {
        Figures {
            moved,
            total_minutes: moved as f64 * 20.0,
            gbp_per_year_saved: gbp,
            placement_gbp_saved: gbp,
            ..Figures::default()
        }
    }

    #[test]
    fn one_pupil_more_is_not_revealed() {
        let base = figures(37, 740_000.0);
        let base_pub = public_baseline(&base, public_count(37));
        assert_eq!(base_pub.moved, Some(35));
        assert_eq!(base_pub.gbp_per_year_saved, Some(740_000.0));
        // One more pupil moved, saving £42,000: nothing of it is published.
        let new = figures(38, 782_000.0);
        let w = public_whatif(&base, &new, &base_pub);
        assert_eq!(w.moved, None);
        assert_eq!(w.gbp_per_year_saved, None);
        // Twelve more: published, priced per published move of the baseline.
        let new = figures(49, 1_300_000.0);
        let w = public_whatif(&base, &new, &base_pub);
        assert_eq!(w.moved, Some(50));
        assert_eq!(w.gbp_per_year_saved, Some(1_057_000.0));
        // No change: the baseline again.
        let w = public_whatif(&base, &base, &base_pub);
        assert_eq!(w, base_pub);
    }

    #[test]
    fn exact_answers_for_officers() {
        let a = figures(3, 123_456.0).exact();
        assert_eq!(a.moved, Some(3));
        assert_eq!(a.gbp_per_year_saved, Some(123_456.0));
        let d = figures(5, 10.0).exact().minus(&a);
        assert_eq!(d.moved, Some(2));
    }

    #[test]
    fn request_refuses_unknown_fields() {
        let r: Result<WhatIfRequest, _> = serde_json::from_str(r#"{"add": [], "remove": []}"#);
        assert!(r.is_err());
        let r: Result<WhatIfRequest, _> =
            serde_json::from_str(r#"{"change": [{"id": "x", "places": 3}]}"#);
        assert!(r.is_ok());
    }
}
