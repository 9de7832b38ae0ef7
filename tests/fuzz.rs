//! Property tests on hostile input (proptest, under plain `cargo test`): the CSV readers,
//! `scenario.toml`, the PBF framing check and the HTTP query parsers never panic, and what
//! they accept is valid. The graph cache's own properties are in `src/load/cache.rs`.

use proptest::prelude::*;

use nearhome::load::pupils::{load_pupils, PupilOptions};
use nearhome::model::AGE_RANGE;

/// Text that looks like CSV: a header and rows built from tokens that stress a reader
/// (quotes, separators, blanks, huge numbers, odd unicode, coordinates in and out of range).
fn csv_like() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just(String::new()),
        Just("\"".to_string()),
        Just("\"\"".to_string()),
        Just(",".to_string()),
        Just(";".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-0".to_string()),
        Just("1e308".to_string()),
        Just("ASD".to_string()),
        Just("Autistic Spectrum Disorder".to_string()),
        Just("R".to_string()),
        Just("Year 7".to_string()),
        Just("awaiting_provision".to_string()),
        Just("placed".to_string()),
        Just("B1 1AA".to_string()),
        Just("\u{feff}".to_string()),
        Just("é\u{0301}".to_string()),
        (-200.0f64..200.0).prop_map(|v| format!("{v}")),
        (0u32..40).prop_map(|v| v.to_string()),
        "[a-zA-Z0-9 _-]{0,12}",
        "x{300}",
    ];
    let header = prop_oneof![
        Just("id,age,need,lat,lon,placement_id,placement_status,transport,transport_cost_gbp"),
        Just("id,ncy,need,easting,northing,placement_id"),
        Just("id,name,kind,needs,age_min,age_max,capacity,on_roll,annual_cost_gbp,lat,lon"),
        Just("id,lat,lon"),
        Just("postcode,lat,lon"),
        Just("id,name,lat,lon"),
    ];
    let row = proptest::collection::vec(token, 0..12).prop_map(|t| t.join(","));
    (header, proptest::collection::vec(row, 0..8))
        .prop_map(|(h, rows)| format!("{h}\n{}\n", rows.join("\n")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csv_readers_never_panic_and_accept_only_valid_rows(text in csv_like()) {
        let bytes = text.as_bytes();
        if let Ok(l) = load_pupils(bytes, "p.csv", PupilOptions::default()) {
            for p in &l.placed.items {
                prop_assert!(AGE_RANGE.contains(&p.age));
                prop_assert!(!p.id.is_empty() && p.id.chars().count() <= 256);
                prop_assert!(!p.placement_id.is_empty());
                prop_assert!(p.home.lat.is_finite() && p.home.lat.abs() <= 90.0);
                prop_assert!(p.home.lon.is_finite() && p.home.lon.abs() <= 180.0);
                prop_assert!(p.transport_cost_gbp.is_none_or(|c| c.is_finite() && c >= 0.0));
            }
            for u in &l.unplaced {
                prop_assert!(!u.status.is_placed());
                prop_assert!(AGE_RANGE.contains(&u.age));
            }
            prop_assert_eq!(l.rows_accepted() + l.placed.rows_rejected, l.placed.rows_read);
        }
        if let Ok(l) = nearhome::load::provisions::load_provisions(bytes, "v.csv") {
            for v in &l.items {
                prop_assert!(v.age_min <= v.age_max);
                prop_assert!(!v.needs.is_empty());
                prop_assert!(v.location.lat.is_finite() && v.location.lon.is_finite());
                prop_assert!(v.annual_cost_gbp.is_none_or(|c| c.is_finite() && c >= 0.0));
            }
        }
        if let Ok(points) = nearhome::load::points::read_points(bytes, "pts.csv") {
            for p in &points {
                prop_assert!(p.pos.lat.is_finite() && p.pos.lat.abs() <= 90.0);
                prop_assert!(p.pos.lon.is_finite() && p.pos.lon.abs() <= 180.0);
            }
        }
        let _ = nearhome::load::candidates::read_candidates(bytes, "c.csv");
        let _ = nearhome::load::postcodes::load_postcodes(bytes, "pc.csv");
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_reader(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = load_pupils(&bytes, "p.csv", PupilOptions::default());
        let _ = nearhome::load::provisions::load_provisions(&bytes, "v.csv");
        let _ = nearhome::load::points::read_points(&bytes, "pts.csv");
        let _ = nearhome::load::osm::check_pbf_framing(&bytes, "x.osm.pbf");
        let _ = nearhome::load::network::network_from_pbf(&bytes, "x.osm.pbf");
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = nearhome::model::scenario::ScenarioConfig::from_toml_str(text, "s.toml");
        }
    }

    /// A `scenario.toml` with arbitrary numbers: parsing never panics, and `check` refuses
    /// every limit that is not a positive finite number (TOML spells NaN and infinity).
    #[test]
    fn scenario_limits_are_checked(
        primary in prop_oneof![Just("nan".to_string()), Just("inf".to_string()), Just("-inf".to_string()), (-1e6f64..1e6).prop_map(|v| format!("{v:?}"))],
        snap in prop_oneof![Just("nan".to_string()), (-10.0f64..5000.0).prop_map(|v| format!("{v:?}"))],
    ) {
        let text = format!(
            "name = \"t\"\nosm = \"x.osm.pbf\"\nboundary = \"b.geojson\"\nprovisions = \"p.csv\"\n\
             [analysis]\nprimary_max_minutes = {primary}\nmax_snap_m = {snap}\n"
        );
        if let Ok(c) = nearhome::model::scenario::ScenarioConfig::from_toml_str(&text, "s.toml") {
            let faults = c.check();
            let ok = |v: f64| v.is_finite() && v > 0.0;
            let p = c.analysis.primary_max_minutes;
            let s = c.analysis.max_snap_m;
            prop_assert_eq!(
                faults.iter().any(|(k, _)| k == "analysis.primary_max_minutes"),
                !ok(p)
            );
            prop_assert_eq!(faults.iter().any(|(k, _)| k == "analysis.max_snap_m"), !ok(s));
        }
    }
}

/// HTTP query strings: arbitrary parameters and values never make the API answer 5xx, and
/// every error is the JSON error shape.
mod http {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use proptest::prelude::*;
    use tower::ServiceExt;

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("NaN".to_string()),
            Just("1e999".to_string()),
            Just("-90.5".to_string()),
            Just("52.67,-0.72".to_string()),
            Just("%ZZ".to_string()),
            Just("%00".to_string()),
            Just("ASD".to_string()),
            Just("autism".to_string()),
            (-400.0f64..400.0).prop_map(|v| format!("{v}")),
            "[a-z0-9.,%-]{0,20}",
        ]
    }

    fn query() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("from"),
            Just("to"),
            Just("metric"),
            Just("need"),
            Just("layer"),
            Just("minutes"),
            Just("provision"),
            Just("offset"),
            Just("limit"),
            Just("bbox"),
            Just("zoom"),
            Just("x"),
        ];
        proptest::collection::vec((key, value()), 0..5).prop_map(|kv| {
            kv.into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        })
    }

    fn path() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("/api/route"),
            Just("/api/provisions"),
            Just("/api/areas"),
            Just("/api/catchment"),
            Just("/api/summary"),
            Just("/api/demand"),
            Just("/api/journeys"),
            Just("/api/basemap"),
            Just("/api/capital"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn query_parsers_never_fail_on_the_server_side(p in path(), q in query()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (status, body) = rt.block_on(async {
                let app = nearhome::serve::router(crate::api::state().clone());
                let req = Request::get(format!("{p}?{q}")).body(Body::empty()).unwrap();
                let resp = app.oneshot(req).await.unwrap();
                let status = resp.status();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                (status, body)
            });
            prop_assert!(!status.is_server_error(), "{p}?{q}: {status}");
            if status.is_client_error() {
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| TestCaseError::fail(format!("{p}?{q}: {status} not JSON: {e}")))?;
                prop_assert!(v.get("error").is_some(), "{p}?{q}: {v}");
            }
        }
    }
}
