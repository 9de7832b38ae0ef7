//! `pupils.csv` adapter: one row per pupil with an EHC plan -> [`Pupil`]s plus findings.
//!
//! Columns (see `docs/data.md`): `id`, `age` or `ncy`, `need` (an SEN2 code or DfE name,
//! [`Need::from_name`]), home as `lat, lon`,
//! `easting, northing` or `postcode`, `placement_id`, optional `transport` and
//! `transport_cost_gbp`, and optional `placement_status` ([`PlacementStatus`]: blank or
//! `placed` for a pupil at `placement_id`; otherwise the pupil has no placement, a blank
//! `placement_id`, and is read as an [`UnplacedPupil`]). Pupil data are personal: messages name the line and column but never
//! echo a pupil id, postcode or home coordinate. Cross-file checks against the provisions
//! are in [`check_against_provisions`]. Also writes the same format.

use std::io::Write;

use crate::load::postcodes::POSTCODE_NAMES;
use crate::load::table::{
    CoordColumns, IdSet, Issue, IssueKind, Loaded, Located, Recorded, RowCtx, Severity, Table,
    TableError,
};
use crate::model::postcode::{normalise_postcode, PostcodeTable};
use crate::model::status::{PlacementStatus, UnplacedPupil};
use crate::model::{
    age_from_ncy, Bbox, Need, Provision, Pupil, Transport, TravelNeeds, AGE_RANGE, NCY_RANGE,
};

/// Columns read from `pupils.csv` besides the coordinate and postcode columns.
pub const COLUMNS: [&str; 11] = [
    "id",
    "age",
    "ncy",
    "need",
    "placement_id",
    "placement_status",
    "transport",
    "transport_cost_gbp",
    "wheelchair",
    "escort",
    "solo",
];

/// Parses a national curriculum year: `0`..`14`, `R`/`Reception` (0), `Y7`/`Year 7` (7).
///
/// # Examples
/// ```
/// use nearhome::load::pupils::parse_ncy;
/// assert_eq!(parse_ncy("R"), Some(0));
/// assert_eq!(parse_ncy("Year 11"), Some(11));
/// assert_eq!(parse_ncy("y7"), Some(7));
/// assert_eq!(parse_ncy("N2"), None);
/// ```
pub fn parse_ncy(field: &str) -> Option<i32> {
    let t = field.trim().to_ascii_lowercase();
    if t == "r" || t == "reception" {
        return Some(0);
    }
    let digits = t
        .strip_prefix("year")
        .or_else(|| t.strip_prefix('y'))
        .unwrap_or(&t)
        .trim();
    digits.parse::<i32>().ok()
}

/// Column indices of a pupils table.
struct Cols {
    id: usize,
    age: Option<usize>,
    ncy: Option<usize>,
    need: usize,
    placement: usize,
    status: Option<usize>,
    transport: Option<usize>,
    cost: Option<usize>,
    wheelchair: Option<usize>,
    escort: Option<usize>,
    solo: Option<usize>,
    postcode: Option<usize>,
    coords: CoordColumns,
}

impl Cols {
    fn find(table: &Table) -> Result<Self, TableError> {
        let coords = CoordColumns::find(table)?;
        let postcode = table.column(&POSTCODE_NAMES);
        if coords.is_empty() && postcode.is_none() {
            return Err(table.missing("lat`/`lon`, `easting`/`northing` or `postcode"));
        }
        let age = table.column(&["age"]);
        let ncy = table.column(&["ncy", "nc_year", "year_group"]);
        if age.is_none() && ncy.is_none() {
            return Err(table.missing("age` or `ncy"));
        }
        Ok(Self {
            id: table.require(&["id"])?,
            age,
            ncy,
            need: table.require(&["need"])?,
            placement: table.require(&["placement_id"])?,
            status: table.column(&["placement_status"]),
            transport: table.column(&["transport"]),
            cost: table.column(&["transport_cost_gbp"]),
            wheelchair: table.column(&["wheelchair"]),
            escort: table.column(&["escort"]),
            solo: table.column(&["solo"]),
            postcode,
            coords,
        })
    }
}

/// Options for [`load_pupils`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PupilOptions<'a> {
    /// Postcode centroids for rows located by `postcode`; without it such rows are errors.
    pub postcodes: Option<&'a PostcodeTable>,
    /// Bounding box of the road network; homes outside it get a warning.
    pub road_bbox: Option<Bbox>,
}

/// The rows of a pupils file: the pupils at a placement (with the file's counts and
/// findings) and the pupils without one.
#[derive(Debug, Clone)]
pub struct LoadedPupils {
    /// Placed pupils, counts and findings; `placed.rows_rejected` counts every rejected
    /// row.
    pub placed: Loaded<Pupil>,
    /// Accepted rows whose `placement_status` is not `placed`, in file order.
    pub unplaced: Vec<UnplacedPupil>,
}

impl LoadedPupils {
    /// Rows accepted, placed or not.
    pub fn rows_accepted(&self) -> usize {
        self.placed.items.len() + self.unplaced.len()
    }
}

/// One accepted row.
enum PupilRow {
    Placed(Pupil),
    Unplaced(UnplacedPupil),
}

/// Reads `pupils.csv` bytes; `file` labels messages.
///
/// `Err` only when the file as a whole is unusable. A row with any error is rejected and
/// counted; homes outside `options.road_bbox` are warnings (for placed pupils). Placement
/// ids are not checked here (see [`check_against_provisions`]).
pub fn load_pupils(
    bytes: &[u8],
    file: &str,
    options: PupilOptions<'_>,
) -> Result<LoadedPupils, TableError> {
    let mut issues = Vec::new();
    let table = Table::parse_sensitive(bytes, file, &mut issues)?;
    let cols = Cols::find(&table)?;
    let known: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .chain(CoordColumns::names())
        .chain(POSTCODE_NAMES)
        .chain(["nc_year", "year_group"])
        .collect();
    table.note_unused_columns(&known, &mut issues);

    let mut items = Vec::new();
    let mut unplaced = Vec::new();
    let mut ids = IdSet::default();
    let mut rejected = table.malformed_rows;
    for row in &table.rows {
        let mut ctx = RowCtx::new(file, row, true, &mut issues);
        match parse_row(&mut ctx, &cols, &mut ids, &options) {
            Some(PupilRow::Placed(p)) if ctx.ok() => items.push(p),
            Some(PupilRow::Unplaced(p)) if ctx.ok() => unplaced.push(p),
            _ => rejected += 1,
        }
    }
    Ok(LoadedPupils {
        placed: Loaded {
            items,
            issues,
            rows_read: table.rows_read(),
            rows_rejected: rejected,
        },
        unplaced,
    })
}

/// Parses one row, recording every fault it finds.
fn parse_row(
    ctx: &mut RowCtx<'_>,
    cols: &Cols,
    ids: &mut IdSet,
    options: &PupilOptions<'_>,
) -> Option<PupilRow> {
    let id = ctx.id(cols.id, "id");
    if let Some(id) = &id {
        ids.insert(ctx, "id", id, false);
    }
    let age = parse_age(ctx, cols);
    let need = ctx.code_with(cols.need, "need", IssueKind::UnknownNeed, Need::from_name);
    let home = parse_home(ctx, cols, options);
    let status = match ctx.text(cols.status) {
        "" => Some(PlacementStatus::Placed),
        t => t.parse::<PlacementStatus>().map_or_else(
            |e| {
                let message = ctx.unknown_code(&e);
                ctx.error(
                    IssueKind::UnknownPlacementStatus,
                    "placement_status",
                    message,
                );
                None
            },
            Some,
        ),
    }?;
    if !status.is_placed() {
        return unplaced_row(ctx, cols, status, (id?, age?, need?, home?));
    }
    if let (Some(home), Some(bbox)) = (home, options.road_bbox) {
        if !bbox.contains(home) {
            ctx.warn(
                IssueKind::HomeOutsideRoadNetwork,
                "home",
                format!("home lies outside the road network's bounding box ({bbox}): journeys cannot be routed"),
            );
        }
    }
    let placement_id = ctx.id(cols.placement, "placement_id");
    let transport = match ctx.text(cols.transport) {
        "" => Ok(None),
        t => t.parse::<Transport>().map(Some).map_err(|e| {
            let message = ctx.unknown_code(&e);
            ctx.error(IssueKind::UnknownTransport, "transport", message);
            Recorded
        }),
    };
    let cost = ctx.opt_gbp(cols.cost, "transport_cost_gbp");
    let wheelchair = ctx.opt_flag(cols.wheelchair, "wheelchair");
    let escort = ctx.opt_flag(cols.escort, "escort");
    let solo = ctx.opt_flag(cols.solo, "solo");
    Some(PupilRow::Placed(Pupil {
        id: id?,
        age: age?,
        need: need?,
        home: home?,
        placement_id: placement_id?,
        transport: transport.ok()?,
        transport_cost_gbp: cost.ok()?,
        travel: TravelNeeds {
            wheelchair: wheelchair.ok()?,
            escort: escort.ok()?,
            solo: solo.ok()?,
        },
        line: ctx.row.line,
    }))
}

/// A row whose `placement_status` says the pupil has no placement: `placement_id` must be
/// blank (a named placement contradicts the status). Transport fields are ignored with a
/// warning when filled.
fn unplaced_row(
    ctx: &mut RowCtx<'_>,
    cols: &Cols,
    status: PlacementStatus,
    (id, age, need, home): (String, u8, Need, crate::model::LatLon),
) -> Option<PupilRow> {
    if !ctx.text(Some(cols.placement)).is_empty() {
        ctx.error(
            IssueKind::PlacementContradictsStatus,
            "placement_id",
            format!(
                "placement_id is filled but placement_status is `{status}` (no placement): \
                 blank one of them"
            ),
        );
        return None;
    }
    if !ctx.text(cols.transport).is_empty() || !ctx.text(cols.cost).is_empty() {
        ctx.warn(
            IssueKind::UnusedColumn,
            "transport",
            format!("transport is ignored: placement_status is `{status}` (no school journey)"),
        );
    }
    Some(PupilRow::Unplaced(UnplacedPupil {
        id,
        age,
        need,
        home,
        status,
        line: ctx.row.line,
    }))
}

/// Age from `age` when filled, else from `ncy` (age = NCY + 4, at 31 August).
fn parse_age(ctx: &mut RowCtx<'_>, cols: &Cols) -> Option<u8> {
    let age_range = u64::from(*AGE_RANGE.start())..=u64::from(*AGE_RANGE.end());
    match (cols.age, cols.ncy) {
        (Some(a), _) if !ctx.text(Some(a)).is_empty() || cols.ncy.is_none() => {
            let age = ctx.uint(a, "age", age_range)?;
            u8::try_from(age).ok()
        }
        (_, Some(n)) => {
            let raw = ctx.required(n, "ncy")?;
            let age = parse_ncy(raw).and_then(age_from_ncy);
            if age.is_none() {
                ctx.error(
                    IssueKind::BadAge,
                    "ncy",
                    format!(
                        "ncy is not a national curriculum year {}..{} (R = Reception = 0)",
                        NCY_RANGE.start(),
                        NCY_RANGE.end()
                    ),
                );
            }
            age
        }
        _ => None,
    }
}

/// Home from coordinates when filled, else from the postcode table.
fn parse_home(
    ctx: &mut RowCtx<'_>,
    cols: &Cols,
    options: &PupilOptions<'_>,
) -> Option<crate::model::LatLon> {
    match ctx.location(&cols.coords) {
        Located::Found(p) => return Some(p),
        Located::Invalid => return None,
        Located::Blank => {}
    }
    let raw = ctx.text(cols.postcode);
    if raw.is_empty() {
        ctx.error(
            IssueKind::MissingValue,
            "home",
            "no home location: fill lat and lon, easting and northing, or postcode",
        );
        return None;
    }
    if normalise_postcode(raw).is_none() {
        ctx.error(
            IssueKind::UnknownPostcode,
            "postcode",
            "postcode is not a valid UK postcode",
        );
        return None;
    }
    let Some(table) = options.postcodes else {
        ctx.error(
            IssueKind::UnknownPostcode,
            "postcode",
            "postcode given but the scenario has no postcode table (set `postcodes` in scenario.toml)",
        );
        return None;
    };
    let found = table.get(raw);
    if found.is_none() {
        ctx.error(
            IssueKind::UnknownPostcode,
            "postcode",
            "postcode not found in the postcode table",
        );
    }
    found
}

/// Cross-checks pupils against the accepted provisions of `provisions_file`.
///
/// A `placement_id` that names no provision is an error (the pupil is removed from
/// `loaded.items` and counted as rejected). An age outside every provision's age range is a
/// warning.
pub fn check_against_provisions(
    loaded: &mut Loaded<Pupil>,
    file: &str,
    provisions: &[Provision],
    provisions_file: &str,
) {
    let ids: std::collections::HashSet<&str> = provisions.iter().map(|p| p.id.as_str()).collect();
    let overall = provisions
        .iter()
        .map(|p| (p.age_min, p.age_max))
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let mut kept = Vec::with_capacity(loaded.items.len());
    for pupil in std::mem::take(&mut loaded.items) {
        if !ids.contains(pupil.placement_id.as_str()) {
            loaded.issues.push(Issue::at(
                Severity::Error,
                IssueKind::UnknownPlacement,
                file,
                pupil.line,
                Some("placement_id"),
                format!(
                    "placement_id is not the id of any accepted provision in {provisions_file}"
                ),
            ));
            loaded.rows_rejected += 1;
            continue;
        }
        if !provisions.iter().any(|p| p.accepts_age(pupil.age)) {
            let range =
                overall.map_or("none loaded".to_string(), |(lo, hi)| format!("{lo}..={hi}"));
            loaded.issues.push(Issue::at(
                Severity::Warning,
                IssueKind::AgeOutsideProvisions,
                file,
                pupil.line,
                Some("age"),
                format!(
                    "age is outside every provision's age range (ages {range} in {provisions_file})"
                ),
            ));
        }
        kept.push(pupil);
    }
    loaded.items = kept;
    loaded.issues.sort_by_key(|i| i.line.unwrap_or(0));
}

/// Writes pupils as `pupils.csv` with `lat`,`lon` homes (6 decimal places); blank optional
/// fields when unknown.
pub fn write_pupils<W: Write>(pupils: &[Pupil], out: W) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "age",
        "need",
        "lat",
        "lon",
        "placement_id",
        "transport",
        "transport_cost_gbp",
        "wheelchair",
        "escort",
        "solo",
    ])?;
    let flag = |b: bool| if b { "yes" } else { "no" }.to_string();
    for p in pupils {
        w.write_record([
            p.id.clone(),
            p.age.to_string(),
            p.need.code().to_string(),
            format!("{:.6}", p.home.lat),
            format!("{:.6}", p.home.lon),
            p.placement_id.clone(),
            p.transport
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            p.transport_cost_gbp
                .map(|c| c.to_string())
                .unwrap_or_default(),
            flag(p.travel.wheelchair),
            flag(p.travel.escort),
            flag(p.travel.solo),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LatLon, ProvisionKind};

    const HEADER: &str = "id,age,need,lat,lon,placement_id,transport,transport_cost_gbp\n";

    fn load(body: &str) -> Loaded<Pupil> {
        load_pupils(
            format!("{HEADER}{body}").as_bytes(),
            "pupils.csv",
            PupilOptions::default(),
        )
        .unwrap()
        .placed
    }

    fn messages(l: &Loaded<Pupil>) -> Vec<String> {
        l.issues.iter().map(Issue::to_string).collect()
    }

    fn provision(id: &str, age_min: u8, age_max: u8) -> Provision {
        Provision {
            id: id.into(),
            name: id.into(),
            kind: ProvisionKind::SpecialSchool,
            needs: vec![Need::Asd],
            age_min,
            age_max,
            capacity: Some(10),
            on_roll: 0,
            annual_cost_gbp: None,
            location: LatLon {
                lat: 54.15,
                lon: -4.48,
            },
            sector: None,
            line: 2,
        }
    }

    #[test]
    fn good_rows_load() {
        let l = load("X1,9,asd,54.15,-4.48,P1,taxi,\"£3,200\"\nX2,15,SEMH,54.16,-4.47,P2,,\n");
        assert_eq!(messages(&l), Vec::<String>::new());
        assert_eq!(l.rows_accepted(), 2);
        assert_eq!(l.items[0].need, Need::Asd);
        assert_eq!(l.items[0].transport, Some(Transport::Taxi));
        assert_eq!(l.items[0].transport_cost_gbp, Some(3200.0));
        assert_eq!(l.items[1].transport, None);
    }

    #[test]
    fn travel_needs_are_read_as_yes_or_no() {
        let csv = "id,age,need,lat,lon,placement_id,transport,wheelchair,escort,solo\n\
                   A,9,PD,54.1,-4.4,P1,minibus,Yes,y,\n\
                   B,9,SEMH,54.1,-4.4,P1,travel_training,no,0,TRUE\n\
                   C,9,SEMH,54.1,-4.4,P1,walk,maybe,,\n";
        let l = load_pupils(csv.as_bytes(), "p.csv", PupilOptions::default())
            .unwrap()
            .placed;
        assert_eq!(l.items.len(), 2);
        let a = l.items[0].travel;
        assert!(a.wheelchair && a.escort && !a.solo);
        let b = l.items[1].travel;
        assert!(!b.wheelchair && !b.escort && b.solo);
        assert_eq!(l.items[1].transport, Some(Transport::TravelTraining));
        assert_eq!(
            messages(&l),
            // pupil files are personal data: the value is not echoed
            vec![
                "error: p.csv line 4, column wheelchair: wheelchair is not yes or no \
                  (also y/n, true/false, 1/0; blank = no)"
            ]
        );
    }

    #[test]
    fn unknown_need_codes_and_modes_are_errors() {
        let l = load("X1,9,AUT,54.15,-4.48,P1,bike,\n");
        assert_eq!(l.rows_rejected, 1);
        assert_eq!(
            messages(&l),
            vec![
                "error: pupils.csv line 2, column need: unknown need (allowed: SEN2 codes \
                 ASD, SLCN, SEMH, MLD, SLD, PMLD, SPLD, HI, VI, MSI, PD, OTH or their DfE \
                 names, e.g. Autistic Spectrum Disorder, as listed in docs/data.md; not NSA, \
                 which is SEN support without an EHC plan)",
                "error: pupils.csv line 2, column transport: unknown transport mode \
                 (allowed: none, taxi, minibus, personal_budget, public, walk, travel_training)",
            ]
        );
    }

    #[test]
    fn needs_are_read_as_councils_write_them() {
        let l = load(
            "X1,9,Autism,54.15,-4.48,P1,,\n\
             X2,12,\"Social, Emotional and Mental Health\",54.15,-4.48,P1,,\n\
             X3,14,Profound & Multiple Learning Difficulties,54.15,-4.48,P1,,\n\
             X4,7,other difficulty/disability,54.15,-4.48,P1,,\n",
        );
        assert_eq!(messages(&l), Vec::<String>::new());
        let needs: Vec<Need> = l.items.iter().map(|p| p.need).collect();
        assert_eq!(needs, [Need::Asd, Need::Semh, Need::Pmld, Need::Oth]);
    }

    #[test]
    fn unknown_need_names_and_nsa_are_errors_without_the_value() {
        let l = load(
            "X1,9,Autistic Spectrum Disordr,54.15,-4.48,P1,,\n\
             X2,9,SEN support but no specialist assessment of type of need,54.15,-4.48,P1,,\n",
        );
        assert_eq!(l.rows_rejected, 2);
        let m = messages(&l);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].starts_with("error: pupils.csv line 2, column need: unknown need (allowed:"));
        assert!(m[1].starts_with("error: pupils.csv line 3, column need: unknown need (allowed:"));
        assert!(
            m.iter()
                .all(|t| !t.contains("Disordr") && !t.contains("SEN support but")),
            "{m:?}"
        );
    }

    #[test]
    fn duplicate_pupil_ids_do_not_echo_the_id() {
        let l = load("X1,9,ASD,54.15,-4.48,P1,,\nX1,10,ASD,54.15,-4.48,P1,,\n");
        assert_eq!(
            messages(&l),
            vec!["error: pupils.csv line 3, column id: duplicate id: already used on line 2"]
        );
    }

    #[test]
    fn ncy_column_gives_age_at_start_of_year() {
        let csv = "id,ncy,need,lat,lon,placement_id\nA,R,ASD,54.1,-4.4,P\nB,Year 7,ASD,54.1,-4.4,P\nC,N1,ASD,54.1,-4.4,P\n";
        let l = load_pupils(csv.as_bytes(), "p.csv", PupilOptions::default())
            .unwrap()
            .placed;
        let ages: Vec<u8> = l.items.iter().map(|p| p.age).collect();
        assert_eq!(ages, vec![4, 11]);
        assert_eq!(
            messages(&l),
            vec!["error: p.csv line 4, column ncy: ncy is not a national curriculum year 0..14 (R = Reception = 0)"]
        );
    }

    /// A pupils file saved without its header row: the refusal lists recognised column
    /// names only, never the first pupil's id, need or home.
    #[test]
    fn headerless_file_is_refused_without_echoing_the_first_row() {
        let csv = "p000001,6,mld,52.636302,-0.642906,P1,taxi,\n\
                   p000002,9,asd,52.6,-0.6,P2,taxi,\n";
        let err = load_pupils(csv.as_bytes(), "p.csv", PupilOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.csv: missing required column"), "{err}");
        assert!(err.contains("none recognised among 8"), "{err}");
        for v in ["p000001", "mld", "52.636302", "0.642906", "P1", "taxi"] {
            assert!(!err.contains(v), "{v} echoed: {err}");
        }
        // A first row with two equal fields is not echoed as a repeated column name either.
        let err = load_pupils(
            b"p000001,6,6,52.63,-0.64\n",
            "p.csv",
            PupilOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "p.csv line 1: the name of columns 2 and 3 (not a recognised column; is the header \
             row missing?) appears twice in the header"
        );
        // A real header with an extra, unrecognised column still lists the known ones.
        let err = load_pupils(
            b"id,age,need,extra\nA,9,ASD,x\n",
            "p.csv",
            PupilOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("columns found: id, age, need, and 1 unrecognised"),
            "{err}"
        );
    }

    #[test]
    fn postcodes_are_looked_up_normalised_and_not_echoed() {
        let table = PostcodeTable::new([(
            "IM1 3AB".to_string(),
            LatLon {
                lat: 54.15,
                lon: -4.48,
            },
        )]);
        let csv =
            "id,age,need,postcode,placement_id\nA,9,ASD,im13ab,P\nB,9,ASD,IM9 9ZZ,P\nC,9,ASD,,P\n";
        let opts = PupilOptions {
            postcodes: Some(&table),
            road_bbox: None,
        };
        let l = load_pupils(csv.as_bytes(), "p.csv", opts).unwrap().placed;
        assert_eq!(l.rows_accepted(), 1);
        assert_eq!(
            l.items[0].home,
            LatLon {
                lat: 54.15,
                lon: -4.48
            }
        );
        assert_eq!(
            messages(&l),
            vec![
                "error: p.csv line 3, column postcode: postcode not found in the postcode table",
                "error: p.csv line 4, column home: no home location: fill lat and lon, easting \
                 and northing, or postcode",
            ]
        );
        let l = load_pupils(csv.as_bytes(), "p.csv", PupilOptions::default())
            .unwrap()
            .placed;
        assert_eq!(l.rows_accepted(), 0);
        assert!(l.issues[0]
            .message
            .starts_with("postcode given but the scenario has no postcode table"));
    }

    #[test]
    fn home_outside_road_bbox_is_a_warning_without_coordinates() {
        let opts = PupilOptions {
            postcodes: None,
            road_bbox: Some(Bbox {
                min_lat: 54.0,
                min_lon: -4.6,
                max_lat: 54.3,
                max_lon: -4.3,
            }),
        };
        let csv = format!("{HEADER}A,9,ASD,54.15,-4.48,P,,\nB,9,ASD,52.48,-1.90,P,,\n");
        let l = load_pupils(csv.as_bytes(), "p.csv", opts).unwrap().placed;
        assert_eq!(l.rows_accepted(), 2);
        let m = messages(&l);
        assert_eq!(
            m,
            vec!["warning: p.csv line 3, column home: home lies outside the road network's \
                  bounding box (lat 54.0000..54.3000, lon -4.6000..-4.3000): journeys cannot be routed"]
        );
    }

    #[test]
    fn bad_coordinates_and_mangled_placements() {
        let l = load("A,9,ASD,NaN,-4.48,P,,\nB,9,ASD,54.1,-inf,P,,\nC,9,ASD,54.1,200,P,,\nD,9,ASD,54.1,-4.4,1.04E+05,,\n");
        assert_eq!((l.rows_read, l.rows_rejected), (4, 4));
        let kinds: Vec<(Option<usize>, IssueKind)> =
            l.issues.iter().map(|i| (i.line, i.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (Some(2), IssueKind::BadCoordinate),
                (Some(3), IssueKind::BadCoordinate),
                (Some(4), IssueKind::BadCoordinate),
                (Some(5), IssueKind::MangledId),
            ]
        );
    }

    #[test]
    fn unknown_placements_are_rejected_and_odd_ages_warned() {
        let mut l = load(
            "A,9,ASD,54.15,-4.48,P1,,\nB,9,ASD,54.15,-4.48,NOPE,,\nC,24,ASD,54.15,-4.48,P1,,\n",
        );
        assert_eq!(l.rows_accepted(), 3);
        check_against_provisions(
            &mut l,
            "pupils.csv",
            &[provision("P1", 4, 18)],
            "provisions.csv",
        );
        assert_eq!((l.rows_accepted(), l.rows_rejected), (2, 1));
        assert_eq!(
            messages(&l),
            vec![
                "error: pupils.csv line 3, column placement_id: placement_id is not the \
                 id of any accepted provision in provisions.csv",
                "warning: pupils.csv line 4, column age: age is outside every provision's age \
                 range (ages 4..=18 in provisions.csv)",
            ]
        );
    }

    /// A council-style export (CRLF, capitalised headers, NCY) with one fault per row.
    #[test]
    fn faulty_fixture_reports_every_fault() {
        let bytes = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/data/bad/pupils_faults.csv"
        ));
        let mut l = load_pupils(bytes, "pupils_faults.csv", PupilOptions::default())
            .unwrap()
            .placed;
        check_against_provisions(
            &mut l,
            "pupils_faults.csv",
            &[provision("P1", 4, 18), provision("P9", 4, 10)],
            "provisions.csv",
        );
        assert_eq!((l.rows_read, l.rows_accepted(), l.rows_rejected), (9, 2, 7));
        let ages: Vec<u8> = l.items.iter().map(|p| p.age).collect();
        assert_eq!(ages, vec![7, 4]);
        let found: Vec<(Option<usize>, Option<&str>, IssueKind)> = l
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| (i.line, i.column.as_deref(), i.kind))
            .collect();
        use IssueKind as K;
        assert_eq!(
            found,
            vec![
                (Some(3), Some("id"), K::DuplicateId),
                (Some(4), Some("id"), K::MangledId),
                (Some(5), Some("need"), K::UnknownNeed),
                (Some(6), Some("lat"), K::BadCoordinate),
                (Some(7), Some("lon"), K::BadCoordinate),
                (Some(8), Some("lon"), K::BadCoordinate),
                (Some(9), Some("placement_id"), K::UnknownPlacement),
            ]
        );
        assert!(l.issues.iter().any(|i| i.kind == K::LineEndings));
        let text: Vec<String> = l.issues.iter().map(Issue::to_string).collect();
        for want in [
            "error: pupils_faults.csv line 3, column id: duplicate id: already used on line 2",
            "error: pupils_faults.csv line 4, column id: id looks like a number Excel rewrote in scientific notation; the original digits are lost: re-export with the column formatted as Text",
            "error: pupils_faults.csv line 7, column lon: lon is not a finite number (NaN or infinity)",
            "error: pupils_faults.csv line 8, column lon: lon is outside -180..180 degrees",
            "error: pupils_faults.csv line 9, column placement_id: placement_id is not the id of any accepted provision in provisions.csv",
        ] {
            assert!(text.iter().any(|t| t == want), "missing {want:?} in {text:#?}");
        }
        for t in &text {
            assert!(
                !t.contains("54.15") && !t.contains("-4.48") && !t.contains("A1"),
                "personal data echoed: {t}"
            );
        }
    }

    #[test]
    fn placement_status_reads_pupils_without_a_placement() {
        let csv = "id,age,need,lat,lon,placement_id,placement_status,transport\n\
                   A,9,ASD,54.1,-4.4,P1,,taxi\n\
                   B,12,SEMH,54.1,-4.4,,Awaiting provision,\n\
                   C,15,MLD,54.1,-4.4,,EHE,taxi\n\
                   D,8,ASD,54.1,-4.4,P1,awaiting_provision,\n\
                   E,8,ASD,54.1,-4.4,,boarding,\n\
                   F,8,ASD,54.1,-4.4,,placed,\n";
        let l = load_pupils(csv.as_bytes(), "p.csv", PupilOptions::default()).unwrap();
        assert_eq!(l.placed.items.len(), 1);
        let statuses: Vec<(&str, PlacementStatus, usize)> = l
            .unplaced
            .iter()
            .map(|u| (u.id.as_str(), u.status, u.line))
            .collect();
        assert_eq!(
            statuses,
            vec![
                ("B", PlacementStatus::AwaitingProvision, 3),
                ("C", PlacementStatus::HomeEducated, 4)
            ]
        );
        assert_eq!(l.rows_accepted(), 3);
        assert_eq!(l.placed.rows_rejected, 3);
        let found: Vec<(Option<usize>, IssueKind)> =
            l.placed.issues.iter().map(|i| (i.line, i.kind)).collect();
        assert_eq!(
            found,
            vec![
                (Some(4), IssueKind::UnusedColumn),
                (Some(5), IssueKind::PlacementContradictsStatus),
                (Some(6), IssueKind::UnknownPlacementStatus),
                (Some(7), IssueKind::MissingValue),
            ]
        );
    }

    #[test]
    fn write_then_read_round_trips() {
        let l = load("X1,9,asd,54.15,-4.48,P1,taxi,3200\nX2,15,SEMH,54.16,-4.47,P2,,\n");
        let mut buf = Vec::new();
        write_pupils(&l.items, &mut buf).unwrap();
        let back = load_pupils(&buf, "again.csv", PupilOptions::default())
            .unwrap()
            .placed;
        assert_eq!(back.items, l.items);
    }
}
