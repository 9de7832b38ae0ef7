//! The `matrix` command's CSV: `from_id,to_id,distance_m,duration_s`, origins outer, input
//! order, figures with 3 decimals, both cells empty where a point is unsnappable or the
//! pair unreachable.
//!
//! [`write_matrix_csv`] formats origins' rows in parallel (rayon), each origin into its own
//! byte buffer, a block of origins at a time (each block while the one before is written),
//! and writes the buffers in origin order, so memory stays two blocks of rows whatever the
//! matrix size; [`matrix_csv`] is the same into one buffer. Each id is CSV-encoded once by the csv crate (so it is quoted exactly
//! as the crate quotes it) and its bytes reused on every row; figures go straight into the
//! buffer through [`crate::output::numfmt`] (byte-identical to `{:.3}`, no allocation).
//! [`matrix_csv_serial`] is the one-thread `csv::Writer` reference all of this must equal
//! byte for byte (tested).

use std::io::Write;

use rayon::prelude::*;

use crate::output::numfmt::{push_fixed3_pair_line, TAIL_COPY};
use crate::query::matrix::Matrix;

/// The header row.
pub const MATRIX_HEADER: [&str; 4] = ["from_id", "to_id", "distance_m", "duration_s"];

/// Rows formatted per block before it is written (bounds the buffered output to a few MB).
const BLOCK_ROWS: usize = 1 << 16;

/// Room reserved for the tail of a journey row (`12345678.901,123456.789\n`); a longer
/// row only makes its buffer grow.
const FIGURES_BYTES: usize = 24;

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

fn io_error(e: impl std::fmt::Display) -> csv::Error {
    csv::Error::from(std::io::Error::other(e.to_string()))
}

/// `field` as the csv crate writes it as one field of a record (default settings: quoted,
/// inner quotes doubled, only when it holds a comma, a quote, CR or LF), appended to `out`.
/// The crate writes it as the first of two fields, `field,` and the terminator, and the
/// last two bytes are dropped (a field's closing quote is only written once the next
/// delimiter is, and a lone empty field would be quoted).
fn push_csv_field(out: &mut Vec<u8>, field: &str) -> Result<(), csv::Error> {
    let start = out.len();
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .buffer_capacity(field.len() * 2 + 8)
        .from_writer(std::mem::take(out));
    w.write_record([field, ""])?;
    *out = w.into_inner().map_err(io_error)?;
    let end = out.len().saturating_sub(2).max(start);
    if out.get(end..) != Some(b",\n".as_slice()) {
        return Err(io_error("csv writer wrote an unexpected record end"));
    }
    out.truncate(end);
    Ok(())
}

/// Bytes appended to many rows (an encoded id, a destination's `,to_id,`): up to
/// [`PIECE`] of them by one fixed-size copy instead of a `memcpy` call.
struct Piece {
    /// The bytes, zero-padded, when they fit.
    short: [u8; PIECE],
    /// How many bytes there are.
    len: usize,
    /// The bytes when they do not fit in `short`.
    long: Vec<u8>,
}

/// Widest [`Piece`] copied at a fixed size.
const PIECE: usize = 32;

impl Piece {
    fn new(bytes: Vec<u8>) -> Piece {
        let mut short = [0u8; PIECE];
        match short.get_mut(..bytes.len()) {
            Some(head) => {
                head.copy_from_slice(&bytes);
                Piece {
                    short,
                    len: bytes.len(),
                    long: Vec::new(),
                }
            }
            None => Piece {
                short,
                len: bytes.len(),
                long: bytes,
            },
        }
    }

    #[inline]
    fn push(&self, out: &mut Vec<u8>) {
        if self.len <= PIECE {
            let keep = out.len() + self.len;
            out.extend_from_slice(&self.short);
            out.truncate(keep);
        } else {
            out.extend_from_slice(&self.long);
        }
    }
}

/// Every destination's `,to_id,` as CSV bytes.
fn dest_pieces(dest_ids: &[&str]) -> Result<Vec<Piece>, csv::Error> {
    dest_ids
        .iter()
        .map(|d| {
            let mut bytes = Vec::with_capacity(d.len() + 4);
            bytes.push(b',');
            push_csv_field(&mut bytes, d)?;
            bytes.push(b',');
            Ok(Piece::new(bytes))
        })
        .collect()
}

/// One origin's rows.
fn origin_rows(
    m: &Matrix,
    oi: usize,
    origin_id: &str,
    dests: &[Piece],
    origin_snapped: bool,
    dest_snapped: &[bool],
) -> Result<(Vec<u8>, MissingPairs), csv::Error> {
    let mut bytes = Vec::with_capacity(origin_id.len() + 2);
    push_csv_field(&mut bytes, origin_id)?;
    let origin = Piece::new(bytes);
    // `row[di]` is `m.get(oi, di)`: the same cell, or none past the end.
    let row = oi
        .checked_mul(m.n_dests)
        .and_then(|start| m.cells.get(start..))
        .unwrap_or_default();
    let widest = dests.iter().map(|d| d.len).max().unwrap_or(0);
    // Room for every row with figures, plus the fixed-size copies' surplus.
    let mut out = Vec::with_capacity(
        dests.len() * (origin.len + widest + FIGURES_BYTES) + 2 * PIECE.max(TAIL_COPY),
    );
    let mut missing = MissingPairs::default();
    for (di, dest) in dests.iter().enumerate() {
        origin.push(&mut out);
        dest.push(&mut out);
        match row.get(di).copied().flatten() {
            Some(j) => push_fixed3_pair_line(&mut out, j.distance_m, j.duration_s),
            None => {
                out.extend_from_slice(b",\n");
                if origin_snapped && dest_snapped.get(di).copied().unwrap_or(false) {
                    missing.unreachable += 1;
                } else {
                    missing.unsnappable += 1;
                }
            }
        }
    }
    Ok((out, missing))
}

fn header() -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MATRIX_HEADER)?;
    w.into_inner().map_err(io_error)
}

/// A block of origins' rows, in origin order, and their missing pairs.
type Block = (Vec<Vec<u8>>, MissingPairs);

/// Write the matrix as CSV to `out`, formatted in parallel per origin and written in
/// order, and count the missing pairs. `origin_snapped` / `dest_snapped` say which points
/// snapped. Rows are formatted a block of origins at a time, each block while the one
/// before it is written, so only two blocks are ever held.
///
/// # Errors
/// Writing to `out` fails (as a csv error wrapping the I/O error).
pub fn write_matrix_csv<W: Write + Send>(
    out: &mut W,
    m: &Matrix,
    origin_ids: &[&str],
    dest_ids: &[&str],
    origin_snapped: &[bool],
    dest_snapped: &[bool],
) -> Result<MissingPairs, csv::Error> {
    out.write_all(&header()?)?;
    let dests = dest_pieces(dest_ids)?;
    let block = (BLOCK_ROWS / dest_ids.len().max(1)).max(1);
    let format_block = |b: usize, ids: &[&str]| -> Result<Block, csv::Error> {
        let rows: Vec<(Vec<u8>, MissingPairs)> = ids
            .par_iter()
            .enumerate()
            .map(|(i, o)| {
                let oi = b * block + i;
                let snapped = origin_snapped.get(oi).copied().unwrap_or(false);
                origin_rows(m, oi, o, &dests, snapped, dest_snapped)
            })
            .collect::<Result<_, _>>()?;
        let missing = rows.iter().fold(MissingPairs::default(), |a, r| a.add(r.1));
        Ok((rows.into_iter().map(|(bytes, _)| bytes).collect(), missing))
    };
    let write_block = |out: &mut W, rows: Vec<Vec<u8>>| -> std::io::Result<()> {
        rows.iter().try_for_each(|r| out.write_all(r))
    };
    let mut missing = MissingPairs::default();
    let mut pending: Vec<Vec<u8>> = Vec::new();
    for (b, ids) in origin_ids.chunks(block).enumerate() {
        let previous = std::mem::take(&mut pending);
        let (written, next) = rayon::join(|| write_block(out, previous), || format_block(b, ids));
        written?;
        let (rows, miss) = next?;
        pending = rows;
        missing = missing.add(miss);
    }
    write_block(out, pending)?;
    Ok(missing)
}

/// The matrix as CSV bytes ([`write_matrix_csv`] into one buffer), with the missing pairs
/// counted. `origin_snapped` / `dest_snapped` say which points snapped.
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
    let mut out = Vec::new();
    let missing = write_matrix_csv(
        &mut out,
        m,
        origin_ids,
        dest_ids,
        origin_snapped,
        dest_snapped,
    )?;
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
    w.into_inner().map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::route::Journey;
    use proptest::prelude::*;

    fn journey(i: usize) -> Journey {
        Journey {
            distance_m: i as f64 * 1234.5675 + 0.0005,
            duration_s: i as f64 * 61.0625,
        }
    }

    /// The two outputs as text, first differing line named on failure.
    fn assert_same(fast: &[u8], serial: &[u8]) {
        let (a, b) = (
            String::from_utf8_lossy(fast),
            String::from_utf8_lossy(serial),
        );
        for (i, (x, y)) in a.split('\n').zip(b.split('\n')).enumerate() {
            assert_eq!(x, y, "line {} differs", i + 1);
        }
        assert_eq!(fast.len(), serial.len(), "lengths differ");
        assert!(fast == serial);
    }

    fn matrix_of(n_o: usize, n_d: usize, cell: impl Fn(usize) -> Option<Journey>) -> Matrix {
        Matrix {
            n_origins: n_o,
            n_dests: n_d,
            cells: (0..n_o * n_d).map(cell).collect(),
        }
    }

    #[test]
    fn parallel_bytes_equal_serial_bytes() {
        let (n_o, n_d) = (37, 23);
        let m = matrix_of(n_o, n_d, |i| (i % 7 != 3).then(|| journey(i)));
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
        assert_same(&par, &serial);
        let empty = m.cells.iter().filter(|c| c.is_none()).count();
        assert_eq!(missing.unreachable + missing.unsnappable, empty);
        let on_row_2 = (0..n_d).filter(|&di| m.get(2, di).is_none()).count();
        assert_eq!(missing.unsnappable, on_row_2);
    }

    /// Ids the csv crate quotes or leaves alone, short and long, and more origins than one block holds, so
    /// rows cross block boundaries.
    #[test]
    fn odd_ids_and_many_blocks_equal_serial() {
        let odd = [
            "",
            " ",
            " padded ",
            "a,b",
            "\"",
            "say \"hi\"",
            "line\nbreak",
            "cr\rhere",
            "crlf\r\n",
            "#hash",
            "tab\there",
            "é ü 学校",
            "'single'",
            ",",
            "\"\"",
            "end,",
            "a destination id longer than the thirty-two bytes copied at a fixed size",
            "a long one, with a comma and \"quotes\", past the fixed-size copy",
        ];
        let n_d = odd.len();
        let n_o = BLOCK_ROWS / n_d * 2 + 7;
        let m = matrix_of(n_o, n_d, |i| (i % 5 != 1).then(|| journey(i % 977)));
        let o_names: Vec<String> = (0..n_o)
            .map(|i| format!("{}{i}", odd.get(i % 40).copied().unwrap_or("p")))
            .collect();
        let o: Vec<&str> = o_names.iter().map(String::as_str).collect();
        let snapped_o = vec![true; n_o];
        let snapped_d = vec![true; n_d];
        let (par, missing) = matrix_csv(&m, &o, &odd, &snapped_o, &snapped_d).unwrap();
        assert_same(&par, &matrix_csv_serial(&m, &o, &odd).unwrap());
        assert_eq!(missing.unsnappable, 0);
        assert_eq!(
            missing.unreachable,
            m.cells.iter().filter(|c| c.is_none()).count()
        );
    }

    /// The streamed writer writes the same bytes as the buffered one.
    #[test]
    fn streamed_equals_buffered() {
        let m = matrix_of(3, 2, |i| (i != 4).then(|| journey(i)));
        let (o, d) = (["x", "y", "z"], ["p", "q"]);
        let (bytes, missing) = matrix_csv(&m, &o, &d, &[true; 3], &[true, true]).unwrap();
        let mut streamed = std::io::Cursor::new(Vec::new());
        let again = write_matrix_csv(&mut streamed, &m, &o, &d, &[true; 3], &[true, true]).unwrap();
        assert_eq!(streamed.into_inner(), bytes);
        assert_eq!(again, missing);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "from_id,to_id,distance_m,duration_s\n\
             x,p,0.001,0.000\nx,q,1234.568,61.062\n\
             y,p,2469.136,122.125\ny,q,3703.703,183.188\n\
             z,p,,\nz,q,6172.838,305.312\n"
        );
    }

    /// Id lists longer or shorter than the matrix read cells as `Matrix::get` does, like
    /// the reference.
    #[test]
    fn id_lists_not_matching_the_matrix_equal_serial() {
        let m = matrix_of(3, 2, |i| (i != 4).then(|| journey(i)));
        for (o, d) in [
            (vec!["x", "y", "z", "w"], vec!["p", "q", "r"]),
            (vec!["x"], vec!["p"]),
            (vec![], vec!["p"]),
            (vec!["x", "y"], vec![]),
        ] {
            let (par, _) = matrix_csv(&m, &o, &d, &[true; 4], &[true; 3]).unwrap();
            assert_same(&par, &matrix_csv_serial(&m, &o, &d).unwrap());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Random ids (any characters, the CSV specials likely) and figures (journey-sized,
        /// exact ties, or anything at all) give the serial writer's bytes.
        #[test]
        fn random_matrices_equal_serial(
            o_ids in proptest::collection::vec("[a-c ,\"\r\n#\t'é]{0,6}", 1..12),
            d_ids in proptest::collection::vec("[a-c ,\"\r\n#\t'é]{0,6}", 1..9),
            figures in proptest::collection::vec(
                prop_oneof![
                    Just(None),
                    (0.0f64..1.0e6, 0.0f64..1.0e5).prop_map(Some),
                    (0u32..100_000, 0u32..100_000)
                        .prop_map(|(a, b)| Some((f64::from(a) / 16.0, f64::from(b) / 16.0))),
                    (any::<u64>(), any::<u64>())
                        .prop_map(|(a, b)| Some((f64::from_bits(a), f64::from_bits(b)))),
                ],
                108,
            ),
        ) {
            let (n_o, n_d) = (o_ids.len(), d_ids.len());
            let m = matrix_of(n_o, n_d, |i| {
                figures.get(i).copied().flatten().map(|(distance_m, duration_s)| Journey {
                    distance_m,
                    duration_s,
                })
            });
            let o: Vec<&str> = o_ids.iter().map(String::as_str).collect();
            let d: Vec<&str> = d_ids.iter().map(String::as_str).collect();
            let (par, _) = matrix_csv(&m, &o, &d, &vec![true; n_o], &vec![true; n_d]).unwrap();
            let serial = matrix_csv_serial(&m, &o, &d).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&par), String::from_utf8_lossy(&serial));
        }
    }
}
