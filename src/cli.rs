//! Subcommands: arguments (clap) -> validated settings -> one library pipeline each.

use std::io::{ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use rayon::prelude::*;

use nearhome::index::snap::{Snap, DEFAULT_MAX_SNAP_M};
use nearhome::load::network::{load_network_for, save_cache};
use nearhome::load::points::read_points;
use nearhome::model::LatLon;
use nearhome::query::matrix::matrix;
use nearhome::query::route::{Metric, Network};

/// nearhome: home-to-school journeys, out-of-area SEND placements and where new local
/// places would help most.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the road graph and snapping index from an OSM PBF and save it as a cache.
    Prepare {
        /// OSM PBF extract; several (repeat the flag or separate with commas) are merged
        /// into one graph by OSM id, e.g. a county and its neighbours.
        #[arg(long, required = true, num_args = 1.., value_delimiter = ',')]
        osm: Vec<PathBuf>,
        /// Output cache file (`.nhg`).
        #[arg(long)]
        out: PathBuf,
    },
    /// Route between two points and print the figures (or a GeoJSON Feature).
    Route {
        /// OSM PBF extract or `.nhg` graph cache; several PBFs (repeat the flag or separate
        /// with commas) are merged into one graph by OSM id, cached beside the first.
        #[arg(long, required = true, num_args = 1.., value_delimiter = ',')]
        osm: Vec<PathBuf>,
        /// Origin as `LAT,LON` (WGS84 degrees).
        #[arg(long, allow_hyphen_values = true)]
        from: String,
        /// Destination as `LAT,LON` (WGS84 degrees).
        #[arg(long, allow_hyphen_values = true)]
        to: String,
        /// What the path minimises: `time` or `distance`.
        #[arg(long, default_value = "time")]
        metric: Metric,
        /// Largest snap distance, metres.
        #[arg(long, default_value_t = DEFAULT_MAX_SNAP_M)]
        max_snap_m: f64,
        /// Print a GeoJSON Feature with the route LineString.
        #[arg(long)]
        geojson: bool,
    },
    /// Journey matrix between two `id,lat,lon` CSV files.
    Matrix {
        /// OSM PBF extract or `.nhg` graph cache; several PBFs (repeat the flag or separate
        /// with commas) are merged into one graph by OSM id, cached beside the first.
        #[arg(long, required = true, num_args = 1.., value_delimiter = ',')]
        osm: Vec<PathBuf>,
        /// Origins CSV (`id,lat,lon`).
        #[arg(long)]
        from: PathBuf,
        /// Destinations CSV (`id,lat,lon`).
        #[arg(long)]
        to: PathBuf,
        /// What each path minimises: `time` or `distance`.
        #[arg(long, default_value = "time")]
        metric: Metric,
        /// Largest snap distance, metres.
        #[arg(long, default_value_t = DEFAULT_MAX_SNAP_M)]
        max_snap_m: f64,
        /// Output CSV `from_id,to_id,distance_m,duration_s`.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a scenario's files and print a data-quality report (exit 1 on errors).
    Validate {
        /// `scenario.toml` (default: the Rutland demo).
        scenario: Option<PathBuf>,
        /// List every issue (by default at most 20 per file, severity and kind).
        #[arg(long)]
        all: bool,
    },
    /// Generate deterministic synthetic pupils calibrated to the authority's SEN2 figures.
    Synth {
        /// `scenario.toml` (default: the Rutland demo).
        scenario: Option<PathBuf>,
        /// Random seed.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
        /// SEN2 authority code for the targets (default: the scenario's `la_code`).
        #[arg(long)]
        la_code: Option<String>,
        /// Output pupils CSV (required, so that the scenario's committed pupils are never
        /// overwritten by accident; give the scenario's `pupils` path to regenerate them).
        #[arg(long)]
        out: PathBuf,
        /// Also write the target vs generated calibration table (CSV) here.
        #[arg(long)]
        calibration: Option<PathBuf>,
    },
    /// Serve the analysis and the offline web map over HTTP (default: the Rutland demo).
    #[command(after_long_help = SERVE_LONG_HELP)]
    Serve {
        /// `scenario.toml` (default: the Rutland demo).
        scenario: Option<PathBuf>,
        /// Address to listen on (loopback by default).
        #[arg(long, env = "NEARHOME_BIND", default_value = nearhome::serve::DEFAULT_BIND)]
        bind: std::net::SocketAddr,
    },
    /// Analyse a scenario: journeys, out-of-area placements, optimal bring-back, savings.
    ///
    /// Without the road extract it still runs, estimate-only: every journey estimated from
    /// the straight line at the scenario's defaults, every file written, no bring-back.
    Analyse {
        /// `scenario.toml` (default: the Rutland demo).
        scenario: Option<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Skip the GeoJSON lines (journeys.geojson, moves.geojson).
        #[arg(long)]
        no_geometry: bool,
        /// Time journeys at free-flow speeds instead of the scenario's `[speeds]` (the
        /// morning school run by default).
        #[arg(long)]
        free_flow: bool,
        /// Refuse to run when the road extract is missing (exit 2, naming it) instead of
        /// estimating every journey.
        #[arg(long)]
        require_roads: bool,
    },
    /// Where new places for one need would bring most pupils back or cut most travel, with a
    /// capital plan (sites.csv, proposals.csv, capital.csv, sites.geojson, report.md).
    Site {
        /// `scenario.toml` (default: the Rutland demo).
        scenario: Option<PathBuf>,
        /// Need the new places serve (SEN2 code, e.g. ASD).
        #[arg(long)]
        need: nearhome::model::Need,
        /// Places per new base.
        #[arg(long)]
        places: u32,
        /// Youngest age served, years (without --age-min and --age-max: the phase most of the
        /// need's out-of-area pupils are in, said in the output).
        #[arg(long)]
        age_min: Option<u8>,
        /// Oldest age served, years.
        #[arg(long)]
        age_max: Option<u8>,
        /// Largest number of new bases (answers for every k from 1).
        #[arg(long, default_value_t = 3)]
        k: usize,
        /// `return` (bring back the most out-of-area pupils) or `travel` (cut the most travel).
        #[arg(long, default_value = "return")]
        objective: nearhome::analyse::planning::PlanObjective,
        /// With `travel`, let in-area pupils move too.
        #[arg(long)]
        any_pupil: bool,
        /// Coverage threshold, minutes (default: each pupil's journey limit).
        #[arg(long)]
        coverage_minutes: Option<f64>,
        /// Extra candidate sites, CSV `id,name,lat,lon`.
        #[arg(long)]
        candidates: Option<PathBuf>,
        /// Use only the --candidates sites, not the scenario's school sites.
        #[arg(long)]
        only_candidates: bool,
        /// Also re-cost each answer's moves on shared transport runs (plans today's runs
        /// first; writes transport_runs.csv).
        #[arg(long)]
        runs: bool,
        /// Plan for the projected demand of a future year as well as today's: years ahead
        /// (1 to 15) or an academic year's first calendar year (e.g. 2030 for 2030/31).
        #[arg(long)]
        year: Option<i32>,
        /// SEN2 series CSV for the projection (default: the series shipped with nearhome).
        #[arg(long)]
        sen2: Option<PathBuf>,
        /// Optimism-bias uplift on capital, fraction (Green Book supplementary guidance,
        /// standard buildings upper bound: 0.24).
        #[arg(long, default_value_t = nearhome::analyse::appraisal::DEFAULT_OPTIMISM_BIAS)]
        optimism_bias: f64,
        /// Build lead time, years before the places open (default: 1 for a resource base,
        /// 2 for special school places; illustrative).
        #[arg(long)]
        lead_years: Option<u32>,
        /// Appraisal period, years (1 to 75; demand beyond the projection's 15 years is held).
        #[arg(long, default_value_t = 10)]
        appraisal_years: u32,
        /// Mark the report for publication: counts of fewer than 10 pupils, and figures
        /// derived from them, are suppressed in report.html and the PDF.
        #[arg(long)]
        publish: bool,
        /// Also print report.html to report.pdf through headless Chromium (when installed).
        #[arg(long)]
        pdf: bool,
        /// Output folder.
        #[arg(long, default_value = "out/site")]
        out: PathBuf,
    },
    /// Project EHC plans by primary need × phase (and SEND area) for the next years from the
    /// authority's published SEN2 series, with 80% and 95% intervals and a backtest
    /// (projection.csv, areas.csv, backtest.csv, fan charts, summary.json, report.md).
    Project {
        /// `scenario.toml` (default: the Rutland demo); its `la_code` picks the authority.
        scenario: Option<PathBuf>,
        /// Years to project beyond the last published year (1 to 15).
        #[arg(long, default_value_t = nearhome::analyse::projection::DEFAULT_YEARS)]
        years: u32,
        /// Growth damping a year, 0 < φ ≤ 1 (1: the plain log-linear trend).
        #[arg(long, default_value_t = nearhome::analyse::projection::DEFAULT_DAMPING)]
        damping: f64,
        /// SEN2 series CSV (`authority,measure,year,value`, from `tools/sen2_series.py`);
        /// default: the series shipped for Rutland and Birmingham.
        #[arg(long)]
        sen2: Option<PathBuf>,
        /// Council area growth factors (`area_id,annual_growth`); default: today's shares.
        #[arg(long)]
        area_growth: Option<PathBuf>,
        /// The council's annual pupil snapshots (pupils.csv with a `year` column): also
        /// project need × setting from their transition rates, with a per-need backtest.
        #[arg(long)]
        snapshots: Option<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "out/project")]
        out: PathBuf,
    },
    /// Import a council's caseload export (.xlsx, .xls, .ods or CSV, its own headers) into
    /// nearhome's pupils.csv: names and addresses dropped, dates of birth turned into ages,
    /// pupil references pseudonymised with a keyed HMAC, postcodes located and dropped
    /// (pupils.csv, import-report.md).
    Import {
        /// `scenario.toml` whose provisions and postcode table the rows are matched against.
        scenario: Option<PathBuf>,
        /// The council's pupil export.
        #[arg(long, required_unless_present = "provisions")]
        pupils: Option<PathBuf>,
        /// A GIAS establishment download (edubasealldata CSV): special schools, resource bases
        /// and SEN units with capacity, open only, written as provisions.csv (URN as id);
        /// pupils are then matched against these provisions.
        #[arg(long)]
        provisions: Option<PathBuf>,
        /// Sheet to read (default: the first with a header row).
        #[arg(long)]
        sheet: Option<String>,
        /// `columns.toml` mapping the export's headers to fields (`[columns] "Header" = "field"`).
        #[arg(long)]
        columns: Option<PathBuf>,
        /// File holding the pseudonym key (default: NEARHOME_PSEUDONYM_KEY); never written.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// First calendar year of the analysis year: ages are taken at 31 August of it.
        #[arg(long, default_value_t = 2024)]
        analysis_year: i32,
        /// Output folder (pupils.csv, import-report.md).
        #[arg(long, default_value = "out/import")]
        out: PathBuf,
    },
    /// Plan shared home-to-school runs for every school's pupils on council taxis and
    /// minibuses, priced from the scenario's [fleet], against every pupil alone and a
    /// nearest-first grouping (runs.csv, runs.geojson, summary.json, report.md, public/).
    Transport {
        /// `scenario.toml` (default: the Rutland demo).
        scenario: Option<PathBuf>,
        /// Wall-clock budget for the search, seconds (shared over schools by pupils).
        #[arg(long, default_value_t = 40.0)]
        seconds: f64,
        /// Search iterations per pupil sharing (the reproducible budget).
        #[arg(long, default_value_t = 200)]
        iterations: u64,
        /// Random seed of the search.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder.
        #[arg(long, default_value = "out/transport")]
        out: PathBuf,
    },
}

/// `serve --help`: who sees what, and how officers get in.
const SERVE_LONG_HELP: &str = "\
Roles: without a token a caller is the public (aggregates only, counts below 10 suppressed).
An officer token in `Authorization: Bearer TOKEN` (the map's *Officer token* box) unlocks
pupil-level layers, exact what-ifs and the planning panel.

Officer tokens:
  - NEARHOME_OFFICER_TOKENS: tokens, comma-separated;
  - NEARHOME_TOKEN_FILE: a file of tokens, one a line (blank lines and # comments skipped);
  - with neither, one is generated at start-up and printed for the run.
Configured tokens must be at least 16 characters; they are counted at start-up, never
printed. Tokens are never logged.

Bound to loopback (the default), requests whose Host header names another host are refused
(403): open it as http://127.0.0.1:PORT/ or http://localhost:PORT/.

Environment: NEARHOME_BIND sets --bind; RUST_LOG the log level (default nearhome=info,warn:
one line per request with the method, the route, the status and the latency).";

/// The shipped demo scenario.
pub const DEFAULT_SCENARIO: &str = "fixtures/scenarios/rutland/scenario.toml";

fn scenario_path(p: Option<PathBuf>) -> PathBuf {
    p.unwrap_or_else(|| {
        let local = PathBuf::from(DEFAULT_SCENARIO);
        if local.is_file() {
            local
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_SCENARIO)
        }
    })
}

/// Set up logging to stderr; `RUST_LOG` overrides the default level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(nearhome::serve::DEFAULT_LOG_FILTER)
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// Parse the arguments and run the chosen subcommand.
pub fn run() -> Result<ExitCode> {
    let args = Args::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    match args.command {
        Command::Prepare { osm, out } => prepare(&osm, &out),
        Command::Route {
            osm,
            from,
            to,
            metric,
            max_snap_m,
            geojson,
        } => route(&osm, &from, &to, metric, max_snap_m, geojson),
        Command::Matrix {
            osm,
            from,
            to,
            metric,
            max_snap_m,
            out,
        } => run_matrix(&osm, &from, &to, metric, max_snap_m, &out),
        Command::Validate { scenario, all } => validate(&scenario_path(scenario), all),
        Command::Synth {
            scenario,
            seed,
            la_code,
            out,
            calibration,
        } => synth(&scenario_path(scenario), seed, la_code, out, calibration),
        Command::Analyse {
            scenario,
            out,
            no_geometry,
            free_flow,
            require_roads,
        } => {
            let speeds = if free_flow {
                nearhome::app::Speeds::FreeFlow
            } else {
                nearhome::app::Speeds::Scenario
            };
            let missing = if require_roads {
                nearhome::app::MissingRoads::Refuse
            } else {
                nearhome::app::MissingRoads::EstimateAll
            };
            analyse(
                &scenario_path(scenario),
                &out,
                !no_geometry,
                missing,
                speeds,
            )
        }
        Command::Serve { scenario, bind } => serve(&scenario_path(scenario), bind),
        Command::Transport {
            scenario,
            seconds,
            iterations,
            seed,
            out,
        } => {
            let req = nearhome::analyse::runs::RunRequest {
                seconds,
                iterations_per_pupil: iterations,
                seed,
            };
            transport(&scenario_path(scenario), &req, &out)
        }
        Command::Import {
            scenario,
            pupils,
            provisions,
            sheet,
            columns,
            key_file,
            analysis_year,
            out,
        } => import(
            &scenario_path(scenario),
            &ImportInputs {
                pupils: pupils.as_deref(),
                provisions: provisions.as_deref(),
                sheet: sheet.as_deref(),
                columns: columns.as_deref(),
                key_file: key_file.as_deref(),
                analysis_year,
            },
            &out,
        ),
        Command::Project {
            scenario,
            years,
            damping,
            sen2,
            area_growth,
            snapshots,
            out,
        } => project(
            &scenario_path(scenario),
            ProjectInputs {
                years,
                damping,
                sen2: sen2.as_deref(),
                area_growth: area_growth.as_deref(),
                snapshots: snapshots.as_deref(),
            },
            &out,
        ),
        Command::Site {
            scenario,
            need,
            places,
            age_min,
            age_max,
            k,
            objective,
            any_pupil,
            coverage_minutes,
            candidates,
            only_candidates,
            runs,
            year,
            sen2,
            optimism_bias,
            lead_years,
            appraisal_years,
            publish,
            pdf,
            out,
        } => {
            let mut req = nearhome::analyse::planning::SiteRequest::new(need, places, k);
            req.age_min = age_min.unwrap_or(0);
            req.age_max = age_max.unwrap_or(25);
            let by_phase = age_min.is_none() && age_max.is_none();
            req.objective = objective;
            req.any_pupil = any_pupil;
            req.coverage_minutes = coverage_minutes;
            req.scenario_sites = !only_candidates;
            let capital = CapitalOptions {
                year,
                sen2,
                optimism_bias,
                lead_years,
                appraisal_years,
                publish,
                pdf,
            };
            site(
                &scenario_path(scenario),
                req,
                by_phase,
                candidates.as_deref(),
                runs,
                &capital,
                &out,
            )
        }
    }
}

/// The clap command, with help text computed at run time (the need codes of `site`).
fn command() -> clap::Command {
    let needs = nearhome::model::Need::allowed_codes();
    Args::command().mut_subcommand("site", |site| {
        site.mut_arg("need", |arg| {
            arg.help(format!(
                "Need the new places serve (SEN2 code: one of {needs}; or its DfE name, e.g. \"Autistic Spectrum Disorder\")"
            ))
        })
    })
}

/// Writes to standard output; a reader that has gone (`nearhome route ... | head`) is not
/// an error.
fn print_stdout(
    write: impl FnOnce(&mut std::io::StdoutLock<'_>) -> std::io::Result<()>,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        result => result.context("writing to standard output"),
    }
}

/// Pounds for console summaries: whole pounds with thousands separators, e.g. `£887,768`.
fn pounds(gbp: f64) -> String {
    if !gbp.is_finite() {
        return "£?".to_string();
    }
    let whole = gbp.abs().round() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if gbp < 0.0 && whole > 0 { "-" } else { "" };
    format!("{sign}£{grouped}")
}

/// A road network for `route` and `matrix`: a `.nhg` cache as is; a PBF through its cache
/// beside it (the same load as `analyse`, which writes that cache).
/// Load a network for routing by `metric` (only that hierarchy is read from a cache).
fn load(osm: &[PathBuf], metric: Metric) -> Result<Network> {
    let t = Instant::now();
    let one_cache = match osm {
        [one] => one.extension().is_some_and(|e| e == "nhg"),
        _ => false,
    };
    let net = if one_cache {
        load_network_for(&osm[0], &[metric]).map_err(anyhow::Error::from)
    } else {
        nearhome::app::load_cached_all(osm, &[metric]).map_err(anyhow::Error::from)
    }
    .with_context(|| format!("loading road network {}", shown_paths(osm)))?;
    print_network_summary(osm, &net, t);
    Ok(net)
}

/// Files as `a + b` for messages.
fn shown_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

fn print_network_summary(osm: &[PathBuf], net: &Network, t: Instant) {
    let s = net.graph.summary();
    eprintln!(
        "road network {}: {} ways read{}, {} drivable ({} with missing nodes); kept {} junctions, {} edges, {:.1} km; {} components dropped ({:.2} s)",
        shown_paths(osm),
        s.read.ways_read,
        if s.read.files > 1 {
            format!(
                " from {} extracts ({} in more than one, merged)",
                s.read.files, s.read.ways_in_several_files
            )
        } else {
            String::new()
        },
        s.read.drivable_ways,
        s.read.ways_with_missing_nodes,
        s.nodes_kept,
        s.edges_kept,
        s.road_km,
        s.components_dropped,
        t.elapsed().as_secs_f64()
    );
    eprintln!(
        "map background: {} named places; {} named roads ({} distinct names); {}",
        net.places.len(),
        net.road_names.len(),
        net.road_names.distinct(),
        net.land.describe()
    );
}

fn check_max_snap(m: f64) -> Result<()> {
    if !(m.is_finite() && m >= 0.0) {
        bail!("--max-snap-m must be a non-negative number of metres, got {m}");
    }
    Ok(())
}

fn prepare(osm: &[PathBuf], out: &Path) -> Result<ExitCode> {
    let t = Instant::now();
    let net = nearhome::app::read_pbfs(osm)?;
    print_network_summary(osm, &net, t);
    let th = Instant::now();
    let net = nearhome::app::with_hierarchies(net);
    if let Some(h) = net.hierarchies.time.as_ref() {
        eprintln!(
            "contraction hierarchies (time, distance): {} and {} arcs ({:.2} s)",
            h.arcs().len(),
            net.hierarchies
                .distance
                .as_ref()
                .map_or(0, |d| d.arcs().len()),
            th.elapsed().as_secs_f64()
        );
    }
    let bytes = save_cache(&net, out).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({bytes} bytes)", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Parse `LAT,LON` in WGS84 degrees (the model's one parser; the value is not repeated in
/// the message, since it may be a pupil's home).
fn parse_latlon(flag: &str, s: &str) -> Result<LatLon> {
    s.parse::<LatLon>()
        .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

fn route(
    osm: &[PathBuf],
    from: &str,
    to: &str,
    metric: Metric,
    max_snap_m: f64,
    geojson: bool,
) -> Result<ExitCode> {
    check_max_snap(max_snap_m)?;
    let (a, b) = (parse_latlon("--from", from)?, parse_latlon("--to", to)?);
    let net = load(osm, metric)?;
    let sa = net
        .snap(a, max_snap_m)
        .map_err(|e| anyhow::anyhow!("--from is unsnappable: {e}"))?;
    let sb = net
        .snap(b, max_snap_m)
        .map_err(|e| anyhow::anyhow!("--to is unsnappable: {e}"))?;
    let Some(r) = net.route(&sa, &sb, metric) else {
        eprintln!("unreachable: no road path from --from to --to");
        return Ok(ExitCode::from(1));
    };
    print_stdout(|out| {
        if geojson {
            let coords: Vec<Vec<f64>> = r
                .geometry
                .iter()
                .map(|p| vec![round6(p.lon), round6(p.lat)])
                .collect();
            let feature = serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "metric": metric,
                    "distance_m": round3(r.journey.distance_m),
                    "duration_s": round3(r.journey.duration_s),
                    "from_snap_m": round3(sa.distance_m),
                    "to_snap_m": round3(sb.distance_m),
                }
            });
            let text = serde_json::to_string_pretty(&feature).map_err(std::io::Error::other)?;
            writeln!(out, "{text}")?;
        } else {
            writeln!(out, "distance_m\t{:.3}", r.journey.distance_m)?;
            writeln!(out, "duration_s\t{:.3}", r.journey.duration_s)?;
            writeln!(out, "from_snap_m\t{:.3}", sa.distance_m)?;
            writeln!(out, "to_snap_m\t{:.3}", sb.distance_m)?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    nearhome::load::bounded::read_bounded(path, nearhome::load::bounded::MAX_TABLE_BYTES)
        .with_context(|| format!("reading {}", path.display()))
}

fn point_ids(pts: &[nearhome::load::points::NamedPoint]) -> Vec<&str> {
    pts.iter().map(|p| p.id.as_str()).collect()
}

fn run_matrix(
    osm: &[PathBuf],
    from: &Path,
    to: &Path,
    metric: Metric,
    max_snap_m: f64,
    out: &Path,
) -> Result<ExitCode> {
    check_max_snap(max_snap_m)?;
    let origins = read_points(&read_file(from)?, &from.display().to_string())?;
    let dests = read_points(&read_file(to)?, &to.display().to_string())?;
    let net = load(osm, metric)?;
    let t = Instant::now();
    // Points snap independently: in parallel, each result the same as a serial snap.
    let snap_all = |pts: &[nearhome::load::points::NamedPoint]| -> Vec<Option<Snap>> {
        pts.par_iter()
            .map(|p| net.snap_within(p.pos, max_snap_m).ok())
            .collect()
    };
    let (so, sd) = (snap_all(&origins), snap_all(&dests));
    let m = matrix(&net, &so, &sd, metric, None);
    let snapped = |s: &[Option<Snap>]| -> Vec<bool> { s.iter().map(Option::is_some).collect() };
    // all or nothing: a full disk or a kill leaves the previous file (or none), never a
    // truncated matrix whose last row parses
    let missing = nearhome::output::folder::write_file_atomically(out, |w| {
        nearhome::output::matrix::write_matrix_csv(
            w,
            &m,
            &point_ids(&origins),
            &point_ids(&dests),
            &snapped(&so),
            &snapped(&sd),
        )
        .map_err(std::io::Error::other)
    })?;
    let (unreachable, unsnappable) = (missing.unreachable, missing.unsnappable);
    let bad_o = so.iter().filter(|s| s.is_none()).count();
    let bad_d = sd.iter().filter(|s| s.is_none()).count();
    eprintln!(
        "matrix: {} pairs ({} origins x {} destinations, metric {:?}); {} unreachable; {} unsnappable pairs ({} origins, {} destinations beyond {} m); {:.3} s; wrote {}",
        origins.len() * dests.len(),
        origins.len(),
        dests.len(),
        metric,
        unreachable,
        unsnappable,
        bad_o,
        bad_d,
        max_snap_m,
        t.elapsed().as_secs_f64(),
        out.display()
    );
    leave_to_the_os((net, m));
    Ok(ExitCode::SUCCESS)
}

fn validate(path: &Path, all: bool) -> Result<ExitCode> {
    use nearhome::model::scenario::Scenario;
    // The road network, when the extract is there (a missing extract is a warning in the
    // report, with instructions): its bounding box for the checks, its roads for the outlook.
    let network = match nearhome::app::scenario_osm(path)? {
        Ok(osm) => Some(nearhome::app::load_cached_all(&osm, &[Metric::Time])?),
        Err(_) => None,
    };
    let bbox = network.as_ref().and_then(nearhome::app::network_bbox);
    let (scenario, report) = Scenario::load(path, bbox)
        .with_context(|| format!("loading scenario {}", path.display()))?;
    let journeys = journeys_outlook(&scenario, network.as_ref());
    print_stdout(|out| {
        if all {
            writeln!(out, "{report:#}")?;
        } else {
            writeln!(out, "{report}")?;
        }
        writeln!(out, "Journeys: {journeys}")
    })?;
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What `validate` says about the journeys the scenario will have (counts only).
fn journeys_outlook(
    scenario: &nearhome::model::scenario::Scenario,
    network: Option<&Network>,
) -> String {
    let params = nearhome::analyse::params_from(&scenario.config);
    let outlook = nearhome::analyse::outlook::journey_outlook(
        network,
        &scenario.provisions,
        &scenario.pupils,
        params.max_snap_m,
    );
    let osm = scenario.osm_path();
    let missing = network.is_none().then(|| {
        osm.file_name().map_or_else(
            || osm.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    nearhome::output::estimates::outlook_sentence(&outlook, &params, missing.as_deref())
}

fn synth(
    path: &Path,
    seed: u64,
    la_code: Option<String>,
    out: PathBuf,
    calibration: Option<PathBuf>,
) -> Result<ExitCode> {
    use nearhome::analyse::synth::{generate, SynthConfig};
    use nearhome::load::sen2::builtin_targets;
    use nearhome::model::scenario::Scenario;
    let (scenario, report) = Scenario::load(path, None)
        .with_context(|| format!("loading scenario {}", path.display()))?;
    let provision_errors = report
        .issues
        .iter()
        .filter(|i| {
            i.severity == nearhome::load::table::Severity::Error && !i.file.ends_with("pupils.csv")
        })
        .count();
    if provision_errors > 0 {
        bail!("scenario {} has data errors:\n{report}", path.display());
    }
    let code = la_code
        .or_else(|| scenario.config.la_code.clone())
        .context("no SEN2 authority: give --la-code or set la_code in scenario.toml")?;
    let targets = builtin_targets(&code)?;
    let homes: Vec<LatLon> = match &scenario.postcodes {
        Some(table) => table.entries().iter().map(|(_, p)| *p).collect(),
        None => {
            let net = nearhome::app::load_scenario_network(&scenario)?;
            net.graph.residential_points()
        }
    };
    let boundary = &scenario.boundary;
    let cfg = SynthConfig::new(targets, seed);
    let output = generate(&cfg, &scenario.provisions, &homes, &|p| {
        boundary.contains(p)
    })?;
    let labels: Option<Vec<String>> = scenario
        .postcodes
        .as_ref()
        .map(|t| t.entries().iter().map(|(code, _)| code.clone()).collect());
    let text = output.pupils_csv(labels.as_deref())?;
    nearhome::output::folder::write_file_atomically(&out, |w| w.write_all(text.as_bytes()))?;
    let n_pupils = output.pupils.len();
    if let Some(c) = calibration {
        let table = output.calibration_csv();
        nearhome::output::folder::write_file_atomically(&c, |w| w.write_all(table.as_bytes()))?;
    }
    eprintln!("{}", output.calibration_markdown());
    eprintln!(
        "wrote {} synthetic pupils with EHC plans to {} ({} at a placement, {} without one; \
         seed {seed}, SEN2 {code}); calibrated: {}",
        n_pupils + output.unplaced.len(),
        out.display(),
        n_pupils,
        output.unplaced.len(),
        output.is_calibrated()
    );
    Ok(if output.is_calibrated() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The inputs a run records in its output folder's manifest: the scenario file and the
/// files it names, each with its SHA-256 (`missing` when absent), and the road extracts.
fn manifest_inputs(prepared: &nearhome::app::Prepared, path: &Path) -> Vec<(String, String)> {
    let c = &prepared.scenario.config;
    let dir = &prepared.scenario.dir;
    let digest = |p: &Path| -> String {
        std::fs::read(p).map_or_else(
            |_| "missing".to_string(),
            |b| nearhome::output::folder::sha256_hex(&b),
        )
    };
    let mut inputs = vec![(format!("scenario {}", path.display()), digest(path))];
    let mut named = vec![
        ("provisions", c.provisions.clone()),
        ("boundary", c.boundary.clone()),
    ];
    if let Some(p) = &c.pupils {
        named.push(("pupils", p.clone()));
    }
    if let Some(p) = &c.postcodes {
        named.push(("postcodes", p.clone()));
    }
    for (role, rel) in named {
        inputs.push((format!("{role} {}", rel.display()), digest(&dir.join(&rel))));
    }
    let osm: Vec<String> = c
        .osm
        .files()
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    inputs.push(("osm".into(), osm.join(",")));
    inputs.push(("roads".into(), prepared.roads.describe()));
    inputs
}

/// The cohort in one line: every plan, those without a placement by status, the unmet need.
fn cohort_sentence(c: &nearhome::output::cohort::CohortRecord) -> String {
    let show = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    let statuses: Vec<String> = c
        .by_status
        .iter()
        .filter(|s| s.pupils.is_some_and(|n| n > 0))
        .map(|s| format!("{} {}", s.status.replace('_', " "), show(s.pupils)))
        .collect();
    let detail = if statuses.is_empty() {
        String::new()
    } else {
        format!(" ({})", statuses.join(", "))
    };
    format!(
        "{} EHC plans: {} placed, {} without a school placement{detail}, not in journey \
         figures; unmet need {} (in the capital gap)",
        show(c.ehc_plans),
        show(c.placed),
        show(c.without_placement),
        show(c.unmet_need),
    )
}

/// What an estimate-only run says first: the missing extract, what that means for the
/// outputs, and how to get the extract.
fn estimate_only_lines(prepared: &nearhome::app::Prepared, file: &str) -> [String; 2] {
    let params = &prepared.params;
    [
        format!(
            "estimate-only run: the road extract {file} is missing, so every journey is \
             estimated from the straight line ({} x at {} km/h, with no routed journey to \
             calibrate on) and no bring-back is attempted (it needs routed journeys); \
             --require-roads makes this an error",
            params.circuity_factor, params.estimate_speed_kmh
        ),
        format!("to route: {}", prepared.scenario.osm_missing_message()),
    ]
}

fn analyse(
    path: &Path,
    out: &Path,
    with_geometry: bool,
    missing: nearhome::app::MissingRoads,
    speeds: nearhome::app::Speeds,
) -> Result<ExitCode> {
    let t = Instant::now();
    let prepared = nearhome::app::prepare_at(path, missing, speeds)?;
    if let Some(file) = prepared.roads.missing() {
        for line in estimate_only_lines(&prepared, file) {
            eprintln!("{line}");
        }
    }
    let routed = t.elapsed().as_secs_f64();
    let spin = nearhome::progress::Bars::new().spinner("route lines and outputs");
    let mut inputs = manifest_inputs(&prepared, path);
    inputs.push(("with_geometry".into(), with_geometry.to_string()));
    inputs.push((
        "speeds".into(),
        prepared
            .network
            .as_ref()
            .map_or("none (no roads)".into(), |n| {
                serde_json::to_string(&n.speeds.name())
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_string()
            }),
    ));
    let files = nearhome::output::report::write_all(
        &prepared,
        &prepared.report,
        out,
        with_geometry,
        inputs,
    );
    spin.finish_and_clear();
    let files = files?;
    let a = &prepared.analysis;
    let agg = nearhome::output::tables::Aggregates::new(&prepared);
    let summary = nearhome::output::tables::summary(
        &prepared,
        &agg,
        nearhome::output::report::data_quality(&prepared.report),
        nearhome::output::disclosure::Audience::Internal,
    );
    let show = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    let saving = summary
        .overall
        .gbp_per_year_saved
        .map_or_else(|| "unknown".to_string(), pounds);
    eprintln!(
        "{}: {} pupils, {} provisions; {} out of area, {} long journeys",
        prepared.scenario.config.name,
        prepared.scenario.pupils.len(),
        prepared.scenario.provisions.len(),
        show(summary.overall.out_of_area),
        show(summary.overall.long_journeys),
    );
    eprintln!("cohort: {}", cohort_sentence(&summary.cohort));
    eprintln!(
        "journeys: {}",
        nearhome::output::estimates::estimate_sentence(&prepared)
    );
    let o = &summary.overall;
    let money = |v: Option<f64>| v.map_or_else(|| "unknown".to_string(), pounds);
    eprintln!(
        "today: placements {} a year ({} of {} pupils costed), transport {} a year ({} costed)",
        money(o.current_placement_gbp),
        show(o.placement_costed),
        show(o.pupils),
        money(o.current_transport_gbp),
        show(o.transport_costed),
    );
    if prepared.network.is_some() {
        eprintln!(
            "bring-back: {} pupils moved to a suitable local place (nearest-first greedy: {}); \
             total of the moved pupils' new journey times: {:.0} min (greedy: {:.0} min); \
             saving {saving} a year",
            a.optimal.moved, a.greedy.moved, a.optimal.total_minutes, a.greedy.total_minutes,
        );
    } else {
        eprintln!(
            "bring-back: not attempted ({})",
            nearhome::output::tables::BRING_BACK_SKIPPED
        );
    }
    eprintln!(
        "analysis {:.2} s, outputs {:.2} s; wrote {} files to {}: {}",
        routed,
        t.elapsed().as_secs_f64() - routed,
        files.len(),
        out.display(),
        files.join(", ")
    );
    if prepared.network.is_some() {
        eprintln!(
            "next: read {} (what each file holds), or see it on the map: nearhome serve {}",
            out.join("README.txt").display(),
            path.display()
        );
    } else {
        eprintln!(
            "next: read {} (what each file holds); the map (nearhome serve) needs the road extract",
            out.join("README.txt").display()
        );
    }
    leave_to_the_os(prepared);
    Ok(ExitCode::SUCCESS)
}

/// The process is about to exit: let the OS take back a city's network and analysis (over
/// a gigabyte in hundreds of thousands of allocations) instead of freeing them one by one.
/// Every file has been written and flushed by now.
fn leave_to_the_os<T>(big: T) {
    std::mem::forget(big);
}

/// `site`'s projection, appraisal and report settings.
struct CapitalOptions {
    year: Option<i32>,
    sen2: Option<PathBuf>,
    optimism_bias: f64,
    lead_years: Option<u32>,
    appraisal_years: u32,
    publish: bool,
    pdf: bool,
}

/// The scenario authority's SEN2 projection for `years` years, or why there is none.
fn scenario_projection(
    prepared: &nearhome::app::Prepared,
    sen2: Option<&Path>,
    years: u32,
) -> Result<std::result::Result<nearhome::analyse::projection::Projection, String>> {
    use nearhome::analyse::projection::{project, ProjectionConfig, DEFAULT_DAMPING, MAX_YEARS};
    let Some(authority) = prepared.scenario.config.la_code.clone() else {
        return Ok(Err("the scenario has no `la_code`".into()));
    };
    let (text, source) = sen2_text(sen2)?;
    let series = match nearhome::load::sen2::series_for(&text, &source, &authority) {
        Ok(s) => s,
        Err(e) if sen2.is_none() => return Ok(Err(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let config = ProjectionConfig {
        years: years.clamp(1, MAX_YEARS),
        damping: DEFAULT_DAMPING,
        primary_max_age: prepared.scenario.config.analysis.primary_max_age,
    };
    Ok(project(&series, &config).map_err(|e| e.to_string()))
}

fn site(
    path: &Path,
    mut req: nearhome::analyse::planning::SiteRequest,
    by_phase: bool,
    candidates: Option<&Path>,
    with_runs: bool,
    capital: &CapitalOptions,
    out: &Path,
) -> Result<ExitCode> {
    use nearhome::analyse::capital::{appraise_site, AppraisalSettings, DemandIndex, FutureDemand};
    use nearhome::analyse::planning::{capital_plan_for, run, run_future, PlanningContext};
    use nearhome::load::candidates::read_candidates;
    use nearhome::output::planning::write_outputs;
    if let Some(c) = candidates {
        req.extra_candidates = read_candidates(&read_file(c)?, &c.display().to_string())?;
    }
    req.validate()?;
    let t = Instant::now();
    let prepared = nearhome::app::prepare(path)
        .context("siting needs the road extract: it compares routed journeys to candidate sites")?;
    let analysed = t.elapsed().as_secs_f64();
    if by_phase {
        let (lo, hi, basis) = nearhome::analyse::planning::default_ages(&prepared, req.need);
        (req.age_min, req.age_max, req.ages_basis) = (lo, hi, basis);
        eprintln!("{}", req.ages_basis);
    }
    if !(0.0..=2.0).contains(&capital.optimism_bias) {
        anyhow::bail!(
            "--optimism-bias {}: expected a fraction in 0..=2 (0.24 is 24%)",
            capital.optimism_bias
        );
    }
    if !(1..=75).contains(&capital.appraisal_years) {
        anyhow::bail!(
            "--appraisal-years {}: expected 1 to 75",
            capital.appraisal_years
        );
    }
    // The planning year: years ahead, or an academic year's first calendar year.
    let horizon = |base: i32| -> Result<Option<i32>> {
        match capital.year {
            None => Ok(None),
            Some(n) if (1..=15).contains(&n) => Ok(Some(base + n)),
            Some(y) if (base + 1..=base + 15).contains(&y) => Ok(Some(y)),
            Some(y) => anyhow::bail!(
                "--year {y}: expected 1 to 15 years ahead, or an academic year from {} to {} (projected from {})",
                base + 1,
                base + 15,
                nearhome::output::projection::academic_year(base)
            ),
        }
    };
    let projection = scenario_projection(
        &prepared,
        capital.sen2.as_deref(),
        capital
            .appraisal_years
            .max(capital.year.filter(|&n| n <= 15).unwrap_or(0) as u32),
    )?;
    let future = match (&projection, capital.year) {
        (_, None) => None,
        (Err(why), Some(_)) => anyhow::bail!("--year needs the SEN2 projection: {why}"),
        (Ok(p), Some(_)) => {
            let year = horizon(p.base_year)?.unwrap_or(p.base_year);
            // Project far enough for the year asked.
            let p = if year > p.totals.last().map_or(p.base_year, |t| t.year) {
                scenario_projection(
                    &prepared,
                    capital.sen2.as_deref(),
                    (year - p.base_year) as u32,
                )?
                .map_err(anyhow::Error::msg)?
            } else {
                p.clone()
            };
            Some(FutureDemand::from_projection(
                &p,
                &nearhome::analyse::projection::AreaShares::of_scenario(&prepared.scenario),
                None,
                year,
            ))
        }
    };
    let spin = nearhome::progress::Bars::new().spinner("siting");
    let ctx = PlanningContext::new(&prepared, &req);
    let result = ctx.as_ref().map_err(|e| e.to_string()).and_then(|c| {
        match &future {
            Some(f) => run_future(c, f),
            None => run(c),
        }
        .map_err(|e| e.to_string())
    });
    spin.finish_and_clear();
    let mut result = result.map_err(anyhow::Error::msg)?;
    let settings = AppraisalSettings {
        optimism_bias: capital.optimism_bias,
        lead_time_years: capital
            .lead_years
            .unwrap_or(AppraisalSettings::default_for(req.kind).lead_time_years),
        period_years: capital.appraisal_years,
        discount: nearhome::analyse::appraisal::GREEN_BOOK,
    };
    let demand = match &ctx {
        Ok(c) => nearhome::analyse::capital::demand_for(
            c,
            &prepared,
            req.need,
            projection.as_ref().map_err(String::as_str),
            settings.period_years,
        ),
        Err(e) => DemandIndex::flat(settings.period_years, 0, &e.to_string()),
    };
    result.appraisal = Some(appraise_site(&result, &settings, &demand)?);
    let extra = match (&ctx, with_runs) {
        (Ok(ctx), true) => vec![(
            "transport_runs.csv".to_string(),
            site_runs_csv(&prepared, ctx, &result)?.into_bytes(),
        )],
        _ => Vec::new(),
    };
    let plan = capital_plan_for(&prepared, Some(&result), future.as_ref());
    let marking = if capital.publish {
        nearhome::output::capital::Marking::Publish
    } else {
        nearhome::output::capital::Marking::Internal
    };
    let mut extra = extra;
    let case = nearhome::output::capital::files(&result, &plan, projection.as_ref().ok(), marking)
        .map_err(anyhow::Error::msg)?;
    if capital.pdf {
        if let Some((_, html)) = case.iter().find(|(n, _)| n == "report.html") {
            match print_pdf(html) {
                Ok(pdf) => extra.push(("report.pdf".to_string(), pdf)),
                Err(why) => eprintln!("report.pdf not written: {why}"),
            }
        }
    }
    extra.extend(case);
    let mut inputs = manifest_inputs(&prepared, path);
    inputs.push((
        "request".into(),
        serde_json::to_string(&req).unwrap_or_default(),
    ));
    let files = write_outputs(&result, &plan, out, inputs, extra)?;
    eprintln!(
        "{}: {} {} pupils aged {}-{} ({} out of area, {} without a journey left out); {} candidates; existing spare places bring back {}",
        result.scenario,
        result.pupils,
        req.need,
        req.age_min,
        req.age_max,
        result.out_of_area_pupils,
        result.excluded_no_journey,
        result.candidates.len(),
        result.baseline.returned
    );
    for k in &result.per_k {
        let names: Vec<&str> = k.sites.iter().map(|s| s.id.as_str()).collect();
        let gap = k.exact.as_ref().map_or(String::new(), |x| {
            format!("; gap to exact {:.1}%", x.relative_gap * 100.0)
        });
        eprintln!(
            "k={}: {} -> returned {} ({:+}), {} a year saved beyond existing places, capital {}{}",
            k.k,
            names.join(", "),
            k.figures.returned,
            k.extra_returned,
            pounds(k.extra_gbp_per_year_saved),
            pounds(k.capital_gbp),
            gap
        );
    }
    eprintln!("{}", result.exact_note);
    if let Some(f) = &result.future {
        eprintln!(
            "planned for {}: {} pupils stand for today's {} ({})",
            nearhome::output::projection::academic_year(f.year),
            f.pupils_then,
            f.pupils_now,
            f.growth
                .iter()
                .map(|(ph, g)| format!("{} x{g:.2}", ph.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(o) = result
        .appraisal
        .as_ref()
        .and_then(nearhome::output::capital::headline)
    {
        eprintln!(
            "appraisal k={}: capital {} with optimism bias, NPV {} over {} years (low {}, high {}), discounted payback {}",
            o.number,
            pounds(o.central.capital_with_optimism_bias_gbp),
            pounds(o.central.npv_gbp),
            o.central.period_years,
            pounds(o.low.npv_gbp),
            pounds(o.high.npv_gbp),
            o.central
                .discounted_payback_years
                .map_or("none in the period".into(), |y| format!("{y:.1} years"))
        );
    }
    if let Some(note) = &result.stopped_note {
        eprintln!("{note}");
    }
    if !result.excluded_hosts.is_empty() {
        eprintln!(
            "left out as hosts (independent or non-maintained): {}",
            result.excluded_hosts.join(", ")
        );
    }
    eprintln!(
        "analysis {:.2} s, siting {:.2} s; wrote {} files to {}: {}",
        analysed,
        t.elapsed().as_secs_f64() - analysed,
        files.len(),
        out.display(),
        files.join(", ")
    );
    leave_to_the_os(prepared);
    Ok(ExitCode::SUCCESS)
}

/// `import`'s input files and settings.
struct ImportInputs<'a> {
    pupils: Option<&'a Path>,
    provisions: Option<&'a Path>,
    sheet: Option<&'a str>,
    columns: Option<&'a Path>,
    key_file: Option<&'a Path>,
    analysis_year: i32,
}

/// `nearhome import`: the council's export to pupils.csv and import-report.md.
fn import(path: &Path, inputs: &ImportInputs, out: &Path) -> Result<ExitCode> {
    use nearhome::load::import::{
        import_pupils, parse_columns_toml, read_csv, read_spreadsheet, report_md, ImportContext,
        Pseudonymiser,
    };
    let (scenario, _) = nearhome::model::scenario::Scenario::load(path, None)
        .with_context(|| format!("loading scenario {}", path.display()))?;
    let mut files = Vec::new();
    let mut inputs_list = vec![(
        "analysis_year".to_string(),
        inputs.analysis_year.to_string(),
    )];
    let mut provisions = scenario.provisions.clone();
    let scenario_provisions = scenario.dir.join(&scenario.config.provisions);
    let mut codes = nearhome::load::import::provision_codes(
        &String::from_utf8_lossy(&read_file(&scenario_provisions)?),
        &scenario_provisions.display().to_string(),
    )
    .map_err(anyhow::Error::msg)?;
    if let Some(g) = inputs.provisions {
        let gfile = g.display().to_string();
        let bytes = read_file(g)?;
        let (csv_text, report) =
            nearhome::load::gias::import_gias(&bytes, &gfile).map_err(anyhow::Error::msg)?;
        let loaded =
            nearhome::load::provisions::load_provisions(csv_text.as_bytes(), "provisions.csv")?;
        provisions = loaded.items.clone();
        codes = nearhome::load::import::provision_codes(&csv_text, "provisions.csv")
            .map_err(anyhow::Error::msg)?;
        let mut md = nearhome::load::gias::report_md(&report, &gfile);
        md.push_str(&format!(
            "\nThe written provisions.csv loads as a scenario's: {} accepted, {} rejected.\n",
            loaded.items.len(),
            loaded.rows_rejected
        ));
        eprintln!(
            "{gfile}: {} establishments, {} provisions written ({} not open, {} not SEND), {} left out",
            report.rows,
            report.written.values().sum::<usize>(),
            report.not_open,
            report.not_send,
            report.rejected.len()
        );
        inputs_list.push((
            format!("provisions {gfile}"),
            nearhome::output::folder::sha256_hex(&bytes),
        ));
        files.push(("provisions.csv".to_string(), csv_text.into_bytes()));
        files.push(("provisions-report.md".to_string(), md.into_bytes()));
    }
    if let Some(pupils) = inputs.pupils {
        let file = pupils.display().to_string();
        let size = std::fs::metadata(pupils)
            .with_context(|| format!("reading {file}"))?
            .len();
        if size > nearhome::load::import::MAX_IMPORT_BYTES {
            anyhow::bail!(
                "{file}: {size} bytes; the largest pupils file imported is {} bytes (export the caseload sheet alone)",
                nearhome::load::import::MAX_IMPORT_BYTES
            );
        }
        let bytes = read_file(pupils)?;
        let lower = file.to_lowercase();
        let sheet = if [".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            read_spreadsheet(&bytes, &file, inputs.sheet)
        } else {
            read_csv(&bytes, &file)
        }
        .map_err(anyhow::Error::msg)?;
        let overrides = match inputs.columns {
            Some(c) => {
                let text = String::from_utf8(read_file(c)?)
                    .with_context(|| format!("{}: not UTF-8", c.display()))?;
                parse_columns_toml(&text, &c.display().to_string()).map_err(anyhow::Error::msg)?
            }
            None => Default::default(),
        };
        let key = match (inputs.key_file, std::env::var_os("NEARHOME_PSEUDONYM_KEY")) {
            (Some(f), _) => Some(read_file(f)?),
            (None, Some(k)) => Some(k.into_encoded_bytes()),
            (None, None) => None,
        };
        let pseudonymiser = key
            .map(|k| Pseudonymiser::new(&k))
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let cx = ImportContext {
            overrides: &overrides,
            pseudonymiser: pseudonymiser.as_ref(),
            provisions: &provisions,
            codes: &codes,
            postcodes: scenario.postcodes.as_ref(),
            analysis_year: inputs.analysis_year,
        };
        let (csv_text, report) = import_pupils(&sheet, &cx).map_err(anyhow::Error::msg)?;
        // The written file must load as the scenario's pupils.csv does.
        let check = nearhome::load::pupils::load_pupils(
            csv_text.as_bytes(),
            "pupils.csv",
            nearhome::load::pupils::PupilOptions {
                postcodes: None,
                road_bbox: None,
            },
        )?;
        let mut md = report_md(&report, &file);
        md.push_str(&format!(
            "\n## Check\n\nThe written pupils.csv loads as a scenario's: {} rows accepted, {} rejected{}.\n",
            check.rows_accepted(),
            check.placed.rows_rejected,
            if check.placed.rows_rejected > 0 {
                " (run `nearhome validate` on a scenario pointing at it for each reason)"
            } else {
                ""
            }
        ));
        files.push(("pupils.csv".to_string(), csv_text.into_bytes()));
        files.push(("import-report.md".to_string(), md.into_bytes()));
        inputs_list.push((
            format!("pupils {file}"),
            nearhome::output::folder::sha256_hex(&bytes),
        ));
        inputs_list.push(("sheet".into(), report.sheet.clone()));
        eprintln!(
        "{file}: sheet `{}`, header on {}: {} rows in, {} written, {} left out, {} columns dropped{}",
        report.sheet,
        report.header_label(),
        report.rows_in,
        report.rows_out,
        report.rejected.len(),
        report.dropped.len(),
        if report.pseudonymised {
            ", references pseudonymised"
        } else {
            ""
        }
    );
    }
    let written = nearhome::output::folder::publish_folder(out, files, "import", inputs_list)
        .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    eprintln!("wrote {} to {}", written.join(", "), out.display());
    Ok(ExitCode::SUCCESS)
}

/// The SEN2 series CSV and its label: `--sen2 FILE`, else the shipped series.
fn sen2_text(sen2: Option<&Path>) -> Result<(String, String)> {
    Ok(match sen2 {
        Some(f) => (
            String::from_utf8(read_file(f)?)
                .with_context(|| format!("{}: not UTF-8", f.display()))?,
            f.display().to_string(),
        ),
        None => (
            nearhome::load::sen2::BUILTIN_SERIES_CSV.to_string(),
            nearhome::load::sen2::BUILTIN_SERIES_LABEL.to_string(),
        ),
    })
}

/// `nearhome project`: the SEN2 series of the scenario's authority projected, apportioned to
/// the scenario's areas, written through the output folder.
/// `project`'s settings and input files.
struct ProjectInputs<'a> {
    years: u32,
    damping: f64,
    sen2: Option<&'a Path>,
    area_growth: Option<&'a Path>,
    snapshots: Option<&'a Path>,
}

fn project(path: &Path, inputs: ProjectInputs, out: &Path) -> Result<ExitCode> {
    let ProjectInputs {
        years,
        damping,
        sen2,
        area_growth,
        snapshots,
    } = inputs;
    use nearhome::analyse::projection::{apportion, project, AreaShares, ProjectionConfig};
    use nearhome::model::scenario::Scenario;
    let (scenario, _report) = Scenario::load(path, None)
        .with_context(|| format!("loading scenario {}", path.display()))?;
    let authority = scenario.config.la_code.clone().with_context(|| {
        format!(
            "{}: field `la_code` is needed to pick the authority's SEN2 series (e.g. la_code = \"E08000025\")",
            path.display()
        )
    })?;
    let (text, source) = sen2_text(sen2)?;
    let series = nearhome::load::sen2::series_for(&text, &source, &authority)?;
    let config = ProjectionConfig {
        years,
        damping,
        primary_max_age: scenario.config.analysis.primary_max_age,
    };
    let projection = project(&series, &config)?;
    let growth = match area_growth {
        Some(f) => {
            let text = String::from_utf8(read_file(f)?)
                .with_context(|| format!("{}: not UTF-8", f.display()))?;
            Some(
                nearhome::load::areas::parse_area_growth(&text, &f.display().to_string())
                    .map_err(anyhow::Error::msg)?,
            )
        }
        None => None,
    };
    let mut area_cells = Vec::new();
    let mut outside = Vec::new();
    for shares in AreaShares::of_scenario(&scenario) {
        outside.push((shares.layer.clone(), shares.outside));
        area_cells.extend(apportion(&projection, &shares, growth.as_ref()));
    }
    let area_basis = match (&growth, area_growth) {
        (Some(g), Some(f)) => format!(
            "each need × phase shared over the areas in proportion to today's pupils of that need and phase, weighted by the council's annual growth factors ({} areas, `{}`) and renormalised so the authority total is kept.",
            g.len(),
            f.display()
        ),
        _ => "each need × phase shared over the areas in proportion to today's pupils of that need and phase (no council growth factors given).".to_string(),
    };
    let (snap, snapshot_rows) = match snapshots {
        Some(f) => {
            let text = String::from_utf8(read_file(f)?)
                .with_context(|| format!("{}: not UTF-8", f.display()))?;
            let (records, counts) = nearhome::load::snapshots::parse_snapshots(
                &text,
                &f.display().to_string(),
                &scenario.provisions,
            )
            .map_err(anyhow::Error::msg)?;
            let sp = nearhome::analyse::transitions::project_snapshots(
                &records,
                years,
                config.primary_max_age,
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            (
                Some(sp),
                Some((counts.rows, counts.unknown_placement, counts.not_recorded)),
            )
        }
        None => (None, None),
    };
    let run = nearhome::output::projection::ProjectionRun {
        scenario: scenario.config.name.clone(),
        sen2_source: source.clone(),
        area_basis,
        outside_areas: outside,
        projection,
        snapshots: snap,
        snapshot_rows,
    };
    let files =
        nearhome::output::projection::render(&run, &area_cells).map_err(anyhow::Error::msg)?;
    let digest = |p: &Path| {
        std::fs::read(p).map_or_else(
            |_| "missing".to_string(),
            |b| nearhome::output::folder::sha256_hex(&b),
        )
    };
    let mut inputs = vec![
        (format!("scenario {}", path.display()), digest(path)),
        (
            format!("sen2 {source}"),
            nearhome::output::folder::sha256_hex(text.as_bytes()),
        ),
        ("years".into(), years.to_string()),
        ("damping".into(), damping.to_string()),
    ];
    if let Some(f) = area_growth {
        inputs.push((format!("area_growth {}", f.display()), digest(f)));
    }
    if let Some(f) = snapshots {
        inputs.push((format!("snapshots {}", f.display()), digest(f)));
    }
    let written = nearhome::output::folder::publish_folder(out, files, "project", inputs)
        .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    let p = &run.projection;
    eprint!("{}", nearhome::output::projection::backtest_md(p));
    match &run.snapshots {
        Some(sp) => eprintln!(
            "methods: SEN2 ({}) for the authority; council snapshots ({} years, {} rows) for need x setting in snapshots/",
            p.method.split(" (").next().unwrap_or(""),
            sp.snapshot_years.len(),
            run.snapshot_rows.map_or(0, |r| r.0)
        ),
        None => eprintln!("method: SEN2 only (give --snapshots for the council's own transition rates)"),
    }
    if let (Some(first), Some(last)) = (p.totals.first(), p.totals.last()) {
        eprintln!(
            "{} ({}): {:.0} plans in {} -> {:.0} in {} (80% {:.0}-{:.0}, 95% {:.0}-{:.0})",
            run.scenario,
            p.authority,
            first.plans.central,
            nearhome::output::projection::academic_year(first.year),
            last.plans.central,
            nearhome::output::projection::academic_year(last.year),
            last.plans.lo80,
            last.plans.hi80,
            last.plans.lo95,
            last.plans.hi95
        );
    }
    let unreliable: Vec<&str> = p
        .reliability
        .iter()
        .filter(|r| !r.reliable)
        .map(|r| r.need.code())
        .collect();
    eprintln!(
        "unreliable needs: {}",
        if unreliable.is_empty() {
            "none".to_string()
        } else {
            unreliable.join(", ")
        }
    );
    eprintln!(
        "wrote {} files to {}: {}",
        written.len(),
        out.display(),
        written.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// The headless Chromium to print with: `NEARHOME_CHROMIUM`, else the first of
/// `chromium`, `chromium-browser`, `google-chrome` on the PATH.
fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NEARHOME_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
    })
}

/// Prints `html` to PDF with headless Chromium (A4, no header or footer).
fn print_pdf(html: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let chromium = find_chromium().ok_or(
        "no Chromium found (install it, e.g. `apt-get install chromium`, or set NEARHOME_CHROMIUM to its path); report.html prints the same from any browser",
    )?;
    let dir = std::env::temp_dir().join(format!("nearhome-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = print_pdf_in(&chromium, &dir, html);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn print_pdf_in(chromium: &Path, dir: &Path, html: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let page = dir.join("report.html");
    let pdf = dir.join("report.pdf");
    std::fs::write(&page, html).map_err(|e| format!("{}: {e}", page.display()))?;
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| format!("{}: {e}", chromium.display()))?;
    std::fs::read(&pdf).map_err(|_| {
        format!(
            "{} printed no PDF (exit {}): {}",
            chromium.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )
    })
}

/// `transport_runs.csv` of `site --runs`: each k's moves re-costed on shared runs.
fn site_runs_csv(
    prepared: &nearhome::app::Prepared,
    ctx: &nearhome::analyse::planning::PlanningContext,
    result: &nearhome::analyse::planning::SiteResult,
) -> Result<String> {
    use nearhome::analyse::runs::{plan, recost, RunRequest};
    let spin = nearhome::progress::Bars::new().spinner("shared runs");
    let today = plan(prepared, &RunRequest::QUICK, &|_, _| {});
    spin.finish_and_clear();
    let today = today.context("shared runs need the road extract")?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "k",
        "sites",
        "moves_on_council_vehicles",
        "schools_replanned",
        "runs_before",
        "runs_after",
        "gbp_per_year_before",
        "gbp_per_year_after",
        "gbp_per_year_saved_on_runs",
        "before_per_km_pupils",
        "per_km_estimate_saved_gbp_per_year",
    ])?;
    for k in &result.per_k {
        let sites: Vec<usize> = k.sites.iter().map(|s| s.candidate.index()).collect();
        let (provisions, moves) = ctx.moved_pupils(&sites)?;
        let Some(r) = recost(prepared, &today, &provisions, &moves, &RunRequest::QUICK) else {
            continue;
        };
        let ids: Vec<&str> = k.sites.iter().map(|s| s.id.as_str()).collect();
        eprintln!(
            "k={} on runs: {} moves of pupils on council vehicles, {} a year saved on runs (per-km estimate {})",
            k.k,
            r.moves,
            pounds(r.gbp_per_year_saved),
            pounds(r.per_km_estimate_saved_gbp_per_year)
        );
        w.write_record([
            k.k.to_string(),
            ids.join(";"),
            r.moves.to_string(),
            r.schools_replanned.to_string(),
            r.runs_before.to_string(),
            r.runs_after.to_string(),
            format!("{:.2}", r.gbp_per_year_before),
            format!("{:.2}", r.gbp_per_year_after),
            format!("{:.2}", r.gbp_per_year_saved),
            r.before_per_km_pupils.to_string(),
            format!("{:.2}", r.per_km_estimate_saved_gbp_per_year),
        ])?;
    }
    Ok(String::from_utf8_lossy(&w.into_inner().map_err(|e| e.into_error())?).into_owned())
}

fn transport(
    path: &Path,
    req: &nearhome::analyse::runs::RunRequest,
    out: &Path,
) -> Result<ExitCode> {
    if !(req.seconds.is_finite() && req.seconds >= 0.0) {
        anyhow::bail!(
            "--seconds must be a non-negative number of seconds (got {})",
            req.seconds
        );
    }
    let t = Instant::now();
    let prepared = nearhome::app::prepare(path)
        .context("transport planning needs the road extract: runs are timed on its roads")?;
    let analysed = t.elapsed().as_secs_f64();
    let bars = nearhome::progress::Bars::new();
    let bar = bars.bar("planning runs", 0);
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let plan = nearhome::analyse::runs::plan(&prepared, req, &progress);
    bar.finish_and_clear();
    let Some(plan) = plan else {
        anyhow::bail!("transport planning needs the road extract: runs are timed on its roads");
    };
    let bring_back = nearhome::analyse::runs::recost_moves(&prepared, &plan, req);
    let summary = nearhome::output::runs::summary(&prepared, &plan, bring_back);
    let mut inputs = manifest_inputs(&prepared, path);
    inputs.push((
        "request".into(),
        serde_json::to_string(req).unwrap_or_default(),
    ));
    let files = nearhome::output::runs::write_all(&prepared, &plan, &summary, out, inputs)
        .map_err(anyhow::Error::msg)?;
    let s = &summary;
    eprintln!(
        "{}: {} pupils on council vehicles in {} runs, {} a year ({} a pupil); every pupil alone {}, nearest-first {} ({} runs), today's per-km estimate {}",
        s.scenario,
        s.pupils_planned,
        s.plan.runs,
        pounds(s.plan.gbp_per_year),
        s.gbp_per_pupil_per_year.map_or("n/a".into(), pounds),
        pounds(s.solo_vehicles.gbp_per_year),
        pounds(s.greedy.gbp_per_year),
        s.greedy.runs,
        pounds(s.per_km_estimate_gbp_per_year),
    );
    eprintln!(
        "{} over the guidance even direct, {} travel alone; not planned: {} other arrangements, {} without a journey, {} no vehicle carries; {} of {} schools' searches stopped on time",
        s.pupils_over_guidance,
        s.pupils_solo,
        s.not_planned.other_arrangement,
        s.not_planned.no_journey,
        s.not_planned.no_vehicle,
        s.schools_stopped_by_time,
        s.schools.len(),
    );
    if let Some(b) = &s.bring_back_on_runs {
        eprintln!(
            "bring-back on runs: {} moves of pupils on council vehicles, {} schools re-planned ({} runs -> {}): {} a year saved (per-km estimate {})",
            b.moves,
            b.schools_replanned,
            b.runs_before,
            b.runs_after,
            pounds(b.gbp_per_year_saved),
            pounds(b.per_km_estimate_saved_gbp_per_year)
        );
    }
    eprintln!(
        "analysis {:.2} s, matrices {:.2} s, search {:.2} s; wrote {} files to {}: {}",
        analysed,
        plan.matrix_seconds,
        plan.search_seconds,
        files.len(),
        out.display(),
        files.join(", ")
    );
    leave_to_the_os(prepared);
    Ok(ExitCode::SUCCESS)
}

fn serve(path: &Path, bind: std::net::SocketAddr) -> Result<ExitCode> {
    use nearhome::serve::auth::{generate_token, Auth};
    // Read the configured tokens before the long analysis, so a bad file fails fast.
    let configured = Auth::default().with_env()?;
    let prepared = nearhome::app::prepare(path).context(
        "the map service needs the road extract (routes, catchments, what-ifs); \
         `nearhome analyse` runs without it, estimating every journey",
    )?;
    eprintln!(
        "{}: {} pupils analysed. Open http://{bind}/ (public view).",
        prepared.scenario.config.name,
        prepared.scenario.pupils.len()
    );
    // A token is made (and printed) for this run only when none is configured; configured
    // tokens are never printed.
    let auth = if configured.is_empty() {
        let token = generate_token()?;
        eprintln!(
            "Officer token for this run (pupil-level layers; keep it private): {token}\n\
             (set {} or {} to use your own)",
            nearhome::serve::auth::TOKENS_ENV,
            nearhome::serve::auth::TOKEN_FILE_ENV
        );
        Auth::new([token])
    } else {
        eprintln!("officer tokens: {} configured", configured.len());
        configured
    };
    let state =
        nearhome::serve::AppState::new(prepared, auth, nearhome::serve::ServiceConfig::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = rt.block_on(nearhome::serve::serve(state.clone(), bind));
    // Stopped (the server has closed every connection): exit without waiting for a cache
    // warm-up still running on the blocking pool, or for the scenario to be freed.
    rt.shutdown_background();
    leave_to_the_os(state);
    served?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_are_whole_with_thousands_separators() {
        assert_eq!(pounds(887_768.19), "£887,768");
        assert_eq!(pounds(1_000.0), "£1,000");
        assert_eq!(pounds(999.5), "£1,000");
        assert_eq!(pounds(12.0), "£12");
        assert_eq!(pounds(0.2), "£0");
        assert_eq!(pounds(-1_234_567.0), "-£1,234,567");
    }

    #[test]
    fn help_lists_need_codes_and_officer_tokens() {
        let mut cmd = command();
        let site = cmd
            .find_subcommand_mut("site")
            .expect("site")
            .render_long_help();
        assert!(site.to_string().contains("ASD, SLCN, SEMH"), "{site}");
        let serve = cmd
            .find_subcommand_mut("serve")
            .expect("serve")
            .render_long_help();
        let serve = serve.to_string();
        assert!(serve.contains("NEARHOME_OFFICER_TOKENS") && serve.contains("NEARHOME_TOKEN_FILE"));
    }
}
