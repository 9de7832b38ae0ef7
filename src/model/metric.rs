//! What a shortest path minimises.

use serde::{Deserialize, Serialize};

/// What a shortest path minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Least duration.
    #[default]
    Time,
    /// Least length.
    Distance,
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "time" => Ok(Metric::Time),
            "distance" => Ok(Metric::Distance),
            other => Err(format!(
                "unknown metric `{other}` (expected time or distance)"
            )),
        }
    }
}
