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
use serde::Deserialize;

use crate::analyse::placement::{analyse_whatif, Inputs};
use crate::model::ids::ProvisionIdx;
use crate::model::{LatLon, Need, Provision, ProvisionKind};
use crate::output::disclosure::{public_change, public_count, Measure, NeedColumn, TOTAL_ROW};
use crate::output::whatif::{
    public_baseline, public_whatif, Figures, RunsChange, TouchedProvision, WhatIfAnswer,
};
use crate::serve::auth::{Caller, Role};
use crate::serve::error::ApiError;
use crate::serve::state::{AppState, SERVICE_RUNS};

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
    /// Officers: also re-cost the moves on shared runs (the schools they change planned
    /// again). Slower: the first such request plans every school's runs.
    #[serde(default)]
    pub runs: bool,
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
) -> Result<(Vec<Provision>, Vec<ProvisionIdx>), ApiError> {
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
        if let Err(e) = crate::serve::state::network_of(p)?.snap(location, p.params.max_snap_m) {
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
            sector: None,
            line: 0,
        });
        touched.push(ProvisionIdx::new(provs.len() - 1));
    }
    Ok((provs, touched))
}

/// `POST /api/whatif`.
pub async fn whatif(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<WhatIfRequest>, JsonRejection>,
) -> Result<Json<WhatIfAnswer>, ApiError> {
    let Json(req) = body?;
    if req.runs {
        caller.require_officer()?;
    }
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
        // Only added sites the baseline did not route get a tree, and only the pupils an
        // added or changed provision is an alternative for are worked out again.
        let a = analyse_whatif(
            &Inputs {
                network: p.network.as_ref(),
                provisions: &provs,
                pupils: &p.scenario.pupils,
                in_area: &in_area,
                params: &p.params,
                calibration: Some(&p.analysis.calibration),
            },
            &p.scenario.provisions,
            &p.analysis,
            &p.trip_table,
        );
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
    let runs = if req.runs {
        Some(runs_change(&state, analysis.moves.clone(), provs.clone()).await?)
    } else {
        None
    };
    let n_existing = state.prepared().scenario.provisions.len();
    let old = &state.prepared().analysis.provisions;
    let provisions: Vec<TouchedProvision> = touched
        .iter()
        .filter_map(|&pi| {
            let pr = provs.get(pi.index())?;
            let r = analysis.provisions.get(pi.index())?;
            let before = old.get(pi.index()).map_or(0, |o| o.moves_in as u64);
            let after = r.moves_in as u64;
            let (moves_in, spare_before) = match role {
                Role::Officer => (Some(after), pr.spare_places()),
                Role::Public => (public_change(before, after).and(public_count(after)), None),
            };
            Some(TouchedProvision {
                id: pr.id.clone(),
                added: pi.index() >= n_existing,
                places: pr.capacity,
                spare_before,
                moves_in,
            })
        })
        .collect();
    Ok(Json(WhatIfAnswer {
        visibility: caller.audience().as_str(),
        disclosure: match role {
            Role::Officer => "exact",
            Role::Public => {
                "published values only: a change of 1-9 pupils is suppressed; money, km, \
                 hours and minutes are the published moves times the published baseline \
                 figure per move"
            }
        },
        baseline: base,
        whatif: new,
        change,
        provisions,
        runs,
    }))
}

/// The baseline's and the what-if's moves re-costed on shared runs, and the change.
async fn runs_change(
    state: &AppState,
    moves: Vec<crate::analyse::placement::Move>,
    provs: Vec<Provision>,
) -> Result<RunsChange, ApiError> {
    let plan = state.transport().await?;
    let baseline = state.baseline_moves_on_runs().await?;
    let st = state.clone();
    let whatif = tokio::task::spawn_blocking(move || {
        let p = st.prepared();
        let moves = crate::analyse::runs::MovedPupil::of_moves(&moves);
        crate::analyse::runs::recost(p, &plan, &provs, &moves, &SERVICE_RUNS)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("what-if runs: {e}")))?
    .ok_or_else(|| ApiError::Unavailable("shared runs need the road network".into()))?;
    Ok(RunsChange {
        change_gbp_per_year_saved: whatif.gbp_per_year_saved - baseline.gbp_per_year_saved,
        baseline: (*baseline).clone(),
        whatif,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_refuses_unknown_fields() {
        let r: Result<WhatIfRequest, _> = serde_json::from_str(r#"{"add": [], "remove": []}"#);
        assert!(r.is_err());
        let r: Result<WhatIfRequest, _> =
            serde_json::from_str(r#"{"change": [{"id": "x", "places": 3}]}"#);
        assert!(r.is_ok());
    }
}
