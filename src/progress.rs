//! Progress bars on stderr for steps that take seconds at city scale (`indicatif`).
//!
//! Bars are drawn only when stderr is a terminal; otherwise every call is a no-op, so logs
//! and CI output stay clean. The core stages report progress through plain callbacks and
//! never touch the terminal themselves.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::metric::Metric;

/// A set of bars that draws only on a terminal.
#[derive(Debug, Clone)]
pub struct Bars {
    multi: MultiProgress,
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl Bars {
    /// Bars on stderr (hidden when stderr is not a terminal).
    pub fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        }
    }

    /// A bar of `total` steps labelled `label`.
    pub fn bar(&self, label: &str, total: u64) -> ProgressBar {
        let style = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {percent:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar
    }

    /// A spinner for a step of unknown length (reading and building from a PBF); finish it
    /// with `finish_and_clear`.
    pub fn spinner(&self, label: &str) -> ProgressBar {
        let style = ProgressStyle::with_template("{prefix:>24} {spinner} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    }

    /// One bar per metric for building the contraction hierarchies, as a callback.
    pub fn hierarchy(&self, n: u64) -> impl Fn(Metric, u64, u64) + Sync + use<> {
        let time = self.bar("hierarchy (time)", n);
        let dist = self.bar("hierarchy (distance)", n);
        move |m, done, total| {
            let b = match m {
                Metric::Time => &time,
                Metric::Distance => &dist,
            };
            b.set_length(total);
            b.set_position(done);
            if done >= total {
                b.finish();
            }
        }
    }
}
