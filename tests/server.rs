//! The real server (`nearhome::serve::serve_on`) on 127.0.0.1:0 with short limits, driven
//! over raw TCP: idle, partial-header and dripping clients are closed by the header-read
//! timeout, idle keep-alive connections too; protocol errors; the `Host` rule; the cap on
//! open connections; shutdown that lets a request in flight finish and closes the rest
//! within its deadline.
//!
//! Every wait is bounded by [`GUARD`], which only a broken server reaches: the tests never
//! assert on how long something took.

use std::net::SocketAddr;
use std::time::Duration;

use nearhome::serve::{serve_on, ServeError, ServiceConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The most any step may take before the test fails (far above every configured limit).
const GUARD: Duration = Duration::from_secs(10);

/// A running server: its address, the shutdown trigger and its task.
struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Running {
    /// Trigger the shutdown and wait (within [`GUARD`]) for `serve_on` to return.
    async fn shut_down(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = tokio::time::timeout(GUARD, &mut self.task)
            .await
            .expect("serve_on returns within its shutdown deadline");
        done.expect("server task").expect("serve_on");
    }
}

/// The mini scenario served on 127.0.0.1:0 with `cfg`.
async fn start(cfg: ServiceConfig) -> Running {
    let state = crate::api::state().with_config(cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_on(listener, state, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Short header timeout, everything else default.
fn short() -> ServiceConfig {
    ServiceConfig {
        header_read_timeout: Duration::from_millis(300),
        ..ServiceConfig::default()
    }
}

/// Read until the server closes the connection (EOF or reset); the bytes received.
async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(GUARD, read_all)
        .await
        .expect("the server closes the connection");
    got
}

/// One response on a kept-alive connection: (status, headers text, body).
async fn read_response(s: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_string();
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    return (head, got[end + 4..end + 4 + len].to_vec());
                }
            }
            let n = s.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed mid-response: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
    };
    let (head, body) = tokio::time::timeout(GUARD, read).await.expect("a response");
    (status_of(head.as_bytes()), head, body)
}

/// The status code of a response's first line (0 when there is none).
fn status_of(bytes: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(bytes);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The body of a whole response received until the connection closed.
fn body_of(bytes: &[u8]) -> &[u8] {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&[][..], |i| &bytes[i + 4..])
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connect")
}

fn health(addr: SocketAddr, connection: &str) -> String {
    format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: {connection}\r\n\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_partial_and_dripping_clients_are_closed_by_the_header_timeout() {
    let server = start(short()).await;
    // Connected, sends nothing.
    let mut idle = connect(server.addr).await;
    // Half a request head.
    let mut partial = connect(server.addr).await;
    partial
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    assert!(until_closed(&mut idle).await.is_empty());
    assert!(until_closed(&mut partial).await.is_empty(), "no answer");
    // A whole head, one byte every 25 ms (about 1.4 s in all, well past the 300 ms the
    // head may take): closed before it is complete, never answered.
    let mut drip = connect(server.addr).await;
    let head = health(server.addr, "close").into_bytes();
    let (mut rd, mut wr) = drip.split();
    let writer = async {
        for b in &head {
            if wr.write_all(&[*b]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        true
    };
    let mut got = Vec::new();
    let reader = async {
        let mut buf = [0u8; 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(GUARD, async { tokio::join!(writer, reader) })
        .await
        .expect("the dripping connection is closed");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_its_response() {
    let server = start(short()).await;
    let mut s = connect(server.addr).await;
    for _ in 0..2 {
        s.write_all(health(server.addr, "keep-alive").as_bytes())
            .await
            .unwrap();
        let (status, head, body) = read_response(&mut s).await;
        assert_eq!(status, 200, "{head}");
        assert!(String::from_utf8_lossy(&body).contains("\"ok\""));
    }
    // Kept alive, then idle: the header timeout closes it.
    assert!(until_closed(&mut s).await.is_empty());
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_are_refused_on_loopback() {
    let server = start(ServiceConfig::default()).await;
    let mut s = connect(server.addr).await;
    s.write_all(
        b"GET /api/health HTTP/1.1\r\nHost: rebound.attacker.example\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let got = until_closed(&mut s).await;
    assert_eq!(status_of(&got), 403, "{}", String::from_utf8_lossy(&got));
    let v: serde_json::Value = serde_json::from_slice(body_of(&got)).expect("a JSON body");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("loopback")),
        "{v}"
    );
    for host in [
        server.addr.to_string(),
        format!("localhost:{}", server.addr.port()),
    ] {
        let mut s = connect(server.addr).await;
        let req = format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let got = until_closed(&mut s).await;
        assert_eq!(status_of(&got), 200, "{}", String::from_utf8_lossy(&got));
    }
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_get_a_status_and_the_connection_closes() {
    let server = start(ServiceConfig::default()).await;
    let too_many: String = (0..80).map(|i| format!("X-H{i}: v\r\n")).collect();
    let huge_head = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
    let cases = [
        // A request line that is not one: hyper answers 400 itself.
        ("GARBAGE\r\n\r\n".to_string(), 400, false),
        // 80 headers, over the cap of 64 (hyper's own default is 100): 431.
        (
            format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{too_many}\r\n"),
            431,
            false,
        ),
        // A 20 KiB head, over the 16 KiB cap: 431.
        (
            format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{huge_head}\r\n"),
            431,
            false,
        ),
        // A 2 KB path fits the head but not the path limit: the router answers 414 in JSON.
        (
            format!(
                "GET /api/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                "p".repeat(2000)
            ),
            414,
            true,
        ),
    ];
    for (req, status, json) in cases {
        let mut s = connect(server.addr).await;
        // The server may answer and close before reading everything: ignore write errors.
        let _ = s.write_all(req.as_bytes()).await;
        let got = until_closed(&mut s).await;
        let shown = String::from_utf8_lossy(&got[..got.len().min(300)]).to_string();
        assert_eq!(status_of(&got), status, "{shown}");
        if json {
            let v: serde_json::Value = serde_json::from_slice(body_of(&got)).expect("JSON");
            assert!(v["error"].is_string(), "{v}");
        } else {
            // hyper writes these itself, before the app sees a request: no body at all.
            assert!(body_of(&got).is_empty(), "{shown}");
        }
    }
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let server = start(ServiceConfig {
        max_connections: 1,
        ..ServiceConfig::default()
    })
    .await;
    let mut first = connect(server.addr).await;
    first
        .write_all(health(server.addr, "keep-alive").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut first).await.0, 200);
    // The one slot is taken: the second client is in the listen backlog, not served.
    let mut second = connect(server.addr).await;
    second
        .write_all(health(server.addr, "close").as_bytes())
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(300), second.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "answered while the only slot was taken: {early:?}"
    );
    // The first is still served on its connection; once it leaves, the second is.
    first
        .write_all(health(server.addr, "close").as_bytes())
        .await
        .unwrap();
    assert_eq!(status_of(&until_closed(&mut first).await), 200);
    let got = until_closed(&mut second).await;
    assert_eq!(status_of(&got), 200, "{}", String::from_utf8_lossy(&got));
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_and_closes_the_rest_by_the_deadline() {
    // The header timeout (30 s) is longer than the test's guard: only the shutdown deadline
    // can close the partial-header connection in time.
    let server = start(ServiceConfig {
        header_read_timeout: Duration::from_secs(30),
        shutdown_grace: Duration::from_millis(500),
        ..ServiceConfig::default()
    })
    .await;
    let addr = server.addr;
    let mut idle = connect(addr).await;
    let mut partial = connect(addr).await;
    partial
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    // A request in flight: the handler is reading its body, which is still to come. With
    // `Expect: 100-continue` hyper answers `100 Continue` when the handler starts reading,
    // so the test knows the request is in flight before it triggers the shutdown.
    let body = br#"{"change": []}"#;
    let mut in_flight = connect(addr).await;
    let head = format!(
        "POST /api/whatif HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    let continue_line = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut got = vec![0u8; continue_line.len()];
    tokio::time::timeout(GUARD, in_flight.read_exact(&mut got))
        .await
        .expect("100 Continue")
        .expect("read");
    assert_eq!(got, continue_line, "{}", String::from_utf8_lossy(&got));
    let shutting_down = tokio::spawn(server.shut_down());
    // The listener closes first (connecting is refused), and the connections are told to
    // shut down right after, without the server yielding in between.
    tokio::time::timeout(GUARD, async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the listener closes");
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The request in flight finishes: its body, then its whole answer, with
    // `connection: close` (sent because the server is shutting down: the request asked to
    // be kept alive), and then the connection closes.
    in_flight.write_all(body).await.unwrap();
    let got = until_closed(&mut in_flight).await;
    let text = String::from_utf8_lossy(&got).to_lowercase();
    assert_eq!(status_of(&got), 422, "{text}");
    assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
    assert!(String::from_utf8_lossy(body_of(&got)).contains("nothing to do"));
    // The idle connection is closed at once, the partial one at the deadline.
    assert!(until_closed(&mut idle).await.is_empty());
    assert!(until_closed(&mut partial).await.is_empty());
    tokio::time::timeout(GUARD, shutting_down)
        .await
        .expect("shutdown completes")
        .expect("shutdown task");
}
