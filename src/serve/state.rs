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

/// Limits of the service: per request (enforced by [`crate::serve::router`]) and per
/// connection (enforced by [`crate::serve::serve_on`]'s accept loop).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// Largest request body, bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Largest query string, bytes (larger: 414).
    pub max_query_bytes: usize,
    /// Longest request path, bytes (longer: 414).
    pub max_path_bytes: usize,
    /// Per-request time limit, from the request head read to the response head, reading
    /// the body included (longer: 408).
    pub request_timeout: Duration,
    /// Most provisions added plus changed in one what-if (more: 413).
    pub max_whatif_items: usize,
    /// What-ifs computed at once (others wait for a slot, then 503 after the timeout).
    pub whatif_concurrency: usize,
    /// Time a connection has to send a whole request head (request line and headers),
    /// counted from when the server starts waiting for it: on a new connection, and again
    /// after each response on a kept-alive one. Past it the connection is closed without
    /// an answer: idle, partial-header and dripping clients, and idle keep-alive
    /// connections, are bounded by it (default 5 s).
    pub header_read_timeout: Duration,
    /// A response write that makes no progress for this long (a client that stops
    /// reading) closes the connection (default 30 s).
    pub write_stall_timeout: Duration,
    /// Connections open at once (default 256). When all are taken the server stops
    /// accepting until one closes: new clients wait in the kernel's listen backlog.
    pub max_connections: usize,
    /// Most request headers (more: hyper answers 431 and closes; default 64).
    pub max_headers: usize,
    /// Largest request head (request line and headers), bytes: hyper's read buffer (a
    /// larger head: hyper answers 431 and closes). At least [`MIN_HEAD_BYTES`]; default
    /// 16 KiB.
    pub max_head_bytes: usize,
    /// On Ctrl-C or SIGTERM (or the shutdown future of [`crate::serve::serve_on`]), how
    /// long requests in flight may take to finish before every connection left is closed
    /// (default 10 s).
    pub shutdown_grace: Duration,
}

/// The smallest [`ServiceConfig::max_head_bytes`] hyper accepts (a smaller value is raised
/// to it).
pub const MIN_HEAD_BYTES: usize = 8192;

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_body_bytes: 64 * 1024,
            max_query_bytes: 2048,
            max_path_bytes: 1024,
            request_timeout: Duration::from_secs(30),
            max_whatif_items: 50,
            whatif_concurrency: 2,
            header_read_timeout: Duration::from_secs(5),
            write_stall_timeout: Duration::from_secs(30),
            max_connections: 256,
            max_headers: 64,
            max_head_bytes: 16 * 1024,
            shutdown_grace: Duration::from_secs(10),
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

/// Run a once-per-service computation in a task of its own and wait for it: a request that
/// gives up (its timeout, a closed connection) drops only its wait, not the work, so the
/// next request finds the result ready or waits for the same computation (the `OnceCell`
/// inside lets one run at a time) instead of starting it again. `what` names it in the 500
/// when the task panicked.
pub(crate) async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
    what: &str,
) -> Result<T, ApiError> {
    tokio::spawn(work)
        .await
        .map_err(|e| ApiError::Internal(format!("{what}: {e}")))?
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
    shared: Arc<Shared>,
    config: ServiceConfig,
    whatif_slots: Arc<Semaphore>,
}

/// The service's run planning: [`crate::analyse::runs::RunRequest::QUICK`].
pub const SERVICE_RUNS: crate::analyse::runs::RunRequest = crate::analyse::runs::RunRequest::QUICK;

/// What does not depend on the limits (shared by [`AppState::with_config`]).
struct Shared {
    prepared: Prepared,
    auth: Auth,
    aggregates: Aggregates,
    provision_index: HashMap<String, ProvisionIdx>,
    geometries: OnceCell<Arc<Geometries>>,
    basemap: OnceCell<Arc<crate::output::basemap::BaseMap>>,
    transport: OnceCell<Arc<crate::analyse::runs::TransportPlan>>,
    baseline_on_runs: OnceCell<Arc<crate::analyse::runs::MovesOnRuns>>,
    tiles: crate::serve::tiles::TileState,
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
        let shared = Arc::new(Shared {
            prepared,
            auth,
            aggregates,
            provision_index,
            geometries: OnceCell::new(),
            basemap: OnceCell::new(),
            transport: OnceCell::new(),
            baseline_on_runs: OnceCell::new(),
            tiles: crate::serve::tiles::TileState::default(),
        });
        AppState::from_shared(shared, config)
    }

    fn from_shared(shared: Arc<Shared>, config: ServiceConfig) -> AppState {
        let slots = Arc::new(Semaphore::new(config.whatif_concurrency.max(1)));
        AppState {
            inner: Arc::new(Inner {
                shared,
                config,
                whatif_slots: slots,
            }),
        }
    }

    /// The same scenario, tokens and caches with other limits (and what-if slots of
    /// their own), without preparing the scenario again.
    pub fn with_config(&self, config: ServiceConfig) -> AppState {
        AppState::from_shared(self.inner.shared.clone(), config)
    }

    /// The prepared scenario.
    pub fn prepared(&self) -> &Prepared {
        &self.inner.shared.prepared
    }

    /// Officer tokens.
    pub fn auth(&self) -> &Auth {
        &self.inner.shared.auth
    }

    /// Limits.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    /// The aggregates and disclosure grid of the loaded analysis (publish through
    /// [`crate::output::tables`]).
    pub fn aggregates(&self) -> &Aggregates {
        &self.inner.shared.aggregates
    }

    /// Index of a provision by id.
    pub fn provision(&self, id: &str) -> Option<ProvisionIdx> {
        self.inner.shared.provision_index.get(id).copied()
    }

    /// The vector tile indexes and cache ([`crate::serve::tiles`]).
    pub fn tiles(&self) -> &crate::serve::tiles::TileState {
        &self.inner.shared.tiles
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
        detached(
            async move { me.geometries_once().await },
            "route geometries",
        )
        .await
    }

    /// [`AppState::geometries`]'s work, in the request's own task.
    async fn geometries_once(&self) -> Result<Arc<Geometries>, ApiError> {
        let me = self.clone();
        self.inner
            .shared
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

    /// Every school's shared runs at [`SERVICE_RUNS`], planned once on the blocking pool.
    ///
    /// # Errors
    /// 503 when the scenario has no road network; 500 when planning panicked.
    pub async fn transport(&self) -> Result<Arc<crate::analyse::runs::TransportPlan>, ApiError> {
        let me = self.clone();
        detached(async move { me.transport_once().await }, "transport runs").await
    }

    /// [`AppState::transport`]'s work, in the request's own task.
    async fn transport_once(&self) -> Result<Arc<crate::analyse::runs::TransportPlan>, ApiError> {
        let me = self.clone();
        self.inner
            .shared
            .transport
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    crate::analyse::runs::plan(me.prepared(), &SERVICE_RUNS, &|_, _| {})
                        .map(Arc::new)
                })
                .await
                .map_err(|e| ApiError::Internal(format!("transport runs: {e}")))?
                .ok_or_else(|| ApiError::Unavailable("transport runs need the road network".into()))
            })
            .await
            .cloned()
    }

    /// The baseline bring-back's moves re-costed on runs, computed once.
    ///
    /// # Errors
    /// As [`AppState::transport`].
    pub async fn baseline_moves_on_runs(
        &self,
    ) -> Result<Arc<crate::analyse::runs::MovesOnRuns>, ApiError> {
        let me = self.clone();
        detached(
            async move { me.baseline_moves_on_runs_once().await },
            "bring-back on runs",
        )
        .await
    }

    /// [`AppState::baseline_moves_on_runs`]'s work, in the request's own task.
    async fn baseline_moves_on_runs_once(
        &self,
    ) -> Result<Arc<crate::analyse::runs::MovesOnRuns>, ApiError> {
        let plan = self.transport().await?;
        let me = self.clone();
        self.inner
            .shared
            .baseline_on_runs
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    crate::analyse::runs::recost_moves(me.prepared(), &plan, &SERVICE_RUNS)
                        .map(Arc::new)
                })
                .await
                .map_err(|e| ApiError::Internal(format!("bring-back on runs: {e}")))?
                .ok_or_else(|| ApiError::Unavailable("shared runs need the road network".into()))
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
            .shared
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
