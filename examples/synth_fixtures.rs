//! Generates the shipped scenarios' synthetic `pupils.csv` and calibration tables with the
//! fixed seed, exactly as `nearhome synth SCENARIO` does, but writing a `postcode` column
//! (instead of `lat,lon`) when the scenario has a postcode table.
//!
//! Run from the project root: `cargo run --release --example synth_fixtures [rutland|birmingham]`.
//! Writes `fixtures/scenarios/<name>/pupils.csv` and `.../calibration.csv`, and prints the
//! Markdown calibration tables (for `docs/synth.md`). Afterwards run
//! `python3 tools/fill_on_roll.py` to write the provisions' `on_roll`.
//!
//! Homes: the scenario's postcode centroids (Birmingham), else the points of the residential
//! roads of the extract's routable network (Rutland), as in the CLI.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use nearhome::model::LatLon;
use nearhome::scenario::Scenario;
use nearhome::synth::{builtin_targets, generate, SynthConfig};

/// The seed of the shipped pupils (the CLI's default).
const SEED: u64 = 2025;

fn main() -> Result<()> {
    let which: Vec<String> = std::env::args().skip(1).collect();
    let names = if which.is_empty() {
        vec!["rutland".to_string(), "birmingham".to_string()]
    } else {
        which
    };
    for name in names {
        run(&name).with_context(|| format!("scenario {name}"))?;
    }
    Ok(())
}

fn run(name: &str) -> Result<()> {
    let dir = Path::new("fixtures/scenarios").join(name);
    let (scenario, _report) = Scenario::load(&dir.join("scenario.toml"), None)?;
    let la = scenario
        .config
        .la_code
        .clone()
        .context("scenario has no la_code")?;
    let (homes, labels): (Vec<LatLon>, Option<Vec<String>>) = match &scenario.postcodes {
        Some(table) => {
            let (codes, points) = table.entries().iter().cloned().unzip();
            (points, Some(codes))
        }
        None => {
            let net = nearhome::pipeline::load_scenario_network(&scenario)?;
            (net.graph.residential_points(), None)
        }
    };
    let cfg = SynthConfig::new(builtin_targets(&la)?, SEED);
    let boundary = &scenario.boundary;
    let out = generate(&cfg, &scenario.provisions, &homes, &|p| {
        boundary.contains(p)
    })?;
    if !out.is_calibrated() {
        bail!("not calibrated:\n{}", out.calibration_csv());
    }
    fs::write(dir.join("pupils.csv"), out.pupils_csv(labels.as_deref())?)?;
    fs::write(dir.join("calibration.csv"), out.calibration_csv())?;
    eprintln!(
        "{name}: {} pupils from {} homes in area, re-aged {}",
        out.pupils.len(),
        out.homes_in_area,
        out.re_aged
    );
    let mut by_kind: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for (p, &n) in scenario.provisions.iter().zip(&out.placed) {
        let e = by_kind.entry(p.kind.to_string()).or_default();
        e.0 += n;
        e.1 += p.capacity.unwrap_or(0);
    }
    eprintln!("{name}: placed / known capacity by kind {by_kind:?}");
    println!("## {name}\n\n{}", out.calibration_markdown());
    Ok(())
}
