//! A made-up run of any size, for benchmarks (`cargo xtask bench`) and for the tests that
//! open thousands of requests in the app. Every entry is whole and consistent, so the
//! analysis takes the same paths as for a real run.

use crate::{Kind, Outcome, Request, ServerTimingEntry, Timing};

/// A run of `n` requests over 4 origins, HTTP/1.1 and h2, with new and reused connections.
pub fn requests(n: usize) -> Vec<Request> {
    (0..n)
        .map(|i| {
            let origin = format!("http://127.0.0.1:{}", 9000 + i % 4);
            let start = i as f64 * 0.7;
            let new = i % 6 == 0;
            let conn_at = if new { start + 0.2 } else { start };
            let timing = Timing {
                name: format!("{origin}/r/{i}.svg"),
                start_time: start,
                fetch_start: start,
                domain_lookup_start: start,
                domain_lookup_end: start,
                connect_start: start,
                connect_end: conn_at,
                secure_connection_start: if new && i % 4 == 3 { start + 0.1 } else { 0.0 },
                request_start: conn_at + 0.05,
                response_start: conn_at + 1.5,
                response_end: conn_at + 2.0,
                transfer_size: 4400.0,
                encoded_body_size: 4096.0,
                decoded_body_size: 4096.0,
                next_hop_protocol: if i % 4 == 3 { "h2".into() } else { "http/1.1".into() },
                server_timing: vec![
                    ServerTimingEntry { name: "conn".into(), duration: 0.0, description: format!("{}", i / 6) },
                    ServerTimingEntry { name: "req".into(), duration: 0.0, description: format!("{}", i % 6 + 1) },
                ],
                ..Timing::default()
            };
            Request {
                id: i,
                url: timing.name.clone(),
                origin,
                kind: Kind::Image,
                parent: Some(0),
                depth: 1,
                outcome: Outcome::Done { status: 200 },
                timing: Some(timing),
                recorded_connection: None,
            }
        })
        .collect()
}
