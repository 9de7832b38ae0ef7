//! Write an analysis to a folder: the typed tables of [`crate::output::tables`] as CSV, JSON
//! and GeoJSON.
//!
//! Internal files (pupil-level or exact figures; officers only): `pupils.csv`, `moves.csv`,
//! `candidates.csv`, `areas.csv`, `summary.json`, `provisions.geojson`, `areas.geojson`,
//! `journeys.geojson`, `moves.geojson`. The `public/` folder holds exactly what an anonymous
//! caller of the service sees: `areas.csv`, `summary.json`, `provisions.geojson`,
//! `areas.geojson`, built by the same functions with [`Audience::Public`]. Every column and
//! property is documented in `docs/outputs.md`; the disclosure rules in `docs/disclosure.md`.

use std::path::Path;

use geojson::FeatureCollection;
use rayon::prelude::*;
use serde::Serialize;

use crate::analyse::placement::route_geometries;
use crate::analyse::Analysed;
use crate::load::scenario::ValidationReport;
use crate::load::table::Severity;
use crate::output::disclosure::{Audience, NeedColumn};
use crate::output::records::{
    csv_bytes, DataQuality, AREA_HEADER, CANDIDATE_HEADER, MOVE_HEADER, PUPIL_HEADER,
};
use crate::output::tables::{
    area_features, area_records, candidate_records, move_features, provision_features,
    pupil_records, summary, Aggregates,
};

/// A failure writing outputs; names the file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or folder could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The output folder could not be published (locked, foreign files, I/O).
    #[error(transparent)]
    Publish(#[from] crate::output::folder::PublishError),
    /// A table could not be encoded.
    #[error("encoding {name}: {message}")]
    Encode {
        /// The table.
        name: String,
        /// The cause.
        message: String,
    },
}

fn encode_err(name: &str, e: impl std::fmt::Display) -> OutputError {
    OutputError::Encode {
        name: name.to_string(),
        message: e.to_string(),
    }
}

/// JSON as written to files and sent over HTTP: pretty, with a final newline.
///
/// # Errors
/// [`OutputError::Encode`] if the value does not serialise.
pub fn json_bytes<T: Serialize>(name: &str, value: &T) -> Result<Vec<u8>, OutputError> {
    let mut v = serde_json::to_vec_pretty(value).map_err(|e| encode_err(name, e))?;
    v.push(b'\n');
    Ok(v)
}

/// GeoJSON as written to files and sent over HTTP: compact.
///
/// # Errors
/// [`OutputError::Encode`] if the value does not serialise.
pub fn geojson_bytes<T: Serialize>(name: &str, value: &T) -> Result<Vec<u8>, OutputError> {
    serde_json::to_vec(value).map_err(|e| encode_err(name, e))
}

/// A FeatureCollection as compact GeoJSON, exactly the bytes of [`geojson_bytes`], with the
/// features serialised in parallel (a city's journey lines are a hundred megabytes).
///
/// # Errors
/// [`OutputError::Encode`] if a feature does not serialise.
pub fn collection_bytes(name: &str, fc: &FeatureCollection) -> Result<Vec<u8>, OutputError> {
    if fc.bbox.is_some() {
        return geojson_bytes(name, fc);
    }
    let err = |e| encode_err(name, e);
    let parts: Vec<Vec<u8>> = fc
        .features
        .par_iter()
        .map(serde_json::to_vec)
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut members = Vec::new();
    for (key, value) in fc.foreign_members.iter().flatten() {
        members.push(b',');
        serde_json::to_writer(&mut members, key).map_err(err)?;
        members.push(b':');
        serde_json::to_writer(&mut members, value).map_err(err)?;
    }
    Ok(crate::output::tables::collection_of(&parts, &members))
}

/// The loading report's error and warning counts.
pub fn data_quality(report: &ValidationReport) -> DataQuality {
    DataQuality {
        errors: report.count(Severity::Error),
        warnings: report.count(Severity::Warning),
    }
}

/// `pupils.csv` bytes (internal; also `/api/download/pupils.csv`).
///
/// # Errors
/// [`OutputError::Encode`].
pub fn pupils_csv(p: &Analysed) -> Result<Vec<u8>, OutputError> {
    csv_bytes(&pupil_records(p), &PUPIL_HEADER).map_err(|e| encode_err("pupils.csv", e))
}

/// `areas.csv` bytes for an audience (also `/api/download/areas.csv`).
///
/// # Errors
/// [`OutputError::Encode`].
pub fn areas_csv(agg: &Aggregates, audience: Audience) -> Result<Vec<u8>, OutputError> {
    let records = area_records(agg, audience);
    let rows: Vec<_> = records.iter().map(|r| (&r.key, &r.figures)).collect();
    csv_bytes(&rows, &AREA_HEADER).map_err(|e| encode_err("areas.csv", e))
}

/// `summary.json` bytes for an audience (also `/api/summary`).
///
/// # Errors
/// [`OutputError::Encode`].
pub fn summary_bytes(
    p: &Analysed,
    report: &ValidationReport,
    agg: &Aggregates,
    audience: Audience,
) -> Result<Vec<u8>, OutputError> {
    json_bytes(
        "summary.json",
        &summary(p, agg, data_quality(report), audience),
    )
}

/// `provisions.geojson` bytes for an audience (also `/api/provisions`).
///
/// # Errors
/// [`OutputError::Encode`].
pub fn provisions_geojson(
    p: &Analysed,
    agg: &Aggregates,
    audience: Audience,
) -> Result<Vec<u8>, OutputError> {
    geojson_bytes("provisions.geojson", &provision_features(p, agg, audience))
}

/// Every file of a run, name -> bytes, in writing order.
///
/// # Errors
/// [`OutputError::Encode`].
pub fn render_all(
    p: &Analysed,
    report: &ValidationReport,
    with_geometry: bool,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let agg = Aggregates::new(p);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("pupils.csv".into(), pupils_csv(p)?),
        (
            "moves.csv".into(),
            csv_bytes(&crate::output::tables::move_records(p), &MOVE_HEADER)
                .map_err(|e| encode_err("moves.csv", e))?,
        ),
        (
            "candidates.csv".into(),
            csv_bytes(&candidate_records(p), &CANDIDATE_HEADER)
                .map_err(|e| encode_err("candidates.csv", e))?,
        ),
    ];
    for (folder, audience) in [("", Audience::Internal), ("public/", Audience::Public)] {
        files.push((format!("{folder}areas.csv"), areas_csv(&agg, audience)?));
        files.push((
            format!("{folder}summary.json"),
            summary_bytes(p, report, &agg, audience)?,
        ));
        files.push((
            format!("{folder}provisions.geojson"),
            provisions_geojson(p, &agg, audience)?,
        ));
        files.push((
            format!("{folder}areas.geojson"),
            geojson_bytes(
                "areas.geojson",
                &area_features(p, &agg, None, NeedColumn::All, audience),
            )?,
        ));
    }
    if with_geometry {
        let in_area = |q| p.scenario.boundary.contains(q);
        let inputs = p.inputs(&in_area);
        let (journeys, moves) = route_geometries(&inputs, &p.analysis);
        files.push((
            "moves.geojson".into(),
            collection_bytes("moves.geojson", &move_features(p, &moves))?,
        ));
        files.push((
            "journeys.geojson".into(),
            crate::output::tables::journeys_geojson_bytes(p, &journeys)
                .map_err(|e| encode_err("journeys.geojson", e))?,
        ));
    }
    files.push(("README.txt".into(), readme_txt().into_bytes()));
    Ok(files)
}

/// Writes every output of `p` into `dir`, all or nothing
/// ([`crate::output::folder::publish_folder`]): a staging folder renamed into place, with
/// `MANIFEST.json` (files, sizes, SHA-256, and `inputs`), a lock against a second run, and
/// no file of an earlier run left behind. Returns the names written.
///
/// # Errors
/// [`OutputError`] naming the table or file; the previous folder, if any, is untouched.
pub fn write_all(
    p: &Analysed,
    report: &ValidationReport,
    dir: &Path,
    with_geometry: bool,
    inputs: Vec<(String, String)>,
) -> Result<Vec<String>, OutputError> {
    let files = render_all(p, report, with_geometry)?;
    Ok(crate::output::folder::publish_folder(
        dir, files, "analyse", inputs,
    )?)
}

fn readme_txt() -> String {
    "nearhome analysis outputs\n\
     INTERNAL (pupil-level or exact figures; authorised officers only): pupils.csv, moves.csv,\n\
     candidates.csv, areas.csv, summary.json, provisions.geojson, areas.geojson,\n\
     journeys.geojson, moves.geojson.\n\
     PUBLIC (exactly what the service shows without a token): public/areas.csv,\n\
     public/summary.json, public/provisions.geojson, public/areas.geojson. Counts 1-9 are\n\
     suppressed (empty / null), others rounded to 5, with secondary suppression; figures\n\
     derived from pupils are shown only with their counts and rounded.\n\
     MANIFEST.json (written last) lists every file with its size and SHA-256 and the run's\n\
     inputs; the folder is replaced whole by each run, so its files are always one run's.\n\
     Columns and units: docs/outputs.md; disclosure rules: docs/disclosure.md.\n"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geojson::{Feature, Geometry, GeometryValue};

    fn sample(n: usize) -> FeatureCollection {
        let features = (0..n)
            .map(|i| {
                let x = i as f64 * 0.001 - 1.9;
                let geometry =
                    Geometry::new(GeometryValue::new_line_string([[x, 52.4], [x, 52.5]]));
                let mut f = Feature::from(geometry);
                f.set_property("minutes", i as f64 / 7.0);
                f.set_property("id", format!("P{i:06}"));
                f
            })
            .collect();
        FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        }
    }

    #[test]
    fn parallel_collection_bytes_equal_the_serial_ones() {
        for n in [0, 1, 2, 1000] {
            let mut fc = sample(n);
            assert_eq!(
                collection_bytes("x", &fc).expect("encodes"),
                geojson_bytes("x", &fc).expect("encodes"),
                "{n} features"
            );
            let mut members = geojson::JsonObject::new();
            members.insert("total".into(), serde_json::json!(n));
            members.insert("next_offset".into(), serde_json::Value::Null);
            fc.foreign_members = Some(members);
            assert_eq!(
                collection_bytes("x", &fc).expect("encodes"),
                geojson_bytes("x", &fc).expect("encodes"),
                "{n} features with foreign members"
            );
        }
    }
}
