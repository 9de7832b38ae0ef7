//! Stage 1, the vocabulary: needs (and the names councils write for them, [`need_names`]),
//! school phases ([`phase`]), provision kinds, provisions, pupils, coordinates, the scenario
//! and its configuration ([`scenario`]), boundary and area layers ([`area`]), postcode
//! centroids ([`postcode`]), SEN2 placement groups and targets ([`sen2`]), the car profile
//! and projections.
//!
//! Pure data types shared by every stage. This module does no I/O and must not import
//! `crate::load` or anything that touches files; parsing of CSV rows into these types
//! lives in `crate::load`.
//!
//! Conventions:
//! - Coordinates are WGS84 degrees ([`LatLon`]); a [`LatLon`] built with [`LatLon::new`] is
//!   always finite and in range.
//! - Ages are whole years **at 31 August, the start of the school year** (the DfE school
//!   census and SEN2 convention). A pupil in national curriculum year `n` is aged `n + 4`:
//!   Reception (NCY 0) is 4, Year 1 is 5, Year 6 is 10, Year 7 is 11, Year 11 is 15,
//!   Year 13 is 17 (see [`age_from_ncy`]).
//! - Money is pounds sterling per year unless the name says otherwise (`_gbp`).

pub mod area;
pub mod candidate;
pub mod fleet;
pub mod ids;
pub mod land;
pub mod metric;
pub mod need_names;
pub mod phase;
pub mod place;
pub mod postcode;
pub mod profile;
pub mod proj;
pub mod road_names;
pub mod scenario;
pub mod sen2;
pub mod snapshot;
pub mod speeds;
pub mod status;

ids::indexed_by!(ids::PupilIdx => Pupil);
ids::indexed_by!(ids::ProvisionIdx => Provision);
ids::indexed_by!(ids::CandidateIdx => candidate::CandidatePoint);

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A coordinate that is not a usable WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// The latitude is NaN or infinite.
    #[error("latitude is not a finite number ({0})")]
    LatNotFinite(f64),
    /// The longitude is NaN or infinite.
    #[error("longitude is not a finite number ({0})")]
    LonNotFinite(f64),
    /// The latitude is outside −90..=90 degrees.
    #[error("latitude {0} is outside -90..90 degrees")]
    LatOutOfRange(f64),
    /// The longitude is outside −180..=180 degrees.
    #[error("longitude {0} is outside -180..180 degrees")]
    LonOutOfRange(f64),
}

/// A WGS84 position in degrees; always finite and within range when built by [`LatLon::new`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Serialize,
    Deserialize,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[serde(deny_unknown_fields)]
#[repr(C)]
pub struct LatLon {
    /// Latitude in degrees north (−90..=90).
    pub lat: f64,
    /// Longitude in degrees east (−180..=180).
    pub lon: f64,
}

impl LatLon {
    /// Builds a position, rejecting NaN, infinities and out-of-range degrees.
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::LatLon;
    /// assert!(LatLon::new(54.15, -4.48).is_ok());
    /// assert!(LatLon::new(f64::NAN, -4.48).is_err());
    /// assert!(LatLon::new(91.0, 0.0).is_err());
    /// ```
    pub fn new(lat: f64, lon: f64) -> Result<Self, CoordError> {
        if !lat.is_finite() {
            return Err(CoordError::LatNotFinite(lat));
        }
        if !lon.is_finite() {
            return Err(CoordError::LonNotFinite(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::LatOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::LonOutOfRange(lon));
        }
        Ok(Self { lat, lon })
    }

    /// Great-circle (haversine) distance to `other` in metres: [`proj::haversine_m`], the one
    /// haversine (sphere of radius [`proj::EARTH_RADIUS_M`], 6,371,008.8 m).
    pub fn haversine_m(self, other: LatLon) -> f64 {
        proj::haversine_m(self, other)
    }
}

impl CoordError {
    /// What is wrong, without the value (for messages about personal data).
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::LatLon;
    /// let e = LatLon::new(95.0, 0.0).unwrap_err();
    /// assert_eq!(e.without_value(), "latitude is outside -90..90 degrees");
    /// ```
    pub fn without_value(&self) -> &'static str {
        match self {
            CoordError::LatNotFinite(_) => "latitude is not a finite number",
            CoordError::LonNotFinite(_) => "longitude is not a finite number",
            CoordError::LatOutOfRange(_) => "latitude is outside -90..90 degrees",
            CoordError::LonOutOfRange(_) => "longitude is outside -180..180 degrees",
        }
    }
}

/// Why a `LAT,LON` text is not a position. The messages never repeat the text: it may be a
/// pupil's home.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LatLonParseError {
    /// Not two comma-separated parts.
    #[error("expected LAT,LON (two numbers separated by a comma)")]
    Shape,
    /// A part is not a number.
    #[error("LAT and LON must be numbers")]
    NotNumber,
    /// Numbers, but not a position ([`LatLon::new`] refused them).
    #[error("{}", .0.without_value())]
    Coord(CoordError),
}

impl FromStr for LatLon {
    type Err = LatLonParseError;

    /// Parses `LAT,LON` in WGS84 degrees (spaces around either number allowed), validated by
    /// [`LatLon::new`]. The one `LAT,LON` parser: the CLI and the service use it.
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::{LatLon, LatLonParseError};
    /// let p: LatLon = "52.6709, -0.7270".parse().unwrap();
    /// assert_eq!((p.lat, p.lon), (52.6709, -0.727));
    /// assert_eq!("52.6".parse::<LatLon>(), Err(LatLonParseError::Shape));
    /// assert_eq!("1,2,3".parse::<LatLon>(), Err(LatLonParseError::Shape));
    /// assert_eq!("a,2".parse::<LatLon>(), Err(LatLonParseError::NotNumber));
    /// assert!(matches!("95,0".parse::<LatLon>(), Err(LatLonParseError::Coord(_))));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(',');
        let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(LatLonParseError::Shape);
        };
        let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
            return Err(LatLonParseError::NotNumber);
        };
        LatLon::new(lat, lon).map_err(LatLonParseError::Coord)
    }
}

/// Parses `LAT,LON` in WGS84 degrees: the same as `s.parse::<LatLon>()`.
pub fn parse_lat_lon(s: &str) -> Result<LatLon, LatLonParseError> {
    s.parse()
}

/// The UTF-8 byte-order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Length of a leading UTF-8 byte-order mark: 3 when `bytes` starts with one, else 0. The
/// one BOM strip: `&bytes[bom_len(bytes)..]`, and for text `&text[bom_len(text.as_bytes())..]`
/// (the BOM is one whole character, so that slice is on a character boundary).
///
/// # Examples
/// ```
/// use nearhome::model::bom_len;
/// let text = "\u{feff}id,lat";
/// assert_eq!(&text[bom_len(text.as_bytes())..], "id,lat");
/// assert_eq!(bom_len(b"id,lat"), 0);
/// ```
pub fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    }
}

impl fmt::Display for LatLon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat, self.lon)
    }
}

/// A WGS84 bounding box in degrees (edges inclusive), e.g. of the road network or a boundary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bbox {
    /// Southern edge, degrees north.
    pub min_lat: f64,
    /// Western edge, degrees east.
    pub min_lon: f64,
    /// Northern edge, degrees north.
    pub max_lat: f64,
    /// Eastern edge, degrees east.
    pub max_lon: f64,
}

impl Bbox {
    /// The smallest box holding every point; `None` when there are no points.
    pub fn from_points(points: impl IntoIterator<Item = LatLon>) -> Option<Self> {
        let mut points = points.into_iter();
        let first = points.next()?;
        let mut bbox = Self {
            min_lat: first.lat,
            min_lon: first.lon,
            max_lat: first.lat,
            max_lon: first.lon,
        };
        for p in points {
            bbox.min_lat = bbox.min_lat.min(p.lat);
            bbox.min_lon = bbox.min_lon.min(p.lon);
            bbox.max_lat = bbox.max_lat.max(p.lat);
            bbox.max_lon = bbox.max_lon.max(p.lon);
        }
        Some(bbox)
    }

    /// True when `p` lies inside or on the edge of the box.
    pub fn contains(&self, p: LatLon) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }

    /// The smallest box holding both boxes.
    pub fn union(&self, other: &Bbox) -> Bbox {
        Bbox {
            min_lat: self.min_lat.min(other.min_lat),
            min_lon: self.min_lon.min(other.min_lon),
            max_lat: self.max_lat.max(other.max_lat),
            max_lon: self.max_lon.max(other.max_lon),
        }
    }
}

impl fmt::Display for Bbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lat {:.4}..{:.4}, lon {:.4}..{:.4}",
            self.min_lat, self.max_lat, self.min_lon, self.max_lon
        )
    }
}

/// Normalises an enum token: trimmed, lower case, spaces and hyphens as underscores.
fn token(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A value that is not one of the allowed codes of an enumerated column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{}\" (allowed: {allowed})", short(value))]
pub struct UnknownCode {
    /// What was being parsed, e.g. "need code".
    pub what: &'static str,
    /// The offending text, as given.
    pub value: String,
    /// The allowed values, comma-separated.
    pub allowed: String,
}

/// At most 40 characters of an input value for a message, then `…`: a message never
/// echoes a whole (possibly huge) field.
pub fn short(value: &str) -> String {
    match value.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_string(),
    }
}

/// SEN2 primary type of need of a pupil with an EHC plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Need {
    /// ASD: autistic spectrum disorder.
    Asd,
    /// SLCN: speech, language and communication needs.
    Slcn,
    /// SEMH: social, emotional and mental health.
    Semh,
    /// MLD: moderate learning difficulty.
    Mld,
    /// SLD: severe learning difficulty.
    Sld,
    /// PMLD: profound and multiple learning difficulty.
    Pmld,
    /// SPLD: specific learning difficulty (SpLD).
    Spld,
    /// HI: hearing impairment.
    Hi,
    /// VI: vision impairment.
    Vi,
    /// MSI: multi-sensory impairment.
    Msi,
    /// PD: physical disability.
    Pd,
    /// OTH: other difficulty or disability.
    Oth,
}

impl Need {
    /// Every need, in SEN2 table order.
    pub const ALL: [Need; 12] = [
        Need::Asd,
        Need::Slcn,
        Need::Semh,
        Need::Mld,
        Need::Sld,
        Need::Pmld,
        Need::Spld,
        Need::Hi,
        Need::Vi,
        Need::Msi,
        Need::Pd,
        Need::Oth,
    ];

    /// Upper-case SEN2 code, e.g. `"ASD"`; SpLD is written `"SPLD"`.
    pub fn code(self) -> &'static str {
        match self {
            Need::Asd => "ASD",
            Need::Slcn => "SLCN",
            Need::Semh => "SEMH",
            Need::Mld => "MLD",
            Need::Sld => "SLD",
            Need::Pmld => "PMLD",
            Need::Spld => "SPLD",
            Need::Hi => "HI",
            Need::Vi => "VI",
            Need::Msi => "MSI",
            Need::Pd => "PD",
            Need::Oth => "OTH",
        }
    }

    /// The allowed codes, comma-separated, for error messages.
    pub fn allowed_codes() -> String {
        Need::ALL.map(Need::code).join(", ")
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Need {
    type Err = UnknownCode;

    /// Parses a SEN2 code or a need as councils write it (the DfE description or a common
    /// variant, see [`Need::from_name`]), case-insensitively and ignoring surrounding
    /// spaces: `--need`, the API's JSON bodies and the tables all read needs this way.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Need::ALL
            .into_iter()
            .find(|n| n.code().eq_ignore_ascii_case(t))
            .map_or_else(|| Need::from_name(t), Ok)
    }
}

impl TryFrom<String> for Need {
    type Error = UnknownCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Need> for &'static str {
    fn from(n: Need) -> Self {
        n.code()
    }
}

/// A column of the area x need tables: every need together (`ALL`), or one need.
///
/// Serialised as its [`code`](NeedColumn::code): `"ALL"` or the SEN2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum NeedColumn {
    /// Every need (`ALL`).
    All,
    /// One SEN2 primary need.
    One(Need),
}

impl NeedColumn {
    /// Every column, `ALL` first then [`Need::ALL`] order.
    pub fn every() -> Vec<NeedColumn> {
        std::iter::once(NeedColumn::All)
            .chain(Need::ALL.iter().map(|&n| NeedColumn::One(n)))
            .collect()
    }

    /// Grid column index: 0 for `ALL`, then 1 + the need's position in [`Need::ALL`].
    pub fn index(self) -> usize {
        match self {
            NeedColumn::All => 0,
            NeedColumn::One(n) => 1 + Need::ALL.iter().position(|x| *x == n).unwrap_or(0),
        }
    }

    /// The code written in outputs (`ALL` or the SEN2 code).
    pub fn code(self) -> &'static str {
        match self {
            NeedColumn::All => "ALL",
            NeedColumn::One(n) => n.code(),
        }
    }

    /// The column for an optional need (`None` = ALL).
    pub fn of(need: Option<Need>) -> NeedColumn {
        need.map_or(NeedColumn::All, NeedColumn::One)
    }

    /// The need of a one-need column (`None` for `ALL`).
    pub fn need(self) -> Option<Need> {
        match self {
            NeedColumn::All => None,
            NeedColumn::One(n) => Some(n),
        }
    }
}

impl fmt::Display for NeedColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for NeedColumn {
    type Err = UnknownCode;

    /// Parses `ALL` or a SEN2 code, case-insensitively and ignoring surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("ALL") {
            return Ok(NeedColumn::All);
        }
        s.parse().map(NeedColumn::One)
    }
}

impl TryFrom<String> for NeedColumn {
    type Error = UnknownCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<NeedColumn> for &'static str {
    fn from(c: NeedColumn) -> Self {
        c.code()
    }
}

/// What sort of setting a provision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionKind {
    /// Maintained or academy special school.
    SpecialSchool,
    /// Resource base (resourced provision or SEN unit) inside a mainstream school.
    ResourceBase,
    /// Mainstream school without specialist places.
    Mainstream,
    /// Independent special school (usually out of area, high cost).
    IndependentSpecial,
    /// Non-maintained special school (charitable, usually out of area).
    NonMaintainedSpecial,
    /// Alternative provision or pupil referral unit.
    AlternativeProvision,
    /// Post-16 college or specialist post-16 institution.
    Post16,
}

impl ProvisionKind {
    /// Every kind, in declaration order.
    pub const ALL: [ProvisionKind; 7] = [
        ProvisionKind::SpecialSchool,
        ProvisionKind::ResourceBase,
        ProvisionKind::Mainstream,
        ProvisionKind::IndependentSpecial,
        ProvisionKind::NonMaintainedSpecial,
        ProvisionKind::AlternativeProvision,
        ProvisionKind::Post16,
    ];

    /// The snake_case name used in CSV and TOML, e.g. `"special_school"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionKind::SpecialSchool => "special_school",
            ProvisionKind::ResourceBase => "resource_base",
            ProvisionKind::Mainstream => "mainstream",
            ProvisionKind::IndependentSpecial => "independent_special",
            ProvisionKind::NonMaintainedSpecial => "non_maintained_special",
            ProvisionKind::AlternativeProvision => "alternative_provision",
            ProvisionKind::Post16 => "post16",
        }
    }
}

impl fmt::Display for ProvisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProvisionKind {
    type Err = UnknownCode;

    /// Parses a kind case-insensitively; spaces and hyphens count as underscores
    /// (`"Special School"` is `special_school`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = token(s);
        ProvisionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| UnknownCode {
                what: "provision kind",
                value: s.trim().to_string(),
                allowed: ProvisionKind::ALL.map(ProvisionKind::as_str).join(", "),
            })
    }
}

/// The sort of place a pupil holds, read from the kind of their current placement. It
/// decides which provisions are the pupil's alternatives (the kinds they could be placed in)
/// and whether they may be brought back into the area; see `docs/outputs.md`, "Suitable".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementType {
    /// A special school (maintained, academy, independent or non-maintained) or a resource
    /// base: alternatives are special schools and resource bases.
    Specialist,
    /// A mainstream school: alternatives are mainstream schools of the pupil's phase (the
    /// journey review only; never brought back).
    Mainstream,
    /// Alternative provision or a pupil referral unit: alternatives are alternative
    /// provisions.
    AlternativeProvision,
    /// A post-16 college or specialist post-16 institution: alternatives are post-16
    /// providers.
    Post16,
}

impl PlacementType {
    /// The placement type of a pupil placed in a provision of `kind`.
    ///
    /// # Examples
    /// ```
    /// use nearhome::model::{PlacementType, ProvisionKind};
    /// let t = PlacementType::of(ProvisionKind::IndependentSpecial);
    /// assert_eq!(t, PlacementType::Specialist);
    /// assert!(t.admits(ProvisionKind::ResourceBase));
    /// assert!(!t.admits(ProvisionKind::Mainstream));
    /// ```
    pub fn of(kind: ProvisionKind) -> PlacementType {
        match kind {
            ProvisionKind::SpecialSchool
            | ProvisionKind::ResourceBase
            | ProvisionKind::IndependentSpecial
            | ProvisionKind::NonMaintainedSpecial => PlacementType::Specialist,
            ProvisionKind::Mainstream => PlacementType::Mainstream,
            ProvisionKind::AlternativeProvision => PlacementType::AlternativeProvision,
            ProvisionKind::Post16 => PlacementType::Post16,
        }
    }

    /// The provision kinds a pupil of this type could be placed in instead.
    pub fn alternative_kinds(self) -> &'static [ProvisionKind] {
        match self {
            PlacementType::Specialist => {
                &[ProvisionKind::SpecialSchool, ProvisionKind::ResourceBase]
            }
            PlacementType::Mainstream => &[ProvisionKind::Mainstream],
            PlacementType::AlternativeProvision => &[ProvisionKind::AlternativeProvision],
            PlacementType::Post16 => &[ProvisionKind::Post16],
        }
    }

    /// True when a provision of `kind` is one of this type's alternatives.
    pub fn admits(self, kind: ProvisionKind) -> bool {
        self.alternative_kinds().contains(&kind)
    }

    /// True when the need must be among the provision's designated needs. A mainstream
    /// school has no designated needs: it is suitable for a pupil of its phase whatever the
    /// need.
    pub fn matches_need(self) -> bool {
        self != PlacementType::Mainstream
    }

    /// True when an out-of-area pupil of this type may be brought back; a mainstream pupil
    /// never is.
    pub fn may_be_brought_back(self) -> bool {
        self != PlacementType::Mainstream
    }
}

/// How a pupil travels to their placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// No council transport (the family arranges it).
    None,
    /// Taxi or private hire arranged by the council.
    Taxi,
    /// Council minibus or shared vehicle.
    Minibus,
    /// Personal travel budget paid to the family.
    PersonalBudget,
    /// Public transport pass.
    Public,
    /// Walks (within the statutory walking distance, or by choice).
    Walk,
    /// Travels independently after the council's travel training (public transport).
    TravelTraining,
}

impl Transport {
    /// Every mode, in declaration order.
    pub const ALL: [Transport; 7] = [
        Transport::None,
        Transport::Taxi,
        Transport::Minibus,
        Transport::PersonalBudget,
        Transport::Public,
        Transport::Walk,
        Transport::TravelTraining,
    ];

    /// The snake_case name used in CSV and TOML, e.g. `"personal_budget"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::None => "none",
            Transport::Taxi => "taxi",
            Transport::Minibus => "minibus",
            Transport::PersonalBudget => "personal_budget",
            Transport::Public => "public",
            Transport::Walk => "walk",
            Transport::TravelTraining => "travel_training",
        }
    }

    /// True for the modes the council buys as vehicles (taxi, minibus): the pupils a
    /// shared run would carry.
    pub fn is_council_vehicle(self) -> bool {
        matches!(self, Transport::Taxi | Transport::Minibus)
    }
}

/// What a pupil needs of a vehicle (`pupils.csv` `wheelchair`, `escort`, `solo`; all
/// false when not given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TravelNeeds {
    /// Travels in their wheelchair: needs a wheelchair space.
    pub wheelchair: bool,
    /// Needs a passenger assistant (escort) on board.
    pub escort: bool,
    /// Must travel alone (no other pupil on the vehicle).
    pub solo: bool,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Transport {
    type Err = UnknownCode;

    /// Parses a mode case-insensitively; spaces and hyphens count as underscores.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = token(s);
        Transport::ALL
            .into_iter()
            .find(|m| m.as_str() == t)
            .ok_or_else(|| UnknownCode {
                what: "transport mode",
                value: s.trim().to_string(),
                allowed: Transport::ALL.map(Transport::as_str).join(", "),
            })
    }
}

/// Youngest and oldest age accepted anywhere (EHC plans run from 0 to 25), in years.
pub const AGE_RANGE: std::ops::RangeInclusive<u8> = 0..=25;

/// Lowest and highest national curriculum year accepted (Reception 0 to Year 14).
pub const NCY_RANGE: std::ops::RangeInclusive<i32> = 0..=14;

/// Age in whole years at 31 August (start of the school year) of a pupil in national
/// curriculum year `ncy`: `ncy + 4`, so Reception (0) is 4 and Year 11 is 15.
/// `None` outside [`NCY_RANGE`].
///
/// # Examples
/// ```
/// use nearhome::model::age_from_ncy;
/// assert_eq!(age_from_ncy(0), Some(4));
/// assert_eq!(age_from_ncy(7), Some(11));
/// assert_eq!(age_from_ncy(15), None);
/// ```
pub fn age_from_ncy(ncy: i32) -> Option<u8> {
    if !NCY_RANGE.contains(&ncy) {
        return None;
    }
    u8::try_from(ncy + 4).ok()
}

/// Who runs a school (the `sector` column of `provisions.csv`): it decides whether the
/// council can open a resource base in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// Maintained by the local authority (community, foundation, voluntary aided or
    /// controlled, maintained special school, pupil referral unit).
    LaMaintained,
    /// An academy or free school (state-funded, run by a trust).
    Academy,
    /// An independent (fee-paying) school.
    Independent,
    /// A non-maintained special school (charitable).
    NonMaintained,
}

impl Sector {
    /// The snake_case code used in CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::LaMaintained => "la_maintained",
            Sector::Academy => "academy",
            Sector::Independent => "independent",
            Sector::NonMaintained => "non_maintained",
        }
    }

    /// True for state-funded schools (maintained or academy): the council may host new
    /// places there.
    pub fn state_funded(self) -> bool {
        matches!(self, Sector::LaMaintained | Sector::Academy)
    }
}

impl FromStr for Sector {
    type Err = String;

    /// Codes and common variants, case-insensitive: `la_maintained` (`maintained`,
    /// `community`, `foundation`, `voluntary_aided`, `voluntary_controlled`), `academy`
    /// (`free_school`), `independent`, `non_maintained`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Ok(match k.as_str() {
            "la_maintained" | "maintained" | "community" | "foundation" | "voluntary_aided"
            | "voluntary_controlled" => Sector::LaMaintained,
            "academy" | "free_school" | "free" => Sector::Academy,
            "independent" => Sector::Independent,
            "non_maintained" => Sector::NonMaintained,
            _ => {
                return Err(format!(
                    "unknown sector `{}`: expected la_maintained, academy, independent or non_maintained",
                    short(s)
                ))
            }
        })
    }
}

/// A school, resource base or other setting that can receive pupils.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provision {
    /// Unique id within the scenario (e.g. a URN); never empty.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What sort of setting this is.
    pub kind: ProvisionKind,
    /// Primary needs it is designated for (deduplicated, in file order).
    pub needs: Vec<Need>,
    /// Youngest age accepted, whole years at 31 August.
    pub age_min: u8,
    /// Oldest age accepted, whole years at 31 August (inclusive; `>= age_min`).
    pub age_max: u8,
    /// Number of places; `None` when unknown (then never offered as having spare places).
    pub capacity: Option<u32>,
    /// Pupils currently on roll in these places.
    pub on_roll: u32,
    /// Cost of one place per year in pounds, when the file gives it.
    pub annual_cost_gbp: Option<f64>,
    /// Site location, WGS84.
    pub location: LatLon,
    /// Who runs it, when the file says (`None`: not recorded).
    #[serde(default)]
    pub sector: Option<Sector>,
    /// 1-based physical line of the row in its source file (0 when not from a file).
    pub line: usize,
}

impl Provision {
    /// Places free now: `capacity − on_roll`, never below 0; `None` when capacity is unknown.
    pub fn spare_places(&self) -> Option<u32> {
        self.capacity.map(|c| c.saturating_sub(self.on_roll))
    }

    /// True when the provision is designated for `need` and `age` lies in `age_min..=age_max`.
    pub fn suits(&self, need: Need, age: u8) -> bool {
        self.needs.contains(&need) && self.accepts_age(age)
    }

    /// True when `age` lies in `age_min..=age_max`.
    pub fn accepts_age(&self, age: u8) -> bool {
        (self.age_min..=self.age_max).contains(&age)
    }

    /// True when this provision is an alternative for a pupil of `need` and `age` whose
    /// placement is of type `placement`: its kind is one that type admits, it accepts the
    /// age (for a mainstream school: it is of the pupil's phase, read from its age range)
    /// and, except for mainstream schools, it is designated for the need.
    pub fn is_alternative_for(&self, placement: PlacementType, need: Need, age: u8) -> bool {
        placement.admits(self.kind)
            && self.accepts_age(age)
            && (!placement.matches_need() || self.needs.contains(&need))
    }
}

/// A pupil with an EHC plan. Pseudonymous: never log `id` or `home`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pupil {
    /// Pseudonymous id, unique within the file.
    pub id: String,
    /// Age in whole years at 31 August (start of the school year).
    pub age: u8,
    /// SEN2 primary need.
    pub need: Need,
    /// Home location, WGS84 (possibly a postcode centroid).
    pub home: LatLon,
    /// Id of the provision the pupil attends now.
    pub placement_id: String,
    /// Current transport arrangement, when known.
    pub transport: Option<Transport>,
    /// Current transport cost in pounds per year, when known.
    pub transport_cost_gbp: Option<f64>,
    /// What the pupil needs of a vehicle.
    pub travel: TravelNeeds,
    /// 1-based physical line of the row in its source file (0 when not from a file).
    pub line: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_parse_with_variants_and_only_state_schools_host() {
        for (s, want) in [
            ("la_maintained", Sector::LaMaintained),
            ("Voluntary Aided", Sector::LaMaintained),
            ("free-school", Sector::Academy),
            ("Independent", Sector::Independent),
            ("non_maintained", Sector::NonMaintained),
        ] {
            assert_eq!(s.parse::<Sector>(), Ok(want), "{s}");
            assert_eq!(want.as_str().parse::<Sector>(), Ok(want));
        }
        assert!("private".parse::<Sector>().is_err());
        assert!(Sector::Academy.state_funded() && !Sector::Independent.state_funded());
    }

    #[test]
    fn need_columns_are_written_as_their_codes() {
        let cols = NeedColumn::every();
        assert_eq!(cols.len(), 1 + Need::ALL.len());
        for (i, c) in cols.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(c.code().parse::<NeedColumn>().ok(), Some(*c));
            let json = serde_json::to_string(c).ok();
            assert_eq!(json, Some(format!("\"{}\"", c.code())));
        }
        assert_eq!(NeedColumn::All.code(), "ALL");
        assert_eq!(NeedColumn::of(Some(Need::Spld)).code(), "SPLD");
        assert_eq!(NeedColumn::One(Need::Hi).need(), Some(Need::Hi));
        assert!("NONE".parse::<NeedColumn>().is_err());
    }

    fn provision(capacity: Option<u32>, on_roll: u32) -> Provision {
        Provision {
            id: "P1".into(),
            name: "Test".into(),
            kind: ProvisionKind::ResourceBase,
            needs: vec![Need::Asd, Need::Slcn],
            age_min: 11,
            age_max: 15,
            capacity,
            on_roll,
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
    fn need_codes_round_trip_case_insensitively() {
        for n in Need::ALL {
            assert_eq!(n.code().parse::<Need>(), Ok(n));
            assert_eq!(n.code().to_lowercase().parse::<Need>(), Ok(n));
        }
        assert_eq!(" SpLD ".parse::<Need>(), Ok(Need::Spld));
        let err = "XYZ".parse::<Need>().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("unknown need \"XYZ\" (allowed: SEN2 codes ASD, SLCN, SEMH, MLD, SLD, PMLD, SPLD, HI, VI, MSI, PD, OTH or their DfE names"),
            "{msg}"
        );
    }

    #[test]
    fn kinds_and_modes_parse_leniently_on_spacing_only() {
        for k in ProvisionKind::ALL {
            assert_eq!(k.as_str().parse::<ProvisionKind>(), Ok(k));
        }
        assert_eq!(
            "Special School".parse::<ProvisionKind>(),
            Ok(ProvisionKind::SpecialSchool)
        );
        assert_eq!(
            "non-maintained-special".parse::<ProvisionKind>(),
            Ok(ProvisionKind::NonMaintainedSpecial)
        );
        assert!("academy".parse::<ProvisionKind>().is_err());
        assert_eq!(
            "Personal Budget".parse::<Transport>(),
            Ok(Transport::PersonalBudget)
        );
        assert!("bike".parse::<Transport>().is_err());
    }

    #[test]
    fn serde_uses_codes() {
        let json =
            serde_json::to_string(&(Need::Spld, ProvisionKind::Post16, Transport::Taxi)).unwrap();
        assert_eq!(json, r#"["SPLD","post16","taxi"]"#);
        let back: (Need, ProvisionKind, Transport) =
            serde_json::from_str(r#"["asd","resource_base","public"]"#).unwrap();
        assert_eq!(
            back,
            (Need::Asd, ProvisionKind::ResourceBase, Transport::Public)
        );
    }

    #[test]
    fn latlon_rejects_bad_values() {
        assert!(LatLon::new(54.15, -4.48).is_ok());
        assert_eq!(
            LatLon::new(f64::NAN, 0.0).unwrap_err().to_string(),
            "latitude is not a finite number (NaN)"
        );
        assert!(matches!(
            LatLon::new(0.0, f64::INFINITY),
            Err(CoordError::LonNotFinite(_))
        ));
        assert_eq!(LatLon::new(90.5, 0.0), Err(CoordError::LatOutOfRange(90.5)));
        assert_eq!(
            LatLon::new(0.0, -180.5),
            Err(CoordError::LonOutOfRange(-180.5))
        );
        assert!(LatLon::new(-90.0, 180.0).is_ok());
    }

    #[test]
    fn haversine_one_degree_of_latitude() {
        let a = LatLon {
            lat: 54.0,
            lon: -4.5,
        };
        let b = LatLon {
            lat: 55.0,
            lon: -4.5,
        };
        let d = a.haversine_m(b);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn spare_places_never_negative_and_unknown_stays_unknown() {
        assert_eq!(provision(Some(10), 7).spare_places(), Some(3));
        assert_eq!(provision(Some(10), 12).spare_places(), Some(0));
        assert_eq!(provision(None, 3).spare_places(), None);
    }

    #[test]
    fn suits_checks_need_and_inclusive_age_range() {
        let p = provision(Some(10), 0);
        assert!(p.suits(Need::Asd, 11));
        assert!(p.suits(Need::Slcn, 15));
        assert!(!p.suits(Need::Asd, 10));
        assert!(!p.suits(Need::Asd, 16));
        assert!(!p.suits(Need::Hi, 12));
    }

    #[test]
    fn placement_types_admit_the_kinds_their_pupils_could_be_placed_in() {
        use PlacementType as T;
        for kind in ProvisionKind::ALL {
            let t = PlacementType::of(kind);
            let specialist = matches!(
                kind,
                ProvisionKind::SpecialSchool
                    | ProvisionKind::ResourceBase
                    | ProvisionKind::IndependentSpecial
                    | ProvisionKind::NonMaintainedSpecial
            );
            assert_eq!(t == T::Specialist, specialist, "{kind}");
            assert_eq!(t.may_be_brought_back(), t != T::Mainstream, "{kind}");
        }
        let admitted = |t: T| -> Vec<ProvisionKind> {
            ProvisionKind::ALL
                .into_iter()
                .filter(|&k| t.admits(k))
                .collect()
        };
        assert_eq!(
            admitted(T::Specialist),
            [ProvisionKind::SpecialSchool, ProvisionKind::ResourceBase]
        );
        assert_eq!(admitted(T::Mainstream), [ProvisionKind::Mainstream]);
        assert_eq!(admitted(T::Post16), [ProvisionKind::Post16]);
        assert_eq!(
            admitted(T::AlternativeProvision),
            [ProvisionKind::AlternativeProvision]
        );
    }

    #[test]
    fn alternatives_follow_kind_age_and_need() {
        let mut school = provision(None, 0);
        school.kind = ProvisionKind::Mainstream;
        school.needs = Vec::new();
        // A mainstream school of the pupil's phase suits any need; one of another phase not.
        assert!(school.is_alternative_for(PlacementType::Mainstream, Need::Hi, 11));
        assert!(!school.is_alternative_for(PlacementType::Mainstream, Need::Hi, 10));
        assert!(!school.is_alternative_for(PlacementType::Specialist, Need::Hi, 11));
        // A resource base needs its designated need, and is never a mainstream alternative.
        let base = provision(Some(10), 0);
        assert!(base.is_alternative_for(PlacementType::Specialist, Need::Asd, 11));
        assert!(!base.is_alternative_for(PlacementType::Specialist, Need::Hi, 11));
        assert!(!base.is_alternative_for(PlacementType::Mainstream, Need::Asd, 11));
        assert!(!base.is_alternative_for(PlacementType::Post16, Need::Asd, 11));
        // A post-16 provider only for post-16 placements, with the need.
        let mut college = provision(None, 0);
        college.kind = ProvisionKind::Post16;
        (college.age_min, college.age_max) = (16, 25);
        assert!(college.is_alternative_for(PlacementType::Post16, Need::Slcn, 17));
        assert!(!college.is_alternative_for(PlacementType::Post16, Need::Hi, 17));
        assert!(!college.is_alternative_for(PlacementType::Specialist, Need::Slcn, 17));
    }

    #[test]
    fn ncy_maps_to_age_at_start_of_year() {
        assert_eq!(age_from_ncy(0), Some(4));
        assert_eq!(age_from_ncy(6), Some(10));
        assert_eq!(age_from_ncy(11), Some(15));
        assert_eq!(age_from_ncy(14), Some(18));
        assert_eq!(age_from_ncy(-1), None);
    }

    #[test]
    fn bbox_from_points_and_contains_edges() {
        let b = Bbox::from_points([
            LatLon { lat: 1.0, lon: 2.0 },
            LatLon {
                lat: 3.0,
                lon: -1.0,
            },
        ])
        .unwrap();
        assert_eq!(
            b,
            Bbox {
                min_lat: 1.0,
                min_lon: -1.0,
                max_lat: 3.0,
                max_lon: 2.0
            }
        );
        assert!(b.contains(LatLon { lat: 1.0, lon: 2.0 }));
        assert!(!b.contains(LatLon {
            lat: 0.99,
            lon: 0.0
        }));
        assert!(Bbox::from_points([]).is_none());
    }
}
