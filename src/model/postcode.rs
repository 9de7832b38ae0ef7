//! Postcodes: [`normalise_postcode`] and the [`PostcodeTable`] of centroids.
//!
//! Plain data and pure lookups; reading a postcode CSV is `crate::load::postcodes`. No I/O;
//! must not import `crate::load`.

use std::collections::HashMap;

use crate::model::LatLon;

/// Normalises a UK postcode: upper case, inner spaces removed, then one space before the
/// three-character inward code. `None` when it is not shaped like a postcode (outward code
/// of 2–4 letters/digits starting with a letter; inward code digit-letter-letter).
///
/// # Examples
/// ```
/// use nearhome::model::postcode::normalise_postcode;
/// assert_eq!(normalise_postcode("b11aa").as_deref(), Some("B1 1AA"));
/// assert_eq!(normalise_postcode(" im1  3ab ").as_deref(), Some("IM1 3AB"));
/// assert_eq!(normalise_postcode("B1"), None);
/// ```
pub fn normalise_postcode(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = matches!(
        inward.as_bytes(),
        [d, a, b] if d.is_ascii_digit() && a.is_ascii_alphabetic() && b.is_ascii_alphabetic()
    );
    let outward_ok = outward.bytes().all(|b| b.is_ascii_alphanumeric())
        && outward
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic());
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

/// Postcode centroids, in file order, with a lookup by normalised postcode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostcodeTable {
    entries: Vec<(String, LatLon)>,
    index: HashMap<String, usize>,
}

impl PostcodeTable {
    /// Builds a table from `(postcode, centroid)` pairs; postcodes are normalised, malformed
    /// ones skipped and later duplicates ignored (first kept).
    pub fn new(entries: impl IntoIterator<Item = (String, LatLon)>) -> Self {
        let mut table = Self::default();
        for (pc, p) in entries {
            let Some(pc) = normalise_postcode(&pc) else {
                continue;
            };
            if table.index.contains_key(&pc) {
                continue;
            }
            table.index.insert(pc.clone(), table.entries.len());
            table.entries.push((pc, p));
        }
        table
    }

    /// The centroid of `postcode` (normalised first), if listed.
    pub fn get(&self, postcode: &str) -> Option<LatLon> {
        let pc = normalise_postcode(postcode)?;
        let &i = self.index.get(&pc)?;
        self.entries.get(i).map(|e| e.1)
    }

    /// Every `(normalised postcode, centroid)`, in file order.
    pub fn entries(&self) -> &[(String, LatLon)] {
        &self.entries
    }

    /// Number of postcodes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table has no postcodes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
