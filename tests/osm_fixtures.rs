//! The car profile on small hand-written OSM fixtures (`fixtures/osm/*.osm`, converted to
//! PBF; see `fixtures/README.md`), one per rule: checked through the load summary, the
//! kept pieces and their directions and durations, and routes that must or must not exist.
//!
//! Every fixture has the same base: a two-way residential square about 1 km a side,
//! corners 1 (south-west), 2 (south-east), 3 (north-east), 4 (north-west), ways 100-103.

use nearhome::index::graph::Piece;
use nearhome::index::snap::{SnapFailure, DEFAULT_MAX_SNAP_M};
use nearhome::load::network::load_network;
use nearhome::model::profile::Direction;
use nearhome::model::LatLon;
use nearhome::query::route::{Journey, Metric, Network};

use crate::support::{close, haversine_m as h, lerp, ll, project_path};

const SW: LatLon = LatLon {
    lat: 54.0,
    lon: -4.5,
};
const SE: LatLon = LatLon {
    lat: 54.0,
    lon: -4.4847,
};
const NE: LatLon = LatLon {
    lat: 54.009,
    lon: -4.4847,
};
const NW: LatLon = LatLon {
    lat: 54.009,
    lon: -4.5,
};

fn fixture(name: &str) -> Network {
    let path = project_path(&format!("fixtures/osm/{name}.osm.pbf"));
    load_network(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The kept pieces of an OSM way.
fn pieces_of(net: &Network, way_id: i64) -> Vec<(u32, Piece)> {
    net.graph
        .pieces()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.way_id == way_id)
        .map(|(i, p)| (i as u32, *p))
        .collect()
}

/// The single kept piece of a way.
fn piece_of(net: &Network, way_id: i64) -> (u32, Piece) {
    let ps = pieces_of(net, way_id);
    assert_eq!(ps.len(), 1, "way {way_id}: pieces {ps:?}");
    ps[0]
}

/// Journey between two points that lie on kept roads (snapped within 1 m).
fn journey(net: &Network, a: LatLon, b: LatLon, metric: Metric) -> Option<Journey> {
    let sa = net.snap(a, 1.0).unwrap_or_else(|e| panic!("{a:?}: {e}"));
    let sb = net.snap(b, 1.0).unwrap_or_else(|e| panic!("{b:?}: {e}"));
    net.journey(&sa, &sb, metric)
}

fn road_m(net: &Network, a: LatLon, b: LatLon) -> f64 {
    journey(net, a, b, Metric::Distance)
        .unwrap_or_else(|| panic!("no route {a:?} -> {b:?}"))
        .distance_m
}

fn assert_m(got: f64, want: f64, what: &str) {
    assert!(
        close(got, want, 0.05, 1e-9),
        "{what}: {got} m, want {want} m"
    );
}

/// Seconds to drive `m` metres at `kmh`.
fn secs(m: f64, kmh: f64) -> f64 {
    m / (kmh / 3.6)
}

/// The shortest way round the square from the north-east to the south-west corner.
fn round_ne_sw() -> f64 {
    (h(NE, NW) + h(NW, SW)).min(h(NE, SE) + h(SE, SW))
}

#[test]
fn oneway_yes_and_minus_one_and_reversible() {
    let net = fixture("directions");
    let s = net.graph.summary();
    assert_eq!(s.read.ways_read, 8);
    assert_eq!(s.read.drivable_ways, 7);
    assert_eq!(s.read.excluded_reversible, 1, "tidal lane");
    assert_eq!(s.components_dropped, 0);
    assert_eq!(s.nodes_kept, 5);
    assert_eq!(s.pieces_kept, 7);
    assert_eq!(s.edges_kept, 4 * 2 + 1 + 1 + 2);

    // school lane: oneway=yes, south-west to north-east only.
    let (pi, p) = piece_of(&net, 200);
    assert_eq!(p.direction, Direction::Forward);
    let [f, b] = net.graph.piece_edges(pi);
    assert!(f.is_some() && b.is_none());
    assert_m(p.length_m, h(SW, NE), "school lane length");
    assert_m(road_m(&net, SW, NE), h(SW, NE), "with school lane");
    assert_m(road_m(&net, NE, SW), round_ne_sw(), "round the square");
    // Partial edges on the one-way: with the flow the part between; against it round.
    let (a, c) = (lerp(SW, NE, 0.3), lerp(SW, NE, 0.7));
    assert_m(road_m(&net, a, c), 0.4 * h(SW, NE), "along school lane");
    assert_m(
        road_m(&net, c, a),
        0.6 * h(SW, NE) + round_ne_sw(),
        "against school lane",
    );

    // mill street: drawn south-east to north-west with oneway=-1: drivable NW -> SE only.
    let (pi, p) = piece_of(&net, 201);
    assert_eq!(p.direction, Direction::Backward);
    let [f, b] = net.graph.piece_edges(pi);
    assert!(f.is_none() && b.is_some());
    assert_m(road_m(&net, NW, SE), h(NW, SE), "with mill street");
    let round = (h(SE, SW) + h(SW, NW)).min(h(SE, NE) + h(NE, NW));
    assert_m(road_m(&net, SE, NW), round, "against mill street");
    let t = journey(&net, NW, SE, Metric::Time).expect("route");
    assert!(close(t.duration_s, secs(h(NW, SE), 32.0), 1e-6, 1e-9));

    // tidal lane (oneway=reversible) is not drivable at all.
    assert!(pieces_of(&net, 202).is_empty());
    let tidal_end = ll(53.997, -4.4847);
    assert!(matches!(
        net.snap(tidal_end, 200.0),
        Err(SnapFailure::TooFar { nearest_m, .. }) if nearest_m > 300.0
    ));

    // shouty street: oneway=YES is not a oneway value (case-sensitive): both ways.
    let (_, p) = piece_of(&net, 203);
    assert_eq!(p.direction, Direction::Both);
    let end = ll(53.997, -4.5);
    assert_m(road_m(&net, end, SW), h(end, SW), "shouty street in");
    assert_m(road_m(&net, SW, end), h(end, SW), "shouty street out");
}

#[test]
fn roundabout_is_one_way_in_node_order() {
    let net = fixture("roundabout");
    let s = net.graph.summary();
    assert_eq!(s.read.drivable_ways, 7);
    assert_eq!(s.components_dropped, 0);
    let (w, n, e, south) = (
        ll(54.0110, -4.48085),
        ll(54.0115, -4.48),
        ll(54.0110, -4.47915),
        ll(54.0105, -4.48),
    );
    let ring = pieces_of(&net, 300);
    assert_eq!(ring.len(), 2, "split at the approach and the exit");
    for (pi, p) in &ring {
        assert_eq!(p.direction, Direction::Forward);
        assert!(net.graph.piece_edges(*pi)[1].is_none());
    }
    // West to south: three quarters of the way round, never the last quarter backwards.
    assert_m(
        road_m(&net, w, south),
        h(w, n) + h(n, e) + h(e, south),
        "west to south",
    );
    assert_m(road_m(&net, south, w), h(south, w), "south to west");
    let exit_end = ll(54.0110, -4.475);
    assert_m(
        road_m(&net, exit_end, NE),
        h(exit_end, e) + h(e, south) + h(south, w) + h(w, NE),
        "east exit to the square",
    );
    assert_m(
        road_m(&net, NE, exit_end),
        h(NE, w) + h(w, n) + h(n, e) + h(e, exit_end),
        "square to the east exit",
    );
}

#[test]
fn motorway_is_one_way_unless_oneway_no() {
    let net = fixture("motorway");
    assert_eq!(net.graph.summary().components_dropped, 0);
    let (_, bypass) = piece_of(&net, 400);
    assert_eq!(
        bypass.direction,
        Direction::Forward,
        "motorway without oneway"
    );
    let (_, old) = piece_of(&net, 401);
    assert_eq!(old.direction, Direction::Both, "motorway with oneway=no");
    let (_, slip) = piece_of(&net, 402);
    assert_eq!(slip.direction, Direction::Forward, "motorway_link");
    assert_eq!(slip.coord_len, 3);

    let t = journey(&net, SW, NE, Metric::Time).expect("bypass");
    assert_m(t.distance_m, h(SW, NE), "bypass");
    assert!(close(t.duration_s, secs(h(SW, NE), 96.0), 1e-6, 1e-9));
    assert_m(road_m(&net, NE, SW), round_ne_sw(), "bypass is one-way");
    assert_m(road_m(&net, SE, NW), h(SE, NW), "old bypass");
    assert_m(road_m(&net, NW, SE), h(SE, NW), "old bypass, other way");
    // On the slip road: on to the north-east corner, never back to the south-east one.
    let bend = ll(54.0045, -4.48);
    let mid = lerp(bend, NE, 0.5);
    assert_m(road_m(&net, mid, NE), 0.5 * h(bend, NE), "up the slip road");
    assert_m(
        road_m(&net, mid, SE),
        0.5 * h(bend, NE) + h(NE, SE),
        "slip road, then back down the east road",
    );
}

#[test]
fn access_first_present_tag_decides() {
    let net = fixture("access");
    let s = net.graph.summary();
    assert_eq!(s.read.ways_read, 9);
    assert_eq!(s.read.drivable_ways, 6);
    assert_eq!(s.read.excluded_access, 3);
    assert_eq!(s.components_dropped, 0);
    let (_, drive) = piece_of(&net, 500);
    assert_eq!(
        drive.direction,
        Direction::Both,
        "school drive: private but motor_vehicle=yes"
    );
    piece_of(&net, 503); // delivery lane: motor_vehicle=destination decides before access=no
    for dropped in [501, 502, 504] {
        assert!(pieces_of(&net, dropped).is_empty(), "way {dropped}");
    }
    let school = ll(53.997, -4.503);
    assert_m(road_m(&net, school, SW), h(school, SW), "school drive");
    let t = journey(&net, school, SW, Metric::Time).expect("route");
    assert!(close(t.duration_s, secs(h(school, SW), 16.0), 1e-6, 1e-9));
    // The end of the private drive is ~330 m from the square: it snaps to the square.
    let private_end = ll(53.997, -4.4817);
    let sp = net
        .snap(private_end, DEFAULT_MAX_SNAP_M)
        .expect("near the square");
    assert!(sp.distance_m > 300.0);
    assert!([100, 101].contains(&net.graph.pieces()[sp.piece as usize].way_id));
}

#[test]
fn only_listed_highway_values_and_no_areas() {
    let net = fixture("highway_types");
    let s = net.graph.summary();
    assert_eq!(s.read.ways_read, 11);
    assert_eq!(s.read.highway_ways, 10, "the house has no highway tag");
    assert_eq!(s.read.drivable_ways, 6);
    assert_eq!(
        s.read.excluded_highway_value, 3,
        "footway, Residential, proposed"
    );
    assert_eq!(s.read.excluded_area, 1, "car park");
    for dropped in [600, 601, 602, 603, 605] {
        assert!(pieces_of(&net, dropped).is_empty(), "way {dropped}");
    }
    let old_end = ll(54.012, -4.4817);
    let (pi, p) = piece_of(&net, 604);
    assert_eq!(p.speed_kmh, 32.0, "highway=road");
    let e = net.graph.piece_edges(pi)[0].expect("forward edge");
    let dur = net.graph.edge(e).duration_s;
    assert!(close(dur, secs(h(NE, old_end), 32.0), 1e-6, 1e-9));
    let (_, p) = piece_of(&net, 606);
    assert_eq!(p.speed_kmh, 16.0, "highway=living_street");
    assert_eq!(
        net.graph.pieces().len(),
        6,
        "the square, the old road, the living street"
    );
}

#[test]
fn maxspeed_forms_set_the_duration() {
    let net = fixture("maxspeed");
    let s = net.graph.summary();
    assert_eq!(s.read.drivable_ways, 20);
    assert_eq!(s.components_dropped, 0);
    let mph = 1.609344;
    let cases: [(i64, f64, &str); 16] = [
        (801, 20.0 * mph, "school lane: unclassified, 20 mph"),
        // 20 mph is 32.19 km/h: not lower than residential's 32, so the default stands.
        (808, 32.0, "cut-through: residential, 20 mph (higher)"),
        (908, 32.0, "thirty lane: residential, GB:zone30 (higher)"),
        (802, 20.0, "hill road: residential, 20"),
        (803, 12.5, "crawl way: residential, 12.5"),
        (804, 32.19, "zone street: tertiary, GB:zone20"),
        (805, 48.28, "zone avenue: secondary, GB:zone30"),
        (
            806,
            80.0,
            "national lane: trunk, GB:nsl_single (higher than 80)",
        ),
        (807, 32.0, "bad units road: residential, 30 km/h (invalid)"),
        (901, 32.0, "no space road: residential, 20mph (invalid)"),
        (902, 32.0, "zero road: residential, 0 (invalid)"),
        (903, 32.0, "word road: residential, none (invalid)"),
        (904, 32.0, "quick road: residential, 50 (higher)"),
        (905, 96.0, "dual road: motorway, GB:nsl_dual (higher)"),
        (906, 30.0 * mph, "lower mph road: primary, 30 mph"),
        (
            907,
            32.0,
            "shouting mph road: residential, 20 MPH (invalid)",
        ),
    ];
    for (way, kmh, what) in cases {
        let (pi, p) = piece_of(&net, way);
        let c = net.graph.piece_coords(pi);
        let len = h(c[0], c[1]);
        assert!(len > 990.0 && len < 1010.0, "{what}: {len} m");
        assert!(close(p.length_m, len, 1e-6, 1e-12), "{what}: length");
        assert!(
            close(p.speed_kmh, kmh, 0.0, 1e-12),
            "{what}: {} km/h",
            p.speed_kmh
        );
        assert_eq!(p.direction, Direction::Both, "{what}");
        for e in net.graph.piece_edges(pi).into_iter().flatten() {
            let edge = net.graph.edge(e);
            assert!(close(edge.length_m, len, 1e-6, 1e-12), "{what}");
            assert!(
                close(edge.duration_s, secs(len, kmh), 1e-9, 1e-12),
                "{what}: {} s, want {} s",
                edge.duration_s,
                secs(len, kmh)
            );
        }
        // Driving the whole spur from its end to the road takes exactly that long.
        let t = journey(&net, c[1], c[0], Metric::Time).expect("spur");
        assert!(close(t.duration_s, secs(len, kmh), 1e-6, 1e-9), "{what}");
    }
}

#[test]
fn only_the_largest_strongly_connected_component_is_kept() {
    let net = fixture("island");
    let s = net.graph.summary();
    assert_eq!(s.read.drivable_ways, 8);
    assert_eq!(s.junctions_built, 8);
    assert_eq!(s.edges_built, 8 + 4 + 1 + 1);
    assert_eq!(
        s.components_dropped, 3,
        "cut-off close with island lane, the trap lane's end, the no-exit road's start"
    );
    assert_eq!(s.nodes_kept, 4);
    assert_eq!(s.edges_kept, 8);
    assert_eq!(s.pieces_kept, 4);
    let perimeter = h(SW, SE) + h(SE, NE) + h(NE, NW) + h(NW, SW);
    assert!(
        close(s.road_km, perimeter / 1000.0, 1e-9, 1e-9),
        "{}",
        s.road_km
    );
    for dropped in [700, 701, 702, 703] {
        assert!(pieces_of(&net, dropped).is_empty(), "way {dropped}");
    }
    // The island is 4.5 km from the square: unsnappable, with the distance.
    let close_east = ll(54.05, -4.49);
    match net.snap(close_east, DEFAULT_MAX_SNAP_M) {
        Err(SnapFailure::TooFar {
            nearest_m,
            max_snap_m,
        }) => {
            assert!((4000.0..5000.0).contains(&nearest_m), "{nearest_m}");
            assert_eq!(max_snap_m, DEFAULT_MAX_SNAP_M);
        }
        other => panic!("cut-off close snapped: {other:?}"),
    }
}

#[test]
fn missing_nodes_split_ways() {
    let net = fixture("missing_node");
    let s = net.graph.summary();
    assert_eq!(s.read.ways_read, 7);
    assert_eq!(s.read.drivable_ways, 7);
    assert_eq!(s.read.ways_with_missing_nodes, 3);
    assert_eq!(s.read.missing_node_refs, 4);
    assert_eq!(s.components_dropped, 0);
    assert_eq!(
        s.nodes_kept, 7,
        "four corners, both ends of the gap, frayed end"
    );
    let (third, two_thirds, frayed) = (
        ll(54.003, -4.4949),
        ll(54.006, -4.4898),
        ll(53.997, -4.4847),
    );
    let broken = pieces_of(&net, 900);
    assert_eq!(
        broken.len(),
        2,
        "broken lane: the runs either side of the gap"
    );
    let ends: Vec<(LatLon, LatLon)> = broken
        .iter()
        .map(|(pi, _)| {
            let c = net.graph.piece_coords(*pi);
            (c[0], c[c.len() - 1])
        })
        .collect();
    let at = |p: LatLon, q: LatLon| h(p, q) < 1e-3;
    let has = |a: LatLon, b: LatLon| ends.iter().any(|&(p, q)| at(p, a) && at(q, b));
    assert!(has(SW, third) && has(two_thirds, NE), "{ends:?}");
    let (_, frayed_piece) = piece_of(&net, 901);
    assert_m(frayed_piece.length_m, h(SE, frayed), "frayed end");
    assert!(
        pieces_of(&net, 902).is_empty(),
        "lost road has one present node"
    );
    // No road across the gap: back to the corner, round the square, and in again.
    let round = (h(SW, SE) + h(SE, NE)).min(h(SW, NW) + h(NW, NE));
    assert_m(
        road_m(&net, third, two_thirds),
        h(third, SW) + round + h(NE, two_thirds),
        "across the gap",
    );
}
