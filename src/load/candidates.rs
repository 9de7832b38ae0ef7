//! User candidate sites for planning: a CSV of `id,name,lat,lon` ->
//! [`CandidatePoint`]s (the extra candidates of a planning request).

use crate::error::Error;
use crate::model::candidate::CandidatePoint;

/// Read user candidate points: CSV with header `id,name,lat,lon` (extra columns ignored,
/// UTF-8 BOM allowed; an empty name becomes the id).
///
/// # Errors
/// [`Error::Csv`] naming the file, line and field for a missing column, a malformed
/// row, an empty or duplicate id, or non-finite or out-of-range coordinates.
pub fn read_candidates(bytes: &[u8], file: &str) -> Result<Vec<CandidatePoint>, Error> {
    let text = &bytes[crate::model::bom_len(bytes)..];
    let header = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let has_name = String::from_utf8_lossy(header)
        .split(',')
        .any(|h| h.trim().eq_ignore_ascii_case("name"));
    if !has_name {
        return Err(Error::Csv {
            file: file.to_string(),
            line: 1,
            field: "name".into(),
            message: "required column is missing (header must be id,name,lat,lon)".into(),
        });
    }
    let points = crate::load::points::read_points(bytes, file).map_err(|e| match e {
        e @ Error::Csv { .. } => e,
        other => Error::Csv {
            file: file.to_string(),
            line: 0,
            field: "file".into(),
            message: other.to_string(),
        },
    })?;
    Ok(points
        .into_iter()
        .map(|p| CandidatePoint {
            name: p.name.unwrap_or_else(|| p.id.clone()),
            source: format!("{file} line {}", p.line),
            id: p.id,
            location: p.pos,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_candidates_and_reports_bad_rows() {
        let c = read_candidates(
            b"\xEF\xBB\xBFid,name,lat,lon\r\nA,,52.6,-0.7\r\nB,Bee,52.7,-0.6\r\n",
            "c.csv",
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "A");
        assert_eq!(c[1].source, "c.csv line 3");
        let e = read_candidates(b"id,name,lat,lon\r\na,A,1,1\r\nb,B,x,1\r\n", "c.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.csv line 3, field `lat`"), "{e}");
        let cases: [(&[u8], &str); 5] = [
            (b"id,lat,lon\na,1,1\n", "c.csv line 1, field `name`"),
            (b"id,name,lat,lon\na,x,NaN,1\n", "c.csv line 2, field `lat`"),
            (b"id,name,lat,lon\na,x,1,200\n", "line 2, field `lon`"),
            (b"id,name,lat,lon\na,x,1,1\na,y,2,2\n", "line 3, field `id`"),
            (b"id,name,lat,lon\n,x,1,1\n", "line 2, field `id`: empty id"),
        ];
        for (input, want) in cases {
            let e = read_candidates(input, "c.csv").unwrap_err().to_string();
            assert!(e.contains(want), "{e} should contain {want}");
        }
    }
}
