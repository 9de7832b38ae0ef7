//! Placement analysis: journeys, alternatives, bring-back, siting. Threads live here.

pub mod assign;
pub mod matrix;
pub mod placement;
pub mod siting;
pub mod summary;
