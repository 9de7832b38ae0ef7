//! The web app's files (`web/`), embedded in the binary at build time so the service needs
//! nothing on disk and no network: `index.html`, `app.js`, `style.css`.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `web/index.html`.
pub const INDEX_HTML: &str = include_str!("../../web/index.html");
/// `web/app.js`.
pub const APP_JS: &str = include_str!("../../web/app.js");
/// `web/style.css`.
pub const STYLE_CSS: &str = include_str!("../../web/style.css");

/// Content-Security-Policy of the page: its own origin only (no CDN, no inline script).
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
                       script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

fn file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /`.
pub async fn index() -> Response {
    file(INDEX_HTML, "text/html; charset=utf-8")
}

/// `GET /app.js`.
pub async fn app_js() -> Response {
    file(APP_JS, "text/javascript; charset=utf-8")
}

/// `GET /style.css`.
pub async fn style_css() -> Response {
    file(STYLE_CSS, "text/css; charset=utf-8")
}

/// `GET /favicon.ico`: none (204), so browsers stop asking.
pub async fn favicon() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}
