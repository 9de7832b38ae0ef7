//! Boundary and area-layer adapter: GeoJSON polygons -> [`Boundary`] and [`AreaLayer`].
//!
//! The boundary file holds the home authority: every Polygon/MultiPolygon feature in it is
//! part of the authority (their union). An area layer holds named areas (wards, districts,
//! SEND areas), each feature giving an id and a name through configurable property names.
//!
//! Point-in-polygon uses geo's `Intersects`, so **a point exactly on an edge or vertex counts
//! as inside** (also on the edge of a hole). Where areas of one layer overlap or share an
//! edge, [`AreaLayer::area_of`] returns the area that comes first in the file. Lookups first
//! filter by bounding box (an rstar index of area boxes), then test the polygons.
//! Coordinates are WGS84 lon/lat as GeoJSON requires (RFC 7946).

use geo::{BoundingRect, MultiPolygon, Polygon};
use geojson::{GeoJson, GeometryValue, JsonObject};
use serde_json::Value;

use crate::load::table::{Issue, IssueKind, Loaded, Severity};
use crate::model::area::{rect_to_bbox, Area, AreaLayer, Boundary};
use crate::model::LatLon;

/// A boundary or area file that cannot be used at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    /// The bytes are not GeoJSON.
    #[error("{file}: not valid GeoJSON: {message}")]
    Json {
        /// File label.
        file: String,
        /// The parser's reason.
        message: String,
    },
    /// No feature has a usable polygon.
    #[error("{file}: no usable Polygon or MultiPolygon feature")]
    NoPolygons {
        /// File label.
        file: String,
    },
}

/// One feature as read: its index (1-based), geometry, properties and top-level id.
struct RawFeature {
    number: usize,
    geometry: Option<geojson::Geometry>,
    properties: JsonObject,
    id: Option<geojson::feature::Id>,
}

/// Parses GeoJSON bytes (UTF-8, optional BOM) into features.
fn read_features(bytes: &[u8], file: &str) -> Result<Vec<RawFeature>, AreaError> {
    let bytes = &bytes[crate::model::bom_len(bytes)..];
    let gj = GeoJson::from_reader(bytes).map_err(|e| AreaError::Json {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let raw = |number: usize, f: geojson::Feature| RawFeature {
        number,
        geometry: f.geometry,
        properties: f.properties.unwrap_or_default(),
        id: f.id,
    };
    Ok(match gj {
        GeoJson::Geometry(g) => vec![RawFeature {
            number: 1,
            geometry: Some(g),
            properties: JsonObject::new(),
            id: None,
        }],
        GeoJson::Feature(f) => vec![raw(1, f)],
        GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .enumerate()
            .map(|(i, f)| raw(i + 1, f))
            .collect(),
    })
}

/// Converts a GeoJSON geometry to polygons, checking every coordinate.
fn to_multipolygon(value: &GeometryValue) -> Result<MultiPolygon<f64>, String> {
    let mp = match value {
        GeometryValue::Polygon { .. } => {
            MultiPolygon(vec![Polygon::try_from(value).map_err(|e| e.to_string())?])
        }
        GeometryValue::MultiPolygon { .. } => {
            MultiPolygon::try_from(value).map_err(|e| e.to_string())?
        }
        GeometryValue::GeometryCollection { geometries } => {
            let mut polys = Vec::new();
            for g in geometries {
                polys.extend(to_multipolygon(&g.value)?.0);
            }
            MultiPolygon(polys)
        }
        other => {
            return Err(format!(
                "geometry is a {}, not a Polygon or MultiPolygon",
                other.type_name()
            ))
        }
    };
    for poly in &mp.0 {
        if poly.exterior().0.len() < 3 {
            return Err("a polygon ring has fewer than 3 positions".into());
        }
        let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
        for c in rings.flat_map(|r| r.0.iter()) {
            if LatLon::new(c.y, c.x).is_err() {
                return Err(format!(
                    "position [{}, {}] is not a valid lon/lat (GeoJSON order is [lon, lat])",
                    c.x, c.y
                ));
            }
        }
    }
    if mp.0.is_empty() {
        return Err("geometry has no polygons".into());
    }
    Ok(mp)
}

/// Reads a boundary GeoJSON (FeatureCollection, Feature or bare geometry); `file` labels
/// messages. The counts in the returned [`Loaded`] are of features (one `()` per accepted
/// feature); a feature without a usable polygon is an error and is skipped. `Err` when the
/// file is not GeoJSON or has no polygon at all.
pub fn load_boundary(bytes: &[u8], file: &str) -> Result<(Boundary, Loaded<()>), AreaError> {
    let mut loaded = Loaded {
        items: Vec::new(),
        issues: Vec::new(),
        rows_read: 0,
        rows_rejected: 0,
    };
    let mut polygons = Vec::new();
    for f in read_features(bytes, file)? {
        loaded.rows_read += 1;
        match feature_polygons(&f) {
            Ok(mp) => {
                polygons.extend(mp.0);
                loaded.items.push(());
            }
            Err(msg) => {
                loaded.issues.push(feature_issue(file, &f, None, msg));
                loaded.rows_rejected += 1;
            }
        }
    }
    if polygons.is_empty() {
        return Err(AreaError::NoPolygons {
            file: file.to_string(),
        });
    }
    Ok((Boundary::new(MultiPolygon(polygons)), loaded))
}

fn feature_polygons(f: &RawFeature) -> Result<MultiPolygon<f64>, String> {
    let Some(g) = &f.geometry else {
        return Err("feature has no geometry".into());
    };
    to_multipolygon(&g.value)
}

fn feature_issue(file: &str, f: &RawFeature, column: Option<&str>, msg: String) -> Issue {
    Issue {
        severity: Severity::Error,
        kind: IssueKind::BadGeometry,
        file: file.to_string(),
        line: None,
        column: column.map(str::to_string),
        message: format!("feature {}: {msg}; feature skipped", f.number),
    }
}

/// Which layer to read and which feature properties hold each area's id and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSpec<'a> {
    /// Layer id, e.g. `"wards"`.
    pub id: &'a str,
    /// Layer display name, e.g. `"Wards (2018)"`.
    pub name: &'a str,
    /// Property holding each area's id (falls back to the feature's top-level `id`).
    pub id_property: &'a str,
    /// Property holding each area's name (falls back to the area id, with a warning).
    pub name_property: &'a str,
}

/// A property value as text: strings as is, numbers and booleans printed; null/absent `None`.
fn property_text(props: &JsonObject, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads an area-layer GeoJSON; `file` labels messages.
///
/// A feature without a polygon, without an id, or repeating an earlier id is an error and is
/// skipped (counted as rejected in the returned [`Loaded`], whose counts are of features); a
/// missing name is a warning (the id is used). `Err` when the file is not GeoJSON or no
/// feature is usable.
pub fn load_area_layer(
    bytes: &[u8],
    file: &str,
    spec: &LayerSpec<'_>,
) -> Result<(AreaLayer, Loaded<()>), AreaError> {
    let mut issues = Vec::new();
    let mut areas: Vec<Area> = Vec::new();
    let mut first_feature: std::collections::HashMap<String, usize> = Default::default();
    let features = read_features(bytes, file)?;
    let rows_read = features.len();
    for f in features {
        let geometry = match feature_polygons(&f) {
            Ok(mp) => mp,
            Err(msg) => {
                issues.push(feature_issue(file, &f, None, msg));
                continue;
            }
        };
        let top_level_id = f.id.as_ref().map(|id| match id {
            geojson::feature::Id::String(s) => s.clone(),
            geojson::feature::Id::Number(n) => n.to_string(),
        });
        let Some(id) = property_text(&f.properties, spec.id_property).or(top_level_id) else {
            let msg = format!("no `{}` property (the area id)", spec.id_property);
            issues.push(feature_issue(file, &f, Some(spec.id_property), msg));
            continue;
        };
        if let Some(first) = first_feature.get(&id) {
            let msg = format!(
                "duplicate area id \"{}\" (first in feature {first})",
                crate::load::table::excerpt(&id)
            );
            let mut issue = feature_issue(file, &f, Some(spec.id_property), msg);
            issue.kind = IssueKind::DuplicateId;
            issues.push(issue);
            continue;
        }
        first_feature.insert(id.clone(), f.number);
        let name = property_text(&f.properties, spec.name_property).unwrap_or_else(|| {
            issues.push(Issue {
                severity: Severity::Warning,
                kind: IssueKind::MissingValue,
                file: file.to_string(),
                line: None,
                column: Some(spec.name_property.to_string()),
                message: format!(
                    "feature {}: no `{}` property (the area name); id \"{}\" used as name",
                    f.number,
                    spec.name_property,
                    crate::load::table::excerpt(&id)
                ),
            });
            id.clone()
        });
        let Some(rect) = geometry.bounding_rect() else {
            continue;
        };
        areas.push(Area {
            id,
            name,
            bbox: rect_to_bbox(rect),
            geometry,
            properties: f.properties,
        });
    }
    if areas.is_empty() {
        return Err(AreaError::NoPolygons {
            file: file.to_string(),
        });
    }
    let loaded = Loaded {
        items: vec![(); areas.len()],
        issues,
        rows_read,
        rows_rejected: rows_read - areas.len(),
    };
    Ok((AreaLayer::new(spec.id, spec.name, areas), loaded))
}

/// Parses a council's area growth factors (`area_id,annual_growth`, one row an area; an
/// optional `layer` column is ignored): the factor an area's share grows by each year
/// relative to the others (1.02: 2% a year faster). `source` labels the file in errors.
///
/// # Errors
/// A message naming the file, line and field: a missing header column, an empty or repeated
/// area id, or a factor that is not a number in (0, 10].
pub fn parse_area_growth(
    text: &str,
    source: &str,
) -> Result<std::collections::BTreeMap<String, f64>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("{source} line 1: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("{source} line 1, field `{name}`: missing column"))
    };
    let (id_col, g_col) = (col("area_id")?, col("annual_growth")?);
    let mut out = std::collections::BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("{source} line {line}: {e}"))?;
        let id = rec.get(id_col).unwrap_or("").to_string();
        if id.is_empty() {
            return Err(format!("{source} line {line}, field `area_id`: empty"));
        }
        let raw = rec.get(g_col).unwrap_or("");
        let g: f64 = raw
            .parse()
            .ok()
            .filter(|g: &f64| g.is_finite() && *g > 0.0 && *g <= 10.0)
            .ok_or_else(|| {
                format!("{source} line {line}, field `annual_growth`: `{raw}` is not a factor in (0, 10]")
            })?;
        if out.insert(id.clone(), g).is_some() {
            return Err(format!(
                "{source} line {line}, field `area_id`: `{id}` is given twice"
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::area::{coord, multipolygon_contains};
    use crate::model::Bbox;

    const SPEC: LayerSpec<'static> = LayerSpec {
        id: "zones",
        name: "Zones",
        id_property: "code",
        name_property: "name",
    };

    fn square(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> String {
        format!(
            "[[[{lon0},{lat0}],[{lon1},{lat0}],[{lon1},{lat1}],[{lon0},{lat1}],[{lon0},{lat0}]]]"
        )
    }

    fn feature(props: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{{{props}}},"geometry":{geometry}}}"#)
    }

    fn collection(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    fn ll(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    #[test]
    fn boundary_inside_outside_edge_and_hole() {
        // A square with a square hole.
        let geometry = r#"{"type":"Polygon","coordinates":[
            [[-4.5,54.1],[-4.4,54.1],[-4.4,54.2],[-4.5,54.2],[-4.5,54.1]],
            [[-4.47,54.13],[-4.43,54.13],[-4.43,54.17],[-4.47,54.17],[-4.47,54.13]]]}"#;
        let (b, loaded) = load_boundary(geometry.as_bytes(), "b.geojson").unwrap();
        assert!(loaded.issues.is_empty());
        assert_eq!((loaded.rows_read, loaded.rows_rejected), (1, 0));
        assert!(b.contains(ll(54.12, -4.49)), "inside");
        assert!(!b.contains(ll(54.25, -4.45)), "outside the box");
        assert!(!b.contains(ll(54.15, -4.45)), "inside the hole");
        assert!(b.contains(ll(54.1, -4.45)), "on the outer edge");
        assert!(b.contains(ll(54.1, -4.5)), "on a vertex");
        assert!(b.contains(ll(54.13, -4.45)), "on the hole's edge");
        assert_eq!(
            b.bbox(),
            Some(Bbox {
                min_lat: 54.1,
                min_lon: -4.5,
                max_lat: 54.2,
                max_lon: -4.4
            })
        );
    }

    #[test]
    fn boundary_is_the_union_of_all_features() {
        let fc = collection(&[
            feature(
                r#""n":1"#,
                &format!(
                    r#"{{"type":"Polygon","coordinates":{}}}"#,
                    square(0.0, 0.0, 1.0, 1.0)
                ),
            ),
            feature(
                r#""n":2"#,
                &format!(
                    r#"{{"type":"MultiPolygon","coordinates":[{}]}}"#,
                    square(2.0, 0.0, 3.0, 1.0)
                ),
            ),
            feature(r#""n":3"#, r#"{"type":"Point","coordinates":[5.0,5.0]}"#),
        ]);
        let (b, loaded) = load_boundary(fc.as_bytes(), "b.geojson").unwrap();
        assert_eq!(
            (
                loaded.rows_read,
                loaded.rows_accepted(),
                loaded.rows_rejected
            ),
            (3, 2, 1)
        );
        let issues = loaded.issues;
        assert!(b.contains(ll(0.5, 0.5)));
        assert!(b.contains(ll(0.5, 2.5)));
        assert!(!b.contains(ll(0.5, 1.5)), "between the parts");
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].to_string(),
            "error: b.geojson: feature 3: geometry is a Point, not a Polygon or MultiPolygon; feature skipped"
        );
    }

    #[test]
    fn boundary_errors() {
        assert!(matches!(
            load_boundary(b"{not json", "b"),
            Err(AreaError::Json { .. })
        ));
        let only_point = r#"{"type":"Point","coordinates":[1,2]}"#;
        assert_eq!(
            load_boundary(only_point.as_bytes(), "b.geojson")
                .unwrap_err()
                .to_string(),
            "b.geojson: no usable Polygon or MultiPolygon feature"
        );
        let swapped = format!(
            r#"{{"type":"Polygon","coordinates":{}}}"#,
            square(-4.5, 54.1, -4.4, 95.0)
        );
        assert_eq!(
            load_boundary(swapped.as_bytes(), "b.geojson").unwrap_err(),
            AreaError::NoPolygons {
                file: "b.geojson".into()
            }
        );
    }

    #[test]
    fn area_layer_lookup_with_shared_edges_and_faults() {
        let poly = |a: f64, b: f64| {
            format!(
                r#"{{"type":"Polygon","coordinates":{}}}"#,
                square(a, 54.1, b, 54.2)
            )
        };
        let fc = collection(&[
            feature(r#""code":"W1","name":"West""#, &poly(-4.5, -4.45)),
            feature(
                r#""code":"E1","name":"East","budget_gbp":1620339.70"#,
                &poly(-4.45, -4.4),
            ),
            feature(r#""code":"W1","name":"Again""#, &poly(-4.3, -4.2)),
            feature(r#""name":"No code""#, &poly(-4.2, -4.1)),
            feature(r#""code":7"#, &poly(-4.1, -4.0)),
        ]);
        let (layer, loaded) = load_area_layer(fc.as_bytes(), "zones.geojson", &SPEC).unwrap();
        assert_eq!(layer.len(), 3);
        assert_eq!((loaded.rows_read, loaded.rows_rejected), (5, 2));
        let issues = loaded.issues;
        assert_eq!(layer.area_of(ll(54.15, -4.48)), Some(0));
        assert_eq!(layer.area_of(ll(54.15, -4.42)), Some(1));
        assert_eq!(
            layer.area_of(ll(54.15, -4.45)),
            Some(0),
            "shared edge: first area"
        );
        assert_eq!(layer.area_of(ll(54.2, -4.41)), Some(1), "top edge counts");
        assert_eq!(layer.area_of(ll(54.25, -4.42)), None);
        assert_eq!(layer.find("E1"), Some(1));
        let e1 = layer.get(1).unwrap();
        assert_eq!(
            e1.properties.get("budget_gbp").and_then(Value::as_f64),
            Some(1_620_339.70)
        );
        let numeric = layer.get(2).unwrap();
        assert_eq!((numeric.id.as_str(), numeric.name.as_str()), ("7", "7"));
        let msgs: Vec<String> = issues.iter().map(Issue::to_string).collect();
        assert_eq!(
            msgs,
            vec![
                "error: zones.geojson, column code: feature 3: duplicate area id \"W1\" (first in feature 1); feature skipped",
                "error: zones.geojson, column code: feature 4: no `code` property (the area id); feature skipped",
                "warning: zones.geojson, column name: feature 5: no `name` property (the area name); id \"7\" used as name",
            ]
        );
    }

    #[test]
    fn area_lookup_matches_brute_force() {
        // A 10 x 10 grid of cells; every probe must agree with a linear scan.
        let mut features = Vec::new();
        for i in 0..10 {
            for j in 0..10 {
                let (lon, lat) = (f64::from(i) * 0.1, 50.0 + f64::from(j) * 0.1);
                let g = format!(
                    r#"{{"type":"Polygon","coordinates":{}}}"#,
                    square(lon, lat, lon + 0.1, lat + 0.1)
                );
                features.push(feature(&format!(r#""code":"c{i}_{j}","name":"n""#), &g));
            }
        }
        let (layer, _) = load_area_layer(collection(&features).as_bytes(), "grid", &SPEC).unwrap();
        for k in 0..500 {
            let p = ll(
                49.95 + f64::from(k % 23) * 0.047,
                -0.05 + f64::from(k % 29) * 0.039,
            );
            let brute = layer
                .areas
                .iter()
                .position(|a| multipolygon_contains(&a.geometry, coord(p)));
            assert_eq!(layer.area_of(p), brute, "probe {k} at {p}");
        }
    }
}
