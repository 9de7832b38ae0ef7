//! Generates the shipped scenarios' synthetic `pupils.csv` and calibration tables with the
//! fixed seed, until `nearhome synth` does the same.
//!
//! Run from the project root: `cargo run --release --example synth_fixtures [rutland|birmingham]`.
//! Writes `fixtures/scenarios/<name>/pupils.csv` and `.../calibration.csv`, and prints the
//! Markdown calibration table (for `docs/synth.md`). Afterwards run
//! `python3 tools/fill_on_roll.py` to write the provisions' `on_roll`.
//!
//! Homes: Birmingham uses its postcode centroids (the `postcode` column is written);
//! Rutland uses every node of the extract's `highway=residential` and
//! `highway=living_street` ways inside the boundary (deduplicated, in node-id order).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use nearhome::io::areas::load_boundary;
use nearhome::io::postcodes::load_postcodes;
use nearhome::io::provisions::load_provisions;
use nearhome::model::LatLon;
use nearhome::scenario::ScenarioConfig;
use nearhome::synth::{builtin_targets, generate, SynthConfig, SynthOutput};

/// The seed of the shipped pupils.
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
    let toml_path = dir.join("scenario.toml");
    let cfg = ScenarioConfig::from_toml_str(
        &fs::read_to_string(&toml_path)?,
        &toml_path.display().to_string(),
    )?;
    let la = cfg.la_code.clone().context("scenario has no la_code")?;
    let prov_path = dir.join(&cfg.provisions);
    let loaded = load_provisions(&fs::read(&prov_path)?, &prov_path.display().to_string())?;
    if loaded.rows_rejected > 0 {
        bail!(
            "{} rejected provision rows: {:?}",
            loaded.rows_rejected,
            loaded.issues
        );
    }
    let provisions = loaded.items;
    let b_path = dir.join(&cfg.boundary);
    let (boundary, _) = load_boundary(&fs::read(&b_path)?, &b_path.display().to_string())?;

    let (homes, postcodes): (Vec<LatLon>, Option<Vec<String>>) = match &cfg.postcodes {
        Some(pc) => {
            let path = dir.join(pc);
            let (table, _) = load_postcodes(&fs::read(&path)?, &path.display().to_string())?;
            let (codes, points): (Vec<String>, Vec<LatLon>) =
                table.entries().iter().cloned().unzip();
            (points, Some(codes))
        }
        None => (residential_points(&dir.join(&cfg.osm))?, None),
    };
    let synth_cfg = SynthConfig::new(builtin_targets(&la)?, SEED);
    let inside = |p: LatLon| boundary.contains(p);
    let out = generate(&synth_cfg, &provisions, &homes, &inside)?;
    if !out.is_calibrated() {
        bail!("not calibrated:\n{}", out.calibration_csv());
    }
    write_outputs(&dir, &out, postcodes.as_deref())?;
    eprintln!(
        "{name}: {} pupils from {} homes in area, re-aged {}",
        out.pupils.len(),
        out.homes_in_area,
        out.re_aged
    );
    let mut by_kind: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for (p, &n) in provisions.iter().zip(&out.placed) {
        let e = by_kind.entry(p.kind.to_string()).or_default();
        e.0 += n;
        e.1 += p.capacity.unwrap_or(0);
    }
    eprintln!("{name}: placed / capacity by kind {by_kind:?}");
    println!("## {name}\n\n{}", out.calibration_markdown());
    Ok(())
}

fn write_outputs(dir: &Path, out: &SynthOutput, postcodes: Option<&[String]>) -> Result<()> {
    fs::write(dir.join("pupils.csv"), out.pupils_csv(postcodes)?)?;
    fs::write(dir.join("calibration.csv"), out.calibration_csv())?;
    Ok(())
}

/// Nodes of residential and living-street ways, deduplicated, in node-id order.
fn residential_points(pbf: &Path) -> Result<Vec<LatLon>> {
    let file = fs::File::open(pbf).with_context(|| format!("opening {}", pbf.display()))?;
    let mut reader = osmpbfreader::OsmPbfReader::new(file);
    let mut wanted = std::collections::BTreeSet::new();
    for way in reader.iter_ways() {
        let way = way?;
        if matches!(
            way.tags.get("highway").map(|v| v.as_str()),
            Some("residential" | "living_street")
        ) {
            wanted.extend(way.nodes.iter().map(|n| n.0));
        }
    }
    reader.rewind()?;
    let mut found = BTreeMap::new();
    for node in reader.iter_nodes() {
        let node = node?;
        if wanted.contains(&node.id.0) {
            found.insert(
                node.id.0,
                LatLon {
                    lat: node.lat(),
                    lon: node.lon(),
                },
            );
        }
    }
    Ok(found.into_values().collect())
}
