//! Journey speeds for the morning school run: a factor per road class on the car profile's
//! free-flow speeds ([`RoadClass::default_speed_kmh`] or the way's `maxspeed`).
//!
//! Home-to-school journeys are made in the weekday morning peak, when main roads are far
//! slower than their limits. The DfT's road congestion statistics (table series CGN,
//! "Average speed, delay and reliability of travel times") measure it for two kinds of road:
//! - **locally managed 'A' roads**, weekday morning peak (7–10am): about 25 mph on average,
//!   with about 47 seconds a vehicle-mile of delay against free flow (2017 release), that is
//!   about 96 of 143 seconds a mile at free flow: a factor of **0.67** for primary and
//!   secondary roads (OSM `primary`, `secondary` and their links);
//! - **the strategic road network** (motorways and trunk 'A' roads): about 59 mph on
//!   average with about 9 seconds a vehicle-mile of delay (2017): a factor of **0.85** for
//!   `motorway`, `trunk` and their links.
//!
//! The DfT publishes no figure for minor roads; the defaults for them are judgement, stated
//! as such: **0.75** for `tertiary` and `unclassified` roads (between the 'A' roads and
//! residential streets) and **0.85** for `residential`, `living_street`, `service` and
//! `road`, whose free-flow speeds are already low. A scenario can change any of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::profile::RoadClass;

/// Which speeds journeys are timed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SpeedProfileName {
    /// The weekday morning peak: the factors above (the default for scenarios).
    #[default]
    SchoolRun,
    /// The car profile's free-flow speeds (what `route` and `matrix` use).
    FreeFlow,
}

/// `[speeds]` in `scenario.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SpeedsConfig {
    /// `school_run` (default) or `free_flow`.
    pub profile: SpeedProfileName,
    /// Factors by OSM `highway` value overriding the profile's, e.g. `primary = 0.6`.
    pub factors: BTreeMap<String, f64>,
}

/// A factor per road class (1 everywhere for free flow).
#[derive(Debug, Clone, PartialEq)]
pub struct SpeedProfile {
    name: SpeedProfileName,
    factors: [f64; RoadClass::ALL.len()],
}

/// The school-run default factor of a class (see the module docs for the sources).
fn school_run_factor(class: RoadClass) -> f64 {
    use RoadClass::*;
    match class {
        Motorway | MotorwayLink | Trunk | TrunkLink => 0.85,
        Primary | PrimaryLink | Secondary | SecondaryLink => 0.67,
        Tertiary | TertiaryLink | Unclassified => 0.75,
        Residential | LivingStreet | Service | Road => 0.85,
    }
}

impl SpeedProfile {
    /// Free-flow speeds.
    pub fn free_flow() -> SpeedProfile {
        SpeedProfile {
            name: SpeedProfileName::FreeFlow,
            factors: [1.0; RoadClass::ALL.len()],
        }
    }

    /// The profile a `[speeds]` table describes.
    ///
    /// # Errors
    /// `(key, message)` for an unknown road class or a factor outside `0 < f <= 1.5`.
    pub fn from_config(cfg: &SpeedsConfig) -> Result<SpeedProfile, (String, String)> {
        let mut factors = [1.0; RoadClass::ALL.len()];
        for (i, class) in RoadClass::ALL.iter().enumerate() {
            if cfg.profile == SpeedProfileName::SchoolRun {
                factors[i] = school_run_factor(*class);
            }
        }
        for (key, &f) in &cfg.factors {
            let field = format!("speeds.factors.{key}");
            let Some(i) = RoadClass::ALL.iter().position(|c| c.as_str() == key) else {
                let known: Vec<&str> = RoadClass::ALL.iter().map(|c| c.as_str()).collect();
                return Err((
                    field,
                    format!("`{key}` is not a road class; one of {}", known.join(", ")),
                ));
            };
            if !(f.is_finite() && f > 0.0 && f <= 1.5) {
                return Err((
                    field.clone(),
                    format!("{field} must be above 0 and at most 1.5 (got {f})"),
                ));
            }
            factors[i] = f;
        }
        Ok(SpeedProfile {
            name: cfg.profile,
            factors,
        })
    }

    /// The profile's name.
    pub fn name(&self) -> SpeedProfileName {
        self.name
    }

    /// The factor on a class's free-flow speed.
    pub fn factor(&self, class: RoadClass) -> f64 {
        RoadClass::ALL
            .iter()
            .position(|c| *c == class)
            .map_or(1.0, |i| self.factors[i])
    }

    /// True when every factor is 1 (journeys at free-flow speeds).
    pub fn is_free_flow(&self) -> bool {
        self.factors.iter().all(|&f| f == 1.0)
    }

    /// Factors by OSM `highway` value, for reports.
    pub fn factors(&self) -> BTreeMap<&'static str, f64> {
        RoadClass::ALL
            .iter()
            .zip(&self.factors)
            .map(|(c, f)| (c.as_str(), *f))
            .collect()
    }

    /// As stored in a graph cache: the name (0 school run, 1 free flow), then the factors
    /// in [`RoadClass::ALL`] order.
    pub fn to_stored(&self) -> Vec<f64> {
        let code = match self.name {
            SpeedProfileName::SchoolRun => 0.0,
            SpeedProfileName::FreeFlow => 1.0,
        };
        std::iter::once(code).chain(self.factors).collect()
    }

    /// Read back [`SpeedProfile::to_stored`]; `None` when the values are not a profile.
    pub fn from_stored(v: &[f64]) -> Option<SpeedProfile> {
        let (&code, rest) = v.split_first()?;
        let name = match code {
            0.0 => SpeedProfileName::SchoolRun,
            1.0 => SpeedProfileName::FreeFlow,
            _ => return None,
        };
        let factors: [f64; RoadClass::ALL.len()] = rest.try_into().ok()?;
        factors
            .iter()
            .all(|f| f.is_finite() && *f > 0.0 && *f <= 1.5)
            .then_some(SpeedProfile { name, factors })
    }

    /// A short fingerprint of the factors, for cache file names.
    pub fn fingerprint(&self) -> String {
        let mut h: u32 = 0x811c_9dc5;
        for f in &self.factors {
            for b in f.to_bits().to_le_bytes() {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
        format!("{h:08x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_run_slows_main_roads_most() {
        let p = SpeedProfile::from_config(&SpeedsConfig::default()).expect("defaults");
        assert_eq!(p.name(), SpeedProfileName::SchoolRun);
        assert_eq!(p.factor(RoadClass::Primary), 0.67);
        assert_eq!(p.factor(RoadClass::Motorway), 0.85);
        assert!(!p.is_free_flow());
        assert!(SpeedProfile::free_flow().is_free_flow());
    }

    #[test]
    fn overrides_and_bad_keys() {
        let mut cfg = SpeedsConfig {
            profile: SpeedProfileName::FreeFlow,
            factors: BTreeMap::from([("primary".to_string(), 0.5)]),
        };
        let p = SpeedProfile::from_config(&cfg).expect("valid");
        assert_eq!(p.factor(RoadClass::Primary), 0.5);
        assert_eq!(p.factor(RoadClass::Secondary), 1.0);
        cfg.factors.insert("motorways".into(), 0.9);
        let (key, msg) = SpeedProfile::from_config(&cfg).expect_err("unknown class");
        assert_eq!(key, "speeds.factors.motorways");
        assert!(msg.contains("motorway_link"), "{msg}");
        cfg.factors.remove("motorways");
        cfg.factors.insert("service".into(), 0.0);
        assert!(SpeedProfile::from_config(&cfg).is_err());
    }
}
