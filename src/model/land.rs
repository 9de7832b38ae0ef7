//! Water and land use from the OpenStreetMap extract (areas and waterway lines): the map's
//! background. Not part of routing.
//!
//! Pure data and tag rules: read by [`crate::load::land`], stored in the graph cache, drawn
//! by the vector tiles ([`crate::output::tiles`]). No I/O.

use serde::{Deserialize, Serialize};

use crate::model::LatLon;

/// What an area is, by its OSM tags ([`LandKind::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LandKind {
    /// Lakes, reservoirs, river areas, docks: `natural=water`, `waterway=riverbank|dock`,
    /// `landuse=reservoir|basin`.
    Water,
    /// `natural=wetland`.
    Wetland,
    /// `natural=wood`, `landuse=forest`.
    Wood,
    /// Parks and public green space: `leisure=park|garden|common|nature_reserve`,
    /// `landuse=recreation_ground|village_green`.
    Park,
    /// Grass, meadow, heath, scrub, golf courses: `landuse=grass|meadow`,
    /// `natural=grassland|heath|scrub`, `leisure=golf_course`.
    Grass,
    /// Farmland: `landuse=farmland|farmyard|orchard|vineyard|allotments|plant_nursery`.
    Farmland,
    /// `landuse=residential`.
    Residential,
    /// Industry, commerce, railways and works: `landuse=industrial|commercial|retail|railway|
    /// quarry|construction|brownfield|landfill`.
    Industrial,
    /// `landuse=cemetery`, `amenity=grave_yard`.
    Cemetery,
}

impl LandKind {
    /// Every kind, in the order the map draws them (water last, on top).
    pub const ALL: [LandKind; 9] = [
        LandKind::Farmland,
        LandKind::Residential,
        LandKind::Industrial,
        LandKind::Cemetery,
        LandKind::Grass,
        LandKind::Park,
        LandKind::Wood,
        LandKind::Wetland,
        LandKind::Water,
    ];

    /// The kind of an area from its tags (`get` looks a key up), or `None` when the tags
    /// describe no kind kept. Water wins over land use when both are tagged.
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::land::LandKind;
    /// let tags = |k: &str| (k == "natural").then_some("water");
    /// assert_eq!(LandKind::of(tags), Some(LandKind::Water));
    /// let tags = |k: &str| (k == "landuse").then_some("forest");
    /// assert_eq!(LandKind::of(tags), Some(LandKind::Wood));
    /// assert_eq!(LandKind::of(|_: &str| None), None);
    /// ```
    pub fn of<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<LandKind> {
        let natural = get("natural");
        let landuse = get("landuse");
        let leisure = get("leisure");
        if natural == Some("water")
            || matches!(get("waterway"), Some("riverbank" | "dock"))
            || matches!(landuse, Some("reservoir" | "basin"))
        {
            return Some(LandKind::Water);
        }
        if let Some(k) = natural.and_then(|v| match v {
            "wetland" => Some(LandKind::Wetland),
            "wood" => Some(LandKind::Wood),
            "grassland" | "heath" | "scrub" => Some(LandKind::Grass),
            _ => None,
        }) {
            return Some(k);
        }
        if let Some(k) = leisure.and_then(|v| match v {
            "park" | "garden" | "common" | "nature_reserve" => Some(LandKind::Park),
            "golf_course" => Some(LandKind::Grass),
            _ => None,
        }) {
            return Some(k);
        }
        if get("amenity") == Some("grave_yard") {
            return Some(LandKind::Cemetery);
        }
        landuse.and_then(|v| match v {
            "forest" => Some(LandKind::Wood),
            "recreation_ground" | "village_green" => Some(LandKind::Park),
            "grass" | "meadow" => Some(LandKind::Grass),
            "farmland" | "farmyard" | "orchard" | "vineyard" | "allotments" | "plant_nursery" => {
                Some(LandKind::Farmland)
            }
            "residential" => Some(LandKind::Residential),
            "industrial" | "commercial" | "retail" | "railway" | "quarry" | "construction"
            | "brownfield" | "landfill" => Some(LandKind::Industrial),
            "cemetery" => Some(LandKind::Cemetery),
            _ => None,
        })
    }

    /// The name the tiles and the map use.
    pub fn as_str(self) -> &'static str {
        match self {
            LandKind::Water => "water",
            LandKind::Wetland => "wetland",
            LandKind::Wood => "wood",
            LandKind::Park => "park",
            LandKind::Grass => "grass",
            LandKind::Farmland => "farmland",
            LandKind::Residential => "residential",
            LandKind::Industrial => "industrial",
            LandKind::Cemetery => "cemetery",
        }
    }
}

/// What a waterway line is (`waterway=river|canal|stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WaterwayKind {
    /// `waterway=river`.
    River,
    /// `waterway=canal`.
    Canal,
    /// `waterway=stream`.
    Stream,
}

impl WaterwayKind {
    /// The kind of a `waterway` value, or `None` for one not drawn (`drain`, `ditch`,
    /// `riverbank`, which is an area, ...).
    pub fn parse(value: &str) -> Option<WaterwayKind> {
        match value {
            "river" => Some(WaterwayKind::River),
            "canal" => Some(WaterwayKind::Canal),
            "stream" => Some(WaterwayKind::Stream),
            _ => None,
        }
    }

    /// The OSM value.
    pub fn as_str(self) -> &'static str {
        match self {
            WaterwayKind::River => "river",
            WaterwayKind::Canal => "canal",
            WaterwayKind::Stream => "stream",
        }
    }
}

/// One area: a closed way, or a multipolygon relation's assembled rings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandArea {
    /// What it is.
    pub kind: LandKind,
    /// Per polygon its exterior ring then its holes, each ring closed (first point repeated
    /// last), WGS84.
    pub polygons: Vec<Vec<Vec<LatLon>>>,
}

/// One waterway line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waterway {
    /// What it is.
    pub kind: WaterwayKind,
    /// The `name` tag, when there is one.
    pub name: Option<String>,
    /// Its points, WGS84.
    pub line: Vec<LatLon>,
}

/// What was read and what was left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandCounts {
    /// Closed ways kept as areas.
    pub area_ways: u64,
    /// Multipolygon relations kept as areas.
    pub multipolygons: u64,
    /// Multipolygon relations left out: no outer ring could be closed from their members
    /// (members outside the extract, or broken rings).
    pub multipolygons_unclosed: u64,
    /// Rings of kept multipolygons left out because they did not close.
    pub rings_unclosed: u64,
    /// Inner rings left out because no outer ring holds them.
    pub holes_outside: u64,
    /// Areas and waterways left out because nodes they use are missing from the extract.
    pub missing_nodes: u64,
    /// Waterway lines kept.
    pub waterways: u64,
}

/// The extract's water and land use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Land {
    /// Areas, in OSM id order (closed ways, then multipolygon relations).
    pub areas: Vec<LandArea>,
    /// Waterway lines, in OSM id order.
    pub waterways: Vec<Waterway>,
    /// What was read and left out.
    pub counts: LandCounts,
}

impl Land {
    /// One line on what was read and what was left out, for the `prepare` log: e.g.
    /// "412 water and land-use areas (398 closed ways, 14 multipolygons), 95 waterways; left
    /// out: 2 multipolygons whose rings do not close, ...". Each reason left out is named
    /// with its count (none when nothing was).
    pub fn describe(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "{} water and land-use areas ({} closed ways, {} multipolygons), {} waterways",
            self.areas.len(),
            c.area_ways,
            c.multipolygons,
            self.waterways.len()
        );
        let left: Vec<String> = [
            (
                c.multipolygons_unclosed,
                ["multipolygon", "multipolygons"],
                "with no closed outer ring",
            ),
            (
                c.rings_unclosed,
                ["ring", "rings"],
                "of kept multipolygons that do not close",
            ),
            (
                c.holes_outside,
                ["inner ring", "inner rings"],
                "outside every outer ring",
            ),
            (
                c.missing_nodes,
                ["feature", "features"],
                "with nodes missing from the extract",
            ),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, [one, many], what)| format!("{n} {} {what}", if n == 1 { one } else { many }))
        .collect();
        if !left.is_empty() {
            s.push_str("; left out: ");
            s.push_str(&left.join(", "));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |k| pairs.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v)
    }

    #[test]
    fn water_wins_and_unknown_values_are_none() {
        assert_eq!(
            LandKind::of(tags(&[("landuse", "forest"), ("natural", "water")])),
            Some(LandKind::Water)
        );
        assert_eq!(
            LandKind::of(tags(&[("landuse", "reservoir")])),
            Some(LandKind::Water)
        );
        assert_eq!(
            LandKind::of(tags(&[("leisure", "park")])),
            Some(LandKind::Park)
        );
        assert_eq!(
            LandKind::of(tags(&[("amenity", "grave_yard")])),
            Some(LandKind::Cemetery)
        );
        assert_eq!(LandKind::of(tags(&[("landuse", "military")])), None);
        assert_eq!(LandKind::of(tags(&[("building", "yes")])), None);
    }

    #[test]
    fn the_log_line_names_each_reason_with_its_count() {
        let mut land = Land::default();
        assert!(!land.describe().contains("left out"));
        land.counts.multipolygons_unclosed = 1;
        land.counts.rings_unclosed = 3;
        let s = land.describe();
        assert!(s.ends_with(
            "left out: 1 multipolygon with no closed outer ring, 3 rings of kept multipolygons \
             that do not close"
        ));
    }

    #[test]
    fn every_kind_is_drawn_once() {
        let mut names: Vec<&str> = LandKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), LandKind::ALL.len());
        assert_eq!(LandKind::ALL.last(), Some(&LandKind::Water));
        assert_eq!(WaterwayKind::parse("canal"), Some(WaterwayKind::Canal));
        assert_eq!(WaterwayKind::parse("ditch"), None);
    }
}
