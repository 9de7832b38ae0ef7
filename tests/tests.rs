//! nearhome's integration tests: one test binary (`cargo test --test integration`).
#![allow(clippy::unwrap_used)]

// Shared helpers: project paths, the real extracts loaded once, an independent haversine.
mod support;

// Routing and snapping against independent oracles on random networks with fixed seeds.
mod engine;

// The car profile rule by rule on small hand-written OSM fixtures (fixtures/osm).
mod osm_fixtures;
