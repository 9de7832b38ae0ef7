//! Provisions from the DfE's Get Information About Schools (GIAS) establishment download
//! (`nearhome import --provisions edubasealldata.csv`) -> nearhome's `provisions.csv`: special
//! schools, resource bases and SEN units with capacity, open establishments only.
//!
//! Columns read (GIAS headers, with or without the `(name)` and `(code)` suffixes GIAS
//! writes): `URN`, `LA (code)`, `EstablishmentNumber`, `EstablishmentName`,
//! `TypeOfEstablishment (name)`, `EstablishmentStatus (name)` (else `CloseDate`; with neither,
//! every row is taken as open and the report says so), `StatutoryLowAge`,
//! `StatutoryHighAge`, `Easting`, `Northing`, `SchoolCapacity`, `NumberOfPupils`,
//! `ResourcedProvisionOnRoll`, `ResourcedProvisionCapacity`, `SenUnitOnRoll`,
//! `SenUnitCapacity`, `SEN1 (name)` .. `SEN13 (name)`. The provision id is the URN (a
//! resource base's is `URN-rb`); the written file keeps the `urn` and the DfE number
//! (`laestab`: LA code and establishment number, 7 digits), so pupils' placements match by
//! either.
//!
//! - A special school (community, foundation, academy or free special) is `special_school`; a
//!   non-maintained special school `non_maintained_special`; an independent special school
//!   `independent_special`. Capacity `SchoolCapacity`, on roll `NumberOfPupils`.
//! - Any other establishment with resourced-provision or SEN-unit capacity is a
//!   `resource_base` at its site, with those places (both added) and pupils on roll.
//! - Needs from the SEN columns (`ASD - Autistic Spectrum Disorder` -> ASD); none listed: every
//!   need, counted in the report.
//! - Closed establishments, and mainstream ones without resourced places, are skipped and
//!   counted; a row that cannot be read is reported with its line and column.

use std::collections::BTreeMap;

use crate::model::Need;

/// What the GIAS reader counted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GiasReport {
    /// Establishment rows read.
    pub rows: usize,
    /// Provisions written, by kind.
    pub written: BTreeMap<String, usize>,
    /// Rows skipped as not open.
    pub not_open: usize,
    /// Rows skipped as mainstream without resourced or SEN-unit places (or another type).
    pub not_send: usize,
    /// Provisions with no SEN type listed (every need assumed).
    pub no_need_listed: usize,
    /// `(line, column, reason)` of rows left out.
    pub rejected: Vec<(usize, String, String)>,
    /// True when the file has no status or close-date column (every row taken as open).
    pub status_unknown: bool,
}

fn kind_and_sector(type_name: &str) -> Option<(&'static str, &'static str)> {
    let t = type_name.to_lowercase();
    if t.contains("non-maintained special") {
        Some(("non_maintained_special", "non_maintained"))
    } else if t.contains("independent special") || t == "other independent special school" {
        Some(("independent_special", "independent"))
    } else if t.contains("special") {
        let sector = if t.contains("academy") || t.contains("free school") {
            "academy"
        } else {
            "la_maintained"
        };
        Some(("special_school", sector))
    } else {
        None
    }
}

fn mainstream_sector(type_name: &str) -> &'static str {
    let t = type_name.to_lowercase();
    if t.contains("academy") || t.contains("free school") {
        "academy"
    } else if t.contains("independent") {
        "independent"
    } else {
        "la_maintained"
    }
}

/// The DfE number: the 3-digit LA code and the 4-digit establishment number (`3304001`);
/// empty when either is missing.
fn laestab(la: &str, estab: &str) -> String {
    let (la, estab) = (la.trim(), estab.trim());
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if numeric(la) && numeric(estab) && la.len() <= 3 && estab.len() <= 4 {
        format!("{la:0>3}{estab:0>4}")
    } else {
        String::new()
    }
}

/// Converts a GIAS establishment CSV into `provisions.csv` text.
///
/// # Errors
/// An undecodable file or a missing required column (named).
pub fn import_gias(bytes: &[u8], file: &str) -> Result<(String, GiasReport), String> {
    let mut issues = Vec::new();
    let text = crate::load::table::decode(bytes, file, &mut issues).map_err(|e| e.to_string())?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("{file} line 1: {e}"))?
        .clone();
    // A header as GIAS writes it (`TypeOfEstablishment (name)`) or without its suffix.
    let find = |name: &str| {
        let bare = name
            .strip_suffix(" (name)")
            .or_else(|| name.strip_suffix(" (code)"))
            .unwrap_or(name);
        let spaced: String = bare.replace(' ', "");
        headers.iter().position(|h| {
            let h = h.trim_start_matches('\u{feff}').trim();
            h.eq_ignore_ascii_case(name)
                || h.eq_ignore_ascii_case(bare)
                || h.replace(' ', "").eq_ignore_ascii_case(&spaced)
        })
    };
    let need = |name: &str| {
        find(name).ok_or_else(|| format!("{file} line 1, field `{name}`: missing column (is this a GIAS establishment download?)"))
    };
    let (urn_c, name_c, type_c) = (
        need("URN")?,
        need("EstablishmentName")?,
        need("TypeOfEstablishment (name)")?,
    );
    let (status_c, close_c) = (find("EstablishmentStatus (name)"), find("CloseDate"));
    let la_c = find("LA (code)").or_else(|| find("LA code"));
    let estab_c = find("EstablishmentNumber");
    let (low_c, high_c, east_c, north_c) = (
        need("StatutoryLowAge")?,
        need("StatutoryHighAge")?,
        need("Easting")?,
        need("Northing")?,
    );
    let opt = |n: &str| find(n);
    let (cap_c, roll_c) = (opt("SchoolCapacity"), opt("NumberOfPupils"));
    let (rp_roll, rp_cap, su_roll, su_cap) = (
        opt("ResourcedProvisionOnRoll"),
        opt("ResourcedProvisionCapacity"),
        opt("SenUnitOnRoll"),
        opt("SenUnitCapacity"),
    );
    let sen_cols: Vec<usize> = (1..=13)
        .filter_map(|i| find(&format!("SEN{i} (name)")))
        .collect();
    let mut report = GiasReport {
        status_unknown: status_c.is_none() && close_c.is_none(),
        ..GiasReport::default()
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    // The provisions loader's own columns, in its order, with BNG coordinates.
    let header = crate::load::provisions::COLUMNS
        .into_iter()
        .chain(["easting", "northing"])
        .chain(crate::load::provisions::OPTIONAL_COLUMNS);
    w.write_record(header).map_err(|e| e.to_string())?;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{file}: {e}"))?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        report.rows += 1;
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        let num = |c: Option<usize>| get(c).parse::<u32>().ok();
        let open = match (status_c, close_c) {
            (Some(c), _) => get(Some(c)).to_lowercase().starts_with("open"),
            (None, Some(c)) => get(Some(c)).is_empty(),
            (None, None) => true,
        };
        if !open {
            report.not_open += 1;
            continue;
        }
        let type_name = get(Some(type_c));
        let (kind, sector, capacity, on_roll) = match kind_and_sector(type_name) {
            Some((k, s)) => (k, s, num(cap_c), num(roll_c).unwrap_or(0)),
            None => {
                let places = num(rp_cap).unwrap_or(0) + num(su_cap).unwrap_or(0);
                if places == 0 {
                    report.not_send += 1;
                    continue;
                }
                (
                    "resource_base",
                    mainstream_sector(type_name),
                    Some(places),
                    num(rp_roll).unwrap_or(0) + num(su_roll).unwrap_or(0),
                )
            }
        };
        let urn = get(Some(urn_c));
        if urn.is_empty() {
            report.rejected.push((line, "URN".into(), "empty".into()));
            continue;
        }
        let (low, high) = (num(Some(low_c)), num(Some(high_c)));
        let (Some(low), Some(high)) = (low, high) else {
            report.rejected.push((
                line,
                "StatutoryLowAge".into(),
                "no statutory age range".into(),
            ));
            continue;
        };
        let (east, north) = (get(Some(east_c)), get(Some(north_c)));
        if east.parse::<f64>().is_err() || north.parse::<f64>().is_err() {
            report
                .rejected
                .push((line, "Easting".into(), "no grid reference".into()));
            continue;
        }
        let mut needs: Vec<&str> = sen_cols
            .iter()
            .filter_map(|&c| rec.get(c))
            .filter_map(|v| {
                let code = v.split(" - ").next().unwrap_or(v).trim();
                code.parse::<Need>()
                    .or_else(|_| v.trim().parse::<Need>())
                    .ok()
                    .map(Need::code)
            })
            .collect();
        needs.sort_unstable();
        needs.dedup();
        if needs.is_empty() {
            report.no_need_listed += 1;
            needs = Need::ALL.iter().map(|n| n.code()).collect();
        }
        let (id, name) = match kind {
            "resource_base" => (
                format!("{urn}-rb"),
                format!("{} (resourced provision)", get(Some(name_c))),
            ),
            _ => (urn.to_string(), get(Some(name_c)).to_string()),
        };
        w.write_record([
            id,
            name,
            kind.to_string(),
            needs.join(";"),
            low.min(25).to_string(),
            high.min(25).to_string(),
            capacity.map_or(String::new(), |c| c.to_string()),
            on_roll.to_string(),
            String::new(),
            east.to_string(),
            north.to_string(),
            sector.to_string(),
            urn.to_string(),
            laestab(get(la_c), get(estab_c)),
        ])
        .map_err(|e| e.to_string())?;
        *report.written.entry(kind.to_string()).or_default() += 1;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    Ok((String::from_utf8(bytes).map_err(|e| e.to_string())?, report))
}

/// The GIAS section of `import-report.md`.
pub fn report_md(r: &GiasReport, file: &str) -> String {
    let mut s = format!(
        "# Provisions from `{file}` (GIAS)\n\n{} establishments read; written: {}; {} not open, {} not special and without resourced places, {} with no SEN type listed (every need assumed), {} left out.\n",
        r.rows,
        if r.written.is_empty() {
            "none".to_string()
        } else {
            r.written
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        r.not_open,
        r.not_send,
        r.no_need_listed,
        r.rejected.len()
    );
    if r.status_unknown {
        s.push_str("\nThe file has no `EstablishmentStatus` or `CloseDate` column: every establishment was taken as open.\n");
    }
    if !r.rejected.is_empty() {
        s.push_str("\n| line | column | reason |\n|---|---|---|\n");
        for (line, col, why) in &r.rejected {
            s.push_str(&format!("| {line} | {col} | {why} |\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_to_kinds_and_sectors() {
        assert_eq!(
            kind_and_sector("Community special school"),
            Some(("special_school", "la_maintained"))
        );
        assert_eq!(
            kind_and_sector("Academy special converter"),
            Some(("special_school", "academy"))
        );
        assert_eq!(
            kind_and_sector("Free schools special"),
            Some(("special_school", "academy"))
        );
        assert_eq!(
            kind_and_sector("Non-maintained special school"),
            Some(("non_maintained_special", "non_maintained"))
        );
        assert_eq!(
            kind_and_sector("Other independent special school"),
            Some(("independent_special", "independent"))
        );
        assert_eq!(kind_and_sector("Academy converter"), None);
        assert_eq!(mainstream_sector("Academy converter"), "academy");
        assert_eq!(laestab("330", "4001"), "3304001");
        assert_eq!(laestab("857", "7"), "8570007");
        assert_eq!(laestab("", "4001"), "");
    }
}
