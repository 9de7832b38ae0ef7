//! SEN2 vocabulary: the placement groups DfE's SEN2 return reports ([`PlacementGroup`]) and
//! one authority's counts used as calibration targets ([`Sen2Targets`]).
//!
//! Plain data and pure accessors; parsing `targets.csv` is `crate::load::sen2`. No I/O; must
//! not import `crate::load`.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::status::PlacementStatus;
use crate::model::{Need, ProvisionKind};

/// Where a pupil with an EHC plan is placed, in the groups SEN2 reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlacementGroup {
    /// Mainstream schools without resourced places (LA maintained, academy, free school,
    /// independent mainstream); placed at `mainstream` provisions.
    Mainstream,
    /// Resourced provision and SEN units in mainstream schools; `resource_base` provisions.
    Resourced,
    /// LA-maintained, academy and free special schools; `special_school` provisions.
    Special,
    /// Independent and non-maintained special schools; `independent_special` or
    /// `non_maintained_special` provisions outside the area only.
    Independent,
    /// Further education (general FE, specialist post-16, other providers); `post16`.
    Post16,
    /// Alternative provision and pupil referral units; `alternative_provision`.
    Ap,
    /// Educated elsewhere, non-maintained early years, placement not recorded: no school
    /// placement to travel to; generated with a [`PlacementStatus`] and no journey.
    Elsewhere,
}

impl PlacementGroup {
    /// Every group, in the order they are generated and reported.
    pub const ALL: [PlacementGroup; 7] = [
        PlacementGroup::Mainstream,
        PlacementGroup::Resourced,
        PlacementGroup::Special,
        PlacementGroup::Independent,
        PlacementGroup::Post16,
        PlacementGroup::Ap,
        PlacementGroup::Elsewhere,
    ];

    /// The name used in `targets.csv` measures, e.g. `"special"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementGroup::Mainstream => "mainstream",
            PlacementGroup::Resourced => "resourced",
            PlacementGroup::Special => "special",
            PlacementGroup::Independent => "independent",
            PlacementGroup::Post16 => "post16",
            PlacementGroup::Ap => "ap",
            PlacementGroup::Elsewhere => "elsewhere",
        }
    }

    /// Provision kinds that receive pupils of this group (empty for `Elsewhere`).
    pub fn kinds(self) -> &'static [ProvisionKind] {
        match self {
            PlacementGroup::Mainstream => &[ProvisionKind::Mainstream],
            PlacementGroup::Resourced => &[ProvisionKind::ResourceBase],
            PlacementGroup::Special => &[ProvisionKind::SpecialSchool],
            PlacementGroup::Independent => &[
                ProvisionKind::IndependentSpecial,
                ProvisionKind::NonMaintainedSpecial,
            ],
            PlacementGroup::Post16 => &[ProvisionKind::Post16],
            PlacementGroup::Ap => &[ProvisionKind::AlternativeProvision],
            PlacementGroup::Elsewhere => &[],
        }
    }

    /// True when the group's pupils are placed at a provision (every group but
    /// `Elsewhere`).
    pub fn is_placed(self) -> bool {
        self != PlacementGroup::Elsewhere
    }

    /// The group named `s` in `targets.csv` measures (see [`PlacementGroup::as_str`]).
    pub fn parse(s: &str) -> Option<PlacementGroup> {
        PlacementGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

impl fmt::Display for PlacementGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One authority's SEN2 counts used as calibration targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sen2Targets {
    /// ONS code of the authority, e.g. `E06000017` (Rutland).
    pub authority: String,
    /// All EHC plans.
    pub ehc_plans: u32,
    /// Plans by primary need.
    pub need: BTreeMap<Need, u32>,
    /// Plans by placement group.
    pub placement: BTreeMap<PlacementGroup, u32>,
    /// Plans by placement group and primary need.
    pub placement_need: BTreeMap<(PlacementGroup, Need), u32>,
    /// Plans by placement group and age in whole years (SEN2 "under 3" is counted as 2).
    pub placement_age: BTreeMap<(PlacementGroup, u8), u32>,
    /// Plans of the `elsewhere` group by placement status (never `Placed`).
    pub status: BTreeMap<PlacementStatus, u32>,
    /// ... by placement status and primary need.
    pub status_need: BTreeMap<(PlacementStatus, Need), u32>,
    /// ... by placement status and age.
    pub status_age: BTreeMap<(PlacementStatus, u8), u32>,
}

impl Sen2Targets {
    /// Plans in `group` (0 when absent).
    pub fn placement_count(&self, group: PlacementGroup) -> u32 {
        self.placement.get(&group).copied().unwrap_or(0)
    }

    /// Plans in `group` with primary need `need` (0 when absent).
    pub fn placement_need_count(&self, group: PlacementGroup, need: Need) -> u32 {
        self.placement_need
            .get(&(group, need))
            .copied()
            .unwrap_or(0)
    }

    /// Plans in `group` of age `age` (0 when absent).
    pub fn placement_age_count(&self, group: PlacementGroup, age: u8) -> u32 {
        self.placement_age.get(&(group, age)).copied().unwrap_or(0)
    }

    /// Plans in the groups placed at a provision (all but `elsewhere`).
    pub fn placed_total(&self) -> u32 {
        PlacementGroup::ALL
            .into_iter()
            .filter(|g| g.is_placed())
            .map(|g| self.placement_count(g))
            .sum()
    }

    /// Plans with placement status `status` (0 when absent).
    pub fn status_count(&self, status: PlacementStatus) -> u32 {
        self.status.get(&status).copied().unwrap_or(0)
    }

    /// Plans with placement status `status` and primary need `need` (0 when absent).
    pub fn status_need_count(&self, status: PlacementStatus, need: Need) -> u32 {
        self.status_need.get(&(status, need)).copied().unwrap_or(0)
    }

    /// Plans with placement status `status` of age `age` (0 when absent).
    pub fn status_age_count(&self, status: PlacementStatus, age: u8) -> u32 {
        self.status_age.get(&(status, age)).copied().unwrap_or(0)
    }
}

/// One authority's published SEN2 time series (`fixtures/sen2/series.csv`): every count by
/// measure and year, as `tools/sen2_series.py` extracts it. A year is the first calendar
/// year of an academic year for the January counts (`plans*`: 2024 is 2024/25) and the
/// calendar year for the flows (`new_*`, `ceased*`: 2024 is the calendar year ending at the
/// January 2025 count). Suppressed cells are absent, never 0.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sen2Series {
    /// ONS code of the authority.
    pub authority: String,
    /// `(measure, year)` → count.
    pub values: BTreeMap<(String, i32), f64>,
}

impl Sen2Series {
    /// The count of `measure` in `year`, when published.
    pub fn get(&self, measure: &str, year: i32) -> Option<f64> {
        self.values.get(&(measure.to_string(), year)).copied()
    }

    /// Every published `(year, count)` of `measure`, oldest first.
    pub fn series(&self, measure: &str) -> Vec<(i32, f64)> {
        self.values
            .iter()
            .filter(|((m, _), _)| m == measure)
            .map(|((_, y), v)| (*y, *v))
            .collect()
    }

    /// The latest year with any count of a measure starting `prefix` (e.g. `plans_age.`).
    pub fn latest_year(&self, prefix: &str) -> Option<i32> {
        self.values
            .keys()
            .filter(|(m, _)| m.starts_with(prefix))
            .map(|(_, y)| *y)
            .max()
    }
}
