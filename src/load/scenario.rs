//! Scenario files: `scenario.toml` and everything it points to.
//!
//! Owns: parsing the [`ScenarioConfig`] schema (the types live in `crate::model::scenario`;
//! serde, unknown keys refused), loading every file the
//! scenario names (paths relative to the toml file), cross-file checks (placements exist,
//! homes inside the boundary and the road network) and the [`ValidationReport`] that
//! `nearhome validate` prints. This is the one module here that reads files; the parsers in
//! the other loaders take bytes. Every key is documented in `docs/data.md`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::load::areas::{load_area_layer, load_boundary, LayerSpec};
use crate::load::postcodes::load_postcodes;
use crate::load::provisions::load_provisions;
use crate::load::pupils::{check_against_provisions, load_pupils, LoadedPupils, PupilOptions};
use crate::load::table::{count_by_kind, Issue, IssueKind, Loaded, Severity};
use crate::model::area::Boundary;
use crate::model::phase::SECONDARY_MAX_AGE;
use crate::model::postcode::PostcodeTable;
use crate::model::scenario::{Scenario, ScenarioConfig};
use crate::model::status::PlacementStatus;
use crate::model::Bbox;
use serde::Serialize;

/// The scenario file itself could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The toml file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The toml path.
        path: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The toml is malformed, has an unknown key or a bad value.
    #[error("{path}: {message}")]
    Toml {
        /// The toml path.
        path: String,
        /// The parser's reason (with line and column).
        message: String,
    },
}

impl ScenarioConfig {
    /// Parses toml text; `label` names the file in errors.
    pub fn from_toml_str(text: &str, label: &str) -> Result<Self, ScenarioError> {
        toml::from_str(text).map_err(|e| ScenarioError::Toml {
            path: label.to_string(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Checks values serde cannot: positive times, factors ≥ 1, finite non-negative money,
    /// unique area layer ids. Returns one error message per fault as `(key, message)`.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut faults = Vec::new();
        let mut fault = |key: &str, msg: String| faults.push((key.to_string(), msg));
        if self.name.trim().is_empty() {
            fault("name", "name is blank".into());
        }
        let a = &self.analysis;
        for (key, v) in [
            ("analysis.primary_max_minutes", a.primary_max_minutes),
            ("analysis.secondary_max_minutes", a.secondary_max_minutes),
            ("analysis.max_snap_m", a.max_snap_m),
            ("analysis.estimate_speed_kmh", a.estimate_speed_kmh),
        ] {
            if !(v.is_finite() && v > 0.0) {
                fault(key, format!("{key} must be a positive number (got {v})"));
            }
        }
        if a.primary_max_age > SECONDARY_MAX_AGE {
            fault(
                "analysis.primary_max_age",
                format!(
                    "analysis.primary_max_age must be at most {SECONDARY_MAX_AGE} (Year 11; got {}): \
                     16 and over is post-16",
                    a.primary_max_age
                ),
            );
        }
        if !(a.circuity_factor.is_finite() && a.circuity_factor >= 1.0) {
            fault(
                "analysis.circuity_factor",
                format!(
                    "analysis.circuity_factor must be at least 1 (got {})",
                    a.circuity_factor
                ),
            );
        }
        if let Err((key, msg)) = crate::model::speeds::SpeedProfile::from_config(&self.speeds) {
            fault(&key, msg);
        }
        if a.receiving_kinds.is_empty() {
            fault(
                "analysis.receiving_kinds",
                "analysis.receiving_kinds is empty: no provision could receive pupils".into(),
            );
        }
        let c = &self.costs;
        if !(1..=366).contains(&c.school_days_per_year) {
            fault(
                "costs.school_days_per_year",
                format!(
                    "costs.school_days_per_year must be 1..366 (got {})",
                    c.school_days_per_year
                ),
            );
        }
        if c.journeys_per_day == 0 {
            fault(
                "costs.journeys_per_day",
                "costs.journeys_per_day must be at least 1".into(),
            );
        }
        let money = c
            .placement_gbp_by_kind
            .iter()
            .map(|(k, v)| (format!("costs.placement_gbp_by_kind.{k}"), *v))
            .chain(
                c.transport_gbp_per_km_by_mode
                    .iter()
                    .map(|(m, v)| (format!("costs.transport_gbp_per_km_by_mode.{m}"), *v)),
            )
            .chain([(
                "costs.travel_training_gbp".to_string(),
                c.travel_training_gbp,
            )])
            .chain([(
                "costs.capital_gbp_per_place".to_string(),
                c.capital_gbp_per_place,
            )]);
        for (key, v) in money {
            if !(v.is_finite() && v >= 0.0) {
                fault(&key, format!("{key} must be a finite amount ≥ 0 (got {v})"));
            }
        }
        for (i, layer) in self.areas.iter().enumerate() {
            if layer.id.trim().is_empty() {
                fault(
                    "areas.id",
                    format!("[[areas]] number {} has a blank id", i + 1),
                );
            } else if self.areas[..i].iter().any(|l| l.id == layer.id) {
                fault(
                    "areas.id",
                    format!("[[areas]] id \"{}\" is used twice", layer.id),
                );
            }
        }
        faults.extend(self.fleet.check());
        faults
    }
}

/// What an input file is for, written in the load report as `boundary`, `areas:<id>`,
/// `postcodes`, `provisions` or `pupils`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileRole {
    /// The home authority boundary.
    Boundary,
    /// An area layer, by its id.
    Areas(String),
    /// The postcode centroids.
    Postcodes,
    /// The provisions.
    Provisions,
    /// The pupils.
    Pupils,
}

impl FileRole {
    /// The role as written in the report and the API (`areas:<id>` for an area layer).
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            FileRole::Boundary => Cow::Borrowed("boundary"),
            FileRole::Areas(id) => Cow::Owned(format!("areas:{id}")),
            FileRole::Postcodes => Cow::Borrowed("postcodes"),
            FileRole::Provisions => Cow::Borrowed("provisions"),
            FileRole::Pupils => Cow::Borrowed("pupils"),
        }
    }
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.as_str())
    }
}

impl Serialize for FileRole {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

/// Counts for one input file in the [`ValidationReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// What the file is for.
    pub role: FileRole,
    /// File label (path as resolved from the toml file).
    pub file: String,
    /// Rows (CSV) or features (GeoJSON) read; `None` when the file could not be read.
    pub read: Option<usize>,
    /// Rows or features accepted.
    pub accepted: usize,
    /// Rows or features rejected (each with at least one listed error).
    pub rejected: usize,
}

/// Everything `validate` found: per-file counts and every issue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationReport {
    /// Scenario name from the toml file.
    pub scenario: String,
    /// The toml file as given.
    pub config_file: String,
    /// One entry per input file, in load order.
    pub files: Vec<FileSummary>,
    /// Every issue, grouped by file in load order, then by line.
    pub issues: Vec<Issue>,
    /// Accepted provisions whose capacity is unknown (never offered as having spare places).
    pub unknown_capacity: usize,
    /// Accepted pupils without a school placement, per status (statuses with none left
    /// out): counted in demand, never given a journey.
    pub without_placement: BTreeMap<PlacementStatus, usize>,
}

/// Issues listed per file, severity and kind before `Display` summarises (`{:#}` lists all).
const MAX_LISTED: usize = 20;

impl ValidationReport {
    /// True when any issue is an error (then `validate` exits non-zero).
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// Number of issues of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == severity)
            .count()
    }

    /// Number of issues of `severity` by kind.
    pub fn by_kind(&self, severity: Severity) -> BTreeMap<IssueKind, usize> {
        count_by_kind(&self.issues, severity)
    }

    /// Warnings by kind.
    pub fn warnings_by_kind(&self) -> BTreeMap<IssueKind, usize> {
        self.by_kind(Severity::Warning)
    }

    fn add_loaded<T>(&mut self, role: &FileRole, file: &str, loaded: &mut Loaded<T>) {
        self.files.push(FileSummary {
            role: role.clone(),
            file: file.to_string(),
            read: Some(loaded.rows_read),
            accepted: loaded.rows_accepted(),
            rejected: loaded.rows_rejected,
        });
        self.issues.append(&mut loaded.issues);
    }

    fn add_failed(&mut self, role: &FileRole, file: &str, issue: Issue) {
        self.files.push(FileSummary {
            role: role.clone(),
            file: file.to_string(),
            read: None,
            accepted: 0,
            rejected: 0,
        });
        self.issues.push(issue);
    }

    fn write_listing(
        &self,
        f: &mut fmt::Formatter<'_>,
        severity: Severity,
        all: bool,
    ) -> fmt::Result {
        let mut shown: BTreeMap<(&str, IssueKind), usize> = BTreeMap::new();
        for issue in self.issues.iter().filter(|i| i.severity == severity) {
            let n = shown.entry((issue.file.as_str(), issue.kind)).or_insert(0);
            *n += 1;
            if all || *n <= MAX_LISTED {
                writeln!(f, "  {issue}")?;
            }
        }
        for ((file, kind), n) in shown {
            if !all && n > MAX_LISTED {
                writeln!(
                    f,
                    "  … and {} more {severity}s of kind \"{kind}\" in {file} (`nearhome validate --all` lists them all)",
                    n - MAX_LISTED
                )?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for ValidationReport {
    /// Human report. `{}` lists at most 20 issues per file, severity and kind; `{:#}` lists all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = f.alternate();
        writeln!(f, "Scenario \"{}\" ({})", self.scenario, self.config_file)?;
        writeln!(f)?;
        let width = self
            .files
            .iter()
            .map(|s| s.file.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let role_width = self
            .files
            .iter()
            .map(|s| s.role.as_str().len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            f,
            "  {:<role_width$} {:<width$} {:>8} {:>9} {:>9}",
            "role", "file", "read", "accepted", "rejected"
        )?;
        for s in &self.files {
            let read = s.read.map_or("unread".to_string(), |n| n.to_string());
            writeln!(
                f,
                "  {:<role_width$} {:<width$} {:>8} {:>9} {:>9}",
                s.role, s.file, read, s.accepted, s.rejected
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Provisions with unknown capacity: {} (never offered as having spare places)",
            self.unknown_capacity
        )?;
        if !self.without_placement.is_empty() {
            let n: usize = self.without_placement.values().sum();
            let unmet: usize = self
                .without_placement
                .iter()
                .filter(|(s, _)| s.is_unmet_need())
                .map(|(_, n)| n)
                .sum();
            let each: Vec<String> = self
                .without_placement
                .iter()
                .map(|(s, n)| format!("{} {n}", s.as_str().replace('_', " ")))
                .collect();
            writeln!(
                f,
                "Pupils without a school placement: {n} ({}); counted in demand, no journey; \
                 unmet need {unmet} (in the capital gap)",
                each.join(", ")
            )?;
        }
        let (errors, warnings, infos) = (
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
        );
        writeln!(
            f,
            "Errors: {errors}   Warnings: {warnings}   Notes: {infos}"
        )?;
        for (severity, title) in [(Severity::Error, "Errors"), (Severity::Warning, "Warnings")] {
            let counts = self.by_kind(severity);
            if !counts.is_empty() {
                writeln!(f, "{title} by kind:")?;
                for (kind, n) in counts {
                    writeln!(f, "  {kind}: {n}")?;
                }
            }
        }
        for (severity, title) in [
            (Severity::Error, "Errors"),
            (Severity::Warning, "Warnings"),
            (Severity::Info, "Notes"),
        ] {
            if self.count(severity) > 0 {
                writeln!(f)?;
                writeln!(f, "{title}:")?;
                self.write_listing(f, severity, all)?;
            }
        }
        writeln!(f)?;
        if errors > 0 {
            writeln!(
                f,
                "Result: FAILED with {errors} error(s); rejected rows are listed above"
            )
        } else {
            writeln!(f, "Result: OK (no errors, {warnings} warning(s))")
        }
    }
}

/// Joins `rel` to `dir` and removes `.` and `name/..` pairs lexically (no file-system access).
pub fn resolve_path(dir: &Path, rel: &Path) -> PathBuf {
    let joined = dir.join(rel);
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// The message shown when the OSM extract is missing: where it should be and how to get it.
///
/// `download` is the region for `./osm/download.sh`; without it, a file name ending in
/// `-latest.osm.pbf` gives the region (`west-midlands-latest.osm.pbf` -> `west-midlands`).
pub fn osm_missing_message(osm_path: &Path, download: Option<&str>) -> String {
    let file_name = osm_path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let region = download.map(str::to_string).or_else(|| {
        file_name
            .strip_suffix("-latest.osm.pbf")
            .map(str::to_string)
    });
    let how = match region {
        Some(region) => format!(
            "run `./osm/download.sh {region}` from the project root to fetch Geofabrik's \
             {region}-latest.osm.pbf into osm/"
        ),
        None => {
            "put the OpenStreetMap extract (.osm.pbf, e.g. from https://download.geofabrik.de/) \
                 at that path"
                .to_string()
        }
    };
    format!(
        "OSM extract not found at {}: {how}. Journeys cannot be routed until it is there; \
         everything else was still checked",
        osm_path.display()
    )
}

impl Scenario {
    /// Absolute-or-relative path of a file named in the toml (joined to [`Scenario::dir`]).
    pub fn resolve(&self, rel: &Path) -> PathBuf {
        resolve_path(&self.dir, rel)
    }

    /// Paths of the OSM extracts (one, or several merged into one graph).
    pub fn osm_paths(&self) -> Vec<PathBuf> {
        self.config
            .osm
            .files()
            .iter()
            .map(|p| self.resolve(p))
            .collect()
    }

    /// Path of the (first) OSM extract.
    pub fn osm_path(&self) -> PathBuf {
        self.osm_paths().into_iter().next().unwrap_or_default()
    }

    /// True when every OSM extract exists.
    pub fn osm_present(&self) -> bool {
        let paths = self.osm_paths();
        !paths.is_empty() && paths.iter().all(|p| p.is_file())
    }

    /// What to tell the user when an OSM extract is missing (see [`osm_missing_message`]),
    /// for the first one missing.
    pub fn osm_missing_message(&self) -> String {
        let paths = self.osm_paths();
        let missing = paths.iter().find(|p| !p.is_file()).or(paths.first());
        match missing {
            Some(p) => osm_missing_message(p, self.config.osm_download.as_deref()),
            None => "`osm` lists no extract: name at least one .osm.pbf".into(),
        }
    }

    /// Loads `scenario.toml` at `path` and every file it names, validating all of them.
    ///
    /// `road_bbox` is the bounding box of the road network when known (homes and provisions
    /// outside it are warned about). `Err` only when the toml itself cannot be read or
    /// parsed; every other fault, including a missing OSM extract (a warning), is in the
    /// report, and a file that fails to load leaves its part of the scenario empty.
    pub fn load(
        path: &Path,
        road_bbox: Option<Bbox>,
    ) -> Result<(Scenario, ValidationReport), ScenarioError> {
        let label = path.display().to_string();
        let text = crate::load::bounded::read_to_string_bounded(
            path,
            crate::load::bounded::MAX_TOML_BYTES,
        )
        .map_err(|source| ScenarioError::Read {
            path: label.clone(),
            source,
        })?;
        let config = ScenarioConfig::from_toml_str(&text, &label)?;
        let dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut scenario = Scenario {
            config,
            dir,
            boundary: Boundary::default(),
            area_layers: Vec::new(),
            provisions: Vec::new(),
            pupils: Vec::new(),
            unplaced: Vec::new(),
            postcodes: None,
        };
        let mut report = ValidationReport {
            scenario: scenario.config.name.clone(),
            config_file: label.clone(),
            ..ValidationReport::default()
        };
        for (key, message) in scenario.config.check() {
            report.issues.push(Issue {
                severity: Severity::Error,
                kind: IssueKind::BadFile,
                file: label.clone(),
                line: None,
                column: Some(key),
                message,
            });
        }
        if !scenario.osm_present() {
            report.issues.push(Issue {
                severity: Severity::Warning,
                kind: IssueKind::MissingOsm,
                file: label.clone(),
                line: None,
                column: Some("osm".to_string()),
                message: scenario.osm_missing_message(),
            });
        }
        scenario.load_boundary(&mut report);
        scenario.load_areas(&mut report);
        scenario.load_postcodes(&mut report);
        let provisions_ok = scenario.load_provisions(&mut report, road_bbox);
        scenario.load_pupils(&mut report, road_bbox, provisions_ok);
        Ok((scenario, report))
    }

    /// Reads a file named in the toml, or records a missing-file error.
    fn read(
        &self,
        rel: &Path,
        role: &FileRole,
        report: &mut ValidationReport,
    ) -> Option<(Vec<u8>, String)> {
        let path = self.resolve(rel);
        let label = path.display().to_string();
        match crate::load::bounded::read_bounded(&path, crate::load::bounded::MAX_TABLE_BYTES) {
            Ok(bytes) => Some((bytes, label)),
            Err(e) => {
                let kind = if e.kind() == std::io::ErrorKind::NotFound {
                    IssueKind::MissingFile
                } else {
                    IssueKind::BadFile
                };
                let message = format!(
                    "cannot read the {role} file ({e}); paths in {} are relative to its folder",
                    report.config_file
                );
                report.add_failed(
                    role,
                    &label,
                    Issue::file_level(Severity::Error, kind, &label, message),
                );
                None
            }
        }
    }

    fn load_boundary(&mut self, report: &mut ValidationReport) {
        let rel = self.config.boundary.clone();
        let Some((bytes, label)) = self.read(&rel, &FileRole::Boundary, report) else {
            return;
        };
        match load_boundary(&bytes, &label) {
            Ok((boundary, mut loaded)) => {
                self.boundary = boundary;
                report.add_loaded(&FileRole::Boundary, &label, &mut loaded);
            }
            Err(e) => report.add_failed(
                &FileRole::Boundary,
                &label,
                Issue::file_level(Severity::Error, IssueKind::BadFile, &label, e.to_string()),
            ),
        }
    }

    fn load_areas(&mut self, report: &mut ValidationReport) {
        for layer in self.config.areas.clone() {
            let role = FileRole::Areas(layer.id.clone());
            let Some((bytes, label)) = self.read(&layer.path, &role, report) else {
                continue;
            };
            let spec = LayerSpec {
                id: &layer.id,
                name: &layer.name,
                id_property: &layer.id_property,
                name_property: &layer.name_property,
            };
            match load_area_layer(&bytes, &label, &spec) {
                Ok((area_layer, mut loaded)) => {
                    self.area_layers.push(area_layer);
                    report.add_loaded(&role, &label, &mut loaded);
                }
                Err(e) => report.add_failed(
                    &role,
                    &label,
                    Issue::file_level(Severity::Error, IssueKind::BadFile, &label, e.to_string()),
                ),
            }
        }
    }

    fn load_postcodes(&mut self, report: &mut ValidationReport) {
        let Some(rel) = self.config.postcodes.clone() else {
            return;
        };
        let Some((bytes, label)) = self.read(&rel, &FileRole::Postcodes, report) else {
            return;
        };
        match load_postcodes(&bytes, &label) {
            Ok((table, mut loaded)) => {
                self.postcodes = Some(table);
                report.add_loaded(&FileRole::Postcodes, &label, &mut loaded);
            }
            Err(e) => report.add_failed(
                &FileRole::Postcodes,
                &label,
                Issue::file_level(Severity::Error, IssueKind::BadFile, &label, e.to_string()),
            ),
        }
    }

    /// Loads provisions; returns the file label when the file could be read at all.
    fn load_provisions(
        &mut self,
        report: &mut ValidationReport,
        road_bbox: Option<Bbox>,
    ) -> Option<String> {
        let rel = self.config.provisions.clone();
        let (bytes, label) = self.read(&rel, &FileRole::Provisions, report)?;
        match load_provisions(&bytes, &label) {
            Ok(mut loaded) => {
                if let Some(bbox) = road_bbox {
                    for p in loaded.items.iter().filter(|p| !bbox.contains(p.location)) {
                        loaded.issues.push(Issue::at(
                            Severity::Warning,
                            IssueKind::ProvisionOutsideRoadNetwork,
                            &label,
                            p.line,
                            Some("lat"),
                            format!(
                                "provision \"{}\" lies outside the road network's bounding box \
                                 ({bbox}): journeys to it cannot be routed on the extract",
                                crate::load::table::excerpt(&p.id)
                            ),
                        ));
                    }
                    loaded.issues.sort_by_key(|i| i.line.unwrap_or(0));
                }
                report.unknown_capacity =
                    loaded.items.iter().filter(|p| p.capacity.is_none()).count();
                report.add_loaded(&FileRole::Provisions, &label, &mut loaded);
                self.provisions = loaded.items;
                Some(label)
            }
            Err(e) => {
                report.add_failed(
                    &FileRole::Provisions,
                    &label,
                    Issue::file_level(Severity::Error, IssueKind::BadFile, &label, e.to_string()),
                );
                None
            }
        }
    }

    fn load_pupils(
        &mut self,
        report: &mut ValidationReport,
        road_bbox: Option<Bbox>,
        provisions_file: Option<String>,
    ) {
        let Some(rel) = self.config.pupils.clone() else {
            return;
        };
        let Some((bytes, label)) = self.read(&rel, &FileRole::Pupils, report) else {
            return;
        };
        // A postcode table that failed to load still counts as "configured" (its own error
        // is in the report), so pupils' postcodes are reported as not found.
        let empty = PostcodeTable::default();
        let postcodes = match (&self.postcodes, &self.config.postcodes) {
            (Some(t), _) => Some(t),
            (None, Some(_)) => Some(&empty),
            (None, None) => None,
        };
        let options = PupilOptions {
            postcodes,
            road_bbox,
        };
        let LoadedPupils {
            placed: mut loaded,
            unplaced,
        } = match load_pupils(&bytes, &label, options) {
            Ok(loaded) => loaded,
            Err(e) => {
                report.add_failed(
                    &FileRole::Pupils,
                    &label,
                    Issue::file_level(Severity::Error, IssueKind::BadFile, &label, e.to_string()),
                );
                return;
            }
        };
        match provisions_file {
            Some(pf) => check_against_provisions(&mut loaded, &label, &self.provisions, &pf),
            None => loaded.issues.push(Issue::file_level(
                Severity::Info,
                IssueKind::UnknownPlacement,
                &label,
                "placement ids not checked: the provisions file could not be read",
            )),
        }
        if !self.boundary.is_empty() {
            let homes = loaded.items.iter().map(|p| (p.home, p.line));
            let unplaced_homes = unplaced.iter().map(|p| (p.home, p.line));
            for (_, line) in homes
                .chain(unplaced_homes)
                .filter(|(home, _)| !self.boundary.contains(*home))
            {
                loaded.issues.push(Issue::at(
                    Severity::Warning,
                    IssueKind::HomeOutsideBoundary,
                    &label,
                    line,
                    Some("home"),
                    "home lies outside the home authority boundary",
                ));
            }
            loaded.issues.sort_by_key(|i| i.line.unwrap_or(0));
        }
        report.add_loaded(&FileRole::Pupils, &label, &mut loaded);
        if let Some(summary) = report.files.last_mut() {
            // rows without a placement are accepted too
            summary.accepted += unplaced.len();
        }
        for u in &unplaced {
            *report.without_placement.entry(u.status).or_default() += 1;
        }
        self.pupils = loaded.items;
        self.unplaced = unplaced;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::{AnalysisConfig, CostsConfig};
    use crate::model::{ProvisionKind, Transport};

    #[test]
    fn file_roles_are_written_as_before() {
        let roles = [
            (FileRole::Boundary, "boundary"),
            (FileRole::Areas("wards".into()), "areas:wards"),
            (FileRole::Postcodes, "postcodes"),
            (FileRole::Provisions, "provisions"),
            (FileRole::Pupils, "pupils"),
        ];
        for (role, text) in roles {
            assert_eq!(role.as_str(), text);
            assert_eq!(format!("{role:<12}|"), format!("{text:<12}|"));
            assert_eq!(
                serde_json::to_string(&role).ok(),
                Some(format!("\"{text}\""))
            );
        }
    }

    fn mini() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/data/mini/scenario.toml"
        ))
    }

    #[test]
    fn defaults_match_the_guidance() {
        let c = ScenarioConfig::from_toml_str(
            "name = \"x\"\nosm = \"a.osm.pbf\"\nboundary = \"b.geojson\"\nprovisions = \"p.csv\"\n",
            "s.toml",
        )
        .unwrap();
        assert_eq!(c.analysis, AnalysisConfig::default());
        assert_eq!(c.analysis.primary_max_minutes, 45.0);
        assert_eq!(c.analysis.secondary_max_minutes, 75.0);
        assert_eq!(c.analysis.primary_max_age, 10, "Year 6 is 10 at 31 August");
        assert_eq!(c.costs, CostsConfig::default());
        assert_eq!(c.costs.school_days_per_year, 190);
        assert!(c.check().is_empty());
    }

    #[test]
    fn primary_max_age_must_leave_a_secondary_phase() {
        let with_age = |age: u8| {
            ScenarioConfig::from_toml_str(
                &format!(
                    "name = \"x\"\nosm = \"a\"\nboundary = \"b\"\nprovisions = \"p\"\n\
                     [analysis]\nprimary_max_age = {age}\n"
                ),
                "s.toml",
            )
            .unwrap()
            .check()
        };
        assert!(with_age(15).is_empty());
        let faults = with_age(16);
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert_eq!(faults[0].0, "analysis.primary_max_age");
        assert!(faults[0].1.contains("at most 15"), "{faults:?}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let err = ScenarioConfig::from_toml_str(
            "name = \"x\"\nosm = \"a\"\nboundary = \"b\"\nprovisions = \"p\"\n[analysis]\nprimary_max_minute = 40\n",
            "s.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("s.toml: "), "{err}");
        assert!(err.contains("unknown field `primary_max_minute`"), "{err}");
    }

    #[test]
    fn cost_tables_overlay_the_defaults() {
        let c = ScenarioConfig::from_toml_str(
            "name = \"x\"\nosm = \"a\"\nboundary = \"b\"\nprovisions = \"p\"\n\
             [costs]\nplacement_gbp_by_kind = { independent_special = 75000 }\n\
             transport_gbp_per_km_by_mode = { taxi = 2.5 }\n",
            "s.toml",
        )
        .unwrap();
        assert_eq!(
            c.costs.placement_gbp_by_kind[&ProvisionKind::IndependentSpecial],
            75_000.0
        );
        assert_eq!(
            c.costs.placement_gbp_by_kind[&ProvisionKind::SpecialSchool],
            24_000.0
        );
        assert_eq!(c.costs.transport_gbp_per_km_by_mode[&Transport::Taxi], 2.5);
        assert_eq!(
            c.costs.transport_gbp_per_km_by_mode[&Transport::Minibus],
            0.9
        );
        let bad = ScenarioConfig::from_toml_str(
            "name = \"x\"\nosm = \"a\"\nboundary = \"b\"\nprovisions = \"p\"\n\
             [costs]\nplacement_gbp_by_kind = { academy = 1 }\n",
            "s.toml",
        );
        assert!(bad.unwrap_err().to_string().contains("academy"));
    }

    #[test]
    fn bad_values_are_checked() {
        let mut c = ScenarioConfig::from_toml_str(
            "name = \"x\"\nosm = \"a\"\nboundary = \"b\"\nprovisions = \"p\"\n\
             [analysis]\ncircuity_factor = 0.9\nprimary_max_minutes = -1\n",
            "s.toml",
        )
        .unwrap();
        c.costs.capital_gbp_per_place = f64::NAN;
        let keys: Vec<String> = c.check().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![
                "analysis.primary_max_minutes",
                "analysis.circuity_factor",
                "costs.capital_gbp_per_place"
            ]
        );
    }

    #[test]
    fn paths_resolve_lexically() {
        assert_eq!(
            resolve_path(
                Path::new("fixtures/data/mini"),
                Path::new("../../../osm/x.osm.pbf")
            ),
            PathBuf::from("osm/x.osm.pbf")
        );
        assert_eq!(
            resolve_path(Path::new("scen"), Path::new("./p.csv")),
            PathBuf::from("scen/p.csv")
        );
    }

    #[test]
    fn missing_osm_message_says_how_to_get_it() {
        assert_eq!(
            osm_missing_message(Path::new("osm/west-midlands-latest.osm.pbf"), None),
            "OSM extract not found at osm/west-midlands-latest.osm.pbf: run \
             `./osm/download.sh west-midlands` from the project root to fetch Geofabrik's \
             west-midlands-latest.osm.pbf into osm/. Journeys cannot be routed until it is \
             there; everything else was still checked"
        );
        assert!(osm_missing_message(Path::new("osm/x.pbf"), None).contains("download.geofabrik.de"));
    }

    #[test]
    fn mini_scenario_loads_cleanly() {
        let (s, report) = Scenario::load(&mini(), None).unwrap();
        let text = format!("{report:#}");
        assert!(!report.has_errors(), "{text}");
        assert_eq!(
            report.count(Severity::Warning),
            usize::from(!s.osm_present()),
            "{text}"
        );
        assert_eq!(s.provisions.len(), 3);
        assert_eq!(s.pupils.len(), 6);
        assert_eq!(s.area_layers.len(), 1);
        assert_eq!(s.area_layers[0].len(), 2);
        assert_eq!(report.unknown_capacity, 1);
        assert!(text.contains("Result: OK"), "{text}");
        let douglas = crate::model::LatLon {
            lat: 54.15,
            lon: -4.48,
        };
        assert!(s.boundary.contains(douglas));
        assert!(s.postcodes.as_ref().is_some_and(|t| t.len() == 3));
        assert_eq!(s.config.analysis.receiving_kinds.len(), 2);
    }

    #[test]
    fn mini_scenario_warns_about_homes_outside_a_small_road_bbox() {
        let bbox = Bbox {
            min_lat: 54.14,
            min_lon: -4.50,
            max_lat: 54.16,
            max_lon: -4.46,
        };
        let (_, report) = Scenario::load(&mini(), Some(bbox)).unwrap();
        assert!(!report.has_errors());
        let by_kind = report.warnings_by_kind();
        assert!(
            by_kind
                .get(&IssueKind::HomeOutsideRoadNetwork)
                .is_some_and(|&n| n >= 1),
            "{report:#}"
        );
        assert!(
            by_kind
                .get(&IssueKind::ProvisionOutsideRoadNetwork)
                .is_some_and(|&n| n >= 1),
            "{report:#}"
        );
    }

    #[test]
    fn missing_files_and_osm_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("scenario.toml");
        std::fs::write(
            &toml,
            "name = \"gone\"\nosm = \"osm/west-midlands-latest.osm.pbf\"\nboundary = \"b.geojson\"\n\
             provisions = \"p.csv\"\npupils = \"u.csv\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("p.csv"),
            "id,name,kind,needs,age_min,age_max,capacity,on_roll,lat,lon\n\
             P1,A,special_school,ASD,4,18,10,5,54.15,-4.48\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("u.csv"),
            "id,age,need,lat,lon,placement_id\nA,9,ASD,54.15,-4.48,P1\nB,9,ASD,54.15,-4.48,P9\n",
        )
        .unwrap();
        let (s, report) = Scenario::load(&toml, None).unwrap();
        assert!(report.has_errors());
        assert_eq!(s.provisions.len(), 1);
        assert_eq!(s.pupils.len(), 1);
        let kinds: Vec<IssueKind> = report.issues.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            vec![
                IssueKind::MissingOsm,
                IssueKind::MissingFile,
                IssueKind::UnknownPlacement
            ]
        );
        let text = report.to_string();
        assert!(text.contains("./osm/download.sh west-midlands"), "{text}");
        assert!(text.contains("Result: FAILED with 2 error(s)"), "{text}");
        let pupils = report
            .files
            .iter()
            .find(|f| f.role == FileRole::Pupils)
            .unwrap();
        assert_eq!(
            (pupils.read, pupils.accepted, pupils.rejected),
            (Some(2), 1, 1)
        );
    }

    #[test]
    fn listing_is_capped_unless_alternate() {
        let mut r = ValidationReport::default();
        for line in 0..25 {
            r.issues.push(Issue::at(
                Severity::Error,
                IssueKind::BadAge,
                "f.csv",
                line,
                None,
                "bad",
            ));
        }
        let short = r.to_string();
        assert_eq!(short.matches("error: f.csv line").count(), MAX_LISTED);
        assert!(short.contains("… and 5 more errors of kind \"bad age\" in f.csv"));
        assert_eq!(format!("{r:#}").matches("error: f.csv line").count(), 25);
    }
}
