//! Requests for the model's own tests, built the way the browser reports them.

use crate::request::Request;
use crate::timing::{ServerTimingEntry, Timing};

/// A request on `origin` from `start` to `end`; `connect` ms of handshake when new.
pub fn req(
    id: usize,
    origin: &str,
    start: f64,
    end: f64,
    connect: Option<f64>,
    truth: Option<(&str, u32)>,
    proto: &str,
) -> Request {
    let c = connect.unwrap_or(0.0);
    let t = Timing {
        name: format!("{origin}/{id}"),
        start_time: start,
        fetch_start: start,
        domain_lookup_start: start,
        domain_lookup_end: start,
        connect_start: start,
        connect_end: start + c,
        request_start: start + c,
        response_start: end - 0.5,
        response_end: end,
        transfer_size: 100.0,
        decoded_body_size: 50.0,
        next_hop_protocol: proto.into(),
        server_timing: truth
            .map(|(conn, n)| {
                vec![
                    ServerTimingEntry { name: "conn".into(), duration: 0.0, description: conn.into() },
                    ServerTimingEntry { name: "req".into(), duration: 0.0, description: n.to_string() },
                ]
            })
            .unwrap_or_default(),
        ..Timing::default()
    };
    Request::from_entry(id, t)
        .map(|mut r| {
            r.origin = origin.to_string();
            r
        })
        .unwrap()
}
