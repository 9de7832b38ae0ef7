//! Dev-only helpers for benches and integration tests (hidden from the docs, not part of
//! the stable API): a deterministic synthetic scenario on any road network, and test
//! oracles that must not live in the product modules ([`snap_brute_force`]).
//!
//! The synthetic scenario:
//! 150 provisions at junctions of the network (mainstream, resource bases, special schools
//! in the "area", special and independent special schools and post-16 colleges outside
//! it), and pupils generated with [`crate::analyse::synth::generate`] from Birmingham's SEN2 mix,
//! scaled to the requested total. The area is the part of the network's bounding box below
//! its latitude at `area_fraction` of the height.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::analyse::synth::{generate, SynthConfig};
use crate::index::graph::RoadGraph;
use crate::load::sen2::builtin_targets;
use crate::model::area::Boundary;
use crate::model::proj::closest_on_segment;
use crate::model::scenario::{Scenario, ScenarioConfig};
use crate::model::{LatLon, Need, Provision, ProvisionKind, Pupil};
use crate::query::route::Network;

/// A synthetic scenario: provisions, pupils and the latitude below which is "in area".
#[derive(Debug, Clone)]
pub struct SyntheticScenario {
    /// Provisions.
    pub provisions: Vec<Provision>,
    /// Pupils.
    pub pupils: Vec<Pupil>,
    /// Points with latitude below this are in the home authority.
    pub area_max_lat: f64,
}

impl SyntheticScenario {
    /// True when a point is in the home authority.
    pub fn in_area(&self, p: LatLon) -> bool {
        p.lat < self.area_max_lat
    }

    /// Wrap as a loaded [`Scenario`] on `net` (boundary: everything below `area_max_lat`,
    /// no area layers), ready for [`crate::app::analyse_loaded`].
    pub fn to_scenario(&self, net: &Network) -> Scenario {
        let toml = "name = \"synthetic bench\"\nosm = \"x.osm.pbf\"\nboundary = \"b.geojson\"\nprovisions = \"p.csv\"\n";
        let config = ScenarioConfig::from_toml_str(toml, "benchkit")
            .expect("the built-in bench toml parses");
        let [min_lon, min_lat, max_lon, _] = net.graph.bbox();
        let rect = geo::Rect::new(
            geo::coord! { x: min_lon - 1.0, y: min_lat - 1.0 },
            geo::coord! { x: max_lon + 1.0, y: self.area_max_lat },
        );
        Scenario {
            config,
            dir: std::path::PathBuf::from("."),
            boundary: Boundary::new(geo::MultiPolygon(vec![rect.to_polygon()])),
            area_layers: Vec::new(),
            provisions: self.provisions.clone(),
            pupils: self.pupils.clone(),
            unplaced: Vec::new(),
            postcodes: None,
        }
    }
}

/// Build the scenario (deterministic for `seed`).
///
/// # Errors
/// When the generator cannot place the pupils (message from [`crate::analyse::synth`]).
pub fn synthetic_scenario(
    net: &Network,
    n_pupils: u32,
    seed: u64,
) -> Result<SyntheticScenario, String> {
    let [_, min_lat, _, max_lat] = net.graph.bbox();
    let area_max_lat = min_lat + 0.6 * (max_lat - min_lat);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for v in 0..net.graph.node_count() as u32 {
        let p = net.graph.junction(v).pos;
        if p.lat < area_max_lat {
            inside.push(p);
        } else {
            outside.push(p);
        }
    }
    inside.shuffle(&mut rng);
    outside.shuffle(&mut rng);
    let (mut ii, mut oi) = (0usize, 0usize);
    let mut provisions = Vec::new();
    let mut add = |rng: &mut ChaCha8Rng,
                   kind: ProvisionKind,
                   n: usize,
                   in_area: bool,
                   needs_per: usize,
                   capacity: u32| {
        for _ in 0..n {
            let loc = if in_area {
                ii += 1;
                inside[(ii - 1) % inside.len().max(1)]
            } else {
                oi += 1;
                outside[(oi - 1) % outside.len().max(1)]
            };
            let mut needs = Need::ALL.to_vec();
            needs.shuffle(rng);
            needs.truncate(needs_per);
            // Autism is the largest need: every base takes it, as in Birmingham's network.
            if !needs.contains(&Need::Asd) {
                needs[0] = Need::Asd;
            }
            needs.sort();
            let (age_min, age_max) = match kind {
                ProvisionKind::Post16 => (16, 18),
                ProvisionKind::ResourceBase => {
                    if rng.random_bool(0.5) {
                        (4, 11)
                    } else {
                        (11, 18)
                    }
                }
                _ => (4, 18),
            };
            let i = provisions.len();
            provisions.push(Provision {
                id: format!("S{i:03}"),
                name: format!("Synthetic {} {i}", kind.as_str()),
                kind,
                needs,
                age_min,
                age_max,
                capacity: Some(capacity),
                on_roll: capacity,
                annual_cost_gbp: None,
                location: loc,
                sector: None,
                line: i + 2,
            });
        }
    };
    let scale = f64::from(n_pupils) / 12_094.0;
    let cap = |n: f64| ((n * scale).ceil() as u32).max(4);
    add(
        &mut rng,
        ProvisionKind::Mainstream,
        36,
        true,
        12,
        cap(150.0),
    );
    add(
        &mut rng,
        ProvisionKind::ResourceBase,
        50,
        true,
        4,
        cap(40.0),
    );
    add(
        &mut rng,
        ProvisionKind::SpecialSchool,
        24,
        true,
        12,
        cap(230.0),
    );
    add(
        &mut rng,
        ProvisionKind::SpecialSchool,
        6,
        false,
        12,
        cap(150.0),
    );
    add(
        &mut rng,
        ProvisionKind::IndependentSpecial,
        20,
        false,
        12,
        cap(20.0),
    );
    add(&mut rng, ProvisionKind::Post16, 10, true, 12, cap(200.0));
    add(
        &mut rng,
        ProvisionKind::AlternativeProvision,
        4,
        true,
        12,
        cap(12.0),
    );
    let homes = net.graph.residential_points();
    let targets = builtin_targets("E08000025").map_err(|e| e.to_string())?;
    // `n_pupils` placed pupils: scale the plans up by Birmingham's share without a placement
    let plans = u64::from(n_pupils) * u64::from(targets.ehc_plans)
        / u64::from(targets.placed_total().max(1));
    let mut cfg = SynthConfig::new(targets, seed);
    cfg.total_pupils = Some(u32::try_from(plans).unwrap_or(u32::MAX));
    let out = generate(&cfg, &provisions, &homes, &|p: LatLon| p.lat < area_max_lat)
        .map_err(|e| e.to_string())?;
    let pupils = out.pupils.into_iter().map(|s| s.pupil).collect();
    // Free some places in area so that bring-back has room: on_roll was the generator's
    // capacity; keep capacity 10% above the pupils actually placed.
    let mut placed = vec![0u32; provisions.len()];
    for p in &pupils {
        let p: &Pupil = p;
        if let Some(i) = provisions.iter().position(|q| q.id == p.placement_id) {
            placed[i] += 1;
        }
    }
    for (p, n) in provisions.iter_mut().zip(placed) {
        p.on_roll = n;
        p.capacity = Some(n + (n / 10).max(2));
    }
    Ok(SyntheticScenario {
        provisions,
        pupils,
        area_max_lat,
    })
}

/// Brute-force snap over every segment (test oracle for
/// [`crate::index::snap::SnapIndex`]): `(piece, segment, distance_m)` of the nearest.
pub fn snap_brute_force(graph: &RoadGraph, p: LatLon) -> Option<(u32, u32, f64)> {
    let mut best: Option<(u32, u32, f64)> = None;
    for pi in 0..graph.pieces().len() as u32 {
        for (si, w) in graph.piece_coords(pi).windows(2).enumerate() {
            let (_, d) = closest_on_segment(p, w[0], w[1]);
            if best.is_none_or(|(_, _, bd)| d < bd) {
                best = Some((pi, si as u32, d));
            }
        }
    }
    best
}
