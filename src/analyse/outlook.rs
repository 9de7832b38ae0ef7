//! Which pupils' journeys a scenario will route and which it will estimate, found before
//! any routing by snapping the homes and the placements' sites (what `validate` reports).
//! A journey is *routable* when both ends snap within `max_snap_m` (it may still prove
//! unreachable when routed); *estimated* when the home snaps but the placement does not,
//! or when there is no road network at all; *none* when the home does not snap or the
//! placement id is unknown. No I/O here.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::model::{Provision, Pupil};
use crate::query::route::Network;

/// Counts of the journeys a scenario will have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JourneyOutlook {
    /// Pupils.
    pub pupils: usize,
    /// Both home and placement snap: the journey will be routed (if reachable).
    pub routable: usize,
    /// The journey will be estimated from the great-circle distance.
    pub estimated: usize,
    /// Home not within `max_snap_m` of a road: no journey.
    pub home_unsnappable: usize,
    /// Placement id not among the provisions: no journey.
    pub unknown_placement: usize,
    /// True when a road network was there to snap to.
    pub roads: bool,
}

/// How a pupil's journey will be obtained.
enum Fate {
    Routable,
    Estimated,
    HomeUnsnappable,
    UnknownPlacement,
}

/// The outlook of `pupils` placed at `provisions` on `network` (`None`: no road extract, so
/// every journey with a known placement will be estimated).
pub fn journey_outlook(
    network: Option<&Network>,
    provisions: &[Provision],
    pupils: &[Pupil],
    max_snap_m: f64,
) -> JourneyOutlook {
    let sites: HashMap<&str, bool> = provisions
        .par_iter()
        .map(|p| {
            let snaps = network.is_some_and(|n| n.snap(p.location, max_snap_m).is_ok());
            (p.id.as_str(), snaps)
        })
        .collect();
    let fates: Vec<Fate> = pupils
        .par_iter()
        .map(|u| {
            let Some(&site_snaps) = sites.get(u.placement_id.as_str()) else {
                return Fate::UnknownPlacement;
            };
            match network {
                None => Fate::Estimated,
                Some(n) if n.snap(u.home, max_snap_m).is_err() => Fate::HomeUnsnappable,
                Some(_) if site_snaps => Fate::Routable,
                Some(_) => Fate::Estimated,
            }
        })
        .collect();
    let mut o = JourneyOutlook {
        pupils: pupils.len(),
        roads: network.is_some(),
        ..JourneyOutlook::default()
    };
    for f in fates {
        match f {
            Fate::Routable => o.routable += 1,
            Fate::Estimated => o.estimated += 1,
            Fate::HomeUnsnappable => o.home_unsnappable += 1,
            Fate::UnknownPlacement => o.unknown_placement += 1,
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LatLon, Need, ProvisionKind};

    fn provision(id: &str) -> Provision {
        Provision {
            id: id.into(),
            name: id.into(),
            kind: ProvisionKind::SpecialSchool,
            needs: vec![Need::Asd],
            age_min: 4,
            age_max: 18,
            capacity: Some(10),
            on_roll: 0,
            annual_cost_gbp: None,
            location: LatLon { lat: 0.0, lon: 0.0 },
            sector: None,
            line: 0,
        }
    }

    fn pupil(placement: &str) -> Pupil {
        Pupil {
            id: "P".into(),
            age: 8,
            need: Need::Asd,
            home: LatLon { lat: 0.0, lon: 0.1 },
            placement_id: placement.into(),
            transport: None,
            transport_cost_gbp: None,
            travel: Default::default(),
            line: 0,
        }
    }

    #[test]
    fn without_roads_every_known_placement_is_estimated() {
        let provisions = [provision("S")];
        let pupils = [pupil("S"), pupil("S"), pupil("nowhere")];
        let o = journey_outlook(None, &provisions, &pupils, 1000.0);
        assert_eq!(
            o,
            JourneyOutlook {
                pupils: 3,
                routable: 0,
                estimated: 2,
                home_unsnappable: 0,
                unknown_placement: 1,
                roads: false,
            }
        );
    }
}
