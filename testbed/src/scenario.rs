//! The scenarios: each is one origin whose connection policy is known in advance, so
//! what a browser reports can be checked against what the server did.

use connscope_core::ScenarioInfo;
use serde::Serialize;
use std::time::Duration;

/// The wire protocol an origin speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Protocol {
    #[serde(rename = "http/1.1")]
    Http1,
    /// HTTP/2 over TLS, negotiated by ALPN (HTTP/1.1 is offered as the fallback).
    #[serde(rename = "h2")]
    H2,
}

impl Protocol {
    /// The ALPN id offered first (what browsers report as `nextHopProtocol`).
    pub fn alpn(self) -> &'static str {
        match self {
            Protocol::Http1 => "http/1.1",
            Protocol::H2 => "h2",
        }
    }
}

/// One origin's connection policy, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub protocol: Protocol,
    pub tls: bool,
    /// Whether a connection may carry more than one request.
    pub keep_alive: bool,
    /// The server closes a connection that has been idle this long.
    pub idle_timeout: Option<Duration>,
    /// The server closes a connection after this many requests (nginx's keepalive_requests).
    pub max_requests: Option<u32>,
    /// Whether responses carry `Timing-Allow-Origin: *`.
    pub timing_allow_origin: bool,
    /// The test page's shape when `/page.html` is asked for without these parameters
    /// (a query string, e.g. `img=18&img_delay=400`); the page's own query wins.
    pub page: &'static str,
    /// Another name of this same server (same port and certificate) that the page takes
    /// its `cdn` share of images from, instead of the `cdn` origin: two origins one
    /// HTTP/2 connection may serve (connection coalescing).
    pub alias_host: Option<&'static str>,
    /// A proxy: every request (but `/`) is forwarded to this scenario's origin through the
    /// testbed's own upstream pool, and the answer says both hops (`up-conn`, `up-req`).
    pub upstream: Option<&'static str>,
    /// A round trip built into this origin: every flight it sends after reading one (a TLS
    /// handshake's answer, a response) waits this long first, so handshakes and requests
    /// cost what they cost on a network, with no flag (the testbed's `--rtt` adds to it).
    pub rtt: Duration,
}

const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);

/// Every scenario the testbed serves, in the order the app lists them.
pub fn all() -> Vec<Scenario> {
    let base = Scenario {
        id: "",
        title: "",
        explanation: "",
        protocol: Protocol::Http1,
        tls: false,
        keep_alive: true,
        idle_timeout: Some(KEEPALIVE_IDLE),
        max_requests: None,
        timing_allow_origin: true,
        page: "",
        alias_host: None,
        upstream: None,
        rtt: Duration::ZERO,
    };
    vec![
        Scenario {
            id: "keepalive",
            title: "HTTP/1.1 keep-alive",
            explanation: "Persistent connections: after a response the connection stays open and the next request to this origin can reuse it without a new TCP handshake.",
            ..base.clone()
        },
        Scenario {
            id: "close",
            title: "Connection: close",
            explanation: "Every response says Connection: close and the server hangs up after it, as HTTP/1.0 did: each request pays for a new TCP handshake.",
            keep_alive: false,
            idle_timeout: None,
            ..base.clone()
        },
        Scenario {
            id: "short-idle",
            title: "Short idle timeout (1 s)",
            explanation: "Persistent, but the server soon closes a connection that sits idle: a request after a pause needs a new connection.",
            idle_timeout: Some(Duration::from_secs(1)),
            ..base.clone()
        },
        Scenario {
            id: "max-3",
            title: "Few requests per connection",
            explanation: "Persistent, but the server closes each connection after a fixed number of requests (like nginx's keepalive_requests), so the next request opens a new one.",
            max_requests: Some(3),
            ..base.clone()
        },
        Scenario {
            id: "h2",
            title: "HTTP/2 over TLS",
            explanation: "HTTPS with ALPN h2: one TLS connection carries every request to this origin at the same time (multiplexing), so only the first pays for TCP and TLS handshakes.",
            protocol: Protocol::H2,
            tls: true,
            ..base.clone()
        },
        Scenario {
            id: "https-keepalive",
            title: "HTTPS/1.1 keep-alive",
            explanation: "HTTP/1.1 over TLS with persistent connections: the TLS handshake is paid once per connection, then reused.",
            tls: true,
            ..base.clone()
        },
        Scenario {
            id: "https-close",
            title: "HTTPS/1.1 with Connection: close",
            explanation: "HTTP/1.1 over TLS, closing after every response: every request pays for a TCP and a TLS handshake.",
            tls: true,
            keep_alive: false,
            idle_timeout: None,
            ..base.clone()
        },
        Scenario {
            id: "cdn",
            title: "Second origin (CDN)",
            explanation: "A second keep-alive origin that test pages take part of their images from: browsers keep a separate pool of connections per origin.",
            ..base.clone()
        },
        Scenario {
            id: "opaque",
            title: "No Timing-Allow-Origin",
            explanation: "Keep-alive with CORS but without Timing-Allow-Origin: the browser hides DNS, connect, TLS and waiting times of these cross-origin requests, so reuse cannot be seen.",
            timing_allow_origin: false,
            ..base.clone()
        },
        Scenario {
            id: "coalesce",
            title: "HTTP/2 across two host names",
            explanation: "One HTTP/2 server reached under two names (127.0.0.1 and localhost, same port and certificate): a browser may send the second name's requests over the connection it opened for the first (connection coalescing), so that name opens no connection of its own.",
            protocol: Protocol::H2,
            tls: true,
            alias_host: Some("localhost"),
            page: "cdn=12",
            ..base.clone()
        },
        Scenario {
            id: "queue",
            title: "Queueing at 6 connections",
            explanation: "HTTP/1.1 keep-alive with 18 slow images (400 ms each) on one origin: HTTP/1.1 carries one request per connection at a time and browsers open at most 6 per host, so the other requests wait in the browser's queue for a connection to fall free.",
            page: "css=1&js=0&fonts=0&img=18&cdn=0&img_delay=400",
            ..base.clone()
        },
        Scenario {
            id: "proxy",
            title: "Keep-alive proxy in front of a closing server",
            explanation: "A proxy that keeps the browser's connections open and forwards every request to the Connection: close origin through a pool of its own: the browser reuses its connections to the proxy while the origin behind it opens a new connection for every request. Persistence is per hop.",
            upstream: Some("close"),
            ..base.clone()
        },
        Scenario {
            id: "https-rtt",
            title: "HTTPS/1.1 keep-alive, 50 ms away",
            explanation: "HTTP/1.1 over TLS with persistent connections, on a server that answers each flight after a 50 ms round trip (as a server across a country would): a new connection pays a round trip for its TLS handshake before its request can go, a reused one pays none.",
            tls: true,
            rtt: Duration::from_millis(50),
            page: "css=1&js=1&fonts=0&img=10&cdn=0",
            ..base
        },
    ]
}

impl Scenario {
    /// "HTTP/1.1, keep-alive, idle timeout 5 s, at most 3 requests per connection".
    pub fn policy_summary(&self) -> String {
        let mut parts = vec![match (self.protocol, self.tls) {
            (Protocol::H2, _) => "HTTP/2 over TLS".to_string(),
            (Protocol::Http1, true) => "HTTP/1.1 over TLS".to_string(),
            (Protocol::Http1, false) => "HTTP/1.1".to_string(),
        }];
        if !self.keep_alive {
            parts.push("Connection: close after every response".into());
        } else if let Some(idle) = self.idle_timeout {
            let ms = idle.as_millis();
            parts.push(if ms % 1000 == 0 {
                format!("idle timeout {} s", ms / 1000)
            } else {
                format!("idle timeout {ms} ms")
            });
        }
        if let Some(max) = self.max_requests {
            parts.push(format!("at most {max} requests per connection"));
        }
        if !self.timing_allow_origin {
            parts.push("no Timing-Allow-Origin".into());
        }
        if !self.rtt.is_zero() {
            parts.push(format!("round trip {} ms", self.rtt.as_millis()));
        }
        if let Some(up) = self.upstream {
            parts.push(format!("forwards to {up} (or to <id> under /via/<id>/)"));
        }
        parts.join(", ")
    }

    pub fn info(&self, origin: String) -> ScenarioInfo {
        ScenarioInfo {
            id: self.id.to_string(),
            title: self.title.to_string(),
            explanation: self.explanation.to_string(),
            origin,
            protocol: self.protocol.alpn().to_string(),
            tls: self.tls,
            keep_alive: self.keep_alive,
            idle_timeout_ms: self.idle_timeout.map(|d| d.as_millis() as u64),
            max_requests: self.max_requests,
            timing_allow_origin: self.timing_allow_origin,
            policy: self.policy_summary(),
            rtt_ms: (!self.rtt.is_zero()).then_some(self.rtt.as_millis() as u64),
        }
    }

    /// `Keep-Alive` header advertising the policy, as Apache and nginx do.
    pub fn keep_alive_header(&self) -> Option<String> {
        if !self.keep_alive || self.protocol == Protocol::H2 {
            return None;
        }
        let mut parts = Vec::new();
        if let Some(idle) = self.idle_timeout {
            parts.push(format!("timeout={}", idle.as_secs().max(1)));
        }
        if let Some(max) = self.max_requests {
            parts.push(format!("max={max}"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_url_safe() {
        let all = all();
        let mut ids: Vec<_> = all.iter().map(|s| s.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert!(ids.iter().all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
    }

    #[test]
    fn the_policy_is_summarised_in_numbers() {
        let all = all();
        let find = |id| all.iter().find(|s| s.id == id).unwrap().policy_summary();
        assert_eq!(find("keepalive"), "HTTP/1.1, idle timeout 5 s");
        assert_eq!(find("max-3"), "HTTP/1.1, idle timeout 5 s, at most 3 requests per connection");
        assert_eq!(find("https-close"), "HTTP/1.1 over TLS, Connection: close after every response");
        assert_eq!(find("opaque"), "HTTP/1.1, idle timeout 5 s, no Timing-Allow-Origin");
        assert_eq!(find("https-rtt"), "HTTP/1.1 over TLS, idle timeout 5 s, round trip 50 ms");
    }

    #[test]
    fn keep_alive_header_states_the_policy() {
        let all = all();
        let find = |id| all.iter().find(|s| s.id == id).unwrap();
        assert_eq!(find("keepalive").keep_alive_header().as_deref(), Some("timeout=5"));
        assert_eq!(find("max-3").keep_alive_header().as_deref(), Some("timeout=5, max=3"));
        assert_eq!(find("close").keep_alive_header(), None);
        assert_eq!(find("h2").keep_alive_header(), None);
    }
}
