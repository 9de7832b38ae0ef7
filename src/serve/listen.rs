//! The accept loop: every client bounded in time and number.
//!
//! Each connection is HTTP/1.1 served by hyper with
//! - a header-read timeout ([`ServiceConfig::header_read_timeout`]): a connection that sends
//!   nothing, a partial head, or drips its head byte by byte is closed without an answer
//!   when it runs out; the same clock restarts after each response, so it also closes
//!   kept-alive connections left idle;
//! - caps on the request head: [`ServiceConfig::max_headers`] headers and
//!   [`ServiceConfig::max_head_bytes`] bytes (hyper answers 431 with an empty body and
//!   closes; a malformed request line or header gets 400 the same way);
//! - a write-stall timeout ([`ServiceConfig::write_stall_timeout`]): a client that stops
//!   reading its response is dropped;
//! - the request timeout of the router ([`ServiceConfig::request_timeout`], 408) for the body
//!   and the handler.
//!
//! At most [`ServiceConfig::max_connections`] connections are open at once: a semaphore
//! permit is taken *before* `accept`, so when every permit is held the loop stops accepting
//! and new clients wait in the kernel's listen backlog until a connection closes (rather
//! than being accepted and dropped: a burst of slow clients delays others, it does not
//! make the server refuse them).
//!
//! Shutdown: when the shutdown future resolves the listener is closed (new connections are
//! refused), idle connections are closed, requests in flight finish, and after
//! [`ServiceConfig::shutdown_grace`] every connection left is closed and the loop returns.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use crate::serve::state::{ServiceConfig, MIN_HEAD_BYTES};

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] when they make no progress
/// for a set time (the peer stopped reading and the socket buffer is full). Reads pass
/// through untouched: their bounds are hyper's header-read timeout and the router's request
/// timeout.
#[derive(Debug)]
pub struct WriteStall<T> {
    io: T,
    timeout: Duration,
    timer: Pin<Box<Sleep>>,
    armed: bool,
}

impl<T> WriteStall<T> {
    /// Wrap `io`: a write pending for `timeout` without progress fails.
    pub fn new(io: T, timeout: Duration) -> Self {
        WriteStall {
            io,
            timeout,
            timer: Box::pin(tokio::time::sleep(timeout)),
            armed: false,
        }
    }

    /// After the inner write returned `Pending`: start the clock if it is not running, and
    /// fail when it has run out.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if !self.armed {
            self.armed = true;
            let deadline = Instant::now() + self.timeout;
            self.timer.as_mut().reset(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not read the response",
            )),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The inner write's outcome: progress stops the clock, `Pending` runs it.
    fn track<R>(&mut self, r: Poll<io::Result<R>>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        match r {
            Poll::Ready(v) => {
                self.armed = false;
                Poll::Ready(v)
            }
            Poll::Pending => self.stalled(cx).map(Err),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStall<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStall<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        this.track(r, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.track(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_flush(cx);
        this.track(r, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_shutdown(cx);
        this.track(r, cx)
    }
}

/// hyper's HTTP/1 settings from the limits.
fn http1(cfg: &ServiceConfig) -> hyper::server::conn::http1::Builder {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(cfg.header_read_timeout)
        .max_headers(cfg.max_headers)
        .max_buf_size(cfg.max_head_bytes.max(MIN_HEAD_BYTES))
        .keep_alive(true);
    http
}

/// True for accept errors that concern one connection only (the next accept may work).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Accept connections on `listener` and serve `app` on each until `shutdown` resolves,
/// then shut down within [`ServiceConfig::shutdown_grace`] (see the module documentation).
/// A failed `accept` is logged and retried (after 50 ms unless it concerned one connection
/// only), never fatal.
pub async fn accept_loop<F>(
    listener: TcpListener,
    app: axum::Router,
    cfg: &ServiceConfig,
    shutdown: F,
) where
    F: Future<Output = ()>,
{
    let http = http1(cfg);
    let permits = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut conns = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while conns.try_join_next().is_some() {}
        // A free slot first: when there is none, connections wait in the listen backlog.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok((stream, _peer)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // E.g. out of file descriptors: wait a little rather than spin.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
        let io = TokioIo::new(WriteStall::new(stream, cfg.write_stall_timeout));
        let conn = http.serve_connection(io, TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        conns.spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                // Header timeouts, malformed requests, clients gone: the client's doing.
                tracing::debug!("connection closed: {e}");
            }
        });
    }
    // Stop accepting: connections arriving from now on are refused by the kernel.
    drop(listener);
    while conns.try_join_next().is_some() {}
    let open = conns.len();
    if open > 0 {
        tracing::info!(
            "shutting down: {open} connection(s) open, waiting up to {:?} for requests in flight",
            cfg.shutdown_grace
        );
    }
    if tokio::time::timeout(cfg.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        while conns.try_join_next().is_some() {}
        tracing::warn!(
            "closing {} connection(s) still open after {:?}",
            conns.len(),
            cfg.shutdown_grace
        );
    }
    // Closes whatever is left (their sockets are dropped) and waits for the tasks to end.
    conns.shutdown().await;
    tracing::info!("stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_nobody_reads_fails_after_the_stall_timeout() {
        let (a, _b) = tokio::io::duplex(16);
        let mut w = WriteStall::new(a, Duration::from_millis(50));
        let r = tokio::time::timeout(Duration::from_secs(10), w.write_all(&[7u8; 64])).await;
        let err = r
            .expect("the stall timeout ends the write")
            .expect_err("nobody reads");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_write_that_is_read_goes_through() {
        let (a, mut b) = tokio::io::duplex(16);
        let mut w = WriteStall::new(a, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.map(|_| got)
        });
        w.write_all(&[7u8; 4096]).await.expect("the reader reads");
        w.shutdown().await.expect("shutdown");
        drop(w);
        let got = reader.await.expect("reader task").expect("read");
        assert_eq!(got.len(), 4096);
    }
}
