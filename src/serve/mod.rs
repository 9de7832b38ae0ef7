//! The HTTP service: the analysis as JSON, GeoJSON and CSV, and the offline web map.
//!
//! [`router`] builds the axum app (used by tests through `tower::ServiceExt::oneshot`);
//! [`serve`] binds it and runs until Ctrl-C or SIGTERM. Endpoints and every property are
//! documented in `docs/api.md`. Limits: request bodies ([`ServiceConfig::max_body_bytes`],
//! 413), query strings (414), a per-request timeout (408), what-ifs per request (413) and
//! at once. CORS is off (no CORS headers: browsers only call it from its own page). Request
//! logs carry the matched route and the status, never the URI's query.
//!
//! The outermost stage beside the CLI: it may use every other module; none may import it.

pub mod auth;
pub mod error;
pub mod planning;
pub mod routes;
pub mod state;
pub mod web;
pub mod whatif;

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::app::Prepared;
use crate::serve::auth::Auth;
use crate::serve::error::{error_response, json_errors};
pub use crate::serve::state::{AppState, ServiceConfig};

async fn limit_query(State(max): State<usize>, req: Request, next: Next) -> Response {
    let len = req.uri().query().map_or(0, str::len);
    if len > max {
        return error_response(
            StatusCode::URI_TOO_LONG,
            &format!("query string longer than {max} bytes"),
        );
    }
    next.run(req).await
}

/// Every route of the app (request logs show one of these, or `(other)`).
pub const ROUTES: [&str; 22] = [
    "/",
    "/favicon.ico",
    "/index.html",
    "/app.js",
    "/style.css",
    "/api/health",
    "/api/scenario",
    "/api/provisions",
    "/api/areas",
    "/api/demand",
    "/api/basemap",
    "/api/journeys",
    "/api/moves",
    "/api/route",
    "/api/catchment",
    "/api/summary",
    "/api/download/areas.csv",
    "/api/download/pupils.csv",
    "/api/whatif",
    "/api/site",
    "/api/capital",
    "(other)",
];

/// The route to log for a request path: the path when it is a known route (never the
/// query), else `(other)` so that nothing a caller typed reaches the log.
pub fn log_route(path: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|r| **r == path)
        .copied()
        .unwrap_or("(other)")
}

/// The app: every endpoint with its limits, error mapping and request logging.
pub fn router(state: AppState) -> Router {
    let cfg = state.config().clone();
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = log_route(req.uri().path());
            tracing::info_span!("request", method = %req.method(), route = %route)
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    Router::new()
        .route("/", get(web::index))
        .route("/index.html", get(web::index))
        .route("/app.js", get(web::app_js))
        .route("/style.css", get(web::style_css))
        .route("/favicon.ico", get(web::favicon))
        .route("/api/health", get(routes::health))
        .route("/api/scenario", get(routes::scenario))
        .route("/api/provisions", get(routes::provisions))
        .route("/api/areas", get(routes::areas))
        .route("/api/demand", get(routes::demand))
        .route("/api/basemap", get(routes::basemap))
        .route("/api/journeys", get(routes::journeys))
        .route("/api/moves", get(routes::moves))
        .route("/api/route", get(routes::route))
        .route("/api/catchment", get(routes::catchment))
        .route("/api/summary", get(routes::summary))
        .route("/api/download/areas.csv", get(routes::areas_csv))
        .route("/api/download/pupils.csv", get(routes::pupils_csv))
        .route("/api/whatif", post(whatif::whatif))
        .route("/api/site", post(planning::site_handler))
        .route("/api/capital", get(planning::capital_handler))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            cfg.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            cfg.max_query_bytes,
            limit_query,
        ))
        .layer(middleware::map_response(json_errors))
        .layer(trace)
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "no such endpoint")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// Why the service could not start or stopped with an error. Causes are chained.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The officer token configuration is unusable.
    #[error("officer tokens")]
    Tokens(#[source] auth::AuthError),
    /// The address cannot be bound.
    #[error("cannot listen on {bind}")]
    Bind {
        /// The address.
        bind: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error")]
    Server(#[source] std::io::Error),
}

/// Serve a prepared scenario on `bind` until Ctrl-C or SIGTERM (in-flight requests finish).
///
/// Officers are `officer_token` plus the tokens of [`auth::TOKENS_ENV`] and
/// [`auth::TOKEN_FILE_ENV`]. The caller prints the token for the local demo.
///
/// # Errors
/// Bad token configuration, or the address cannot be bound.
pub async fn serve(
    prepared: Prepared,
    bind: SocketAddr,
    officer_token: String,
) -> Result<(), ServeError> {
    let auth = Auth::new([officer_token])
        .with_env()
        .map_err(ServeError::Tokens)?;
    if !bind.ip().is_loopback() {
        tracing::warn!(
            "binding {bind}: the service is reachable from other machines; use TLS in front of it"
        );
    }
    let state = AppState::new(prepared, auth, ServiceConfig::default());
    // Warm the caches off the request path.
    {
        let st = state.clone();
        tokio::spawn(async move {
            if let Err(e) = st.basemap().await {
                tracing::warn!("base map: {e}");
            }
            if let Err(e) = st.geometries().await {
                tracing::warn!("route geometries: {e}");
            }
        });
    }
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| ServeError::Bind { bind, source })?;
    let local = listener.local_addr().unwrap_or(bind);
    tracing::info!("serving on http://{local}/");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Server)?;
    Ok(())
}

/// Default bind address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
