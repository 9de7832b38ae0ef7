//! Disclosure control for public aggregates (ONS practice) and role rules.
//!
//! A count below [`MIN_PUBLIC_COUNT`] is suppressed; every other count is rounded to the
//! nearest [`ROUND_TO`]. Secondary suppression: in any row or column of a table (including
//! its totals), a single suppressed cell could be recovered by subtraction, so the smallest
//! other visible cell of that line is suppressed too, repeated until no line has exactly
//! one suppressed cell. No I/O here.

/// Smallest count shown publicly.
pub const MIN_PUBLIC_COUNT: u64 = 10;
/// Public counts are rounded to the nearest multiple of this.
pub const ROUND_TO: u64 = 5;

/// A public count: `None` = suppressed.
pub fn public_count(n: u64) -> Option<u64> {
    if n < MIN_PUBLIC_COUNT {
        None
    } else {
        Some((n + ROUND_TO / 2) / ROUND_TO * ROUND_TO)
    }
}

/// Apply primary and secondary suppression to a table of counts.
///
/// `cells[r][c]` are counts; `lines` lists groups of cells (row or column members) whose
/// total is published or derivable. Returns the public value per cell (`None` suppressed).
pub fn suppress_table(cells: &[Vec<u64>], lines: &[Vec<(usize, usize)>]) -> Vec<Vec<Option<u64>>> {
    let mut hidden: Vec<Vec<bool>> = cells
        .iter()
        .map(|row| row.iter().map(|&n| n > 0 && n < MIN_PUBLIC_COUNT).collect())
        .collect();
    loop {
        let mut changed = false;
        for line in lines {
            let n_hidden = line.iter().filter(|&&(r, c)| hidden[r][c]).count();
            if n_hidden != 1 {
                continue;
            }
            // Hide the smallest other non-zero visible cell of the line.
            let pick = line
                .iter()
                .filter(|&&(r, c)| !hidden[r][c] && cells[r][c] > 0)
                .min_by_key(|&&(r, c)| (cells[r][c], r, c));
            if let Some(&(r, c)) = pick {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    cells
        .iter()
        .zip(hidden)
        .map(|(row, h)| {
            row.iter()
                .zip(h)
                .map(|(&n, hide)| {
                    if hide {
                        None
                    } else if n == 0 {
                        Some(0)
                    } else {
                        public_count(n)
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_rule() {
        assert_eq!(public_count(0), None);
        assert_eq!(public_count(9), None);
        assert_eq!(public_count(10), Some(10));
        assert_eq!(public_count(12), Some(10));
        assert_eq!(public_count(13), Some(15));
        assert_eq!(public_count(376), Some(375));
    }

    #[test]
    fn secondary_suppression_hides_a_second_cell() {
        // One row with a total: 3 (hidden) + 20 + 40 = 63. Hiding only 3 lets 63-20-40 recover it.
        let cells = vec![vec![3, 20, 40, 63]];
        let lines = vec![vec![(0, 0), (0, 1), (0, 2), (0, 3)]];
        let out = suppress_table(&cells, &lines);
        assert_eq!(out[0][0], None);
        assert_eq!(out[0][1], None, "the smallest other cell is hidden too");
        assert_eq!(out[0][2], Some(40));
        assert_eq!(out[0][3], Some(65));
    }

    #[test]
    fn zero_cells_are_shown_as_zero() {
        let cells = vec![vec![0, 25]];
        let out = suppress_table(&cells, &[vec![(0, 0), (0, 1)]]);
        assert_eq!(out[0], vec![Some(0), Some(25)]);
    }
}
