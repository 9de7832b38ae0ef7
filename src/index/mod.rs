//! Stage 3, the routable index: the road graph (largest strongly connected component,
//! CSR adjacency), its contraction hierarchies and snapping points onto it (a segment grid). No I/O: must not import
//! `crate::load`, `crate::query` or any later stage; builds from `crate::model` types.

pub mod ch;
pub mod cost;
pub mod csr;
pub mod graph;
pub mod snap;
