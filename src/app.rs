//! Glue: a scenario file -> its road network (reusing a graph cache) -> the analysis.
//!
//! Used by the CLI (`analyse`, `serve`, `site`) and by tests. The graph cache for
//! `osm/NAME.osm.pbf` is `osm/NAME.nhg`; it is rebuilt when missing or older than the PBF.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::analyse::Analysed;
use crate::load::network::{load_network, load_network_for, save_cache};
use crate::load::scenario::{ScenarioError, ValidationReport};
use crate::model::metric::Metric;
use crate::model::scenario::{Scenario, ScenarioConfig};
use crate::model::Bbox;
use crate::query::route::Network;

/// Why a scenario could not be prepared. Messages name the file; causes are chained.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The scenario toml could not be read.
    #[error("reading scenario {path}")]
    ReadScenario {
        /// The toml path.
        path: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The scenario toml could not be parsed.
    #[error(transparent)]
    Toml(#[from] ScenarioError),
    /// The OSM extract is missing (the message says where it should be and how to get it).
    #[error("{0}")]
    OsmMissing(String),
    /// The road network could not be loaded.
    #[error("loading {path}")]
    Network {
        /// The PBF path.
        path: String,
        /// What went wrong.
        #[source]
        source: crate::error::Error,
    },
    /// The scenario's files could not be loaded.
    #[error("loading scenario {path}")]
    LoadScenario {
        /// The toml path.
        path: String,
        /// What went wrong.
        #[source]
        source: ScenarioError,
    },
    /// The scenario's data have errors (the validation report follows the message).
    #[error("scenario {path} has data errors:\n{report}")]
    DataErrors {
        /// The toml path.
        path: String,
        /// The validation report, as `nearhome validate` prints it.
        report: String,
    },
}

/// A loaded, analysed scenario: the analysis ([`Analysed`], which the core stages take)
/// plus the data-quality report from loading it. Derefs to [`Analysed`], so
/// `prepared.scenario`, `prepared.analysis` etc. work directly.
pub struct Prepared {
    /// The scenario, network and analysis.
    pub analysed: Analysed,
    /// The data-quality report from loading it.
    pub report: ValidationReport,
}

impl Deref for Prepared {
    type Target = Analysed;
    fn deref(&self) -> &Analysed {
        &self.analysed
    }
}

/// The cache path used for a PBF: same folder and stem, extension `.nhg`.
pub fn cache_path_for(osm: &Path) -> PathBuf {
    let name = osm
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("network");
    let stem = name.strip_suffix(".osm.pbf").unwrap_or(name);
    osm.with_file_name(format!("{stem}.nhg"))
}

/// Load the scenario's road network, from its cache when that is fresh, else from the PBF
/// (writing the cache, best effort).
pub fn load_scenario_network(scenario: &Scenario) -> Result<Network, AppError> {
    let osm = scenario.osm_path();
    if !osm.is_file() {
        return Err(AppError::OsmMissing(scenario.osm_missing_message()));
    }
    load_cached_for(&osm, &[Metric::Time])
}

/// Where a scenario file's road extract is, read from its toml alone (no data loaded);
/// `Err` carries the toml error, `Ok(Err(message))` how to get a missing extract.
pub fn scenario_osm(path: &Path) -> Result<Result<PathBuf, String>, AppError> {
    let text = std::fs::read_to_string(path).map_err(|source| AppError::ReadScenario {
        path: path.display().to_string(),
        source,
    })?;
    let config = ScenarioConfig::from_toml_str(&text, &path.display().to_string())?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let osm = crate::load::scenario::resolve_path(&dir, &config.osm);
    Ok(if osm.is_file() {
        Ok(osm)
    } else {
        Err(crate::load::scenario::osm_missing_message(
            &osm,
            config.osm_download.as_deref(),
        ))
    })
}

/// Load a road network from a PBF, through its `.nhg` cache when that is fresh.
pub fn load_cached(osm: &Path) -> Result<Network, AppError> {
    load_cached_for(osm, &[Metric::Time, Metric::Distance])
}

/// [`load_cached`] reading only the hierarchies of `metrics` from the cache (a scenario's
/// analysis routes by time only).
pub fn load_cached_for(osm: &Path, metrics: &[Metric]) -> Result<Network, AppError> {
    let cache = cache_path_for(osm);
    let fresh = match (std::fs::metadata(&cache), std::fs::metadata(osm)) {
        (Ok(c), Ok(o)) => match (c.modified(), o.modified()) {
            (Ok(cm), Ok(om)) => cm >= om,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        match load_network_for(&cache, metrics) {
            Ok(net) => return Ok(net),
            Err(e) => tracing::warn!("ignoring graph cache: {e}"),
        }
    }
    let net = read_pbf(osm)?;
    let net = with_hierarchies(net);
    match save_cache(&net, &cache) {
        Ok(_) => tracing::info!("wrote graph cache {}", cache.display()),
        Err(e) => tracing::warn!("could not write graph cache {}: {e}", cache.display()),
    }
    Ok(net)
}

/// Read and build a network from a PBF, with a spinner on a terminal.
pub fn read_pbf(osm: &Path) -> Result<Network, AppError> {
    let spin = crate::progress::Bars::new().spinner("reading road network");
    let net = load_network(osm).map_err(|source| AppError::Network {
        path: osm.display().to_string(),
        source,
    });
    spin.finish_and_clear();
    net
}

/// Build the contraction hierarchies of both metrics for a network (progress bars on a
/// terminal).
pub fn with_hierarchies(net: Network) -> Network {
    let bars = crate::progress::Bars::new();
    let progress = bars.hierarchy(net.graph.node_count() as u64);
    let h = crate::query::route::Hierarchies::build(&net.graph, &progress);
    net.with_hierarchies(h)
}

/// Network bounding box as the scenario loader wants it.
pub fn network_bbox(net: &Network) -> Option<Bbox> {
    let [min_lon, min_lat, max_lon, max_lat] = net.graph.bbox();
    min_lon.is_finite().then_some(Bbox {
        min_lat,
        min_lon,
        max_lat,
        max_lon,
    })
}

/// What to do when a scenario's road extract is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingRoads {
    /// Refuse: [`AppError::OsmMissing`] (the service, siting, `analyse --require-roads`).
    Refuse,
    /// Run estimate-only: every journey estimated, no bring-back ([`Analysed::estimate_only`]).
    EstimateAll,
}

/// Load a scenario, its network, and run the analysis; a missing road extract is an error.
///
/// # Errors
/// When the toml cannot be read, the data have validation errors, or the network cannot
/// be loaded (with instructions when the extract is missing).
pub fn prepare(path: &Path) -> Result<Prepared, AppError> {
    prepare_with(path, MissingRoads::Refuse)
}

/// [`prepare`], running estimate-only when the extract is missing and `missing` allows it.
///
/// # Errors
/// As [`prepare`]; a missing extract only with [`MissingRoads::Refuse`].
pub fn prepare_with(path: &Path, missing: MissingRoads) -> Result<Prepared, AppError> {
    // The network first (its bounding box feeds the data checks), then the data, once.
    let network = match (scenario_osm(path)?, missing) {
        (Ok(osm), _) => Some(load_cached_for(&osm, &[Metric::Time])?),
        (Err(message), MissingRoads::Refuse) => return Err(AppError::OsmMissing(message)),
        (Err(_), MissingRoads::EstimateAll) => None,
    };
    let bbox = network.as_ref().and_then(network_bbox);
    let (scenario, report) =
        Scenario::load(path, bbox).map_err(|source| AppError::LoadScenario {
            path: path.display().to_string(),
            source,
        })?;
    if report.has_errors() {
        return Err(AppError::DataErrors {
            path: path.display().to_string(),
            report: report.to_string(),
        });
    }
    Ok(match network {
        Some(network) => analyse_loaded(scenario, report, network),
        None => Prepared {
            analysed: Analysed::estimate_only(scenario),
            report,
        },
    })
}

/// Run the analysis on an already loaded scenario and network.
pub fn analyse_loaded(scenario: Scenario, report: ValidationReport, network: Network) -> Prepared {
    Prepared {
        analysed: Analysed::new(scenario, network),
        report,
    }
}
