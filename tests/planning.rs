//! Planning (`nearhome::analyse::planning`, `nearhome site`) on the Rutland demo and on a hand-built
//! instance on the Rutland roads whose best site and savings are known.

use nearhome::analyse::planning::{capital_plan, site, PlanObjective, SiteRequest};
use nearhome::app::{analyse_loaded, Prepared};
use nearhome::load::candidates::read_candidates;
use nearhome::load::scenario::ValidationReport;
use nearhome::model::candidate::CandidatePoint;
use nearhome::model::{LatLon, Need, Provision, ProvisionKind, Pupil, Transport};
use nearhome::output::planning::{report_md, write_outputs};

fn rutland() -> &'static Prepared {
    crate::support::rutland_demo()
}

#[test]
fn rutland_asd_returns_pupils_and_chosen_sites_are_candidates() {
    let p = rutland();
    let req = SiteRequest::new(Need::Asd, 12, 3);
    let r = site(p, &req).unwrap();
    assert!(
        r.pupils > 0 && r.out_of_area_pupils > 0,
        "the demo has ASD pupils out of area"
    );
    assert!((1..=3).contains(&r.per_k.len()));
    assert_eq!(
        r.per_k.len() < 3,
        r.stopped_note.is_some(),
        "{:?}",
        r.stopped_note
    );
    for k in &r.per_k {
        assert_eq!(k.sites.len(), k.k);
        assert!(k.extra_returned > 0, "k={} returns nobody more", k.k);
        assert!(k.figures.returned <= r.out_of_area_pupils);
        for s in &k.sites {
            let c = &r.candidates[s.candidate];
            assert_eq!(c.id, s.id);
            assert!(
                p.scenario.boundary.contains(c.location),
                "{} is local",
                c.id
            );
            assert!(s.used <= s.places);
        }
        // Small instance: the exact solver ran and the heuristic is not beaten.
        let x = k.exact.as_ref().expect("exact runs on the demo");
        assert!(x.returned_shortfall <= 0, "gap at k={}: {x:?}", k.k);
        assert!((k.capital_gbp - k.k as f64 * 12.0 * 40_000.0).abs() < 1e-6);
    }
    for w in r.per_k.windows(2) {
        assert!(w[1].figures.returned >= w[0].figures.returned);
    }
    // Every default candidate is a mainstream or special school site in area.
    for c in &r.candidates {
        assert!(c.source.starts_with("scenario: "), "{}", c.source);
    }
    assert!(!r.proposals.is_empty());
    for w in r.proposals.windows(2) {
        assert!(w[0].revenue_gbp_per_year_saved >= w[1].revenue_gbp_per_year_saved);
    }
}

#[test]
fn more_places_never_return_fewer_pupils() {
    let p = rutland();
    for need in [Need::Asd, Need::Semh] {
        let mut last = [0usize; 2];
        for places in [2, 4, 8, 12, 20] {
            let mut req = SiteRequest::new(need, places, 2);
            req.max_proposals = 0;
            let r = site(p, &req).unwrap();
            for (i, k) in r.per_k.iter().enumerate() {
                assert!(
                    k.figures.returned >= last[i],
                    "{need}: {places} places, k={} return {} < {}",
                    k.k,
                    k.figures.returned,
                    last[i]
                );
                last[i] = k.figures.returned;
            }
        }
        assert!(last[1] > 0, "{need}: some pupils return");
    }
}

#[test]
fn identical_with_one_and_two_threads() {
    let p = rutland();
    let mut req = SiteRequest::new(Need::Semh, 8, 3);
    req.objective = PlanObjective::Travel;
    req.age_min = 11;
    req.age_max = 16;
    let run = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| site(p, &req).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a, b);
    assert!(a.per_k[0].figures.journey_minutes_after < a.per_k[0].figures.journey_minutes_before);
}

#[test]
fn outputs_and_report_state_the_assumptions() {
    let p = rutland();
    let mut req = SiteRequest::new(Need::Asd, 12, 2);
    req.age_min = 11;
    req.age_max = 16;
    let r = site(p, &req).unwrap();
    let plan = capital_plan(p, Some(&r));
    let dir = tempfile::tempdir().unwrap();
    let files = write_outputs(&r, &plan, dir.path(), vec![], vec![]).unwrap();
    assert_eq!(
        files,
        [
            "sites.csv",
            "proposals.csv",
            "capital.csv",
            "sites.geojson",
            "report.md",
            "MANIFEST.json"
        ]
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    for want in [
        "## The question",
        "## Method in plain words",
        "## Assumptions",
        "| Capital cost of one new place | £40,000 |",
        "| Annual cost of a new place (resource_base) | £18,000 |",
        "| Transport cost per km, taxi | £2.30 |",
        "| One-way journeys a year | 380 |",
        "## Results",
        "## Caveats",
        "synthetic",
        "Exact optimum computed",
    ] {
        assert!(md.contains(want), "report.md lacks {want:?}:\n{md}");
    }
    assert_eq!(md, report_md(&r, &plan));
    let sites = std::fs::read_to_string(dir.path().join("sites.csv")).unwrap();
    let rows: usize = r.per_k.iter().map(|k| k.k).sum();
    assert_eq!(
        sites.lines().count(),
        1 + rows,
        "header + one row per site of each k"
    );
    let gj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sites.geojson")).unwrap()).unwrap();
    let largest = r.per_k.last().map_or(0, |k| k.k);
    assert_eq!(gj["features"].as_array().map(Vec::len), Some(largest));
    if r.per_k.len() < 2 {
        assert!(
            md.contains("Fewer bases than asked"),
            "the report says why it stopped"
        );
    }
    // Capital rows: ASD demand in the "places" layer sums to the ASD plans (placed or not)
    // of pupils living in an area.
    let asd_places: usize = plan
        .rows
        .iter()
        .filter(|r| r.layer == "places" && r.need == Need::Asd)
        .map(|r| r.demand_pupils)
        .sum();
    let sc = &p.scenario;
    let asd_total = sc.pupils.iter().filter(|u| u.need == Need::Asd).count()
        + sc.unplaced.iter().filter(|u| u.need == Need::Asd).count();
    assert!(asd_places > 0 && asd_places <= asd_total);
    assert!(asd_places > sc.pupils.iter().filter(|u| u.need == Need::Asd).count());
    for row in &plan.rows {
        assert_eq!(
            row.gap_places,
            ((row.out_of_area_pupils + row.unmet_need_pupils) as u64)
                .saturating_sub(row.local_spare_places)
        );
    }
    // Only specialist placements outside the area count as out of area in the plan: the
    // mainstream and post-16 pupils placed outside Rutland do not.
    let specialist_out: usize = p
        .analysis
        .pupils
        .iter()
        .filter(|r| {
            r.out_of_area
                && r.placement
                    .and_then(|pi| sc.provisions.get(pi.index()))
                    .is_some_and(|x| {
                        nearhome::model::PlacementType::of(x.kind)
                            == nearhome::model::PlacementType::Specialist
                    })
        })
        .count();
    let all_out = p.analysis.pupils.iter().filter(|r| r.out_of_area).count();
    let in_plan: usize = plan
        .rows
        .iter()
        .filter(|r| r.layer == "places")
        .map(|r| r.out_of_area_pupils)
        .sum();
    assert!(specialist_out < all_out);
    assert!(in_plan <= specialist_out, "{in_plan} > {specialist_out}");
}

#[test]
fn bad_requests_and_candidate_files_are_named() {
    let p = rutland();
    let mut req = SiteRequest::new(Need::Asd, 12, 1);
    req.extra_candidates =
        read_candidates(b"id,name,lat,lon\nfar,Far,53.5,-0.7\n", "c.csv").unwrap();
    let e = site(p, &req).unwrap_err().to_string();
    assert!(e.contains("c.csv line 2") && e.contains("outside"), "{e}");
    let e = site(p, &SiteRequest::new(Need::Asd, 12, 500))
        .unwrap_err()
        .to_string();
    assert!(e.contains("k = 500"), "{e}");
    req.extra_candidates = vec![CandidatePoint {
        id: "map-1".into(),
        name: "From the map".into(),
        location: LatLon {
            lat: f64::NAN,
            lon: -0.7,
        },
        source: String::new(),
    }];
    let e = site(p, &req).unwrap_err().to_string();
    assert!(e.contains("extra_candidates[0] (id `map-1`)"), "{e}");
    let e = read_candidates(b"id,name,lat,lon\na,A,52.6,x\n", "c.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "c.csv line 2, field `lon`: not a number");
}

/// A new resource base is an alternative only for special-school and resource-base pupils:
/// the demo's mainstream and post-16 ASD pupils are not in the problem.
#[test]
fn only_pupils_who_could_take_the_new_places_are_counted() {
    use nearhome::model::PlacementType;
    let p = rutland();
    let r = site(p, &SiteRequest::new(Need::Asd, 12, 1)).unwrap();
    let (mut specialist, mut specialist_out, mut others) = (0, 0, 0);
    for (pupil, res) in p.scenario.pupils.iter().zip(&p.analysis.pupils) {
        let placement = &p.scenario.provisions[res.placement.unwrap()];
        if pupil.need != Need::Asd {
            continue;
        }
        if PlacementType::of(placement.kind) == PlacementType::Specialist {
            specialist += 1;
            specialist_out += usize::from(res.out_of_area);
        } else {
            others += 1;
        }
    }
    assert!(others > 0, "the demo has mainstream and post-16 ASD pupils");
    assert_eq!(r.excluded_no_journey, 0);
    assert_eq!(r.pupils, specialist);
    assert_eq!(r.out_of_area_pupils, specialist_out);
}

fn provision(id: &str, kind: ProvisionKind, capacity: u32, at: LatLon) -> Provision {
    Provision {
        id: id.into(),
        name: id.into(),
        kind,
        needs: vec![Need::Asd],
        age_min: 4,
        age_max: 18,
        capacity: Some(capacity),
        on_roll: capacity,
        annual_cost_gbp: None,
        location: at,
        sector: None,
        line: 0,
    }
}

/// Five ASD pupils living in Oakham, placed at a (full) independent special school far
/// outside Rutland, and one more awaiting provision (unmet need); no local spare place. Candidates: a site in Oakham and one in
/// Uppingham (about 10 km away). Either returns all five; the Oakham site does it with the
/// shortest journeys, and the placement saving is 5 × (£60,000 − £18,000).
#[test]
fn hand_built_instance_has_the_known_best_site() {
    let base = rutland();
    let oakham = LatLon {
        lat: 52.673612,
        lon: -0.724181,
    };
    let uppingham = LatLon {
        lat: 52.585394,
        lon: -0.716,
    };
    let mut scenario = base.scenario.clone();
    scenario.provisions = vec![provision(
        "far-independent",
        ProvisionKind::IndependentSpecial,
        5,
        LatLon {
            lat: 52.6326,
            lon: -1.135,
        },
    )];
    scenario.pupils = (0..5)
        .map(|i| Pupil {
            id: format!("H{i}"),
            age: 12,
            need: Need::Asd,
            home: LatLon {
                lat: 52.670 + 0.002 * f64::from(i),
                lon: -0.728,
            },
            placement_id: "far-independent".into(),
            transport: Some(Transport::Taxi),
            transport_cost_gbp: None,
            travel: Default::default(),
            line: 2 + i as usize,
        })
        .collect();
    scenario.unplaced = vec![nearhome::model::status::UnplacedPupil {
        id: "H5".into(),
        age: 9,
        need: Need::Asd,
        home: LatLon {
            lat: 52.668,
            lon: -0.728,
        },
        status: nearhome::model::status::PlacementStatus::AwaitingProvision,
        line: 7,
    }];
    // One area around Oakham with a budget share, one around Uppingham without.
    let rect = |lat0: f64, lat1: f64, props: serde_json::Value, id: &str| {
        let r = geo::Rect::new(
            geo::coord! { x: -0.80, y: lat0 },
            geo::coord! { x: -0.65, y: lat1 },
        );
        nearhome::model::area::Area {
            id: id.into(),
            name: id.into(),
            geometry: geo::MultiPolygon(vec![r.to_polygon()]),
            bbox: nearhome::model::Bbox {
                min_lat: lat0,
                min_lon: -0.80,
                max_lat: lat1,
                max_lon: -0.65,
            },
            properties: props.as_object().cloned().unwrap_or_default(),
        }
    };
    scenario.area_layers = vec![nearhome::model::area::AreaLayer::new(
        "send_areas",
        "SEND areas",
        vec![
            rect(
                52.64,
                52.70,
                serde_json::json!({"budget_share_gbp": 500000.0}),
                "north",
            ),
            rect(52.55, 52.62, serde_json::json!({}), "south"),
        ],
    )];
    let p = analyse_loaded(
        scenario,
        ValidationReport::default(),
        base.network.clone().unwrap(),
    );
    assert!(p.analysis.pupils.iter().all(|r| r.out_of_area));

    let mut req = SiteRequest::new(Need::Asd, 5, 1);
    req.scenario_sites = false;
    req.extra_candidates = vec![
        CandidatePoint {
            id: "uppingham".into(),
            name: "Uppingham site".into(),
            location: uppingham,
            source: "test".into(),
        },
        CandidatePoint {
            id: "oakham".into(),
            name: "Oakham site".into(),
            location: oakham,
            source: "test".into(),
        },
    ];
    // A user's own proposal set, evaluated on the routed context: Uppingham alone also
    // returns all five, with longer journeys than Oakham.
    let ctx = nearhome::analyse::planning::PlanningContext::new(&p, &req).unwrap();
    let (up, oak) = (ctx.evaluate(&[0]).unwrap(), ctx.evaluate(&[1]).unwrap());
    assert_eq!((up.returned, oak.returned), (5, 5));
    assert!(up.journey_minutes_after > oak.journey_minutes_after);
    assert_eq!(ctx.evaluate(&[]).unwrap().returned, 0);
    assert!(ctx.evaluate(&[2]).is_err());
    for objective in [PlanObjective::Return, PlanObjective::Travel] {
        req.objective = objective;
        let r = site(&p, &req).unwrap();
        assert_eq!(r.pupils, 5);
        assert_eq!(r.baseline.returned, 0);
        let best = &r.per_k[0];
        assert_eq!(best.sites.len(), 1);
        assert_eq!(best.sites[0].id, "oakham", "{objective:?}");
        assert_eq!(best.figures.returned, 5);
        assert_eq!(best.sites[0].used, 5);
        assert!(
            (best.figures.placement_gbp_per_year_saved - 5.0 * (60_000.0 - 18_000.0)).abs() < 1e-6
        );
        assert!(best.figures.transport_gbp_per_year_saved > 0.0);
        assert_eq!(best.capital_gbp, 5.0 * 40_000.0);
        assert_eq!(best.exact.as_ref().map(|x| x.optimum_returned), Some(5));
        // Both sites are ranked; Oakham (shorter journeys) saves more.
        assert_eq!(r.proposals.len(), 2);
        assert_eq!(r.proposals[0].proposal.site_id, "oakham");
        assert_eq!(r.proposals[0].pupils_returned, 5);

        let plan = capital_plan(&p, Some(&r));
        let north = plan
            .rows
            .iter()
            .find(|row| row.area_id == "north" && row.need == Need::Asd)
            .unwrap();
        // demand counts every plan; the gap adds the pupil awaiting provision
        assert_eq!(north.demand_pupils, 6);
        assert_eq!(north.out_of_area_pupils, 5);
        assert_eq!(north.unmet_need_pupils, 1);
        assert_eq!(north.local_spare_places, 0);
        assert_eq!(north.gap_places, 6);
        assert_eq!(north.chosen_sites, 1);
        assert_eq!(north.chosen_capital_gbp, 200_000.0);
        assert_eq!(north.budget_share_gbp, Some(500_000.0));
        assert_eq!(north.best_proposal.as_deref(), Some("oakham"));
        let south = plan
            .rows
            .iter()
            .find(|row| row.area_id == "south" && row.need == Need::Asd)
            .unwrap();
        assert_eq!(south.budget_share_gbp, None);
        assert_eq!(south.chosen_sites, 0);
        assert!(report_md(&r, &plan)
            .contains("| north | 6 | 5 | 1 | 0 | 6 | 1 | £200,000 | £500,000 |"));
    }
}

#[test]
fn cli_site_writes_the_outputs_and_names_bad_candidate_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let out_s = out.to_str().unwrap();
    let o = crate::support::nearhome(&[
        "site",
        "--need",
        "SEMH",
        "--places",
        "8",
        "--age-min",
        "11",
        "--age-max",
        "16",
        "--k",
        "2",
        "--objective",
        "travel",
        "--out",
        out_s,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("k=2:"), "{err}");
    for f in [
        "sites.csv",
        "proposals.csv",
        "capital.csv",
        "sites.geojson",
        "report.md",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let bad = dir.path().join("c.csv");
    std::fs::write(&bad, "id,name,lat,lon\na,A,52.6,-0.7\nb,B,52.6\n").unwrap();
    let o = crate::support::nearhome(&[
        "site",
        "--need",
        "ASD",
        "--places",
        "4",
        "--candidates",
        bad.to_str().unwrap(),
        "--out",
        out_s,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("c.csv line 3"), "{err}");
}

#[test]
fn independent_schools_never_host_and_idle_bases_are_not_proposed() {
    let p = rutland();
    let mut req = SiteRequest::new(Need::Asd, 12, 3);
    (req.age_min, req.age_max) = (11, 15);
    let r = site(p, &req).unwrap();
    let independent: Vec<&str> = p
        .scenario
        .provisions
        .iter()
        .filter(|x| x.sector.is_some_and(|s| !s.state_funded()))
        .map(|x| x.id.as_str())
        .collect();
    assert!(independent.contains(&"oakham-school"), "{independent:?}");
    for c in &r.candidates {
        assert!(
            !independent.contains(&c.id.as_str()),
            "{} is independent",
            c.id
        );
    }
    assert!(r.excluded_hosts.iter().any(|h| h == "oakham-school"));
    // Every proposed base takes pupils; when a further one would not, the run says so.
    for k in &r.per_k {
        assert!(
            k.sites.iter().all(|s| s.used > 0),
            "k={}: an idle base",
            k.k
        );
        assert!(k.extra_returned > 0 || k.k == 0);
    }
    if r.per_k.len() < 3 {
        let note = r
            .stopped_note
            .as_deref()
            .expect("a note says why it stopped");
        assert!(
            note.contains(&format!("stopped at k = {}", r.per_k.len())),
            "{note}"
        );
    }
    // A user's candidates file may still name an independent school's site.
    let oakham = p
        .scenario
        .provisions
        .iter()
        .find(|x| x.id == "oakham-school")
        .unwrap();
    req.extra_candidates = vec![CandidatePoint {
        id: "oakham-school-site".into(),
        name: "Oakham School (user site)".into(),
        location: oakham.location,
        source: "user".into(),
    }];
    let r = site(p, &req).unwrap();
    assert!(r.candidates.iter().any(|c| c.id == "oakham-school-site"));
}

#[test]
fn a_request_matching_no_pupil_is_refused_and_ages_default_to_the_phase() {
    let o = crate::support::nearhome(&[
        "site",
        "fixtures/scenarios/rutland/scenario.toml",
        "--need",
        "PMLD",
        "--places",
        "6",
        "--age-min",
        "4",
        "--age-max",
        "10",
        "--out",
        "target/test-site-none",
    ]);
    assert!(!o.status.success(), "a request matching no pupil must fail");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no pupil to plan for"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = crate::support::nearhome(&[
        "site",
        "fixtures/scenarios/rutland/scenario.toml",
        "--need",
        "ASD",
        "--places",
        "12",
        "--k",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ages 11-15 (secondary)") || err.contains("ages 4-10 (primary)"),
        "{err}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Ages chosen by the phase"),
        "the report says which ages and why"
    );
}
