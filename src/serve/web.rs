//! The web app's files (`web/`), embedded in the binary at build time so the service needs
//! nothing on disk and no network: `index.html`, `app.js`, `style.css`, the vendored MapLibre
//! GL JS build (`web/vendor/maplibre-gl/`, re-vendored by `web/vendor.sh` from
//! `web/package-lock.json`) and the label glyphs (`web/fonts/`, SDF glyph PBFs made from
//! DejaVu Sans by `web/tools/glyphs.mjs`).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// `web/index.html`.
pub const INDEX_HTML: &str = include_str!("../../web/index.html");
/// `web/app.js` (an ES module).
pub const APP_JS: &str = include_str!("../../web/app.js");
/// `web/style.css`.
pub const STYLE_CSS: &str = include_str!("../../web/style.css");
/// MapLibre GL JS, the minified ES-module build.
pub const MAPLIBRE_JS: &str = include_str!("../../web/vendor/maplibre-gl/maplibre-gl.mjs");
/// MapLibre GL JS's worker (loaded by the library from beside its module, same origin).
pub const MAPLIBRE_WORKER_JS: &str =
    include_str!("../../web/vendor/maplibre-gl/maplibre-gl-worker.mjs");
/// MapLibre GL JS's stylesheet.
pub const MAPLIBRE_CSS: &str = include_str!("../../web/vendor/maplibre-gl/maplibre-gl.css");
/// MapLibre GL JS's licence (BSD-3-Clause).
pub const MAPLIBRE_LICENSE: &str = include_str!("../../web/vendor/maplibre-gl/LICENSE.txt");

/// The glyph fontstacks the map's style names in `text-font`.
pub const FONTSTACKS: [&str; 2] = ["DejaVu Sans Book", "DejaVu Sans Bold"];

/// The committed glyph ranges: (fontstack, range, SDF glyph PBF).
const GLYPHS: [(&str, &str, &[u8]); 6] = [
    (
        "DejaVu Sans Book",
        "0-255",
        include_bytes!("../../web/fonts/DejaVu Sans Book/0-255.pbf"),
    ),
    (
        "DejaVu Sans Book",
        "256-511",
        include_bytes!("../../web/fonts/DejaVu Sans Book/256-511.pbf"),
    ),
    (
        "DejaVu Sans Book",
        "8192-8447",
        include_bytes!("../../web/fonts/DejaVu Sans Book/8192-8447.pbf"),
    ),
    (
        "DejaVu Sans Bold",
        "0-255",
        include_bytes!("../../web/fonts/DejaVu Sans Bold/0-255.pbf"),
    ),
    (
        "DejaVu Sans Bold",
        "256-511",
        include_bytes!("../../web/fonts/DejaVu Sans Bold/256-511.pbf"),
    ),
    (
        "DejaVu Sans Bold",
        "8192-8447",
        include_bytes!("../../web/fonts/DejaVu Sans Bold/8192-8447.pbf"),
    ),
];

/// Content-Security-Policy of the page: its own origin only (no CDN, no inline script, no
/// `eval`). MapLibre needs WebGL (no directive), its worker script from this origin
/// (`worker-src 'self'`), tiles, glyphs and JSON over `fetch` (`connect-src 'self'`), and
/// `blob:` images (it decodes raster images and the PNG export is a blob). It sets element
/// styles through the CSSOM, which `style-src 'self'` allows.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
                       script-src 'self'; worker-src 'self'; connect-src 'self'; \
                       object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// One embedded file: its bytes, its media type and its entity tag (worked out on first use).
/// Browsers keep it and ask again with `If-None-Match` (`Cache-Control: no-cache`), so a
/// second visit, or MapLibre's second worker loading the same script, gets `304 Not Modified`
/// and no body.
struct Embedded {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: OnceLock<String>,
}

impl Embedded {
    const fn new(bytes: &'static [u8], content_type: &'static str) -> Self {
        Self {
            bytes,
            content_type,
            etag: OnceLock::new(),
        }
    }

    fn etag(&self) -> &str {
        self.etag.get_or_init(|| etag_of(self.bytes))
    }

    /// The file, or `304` when the request already holds this version.
    fn reply(&self, request: &HeaderMap) -> Response {
        file(self.bytes, self.content_type, self.etag(), request)
    }
}

/// A strong entity tag for these bytes: the first 64 bits of their SHA-256, quoted.
pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// True when an `If-None-Match` header names `etag` (or is `*`): weak or strong, one of a
/// comma-separated list.
pub fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

fn file(
    body: &'static [u8],
    content_type: &'static str,
    etag: &str,
    request: &HeaderMap,
) -> Response {
    let tag = HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, tag),
    ];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_etag(v, etag));
    if fresh {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, body).into_response()
    }
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
static INDEX: Embedded = Embedded::new(INDEX_HTML.as_bytes(), "text/html; charset=utf-8");
static APP: Embedded = Embedded::new(APP_JS.as_bytes(), JS);
static STYLE: Embedded = Embedded::new(STYLE_CSS.as_bytes(), CSS);
static MAPLIBRE: Embedded = Embedded::new(MAPLIBRE_JS.as_bytes(), JS);
static MAPLIBRE_WORKER: Embedded = Embedded::new(MAPLIBRE_WORKER_JS.as_bytes(), JS);
static MAPLIBRE_STYLE: Embedded = Embedded::new(MAPLIBRE_CSS.as_bytes(), CSS);
static MAPLIBRE_LICENCE: Embedded =
    Embedded::new(MAPLIBRE_LICENSE.as_bytes(), "text/plain; charset=utf-8");

/// `GET /`.
pub async fn index(request: HeaderMap) -> Response {
    INDEX.reply(&request)
}

/// `GET /app.js`.
pub async fn app_js(request: HeaderMap) -> Response {
    APP.reply(&request)
}

/// `GET /style.css`.
pub async fn style_css(request: HeaderMap) -> Response {
    STYLE.reply(&request)
}

/// `GET /vendor/maplibre-gl/maplibre-gl.mjs`.
pub async fn maplibre_js(request: HeaderMap) -> Response {
    MAPLIBRE.reply(&request)
}

/// `GET /vendor/maplibre-gl/maplibre-gl-worker.mjs` (the library adds `?v=VERSION`).
pub async fn maplibre_worker_js(request: HeaderMap) -> Response {
    MAPLIBRE_WORKER.reply(&request)
}

/// `GET /vendor/maplibre-gl/maplibre-gl.css`.
pub async fn maplibre_css(request: HeaderMap) -> Response {
    MAPLIBRE_STYLE.reply(&request)
}

/// `GET /vendor/maplibre-gl/LICENSE.txt`.
pub async fn maplibre_license(request: HeaderMap) -> Response {
    MAPLIBRE_LICENCE.reply(&request)
}

/// The glyph PBF of one fontstack and range (`range` as `START-END`, 256 code points from a
/// multiple of 256), or `None` when the fontstack is not one of [`FONTSTACKS`] or the range is
/// malformed. A well-formed range that was not generated is an empty PBF (no glyphs), which
/// MapLibre reads as "no glyphs here" rather than an error.
pub fn glyphs(fontstack: &str, range: &str) -> Option<&'static [u8]> {
    if !FONTSTACKS.contains(&fontstack) {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let (start, end): (u32, u32) = (start.parse().ok()?, end.parse().ok()?);
    if start % 256 != 0 || end != start + 255 || end > 0xFFFF {
        return None;
    }
    Some(
        GLYPHS
            .iter()
            .find(|(s, r, _)| *s == fontstack && *r == range)
            .map_or(&[][..], |(_, _, bytes)| *bytes),
    )
}

/// `GET /fonts/{fontstack}/{range}.pbf`: the label glyphs ([`glyphs`]); 404 for another
/// fontstack or a malformed range.
pub async fn fonts(
    Path((fontstack, file_name)): Path<(String, String)>,
    request: HeaderMap,
) -> Response {
    let found = file_name
        .strip_suffix(".pbf")
        .and_then(|range| glyphs(&fontstack, range));
    match found {
        Some(bytes) => file(bytes, "application/x-protobuf", &etag_of(bytes), &request),
        None => crate::serve::error::error_response(StatusCode::NOT_FOUND, "no such glyphs"),
    }
}

/// `GET /favicon.ico`: none (204), so browsers stop asking.
pub async fn favicon() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_ranges() {
        let basic = glyphs("DejaVu Sans Book", "0-255").expect("basic Latin");
        assert!(basic.len() > 10_000, "{} bytes", basic.len());
        assert!(glyphs("DejaVu Sans Bold", "256-511").is_some_and(|b| !b.is_empty()));
        assert_eq!(glyphs("DejaVu Sans Book", "512-767"), Some(&[][..]));
        assert_eq!(glyphs("DejaVu Sans Book", "1-256"), None);
        assert_eq!(glyphs("DejaVu Sans Book", "65536-65791"), None);
        assert_eq!(glyphs("Arial", "0-255"), None);
        assert_eq!(glyphs("DejaVu Sans Book", "0"), None);
    }

    #[test]
    fn entity_tags() {
        let tag = etag_of(b"nearhome");
        assert_eq!(tag.len(), 18, "{tag}");
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_ne!(tag, etag_of(b"nearhome!"));
        assert!(matches_etag(&tag, &tag));
        assert!(matches_etag(&format!("W/{tag}"), &tag));
        assert!(matches_etag(&format!("\"0000000000000000\", {tag}"), &tag));
        assert!(matches_etag("*", &tag));
        assert!(!matches_etag("\"0000000000000000\"", &tag));
        assert!(!matches_etag("", &tag));
    }

    #[test]
    fn a_known_version_is_not_sent_again() {
        let mut request = HeaderMap::new();
        let first = APP.reply(&request);
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].clone();
        request.insert(header::IF_NONE_MATCH, tag.clone());
        let again = APP.reply(&request);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag);
        assert_eq!(again.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(APP.reply(&request).status(), StatusCode::OK);
    }
}
