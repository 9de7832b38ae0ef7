//! One pupil in one of the council's annual snapshots (`nearhome project --snapshots`).

use serde::{Deserialize, Serialize};

use crate::model::Need;

/// One pupil in one annual snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    /// Year of the snapshot (2024 = January 2025, as SEN2's 2024/25).
    pub year: i32,
    /// Pupil id, stable across years.
    pub id: String,
    /// Age at 31 August.
    pub age: u8,
    /// Primary need.
    pub need: Need,
    /// Setting (the placement's provision kind, or a placement status).
    pub setting: String,
}
