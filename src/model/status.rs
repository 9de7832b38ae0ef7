//! Placement status of an EHC plan: at a named school or setting ([`PlacementStatus::Placed`])
//! or one of the SEN2 "educated elsewhere" situations with no school to travel to, and the
//! pupils in those situations ([`UnplacedPupil`]).
//!
//! SEN2 2024/25 reports these in its caseload columns; each status lists the columns it is
//! made of ([`PlacementStatus::sen2_columns`]). Pupils who are awaiting provision or of
//! compulsory school age and out of education are the *unmet need*
//! ([`PlacementStatus::is_unmet_need`]): they count in the capital gap. Every pupil without
//! a placement counts in demand and is left out of journey statistics with the stated
//! reason ([`PlacementStatus::no_journey_reason`]). Plain data; no I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{LatLon, Need, UnknownCode};

/// Where an EHC plan's pupil is educated, as far as a journey is concerned.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum PlacementStatus {
    /// At a named school, college or setting (`placement_id`): the pupil has a journey.
    #[default]
    Placed,
    /// Elective home education (SEN2 `elective_home_education`).
    HomeEducated,
    /// Education otherwise than at school, arranged by the council or the parents, or an
    /// online provider (`other_arrangements_la`, `other_arrangements_parents`,
    /// `online_provider`).
    OtherArrangements,
    /// A Welsh school or another setting SEN2 lists apart (`w_settings`, `other_schools`).
    OtherSetting,
    /// Awaiting provision: a type of setting but no named setting, or out of provision
    /// (SEN2 "other placement settings", `other_placement_settings`).
    AwaitingProvision,
    /// Of compulsory school age and not in education (`neet_other_csa`).
    MissingEducation,
    /// Over compulsory school age and not in education, employment or training (`neet`,
    /// `neet_ntci`, `neet_other`).
    Neet,
    /// Non-maintained early years (`nm_early_years`).
    EarlyYears,
    /// Placement not recorded (`placement_unknown`).
    NotRecorded,
}

impl PlacementStatus {
    /// Every status, `Placed` first, in the order they are reported.
    pub const ALL: [PlacementStatus; 9] = [
        PlacementStatus::Placed,
        PlacementStatus::HomeEducated,
        PlacementStatus::OtherArrangements,
        PlacementStatus::OtherSetting,
        PlacementStatus::AwaitingProvision,
        PlacementStatus::MissingEducation,
        PlacementStatus::Neet,
        PlacementStatus::EarlyYears,
        PlacementStatus::NotRecorded,
    ];

    /// The statuses with no school placement (all but `Placed`).
    pub fn without_placement() -> impl Iterator<Item = PlacementStatus> {
        Self::ALL.into_iter().filter(|s| !s.is_placed())
    }

    /// The code written in `pupils.csv` and the outputs, e.g. `"awaiting_provision"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementStatus::Placed => "placed",
            PlacementStatus::HomeEducated => "home_educated",
            PlacementStatus::OtherArrangements => "other_arrangements",
            PlacementStatus::OtherSetting => "other_setting",
            PlacementStatus::AwaitingProvision => "awaiting_provision",
            PlacementStatus::MissingEducation => "missing_education",
            PlacementStatus::Neet => "neet",
            PlacementStatus::EarlyYears => "early_years",
            PlacementStatus::NotRecorded => "not_recorded",
        }
    }

    /// True for a pupil at a named placement.
    pub fn is_placed(self) -> bool {
        self == PlacementStatus::Placed
    }

    /// True when the pupil needs a school place the council has not found: awaiting
    /// provision, or of compulsory school age and out of education. These count in the
    /// capital gap.
    pub fn is_unmet_need(self) -> bool {
        matches!(
            self,
            PlacementStatus::AwaitingProvision | PlacementStatus::MissingEducation
        )
    }

    /// Why a pupil of this status has no journey (`None` for `Placed`).
    pub fn no_journey_reason(self) -> Option<&'static str> {
        Some(match self {
            PlacementStatus::Placed => return None,
            PlacementStatus::HomeEducated => "educated at home by choice: no school journey",
            PlacementStatus::OtherArrangements => {
                "education otherwise than at school: no single school journey"
            }
            PlacementStatus::OtherSetting => {
                "a setting outside the provisions file (e.g. a Welsh school): not routed"
            }
            PlacementStatus::AwaitingProvision => {
                "awaiting provision: no named placement yet (unmet need)"
            }
            PlacementStatus::MissingEducation => {
                "of compulsory school age and out of education (unmet need)"
            }
            PlacementStatus::Neet => "not in education, employment or training: no journey",
            PlacementStatus::EarlyYears => "non-maintained early years setting: not routed",
            PlacementStatus::NotRecorded => "placement not recorded",
        })
    }

    /// The SEN2 caseload columns the status is made of (`targets.csv` `raw.*` measures).
    pub fn sen2_columns(self) -> &'static [&'static str] {
        match self {
            PlacementStatus::Placed => &[],
            PlacementStatus::HomeEducated => &["elective_home_education"],
            PlacementStatus::OtherArrangements => &[
                "other_arrangements_la",
                "other_arrangements_parents",
                "online_provider",
            ],
            PlacementStatus::OtherSetting => &["w_settings", "other_schools"],
            PlacementStatus::AwaitingProvision => &["other_placement_settings"],
            PlacementStatus::MissingEducation => &["neet_other_csa"],
            PlacementStatus::Neet => &["neet", "neet_ntci", "neet_other"],
            PlacementStatus::EarlyYears => &["nm_early_years"],
            PlacementStatus::NotRecorded => &["placement_unknown"],
        }
    }
}

impl fmt::Display for PlacementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PlacementStatus {
    type Err = UnknownCode;

    /// Parses a code (`awaiting_provision`) or a common variant as councils write it
    /// ("Awaiting provision", "EHE", "Elective home education", "EOTAS", "NEET",
    /// "Missing education", "Not recorded"); case, spaces, hyphens and underscores are
    /// ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let status = match key.as_str() {
            "placed" | "" | "onroll" | "atschool" => PlacementStatus::Placed,
            "homeeducated" | "ehe" | "electivehomeeducation" | "homeeducation" => {
                PlacementStatus::HomeEducated
            }
            "otherarrangements"
            | "eotas"
            | "otherarrangementsla"
            | "otherarrangementsparents"
            | "onlineprovider"
            | "educationotherwisethanatschool" => PlacementStatus::OtherArrangements,
            "othersetting" | "welshschool" | "welshestablishment" | "otherschools"
            | "wsettings" => PlacementStatus::OtherSetting,
            "awaitingprovision"
            | "awaitingplacement"
            | "otherplacementsettings"
            | "outofprovision"
            | "noplacement" => PlacementStatus::AwaitingProvision,
            "missingeducation"
            | "childmissingeducation"
            | "cme"
            | "notineducation"
            | "neetothercsa" => PlacementStatus::MissingEducation,
            "neet" | "neetntci" | "neetother" => PlacementStatus::Neet,
            "earlyyears" | "nonmaintainedearlyyears" | "nmearlyyears" => {
                PlacementStatus::EarlyYears
            }
            "notrecorded" | "placementnotrecorded" | "placementunknown" | "unknown" => {
                PlacementStatus::NotRecorded
            }
            _ => {
                return Err(UnknownCode {
                    what: "placement status",
                    value: s.trim().to_string(),
                    allowed: PlacementStatus::ALL.map(PlacementStatus::as_str).join(", "),
                })
            }
        };
        Ok(status)
    }
}

/// A pupil with an EHC plan and no school placement: counted in demand (and, when the
/// status is unmet need, in the capital gap), never given a journey.
#[derive(Debug, Clone, PartialEq)]
pub struct UnplacedPupil {
    /// Pseudonymous id, unique within the file (shared with placed pupils).
    pub id: String,
    /// Age in whole years at 31 August.
    pub age: u8,
    /// SEN2 primary need.
    pub need: Need,
    /// Home location, WGS84.
    pub home: LatLon,
    /// Why there is no placement (never [`PlacementStatus::Placed`]).
    pub status: PlacementStatus,
    /// 1-based physical line of the row in its source file (0 when not from a file).
    pub line: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_variants_parse() {
        for s in PlacementStatus::ALL {
            assert_eq!(s.as_str().parse::<PlacementStatus>(), Ok(s));
            assert_eq!(s.is_placed(), s.no_journey_reason().is_none());
        }
        assert_eq!("EHE".parse(), Ok(PlacementStatus::HomeEducated));
        assert_eq!(
            "Awaiting provision".parse(),
            Ok(PlacementStatus::AwaitingProvision)
        );
        assert_eq!("EOTAS".parse(), Ok(PlacementStatus::OtherArrangements));
        // SEN2's caseload column names parse to the status they are part of
        for s in PlacementStatus::ALL {
            for column in s.sen2_columns() {
                assert_eq!(column.parse(), Ok(s), "{column}");
            }
        }
        assert_eq!("".parse(), Ok(PlacementStatus::Placed));
        assert!("boarding".parse::<PlacementStatus>().is_err());
    }

    #[test]
    fn unmet_need_is_awaiting_provision_and_missing_education_only() {
        let unmet: Vec<_> = PlacementStatus::ALL
            .into_iter()
            .filter(|s| s.is_unmet_need())
            .collect();
        assert_eq!(
            unmet,
            [
                PlacementStatus::AwaitingProvision,
                PlacementStatus::MissingEducation
            ]
        );
        assert_eq!(PlacementStatus::without_placement().count(), 8);
    }
}
