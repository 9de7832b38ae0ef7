//! Postcode table adapter: `postcode,lat,lon` CSV -> [`PostcodeTable`] of centroids.
//!
//! Also accepts the ONS Postcode Directory spelling (`Postcode,LAT,LONG`, or `pcds`, `pcd`)
//! and `easting`/`northing` (`oseast1m`/`osnrth1m`) instead of `lat`/`lon`. Postcodes are
//! normalised ([`normalise_postcode`]) on load and on lookup.

use std::collections::HashMap;

use crate::load::table::{
    excerpt, CoordColumns, IssueKind, Loaded, Located, RowCtx, Table, TableError,
};
use crate::model::postcode::{normalise_postcode, PostcodeTable};
use crate::model::LatLon;

/// Accepted names of the postcode column.
pub const POSTCODE_NAMES: [&str; 4] = ["postcode", "pcds", "pcd", "pcd2"];

/// Reads a postcode table CSV; `file` labels messages.
///
/// Rows with a malformed postcode or bad coordinates are errors (rejected). A postcode seen
/// before is a warning and the later row is not used (counted as rejected). ONSPD rows without
/// a grid reference (`LAT` 99.999999) are rejected as out of range.
pub fn load_postcodes(bytes: &[u8], file: &str) -> Result<(PostcodeTable, Loaded<()>), TableError> {
    let mut issues = Vec::new();
    let table = Table::parse(bytes, file, &mut issues)?;
    let pc_col = table.require(&POSTCODE_NAMES)?;
    let coords = CoordColumns::find(&table)?;
    if coords.is_empty() {
        return Err(table.missing("lat`/`lon` or `easting`/`northing"));
    }
    let mut entries: Vec<(String, LatLon)> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut rejected = table.malformed_rows;
    for row in &table.rows {
        let mut ctx = RowCtx::new(file, row, false, &mut issues);
        let raw = ctx.required(pc_col, "postcode");
        let pc = raw.and_then(|raw| {
            let pc = normalise_postcode(raw);
            if pc.is_none() {
                ctx.error(
                    IssueKind::UnknownPostcode,
                    "postcode",
                    format!("\"{}\" is not a valid UK postcode", excerpt(raw)),
                );
            }
            pc
        });
        let location = match ctx.location(&coords) {
            Located::Found(p) => Some(p),
            Located::Blank => {
                ctx.error(
                    IssueKind::MissingValue,
                    "lat",
                    "no coordinates for this postcode",
                );
                None
            }
            Located::Invalid => None,
        };
        let (Some(pc), Some(location), true) = (pc, location, ctx.ok()) else {
            rejected += 1;
            continue;
        };
        if let Some(first) = first_line.get(&pc) {
            ctx.warn(
                IssueKind::DuplicatePostcode,
                "postcode",
                format!("postcode {pc} already listed on line {first}; this row is not used"),
            );
            rejected += 1;
            continue;
        }
        first_line.insert(pc.clone(), row.line);
        entries.push((pc, location));
    }
    let rows_read = table.rows_read();
    let loaded = Loaded {
        items: vec![(); entries.len()],
        issues,
        rows_read,
        rows_rejected: rejected,
    };
    Ok((PostcodeTable::new(entries), loaded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::table::Severity;

    #[test]
    fn normalises_case_and_spacing() {
        for (raw, want) in [
            ("b11aa", Some("B1 1AA")),
            ("B1 1AA", Some("B1 1AA")),
            ("  sw1a   1aa ", Some("SW1A 1AA")),
            ("IM13AB", Some("IM1 3AB")),
            ("LE15 6AB", Some("LE15 6AB")),
            ("B1", None),
            ("1B1 1AA", None),
            ("B1 AAA", None),
            ("B1 1A1", None),
            ("B1-1AA", None),
            ("ÄB1 1AA", None),
        ] {
            assert_eq!(normalise_postcode(raw).as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn loads_plain_and_ons_headers() {
        let (t, l) = load_postcodes(b"postcode,lat,lon\nim1 3ab,54.15,-4.48\n", "pc.csv").unwrap();
        assert_eq!(l.rows_accepted(), 1);
        assert_eq!(
            t.get("IM1 3AB"),
            Some(LatLon {
                lat: 54.15,
                lon: -4.48
            })
        );
        assert_eq!(
            t.get("im13ab"),
            Some(LatLon {
                lat: 54.15,
                lon: -4.48
            })
        );
        assert_eq!(t.get("IM1 3AC"), None);

        let (t, l) = load_postcodes(
            b"\xEF\xBB\xBFPostcode,LAT,LONG\r\nB1 1AA,52.48,-1.90\r\nB1 1AB,99.999999,0.000000\r\n",
            "onspd.csv",
        )
        .unwrap();
        assert_eq!((l.rows_read, l.rows_accepted(), l.rows_rejected), (2, 1, 1));
        assert_eq!(t.len(), 1);
        let err = l
            .issues
            .iter()
            .find(|i| i.severity == Severity::Error)
            .unwrap();
        assert_eq!(
            err.to_string(),
            "error: onspd.csv line 3, column lat: lat 99.999999 is outside -90..90 degrees"
        );
    }

    #[test]
    fn duplicates_keep_the_first_and_bad_postcodes_are_errors() {
        let (t, l) = load_postcodes(
            b"postcode,lat,lon\nB1 1AA,52.48,-1.90\nb11aa,52.0,-1.0\nnonsense,52.0,-1.0\n",
            "pc.csv",
        )
        .unwrap();
        assert_eq!(
            t.get("B1 1AA"),
            Some(LatLon {
                lat: 52.48,
                lon: -1.90
            })
        );
        assert_eq!((l.rows_read, l.rows_accepted(), l.rows_rejected), (3, 1, 2));
        let msgs: Vec<String> = l.issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "warning: pc.csv line 3, column postcode: postcode B1 1AA already listed on line 2; this row is not used",
                "error: pc.csv line 4, column postcode: \"nonsense\" is not a valid UK postcode",
            ]
        );
    }

    #[test]
    fn missing_postcode_column_is_a_file_error() {
        let err = load_postcodes(b"code,lat,lon\n", "pc.csv").unwrap_err();
        assert!(err
            .to_string()
            .contains("missing required column `postcode` or `pcds`"));
    }
}
