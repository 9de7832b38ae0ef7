//! Stage 3, the routable index: the road graph (largest strongly connected component,
//! CSR adjacency) and snapping points onto it (rstar). No I/O.

pub mod graph;
pub mod snap;
