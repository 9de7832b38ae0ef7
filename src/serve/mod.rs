//! The HTTP service: the analysis as JSON, GeoJSON and CSV, and the offline web map.
//!
//! [`router`] builds the axum app (used by tests through `tower::ServiceExt::oneshot`);
//! [`router_for`] adds the `Host` check of a loopback-bound service ([`host`]);
//! [`serve_on`] runs it on a bound listener with every client bounded ([`listen`]) until a
//! shutdown future resolves; [`serve`] binds an address and runs until Ctrl-C or SIGTERM.
//! Endpoints and every property are documented in `docs/api.md`. Limits
//! ([`ServiceConfig`]): request bodies (413), paths and query strings (414), a per-request
//! timeout (408), what-ifs per request (413) and at once; per connection a header-read
//! timeout, header caps, a write-stall timeout, a cap on open connections and a shutdown
//! deadline. CORS is off (no CORS headers: browsers only call it from its own page).
//! Request logs carry the method, the matched route, the status and the latency, never
//! the URI or its query.
//!
//! The outermost stage beside the CLI: it may use every other module; none may import it.

pub mod auth;
pub mod error;
pub mod host;
pub mod listen;
pub mod planning;
pub mod routes;
pub mod state;
pub mod tiles;
pub mod transport;
pub mod web;
pub mod whatif;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::serve::error::{error_response, json_errors};
pub use crate::serve::state::{AppState, ServiceConfig};

/// The log filter when `RUST_LOG` is not set: `info` for nearhome (the service's request
/// logs included), `warn` for the libraries.
pub const DEFAULT_LOG_FILTER: &str = "nearhome=info,warn";

/// Path and query limits, as [`ServiceConfig::max_path_bytes`] and
/// [`ServiceConfig::max_query_bytes`].
#[derive(Debug, Clone, Copy)]
struct UriLimits {
    path: usize,
    query: usize,
}

async fn limit_uri(State(max): State<UriLimits>, req: Request, next: Next) -> Response {
    let path = req.uri().path().len();
    if path > max.path {
        return error_response(
            StatusCode::URI_TOO_LONG,
            &format!("path longer than {} bytes", max.path),
        );
    }
    let len = req.uri().query().map_or(0, str::len);
    if len > max.query {
        return error_response(
            StatusCode::URI_TOO_LONG,
            &format!("query string longer than {} bytes", max.query),
        );
    }
    next.run(req).await
}

/// The route a request log names: the matched route pattern, or `(other)` when no route
/// matched, so that nothing a caller typed (a path, a query with coordinates) reaches the
/// log.
pub fn log_route(req: &Request) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or("(other)", MatchedPath::as_str)
}

/// The app with the `Host` check when `local` (the address it is served on) is loopback:
/// requests naming another host are refused ([`host`]). On any other address, [`router`].
pub fn router_for(state: AppState, local: SocketAddr) -> Router {
    build(state, local.ip().is_loopback())
}

/// The app: every endpoint with its limits, error mapping and request logging (no `Host`
/// check: see [`router_for`]).
pub fn router(state: AppState) -> Router {
    build(state, false)
}

fn build(state: AppState, loopback_hosts_only: bool) -> Router {
    let cfg = state.config().clone();
    // One line per request, when the response head is ready: the span's method and matched
    // route, the status and the latency. No on-request line, and no second line for
    // 5xx (the status is on the line already).
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            tracing::info_span!("request", method = %req.method(), route = %log_route(req))
        })
        .on_request(())
        .on_response(
            |res: &Response, latency: Duration, _span: &tracing::Span| {
                tracing::info!(status = res.status().as_u16(), latency = ?latency);
            },
        )
        .on_failure(());
    let app = Router::new()
        .route("/", get(web::index))
        .route("/index.html", get(web::index))
        .route("/app.js", get(web::app_js))
        .route("/style.css", get(web::style_css))
        .route("/favicon.ico", get(web::favicon))
        .route("/vendor/maplibre-gl/maplibre-gl.mjs", get(web::maplibre_js))
        .route(
            "/vendor/maplibre-gl/maplibre-gl-worker.mjs",
            get(web::maplibre_worker_js),
        )
        .route(
            "/vendor/maplibre-gl/maplibre-gl.css",
            get(web::maplibre_css),
        )
        .route(
            "/vendor/maplibre-gl/LICENSE.txt",
            get(web::maplibre_license),
        )
        .route("/fonts/{fontstack}/{range}", get(web::fonts))
        .route("/api/health", get(routes::health))
        .route("/api/scenario", get(routes::scenario))
        .route("/api/provisions", get(routes::provisions))
        .route("/api/areas", get(routes::areas))
        .route("/api/demand", get(routes::demand))
        .route("/api/basemap", get(routes::basemap))
        .route("/api/journeys", get(routes::journeys))
        .route("/api/journey-times", get(routes::journey_times))
        .route("/api/moves", get(routes::moves))
        .route("/api/route", get(routes::route))
        .route("/api/catchment", get(routes::catchment))
        .route("/api/summary", get(routes::summary))
        .route("/api/download/areas.csv", get(routes::areas_csv))
        .route("/api/download/pupils.csv", get(routes::pupils_csv))
        .route("/api/whatif", post(whatif::whatif))
        .route("/api/site", post(planning::site_handler))
        .route("/api/capital", get(planning::capital_handler))
        .route("/api/transport", get(transport::transport))
        .route("/api/runs", get(transport::runs))
        .route("/tiles/base.json", get(tiles::base_tilejson))
        .route("/tiles/officer.json", get(tiles::officer_tilejson))
        .route("/tiles/runs.json", get(tiles::runs_tilejson))
        .route("/tiles/base/{z}/{x}/{y}", get(tiles::base_tile))
        .route("/tiles/officer/{z}/{x}/{y}", get(tiles::officer_tile))
        .route("/tiles/runs/{z}/{x}/{y}", get(tiles::runs_tile))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            cfg.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            UriLimits {
                path: cfg.max_path_bytes,
                query: cfg.max_query_bytes,
            },
            limit_uri,
        ));
    let app = if loopback_hosts_only {
        app.layer(middleware::from_fn(host::loopback_hosts_only))
    } else {
        app
    };
    app.layer(middleware::map_response(json_errors))
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
    /// The address cannot be bound.
    #[error("cannot listen on {bind}")]
    Bind {
        /// The address.
        bind: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The server could not run on its listener (e.g. its address cannot be read).
    #[error("server error")]
    Server(#[source] std::io::Error),
}

/// Serve `state` on `bind` until Ctrl-C or SIGTERM (limits from the state's
/// [`ServiceConfig`]; shutdown as [`serve_on`]).
///
/// The state's [`auth::Auth`] holds the officer tokens (the CLI reads [`auth::TOKENS_ENV`] and
/// [`auth::TOKEN_FILE_ENV`], or makes a token for the run). Route geometries and the base
/// map are computed in the background as soon as the service starts.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve(state: AppState, bind: SocketAddr) -> Result<(), ServeError> {
    if !bind.ip().is_loopback() {
        tracing::warn!(
            "binding {bind}: the service is reachable from other machines; use TLS in front of it"
        );
    }
    // Warm the caches off the request path.
    {
        let st = state.clone();
        tokio::spawn(async move {
            if let Err(e) = st.basemap().await {
                tracing::warn!("base map: {e}");
            }
            if let Err(e) = tiles::base_index(&st).await {
                tracing::warn!("tile index: {e}");
            }
            if let Err(e) = st.geometries().await {
                tracing::warn!("route geometries: {e}");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| ServeError::Bind { bind, source })?;
    serve_on(listener, state, shutdown_signal()).await
}

/// Serve `state`'s app on a bound listener until `shutdown` resolves.
///
/// Every client is bounded by the connection limits of `state`'s [`ServiceConfig`] (see
/// [`listen`]). When the listener's address is loopback, requests naming another host are
/// refused ([`router_for`]). On `shutdown` the listener closes, requests in flight get
/// [`ServiceConfig::shutdown_grace`] to finish, then every connection left is closed and
/// this returns.
///
/// # Errors
/// The listener's address cannot be read.
pub async fn serve_on<F>(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: F,
) -> Result<(), ServeError>
where
    F: Future<Output = ()>,
{
    let local = listener.local_addr().map_err(ServeError::Server)?;
    let cfg = state.config().clone();
    let app = router_for(state, local);
    tracing::info!("serving on http://{local}/");
    listen::accept_loop(listener, app, &cfg, shutdown).await;
    Ok(())
}

/// Default bind address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
