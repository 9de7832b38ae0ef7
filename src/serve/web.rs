//! The web app's files (`web/`), embedded in the binary at build time so the service needs
//! nothing on disk and no network: `index.html`, `app.js`, `style.css`, the vendored MapLibre
//! GL JS build (`web/vendor/maplibre-gl/`, re-vendored by `web/vendor.sh` from
//! `web/package-lock.json`) and the label glyphs (`web/fonts/`, SDF glyph PBFs made from
//! DejaVu Sans by `web/tools/glyphs.mjs`).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

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

fn file<B: IntoResponse>(body: B, content_type: &'static str) -> Response {
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

/// `GET /vendor/maplibre-gl/maplibre-gl.mjs`.
pub async fn maplibre_js() -> Response {
    file(MAPLIBRE_JS, "text/javascript; charset=utf-8")
}

/// `GET /vendor/maplibre-gl/maplibre-gl-worker.mjs` (the library adds `?v=VERSION`).
pub async fn maplibre_worker_js() -> Response {
    file(MAPLIBRE_WORKER_JS, "text/javascript; charset=utf-8")
}

/// `GET /vendor/maplibre-gl/maplibre-gl.css`.
pub async fn maplibre_css() -> Response {
    file(MAPLIBRE_CSS, "text/css; charset=utf-8")
}

/// `GET /vendor/maplibre-gl/LICENSE.txt`.
pub async fn maplibre_license() -> Response {
    file(MAPLIBRE_LICENSE, "text/plain; charset=utf-8")
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
pub async fn fonts(Path((fontstack, file_name)): Path<(String, String)>) -> Response {
    let found = file_name
        .strip_suffix(".pbf")
        .and_then(|range| glyphs(&fontstack, range));
    match found {
        Some(bytes) => file(bytes, "application/x-protobuf"),
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
}
