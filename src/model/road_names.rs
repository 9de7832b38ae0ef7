//! The names of the network's roads, from the OpenStreetMap extract: the map's street labels.
//!
//! Pure data: read by [`crate::load::osm`] with the roads, stored in the graph cache, drawn
//! by the vector tiles ([`crate::output::tiles`]). Not part of routing. No I/O.

use serde::{Deserialize, Serialize};

/// A road's label from its way's tags: `name`, else `ref` (e.g. `A38(M)` for a motorway
/// with no name), trimmed; `None` when neither has text.
pub fn label_of<'a>(tag: impl Fn(&str) -> Option<&'a str>) -> Option<&'a str> {
    ["name", "ref"]
        .into_iter()
        .filter_map(|k| tag(k).map(str::trim))
        .find(|v| !v.is_empty())
}

/// Road labels by OSM way id. Each distinct label is stored once (a city's many `High
/// Street`s share one string); ids are sorted, so a lookup is a binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoadNames {
    /// Way ids, ascending.
    ways: Vec<i64>,
    /// Per way (same order), its label's index in `labels`.
    label: Vec<u32>,
    /// The distinct labels, in order of first use.
    labels: Vec<String>,
}

impl RoadNames {
    /// From (way id, label) pairs in any order; a way named twice keeps its first label.
    pub fn from_pairs(mut pairs: Vec<(i64, String)>) -> RoadNames {
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut out = RoadNames::default();
        for (way, name) in pairs {
            let next = out.labels.len() as u32;
            let i = *index.entry(name.clone()).or_insert_with(|| {
                out.labels.push(name);
                next
            });
            out.ways.push(way);
            out.label.push(i);
        }
        out
    }

    /// The label's index (see [`RoadNames::label`]) of one way, if it has one.
    pub fn label_of_way(&self, way: i64) -> Option<u32> {
        let i = self.ways.binary_search(&way).ok()?;
        self.label.get(i).copied()
    }

    /// The label at an index from [`RoadNames::label_of_way`].
    pub fn label(&self, index: u32) -> Option<&str> {
        self.labels.get(index as usize).map(String::as_str)
    }

    /// Named ways.
    pub fn len(&self) -> usize {
        self.ways.len()
    }

    /// True when no way is named.
    pub fn is_empty(&self) -> bool {
        self.ways.is_empty()
    }

    /// Distinct labels.
    pub fn distinct(&self) -> usize {
        self.labels.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_then_ref() {
        let tags = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1)
        };
        assert_eq!(
            label_of(tags(&[("name", " High Street ")])),
            Some("High Street")
        );
        assert_eq!(
            label_of(tags(&[("name", "Bristol Road"), ("ref", "A38")])),
            Some("Bristol Road")
        );
        assert_eq!(label_of(tags(&[("ref", "A38(M)")])), Some("A38(M)"));
        assert_eq!(
            label_of(tags(&[("name", "  "), ("ref", "B4145")])),
            Some("B4145")
        );
        assert_eq!(label_of(tags(&[("highway", "residential")])), None);
    }

    #[test]
    fn labels_are_shared_and_found_by_way() {
        let names = RoadNames::from_pairs(vec![
            (30, "High Street".into()),
            (10, "Station Road".into()),
            (20, "High Street".into()),
            (10, "Other".into()),
        ]);
        assert_eq!(names.len(), 3);
        assert_eq!(names.distinct(), 2);
        let label = |w| names.label_of_way(w).and_then(|i| names.label(i));
        assert_eq!(label(10), Some("Station Road"));
        assert_eq!(label(20), Some("High Street"));
        assert_eq!(label(30), Some("High Street"));
        assert_eq!(names.label_of_way(20), names.label_of_way(30));
        assert_eq!(label(15), None);
        assert!(RoadNames::default().is_empty());
    }
}
