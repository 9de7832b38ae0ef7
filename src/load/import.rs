//! Council exports in (`nearhome import`): a caseload spreadsheet (`.xlsx`, `.xls`, `.ods`,
//! through calamine) or CSV with the council's own headers -> nearhome's `pupils.csv`, with
//! every direct identifier dropped or pseudonymised on the way and a report of every row and
//! column left out.
//!
//! - **Sheet and header**: the named sheet, else the first whose first 20 rows hold a header
//!   row: the first row with at least two headers nearhome knows (title rows and merged
//!   banners above it are skipped). Blank rows are skipped and counted.
//! - **Columns**: built-in aliases for the common exports ([`builtin_field`]), overridden by
//!   a `columns.toml` (`[columns]` `"Header as written" = "field"` or `"drop"`). A column
//!   neither knows is dropped and reported, never used.
//! - **Direct identifiers never pass through**: names, addresses, phone numbers and e-mail
//!   addresses are dropped; a date of birth becomes the age at 31 August of the analysis year
//!   and is dropped; a UPN or other pupil reference becomes a keyed pseudonym
//!   ([`Pseudonymiser`]); a home postcode becomes the point of the scenario's postcode table
//!   and is not written.
//! - **Placements** match the scenario's provisions by id or, failing that, exact name
//!   (case and spacing ignored); an ambiguous or unknown one rejects the row, reported.
//!
//! Messages name the sheet, row and column, never a value from a pupil's row.

use std::collections::{BTreeMap, BTreeSet};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::postcode::{normalise_postcode, PostcodeTable};
use crate::model::{Need, Provision};

/// Smallest pseudonym key accepted, bytes.
pub const MIN_KEY_BYTES: usize = 16;
/// Characters of base32 kept from the HMAC (80 bits).
pub const PSEUDONYM_CHARS: usize = 16;

/// What a council column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// A pupil reference (UPN, case id): pseudonymised into `id`.
    Reference,
    /// A direct identifier or a column nearhome does not use: dropped, with the reason.
    Drop(&'static str),
    /// Date of birth: the age at 31 August of the analysis year, then dropped.
    DateOfBirth,
    /// Age in whole years at 31 August.
    Age,
    /// National curriculum year.
    Ncy,
    /// Primary need (SEN2 code or DfE description).
    Need,
    /// Home postcode (located through the postcode table, then dropped).
    Postcode,
    /// Home easting (BNG).
    Easting,
    /// Home northing (BNG).
    Northing,
    /// Home latitude.
    Lat,
    /// Home longitude.
    Lon,
    /// Placement: provision id or name.
    Placement,
    /// Placement's URN (unique reference number of Get Information About Schools).
    Urn,
    /// Placement's DfE number (LAESTAB: LA code and establishment number, `330/4001`).
    Laestab,
    /// Placement type as councils record it (special school, mainstream, EOTAS, ...): read
    /// for the placement status.
    PlacementType,
    /// Home as an Ordnance Survey grid reference in one field (`SK 862 086`, `486200 308600`).
    GridRef,
    /// Placement status.
    PlacementStatus,
    /// Transport arrangement.
    Transport,
    /// Transport cost, £ a year.
    TransportCost,
    /// Travels in a wheelchair.
    Wheelchair,
    /// Needs an escort.
    Escort,
    /// Travels alone.
    Solo,
}

const NAME: &str = "a name: a direct identifier, never imported";
const ADDRESS: &str = "an address or contact detail: a direct identifier, never imported";
const UNUSED: &str = "not used by nearhome";

/// The field a header means in the common exports (`None`: unknown). Headers compare
/// lower-cased with spaces, `_`, `-` and `.` removed.
pub fn builtin_field(header: &str) -> Option<Field> {
    let h: String = header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    Some(match h.as_str() {
        "upn" | "uniquepupilnumber" | "pupilreference" | "childid" | "personid" | "caseid"
        | "id" | "pupilid" | "ulnupn" => Field::Reference,
        "forename" | "firstname" | "surname" | "lastname" | "legalsurname" | "legalforename"
        | "name" | "fullname" | "childname" | "pupilname" | "preferredname" | "middlename" => {
            Field::Drop(NAME)
        }
        "address" | "address1" | "address2" | "address3" | "addressline1" | "addressline2"
        | "street" | "town" | "homeaddress" | "telephone" | "phone" | "email" | "parentname"
        | "carername" => Field::Drop(ADDRESS),
        "dob" | "dateofbirth" | "birthdate" => Field::DateOfBirth,
        "age" => Field::Age,
        "ncyear" | "ncy" | "yeargroup" | "nationalcurriculumyear" | "ncyearactual" => Field::Ncy,
        "need" | "primaryneed" | "senprimaryneed" | "primarytypeofneed" | "primarysenneed" => {
            Field::Need
        }
        "postcode" | "homepostcode" | "postcodehome" => Field::Postcode,
        "easting" => Field::Easting,
        "northing" => Field::Northing,
        "lat" | "latitude" => Field::Lat,
        "lon" | "lng" | "longitude" => Field::Lon,
        "placementid" | "school" | "schoolname" | "placement" | "setting" | "establishment"
        | "establishmentname" | "nameofschool" | "currentschool" | "placementname"
        | "provision" | "provisionname" => Field::Placement,
        "urn" | "schoolurn" | "placementurn" | "establishmenturn" | "settingurn" => Field::Urn,
        "dfenumber"
        | "dfeno"
        | "dfe"
        | "laestab"
        | "dfeestablishmentnumber"
        | "dfenumberlaestab"
        | "schooldfenumber"
        | "lacodeestab" => Field::Laestab,
        "placementtype" | "typeofplacement" | "settingtype" | "provisiontype"
        | "placementcategory" | "schooltype" => Field::PlacementType,
        "gridreference"
        | "gridref"
        | "osgridref"
        | "osgridreference"
        | "ngr"
        | "nationalgridreference"
        | "homegridreference" => Field::GridRef,
        "placementstatus" | "status" => Field::PlacementStatus,
        "transport" | "transportarrangement" | "travelarrangement" | "transportmode" => {
            Field::Transport
        }
        "transportcost" | "transportcostgbp" | "annualtransportcost" => Field::TransportCost,
        "wheelchair" | "wheelchairuser" => Field::Wheelchair,
        "escort" | "passengerassistant" => Field::Escort,
        "solo" | "solotransport" | "travelsalone" => Field::Solo,
        "gender" | "sex" | "ethnicity" | "firstlanguage" | "notes" | "comments" => {
            Field::Drop(UNUSED)
        }
        _ => return None,
    })
}

fn field_named(name: &str) -> Option<Field> {
    Some(match name {
        "id" | "reference" => Field::Reference,
        "drop" => Field::Drop("dropped by columns.toml"),
        "dob" | "date_of_birth" => Field::DateOfBirth,
        "age" => Field::Age,
        "ncy" => Field::Ncy,
        "need" => Field::Need,
        "postcode" => Field::Postcode,
        "easting" => Field::Easting,
        "northing" => Field::Northing,
        "lat" => Field::Lat,
        "lon" => Field::Lon,
        "placement" | "placement_id" => Field::Placement,
        "urn" => Field::Urn,
        "laestab" | "dfe_number" => Field::Laestab,
        "placement_type" => Field::PlacementType,
        "grid_reference" | "gridref" => Field::GridRef,
        "placement_status" => Field::PlacementStatus,
        "transport" => Field::Transport,
        "transport_cost_gbp" => Field::TransportCost,
        "wheelchair" => Field::Wheelchair,
        "escort" => Field::Escort,
        "solo" => Field::Solo,
        _ => return None,
    })
}

/// A `columns.toml` mapping: header as written → field.
///
/// # Errors
/// Malformed TOML, or a field name nearhome does not have (named).
pub fn parse_columns_toml(text: &str, source: &str) -> Result<BTreeMap<String, Field>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        columns: BTreeMap<String, String>,
    }
    let f: File = toml::from_str(text).map_err(|e| format!("{source}: {e}"))?;
    f.columns
        .into_iter()
        .map(|(header, field)| {
            field_named(field.trim())
                .map(|fd| (header.trim().to_lowercase(), fd))
                .ok_or_else(|| {
                    format!("{source}: column `{header}` maps to `{field}`, not a field (id, drop, dob, age, ncy, need, postcode, grid_reference, easting, northing, lat, lon, placement, urn, laestab, placement_type, placement_status, transport, transport_cost_gbp, wheelchair, escort, solo)")
                })
        })
        .collect()
}

/// Most rows with a value read from one sheet (a caseload is tens of thousands at most).
pub const MAX_SHEET_ROWS: usize = 250_000;
/// Columns read from a sheet; cells further right are counted and reported, never read.
pub const MAX_SHEET_COLUMNS: usize = 256;
/// Largest pupils file accepted, bytes.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;

/// A sheet's cells as text, rows numbered as the spreadsheet shows them (1-based).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    /// Sheet name (the file name for a CSV).
    pub name: String,
    /// `(row number, cells)`: rows with at least one value, in order (the numbers of blank
    /// rows are missing, or they are present with empty cells).
    pub rows: Vec<(usize, Vec<String>)>,
    /// Cells with a value right of column [`MAX_SHEET_COLUMNS`], not read.
    pub cells_beyond_columns: usize,
}

fn too_many_rows(file: &str, sheet: &str) -> String {
    format!(
        "{file} sheet `{sheet}`: more than {MAX_SHEET_ROWS} rows with values; export the caseload alone (one row per pupil) or split it"
    )
}

/// Reads a CSV export (any encoding [`crate::load::table::decode`] handles).
///
/// # Errors
/// An undecodable file or malformed CSV, naming the file and line.
pub fn read_csv(bytes: &[u8], file: &str) -> Result<Sheet, String> {
    let mut issues = Vec::new();
    let text = crate::load::table::decode(bytes, file, &mut issues).map_err(|e| e.to_string())?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut beyond = 0;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{file}: {e}"))?;
        let line = rec.position().map_or(rows.len() + 1, |p| p.line() as usize);
        if rows.len() >= MAX_SHEET_ROWS {
            return Err(too_many_rows(file, file));
        }
        beyond += rec
            .iter()
            .skip(MAX_SHEET_COLUMNS)
            .filter(|c| !c.trim().is_empty())
            .count();
        rows.push((
            line,
            rec.iter()
                .take(MAX_SHEET_COLUMNS)
                .map(|c| c.trim().to_string())
                .collect(),
        ));
    }
    Ok(Sheet {
        name: file.to_string(),
        rows,
        cells_beyond_columns: beyond,
    })
}

/// Days from 1899-12-30 (the spreadsheet epoch) to a civil date, and back.
fn civil_from_serial(serial: f64) -> Option<(i32, u32, u32)> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Days since 1970-01-01, then Howard Hinnant's civil-from-days.
    let z = serial.floor() as i64 - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    Some((y, m, d))
}

fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Data::DateTime(d) => civil_from_serial(d.as_f64())
            .map(|(y, m, dd)| format!("{y:04}-{m:02}-{dd:02}"))
            .unwrap_or_default(),
        Data::Error(e) => e.to_string(),
    }
}

fn cell_ref_text(c: &calamine::DataRef) -> String {
    use calamine::DataRef;
    match c {
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Empty => String::new(),
        DataRef::String(s) => cell_text(&calamine::Data::String(s.clone())),
        DataRef::DateTimeIso(s) => s.trim().to_string(),
        DataRef::DurationIso(s) => s.trim().to_string(),
        DataRef::Int(i) => cell_text(&calamine::Data::Int(*i)),
        DataRef::Float(f) => cell_text(&calamine::Data::Float(*f)),
        DataRef::Bool(b) => cell_text(&calamine::Data::Bool(*b)),
        DataRef::DateTime(d) => cell_text(&calamine::Data::DateTime(*d)),
        DataRef::Error(e) => e.to_string(),
    }
}

/// The spreadsheet error codes a cell can hold (`#N/A`, `#REF!`, ...), as Excel writes them.
const CELL_ERRORS: [&str; 8] = [
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!",
];

/// Rows of a sheet built cell by cell, capped: at most [`MAX_SHEET_ROWS`] rows with values
/// and [`MAX_SHEET_COLUMNS`] columns, whatever dimensions the file claims.
#[derive(Default)]
struct SparseRows {
    rows: BTreeMap<u32, Vec<String>>,
    beyond: usize,
}

impl SparseRows {
    fn put(&mut self, (row, col): (u32, u32), text: String) -> bool {
        if text.is_empty() {
            return true;
        }
        let col = col as usize;
        if col >= MAX_SHEET_COLUMNS {
            self.beyond += 1;
            return true;
        }
        if !self.rows.contains_key(&row) && self.rows.len() >= MAX_SHEET_ROWS {
            return false;
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        true
    }

    fn into_sheet(self, name: String) -> Sheet {
        Sheet {
            name,
            rows: self
                .rows
                .into_iter()
                .map(|(r, c)| (r as usize + 1, c))
                .collect(),
            cells_beyond_columns: self.beyond,
        }
    }
}

/// Reads a spreadsheet (`.xlsx`, `.xlsm`, `.xls`, `.ods`): the sheet named `sheet`, else the
/// first with a header row. Formulas are read as their cached values; dates become
/// `YYYY-MM-DD`.
///
/// # Errors
/// An unreadable workbook, an unknown sheet name (the sheets are listed), or no sheet with a
/// header row.
pub fn read_spreadsheet(bytes: &[u8], file: &str, sheet: Option<&str>) -> Result<Sheet, String> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format!("{file}: not a readable spreadsheet ({e})"))?;
    let names = wb.sheet_names();
    let wanted: Vec<String> = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                return Err(format!(
                    "{file}: no sheet `{s}` (sheets: {})",
                    names.join(", ")
                ));
            }
            vec![s.to_string()]
        }
        None => names.clone(),
    };
    for name in wanted {
        let s = read_sheet(&mut wb, file, &name)?;
        if find_header(&s, &BTreeMap::new()).is_some() || sheet.is_some() {
            return Ok(s);
        }
    }
    Err(format!(
        "{file}: no sheet has a header row nearhome knows (sheets: {})",
        names.join(", ")
    ))
}

/// One sheet's cells. An `.xlsx` is read cell by cell so that a sheet claiming huge
/// dimensions (a stray cell at `XFD1048576`) costs only the cells it has; `.xls` and `.ods`
/// are read whole by calamine and then capped the same way.
fn read_sheet(
    wb: &mut calamine::Sheets<std::io::Cursor<&[u8]>>,
    file: &str,
    name: &str,
) -> Result<Sheet, String> {
    use calamine::Reader;
    let mut rows = SparseRows::default();
    if let calamine::Sheets::Xlsx(x) = wb {
        let mut cells = x
            .worksheet_cells_reader(name)
            .map_err(|e| format!("{file} sheet `{name}`: {e}"))?;
        while let Some(c) = cells
            .next_cell()
            .map_err(|e| format!("{file} sheet `{name}`: {e}"))?
        {
            if !rows.put(c.get_position(), cell_ref_text(c.get_value())) {
                return Err(too_many_rows(file, name));
            }
        }
    } else {
        let range = wb
            .worksheet_range(name)
            .map_err(|e| format!("{file} sheet `{name}`: {e}"))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            let at = (r0 + r as u32, c0 + c as u32);
            if !rows.put(at, cell_text(v)) {
                return Err(too_many_rows(file, name));
            }
        }
    }
    Ok(rows.into_sheet(name.to_string()))
}

fn field_of(header: &str, overrides: &BTreeMap<String, Field>) -> Option<Field> {
    overrides
        .get(&header.trim().to_lowercase())
        .copied()
        .or_else(|| builtin_field(header))
}

/// Rows searched for the header.
const HEADER_SEARCH_ROWS: usize = 20;

/// The header of a sheet: one row, or two rows read together (a merged banner over its
/// columns, or headers written over two lines).
#[derive(Debug, Clone, PartialEq)]
struct Header {
    /// Index into `sheet.rows` of the last header row; data starts after it.
    last: usize,
    /// Sheet row numbers of the first and last header rows.
    rows: (usize, usize),
    /// One header per column.
    cells: Vec<String>,
}

fn known_fields(cells: &[String], overrides: &BTreeMap<String, Field>) -> Vec<Field> {
    cells
        .iter()
        .filter_map(|c| field_of(c, overrides))
        .collect()
}

/// At least two known headers, of which one is a need, an age, a date of birth, an NC year
/// or a pupil reference.
fn is_header(cells: &[String], overrides: &BTreeMap<String, Field>) -> bool {
    let fields = known_fields(cells, overrides);
    fields.len() >= 2
        && fields.iter().any(|f| {
            matches!(
                f,
                Field::Need | Field::Age | Field::DateOfBirth | Field::Reference | Field::Ncy
            )
        })
}

/// Two header rows as one: per column, the two cells joined when that names a field
/// ("Date of" over "Birth"; a merged "Placement" banner over "Name"), else the lower cell,
/// else (a cell merged down over both rows) the upper one. A banner merged across columns
/// counts over every column it spans.
fn joined_header(
    top: &[String],
    bottom: &[String],
    overrides: &BTreeMap<String, Field>,
) -> Vec<String> {
    let width = top.len().max(bottom.len());
    let mut banner = String::new();
    (0..width)
        .map(|c| {
            let up = top.get(c).map_or("", String::as_str);
            let low = bottom.get(c).map_or("", String::as_str);
            if !up.is_empty() {
                banner = up.to_string();
            }
            let joined = format!("{banner} {low}");
            if !low.is_empty() && !banner.is_empty() && field_of(&joined, overrides).is_some() {
                joined
            } else if !low.is_empty() {
                low.to_string()
            } else {
                up.to_string()
            }
        })
        .collect()
}

/// The header: the first of the first [`HEADER_SEARCH_ROWS`] rows that [`is_header`], or
/// that row read together with the row above or below it, whichever names the most fields
/// (the single row when tied).
fn find_header(sheet: &Sheet, overrides: &BTreeMap<String, Field>) -> Option<Header> {
    let rows = &sheet.rows;
    let i = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| is_header(cells, overrides))?;
    let mut best = Header {
        last: i,
        rows: (rows[i].0, rows[i].0),
        cells: rows[i].1.clone(),
    };
    let adjacent = |a: usize, b: usize| rows[b].0 == rows[a].0 + 1;
    let pairs = [(i.checked_sub(1), Some(i)), (Some(i), Some(i + 1))];
    for (top, bottom) in pairs {
        let (Some(t), Some(b)) = (top, bottom) else {
            continue;
        };
        if b >= rows.len() || !adjacent(t, b) {
            continue;
        }
        let joined = joined_header(&rows[t].1, &rows[b].1, overrides);
        if known_fields(&joined, overrides).len() > known_fields(&best.cells, overrides).len() {
            best = Header {
                last: b,
                rows: (rows[t].0, rows[b].0),
                cells: joined,
            };
        }
    }
    Some(best)
}

/// Keyed pseudonyms: `base32(HMAC-SHA256(key, normalised reference))`, the first
/// [`PSEUDONYM_CHARS`] characters, prefixed `X`. The same key gives the same ids on every run;
/// another key gives unlinkable ids. The key is never written anywhere.
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(key hidden)")
    }
}

impl Pseudonymiser {
    /// A pseudonymiser for `key` (surrounding whitespace trimmed; at least
    /// [`MIN_KEY_BYTES`] bytes).
    ///
    /// # Errors
    /// A key that is too short (its length is said, never its bytes).
    pub fn new(key: &[u8]) -> Result<Pseudonymiser, String> {
        let key = key.trim_ascii();
        if key.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the pseudonym key has {} bytes; at least {MIN_KEY_BYTES} are needed (make one with `head -c 32 /dev/urandom | base64 > pseudonym.key`)",
                key.len()
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| e.to_string())?;
        Ok(Pseudonymiser { mac })
    }

    /// The pseudonym of `reference` (upper-cased, spaces removed first).
    pub fn id(&self, reference: &str) -> String {
        let norm: String = reference
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let mut mac = self.mac.clone();
        mac.update(norm.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::from("X");
        out.push_str(&base32(&digest)[..PSEUDONYM_CHARS]);
        out
    }
}

/// RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A row left out, with where and why (no cell value of a personal column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Sheet.
    pub sheet: String,
    /// Row number as the sheet shows it.
    pub row: usize,
    /// Column header.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportReport {
    /// Sheet read.
    pub sheet: String,
    /// Sheet rows of the header: `(first, last)`, equal for a one-row header.
    pub header_rows: (usize, usize),
    /// Data rows read (blank rows excluded).
    pub rows_in: usize,
    /// Blank rows skipped.
    pub blank_rows: usize,
    /// Rows written.
    pub rows_out: usize,
    /// Rows left out.
    pub rejected: Vec<Rejected>,
    /// `(header, field)` of every column used.
    pub used: Vec<(String, String)>,
    /// `(header, reason)` of every column dropped.
    pub dropped: Vec<(String, String)>,
    /// True when a pupil reference was pseudonymised.
    pub pseudonymised: bool,
    /// Placements matched, by what: `id`, `URN`, `DfE number`, `name`.
    pub matched_by: BTreeMap<&'static str, usize>,
    /// Rows with neither a placement nor a status, written as `not_recorded`.
    pub no_placement: usize,
    /// Rows whose status was read from the placement type.
    pub status_from_type: usize,
    /// Rows whose placement type is neither a setting nor a status nearhome knows (the
    /// placement, when matched, is used as given).
    pub type_unread: usize,
    /// Rows whose home came from a grid reference in one field.
    pub from_grid_reference: usize,
    /// Cells right of the last column read ([`MAX_SHEET_COLUMNS`]), not read.
    pub cells_beyond_columns: usize,
}

impl ImportReport {
    /// "row 3" or "rows 3-4".
    pub fn header_label(&self) -> String {
        match self.header_rows {
            (a, b) if a == b => format!("row {a}"),
            (a, b) => format!("rows {a}-{b}"),
        }
    }
}

/// A provision's identifiers besides its id: the optional `urn` and `laestab` columns of
/// `provisions.csv` (written by the GIAS import).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionCodes {
    /// The provision's id.
    pub id: String,
    /// Its URN, when recorded.
    pub urn: Option<String>,
    /// Its DfE number (LAESTAB, digits only), when recorded.
    pub laestab: Option<String>,
}

/// The `id`, `urn` and `laestab` columns of a `provisions.csv` (empty when it has neither
/// code column).
///
/// # Errors
/// Text that is not CSV (naming the file and line).
pub fn provision_codes(csv_text: &str, file: &str) -> Result<Vec<ProvisionCodes>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let headers = rdr.headers().map_err(|e| format!("{file}: {e}"))?.clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(n))
    };
    let (Some(id), urn, laestab) = (col("id"), col("urn"), col("laestab")) else {
        return Ok(Vec::new());
    };
    if urn.is_none() && laestab.is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{file}: {e}"))?;
        let code = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(digits)
                .filter(|d| !d.is_empty())
        };
        out.push(ProvisionCodes {
            id: rec.get(id).unwrap_or("").to_string(),
            urn: code(urn),
            laestab: code(laestab),
        });
    }
    Ok(out)
}

/// The digits of a code (`330/4001` -> `3304001`).
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The inputs of [`import_pupils`] beside the sheet.
pub struct ImportContext<'a> {
    /// Header overrides from `columns.toml`.
    pub overrides: &'a BTreeMap<String, Field>,
    /// The pseudonym key, when given.
    pub pseudonymiser: Option<&'a Pseudonymiser>,
    /// The scenario's provisions.
    pub provisions: &'a [Provision],
    /// Their URNs and DfE numbers, when `provisions.csv` records them.
    pub codes: &'a [ProvisionCodes],
    /// The scenario's postcode table.
    pub postcodes: Option<&'a PostcodeTable>,
    /// First calendar year of the analysis year (ages at 31 August of it).
    pub analysis_year: i32,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// A date as council exports write it -> `(year, month, day)`, British day-month order:
/// `YYYY-MM-DD` or `YYYY/MM/DD` (a time after it ignored), `DD/MM/YYYY`, `DD-MM-YYYY`,
/// `DD.MM.YYYY`, `12 Mar 2014`, `12-Mar-14`, `March 12, 2014`, and a spreadsheet serial
/// number saved as text. A two-digit year is the latest year ending so that is not after
/// `this_year`. `None` for anything else, including a month above 12 (US order) or a day
/// the month does not have.
pub fn parse_date(s: &str, this_year: i32) -> Option<(i32, u32, u32)> {
    let s = s.trim();
    if let Ok(serial) = s.parse::<f64>() {
        return (10_000.0..=80_000.0)
            .contains(&serial)
            .then(|| civil_from_serial(serial))
            .flatten();
    }
    // ISO's `T` between the date and the time separates only between digits, so that a
    // month written in capitals (`12-OCT-2014`) is not cut at its `T`.
    let bytes = s.as_bytes();
    let iso_t = |i: usize| {
        bytes[i] == b'T'
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
    };
    let spaced: String = s
        .char_indices()
        .map(|(i, ch)| if ch.is_ascii() && iso_t(i) { ' ' } else { ch })
        .collect();
    let tokens: Vec<&str> = spaced
        .split(['/', '-', '.', ' ', ','])
        .filter(|t| !t.is_empty() && !t.contains(':'))
        .take(3)
        .collect();
    let [a, b, c] = tokens[..] else {
        return None;
    };
    let month = |t: &str| -> Option<u32> {
        if let Ok(n) = t.parse::<u32>() {
            return Some(n);
        }
        let t = t.to_ascii_lowercase();
        MONTHS
            .iter()
            .position(|m| {
                t.len() >= 3 && t.chars().all(|c| c.is_ascii_alphabetic()) && m.starts_with(&t[..3])
            })
            .map(|i| i as u32 + 1)
    };
    let year = |t: &str| -> Option<i32> {
        let y = t.parse::<i32>().ok()?;
        match t.len() {
            4 => Some(y),
            2 => {
                let century = this_year - this_year.rem_euclid(100);
                Some(if century + y <= this_year {
                    century + y
                } else {
                    century - 100 + y
                })
            }
            _ => None,
        }
    };
    let (y, m, d) = if a.len() == 4 && a.chars().all(|c| c.is_ascii_digit()) {
        (year(a)?, month(b)?, c.parse::<u32>().ok()?)
    } else if a.chars().all(|c| c.is_ascii_alphabetic()) {
        (year(c)?, month(a)?, b.parse::<u32>().ok()?)
    } else {
        (year(c)?, month(b)?, a.parse::<u32>().ok()?)
    };
    ((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d)).then_some((y, m, d))
}

/// Age in whole years at 31 August of `year` of a date of birth ([`parse_date`]), 0 to 25.
fn age_at_31_august(dob: &str, year: i32) -> Option<u8> {
    let (y, m, d) = parse_date(dob, year)?;
    let mut age = year - y;
    if (m, d) > (8, 31) {
        age -= 1;
    }
    u8::try_from(age).ok().filter(|a| *a <= 25)
}

/// The 100 km square letters of the National Grid, `I` left out.
const GRID_LETTERS: &str = "ABCDEFGHJKLMNOPQRSTUVWXYZ";

/// An Ordnance Survey National Grid reference -> `(easting, northing)` in metres: two
/// letters and an even count of 2 to 10 digits (`SK 862 086`, `SK8620008600`; the point is
/// the south-west corner of the square given), or two numbers (`486200 308600`,
/// `486200,308600`). `None` for anything else or a square off the grid.
pub fn parse_grid_reference(s: &str) -> Option<(f64, f64)> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let numbers: Vec<&str> = s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if let [e, n] = numbers[..] {
        if let (Ok(e), Ok(n)) = (e.parse::<f64>(), n.parse::<f64>()) {
            return ((0.0..700_000.0).contains(&e) && (0.0..1_300_000.0).contains(&n))
                .then_some((e, n));
        }
    }
    let upper = compact.to_ascii_uppercase();
    let mut chars = upper.chars();
    let l1 = GRID_LETTERS.find(chars.next()?)? as i64;
    let l2 = GRID_LETTERS.find(chars.next()?)? as i64;
    let rest: &str = &upper[2..];
    if rest.len() % 2 != 0 || rest.len() > 10 || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let e100 = ((l1 - 2).rem_euclid(25) % 5) * 5 + l2 % 5;
    let n100 = (19 - (l1 / 5) * 5) - l2 / 5;
    if !(0..7).contains(&e100) || !(0..13).contains(&n100) {
        return None;
    }
    let half = rest.len() / 2;
    let scale = 10f64.powi(5 - half as i32);
    let part = |t: &str| -> f64 {
        if t.is_empty() {
            0.0
        } else {
            t.parse::<f64>().unwrap_or(0.0) * scale
        }
    };
    Some((
        e100 as f64 * 100_000.0 + part(&rest[..half]),
        n100 as f64 * 100_000.0 + part(&rest[half..]),
    ))
}

/// A transport arrangement as councils write it -> nearhome's mode (`None`: not known).
fn transport_code(s: &str) -> Option<crate::model::Transport> {
    use crate::model::Transport;
    if let Ok(t) = s.parse::<Transport>() {
        return Some(t);
    }
    let k: String = s
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match k.as_str() {
        "" | "no" | "nottransported" | "notransport" | "noteligible" | "parent" | "parents"
        | "family" | "own" | "owntransport" | "parentcarer" => Transport::None,
        "taxi" | "sharedtaxi" | "solotaxi" | "privatehire" | "car" | "contractcar" => {
            Transport::Taxi
        }
        "minibus" | "bus" | "coach" | "councilbus" | "councilminibus" | "schoolbus"
        | "contractbus" | "fleet" | "inhousefleet" => Transport::Minibus,
        "ptb"
        | "personaltransportbudget"
        | "personaltravelbudget"
        | "personalbudget"
        | "directpayment"
        | "mileage"
        | "mileageallowance"
        | "travelallowance" => Transport::PersonalBudget,
        "buspass" | "publictransport" | "travelpass" | "pass" | "trainpass" | "railcard" => {
            Transport::Public
        }
        "walk" | "walking" | "walks" => Transport::Walk,
        "itt" | "independenttraveltraining" | "traveltraining" | "traveltrained" => {
            Transport::TravelTraining
        }
        _ => return None,
    })
}

/// What a placement type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeSays {
    /// A school or setting (special, mainstream, resourced, independent, college...).
    Setting,
    /// No school placement: this status.
    Status(crate::model::status::PlacementStatus),
    /// Nothing nearhome reads.
    Unknown,
}

fn placement_type(s: &str) -> TypeSays {
    use crate::model::status::PlacementStatus;
    if let Ok(st) = s.parse::<PlacementStatus>() {
        return if st == PlacementStatus::Placed {
            TypeSays::Setting
        } else {
            TypeSays::Status(st)
        };
    }
    let l = s.to_lowercase();
    const SETTINGS: [&str; 16] = [
        "special",
        "mainstream",
        "resource",
        "unit",
        "academy",
        "school",
        "college",
        "independent",
        "post 16",
        "post-16",
        "further education",
        "alternative provision",
        "pru",
        "hospital",
        "nursery",
        "sixth form",
    ];
    if SETTINGS.iter().any(|w| l.contains(w)) {
        TypeSays::Setting
    } else {
        TypeSays::Unknown
    }
}

/// Provision ids by one kind of code.
type CodeIndex<'a> = BTreeMap<String, BTreeSet<&'a str>>;

/// Placements by every identifier councils use.
struct Placements<'a> {
    ids: BTreeSet<&'a str>,
    urn: CodeIndex<'a>,
    laestab: CodeIndex<'a>,
    name: CodeIndex<'a>,
}

impl<'a> Placements<'a> {
    fn new(provisions: &'a [Provision], codes: &'a [ProvisionCodes]) -> Placements<'a> {
        let mut p = Placements {
            ids: provisions.iter().map(|p| p.id.as_str()).collect(),
            urn: BTreeMap::new(),
            laestab: BTreeMap::new(),
            name: BTreeMap::new(),
        };
        for pr in provisions {
            p.name.entry(squash(&pr.name)).or_default().insert(&pr.id);
            // GIAS-imported ids are the URN (`123456`) or the URN of a school's resource
            // base (`123456-rb`).
            let base = pr.id.strip_suffix("-rb").unwrap_or(&pr.id);
            if !base.is_empty() && base.chars().all(|c| c.is_ascii_digit()) {
                p.urn.entry(base.to_string()).or_default().insert(&pr.id);
            }
        }
        for c in codes.iter().filter(|c| p.ids.contains(c.id.as_str())) {
            if let Some(u) = &c.urn {
                p.urn.entry(u.clone()).or_default().insert(&c.id);
            }
            if let Some(l) = &c.laestab {
                p.laestab.entry(l.clone()).or_default().insert(&c.id);
            }
        }
        p
    }

    /// The provision a row is placed at: by id, else URN, else DfE number, else exact name
    /// (case and spacing ignored). `Ok(None)` when the row names no placement.
    fn resolve<'r>(
        &self,
        get: &dyn Fn(Field) -> &'r str,
    ) -> Result<Option<(String, &'static str)>, (Field, String)> {
        let placement = get(Field::Placement);
        if !placement.is_empty() && self.ids.contains(placement) {
            return Ok(Some((placement.to_string(), "id")));
        }
        let tries: [(Field, &'static str, &CodeIndex, String); 3] = [
            (Field::Urn, "URN", &self.urn, digits(get(Field::Urn))),
            (
                Field::Laestab,
                "DfE number",
                &self.laestab,
                digits(get(Field::Laestab)),
            ),
            (Field::Placement, "name", &self.name, squash(placement)),
        ];
        let mut first_miss = None;
        for (field, by, map, key) in tries {
            if key.is_empty() {
                continue;
            }
            match map.get(&key) {
                Some(ids) if ids.len() == 1 => {
                    let id = ids.iter().next().map_or("", |s| *s);
                    return Ok(Some((id.to_string(), by)));
                }
                Some(ids) => {
                    return Err((
                        field,
                        format!(
                            "the {by} matches {} provisions: give the provision's id",
                            ids.len()
                        ),
                    ))
                }
                None => {
                    first_miss.get_or_insert(field);
                }
            }
        }
        match first_miss {
            None => Ok(None),
            Some(f) => Err((
                f,
                "no provision has this id, URN, DfE number or exact name".to_string(),
            )),
        }
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Converts `sheet` into `pupils.csv` text and the report.
///
/// # Errors
/// No header row; a pupil reference column without a key (with how to make one); no need
/// column.
pub fn import_pupils(sheet: &Sheet, cx: &ImportContext) -> Result<(String, ImportReport), String> {
    let header = find_header(sheet, cx.overrides).ok_or_else(|| {
        format!(
            "{}: no header row in the first {HEADER_SEARCH_ROWS} rows (at least two known headers, one of them a need, age, date of birth or pupil reference); map yours with --columns columns.toml",
            sheet.name
        )
    })?;
    let headers = &header.cells;
    let mut report = ImportReport {
        sheet: sheet.name.clone(),
        header_rows: header.rows,
        cells_beyond_columns: sheet.cells_beyond_columns,
        ..ImportReport::default()
    };
    let cols = map_columns(&sheet.name, headers, cx, &mut report)?;
    report.pseudonymised = cols.contains_key(&Field::Reference);
    let placements = Placements::new(cx.provisions, cx.codes);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(OUT_HEADER).map_err(|e| e.to_string())?;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut previous = header.rows.1;
    for (row_no, cells) in &sheet.rows[header.last + 1..] {
        report.blank_rows += row_no.saturating_sub(previous + 1);
        previous = *row_no;
        if cells.iter().all(|c| c.is_empty()) {
            report.blank_rows += 1;
            continue;
        }
        report.rows_in += 1;
        let get = |f: Field| {
            cols.get(&f)
                .and_then(|&c| cells.get(c))
                .map_or("", |s| s.as_str())
        };
        let reject = |f: Field, why: String| Rejected {
            // An age read from another column is reported against the column it had.
            column: {
                let f = [f, Field::DateOfBirth, Field::Ncy]
                    .into_iter()
                    .find(|g| cols.contains_key(g) && (f == Field::Age || *g == f))
                    .unwrap_or(f);
                cols.get(&f)
                    .map_or_else(|| format!("(no {f:?} column)"), |&c| headers[c].clone())
            },
            sheet: sheet.name.clone(),
            row: *row_no,
            reason: why,
        };
        let row = cell_errors(&cols, &get)
            .and_then(|()| import_row(&get, cx, &placements, &mut report))
            .and_then(|rec| match seen.get(&rec[0]) {
                Some(first) => Err((
                    Field::Reference,
                    format!("the same pupil reference as row {first}"),
                )),
                None => Ok(rec),
            });
        match row {
            Ok(rec) => {
                seen.insert(rec[0].clone(), *row_no);
                w.write_record(&rec).map_err(|e| e.to_string())?;
                report.rows_out += 1;
            }
            Err((f, why)) => report.rejected.push(reject(f, why)),
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    Ok((String::from_utf8(bytes).map_err(|e| e.to_string())?, report))
}

/// Columns of the written `pupils.csv`.
const OUT_HEADER: [&str; 14] = [
    "id",
    "age",
    "need",
    "lat",
    "lon",
    "easting",
    "northing",
    "placement_id",
    "placement_status",
    "transport",
    "transport_cost_gbp",
    "wheelchair",
    "escort",
    "solo",
];

/// The field of each header (first column of a field wins), every other column dropped
/// with its reason; refuses a reference column without a key and a sheet without a need.
fn map_columns(
    sheet: &str,
    headers: &[String],
    cx: &ImportContext,
    report: &mut ImportReport,
) -> Result<BTreeMap<Field, usize>, String> {
    let mut cols: BTreeMap<Field, usize> = BTreeMap::new();
    for (i, head) in headers.iter().enumerate() {
        if head.is_empty() {
            continue;
        }
        match field_of(head, cx.overrides) {
            Some(Field::Drop(why)) => report.dropped.push((head.clone(), why.to_string())),
            Some(f) => match cols.entry(f) {
                std::collections::btree_map::Entry::Occupied(_) => report.dropped.push((
                    head.clone(),
                    format!("a second {f:?} column: the first is used"),
                )),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(i);
                    report.used.push((head.clone(), format!("{f:?}")));
                }
            },
            None => report.dropped.push((
                head.clone(),
                "unknown header: not used (map it in columns.toml to use it)".into(),
            )),
        }
    }
    if let Some(&c) = cols.get(&Field::DateOfBirth) {
        report.dropped.push((
            headers[c].clone(),
            format!(
                "date of birth: turned into the age at 31 August {}, then dropped",
                cx.analysis_year
            ),
        ));
    }
    if let Some(&c) = cols.get(&Field::Postcode) {
        report.dropped.push((
            headers[c].clone(),
            "home postcode: located through the postcode table, then dropped".into(),
        ));
    }
    if cols.contains_key(&Field::Reference) && cx.pseudonymiser.is_none() {
        return Err(format!(
            "{}: column `{}` is a pupil reference; it is only imported as a keyed pseudonym. Give a key with NEARHOME_PSEUDONYM_KEY or --key-file (make one with `head -c 32 /dev/urandom | base64 > pseudonym.key`; keep it out of the repository and off shared drives)",
            sheet,
            headers[cols[&Field::Reference]]
        ));
    }
    if !cols.contains_key(&Field::Need) {
        return Err(format!(
            "{sheet}: no primary need column (e.g. `Primary Need`)"
        ));
    }
    Ok(cols)
}

/// A spreadsheet error value (`#N/A`, `#REF!`) in a used cell rejects the row.
fn cell_errors<'r>(
    cols: &BTreeMap<Field, usize>,
    get: &dyn Fn(Field) -> &'r str,
) -> Result<(), (Field, String)> {
    for &f in cols.keys() {
        let v = get(f);
        if let Some(code) = CELL_ERRORS.iter().find(|e| v.eq_ignore_ascii_case(e)) {
            return Err((
                f,
                format!("the cell holds a spreadsheet error ({code}), not a value"),
            ));
        }
    }
    Ok(())
}

type RowResult = Result<Vec<String>, (Field, String)>;

fn import_row<'r>(
    get: &dyn Fn(Field) -> &'r str,
    cx: &ImportContext,
    placements: &Placements<'_>,
    report: &mut ImportReport,
) -> RowResult {
    let id = match (cx.pseudonymiser, get(Field::Reference)) {
        (Some(p), r) if !r.is_empty() => p.id(r),
        (Some(_), _) => return Err((Field::Reference, "empty pupil reference".into())),
        (None, _) => format!("R{:06}", report.rows_in),
    };
    let age = row_age(get, cx.analysis_year)?;
    let need: Need = get(Field::Need).parse().map_err(|_| {
        (
            Field::Need,
            "not a primary need (an SEN2 code or a DfE description)".to_string(),
        )
    })?;
    let [lat, lon, east, north] = row_home(get, cx, report)?;
    let matched = placements.resolve(get)?;
    let status = row_status(get, matched.is_some(), report)?;
    let placement_id = match matched {
        Some((id, by)) => {
            *report.matched_by.entry(by).or_default() += 1;
            id
        }
        None => String::new(),
    };
    let transport = match get(Field::Transport) {
        "" => String::new(),
        t => transport_code(t)
            .ok_or((
                Field::Transport,
                "not a transport arrangement nearhome knows (taxi, minibus, personal budget, bus pass, walk, travel training, none)".to_string(),
            ))?
            .as_str()
            .to_string(),
    };
    Ok(vec![
        id,
        age,
        need.code().to_string(),
        lat,
        lon,
        east,
        north,
        placement_id,
        status,
        transport,
        get(Field::TransportCost).to_string(),
        get(Field::Wheelchair).to_string(),
        get(Field::Escort).to_string(),
        get(Field::Solo).to_string(),
    ])
}

/// The age at 31 August: the age column, else from the date of birth, else from the NC year.
fn row_age<'r>(get: &dyn Fn(Field) -> &'r str, year: i32) -> Result<String, (Field, String)> {
    if !get(Field::Age).is_empty() {
        return Ok(get(Field::Age).to_string());
    }
    if !get(Field::DateOfBirth).is_empty() {
        return age_at_31_august(get(Field::DateOfBirth), year)
            .map(|a| a.to_string())
            .ok_or((
                Field::DateOfBirth,
                "not a day/month/year date of birth of someone aged 0 to 25".to_string(),
            ));
    }
    if !get(Field::Ncy).is_empty() {
        let n = crate::load::pupils::parse_ncy(get(Field::Ncy))
            .ok_or((Field::Ncy, "not a national curriculum year".to_string()))?;
        return crate::model::age_from_ncy(n)
            .map(|a| a.to_string())
            .ok_or((Field::Ncy, "not a national curriculum year".to_string()));
    }
    Err((
        Field::Age,
        "no age, date of birth or NC year (a formula with no saved value reads as empty: save the workbook in Excel or LibreOffice first)".into(),
    ))
}

/// `[lat, lon, easting, northing]` of the home: coordinates as given, else a grid
/// reference, else the postcode's point (the postcode itself is not written).
fn row_home<'r>(
    get: &dyn Fn(Field) -> &'r str,
    cx: &ImportContext,
    report: &mut ImportReport,
) -> Result<[String; 4], (Field, String)> {
    let (lat, lon) = (get(Field::Lat), get(Field::Lon));
    let (east, north) = (get(Field::Easting), get(Field::Northing));
    if !lat.is_empty() || !east.is_empty() {
        return Ok([lat, lon, east, north].map(str::to_string));
    }
    let grid = get(Field::GridRef);
    if !grid.is_empty() {
        let (e, n) = parse_grid_reference(grid).ok_or((
            Field::GridRef,
            "not an Ordnance Survey grid reference (e.g. SK 862 086) or easting and northing"
                .to_string(),
        ))?;
        report.from_grid_reference += 1;
        return Ok([
            String::new(),
            String::new(),
            format!("{e:.0}"),
            format!("{n:.0}"),
        ]);
    }
    let raw = get(Field::Postcode);
    if raw.is_empty() {
        return Err((
            Field::Postcode,
            "no home postcode, grid reference or coordinates".into(),
        ));
    }
    let pc = normalise_postcode(raw).ok_or((Field::Postcode, "not a postcode".to_string()))?;
    let p = cx.postcodes.and_then(|t| t.get(&pc)).ok_or((
        Field::Postcode,
        "postcode not in the scenario's postcode table".to_string(),
    ))?;
    Ok([
        format!("{:.6}", p.lat),
        format!("{:.6}", p.lon),
        String::new(),
        String::new(),
    ])
}

/// The placement status: the status column, else what the placement type says, else
/// `not_recorded` for a row with no placement (SEN2's "placement not recorded", so the row
/// loads as an unplaced pupil rather than failing).
fn row_status<'r>(
    get: &dyn Fn(Field) -> &'r str,
    placed: bool,
    report: &mut ImportReport,
) -> Result<String, (Field, String)> {
    let given = get(Field::PlacementStatus);
    if !given.is_empty() {
        return Ok(given.to_string());
    }
    let kind = get(Field::PlacementType);
    let says = if kind.is_empty() {
        TypeSays::Setting
    } else {
        placement_type(kind)
    };
    match says {
        TypeSays::Status(_) if placed => Err((
            Field::PlacementType,
            "the placement type says the pupil has no school placement, but a school is given"
                .to_string(),
        )),
        TypeSays::Status(st) => {
            report.status_from_type += 1;
            Ok(st.as_str().to_string())
        }
        TypeSays::Setting | TypeSays::Unknown if placed => {
            if says == TypeSays::Unknown {
                report.type_unread += 1;
            }
            Ok(String::new())
        }
        TypeSays::Setting | TypeSays::Unknown => {
            if says == TypeSays::Unknown {
                report.type_unread += 1;
            }
            report.no_placement += 1;
            Ok("not_recorded".to_string())
        }
    }
}

/// `import-report.md`.
pub fn report_md(r: &ImportReport, file: &str) -> String {
    let mut s = format!(
        "# Import of `{file}`\n\nSheet `{}`, header on {}. {} data rows in ({} blank rows skipped), {} written to pupils.csv, {} left out.{}\n\n",
        r.sheet,
        r.header_label(),
        r.rows_in,
        r.blank_rows,
        r.rows_out,
        r.rejected.len(),
        if r.pseudonymised {
            " Pupil references were replaced by keyed pseudonyms (HMAC-SHA256); the references and the key are not written."
        } else {
            " No pupil reference column: rows are numbered."
        }
    );
    s.push_str("## Columns used\n\n| header | field |\n|---|---|\n");
    for (h, f) in &r.used {
        s.push_str(&format!("| {h} | {f} |\n"));
    }
    s.push_str("\n## Columns dropped\n\n| header | why |\n|---|---|\n");
    for (h, why) in &r.dropped {
        s.push_str(&format!("| {h} | {why} |\n"));
    }
    if r.no_placement > 0 {
        s.push_str(&format!(
            "\n{} rows have neither a placement nor a status: written with `placement_status` `not_recorded`.\n",
            r.no_placement
        ));
    }
    if !r.matched_by.is_empty() {
        let by: Vec<String> = r
            .matched_by
            .iter()
            .map(|(by, n)| format!("{n} by {by}"))
            .collect();
        s.push_str(&format!(
            "\nPlacements matched to a provision: {}.\n",
            by.join(", ")
        ));
    }
    if r.status_from_type > 0 {
        s.push_str(&format!(
            "\n{} rows took their placement status from the placement type (no school placement).\n",
            r.status_from_type
        ));
    }
    if r.type_unread > 0 {
        s.push_str(&format!(
            "\n{} rows have a placement type that is neither a setting nor a status nearhome knows: their placement is used as given (map the column to `drop` in columns.toml to silence this).\n",
            r.type_unread
        ));
    }
    if r.from_grid_reference > 0 {
        s.push_str(&format!(
            "\n{} homes were located from a grid reference (the south-west corner of the square it gives).\n",
            r.from_grid_reference
        ));
    }
    if r.cells_beyond_columns > 0 {
        s.push_str(&format!(
            "\n{} cells right of column {MAX_SHEET_COLUMNS} were not read.\n",
            r.cells_beyond_columns
        ));
    }
    s.push_str("\n## Rows left out\n\n");
    if r.rejected.is_empty() {
        s.push_str("None.\n");
    } else {
        s.push_str("| sheet | row | column | reason |\n|---|---|---|---|\n");
        for x in &r.rejected {
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                x.sheet, x.row, x.column, x.reason
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_key_and_unlinkable_across_keys() {
        let a = Pseudonymiser::new(b"0123456789abcdef-key-one").unwrap();
        let b = Pseudonymiser::new(b"0123456789abcdef-key-two").unwrap();
        let id = a.id("A123456789012");
        assert_eq!(id, a.id(" a123456789012 "));
        assert_eq!(id.len(), 1 + PSEUDONYM_CHARS);
        assert_ne!(id, b.id("A123456789012"));
        assert!(!id.contains("123456789012"));
        assert!(Pseudonymiser::new(b"short")
            .unwrap_err()
            .contains("5 bytes"));
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn spreadsheet_serials_become_dates_and_ages() {
        assert_eq!(civil_from_serial(45_000.0), Some((2023, 3, 15)));
        assert_eq!(civil_from_serial(1.0), Some((1899, 12, 31)));
        assert_eq!(age_at_31_august("2014-08-31", 2024), Some(10));
        assert_eq!(age_at_31_august("2014-09-01", 2024), Some(9));
        assert_eq!(age_at_31_august("01/09/2014", 2024), Some(9));
        assert_eq!(age_at_31_august("1990-01-01", 2024), None);
    }

    #[test]
    fn dates_as_councils_write_them() {
        let y = 2024;
        for (text, want) in [
            ("2014-03-12", (2014, 3, 12)),
            ("2014-03-12T00:00:00", (2014, 3, 12)),
            ("2014-03-12 00:00:00", (2014, 3, 12)),
            ("2014/03/12", (2014, 3, 12)),
            ("12/03/2014", (2014, 3, 12)),
            ("12-03-2014", (2014, 3, 12)),
            ("12.03.2014", (2014, 3, 12)),
            ("12/03/14", (2014, 3, 12)),
            ("12/03/99", (1999, 3, 12)),
            ("12 Mar 2014", (2014, 3, 12)),
            ("12-Mar-14", (2014, 3, 12)),
            ("12 March 2014", (2014, 3, 12)),
            ("March 12, 2014", (2014, 3, 12)),
            ("41640", (2014, 1, 1)),
            ("29/02/2016", (2016, 2, 29)),
            ("12-OCT-2014", (2014, 10, 12)),
            ("1 SEPT 2013", (2013, 9, 1)),
            ("1 August 2013", (2013, 8, 1)),
        ] {
            assert_eq!(parse_date(text, y), Some(want), "{text}");
        }
        for bad in [
            "03/13/2014",
            "31/04/2014",
            "29/02/2015",
            "2014",
            "soon",
            "12 Smarch 2014",
            "12 éé 2014",
            "12 Mä 2014",
            "7",
            "",
        ] {
            assert_eq!(parse_date(bad, y), None, "{bad}");
        }
    }

    #[test]
    fn grid_references_in_one_field() {
        assert_eq!(
            parse_grid_reference("SK 862 086"),
            Some((486_200.0, 308_600.0))
        );
        assert_eq!(
            parse_grid_reference("sk8620008600"),
            Some((486_200.0, 308_600.0))
        );
        assert_eq!(parse_grid_reference("SK86"), Some((480_000.0, 360_000.0)));
        assert_eq!(
            parse_grid_reference("TQ 30010 80010"),
            Some((530_010.0, 180_010.0))
        );
        assert_eq!(
            parse_grid_reference("NN 166 712"),
            Some((216_600.0, 771_200.0))
        );
        assert_eq!(
            parse_grid_reference("486200, 308600"),
            Some((486_200.0, 308_600.0))
        );
        assert_eq!(
            parse_grid_reference("486200 308600"),
            Some((486_200.0, 308_600.0))
        );
        for bad in [
            "SK 862 08",
            "SI 123 456",
            "AA 123 456",
            "LE15 6AB",
            "52.6, -0.7x",
            "",
        ] {
            assert_eq!(parse_grid_reference(bad), None, "{bad}");
        }
    }

    fn rows(cells: &[&[&str]]) -> Sheet {
        Sheet {
            name: "s".into(),
            rows: cells
                .iter()
                .enumerate()
                .map(|(i, r)| (i + 1, r.iter().map(|c| c.to_string()).collect()))
                .collect(),
            cells_beyond_columns: 0,
        }
    }

    #[test]
    fn headers_over_two_rows_are_read_together() {
        let none = BTreeMap::new();
        // A need merged down over both rows, a date split over two lines, a banner merged
        // over the placement's columns.
        let s = rows(&[
            &["Caseload (made up)"],
            &["Primary Need", "Date of", "Placement", "", ""],
            &["", "Birth", "URN", "Type", "Transport"],
            &["ASD", "2014-01-01", "900001", "Special", "Taxi"],
        ]);
        let h = find_header(&s, &none).unwrap();
        assert_eq!(h.rows, (2, 3));
        assert_eq!(h.last, 2);
        assert_eq!(
            h.cells,
            [
                "Primary Need",
                "Date of Birth",
                "Placement URN",
                "Placement Type",
                "Transport"
            ]
        );
        // A banner row above an ordinary header changes nothing.
        let s = rows(&[
            &["Pupil", "", "School"],
            &["UPN", "Primary Need", "URN"],
            &["A1", "ASD", "900001"],
        ]);
        let h = find_header(&s, &none).unwrap();
        assert_eq!(
            (h.rows, h.cells),
            (
                (2, 2),
                vec!["UPN".into(), "Primary Need".into(), "URN".into()]
            )
        );
        // A need merged down from the row above the first header row.
        let s = rows(&[
            &["Primary Need", "Pupil details", ""],
            &["", "UPN", "DOB"],
            &["ASD", "A1", "2014-01-01"],
        ]);
        let h = find_header(&s, &none).unwrap();
        assert_eq!(
            (h.rows, h.cells),
            (
                (1, 2),
                vec!["Primary Need".into(), "UPN".into(), "DOB".into()]
            )
        );
    }

    #[test]
    fn transport_and_placement_types_as_councils_write_them() {
        use crate::model::Transport;
        assert_eq!(transport_code("Taxi"), Some(Transport::Taxi));
        assert_eq!(transport_code("PTB"), Some(Transport::PersonalBudget));
        assert_eq!(transport_code("Bus pass"), Some(Transport::Public));
        assert_eq!(
            transport_code("Independent Travel Training"),
            Some(Transport::TravelTraining)
        );
        assert_eq!(transport_code("Not eligible"), Some(Transport::None));
        assert_eq!(transport_code("Hovercraft"), None);
        assert_eq!(placement_type("Special School"), TypeSays::Setting);
        assert_eq!(
            placement_type("Mainstream - Resourced Provision"),
            TypeSays::Setting
        );
        assert_eq!(
            placement_type("EOTAS"),
            TypeSays::Status(crate::model::status::PlacementStatus::OtherArrangements)
        );
        assert_eq!(placement_type("Tuesday"), TypeSays::Unknown);
    }

    #[test]
    fn placements_match_by_id_urn_dfe_number_and_name() {
        let csv = "id,name,kind,needs,age_min,age_max,capacity,on_roll,annual_cost_gbp,lat,lon,urn,laestab\n\
                   a,Oak School,special_school,ASD,4,18,10,5,,52.6,-0.7,900001,857/7001\n\
                   b,Elm Academy,special_school,ASD,4,18,10,5,,52.6,-0.7,,\n\
                   c,Elm  academy,special_school,ASD,4,18,10,5,,52.6,-0.7,,\n\
                   900009-rb,Ash (resourced provision),resource_base,ASD,4,11,8,2,,52.6,-0.7,,\n";
        let loaded = crate::load::provisions::load_provisions(csv.as_bytes(), "p.csv").unwrap();
        assert!(loaded
            .issues
            .iter()
            .all(|i| i.kind != crate::load::table::IssueKind::UnusedColumn));
        let codes = provision_codes(csv, "p.csv").unwrap();
        assert_eq!(codes[0].laestab.as_deref(), Some("8577001"));
        let p = Placements::new(&loaded.items, &codes);
        let look = |place: &'static str, urn: &'static str, dfe: &'static str| {
            p.resolve(&move |f| match f {
                Field::Placement => place,
                Field::Urn => urn,
                Field::Laestab => dfe,
                _ => "",
            })
        };
        assert_eq!(look("a", "", ""), Ok(Some(("a".into(), "id"))));
        assert_eq!(look("", "900001", ""), Ok(Some(("a".into(), "URN"))));
        assert_eq!(
            look("", "900009", ""),
            Ok(Some(("900009-rb".into(), "URN")))
        );
        assert_eq!(
            look("", "", "8577001"),
            Ok(Some(("a".into(), "DfE number")))
        );
        assert_eq!(
            look("", "", "857/7001"),
            Ok(Some(("a".into(), "DfE number")))
        );
        assert_eq!(look("OAK school", "", ""), Ok(Some(("a".into(), "name"))));
        assert_eq!(look("", "", ""), Ok(None));
        let (f, why) = look("Elm Academy", "", "").unwrap_err();
        assert_eq!(f, Field::Placement);
        assert!(why.contains("matches 2 provisions"), "{why}");
        let (f, _) = look("Nowhere", "123", "").unwrap_err();
        assert_eq!(f, Field::Urn);
    }

    #[test]
    fn council_headers_map_and_identifiers_are_dropped() {
        assert_eq!(builtin_field("Unique Pupil Number"), Some(Field::Reference));
        assert_eq!(builtin_field("SEN Primary Need"), Some(Field::Need));
        assert_eq!(builtin_field("Date of Birth"), Some(Field::DateOfBirth));
        assert_eq!(builtin_field("NC Year"), Some(Field::Ncy));
        assert!(matches!(
            builtin_field("Legal Surname"),
            Some(Field::Drop(_))
        ));
        assert_eq!(builtin_field("Favourite colour"), None);
        let m = parse_columns_toml(
            "[columns]\n\"Child Ref\" = \"id\"\n\"Notes 2\" = \"drop\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(m.get("child ref"), Some(&Field::Reference));
        assert!(
            parse_columns_toml("[columns]\nx = \"shoe_size\"\n", "c.toml")
                .unwrap_err()
                .contains("shoe_size")
        );
    }
}
