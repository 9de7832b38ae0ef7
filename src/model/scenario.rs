//! The scenario: the `scenario.toml` schema ([`ScenarioConfig`] and its sections) and a
//! loaded [`Scenario`] (configuration plus every accepted input).
//!
//! Plain data: serde derives, defaults and pure accessors. Reading and validating the files
//! is `crate::load::scenario`; this module does no I/O and must not import `crate::load`.
//! Every key is documented in `docs/data.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::area::{AreaLayer, Boundary};
use crate::model::phase::PRIMARY_MAX_AGE;
use crate::model::postcode::PostcodeTable;
use crate::model::status::UnplacedPupil;
use crate::model::{Provision, ProvisionKind, Pupil, Transport};

/// The road extract of a scenario: one `.osm.pbf`, or several merged by OSM id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OsmFiles {
    /// `osm = "file.osm.pbf"`.
    One(PathBuf),
    /// `osm = ["county.osm.pbf", "neighbour.osm.pbf"]`.
    Several(Vec<PathBuf>),
}

impl OsmFiles {
    /// The files, in the order given.
    pub fn files(&self) -> &[PathBuf] {
        match self {
            OsmFiles::One(p) => std::slice::from_ref(p),
            OsmFiles::Several(v) => v,
        }
    }
}

/// `scenario.toml`: what to load and the assumptions of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Short name shown in reports, e.g. `"Rutland (demo)"`.
    pub name: String,
    /// Free text: what the scenario is and where its data come from.
    #[serde(default)]
    pub description: String,
    /// ONS local authority district code of the home authority, e.g. `"E06000017"`.
    #[serde(default)]
    pub la_code: Option<String>,
    /// OpenStreetMap extract (`.osm.pbf`), relative to the toml file; or a list of them
    /// (the county and the neighbours it places pupils in), merged into one graph.
    pub osm: OsmFiles,
    /// Region name for `./osm/download.sh` when `osm` is missing (e.g. `"west-midlands"`);
    /// by default taken from an `osm` file name ending in `-latest.osm.pbf`.
    #[serde(default)]
    pub osm_download: Option<String>,
    /// Home authority boundary GeoJSON (all polygons together), relative to the toml file.
    pub boundary: PathBuf,
    /// Named area layers (`[[areas]]`), e.g. wards and SEND areas.
    #[serde(default)]
    pub areas: Vec<AreaLayerConfig>,
    /// `provisions.csv`, relative to the toml file.
    pub provisions: PathBuf,
    /// `pupils.csv`, relative to the toml file; absent when pupils are generated later.
    #[serde(default)]
    pub pupils: Option<PathBuf>,
    /// Postcode table CSV for pupils located by postcode, relative to the toml file.
    #[serde(default)]
    pub postcodes: Option<PathBuf>,
    /// Thresholds of the analysis (`[analysis]`).
    #[serde(default)]
    pub analysis: AnalysisConfig,
    /// Cost assumptions (`[costs]`).
    #[serde(default)]
    pub costs: CostsConfig,
    /// `[speeds]`: the speeds journeys are timed at (the morning school run by default).
    #[serde(default)]
    pub speeds: crate::model::speeds::SpeedsConfig,
    /// `[fleet]`: the vehicle types bought for shared runs (ILLUSTRATIVE defaults).
    #[serde(default)]
    pub fleet: crate::model::fleet::FleetConfig,
}

/// One `[[areas]]` layer: a GeoJSON of named polygons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaLayerConfig {
    /// Layer id used by other commands, e.g. `"wards"` or `"send_areas"`.
    pub id: String,
    /// Display name, e.g. `"SEND areas (Developing Provision Locally)"`.
    pub name: String,
    /// GeoJSON file, relative to the toml file.
    pub path: PathBuf,
    /// Feature property holding each area's id (default `"id"`; the feature's top-level
    /// `id` is used when the property is absent).
    #[serde(default = "default_id_property")]
    pub id_property: String,
    /// Feature property holding each area's name (default `"name"`).
    #[serde(default = "default_name_property")]
    pub name_property: String,
}

fn default_id_property() -> String {
    "id".to_string()
}

fn default_name_property() -> String {
    "name".to_string()
}

/// `[analysis]`: journey-time guidance and routing tolerances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Oldest age (whole years at 31 August) in the primary phase for the journey-time
    /// guidance: 10 by default, Year 6 ([`crate::model::phase::PRIMARY_MAX_AGE`]). The
    /// guidance means primary school age, Reception to Year 6; a pupil of 11 is in Year 7,
    /// secondary. Older pupils (secondary and post-16) get `secondary_max_minutes`. At most 15.
    pub primary_max_age: u8,
    /// Longest acceptable one-way journey for a primary-age pupil, minutes (guidance: 45).
    pub primary_max_minutes: f64,
    /// Longest acceptable one-way journey for a secondary-age pupil, minutes (guidance: 75);
    /// post-16 pupils get it too (the guidance sets no post-16 figure).
    pub secondary_max_minutes: f64,
    /// Furthest a home or site may be from the nearest usable road to be routed, metres.
    pub max_snap_m: f64,
    /// Ratio of road distance to straight-line distance used where a journey cannot be
    /// routed (e.g. a provision outside the extract); at least 1.
    pub circuity_factor: f64,
    /// Average door-to-door speed for such estimated journeys, km/h (default 40).
    pub estimate_speed_kmh: f64,
    /// Provision kinds that may receive pupils brought back or newly placed.
    pub receiving_kinds: Vec<ProvisionKind>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            primary_max_age: PRIMARY_MAX_AGE,
            primary_max_minutes: 45.0,
            secondary_max_minutes: 75.0,
            max_snap_m: 1000.0,
            circuity_factor: 1.3,
            estimate_speed_kmh: 40.0,
            receiving_kinds: vec![ProvisionKind::SpecialSchool, ProvisionKind::ResourceBase],
        }
    }
}

/// `[costs]`: cost assumptions, pounds. Defaults are **illustrative** national-order
/// figures, to be replaced with the authority's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostsConfig {
    /// School days a year on which transport runs.
    pub school_days_per_year: u32,
    /// One-way journeys a day (2 = there and back).
    pub journeys_per_day: u32,
    /// Cost of a place per year by provision kind, £, used when a provision has no
    /// `annual_cost_gbp`. Kinds left out of the file keep their default.
    #[serde(deserialize_with = "overlay_placement_defaults")]
    pub placement_gbp_by_kind: BTreeMap<ProvisionKind, f64>,
    /// Transport cost per pupil per km travelled by mode, £/km. Modes left out of the file
    /// keep their default.
    #[serde(deserialize_with = "overlay_transport_defaults")]
    pub transport_gbp_per_km_by_mode: BTreeMap<Transport, f64>,
    /// Mode assumed for a pupil whose `transport` is blank.
    pub default_transport: Transport,
    /// Capital cost of creating one new specialist place, £ (one-off).
    pub capital_gbp_per_place: f64,
    /// Travel training one pupil to travel independently, £ (one-off; ILLUSTRATIVE).
    pub travel_training_gbp: f64,
}

impl CostsConfig {
    /// Default (illustrative) cost of a place per year by kind, £.
    pub fn default_placement_gbp_by_kind() -> BTreeMap<ProvisionKind, f64> {
        BTreeMap::from([
            (ProvisionKind::SpecialSchool, 24_000.0),
            (ProvisionKind::ResourceBase, 18_000.0),
            (ProvisionKind::Mainstream, 7_000.0),
            (ProvisionKind::IndependentSpecial, 60_000.0),
            (ProvisionKind::NonMaintainedSpecial, 50_000.0),
            (ProvisionKind::AlternativeProvision, 20_000.0),
            (ProvisionKind::Post16, 12_000.0),
        ])
    }

    /// Default (illustrative) transport cost per pupil-km by mode, £/km.
    pub fn default_transport_gbp_per_km_by_mode() -> BTreeMap<Transport, f64> {
        BTreeMap::from([
            (Transport::None, 0.0),
            (Transport::Taxi, 1.80),
            (Transport::Minibus, 0.90),
            (Transport::PersonalBudget, 0.28),
            (Transport::Public, 0.20),
            (Transport::Walk, 0.0),
            // a travel-trained pupil travels on public transport
            (Transport::TravelTraining, 0.20),
        ])
    }
}

impl Default for CostsConfig {
    fn default() -> Self {
        Self {
            school_days_per_year: 190,
            journeys_per_day: 2,
            placement_gbp_by_kind: Self::default_placement_gbp_by_kind(),
            transport_gbp_per_km_by_mode: Self::default_transport_gbp_per_km_by_mode(),
            default_transport: Transport::Taxi,
            capital_gbp_per_place: 40_000.0,
            travel_training_gbp: 2_500.0,
        }
    }
}

fn overlay_placement_defaults<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<ProvisionKind, f64>, D::Error> {
    let given = BTreeMap::<ProvisionKind, f64>::deserialize(d)?;
    let mut all = CostsConfig::default_placement_gbp_by_kind();
    all.extend(given);
    Ok(all)
}

fn overlay_transport_defaults<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<Transport, f64>, D::Error> {
    let given = BTreeMap::<Transport, f64>::deserialize(d)?;
    let mut all = CostsConfig::default_transport_gbp_per_km_by_mode();
    all.extend(given);
    Ok(all)
}

/// A loaded scenario: configuration plus every accepted input.
///
/// Callers must check the load report (`ValidationReport::has_errors`, in
/// `crate::load::scenario`) before analysing: a file that failed
/// to load leaves its part empty (e.g. an empty [`Boundary`]).
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The parsed `scenario.toml`.
    pub config: ScenarioConfig,
    /// Directory of the toml file; every path in `config` is relative to it.
    pub dir: PathBuf,
    /// Home authority boundary (empty if it failed to load).
    pub boundary: Boundary,
    /// Area layers that loaded, in toml order.
    pub area_layers: Vec<AreaLayer>,
    /// Accepted provisions, in file order.
    pub provisions: Vec<Provision>,
    /// Accepted pupils at a placement, in file order (empty when the scenario has no pupils
    /// file).
    pub pupils: Vec<Pupil>,
    /// Accepted pupils without a school placement (awaiting provision, home educated, …),
    /// in file order: counted in demand and unmet need, never given a journey.
    pub unplaced: Vec<UnplacedPupil>,
    /// Postcode table, when the scenario names one and it loaded.
    pub postcodes: Option<PostcodeTable>,
}
