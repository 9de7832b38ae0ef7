//! Many-to-many journey matrices in parallel: one reverse tree per destination.
//!
//! The origins' start junctions are prepared once as a target set ([`Network::targets`]:
//! the restricted sweep of the contraction hierarchy when one is loaded); each destination
//! gets one tree to them ([`Network::tree_to`]: a PHAST sweep, or a Dijkstra stopped once
//! every target is settled); every origin is then a look-up. Destinations are spread over the rayon
//! pool; each column is computed by one thread, so results do not depend on the number of
//! threads.

use rayon::prelude::*;

use crate::index::snap::Snap;
use crate::query::route::{Journey, Metric, Network, OriginSlots};

/// A journey matrix, origins outer: `cells[o * n_dests + d]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of origins (rows).
    pub n_origins: usize,
    /// Number of destinations (columns).
    pub n_dests: usize,
    /// `None` where a point is unsnappable or the pair unreachable.
    pub cells: Vec<Option<Journey>>,
}

impl Matrix {
    /// The cell for origin `o` and destination `d`.
    pub fn get(&self, o: usize, d: usize) -> Option<Journey> {
        self.cells.get(o * self.n_dests + d).copied().flatten()
    }
}

/// Journeys from every origin to every destination (`None` entries are unsnappable points).
/// `cutoff` (seconds or metres by metric) bounds each search: pairs beyond it are `None`.
pub fn matrix(
    net: &Network,
    origins: &[Option<Snap>],
    dests: &[Option<Snap>],
    metric: Metric,
    cutoff: Option<f64>,
) -> Matrix {
    let targets = net.targets(origins.iter().flatten(), metric);
    let slots: Vec<Option<OriginSlots>> = origins
        .par_iter()
        .map(|o| o.as_ref().map(|o| net.origin_slots(&targets, o)))
        .collect();
    let columns: Vec<Vec<Option<Journey>>> = dests
        .par_iter()
        .map(|d| {
            let Some(d) = d else {
                return vec![None; origins.len()];
            };
            let tree = net.tree_to(&targets, d);
            origins
                .iter()
                .zip(&slots)
                .map(|(o, s)| {
                    let j = net.journey_from(&tree, o.as_ref()?, s.as_ref()?)?;
                    let within = cutoff.is_none_or(|c| match metric {
                        Metric::Time => j.duration_s <= c,
                        Metric::Distance => j.distance_m <= c,
                    });
                    within.then_some(j)
                })
                .collect()
        })
        .collect();
    let (n_origins, n_dests) = (origins.len(), dests.len());
    let mut cells = vec![None; n_origins * n_dests];
    for (d, col) in columns.into_iter().enumerate() {
        for (o, cell) in col.into_iter().enumerate() {
            cells[o * n_dests + d] = cell;
        }
    }
    Matrix {
        n_origins,
        n_dests,
        cells,
    }
}
