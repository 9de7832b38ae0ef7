//! API errors: every failure leaves the service as JSON `{"error": "..."}` with a status.
//!
//! Handlers return [`ApiError`]; errors produced by layers outside the handlers (body
//! limit, timeout, unknown route, wrong method, extractor rejections) are rewritten to the
//! same JSON shape by [`json_errors`] in the router.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A failed request: the status and a message safe to show (no pupil data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed or out-of-range input.
    #[error("{0}")]
    BadRequest(String),
    /// 401: this endpoint needs an officer token and none was given.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a token was given but it does not grant this endpoint.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource (provision, layer, area).
    #[error("{0}")]
    NotFound(String),
    /// 413: the request is too large (body bytes or items).
    #[error("{0}")]
    TooLarge(String),
    /// 422: well-formed input that cannot be processed (e.g. a point far from any road).
    #[error("{0}")]
    Unprocessable(String),
    /// 503: the service is busy or a computation took too long.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an internal failure (details go to the log, not the client).
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Shorthand for [`ApiError::BadRequest`].
    pub fn bad(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }
}

/// Build a JSON error response.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let mut resp = (status, Json(json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!("internal error: {detail}");
            return error_response(status, "internal error");
        }
        error_response(status, &self.to_string())
    }
}

/// True when a deserialisation message is serde's for a field the type does not have
/// (`deny_unknown_fields`: "unknown field `x`, expected ...").
fn is_unknown_field(message: &str) -> bool {
    message.contains("unknown field `")
}

impl From<JsonRejection> for ApiError {
    /// 413 for a body over the limit; 400 for malformed JSON and for a field the request
    /// type does not know (the message names it); 422 for other well-formed JSON that does
    /// not fit the type (a missing field, a wrong type or value).
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let msg = format!("request body: {}", r.body_text());
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(msg),
            StatusCode::UNPROCESSABLE_ENTITY if !is_unknown_field(&msg) => {
                ApiError::Unprocessable(msg)
            }
            _ => ApiError::BadRequest(msg),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(format!("query: {}", r.body_text()))
    }
}

/// Middleware body: any error response (status >= 400) that is not already JSON gets a
/// JSON body `{"error": "<reason>"}` (e.g. 404 for an unknown route, 405, 408, 413).
pub async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let reason = match status {
        StatusCode::NOT_FOUND => "no such endpoint",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed for this endpoint",
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large",
        StatusCode::REQUEST_TIMEOUT => "request took too long",
        _ => status.canonical_reason().unwrap_or("error"),
    };
    let mut out = error_response(status, reason);
    if let Some(allow) = resp.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_variants() {
        assert_eq!(ApiError::bad("x").status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            ApiError::Unauthorized("x".into()).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            ApiError::Forbidden("x".into()).status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ApiError::TooLarge("x".into()).status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            ApiError::Unprocessable("x".into()).status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn unauthorized_carries_www_authenticate() {
        let r = ApiError::Unauthorized("token needed".into()).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()
                .get(header::WWW_AUTHENTICATE)
                .map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
    }

    #[tokio::test]
    async fn internal_detail_is_not_shown() {
        let r = ApiError::Internal("secret path /x".into()).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"internal error"}"#);
    }

    #[tokio::test]
    async fn plain_error_responses_become_json() {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "too big").into_response();
        let r = json_errors(plain).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"request body too large"}"#);
        let ok = json_errors(StatusCode::OK.into_response()).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
}
