//! Did a request open a new connection or reuse one? From the timing entry alone, and —
//! where the testbed told the truth in `Server-Timing` — from the server, with a record of
//! whether the two agree. "Unknown" is an honest answer and always says why.

use crate::contract::ServerTruth;
use crate::phases::{same, EPSILON_MS};
use crate::timing::Timing;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reuse {
    New,
    Reused,
    Unknown,
}

impl Reuse {
    /// The `data-reuse` value.
    pub fn key(self) -> &'static str {
        match self {
            Reuse::New => "new",
            Reuse::Reused => "reused",
            Reuse::Unknown => "unknown",
        }
    }
}

/// Why reuse cannot be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownReason {
    /// Cross-origin without Timing-Allow-Origin: connection times are zeroed.
    NoTimingAllowOrigin,
    /// The browser made no timing entry (CORS or CSP block, network error before a response).
    NoEntry,
    /// Served from the HTTP cache: no connection was used.
    Cache,
    /// The entry's connection times contradict each other.
    Inconsistent,
    /// The recording rounds to whole milliseconds and shows a 0 ms connect: a reused
    /// connection and a fast new one look the same.
    TooCoarse,
    /// An HTTP/2 (or HTTP/3) request that waited for a connection another request of its
    /// origin was still setting up when this one's fetch started.
    JoinedConnectionBeingSetUp,
    /// An HTTP/1.x request that waited before it was sent while the browser handed out
    /// connections it had just set up.
    WaitedForAConnection,
    /// A capture from a page whose clock is coarse, of a server on the same machine: its
    /// connections are set up faster than the clock shows.
    LoopbackUnderCoarseClock,
    /// Safari's and WebKit's navigation entries record no connection setup: a document's
    /// new connection reads as one already open.
    NavigationConnectUnrecorded,
    /// A capture from Firefox under a coarse clock: a connect that reads 0 ms (or one tick)
    /// while a connection of its origin fell free before it was sent may be Firefox's stamp
    /// on a connection handed over, not a new one.
    HandOverUnderCoarseClock,
    /// A run in Firefox under a fine clock: a connect that reads 0 ms right after another
    /// request of its origin finished is Firefox's stamp on the connection that request
    /// freed, not a new connection's.
    HandOverStamp,
    /// An HTTP/1.x request that waited for a connection at an origin seen closing its
    /// connections (`no_free_connection`): the one it got may have been set up while it
    /// waited, for another request.
    ServerClosesConnections,
}

impl UnknownReason {
    /// The `data-unknown-reason` value (as serialized).
    pub fn key(self) -> &'static str {
        match self {
            UnknownReason::NoTimingAllowOrigin => "no-timing-allow-origin",
            UnknownReason::NoEntry => "no-entry",
            UnknownReason::Cache => "cache",
            UnknownReason::Inconsistent => "inconsistent",
            UnknownReason::TooCoarse => "too-coarse",
            UnknownReason::JoinedConnectionBeingSetUp => "joined-connection-being-set-up",
            UnknownReason::WaitedForAConnection => "waited-for-a-connection",
            UnknownReason::LoopbackUnderCoarseClock => "loopback-under-coarse-clock",
            UnknownReason::NavigationConnectUnrecorded => "navigation-connect-unrecorded",
            UnknownReason::HandOverUnderCoarseClock => "hand-over-under-coarse-clock",
            UnknownReason::HandOverStamp => "hand-over-stamp",
            UnknownReason::ServerClosesConnections => "server-closes-connections",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            UnknownReason::NoTimingAllowOrigin => "The response came from another origin without a Timing-Allow-Origin header, so the browser hides its DNS, connect, TLS and waiting times (they read as 0). Zero connect time here does NOT mean reused.",
            UnknownReason::NoEntry => "The browser recorded no timing for this request (blocked by CORS or CSP, or it failed before any response).",
            UnknownReason::Cache => "Served from the browser's cache: no connection was used at all.",
            UnknownReason::Inconsistent => "The connection times in the entry contradict each other, so they say nothing reliable about the connection.",
            UnknownReason::JoinedConnectionBeingSetUp => "It waited for an HTTP/2 connection that another request to this origin was still setting up when this fetch started: it paid no handshake of its own, yet the connection is as new as the request that opened it, and the requests sharing it cannot tell which of them the server counted first.",
            UnknownReason::WaitedForAConnection => "It waited before being sent while the browser was handing out connections it had just set up to other requests of this origin, and no request to this origin finished just before it was sent: it may have got one of those new connections, whose connect the browser (Firefox does this) recorded on no request, so whether it was new or reused cannot be told.",
            UnknownReason::LoopbackUnderCoarseClock => "The page was not cross-origin isolated, so its clock is coarse, and this server runs on the same machine, where a connection is set up faster than that clock shows: a new connection and a reused one read the same.",
            UnknownReason::NavigationConnectUnrecorded => "This browser (Safari, WebKit) records no connection setup in a page's navigation entry: the document's connection reads as already open whether it was new or not.",
            UnknownReason::HandOverUnderCoarseClock => "Its connect reads 0 ms or a single tick of this page's coarse clock, and another request to this origin finished between that moment and this one's send. Firefox records a 0 ms connect on a request it hands a connection that has just fallen free (under a coarse clock its two ends can fall either side of a tick), and under such a clock a new connection's connect reads the same: this one may have gone on the freed connection, so whether it was new or reused cannot be told.",
            UnknownReason::HandOverStamp => "Its connect reads 0 ms, and another request to this origin finished just before it. Firefox records such a connect on a request it hands the connection another request has just freed (a reused connection, not a new one), while under this page's clock it shows a new connection's connect as taking time: this one most likely went on the freed connection, but timing alone cannot prove which, so it is left unknown.",
            UnknownReason::ServerClosesConnections => "It waited for a connection at an origin whose server is seen closing its connections (requests here were given new connections while others had fallen free, where kept-alive ones would have been handed on). The connection it was sent on may have been set up while it waited, for another request, its setup recorded on none (Firefox does this): whether it was new or reused cannot be told.",
            UnknownReason::TooCoarse => "The recording rounds every phase to whole milliseconds and shows 0 ms for connecting: a reused connection and a new one that took under a millisecond (as on a fast network) look the same.",
        }
    }
}

/// What the timing entry alone says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    pub reuse: Reuse,
    pub reason: Option<UnknownReason>,
    /// TCP + TLS time this request paid, when it opened a connection.
    pub handshake_ms: Option<f64>,
}

pub fn infer(t: Option<&Timing>) -> Inference {
    let unknown = |reason| Inference { reuse: Reuse::Unknown, reason: Some(reason), handshake_ms: None };
    let Some(t) = t else {
        return unknown(UnknownReason::NoEntry);
    };
    if t.is_opaque() {
        return unknown(UnknownReason::NoTimingAllowOrigin);
    }
    if t.from_cache() {
        return unknown(UnknownReason::Cache);
    }
    if t.connect_unmeasured {
        return unknown(UnknownReason::TooCoarse);
    }
    if t.connect_end > t.connect_start + EPSILON_MS {
        if t.connect_start + EPSILON_MS < t.fetch_start {
            return unknown(UnknownReason::Inconsistent);
        }
        return Inference { reuse: Reuse::New, reason: None, handshake_ms: Some(t.connect_end - t.connect_start) };
    }
    // Fetch clamps the connection times of a connection that existed before the fetch
    // started to fetchStart: all equal to it means "already open".
    let clamped = [t.domain_lookup_start, t.domain_lookup_end, t.connect_start, t.connect_end]
        .iter()
        .all(|v| same(*v, t.fetch_start));
    if clamped {
        if let Some(reason) = t.open_reading_unreliable {
            return unknown(reason);
        }
        return Inference { reuse: Reuse::Reused, reason: None, handshake_ms: None };
    }
    // A connect that reads 0 ms, but later than fetchStart and in order after the lookup: a
    // connection set up for this fetch faster than the clock's resolution (100 µs without
    // cross-origin isolation; a loopback connect can take less). Only for HTTP/1.x: over
    // h2/h3 a lookup followed by joining an open session (connection coalescing) reads the
    // same, and an unknown protocol may be either.
    let in_order = [t.fetch_start, t.domain_lookup_start, t.domain_lookup_end, t.connect_start, t.request_start]
        .windows(2)
        .all(|w| w[0] <= w[1] + EPSILON_MS);
    if t.is_one_at_a_time() && in_order && t.connect_start > t.fetch_start + EPSILON_MS {
        return Inference { reuse: Reuse::New, reason: None, handshake_ms: Some(0.0) };
    }
    unknown(UnknownReason::Inconsistent)
}

/// How the timing inference compares with the server's truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// No truth, or no inference: nothing to compare.
    NotComparable,
    Agrees,
    /// The browser had the connection open before the fetch started, but this was the
    /// first request on it (a preconnected or spare socket): timing says reused, the
    /// server says new — both are right.
    Preconnected,
    /// The browser started a connection for this request but sent the request on another
    /// that became free first (Chromium binds requests to sockets late).
    LateBinding,
}

impl Agreement {
    pub fn key(self) -> &'static str {
        match self {
            Agreement::NotComparable => "n/a",
            Agreement::Agrees => "agrees",
            Agreement::Preconnected => "preconnected",
            Agreement::LateBinding => "late-binding",
        }
    }

    /// Timing and the server differ, for a reason the timing shows (the rows the
    /// connection view outlines).
    pub fn differs(self) -> bool {
        matches!(self, Agreement::Preconnected | Agreement::LateBinding)
    }
}

/// The verdict shown for a request; [`Verdict::evidence`] says it in sentences (written
/// when read, not for every request of a run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub reuse: Reuse,
    pub inference: Inference,
    pub truth: Option<ServerTruth>,
    pub agreement: Agreement,
    /// Why the request failed, when it made no timing entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

pub fn verdict(t: Option<&Timing>) -> Verdict {
    judge(infer(t), t.and_then(Timing::server_truth))
}

/// A wait between fetchStart and requestStart longer than this may be a wait for a
/// connection (HTTP/2: for one being set up).
pub const WAIT_MS: f64 = 1.0;
/// An HTTP/1.x request on an idle connection can still wait a few ms in the browser
/// (scheduling); a wait longer than this is a wait for a connection.
pub const QUEUE_WAIT_MS: f64 = 5.0;
/// A request sent this soon after another request of its origin finished went on the
/// connection that request freed (browsers hand a freed HTTP/1.1 connection on at once).
pub const HANDOVER_MS: f64 = 2.0;
/// How long after a request ends Firefox stamps the 0 ms connect of the request it hands
/// the freed connection (0 to 0.12 ms in 60 runs of the testbed's pages, 10 stamps, under a
/// 20 µs clock): under a finer clock than this, the span `refine` looks in for a hand-over
/// starts this long before the stamp.
pub const HAND_OVER_LAG_MS: f64 = 0.5;
/// A connection free this long when the browser hands out a fresh one (a 0 ms connect)
/// was not usable: the server had closed it (Firefox, max-3: one freed 0.28 ms before).
pub const IDLE_SIGN_MS: f64 = 0.1;
/// How many requests that waited must have got new connections, and how many times as
/// many as read reused, before an origin is seen closing every connection
/// (`seen_closing_every_connection`).
pub const SEEN_CLOSING_MIN: usize = 6;
pub const SEEN_CLOSING_RATIO: usize = 4;

/// What the other requests of a run say about one whose own entry says "reused": timing
/// shows no connect for it, but a request that waited may have got a connection opened
/// while it waited (the connect recorded on another request, or on none), not one that
/// was open when its fetch started. Such requests become unknown, each with its reason:
/// - over HTTP/2 or HTTP/3, when another request's connect to its origin ended during the
///   wait;
/// - over HTTP/1.x, when it waited over [`QUEUE_WAIT_MS`], during the wait another
///   request of its origin got a connection whose connect reads 0 ms (Firefox records so
///   a connection it hands out; the one this request got may be another, its connect
///   recorded nowhere), and no other request of its origin finished within
///   [`HANDOVER_MS`] before it was sent (a request waiting for a busy connection is sent
///   the moment one falls free);
/// - over HTTP/1.x, when it waited over [`WAIT_MS`] and, counting the connections the
///   origin's requests show (each carries one request at a time), none was free when it
///   was sent (Chromium can hand a waiting request a socket it opened without recording
///   the connect on any request; one 4 ms wait was enough).
///
/// Last, a request whose entry says new by a 0 ms connect, from a browser that stamps one
/// on a request it hands a connection that has just fallen free (Firefox:
/// `Timing::hand_over_stamp_tick_ms`), becomes unknown where another request of its origin
/// finished between that connect and its send, within a tick, or [`HAND_OVER_LAG_MS`]
/// before the connect where the tick is finer. In Firefox 153 captures of the testbed's
/// pages under a 1 ms clock, of 500 such stamps 9 were a connection's second or later
/// request, all 9 with a request of the origin finishing in that span (as had 322 of the 491
/// on new connections: the price of the rule). Under the 20 µs clock of connscope's own
/// runs, all 10 such stamps in 60 runs were hand-overs, each 0 to 0.12 ms after a request
/// of the origin ended; no new connection's connect read 0 ms. The rules above still count
/// such a stamp as a connection handed out while others waited (the sign they look for):
/// without it, a request Firefox gave a connection it had opened while the request waited,
/// its connect recorded nowhere, read reused.
///
/// `verdicts[i]` belongs to `timings[i]`; `origins[i]` numbers its origin (any small
/// integers, one per origin).
pub fn refine(timings: &[Option<&Timing>], origins: &[usize], verdicts: &mut [Verdict]) {
    /// One origin's moments, each sorted, so a request asks in O(log n) what happened
    /// during its wait: a run of thousands of requests stays linear-logarithmic.
    #[derive(Default)]
    struct Moments {
        /// connectEnd of requests that showed a connect (and of those that read 0 ms).
        connected: Vec<f64>,
        connected_instantly: Vec<f64>,
        /// responseEnd of every request.
        finished: Vec<f64>,
    }
    let any_in = |sorted: &[f64], after: f64, up_to: f64| {
        let from = sorted.partition_point(|v| *v <= after);
        sorted.get(from).is_some_and(|v| *v <= up_to)
    };
    // How many values of `sorted` lie in [from, to].
    let count_in = |sorted: &[f64], from: f64, to: f64| {
        sorted.partition_point(|v| *v <= to).saturating_sub(sorted.partition_point(|v| *v < from))
    };
    let count = origins.iter().max().map_or(0, |m| m + 1);
    let mut by_origin: Vec<Moments> = (0..count).map(|_| Moments::default()).collect();
    for (i, t) in timings.iter().enumerate() {
        let Some(t) = t else { continue };
        by_origin[origins[i]].finished.push(t.response_end);
    }
    for m in &mut by_origin {
        m.finished.sort_by(f64::total_cmp);
    }
    // A 0 ms connect stamped where the browser may have handed over a connection that had
    // just fallen free (`Timing::hand_over_stamp_tick_ms`): another request of the origin
    // finished between the stamp and the send, give or take a tick (and, under a fine
    // clock, up to the stamp's lag before it). Under a tick this coarse a request's own end
    // can fall in that span: it is not counted. Found now, made unknown last.
    let mut handed = Vec::new();
    for i in 0..verdicts.len() {
        let Some(t) = timings[i] else { continue };
        let Some(tick) = t.hand_over_stamp_tick_ms else { continue };
        let coarse = tick >= crate::capture::COARSE_CLOCK_MS;
        // Under a coarse clock the stamp's two ends can fall either side of a tick: a
        // connect of one tick is such a stamp as much as one of 0 ms (Firefox, 1 ms clock:
        // keepalive's img-21, request 2 on its connection, read a 1 ms connect).
        let stamp = connect_reads_zero(t) || (coarse && t.connect_end - t.connect_start <= tick + EPSILON_MS);
        if verdicts[i].inference.reuse != Reuse::New || !stamp {
            continue;
        }
        let before = tick.max(HAND_OVER_LAG_MS);
        let (from, to) = (t.connect_start - before - EPSILON_MS, t.request_start + tick + EPSILON_MS);
        let own = usize::from((from..=to).contains(&t.response_end));
        if count_in(&by_origin[origins[i]].finished, from, to) > own {
            handed
                .push((i, if coarse { UnknownReason::HandOverUnderCoarseClock } else { UnknownReason::HandOverStamp }));
        }
    }
    for (i, t) in timings.iter().enumerate() {
        let Some(t) = t else { continue };
        let m = &mut by_origin[origins[i]];
        if verdicts[i].inference.reuse == Reuse::New {
            m.connected.push(t.connect_end);
            if connect_reads_zero(t) {
                m.connected_instantly.push(t.connect_end);
            }
        }
    }
    for m in &mut by_origin {
        for v in [&mut m.connected, &mut m.connected_instantly] {
            v.sort_by(f64::total_cmp);
        }
    }
    for i in 0..verdicts.len() {
        let Some(t) = timings[i] else { continue };
        if verdicts[i].inference.reuse != Reuse::Reused || t.request_start - t.fetch_start <= WAIT_MS {
            continue;
        }
        let Some(m) = by_origin.get(origins[i]) else { continue };
        // Another request of the origin shows a connection set up during this one's wait
        // (this one shows none, so it is never among them).
        let during_wait = |sorted: &[f64]| any_in(sorted, t.fetch_start + EPSILON_MS, t.request_start + EPSILON_MS);
        let reason = if t.is_multiplexed() {
            during_wait(&m.connected).then_some(UnknownReason::JoinedConnectionBeingSetUp)
        } else if t.is_one_at_a_time()
            && t.request_start - t.fetch_start > QUEUE_WAIT_MS
            && during_wait(&m.connected_instantly)
        {
            // A request of the origin finished just before this one was sent: it went on the
            // connection that fell free. (Its own end comes after its send: never counted.)
            let freed = any_in(&m.finished, t.request_start - HANDOVER_MS - f64::EPSILON, t.request_start + EPSILON_MS);
            (!freed).then_some(UnknownReason::WaitedForAConnection)
        } else {
            None
        };
        if let Some(reason) = reason {
            let inference = Inference { reuse: Reuse::Unknown, reason: Some(reason), handshake_ms: None };
            verdicts[i] = judge(inference, t.server_truth());
        }
    }
    let finished: Vec<&[f64]> = by_origin.iter().map(|m| m.finished.as_slice()).collect();
    no_free_connection(timings, origins, &finished, verdicts);
    for (i, reason) in handed {
        if let Some(t) = timings[i] {
            let inference = Inference { reuse: Reuse::Unknown, reason: Some(reason), handshake_ms: None };
            verdicts[i] = judge(inference, t.server_truth());
        }
    }
}

/// HTTP/1.x: replays each origin's requests in the order they were sent, each on a
/// connection of its own until its last byte. A request that showed a connect brings one;
/// one that timing calls reused needs one that had fallen free. A reused request that
/// waited over [`WAIT_MS`] and found none went on a connection no entry shows: it becomes
/// unknown (it still holds that connection, for the requests after it), and so does each
/// request that waited and took a connection while it waited: any of them may be the one
/// that got the connection no entry shows (Chromium sent keepalive's img-1 first on a
/// connection no entry records while script-2, waiting with it, took the one that had
/// fallen free). Not where the browser records the connections it hands out as 0 ms
/// connects (Firefox): `refine` finds those requests by that sign, and there the rule took
/// two thirds of the cdn scenario's answers for nothing. One that did not wait went on a connection open before the run (a warm or
/// preconnected one).
///
/// Servers close connections without timing showing it. When a connect that reads 0 ms (a
/// connection Firefox hands out) comes while a connection of its origin has sat free for
/// over [`IDLE_SIGN_MS`] (a browser uses an idle connection before it opens one), those idle
/// connections were closed: they are dropped, and from then on the origin is known to
/// close connections, so a request that waited is unknown (the connection that fell free
/// for it may have been closing: Firefox sent max-3's img-14 first on a new connection
/// right after another had carried its third and last request), and such a 0 ms connect
/// right after a hand-over is taken for one. (Chromium and WebKit open measured connections while others sit idle, for
/// their own reasons: no sign there.)
/// `finished[o]`: the responseEnd of every request of origin `o`, sorted.
fn no_free_connection(timings: &[Option<&Timing>], origins: &[usize], finished: &[&[f64]], verdicts: &mut [Verdict]) {
    use crate::phases::order_key;
    use std::collections::BTreeSet;
    /// An origin's connections by when each falls free (a multiset: ties told apart by a
    /// sequence number), so each request finds one in O(log n).
    #[derive(Default, Clone)]
    struct Origin {
        free_at: BTreeSet<(i64, u64)>,
        next: u64,
        closes_connections: bool,
        /// Requests that waited and took a connection, with when they were sent (in order).
        waited_takes: Vec<(usize, f64)>,
    }
    impl Origin {
        fn push(&mut self, at: f64) {
            self.next += 1;
            self.free_at.insert((order_key(at), self.next));
        }
        /// Takes the connection freed most recently at or before `at`, freed no earlier
        /// than `since`, and holds it until `until`.
        fn take(&mut self, since: f64, at: f64, until: f64) -> bool {
            let found =
                self.free_at.range((order_key(since), 0)..=(order_key(at + EPSILON_MS), u64::MAX)).next_back().copied();
            if let Some(k) = found {
                self.free_at.remove(&k);
                self.push(until);
            }
            found.is_some()
        }
    }
    let mut order: Vec<usize> = (0..timings.len())
        .filter(|&i| timings[i].is_some_and(|t| t.is_one_at_a_time() && t.request_start > 0.0))
        .filter(|&i| verdicts[i].inference.reuse != Reuse::Unknown)
        .collect();
    let sent = |i: usize| timings[i].map_or(0.0, |t| t.request_start);
    order.sort_by(|a, b| sent(*a).total_cmp(&sent(*b)).then(a.cmp(b)));
    let mut by_origin: Vec<Origin> = vec![Origin::default(); origins.iter().max().map_or(0, |m| m + 1)];
    for (o, seen) in by_origin.iter_mut().zip(seen_closing_every_connection(timings, origins, finished, verdicts)) {
        o.closes_connections = seen;
    }
    // Origins where the browser records a connection it hands out as a 0 ms connect
    // (Firefox): there `refine` already finds the requests that may have got one.
    let mut hands_out = vec![false; by_origin.len()];
    for (i, t) in timings.iter().enumerate() {
        if t.is_some_and(connect_reads_zero) && verdicts[i].inference.reuse == Reuse::New {
            hands_out[origins[i]] = true;
        }
    }
    for i in order {
        let Some(t) = timings[i] else { continue };
        let o = &mut by_origin[origins[i]];
        let waited = t.request_start - t.fetch_start > WAIT_MS;
        match verdicts[i].inference.reuse {
            Reuse::New => {
                let instant = connect_reads_zero(t);
                let idle_before = (order_key(t.connect_start - IDLE_SIGN_MS), 0);
                if instant && o.free_at.first().is_some_and(|first| *first < idle_before) {
                    o.closes_connections = true;
                    o.free_at = o.free_at.split_off(&idle_before);
                }
                let handed = instant
                    && o.closes_connections
                    && o.take(t.request_start - HANDOVER_MS, t.request_start, t.response_end);
                if !handed {
                    o.push(t.response_end);
                }
            }
            Reuse::Reused => {
                // Where the server closes connections, a connection that fell free may have
                // been closing: a waiting request's own entry cannot tell which it got.
                let closing = o.closes_connections && waited;
                let took = !closing && o.take(f64::NEG_INFINITY, t.request_start, t.response_end);
                let unknown = Inference {
                    reuse: Reuse::Unknown,
                    reason: Some(UnknownReason::WaitedForAConnection),
                    handshake_ms: None,
                };
                if took && waited {
                    o.waited_takes.push((i, t.request_start));
                }
                if !took {
                    o.push(t.response_end);
                    if waited {
                        let reason = if closing {
                            UnknownReason::ServerClosesConnections
                        } else {
                            UnknownReason::WaitedForAConnection
                        };
                        let own = Inference { reason: Some(reason), ..unknown.clone() };
                        verdicts[i] = judge(own, t.server_truth());
                        // One connection short: a request waiting with this one got a
                        // connection no entry shows, and browsers do not serve waiting
                        // requests in the order they came (Chromium serves by priority), so
                        // each that took one while this one waited may be that request.
                        let from = if hands_out[origins[i]] {
                            o.waited_takes.len()
                        } else {
                            o.waited_takes.partition_point(|(_, sent)| *sent < t.fetch_start - EPSILON_MS)
                        };
                        for (j, _) in o.waited_takes.drain(from..) {
                            if let Some(tj) = timings[j] {
                                verdicts[j] = judge(unknown.clone(), tj.server_truth());
                            }
                        }
                    }
                }
            }
            Reuse::Unknown => {}
        }
    }
}

/// Per origin, whether it is seen closing every connection, for `no_free_connection`. A
/// browser hands a waiting request the connection another request has just freed before it
/// opens a new one; where the server closes its connections, the requests that waited while
/// another finished get new ones instead. So an origin is seen closing them where at least
/// [`SEEN_CLOSING_MIN`] requests each began a measured connect after another request of the
/// origin had finished during its wait, against at most one in [`SEEN_CLOSING_RATIO`] of its
/// waiting requests that read reused. (The connect, not the lookup: Firefox looks up the
/// host for a request as it queues it, then waits.) In 40 Firefox runs of the close page and
/// the captures of every scenario (Chromium, Firefox, WebKit), the close and https-close
/// origins showed 13 to 23 such connects and no waiting request that read reused; max-3,
/// which closes a connection after its third request, at most 9 against 14 or more; a
/// keep-alive origin at most 5 (Firefox at times opens a connection while another sits
/// idle). In a fresh-clone CI run Firefox sent a request of the close origin, after a 10 ms
/// wait, first on a connection it set up during that wait, its entry clamped as if the
/// connection had been open: that request is what this finds.
fn seen_closing_every_connection(
    timings: &[Option<&Timing>],
    origins: &[usize],
    ended: &[&[f64]],
    verdicts: &[Verdict],
) -> Vec<bool> {
    let count = ended.len();
    let (mut replaced, mut reused_waiting) = (vec![0_usize; count], vec![0_usize; count]);
    for (i, t) in timings.iter().enumerate() {
        let Some(t) = t.filter(|t| t.is_one_at_a_time() && t.request_start > 0.0) else { continue };
        let o = origins[i];
        match verdicts[i].inference.reuse {
            // (A 0 ms connect may be a connection handed over: not counted. Its own end
            // comes after its lookup: never counted.)
            Reuse::New if !connect_reads_zero(t) => {
                let from = ended[o].partition_point(|v| *v <= t.fetch_start + EPSILON_MS);
                if ended[o].get(from).is_some_and(|v| *v < t.connect_start - EPSILON_MS) {
                    replaced[o] += 1;
                }
            }
            Reuse::Reused if t.request_start - t.fetch_start > WAIT_MS => reused_waiting[o] += 1,
            _ => {}
        }
    }
    (0..count)
        .map(|o| replaced[o] >= SEEN_CLOSING_MIN && reused_waiting[o] * SEEN_CLOSING_RATIO <= replaced[o])
        .collect()
}

/// Whether `browser` records a 0 ms connect on an HTTP/1.x request it hands a connection
/// that has just fallen free, as on one it gives a new connection (Firefox does, under any
/// clock): where it does, its entries are marked (`mark_hand_over_stamp`).
pub fn stamps_hand_overs(browser: crate::probe::Browser) -> bool {
    browser == crate::probe::Browser::Firefox
}

/// Where `browser` stamps hand-overs (`stamps_hand_overs`) and `t` is an HTTP/1.x request,
/// marks it (`Timing::hand_over_stamp_tick_ms`) with the page's clock tick, for `refine`.
pub fn mark_hand_over_stamp(t: &mut Timing, browser: crate::probe::Browser, tick_ms: f64) {
    if stamps_hand_overs(browser) && t.is_one_at_a_time() {
        t.hand_over_stamp_tick_ms = Some(tick_ms.max(0.0));
    }
}

/// A connect that reads 0 ms: for a request timing calls new, a connection handed out
/// (Firefox records so the connections it gives to waiting requests).
pub(crate) fn connect_reads_zero(t: &Timing) -> bool {
    t.connect_end - t.connect_start < EPSILON_MS
}

/// The verdict from an inference and the server's word, if any.
fn judge(inference: Inference, truth: Option<ServerTruth>) -> Verdict {
    let Some(truth) = truth else {
        return Verdict {
            reuse: inference.reuse,
            inference,
            truth: None,
            agreement: Agreement::NotComparable,
            failure: None,
        };
    };
    let reuse = if truth.request_number == 1 { Reuse::New } else { Reuse::Reused };
    let agreement = match (inference.reuse, reuse) {
        (Reuse::Unknown, _) => Agreement::NotComparable,
        (a, b) if a == b => Agreement::Agrees,
        (Reuse::Reused, Reuse::New) => Agreement::Preconnected,
        _ => Agreement::LateBinding,
    };
    Verdict { reuse, inference, truth: Some(truth), agreement, failure: None }
}

impl Verdict {
    /// The evidence as sentences: the server's word where there is one, how it compares
    /// with the timing, and what the timing shows.
    pub fn evidence(&self) -> String {
        let inference = &self.inference;
        let timing_sentence = match (&inference.reuse, inference.reason) {
            (Reuse::New, _) if inference.handshake_ms.is_some_and(|h| h < EPSILON_MS) => {
                "Its connection times come after fetchStart, in order after a DNS lookup, so the browser set up a connection for this fetch; the connect itself was shorter than the browser's clock resolution and reads 0 ms.".to_string()
            }
            (Reuse::New, _) => format!(
                "The entry shows a connect phase of {:.2} ms: the browser opened a new connection.",
                inference.handshake_ms.unwrap_or(0.0)
            ),
            (Reuse::Reused, _) => {
                "Its DNS and connect times all equal fetchStart: the connection was already open when the fetch started."
                    .to_string()
            }
            (Reuse::Unknown, Some(reason)) => reason.explanation().to_string(),
            (Reuse::Unknown, None) => UnknownReason::Inconsistent.explanation().to_string(),
        };
        let timing_sentence = match &self.failure {
            Some(message) => format!("{timing_sentence} ({message})"),
            None => timing_sentence,
        };
        let Some(truth) = &self.truth else {
            return timing_sentence;
        };
        let server_sentence = if truth.request_number == 1 {
            format!("The server says this was the first request on connection {}.", truth.connection)
        } else {
            format!(
                "The server says connection {} carried this as its request #{}.",
                truth.connection, truth.request_number
            )
        };
        let why = match self.agreement {
            Agreement::NotComparable => "",
            Agreement::Agrees => " The timing agrees.",
            Agreement::Preconnected => " The timing shows no handshake because the browser had opened this connection before the fetch started (a preconnected or spare socket) and had not used it yet: already open, but new to this page.",
            Agreement::LateBinding => " The timing shows a handshake because the browser began opening a connection for this request, but sent it on another one that became free first.",
        };
        format!("{server_sentence}{why} {timing_sentence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::ServerTimingEntry;

    /// An entry as the e2e suite printed it (ms from one request's fetchStart), placed 100 ms
    /// into the page's clock as a real one is (entries never read before 0).
    fn seen(fetch: f64, connect: Option<(f64, f64)>, request: f64, end: f64, protocol: &str) -> Timing {
        let (fetch, request, end) = (fetch + 100.0, request + 100.0, end + 100.0);
        let (cs, ce) = connect.map_or((fetch, fetch), |(s, e)| (s + 100.0, e + 100.0));
        Timing {
            start_time: fetch,
            fetch_start: fetch,
            domain_lookup_start: cs.min(fetch.max(cs)),
            domain_lookup_end: cs,
            connect_start: cs,
            connect_end: ce,
            request_start: request,
            response_start: end - 0.1,
            response_end: end,
            transfer_size: 500.0,
            next_hop_protocol: protocol.into(),
            ..Timing::default()
        }
    }

    fn refined(ts: &[Timing]) -> Vec<Reuse> {
        let timings: Vec<Option<&Timing>> = ts.iter().map(Some).collect();
        let origins = vec![0; ts.len()];
        let mut v: Vec<Verdict> = ts.iter().map(|t| verdict(Some(t))).collect();
        refine(&timings, &origins, &mut v);
        v.iter().map(|v| v.inference.reuse).collect()
    }

    #[test]
    fn h2_requests_that_waited_for_a_connection_being_set_up_are_unknown() {
        // WebKit, coalesce scenario, the localhost name: img-13 opened the connection;
        // the others waited for it (the server counted img-15 first). Fetches after the
        // connect ended stay reused.
        let h2 = |f, c, r| seen(f, c, r, r + 3.5, "h2");
        let ts = vec![
            h2(-0.10, Some((10.16, 31.14)), 31.46),
            h2(-0.02, None, 31.52),
            h2(0.00, None, 31.54),
            h2(8.86, None, 31.62),
            h2(30.54, None, 31.70),
            h2(40.0, None, 40.2),
        ];
        let r = refined(&ts);
        assert_eq!(r, vec![Reuse::New, Reuse::Unknown, Reuse::Unknown, Reuse::Unknown, Reuse::Unknown, Reuse::Reused]);
    }

    #[test]
    fn http1_requests_waiting_while_firefox_hands_out_fresh_connections_are_unknown() {
        // Firefox, max-3: img-10's connect reads 0 ms at 6.42 (a connection handed over);
        // img-15 waited 16 ms and went first on a connection opened during the wait.
        let h1 = |f, c, r, e| seen(f, c, r, e, "http/1.1");
        // (The first is the connection img-9 went on, free since -10.)
        let ts = vec![
            h1(-15.0, Some((-14.9, -14.0)), -13.9, -10.0),
            h1(-4.52, Some((6.42, 6.42)), 6.64, 12.86),
            h1(0.0, None, 16.36, 18.76),
            h1(-4.84, None, 3.70, 6.18),
        ];
        let r = refined(&ts);
        assert_eq!(
            r,
            vec![Reuse::New, Reuse::New, Reuse::Unknown, Reuse::Reused],
            "the last waited before the hand-over"
        );
        // A measured connect (Chromium opening sockets while others queue) is no such sign:
        // the queued requests went on connections that fell free.
        let ts = vec![h1(0.0, Some((0.2, 0.5)), 0.6, 400.0), h1(0.0, None, 400.2, 800.0)];
        assert_eq!(refined(&ts), vec![Reuse::New, Reuse::Reused]);
    }

    #[test]
    fn firefoxs_0_ms_connects_next_to_a_hand_over_are_unknown_under_a_coarse_clock() {
        // Firefox, 1 ms clock: 0 ms connects at 5 (sent at 5, done at 5.6: the request's own
        // end is inside its span, and counts for nothing).
        let stamped = |fetch, connect: f64, end| Timing {
            hand_over_stamp_tick_ms: Some(1.0),
            ..seen(fetch, Some((connect, connect)), connect, end, "http/1.1")
        };
        // Alone: new.
        assert_eq!(refined(&[stamped(4.0, 5.0, 5.6)]), vec![Reuse::New]);
        // Another request finished within a tick of the stamp: it may be a hand-over.
        let other_done = |end| seen(-20.0, Some((-19.9, -19.5)), -19.4, end, "http/1.1");
        for end in [4.0, 5.3, 6.0] {
            assert_eq!(refined(&[other_done(end), stamped(4.0, 5.0, 5.6)])[1], Reuse::Unknown, "other done at {end}");
        }
        // Done over a tick before the stamp, or after the send: no hand-over there.
        for end in [3.8, 6.2] {
            assert_eq!(refined(&[other_done(end), stamped(4.0, 5.0, 5.6)])[1], Reuse::New, "other done at {end}");
        }
        // A stamp whose ends fell either side of a tick reads one tick: the same sign. Two
        // ticks are a connect that took time.
        let ticked = |ticks: f64| Timing {
            hand_over_stamp_tick_ms: Some(1.0),
            ..seen(4.0, Some((5.0, 5.0 + ticks)), 5.0 + ticks, 7.0, "http/1.1")
        };
        assert_eq!(refined(&[other_done(5.3), ticked(1.0)])[1], Reuse::Unknown);
        assert_eq!(refined(&[ticked(1.0)]), vec![Reuse::New]);
        assert_eq!(refined(&[other_done(5.3), ticked(2.0)])[1], Reuse::New);
        // Only where the capture says the browser stamps hand-overs (Firefox, coarse clock).
        let unmarked = seen(4.0, Some((5.0, 5.0)), 5.0, 5.6, "http/1.1");
        assert_eq!(refined(&[other_done(5.3), unmarked]), vec![Reuse::New, Reuse::New]);
        // Over HTTP/2 a 0 ms connect is no new connection's sign to begin with.
        let h2 = Timing { next_hop_protocol: "h2".into(), ..stamped(4.0, 5.0, 5.6) };
        assert_ne!(refined(&[h2])[0], Reuse::New);
    }

    #[test]
    fn each_unknown_reasons_key_is_its_serialized_name() {
        use UnknownReason::*;
        for r in [
            NoTimingAllowOrigin,
            NoEntry,
            Cache,
            Inconsistent,
            TooCoarse,
            JoinedConnectionBeingSetUp,
            WaitedForAConnection,
            LoopbackUnderCoarseClock,
            NavigationConnectUnrecorded,
            HandOverUnderCoarseClock,
            HandOverStamp,
            ServerClosesConnections,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.key()));
        }
    }

    #[test]
    fn firefoxs_0_ms_connects_just_after_a_request_ended_are_unknown_under_a_fine_clock() {
        // Firefox, 20 µs clock: a stamp at 5 (sent at 5.04, done at 6).
        let stamped = |fetch, connect: f64, end| Timing {
            hand_over_stamp_tick_ms: Some(0.02),
            ..seen(fetch, Some((connect, connect)), connect + 0.04, end, "http/1.1")
        };
        let other_done = |end| seen(-20.0, Some((-19.9, -19.5)), -19.4, end, "http/1.1");
        let verdicts = |ts: &[Timing]| {
            let timings: Vec<Option<&Timing>> = ts.iter().map(Some).collect();
            let mut v: Vec<Verdict> = timings.iter().map(|t| verdict(*t)).collect();
            refine(&timings, &vec![0; ts.len()], &mut v);
            v
        };
        // Another request ended up to the lag before the stamp, or by its send: a hand-over.
        for end in [4.52, 4.88, 5.0, 5.04] {
            let v = verdicts(&[other_done(end), stamped(4.0, 5.0, 6.0)]);
            assert_eq!(
                (v[1].reuse, v[1].inference.reason),
                (Reuse::Unknown, Some(UnknownReason::HandOverStamp)),
                "other done at {end}"
            );
        }
        // Longer before, or after the send: nothing was handed over there.
        for end in [4.4, 5.2] {
            assert_eq!(
                verdicts(&[other_done(end), stamped(4.0, 5.0, 6.0)])[1].reuse,
                Reuse::New,
                "other done at {end}"
            );
        }
        // A request that waited over QUEUE_WAIT_MS through such a stamp, with no request
        // ending just before its send, may have got a connection Firefox opened for it and
        // recorded on none: the stamp still counts as a connection handed out.
        let waited = seen(0.0, None, 9.0, 9.5, "http/1.1");
        let v = verdicts(&[other_done(4.9), stamped(4.0, 5.0, 6.0), waited]);
        assert_eq!((v[2].reuse, v[2].inference.reason), (Reuse::Unknown, Some(UnknownReason::WaitedForAConnection)));
    }

    #[test]
    fn http1_requests_that_waited_together_for_too_few_connections_are_all_unknown() {
        // Chromium, keepalive at the browser's concurrency, on a loaded machine (times from
        // img-1's fetchStart). Style-2's connection fell free at 3.19; img-1 (waiting since
        // 0) was sent at 15.16 and script-2 (waiting since -9.31) at 17.55, both showing no
        // connect. Timing has one free connection for the two: the testbed saw script-2 take
        // it and img-1 go first on a connection no entry records (accepted at 3.12).
        let h1 = |f, c, r, e| seen(f, c, r, e, "http/1.1");
        let ts = vec![
            h1(-56.39, Some((-53.79, -53.59)), -53.37, -48.72), // page.html, conn 9
            h1(-14.70, None, -10.70, -0.35),                    // style-1, 9#2
            h1(-11.59, Some((-10.32, -10.15)), -4.15, 3.19),    // style-2, conn 10
            h1(-9.59, None, 4.85, 32.38),                       // script-1, 9#3
            h1(-9.31, None, 17.55, 43.39),                      // script-2, 10#2
            h1(-9.07, Some((2.98, 3.37)), 32.21, 44.48),        // script-3, conn 11
            h1(0.0, None, 15.16, 43.09),                        // img-1, first on conn 12
        ];
        let r = refined(&ts);
        assert_eq!(r[6], Reuse::Unknown, "img-1 may be the one that got the unrecorded connection: {r:?}");
        assert_eq!(r[4], Reuse::Unknown, "script-2 found no connection: {r:?}");
        // Script-1 took its connection while script-2 waited: it may be the one too.
        assert_eq!(r[3], Reuse::Unknown, "{r:?}");
        // Style-1 was sent before script-2 began to wait.
        assert_eq!(r[1], Reuse::Reused, "{r:?}");
        // Where connections handed out read 0 ms (Firefox), that sign decides instead.
        let mut firefox = ts;
        firefox[2] = h1(-11.59, Some((-10.15, -10.15)), -4.15, 3.19);
        let r = refined(&firefox);
        assert_eq!((r[2], r[3]), (Reuse::New, Reuse::Reused), "{r:?}");
    }

    fn reused() -> Timing {
        Timing {
            start_time: 30.0,
            fetch_start: 30.0,
            domain_lookup_start: 30.0,
            domain_lookup_end: 30.0,
            connect_start: 30.0,
            connect_end: 30.0,
            request_start: 31.0,
            response_start: 32.0,
            response_end: 33.0,
            transfer_size: 500.0,
            decoded_body_size: 200.0,
            next_hop_protocol: "http/1.1".into(),
            ..Timing::default()
        }
    }

    /// Chromium without cross-origin isolation (100 µs clock) against Python's HTTP/1.0
    /// server on loopback: a lookup of one tick, then a connect that reads 0.
    fn sub_tick_connect(protocol: &str) -> Timing {
        Timing {
            start_time: 100.0,
            fetch_start: 100.0,
            domain_lookup_start: 101.0,
            domain_lookup_end: 101.1,
            connect_start: 101.1,
            connect_end: 101.1,
            request_start: 101.1,
            response_start: 113.2,
            response_end: 113.4,
            transfer_size: 500.0,
            decoded_body_size: 200.0,
            next_hop_protocol: protocol.into(),
            ..Timing::default()
        }
    }

    #[test]
    fn a_connect_faster_than_the_clock_after_a_lookup_is_new_over_http1_only() {
        for p in ["http/1.0", "http/1.1"] {
            let i = infer(Some(&sub_tick_connect(p)));
            assert_eq!((i.reuse, i.handshake_ms), (Reuse::New, Some(0.0)), "{p}");
            assert!(verdict(Some(&sub_tick_connect(p))).evidence().contains("clock resolution"));
        }
        // h2 may have joined an open session after the lookup (coalescing); unknown protocol too.
        for p in ["h2", "h3", ""] {
            assert_eq!(infer(Some(&sub_tick_connect(p))).reuse, Reuse::Unknown, "{p:?}");
        }
        // Out of order (connect before the lookup ended) stays inconsistent.
        let mut t = sub_tick_connect("http/1.1");
        t.connect_start = 100.5;
        t.connect_end = 100.5;
        assert_eq!(infer(Some(&t)).reason, Some(UnknownReason::Inconsistent));
    }

    fn with_truth(mut t: Timing, conn: &str, req: u32) -> Timing {
        t.server_timing = vec![
            ServerTimingEntry { name: "conn".into(), duration: 0.0, description: conn.into() },
            ServerTimingEntry { name: "req".into(), duration: 0.0, description: req.to_string() },
        ];
        t
    }

    #[test]
    fn clamped_connect_times_mean_reused() {
        assert_eq!(infer(Some(&reused())).reuse, Reuse::Reused);
    }

    #[test]
    fn a_connect_phase_means_new() {
        let t = Timing { connect_start: 30.1, connect_end: 30.4, ..reused() };
        let i = infer(Some(&t));
        assert_eq!(i.reuse, Reuse::New);
        assert!((i.handshake_ms.unwrap() - 0.3).abs() < 1e-9);
    }

    #[test]
    fn dns_on_a_reused_connection_does_not_make_it_new() {
        // HTTP/2 coalescing: a lookup happened, but the connection existed.
        let t = Timing { domain_lookup_start: 30.0, domain_lookup_end: 30.5, ..reused() };
        assert_ne!(infer(Some(&t)).reuse, Reuse::New);
    }

    #[test]
    fn opaque_entries_are_unknown_never_reused() {
        let t = Timing { start_time: 5.0, fetch_start: 5.0, response_end: 9.0, ..Timing::default() };
        let v = verdict(Some(&t));
        assert_eq!(v.reuse, Reuse::Unknown);
        assert_eq!(v.inference.reason, Some(UnknownReason::NoTimingAllowOrigin));
        assert!(v.evidence().contains("Timing-Allow-Origin"));
    }

    #[test]
    fn cached_entries_are_unknown() {
        let t = Timing { transfer_size: 0.0, decoded_body_size: 300.0, ..reused() };
        assert_eq!(infer(Some(&t)).reason, Some(UnknownReason::Cache));
    }

    #[test]
    fn no_entry_is_unknown_with_a_reason() {
        assert_eq!(infer(None).reason, Some(UnknownReason::NoEntry));
    }

    #[test]
    fn the_server_truth_decides_and_agreement_is_recorded() {
        let v = verdict(Some(&with_truth(reused(), "4", 2)));
        assert_eq!((v.reuse, v.agreement), (Reuse::Reused, Agreement::Agrees));
        let new = Timing { connect_start: 30.1, connect_end: 30.4, ..reused() };
        let v = verdict(Some(&with_truth(new, "5", 1)));
        assert_eq!((v.reuse, v.agreement), (Reuse::New, Agreement::Agrees));
    }

    #[test]
    fn a_preconnected_socket_is_new_to_the_server_and_explained() {
        let v = verdict(Some(&with_truth(reused(), "9", 1)));
        assert_eq!(v.reuse, Reuse::New);
        assert_eq!(v.agreement, Agreement::Preconnected);
        assert!(v.evidence().contains("before the fetch started"), "{}", v.evidence());
    }

    #[test]
    fn truth_on_an_opaque_entry_is_not_compared() {
        // Server-Timing is hidden without TAO too, but a HAR import can carry it.
        let t =
            with_truth(Timing { start_time: 5.0, fetch_start: 5.0, response_end: 9.0, ..Timing::default() }, "3", 2);
        let v = verdict(Some(&t));
        assert_eq!(v.reuse, Reuse::Reused);
        assert_eq!(v.agreement, Agreement::NotComparable);
    }
}

/// Browser quirks of Resource Timing seen in real captures, one test each.
#[cfg(test)]
mod quirks {
    use super::*;
    use crate::phases::{Phase, Phases};

    fn base() -> Timing {
        Timing {
            start_time: 100.0,
            fetch_start: 100.0,
            domain_lookup_start: 100.0,
            domain_lookup_end: 100.0,
            connect_start: 100.0,
            connect_end: 100.0,
            request_start: 100.5,
            response_start: 102.0,
            response_end: 103.0,
            transfer_size: 900.0,
            encoded_body_size: 600.0,
            decoded_body_size: 600.0,
            next_hop_protocol: "h2".into(),
            ..Timing::default()
        }
    }

    #[test]
    fn chromium_preconnected_origin_with_secure_connection_start_zero_is_reused_without_tls() {
        let t = Timing { secure_connection_start: 0.0, ..base() };
        assert_eq!(infer(Some(&t)).reuse, Reuse::Reused);
        assert_eq!(Phases::from_timing(&t).duration(Phase::Tls), None);
    }

    #[test]
    fn safari_secure_connection_start_zero_on_reuse_is_still_reuse() {
        let safari = Timing { secure_connection_start: 0.0, ..base() };
        let chromium = Timing { secure_connection_start: 100.0, ..base() };
        assert_eq!(infer(Some(&safari)).reuse, infer(Some(&chromium)).reuse);
        assert_eq!(
            Phases::from_timing(&chromium).duration(Phase::Tls),
            None,
            "clamped secureConnectionStart is no TLS phase"
        );
    }

    #[test]
    fn safari_duration_zero_does_not_break_phases() {
        let t = Timing { duration: 0.0, ..base() };
        let p = Phases::from_timing(&t);
        assert!((p.total() - 3.0).abs() < 1e-9, "the bar comes from startTime..responseEnd, not duration");
    }

    #[test]
    fn firefox_without_delivery_type_or_response_status_is_judged_the_same() {
        let chromium = Timing { delivery_type: Some(String::new()), response_status: Some(200), ..base() };
        let firefox = Timing { delivery_type: None, response_status: None, ..base() };
        assert_eq!(verdict(Some(&chromium)), verdict(Some(&firefox)));
        let cached = Timing { delivery_type: Some("cache".into()), ..base() };
        assert_eq!(infer(Some(&cached)).reason, Some(UnknownReason::Cache));
    }

    #[test]
    fn coarsened_new_connection_still_reads_as_new() {
        // Cross-origin isolated Chromium coarsens to 5 µs: a 0.05 ms loopback connect survives.
        let t = Timing {
            connect_start: 100.005,
            connect_end: 100.055,
            domain_lookup_start: 100.005,
            domain_lookup_end: 100.005,
            ..base()
        };
        assert_eq!(infer(Some(&t)).reuse, Reuse::New);
    }

    #[test]
    fn connect_times_equal_but_not_clamped_are_not_called_reused() {
        // Without isolation Firefox rounds to 1 ms: a new connection can show connectStart ==
        // connectEnd after fetchStart. That is not the clamp of a reused connection.
        let t = Timing {
            domain_lookup_start: 101.0,
            domain_lookup_end: 101.0,
            connect_start: 101.0,
            connect_end: 101.0,
            ..base()
        };
        assert_eq!(infer(Some(&t)).reuse, Reuse::Unknown);
    }
}
