//! Glue: a scenario file -> its road network (reusing a graph cache) -> the analysis.
//!
//! Used by the CLI (`analyse`, `serve`, `site`) and by tests. The graph cache for
//! `osm/NAME.osm.pbf` is `osm/NAME.nhg`; it is rebuilt when missing or older than the PBF.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::analyse::Analysed;
use crate::index::ch::Hierarchy;
use crate::load::network::{load_network_for, load_networks, save_cache};
use crate::load::scenario::{ScenarioError, ValidationReport};
use crate::model::metric::Metric;
use crate::model::scenario::{Scenario, ScenarioConfig};
use crate::model::speeds::SpeedProfile;
use crate::model::Bbox;
use crate::query::route::Hierarchies;
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
    osm.with_file_name(format!("{}.nhg", pbf_stem(osm)))
}

/// The cache path for several extracts merged into one graph: beside the first, named
/// after it, the number of others and a fingerprint of every file's name (in order), so
/// each list of inputs has its own cache: `west-midlands-latest+2-1a2b3c4d.nhg`.
pub fn cache_path_for_all(osms: &[PathBuf]) -> PathBuf {
    let [first, rest @ ..] = osms else {
        return PathBuf::from("network.nhg");
    };
    if rest.is_empty() {
        return cache_path_for(first);
    }
    let mut h: u32 = 0x811c_9dc5;
    for p in osms {
        for b in p
            .file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or_default()
        {
            h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
        }
        h = (h ^ 0xff).wrapping_mul(0x0100_0193);
    }
    first.with_file_name(format!("{}+{}-{h:08x}.nhg", pbf_stem(first), rest.len()))
}

fn pbf_stem(osm: &Path) -> &str {
    let name = osm
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("network");
    name.strip_suffix(".osm.pbf").unwrap_or(name)
}

/// Load the scenario's road network, from its cache when that is fresh, else from the PBF
/// (writing the cache, best effort).
pub fn load_scenario_network(scenario: &Scenario) -> Result<Network, AppError> {
    if !scenario.osm_present() {
        return Err(AppError::OsmMissing(scenario.osm_missing_message()));
    }
    load_cached_all(&scenario.osm_paths(), &[Metric::Time])
}

/// The scenario's `scenario.toml`, read (at most [`crate::load::bounded::MAX_TOML_BYTES`])
/// and parsed.
fn read_config(path: &Path) -> Result<ScenarioConfig, AppError> {
    let text =
        crate::load::bounded::read_to_string_bounded(path, crate::load::bounded::MAX_TOML_BYTES)
            .map_err(|source| AppError::ReadScenario {
                path: path.display().to_string(),
                source,
            })?;
    Ok(ScenarioConfig::from_toml_str(
        &text,
        &path.display().to_string(),
    )?)
}

/// Where a scenario file's road extract is, read from its toml alone (no data loaded);
/// `Err` carries the toml error, `Ok(Err(message))` how to get a missing extract.
pub fn scenario_osm(path: &Path) -> Result<Result<Vec<PathBuf>, String>, AppError> {
    let config = read_config(path)?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let osms: Vec<PathBuf> = config
        .osm
        .files()
        .iter()
        .map(|p| crate::load::scenario::resolve_path(&dir, p))
        .collect();
    let missing = osms.iter().find(|p| !p.is_file()).or(osms.first());
    Ok(match missing {
        Some(m) if !m.is_file() => Err(crate::load::scenario::osm_missing_message(
            m,
            config.osm_download.as_deref(),
        )),
        Some(_) => Ok(osms),
        None => Err("`osm` lists no extract: name at least one .osm.pbf".into()),
    })
}

/// Load a road network from a PBF, through its `.nhg` cache when that is fresh.
pub fn load_cached(osm: &Path) -> Result<Network, AppError> {
    load_cached_for(osm, &[Metric::Time, Metric::Distance])
}

/// [`load_cached`] reading only the hierarchies of `metrics` from the cache (a scenario's
/// analysis routes by time only).
pub fn load_cached_for(osm: &Path, metrics: &[Metric]) -> Result<Network, AppError> {
    load_cached_all(&[osm.to_path_buf()], metrics)
}

/// [`load_cached_for`] for one or several extracts merged into one graph, through the
/// cache [`cache_path_for_all`] names, fresh when newer than every extract.
pub fn load_cached_all(osms: &[PathBuf], metrics: &[Metric]) -> Result<Network, AppError> {
    let cache = cache_path_for_all(osms);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = modified(&cache)
        .is_some_and(|c| osms.iter().all(|o| modified(o).is_some_and(|om| c >= om)));
    if fresh {
        match load_network_for(&cache, metrics) {
            Ok(net) => return Ok(net),
            Err(e) => tracing::warn!("ignoring graph cache: {e}"),
        }
    }
    let net = read_pbfs(osms)?;
    let net = with_hierarchies(net);
    match save_cache(&net, &cache) {
        Ok(_) => tracing::info!("wrote graph cache {}", cache.display()),
        Err(e) => tracing::warn!("could not write graph cache {}: {e}", cache.display()),
    }
    Ok(net)
}

/// The cache of the extracts' graph timed at `speeds`: the free-flow cache for free flow,
/// else beside it with the profile's fingerprint (`rutland-latest.speeds-1a2b3c4d.nhg`).
pub fn cache_path_for_speeds(osms: &[PathBuf], speeds: &SpeedProfile) -> PathBuf {
    let base = cache_path_for_all(osms);
    if speeds.is_free_flow() {
        return base;
    }
    let stem = base
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("network")
        .to_string();
    base.with_file_name(format!("{stem}.speeds-{}.nhg", speeds.fingerprint()))
}

/// The extracts' network timed at `speeds` (time hierarchy only), through its own cache:
/// read when fresh, else re-timed from the free-flow network (itself through its cache),
/// contracted and saved.
///
/// # Errors
/// When the extracts cannot be read.
pub fn load_at_speeds(osms: &[PathBuf], speeds: &SpeedProfile) -> Result<Network, AppError> {
    if speeds.is_free_flow() {
        return load_cached_all(osms, &[Metric::Time]);
    }
    let cache = cache_path_for_speeds(osms, speeds);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = modified(&cache)
        .is_some_and(|c| osms.iter().all(|o| modified(o).is_some_and(|om| c >= om)));
    if fresh {
        match load_network_for(&cache, &[Metric::Time]) {
            Ok(net) if &net.speeds == speeds => return Ok(net),
            Ok(_) => tracing::warn!("ignoring graph cache {}: other speeds", cache.display()),
            Err(e) => tracing::warn!("ignoring graph cache: {e}"),
        }
    }
    let free_flow = load_cached_all(osms, &[Metric::Time])?;
    let net = retime(&free_flow, speeds);
    drop(free_flow);
    match save_cache(&net, &cache) {
        Ok(_) => tracing::info!("wrote graph cache {}", cache.display()),
        Err(e) => tracing::warn!("could not write graph cache {}: {e}", cache.display()),
    }
    Ok(net)
}

/// `net` timed at `speeds`, with its time hierarchy (a bar on a terminal).
fn retime(net: &Network, speeds: &SpeedProfile) -> Network {
    let net = net.with_speeds(speeds);
    let bars = crate::progress::Bars::new();
    let bar = bars.bar("hierarchy (school run)", net.graph.node_count() as u64);
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let time = Hierarchy::build(&net.graph, Metric::Time, &progress);
    bar.finish_and_clear();
    net.with_hierarchies(Hierarchies {
        time: Some(time),
        distance: None,
    })
}

/// The speed profile a scenario file asks for, read from its toml alone (free flow when
/// its `[speeds]` is faulty: loading the scenario then reports the fault as an error).
///
/// # Errors
/// When the toml cannot be read or parsed.
pub fn scenario_speeds(path: &Path) -> Result<SpeedProfile, AppError> {
    let config = read_config(path)?;
    Ok(SpeedProfile::from_config(&config.speeds).unwrap_or_else(|_| SpeedProfile::free_flow()))
}

/// Read and build a network from a PBF, with a spinner on a terminal.
pub fn read_pbf(osm: &Path) -> Result<Network, AppError> {
    read_pbfs(&[osm.to_path_buf()])
}

/// Read and build one network from one or several PBF extracts (merged by OSM id), with
/// a spinner on a terminal.
pub fn read_pbfs(osms: &[PathBuf]) -> Result<Network, AppError> {
    let spin = crate::progress::Bars::new().spinner("reading road network");
    let net = load_networks(osms, &[Metric::Time, Metric::Distance]).map_err(|source| {
        AppError::Network {
            path: osms
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" + "),
            source,
        }
    });
    spin.finish_and_clear();
    if let Ok(n) = &net {
        for why in &n.graph.summary().read.suspected_truncation {
            eprintln!("warning: {why}");
        }
    }
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

/// Which speeds a run times journeys at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speeds {
    /// The scenario's `[speeds]` (the morning school run unless it says otherwise).
    Scenario,
    /// Free-flow speeds, whatever the scenario says.
    FreeFlow,
}

/// [`prepare`], running estimate-only when the extract is missing and `missing` allows it.
///
/// # Errors
/// As [`prepare`]; a missing extract only with [`MissingRoads::Refuse`].
pub fn prepare_with(path: &Path, missing: MissingRoads) -> Result<Prepared, AppError> {
    prepare_at(path, missing, Speeds::Scenario)
}

/// [`prepare_with`], journeys timed at `speeds`.
///
/// # Errors
/// As [`prepare_with`].
pub fn prepare_at(
    path: &Path,
    missing: MissingRoads,
    speeds: Speeds,
) -> Result<Prepared, AppError> {
    let profile = match speeds {
        Speeds::FreeFlow => SpeedProfile::free_flow(),
        Speeds::Scenario => scenario_speeds(path)?,
    };
    // The network first (its bounding box feeds the data checks), then the data, once.
    let network = match (scenario_osm(path)?, missing) {
        (Ok(osm), _) => Some(load_at_speeds(&osm, &profile)?),
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
        analysed: {
            let spin = crate::progress::Bars::new().spinner("routing and bring-back");
            let a = Analysed::new(scenario, network);
            spin.finish_and_clear();
            a
        },
        report,
    }
}
