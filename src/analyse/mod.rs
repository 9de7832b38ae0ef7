//! Stage 5, the analyses: placement (journeys, alternatives, bring-back), the assignment
//! solver, summaries, siting, planning, synthetic pupils. No I/O; threads live here.
//!
//! Owns [`Analysed`], a scenario run through the placement analysis, which planning and the
//! outputs take. Must not import `crate::load`, `crate::output`, `crate::serve` or
//! `crate::app`; inputs arrive as `crate::model` types, results leave as plain data.

pub mod appraisal;
pub mod assign;
pub mod capital;
pub mod estimate;
pub mod outlook;
pub mod placement;
pub mod planning;
pub mod projection;
pub mod runs;
pub mod siting;
pub mod summary;
pub mod synth;
pub mod transitions;

use crate::analyse::placement::{analyse_with, Analysis, Costs, Inputs, Params, TripTable};
use crate::analyse::summary::LayerIndex;
use crate::model::scenario::{Scenario, ScenarioConfig};
use crate::query::route::Network;

/// The road extract a run used, or found missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roads {
    /// Loaded (from the extract or its graph cache): journeys are routed where both ends
    /// snap. The extract's file name.
    Loaded(String),
    /// The extract is missing: an estimate-only run, every journey estimated. Its file name.
    Missing(String),
}

impl Roads {
    /// `loaded: NAME` or `missing: NAME` (`summary.json` `roads`).
    pub fn describe(&self) -> String {
        match self {
            Roads::Loaded(f) => format!("loaded: {f}"),
            Roads::Missing(f) => format!("missing: {f}"),
        }
    }

    /// The missing extract's file name, in an estimate-only run.
    pub fn missing(&self) -> Option<&str> {
        match self {
            Roads::Missing(f) => Some(f),
            Roads::Loaded(_) => None,
        }
    }
}

/// The file name of a scenario's road extract (the path when it has none).
pub fn extract_name(scenario: &Scenario) -> String {
    let path = scenario.osm_path();
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// An analysed scenario: everything a report, planning or the service needs.
pub struct Analysed {
    /// The scenario and its inputs.
    pub scenario: Scenario,
    /// The road network (`None` in an estimate-only run: see [`Analysed::roads`]).
    pub network: Option<Network>,
    /// Which road extract the run used, or found missing.
    pub roads: Roads,
    /// Parameters derived from the scenario.
    pub params: Params,
    /// The analysis.
    pub analysis: Analysis,
    /// Where each pupil and provision falls in each area layer.
    pub layers: Vec<LayerIndex>,
    /// Per provision: may receive moves.
    pub receiving: Vec<bool>,
    /// The baseline's pupil × provision trip table (what-ifs reuse it).
    pub trip_table: TripTable,
}

impl Analysed {
    /// The analysis inputs of this run (no calibration), with `in_area` the authority's
    /// boundary test (the caller owns the closure, e.g. `&|q| a.scenario.boundary.contains(q)`).
    pub fn inputs<'a>(
        &'a self,
        in_area: &'a (dyn Fn(crate::model::LatLon) -> bool + Sync),
    ) -> Inputs<'a> {
        Inputs {
            network: self.network.as_ref(),
            provisions: &self.scenario.provisions,
            pupils: &self.scenario.pupils,
            in_area,
            params: &self.params,
            calibration: None,
        }
    }

    /// Run the placement analysis on a loaded scenario and its road network.
    pub fn new(scenario: Scenario, network: Network) -> Analysed {
        let roads = Roads::Loaded(extract_name(&scenario));
        Analysed::run(scenario, Some(network), roads)
    }

    /// Run the placement analysis without a road network (the extract is missing): every
    /// journey estimated at the defaults, no bring-back (see [`placement`]).
    pub fn estimate_only(scenario: Scenario) -> Analysed {
        let roads = Roads::Missing(extract_name(&scenario));
        Analysed::run(scenario, None, roads)
    }

    fn run(scenario: Scenario, network: Option<Network>, roads: Roads) -> Analysed {
        let params = params_from(&scenario.config);
        let boundary = &scenario.boundary;
        let in_area = |p| boundary.contains(p);
        let (analysis, trip_table) = analyse_with(
            &Inputs {
                network: network.as_ref(),
                provisions: &scenario.provisions,
                pupils: &scenario.pupils,
                in_area: &in_area,
                params: &params,
                calibration: None,
            },
            &TripTable::default(),
        );
        let layers = layer_indexes(&scenario);
        let receiving = scenario
            .provisions
            .iter()
            .map(|p| params.receiving_kinds.contains(&p.kind))
            .collect();
        Analysed {
            scenario,
            network,
            roads,
            params,
            analysis,
            layers,
            receiving,
            trip_table,
        }
    }
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
            travel_training_gbp: c.travel_training_gbp,
        },
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
            unplaced_area: scenario
                .unplaced
                .iter()
                .map(|p| l.area_of(p.home))
                .collect(),
            provision_area: scenario
                .provisions
                .iter()
                .map(|p| l.area_of(p.location))
                .collect(),
        })
        .collect()
}
