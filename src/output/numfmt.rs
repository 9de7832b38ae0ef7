//! Fixed three-decimal formatting straight into a byte buffer, byte-identical to
//! `format!("{:.3}", x)`.
//!
//! Rust's `{:.3}` prints the exact binary value rounded to thousandths, ties to even. For
//! `0 <= x < 2^53` (every journey figure) that is integer arithmetic: `x = m * 2^e` with a
//! 53-bit `m`, so `1000 * m` fits in a `u64` and `1000 * x` is `1000 * m` shifted by `e`,
//! rounded half to even on the bits shifted out. No floating-point multiply, so no
//! double rounding. Anything else (negative, `-0.0`, non-finite, `2^53` and above) goes
//! through `{:.3}` itself.

use std::io::Write as _;

/// `2^53`: below it the scaled mantissa fits in a `u64`.
const LIMIT: f64 = 9_007_199_254_740_992.0;

/// `x` in thousandths, rounded half to even exactly as `{:.3}` rounds; `None` outside
/// `[+0, 2^53)` (including `-0.0` and NaN).
pub fn thousandths(x: f64) -> Option<u64> {
    if !(x.is_sign_positive() && x < LIMIT) {
        return None;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    // m < 2^53 and 1000 < 2^10: no overflow.
    let n = m * 1000;
    if e >= 0 {
        // An integer below 2^53, so `n << e = 1000 * x < 2^63`.
        return Some(n << e);
    }
    let s = e.unsigned_abs();
    if s >= 64 {
        // n < 2^63 <= 2^(s - 1): below half a thousandth.
        return Some(0);
    }
    let q = n >> s;
    let rest = n & ((1u64 << s) - 1);
    let half = 1u64 << (s - 1);
    let up = rest > half || (rest == half && q & 1 == 1);
    Some(q + u64::from(up))
}

/// `"00" "01" .. "99"`: two digits per division by 100.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The two digits of `n % 100`.
fn pair(n: u64) -> [u8; 2] {
    let i = (n % 100) as usize * 2;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Write `q` thousandths as `I.FFF` (at least one integer digit, exactly three decimals)
/// to end just before `buf[end]`; returns where it starts. `end` must leave room for 21
/// bytes before it (`u64::MAX / 1000` has 17 digits, then the point and three decimals).
fn write_back(buf: &mut [u8], end: usize, q: u64) -> usize {
    let (int, frac) = (q / 1000, q % 1000);
    buf[end - 4] = b'.';
    buf[end - 3] = b'0' + (frac / 100) as u8;
    buf[end - 2..end].copy_from_slice(&pair(frac));
    let point = end - 4;
    if int < 100_000_000 {
        // Below 10^8 (every journey figure): all eight digits, leading zeros included, then
        // start at the first significant one; no branch on the length.
        let (hi, lo) = (int / 10_000, int % 10_000);
        buf[point - 8..point - 6].copy_from_slice(&pair(hi / 100));
        buf[point - 6..point - 4].copy_from_slice(&pair(hi));
        buf[point - 4..point - 2].copy_from_slice(&pair(lo / 100));
        buf[point - 2..point].copy_from_slice(&pair(lo));
        let digits = 1
            + usize::from(int >= 10)
            + usize::from(int >= 100)
            + usize::from(int >= 1_000)
            + usize::from(int >= 10_000)
            + usize::from(int >= 100_000)
            + usize::from(int >= 1_000_000)
            + usize::from(int >= 10_000_000);
        return point - digits;
    }
    let (mut int, mut i) = (int, point);
    while int >= 100 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&pair(int));
        int /= 100;
    }
    if int >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&pair(int));
    } else {
        i -= 1;
        buf[i] = b'0' + int as u8;
    }
    i
}

/// Append `q` thousandths as `I.FFF` (at least one integer digit, exactly three decimals).
pub fn push_thousandths(out: &mut Vec<u8>, q: u64) {
    let mut buf = [0u8; 24];
    let start = write_back(&mut buf, 24, q);
    out.extend_from_slice(&buf[start..]);
}

/// Bytes of a row tail [`push_fixed3_pair_line`] appends with one fixed-size copy.
pub const TAIL_COPY: usize = 32;

/// Append `a`, a comma, `b` and a line feed, each figure exactly as `{:.3}` writes it: the
/// tail of a CSV row in one copy.
pub fn push_fixed3_pair_line(out: &mut Vec<u8>, a: f64, b: f64) {
    if let (Some(qa), Some(qb)) = (thousandths(a), thousandths(b)) {
        // The tail ends at `END`, right-aligned; at most 2 * 20 + 2 bytes, so it starts at
        // 6 or later and `start + TAIL_COPY` stays inside the buffer.
        const END: usize = 48;
        let mut buf = [0u8; END + TAIL_COPY];
        buf[END - 1] = b'\n';
        let mid = write_back(&mut buf, END - 1, qb) - 1;
        buf[mid] = b',';
        let start = write_back(&mut buf, mid, qa);
        let len = END - start;
        if len <= TAIL_COPY {
            // A fixed-size copy (no call) and the surplus cut off again.
            let keep = out.len() + len;
            out.extend_from_slice(&buf[start..start + TAIL_COPY]);
            out.truncate(keep);
        } else {
            out.extend_from_slice(&buf[start..END]);
        }
    } else {
        push_fixed3(out, a);
        out.push(b',');
        push_fixed3(out, b);
        out.push(b'\n');
    }
}

/// Append `x` exactly as `write!(out, "{:.3}", x)` would, without allocating.
pub fn push_fixed3(out: &mut Vec<u8>, x: f64) {
    match thousandths(x) {
        Some(q) => push_thousandths(out, q),
        // Writing into a Vec cannot fail.
        None => {
            let _ = write!(out, "{x:.3}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fast(x: f64) -> String {
        let mut v = Vec::new();
        push_fixed3(&mut v, x);
        String::from_utf8(v).unwrap_or_default()
    }

    fn line(a: f64, b: f64) -> String {
        let mut v = Vec::new();
        push_fixed3_pair_line(&mut v, a, b);
        String::from_utf8(v).unwrap_or_default()
    }

    fn check(x: f64) {
        assert_eq!(
            fast(x),
            format!("{x:.3}"),
            "x = {x:?} (bits {:#x})",
            x.to_bits()
        );
        assert_eq!(line(x, 1.5), format!("{x:.3},1.500\n"));
        assert_eq!(line(0.25, x), format!("0.250,{x:.3}\n"));
    }

    #[test]
    fn edge_values() {
        for x in [
            0.0,
            -0.0,
            5e-324,
            f64::MIN_POSITIVE,
            0.0004999999999999999,
            0.0005,
            0.0015,
            0.0625,
            0.1875,
            2.0625,
            1.0005,
            999.9995,
            999.9994999999999,
            0.9995,
            1234.5675,
            LIMIT - 1.0,
            LIMIT - 0.5,
            LIMIT,
            LIMIT * 2.0,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -1.2345,
        ] {
            check(x);
        }
    }

    /// Every multiple of 2^-12 below 245 (a million values, among them every exact tie
    /// there: a double is exactly halfway between thousandths only when it is an odd
    /// multiple of 1/16), and runs of sixteenths and near-half-thousandths.
    #[test]
    fn exhaustive_small_dyadics() {
        for k in 0..1_000_000u32 {
            check(f64::from(k) / 4096.0);
        }
        for k in 0..200_000u32 {
            check(f64::from(k) / 16.0);
            check(f64::from(k) * 0.0005);
            check(f64::from(k) / 1000.0 + 0.0005);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Any bit pattern (every magnitude, sign, NaN and infinity).
        #[test]
        fn any_bits(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(fast(x), format!("{x:.3}"));
        }

        /// Journey-sized figures, alone and as a row's pair.
        #[test]
        fn journey_range(x in 0.0f64..1.0e7, y in 0.0f64..1.0e5) {
            prop_assert_eq!(fast(x), format!("{x:.3}"));
            prop_assert_eq!(line(x, y), format!("{x:.3},{y:.3}\n"));
        }

        /// The largest fast-path figures side by side (the widest row tail).
        #[test]
        fn widest_pair(a in (LIMIT / 2.0)..LIMIT, b in (LIMIT / 2.0)..LIMIT) {
            prop_assert_eq!(line(a, b), format!("{a:.3},{b:.3}\n"));
        }

        /// Any two bit patterns as a pair (fast path, fallback, or one of each).
        #[test]
        fn any_pair(a in any::<u64>(), b in any::<u64>()) {
            let (a, b) = (f64::from_bits(a), f64::from_bits(b));
            prop_assert_eq!(line(a, b), format!("{a:.3},{b:.3}\n"));
        }

        /// Values a hair either side of a half-thousandth, and the nearest doubles to one.
        #[test]
        fn near_halfway(k in 0u64..100_000_000, ulps in -4i64..=4) {
            let x = (k as f64 + 0.5) / 1000.0;
            let y = f64::from_bits(x.to_bits().saturating_add_signed(ulps));
            prop_assert_eq!(fast(y), format!("{y:.3}"));
        }

        /// Exact ties (odd multiples of 1/16) of every size below 2^45, and dyadic
        /// neighbours of them.
        #[test]
        fn exact_ties(k in 0u64..(1u64 << 49), p in 4i32..12) {
            let x = (2 * k + 1) as f64 / 16.0;
            prop_assert_eq!(fast(x), format!("{x:.3}"));
            let x = (k as f64) * 2f64.powi(-p);
            prop_assert_eq!(fast(x), format!("{x:.3}"));
        }
    }
}
