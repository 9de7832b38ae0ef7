//! The vehicles a council buys for home-to-school runs (`[fleet]` in `scenario.toml`): each
//! type's seats, wheelchair spaces and price, and what an escort costs.
//!
//! The defaults are ILLUSTRATIVE (documented in `docs/data.md`): a council replaces them with
//! its own contract rates. A run costs its vehicle's `gbp_per_day` (the morning and the
//! afternoon run) plus `gbp_per_mile` for the miles driven on both, plus `escort_gbp_per_day`
//! when it carries a pupil who needs an escort. A run's morning times add each later pupil's
//! boarding time (`boarding_minutes`, or `wheelchair_boarding_minutes` for a pupil who
//! travels in a wheelchair) to the road times, and the run reaches school at `arrive_by`.
//! Plain data; no I/O.

use serde::{Deserialize, Serialize};

/// One vehicle type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleType {
    /// Name used in outputs, e.g. `"minibus_16"`.
    pub name: String,
    /// Pupil seats (the driver and an escort not counted).
    pub seats: u32,
    /// Wheelchair spaces (a pupil travelling in a wheelchair takes one, not a seat).
    #[serde(default)]
    pub wheelchair_spaces: u32,
    /// Daily hire, £ (both runs).
    pub gbp_per_day: f64,
    /// Per mile driven, £.
    pub gbp_per_mile: f64,
}

impl VehicleType {
    /// True when the vehicle can carry `pupils` pupils of whom `wheelchairs` travel in their
    /// wheelchair.
    pub fn carries(&self, pupils: u32, wheelchairs: u32) -> bool {
        wheelchairs <= self.wheelchair_spaces && pupils - wheelchairs.min(pupils) <= self.seats
    }
}

/// `[fleet]`: the vehicle types and the escort's price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// Vehicle types (`[[fleet.vehicles]]`); the defaults when the table is absent.
    pub vehicles: Vec<VehicleType>,
    /// A passenger assistant (escort) for a day's runs, £.
    pub escort_gbp_per_day: f64,
    /// Time to board an ambulant pupil at their stop, minutes.
    pub boarding_minutes: f64,
    /// Time to board a pupil travelling in a wheelchair (ramp or lift, restraints), minutes.
    pub wheelchair_boarding_minutes: f64,
    /// When the morning runs reach school, `HH:MM` (pick-up times count back from it).
    pub arrive_by: String,
}

impl Default for FleetConfig {
    /// ILLUSTRATIVE rates (see the module docs): a taxi, a wheelchair-accessible taxi, 8-
    /// and 16-seat minibuses and a wheelchair minibus; an escort at £70 a day.
    fn default() -> Self {
        let v = |name: &str, seats, wheelchair_spaces, gbp_per_day, gbp_per_mile| VehicleType {
            name: name.to_string(),
            seats,
            wheelchair_spaces,
            gbp_per_day,
            gbp_per_mile,
        };
        FleetConfig {
            vehicles: vec![
                v("taxi", 4, 0, 30.0, 2.00),
                v("wheelchair_taxi", 3, 1, 45.0, 2.40),
                v("minibus_8", 8, 0, 110.0, 1.20),
                v("minibus_16", 16, 0, 150.0, 1.50),
                v("wheelchair_minibus", 6, 4, 170.0, 1.60),
            ],
            escort_gbp_per_day: 70.0,
            boarding_minutes: 1.0,
            wheelchair_boarding_minutes: 3.0,
            arrive_by: "08:45".into(),
        }
    }
}

impl FleetConfig {
    /// `arrive_by` as minutes after midnight, when it is a valid `HH:MM`.
    pub fn arrive_by_minutes(&self) -> Option<u32> {
        let (h, m) = self.arrive_by.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && self.arrive_by.trim().len() == 5).then_some(h * 60 + m)
    }

    /// Faults as `(key, message)`: no vehicle, a blank or repeated name, a vehicle that can
    /// carry nobody, a price that is not a finite non-negative number, no vehicle with a
    /// wheelchair space.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut faults = Vec::new();
        let mut fault = |key: String, msg: String| faults.push((key, msg));
        if self.vehicles.is_empty() {
            fault(
                "fleet.vehicles".into(),
                "the fleet has no vehicle type".into(),
            );
        }
        let money = |v: f64| v.is_finite() && v >= 0.0;
        if !money(self.escort_gbp_per_day) {
            fault(
                "fleet.escort_gbp_per_day".into(),
                format!(
                    "fleet.escort_gbp_per_day must be a non-negative amount (got {})",
                    self.escort_gbp_per_day
                ),
            );
        }
        for (key, x) in [
            ("boarding_minutes", self.boarding_minutes),
            (
                "wheelchair_boarding_minutes",
                self.wheelchair_boarding_minutes,
            ),
        ] {
            if !(x.is_finite() && (0.0..=60.0).contains(&x)) {
                fault(
                    format!("fleet.{key}"),
                    format!("fleet.{key} must be between 0 and 60 minutes (got {x})"),
                );
            }
        }
        if self.arrive_by_minutes().is_none() {
            fault(
                "fleet.arrive_by".into(),
                format!(
                    "fleet.arrive_by must be a time of day as HH:MM, e.g. 08:45 (got `{}`)",
                    crate::model::short(&self.arrive_by)
                ),
            );
        }
        for (i, v) in self.vehicles.iter().enumerate() {
            let key = format!("fleet.vehicles[{i}]");
            if v.name.trim().is_empty() {
                fault(key.clone(), format!("{key}: the name is blank"));
            } else if self.vehicles[..i].iter().any(|w| w.name == v.name) {
                fault(
                    key.clone(),
                    format!("{key}: the name `{}` is used twice", v.name),
                );
            }
            if v.seats + v.wheelchair_spaces == 0 {
                fault(
                    key.clone(),
                    format!("{key} ({}): no seat and no wheelchair space", v.name),
                );
            }
            for (what, x) in [
                ("gbp_per_day", v.gbp_per_day),
                ("gbp_per_mile", v.gbp_per_mile),
            ] {
                if !money(x) {
                    fault(
                        format!("{key}.{what}"),
                        format!("{key}.{what} must be a non-negative amount (got {x})"),
                    );
                }
            }
        }
        if !self.vehicles.is_empty() && self.vehicles.iter().all(|v| v.wheelchair_spaces == 0) {
            fault(
                "fleet.vehicles".into(),
                "no vehicle type has a wheelchair space: pupils travelling in a wheelchair could not be carried".into(),
            );
        }
        faults
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_sound_and_capacity_counts_wheelchairs_apart() {
        let f = FleetConfig::default();
        assert!(f.check().is_empty(), "{:?}", f.check());
        let wav = &f.vehicles[1];
        assert!(wav.carries(4, 1) && !wav.carries(5, 1) && !wav.carries(2, 2));
        assert!(
            !f.vehicles[0].carries(1, 1),
            "a taxi has no wheelchair space"
        );
    }

    #[test]
    fn bad_fleets_are_refused_by_key() {
        let text = r#"
            escort_gbp_per_day = -5.0
            [[vehicles]]
            name = "taxi"
            seats = 0
            gbp_per_day = 30.0
            gbp_per_mile = nan
            [[vehicles]]
            name = "taxi"
            seats = 4
            gbp_per_day = 30.0
            gbp_per_mile = 2.0
        "#;
        let f: FleetConfig = toml::from_str(text).expect("parses");
        let keys: Vec<String> = f.check().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "fleet.escort_gbp_per_day",
                "fleet.vehicles[0]",
                "fleet.vehicles[0].gbp_per_mile",
                "fleet.vehicles[1]",
                "fleet.vehicles",
            ]
        );
        let f = FleetConfig {
            arrive_by: "8:45".into(),
            boarding_minutes: -1.0,
            ..FleetConfig::default()
        };
        let keys: Vec<String> = f.check().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["fleet.boarding_minutes", "fleet.arrive_by"]);
        assert_eq!(
            FleetConfig::default().arrive_by_minutes(),
            Some(8 * 60 + 45)
        );
        assert!(toml::from_str::<FleetConfig>("[[vehicles]]\nname = \"x\"\nseats = 1\ngbp_per_day = 1.0\ngbp_per_mile = 1.0\ncolour = \"red\"\n").is_err());
    }
}
