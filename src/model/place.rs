//! Named places from the OpenStreetMap extract (`place=*` nodes): the map's labels.
//!
//! Pure data: read by [`crate::load::osm`], stored in the graph cache, drawn by the vector
//! tiles ([`crate::output::tiles`]). No I/O.

use serde::{Deserialize, Serialize};

use crate::model::LatLon;

/// The `place=*` values kept, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PlaceKind {
    /// `place=city`.
    City,
    /// `place=town`.
    Town,
    /// `place=suburb`.
    Suburb,
    /// `place=village`.
    Village,
    /// `place=hamlet`.
    Hamlet,
    /// `place=neighbourhood`.
    Neighbourhood,
}

impl PlaceKind {
    /// Every kind kept, most important first.
    pub const ALL: [PlaceKind; 6] = [
        PlaceKind::City,
        PlaceKind::Town,
        PlaceKind::Suburb,
        PlaceKind::Village,
        PlaceKind::Hamlet,
        PlaceKind::Neighbourhood,
    ];

    /// The kind of an OSM `place` value (exactly as written), or `None` for a value not kept
    /// (`locality`, `isolated_dwelling`, `county`, ...).
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::place::PlaceKind;
    /// assert_eq!(PlaceKind::parse("town"), Some(PlaceKind::Town));
    /// assert_eq!(PlaceKind::parse("locality"), None);
    /// ```
    pub fn parse(value: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The OSM value.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::City => "city",
            PlaceKind::Town => "town",
            PlaceKind::Suburb => "suburb",
            PlaceKind::Village => "village",
            PlaceKind::Hamlet => "hamlet",
            PlaceKind::Neighbourhood => "neighbourhood",
        }
    }

    /// Label priority: 1 (city) to 6 (neighbourhood), lower first.
    pub fn rank(self) -> u8 {
        match self {
            PlaceKind::City => 1,
            PlaceKind::Town => 2,
            PlaceKind::Suburb => 3,
            PlaceKind::Village => 4,
            PlaceKind::Hamlet => 5,
            PlaceKind::Neighbourhood => 6,
        }
    }
}

/// A named place: an OSM node with `place` of a kept kind and a `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// OSM node id.
    pub osm_id: i64,
    /// The `name` tag.
    pub name: String,
    /// The `place` tag.
    pub kind: PlaceKind,
    /// The `population` tag when it is a whole number (thousands separators `,` or a
    /// space allowed), else `None`.
    pub population: Option<u64>,
    /// Location, WGS84.
    pub pos: LatLon,
}

/// A `population` tag as a whole number: digits, optionally grouped by `,` or spaces
/// (`12,345`, `12 345`); anything else (`c. 5000`, `1.2k`, empty) is `None`.
///
/// # Examples
/// ```
/// use nearhome::model::place::parse_population;
/// assert_eq!(parse_population("12,345"), Some(12345));
/// assert_eq!(parse_population("about 500"), None);
/// ```
pub fn parse_population(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
    {
        return None;
    }
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Order places for labels: most important kind first, then larger population, then OSM id
/// (deterministic whatever the read order).
pub fn sort_places(places: &mut [Place]) {
    places.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(b.population.cmp(&a.population))
            .then(a.osm_id.cmp(&b.osm_id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_parses_only_whole_numbers() {
        assert_eq!(parse_population("500"), Some(500));
        assert_eq!(parse_population(" 1 234 "), Some(1234));
        assert_eq!(parse_population(""), None);
        assert_eq!(parse_population("-5"), None);
        assert_eq!(parse_population("1.5"), None);
        assert_eq!(parse_population("99999999999999999999999"), None);
    }

    #[test]
    fn kinds_round_trip_and_rank_in_order() {
        for (i, k) in PlaceKind::ALL.into_iter().enumerate() {
            assert_eq!(PlaceKind::parse(k.as_str()), Some(k));
            assert_eq!(usize::from(k.rank()), i + 1);
        }
        assert_eq!(PlaceKind::parse("Town"), None);
    }
}
