//! nearhome's integration tests: one test binary (`cargo test --test integration`).
#![allow(clippy::unwrap_used)]

// Shared helpers: project paths, the real extracts loaded once, an independent haversine.
mod support;

// Routing and snapping against independent oracles on random networks with fixed seeds.
mod engine;

// The car profile rule by rule on small hand-written OSM fixtures (fixtures/osm).
mod osm_fixtures;

// Properties of routes on the real Rutland and Isle of Man extracts.
mod extracts;

// The Isle of Man reference matrices, through the library and the CLI.
mod acceptance;

// The graph cache round trip; missing, empty, truncated and corrupt inputs; the CLI on them.
mod cache_and_errors;

// The placement analysis on the Rutland demo: golden summary, determinism, properties.
mod analysis;

// The whole SEN2 cohort: pupils without a school placement in demand, not in journeys.
mod cohort;

// Shared transport runs: independent feasibility, a known optimum, baselines, determinism.
mod transport;

// Faults around the outputs: all-or-nothing folders, locks, foreign folders, concurrent runs.
mod faults;

// Property tests on hostile input: CSV readers, scenario.toml, PBF framing, HTTP queries.
mod fuzz;

// Estimate-only runs: analyse without the road extract; --require-roads, site and serve refuse.
mod estimate_only;

// Council exports in: spreadsheets, header aliases, identifiers dropped or pseudonymised.
mod import;

// The ten-year projection, siting for a future year, the capital appraisal and report.html.
mod projection;

// Planning: siting new bases and the capital plan on the Rutland demo and a hand-built instance.
mod planning;

// The map in headless Chromium against a live server (prerequisites installed by .ci/run).
mod browser;

// Vector tiles decoded with an independent reader: no pupil data in public tiles, roles.
mod tiles;

// The HTTP API through tower::ServiceExt::oneshot: statuses, GeoJSON, roles, suppression, limits.
mod api;

// The real server on 127.0.0.1:0 over raw TCP: timeouts, caps, the Host rule, shutdown.
mod server;

// A disclosure audit of every public file and answer, with the differencing attacks.
mod disclosure;
