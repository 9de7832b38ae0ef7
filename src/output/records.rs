//! Typed records of every table and GeoJSON feature the product publishes, defined once.
//!
//! Each field has one name, one unit (in its name or doc) and one precision, whether it is
//! written to a file under `--out` or sent over HTTP: the CSV files and downloads are the
//! same records through the same writer ([`csv_bytes`]), so they are byte-identical.
//! Precision: minutes, km, hours and £ to 2 decimals, metres to 1, percent to 1, coordinates
//! to 6 decimals (about 0.1 m). An empty CSV cell / JSON `null` in a figure column means
//! "suppressed" in public views (see [`crate::output::disclosure`]) and "not applicable"
//! where the group it describes has no members (its count is a published 0).

use serde::Serialize;

use crate::output::disclosure::CellFigures;

/// Coordinates are written with 6 decimals.
pub fn coord6(x: f64) -> f64 {
    crate::output::disclosure::round_dp(x, 6)
}

/// Figures with 2 decimals (minutes, km, hours, £).
pub fn dec2(x: f64) -> f64 {
    crate::output::disclosure::round_dp(x, 2)
}

/// Metres with 1 decimal.
pub fn dec1(x: f64) -> f64 {
    crate::output::disclosure::round_dp(x, 1)
}

/// Serialise records as CSV (header from the field names).
///
/// # Errors
/// The csv crate's error if a record does not serialise as a flat row.
pub fn csv_bytes<T: Serialize>(records: &[T], header: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(header)?;
    for r in records {
        w.serialize(r)?;
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

/// `pupils.csv` (internal): one row per pupil with an EHC plan, placed or not, input
/// order. Rows without a placement have only the pupil's facts, `placement_status` and
/// `no_journey_reason`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PupilRecord {
    /// Pseudonymous pupil id.
    pub pupil_id: String,
    /// Age in whole years at 31 August.
    pub age: u8,
    /// `primary` (Reception to Year 6), `secondary` (Years 7 to 11) or `post16`, from the
    /// age at 31 August: the phase whose journey limit applies.
    pub phase: &'static str,
    /// SEN2 primary need code.
    pub need: &'static str,
    /// The current placement's provision id.
    pub placement_id: String,
    /// Kind of the current placement.
    pub placement_kind: Option<&'static str>,
    /// Placed outside the home authority.
    pub out_of_area: bool,
    /// Home to road, metres.
    pub home_snap_m: Option<f64>,
    /// Why the home could not be snapped.
    pub home_unsnappable: Option<String>,
    /// Placement to road, metres (empty: outside the extract).
    pub placement_snap_m: Option<f64>,
    /// How the current journey was obtained: `routed`, or `estimated` from the
    /// great-circle distance by the run's calibration (empty: no journey).
    pub journey_source: Option<&'static str>,
    /// Current journey, minutes.
    pub current_minutes: Option<f64>,
    /// Current journey, km.
    pub current_km: Option<f64>,
    /// The pupil's journey limit, minutes.
    pub limit_minutes: f64,
    /// Current minutes above the limit.
    pub long_journey: bool,
    /// Suitable provisions reachable: the pupil's alternatives, of the kinds their placement
    /// type admits (`docs/outputs.md`, "Suitable"). Empty in an estimate-only run, which
    /// compares no provisions.
    pub suitable_count: Option<usize>,
    /// Nearest suitable provision (any capacity).
    pub nearest_id: Option<String>,
    /// Its journey, minutes.
    pub nearest_minutes: Option<f64>,
    /// Its journey, km.
    pub nearest_km: Option<f64>,
    /// Nearest suitable provision with a spare place.
    pub nearest_with_space_id: Option<String>,
    /// Its journey, minutes.
    pub nearest_with_space_minutes: Option<f64>,
    /// 1 + suitable provisions strictly nearer than the current placement.
    pub current_rank: Option<usize>,
    /// Current minus nearest suitable, minutes (signed).
    pub extra_minutes: Option<f64>,
    /// Provision the optimal bring-back moves the pupil to.
    pub moved_to: Option<String>,
    /// New journey, minutes.
    pub new_minutes: Option<f64>,
    /// New journey, km.
    pub new_km: Option<f64>,
    /// Why an out-of-area pupil is not moved.
    pub not_moved_reason: Option<&'static str>,
    /// £ a year saved by the move.
    pub gbp_per_year_saved: Option<f64>,
    /// What the current placement costs a year, £ (empty: no cost for it or its kind).
    pub current_placement_gbp: Option<f64>,
    /// What the current transport costs a year, £: the actual cost, else the mode's rate
    /// × the current journey (empty: neither known).
    pub current_transport_gbp: Option<f64>,
    /// `placed`, or the status of a pupil without a school placement (`awaiting_provision`,
    /// `home_educated`, …).
    pub placement_status: &'static str,
    /// Why the pupil has no journey, when they have no placement.
    pub no_journey_reason: Option<&'static str>,
    /// Needs a wheelchair space (empty for a pupil without a placement).
    pub wheelchair: Option<bool>,
    /// Needs an escort on board.
    pub escort: Option<bool>,
    /// Must travel alone.
    pub solo: Option<bool>,
    /// The journeys paid as a personal transport budget, £/year (council-vehicle pupils).
    pub personal_budget_gbp: Option<f64>,
    /// Travel training's first year (training + journeys), £ (pupils it could suit).
    pub travel_training_first_year_gbp: Option<f64>,
    /// Travel training's later years (journeys only), £/year.
    pub travel_training_later_gbp: Option<f64>,
}

/// Column names of [`PupilRecord`].
pub const PUPIL_HEADER: [&str; 38] = [
    "pupil_id",
    "age",
    "phase",
    "need",
    "placement_id",
    "placement_kind",
    "out_of_area",
    "home_snap_m",
    "home_unsnappable",
    "placement_snap_m",
    "journey_source",
    "current_minutes",
    "current_km",
    "limit_minutes",
    "long_journey",
    "suitable_count",
    "nearest_id",
    "nearest_minutes",
    "nearest_km",
    "nearest_with_space_id",
    "nearest_with_space_minutes",
    "current_rank",
    "extra_minutes",
    "moved_to",
    "new_minutes",
    "new_km",
    "not_moved_reason",
    "gbp_per_year_saved",
    "current_placement_gbp",
    "current_transport_gbp",
    "placement_status",
    "no_journey_reason",
    "wheelchair",
    "escort",
    "solo",
    "personal_budget_gbp",
    "travel_training_first_year_gbp",
    "travel_training_later_gbp",
];

/// `moves.csv` (internal): one row per optimal bring-back move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveRecord {
    /// Pseudonymous pupil id.
    pub pupil_id: String,
    /// SEN2 primary need code.
    pub need: &'static str,
    /// Age at 31 August.
    pub age: u8,
    /// Current placement id.
    pub from_id: String,
    /// Its kind.
    pub from_kind: &'static str,
    /// New provision id.
    pub to_id: String,
    /// Its kind.
    pub to_kind: &'static str,
    /// Current journey, minutes.
    pub before_minutes: Option<f64>,
    /// Current journey, km.
    pub before_km: Option<f64>,
    /// How the current journey was obtained: `routed` or `estimated`.
    pub before_journey_source: Option<&'static str>,
    /// New journey, minutes.
    pub after_minutes: f64,
    /// New journey, km.
    pub after_km: f64,
    /// How the new journey was obtained (`routed`: moves are to routed places only).
    pub after_journey_source: &'static str,
    /// km a year saved.
    pub km_per_year_saved: f64,
    /// Hours a year saved.
    pub hours_per_year_saved: f64,
    /// Placement £ a year saved.
    pub placement_gbp_saved: Option<f64>,
    /// Transport £ a year saved.
    pub transport_gbp_saved: Option<f64>,
    /// Total £ a year saved.
    pub total_gbp_saved: f64,
}

/// Column names of [`MoveRecord`].
pub const MOVE_HEADER: [&str; 18] = [
    "pupil_id",
    "need",
    "age",
    "from_id",
    "from_kind",
    "to_id",
    "to_kind",
    "before_minutes",
    "before_km",
    "before_journey_source",
    "after_minutes",
    "after_km",
    "after_journey_source",
    "km_per_year_saved",
    "hours_per_year_saved",
    "placement_gbp_saved",
    "transport_gbp_saved",
    "total_gbp_saved",
];

/// `candidates.csv` (internal): out-of-area pupil (not mainstream) × suitable in-area
/// provision of a receiving kind with spare places; enough to re-solve the assignment alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateRecord {
    /// Pseudonymous pupil id.
    pub pupil_id: String,
    /// Provision id.
    pub provision_id: String,
    /// Journey, minutes (the assignment's cost, exactly as written).
    pub minutes: f64,
    /// Journey, km.
    pub km: f64,
    /// How the journey was obtained (`routed`: candidates are routed places only).
    pub journey_source: &'static str,
    /// The pupil's limit, minutes.
    pub limit_minutes: f64,
    /// `minutes <= limit_minutes`.
    pub within_threshold: bool,
    /// The provision's spare places offered to the assignment.
    pub spare_places: u32,
}

/// Column names of [`CandidateRecord`].
pub const CANDIDATE_HEADER: [&str; 8] = [
    "pupil_id",
    "provision_id",
    "minutes",
    "km",
    "journey_source",
    "limit_minutes",
    "within_threshold",
    "spare_places",
];

/// Which cell of the area table a record is: layer, area and need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaKey {
    /// Layer id.
    pub layer: String,
    /// Area id (`(outside)` for homes in no area of the layer).
    pub area_id: String,
    /// Area name.
    pub area_name: String,
    /// `ALL` or a SEN2 need code.
    pub need: &'static str,
}

/// `areas.csv` / `public/areas.csv` and `/api/download/areas.csv`: layer × area × need,
/// the key then the figures ([`CellFigures`]: counts, percent, minutes, spare places, km,
/// hours, £). In CSV the pair is written as one row (`(key, figures)`), in GeoJSON
/// properties as one flat object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaRecord {
    /// The cell.
    #[serde(flatten)]
    pub key: AreaKey,
    /// Its figures for the audience.
    #[serde(flatten)]
    pub figures: CellFigures,
}

/// Column names of [`AreaRecord`].
pub const AREA_HEADER: [&str; 25] = [
    "layer",
    "area_id",
    "area_name",
    "need",
    "pupils",
    "out_of_area",
    "out_of_area_pct",
    "long_journeys",
    "long_journeys_estimated",
    "bring_back_candidates",
    "moves",
    "median_minutes",
    "p90_minutes",
    "local_spare_places",
    "km_per_year_saved",
    "hours_per_year_saved",
    "placement_gbp_saved",
    "transport_gbp_saved",
    "gbp_per_year_saved",
    "placement_costed",
    "current_placement_gbp",
    "transport_costed",
    "current_transport_gbp",
    "without_placement",
    "unmet_need",
];

impl AreaRecord {
    /// A record from its keys and figures.
    pub fn new(
        layer: &str,
        area_id: &str,
        area_name: &str,
        need: &'static str,
        figures: CellFigures,
    ) -> Self {
        AreaRecord {
            key: AreaKey {
                layer: layer.to_string(),
                area_id: area_id.to_string(),
                area_name: area_name.to_string(),
                need,
            },
            figures,
        }
    }
}

/// Properties of a provision feature (`provisions.geojson`, `/api/provisions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionProperties {
    /// Provision id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: &'static str,
    /// Needs it serves (SEN2 codes).
    pub needs: Vec<&'static str>,
    /// Youngest age.
    pub age_min: u8,
    /// Oldest age.
    pub age_max: u8,
    /// Places (null = unknown; public: a provision's own figure, not a pupil count).
    pub capacity: Option<u32>,
    /// Pupils on roll (a pupil count: public through the disclosure rules).
    pub on_roll: Option<u64>,
    /// `capacity − on_roll` (public: from the published `on_roll`).
    pub spare_places: Option<u64>,
    /// `on_roll / capacity`, percent.
    pub utilisation_pct: Option<f64>,
    /// £ a year of a place (scenario assumption).
    pub annual_cost_gbp: Option<f64>,
    /// Sited inside the home authority.
    pub in_area: bool,
    /// May receive bring-back moves.
    pub receiving: bool,
    /// Site to road, metres (null: outside the extract).
    pub snap_m: Option<f64>,
    /// Scenario pupils placed here.
    pub placed: Option<u64>,
    /// Pupils the optimal bring-back moves here.
    pub moves_in: Option<u64>,
    /// Pupils it moves away from here.
    pub moves_out: Option<u64>,
}

/// Properties of a current-journey feature (internal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyProperties {
    /// Always `internal`.
    pub visibility: &'static str,
    /// Pseudonymous pupil id.
    pub pupil_id: String,
    /// SEN2 need code.
    pub need: &'static str,
    /// Age at 31 August.
    pub age: u8,
    /// Current placement id.
    pub placement_id: Option<String>,
    /// Journey, minutes.
    pub minutes: f64,
    /// Journey, km.
    pub km: f64,
    /// `routed` (the line is the road path) or `estimated` (the line is straight, home to
    /// site; minutes and km from the run's calibration).
    pub journey_source: &'static str,
    /// Placed outside the authority.
    pub out_of_area: bool,
    /// Above the pupil's limit.
    pub long_journey: bool,
}

/// Where a page of a list sits in the whole list: the foreign members of a paged
/// GeoJSON answer (`/api/journeys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageRecord {
    /// Items over all pages.
    pub total: usize,
    /// Items skipped before this page (the 0-based position of its first item).
    pub offset: usize,
    /// Most items a page carries.
    pub limit: usize,
    /// The `offset` of the next page; `null` on the last page.
    pub next_offset: Option<usize>,
}

/// Properties of a bring-back move feature (internal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveProperties {
    /// Always `internal`.
    pub visibility: &'static str,
    /// Pseudonymous pupil id.
    pub pupil_id: String,
    /// SEN2 need code.
    pub need: &'static str,
    /// Age at 31 August.
    pub age: u8,
    /// Current placement id.
    pub from_id: String,
    /// New provision id.
    pub to_id: String,
    /// New provision name.
    pub to_name: String,
    /// Current journey, minutes.
    pub before_minutes: Option<f64>,
    /// Current journey, km.
    pub before_km: Option<f64>,
    /// How the current journey was obtained: `routed` or `estimated`.
    pub before_journey_source: Option<&'static str>,
    /// New journey, minutes.
    pub after_minutes: f64,
    /// New journey, km.
    pub after_km: f64,
    /// How the new journey was obtained (`routed`; the line is its road path).
    pub after_journey_source: &'static str,
    /// km a year saved.
    pub km_per_year_saved: f64,
    /// Hours a year saved.
    pub hours_per_year_saved: f64,
    /// Placement £ a year saved.
    pub placement_gbp_saved: Option<f64>,
    /// Transport £ a year saved.
    pub transport_gbp_saved: Option<f64>,
    /// Total £ a year saved.
    pub gbp_per_year_saved: f64,
}

/// A bring-back solution's headline (optimal or greedy).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolverRecord {
    /// Pupils moved.
    pub moved: Option<u64>,
    /// Total minutes of their new journeys.
    pub total_minutes: Option<f64>,
}

/// How the pupils' current journeys were obtained (`summary.json` `journeys`):
/// `routed + estimated + none` = pupils, `homes_unsnappable + journeys_unrouted` = `none`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyCounts {
    /// `routed` (routed where both ends snap, estimated where the placement does not) or
    /// `estimated` (an estimate-only run: no road extract, every journey estimated).
    pub mode: &'static str,
    /// Why journeys are estimated, in words.
    pub estimated_because: String,
    /// Pupils whose current journey is routed on the road network.
    pub routed: Option<u64>,
    /// Pupils whose current journey is estimated (see `journey_estimates`).
    pub estimated: Option<u64>,
    /// Pupils with no current journey.
    pub none: Option<u64>,
    /// Of `none`: homes too far from any road.
    pub homes_unsnappable: Option<u64>,
    /// Of `none`: a snapped home but no journey (unknown placement or unreachable).
    pub journeys_unrouted: Option<u64>,
}

/// One alternative to a council vehicle (`summary.json` `transport_options`): the pupils it
/// could suit, what their council vehicles cost today (per km) and what the option would.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransportOptionRecord {
    /// `personal_budget` or `travel_training`.
    pub option: &'static str,
    /// Who it could suit, in words.
    pub eligible_rule: &'static str,
    /// Pupils on council vehicles it could suit (with a journey).
    pub eligible: Option<u64>,
    /// Their council vehicles today, £/year (the per-km estimate).
    pub current_transport_gbp: Option<f64>,
    /// The option in its first year, £.
    pub first_year_gbp: Option<f64>,
    /// The option in each later year, £/year.
    pub later_years_gbp: Option<f64>,
}

/// The routed pairs estimates are calibrated on (`journey_estimates.calibrated_on`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibratedOnRecord {
    /// Usable routed home → provision pairs (current journeys and alternatives).
    pub pairs: Option<u64>,
    /// Of them, pupils' current journeys.
    pub current_journeys: Option<u64>,
    /// Of them, journeys to the pupils' alternatives (suitable provisions).
    pub alternatives: Option<u64>,
    /// Routed pairs left out: great-circle distance under 0.1 km, or no road km or minutes.
    pub pairs_unusable: Option<u64>,
}

/// One great-circle distance band of the estimates (`journey_estimates.bands`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateBandRecord {
    /// `0-5`, `5-15`, `15-40` or `40+` (great-circle km, each band holding its lower edge).
    pub band: &'static str,
    /// Usable routed pairs in the band.
    pub pairs: Option<u64>,
    /// Of them, pupils' current journeys.
    pub current_journeys: Option<u64>,
    /// Median road km ÷ great-circle km of the band's own pairs (3 decimals).
    pub median_circuity: Option<f64>,
    /// Median road km/h of the band's own pairs.
    pub median_speed_kmh: Option<f64>,
    /// `fitted` (at least `min_pairs` pairs), `fell_back` (the nearest fitted band's
    /// figures) or `default` (no band fitted: the scenario's `circuity_factor` and
    /// `estimate_speed_kmh`).
    pub source: &'static str,
    /// The band whose figures are used, when `source` is `fell_back`.
    pub fell_back_to: Option<&'static str>,
    /// Circuity used for the band's estimates.
    pub circuity: Option<f64>,
    /// Speed used for the band's estimates, km/h.
    pub speed_kmh: Option<f64>,
    /// Pupils' current journeys estimated in this band.
    pub estimated_journeys: Option<u64>,
    /// Held-out usable pairs of the band.
    pub hold_out_pairs: Option<u64>,
    /// Their median absolute percentage error of estimated against routed minutes.
    pub hold_out_mdape_pct: Option<f64>,
}

/// The hold-out error of the estimates (`journey_estimates.hold_out`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldOutRecord {
    /// Every this-many-th pupil in input order is held out (positions 4, 9, … from 0).
    pub every: usize,
    /// Held-out pupils with a usable pair.
    pub pupils: Option<u64>,
    /// Held-out usable pairs.
    pub pairs: Option<u64>,
    /// Median absolute percentage error of estimated against routed minutes.
    pub mdape_pct: Option<f64>,
    /// Median signed percentage error (negative: estimates quicker than the routes).
    pub median_error_pct: Option<f64>,
    /// Held-out pupils' current journeys among the pairs.
    pub current_journeys: Option<u64>,
    /// Their median absolute percentage error.
    pub current_journeys_mdape_pct: Option<f64>,
}

/// `summary.json` `journey_estimates`: how estimated journeys were made and how good they
/// are (the rule exactly: `docs/outputs.md`, "Estimated journeys").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimatesRecord {
    /// The rule, in one sentence.
    pub method: &'static str,
    /// Fewest usable pairs for a band to be fitted.
    pub min_pairs: usize,
    /// True when at least one band is fitted on this run's routed journeys.
    pub calibrated: bool,
    /// The pairs the fit learns from.
    pub calibrated_on: CalibratedOnRecord,
    /// Per band, shortest first.
    pub bands: Vec<EstimateBandRecord>,
    /// Circuity used where no band is fitted.
    pub default_circuity: f64,
    /// Speed used where no band is fitted, km/h.
    pub default_speed_kmh: f64,
    /// The hold-out error (null without held-out pairs).
    pub hold_out: Option<HoldOutRecord>,
}

/// The bring-back headline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BringBackRecord {
    /// The optimum (most pupils, then least travel).
    pub optimal: SolverRecord,
    /// The nearest-first greedy baseline.
    pub greedy: SolverRecord,
    /// Optimal minus greedy pupils moved.
    pub extra_pupils_vs_greedy: Option<i64>,
    /// Out-of-area pupils not moved, by reason.
    pub not_moved: std::collections::BTreeMap<&'static str, Option<u64>>,
    /// Why no bring-back was attempted (an estimate-only run); null when it was.
    pub skipped: Option<&'static str>,
}

/// One need's figures in a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedFigures {
    /// SEN2 need code.
    pub need: &'static str,
    /// The figures.
    #[serde(flatten)]
    pub figures: CellFigures,
}

/// The road network loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkRecord {
    /// OSM ways read.
    pub ways_read: u64,
    /// Drivable ways.
    pub drivable_ways: u64,
    /// Junctions kept.
    pub junctions: u64,
    /// Directed edges kept.
    pub edges: u64,
    /// Road length, km (1 decimal).
    pub road_km: f64,
    /// Strongly connected components dropped.
    pub components_dropped: u64,
}

/// Errors and warnings from loading the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataQuality {
    /// Rejected rows and failed files.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
}

/// What today's placements and transport cost a year for the pupils placed in one kind of
/// provision (`current_costs_by_kind` in the summary).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindCostRecord {
    /// Provision kind of the current placement.
    pub kind: &'static str,
    /// Pupils placed in that kind.
    pub pupils: Option<u64>,
    /// Of them, pupils whose placement has a known cost.
    pub placement_costed: Option<u64>,
    /// What their placements cost a year, £.
    pub current_placement_gbp: Option<f64>,
    /// Of them, pupils whose transport has a known cost.
    pub transport_costed: Option<u64>,
    /// What their transport costs a year, £.
    pub current_transport_gbp: Option<f64>,
}

/// The speed profile journeys were timed at: its name and the factor on each road class's
/// free-flow speed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedsRecord {
    /// `school_run` or `free_flow`.
    pub profile: crate::model::speeds::SpeedProfileName,
    /// Factor by OSM `highway` value.
    pub factors: std::collections::BTreeMap<&'static str, f64>,
}

/// `summary.json`, `public/summary.json` and `/api/summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// `internal` or `public`.
    pub visibility: &'static str,
    /// How public figures are protected (public) or a reminder that these are exact.
    pub disclosure: &'static str,
    /// The road extract: `loaded: FILE`, or `missing: FILE` for an estimate-only run.
    pub roads: String,
    /// The road network (null in an estimate-only run).
    pub network: Option<NetworkRecord>,
    /// Every parameter and cost used.
    pub assumptions: crate::analyse::placement::Params,
    /// The speeds journeys were timed at (null in an estimate-only run).
    pub speeds: Option<SpeedsRecord>,
    /// Today's yearly placement and transport costs by kind of current placement (the
    /// totals and per-need figures are in `overall` and `by_need`).
    pub current_costs_by_kind: Vec<KindCostRecord>,
    /// Provisions in the scenario (not a pupil count).
    pub provisions: usize,
    /// Provisions with unknown capacity.
    pub provisions_unknown_capacity: usize,
    /// How the current journeys were obtained.
    pub journeys: JourneyCounts,
    /// Every EHC plan, placed or not, by placement status.
    pub cohort: crate::output::cohort::CohortRecord,
    /// Other arrangements for the pupils on council vehicles, and what they would cost.
    pub transport_options: Vec<TransportOptionRecord>,
    /// How estimated journeys were made, and their error on routed journeys left out.
    pub journey_estimates: EstimatesRecord,
    /// The authority's figures, every need.
    pub overall: CellFigures,
    /// Per need.
    pub by_need: Vec<NeedFigures>,
    /// The bring-back.
    pub bring_back: BringBackRecord,
    /// Loading errors and warnings.
    pub data_quality: DataQuality,
}

/// Properties of a route feature (`/api/route`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteProperties {
    /// Road part, minutes.
    pub minutes: f64,
    /// Road part, km.
    pub km: f64,
    /// Origin to road, metres.
    pub from_snap_m: f64,
    /// Destination to road, metres.
    pub to_snap_m: f64,
}

/// Properties of a catchment feature (`/api/catchment`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatchmentProperties {
    /// Provision id.
    pub provision_id: String,
    /// Provision name.
    pub provision_name: String,
    /// The time budget, minutes.
    pub minutes: u32,
    /// Junctions reached within it.
    pub junctions_reached: usize,
    /// `concave` or `convex`.
    pub hull: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::disclosure::internal_figures;

    #[test]
    fn area_header_names_the_serialised_fields_in_order() {
        let r = AreaRecord::new("l", "a", "A", "ALL", internal_figures(&Default::default()));
        let v = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        // serde_json keeps insertion order only with preserve_order; compare as sets and
        // check the CSV row has as many cells as the header.
        let mut a = keys.clone();
        a.sort_unstable();
        let mut b = AREA_HEADER.to_vec();
        b.sort_unstable();
        assert_eq!(a, b);
        let bytes = csv_bytes(&[(&r.key, &r.figures)], &AREA_HEADER).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.starts_with("l,a,A,ALL,0,0,,0,0,0,0,,,0.0,0.0,0.0,0.0,0.0,0.0"),
            "{row}"
        );
    }
}
