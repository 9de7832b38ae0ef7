//! DNS-rebinding protection for a service bound to a loopback address.
//!
//! A web page on another site can make the browser resolve its own host name to 127.0.0.1
//! and then call this service as a "same-origin" request: the browser still sends the
//! page's host name in `Host`. So when the service listens on loopback only, a request
//! whose `Host` (or absolute-form request target) names anything but a loopback host is
//! refused with 403 and the JSON error body. Loopback hosts: `localhost` (any case, an
//! optional trailing dot) and IP literals in 127.0.0.0/8 or `[::1]`, each with or
//! without a port.
//!
//! A request *without* `Host` is let through: browsers (and curl) always send one, so a
//! missing `Host` is not a rebinding attack, and HTTP/1.0 clients and tests built on
//! `tower::ServiceExt::oneshot` may omit it.

use std::net::{IpAddr, Ipv6Addr};

use axum::extract::Request;
use axum::http::header::HOST;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::serve::error::error_response;

/// True when `host` (a `Host` header value or URI authority: a name or IP literal with an
/// optional `:port`) names this machine's loopback interface.
///
/// ```
/// use nearhome::serve::host::is_loopback_host;
/// assert!(is_loopback_host("localhost:8080"));
/// assert!(is_loopback_host("127.0.0.1"));
/// assert!(is_loopback_host("[::1]:8080"));
/// assert!(!is_loopback_host("attacker.example:8080"));
/// assert!(!is_loopback_host("localhost.attacker.example"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`.
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if !(after.is_empty() || is_port(after.strip_prefix(':'))) {
            return false;
        }
        return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if is_port(Some(port)) => name,
            Some(_) => return false,
            None => host,
        }
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_port(p: Option<&str>) -> bool {
    p.is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Middleware: refuse (403, JSON) a request whose `Host` header or absolute-form target
/// names a host other than loopback; let a request without either through.
pub async fn loopback_hosts_only(req: Request, next: Next) -> Response {
    let header_ok = req
        .headers()
        .get_all(HOST)
        .iter()
        .all(|v| v.to_str().is_ok_and(is_loopback_host));
    let target_ok = req
        .uri()
        .authority()
        .is_none_or(|a| is_loopback_host(a.as_str()));
    if header_ok && target_ok {
        return next.run(req).await;
    }
    error_response(
        StatusCode::FORBIDDEN,
        "this service listens on loopback only: address it as localhost or 127.0.0.1 \
         (the Host header names another host)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_and_without_port() {
        for h in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "localhost:8080",
            "127.0.0.1",
            "127.0.0.1:80",
            "127.1.2.3:65535",
            "[::1]",
            "[::1]:8080",
            "[0:0:0:0:0:0:0:1]:1",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn other_hosts_are_not_loopback() {
        for h in [
            "",
            "example.org",
            "example.org:8080",
            "localhost.example.org",
            "evil-localhost",
            "10.0.0.1",
            "0.0.0.0:8080",
            "[::2]:8080",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[::1]:80a",
            "localhost:",
            "localhost:abc",
            "localhost:123456",
            "127.0.0.1:80:80",
            "::1",
            "user@localhost",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
