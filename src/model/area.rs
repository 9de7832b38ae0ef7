//! Areas: the home authority [`Boundary`] and layers of named areas ([`AreaLayer`]), with
//! point-in-polygon lookups.
//!
//! Point-in-polygon uses geo's `Intersects`, so **a point exactly on an edge or vertex counts
//! as inside** (also on the edge of a hole). Where areas of one layer overlap or share an
//! edge, [`AreaLayer::area_of`] returns the area that comes first in the file. Lookups first
//! filter by bounding box (an rstar index of area boxes), then test the polygons.
//! Coordinates are WGS84 lon/lat.
//!
//! Plain data and pure lookups; reading GeoJSON is `crate::load::areas`. No I/O; must not
//! import `crate::load`.

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Rect};
use geojson::JsonObject;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use crate::model::{Bbox, LatLon};

/// The bounding box of a `geo` rectangle (x = longitude, y = latitude).
pub fn rect_to_bbox(r: Rect<f64>) -> Bbox {
    Bbox {
        min_lat: r.min().y,
        min_lon: r.min().x,
        max_lat: r.max().y,
        max_lon: r.max().x,
    }
}

/// A position as a `geo` coordinate (x = longitude, y = latitude).
pub fn coord(p: LatLon) -> Coord<f64> {
    Coord { x: p.lon, y: p.lat }
}

/// True when `p` is in `mp`, edges included, testing each polygon's box first.
pub fn multipolygon_contains(mp: &MultiPolygon<f64>, p: Coord<f64>) -> bool {
    mp.0.iter().any(|poly| {
        poly.bounding_rect()
            .is_some_and(|r| r.intersects(&p) && poly.intersects(&p))
    })
}

/// The home authority: the union of every polygon in the boundary file.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    polygons: MultiPolygon<f64>,
    bbox: Option<Bbox>,
}

impl Default for Boundary {
    /// An empty boundary: contains nothing.
    fn default() -> Self {
        Self::new(MultiPolygon(Vec::new()))
    }
}

impl Boundary {
    /// Builds a boundary from polygons (lon/lat degrees).
    pub fn new(polygons: MultiPolygon<f64>) -> Self {
        let bbox = polygons.bounding_rect().map(rect_to_bbox);
        Self { polygons, bbox }
    }

    /// True when `p` lies inside the authority or exactly on its edge.
    pub fn contains(&self, p: LatLon) -> bool {
        self.bbox.is_some_and(|b| b.contains(p)) && multipolygon_contains(&self.polygons, coord(p))
    }

    /// Bounding box of the authority; `None` when the boundary is empty.
    pub fn bbox(&self) -> Option<Bbox> {
        self.bbox
    }

    /// The polygons (x = longitude, y = latitude, degrees).
    pub fn polygons(&self) -> &MultiPolygon<f64> {
        &self.polygons
    }

    /// True when there is no polygon (e.g. the file failed to load).
    pub fn is_empty(&self) -> bool {
        self.polygons.0.is_empty()
    }
}

/// One named area of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// Id from the layer's id property (e.g. a ward code).
    pub id: String,
    /// Display name from the layer's name property.
    pub name: String,
    /// Polygons, x = longitude, y = latitude (degrees).
    pub geometry: MultiPolygon<f64>,
    /// Bounding box of `geometry`.
    pub bbox: Bbox,
    /// Every property of the feature, as in the file (e.g. a budget share).
    pub properties: JsonObject,
}

type AreaBox = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A layer of named areas with a bounding-box index for point lookups.
#[derive(Debug, Clone)]
pub struct AreaLayer {
    /// Layer id from the scenario.
    pub id: String,
    /// Layer display name.
    pub name: String,
    /// Areas in file order (ids unique).
    pub areas: Vec<Area>,
    index: RTree<AreaBox>,
}

impl AreaLayer {
    /// Builds a layer from areas (the index is built here).
    pub fn new(id: &str, name: &str, areas: Vec<Area>) -> Self {
        let boxes = areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let r = Rectangle::from_corners(
                    [a.bbox.min_lon, a.bbox.min_lat],
                    [a.bbox.max_lon, a.bbox.max_lat],
                );
                GeomWithData::new(r, i)
            })
            .collect();
        Self {
            id: id.to_string(),
            name: name.to_string(),
            areas,
            index: RTree::bulk_load(boxes),
        }
    }

    /// Index (into `areas`) of the area holding `p`, edges included; the first in file order
    /// when several do; `None` when none does.
    pub fn area_of(&self, p: LatLon) -> Option<usize> {
        let c = coord(p);
        self.index
            .locate_all_at_point([p.lon, p.lat])
            .map(|b| b.data)
            .filter(|&i| {
                self.areas
                    .get(i)
                    .is_some_and(|a| multipolygon_contains(&a.geometry, c))
            })
            .min()
    }

    /// The area at `index`.
    pub fn get(&self, index: usize) -> Option<&Area> {
        self.areas.get(index)
    }

    /// Index of the area with id `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.areas.iter().position(|a| a.id == id)
    }

    /// Number of areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// True when the layer has no areas.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}
