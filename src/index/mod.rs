//! Stage 3, the routable index: the road graph (largest strongly connected component,
//! CSR adjacency) and snapping points onto it (rstar). No I/O: must not import
//! `crate::load`, `crate::query` or any later stage; builds from `crate::model` types.

pub mod graph;
pub mod snap;
