//! The `matrix` command's CSV: `from_id,to_id,distance_m,duration_s`, origins outer, input
//! order, figures with 3 decimals, both cells empty where a point is unsnappable or the
//! pair unreachable.
//!
//! [`matrix_csv`] formats each origin's rows into its own byte buffer in parallel (rayon),
//! reusing one number buffer per row instead of allocating a `String` per field, and joins
//! the buffers in origin order; [`matrix_csv_serial`] is the one-thread reference it must
//! equal byte for byte (tested, and the baseline of the bench).

use std::fmt::Write as _;

use rayon::prelude::*;

use crate::query::matrix::Matrix;

/// The header row.
pub const MATRIX_HEADER: [&str; 4] = ["from_id", "to_id", "distance_m", "duration_s"];

/// Pairs that have no figures, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingPairs {
    /// Both points snapped but no route joins them.
    pub unreachable: usize,
    /// An origin or destination is beyond the snap limit.
    pub unsnappable: usize,
}

impl MissingPairs {
    fn add(self, o: MissingPairs) -> MissingPairs {
        MissingPairs {
            unreachable: self.unreachable + o.unreachable,
            unsnappable: self.unsnappable + o.unsnappable,
        }
    }
}

/// One origin's rows.
fn origin_rows(
    m: &Matrix,
    oi: usize,
    origin_id: &str,
    dest_ids: &[&str],
    origin_snapped: bool,
    dest_snapped: &[bool],
) -> Result<(Vec<u8>, MissingPairs), csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(dest_ids.len() * 40));
    let (mut dist, mut dur) = (String::with_capacity(24), String::with_capacity(24));
    let mut missing = MissingPairs::default();
    for (di, d) in dest_ids.iter().enumerate() {
        dist.clear();
        dur.clear();
        match m.get(oi, di) {
            Some(j) => {
                // Writing into a String cannot fail.
                let _ = write!(dist, "{:.3}", j.distance_m);
                let _ = write!(dur, "{:.3}", j.duration_s);
            }
            None if origin_snapped && dest_snapped.get(di).copied().unwrap_or(false) => {
                missing.unreachable += 1;
            }
            None => missing.unsnappable += 1,
        }
        w.write_record([origin_id, d, dist.as_str(), dur.as_str()])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    Ok((bytes, missing))
}

fn header() -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MATRIX_HEADER)?;
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

/// The matrix as CSV bytes, formatted in parallel per origin and joined in order, with the
/// missing pairs counted. `origin_snapped` / `dest_snapped` say which points snapped.
///
/// # Errors
/// The csv crate's error (not expected for in-memory buffers).
pub fn matrix_csv(
    m: &Matrix,
    origin_ids: &[&str],
    dest_ids: &[&str],
    origin_snapped: &[bool],
    dest_snapped: &[bool],
) -> Result<(Vec<u8>, MissingPairs), csv::Error> {
    let parts: Vec<(Vec<u8>, MissingPairs)> = origin_ids
        .par_iter()
        .enumerate()
        .map(|(oi, o)| {
            let snapped = origin_snapped.get(oi).copied().unwrap_or(false);
            origin_rows(m, oi, o, dest_ids, snapped, dest_snapped)
        })
        .collect::<Result<_, _>>()?;
    let mut out = header()?;
    out.reserve(parts.iter().map(|(b, _)| b.len()).sum());
    let mut missing = MissingPairs::default();
    for (bytes, miss) in parts {
        out.extend_from_slice(&bytes);
        missing = missing.add(miss);
    }
    Ok((out, missing))
}

/// The same bytes from one thread and one `csv::Writer`, a `String` per field: the
/// reference [`matrix_csv`] is checked against.
///
/// # Errors
/// The csv crate's error.
pub fn matrix_csv_serial(
    m: &Matrix,
    origin_ids: &[&str],
    dest_ids: &[&str],
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MATRIX_HEADER)?;
    for (oi, o) in origin_ids.iter().enumerate() {
        for (di, d) in dest_ids.iter().enumerate() {
            match m.get(oi, di) {
                Some(j) => w.write_record([
                    *o,
                    *d,
                    &format!("{:.3}", j.distance_m),
                    &format!("{:.3}", j.duration_s),
                ])?,
                None => w.write_record([*o, *d, "", ""])?,
            }
        }
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::route::Journey;

    fn journey(i: usize) -> Journey {
        Journey {
            distance_m: i as f64 * 1234.5675 + 0.0005,
            duration_s: i as f64 * 61.0625,
        }
    }

    #[test]
    fn parallel_bytes_equal_serial_bytes() {
        let (n_o, n_d) = (37, 23);
        let cells: Vec<Option<Journey>> = (0..n_o * n_d)
            .map(|i| (i % 7 != 3).then(|| journey(i)))
            .collect();
        let m = Matrix {
            n_origins: n_o,
            n_dests: n_d,
            cells,
        };
        let o_names: Vec<String> = (0..n_o)
            .map(|i| {
                if i == 5 {
                    "a,\"quoted\" id".into()
                } else {
                    format!("O{i}")
                }
            })
            .collect();
        let d_names: Vec<String> = (0..n_d).map(|i| format!("D{i}")).collect();
        let o: Vec<&str> = o_names.iter().map(String::as_str).collect();
        let d: Vec<&str> = d_names.iter().map(String::as_str).collect();
        let snapped_o: Vec<bool> = (0..n_o).map(|i| i != 2).collect();
        let snapped_d = vec![true; n_d];
        let (par, missing) = matrix_csv(&m, &o, &d, &snapped_o, &snapped_d).unwrap();
        let serial = matrix_csv_serial(&m, &o, &d).unwrap();
        assert_eq!(par, serial);
        let empty = m.cells.iter().filter(|c| c.is_none()).count();
        assert_eq!(missing.unreachable + missing.unsnappable, empty);
        let on_row_2 = (0..n_d).filter(|&di| m.get(2, di).is_none()).count();
        assert_eq!(missing.unsnappable, on_row_2);
    }
}
