//! Glue: a scenario file -> its road network (reusing a graph cache) -> the analysis.
//!
//! Used by the CLI (`analyse`, `serve`, `site`) and by tests. The graph cache for
//! `osm/NAME.osm.pbf` is `osm/NAME.nhg`; it is rebuilt when missing or older than the PBF.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::analyse::placement::{analyse, Analysis, Costs, Inputs, Params};
use crate::analyse::summary::LayerIndex;
use crate::load::network::{encode_cache, load_network};
use crate::load::scenario::ValidationReport;
use crate::model::scenario::{Scenario, ScenarioConfig};
use crate::model::Bbox;
use crate::query::route::Network;

/// A loaded, analysed scenario: everything a report or the service needs.
pub struct Prepared {
    /// The scenario and its inputs.
    pub scenario: Scenario,
    /// The data-quality report from loading it.
    pub report: ValidationReport,
    /// The road network.
    pub network: Network,
    /// Parameters derived from the scenario.
    pub params: Params,
    /// The analysis.
    pub analysis: Analysis,
    /// Where each pupil and provision falls in each area layer.
    pub layers: Vec<LayerIndex>,
    /// Per provision: may receive moves.
    pub receiving: Vec<bool>,
}

/// Analysis parameters from a scenario's `[analysis]` and `[costs]`.
pub fn params_from(cfg: &ScenarioConfig) -> Params {
    let a = &cfg.analysis;
    let c = &cfg.costs;
    Params {
        primary_max_age: a.primary_max_age,
        primary_max_minutes: a.primary_max_minutes,
        secondary_max_minutes: a.secondary_max_minutes,
        max_snap_m: a.max_snap_m,
        circuity_factor: a.circuity_factor,
        estimate_speed_kmh: a.estimate_speed_kmh,
        receiving_kinds: a.receiving_kinds.clone(),
        costs: Costs {
            school_days_per_year: f64::from(c.school_days_per_year),
            journeys_per_day: f64::from(c.journeys_per_day),
            placement_gbp_by_kind: c.placement_gbp_by_kind.clone(),
            transport_gbp_per_km_by_mode: c.transport_gbp_per_km_by_mode.clone(),
            default_transport: c.default_transport,
        },
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
pub fn load_scenario_network(scenario: &Scenario) -> Result<Network> {
    let osm = scenario.osm_path();
    if !osm.is_file() {
        bail!("{}", scenario.osm_missing_message());
    }
    load_cached(&osm)
}

/// Where a scenario file's road extract is, read from its toml alone (no data loaded);
/// `Err` carries the toml error, `Ok(Err(message))` how to get a missing extract.
pub fn scenario_osm(path: &Path) -> Result<std::result::Result<PathBuf, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading scenario {}", path.display()))?;
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
pub fn load_cached(osm: &Path) -> Result<Network> {
    let cache = cache_path_for(osm);
    let fresh = match (std::fs::metadata(&cache), std::fs::metadata(osm)) {
        (Ok(c), Ok(o)) => match (c.modified(), o.modified()) {
            (Ok(cm), Ok(om)) => cm >= om,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        match load_network(&cache) {
            Ok(net) => return Ok(net),
            Err(e) => tracing::warn!("ignoring graph cache: {e}"),
        }
    }
    let net = load_network(osm).with_context(|| format!("loading {}", osm.display()))?;
    match encode_cache(&net).map(|b| std::fs::write(&cache, b)) {
        Ok(Ok(())) => tracing::info!("wrote graph cache {}", cache.display()),
        Ok(Err(e)) => tracing::warn!("could not write graph cache {}: {e}", cache.display()),
        Err(e) => tracing::warn!("could not encode graph cache: {e}"),
    }
    Ok(net)
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

/// Load a scenario, its network, and run the analysis.
///
/// # Errors
/// When the toml cannot be read, the data have validation errors, or the network cannot
/// be loaded (with instructions when the extract is missing).
pub fn prepare(path: &Path) -> Result<Prepared> {
    // The network first (its bounding box feeds the data checks), then the data, once.
    let osm = scenario_osm(path)?.map_err(|message| anyhow::anyhow!(message))?;
    let network = load_cached(&osm)?;
    let (scenario, report) = Scenario::load(path, network_bbox(&network))
        .with_context(|| format!("loading scenario {}", path.display()))?;
    if report.has_errors() {
        bail!("scenario {} has data errors:\n{report}", path.display());
    }
    Ok(analyse_loaded(scenario, report, network))
}

/// Run the analysis on an already loaded scenario and network.
pub fn analyse_loaded(scenario: Scenario, report: ValidationReport, network: Network) -> Prepared {
    let params = params_from(&scenario.config);
    let boundary = &scenario.boundary;
    let in_area = |p| boundary.contains(p);
    let analysis = analyse(&Inputs {
        network: &network,
        provisions: &scenario.provisions,
        pupils: &scenario.pupils,
        in_area: &in_area,
        params: &params,
    });
    let layers = layer_indexes(&scenario);
    let receiving = scenario
        .provisions
        .iter()
        .map(|p| params.receiving_kinds.contains(&p.kind))
        .collect();
    Prepared {
        scenario,
        report,
        network,
        params,
        analysis,
        layers,
        receiving,
    }
}

/// Locate every pupil home and provision site in every area layer.
pub fn layer_indexes(scenario: &Scenario) -> Vec<LayerIndex> {
    scenario
        .area_layers
        .iter()
        .map(|l| LayerIndex {
            layer: l.id.clone(),
            areas: l
                .areas
                .iter()
                .map(|a| (a.id.clone(), a.name.clone()))
                .collect(),
            pupil_area: scenario.pupils.iter().map(|p| l.area_of(p.home)).collect(),
            provision_area: scenario
                .provisions
                .iter()
                .map(|p| l.area_of(p.location))
                .collect(),
        })
        .collect()
}
