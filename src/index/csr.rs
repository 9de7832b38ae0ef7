//! Compressed adjacency ("compressed sparse row"): items grouped by an owner index, built in
//! linear time by a counting sort. Behind the graph's adjacency, the hierarchy's links and
//! the snapping grid; stored as two flat arrays in the graph cache.

use std::ops::Range;

use rayon::prelude::*;
use zerocopy::FromZeros;

/// Items grouped by owner `0..n`: owner `v`'s items are `entries[offsets[v]..offsets[v + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr<T> {
    offsets: Vec<u32>,
    entries: Vec<T>,
}

impl<T> Default for Csr<T> {
    fn default() -> Self {
        Csr {
            offsets: vec![0],
            entries: Vec::new(),
        }
    }
}

impl<T: Copy + FromZeros + Send + Sync> Csr<T> {
    /// Group `items` (`(owner, item)`, owners below `n`) by owner, each owner's items in
    /// input order. `items` is walked twice.
    pub(crate) fn group(n: usize, items: impl Iterator<Item = (u32, T)> + Clone) -> Self {
        let mut offsets = vec![0u32; n + 1];
        for (owner, _) in items.clone() {
            offsets[owner as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut entries = vec![T::new_zeroed(); offsets[n] as usize];
        for (owner, item) in items {
            let slot = &mut fill[owner as usize];
            entries[*slot as usize] = item;
            *slot += 1;
        }
        Csr { offsets, entries }
    }

    /// Reassemble from stored arrays, checking their shape for `n` owners (offsets start at
    /// 0, never decrease and end at the number of entries); entries are the caller's to check.
    ///
    /// # Errors
    /// A message naming the first inconsistency.
    pub(crate) fn from_stored(
        n: usize,
        offsets: Vec<u32>,
        entries: Vec<T>,
    ) -> Result<Self, String> {
        if offsets.len() != n + 1 {
            return Err(format!("{} offsets for {n} owners", offsets.len()));
        }
        if offsets.first() != Some(&0) || offsets.last().map(|&l| l as usize) != Some(entries.len())
        {
            return Err("offsets do not span the entries".into());
        }
        if offsets.par_windows(2).any(|w| w[0] > w[1]) {
            return Err("offsets decrease".into());
        }
        Ok(Csr { offsets, entries })
    }

    /// The items of owner `v`.
    #[inline]
    pub fn of(&self, v: u32) -> &[T] {
        let (a, b) = (self.offsets[v as usize], self.offsets[v as usize + 1]);
        &self.entries[a as usize..b as usize]
    }

    /// The owners, `0..n`.
    pub fn owners(&self) -> Range<u32> {
        0..(self.offsets.len() - 1) as u32
    }

    /// True when some owner has an item for which `bad(owner, item)` holds (in parallel).
    pub(crate) fn any_entry(&self, bad: impl Fn(u32, &T) -> bool + Sync) -> bool {
        self.owners()
            .into_par_iter()
            .any(|v| self.of(v).iter().any(|item| bad(v, item)))
    }

    /// The offsets array (`n + 1` values).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// Every item, owner by owner.
    pub fn entries(&self) -> &[T] {
        &self.entries
    }

    /// Number of items in all.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_input_order() {
        let items = [(2u32, 10u8), (0, 11), (2, 12), (1, 13)];
        let c = Csr::group(4, items.iter().copied());
        assert_eq!(c.offsets(), &[0, 1, 2, 4, 4]);
        assert_eq!(c.entries(), &[11, 13, 10, 12]);
        assert_eq!(c.of(2), &[10, 12]);
        assert!(c.of(3).is_empty());
    }

    #[test]
    fn stored_arrays_are_checked() {
        assert!(Csr::from_stored(2, vec![0, 1, 2], vec![1u8, 2]).is_ok());
        assert!(Csr::from_stored(3, vec![0, 1, 2], vec![1u8, 2]).is_err());
        assert!(Csr::from_stored(2, vec![0, 2, 1], vec![1u8, 2]).is_err());
        assert!(Csr::from_stored(2, vec![0, 1, 3], vec![1u8, 2]).is_err());
        assert!(Csr::from_stored(2, vec![1, 1, 2], vec![1u8, 2]).is_err());
    }
}
