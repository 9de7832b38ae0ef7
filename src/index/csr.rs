//! Grouping items by an owner index in linear time (a counting sort): the compressed
//! adjacency behind the graph, the hierarchy and the snapping grid.

/// `items` as `(owner, item)`, grouped by owner `0..n`: offsets (`n + 1`, owner `v`'s items
/// are `entries[offsets[v]..offsets[v + 1]]`) and entries, each owner's items in input
/// order. `items` is walked twice.
pub(crate) fn group_by_owner<T: Copy>(
    n: usize,
    items: impl Iterator<Item = (u32, T)> + Clone,
    blank: T,
) -> (Vec<u32>, Vec<T>) {
    let mut offsets = vec![0u32; n + 1];
    for (owner, _) in items.clone() {
        offsets[owner as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut entries = vec![blank; offsets[n] as usize];
    for (owner, item) in items {
        let slot = &mut fill[owner as usize];
        entries[*slot as usize] = item;
        *slot += 1;
    }
    (offsets, entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_input_order() {
        let items = [(2u32, 'a'), (0, 'b'), (2, 'c'), (1, 'd')];
        let (off, ent) = group_by_owner(4, items.iter().copied(), ' ');
        assert_eq!(off, vec![0, 1, 2, 4, 4]);
        assert_eq!(ent, vec!['b', 'd', 'a', 'c']);
    }
}
