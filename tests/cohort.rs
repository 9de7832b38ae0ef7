//! The whole SEN2 cohort on the Rutland demo: every EHC plan is loaded, the pupils without a
//! school placement count in demand and in no journey figure, and the public cohort block
//! goes through the disclosure rules.

use nearhome::analyse::planning::capital_plan;
use nearhome::model::status::PlacementStatus;
use nearhome::model::Need;
use nearhome::output::disclosure::Audience;

fn summary(audience: Audience) -> nearhome::output::records::Summary {
    let p = crate::support::rutland_demo();
    let agg = nearhome::output::tables::Aggregates::new(p);
    let dq = nearhome::output::report::data_quality(&p.report);
    nearhome::output::tables::summary(p, &agg, dq, audience)
}

#[test]
fn every_plan_is_loaded_with_its_placement_status() {
    let p = crate::support::rutland_demo();
    let sc = &p.scenario;
    // SEN2 2024/25: 376 plans, 39 of them educated elsewhere or not recorded
    assert_eq!(sc.pupils.len() + sc.unplaced.len(), 376);
    assert_eq!(sc.unplaced.len(), 39);
    assert!(sc.unplaced.iter().all(|u| !u.status.is_placed()));
    // the primary-need mix is SEN2's exactly once the unplaced are counted
    let sen2 = nearhome::load::sen2::builtin_targets("E06000017").unwrap();
    for n in Need::ALL {
        let all = sc.pupils.iter().filter(|u| u.need == n).count()
            + sc.unplaced.iter().filter(|u| u.need == n).count();
        assert_eq!(all as u32, sen2.need[&n], "need {n}");
    }
    // the analysis has one result per placed pupil only
    assert_eq!(p.analysis.pupils.len(), sc.pupils.len());
}

#[test]
fn pupils_without_a_placement_are_in_demand_not_in_journeys() {
    let s = summary(Audience::Internal);
    let c = &s.cohort;
    assert_eq!(
        (c.ehc_plans, c.placed, c.without_placement),
        (Some(376), Some(337), Some(39))
    );
    assert_eq!(
        c.unmet_need,
        Some(0),
        "Rutland reports no one awaiting provision"
    );
    let listed: u64 = c.by_status.iter().filter_map(|b| b.pupils).sum();
    assert_eq!(listed, 39);
    assert_eq!(
        c.by_status.len(),
        PlacementStatus::without_placement().count()
    );
    assert!(c.by_status.iter().all(|b| !b.no_journey.is_empty()));
    // journey figures rest on the placed pupils only
    assert_eq!(s.overall.pupils, Some(337));
    assert_eq!(s.overall.without_placement, Some(39));
    let j = &s.journeys;
    let with_or_without: u64 = [j.routed, j.estimated, j.none].iter().flatten().sum();
    assert_eq!(with_or_without, 337);
    // pupils.csv lists everyone, the unplaced with their reason and no journey
    let p = crate::support::rutland_demo();
    let rows = nearhome::output::tables::pupil_records(p);
    assert_eq!(rows.len(), 376);
    let unplaced: Vec<_> = rows
        .iter()
        .filter(|r| r.placement_status != "placed")
        .collect();
    assert_eq!(unplaced.len(), 39);
    for r in unplaced {
        assert!(r.no_journey_reason.is_some());
        assert!(r.current_minutes.is_none() && r.journey_source.is_none());
        assert!(!r.long_journey && !r.out_of_area);
    }
    // the capital plan's demand counts every plan of the need living in an area
    let plan = capital_plan(p, None);
    let demand: usize = plan
        .rows
        .iter()
        .filter(|r| r.layer == "places")
        .map(|r| r.demand_pupils)
        .sum();
    let homes_in_places = p.layers[0].pupil_area.iter().flatten().count()
        + p.layers[0].unplaced_area.iter().flatten().count();
    assert_eq!(p.layers[0].layer, "places");
    assert_eq!(demand, homes_in_places);
}

#[test]
fn the_public_cohort_is_suppressed_and_rounded() {
    let s = summary(Audience::Public);
    let c = &s.cohort;
    // 376 and 337 round to 375 and 335; 39 to 40
    assert_eq!(
        (c.ehc_plans, c.placed, c.without_placement),
        (Some(375), Some(335), Some(40))
    );
    for b in &c.by_status {
        if let Some(n) = b.pupils {
            assert!(n == 0 || (n >= 10 && n % 5 == 0), "{}: {n}", b.status);
        }
    }
    // the 1 + 2 + 1 small statuses are hidden; more than one cell is hidden on the line, so
    // none can be recovered from the others and the shown total
    let hidden = c.by_status.iter().filter(|b| b.pupils.is_none()).count();
    assert!(hidden >= 2, "{hidden}");
}

/// Personal budgets and travel training: the summary's figures are the sums of the pupils'
/// own, travel training only for pupils it could suit, and both only for council vehicles.
#[test]
fn transport_options_add_up_from_the_pupils() {
    let p = crate::support::rutland_demo();
    let s = summary(Audience::Internal);
    let rows = nearhome::output::tables::pupil_records(p);
    let by = |name: &str| {
        s.transport_options
            .iter()
            .find(|o| o.option == name)
            .unwrap()
    };
    let (pb, tt) = (by("personal_budget"), by("travel_training"));
    let pb_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.personal_budget_gbp.is_some())
        .collect();
    let tt_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.travel_training_first_year_gbp.is_some())
        .collect();
    assert_eq!(pb.eligible, Some(pb_rows.len() as u64));
    assert_eq!(tt.eligible, Some(tt_rows.len() as u64));
    assert!(!tt_rows.is_empty() && tt_rows.len() < pb_rows.len());
    let sum = |v: &[&nearhome::output::records::PupilRecord],
               f: fn(&nearhome::output::records::PupilRecord) -> Option<f64>|
     -> f64 { v.iter().filter_map(|r| f(r)).sum() };
    assert!((sum(&pb_rows, |r| r.personal_budget_gbp) - pb.first_year_gbp.unwrap()).abs() < 1.0);
    let first = sum(&tt_rows, |r| r.travel_training_first_year_gbp);
    let later = sum(&tt_rows, |r| r.travel_training_later_gbp);
    assert!((first - tt.first_year_gbp.unwrap()).abs() < 1.0);
    // the first year carries one training per pupil
    let training = p.params.costs.travel_training_gbp * tt_rows.len() as f64;
    assert!(
        (first - later - training).abs() < 1.0,
        "{first} {later} {training}"
    );
    for r in &tt_rows {
        assert!(r.phase != "primary", "{}", r.pupil_id);
        assert_eq!(
            (r.wheelchair, r.escort, r.solo),
            (Some(false), Some(false), Some(false))
        );
        assert!(!["PMLD", "SLD", "MSI"].contains(&r.need));
    }
    for r in &pb_rows {
        assert!(["taxi", "minibus"].contains(&rows_mode(p, &r.pupil_id)));
    }
}

fn rows_mode<'a>(p: &'a nearhome::app::Prepared, id: &str) -> &'a str {
    p.scenario
        .pupils
        .iter()
        .find(|u| u.id == id)
        .and_then(|u| u.transport)
        .map_or("", |t| t.as_str())
}
