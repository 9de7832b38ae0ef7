//! Properties of routes on the real Rutland and Isle of Man extracts (`osm/`), on a
//! deterministic sample of point pairs: geometry continuous, along allowed roads and as long
//! as `distance_m`; the time metric never slower and the distance metric never longer; road
//! distance never below the great-circle distance; the triangle inequality at junctions.

use nearhome::index::snap::{Snap, DEFAULT_MAX_SNAP_M};
use nearhome::model::LatLon;
use nearhome::query::route::{Hierarchies, Metric, Network};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::engine::{check_route, AllowedSegments};
use crate::support::{haversine_m, isle_of_man, lerp, ll, rutland};

/// `n` snapped points near the roads: a random point of a random segment, moved by up to
/// about 150 m.
fn sample_snaps(net: &Network, n: usize, seed: u64) -> Vec<Snap> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pieces = net.graph.pieces().len() as u32;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let c = net.graph.piece_coords(rng.random_range(0..pieces));
        let k = rng.random_range(0..c.len() - 1);
        let p = lerp(c[k], c[k + 1], rng.random_range(0.0..=1.0));
        let q = ll(
            p.lat + rng.random_range(-0.0013..0.0013),
            p.lon + rng.random_range(-0.0022..0.0022),
        );
        let s = net
            .snap(q, DEFAULT_MAX_SNAP_M)
            .unwrap_or_else(|e| panic!("{q:?} near a road: {e}"));
        out.push(s);
    }
    out
}

fn check_extract(name: &str, net: &Network, pairs: usize, seed: u64) {
    let allowed = AllowedSegments::of(net);
    let snaps = sample_snaps(net, 2 * pairs, seed);
    let mut longest_m: f64 = 0.0;
    for (k, w) in snaps.chunks(2).enumerate() {
        let (o, d) = (&w[0], &w[1]);
        let what = format!("{name} pair {k} ({:?} -> {:?})", o.point, d.point);
        let time = net.route(o, d, Metric::Time);
        let dist = net.route(o, d, Metric::Distance);
        // The kept network is strongly connected: every pair of snapped points is joined.
        let (Some(time), Some(dist)) = (time, dist) else {
            panic!("{what}: unreachable");
        };
        for (r, metric) in [(&time, Metric::Time), (&dist, Metric::Distance)] {
            check_route(net, &allowed, o, d, r, 0.5).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(net.journey(o, d, metric), Some(r.journey), "{what}");
            let crow = haversine_m(o.point, d.point);
            assert!(
                r.journey.distance_m >= crow - 1.0,
                "{what} {metric:?}: road {} m, great circle {crow} m",
                r.journey.distance_m
            );
        }
        let (t, l) = (time.journey, dist.journey);
        assert!(
            t.duration_s <= l.duration_s * (1.0 + 1e-12) + 1e-9,
            "{what}: time metric {t:?} slower than distance metric {l:?}"
        );
        assert!(
            l.distance_m <= t.distance_m * (1.0 + 1e-12) + 1e-9,
            "{what}: distance metric {l:?} longer than time metric {t:?}"
        );
        longest_m = longest_m.max(l.distance_m);
    }
    assert!(longest_m > 10_000.0, "{name}: sample spans {longest_m} m");
}

#[test]
fn rutland_routes_are_continuous_consistent_and_ordered() {
    check_extract("rutland", rutland(), 100, 2024);
}

#[test]
fn isle_of_man_routes_are_continuous_consistent_and_ordered() {
    check_extract("isle-of-man", isle_of_man(), 100, 1979);
}

/// d(a, c) <= d(a, b) + d(b, c) for snapped points that are junctions (a journey may not
/// turn round inside a piece, so the inequality only holds at junctions).
fn check_triangles(name: &str, net: &Network, k: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pts: Vec<(LatLon, Snap)> = (0..k)
        .map(|_| {
            let v = rng.random_range(0..net.graph.node_count() as u32);
            let pos = net.graph.junction(v).pos;
            let s = net.snap(pos, 1.0).expect("a junction snaps to itself");
            assert!(
                s.junction.is_some(),
                "{name}: junction {v} snapped to {s:?}"
            );
            (pos, s)
        })
        .collect();
    for metric in [Metric::Time, Metric::Distance] {
        // cost[a][c]: from a to c.
        let mut cost = vec![vec![f64::NAN; k]; k];
        for (c, (_, sc)) in pts.iter().enumerate() {
            let tree = net.reverse_tree(sc, metric, None, None);
            for (a, (_, sa)) in pts.iter().enumerate() {
                let j = net
                    .journey_to_root(&tree, sa)
                    .unwrap_or_else(|| panic!("{name}: {a} -> {c} unreachable"));
                cost[a][c] = match metric {
                    Metric::Time => j.duration_s,
                    Metric::Distance => j.distance_m,
                };
                if a == c {
                    assert_eq!(j.distance_m, 0.0, "{name}: {a} to itself");
                }
            }
        }
        for a in 0..k {
            for b in 0..k {
                for c in 0..k {
                    let (ac, via) = (cost[a][c], cost[a][b] + cost[b][c]);
                    assert!(
                        ac <= via * (1.0 + 1e-12) + 1e-6,
                        "{name} {metric:?}: d({a},{c}) = {ac} > d({a},{b}) + d({b},{c}) = {via}"
                    );
                }
            }
        }
    }
}

#[test]
fn rutland_triangle_inequality_at_junctions() {
    check_triangles("rutland", rutland(), 12, 7);
}

#[test]
fn isle_of_man_triangle_inequality_at_junctions() {
    check_triangles("isle-of-man", isle_of_man(), 12, 8);
}

/// The contraction hierarchy on a real extract: PHAST trees and bidirectional queries give
/// exactly the Dijkstra figures on a deterministic sample, both metrics, and its routes
/// pass the same geometry checks.
fn check_hierarchy(name: &str, net: &Network, n: usize, seed: u64) {
    let ch = net
        .clone()
        .with_hierarchies(Hierarchies::build(&net.graph, &|_, _, _| {}));
    let allowed = AllowedSegments::of(net);
    let snaps = sample_snaps(net, n, seed);
    let (origins, dests) = snaps.split_at(n * 4 / 5);
    for metric in [Metric::Time, Metric::Distance] {
        let targets = ch.targets(origins.iter(), metric);
        for d in dests {
            let plain = net.reverse_tree(d, metric, None, None);
            let phast = ch.tree_to(&targets, d);
            for o in origins {
                let want = net.journey_to_root(&plain, o);
                assert_eq!(
                    ch.journey_to_root(&phast, o),
                    want,
                    "{name} {metric:?} tree"
                );
            }
        }
        for (o, d) in origins.iter().zip(dests.iter().cycle()).take(60) {
            let r = ch.route(o, d, metric).expect("strongly connected");
            assert_eq!(
                Some(r.journey),
                net.journey(o, d, metric),
                "{name} {metric:?}"
            );
            check_route(net, &allowed, o, d, &r, 0.5).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn rutland_hierarchy_equals_plain_search() {
    check_hierarchy("rutland", rutland(), 250, 31);
}

#[test]
fn isle_of_man_hierarchy_equals_plain_search() {
    check_hierarchy("isle-of-man", isle_of_man(), 250, 32);
}
