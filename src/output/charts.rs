//! Inline SVG charts for the self-contained HTML report: a projection fan, grouped bars,
//! an investment cash flow and an NPV tornado, plus the £ tick format ([`money_label`]) and
//! the 1-2-5 tick steps ([`nice_ticks`]) they share.
//!
//! Owns chart layout and SVG markup only; every figure is computed elsewhere and passed in.
//! Each function returns one standalone `<svg>` string: well-formed XML with a `<title>` and
//! `<desc>`, all text and attribute values XML-escaped, no scripts, styles, fonts or links,
//! coordinates rounded to 0.1 px, and the same bytes for the same input. Non-finite values
//! are skipped; nothing left to draw gives a valid chart saying "No data". Colours are the
//! Okabe–Ito colour-blind-safe palette. Does no I/O and imports nothing from `crate::serve`.

use std::fmt::Write as _;

const W: u32 = 720;
const H: u32 = 360;
const FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
// Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
const BLACK: &str = "#000000";
const ORANGE: &str = "#E69F00";
const SKY: &str = "#56B4E9";
const GREEN: &str = "#009E73";
const BLUE: &str = "#0072B2";
const VERMILION: &str = "#D55E00";
const PURPLE: &str = "#CC79A7";
const SERIES: [&str; 7] = [BLUE, ORANGE, GREEN, PURPLE, VERMILION, SKY, BLACK];
const INK: &str = "#1a1a1a";
const GRID: &str = r##" stroke="#dddddd""##;
const MINUS: &str = "\u{2212}";
// `<text>` attribute sets.
const START: &str = r#" text-anchor="start""#;
const MID: &str = r#" text-anchor="middle""#;
const END: &str = r#" text-anchor="end""#;
const SMALL: &str = r#" text-anchor="middle" font-size="11""#;

/// One projected year of a fan chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FanPoint {
    /// Academic year, by the calendar year it starts in (2024 is 2024/25).
    pub year: i32,
    /// Central projection.
    pub central: f64,
    /// Lower end of the 80% interval.
    pub lo80: f64,
    /// Upper end of the 80% interval.
    pub hi80: f64,
    /// Lower end of the 95% interval.
    pub lo95: f64,
    /// Upper end of the 95% interval.
    pub hi95: f64,
}

impl FanPoint {
    fn values(&self) -> [f64; 5] {
        [self.central, self.lo80, self.hi80, self.lo95, self.hi95]
    }
}

/// One year of a cash flow, £ (capital negative, revenue positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CashFlowBar {
    /// Years from the start (0 = the capital year); labelled "Year N".
    pub year: u32,
    /// Capital cost that year as a non-negative £ figure, drawn below zero (a negative
    /// figure is read as its magnitude).
    pub capital_gbp: f64,
    /// Revenue saving that year, £ (negative = a revenue cost, drawn below zero).
    pub revenue_gbp: f64,
    /// Cumulative discounted net position at the end of that year, £.
    pub cumulative_discounted_gbp: f64,
}

impl CashFlowBar {
    /// The drawn values: capital below zero, revenue, cumulative net.
    fn values(&self) -> [f64; 3] {
        let capital = -self.capital_gbp.abs();
        [capital, self.revenue_gbp, self.cumulative_discounted_gbp]
    }
}

/// One row of a tornado: the NPV when an assumption is set low and high.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoRow {
    /// The assumption varied, e.g. "Discount rate".
    pub label: String,
    /// Its low setting as shown, e.g. "2.5%".
    pub low_label: String,
    /// Its high setting as shown, e.g. "5%".
    pub high_label: String,
    /// NPV with the assumption at its low setting, £.
    pub npv_low: f64,
    /// NPV with the assumption at its high setting, £.
    pub npv_high: f64,
}

/// A £ figure for ticks and labels: whole pounds below £10,000 (with thousands separators),
/// then three significant figures with a k, M or bn suffix; negatives take a real minus
/// sign. `0` → "£0", `12_500` → "£12.5k", `1_234_567` → "£1.23M", `-480_000` → "−£480k";
/// non-finite → "n/a".
pub fn money_label(gbp: f64) -> String {
    if !gbp.is_finite() {
        return "n/a".to_string();
    }
    let body = money_magnitude(gbp.abs());
    let negative = gbp < 0.0 && body != "0";
    format!("{}£{body}", if negative { MINUS } else { "" })
}

fn money_magnitude(a: f64) -> String {
    if a.round() < 10_000.0 {
        return grouped(a.round(), 0);
    }
    let mut out = String::new();
    for (div, suffix) in [(1e3, "k"), (1e6, "M"), (1e9, "bn")] {
        let x = a / div;
        let digits = 2 - usize::from(x >= 10.0) - usize::from(x >= 100.0);
        let s = trim_zeros(format!("{x:.digits$}"));
        out = format!("{}{suffix}", group_int_part(&s));
        if s.find('.').unwrap_or(s.len()) <= 3 {
            break;
        }
    }
    out
}

/// 1-2-5 tick values (`1, 2, 5 × 10^n` apart) from at or below `lo` to at or above `hi`,
/// about `target` intervals; a flat range is widened, non-finite bounds give no ticks.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (mut lo, mut hi) = (lo.min(hi), lo.max(hi));
    if hi - lo <= f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
        let pad = lo.abs() * 0.1;
        (lo, hi) = if pad == 0.0 {
            (0.0, 1.0)
        } else {
            (lo - pad, hi + pad)
        };
    }
    let raw = (hi - lo) / target.clamp(1, 50) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let unit = [1.0, 2.0, 5.0].into_iter().find(|&u| raw / mag <= u);
    let step = unit.unwrap_or(10.0) * mag;
    let (first, last) = ((lo / step).floor(), (hi / step).ceil());
    if !(step.is_finite() && step > 0.0 && last - first < 1000.0) {
        return vec![lo, hi];
    }
    let places = -step.log10().floor();
    (0..=(last - first) as i64)
        .map(|i| tidy((first + i as f64) * step, places))
        .collect()
}

/// `v` rounded to `places` decimals (so 3 × 0.1 is 0.3), left alone beyond 12.
fn tidy(v: f64, places: f64) -> f64 {
    if places > 12.0 {
        return v;
    }
    let k = 10f64.powf(places.max(0.0));
    (v * k).round() / k
}

/// A history + projection with 80% and 95% intervals (one need, or all plans).
pub fn fan_chart(
    title: &str,
    y_label: &str,
    history: &[(i32, f64)],
    projection: &[FanPoint],
) -> String {
    let mut hist = history.to_vec();
    hist.retain(|p| p.1.is_finite());
    hist.sort_by_key(|p| p.0);
    let mut proj = projection.to_vec();
    proj.retain(|p| p.values().iter().all(|v| v.is_finite()));
    proj.sort_by_key(|p| p.year);
    let years = hist.iter().map(|p| p.0).chain(proj.iter().map(|p| p.year));
    let values = hist.iter().map(|p| p.1);
    let values = values.chain(proj.iter().flat_map(FanPoint::values));
    let (Some(xs), Some((lo, hi))) = (extent(years.map(f64::from)), extent(values)) else {
        return no_data("fan", title);
    };
    let mut s = open_svg("fan", H, title, &fan_desc(y_label, &hist, &proj));
    let mut items = Vec::new();
    if !hist.is_empty() {
        items.push((Swatch::Line(BLACK, false, true), "Published"));
    }
    if !proj.is_empty() {
        items.push((Swatch::Line(BLUE, true, false), "Projection"));
        items.push((Swatch::Fill(BLUE, "0.45"), "80% interval"));
        items.push((Swatch::Fill(SKY, "0.3"), "95% interval"));
    }
    if items.len() < 2 {
        items.clear();
    }
    let plot = plot_below(legend(&mut s, &items), 72.0);
    let (ticks, y) = value_axis(lo.min(0.0), hi, (plot.bottom, plot.top));
    let x = Linear::new(xs, (plot.left + 16.0, plot.right - 16.0));
    y_axis(&mut s, plot, (y, &ticks), plain_label, y_label);
    year_labels(&mut s, plot, x);
    let fan = Fan { x, y };
    let last = hist
        .last()
        .filter(|h| proj.first().is_some_and(|p| h.0 <= p.year));
    let start: Vec<(f64, f64)> = last.iter().map(|h| fan.at(h.0, h.1)).collect();
    if !proj.is_empty() {
        fan_projection(&mut s, fan, &start, &proj);
    }
    let pts: Vec<(f64, f64)> = hist.iter().map(|p| fan.at(p.0, p.1)).collect();
    let attrs = format!(r#" data-kind="history" stroke="{BLACK}" stroke-width="2""#);
    polyline(&mut s, &pts, &attrs);
    for (&(yr, v), &at) in hist.iter().zip(&pts) {
        let tip = format!("{}: {}", academic_year(yr.into()), value_label(v));
        dot(&mut s, at, BLACK, &tip);
    }
    axes(&mut s, plot);
    close(s)
}

/// A fan chart's two scales.
#[derive(Debug, Clone, Copy)]
struct Fan {
    x: Linear,
    y: Linear,
}

impl Fan {
    fn at(&self, year: i32, v: f64) -> (f64, f64) {
        (self.x.map(f64::from(year)), self.y.map(v))
    }
}

/// The 95% and 80% bands and the dashed central line, all from `start` (the last
/// published point, if any).
fn fan_projection(s: &mut String, fan: Fan, start: &[(f64, f64)], proj: &[FanPoint]) {
    let band = |f: fn(&FanPoint) -> (f64, f64)| {
        let mut pts = start.to_vec();
        pts.extend(proj.iter().map(|p| fan.at(p.year, f(p).1)));
        pts.extend(proj.iter().rev().map(|p| fan.at(p.year, f(p).0)));
        pts
    };
    polygon(s, &band(|p| (p.lo95, p.hi95)), SKY, "0.3", "95");
    polygon(s, &band(|p| (p.lo80, p.hi80)), BLUE, "0.45", "80");
    let mut line = start.to_vec();
    line.extend(proj.iter().map(|p| fan.at(p.year, p.central)));
    let dashed = r#" stroke-width="2" stroke-dasharray="6 4""#;
    let attrs = format!(r#" data-kind="projection" stroke="{BLUE}"{dashed}"#);
    polyline(s, &line, &attrs);
}

fn fan_desc(y_label: &str, hist: &[(i32, f64)], proj: &[FanPoint]) -> String {
    let mut d = format!("{y_label}.");
    if let (Some(a), Some(b)) = (hist.first(), hist.last()) {
        let (from, to) = (academic_year(a.0.into()), academic_year(b.0.into()));
        let latest = value_label(b.1);
        let _ = write!(d, " Published {from} to {to}, latest {latest}.");
    }
    if let (Some(a), Some(b)) = (proj.first(), proj.last()) {
        let (from, to) = (academic_year(a.year.into()), academic_year(b.year.into()));
        let [c, l8, h8, l9, h9] = b.values().map(value_label);
        let _ = write!(d, " Projected {from} to {to}: {c} in {to} (80% interval {l8} to {h8}; 95% interval {l9} to {h9}).");
    }
    d
}

/// Grouped vertical bars: one group per category, one bar per series (e.g. journey-time bands now and after).
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> String {
    let n = categories.len();
    let Some((lo, hi)) = extent(series.iter().flat_map(|(_, v)| v.iter().take(n).copied())) else {
        return no_data("bars", title);
    };
    let names: Vec<&str> = series.iter().map(|(name, _)| name.as_str()).collect();
    let list = names.join(", ");
    let desc = format!("{y_label} for {n} categories; series: {list}.");
    let mut s = open_svg("bars", H, title, &desc);
    let colour = |i: usize| SERIES[i % SERIES.len()];
    let mut items = Vec::new();
    for (i, name) in names.iter().enumerate().filter(|_| names.len() > 1) {
        items.push((Swatch::Fill(colour(i), "1"), *name));
    }
    let plot = plot_below(legend(&mut s, &items), 72.0);
    let (ticks, y) = value_axis(lo.min(0.0), hi.max(0.0), (plot.bottom, plot.top));
    y_axis(&mut s, plot, (y, &ticks), plain_label, y_label);
    let group = (plot.right - plot.left) / n as f64;
    let bar_w = group * 0.8 / series.len() as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = plot.left + group * ci as f64;
        let label = fit(cat, group - 4.0);
        text(&mut s, (gx + group / 2.0, plot.bottom + 18.0), MID, &label);
        for (si, (name, vals)) in series.iter().enumerate() {
            let Some(&v) = vals.get(ci).filter(|v| v.is_finite()) else {
                continue;
            };
            let bx = gx + group * 0.1 + bar_w * si as f64;
            let what = format!("{name}, {cat}");
            value_bar(&mut s, (bx, bx + bar_w), (y, v), colour(si), &what);
        }
    }
    axes(&mut s, plot);
    close(s)
}

/// One bar from zero to `v` between pixel columns `xs`, its value printed beyond its end.
fn value_bar(s: &mut String, xs: (f64, f64), (y, v): (Linear, f64), fill: &str, what: &str) {
    let label = value_label(v);
    let attrs = format!(r#" data-kind="bar" fill="{fill}""#);
    let tip = format!("{what}: {label}");
    rect(s, (xs.0, y.map(0.0)), (xs.1, y.map(v)), &attrs, &tip);
    let ly = y.map(v) + if v < 0.0 { 14.0 } else { -4.0 };
    let attrs = format!(r#" data-kind="value-label"{SMALL}"#);
    text(s, ((xs.0 + xs.1) / 2.0, ly), &attrs, &label);
}

/// Capital cost below zero and revenue saving above it for each year, with the cumulative
/// discounted net position as a line with markers; years are drawn in the order given.
pub fn cash_flow_chart(title: &str, bars: &[CashFlowBar]) -> String {
    let Some((lo, hi)) = extent(bars.iter().flat_map(CashFlowBar::values)) else {
        return no_data("cashflow", title);
    };
    let mut s = open_svg("cashflow", H, title, &cash_desc(bars));
    let items = [
        (Swatch::Fill(VERMILION, "1"), "Capital (cost)"),
        (Swatch::Fill(GREEN, "1"), "Revenue saving"),
        (Swatch::Line(BLUE, false, true), "Cumulative discounted net"),
    ];
    let plot = plot_below(legend(&mut s, &items), 80.0);
    let (ticks, y) = value_axis(lo.min(0.0), hi.max(0.0), (plot.bottom, plot.top));
    y_axis(&mut s, plot, (y, &ticks), money_label, "£");
    let slot = (plot.right - plot.left) / bars.len() as f64;
    let (half, thin) = ((slot * 0.36).min(40.0), every(bars.len(), 12));
    let mut line = Vec::new();
    for (i, b) in bars.iter().enumerate() {
        let cx = plot.left + slot * (i as f64 + 0.5);
        if i % thin == 0 {
            let label = format!("Year {}", b.year);
            text(&mut s, (cx, plot.bottom + 18.0), MID, &label);
        }
        let tip = |what: &str, v: f64| format!("Year {}, {what}: {}", b.year, money_label(v));
        let mut bar = |x1: f64, v: f64, series: &str, fill: &str| {
            let attrs = format!(r#" data-kind="bar" data-series="{series}" fill="{fill}""#);
            let tip = tip(series, v);
            rect(&mut s, (cx, y.map(0.0)), (x1, y.map(v)), &attrs, &tip);
        };
        if b.capital_gbp.is_finite() {
            bar(cx - half, -b.capital_gbp.abs(), "capital", VERMILION);
        }
        if b.revenue_gbp.is_finite() {
            bar(cx + half, b.revenue_gbp, "revenue", GREEN);
        }
        let net = b.cumulative_discounted_gbp;
        if net.is_finite() {
            line.push(((cx, y.map(net)), tip("cumulative discounted net", net)));
        }
    }
    axes(&mut s, plot);
    let zero = y.map(0.0);
    let attrs = format!(r#" data-kind="zero" stroke="{BLACK}" stroke-width="2""#);
    segment(&mut s, (plot.left, zero), (plot.right, zero), &attrs);
    let pts: Vec<(f64, f64)> = line.iter().map(|p| p.0).collect();
    let attrs = format!(r#" data-kind="cumulative" stroke="{BLUE}" stroke-width="2""#);
    polyline(&mut s, &pts, &attrs);
    for (at, tip) in &line {
        dot(&mut s, *at, BLUE, tip);
    }
    close(s)
}

fn cash_desc(bars: &[CashFlowBar]) -> String {
    let sum = |f: fn(&CashFlowBar) -> f64| bars.iter().map(f).filter(|v| v.is_finite()).sum();
    let cap = money_label(sum(|b| b.capital_gbp.abs()));
    let rev = money_label(sum(|b| b.revenue_gbp));
    let mut d = format!("Capital cost, revenue saving and cumulative discounted net by year: total capital {cap}, total revenue saving {rev}.");
    let last = bars
        .iter()
        .rfind(|b| b.cumulative_discounted_gbp.is_finite());
    if let Some(b) = last {
        let net = money_label(b.cumulative_discounted_gbp);
        let _ = write!(d, " Cumulative discounted net at Year {}: {net}.", b.year);
    }
    d
}

const ROW_H: f64 = 30.0;

/// Where a tornado's pieces go: the x scale and, per kept row, its pixel ends.
struct TornadoLayout<'a> {
    height: u32,
    plot: Plot,
    x: Linear,
    ticks: Vec<f64>,
    rows: Vec<TornadoBar<'a>>,
}

/// One drawn row: centre `y`, the pixel x of each NPV and of the colour split (the base NPV,
/// or the bar's midpoint when both NPVs fall on one side of it).
struct TornadoBar<'a> {
    row: &'a TornadoRow,
    y: f64,
    x_low: f64,
    x_high: f64,
    x_split: f64,
}

fn tornado_layout(base: f64, rows: &[TornadoRow]) -> Option<TornadoLayout<'_>> {
    let mut kept: Vec<&TornadoRow> = rows.iter().collect();
    kept.retain(|r| r.npv_low.is_finite() && r.npv_high.is_finite());
    if !base.is_finite() || kept.is_empty() {
        return None;
    }
    let (lo, hi) = extent(kept.iter().flat_map(|r| [r.npv_low, r.npv_high, base]))?;
    // Room either side for the labels at the bar ends.
    let size = lo.abs().max(hi.abs());
    let pad = ((hi - lo) * 0.4).max(size * 0.05).max(1.0);
    let (top, bottom) = (72.0, 72.0 + ROW_H * kept.len() as f64);
    let plot = Plot {
        left: 190.0,
        top,
        right: f64::from(W) - 24.0,
        bottom,
    };
    let (ticks, x) = value_axis(lo - pad, hi + pad, (plot.left, plot.right));
    let bars = kept.into_iter().enumerate().map(|(i, row)| {
        let (a, b) = (row.npv_low.min(row.npv_high), row.npv_low.max(row.npv_high));
        let inside = (a..=b).contains(&base);
        let split = if inside { base } else { (a + b) / 2.0 };
        let y = top + ROW_H * (i as f64 + 0.5);
        let (x_low, x_high, x_split) = (x.map(row.npv_low), x.map(row.npv_high), x.map(split));
        TornadoBar {
            row,
            y,
            x_low,
            x_high,
            x_split,
        }
    });
    let height = (bottom + 48.0).ceil() as u32;
    Some(TornadoLayout {
        height,
        plot,
        x,
        ticks,
        rows: bars.collect(),
    })
}

/// Horizontal bars centred on the base NPV, one row per assumption in the order given (the
/// caller sorts by swing); each bar spans the row's two NPVs, coloured by side.
pub fn tornado(title: &str, base_npv: f64, rows: &[TornadoRow]) -> String {
    let Some(g) = tornado_layout(base_npv, rows) else {
        return no_data("tornado", title);
    };
    let mut s = open_svg("tornado", g.height, title, &tornado_desc(base_npv, &g.rows));
    let items = [
        (Swatch::Fill(BLUE, "1"), "Low setting"),
        (Swatch::Fill(ORANGE, "1"), "High setting"),
        (Swatch::Line(BLACK, false, false), "Base NPV"),
    ];
    legend(&mut s, &items);
    let p = g.plot;
    for &t in &g.ticks {
        segment(&mut s, (g.x.map(t), p.top), (g.x.map(t), p.bottom), GRID);
        text(&mut s, (g.x.map(t), p.bottom + 18.0), MID, &money_label(t));
    }
    let mid = (p.left + p.right) / 2.0;
    text(&mut s, (mid, p.bottom + 38.0), MID, "Net present value (£)");
    for (i, b) in g.rows.iter().enumerate() {
        tornado_row(&mut s, i, b, p.left);
    }
    let bx = g.x.map(base_npv);
    let attrs = format!(r#" data-kind="base" stroke="{BLACK}" stroke-width="1.5""#);
    segment(&mut s, (bx, p.top - 6.0), (bx, p.bottom), &attrs);
    let label = format!("Base {}", money_label(base_npv));
    text(&mut s, (bx, p.top - 10.0), SMALL, &label);
    close(s)
}

fn tornado_row(s: &mut String, i: usize, b: &TornadoBar, left: f64) {
    let (r, h) = (b.row, ROW_H * 0.3);
    let _ = writeln!(s, r#"<g data-kind="row" data-row="{i}">"#);
    for (side, fill, px, setting, npv) in [
        ("low", BLUE, b.x_low, &r.low_label, r.npv_low),
        ("high", ORANGE, b.x_high, &r.high_label, r.npv_high),
    ] {
        let attrs = format!(r#" data-kind="bar" data-side="{side}" fill="{fill}""#);
        let label = format!("{setting} ({})", money_label(npv));
        let tip = format!("{}, {label}", r.label);
        rect(s, (b.x_split, b.y - h), (px, b.y + h), &attrs, &tip);
        // Labels sit outside their end; with no swing, low goes left and high right.
        let leftward = px < b.x_split || (px <= b.x_split && side == "low");
        let dx = if leftward { -4.0 } else { 4.0 };
        let anchor = if leftward { END } else { START };
        let attrs = format!(r#"{anchor} font-size="11""#);
        text(s, (px + dx, b.y + 4.0), &attrs, &label);
    }
    text(s, (left - 8.0, b.y + 4.0), END, &fit(&r.label, left - 16.0));
    s.push_str("</g>\n");
}

fn tornado_desc(base: f64, rows: &[TornadoBar]) -> String {
    let (n, base) = (rows.len(), money_label(base));
    let mut d =
        format!("NPV at the low and high setting of {n} assumptions, around a base NPV of {base}.");
    let swing = |r: &TornadoRow| (r.npv_high - r.npv_low).abs();
    let widest = rows
        .iter()
        .map(|b| b.row)
        .max_by(|a, b| swing(a).total_cmp(&swing(b)));
    if let Some(r) = widest {
        let (lo, hi) = (money_label(r.npv_low), money_label(r.npv_high));
        let _ = write!(d, " Widest: {}, {lo} to {hi}.", r.label);
    }
    d
}

// ---- shared pieces ----------------------------------------------------------------------

/// The plot area in pixels.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

/// A linear map from data `d0..d1` onto pixels `r0..r1`.
#[derive(Debug, Clone, Copy)]
struct Linear {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Linear {
    fn new((d0, d1): (f64, f64), (r0, r1): (f64, f64)) -> Self {
        Self { d0, d1, r0, r1 }
    }

    /// A single-valued domain maps to the middle of the range.
    fn map(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() < f64::MIN_POSITIVE {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

#[derive(Debug, Clone, Copy)]
enum Swatch {
    /// Colour, dashed, with a dot.
    Line(&'static str, bool, bool),
    /// Colour, fill opacity.
    Fill(&'static str, &'static str),
}

fn plot_below(legend_bottom: f64, left: f64) -> Plot {
    let (right, bottom) = (f64::from(W) - 24.0, f64::from(H) - 40.0);
    Plot {
        left,
        top: legend_bottom + 10.0,
        right,
        bottom,
    }
}

/// Ticks for `[lo, hi]` and the scale from their ends onto `pixels`.
fn value_axis(lo: f64, hi: f64, pixels: (f64, f64)) -> (Vec<f64>, Linear) {
    let ticks = nice_ticks(lo, hi, 5);
    let d0 = ticks.first().copied().unwrap_or(lo);
    let d1 = ticks.last().copied().unwrap_or(hi);
    (ticks, Linear::new((d0, d1), pixels))
}

/// Least and greatest finite value, if any.
fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let finite = values.into_iter().filter(|v| v.is_finite());
    finite.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Label every `n`-th of `count` items so that at most about `max` show.
fn every(count: usize, max: usize) -> usize {
    count.div_ceil(max.max(1)).max(1)
}

/// The root element, `<title>`, `<desc>`, a white background and the visible title.
fn open_svg(kind: &str, h: u32, title: &str, desc: &str) -> String {
    let id = chart_id(kind, title);
    let mut s = String::with_capacity(8192);
    let aria = format!(r#"role="img" aria-labelledby="{id}-title {id}-desc""#);
    let fonts = format!(r#"font-family="{FONT}" font-size="12" fill="{INK}""#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="{W}" height="{h}" {aria} class="chart chart-{kind}" {fonts}>"#
    );
    let _ = writeln!(s, r#"<title id="{id}-title">{}</title>"#, esc(title));
    let _ = writeln!(s, r#"<desc id="{id}-desc">{}</desc>"#, esc(desc));
    let _ = writeln!(s, r##"<rect width="{W}" height="{h}" fill="#ffffff"/>"##);
    let heading = fit(title, f64::from(W) - 32.0);
    text(
        &mut s,
        (16.0, 24.0),
        r#" font-size="15" font-weight="bold""#,
        &heading,
    );
    s
}

fn close(mut s: String) -> String {
    s.push_str("</svg>\n");
    s
}

fn no_data(kind: &str, title: &str) -> String {
    let mut s = open_svg(kind, 120, title, "No data");
    text(&mut s, (f64::from(W) / 2.0, 75.0), MID, "No data");
    close(s)
}

/// A stable id per chart (FNV-1a of kind and title), so `aria-labelledby` targets stay
/// distinct when several charts share one page.
fn chart_id(kind: &str, title: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain([0]).chain(title.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("chart-{kind}-{:08x}", h & 0xffff_ffff)
}

/// Items left to right under the title, wrapping; returns the bottom of the last row.
fn legend(s: &mut String, items: &[(Swatch, &str)]) -> f64 {
    if items.is_empty() {
        return 30.0;
    }
    let (mut x, mut y) = (16.0, 44.0);
    for &(swatch, label) in items {
        let w = 40.0 + text_px(label);
        if x > 16.0 && x + w > f64::from(W) - 16.0 {
            (x, y) = (16.0, y + 18.0);
        }
        match swatch {
            Swatch::Line(c, dashed, with_dot) => {
                let dash = if dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                };
                let attrs = format!(r#" stroke="{c}" stroke-width="2"{dash}"#);
                segment(s, (x, y), (x + 20.0, y), &attrs);
                if with_dot {
                    let (cx, cy) = (n1(x + 10.0), n1(y));
                    let _ = writeln!(s, r#"<circle cx="{cx}" cy="{cy}" r="3.5" fill="{c}"/>"#);
                }
            }
            Swatch::Fill(c, op) => {
                let (rx, ry) = (n1(x), n1(y - 6.0));
                let size = r#"width="20.0" height="12.0""#;
                let _ = writeln!(
                    s,
                    r#"<rect x="{rx}" y="{ry}" {size} fill="{c}" fill-opacity="{op}"/>"#
                );
            }
        }
        text(s, (x + 26.0, y + 4.0), START, label);
        x += w;
    }
    y + 8.0
}

/// Horizontal gridlines with tick labels, and the rotated axis title.
fn y_axis(
    s: &mut String,
    p: Plot,
    (y, ticks): (Linear, &[f64]),
    fmt: fn(f64) -> String,
    title: &str,
) {
    for &t in ticks {
        segment(s, (p.left, y.map(t)), (p.right, y.map(t)), GRID);
        text(s, (p.left - 6.0, y.map(t) + 4.0), END, &fmt(t));
    }
    let (x, mid) = (16.0, (p.top + p.bottom) / 2.0);
    let rotate = format!(r#"{MID} transform="rotate(-90 {} {})""#, n1(x), n1(mid));
    text(s, (x, mid), &rotate, &fit(title, p.bottom - p.top));
}

/// Academic-year labels under a year scale, thinned to about ten.
fn year_labels(s: &mut String, p: Plot, x: Linear) {
    let (first, last) = (x.d0 as i64, x.d1 as i64);
    let step = every(last.saturating_sub(first) as usize + 1, 10);
    for yr in (first..=last).step_by(step) {
        text(
            s,
            (x.map(yr as f64), p.bottom + 18.0),
            MID,
            &academic_year(yr),
        );
    }
}

fn axes(s: &mut String, p: Plot) {
    let (l, t, r, b) = (n1(p.left), n1(p.top), n1(p.right), n1(p.bottom));
    let _ = writeln!(
        s,
        r#"<polyline points="{l},{t} {l},{b} {r},{b}" fill="none" stroke="{INK}"/>"#
    );
}

/// `<text>`; `attrs` is crate-built markup (leading space), `content` is escaped.
fn text(s: &mut String, (x, y): (f64, f64), attrs: &str, content: &str) {
    let (x, y, body) = (n1(x), n1(y), esc(content));
    let _ = writeln!(s, r#"<text x="{x}" y="{y}"{attrs}>{body}</text>"#);
}

fn segment(s: &mut String, a: (f64, f64), b: (f64, f64), attrs: &str) {
    let (x1, y1, x2, y2) = (n1(a.0), n1(a.1), n1(b.0), n1(b.1));
    let _ = writeln!(
        s,
        r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"{attrs}/>"#
    );
}

/// A rectangle between two pixel corners in any order, corners rounded first so its edges
/// land exactly on the rounded coordinates; `tip` becomes its tooltip.
fn rect(s: &mut String, a: (f64, f64), b: (f64, f64), attrs: &str, tip: &str) {
    let (l, r) = (r1(a.0.min(b.0)), r1(a.0.max(b.0)));
    let (t, btm) = (r1(a.1.min(b.1)), r1(a.1.max(b.1)));
    let (x, y, w, h) = (n1(l), n1(t), n1(r - l), n1(btm - t));
    let geometry = format!(r#"x="{x}" y="{y}" width="{w}" height="{h}""#);
    let _ = writeln!(
        s,
        "<rect {geometry}{attrs}><title>{}</title></rect>",
        esc(tip)
    );
}

fn dot(s: &mut String, (x, y): (f64, f64), fill: &str, tip: &str) {
    let (cx, cy, tip) = (n1(x), n1(y), esc(tip));
    let circle = format!(r#"<circle data-kind="point" cx="{cx}" cy="{cy}" r="3.5" fill="{fill}">"#);
    let _ = writeln!(s, "{circle}<title>{tip}</title></circle>");
}

fn points(pts: &[(f64, f64)]) -> String {
    let each: Vec<String> = pts
        .iter()
        .map(|&(x, y)| format!("{},{}", n1(x), n1(y)))
        .collect();
    each.join(" ")
}

fn polyline(s: &mut String, pts: &[(f64, f64)], attrs: &str) {
    if pts.len() > 1 {
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none"{attrs}/>"#,
            points(pts)
        );
    }
}

fn polygon(s: &mut String, pts: &[(f64, f64)], fill: &str, opacity: &str, band: &str) {
    let paint = format!(r#"fill="{fill}" fill-opacity="{opacity}""#);
    let pts = points(pts);
    let _ = writeln!(
        s,
        r#"<polygon data-kind="band" data-band="{band}" points="{pts}" {paint}/>"#
    );
}

/// XML-escapes text or an attribute value, dropping characters XML 1.0 cannot carry.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn r1(v: f64) -> f64 {
    if v.is_finite() {
        (v * 10.0).round() / 10.0
    } else {
        0.0
    }
}

/// A coordinate to one decimal place, never "-0.0" or "NaN".
fn n1(v: f64) -> String {
    let r = r1(v);
    format!("{:.1}", if r == 0.0 { 0.0 } else { r })
}

fn text_px(s: &str) -> f64 {
    s.chars().count() as f64 * 6.8
}

/// `label` cut with an ellipsis to about `max_px` wide at the base font size.
fn fit(label: &str, max_px: f64) -> String {
    let max = (max_px / 6.8).floor().max(2.0) as usize;
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut cut: String = label.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

fn academic_year(y: i64) -> String {
    format!("{y}/{:02}", (y + 1).rem_euclid(100))
}

/// An axis figure: up to two decimals, thousands separators, a real minus sign.
fn plain_label(v: f64) -> String {
    let exact = |d: &usize| {
        let k = 10f64.powi(*d as i32);
        ((v * k).round() - v * k).abs() < 1e-6
    };
    grouped(v, (0..2).find(exact).unwrap_or(2))
}

/// A bar or point value: an integer when integral, else one decimal.
fn value_label(v: f64) -> String {
    grouped(v, usize::from((v.round() - v).abs() >= 1e-9))
}

fn grouped(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let body = group_int_part(&format!("{:.decimals$}", v.abs()));
    let nonzero = body.bytes().any(|b| (b'1'..=b'9').contains(&b));
    format!("{}{body}", if v < 0.0 && nonzero { MINUS } else { "" })
}

/// "1234567.5" → "1,234,567.5".
fn group_int_part(s: &str) -> String {
    let int_len = s.find('.').unwrap_or(s.len());
    let mut out = String::with_capacity(s.len() + int_len / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i < int_len && (int_len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks tags balance, attribute values are double-quoted and closed, every `&` starts
    /// one of the five named entities, no raw `>` or duplicate attribute, and one root.
    fn check_xml(s: &str) -> Result<(), String> {
        let b = s.as_bytes();
        let (mut i, mut stack, mut roots) = (0, Vec::<&str>::new(), 0);
        while i < b.len() {
            match b[i] {
                b'<' if b.get(i + 1) == Some(&b'/') => {
                    let end = i + s[i..].find('>').ok_or("unclosed end tag")?;
                    if stack.pop() != Some(&s[i + 2..end]) {
                        return Err(format!("mismatched end tag at {i}"));
                    }
                    i = end + 1;
                }
                b'<' => {
                    roots += usize::from(stack.is_empty());
                    let (name, closed, next) = open_tag(s, i + 1)?;
                    if !closed {
                        stack.push(name);
                    }
                    i = next;
                }
                b'&' => i = entity(s, i)?,
                b'>' => return Err(format!("raw > at {i}")),
                c if stack.is_empty() && !c.is_ascii_whitespace() => {
                    return Err("stray text".into())
                }
                _ => i += 1,
            }
        }
        if stack.is_empty() && roots == 1 {
            Ok(())
        } else {
            Err(format!("unbalanced: open {stack:?}, roots {roots}"))
        }
    }

    fn name_end(b: &[u8], mut i: usize) -> usize {
        while b
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"-_:".contains(c))
        {
            i += 1;
        }
        i
    }

    /// The tag name, whether it self-closes, and the index after it.
    fn open_tag(s: &str, start: usize) -> Result<(&str, bool, usize), String> {
        let b = s.as_bytes();
        let name = &s[start..name_end(b, start)];
        let (mut i, mut seen) = (start + name.len(), Vec::new());
        while !name.is_empty() {
            let ws = i;
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            match (b.get(i), b.get(i + 1)) {
                (Some(b'>'), _) => return Ok((name, false, i + 1)),
                (Some(b'/'), Some(b'>')) => return Ok((name, true, i + 2)),
                (None, _) => return Err("unclosed tag".into()),
                _ if ws == i => return Err(format!("no space before attribute at {i}")),
                _ => {}
            }
            let a = i;
            i = name_end(b, i);
            let quoted = b.get(i) == Some(&b'=') && b.get(i + 1) == Some(&b'"');
            if i == a || !quoted || seen.contains(&&s[a..i]) {
                return Err(format!("bad or repeated attribute at {a}"));
            }
            seen.push(&s[a..i]);
            i += 2;
            while b.get(i) != Some(&b'"') {
                match b.get(i) {
                    Some(b'<') | None => return Err(format!("unclosed value at {a}")),
                    Some(b'&') => i = entity(s, i)?,
                    Some(_) => i += 1,
                }
            }
            i += 1;
        }
        Err(format!("bad tag name at {start}"))
    }

    fn entity(s: &str, i: usize) -> Result<usize, String> {
        let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"];
        let e = known.iter().find(|e| s[i..].starts_with(**e));
        e.map(|e| i + e.len()).ok_or(format!("bad entity at {i}"))
    }

    fn count(s: &str, needle: &str) -> usize {
        s.matches(needle).count()
    }

    fn attr<'a>(s: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let rest = &s[s.find(&key).unwrap() + key.len()..];
        &rest[..rest.find('"').unwrap()]
    }

    /// Well-formed, titled, no NaN or inf, every coordinate a number with at most 1 decimal.
    fn assert_valid(svg: &str) {
        check_xml(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#));
        assert!(svg.contains("<title id=") && svg.contains("<desc id="));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        for key in [
            "x", "y", "width", "height", "cx", "cy", "x1", "y2", "points",
        ] {
            for part in svg.split(&format!(" {key}=\"")).skip(1) {
                let value = &part[..part.find('"').unwrap()];
                for num in value.split([' ', ',']) {
                    let decimals = num.split_once('.').map_or(0, |(_, f)| f.len());
                    assert!(decimals <= 1 && num.parse::<f64>().is_ok(), "{key}={value}");
                }
            }
        }
    }

    fn fan_point(year: i32, c: f64) -> FanPoint {
        let (lo80, hi80, lo95, hi95) = (c * 0.9, c * 1.1, c * 0.8, c * 1.2);
        FanPoint {
            year,
            central: c,
            lo80,
            hi80,
            lo95,
            hi95,
        }
    }

    fn row(label: &str, npv_low: f64, npv_high: f64) -> TornadoRow {
        let (low_label, high_label) = ("2%".to_string(), "5%".to_string());
        TornadoRow {
            label: label.into(),
            low_label,
            high_label,
            npv_low,
            npv_high,
        }
    }

    fn cash(year: u32, capital_gbp: f64, revenue_gbp: f64, net: f64) -> CashFlowBar {
        let cumulative_discounted_gbp = net;
        CashFlowBar {
            year,
            capital_gbp,
            revenue_gbp,
            cumulative_discounted_gbp,
        }
    }

    #[test]
    fn checker_rejects_malformed_markup() {
        assert!(check_xml(r#"<svg a="1"><g/><t>x &amp; y</t></svg>"#).is_ok());
        let bad = [
            "<svg><g></svg>",
            r#"<svg a="1></svg>"#,
            "<svg>&</svg>",
            "<svg>a>b</svg>",
        ];
        for bad in bad
            .into_iter()
            .chain([r#"<svg a="1" a="2"/>"#, "<svg/><svg/>", "<svg"])
        {
            assert!(check_xml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_labels() {
        let cases = [
            (0.0, "£0"),
            (950.0, "£950"),
            (1_500.0, "£1,500"),
            (12_500.0, "£12.5k"),
            (480_000.0, "£480k"),
            (999_999.0, "£1M"),
            (1_200_000.0, "£1.2M"),
            (1_234_567.0, "£1.23M"),
            (-480_000.0, "\u{2212}£480k"),
            (-0.2, "£0"),
            (2.5e12, "£2,500bn"),
            (f64::NAN, "n/a"),
        ];
        for (v, want) in cases {
            assert_eq!(money_label(v), want, "{v}");
        }
    }

    #[test]
    fn nice_ticks_cover_range_in_1_2_5_steps() {
        let ranges = [(0.0, 1234.0), (-480e3, 1.25e6), (0.013, 0.087), (7.0, 7.0)];
        for (lo, hi) in ranges
            .into_iter()
            .chain([(0.0, 0.0), (5.0, -3.0), (3e9, 3.2e9)])
        {
            let t = nice_ticks(lo, hi, 5);
            let (first, last) = (t[0], t[t.len() - 1]);
            assert!(
                t.len() >= 2 && first <= lo.min(hi) && last >= lo.max(hi),
                "{t:?}"
            );
            let step = t[1] - t[0];
            let unit = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|u| (unit - u).abs() < 1e-6),
                "{t:?}"
            );
            assert!(t
                .windows(2)
                .all(|w| (w[1] - w[0] - step).abs() < step * 1e-6));
        }
        assert_eq!(nice_ticks(0.0, 10.0, 5), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0, 0.3, 3), [0.0, 0.1, 0.2, 0.3]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
    }

    #[test]
    fn fan_chart_draws_history_bands_and_skips_nan() {
        let history = [
            (2019, 900.0),
            (2020, f64::NAN),
            (2021, 1000.0),
            (2022, 1100.0),
        ];
        let mut bad = fan_point(2024, 1300.0);
        bad.hi95 = f64::INFINITY;
        let proj = [fan_point(2023, 1200.0), bad, fan_point(2025, 1400.0)];
        let title = "EHCPs <all> & \"plans\"";
        let svg = fan_chart(title, "Plans", &history, &proj);
        assert_valid(&svg);
        assert!(svg.contains(r#"class="chart chart-fan""#));
        assert_eq!(count(&svg, r#"data-kind="band""#), 2);
        assert_eq!(count(&svg, r#"data-kind="point""#), 3);
        assert_eq!(count(&svg, r#"data-kind="projection""#), 1);
        let legend = ["Published", "Projection", "80% interval", "95% interval"];
        for label in legend.into_iter().chain(["2019/20", "2025/26", "1,400"]) {
            assert!(svg.contains(label), "{label}");
        }
        assert!(svg.contains("EHCPs &lt;all&gt; &amp; &quot;plans&quot;"));
        assert_eq!(svg, fan_chart(title, "Plans", &history, &proj));
        // The central line and both bands have 1 anchor + 2 kept years (+ 2 back for bands).
        let line = svg.split(r#"data-kind="projection""#).next().unwrap();
        let line = &line[line.rfind("points=\"").unwrap()..];
        assert_eq!(count(&line[..line.find("\" ").unwrap()], ","), 3);
    }

    #[test]
    fn fan_projection_starts_at_last_published_point() {
        let svg = fan_chart(
            "t",
            "n",
            &[(2022, 10.0), (2023, 20.0)],
            &[fan_point(2024, 30.0)],
        );
        assert_valid(&svg);
        let last_dot = svg.split(r#"data-kind="point""#).nth(2).unwrap();
        let start = format!("{},{} ", attr(last_dot, "cx"), attr(last_dot, "cy"));
        assert_eq!(count(&svg, &format!("points=\"{start}")), 3, "{svg}");
        assert!(svg.contains(">Published<") && svg.contains(">Projection<"));
        let only_history = fan_chart("t", "n", &[(2022, 10.0), (2023, 20.0)], &[]);
        assert_valid(&only_history);
        assert!(
            !only_history.contains(">Published<") && !only_history.contains("data-kind=\"band\"")
        );
    }

    #[test]
    fn grouped_bars_count_labels_and_escape() {
        let cats = ["0–15 min", "15–30 <min>", "30+ & more"]
            .map(String::from)
            .to_vec();
        let now = ("Now".to_string(), vec![12.0, 3.5, f64::NAN]);
        let series = vec![now, ("After \"plan\"".to_string(), vec![20.0, 1.0])];
        let svg = grouped_bars("Journeys", "Pupils", &cats, &series);
        assert_valid(&svg);
        assert!(svg.contains(r#"class="chart chart-bars""#));
        assert_eq!(count(&svg, r#"data-kind="bar""#), 4);
        assert_eq!(count(&svg, r#"data-kind="value-label""#), 4);
        assert!(svg.contains(r#"font-size="11">12</text>"#));
        assert!(svg.contains(r#"font-size="11">3.5</text>"#));
        assert!(svg.contains("15–30 &lt;min&gt;") && svg.contains("30+ &amp; more"));
        assert!(
            svg.contains(">After &quot;plan&quot;</text>"),
            "legend for two series"
        );
        let one = grouped_bars("Journeys", "Pupils", &cats, &series[..1]);
        assert_valid(&one);
        assert!(
            !one.contains(">Now</text>"),
            "no legend for a single series"
        );
    }

    #[test]
    fn cash_flow_draws_bars_line_and_zero() {
        let bars = [
            cash(0, 1_200_000.0, 0.0, -1_200_000.0),
            cash(1, 0.0, 400_000.0, -820_000.0),
            cash(2, 0.0, f64::NAN, f64::NAN),
            cash(3, 0.0, 400_000.0, 250_000.0),
        ];
        let svg = cash_flow_chart("Cash <flow>", &bars);
        assert_valid(&svg);
        assert!(svg.contains(r#"class="chart chart-cashflow""#));
        assert_eq!(count(&svg, r#"data-series="capital""#), 4);
        assert_eq!(count(&svg, r#"data-series="revenue""#), 3);
        assert_eq!(count(&svg, r#"data-kind="point""#), 3);
        assert_eq!(count(&svg, r#"data-kind="zero""#), 1);
        let legend = [
            "Capital (cost)",
            "Revenue saving",
            "Cumulative discounted net",
        ];
        for label in legend
            .into_iter()
            .chain(["Year 0", "Year 3", "Cash &lt;flow&gt;"])
        {
            assert!(svg.contains(label), "{label}");
        }
        assert!(svg.contains(">\u{2212}£1.5M</text>"), "negative £ tick");
    }

    #[test]
    fn tornado_bars_span_exactly_between_the_npvs() {
        let rows = [
            row("Discount rate", 300_000.0, -100_000.0),
            row("Places & <fill>", 150_000.0, 250_000.0),
            row("Bad", f64::NAN, 1.0),
            row("Cost", 180_000.0, 180_000.0),
        ];
        let base = 180_000.0;
        let g = tornado_layout(base, &rows).unwrap();
        assert_eq!(g.rows.len(), 3);
        for b in &g.rows {
            let (lo, hi) = (
                b.row.npv_low.min(b.row.npv_high),
                b.row.npv_low.max(b.row.npv_high),
            );
            assert_eq!(b.x_low.min(b.x_high), g.x.map(lo));
            assert_eq!(b.x_low.max(b.x_high), g.x.map(hi));
            assert!(g.x.map(lo) <= b.x_split && b.x_split <= g.x.map(hi));
            assert!(g.plot.left <= g.x.map(lo) && g.x.map(hi) <= g.plot.right);
        }
        assert_eq!(g.rows[0].x_split, g.x.map(base));
        let svg = tornado("NPV <sensitivity>", base, &rows);
        assert_valid(&svg);
        assert!(svg.contains(r#"class="chart chart-tornado""#));
        assert_eq!(count(&svg, r#"data-kind="row""#), 3);
        assert_eq!(count(&svg, r#"data-kind="bar""#), 6);
        assert!(svg.contains(">Places &amp; &lt;fill&gt;</text>"));
        assert!(svg.contains(">2% (£300k)</text>") && svg.contains(">5% (\u{2212}£100k)</text>"));
        // Each row's drawn rectangles together cover exactly its two NPVs' (rounded) pixels.
        for (i, b) in g.rows.iter().enumerate() {
            let group = svg.split(&format!(r#"data-row="{i}">"#)).nth(1).unwrap();
            let (mut left, mut right) = (f64::INFINITY, f64::NEG_INFINITY);
            for r in group[..group.find("</g>").unwrap()].split("<rect").skip(1) {
                let x: f64 = attr(r, "x").parse().unwrap();
                left = left.min(x);
                right = right.max(x + attr(r, "width").parse::<f64>().unwrap());
            }
            assert!((left - r1(b.x_low.min(b.x_high))).abs() < 1e-9, "{group}");
            assert!((right - r1(b.x_low.max(b.x_high))).abs() < 1e-9, "{group}");
        }
    }

    #[test]
    fn empty_or_all_nan_inputs_say_no_data() {
        let charts = [
            fan_chart("Fan & co", "n", &[], &[]),
            fan_chart("Fan", "n", &[(2020, f64::NAN)], &[]),
            grouped_bars("Bars", "n", &[], &[]),
            grouped_bars("Bars", "n", &["a".into()], &[("s".into(), vec![])]),
            cash_flow_chart("Cash", &[]),
            cash_flow_chart("Cash", &[cash(0, f64::NAN, f64::NAN, f64::INFINITY)]),
            tornado("Tornado", 1.0, &[]),
            tornado("Tornado", f64::NAN, &[row("r", 1.0, 2.0)]),
        ];
        for svg in &charts {
            assert_valid(svg);
            assert!(svg.contains(">No data</text>"), "{svg}");
        }
    }

    #[test]
    fn number_formats() {
        assert_eq!(plain_label(12_500.0), "12,500");
        assert_eq!(plain_label(-0.25), "\u{2212}0.25");
        assert_eq!(value_label(1234.56), "1,234.6");
        assert_eq!(academic_year(2024), "2024/25");
        assert_eq!(academic_year(1999), "1999/00");
        assert_eq!(n1(-0.04), "0.0");
        assert_eq!(esc("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
