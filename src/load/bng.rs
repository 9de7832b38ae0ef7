//! British National Grid (OSGB36 easting/northing) to WGS84 conversion.
//!
//! Uses `lonlat_bng`'s OSTN15 transformation (the Ordnance Survey's definitive grid shift),
//! which agrees with published WGS84/ETRS89 positions to well under a metre on land. Pure
//! computation: no I/O, no imports from other loaders.

use crate::model::{CoordError, LatLon};

/// Largest easting of the National Grid, metres.
pub const MAX_EASTING_M: f64 = 700_000.0;
/// Largest northing of the National Grid, metres.
pub const MAX_NORTHING_M: f64 = 1_250_000.0;

/// Why an easting/northing pair could not be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BngError {
    /// Easting or northing is NaN or infinite.
    #[error("easting/northing must be finite numbers (got {easting_m}, {northing_m})")]
    NotFinite {
        /// Easting as given, metres.
        easting_m: f64,
        /// Northing as given, metres.
        northing_m: f64,
    },
    /// Easting or northing lies outside the National Grid (0..=700000 m, 0..=1250000 m).
    #[error(
        "easting {easting_m} / northing {northing_m} is outside the British National Grid \
         (easting 0..700000 m, northing 0..1250000 m)"
    )]
    OutOfGrid {
        /// Easting as given, metres.
        easting_m: f64,
        /// Northing as given, metres.
        northing_m: f64,
    },
    /// The OSTN15 transformation has no shift for this point (e.g. far offshore).
    #[error("easting {easting_m} / northing {northing_m} cannot be converted: {reason}")]
    Transform {
        /// Easting as given, metres.
        easting_m: f64,
        /// Northing as given, metres.
        northing_m: f64,
        /// The transformation library's reason.
        reason: String,
    },
    /// The converted position is not a valid WGS84 coordinate.
    #[error("converted position is invalid: {0}")]
    Coord(#[from] CoordError),
}

/// Converts an OSGB36 British National Grid easting/northing (metres, EPSG:27700) to WGS84
/// degrees with OSTN15.
///
/// Fails on NaN/infinite input, on points outside the grid and where OSTN15 has no data.
///
/// # Examples
/// ```
/// use nearhome::load::bng::bng_to_wgs84;
/// let p = bng_to_wgs84(406_880.0, 286_800.0).unwrap(); // central Birmingham
/// assert!((p.lat - 52.479).abs() < 0.01 && (p.lon + 1.899).abs() < 0.01);
/// assert!(bng_to_wgs84(f64::NAN, 286_800.0).is_err());
/// ```
pub fn bng_to_wgs84(easting_m: f64, northing_m: f64) -> Result<LatLon, BngError> {
    if !easting_m.is_finite() || !northing_m.is_finite() {
        return Err(BngError::NotFinite {
            easting_m,
            northing_m,
        });
    }
    if !(0.0..=MAX_EASTING_M).contains(&easting_m) || !(0.0..=MAX_NORTHING_M).contains(&northing_m)
    {
        return Err(BngError::OutOfGrid {
            easting_m,
            northing_m,
        });
    }
    let (lon, lat) = lonlat_bng::convert_osgb36_to_ll(easting_m, northing_m).map_err(|e| {
        BngError::Transform {
            easting_m,
            northing_m,
            reason: e.to_string(),
        }
    })?;
    Ok(LatLon::new(lat, lon)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Birmingham school sites with both a BNG grid reference and a WGS84 point, copied from
    /// the Birmingham schools open data (OGL) into `fixtures/data/bng_points.csv`.
    const POINTS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/data/bng_points.csv"
    ));

    #[test]
    fn matches_published_points_within_5_m() {
        let mut checked = 0;
        for (i, line) in POINTS.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let [name, e, n, lat, lon] = f[..] else {
                panic!("bad fixture line {}", i + 1)
            };
            let (e, n): (f64, f64) = (e.parse().unwrap(), n.parse().unwrap());
            let want = LatLon::new(lat.parse().unwrap(), lon.parse().unwrap()).unwrap();
            let got = bng_to_wgs84(e, n).unwrap();
            let err_m = got.haversine_m(want);
            assert!(err_m < 5.0, "{name} (line {}): {err_m:.2} m off", i + 1);
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} fixture points");
    }

    #[test]
    fn rejects_bad_input_with_clear_messages() {
        assert_eq!(
            bng_to_wgs84(f64::NAN, 1.0).unwrap_err().to_string(),
            "easting/northing must be finite numbers (got NaN, 1)"
        );
        assert!(matches!(
            bng_to_wgs84(f64::INFINITY, 1.0),
            Err(BngError::NotFinite { .. })
        ));
        assert!(matches!(
            bng_to_wgs84(-5.0, 280_000.0),
            Err(BngError::OutOfGrid { .. })
        ));
        assert!(matches!(
            bng_to_wgs84(400_000.0, 2_000_000.0),
            Err(BngError::OutOfGrid { .. })
        ));
    }
}
