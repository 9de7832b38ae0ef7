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
        | "establishmentname" | "nameofschool" => Field::Placement,
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
                    format!("{source}: column `{header}` maps to `{field}`, not a field (id, drop, dob, age, ncy, need, postcode, easting, northing, lat, lon, placement, placement_status, transport, transport_cost_gbp, wheelchair, escort, solo)")
                })
        })
        .collect()
}

/// A sheet's cells as text, rows numbered as the spreadsheet shows them (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Sheet name (the file name for a CSV).
    pub name: String,
    /// `(row number, cells)`.
    pub rows: Vec<(usize, Vec<String>)>,
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
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{file}: {e}"))?;
        let line = rec.position().map_or(rows.len() + 1, |p| p.line() as usize);
        rows.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(Sheet {
        name: file.to_string(),
        rows,
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
        Data::Error(_) => String::new(),
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
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
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
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| format!("{file} sheet `{name}`: {e}"))?;
        let (r0, _) = range.start().unwrap_or((0, 0));
        let rows: Vec<(usize, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(i, r)| (r0 as usize + i + 1, r.iter().map(cell_text).collect()))
            .collect();
        let s = Sheet { name, rows };
        if header_row(&s, &BTreeMap::new()).is_some() || sheet.is_some() {
            return Ok(s);
        }
    }
    Err(format!(
        "{file}: no sheet has a header row nearhome knows (sheets: {})",
        names.join(", ")
    ))
}

fn field_of(header: &str, overrides: &BTreeMap<String, Field>) -> Option<Field> {
    overrides
        .get(&header.trim().to_lowercase())
        .copied()
        .or_else(|| builtin_field(header))
}

/// Index into `sheet.rows` of the header: the first of the first 20 rows with at least two
/// known headers, of which one is a need, an age, a date of birth or a reference.
fn header_row(sheet: &Sheet, overrides: &BTreeMap<String, Field>) -> Option<usize> {
    sheet.rows.iter().take(20).position(|(_, cells)| {
        let fields: Vec<Field> = cells
            .iter()
            .filter_map(|c| field_of(c, overrides))
            .collect();
        fields.len() >= 2
            && fields.iter().any(|f| {
                matches!(
                    f,
                    Field::Need | Field::Age | Field::DateOfBirth | Field::Reference | Field::Ncy
                )
            })
    })
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
    /// Row of the header.
    pub header_row: usize,
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
    /// Placements matched by name rather than id.
    pub matched_by_name: usize,
    /// Rows with neither a placement nor a status, written as `not_recorded`.
    pub no_placement: usize,
}

/// The inputs of [`import_pupils`] beside the sheet.
pub struct ImportContext<'a> {
    /// Header overrides from `columns.toml`.
    pub overrides: &'a BTreeMap<String, Field>,
    /// The pseudonym key, when given.
    pub pseudonymiser: Option<&'a Pseudonymiser>,
    /// The scenario's provisions.
    pub provisions: &'a [Provision],
    /// The scenario's postcode table.
    pub postcodes: Option<&'a PostcodeTable>,
    /// First calendar year of the analysis year (ages at 31 August of it).
    pub analysis_year: i32,
}

/// Age in whole years at 31 August of `year` of a `YYYY-MM-DD` or `DD/MM/YYYY` date.
fn age_at_31_august(dob: &str, year: i32) -> Option<u8> {
    let (y, m, d) = if let Some((y, rest)) = dob.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        (
            y.parse::<i32>().ok()?,
            m.parse::<u32>().ok()?,
            d.get(..2).unwrap_or(d).parse::<u32>().ok()?,
        )
    } else {
        let mut it = dob.split('/');
        let (d, m, y) = (it.next()?, it.next()?, it.next()?);
        (
            y.get(..4).unwrap_or(y).parse::<i32>().ok()?,
            m.parse::<u32>().ok()?,
            d.parse::<u32>().ok()?,
        )
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut age = year - y;
    if (m, d) > (8, 31) {
        age -= 1;
    }
    u8::try_from(age).ok().filter(|a| *a <= 25)
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
    let h = header_row(sheet, cx.overrides).ok_or_else(|| {
        format!(
            "{}: no header row in the first 20 rows (at least two known headers, one of them a need, age, date of birth or pupil reference); map yours with --columns columns.toml",
            sheet.name
        )
    })?;
    let (header_no, headers) = (&sheet.rows[h].0, &sheet.rows[h].1);
    let mut report = ImportReport {
        sheet: sheet.name.clone(),
        header_row: *header_no,
        ..ImportReport::default()
    };
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
    if cols.contains_key(&Field::Reference) && cx.pseudonymiser.is_none() {
        return Err(format!(
            "{}: column `{}` is a pupil reference; it is only imported as a keyed pseudonym. Give a key with NEARHOME_PSEUDONYM_KEY or --key-file (make one with `head -c 32 /dev/urandom | base64 > pseudonym.key`; keep it out of the repository and off shared drives)",
            sheet.name,
            headers[cols[&Field::Reference]]
        ));
    }
    if !cols.contains_key(&Field::Need) {
        return Err(format!(
            "{}: no primary need column (e.g. `Primary Need`)",
            sheet.name
        ));
    }
    report.pseudonymised = cols.contains_key(&Field::Reference);
    let by_id: BTreeSet<&str> = cx.provisions.iter().map(|p| p.id.as_str()).collect();
    let mut by_name: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for p in cx.provisions {
        by_name.entry(squash(&p.name)).or_default().push(&p.id);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let out_header = [
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
    w.write_record(out_header).map_err(|e| e.to_string())?;
    let mut seen_ids: BTreeSet<String> = BTreeSet::new();
    for (row_no, cells) in &sheet.rows[h + 1..] {
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
        let col = |f: Field| {
            cols.get(&f)
                .map_or_else(|| format!("(no {f:?} column)"), |&c| headers[c].clone())
        };
        let reject = |f: Field, why: String| Rejected {
            sheet: sheet.name.clone(),
            row: *row_no,
            column: col(f),
            reason: why,
        };
        match import_row(&get, cx, &by_id, &by_name, &mut seen_ids, &mut report) {
            Ok(rec) => {
                w.write_record(&rec).map_err(|e| e.to_string())?;
                report.rows_out += 1;
            }
            Err((f, why)) => report.rejected.push(reject(f, why)),
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    Ok((String::from_utf8(bytes).map_err(|e| e.to_string())?, report))
}

type RowResult = Result<Vec<String>, (Field, String)>;

fn import_row<'r>(
    get: &dyn Fn(Field) -> &'r str,
    cx: &ImportContext,
    by_id: &BTreeSet<&str>,
    by_name: &BTreeMap<String, Vec<&str>>,
    seen: &mut BTreeSet<String>,
    report: &mut ImportReport,
) -> RowResult {
    let id = match (cx.pseudonymiser, get(Field::Reference)) {
        (Some(p), r) if !r.is_empty() => p.id(r),
        (Some(_), _) => return Err((Field::Reference, "empty pupil reference".into())),
        (None, _) => format!("R{:06}", report.rows_in),
    };
    if !seen.insert(id.clone()) {
        return Err((
            Field::Reference,
            "the same pupil reference is on an earlier row".into(),
        ));
    }
    let age = if !get(Field::Age).is_empty() {
        get(Field::Age).to_string()
    } else if !get(Field::DateOfBirth).is_empty() {
        age_at_31_august(get(Field::DateOfBirth), cx.analysis_year)
            .ok_or((
                Field::DateOfBirth,
                "not a date of birth of someone aged 0 to 25".to_string(),
            ))?
            .to_string()
    } else if !get(Field::Ncy).is_empty() {
        let n = crate::load::pupils::parse_ncy(get(Field::Ncy))
            .ok_or((Field::Ncy, "not a national curriculum year".to_string()))?;
        crate::model::age_from_ncy(n)
            .ok_or((Field::Ncy, "not a national curriculum year".to_string()))?
            .to_string()
    } else {
        return Err((Field::Age, "no age, date of birth or NC year".into()));
    };
    let need: Need = get(Field::Need).parse().map_err(|_| {
        (
            Field::Need,
            "not a primary need (an SEN2 code or a DfE description)".to_string(),
        )
    })?;
    let (mut lat, mut lon) = (get(Field::Lat).to_string(), get(Field::Lon).to_string());
    let (east, north) = (
        get(Field::Easting).to_string(),
        get(Field::Northing).to_string(),
    );
    if lat.is_empty() && east.is_empty() {
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
        (lat, lon) = (format!("{:.6}", p.lat), format!("{:.6}", p.lon));
    }
    let placement = get(Field::Placement);
    let placement_id = if placement.is_empty() || by_id.contains(placement) {
        placement.to_string()
    } else {
        match by_name.get(&squash(placement)).map(Vec::as_slice) {
            Some([one]) => {
                report.matched_by_name += 1;
                (*one).to_string()
            }
            Some(many) => {
                return Err((
                    Field::Placement,
                    format!(
                        "the name matches {} provisions: give the provision's id",
                        many.len()
                    ),
                ))
            }
            None => {
                return Err((
                    Field::Placement,
                    "neither a provision id nor a provision's exact name".to_string(),
                ))
            }
        }
    };
    // A pupil with no placement and no status is `not_recorded` (SEN2's "placement not
    // recorded"), so the row loads as an unplaced pupil rather than failing.
    let status = match (placement_id.is_empty(), get(Field::PlacementStatus)) {
        (true, "") => {
            report.no_placement += 1;
            "not_recorded".to_string()
        }
        (_, s) => s.to_string(),
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
        get(Field::Transport).to_string(),
        get(Field::TransportCost).to_string(),
        get(Field::Wheelchair).to_string(),
        get(Field::Escort).to_string(),
        get(Field::Solo).to_string(),
    ])
}

/// `import-report.md`.
pub fn report_md(r: &ImportReport, file: &str) -> String {
    let mut s = format!(
        "# Import of `{file}`\n\nSheet `{}`, header on row {}. {} data rows in ({} blank rows skipped), {} written to pupils.csv, {} left out.{}\n\n",
        r.sheet,
        r.header_row,
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
    if r.matched_by_name > 0 {
        s.push_str(&format!(
            "\n{} placements matched a provision by its exact name.\n",
            r.matched_by_name
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
