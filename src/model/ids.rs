//! Typed indices: a pupil, a provision or a move is named by its position in the input (or
//! in [`Analysis::moves`](crate::analyse::placement::Analysis::moves)), and the type says
//! which list the position is into. Serialised as the bare number, so outputs are unchanged.
//! A list of pupils (or of pupil results) may be indexed by a [`PupilIdx`], a list of
//! provisions by a [`ProvisionIdx`], the siting candidates by a [`CandidateIdx`] and the
//! moves by a [`MoveIdx`]; every other pairing is a type error.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub usize);

        impl $name {
            /// The index from a position in its list.
            pub const fn new(i: usize) -> Self {
                $name(i)
            }

            /// The position in its list.
            pub const fn index(self) -> usize {
                self.0
            }

            /// Every index of a list of `n` items, in order.
            pub fn all(n: usize) -> impl DoubleEndedIterator<Item = Self> + ExactSizeIterator {
                (0..n).map($name)
            }
        }

        impl From<usize> for $name {
            fn from(i: usize) -> Self {
                $name(i)
            }
        }

        impl From<$name> for usize {
            fn from(i: $name) -> usize {
                i.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

/// `impl Index<$idx>` and `IndexMut<$idx>` for slices and vectors of each `$item`: a list of pupils is indexed by
/// a [`PupilIdx`] and nothing else (the usual `usize` indexing still works).
macro_rules! indexed_by {
    ($idx:ty => $($item:ty),+ $(,)?) => {
        $(
            impl std::ops::Index<$idx> for [$item] {
                type Output = $item;
                fn index(&self, i: $idx) -> &$item {
                    &self[i.index()]
                }
            }

            impl std::ops::Index<$idx> for Vec<$item> {
                type Output = $item;
                fn index(&self, i: $idx) -> &$item {
                    &self[i.index()]
                }
            }

            impl std::ops::IndexMut<$idx> for [$item] {
                fn index_mut(&mut self, i: $idx) -> &mut $item {
                    &mut self[i.index()]
                }
            }

            impl std::ops::IndexMut<$idx> for Vec<$item> {
                fn index_mut(&mut self, i: $idx) -> &mut $item {
                    &mut self[i.index()]
                }
            }
        )+
    };
}
pub(crate) use indexed_by;

index_type!(
    /// A pupil: the position in the scenario's pupils (input order).
    PupilIdx
);
index_type!(
    /// A provision: the position in the scenario's provisions (input order).
    ProvisionIdx
);
index_type!(
    /// A candidate site for a new base: the position in the siting candidates
    /// ([`SiteResult::candidates`](crate::analyse::planning::SiteResult::candidates)).
    CandidateIdx
);
index_type!(
    /// A bring-back move: the position in the analysis's moves.
    MoveIdx
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialised_as_the_bare_number() {
        let p = PupilIdx::new(7);
        assert_eq!(serde_json::to_string(&p).ok().as_deref(), Some("7"));
        assert_eq!(
            serde_json::from_str::<ProvisionIdx>("3").ok(),
            Some(ProvisionIdx(3))
        );
        assert_eq!(
            MoveIdx::all(2).collect::<Vec<_>>(),
            [MoveIdx(0), MoveIdx(1)]
        );
        assert_eq!(usize::from(p), p.index());
    }
}
