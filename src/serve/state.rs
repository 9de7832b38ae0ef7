//! Shared service state: the prepared scenario (read-only), the officer tokens, the
//! aggregates with their disclosure grid, and lazily computed caches (route geometries, base map).
//!
//! The state is immutable after start-up except for the caches, which are filled once
//! (`tokio::sync::OnceCell`) with the work done on the blocking pool. What-ifs work on
//! their own copies of the provision list.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OnceCell, Semaphore};

use crate::analyse::placement::{route_geometries, Inputs};
use crate::app::Prepared;
use crate::model::ids::ProvisionIdx;
use crate::output::tables::Aggregates;
use crate::query::route::Route;
use crate::serve::auth::Auth;
use crate::serve::error::ApiError;

/// Limits of the service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// Largest request body, bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Largest query string, bytes (larger: 414).
    pub max_query_bytes: usize,
    /// Per-request time limit (longer: 408).
    pub request_timeout: Duration,
    /// Most provisions added plus changed in one what-if (more: 413).
    pub max_whatif_items: usize,
    /// What-ifs computed at once (others wait for a slot, then 503 after the timeout).
    pub whatif_concurrency: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_body_bytes: 64 * 1024,
            max_query_bytes: 2048,
            request_timeout: Duration::from_secs(30),
            max_whatif_items: 50,
            whatif_concurrency: 2,
        }
    }
}

/// Routed geometries: per pupil (current journey) and per move.
#[derive(Debug, Default)]
pub struct Geometries {
    /// Current journey per pupil, in pupil order (`None`: not routed or estimated).
    pub journeys: Vec<Option<Route>>,
    /// Route per bring-back move, in move order.
    pub moves: Vec<Option<Route>>,
}

/// The run's road network, or 503 for an estimate-only run (`nearhome serve` refuses to
/// start without the extract; a library caller may still build a state from such a run).
///
/// # Errors
/// [`ApiError::Unavailable`] when the run has no road network.
pub fn network_of(p: &Prepared) -> Result<&crate::query::route::Network, ApiError> {
    p.network.as_ref().ok_or_else(|| {
        ApiError::Unavailable(format!(
            "this run has no road network ({}), so it cannot route",
            p.roads.describe()
        ))
    })
}

/// Everything the handlers share (cheap to clone: one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    prepared: Prepared,
    auth: Auth,
    config: ServiceConfig,
    aggregates: Aggregates,
    provision_index: HashMap<String, ProvisionIdx>,
    geometries: OnceCell<Arc<Geometries>>,
    basemap: OnceCell<Arc<crate::output::basemap::BaseMap>>,
    whatif_slots: Arc<Semaphore>,
}

impl AppState {
    /// Build the state from a prepared scenario (summaries and disclosure grids are
    /// computed here, once).
    pub fn new(prepared: Prepared, auth: Auth, config: ServiceConfig) -> AppState {
        let aggregates = Aggregates::new(&prepared);
        let sc = &prepared.scenario;
        let provision_index = sc
            .provisions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), ProvisionIdx::new(i)))
            .collect();
        let slots = Arc::new(Semaphore::new(config.whatif_concurrency.max(1)));
        AppState {
            inner: Arc::new(Inner {
                prepared,
                auth,
                config,
                aggregates,
                provision_index,
                geometries: OnceCell::new(),
                basemap: OnceCell::new(),
                whatif_slots: slots,
            }),
        }
    }

    /// The prepared scenario.
    pub fn prepared(&self) -> &Prepared {
        &self.inner.prepared
    }

    /// Officer tokens.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// Limits.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The aggregates and disclosure grid of the loaded analysis (publish through
    /// [`crate::output::tables`]).
    pub fn aggregates(&self) -> &Aggregates {
        &self.inner.aggregates
    }

    /// Index of a provision by id.
    pub fn provision(&self, id: &str) -> Option<ProvisionIdx> {
        self.inner.provision_index.get(id).copied()
    }

    /// The what-if slots.
    pub fn whatif_slots(&self) -> Arc<Semaphore> {
        self.inner.whatif_slots.clone()
    }

    /// Routed geometries, computed once on the blocking pool.
    ///
    /// # Errors
    /// When the computation panicked.
    pub async fn geometries(&self) -> Result<Arc<Geometries>, ApiError> {
        let me = self.clone();
        self.inner
            .geometries
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let p = me.prepared();
                    let boundary = &p.scenario.boundary;
                    let in_area = |x| boundary.contains(x);
                    let (journeys, moves) = route_geometries(
                        &Inputs {
                            network: p.network.as_ref(),
                            provisions: &p.scenario.provisions,
                            pupils: &p.scenario.pupils,
                            in_area: &in_area,
                            params: &p.params,
                            calibration: None,
                        },
                        &p.analysis,
                    );
                    Arc::new(Geometries { journeys, moves })
                })
                .await
                .map_err(|e| ApiError::Internal(format!("route geometries: {e}")))
            })
            .await
            .cloned()
    }

    /// The simplified base map, computed once on the blocking pool.
    ///
    /// # Errors
    /// When the computation panicked.
    pub async fn basemap(&self) -> Result<Arc<crate::output::basemap::BaseMap>, ApiError> {
        let me = self.clone();
        self.inner
            .basemap
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    Arc::new(crate::output::basemap::BaseMap::build(me.prepared()))
                })
                .await
                .map_err(|e| ApiError::Internal(format!("base map: {e}")))
            })
            .await
            .cloned()
    }
}
