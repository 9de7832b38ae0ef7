//! School phase by national curriculum year: primary, secondary or post-16.
//!
//! Ages are whole years at 31 August, the start of the school year, so a pupil in national
//! curriculum year `n` is aged `n + 4`: Reception is 4, Year 6 is 10, Year 7 is 11, Year 11
//! is 15. Primary is Reception to Year 6 (ages up to 10), secondary Years 7 to 11 (11 to 15),
//! post-16 everything from 16 (EHC plans run to 25). Pupils younger than Reception count as
//! primary. The one place a pupil's phase is decided: every journey limit and every phase
//! column is read from [`Phase::of_age`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// Oldest age at 31 August in the primary phase: Year 6 is 10 (Year 7, aged 11, is
/// secondary). The default of the scenario's `analysis.primary_max_age`.
pub const PRIMARY_MAX_AGE: u8 = 10;

/// Oldest age at 31 August in the secondary phase: Year 11 is 15.
pub const SECONDARY_MAX_AGE: u8 = 15;

/// A school phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reception to Year 6 (and younger): ages up to `primary_max_age`, 10 by default.
    Primary,
    /// Years 7 to 11: from `primary_max_age + 1` (11 by default) to 15.
    Secondary,
    /// Post-16 (sixth form, college, specialist post-16): ages 16 to 25.
    Post16,
}

impl Phase {
    /// Every phase, youngest first.
    pub const ALL: [Phase; 3] = [Phase::Primary, Phase::Secondary, Phase::Post16];

    /// The phase of a pupil aged `age` at 31 August, with primary ending at
    /// `primary_max_age` (normally [`PRIMARY_MAX_AGE`]) and secondary at
    /// [`SECONDARY_MAX_AGE`]. A `primary_max_age` above 15 leaves no secondary phase (the
    /// scenario loader refuses one).
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::phase::{Phase, PRIMARY_MAX_AGE};
    /// assert_eq!(Phase::of_age(10, PRIMARY_MAX_AGE), Phase::Primary); // Year 6
    /// assert_eq!(Phase::of_age(11, PRIMARY_MAX_AGE), Phase::Secondary); // Year 7
    /// assert_eq!(Phase::of_age(15, PRIMARY_MAX_AGE), Phase::Secondary); // Year 11
    /// assert_eq!(Phase::of_age(16, PRIMARY_MAX_AGE), Phase::Post16);
    /// ```
    pub fn of_age(age: u8, primary_max_age: u8) -> Phase {
        if age <= primary_max_age {
            Phase::Primary
        } else if age <= SECONDARY_MAX_AGE {
            Phase::Secondary
        } else {
            Phase::Post16
        }
    }

    /// The name written in outputs: `primary`, `secondary` or `post16`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Primary => "primary",
            Phase::Secondary => "secondary",
            Phase::Post16 => "post16",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::age_from_ncy;

    #[test]
    fn curriculum_years_fall_in_their_phase() {
        let phase_of_year = |ncy: i32| {
            let age = age_from_ncy(ncy).expect("NCY 0..=14 has an age");
            Phase::of_age(age, PRIMARY_MAX_AGE)
        };
        for ncy in 0..=6 {
            assert_eq!(phase_of_year(ncy), Phase::Primary, "year {ncy}");
        }
        for ncy in 7..=11 {
            assert_eq!(phase_of_year(ncy), Phase::Secondary, "year {ncy}");
        }
        for ncy in 12..=14 {
            assert_eq!(phase_of_year(ncy), Phase::Post16, "year {ncy}");
        }
    }

    #[test]
    fn early_years_are_primary_and_post16_runs_to_25() {
        assert_eq!(Phase::of_age(0, PRIMARY_MAX_AGE), Phase::Primary);
        assert_eq!(Phase::of_age(3, PRIMARY_MAX_AGE), Phase::Primary);
        assert_eq!(Phase::of_age(25, PRIMARY_MAX_AGE), Phase::Post16);
    }

    #[test]
    fn primary_max_age_moves_only_the_primary_secondary_boundary() {
        assert_eq!(Phase::of_age(11, 11), Phase::Primary);
        assert_eq!(Phase::of_age(12, 11), Phase::Secondary);
        assert_eq!(Phase::of_age(16, 11), Phase::Post16);
    }

    #[test]
    fn names_are_written_in_snake_case() {
        let names: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["primary", "secondary", "post16"]);
        let json = serde_json::to_string(&Phase::ALL).ok();
        assert_eq!(json.as_deref(), Some(r#"["primary","secondary","post16"]"#));
    }
}
