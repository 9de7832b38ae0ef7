//! Stage 6, everything the product publishes: typed records of every table and GeoJSON,
//! the `nearhome site` outputs ([`planning`]), the synthetic pupils' CSV and calibration
//! table ([`synth`]), and the one disclosure module every public figure passes through.
//!
//! Owns formatting and writing; every figure comes from `crate::analyse`. Must not import
//! `crate::serve` (the service calls in here, not the other way round).

pub mod basemap;
pub mod capital;
pub mod charts;
pub mod cohort;
pub mod disclosure;
pub mod estimates;
pub mod folder;
pub mod hexgrid;
pub mod matrix;
pub mod numfmt;
pub mod planning;
pub mod projection;
pub mod records;
pub mod report;
pub mod runs;
pub mod synth;
pub mod tables;
pub mod tiles;
pub mod whatif;
