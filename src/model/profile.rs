//! The car profile: which OpenStreetMap ways a car may drive, in which direction, how fast.
//!
//! Pure functions of a way's tags, exactly as documented in the README ("The car profile").
//! Tag values are compared exactly as written (case-sensitive). This module does no I/O and
//! knows nothing of PBF; `osm.rs` feeds it tags through a lookup closure.

use serde::{Deserialize, Serialize};

/// Road class of a drivable way (the OSM `highway` value), with its default speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum RoadClass {
    /// `highway=motorway`, 96 km/h.
    Motorway,
    /// `highway=motorway_link`, 64 km/h.
    MotorwayLink,
    /// `highway=trunk`, 80 km/h.
    Trunk,
    /// `highway=trunk_link`, 56 km/h.
    TrunkLink,
    /// `highway=primary`, 64 km/h.
    Primary,
    /// `highway=primary_link`, 48 km/h.
    PrimaryLink,
    /// `highway=secondary`, 56 km/h.
    Secondary,
    /// `highway=secondary_link`, 48 km/h.
    SecondaryLink,
    /// `highway=tertiary`, 48 km/h.
    Tertiary,
    /// `highway=tertiary_link`, 40 km/h.
    TertiaryLink,
    /// `highway=unclassified`, 40 km/h.
    Unclassified,
    /// `highway=residential`, 32 km/h.
    Residential,
    /// `highway=living_street`, 16 km/h.
    LivingStreet,
    /// `highway=service`, 16 km/h.
    Service,
    /// `highway=road`, 32 km/h.
    Road,
}

impl RoadClass {
    /// Every class, in declaration order.
    pub const ALL: [RoadClass; 15] = [
        RoadClass::Motorway,
        RoadClass::MotorwayLink,
        RoadClass::Trunk,
        RoadClass::TrunkLink,
        RoadClass::Primary,
        RoadClass::PrimaryLink,
        RoadClass::Secondary,
        RoadClass::SecondaryLink,
        RoadClass::Tertiary,
        RoadClass::TertiaryLink,
        RoadClass::Unclassified,
        RoadClass::Residential,
        RoadClass::LivingStreet,
        RoadClass::Service,
        RoadClass::Road,
    ];

    /// The class for an exact `highway` tag value; `None` when the value is not drivable.
    pub fn from_highway(value: &str) -> Option<RoadClass> {
        RoadClass::ALL.into_iter().find(|c| c.as_str() == value)
    }

    /// The OSM `highway` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Motorway => "motorway",
            RoadClass::MotorwayLink => "motorway_link",
            RoadClass::Trunk => "trunk",
            RoadClass::TrunkLink => "trunk_link",
            RoadClass::Primary => "primary",
            RoadClass::PrimaryLink => "primary_link",
            RoadClass::Secondary => "secondary",
            RoadClass::SecondaryLink => "secondary_link",
            RoadClass::Tertiary => "tertiary",
            RoadClass::TertiaryLink => "tertiary_link",
            RoadClass::Unclassified => "unclassified",
            RoadClass::Residential => "residential",
            RoadClass::LivingStreet => "living_street",
            RoadClass::Service => "service",
            RoadClass::Road => "road",
        }
    }

    /// Default speed in km/h when no lower `maxspeed` applies.
    pub fn default_speed_kmh(self) -> f64 {
        match self {
            RoadClass::Motorway => 96.0,
            RoadClass::MotorwayLink => 64.0,
            RoadClass::Trunk => 80.0,
            RoadClass::TrunkLink => 56.0,
            RoadClass::Primary => 64.0,
            RoadClass::PrimaryLink => 48.0,
            RoadClass::Secondary => 56.0,
            RoadClass::SecondaryLink => 48.0,
            RoadClass::Tertiary => 48.0,
            RoadClass::TertiaryLink => 40.0,
            RoadClass::Unclassified => 40.0,
            RoadClass::Residential => 32.0,
            RoadClass::LivingStreet => 16.0,
            RoadClass::Service => 16.0,
            RoadClass::Road => 32.0,
        }
    }

    /// True for roads that people live on (used to place synthetic homes).
    pub fn is_residential(self) -> bool {
        matches!(self, RoadClass::Residential | RoadClass::LivingStreet)
    }
}

/// Which way along the way's node order a car may travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only in the order of the way's nodes.
    Forward,
    /// Only against the order of the way's nodes.
    Backward,
}

impl Direction {
    /// True when travel in node order is allowed.
    pub fn forward(self) -> bool {
        matches!(self, Direction::Both | Direction::Forward)
    }

    /// True when travel against node order is allowed.
    pub fn backward(self) -> bool {
        matches!(self, Direction::Both | Direction::Backward)
    }
}

/// What the car profile makes of a drivable way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WayRule {
    /// Road class from `highway`.
    pub class: RoadClass,
    /// Speed in km/h: the class default, lowered by a parsable lower `maxspeed`.
    pub speed_kmh: f64,
    /// Allowed direction(s) of travel.
    pub direction: Direction,
}

/// Why a way with a `highway` tag is not drivable (counted in the load summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Excluded {
    /// No `highway` tag, or a value outside the profile's table.
    NotARoad,
    /// `area=yes`.
    Area,
    /// The deciding access tag is `no` or `private`.
    NoAccess,
    /// `oneway=reversible` or `oneway=alternating`.
    Reversible,
}

/// Apply the car profile to a way's tags, looked up through `tag` (key -> value).
///
/// # Examples
/// ```
/// use nearhome::model::profile::{car_profile, Direction};
/// let tags = [("highway", "residential"), ("maxspeed", "15 mph")];
/// let rule = car_profile(|k| tags.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v)).unwrap();
/// assert!((rule.speed_kmh - 24.14016).abs() < 1e-9);
/// assert_eq!(rule.direction, Direction::Both);
/// ```
pub fn car_profile<'a>(tag: impl Fn(&str) -> Option<&'a str>) -> Result<WayRule, Excluded> {
    let class = tag("highway")
        .and_then(RoadClass::from_highway)
        .ok_or(Excluded::NotARoad)?;
    if tag("area") == Some("yes") {
        return Err(Excluded::Area);
    }
    let access = ["motorcar", "motor_vehicle", "vehicle", "access"]
        .into_iter()
        .find_map(&tag);
    if matches!(access, Some("no" | "private")) {
        return Err(Excluded::NoAccess);
    }
    let direction = match tag("oneway") {
        Some("yes" | "true" | "1") => Direction::Forward,
        Some("-1" | "reverse") => Direction::Backward,
        Some("reversible" | "alternating") => return Err(Excluded::Reversible),
        Some("no") => Direction::Both,
        _ => {
            let implied = matches!(tag("junction"), Some("roundabout" | "circular"))
                || matches!(class, RoadClass::Motorway | RoadClass::MotorwayLink);
            if implied {
                Direction::Forward
            } else {
                Direction::Both
            }
        }
    };
    let default = class.default_speed_kmh();
    let speed_kmh = match tag("maxspeed").and_then(parse_maxspeed_kmh) {
        Some(v) if v < default => v,
        _ => default,
    };
    Ok(WayRule {
        class,
        speed_kmh,
        direction,
    })
}

/// Parse a `maxspeed` value into km/h, exactly per the profile; `None` when it does not parse
/// (other spellings, zero, negative, non-finite).
///
/// Accepted: a plain decimal number (`30`, `42.5`) in km/h; `N mph` with exactly one space
/// (N a plain decimal number) as N × 1.609344; `GB:nsl_single` 96.56; `GB:nsl_dual` and
/// `GB:motorway` 112.65; `GB:zone20` 32.19; `GB:zone30` 48.28.
pub fn parse_maxspeed_kmh(value: &str) -> Option<f64> {
    let v = match value {
        "GB:nsl_single" => 96.56,
        "GB:nsl_dual" | "GB:motorway" => 112.65,
        "GB:zone20" => 32.19,
        "GB:zone30" => 48.28,
        _ => match value.strip_suffix(" mph") {
            Some(n) => plain_number(n)? * 1.609344,
            None => plain_number(value)?,
        },
    };
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Digits with at most one decimal point and digits on both sides of it (`30`, `42.5`).
fn plain_number(s: &str) -> Option<f64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(tags: &[(&str, &str)]) -> Result<WayRule, Excluded> {
        car_profile(|k| tags.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v))
    }

    #[test]
    fn highway_table_and_unknown_values() {
        assert_eq!(rule(&[("highway", "primary")]).unwrap().speed_kmh, 64.0);
        assert_eq!(rule(&[("highway", "road")]).unwrap().speed_kmh, 32.0);
        assert_eq!(rule(&[("highway", "footway")]), Err(Excluded::NotARoad));
        assert_eq!(rule(&[("highway", "Primary")]), Err(Excluded::NotARoad));
        assert_eq!(rule(&[("building", "yes")]), Err(Excluded::NotARoad));
        assert_eq!(
            rule(&[("highway", "service"), ("area", "yes")]),
            Err(Excluded::Area)
        );
    }

    #[test]
    fn access_first_present_key_decides() {
        let r = rule(&[
            ("highway", "service"),
            ("access", "private"),
            ("motor_vehicle", "yes"),
        ]);
        assert!(r.is_ok());
        assert_eq!(
            rule(&[("highway", "service"), ("access", "private")]),
            Err(Excluded::NoAccess)
        );
        assert_eq!(
            rule(&[("highway", "service"), ("vehicle", "no"), ("access", "yes")]),
            Err(Excluded::NoAccess)
        );
        assert!(rule(&[
            ("highway", "service"),
            ("motorcar", "destination"),
            ("access", "no")
        ])
        .is_ok());
    }

    #[test]
    fn direction_rules() {
        let d = |t: &[(&str, &str)]| rule(t).map(|r| r.direction);
        assert_eq!(d(&[("highway", "primary")]), Ok(Direction::Both));
        assert_eq!(
            d(&[("highway", "primary"), ("oneway", "yes")]),
            Ok(Direction::Forward)
        );
        assert_eq!(
            d(&[("highway", "primary"), ("oneway", "1")]),
            Ok(Direction::Forward)
        );
        assert_eq!(
            d(&[("highway", "primary"), ("oneway", "-1")]),
            Ok(Direction::Backward)
        );
        assert_eq!(
            d(&[("highway", "primary"), ("oneway", "reverse")]),
            Ok(Direction::Backward)
        );
        assert_eq!(
            d(&[("highway", "primary"), ("oneway", "alternating")]),
            Err(Excluded::Reversible)
        );
        assert_eq!(
            d(&[("highway", "primary"), ("junction", "roundabout")]),
            Ok(Direction::Forward)
        );
        assert_eq!(
            d(&[
                ("highway", "primary"),
                ("junction", "roundabout"),
                ("oneway", "no")
            ]),
            Ok(Direction::Both)
        );
        assert_eq!(d(&[("highway", "motorway")]), Ok(Direction::Forward));
        assert_eq!(
            d(&[("highway", "motorway_link"), ("oneway", "No")]),
            Ok(Direction::Forward)
        );
        assert_eq!(
            d(&[("highway", "motorway"), ("oneway", "no")]),
            Ok(Direction::Both)
        );
        assert_eq!(
            d(&[("highway", "primary"), ("oneway", "YES")]),
            Ok(Direction::Both)
        );
    }

    #[test]
    fn maxspeed_forms() {
        assert_eq!(parse_maxspeed_kmh("30"), Some(30.0));
        assert_eq!(parse_maxspeed_kmh("42.5"), Some(42.5));
        assert_eq!(parse_maxspeed_kmh("20 mph"), Some(20.0 * 1.609344));
        assert_eq!(parse_maxspeed_kmh("GB:nsl_single"), Some(96.56));
        assert_eq!(parse_maxspeed_kmh("GB:nsl_dual"), Some(112.65));
        assert_eq!(parse_maxspeed_kmh("GB:motorway"), Some(112.65));
        assert_eq!(parse_maxspeed_kmh("GB:zone20"), Some(32.19));
        assert_eq!(parse_maxspeed_kmh("GB:zone30"), Some(48.28));
        for bad in [
            "0",
            "-30",
            "20mph",
            "20  mph",
            "20 MPH",
            "30 km/h",
            "gb:zone20",
            "",
            ".5",
            "5.",
            "none",
            "signals",
            "1e3",
            "0 mph",
            "NaN",
            "inf",
        ] {
            assert_eq!(parse_maxspeed_kmh(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn maxspeed_only_lowers() {
        let s = |t: &[(&str, &str)]| rule(t).unwrap().speed_kmh;
        assert_eq!(s(&[("highway", "residential"), ("maxspeed", "50")]), 32.0);
        assert_eq!(
            s(&[("highway", "primary"), ("maxspeed", "30 mph")]),
            48.28032
        );
        assert_eq!(
            s(&[("highway", "motorway"), ("maxspeed", "GB:motorway")]),
            96.0
        );
        assert_eq!(s(&[("highway", "trunk"), ("maxspeed", "0")]), 80.0);
        assert_eq!(s(&[("highway", "trunk"), ("maxspeed", "fast")]), 80.0);
    }
}
