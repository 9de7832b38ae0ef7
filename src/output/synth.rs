//! The synthetic pupils' outputs: `pupils.csv` text and the calibration table (CSV and
//! Markdown) of a [`SynthOutput`]. Formatting only: every figure comes from
//! [`crate::analyse::synth::generate`]. Must not import `crate::serve` or `crate::app`.

use std::fmt::Write as _;

use crate::analyse::synth::{SynthError, SynthOutput};
use crate::model::status::PlacementStatus;
use crate::model::{LatLon, Need, TravelNeeds};

/// The columns of one `pupils.csv` row, borrowed from a placed or an unplaced pupil.
struct Row<'a> {
    id: &'a str,
    age: u8,
    need: Need,
    home: LatLon,
    home_index: usize,
    placement_id: &'a str,
    status: PlacementStatus,
    transport: &'static str,
    travel: TravelNeeds,
}

impl SynthOutput {
    /// Every pupil, placed or not, as `pupils.csv` text in id order: `id,age,need,lat,lon,
    /// placement_id,placement_status,transport,transport_cost_gbp` (homes to 6 decimal
    /// places), then `wheelchair,escort,solo` (`yes`/`no`), or with `home_labels` (e.g. the
    /// postcode of each candidate home, indexed like the `homes` given to
    /// [`crate::analyse::synth::generate`]) a `postcode` column instead of `lat,lon`. Pupils
    /// without a placement have a blank `placement_id` and `transport`; the cost column is
    /// blank.
    pub fn pupils_csv(&self, home_labels: Option<&[String]>) -> Result<String, SynthError> {
        let fail = |e: csv::Error| SynthError::Config(format!("writing pupils CSV: {e}"));
        let mut w = csv::Writer::from_writer(Vec::new());
        let place: &[&str] = if home_labels.is_some() {
            &["postcode"]
        } else {
            &["lat", "lon"]
        };
        let mut header = vec!["id", "age", "need"];
        header.extend_from_slice(place);
        header.extend_from_slice(&[
            "placement_id",
            "placement_status",
            "transport",
            "transport_cost_gbp",
            "wheelchair",
            "escort",
            "solo",
        ]);
        w.write_record(&header).map_err(fail)?;
        let flag = |b: bool| if b { "yes" } else { "no" }.to_string();
        for p in self.rows_in_id_order() {
            let mut rec = vec![
                p.id.to_string(),
                p.age.to_string(),
                p.need.code().to_string(),
            ];
            match home_labels {
                Some(labels) => {
                    let Some(label) = labels.get(p.home_index) else {
                        return Err(SynthError::Config(format!(
                            "{} home labels given, but a pupil lives at home {}",
                            labels.len(),
                            p.home_index
                        )));
                    };
                    rec.push(label.clone());
                }
                None => {
                    rec.push(format!("{:.6}", p.home.lat));
                    rec.push(format!("{:.6}", p.home.lon));
                }
            }
            rec.push(p.placement_id.to_string());
            rec.push(p.status.as_str().to_string());
            rec.push(p.transport.to_string());
            rec.push(String::new());
            rec.push(flag(p.travel.wheelchair));
            rec.push(flag(p.travel.escort));
            rec.push(flag(p.travel.solo));
            w.write_record(&rec).map_err(fail)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| SynthError::Config(format!("writing pupils CSV: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|e| SynthError::Config(format!("pupils CSV is not UTF-8: {e}")))
    }

    /// Placed and unplaced pupils merged by id (both lists are in id order).
    fn rows_in_id_order(&self) -> Vec<Row<'_>> {
        let placed = self.pupils.iter().map(|sp| Row {
            id: &sp.pupil.id,
            age: sp.pupil.age,
            need: sp.pupil.need,
            home: sp.pupil.home,
            home_index: sp.home_index,
            placement_id: &sp.pupil.placement_id,
            status: PlacementStatus::Placed,
            transport: sp.pupil.transport.map_or("", |t| t.as_str()),
            travel: sp.pupil.travel,
        });
        let unplaced = self.unplaced.iter().map(|su| Row {
            id: &su.pupil.id,
            age: su.pupil.age,
            need: su.pupil.need,
            home: su.pupil.home,
            home_index: su.home_index,
            placement_id: "",
            status: su.pupil.status,
            transport: "",
            travel: TravelNeeds::default(),
        });
        let mut rows: Vec<Row<'_>> = placed.chain(unplaced).collect();
        rows.sort_by(|a, b| a.id.cmp(b.id));
        rows
    }

    /// The calibration table as CSV (`measure,sen2,excluded,target,generated,exact,note`).
    pub fn calibration_csv(&self) -> String {
        let mut s = String::from("measure,sen2,excluded,target,generated,exact,note\n");
        for r in &self.calibration {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},\"{}\"",
                r.measure,
                r.sen2.map(|v| v.to_string()).unwrap_or_default(),
                r.excluded,
                r.target.map(|v| v.to_string()).unwrap_or_default(),
                r.generated,
                r.exact,
                r.note.replace('"', "\"\"")
            );
        }
        s
    }

    /// The headline calibration rows (totals, needs, groups, age bands, out of area) as a
    /// Markdown table; `placement_need.*` rows are summarised by a count of rows met.
    pub fn calibration_markdown(&self) -> String {
        let mut s = String::from(
            "| measure | SEN2 2024/25 | no journey | target | generated | note |\n|---|---:|---:|---:|---:|---|\n",
        );
        let cell = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
        let mut joint = (0usize, 0usize);
        let mut status_joint = (0usize, 0usize);
        for r in &self.calibration {
            if r.measure.starts_with("placement_need.") {
                joint.0 += 1;
                joint.1 += usize::from(r.is_met());
                continue;
            }
            if r.measure.starts_with("status_need.") {
                status_joint.0 += 1;
                status_joint.1 += usize::from(r.is_met());
                continue;
            }
            let empty = r.sen2.unwrap_or(0) == 0 && r.target.unwrap_or(0) == 0 && r.generated == 0;
            if empty && r.measure.starts_with("age_band.") {
                continue;
            }
            let target = match (r.target, r.exact) {
                (Some(t), false) => format!("≈{t}"),
                (t, _) => cell(t),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                r.measure,
                cell(r.sen2),
                r.excluded,
                target,
                r.generated,
                r.note
            );
        }
        let _ = writeln!(
            s,
            "| placement_need.* (group × need) | | | {} rows | {} met exactly | |",
            joint.0, joint.1
        );
        let _ = writeln!(
            s,
            "| status_need.* (placement status × need) | | | {} rows | {} met exactly | |",
            status_joint.0, status_joint.1
        );
        s
    }
}
