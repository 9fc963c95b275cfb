//! The socket wrapper under every connection: it records when bytes last moved (for the
//! idle timeout) and, with `--rtt`, holds back each flight the server sends.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// When bytes last moved on a connection, and since when its writes have been blocked (the
/// client is not reading), shared with the task that enforces the idle and send timeouts.
#[derive(Debug, Clone)]
pub struct Activity(Arc<Mutex<Moved>>);

#[derive(Debug, Clone, Copy)]
struct Moved {
    last: Instant,
    blocked_since: Option<Instant>,
}

impl Activity {
    pub fn new() -> Self {
        Activity(Arc::new(Mutex::new(Moved { last: Instant::now(), blocked_since: None })))
    }
    pub fn touch(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.last = Instant::now();
        }
    }
    /// A write went through: nothing is blocked.
    fn wrote(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.last = Instant::now();
            m.blocked_since = None;
        }
    }
    /// A write could not go through: the client's window (or the socket buffer) is full.
    fn blocked(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.blocked_since.get_or_insert_with(Instant::now);
        }
    }
    pub fn last(&self) -> Instant {
        self.0.lock().map(|m| m.last).unwrap_or_else(|_| Instant::now())
    }
    /// Since when the server has been waiting to write, if it is.
    pub fn blocked_since(&self) -> Option<Instant> {
        self.0.lock().ok().and_then(|m| m.blocked_since)
    }
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

pin_project_lite::pin_project! {
    /// Wraps a socket. A "flight" is what the server writes after it has read something:
    /// with an emulated round trip, the first write after a read waits `rtt` first, so a
    /// request/response exchange and each TLS handshake flight cost one more round trip
    /// as the browser sees it.
    pub struct TrackedIo<T> {
        #[pin]
        inner: T,
        activity: Activity,
        rtt: Duration,
        read_since_write: bool,
        delay: Option<Pin<Box<Sleep>>>,
    }
}

impl<T> TrackedIo<T> {
    pub fn new(inner: T, activity: Activity, rtt: Duration) -> Self {
        TrackedIo { inner, activity, rtt, read_since_write: false, delay: None }
    }
}

impl<T: AsyncRead> AsyncRead for TrackedIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let res = this.inner.poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
            *this.read_since_write = true;
        }
        res
    }
}

impl<T: AsyncWrite> TrackedIo<T> {
    fn poll_flight_delay(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.rtt.is_zero() {
            return Poll::Ready(());
        }
        if *this.read_since_write {
            *this.read_since_write = false;
            *this.delay = Some(Box::pin(tokio::time::sleep(*this.rtt)));
        }
        if let Some(delay) = this.delay.as_mut() {
            if delay.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            *this.delay = None;
        }
        Poll::Ready(())
    }
}

use std::future::Future as _;

impl<T: AsyncWrite> AsyncWrite for TrackedIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if self.as_mut().poll_flight_delay(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.project();
        let res = this.inner.poll_write(cx, data);
        match &res {
            Poll::Ready(Ok(n)) if *n > 0 => this.activity.wrote(),
            Poll::Pending => this.activity.blocked(),
            _ => {}
        }
        res
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.as_mut().poll_flight_delay(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.project();
        let res = this.inner.poll_write_vectored(cx, bufs);
        match &res {
            Poll::Ready(Ok(n)) if *n > 0 => this.activity.wrote(),
            Poll::Pending => this.activity.blocked(),
            _ => {}
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}
