//! `provisions.csv` adapter: one row per school or base -> [`Provision`]s plus findings.
//!
//! Columns (see `docs/data.md`): `id, name, kind, needs, age_min, age_max, capacity, on_roll,
//! annual_cost_gbp` and either `lat, lon` or `easting, northing`. Rows with any error are
//! rejected, counted and listed; nothing is dropped silently. Also writes the same format.

use std::io::Write;

use crate::load::table::{
    CoordColumns, IdSet, IssueKind, Loaded, Located, RowCtx, Table, TableError,
};
use crate::model::need_names::{unknown_need, NeedName};
use crate::model::{Need, Provision, ProvisionKind, UnknownCode, AGE_RANGE};

/// Columns read from `provisions.csv` besides the coordinate columns.
pub const COLUMNS: [&str; 9] = [
    "id",
    "name",
    "kind",
    "needs",
    "age_min",
    "age_max",
    "capacity",
    "on_roll",
    "annual_cost_gbp",
];

/// Optional columns: `sector`, and the `urn` and `laestab` (DfE number) that
/// `nearhome import` matches pupils' placements by.
pub const OPTIONAL_COLUMNS: [&str; 3] = ["sector", "urn", "laestab"];

/// Tokens in `needs` meaning "every need".
const ALL_NEEDS_TOKENS: [&str; 3] = ["all", "any", "*"];

/// A parsed `needs` field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NeedsField {
    /// The needs listed, deduplicated, in file order.
    pub needs: Vec<Need>,
    /// True when the field names NSA (SEN support but no specialist assessment of type of
    /// need), which is no EHC plan's need and so is left out of `needs`.
    pub no_specialist_assessment: bool,
}

/// One entry of a `needs` field.
enum Listed {
    /// `ALL`, `ANY` or `*`: every need.
    Every,
    /// A need code or name.
    Name(NeedName),
}

/// Parses a `needs` field: needs written as SEN2 codes or DfE names ([`NeedName`]: case,
/// `&`/`and`, hyphens and spacing do not matter) separated by `;` or `|`, or by `,`, `/`
/// or spaces; there the longest name is read first, so `Social, Emotional and Mental
/// Health, Autism` is SEMH and ASD. `ALL`, `ANY` or `*` means every need. Duplicates are
/// dropped; a blank field gives an empty list.
///
/// # Errors
/// The first entry (between `;` or `|`) that holds a text naming no need, as an
/// [`UnknownCode`] whose `value` is that entry.
///
/// # Examples
/// ```
/// use nearhome::load::provisions::parse_needs;
/// use nearhome::model::Need;
/// let field = parse_needs("asd; SLCN;Autism").unwrap();
/// assert_eq!(field.needs, vec![Need::Asd, Need::Slcn]);
/// let field = parse_needs("Social, Emotional and Mental Health, Hearing Impairment").unwrap();
/// assert_eq!(field.needs, vec![Need::Semh, Need::Hi]);
/// assert!(parse_needs("ASD;XYZ").is_err());
/// ```
pub fn parse_needs(field: &str) -> Result<NeedsField, UnknownCode> {
    let mut out = NeedsField::default();
    let entries = field
        .split([';', '|'])
        .map(str::trim)
        .filter(|e| !e.is_empty());
    for entry in entries {
        for listed in names_in(entry)? {
            match listed {
                Listed::Every => {
                    out.needs = Need::ALL.to_vec();
                    return Ok(out);
                }
                Listed::Name(NeedName::Need(need)) => {
                    if !out.needs.contains(&need) {
                        out.needs.push(need);
                    }
                }
                Listed::Name(NeedName::NoSpecialistAssessment) => {
                    out.no_specialist_assessment = true;
                }
            }
        }
    }
    Ok(out)
}

/// The needs named in one entry of a `needs` field, its words (split at `,`, `/` and
/// spaces) read longest name first.
fn names_in(entry: &str) -> Result<Vec<Listed>, UnknownCode> {
    let words: Vec<&str> = entry
        .split([',', '/', ' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let Some((end, listed)) = longest_name_at(&words, start) else {
            return Err(unknown_need(entry));
        };
        found.push(listed);
        start = end;
    }
    Ok(found)
}

/// The longest run of words from `start` that names a need (or every need), with the index
/// just past it.
fn longest_name_at(words: &[&str], start: usize) -> Option<(usize, Listed)> {
    let first = words.get(start)?;
    if ALL_NEEDS_TOKENS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(first))
    {
        return Some((start + 1, Listed::Every));
    }
    (start + 1..=words.len()).rev().find_map(|end| {
        let phrase = words.get(start..end)?.join(" ");
        NeedName::lookup(&phrase).map(|name| (end, Listed::Name(name)))
    })
}

/// Column indices of a provisions table.
struct Cols {
    id: usize,
    name: usize,
    kind: usize,
    needs: usize,
    age_min: usize,
    age_max: usize,
    capacity: usize,
    on_roll: usize,
    cost: Option<usize>,
    sector: Option<usize>,
    coords: CoordColumns,
}

impl Cols {
    fn find(table: &Table) -> Result<Self, TableError> {
        let coords = CoordColumns::find(table)?;
        if coords.is_empty() {
            return Err(table.missing("lat`/`lon` or `easting`/`northing"));
        }
        Ok(Self {
            id: table.require(&["id"])?,
            name: table.require(&["name"])?,
            kind: table.require(&["kind"])?,
            needs: table.require(&["needs"])?,
            age_min: table.require(&["age_min"])?,
            age_max: table.require(&["age_max"])?,
            capacity: table.require(&["capacity"])?,
            on_roll: table.require(&["on_roll"])?,
            cost: table.column(&["annual_cost_gbp"]),
            sector: table.column(&["sector"]),
            coords,
        })
    }
}

/// Reads `provisions.csv` bytes; `file` labels messages.
///
/// `Err` only when the file as a whole is unusable (not CSV, missing column); every row
/// fault is an [`crate::load::table::Issue`] in the result, and a row with an error is rejected.
pub fn load_provisions(bytes: &[u8], file: &str) -> Result<Loaded<Provision>, TableError> {
    let mut issues = Vec::new();
    let table = Table::parse(bytes, file, &mut issues)?;
    let cols = Cols::find(&table)?;
    let known: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .chain(CoordColumns::names())
        .chain(OPTIONAL_COLUMNS)
        .collect();
    table.note_unused_columns(&known, &mut issues);

    let mut items = Vec::new();
    let mut ids = IdSet::default();
    let mut rejected = table.malformed_rows;
    for row in &table.rows {
        let mut ctx = RowCtx::new(file, row, false, &mut issues);
        match parse_row(&mut ctx, &cols, &mut ids) {
            Some(p) if ctx.ok() => items.push(p),
            _ => rejected += 1,
        }
    }
    Ok(Loaded {
        items,
        issues,
        rows_read: table.rows_read(),
        rows_rejected: rejected,
    })
}

/// Parses one row, recording every fault it finds (not just the first).
fn parse_row(ctx: &mut RowCtx<'_>, cols: &Cols, ids: &mut IdSet) -> Option<Provision> {
    let id = ctx.id(cols.id, "id");
    if let Some(id) = &id {
        ids.insert(ctx, "id", id, true);
    }
    let name = match ctx.text(Some(cols.name)) {
        "" => {
            ctx.warn(
                IssueKind::MissingValue,
                "name",
                "name is blank; the id is used instead",
            );
            id.clone().unwrap_or_default()
        }
        n => n.to_string(),
    };
    let kind: Option<ProvisionKind> = ctx.code(cols.kind, "kind", IssueKind::UnknownKind);
    let needs = parse_needs_column(ctx, cols.needs);
    if let (Some(needs), Some(kind)) = (&needs, kind) {
        if needs.is_empty()
            && matches!(
                kind,
                ProvisionKind::SpecialSchool | ProvisionKind::ResourceBase
            )
        {
            ctx.warn(
                IssueKind::NoNeeds,
                "needs",
                format!("needs is blank: this {kind} suits no need and will never be offered"),
            );
        }
    }
    let age_range = u64::from(*AGE_RANGE.start())..=u64::from(*AGE_RANGE.end());
    let age_min = ctx.uint(cols.age_min, "age_min", age_range.clone());
    let age_max = ctx.uint(cols.age_max, "age_max", age_range);
    if let (Some(lo), Some(hi)) = (age_min, age_max) {
        if lo > hi {
            ctx.error(
                IssueKind::BadAge,
                "age_min",
                format!("age_min {lo} is greater than age_max {hi}"),
            );
        }
    }
    let capacity = ctx.opt_uint(Some(cols.capacity), "capacity");
    let on_roll = ctx.uint(cols.on_roll, "on_roll", 0..=u64::from(u32::MAX));
    match (&capacity, on_roll) {
        (Ok(Some(c)), Some(r)) if c < &r => ctx.warn(
            IssueKind::CapacityBelowOnRoll,
            "capacity",
            format!(
                "capacity {c} is below on_roll {r}: no spare places (over capacity by {})",
                r - c
            ),
        ),
        (Ok(None), _) => ctx.info(
            IssueKind::UnknownCapacity,
            "capacity",
            "capacity is blank (unknown): never offered as having spare places",
        ),
        _ => {}
    }
    let cost = ctx.opt_gbp(cols.cost, "annual_cost_gbp");
    let sector_text = ctx.text(cols.sector).trim();
    let sector = if sector_text.is_empty() {
        Ok(None)
    } else {
        sector_text
            .parse::<crate::model::Sector>()
            .map(Some)
            .map_err(|message| {
                ctx.error(IssueKind::UnknownSector, "sector", message);
            })
    };
    let location = match ctx.location(&cols.coords) {
        Located::Found(p) => Some(p),
        Located::Blank => {
            ctx.error(
                IssueKind::MissingValue,
                "lat",
                "no location: fill lat and lon, or easting and northing",
            );
            None
        }
        Located::Invalid => None,
    };
    Some(Provision {
        id: id?,
        name,
        kind: kind?,
        needs: needs?,
        age_min: u8::try_from(age_min?).ok()?,
        age_max: u8::try_from(age_max?).ok()?,
        capacity: capacity.ok()?.and_then(|c| u32::try_from(c).ok()),
        on_roll: u32::try_from(on_roll?).ok()?,
        annual_cost_gbp: cost.ok()?,
        location: location?,
        sector: sector.ok()?,
        line: ctx.row.line,
    })
}

/// The `needs` of a row: an error for a text naming no need, a warning when NSA is left out.
fn parse_needs_column(ctx: &mut RowCtx<'_>, col: usize) -> Option<Vec<Need>> {
    match parse_needs(ctx.text(Some(col))) {
        Ok(field) => {
            if field.no_specialist_assessment {
                ctx.warn(
                    IssueKind::NeedWithoutPlan,
                    "needs",
                    "NSA (SEN support but no specialist assessment of type of need) is not \
                     the need of any EHC plan: left out of this provision's needs",
                );
            }
            Some(field.needs)
        }
        Err(e) => {
            let message = ctx.unknown_code(&e);
            ctx.error(IssueKind::UnknownNeed, "needs", message);
            None
        }
    }
}

/// Writes provisions as `provisions.csv` (WGS84 `lat`,`lon` to 6 decimal places; needs
/// joined with `;`; unknown capacity and cost blank).
pub fn write_provisions<W: Write>(provisions: &[Provision], out: W) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.extend(["lat", "lon"]);
    w.write_record(&header)?;
    for p in provisions {
        let needs: Vec<&str> = p.needs.iter().map(|n| n.code()).collect();
        w.write_record([
            p.id.clone(),
            p.name.clone(),
            p.kind.as_str().to_string(),
            needs.join(";"),
            p.age_min.to_string(),
            p.age_max.to_string(),
            p.capacity.map(|c| c.to_string()).unwrap_or_default(),
            p.on_roll.to_string(),
            p.annual_cost_gbp.map(|c| c.to_string()).unwrap_or_default(),
            format!("{:.6}", p.location.lat),
            format!("{:.6}", p.location.lon),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::table::{Issue, Severity};

    const HEADER: &str =
        "id,name,kind,needs,age_min,age_max,capacity,on_roll,annual_cost_gbp,lat,lon\n";

    fn load(body: &str) -> Loaded<Provision> {
        load_provisions(format!("{HEADER}{body}").as_bytes(), "provisions.csv").unwrap()
    }

    fn errors(l: &Loaded<Provision>) -> Vec<String> {
        l.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(Issue::to_string)
            .collect()
    }

    #[test]
    fn good_rows_load() {
        let l = load(
            "P1,Oak School,special_school,ASD;slcn,4,18,100,90,25000,54.15,-4.48\n\
             P2,Ash Base,Resource Base,HI,11,15,,6,,54.16,-4.49\n",
        );
        assert_eq!(errors(&l), Vec::<String>::new());
        assert_eq!((l.rows_read, l.rows_accepted(), l.rows_rejected), (2, 2, 0));
        let p = &l.items[0];
        assert_eq!(p.needs, vec![Need::Asd, Need::Slcn]);
        assert_eq!(p.spare_places(), Some(10));
        assert_eq!(p.annual_cost_gbp, Some(25_000.0));
        assert_eq!(p.line, 2);
        assert_eq!(l.items[1].kind, ProvisionKind::ResourceBase);
        assert_eq!(l.items[1].capacity, None);
        assert_eq!(l.items[1].spare_places(), None);
        assert!(l
            .issues
            .iter()
            .any(|i| i.kind == IssueKind::UnknownCapacity && i.line == Some(3)));
    }

    #[test]
    fn duplicate_ids_are_rejected_naming_the_first_line() {
        let l = load(
            "P1,A,special_school,ASD,4,18,10,5,,54.15,-4.48\n\
             P1,B,special_school,ASD,4,18,10,5,,54.15,-4.48\n",
        );
        assert_eq!(l.rows_rejected, 1);
        assert_eq!(
            errors(&l),
            vec!["error: provisions.csv line 3, column id: duplicate id \"P1\": already used on line 2"]
        );
    }

    #[test]
    fn unknown_need_bad_kind_and_age_range() {
        let l = load("P1,A,academy,ASD;XYZ,12,5,10,5,,54.15,-4.48\n");
        assert_eq!(l.rows_rejected, 1);
        assert_eq!(
            errors(&l),
            vec![
                "error: provisions.csv line 2, column kind: unknown provision kind \"academy\" \
                 (allowed: special_school, resource_base, mainstream, independent_special, \
                 non_maintained_special, alternative_provision, post16)",
                "error: provisions.csv line 2, column needs: unknown need \"XYZ\" \
                 (allowed: SEN2 codes ASD, SLCN, SEMH, MLD, SLD, PMLD, SPLD, HI, VI, MSI, PD, \
                 OTH or their DfE names, e.g. Autistic Spectrum Disorder, as listed in \
                 docs/data.md; not NSA, which is SEN support without an EHC plan)",
                "error: provisions.csv line 2, column age_min: age_min 12 is greater than age_max 5",
            ]
        );
    }

    #[test]
    fn needs_are_read_as_councils_write_them() {
        let l = load(
            "P1,A,special_school,\"Social, Emotional and Mental Health; Autism; SLCN\",4,18,10,5,,54.15,-4.48\n\
             P2,B,resource_base,\"Moderate Learning Difficulties, Speech Language & Communication Needs\",4,18,10,5,,54.15,-4.48\n\
             P3,C,special_school,Other Difficulty/Disability | ASC,4,18,10,5,,54.15,-4.48\n\
             P4,D,special_school,Severe Learning Difficulty Hearing Impairment,4,18,10,5,,54.15,-4.48\n",
        );
        assert_eq!(errors(&l), Vec::<String>::new());
        let needs: Vec<&[Need]> = l.items.iter().map(|p| p.needs.as_slice()).collect();
        assert_eq!(
            needs,
            [
                &[Need::Semh, Need::Asd, Need::Slcn][..],
                &[Need::Mld, Need::Slcn],
                &[Need::Oth, Need::Asd],
                &[Need::Sld, Need::Hi],
            ]
        );
    }

    #[test]
    fn an_unknown_need_name_is_an_error_naming_file_row_field_and_entry() {
        let l = load(
            "P1,A,special_school,ASD,4,18,10,5,,54.15,-4.48\n\
             P2,B,special_school,ASD; Autistic Spectrum Disordr,4,18,10,5,,54.15,-4.48\n",
        );
        assert_eq!((l.rows_accepted(), l.rows_rejected), (1, 1));
        let e = errors(&l);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(
                "error: provisions.csv line 3, column needs: unknown need \"Autistic Spectrum Disordr\" (allowed:"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn nsa_is_left_out_of_a_provisions_needs_with_a_warning() {
        let l = load(
            "P1,A,mainstream,ASD;SEN support but no specialist assessment of type of need,4,10,,5,,54.15,-4.48\n",
        );
        assert_eq!(errors(&l), Vec::<String>::new());
        assert_eq!(l.items[0].needs, vec![Need::Asd]);
        let nsa: Vec<(Option<usize>, Option<&str>)> = l
            .issues
            .iter()
            .filter(|i| i.kind == IssueKind::NeedWithoutPlan && i.severity == Severity::Warning)
            .map(|i| (i.line, i.column.as_deref()))
            .collect();
        assert_eq!(nsa, [(Some(2), Some("needs"))]);
    }

    #[test]
    fn capacity_below_on_roll_is_a_warning() {
        let l = load("P1,A,special_school,ASD,4,18,10,12,,54.15,-4.48\n");
        assert_eq!(l.rows_accepted(), 1);
        let w: Vec<String> = l.issues.iter().map(Issue::to_string).collect();
        assert_eq!(
            w,
            vec!["warning: provisions.csv line 2, column capacity: capacity 10 is below on_roll 12: \
                  no spare places (over capacity by 2)"]
        );
        assert_eq!(l.items[0].spare_places(), Some(0));
    }

    #[test]
    fn bad_coordinates_and_mangled_ids() {
        let l = load(
            "1.23E+05,A,special_school,ASD,4,18,10,5,,54.15,-4.48\n\
             P2,B,special_school,ASD,4,18,10,5,,NaN,-4.48\n\
             P3,C,special_school,ASD,4,18,10,5,,54.15,inf\n\
             P4,D,special_school,ASD,4,18,10,5,,91,-4.48\n\
             P5,E,special_school,ASD,4,18,10,5,,,\n",
        );
        assert_eq!((l.rows_read, l.rows_rejected), (5, 5));
        let cols: Vec<(Option<usize>, Option<String>, IssueKind)> = l
            .issues
            .iter()
            .map(|i| (i.line, i.column.clone(), i.kind))
            .collect();
        assert_eq!(
            cols,
            vec![
                (Some(2), Some("id".into()), IssueKind::MangledId),
                (Some(3), Some("lat".into()), IssueKind::BadCoordinate),
                (Some(4), Some("lon".into()), IssueKind::BadCoordinate),
                (Some(5), Some("lat".into()), IssueKind::BadCoordinate),
                (Some(6), Some("lat".into()), IssueKind::MissingValue),
            ]
        );
    }

    #[test]
    fn easting_northing_accepted_instead_of_lat_lon() {
        let csv = "id,name,kind,needs,age_min,age_max,capacity,on_roll,easting,northing\n\
                   P1,A,special_school,ASD,4,18,10,5,406880,286800\n";
        let l = load_provisions(csv.as_bytes(), "p.csv").unwrap();
        assert_eq!(l.rows_accepted(), 1, "{:?}", l.issues);
        assert!((l.items[0].location.lon + 1.899).abs() < 0.01);
    }

    #[test]
    fn missing_columns_are_file_errors() {
        let err = load_provisions(b"id,name,kind\nP1,A,mainstream\n", "p.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.csv: missing required column `lat`/`lon` or `easting`/`northing` (columns found: id, name, kind)"
        );
        let err =
            load_provisions(b"id,name,kind,lat,lon\nP1,A,mainstream,1,1\n", "p.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.csv: missing required column `needs` (columns found: id, name, kind, lat, lon)"
        );
    }

    /// A council-style export with one fault per row: BOM, CRLF, Windows-1252 bytes.
    #[test]
    fn faulty_fixture_reports_every_fault() {
        let bytes = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/data/bad/provisions_faults.csv"
        ));
        let l = load_provisions(bytes, "provisions_faults.csv").unwrap();
        assert_eq!(
            (l.rows_read, l.rows_accepted(), l.rows_rejected),
            (11, 3, 8)
        );
        let accepted: Vec<&str> = l.items.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(accepted, vec!["P1", "P8", "P9"]);
        assert_eq!(l.items[0].annual_cost_gbp, Some(25_000.0));
        assert_eq!(l.items[1].name, "Café Club");
        let found: Vec<(Severity, Option<usize>, Option<&str>, IssueKind)> = l
            .issues
            .iter()
            .map(|i| (i.severity, i.line, i.column.as_deref(), i.kind))
            .collect();
        use IssueKind as K;
        use Severity::{Error as E, Info as I, Warning as W};
        assert_eq!(
            found,
            vec![
                (I, None, None, K::Bom),
                (W, Some(2), None, K::Encoding),
                (W, Some(9), None, K::Encoding),
                (I, None, None, K::LineEndings),
                (E, Some(3), Some("id"), K::DuplicateId),
                (E, Some(4), Some("id"), K::MangledId),
                (E, Some(5), Some("needs"), K::UnknownNeed),
                (E, Some(6), Some("lat"), K::BadCoordinate),
                (E, Some(7), Some("lon"), K::BadCoordinate),
                (E, Some(8), Some("lat"), K::BadCoordinate),
                (I, Some(9), Some("capacity"), K::UnknownCapacity),
                (W, Some(10), Some("capacity"), K::CapacityBelowOnRoll),
                (E, Some(11), Some("age_min"), K::BadAge),
                (E, Some(12), Some("kind"), K::UnknownKind),
            ]
        );
        let text: Vec<String> = l.issues.iter().map(Issue::to_string).collect();
        for want in [
            "warning: provisions_faults.csv line 9: bytes are not valid UTF-8; read as Windows-1252, giving \"é\" (check the text, and save the file as \"CSV UTF-8\")",
            "info: provisions_faults.csv: UTF-8 byte-order mark (BOM) at the start of the file ignored",
            "info: provisions_faults.csv: Windows (CRLF) line endings accepted",
            "error: provisions_faults.csv line 3, column id: duplicate id \"P1\": already used on line 2",
            "error: provisions_faults.csv line 5, column needs: unknown need \"Autsim\" (allowed: SEN2 codes ASD, SLCN, SEMH, MLD, SLD, PMLD, SPLD, HI, VI, MSI, PD, OTH or their DfE names, e.g. Autistic Spectrum Disorder, as listed in docs/data.md; not NSA, which is SEN support without an EHC plan)",
            "error: provisions_faults.csv line 6, column lat: lat \"NaN\" is not a finite number (NaN or infinity)",
            "error: provisions_faults.csv line 7, column lon: lon \"inf\" is not a finite number (NaN or infinity)",
            "error: provisions_faults.csv line 8, column lat: lat 95 is outside -90..90 degrees",
        ] {
            assert!(text.iter().any(|t| t == want), "missing {want:?} in {text:#?}");
        }
    }

    #[test]
    fn write_then_read_round_trips() {
        let l = load(
            "P1,\"Oak, School\",special_school,ASD;SLCN,4,18,100,90,25000,54.15,-4.48\n\
             P2,Ash,mainstream,,4,10,,6,,54.16,-4.49\n",
        );
        let mut buf = Vec::new();
        write_provisions(&l.items, &mut buf).unwrap();
        let back = load_provisions(&buf, "again.csv").unwrap();
        assert_eq!(back.items, l.items);
    }
}
