//! Council pupil snapshots for `nearhome project --snapshots`: the `pupils.csv` format with a
//! `year` column, one row per pupil per annual snapshot. Only `year`, `id`, `age`, `need` and
//! the setting are read (any other column, homes included, is ignored and never kept). The
//! setting is the `setting` column when present, else the provision kind of `placement_id`
//! among the scenario's provisions, else the `placement_status` of a pupil without one.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::snapshot::SnapshotRecord;
use crate::model::{Need, Provision};

/// What the reader counted beside the records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnapshotCounts {
    /// Rows read.
    pub rows: usize,
    /// Rows whose `placement_id` is not a scenario provision (setting `unknown_placement`).
    pub unknown_placement: usize,
    /// Rows with neither a placement nor a status (setting `not_recorded`).
    pub not_recorded: usize,
}

/// Parses snapshot CSV `text` labelled `source`.
///
/// # Errors
/// A message naming the file, line and field: a missing `year`/`id`/`age`/`need` column, a
/// year outside 2000..=2100, an age outside 0..=25, an unknown need, an empty id, or an id
/// given twice in one year.
pub fn parse_snapshots(
    text: &str,
    source: &str,
    provisions: &[Provision],
) -> Result<(Vec<SnapshotRecord>, SnapshotCounts), String> {
    let kinds: BTreeMap<&str, &str> = provisions
        .iter()
        .map(|p| (p.id.as_str(), p.kind.as_str()))
        .collect();
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("{source} line 1: {e}"))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let need_col = |name: &str| {
        find(name).ok_or_else(|| format!("{source} line 1, field `{name}`: missing column"))
    };
    let (year_c, id_c, age_c, need_c) = (
        need_col("year")?,
        need_col("id")?,
        need_col("age")?,
        need_col("need")?,
    );
    let (setting_c, placement_c, status_c) = (
        find("setting"),
        find("placement_id"),
        find("placement_status"),
    );
    let mut out = Vec::new();
    let mut counts = SnapshotCounts::default();
    let mut seen: BTreeSet<(i32, String)> = BTreeSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("{source} line {line}: {e}"))?;
        let field = |c: usize| rec.get(c).unwrap_or("");
        let bad = |name: &str, why: String| format!("{source} line {line}, field `{name}`: {why}");
        let year: i32 = field(year_c)
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                bad(
                    "year",
                    format!("`{}` is not a year in 2000..=2100", field(year_c)),
                )
            })?;
        let id = field(id_c).to_string();
        if id.is_empty() {
            return Err(bad("id", "empty".into()));
        }
        let age: u8 = field(age_c)
            .parse()
            .ok()
            .filter(|a| crate::model::AGE_RANGE.contains(a))
            .ok_or_else(|| bad("age", "not an age in 0..=25".to_string()))?;
        let need: Need = field(need_c).parse().map_err(|_| {
            bad(
                "need",
                format!("not a primary need: expected {}", Need::allowed_codes()),
            )
        })?;
        let setting = match (
            setting_c.map(field),
            placement_c.map(field),
            status_c.map(field),
        ) {
            (Some(s), _, _) if !s.is_empty() => s.to_string(),
            (_, Some(p), _) if !p.is_empty() => match kinds.get(p) {
                Some(k) => (*k).to_string(),
                None => {
                    counts.unknown_placement += 1;
                    "unknown_placement".into()
                }
            },
            (_, _, Some(st)) if !st.is_empty() => st.to_string(),
            _ => {
                counts.not_recorded += 1;
                "not_recorded".into()
            }
        };
        if !seen.insert((year, id.clone())) {
            return Err(bad(
                "id",
                format!("the same id is on an earlier row of {year}"),
            ));
        }
        counts.rows += 1;
        out.push(SnapshotRecord {
            year,
            id,
            age,
            need,
            setting,
        });
    }
    Ok((out, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_records_and_faults_name_line_and_field() {
        let text = "year,id,age,need,lat,lon,placement_id,placement_status\n2023,A,7,ASD,52,0,x-school,placed\n2024,A,8,asd,52,0,,home_educated\n2024,B,5,SEMH,52,0,,\n";
        let (r, c) = parse_snapshots(text, "s.csv", &[]).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].setting, "unknown_placement");
        assert_eq!(r[1].setting, "home_educated");
        assert_eq!(r[2].setting, "not_recorded");
        assert_eq!((c.unknown_placement, c.not_recorded), (1, 1));
        let e = parse_snapshots("year,id,age,need\n2023,A,30,ASD\n", "s.csv", &[]).unwrap_err();
        assert!(e.contains("s.csv line 2, field `age`"), "{e}");
        let e = parse_snapshots("id,age,need\nA,3,ASD\n", "s.csv", &[]).unwrap_err();
        assert!(e.contains("field `year`: missing column"), "{e}");
        let e = parse_snapshots(
            "year,id,age,need\n2023,A,3,ASD\n2023,A,4,ASD\n",
            "s.csv",
            &[],
        )
        .unwrap_err();
        assert!(
            e.contains("line 3, field `id`") && e.contains("earlier row") && !e.contains("`A`"),
            "{e}"
        );
        let e = parse_snapshots("year,id,age,need\n2023,A,3,XYZ\n", "s.csv", &[]).unwrap_err();
        assert!(e.contains("field `need`"), "{e}");
    }
}
