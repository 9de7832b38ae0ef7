//! Candidate sites for new specialist places (planning), from the scenario's schools or a
//! user's file or map. Plain data; reading a candidates CSV is `crate::load::candidates`.
//! No I/O; must not import `crate::load`.

use serde::{Deserialize, Serialize};

use crate::model::LatLon;

/// A candidate site for a new base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidatePoint {
    /// Identifier (a provision id for scenario sites, verbatim from the user file otherwise).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Location.
    pub location: LatLon,
    /// Where it came from: `scenario: <provision ids>` or `<file> line <n>` (may be omitted
    /// in JSON; messages then name the point by its id).
    #[serde(default)]
    pub source: String,
}
