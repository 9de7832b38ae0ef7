//! Stage 4, queries on the index: point-to-point routes, one-to-many trees and
//! many-to-many matrices. No I/O.

pub mod catchment;
pub mod matrix;
pub mod route;
