//! nearhome: how far every pupil with an EHC plan travels to school, which out-of-area
//! placements could come back, and where new local places would help most.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod analysis;
pub mod api;
#[doc(hidden)]
pub mod benchkit;
pub mod bng;
pub mod error;
pub mod graph;
pub mod io;
pub mod model;
pub mod osm;
pub mod pipeline;
pub mod planning;
pub mod privacy;
pub mod profile;
pub mod proj;
pub mod route;
pub mod scenario;
pub mod snap;
pub mod synth;
