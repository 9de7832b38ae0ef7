//! Stage 6, everything the product publishes: typed records of every table and GeoJSON,
//! and the one disclosure module every public figure passes through.

pub mod disclosure;
pub mod planning;
pub mod report;
pub mod synth;
pub mod tables;
