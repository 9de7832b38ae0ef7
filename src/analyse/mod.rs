//! Stage 5, the analyses: placement (journeys, alternatives, bring-back), the assignment
//! solver, summaries, siting, planning, synthetic pupils. No I/O; threads live here.

pub mod assign;
pub mod placement;
pub mod planning;
pub mod siting;
pub mod summary;
pub mod synth;
