//! SEN2 targets adapter: `fixtures/sen2/targets.csv` (`authority,measure,value`, built by
//! `tools/sen2_targets.py`) -> [`Sen2Targets`] per authority. The shipped file is embedded in
//! the binary as [`BUILTIN_TARGETS_CSV`].

use std::collections::BTreeMap;

use crate::model::sen2::{PlacementGroup, Sen2Series, Sen2Targets};
use crate::model::status::PlacementStatus;
use crate::model::Need;

/// The SEN2 2024/25 targets shipped with nearhome (`fixtures/sen2/targets.csv`).
pub const BUILTIN_TARGETS_CSV: &str = include_str!("../../fixtures/sen2/targets.csv");

/// Label used in error messages for [`BUILTIN_TARGETS_CSV`].
pub const BUILTIN_TARGETS_LABEL: &str = "fixtures/sen2/targets.csv";

/// The SEN2 2018/19–2024/25 series shipped with nearhome (`fixtures/sen2/series.csv`).
pub const BUILTIN_SERIES_CSV: &str = include_str!("../../fixtures/sen2/series.csv");

/// Label used in error messages for [`BUILTIN_SERIES_CSV`].
pub const BUILTIN_SERIES_LABEL: &str = "fixtures/sen2/series.csv";

/// Why a SEN2 targets file could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Sen2Error {
    /// A row of the targets file is malformed.
    #[error("{source_label} line {line}, field `{field}`: {reason}")]
    Targets {
        /// The targets file label.
        source_label: String,
        /// 1-based physical line (the header is line 1).
        line: usize,
        /// Column name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The targets file has no rows for this authority.
    #[error("{source_label}: no SEN2 targets for authority {authority} (have: {available})")]
    UnknownAuthority {
        /// The targets file label.
        source_label: String,
        /// The authority code asked for.
        authority: String,
        /// Authorities present, comma-separated.
        available: String,
    },
    /// A measure the generator needs is missing for an authority.
    #[error("{source_label}: authority {authority} lacks measure `{measure}`")]
    MissingMeasure {
        /// The targets file label.
        source_label: String,
        /// The authority code.
        authority: String,
        /// The missing measure.
        measure: String,
    },
}

/// Parses a targets CSV (`authority,measure,value`) into one [`Sen2Targets`] per authority.
///
/// Measures: `ehc_plans`, `need.<NEED>`, `placement.<group>`, `placement_need.<group>.<NEED>`,
/// `placement_age.<group>.<age>`, and for the `elsewhere` group `status.<status>`,
/// `status_need.<status>.<NEED>`, `status_age.<status>.<age>`; any other measure (e.g.
/// `raw.*`) is ignored. `source` labels the file in error messages. Checks that the group,
/// status and need breakdowns add up (a file without `status.*` rows counts the whole
/// `elsewhere` group as `not_recorded`).
pub fn parse_targets(text: &str, source: &str) -> Result<BTreeMap<String, Sen2Targets>, Sen2Error> {
    let err = |line: usize, field: &'static str, reason: String| Sen2Error::Targets {
        source_label: source.to_string(),
        line,
        field,
        reason,
    };
    let text = &text[crate::model::bom_len(text.as_bytes())..];
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(err(1, "header", "the file is empty".into()));
    };
    let header: Vec<String> = header.split(',').map(|h| h.trim().to_lowercase()).collect();
    if header != ["authority", "measure", "value"] {
        return Err(err(
            1,
            "header",
            format!(
                "expected `authority,measure,value`, found `{}`",
                header.join(",")
            ),
        ));
    }
    let mut out: BTreeMap<String, Sen2Targets> = BTreeMap::new();
    for (index, raw) in lines {
        let line = index + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
        let [authority, measure, value] = fields[..] else {
            return Err(err(
                line,
                "value",
                format!("expected 3 fields, found {}", fields.len()),
            ));
        };
        if authority.is_empty() {
            return Err(err(line, "authority", "blank".into()));
        }
        let value: u32 = value.parse().map_err(|_| {
            err(
                line,
                "value",
                format!("`{value}` is not a whole number of plans"),
            )
        })?;
        let t = out
            .entry(authority.to_string())
            .or_insert_with(|| Sen2Targets {
                authority: authority.to_string(),
                ehc_plans: 0,
                need: BTreeMap::new(),
                placement: BTreeMap::new(),
                placement_need: BTreeMap::new(),
                placement_age: BTreeMap::new(),
                status: BTreeMap::new(),
                status_need: BTreeMap::new(),
                status_age: BTreeMap::new(),
            });
        let parts: Vec<&str> = measure.split('.').collect();
        let group = |s: &str| {
            PlacementGroup::parse(s)
                .ok_or_else(|| err(line, "measure", format!("unknown placement group `{s}`")))
        };
        let need = |s: &str| {
            s.parse::<Need>()
                .map_err(|e| err(line, "measure", e.to_string()))
        };
        let status = |s: &str| {
            s.parse::<PlacementStatus>()
                .ok()
                .filter(|st| !st.is_placed() && st.as_str() == s)
                .ok_or_else(|| err(line, "measure", format!("unknown placement status `{s}`")))
        };
        let age = |a: &str| {
            a.parse::<u8>()
                .map_err(|_| err(line, "measure", format!("`{a}` is not an age")))
        };
        match parts[..] {
            ["ehc_plans"] => t.ehc_plans = value,
            ["need", n] => {
                t.need.insert(need(n)?, value);
            }
            ["placement", g] => {
                t.placement.insert(group(g)?, value);
            }
            ["placement_need", g, n] => {
                t.placement_need.insert((group(g)?, need(n)?), value);
            }
            ["placement_age", g, a] => {
                t.placement_age.insert((group(g)?, age(a)?), value);
            }
            ["status", s] => {
                t.status.insert(status(s)?, value);
            }
            ["status_need", s, n] => {
                t.status_need.insert((status(s)?, need(n)?), value);
            }
            ["status_age", s, a] => {
                t.status_age.insert((status(s)?, age(a)?), value);
            }
            _ => {}
        }
    }
    for t in out.values_mut() {
        default_statuses(t);
        check_sums(t, source)?;
    }
    Ok(out)
}

/// A targets file from before placement statuses were extracted: the whole `elsewhere`
/// group, with its need and age mix, is `not_recorded`.
fn default_statuses(t: &mut Sen2Targets) {
    let elsewhere = t.placement_count(PlacementGroup::Elsewhere);
    if !t.status.is_empty() || elsewhere == 0 {
        return;
    }
    let s = PlacementStatus::NotRecorded;
    t.status.insert(s, elsewhere);
    for n in Need::ALL {
        let c = t.placement_need_count(PlacementGroup::Elsewhere, n);
        t.status_need.insert((s, n), c);
    }
    for (&(g, a), &c) in &t.placement_age {
        if g == PlacementGroup::Elsewhere {
            t.status_age.insert((s, a), c);
        }
    }
}

/// The breakdowns of one authority must add up to their totals.
fn check_sums(t: &Sen2Targets, source: &str) -> Result<(), Sen2Error> {
    let bad = |what: String| Sen2Error::Targets {
        source_label: source.to_string(),
        line: 0,
        field: "value",
        reason: format!("authority {}: {what}", t.authority),
    };
    let groups: u32 = t.placement.values().sum();
    if groups != t.ehc_plans {
        return Err(bad(format!(
            "placement groups sum to {groups}, ehc_plans is {}",
            t.ehc_plans
        )));
    }
    for g in PlacementGroup::ALL {
        let by_need: u32 = Need::ALL
            .into_iter()
            .map(|n| t.placement_need_count(g, n))
            .sum();
        if by_need != t.placement_count(g) {
            return Err(bad(format!(
                "placement_need.{g}.* sums to {by_need}, placement.{g} is {}",
                t.placement_count(g)
            )));
        }
    }
    let statuses: u32 = t.status.values().sum();
    let elsewhere = t.placement_count(PlacementGroup::Elsewhere);
    if statuses != elsewhere {
        return Err(bad(format!(
            "status.* sums to {statuses}, placement.elsewhere is {elsewhere}"
        )));
    }
    for (&s, &count) in &t.status {
        let by_need: u32 = Need::ALL
            .into_iter()
            .map(|n| t.status_need_count(s, n))
            .sum();
        if by_need != count {
            return Err(bad(format!(
                "status_need.{s}.* sums to {by_need}, status.{s} is {count}"
            )));
        }
    }
    for n in Need::ALL {
        let by_status: u32 = t.status.keys().map(|&s| t.status_need_count(s, n)).sum();
        let in_group = t.placement_need_count(PlacementGroup::Elsewhere, n);
        if by_status != in_group {
            return Err(bad(format!(
                "status_need.*.{n} sums to {by_status}, placement_need.elsewhere.{n} is {in_group}"
            )));
        }
    }
    for n in Need::ALL {
        let by_group: u32 = PlacementGroup::ALL
            .into_iter()
            .map(|g| t.placement_need_count(g, n))
            .sum();
        let total = t.need.get(&n).copied().unwrap_or(0);
        if by_group != total {
            return Err(bad(format!(
                "placement_need.*.{n} sums to {by_group}, need.{n} is {total}"
            )));
        }
    }
    Ok(())
}

/// The entry of `authority` in a file's per-authority map, or which authorities it has.
fn take_authority<T>(
    mut all: BTreeMap<String, T>,
    source: &str,
    authority: &str,
) -> Result<T, Sen2Error> {
    let available = all.keys().cloned().collect::<Vec<_>>().join(", ");
    all.remove(authority)
        .ok_or_else(|| Sen2Error::UnknownAuthority {
            source_label: source.to_string(),
            authority: authority.to_string(),
            available,
        })
}

/// The targets of `authority` (an ONS code such as `E08000025`) from [`BUILTIN_TARGETS_CSV`].
pub fn builtin_targets(authority: &str) -> Result<Sen2Targets, Sen2Error> {
    targets_for(BUILTIN_TARGETS_CSV, BUILTIN_TARGETS_LABEL, authority)
}

/// The targets of `authority` from a targets CSV text labelled `source`.
pub fn targets_for(text: &str, source: &str, authority: &str) -> Result<Sen2Targets, Sen2Error> {
    let t = take_authority(parse_targets(text, source)?, source, authority)?;
    if t.ehc_plans == 0 {
        return Err(Sen2Error::MissingMeasure {
            source_label: source.to_string(),
            authority: authority.to_string(),
            measure: "ehc_plans".into(),
        });
    }
    Ok(t)
}

/// Parses a series CSV (`authority,measure,year,value`, from `tools/sen2_series.py`) into
/// one [`Sen2Series`] per authority. Every row must have the four fields, a year in
/// 2000..=2100 and a finite count ≥ 0; a `(measure, year)` given twice is refused.
///
/// # Errors
/// [`Sen2Error::Targets`] naming the file, line and field.
pub fn parse_series(text: &str, source: &str) -> Result<BTreeMap<String, Sen2Series>, Sen2Error> {
    let mut out: BTreeMap<String, Sen2Series> = BTreeMap::new();
    let bad = |line: usize, field: &'static str, reason: String| Sen2Error::Targets {
        source_label: source.to_string(),
        line,
        field,
        reason,
    };
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, h)| h.trim_start_matches('\u{feff}').trim());
    if header != Some("authority,measure,year,value") {
        return Err(bad(
            1,
            "header",
            "expected `authority,measure,year,value`".into(),
        ));
    }
    for (i, raw) in lines {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = raw.split(',').map(str::trim).collect();
        let [authority, measure, year, value] = f[..] else {
            return Err(bad(line, "row", format!("{} fields, expected 4", f.len())));
        };
        if authority.is_empty() {
            return Err(bad(line, "authority", "empty".into()));
        }
        if measure.is_empty() {
            return Err(bad(line, "measure", "empty".into()));
        }
        let year: i32 = year
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                bad(
                    line,
                    "year",
                    format!("`{year}` is not a year in 2000..=2100"),
                )
            })?;
        let value: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad(line, "value", format!("`{value}` is not a count")))?;
        let s = out
            .entry(authority.to_string())
            .or_insert_with(|| Sen2Series {
                authority: authority.to_string(),
                ..Sen2Series::default()
            });
        if s.values
            .insert((measure.to_string(), year), value)
            .is_some()
        {
            return Err(bad(
                line,
                "measure",
                format!("`{measure}` {year} is given twice for {authority}"),
            ));
        }
    }
    Ok(out)
}

/// The series of `authority` from a series CSV text labelled `source`.
///
/// # Errors
/// A malformed file, an authority it lacks, or no `plans` series.
pub fn series_for(text: &str, source: &str, authority: &str) -> Result<Sen2Series, Sen2Error> {
    let s = take_authority(parse_series(text, source)?, source, authority)?;
    if s.series("plans").is_empty() {
        return Err(Sen2Error::MissingMeasure {
            source_label: source.to_string(),
            authority: authority.to_string(),
            measure: "plans".into(),
        });
    }
    Ok(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// A tiny authority: needs ASD and SEMH only, 42 generated pupils + 2 elsewhere.
    pub(crate) fn targets_csv() -> String {
        // (group, plans by need [ASD, SEMH], plans by (age, count))
        type Row = (&'static str, [u32; 2], [(u8, u32); 3]);
        let rows: [Row; 7] = [
            ("mainstream", [12, 8], [(5, 10), (12, 8), (3, 2)]),
            ("resourced", [4, 2], [(6, 3), (12, 3), (20, 0)]),
            ("special", [5, 3], [(7, 4), (13, 4), (2, 0)]),
            ("independent", [3, 1], [(14, 4), (9, 0), (19, 0)]),
            ("post16", [2, 1], [(17, 2), (19, 1), (16, 0)]),
            ("ap", [0, 1], [(14, 1), (13, 0), (12, 0)]),
            ("elsewhere", [1, 1], [(10, 2), (11, 0), (12, 0)]),
        ];
        let mut s = String::from("authority,measure,value\n");
        let mut need = [0u32; 2];
        let mut total = 0;
        for (g, by_need, by_age) in rows {
            let n: u32 = by_need.iter().sum();
            total += n;
            let _ = writeln!(s, "T,placement.{g},{n}");
            for (k, code) in ["ASD", "SEMH"].iter().enumerate() {
                need[k] += by_need[k];
                let _ = writeln!(s, "T,placement_need.{g}.{code},{}", by_need[k]);
            }
            for (age, c) in by_age {
                let _ = writeln!(s, "T,placement_age.{g}.{age},{c}");
            }
        }
        let _ = writeln!(s, "T,ehc_plans,{total}");
        let _ = writeln!(s, "T,need.ASD,{}\nT,need.SEMH,{}", need[0], need[1]);
        s.push_str("T,raw.special_independent,3\n");
        s
    }

    fn targets() -> Sen2Targets {
        targets_for(&targets_csv(), "test.csv", "T").unwrap()
    }

    #[test]
    fn builtin_targets_hold_the_published_sen2_totals() {
        let r = builtin_targets("E06000017").unwrap();
        assert_eq!(r.ehc_plans, 376);
        assert_eq!(r.need[&Need::Asd], 136);
        assert_eq!(r.placement_count(PlacementGroup::Independent), 33);
        let b = builtin_targets("E08000025").unwrap();
        assert_eq!(b.ehc_plans, 12_094);
        assert_eq!(b.need[&Need::Asd], 4_702);
        assert_eq!(b.placement_count(PlacementGroup::Special), 2_690 + 2_140);
        assert_eq!(b.placement_count(PlacementGroup::Independent), 229 + 3);
        assert_eq!(b.placement_count(PlacementGroup::Resourced), 722);
        assert_eq!(
            b.placement_count(PlacementGroup::Special)
                + b.placement_count(PlacementGroup::Independent),
            5_062
        );
        // the educated-elsewhere group by placement status (SEN2 caseload columns)
        use crate::model::status::PlacementStatus as S;
        assert_eq!(r.status_count(S::OtherArrangements), 33 + 2);
        assert_eq!(r.status_count(S::Neet), 2);
        assert_eq!(b.status_count(S::AwaitingProvision), 464);
        assert_eq!(b.status_count(S::MissingEducation), 138);
        assert_eq!(b.status_count(S::HomeEducated), 120);
        assert_eq!(b.status_need_count(S::AwaitingProvision, Need::Semh), 161);
        assert_eq!(b.status.values().sum::<u32>(), 1_274);
        let err = builtin_targets("E09999999").unwrap_err();
        assert!(err.to_string().contains("E06000017, E08000025"), "{err}");
    }

    #[test]
    fn targets_errors_name_line_and_field() {
        let bad_value = "authority,measure,value\nT,ehc_plans,12\nT,need.ASD,1.5\n";
        assert_eq!(
            parse_targets(bad_value, "t.csv").unwrap_err().to_string(),
            "t.csv line 3, field `value`: `1.5` is not a whole number of plans"
        );
        let bad_need = "authority,measure,value\nT,need.XYZ,1\n";
        let e = parse_targets(bad_need, "t.csv").unwrap_err().to_string();
        assert!(
            e.starts_with("t.csv line 2, field `measure`: unknown need \"XYZ\""),
            "{e}"
        );
        let bad_group = "authority,measure,value\nT,placement.school,1\n";
        let e = parse_targets(bad_group, "t.csv").unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv line 2, field `measure`: unknown placement group `school`"
        );
        let e = parse_targets("a,b\n", "t.csv").unwrap_err().to_string();
        assert!(e.contains("line 1, field `header`"), "{e}");
        let e = parse_targets("authority,measure,value\nT,ehc_plans\n", "t.csv").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        // breakdowns that do not add up are refused
        let uneven = targets_csv().replace("T,ehc_plans,44", "T,ehc_plans,45");
        let e = parse_targets(&uneven, "t.csv").unwrap_err().to_string();
        assert!(
            e.contains("placement groups sum to 44, ehc_plans is 45"),
            "{e}"
        );
        // a BOM and CRLF endings are accepted
        let crlf = format!("\u{feff}{}", targets_csv().replace('\n', "\r\n"));
        assert_eq!(parse_targets(&crlf, "t.csv").unwrap()["T"], targets());
    }
}
