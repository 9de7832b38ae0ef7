//! The synthetic pupils' outputs: `pupils.csv` text and the calibration table (CSV and
//! Markdown) of a [`SynthOutput`]. Formatting only: every figure comes from
//! [`crate::analyse::synth::generate`]. Must not import `crate::serve` or `crate::app`.

use std::fmt::Write as _;

use crate::analyse::synth::{SynthError, SynthOutput};

impl SynthOutput {
    /// The pupils as `pupils.csv` text, in id order: `id,age,need,lat,lon,placement_id,
    /// transport,transport_cost_gbp` (homes to 6 decimal places), or with `home_labels`
    /// (e.g. the postcode of each candidate home, indexed like the `homes` given to
    /// [`crate::analyse::synth::generate`]) a `postcode` column instead of `lat,lon`. The cost column is blank.
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
        header.extend_from_slice(&["placement_id", "transport", "transport_cost_gbp"]);
        w.write_record(&header).map_err(fail)?;
        for sp in &self.pupils {
            let p = &sp.pupil;
            let mut rec = vec![p.id.clone(), p.age.to_string(), p.need.code().to_string()];
            match home_labels {
                Some(labels) => {
                    let Some(label) = labels.get(sp.home_index) else {
                        return Err(SynthError::Config(format!(
                            "{} home labels given, but a pupil lives at home {}",
                            labels.len(),
                            sp.home_index
                        )));
                    };
                    rec.push(label.clone());
                }
                None => {
                    rec.push(format!("{:.6}", p.home.lat));
                    rec.push(format!("{:.6}", p.home.lon));
                }
            }
            rec.push(p.placement_id.clone());
            rec.push(
                p.transport
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
            );
            rec.push(String::new());
            w.write_record(&rec).map_err(fail)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| SynthError::Config(format!("writing pupils CSV: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|e| SynthError::Config(format!("pupils CSV is not UTF-8: {e}")))
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
            "| measure | SEN2 2024/25 | not generated | target | generated | note |\n|---|---:|---:|---:|---:|---|\n",
        );
        let cell = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
        let mut joint = (0usize, 0usize);
        for r in &self.calibration {
            if r.measure.starts_with("placement_need.") {
                joint.0 += 1;
                joint.1 += usize::from(r.is_met());
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
        s
    }
}
