//! The simple baseline a planner might draw by hand: start a run at the pupil farthest from
//! school, then keep picking up the nearest waiting pupil (by road time from the last stop)
//! who still fits (a vehicle type carries them all and nobody's time on board goes over its
//! limit); when nobody fits, the run goes to school and the next one starts.

use super::problem::{Load, Problem};

/// Runs for `riders` (indices into `p.riders`), in pick-up order.
pub fn nearest_first(p: &Problem, riders: &[usize]) -> Vec<Vec<usize>> {
    let mut waiting: Vec<usize> = riders.to_vec();
    let mut runs = Vec::new();
    while let Some(first) = farthest(p, &waiting) {
        waiting.retain(|&u| u != first);
        let mut run = vec![first];
        while let Some(next) = nearest_fitting(p, &run, &waiting) {
            waiting.retain(|&u| u != next);
            run.push(next);
        }
        runs.push(run);
    }
    runs
}

fn farthest(p: &Problem, waiting: &[usize]) -> Option<usize> {
    waiting
        .iter()
        .copied()
        .max_by(|&a, &b| p.direct_s(a).total_cmp(&p.direct_s(b)).then(b.cmp(&a)))
}

fn nearest_fitting(p: &Problem, run: &[usize], waiting: &[usize]) -> Option<usize> {
    let last = *run.last()?;
    let load = Load::of(&p.riders, run);
    let mut by_time: Vec<usize> = waiting.to_vec();
    by_time.sort_by(|&a, &b| p.secs(last, a).total_cmp(&p.secs(last, b)).then(a.cmp(&b)));
    by_time.into_iter().find(|&u| {
        p.pricing.cheapest(load.with(&p.riders[u]), 0.0).is_some() && {
            let mut longer = run.to_vec();
            longer.push(u);
            p.evaluate(&longer).feasible(&p.riders, &longer)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::problem::tests::{line, rider};
    use super::*;

    #[test]
    fn a_run_fills_to_the_largest_vehicle_then_a_new_one_starts() {
        let xs: Vec<f64> = (0..20).map(|i| 10.0 - i as f64 * 0.1).collect();
        let p = line(&xs, (0..20).map(rider).collect());
        let all: Vec<usize> = (0..20).collect();
        let runs = nearest_first(&p, &all);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].len(), 16, "a 16-seat minibus fills first");
        assert_eq!(runs[0][0], 0, "from the farthest pupil");
    }
}
