//! Mapbox Vector Tiles (MVT v2, extent 4096) of the base map and of the officers' layers,
//! built from the loaded scenario: pure geometry and encoding, no I/O (the handlers and
//! the tile cache are in `crate::serve::tiles`).
//!
//! Three sources, each indexed once ([`BaseTiles`], [`OfficerTiles`], [`RunTiles`]) and cut
//! into tiles on request ([`BaseTiles::tile`], [`OfficerTiles::tile`], [`RunTiles::tile`]):
//! - **base** (public): `landuse` and `water` (the extract's areas by [`LandKind`]),
//!   `waterways` (rivers, canals, streams), `roads` (the graph's pieces chained per OSM
//!   way, by [`TileClass`]),
//!   `boundary` (the authority's outline as lines), `areas` (every area layer's polygons),
//!   `provisions` (points with public, non-pupil fields only) and `places` (the extract's
//!   `place=*` nodes). Nothing derived from pupils goes in: pupil-derived counts stay in the
//!   JSON API, which goes through disclosure control.
//! - **officer**: `journeys` (each pupil's current journey line, routed or estimated;
//!   no pupil id, no need, no postcode) and `moves` (the bring-back moves as straight lines
//!   from the current placement to the proposed one).
//! - **runs** (officer; apart so the journeys need not wait for the run planning): `runs`
//!   (each planned shared run as a line along the roads through its pupils' homes in
//!   pick-up order, then the school; no pupil id, need or postcode).
//!
//! Geometry: WGS84 to Web Mercator (EPSG:3857, latitudes clamped to ±85.0511°), to tile
//! units, clipped to the tile plus a [`BUFFER`] of 64 units (lines by Liang–Barsky per
//! segment, polygon rings by Sutherland–Hodgman), simplified by Douglas–Peucker at
//! [`tolerance`] (one pixel of a 512-pixel tile below [`TILEJSON_MAX_ZOOM`], an eighth of
//! one from it on, where the client overzooms), rounded to integers with repeated points
//! dropped. Polygon rings are oriented as the specification wants (exteriors with a
//! positive surveyor's area in tile coordinates, y down; holes negative).
//!
//! Roads are one feature per class in a tile (from [`ROAD_NAMES_FROM`], per class and
//! name): the lines cut from it are joined end to end ([`merge_lines`]) and, below
//! [`TILEJSON_MAX_ZOOM`], lines under a pixel across are left out.
//!
//! Which features appear at which zoom: [`TileClass::min_zoom`] for roads,
//! [`place_min_zoom`] for places, [`land_min_zoom`] and [`waterway_min_zoom`] for water and
//! land use; the boundary, areas and provisions at every zoom.

use std::ops::Range;

use geo::{LineString, Simplify};
use mvt::{GeomEncoder, GeomType, Layer, Tile};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::analyse::Analysed;
use crate::model::land::{Land, LandKind, WaterwayKind};
use crate::model::phase::Phase;
use crate::model::place::{Place, PlaceKind};
use crate::model::profile::RoadClass;
use crate::model::LatLon;
use crate::query::route::Route;

/// Tile extent: coordinates per tile side.
pub const EXTENT: u32 = 4096;
/// Tile units kept beyond each edge, so lines and fills join up across tiles.
pub const BUFFER: f64 = 64.0;
/// Highest zoom served (the tiles of higher zooms are 404).
pub const MAX_ZOOM: u8 = 16;
/// The `maxzoom` the TileJSON advertises: clients overzoom its tiles beyond it.
pub const TILEJSON_MAX_ZOOM: u8 = 14;
/// The zoom from which roads carry their names (`name`: the way's `name`, else its `ref`),
/// one feature per class and name; below it, one feature per class and no names.
pub const ROAD_NAMES_FROM: u8 = 14;
/// Web Mercator's latitude limit, degrees.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Douglas–Peucker tolerance at zoom `z`, tile units: 8 (one pixel of a 512-pixel tile)
/// below [`TILEJSON_MAX_ZOOM`], 1 from it on (its tiles are overzoomed by the client, so they
/// keep the detail of higher zooms).
pub fn tolerance(z: u8) -> f64 {
    if z >= TILEJSON_MAX_ZOOM {
        1.0
    } else {
        f64::from(EXTENT) / 512.0
    }
}

/// A tile address (XYZ scheme, y down from the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom, 0..=[`MAX_ZOOM`].
    pub z: u8,
    /// Column, 0..2^z.
    pub x: u32,
    /// Row, 0..2^z.
    pub y: u32,
}

impl TileId {
    /// A tile address, or `None` when the zoom is above [`MAX_ZOOM`] or `x`/`y` are not below
    /// 2^z.
    ///
    /// # Examples
    /// ```
    /// use nearhome::output::tiles::TileId;
    /// assert!(TileId::new(0, 0, 0).is_some());
    /// assert!(TileId::new(1, 2, 0).is_none());
    /// assert!(TileId::new(17, 0, 0).is_none());
    /// ```
    pub fn new(z: u8, x: u32, y: u32) -> Option<TileId> {
        let n = 1u32 << z.min(31);
        (z <= MAX_ZOOM && x < n && y < n).then_some(TileId { z, x, y })
    }

    /// The tile at zoom `z` holding a WGS84 point.
    pub fn containing(p: LatLon, z: u8) -> TileId {
        let [mx, my] = mercator(p);
        let n = f64::from(1u32 << z.min(MAX_ZOOM));
        let cell = |v: f64| ((v * n).floor().max(0.0) as u32).min(n as u32 - 1);
        TileId {
            z: z.min(MAX_ZOOM),
            x: cell(mx),
            y: cell(my),
        }
    }

    /// The tile's area in Mercator units (0..1, y down), with `buffer` tile units around it.
    fn envelope(self, buffer: f64) -> AABB<[f64; 2]> {
        let n = f64::from(1u32 << self.z);
        let pad = buffer / f64::from(EXTENT);
        let x0 = (f64::from(self.x) - pad) / n;
        let y0 = (f64::from(self.y) - pad) / n;
        let x1 = (f64::from(self.x) + 1.0 + pad) / n;
        let y1 = (f64::from(self.y) + 1.0 + pad) / n;
        AABB::from_corners([x0, y0], [x1, y1])
    }

    /// Mercator units (0..1) to this tile's units (0..[`EXTENT`] inside the tile).
    fn to_tile(self, m: [f64; 2]) -> [f64; 2] {
        let scale = f64::from(1u32 << self.z) * f64::from(EXTENT);
        let ox = f64::from(self.x) * f64::from(EXTENT);
        let oy = f64::from(self.y) * f64::from(EXTENT);
        [m[0] * scale - ox, m[1] * scale - oy]
    }
}

/// WGS84 to Web Mercator in units of the world square: x 0 (180° W) to 1 (180° E), y 0
/// (north, [`MAX_LATITUDE`]) to 1 (south).
///
/// # Examples
/// ```
/// use nearhome::model::LatLon;
/// use nearhome::output::tiles::mercator;
/// let [x, y] = mercator(LatLon { lat: 0.0, lon: 0.0 });
/// assert!((x - 0.5).abs() < 1e-12 && (y - 0.5).abs() < 1e-12);
/// ```
pub fn mercator(p: LatLon) -> [f64; 2] {
    let x = (p.lon + 180.0) / 360.0;
    let lat = p.lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    [x, y]
}

/// Web Mercator world units back to WGS84 (the inverse of [`mercator`]).
pub fn unmercator(m: [f64; 2]) -> LatLon {
    let lon = m[0] * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * m[1]);
    let lat = n.sinh().atan().to_degrees();
    LatLon { lat, lon }
}

// ---------------------------------------------------------------------------------------
// Geometry: clipping, simplification, orientation
// ---------------------------------------------------------------------------------------

/// Clip a polyline to the square `lo..=hi` (both axes), Liang–Barsky per segment: the
/// pieces inside, in order (a line leaving and re-entering gives several).
pub fn clip_line(pts: &[[f64; 2]], lo: f64, hi: f64) -> Vec<Vec<[f64; 2]>> {
    let mut out: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut cur: Vec<[f64; 2]> = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        match clip_segment(a, b, lo, hi) {
            Some((p, q, b_inside)) => {
                if cur.last() != Some(&p) {
                    if cur.len() > 1 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(p);
                }
                cur.push(q);
                if !b_inside {
                    if cur.len() > 1 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
            None => {
                if cur.len() > 1 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

/// The part of segment `a`–`b` inside the square, and whether `b` itself is inside.
fn clip_segment(a: [f64; 2], b: [f64; 2], lo: f64, hi: f64) -> Option<([f64; 2], [f64; 2], bool)> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a[0] - lo),
        (dx, hi - a[0]),
        (-dy, a[1] - lo),
        (dy, hi - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| [a[0] + t * dx, a[1] + t * dy];
    let p = if t0 > 0.0 { at(t0) } else { a };
    let (q, inside) = if t1 < 1.0 { (at(t1), false) } else { (b, true) };
    Some((p, q, inside))
}

/// Clip a closed ring (first point not repeated at the end) to the square `lo..=hi`,
/// Sutherland–Hodgman: a ring that may run along the square's edges (outside the tile
/// proper, within the buffer).
pub fn clip_ring(ring: &[[f64; 2]], lo: f64, hi: f64) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = ring.to_vec();
    // (axis, keep >= bound when true)
    for (axis, bound, keep_above) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)]
    {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if keep_above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut next = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            let cross = |a: [f64; 2], b: [f64; 2]| {
                let t = (bound - a[axis]) / (b[axis] - a[axis]);
                [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
            };
            match (inside(&prev), inside(&cur)) {
                (true, true) => next.push(cur),
                (true, false) => next.push(cross(prev, cur)),
                (false, true) => {
                    next.push(cross(prev, cur));
                    next.push(cur);
                }
                (false, false) => {}
            }
        }
        pts = next;
    }
    pts
}

/// Douglas–Peucker at `epsilon` (tile units), then rounding to integer tile units with
/// repeated points dropped.
pub fn simplify_round(pts: &[[f64; 2]], epsilon: f64) -> Vec<[i32; 2]> {
    let ls: LineString<f64> = pts.iter().map(|p| (p[0], p[1])).collect();
    let simple = ls.simplify(epsilon);
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(simple.0.len());
    for c in simple.coords() {
        let p = [c.x.round() as i32, c.y.round() as i32];
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Twice the signed surveyor's area of a ring (first point not repeated), integer tile
/// units: positive is clockwise on screen (y down), an exterior ring in MVT.
pub fn ring_area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// A ring ready to encode: clipped, simplified, rounded, without the closing point, with
/// the orientation MVT wants (`exterior`: positive area), or `None` when nothing of area
/// is left.
fn tile_ring(ring: &[[f64; 2]], epsilon: f64, exterior: bool) -> Option<Vec<[i32; 2]>> {
    let lo = -BUFFER;
    let hi = f64::from(EXTENT) + BUFFER;
    let open: &[[f64; 2]] = match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    };
    let mut clipped = clip_ring(open, lo, hi);
    if clipped.len() < 3 {
        return None;
    }
    if let Some(&first) = clipped.first() {
        clipped.push(first);
    }
    let mut pts = simplify_round(&clipped, epsilon);
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    let area = ring_area2(&pts);
    if area == 0 {
        return None;
    }
    if (area > 0) != exterior {
        pts.reverse();
    }
    Some(pts)
}

// ---------------------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------------------

/// A property value of a feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// A string.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A number with a fraction (encoded as a double).
    Float(f64),
}

type Props = Vec<(&'static str, Prop)>;

fn tag(feature: &mut mvt::Feature, key: &str, value: &Prop) {
    match value {
        Prop::Str(s) => feature.add_tag_string(key, s),
        Prop::Int(i) => feature.add_tag_sint(key, *i),
        Prop::Bool(b) => feature.add_tag_bool(key, *b),
        Prop::Float(v) => feature.add_tag_double(key, *v),
    }
}

/// A layer being filled, encoded as [`Tile::add_layer`] wants when finished.
struct LayerBuilder {
    layer: Layer,
}

impl LayerBuilder {
    fn new(tile: &Tile, name: &str) -> LayerBuilder {
        LayerBuilder {
            layer: tile.create_layer(name),
        }
    }

    fn push(&mut self, geom: mvt::GeomData, props: &Props) {
        if geom.is_empty() {
            return;
        }
        let mut f = std::mem::take(&mut self.layer).into_feature(geom);
        for (k, v) in props {
            tag(&mut f, k, v);
        }
        self.layer = f.into_layer();
    }

    /// Lines (each at least 2 points) as one (multi)linestring feature.
    fn lines(&mut self, lines: &[Vec<[i32; 2]>], props: &Props) {
        let lines: Vec<&Vec<[i32; 2]>> = lines.iter().filter(|l| l.len() > 1).collect();
        if lines.is_empty() {
            return;
        }
        let mut enc = GeomEncoder::<i32>::new(GeomType::Linestring);
        for l in lines {
            for p in l {
                if enc.add_point(p[0], p[1]).is_err() {
                    return;
                }
            }
            if enc.complete_geom().is_err() {
                return;
            }
        }
        if let Ok(g) = enc.encode() {
            self.push(g, props);
        }
    }

    /// Rings already oriented (each exterior followed by its holes) as one (multi)polygon.
    fn polygon(&mut self, rings: &[Vec<[i32; 2]>], props: &Props) {
        if rings.is_empty() {
            return;
        }
        let mut enc = GeomEncoder::<i32>::new(GeomType::Polygon);
        let mut last: Option<[i32; 2]> = None;
        for ring in rings {
            // The encoder joins a ring whose first point repeats the previous ring's last
            // point onto that ring: start such a ring one point later.
            let start = usize::from(last.is_some() && ring.first() == last.as_ref());
            let n = ring.len();
            for k in 0..n {
                let p = ring[(start + k) % n];
                if enc.add_point(p[0], p[1]).is_err() {
                    return;
                }
                last = Some(p);
            }
            if enc.complete_geom().is_err() {
                return;
            }
        }
        if let Ok(g) = enc.encode() {
            self.push(g, props);
        }
    }

    fn point(&mut self, p: [i32; 2], props: &Props) {
        let mut enc = GeomEncoder::<i32>::new(GeomType::Point);
        if enc.add_point(p[0], p[1]).is_err() {
            return;
        }
        if let Ok(g) = enc.encode() {
            self.push(g, props);
        }
    }

    fn finish(self, tile: &mut Tile) {
        if self.layer.num_features() > 0 {
            // Names are distinct and extents match by construction.
            let _ = tile.add_layer(self.layer);
        }
    }
}

/// A polyline in Mercator units cut for `tile`: clipped with the buffer, simplified,
/// rounded; the pieces left with at least 2 points.
fn tile_lines(tile: TileId, pts: impl Iterator<Item = [f64; 2]>) -> Vec<Vec<[i32; 2]>> {
    let local: Vec<[f64; 2]> = pts.map(|m| tile.to_tile(m)).collect();
    cut_local(tile, &local)
}

/// [`tile_lines`] for a WGS84 polyline, projecting only the segments whose bounding box
/// meets the tile with its buffer (a long line mostly elsewhere costs little).
fn tile_lines_ll<'a>(tile: TileId, pts: impl Iterator<Item = &'a LatLon>) -> Vec<Vec<[i32; 2]>> {
    let env = tile.envelope(BUFFER);
    let nw = unmercator(env.lower());
    let se = unmercator(env.upper());
    let (lon0, lon1, lat0, lat1) = (nw.lon, se.lon, se.lat, nw.lat);
    let mut out = Vec::new();
    let mut run: Vec<[f64; 2]> = Vec::new();
    let mut prev: Option<LatLon> = None;
    for &p in pts {
        if let Some(a) = prev {
            let meets = a.lon.max(p.lon) >= lon0
                && a.lon.min(p.lon) <= lon1
                && a.lat.max(p.lat) >= lat0
                && a.lat.min(p.lat) <= lat1;
            if meets {
                if run.is_empty() {
                    run.push(tile.to_tile(mercator(a)));
                }
                run.push(tile.to_tile(mercator(p)));
            } else if !run.is_empty() {
                out.extend(cut_local(tile, &run));
                run.clear();
            }
        }
        prev = Some(p);
    }
    if !run.is_empty() {
        out.extend(cut_local(tile, &run));
    }
    out
}

/// A polyline already in `tile`'s units: thinned (points closer than half the tolerance to
/// the last one kept are dropped, the last point kept: a cheap pass before Douglas–Peucker),
/// clipped with the buffer, simplified, rounded.
fn cut_local(tile: TileId, local: &[[f64; 2]]) -> Vec<Vec<[i32; 2]>> {
    let eps = tolerance(tile.z);
    let min2 = (eps / 2.0) * (eps / 2.0);
    let mut thin: Vec<[f64; 2]> = Vec::with_capacity(local.len());
    for (i, p) in local.iter().enumerate() {
        let keep = match thin.last() {
            None => true,
            Some(q) => {
                i + 1 == local.len() || (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) >= min2
            }
        };
        if keep {
            thin.push(*p);
        }
    }
    clip_line(&thin, -BUFFER, f64::from(EXTENT) + BUFFER)
        .iter()
        .map(|piece| simplify_round(piece, eps))
        .filter(|l| l.len() > 1)
        .collect()
}

/// Join lines that meet end to end (either way round) into longer ones, then simplify the
/// joined lines again at `epsilon`. The order is deterministic (input order of each chain's
/// first line).
pub fn merge_lines(lines: Vec<Vec<[i32; 2]>>, epsilon: f64) -> Vec<Vec<[i32; 2]>> {
    let mut ends: std::collections::HashMap<[i32; 2], Vec<usize>> =
        std::collections::HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if let (Some(a), Some(b)) = (l.first(), l.last()) {
            ends.entry(*a).or_default().push(i);
            ends.entry(*b).or_default().push(i);
        }
    }
    let mut used = vec![false; lines.len()];
    let mut out = Vec::new();
    // The unused line other than `i` with an end at `p`, if any.
    let next_at = |p: [i32; 2], used: &[bool]| -> Option<usize> {
        ends.get(&p)?.iter().copied().find(|&j| !used[j])
    };
    for i in 0..lines.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let mut chain: Vec<[i32; 2]> = lines[i].clone();
        for _ in 0..2 {
            while let Some(&end) = chain.last() {
                let Some(j) = next_at(end, &used) else { break };
                used[j] = true;
                let l = &lines[j];
                if l.first() == Some(&end) {
                    chain.extend_from_slice(&l[1..]);
                } else {
                    chain.extend(l.iter().rev().skip(1));
                }
            }
            chain.reverse();
        }
        if chain.len() > 2 {
            let f: Vec<[f64; 2]> = chain
                .iter()
                .map(|p| [f64::from(p[0]), f64::from(p[1])])
                .collect();
            chain = simplify_round(&f, epsilon);
        }
        out.push(chain);
    }
    out
}

/// A point in Mercator units in `tile`'s units, when inside the tile (buffer excluded: a
/// label is drawn by the one tile holding it).
fn tile_point(tile: TileId, m: [f64; 2]) -> Option<[i32; 2]> {
    let [x, y] = tile.to_tile(m);
    let e = f64::from(EXTENT);
    ((0.0..e).contains(&x) && (0.0..e).contains(&y)).then(|| [x.floor() as i32, y.floor() as i32])
}

/// The larger side of a line's bounding box, tile units.
fn extent(line: &[[i32; 2]]) -> f64 {
    let (mut lo, mut hi) = ([i32::MAX; 2], [i32::MIN; 2]);
    for p in line {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    f64::from((hi[0] - lo[0]).max(hi[1] - lo[1]))
}

type Indexed = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The items of `tree` whose boxes meet `env`, in index order (the order features are
/// encoded in, so a tile's bytes do not depend on the tree's layout).
fn sorted_hits(tree: &RTree<Indexed>, env: AABB<[f64; 2]>) -> Vec<u32> {
    let mut hits: Vec<u32> = tree
        .locate_in_envelope_intersecting(env)
        .map(|g| g.data)
        .collect();
    hits.sort_unstable();
    hits
}

fn bbox_of(pts: impl Iterator<Item = [f64; 2]>) -> Option<Rectangle<[f64; 2]>> {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for p in pts {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (lo[0] <= hi[0] && lo[1] <= hi[1]).then(|| Rectangle::from_corners(lo, hi))
}

// ---------------------------------------------------------------------------------------
// Base source
// ---------------------------------------------------------------------------------------

/// The `class` of a road in the `roads` layer, from its OSM `highway` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileClass {
    /// `motorway`, `motorway_link`.
    Motorway,
    /// `trunk`, `trunk_link`.
    Trunk,
    /// `primary`, `primary_link`.
    Primary,
    /// `secondary`, `secondary_link`.
    Secondary,
    /// `tertiary`, `tertiary_link`.
    Tertiary,
    /// `unclassified`, `residential`, `living_street`, `road`.
    Minor,
    /// `service`.
    Service,
}

impl TileClass {
    /// Every class, most important first.
    pub const ALL: [TileClass; 7] = [
        TileClass::Motorway,
        TileClass::Trunk,
        TileClass::Primary,
        TileClass::Secondary,
        TileClass::Tertiary,
        TileClass::Minor,
        TileClass::Service,
    ];

    /// The class of a drivable OSM highway value.
    pub fn of(class: RoadClass) -> TileClass {
        match class {
            RoadClass::Motorway | RoadClass::MotorwayLink => TileClass::Motorway,
            RoadClass::Trunk | RoadClass::TrunkLink => TileClass::Trunk,
            RoadClass::Primary | RoadClass::PrimaryLink => TileClass::Primary,
            RoadClass::Secondary | RoadClass::SecondaryLink => TileClass::Secondary,
            RoadClass::Tertiary | RoadClass::TertiaryLink => TileClass::Tertiary,
            RoadClass::Service => TileClass::Service,
            _ => TileClass::Minor,
        }
    }

    /// The `class` value.
    pub fn as_str(self) -> &'static str {
        match self {
            TileClass::Motorway => "motorway",
            TileClass::Trunk => "trunk",
            TileClass::Primary => "primary",
            TileClass::Secondary => "secondary",
            TileClass::Tertiary => "tertiary",
            TileClass::Minor => "minor",
            TileClass::Service => "service",
        }
    }

    /// The lowest zoom whose tiles carry the class: motorway and trunk always, primary from
    /// 8, secondary from 9, tertiary from 10, minor roads from 12, service roads from 14.
    pub fn min_zoom(self) -> u8 {
        match self {
            TileClass::Motorway | TileClass::Trunk => 0,
            TileClass::Primary => 8,
            TileClass::Secondary => 9,
            TileClass::Tertiary => 10,
            TileClass::Minor => 12,
            TileClass::Service => 14,
        }
    }
}

/// The lowest zoom whose tiles carry a place of this kind: cities always, towns from 8,
/// suburbs and villages from 11, hamlets from 13, neighbourhoods from 14.
pub fn place_min_zoom(kind: PlaceKind) -> u8 {
    match kind {
        PlaceKind::City => 0,
        PlaceKind::Town => 8,
        PlaceKind::Suburb | PlaceKind::Village => 11,
        PlaceKind::Hamlet => 13,
        PlaceKind::Neighbourhood => 14,
    }
}

/// The lowest zoom whose tiles carry an area of this kind: water always (areas under a
/// pixel across are left out at every zoom below [`TILEJSON_MAX_ZOOM`]), wood, farmland and
/// wetland from 8, parks, grass, housing and industry from 10, cemeteries from 12.
pub fn land_min_zoom(kind: LandKind) -> u8 {
    match kind {
        LandKind::Water => 0,
        LandKind::Wood | LandKind::Farmland | LandKind::Wetland => 8,
        LandKind::Park | LandKind::Grass | LandKind::Residential | LandKind::Industrial => 10,
        LandKind::Cemetery => 12,
    }
}

/// The lowest zoom whose tiles carry a waterway of this kind: rivers and canals from 8,
/// streams from 12.
pub fn waterway_min_zoom(kind: WaterwayKind) -> u8 {
    match kind {
        WaterwayKind::River | WaterwayKind::Canal => 8,
        WaterwayKind::Stream => 12,
    }
}

/// An area of water or land use, in Mercator units.
#[derive(Debug, Clone)]
struct LandShape {
    kind: LandKind,
    /// The larger side of its bounding box, Mercator units.
    size: f64,
    /// Per polygon its exterior ring then its holes.
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// A waterway line, in Mercator units.
#[derive(Debug, Clone)]
struct WaterLine {
    kind: WaterwayKind,
    props: Props,
    line: Vec<[f64; 2]>,
}

/// The rings of `polygons` (Mercator units) cut for `t`: each exterior followed by its
/// holes, clipped, simplified and oriented ([`tile_ring`]); nothing for a polygon whose
/// exterior leaves nothing of area.
fn tile_polygons(t: TileId, polygons: &[Vec<Vec<[f64; 2]>>], eps: f64) -> Vec<Vec<[i32; 2]>> {
    let mut rings = Vec::new();
    for poly in polygons {
        let mut rs = poly.iter();
        let Some(ext) = rs.next() else { continue };
        let local: Vec<[f64; 2]> = ext.iter().map(|m| t.to_tile(*m)).collect();
        let Some(ext) = tile_ring(&local, eps, true) else {
            continue;
        };
        rings.push(ext);
        for hole in rs {
            let local: Vec<[f64; 2]> = hole.iter().map(|m| t.to_tile(*m)).collect();
            if let Some(h) = tile_ring(&local, eps, false) {
                rings.push(h);
            }
        }
    }
    rings
}

fn latlon_merc(ring: &[LatLon]) -> Vec<[f64; 2]> {
    ring.iter().map(|p| mercator(*p)).collect()
}

/// Index the extract's water and land use: the shapes, their boxes, the waterways and
/// theirs.
fn index_land(
    land: &Land,
) -> (
    Vec<LandShape>,
    RTree<Indexed>,
    Vec<WaterLine>,
    RTree<Indexed>,
) {
    let mut shapes = Vec::new();
    let mut boxes = Vec::new();
    for area in &land.areas {
        let polygons: Vec<Vec<Vec<[f64; 2]>>> = area
            .polygons
            .iter()
            .map(|p| p.iter().map(|r| latlon_merc(r)).collect())
            .collect();
        let Some(r) = bbox_of(polygons.iter().flatten().flatten().copied()) else {
            continue;
        };
        let (lo, hi) = (r.lower(), r.upper());
        boxes.push(GeomWithData::new(r, shapes.len() as u32));
        shapes.push(LandShape {
            kind: area.kind,
            size: (hi[0] - lo[0]).max(hi[1] - lo[1]),
            polygons,
        });
    }
    let mut lines = Vec::new();
    let mut line_boxes = Vec::new();
    for w in &land.waterways {
        let line = latlon_merc(&w.line);
        let Some(r) = bbox_of(line.iter().copied()) else {
            continue;
        };
        line_boxes.push(GeomWithData::new(r, lines.len() as u32));
        let mut props: Props = vec![("class", Prop::Str(w.kind.as_str().to_string()))];
        if let Some(n) = &w.name {
            props.push(("name", Prop::Str(n.clone())));
        }
        lines.push(WaterLine {
            kind: w.kind,
            props,
            line,
        });
    }
    (
        shapes,
        RTree::bulk_load(boxes),
        lines,
        RTree::bulk_load(line_boxes),
    )
}

/// A chain of consecutive graph pieces of one OSM way (and class).
#[derive(Debug, Clone)]
struct RoadLine {
    pieces: Range<u32>,
    class: TileClass,
    /// The way's label (an index into the network's road names), if it has one.
    name: Option<u32>,
}

/// An area polygon in Mercator units.
#[derive(Debug, Clone)]
struct AreaShape {
    props: Props,
    /// Per polygon its exterior ring then its holes.
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// The public base map's features, indexed for cutting into tiles (built once per run).
#[derive(Debug)]
pub struct BaseTiles {
    lines: Vec<RoadLine>,
    /// Per [`TileClass`] (in [`TileClass::ALL`] order), the bounding boxes of its lines.
    roads: Vec<RTree<Indexed>>,
    boundary_name: String,
    boundary: Vec<Vec<[f64; 2]>>,
    areas: Vec<AreaShape>,
    area_index: RTree<Indexed>,
    provisions: Vec<([f64; 2], Props)>,
    places: Vec<([f64; 2], PlaceKind, Props)>,
    land: Vec<LandShape>,
    land_index: RTree<Indexed>,
    waterways: Vec<WaterLine>,
    waterway_index: RTree<Indexed>,
    bounds: Option<[f64; 4]>,
}

fn ring_merc(r: &LineString<f64>) -> Vec<[f64; 2]> {
    r.coords()
        .map(|c| mercator(LatLon { lat: c.y, lon: c.x }))
        .collect()
}

fn polygons_merc(mp: &geo::MultiPolygon<f64>) -> Vec<Vec<Vec<[f64; 2]>>> {
    mp.0.iter()
        .map(|poly| {
            std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .map(ring_merc)
                .collect()
        })
        .collect()
}

impl BaseTiles {
    /// Index the run's roads (none in an estimate-only run), boundary, areas, provisions and
    /// named places.
    pub fn build(a: &Analysed) -> BaseTiles {
        let mut lines: Vec<RoadLine> = Vec::new();
        if let Some(net) = a.network.as_ref() {
            let pieces = net.graph.pieces();
            let mut start = 0usize;
            for i in 1..=pieces.len() {
                let joins = pieces.get(i).is_some_and(|p| {
                    let prev = &pieces[i - 1];
                    p.way_id == prev.way_id && p.from == prev.to && p.class == prev.class
                });
                if !joins {
                    let class = TileClass::of(pieces[start].class);
                    lines.push(RoadLine {
                        pieces: start as u32..i as u32,
                        class,
                        name: net.road_names.label_of_way(pieces[start].way_id),
                    });
                    start = i;
                }
            }
        }
        let mut per_class: Vec<Vec<Indexed>> = vec![Vec::new(); TileClass::ALL.len()];
        if let Some(net) = a.network.as_ref() {
            for (li, line) in lines.iter().enumerate() {
                let pts = line
                    .pieces
                    .clone()
                    .flat_map(|pi| net.graph.piece_coords(pi).iter().map(|p| mercator(*p)));
                if let Some(r) = bbox_of(pts) {
                    per_class[line.class as usize].push(GeomWithData::new(r, li as u32));
                }
            }
        }
        let roads = per_class.into_iter().map(RTree::bulk_load).collect();

        let sc = &a.scenario;
        let boundary: Vec<Vec<[f64; 2]>> = sc
            .boundary
            .polygons()
            .0
            .iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .map(ring_merc)
            .collect();
        let mut areas = Vec::new();
        let mut area_boxes = Vec::new();
        for layer in &sc.area_layers {
            for area in &layer.areas {
                let polygons = polygons_merc(&area.geometry);
                let Some(r) = bbox_of(polygons.iter().flatten().flatten().copied()) else {
                    continue;
                };
                area_boxes.push(GeomWithData::new(r, areas.len() as u32));
                areas.push(AreaShape {
                    props: vec![
                        ("layer", Prop::Str(layer.id.clone())),
                        ("area_id", Prop::Str(area.id.clone())),
                        ("name", Prop::Str(area.name.clone())),
                    ],
                    polygons,
                });
            }
        }
        let provisions = sc
            .provisions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut props: Props = vec![
                    ("id", Prop::Str(p.id.clone())),
                    ("name", Prop::Str(p.name.clone())),
                    ("kind", Prop::Str(p.kind.as_str().to_string())),
                    (
                        "needs",
                        Prop::Str(
                            p.needs
                                .iter()
                                .map(|n| n.code())
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                    ),
                    ("age_min", Prop::Int(i64::from(p.age_min))),
                    ("age_max", Prop::Int(i64::from(p.age_max))),
                    ("in_area", Prop::Bool(sc.boundary.contains(p.location))),
                    (
                        "receiving",
                        Prop::Bool(a.receiving.get(i).copied().unwrap_or(false)),
                    ),
                ];
                if let Some(c) = p.capacity {
                    props.push(("capacity", Prop::Int(i64::from(c))));
                }
                (mercator(p.location), props)
            })
            .collect();
        let places = a
            .network
            .as_ref()
            .map_or(&[][..], |n| n.places.as_slice())
            .iter()
            .map(|pl: &Place| {
                let mut props: Props = vec![
                    ("name", Prop::Str(pl.name.clone())),
                    ("place", Prop::Str(pl.kind.as_str().to_string())),
                    ("rank", Prop::Int(i64::from(pl.kind.rank()))),
                ];
                if let Some(n) = pl.population.and_then(|n| i64::try_from(n).ok()) {
                    props.push(("population", Prop::Int(n)));
                }
                (mercator(pl.pos), pl.kind, props)
            })
            .collect();
        let mut bounds = a.network.as_ref().map(|n| n.graph.bbox());
        if let Some(b) = sc.boundary.bbox() {
            let bb = [b.min_lon, b.min_lat, b.max_lon, b.max_lat];
            bounds = Some(match bounds {
                Some(n) if n[0].is_finite() => [
                    n[0].min(bb[0]),
                    n[1].min(bb[1]),
                    n[2].max(bb[2]),
                    n[3].max(bb[3]),
                ],
                _ => bb,
            });
        }
        let no_land = Land::default();
        let land = a.network.as_ref().map_or(&no_land, |n| n.land.as_ref());
        let (land, land_index, waterways, waterway_index) = index_land(land);
        BaseTiles {
            lines,
            roads,
            land,
            land_index,
            waterways,
            waterway_index,
            boundary_name: sc.config.name.clone(),
            boundary,
            areas,
            area_index: RTree::bulk_load(area_boxes),
            provisions,
            places,
            bounds: bounds.filter(|b| b.iter().all(|v| v.is_finite())),
        }
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` of the roads and the boundary, degrees.
    pub fn bounds(&self) -> Option<[f64; 4]> {
        self.bounds
    }

    /// Water and land-use areas indexed.
    pub fn land_areas(&self) -> usize {
        self.land.len()
    }

    /// The `water` (areas), `landuse` (areas by `class`) and `waterways` (lines by `class`,
    /// with `name`) layers of tile `t`. Below [`TILEJSON_MAX_ZOOM`], areas under a pixel
    /// across are left out. Each area is its own feature, drawn in [`LandKind::ALL`] order.
    fn land_layers(&self, tile: &mut Tile, t: TileId) {
        let env = t.envelope(BUFFER);
        let eps = tolerance(t.z);
        // One tile unit in Mercator units.
        let unit = 1.0 / (f64::from(1u32 << t.z) * f64::from(EXTENT));
        let min_size = if t.z < TILEJSON_MAX_ZOOM {
            eps * unit
        } else {
            0.0
        };
        let mut hits: Vec<u32> = self
            .land_index
            .locate_in_envelope_intersecting(env)
            .map(|g| g.data)
            .filter(|&i| {
                self.land
                    .get(i as usize)
                    .is_some_and(|s| t.z >= land_min_zoom(s.kind) && s.size >= min_size)
            })
            .collect();
        let order = |i: &u32| {
            self.land.get(*i as usize).map_or(0, |s| {
                LandKind::ALL.iter().position(|k| *k == s.kind).unwrap_or(0)
            })
        };
        hits.sort_unstable_by_key(|i| (order(i), *i));
        let cut: Vec<(LandKind, Vec<Vec<[i32; 2]>>)> = hits
            .par_iter()
            .filter_map(|&i| {
                let s = self.land.get(i as usize)?;
                Some((s.kind, tile_polygons(t, &s.polygons, eps)))
            })
            .collect();
        let mut landuse = LayerBuilder::new(tile, "landuse");
        let mut water = LayerBuilder::new(tile, "water");
        for (kind, rings) in &cut {
            let props: Props = vec![("class", Prop::Str(kind.as_str().to_string()))];
            match kind {
                LandKind::Water => water.polygon(rings, &props),
                _ => landuse.polygon(rings, &props),
            }
        }
        landuse.finish(tile);
        water.finish(tile);

        let mut waterways = LayerBuilder::new(tile, "waterways");
        let hits = sorted_hits(&self.waterway_index, env);
        for i in hits {
            let Some(w) = self.waterways.get(i as usize) else {
                continue;
            };
            if t.z < waterway_min_zoom(w.kind) {
                continue;
            }
            let mut lines = tile_lines(t, w.line.iter().copied());
            if t.z < TILEJSON_MAX_ZOOM {
                lines.retain(|l| extent(l) >= eps);
            }
            waterways.lines(&lines, &w.props);
        }
        waterways.finish(tile);
    }

    /// Road lines indexed (chains of graph pieces).
    pub fn road_lines(&self) -> usize {
        self.lines.len()
    }

    /// The tile's bytes (MVT v2; empty when no layer has a feature in it). Layers without a
    /// feature in the tile are left out.
    pub fn tile(&self, a: &Analysed, t: TileId) -> Vec<u8> {
        let mut tile = Tile::new(EXTENT);
        let env = t.envelope(BUFFER);
        let eps = tolerance(t.z);

        let mut areas = LayerBuilder::new(&tile, "areas");
        let hits = sorted_hits(&self.area_index, env);
        for i in hits {
            let Some(area) = self.areas.get(i as usize) else {
                continue;
            };
            areas.polygon(&tile_polygons(t, &area.polygons, eps), &area.props);
        }
        areas.finish(&mut tile);

        self.land_layers(&mut tile, t);

        let mut boundary = LayerBuilder::new(&tile, "boundary");
        let mut pieces = Vec::new();
        for ring in &self.boundary {
            pieces.extend(tile_lines(t, ring.iter().copied()));
        }
        boundary.lines(
            &pieces,
            &vec![("name", Prop::Str(self.boundary_name.clone()))],
        );
        boundary.finish(&mut tile);

        let mut roads = LayerBuilder::new(&tile, "roads");
        if let Some(net) = a.network.as_ref() {
            // Least important first, so the major roads are drawn on top.
            for class in TileClass::ALL.into_iter().rev() {
                if t.z < class.min_zoom() {
                    continue;
                }
                let Some(tree) = self.roads.get(class as usize) else {
                    continue;
                };
                let hits = sorted_hits(tree, env);
                // One feature per class, or from ROAD_NAMES_FROM per class and name (the
                // labels run along each street's joined lines).
                let mut groups: std::collections::BTreeMap<Option<u32>, Vec<u32>> =
                    std::collections::BTreeMap::new();
                for li in hits {
                    let name = self.lines.get(li as usize).and_then(|l| l.name);
                    let key = if t.z >= ROAD_NAMES_FROM { name } else { None };
                    groups.entry(key).or_default().push(li);
                }
                for (name, hits) in groups {
                    let mut props: Props = vec![("class", Prop::Str(class.as_str().to_string()))];
                    if let Some(label) = name.and_then(|i| net.road_names.label(i)) {
                        props.push(("name", Prop::Str(label.to_string())));
                    }
                    let all: Vec<Vec<[i32; 2]>> = hits
                        .par_iter()
                        .filter_map(|&li| self.lines.get(li as usize))
                        .flat_map_iter(|line| {
                            let pts = line.pieces.clone().enumerate().flat_map(|(k, pi)| {
                                // Consecutive pieces share their junction: skip the repeat.
                                let c = net.graph.piece_coords(pi);
                                c.iter().skip(usize::from(k > 0))
                            });
                            tile_lines_ll(t, pts)
                        })
                        .collect();
                    let mut merged = merge_lines(all, eps);
                    if t.z < TILEJSON_MAX_ZOOM {
                        // Lines under a pixel across, once joined, are not drawn: leave them out.
                        merged.retain(|l| extent(l) >= eps);
                    }
                    roads.lines(&merged, &props);
                }
            }
        }
        roads.finish(&mut tile);

        let mut provisions = LayerBuilder::new(&tile, "provisions");
        for (m, props) in &self.provisions {
            if let Some(p) = tile_point(t, *m) {
                provisions.point(p, props);
            }
        }
        provisions.finish(&mut tile);

        let mut places = LayerBuilder::new(&tile, "places");
        for (m, kind, props) in &self.places {
            if t.z < place_min_zoom(*kind) {
                continue;
            }
            if let Some(p) = tile_point(t, *m) {
                places.point(p, props);
            }
        }
        places.finish(&mut tile);

        tile.to_bytes().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// Officer source
// ---------------------------------------------------------------------------------------

/// A current journey to draw in the `journeys` layer.
#[derive(Debug, Clone)]
struct JourneyLine {
    /// Pupil index into the routes (routed), or `None` for an estimated straight line.
    route: Option<usize>,
    /// Home and site (estimated journeys).
    ends: [[f64; 2]; 2],
    props: Props,
}

/// The officers' layers (pupil-level: journeys and moves), indexed for cutting into tiles.
/// Holds no pupil id; the routes' geometry is read from the caller's slice at each tile.
#[derive(Debug)]
pub struct OfficerTiles {
    journeys: Vec<JourneyLine>,
    journey_index: RTree<Indexed>,
    moves: Vec<([[f64; 2]; 2], Props)>,
    move_index: RTree<Indexed>,
}

impl OfficerTiles {
    /// Index every pupil's current journey (`routes`: the routed path per pupil, in pupil
    /// order; a pupil without one but with an estimated journey is drawn home to site) and
    /// the bring-back moves (current placement's site to the new provision's).
    pub fn build(a: &Analysed, routes: &[Option<Route>]) -> OfficerTiles {
        let sc = &a.scenario;
        let mut journeys = Vec::new();
        let mut boxes = Vec::new();
        for r in &a.analysis.pupils {
            let i = r.pupil.index();
            let Some(pupil) = sc.pupils.get(i) else {
                continue;
            };
            let phase = Phase::of_age(pupil.age, a.params.primary_max_age);
            let (route, ends, minutes, pts) = match routes.get(i).and_then(Option::as_ref) {
                Some(route) => {
                    let pts: Vec<[f64; 2]> = route.geometry.iter().map(|p| mercator(*p)).collect();
                    (Some(i), [[0.0; 2]; 2], route.journey.duration_s / 60.0, pts)
                }
                None => {
                    let Some(trip) = r.current.filter(|t| t.estimated) else {
                        continue;
                    };
                    let Some(site) = r
                        .placement
                        .and_then(|pi| sc.provisions.get(pi.index()))
                        .map(|p| p.location)
                    else {
                        continue;
                    };
                    let ends = [mercator(pupil.home), mercator(site)];
                    (None, ends, trip.minutes, ends.to_vec())
                }
            };
            let Some(bx) = bbox_of(pts.into_iter()) else {
                continue;
            };
            boxes.push(GeomWithData::new(bx, journeys.len() as u32));
            journeys.push(JourneyLine {
                route,
                ends,
                props: vec![
                    ("estimated", Prop::Bool(route.is_none())),
                    ("phase", Prop::Str(phase.as_str().to_string())),
                    ("minutes", Prop::Int(minutes.round() as i64)),
                    ("out_of_area", Prop::Bool(r.out_of_area)),
                    ("long_journey", Prop::Bool(r.long_journey)),
                ],
            });
        }
        let mut moves = Vec::new();
        let mut move_boxes = Vec::new();
        for m in &a.analysis.moves {
            let (Some(from), Some(to)) = (
                sc.provisions.get(m.from.index()),
                sc.provisions.get(m.to.index()),
            ) else {
                continue;
            };
            let ends = [mercator(from.location), mercator(to.location)];
            let Some(bx) = bbox_of(ends.into_iter()) else {
                continue;
            };
            move_boxes.push(GeomWithData::new(bx, moves.len() as u32));
            let mut props: Props = vec![
                ("from_id", Prop::Str(from.id.clone())),
                ("to_id", Prop::Str(to.id.clone())),
                ("to_name", Prop::Str(to.name.clone())),
                ("after_minutes", Prop::Int(m.after.minutes.round() as i64)),
            ];
            if let Some(b) = m.before {
                props.push(("before_minutes", Prop::Int(b.minutes.round() as i64)));
            }
            moves.push((ends, props));
        }
        OfficerTiles {
            journeys,
            journey_index: RTree::bulk_load(boxes),
            moves,
            move_index: RTree::bulk_load(move_boxes),
        }
    }

    /// Journeys indexed.
    pub fn journey_count(&self) -> usize {
        self.journeys.len()
    }

    /// The tile's bytes (MVT v2; empty when nothing is in it), `routes` as given to
    /// [`OfficerTiles::build`].
    pub fn tile(&self, routes: &[Option<Route>], t: TileId) -> Vec<u8> {
        let mut tile = Tile::new(EXTENT);
        let env = t.envelope(BUFFER);
        let mut journeys = LayerBuilder::new(&tile, "journeys");
        let hits = sorted_hits(&self.journey_index, env);
        // Cut in parallel (a city's journeys cross its low-zoom tiles), encoded in order.
        let cut: Vec<(usize, Vec<Vec<[i32; 2]>>)> = hits
            .par_iter()
            .filter_map(|&ji| {
                let j = self.journeys.get(ji as usize)?;
                let lines = match j.route.and_then(|i| routes.get(i)).and_then(Option::as_ref) {
                    Some(route) => tile_lines_ll(t, route.geometry.iter()),
                    None if j.route.is_none() => tile_lines(t, j.ends.into_iter()),
                    None => return None,
                };
                Some((ji as usize, lines))
            })
            .collect();
        for (ji, lines) in cut {
            if let Some(j) = self.journeys.get(ji) {
                journeys.lines(&lines, &j.props);
            }
        }
        journeys.finish(&mut tile);

        let mut moves = LayerBuilder::new(&tile, "moves");
        let hits = sorted_hits(&self.move_index, env);
        for mi in hits {
            let Some((ends, props)) = self.moves.get(mi as usize) else {
                continue;
            };
            moves.lines(&tile_lines(t, ends.iter().copied()), props);
        }
        moves.finish(&mut tile);
        tile.to_bytes().unwrap_or_default()
    }
}

/// A planned run to draw in the `runs` layer: its path
/// ([`crate::output::runs::run_path`]), Mercator units.
#[derive(Debug, Clone)]
struct RunLine {
    stops: Vec<[f64; 2]>,
    props: Props,
}

/// The officers' shared-runs layer (`runs`, a source of its own so that the journeys and
/// moves need not wait for the planning), indexed for cutting into tiles.
///
/// Each planned run of a [`crate::analyse::runs::TransportPlan`] is one line from its first
/// pupil's home through the others' in pick-up order to the school, **along the roads**
/// ([`crate::output::runs::run_path`]: the plan keeps each leg's seconds and metres, not its
/// path, so the legs are routed once, when the index is built; a leg that cannot be routed
/// is straight). Properties: `school_id`, `school_name`, `kind`, `run` (1-based, as
/// the `NNN` of `/api/runs`' `run_id`), `pupils` (count), `minutes`, `km`, `gbp_per_day`
/// and `vehicle` (absent when none). No pupil id, need, postcode or home coordinates as
/// properties: the line itself passes the homes (an officer layer, as `journeys`).
#[derive(Debug)]
pub struct RunTiles {
    runs: Vec<RunLine>,
    index: RTree<Indexed>,
}

impl RunTiles {
    /// Index every planned run of `plan` (made from `a`): schools in the plan's order, each
    /// school's runs as [`crate::output::runs::school_runs_in_order`]. A run whose school
    /// or pupils are not in `a`'s scenario is left out (or drawn through the stops that
    /// are).
    pub fn build(a: &Analysed, plan: &crate::analyse::runs::TransportPlan) -> RunTiles {
        let sc = &a.scenario;
        let fleet = &sc.config.fleet;
        let mut runs = Vec::new();
        let mut boxes = Vec::new();
        for s in &plan.schools {
            let Some(school) = sc.provisions.get(s.school) else {
                continue;
            };
            let ordered = crate::output::runs::school_runs_in_order(a, s);
            // Each run's legs routed along the roads (in parallel: a city has thousands).
            let paths: Vec<Vec<[f64; 2]>> = ordered
                .par_iter()
                .map(|run| {
                    crate::output::runs::run_path(a, run, school.location)
                        .into_iter()
                        .map(mercator)
                        .collect()
                })
                .collect();
            for (k, (run, stops)) in ordered.into_iter().zip(paths).enumerate() {
                if stops.len() < 2 {
                    continue;
                }
                let Some(bx) = bbox_of(stops.iter().copied()) else {
                    continue;
                };
                let f = &run.figures;
                let mut props: Props = vec![
                    ("school_id", Prop::Str(school.id.clone())),
                    ("school_name", Prop::Str(school.name.clone())),
                    ("kind", Prop::Str(run.kind.as_str().to_string())),
                    ("run", Prop::Int(k as i64 + 1)),
                    ("pupils", Prop::Int(run.pupils.len() as i64)),
                    ("minutes", Prop::Int((f.seconds / 60.0).round() as i64)),
                    (
                        "km",
                        Prop::Float(crate::output::records::dec2(f.metres / 1000.0)),
                    ),
                    (
                        "gbp_per_day",
                        Prop::Float(crate::output::records::dec2(f.gbp_per_day)),
                    ),
                ];
                if let Some(v) = f.vehicle.and_then(|v| fleet.vehicles.get(v)) {
                    props.push(("vehicle", Prop::Str(v.name.clone())));
                }
                boxes.push(GeomWithData::new(bx, runs.len() as u32));
                runs.push(RunLine { stops, props });
            }
        }
        RunTiles {
            runs,
            index: RTree::bulk_load(boxes),
        }
    }

    /// Runs indexed.
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// The tile's bytes (MVT v2, one layer `runs`; empty when no run crosses the tile).
    pub fn tile(&self, t: TileId) -> Vec<u8> {
        let mut tile = Tile::new(EXTENT);
        let mut layer = LayerBuilder::new(&tile, "runs");
        let hits = sorted_hits(&self.index, t.envelope(BUFFER));
        for ri in hits {
            let Some(r) = self.runs.get(ri as usize) else {
                continue;
            };
            layer.lines(&tile_lines(t, r.stops.iter().copied()), &r.props);
        }
        layer.finish(&mut tile);
        tile.to_bytes().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_round_trips_and_tiles_hold_their_points() {
        let p = LatLon {
            lat: 52.6709,
            lon: -0.7270,
        };
        let q = unmercator(mercator(p));
        assert!((q.lat - p.lat).abs() < 1e-9 && (q.lon - p.lon).abs() < 1e-9);
        let t = TileId::containing(p, 14);
        let [x, y] = t.to_tile(mercator(p));
        assert!((0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y));
        assert_eq!(TileId::containing(p, 0), TileId { z: 0, x: 0, y: 0 });
    }

    #[test]
    fn a_line_through_the_tile_is_cut_at_the_buffer() {
        let pieces = clip_line(&[[-1000.0, 100.0], [5000.0, 100.0]], -64.0, 4160.0);
        assert_eq!(pieces, vec![vec![[-64.0, 100.0], [4160.0, 100.0]]]);
        // leaves and comes back: two pieces
        let pieces = clip_line(
            &[[10.0, 10.0], [10.0, -500.0], [20.0, -500.0], [20.0, 10.0]],
            -64.0,
            4160.0,
        );
        assert_eq!(pieces.len(), 2);
        // wholly outside: nothing
        assert!(clip_line(&[[-500.0, -500.0], [-400.0, -500.0]], -64.0, 4160.0).is_empty());
        // wholly inside: itself
        let inside = vec![[1.0, 1.0], [2.0, 3.0], [5.0, 5.0]];
        assert_eq!(clip_line(&inside, -64.0, 4160.0), vec![inside]);
    }

    #[test]
    fn rings_are_clipped_and_oriented() {
        // a square bigger than the tile, anticlockwise on screen
        let ring = [
            [-1000.0, -1000.0],
            [-1000.0, 5000.0],
            [5000.0, 5000.0],
            [5000.0, -1000.0],
        ];
        let ext = tile_ring(&ring, 1.0, true).expect("a ring");
        assert!(ring_area2(&ext) > 0);
        assert!(ext
            .iter()
            .all(|p| (-64..=4160).contains(&p[0]) && (-64..=4160).contains(&p[1])));
        let hole = tile_ring(&ring, 1.0, false).expect("a ring");
        assert!(ring_area2(&hole) < 0);
        // outside the buffer: nothing left
        let away = [[9000.0, 9000.0], [9100.0, 9000.0], [9100.0, 9100.0]];
        assert!(tile_ring(&away, 1.0, true).is_none());
    }

    #[test]
    fn simplification_drops_collinear_points_and_repeats() {
        let pts: Vec<[f64; 2]> = (0..=10).map(|i| [f64::from(i) * 10.0, 5.2]).collect();
        assert_eq!(simplify_round(&pts, 1.0), vec![[0, 5], [100, 5]]);
        assert_eq!(simplify_round(&[[1.2, 1.2], [1.4, 0.9]], 1.0), vec![[1, 1]]);
    }

    #[test]
    fn lines_meeting_end_to_end_are_joined() {
        let lines = vec![
            vec![[0, 0], [10, 0]],
            vec![[20, 0], [10, 0]],
            vec![[20, 0], [20, 10]],
            vec![[100, 100], [110, 100]],
        ];
        let merged = merge_lines(lines, 1.0);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].len(), 3, "{merged:?}");
        assert!(merged[0].contains(&[0, 0]) && merged[0].contains(&[20, 10]));
        assert_eq!(merged[1], vec![[100, 100], [110, 100]]);
    }

    #[test]
    fn classes_and_zooms() {
        assert_eq!(TileClass::of(RoadClass::MotorwayLink), TileClass::Motorway);
        assert_eq!(TileClass::of(RoadClass::Residential), TileClass::Minor);
        assert_eq!(TileClass::of(RoadClass::Service), TileClass::Service);
        assert!(TileClass::ALL
            .windows(2)
            .all(|w| w[0].min_zoom() <= w[1].min_zoom()));
        assert!(TileId::new(16, 65535, 0).is_some());
        assert!(TileId::new(16, 65536, 0).is_none());
    }
}
