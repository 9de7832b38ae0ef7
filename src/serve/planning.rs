//! Planning endpoints: `POST /api/site` (choose sites for new places) and `GET /api/capital`
//! (the capital plan view). Officer only: results carry exact, unsuppressed counts of small
//! groups of pupils. CPU work runs in `spawn_blocking`, one at a time per what-if slot.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;

use crate::analyse::capital::{appraise_site, demand_for, AppraisalSettings};
use crate::analyse::planning::{
    capital_plan, run, CapitalPlan, PlanningContext, PlanningError, SiteRequest,
};
use crate::output::planning::SiteAnswer;
use crate::serve::auth::Caller;
use crate::serve::error::ApiError;
use crate::serve::state::AppState;

/// Largest `k` one request may ask for.
pub const MAX_K: usize = 10;
/// Largest number of places per base one request may ask for.
pub const MAX_PLACES: u32 = 500;
/// Largest number of extra candidate points per request.
pub const MAX_EXTRA_CANDIDATES: usize = 200;

fn planning_error(e: PlanningError) -> ApiError {
    match e {
        PlanningError::Request { .. } => ApiError::Unprocessable(e.to_string()),
        PlanningError::NoRoads { .. } => ApiError::Unavailable(e.to_string()),
        other => ApiError::Internal(other.to_string()),
    }
}

fn check_limits(req: &SiteRequest) -> Result<(), ApiError> {
    if req.k > MAX_K {
        return Err(ApiError::TooLarge(format!("k {} is above {MAX_K}", req.k)));
    }
    if req.places > MAX_PLACES {
        return Err(ApiError::Unprocessable(format!(
            "places {} is above {MAX_PLACES}",
            req.places
        )));
    }
    if req.extra_candidates.len() > MAX_EXTRA_CANDIDATES {
        return Err(ApiError::TooLarge(format!(
            "{} extra candidates: at most {MAX_EXTRA_CANDIDATES}",
            req.extra_candidates.len()
        )));
    }
    for c in &req.extra_candidates {
        let p = c.location;
        if !(p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0)
        {
            return Err(ApiError::BadRequest(format!(
                "candidate `{}`: coordinates not finite or out of range",
                c.id
            )));
        }
    }
    Ok(())
}

/// `POST /api/site`: a [`SiteRequest`] as JSON (`need`, `places`, `k` required) -> the
/// chosen sites for every k, the ranked proposals and the capital plan. Without `age_min`
/// and `age_max` the ages are the phase of the need's out-of-area pupils, as on the command
/// line (`site.request.ages_basis` says which and why).
pub async fn site_handler(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<SiteAnswer>, ApiError> {
    caller.require_officer()?;
    let Json(value) = body?;
    let by_phase = value.get("age_min").is_none() && value.get("age_max").is_none();
    let mut req: SiteRequest = serde_json::from_value(value).map_err(|e| {
        // As the JSON extractor: an unknown field is 400, other misfits 422.
        let msg = format!("request body: {e}");
        if msg.contains("unknown field") {
            ApiError::BadRequest(msg)
        } else {
            ApiError::Unprocessable(msg)
        }
    })?;
    if by_phase {
        let (lo, hi, basis) = crate::analyse::planning::default_ages(state.prepared(), req.need);
        (req.age_min, req.age_max, req.ages_basis) = (lo, hi, basis);
    }
    check_limits(&req)?;
    req.validate().map_err(planning_error)?;
    let permit = tokio::time::timeout(
        state.config().request_timeout,
        state.whatif_slots().acquire_owned(),
    )
    .await
    .map_err(|_| ApiError::Unavailable("too many planning runs at once; try again".into()))?
    .map_err(|e| ApiError::Internal(format!("planning slots: {e}")))?;
    let st = state.clone();
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let p = st.prepared();
        let ctx = PlanningContext::new(p, &req)?;
        let mut result = run(&ctx)?;
        // The appraisal at the default settings, over the authority's SEN2 projection.
        let projection = p
            .scenario
            .config
            .la_code
            .as_deref()
            .ok_or_else(|| "the scenario has no `la_code`".to_string())
            .and_then(|code| {
                crate::load::sen2::series_for(
                    crate::load::sen2::BUILTIN_SERIES_CSV,
                    crate::load::sen2::BUILTIN_SERIES_LABEL,
                    code,
                )
                .map_err(|e| e.to_string())
            })
            .and_then(|s| {
                let cfg = crate::analyse::projection::ProjectionConfig {
                    primary_max_age: p.params.primary_max_age,
                    ..Default::default()
                };
                crate::analyse::projection::project(&s, &cfg).map_err(|e| e.to_string())
            });
        let settings = AppraisalSettings::default_for(req.kind);
        let demand = demand_for(
            &ctx,
            p,
            req.need,
            projection.as_ref().map_err(String::as_str),
            settings.period_years,
        );
        result.appraisal = appraise_site(&result, &settings, &demand).ok();
        let plan = capital_plan(p, Some(&result));
        Ok::<_, PlanningError>(SiteAnswer {
            site: result,
            capital: plan,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(format!("planning task: {e}")))?
    .map_err(planning_error)?;
    Ok(Json(out))
}

/// `GET /api/capital`: per area x need demand, local places, pupils out of area and the gap.
pub async fn capital_handler(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CapitalPlan>, ApiError> {
    caller.require_officer()?;
    let st = state.clone();
    let plan = tokio::task::spawn_blocking(move || capital_plan(st.prepared(), None))
        .await
        .map_err(|e| ApiError::Internal(format!("capital task: {e}")))?;
    Ok(Json(plan))
}
