//! Shared transport runs in the service: `GET /api/transport` (the public aggregates, or the
//! officers' summary with a token) and `GET /api/runs?school=ID` (officer: one school's runs
//! as GeoJSON, route lines and stops). The runs are planned once, on first use
//! ([`AppState::transport`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::output::runs::{public_summary, school_geojson, summary};
use crate::serve::auth::Caller;
use crate::serve::error::ApiError;
use crate::serve::state::AppState;

fn json_response<T: serde::Serialize>(
    content_type: &'static str,
    value: &T,
) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// `GET /api/transport`: the runs' summary, public (aggregates through the disclosure rules)
/// or for officers (every school, the baselines, the search).
pub async fn transport(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let plan = state.transport().await?;
    let p = state.prepared();
    let s = summary(p, &plan, None);
    if caller.is_officer() {
        json_response("application/json", &s)
    } else {
        json_response("application/json", &public_summary(p, &s, &plan))
    }
}

/// Query of `/api/runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    /// Provision id.
    pub school: Option<String>,
}

/// `GET /api/runs?school=ID` (officer): the school's runs, route lines and stops.
pub async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let Query(q) = q?;
    let Some(id) = q.school else {
        return Err(ApiError::bad(
            "query parameter `school` is required (a provision id)",
        ));
    };
    let Some(school) = state.provision(&id) else {
        return Err(ApiError::NotFound(format!(
            "no provision `{}`",
            crate::model::short(&id)
        )));
    };
    let plan = state.transport().await?;
    let me = state.clone();
    let fc =
        tokio::task::spawn_blocking(move || school_geojson(me.prepared(), &plan, school.index()))
            .await
            .map_err(|e| ApiError::Internal(format!("runs: {e}")))?;
    json_response("application/geo+json", &fc)
}
