//! Stage 6, everything the product publishes: typed records of every table and GeoJSON,
//! and the one disclosure module every public figure passes through.

pub mod basemap;
pub mod disclosure;
pub mod hexgrid;
pub mod records;
pub mod report;
pub mod tables;
pub mod whatif;
