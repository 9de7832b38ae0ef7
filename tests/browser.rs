//! The map in a real browser: headless Chromium (Debian's `chromium`) driven by
//! playwright-core (`web/package-lock.json`) against the service on a loopback port.
//!
//! Needs `/usr/bin/chromium` (or `NEARHOME_CHROMIUM`) and `web/node_modules`; `.ci/run`
//! installs both. Outside CI, without them the test passes but prints
//! `SKIPPED map_works_in_headless_chromium: ...` straight to the terminal (past libtest's
//! output capture, so `cargo test` shows it); with `CI` set it fails instead, naming what to
//! install, so CI can never skip it silently.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nearhome::serve::auth::Auth;
use nearhome::serve::state::{AppState, ServiceConfig};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn map_works_in_headless_chromium() {
    let chromium =
        std::env::var("NEARHOME_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let playwright = root().join("web/node_modules/playwright-core");
    let missing: Vec<String> = [
        (!Path::new(&chromium).exists()).then(|| format!("{chromium} (apt-get install chromium)")),
        (!playwright.exists()).then(|| "web/node_modules (cd web && npm ci)".to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let missing = missing.join(", ");
        assert!(
            std::env::var_os("CI").is_none(),
            "the browser test cannot run with CI set: missing {missing}; install them, or run \
             .ci/run, which does"
        );
        // Written to the process's stdout, not through `println!`, which libtest captures:
        // the skip shows in `cargo test`'s own output.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "\nSKIPPED map_works_in_headless_chromium: missing {missing} (.ci/run installs both)"
        );
        let _ = out.flush();
        return;
    }
    let prepared = nearhome::app::prepare(&root().join("fixtures/scenarios/rutland/scenario.toml"))
        .expect("the Rutland demo analyses");
    let token = "browser-test-officer-token-0123456789";
    let state = AppState::new(prepared, Auth::new([token]), ServiceConfig::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    // The real server (accept loop, limits, the loopback Host rule): the page calls it as
    // http://127.0.0.1:PORT/, which the Host rule lets through.
    rt.spawn(async move {
        nearhome::serve::serve_on(listener, state, std::future::pending())
            .await
            .unwrap();
    });
    let shot_dir = root().join("target/browser");
    std::fs::create_dir_all(&shot_dir).unwrap();
    let shot = shot_dir.join("map.png");
    let _ = std::fs::remove_file(&shot);
    let out = Command::new("node")
        .arg(root().join("web/tests/browser.mjs"))
        .arg(format!("http://{addr}/"))
        .arg(token)
        .arg(&shot)
        .env("NEARHOME_CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");
    assert!(stdout.contains("drawn: provisions"), "{stdout}");
    assert!(stdout.contains("planning: "), "{stdout}");
    assert!(
        stdout.contains("estimated journeys drawn dashed: "),
        "{stdout}"
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "screenshot {} is {size} bytes",
        shot.display()
    );
    rt.shutdown_timeout(Duration::from_secs(2));
}
