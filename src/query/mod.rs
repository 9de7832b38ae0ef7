//! Stage 4, queries on the index: point-to-point routes, one-to-many trees and
//! many-to-many matrices. No I/O: imports only `crate::index` and `crate::model`, never
//! `crate::load` or a later stage.

pub mod catchment;
pub mod matrix;
pub mod phast;
pub mod route;
