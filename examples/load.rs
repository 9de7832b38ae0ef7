//! A closed-loop HTTP load generator for `nearhome serve`: `C` keep-alive connections for
//! `S` seconds, each sending one kind of request in a loop (connection `i` sends kind
//! `i mod 3`: `GET /api/provisions`, `GET /api/route` between random points of a box, or
//! `POST /api/whatif` adding a resource base at a random point), then per kind: requests,
//! errors (any status but 200, or a broken connection), p50, p99 and max latency.
//!
//! ```sh
//! cargo run --release --example load -- 127.0.0.1:8080 32 60 \
//!     fixtures/scenarios/birmingham/postcodes.csv TOKEN
//! ```
//!
//! Arguments: address, connections, seconds, where points are drawn from — a CSV with
//! `lat` and `lon` columns (e.g. the scenario's postcode centroids: inside the authority, as
//! what-if sites must be) or a box `LAT0,LON0,LAT1,LON1` — and an officer token (or `-`).
//! Plain std: one thread per connection, HTTP/1.1 with `Content-Length` or chunked bodies.
//! Exits 1 when any request failed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The request kinds, in connection order.
const KINDS: [&str; 3] = ["provisions", "route", "whatif"];

/// A tiny deterministic generator (xorshift), one per connection.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Where points come from: a list, or a box.
enum Points {
    List(Vec<(f64, f64)>),
    Box([f64; 4]),
}

impl Points {
    fn is_empty(&self) -> bool {
        matches!(self, Points::List(v) if v.is_empty())
    }

    fn draw(&self, rng: &mut Rng) -> (f64, f64) {
        match self {
            Points::List(v) => v[((rng.unit() * v.len() as f64) as usize).min(v.len() - 1)],
            Points::Box([lat0, lon0, lat1, lon1]) => (
                lat0 + (lat1 - lat0) * rng.unit(),
                lon0 + (lon1 - lon0) * rng.unit(),
            ),
        }
    }
}

/// A CSV file with `lat` and `lon` columns, or a box `LAT0,LON0,LAT1,LON1`.
fn read_points(arg: &str) -> Result<Points, String> {
    if !std::path::Path::new(arg).is_file() {
        let b: Vec<f64> = arg.split(',').filter_map(|v| v.parse().ok()).collect();
        return match b[..] {
            [a, b, c, d] => Ok(Points::Box([a, b, c, d])),
            _ => Err("neither a file nor a box LAT0,LON0,LAT1,LON1".into()),
        };
    }
    let text = std::fs::read_to_string(arg).map_err(|e| e.to_string())?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(lat), Some(lon)) = (col("lat"), col("lon")) else {
        return Err("no lat and lon columns".into());
    };
    Ok(Points::List(
        lines
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                Some((
                    f.get(lat)?.trim().parse().ok()?,
                    f.get(lon)?.trim().parse().ok()?,
                ))
            })
            .collect(),
    ))
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, conns, secs, points, token] = &args[..] else {
        eprintln!("usage: load ADDR CONNECTIONS SECONDS POINTS.csv|LAT0,LON0,LAT1,LON1 TOKEN|-");
        return ExitCode::from(2);
    };
    let (Ok(conns), Ok(secs)) = (conns.parse::<usize>(), secs.parse::<u64>()) else {
        eprintln!("CONNECTIONS and SECONDS must be whole numbers");
        return ExitCode::from(2);
    };
    let pool = match read_points(points) {
        Ok(p) if !p.is_empty() => std::sync::Arc::new(p),
        Ok(_) => {
            eprintln!("{points}: no points");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{points}: {e}");
            return ExitCode::from(2);
        }
    };
    let token = (token != "-").then(|| token.clone());
    let until = Instant::now() + Duration::from_secs(secs);
    let handles: Vec<_> = (0..conns)
        .map(|i| {
            let (addr, token, pool) = (addr.clone(), token.clone(), pool.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64 + 1) * 0x1000_0001));
                let mut point = move || pool.draw(&mut rng);
                run_connection(&addr, i % KINDS.len(), token.as_deref(), until, &mut point)
            })
        })
        .collect();
    let mut by_kind: Vec<Tally> = (0..KINDS.len()).map(|_| Tally::default()).collect();
    for (i, h) in handles.into_iter().enumerate() {
        let t = h.join().unwrap_or_default();
        let k = &mut by_kind[i % KINDS.len()];
        k.latencies_ms.extend(t.latencies_ms);
        k.errors += t.errors;
        k.first_error = k.first_error.take().or(t.first_error);
    }
    let mut failed = false;
    println!("kind        requests  errors   req/s   p50 ms   p99 ms   max ms");
    for (kind, t) in KINDS.iter().zip(&mut by_kind) {
        t.latencies_ms.sort_by(f64::total_cmp);
        let n = t.latencies_ms.len();
        let at = |q: f64| {
            t.latencies_ms
                .get(((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1)
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "{kind:<10} {n:>9} {:>7} {:>7.1} {:>8.1} {:>8.1} {:>8.1}",
            t.errors,
            n as f64 / secs as f64,
            at(0.50),
            at(0.99),
            at(1.0)
        );
        if let Some(e) = &t.first_error {
            println!("  first {kind} error: {e}");
        }
        failed |= t.errors > 0;
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One keep-alive connection sending `kind` until `until`; reconnects after a failure.
fn run_connection(
    addr: &str,
    kind: usize,
    token: Option<&str>,
    until: Instant,
    point: &mut dyn FnMut() -> (f64, f64),
) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let request = build_request(addr, kind, token, n, point);
        let t = Instant::now();
        let result = (|| -> Result<u16, String> {
            if conn.is_none() {
                let s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
                s.set_nodelay(true).ok();
                let r = BufReader::new(s.try_clone().map_err(|e| e.to_string())?);
                conn = Some((s, r));
            }
            let Some((w, r)) = conn.as_mut() else {
                return Err("no connection".into());
            };
            w.write_all(request.as_bytes())
                .map_err(|e| format!("write: {e}"))?;
            read_response(r)
        })();
        match result {
            Ok(200) => tally.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0),
            Ok(status) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(format!("status {status}"));
            }
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
                conn = None;
            }
        }
    }
    tally
}

fn build_request(
    addr: &str,
    kind: usize,
    token: Option<&str>,
    n: u64,
    point: &mut dyn FnMut() -> (f64, f64),
) -> String {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    match kind {
        0 => format!("GET /api/provisions HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\n"),
        1 => {
            let (a, b) = (point(), point());
            format!(
                "GET /api/route?from={:.5},{:.5}&to={:.5},{:.5} HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\n",
                a.0, a.1, b.0, b.1
            )
        }
        _ => {
            let (lat, lon) = point();
            let body = format!(
                "{{\"add\":[{{\"id\":\"LOAD{n}\",\"name\":\"load test base\",\"lat\":{lat:.5},\
                 \"lon\":{lon:.5},\"needs\":[\"ASD\"],\"age_min\":4,\"age_max\":16,\
                 \"places\":12,\"kind\":\"resource_base\"}}]}}"
            );
            format!(
                "POST /api/whatif HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        }
    }
}

/// Reads one response, returning its status; the body is read and dropped.
fn read_response(r: &mut BufReader<TcpStream>) -> Result<u16, String> {
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
    if line.is_empty() {
        return Err("connection closed".into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let (mut length, mut chunked, mut close) = (0usize, false, false);
    loop {
        let mut h = String::new();
        r.read_line(&mut h).map_err(|e| format!("read: {e}"))?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().map_err(|_| "bad content-length")?;
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        } else if lower.starts_with("connection:") && lower.contains("close") {
            close = true;
        }
    }
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).map_err(|e| format!("read: {e}"))?;
            let n = usize::from_str_radix(size.trim(), 16).map_err(|_| "bad chunk size")?;
            let mut skip = vec![0u8; n + 2];
            r.read_exact(&mut skip).map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0u8; length];
        r.read_exact(&mut body).map_err(|e| format!("read: {e}"))?;
    }
    if close {
        return Err(format!(
            "status {status}, then the server closed the connection"
        ));
    }
    Ok(status)
}
