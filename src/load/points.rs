//! Adapter: `id,lat,lon` point CSVs (matrix inputs) with strict per-row validation.

use std::collections::HashMap;

use crate::error::Error;
use crate::model::{CoordError, LatLon};

/// A named point; the id is kept verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPoint {
    /// Identifier, verbatim (text).
    pub id: String,
    /// Location.
    pub pos: LatLon,
    /// The optional `name` column (`None` when absent or blank).
    pub name: Option<String>,
    /// 1-based physical line in the file.
    pub line: usize,
}

/// Read `id,lat,lon` rows (header required; an optional `name` column is kept, other
/// columns are ignored; UTF-8 BOM and CRLF allowed).
///
/// # Errors
/// [`Error::Csv`] naming the file, line and field for a missing column, a malformed row,
/// non-finite or out-of-range coordinates, or a duplicate id.
pub fn read_points(bytes: &[u8], file: &str) -> Result<Vec<NamedPoint>, Error> {
    let bytes = &bytes[crate::model::bom_len(bytes)..];
    // Windows line endings: the csv crate's line numbers drift on `\r\n`, so normalise.
    let normalised: Vec<u8>;
    let bytes = if bytes.contains(&b'\r') {
        normalised = String::from_utf8_lossy(bytes)
            .replace("\r\n", "\n")
            .into_bytes();
        &normalised[..]
    } else {
        bytes
    };
    let err = |line: usize, field: &str, message: String| Error::Csv {
        file: file.to_string(),
        line,
        field: field.to_string(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| err(1, "header", e.to_string()))?
        .clone();
    let col = |name: &str| -> Result<usize, Error> {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                err(
                    1,
                    name,
                    "required column is missing (header must be id,lat,lon)".into(),
                )
            })
    };
    let (ci, clat, clon) = (col("id")?, col("lat")?, col("lon")?);
    let cname = headers.iter().position(|h| h.eq_ignore_ascii_case("name"));
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            err(line, "row", e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let id = rec.get(ci).unwrap_or_default().to_string();
        if id.is_empty() {
            return Err(err(line, "id", "empty id".into()));
        }
        let num = |c: usize, name: &str| -> Result<f64, Error> {
            let raw = rec.get(c).unwrap_or_default();
            let v: f64 = raw
                .parse()
                .map_err(|_| err(line, name, "not a number".into()))?;
            Ok(v)
        };
        // Points may be homes: messages name the line and field, never the value.
        let (lat, lon) = (num(clat, "lat")?, num(clon, "lon")?);
        let pos = LatLon::new(lat, lon).map_err(|e| {
            let field = match e {
                CoordError::LatNotFinite(_) | CoordError::LatOutOfRange(_) => "lat",
                CoordError::LonNotFinite(_) | CoordError::LonOutOfRange(_) => "lon",
            };
            err(line, field, e.without_value().to_string())
        })?;
        if let Some(first) = seen.get(&id) {
            return Err(err(
                line,
                "id",
                format!("duplicate id: already used on line {first}"),
            ));
        }
        seen.insert(id.clone(), line);
        let name = cname
            .and_then(|c| rec.get(c))
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        out.push(NamedPoint {
            id,
            pos,
            name,
            line,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_good_rows_and_keeps_ids_verbatim() {
        let p = read_points(
            b"\xEF\xBB\xBFid,lat,lon\r\n007,54.1,-4.5\r\nA b,54.2,-4.4\r\n",
            "a.csv",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].id, "007");
        assert_eq!(p[1].id, "A b");
    }

    #[test]
    fn rejects_bad_rows_with_file_line_field() {
        let cases: [(&[u8], &str); 6] = [
            (b"id,lat,lon\na,NaN,1\n", "a.csv line 2, field `lat`"),
            (b"id,lat,lon\na,1,inf\n", "a.csv line 2, field `lon`"),
            (b"id,lat,lon\na,1,1\nb,91,1\n", "a.csv line 3, field `lat`"),
            (b"id,lat,lon\na,1,181\n", "field `lon`"),
            (
                b"id,lat,lon\na,1,1\na,2,2\n",
                "line 3, field `id`: duplicate id: already used on line 2",
            ),
            (b"id,latitude,lon\na,1,1\n", "line 1, field `lat`"),
        ];
        let e = read_points(b"id,lat,lon\r\na,1,1\r\nb,NaN,1\r\n", "w.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("w.csv line 3, field `lat`"), "{e}");
        for (input, want) in cases {
            let e = read_points(input, "a.csv").unwrap_err().to_string();
            assert!(e.contains(want), "{e} should contain {want}");
        }
        let e = read_points(b"id,lat,lon\na,1\n", "a.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.csv line 2"), "{e}");
    }
}
