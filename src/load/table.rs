//! Shared CSV reading and validation vocabulary for every input table.
//!
//! Owns: byte decoding (UTF-8 with or without BOM; Windows-1252 fallback with a warning per
//! affected line; UTF-16 refused), delimiter sniffing, header normalisation, physical line
//! numbers, and the [`Issue`] list that every loader fills. Also the typed field parsers
//! ([`RowCtx`]) that turn a raw row into values or recorded errors, so that every loader
//! reports faults the same way. Loaders take bytes plus a file label, never paths.
//!
//! Decisions (documented in `docs/data.md`):
//! - Bytes that are not valid UTF-8 are decoded as Windows-1252 (Excel's "CSV" default in
//!   the UK) and each affected line gets a warning; the rows are still read.
//! - Headers are matched case-insensitively after trimming, with spaces and hyphens read as
//!   underscores (`Annual Cost GBP` is `annual_cost_gbp`).
//! - A row whose field count differs from the header is rejected with an error.
//! - Rows whose fields are all blank (e.g. `,,,,` left by Excel) are skipped with an info.

use std::collections::BTreeMap;
use std::fmt;

use crate::load::bng::bng_to_wgs84;
use crate::model::{bom_len, CoordError, LatLon, UnknownCode};

/// Most characters of an input value echoed in a message (see [`excerpt`]).
pub const MAX_ECHOED_CHARS: usize = 40;

/// Longest id accepted (pupil, provision, candidate, point ids), in characters.
pub const MAX_ID_CHARS: usize = 256;

/// Longest field accepted in any CSV input, in bytes; a longer field rejects its row.
pub const MAX_FIELD_BYTES: usize = 4096;

/// An input value as messages may show it: at most [`MAX_ECHOED_CHARS`] characters, then
/// `…` (a 5 MB field is never echoed in full). Never used for pupil rows, whose values are
/// not echoed at all.
///
/// # Examples
/// ```
/// use nearhome::load::table::excerpt;
/// assert_eq!(excerpt("academy"), "academy");
/// assert_eq!(excerpt(&"x".repeat(100)), format!("{}…", "x".repeat(40)));
/// ```
pub fn excerpt(value: &str) -> String {
    crate::model::short(value)
}

/// True when `h` (normalised) is a column name some loader reads: only such names are
/// repeated from a header line, since a file without a header row has data there.
pub fn is_recognised_header(h: &str) -> bool {
    crate::load::pupils::COLUMNS.contains(&h)
        || crate::load::provisions::COLUMNS.contains(&h)
        || crate::load::postcodes::POSTCODE_NAMES.contains(&h)
        || CoordColumns::names().contains(&h)
        || ["name", "nc_year", "year_group", "annual_cost_gbp"].contains(&h)
}

/// The header names of `headers` that are recognised, for a message: e.g. `id, name`, or
/// `id, and 2 unrecognised` (unrecognised names may be data and are not repeated).
fn describe_headers(headers: &[String]) -> String {
    let known: Vec<&str> = headers
        .iter()
        .map(String::as_str)
        .filter(|h| is_recognised_header(h))
        .collect();
    let others = headers.len() - known.len();
    match (known.is_empty(), others) {
        (false, 0) => known.join(", "),
        (false, n) => format!("{}, and {n} unrecognised", known.join(", ")),
        (true, n) => format!(
            "none recognised among {n}; is the header row missing? The first line must name \
             the columns (see docs/data.md)"
        ),
    }
}

/// How serious an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The row (or file) is rejected; `validate` fails.
    Error,
    /// Accepted, but probably wrong or worth checking.
    Warning,
    /// Noted for completeness (e.g. a BOM was stripped).
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// What sort of fault an [`Issue`] reports; used to count issues by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// A file could not be read or parsed at all, or lacks a required column.
    BadFile,
    /// A file named in the scenario does not exist.
    MissingFile,
    /// The OSM extract is missing (routing impossible; everything else still checked).
    MissingOsm,
    /// A UTF-8 byte-order mark was stripped.
    Bom,
    /// Windows (CRLF) line endings were found and accepted.
    LineEndings,
    /// The file is not valid UTF-8 and was decoded as Windows-1252.
    Encoding,
    /// The file uses `;` or tab instead of `,` between fields.
    Delimiter,
    /// A column the loader does not use.
    UnusedColumn,
    /// A row with all fields blank was skipped.
    BlankRow,
    /// A row has more or fewer fields than the header.
    FieldCount,
    /// A required value is blank.
    MissingValue,
    /// A value is not a number of the right sort.
    BadNumber,
    /// An id looks like a number Excel rewrote in scientific notation (`1.23E+05`).
    MangledId,
    /// The same id appears twice.
    DuplicateId,
    /// A coordinate is not finite, out of range, or not convertible.
    BadCoordinate,
    /// Latitude and longitude look swapped.
    SwappedCoordinates,
    /// A need that is no SEN2 code or DfE name of one.
    UnknownNeed,
    /// NSA (SEN support but no specialist assessment of type of need) in a provision's
    /// needs: no EHC plan has it, so it is left out.
    NeedWithoutPlan,
    /// An unknown provision kind.
    UnknownKind,
    /// An unknown provision sector.
    UnknownSector,
    /// An unknown transport mode.
    UnknownTransport,
    /// An age, NCY or age range is invalid (`age_min > age_max`, out of 0..=25).
    BadAge,
    /// A postcode is malformed or not in the postcode table.
    UnknownPostcode,
    /// The same postcode appears twice in the postcode table.
    DuplicatePostcode,
    /// A pupil's `placement_id` names no provision.
    UnknownPlacement,
    /// An id longer than [`MAX_ID_CHARS`].
    BadId,
    /// A yes/no field that is neither.
    BadFlag,
    /// A pupil's `placement_status` is not a known status.
    UnknownPlacementStatus,
    /// A pupil has a `placement_id` and a status saying there is no placement.
    PlacementContradictsStatus,
    /// A provision has fewer places than pupils on roll.
    CapacityBelowOnRoll,
    /// A provision's capacity is blank (unknown).
    UnknownCapacity,
    /// A specialist provision lists no needs.
    NoNeeds,
    /// A pupil's home lies outside the road network's bounding box.
    HomeOutsideRoadNetwork,
    /// A pupil's home lies outside the home authority boundary.
    HomeOutsideBoundary,
    /// A provision lies outside the road network's bounding box.
    ProvisionOutsideRoadNetwork,
    /// A pupil's age is outside every provision's age range.
    AgeOutsideProvisions,
    /// A boundary or area feature has no usable polygon geometry.
    BadGeometry,
}

impl IssueKind {
    /// Short human label, e.g. `"duplicate id"`.
    pub fn label(self) -> &'static str {
        match self {
            IssueKind::BadFile => "unreadable file",
            IssueKind::MissingFile => "missing file",
            IssueKind::MissingOsm => "missing OSM extract",
            IssueKind::Bom => "byte-order mark",
            IssueKind::LineEndings => "Windows line endings",
            IssueKind::Encoding => "Windows-1252 bytes",
            IssueKind::Delimiter => "non-comma delimiter",
            IssueKind::UnusedColumn => "unused column",
            IssueKind::BlankRow => "blank row",
            IssueKind::FieldCount => "wrong field count",
            IssueKind::MissingValue => "missing value",
            IssueKind::BadNumber => "bad number",
            IssueKind::MangledId => "Excel-mangled id",
            IssueKind::DuplicateId => "duplicate id",
            IssueKind::BadCoordinate => "bad coordinate",
            IssueKind::SwappedCoordinates => "lat/lon swapped?",
            IssueKind::UnknownNeed => "unknown need",
            IssueKind::NeedWithoutPlan => "need of no EHC plan (NSA)",
            IssueKind::UnknownKind => "unknown provision kind",
            IssueKind::UnknownSector => "unknown provision sector",
            IssueKind::UnknownTransport => "unknown transport mode",
            IssueKind::BadAge => "bad age",
            IssueKind::UnknownPostcode => "unknown postcode",
            IssueKind::DuplicatePostcode => "duplicate postcode",
            IssueKind::UnknownPlacement => "unknown placement id",
            IssueKind::UnknownPlacementStatus => "unknown placement status",
            IssueKind::BadId => "id too long",
            IssueKind::BadFlag => "not yes or no",
            IssueKind::PlacementContradictsStatus => "placement id with a no-placement status",
            IssueKind::CapacityBelowOnRoll => "capacity below on_roll",
            IssueKind::UnknownCapacity => "unknown capacity",
            IssueKind::NoNeeds => "no needs listed",
            IssueKind::HomeOutsideRoadNetwork => "home outside road network bbox",
            IssueKind::HomeOutsideBoundary => "home outside boundary",
            IssueKind::ProvisionOutsideRoadNetwork => "provision outside road network bbox",
            IssueKind::AgeOutsideProvisions => "age outside every provision's range",
            IssueKind::BadGeometry => "bad geometry",
        }
    }
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One finding about one input file, optionally pinned to a line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Error (row or file rejected), warning or info.
    pub severity: Severity,
    /// What sort of finding this is.
    pub kind: IssueKind,
    /// File label as given to the loader (usually the path relative to the scenario).
    pub file: String,
    /// 1-based physical line in the file, when the finding concerns one row.
    pub line: Option<usize>,
    /// Column (normalised header name) or property, when the finding concerns one field.
    pub column: Option<String>,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl Issue {
    /// A finding about a whole file (no line, no column).
    pub fn file_level(
        severity: Severity,
        kind: IssueKind,
        file: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            kind,
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A finding about one row (and optionally one column) of a file.
    pub fn at(
        severity: Severity,
        kind: IssueKind,
        file: &str,
        line: usize,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            kind,
            file: file.to_string(),
            line: Some(line),
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    /// `error: pupils.csv line 4, column need: unknown need "XYZ" (...)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A file-level failure: the table cannot be read at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// The file has no header line.
    #[error("{file}: the file is empty (expected a header line)")]
    Empty {
        /// File label.
        file: String,
    },
    /// The file is UTF-16 (e.g. Excel "Unicode Text").
    #[error("{file}: the file is UTF-16 encoded; save it as \"CSV UTF-8 (comma delimited)\"")]
    Utf16 {
        /// File label.
        file: String,
    },
    /// A required column is absent.
    #[error("{file}: missing required column `{column}` (columns found: {found})")]
    MissingColumn {
        /// File label.
        file: String,
        /// The required column (or alternatives, `a` or `b`).
        column: String,
        /// The recognised header names as read, comma-separated, and how many others (never
        /// an unrecognised name: without a header row, line 1 is data).
        found: String,
    },
    /// Two columns have the same (normalised) name.
    #[error("{file} line {line}: {column} appears twice in the header")]
    DuplicateColumn {
        /// File label.
        file: String,
        /// Header line number.
        line: usize,
        /// The repeated column: ``column `id` `` when recognised, else its positions.
        column: String,
    },
    /// The CSV syntax itself is broken (e.g. an unclosed quote).
    #[error("{file} line {line}: {message}")]
    Syntax {
        /// File label.
        file: String,
        /// 1-based physical line.
        line: usize,
        /// The CSV reader's reason.
        message: String,
    },
}

/// One data row: its physical line number and trimmed fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based physical line on which the record starts.
    pub line: usize,
    /// Fields, trimmed, one per header column.
    pub fields: Vec<String>,
}

impl Row {
    /// The trimmed field in column `col`, or `""` when the column index is `None` or absent.
    pub fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.fields.get(c))
            .map_or("", String::as_str)
    }
}

/// A decoded CSV table with normalised headers and line-numbered rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File label used in messages.
    pub file: String,
    /// Normalised header names (trimmed, lower case, spaces and hyphens as `_`).
    pub headers: Vec<String>,
    /// Well-formed data rows, in file order.
    pub rows: Vec<Row>,
    /// Rows rejected for a wrong field count (already reported as errors).
    pub malformed_rows: usize,
}

/// Normalises a header: trimmed, lower case, spaces and hyphens as underscores.
pub fn normalise_header(h: &str) -> String {
    let h = h.trim();
    h[bom_len(h.as_bytes())..]
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Most lines reported individually for Windows-1252 bytes before a summary is given.
const MAX_ENCODING_LINES: usize = 20;

/// Decodes file bytes to text, recording BOM, encoding and line-ending findings.
///
/// UTF-8 (BOM stripped, noted as info) is read as is; anything else that is not UTF-16 is
/// decoded as Windows-1252 with one warning per affected line (at most 20, then a summary).
pub fn decode(bytes: &[u8], file: &str, issues: &mut Vec<Issue>) -> Result<String, TableError> {
    decode_as(bytes, file, false, issues)
}

/// [`decode`]; `sensitive` (pupil files): the Windows-1252 warnings do not quote the text.
fn decode_as(
    bytes: &[u8],
    file: &str,
    sensitive: bool,
    issues: &mut Vec<Issue>,
) -> Result<String, TableError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(TableError::Utf16 {
            file: file.to_string(),
        });
    }
    let bom = bom_len(bytes);
    let bytes = if bom > 0 {
        issues.push(Issue::file_level(
            Severity::Info,
            IssueKind::Bom,
            file,
            "UTF-8 byte-order mark (BOM) at the start of the file ignored",
        ));
        &bytes[bom..]
    } else {
        bytes
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => decode_windows_1252(bytes, file, sensitive, issues),
    };
    if text.contains('\r') {
        issues.push(Issue::file_level(
            Severity::Info,
            IssueKind::LineEndings,
            file,
            "Windows (CRLF) line endings accepted",
        ));
        // Normalised here so that physical line numbers count CRLF (and a lone CR) once.
        return Ok(text.replace("\r\n", "\n").replace('\r', "\n"));
    }
    Ok(text)
}

/// Decodes non-UTF-8 bytes as Windows-1252 and warns on each line that needed it.
fn decode_windows_1252(
    bytes: &[u8],
    file: &str,
    sensitive: bool,
    issues: &mut Vec<Issue>,
) -> String {
    let mut bad_lines = 0usize;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if std::str::from_utf8(line).is_ok() {
            continue;
        }
        bad_lines += 1;
        if bad_lines > MAX_ENCODING_LINES {
            continue;
        }
        let giving = if sensitive {
            String::new()
        } else {
            let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(line);
            let odd: String = decoded.chars().filter(|c| !c.is_ascii()).take(5).collect();
            format!(", giving \"{odd}\"")
        };
        issues.push(Issue::at(
            Severity::Warning,
            IssueKind::Encoding,
            file,
            i + 1,
            None,
            format!(
                "bytes are not valid UTF-8; read as Windows-1252{giving} \
                 (check the text, and save the file as \"CSV UTF-8\")"
            ),
        ));
    }
    if bad_lines > MAX_ENCODING_LINES {
        issues.push(Issue::file_level(
            Severity::Warning,
            IssueKind::Encoding,
            file,
            format!(
                "{} more lines with non-UTF-8 bytes read as Windows-1252 ({bad_lines} in all)",
                bad_lines - MAX_ENCODING_LINES
            ),
        ));
    }
    let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    decoded.into_owned()
}

/// Picks `,` unless the header line has none but has `;` or a tab.
fn sniff_delimiter(text: &str, file: &str, issues: &mut Vec<Issue>) -> u8 {
    let header = text.lines().next().unwrap_or("");
    if header.contains(',') {
        return b',';
    }
    let (delim, name) = if header.contains(';') {
        (b';', "semicolons")
    } else if header.contains('\t') {
        (b'\t', "tabs")
    } else {
        return b',';
    };
    issues.push(Issue::file_level(
        Severity::Info,
        IssueKind::Delimiter,
        file,
        format!("fields are separated by {name}, not commas; read accordingly"),
    ));
    delim
}

/// Physical line numbers from record byte offsets.
///
/// The csv crate's own line count is off by one after a skipped blank line, so lines are
/// counted here: a record's offset may point at blank lines before it, which are skipped.
struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: usize,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// 1-based line on which the record at `pos` starts (offsets must not decrease).
    fn line_of(&mut self, pos: Option<&csv::Position>) -> usize {
        let Some(pos) = pos else {
            return self.line;
        };
        let mut start = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self.text.get(start) == Some(&b'\n') {
            start += 1;
        }
        if start >= self.offset {
            let newlines = self.text[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines;
            self.offset = start;
        }
        self.line
    }
}

/// Why a record cannot be a row of any input: an opening quote never closed (it swallows
/// every line after it into one field: the quotes from the record to the end of the file
/// are odd in number), or a field longer than [`MAX_FIELD_BYTES`]. A quoted field with line
/// breaks that is closed (a spreadsheet cell with several lines) is fine. Never quotes the
/// field.
fn unusable_field(
    record: &csv::StringRecord,
    text: &str,
    line: usize,
    last_line: usize,
) -> Option<String> {
    for (i, f) in record.iter().enumerate() {
        let breaks = f.trim_end_matches(['\r', '\n']).matches('\n').count();
        // an unclosed quote swallows the file to its end: only a record that reaches the
        // last line can hold one, so only that record's tail is scanned (never O(n²))
        if line + breaks >= last_line {
            let start = record
                .position()
                .and_then(|p| usize::try_from(p.byte()).ok())
                .unwrap_or(0);
            let unclosed = text
                .get(start..)
                .is_some_and(|rest| rest.matches('"').count() % 2 == 1);
            if unclosed {
                return Some(format!(
                    "field {} opens a quote on this line that is never closed: the {breaks} \
                     line(s) after it, to the end of the file, were read as one field; close \
                     the quote or remove it",
                    i + 1
                ));
            }
        }
        if f.len() > MAX_FIELD_BYTES {
            return Some(format!(
                "field {} is {} bytes long, more than the {MAX_FIELD_BYTES} accepted; row rejected",
                i + 1,
                f.len()
            ));
        }
    }
    None
}

impl Table {
    /// Decodes and parses CSV bytes. File-level faults are `Err`; row faults are pushed to
    /// `issues` (such rows are counted in `malformed_rows`, not kept).
    pub fn parse(bytes: &[u8], file: &str, issues: &mut Vec<Issue>) -> Result<Table, TableError> {
        Self::parse_as(bytes, file, false, issues)
    }

    /// [`Table::parse`] for a file of personal data (pupils): no message quotes its text.
    pub fn parse_sensitive(
        bytes: &[u8],
        file: &str,
        issues: &mut Vec<Issue>,
    ) -> Result<Table, TableError> {
        Self::parse_as(bytes, file, true, issues)
    }

    fn parse_as(
        bytes: &[u8],
        file: &str,
        sensitive: bool,
        issues: &mut Vec<Issue>,
    ) -> Result<Table, TableError> {
        let text = decode_as(bytes, file, sensitive, issues)?;
        if text.trim().is_empty() {
            return Err(TableError::Empty {
                file: file.to_string(),
            });
        }
        let delimiter = sniff_delimiter(&text, file, issues);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let syntax = |e: csv::Error| TableError::Syntax {
            file: file.to_string(),
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        };
        let mut records = reader.records();
        let Some(header) = records.next() else {
            return Err(TableError::Empty {
                file: file.to_string(),
            });
        };
        let header = header.map_err(syntax)?;
        let mut lines = LineCounter::new(&text);
        let last_line = text.lines().count();
        let header_line = lines.line_of(header.position());
        let headers: Vec<String> = header.iter().map(normalise_header).collect();
        for (i, h) in headers.iter().enumerate() {
            if let Some(first) = headers[..i].iter().position(|g| !h.is_empty() && g == h) {
                // Only a recognised name is repeated: without a header row, line 1 is data.
                let column = if is_recognised_header(h) {
                    format!("column `{h}`")
                } else {
                    format!(
                        "the name of columns {} and {} (not a recognised column; is the \
                         header row missing?)",
                        first + 1,
                        i + 1
                    )
                };
                return Err(TableError::DuplicateColumn {
                    file: file.to_string(),
                    line: header_line,
                    column,
                });
            }
        }
        let mut table = Table {
            file: file.to_string(),
            headers,
            rows: Vec::new(),
            malformed_rows: 0,
        };
        for record in records {
            let record = record.map_err(syntax)?;
            let line = lines.line_of(record.position());
            let mut reject = |message: String| {
                table.malformed_rows += 1;
                issues.push(Issue::at(
                    Severity::Error,
                    IssueKind::FieldCount,
                    file,
                    line,
                    None,
                    message,
                ));
            };
            if let Some(message) = unusable_field(&record, &text, line, last_line) {
                reject(message);
                continue;
            }
            let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
            if fields.iter().all(String::is_empty) {
                issues.push(Issue::at(
                    Severity::Info,
                    IssueKind::BlankRow,
                    file,
                    line,
                    None,
                    "row with every field blank skipped",
                ));
                continue;
            }
            if fields.len() != table.headers.len() {
                reject(format!(
                    "row has {} fields but the header has {} (an unquoted comma in a \
                     name?); row rejected",
                    fields.len(),
                    table.headers.len()
                ));
                continue;
            }
            table.rows.push(Row { line, fields });
        }
        Ok(table)
    }

    /// Index of the first header equal to one of `names` (already normalised).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.headers.iter().position(|h| h == n))
    }

    /// Like [`Table::column`], but a missing column is a [`TableError::MissingColumn`].
    pub fn require(&self, names: &[&str]) -> Result<usize, TableError> {
        self.column(names)
            .ok_or_else(|| self.missing(&names.join("` or `")))
    }

    /// The error for a missing column (or group of columns) described by `what`.
    pub fn missing(&self, what: &str) -> TableError {
        TableError::MissingColumn {
            file: self.file.clone(),
            column: what.to_string(),
            found: describe_headers(&self.headers),
        }
    }

    /// Records an info issue for every header not in `known`.
    pub fn note_unused_columns(&self, known: &[&str], issues: &mut Vec<Issue>) {
        for h in &self.headers {
            if !known.contains(&h.as_str()) {
                issues.push(Issue::file_level(
                    Severity::Info,
                    IssueKind::UnusedColumn,
                    &self.file,
                    format!("column `{}` is not used", excerpt(h)),
                ));
            }
        }
    }

    /// Number of data rows read (well-formed plus malformed; blank rows excluded).
    pub fn rows_read(&self) -> usize {
        self.rows.len() + self.malformed_rows
    }
}

/// Rows loaded from one file: accepted items, findings and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// Accepted items, in file order.
    pub items: Vec<T>,
    /// Every finding for the file, in file order.
    pub issues: Vec<Issue>,
    /// Data rows read (excluding the header and wholly blank rows).
    pub rows_read: usize,
    /// Rows rejected because of at least one error (each error is in `issues`).
    pub rows_rejected: usize,
}

impl<T> Loaded<T> {
    /// Rows accepted (equals `items.len()`).
    pub fn rows_accepted(&self) -> usize {
        self.items.len()
    }

    /// True when any issue is an error.
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }
}

/// True when `s` looks like a number in scientific notation, the way Excel displays long
/// numeric ids (`1.23E+05`, `4.5e7`), which loses digits.
///
/// # Examples
/// ```
/// use nearhome::load::table::looks_excel_mangled;
/// assert!(looks_excel_mangled("1.23E+05"));
/// assert!(!looks_excel_mangled("P1E5"));
/// assert!(!looks_excel_mangled("123456"));
/// ```
pub fn looks_excel_mangled(s: &str) -> bool {
    let s = s.trim();
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let mantissa = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => digits(a) && digits(b),
        None => digits(mantissa),
    };
    mantissa_ok && digits(exponent)
}

/// Marker error: the fault has already been recorded as an [`Issue`] of the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded;

/// Values read as "unknown" in optional numeric columns (besides a blank field).
const UNKNOWN_TOKENS: [&str; 5] = ["unknown", "n/a", "na", "-", "?"];

/// Per-row parsing context: typed field getters that record errors and warnings.
///
/// Every getter returns `None` after recording an error; [`RowCtx::ok`] is then false and
/// the loader rejects the row. `sensitive` rows (pupils) never echo coordinates or postcodes.
#[derive(Debug)]
pub struct RowCtx<'a> {
    /// File label.
    pub file: &'a str,
    /// The row being parsed.
    pub row: &'a Row,
    /// Whether values may be personal data (then not echoed in messages).
    pub sensitive: bool,
    /// Findings, shared with the loader.
    pub issues: &'a mut Vec<Issue>,
    errors: usize,
}

impl<'a> RowCtx<'a> {
    /// Starts parsing `row` of `file`.
    pub fn new(file: &'a str, row: &'a Row, sensitive: bool, issues: &'a mut Vec<Issue>) -> Self {
        Self {
            file,
            row,
            sensitive,
            issues,
            errors: 0,
        }
    }

    /// True when no error has been recorded for this row.
    pub fn ok(&self) -> bool {
        self.errors == 0
    }

    /// Records an error on `column` of this row (the row will be rejected).
    pub fn error(&mut self, kind: IssueKind, column: &str, message: impl Into<String>) {
        self.errors += 1;
        self.issues.push(Issue::at(
            Severity::Error,
            kind,
            self.file,
            self.row.line,
            Some(column),
            message,
        ));
    }

    /// Records a warning on `column` of this row (the row is kept).
    pub fn warn(&mut self, kind: IssueKind, column: &str, message: impl Into<String>) {
        self.push(Severity::Warning, kind, column, message);
    }

    /// Records an info on `column` of this row.
    pub fn info(&mut self, kind: IssueKind, column: &str, message: impl Into<String>) {
        self.push(Severity::Info, kind, column, message);
    }

    fn push(
        &mut self,
        severity: Severity,
        kind: IssueKind,
        column: &str,
        message: impl Into<String>,
    ) {
        self.issues.push(Issue::at(
            severity,
            kind,
            self.file,
            self.row.line,
            Some(column),
            message,
        ));
    }

    /// The trimmed text of column `col`.
    pub fn text(&self, col: Option<usize>) -> &'a str {
        self.row.get(col)
    }

    /// A required, non-blank text value.
    pub fn required(&mut self, col: usize, name: &str) -> Option<&'a str> {
        let v = self.row.get(Some(col));
        if v.is_empty() {
            self.error(IssueKind::MissingValue, name, format!("{name} is blank"));
            return None;
        }
        Some(v)
    }

    /// A required id: non-blank and not an Excel scientific-notation number.
    pub fn id(&mut self, col: usize, name: &str) -> Option<String> {
        let v = self.required(col, name)?;
        let chars = v.chars().count();
        if chars > MAX_ID_CHARS {
            self.error(
                IssueKind::BadId,
                name,
                format!("{name} is {chars} characters long; ids are at most {MAX_ID_CHARS}"),
            );
            return None;
        }
        if looks_excel_mangled(v) {
            self.error(
                IssueKind::MangledId,
                name,
                format!(
                    "{name}{} looks like a number Excel rewrote in scientific notation; \
                     the original digits are lost: re-export with the column formatted as Text",
                    self.quoted(v)
                ),
            );
            return None;
        }
        Some(v.to_string())
    }

    /// A required enumerated value parsed with `FromStr`, e.g. a provision kind.
    pub fn code<T>(&mut self, col: usize, name: &str, kind: IssueKind) -> Option<T>
    where
        T: std::str::FromStr<Err = UnknownCode>,
    {
        self.code_with(col, name, kind, str::parse::<T>)
    }

    /// A required enumerated value read by `parse`, e.g. a need by [`Need::from_name`]; an
    /// error of `kind` on this column when it is not one of the allowed values.
    ///
    /// [`Need::from_name`]: crate::model::Need::from_name
    pub fn code_with<T>(
        &mut self,
        col: usize,
        name: &str,
        kind: IssueKind,
        parse: impl FnOnce(&str) -> Result<T, UnknownCode>,
    ) -> Option<T> {
        let v = self.required(col, name)?;
        match parse(v) {
            Ok(t) => Some(t),
            Err(e) => {
                let message = self.unknown_code(&e);
                self.error(kind, name, message);
                None
            }
        }
    }

    /// A required whole number in `range`.
    pub fn uint(
        &mut self,
        col: usize,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let v = self.required(col, name)?;
        self.parse_uint(v, name, range)
    }

    /// An optional whole number: `Ok(None)` for blank or an unknown token (`unknown`, `n/a`,
    /// `na`, `-`, `?`), `Err(Recorded)` after recording an error.
    pub fn opt_uint(&mut self, col: Option<usize>, name: &str) -> Result<Option<u64>, Recorded> {
        let v = self.row.get(col);
        if is_unknown(v) {
            return Ok(None);
        }
        self.parse_uint(v, name, 0..=u64::from(u32::MAX))
            .map(Some)
            .ok_or(Recorded)
    }

    fn parse_uint(
        &mut self,
        v: &str,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let cleaned = v.replace(',', "");
        let parsed = cleaned.parse::<u64>().ok().or_else(|| {
            // Accept "12.0" (Excel) but not "12.5".
            let f = cleaned.parse::<f64>().ok()?;
            (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64)
                .then_some(f as u64)
        });
        let Some(n) = parsed else {
            self.error(
                IssueKind::BadNumber,
                name,
                format!("{name}{} is not a whole number", self.quoted(v)),
            );
            return None;
        };
        if !range.contains(&n) {
            self.error(
                IssueKind::BadNumber,
                name,
                format!(
                    "{name}{} is outside the allowed range {}..={}",
                    self.shown(&n.to_string()),
                    range.start(),
                    range.end()
                ),
            );
            return None;
        }
        Some(n)
    }

    /// An optional yes/no field: blank is `false`; `yes`/`y`/`true`/`1` and `no`/`n`/`false`/
    /// `0` in any case; anything else is an error.
    pub fn opt_flag(&mut self, col: Option<usize>, name: &str) -> Result<bool, Recorded> {
        let v = self.row.get(col).trim().to_ascii_lowercase();
        match v.as_str() {
            "" | "no" | "n" | "false" | "f" | "0" => Ok(false),
            "yes" | "y" | "true" | "t" | "1" => Ok(true),
            _ => {
                let shown = self.quoted(&v);
                self.error(
                    IssueKind::BadFlag,
                    name,
                    format!(
                        "{name}{shown} is not yes or no (also y/n, true/false, 1/0; blank = no)"
                    ),
                );
                Err(Recorded)
            }
        }
    }

    /// An optional amount of money in pounds (`£` and thousands commas allowed; must be
    /// finite and not negative): `Ok(None)` when blank or unknown.
    pub fn opt_gbp(&mut self, col: Option<usize>, name: &str) -> Result<Option<f64>, Recorded> {
        let v = self.row.get(col);
        if is_unknown(v) {
            return Ok(None);
        }
        let cleaned: String = v
            .chars()
            .filter(|c| !matches!(c, '£' | ',' | ' '))
            .collect();
        match cleaned.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            Ok(x) if x.is_finite() => {
                self.error(
                    IssueKind::BadNumber,
                    name,
                    format!("{name}{} is negative", self.shown(&x.to_string())),
                );
                Err(Recorded)
            }
            _ => {
                self.error(
                    IssueKind::BadNumber,
                    name,
                    format!("{name}{} is not a finite amount of pounds", self.quoted(v)),
                );
                Err(Recorded)
            }
        }
    }

    /// A required finite decimal number (NaN, `inf` and overflow such as `1e999` rejected).
    ///
    /// In `sensitive` rows the value itself is not echoed.
    pub fn finite(&mut self, col: usize, name: &str) -> Option<f64> {
        let v = self.required(col, name)?;
        let shown = self.quoted(v);
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            Ok(_) => {
                self.error(
                    IssueKind::BadCoordinate,
                    name,
                    format!("{name}{shown} is not a finite number (NaN or infinity)"),
                );
                None
            }
            Err(_) => {
                self.error(
                    IssueKind::BadCoordinate,
                    name,
                    format!("{name}{shown} is not a number"),
                );
                None
            }
        }
    }

    /// `" value"` (an [`excerpt`]) for messages, or `""` in sensitive rows (personal data is
    /// not echoed).
    fn shown(&self, value: &str) -> String {
        if self.sensitive {
            String::new()
        } else {
            format!(" {}", excerpt(value))
        }
    }

    /// `" \"value\""` (an [`excerpt`]) for messages, or `""` in sensitive rows.
    pub fn quoted(&self, value: &str) -> String {
        if self.sensitive {
            String::new()
        } else {
            format!(" \"{}\"", excerpt(value))
        }
    }

    /// The message for a value that is not an allowed code, e.g. `unknown need "XYZ"
    /// (allowed: ...)`; in sensitive rows without the value.
    pub fn unknown_code(&self, e: &UnknownCode) -> String {
        format!(
            "unknown {}{} (allowed: {})",
            e.what,
            self.quoted(&e.value),
            e.allowed
        )
    }

    /// Reads the location from `lat`/`lon` or `easting`/`northing`, whichever the row fills.
    pub fn location(&mut self, cols: &CoordColumns) -> Located {
        let latlon_blank = cols
            .latlon
            .is_none_or(|(a, b)| self.text(Some(a)).is_empty() && self.text(Some(b)).is_empty());
        let bng_blank = cols
            .bng
            .is_none_or(|(a, b)| self.text(Some(a)).is_empty() && self.text(Some(b)).is_empty());
        match (cols.latlon, cols.bng) {
            (Some((lat_col, lon_col)), _) if !latlon_blank => self.latlon(lat_col, lon_col),
            (_, Some((e_col, n_col))) if !bng_blank => self.bng(e_col, n_col),
            _ => Located::Blank,
        }
    }

    fn latlon(&mut self, lat_col: usize, lon_col: usize) -> Located {
        let (lat, lon) = (self.finite(lat_col, "lat"), self.finite(lon_col, "lon"));
        let (Some(lat), Some(lon)) = (lat, lon) else {
            return Located::Invalid;
        };
        // `LatLon::new` is the one validation; the messages name the column (and, outside
        // pupil files, the value).
        let p = match LatLon::new(lat, lon) {
            Ok(p) => p,
            Err(e) => {
                let (column, message) = match e {
                    CoordError::LatOutOfRange(v) => {
                        let hint = if v.abs() > 1000.0 {
                            " (a grid northing? put BNG values in easting/northing columns)"
                        } else {
                            ""
                        };
                        let shown = self.shown(&v.to_string());
                        (
                            "lat",
                            format!("lat{shown} is outside -90..90 degrees{hint}"),
                        )
                    }
                    CoordError::LonOutOfRange(v) => {
                        let shown = self.shown(&v.to_string());
                        ("lon", format!("lon{shown} is outside -180..180 degrees"))
                    }
                    CoordError::LatNotFinite(_) => ("lat", e.without_value().to_string()),
                    CoordError::LonNotFinite(_) => ("lon", e.without_value().to_string()),
                };
                self.error(IssueKind::BadCoordinate, column, message);
                return Located::Invalid;
            }
        };
        if (49.0..=61.0).contains(&p.lon) && (-9.0..=2.0).contains(&p.lat) {
            self.warn(
                IssueKind::SwappedCoordinates,
                "lat",
                "lat and lon look swapped (a British latitude is 49..61 degrees)",
            );
        }
        Located::Found(p)
    }

    fn bng(&mut self, e_col: usize, n_col: usize) -> Located {
        let (e, n) = (
            self.finite(e_col, "easting"),
            self.finite(n_col, "northing"),
        );
        let (Some(e), Some(n)) = (e, n) else {
            return Located::Invalid;
        };
        match bng_to_wgs84(e, n) {
            Ok(p) => Located::Found(p),
            Err(err) => {
                let msg = if self.sensitive {
                    "easting/northing cannot be converted: outside the British National Grid \
                     or not finite"
                        .to_string()
                } else {
                    err.to_string()
                };
                self.error(IssueKind::BadCoordinate, "easting", msg);
                Located::Invalid
            }
        }
    }
}

/// True for a blank field or a recognised "unknown" token.
pub fn is_unknown(v: &str) -> bool {
    v.is_empty() || UNKNOWN_TOKENS.iter().any(|t| t.eq_ignore_ascii_case(v))
}

/// Where a table keeps its coordinates: `lat`/`lon` and/or `easting`/`northing` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoordColumns {
    /// Indices of the latitude and longitude columns.
    pub latlon: Option<(usize, usize)>,
    /// Indices of the easting and northing columns.
    pub bng: Option<(usize, usize)>,
}

/// Accepted names of the latitude column.
pub const LAT_NAMES: [&str; 2] = ["lat", "latitude"];
/// Accepted names of the longitude column.
pub const LON_NAMES: [&str; 4] = ["lon", "long", "lng", "longitude"];
/// Accepted names of the easting column.
pub const EASTING_NAMES: [&str; 2] = ["easting", "oseast1m"];
/// Accepted names of the northing column.
pub const NORTHING_NAMES: [&str; 2] = ["northing", "osnrth1m"];

impl CoordColumns {
    /// Finds the coordinate columns of `table`; a half pair (`lat` without `lon`) is an error.
    pub fn find(table: &Table) -> Result<Self, TableError> {
        let pair =
            |a: &[&str], b: &[&str], what: &str| -> Result<Option<(usize, usize)>, TableError> {
                match (table.column(a), table.column(b)) {
                    (Some(x), Some(y)) => Ok(Some((x, y))),
                    (None, None) => Ok(None),
                    _ => Err(table.missing(what)),
                }
            };
        Ok(Self {
            latlon: pair(&LAT_NAMES, &LON_NAMES, "lat` and `lon` (both")?,
            bng: pair(
                &EASTING_NAMES,
                &NORTHING_NAMES,
                "easting` and `northing` (both",
            )?,
        })
    }

    /// True when neither pair is present.
    pub fn is_empty(&self) -> bool {
        self.latlon.is_none() && self.bng.is_none()
    }

    /// Header names these columns may take (for unused-column notes).
    pub fn names() -> Vec<&'static str> {
        LAT_NAMES
            .iter()
            .chain(LON_NAMES.iter())
            .chain(EASTING_NAMES.iter())
            .chain(NORTHING_NAMES.iter())
            .copied()
            .collect()
    }
}

/// Outcome of reading a row's location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Located {
    /// A valid WGS84 position.
    Found(LatLon),
    /// Both coordinate pairs are blank (the caller decides: error or postcode).
    Blank,
    /// A coordinate was present but invalid (already recorded as an error).
    Invalid,
}

/// Tracks ids seen so far in a file and reports duplicates with the first line.
#[derive(Debug, Default)]
pub struct IdSet {
    first_line: std::collections::HashMap<String, usize>,
}

impl IdSet {
    /// Records `id` at the context's line; a repeat is an error naming the first line.
    /// `echo` says whether the id may appear in the message (not for pupils).
    pub fn insert(&mut self, ctx: &mut RowCtx<'_>, column: &str, id: &str, echo: bool) -> bool {
        if let Some(first) = self.first_line.get(id) {
            let shown = if echo {
                format!(" \"{}\"", excerpt(id))
            } else {
                String::new()
            };
            ctx.error(
                IssueKind::DuplicateId,
                column,
                format!("duplicate {column}{shown}: already used on line {first}"),
            );
            return false;
        }
        self.first_line.insert(id.to_string(), ctx.row.line);
        true
    }
}

/// Counts issues by severity and kind.
pub fn count_by_kind<'a>(
    issues: impl IntoIterator<Item = &'a Issue>,
    severity: Severity,
) -> BTreeMap<IssueKind, usize> {
    let mut counts = BTreeMap::new();
    for i in issues.into_iter().filter(|i| i.severity == severity) {
        *counts.entry(i.kind).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> (Result<Table, TableError>, Vec<Issue>) {
        let mut issues = Vec::new();
        let t = Table::parse(bytes, "t.csv", &mut issues);
        (t, issues)
    }

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opened() {
        let (t, issues) = parse(b"id,name,x\n1,a,1\n2,\"b,2\n3,c,3\n4,d,4\n");
        let t = t.unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.malformed_rows, 1);
        let e = issues
            .iter()
            .find(|i| i.severity == Severity::Error)
            .unwrap();
        assert_eq!(e.line, Some(3), "the line the quote opened on");
        assert!(
            e.message.contains("never closed") && e.message.contains("the 2 line(s) after it"),
            "{}",
            e.message
        );
        // a closed quote over several lines (a spreadsheet cell) is a field like any other
        let (t, issues) = parse(b"id,name\n1,\"a\nb\"\n2,c\n");
        assert_eq!(t.unwrap().rows.len(), 2);
        assert!(issues.iter().all(|i| i.severity != Severity::Error));
        // an unclosed quote on the last line
        let (t, issues) = parse(b"id,name\n1,a\n2,\"c\n");
        assert_eq!(t.unwrap().rows.len(), 1);
        let e = issues
            .iter()
            .find(|i| i.severity == Severity::Error)
            .unwrap();
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn overlong_fields_and_ids_are_refused_without_echo() {
        let long = "x".repeat(MAX_FIELD_BYTES + 1);
        let (t, issues) = parse(format!("id,name\n1,{long}\n2,b\n").as_bytes());
        assert_eq!(t.unwrap().rows.len(), 1);
        let e = issues
            .iter()
            .find(|i| i.severity == Severity::Error)
            .unwrap();
        assert!(e.message.contains("4097 bytes"), "{}", e.message);
        assert!(!e.message.contains("xxxx"), "never echoed");
        let id = "y".repeat(MAX_ID_CHARS + 1);
        let text = format!("id\n{id}\n");
        let (t, mut issues) = parse(text.as_bytes());
        let t = t.unwrap();
        let mut ctx = RowCtx::new("t.csv", &t.rows[0], false, &mut issues);
        assert_eq!(ctx.id(0, "id"), None);
        let e = issues.last().unwrap();
        assert_eq!(e.kind, IssueKind::BadId);
        assert!(e.message.contains("257 characters"), "{}", e.message);
        assert!(!e.message.contains("yyyy"));
    }

    #[test]
    fn bom_is_stripped_and_noted() {
        let (t, issues) = parse(b"\xEF\xBB\xBFId,Name\n1,a\n");
        let t = t.unwrap();
        assert_eq!(t.headers, vec!["id", "name"]);
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].to_string(),
            "info: t.csv: UTF-8 byte-order mark (BOM) at the start of the file ignored"
        );
    }

    #[test]
    fn crlf_is_accepted_and_line_numbers_are_physical() {
        let (t, issues) = parse(b"id,name\r\n1,a\r\n\r\n2,\"multi\r\nline\"\r\n3,c\r\n");
        let t = t.unwrap();
        let lines: Vec<usize> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 6]);
        assert_eq!(t.rows[0].fields, vec!["1", "a"]);
        assert!(issues
            .iter()
            .any(|i| i.kind == IssueKind::LineEndings && i.message.contains("CRLF")));
    }

    #[test]
    fn windows_1252_is_decoded_with_a_warning_per_line() {
        let (t, issues) = parse(b"id,name\n1,Caf\xE9 school\n2,plain\n");
        let t = t.unwrap();
        assert_eq!(t.rows[0].fields[1], "Café school");
        let enc: Vec<&Issue> = issues
            .iter()
            .filter(|i| i.kind == IssueKind::Encoding)
            .collect();
        assert_eq!(enc.len(), 1);
        assert_eq!(enc[0].line, Some(2));
        assert_eq!(enc[0].severity, Severity::Warning);
        assert_eq!(
            enc[0].to_string(),
            "warning: t.csv line 2: bytes are not valid UTF-8; read as Windows-1252, giving \
             \"é\" (check the text, and save the file as \"CSV UTF-8\")"
        );
    }

    #[test]
    fn utf16_and_empty_files_are_refused() {
        assert!(matches!(
            parse(b"\xFF\xFEi\0d\0").0,
            Err(TableError::Utf16 { .. })
        ));
        assert_eq!(
            parse(b"  \n").0.unwrap_err().to_string(),
            "t.csv: the file is empty (expected a header line)"
        );
    }

    #[test]
    fn headers_are_normalised_and_duplicates_refused() {
        let (t, _) = parse(b" Annual Cost-GBP ,LAT\n1,2\n");
        assert_eq!(t.unwrap().headers, vec!["annual_cost_gbp", "lat"]);
        assert_eq!(
            parse(b"id,ID\n1,2\n").0.unwrap_err().to_string(),
            "t.csv line 1: column `id` appears twice in the header"
        );
    }

    #[test]
    fn wrong_field_counts_are_rejected_and_counted() {
        let (t, issues) = parse(b"id,name\n1,a,extra\n2,b\n,\n");
        let t = t.unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.malformed_rows, 1);
        assert_eq!(t.rows_read(), 2);
        assert!(issues.iter().any(|i| i.kind == IssueKind::FieldCount
            && i.line == Some(2)
            && i.message
                .starts_with("row has 3 fields but the header has 2")));
        assert!(issues
            .iter()
            .any(|i| i.kind == IssueKind::BlankRow && i.line == Some(4)));
    }

    #[test]
    fn semicolon_files_are_sniffed() {
        let (t, issues) = parse(b"id;name\n1;a\n");
        assert_eq!(t.unwrap().rows[0].fields, vec!["1", "a"]);
        assert!(issues.iter().any(|i| i.kind == IssueKind::Delimiter));
    }

    #[test]
    fn missing_column_error_names_the_column() {
        let (t, _) = parse(b"id,name\n1,a\n");
        let err = t.unwrap().require(&["kind"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: missing required column `kind` (columns found: id, name)"
        );
    }

    #[test]
    fn excel_mangled_ids() {
        for s in ["1.23E+05", "1E5", "4.5e-3", "-2.1E+10"] {
            assert!(looks_excel_mangled(s), "{s}");
        }
        for s in ["P1E5", "123456", "E5", "1.2E", "1.E5", "ABC"] {
            assert!(!looks_excel_mangled(s), "{s}");
        }
    }

    fn row(fields: &[&str]) -> Row {
        Row {
            line: 7,
            fields: fields.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn row_ctx_reports_mangled_ids_with_line_and_column() {
        let r = row(&["1.23E+05"]);
        let mut issues = Vec::new();
        let mut ctx = RowCtx::new("p.csv", &r, false, &mut issues);
        assert_eq!(ctx.id(0, "id"), None);
        assert!(!ctx.ok());
        assert_eq!(
            issues[0].to_string(),
            "error: p.csv line 7, column id: id \"1.23E+05\" looks like a number Excel \
             rewrote in scientific notation; the original digits are lost: re-export with \
             the column formatted as Text"
        );
    }

    #[test]
    fn row_ctx_coordinates() {
        let cols = CoordColumns {
            latlon: Some((0, 1)),
            bng: Some((2, 3)),
        };
        let cases: [(&[&str], &str); 6] = [
            (&["NaN", "-4.48", "", ""], "lat \"NaN\" is not a finite number (NaN or infinity)"),
            (&["54.1", "inf", "", ""], "lon \"inf\" is not a finite number (NaN or infinity)"),
            (&["95", "-4.48", "", ""], "lat 95 is outside -90..90 degrees"),
            (&["54.1", "-181", "", ""], "lon -181 is outside -180..180 degrees"),
            (&["286800", "-4.48", "", ""], "lat 286800 is outside -90..90 degrees (a grid northing? put BNG values in easting/northing columns)"),
            (&["", "", "-1", "5"], "easting -1 / northing 5 is outside the British National Grid (easting 0..700000 m, northing 0..1250000 m)"),
        ];
        for (fields, want) in cases {
            let r = row(fields);
            let mut issues = Vec::new();
            let mut ctx = RowCtx::new("p.csv", &r, false, &mut issues);
            assert_eq!(ctx.location(&cols), Located::Invalid, "{fields:?}");
            assert_eq!(issues[0].message, want, "{fields:?}");
            assert_eq!(issues[0].kind, IssueKind::BadCoordinate);
        }
        let r = row(&["", "", "406880", "286800"]);
        let mut issues = Vec::new();
        let mut ctx = RowCtx::new("p.csv", &r, false, &mut issues);
        let Located::Found(p) = ctx.location(&cols) else {
            panic!("BNG row not located")
        };
        assert!((p.lat - 52.479).abs() < 0.01);
        let r = row(&["", "", "", ""]);
        let mut ctx = RowCtx::new("p.csv", &r, false, &mut issues);
        assert_eq!(ctx.location(&cols), Located::Blank);
    }

    #[test]
    fn row_ctx_numbers() {
        let r = row(&["12", "12.0", "12.5", "", "£45,000", "-3", "unknown"]);
        let mut issues = Vec::new();
        let mut ctx = RowCtx::new("p.csv", &r, false, &mut issues);
        assert_eq!(ctx.uint(0, "a", 0..=25), Some(12));
        assert_eq!(ctx.uint(1, "b", 0..=25), Some(12));
        assert_eq!(ctx.uint(2, "c", 0..=25), None);
        assert_eq!(ctx.opt_uint(Some(3), "d"), Ok(None));
        assert_eq!(ctx.opt_uint(Some(6), "g"), Ok(None));
        assert_eq!(ctx.opt_gbp(Some(4), "e"), Ok(Some(45_000.0)));
        assert_eq!(ctx.opt_gbp(Some(5), "f"), Err(Recorded));
        assert_eq!(ctx.uint(0, "a", 0..=5), None);
        let msgs: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "c \"12.5\" is not a whole number",
                "f -3 is negative",
                "a 12 is outside the allowed range 0..=5"
            ]
        );
    }
}
