//! Properties that hold for any input, checked on generated ones (proptest): nothing
//! connscope reads from outside — a HAR file, a stylesheet, a link, a timing entry — makes
//! it panic (a panic in the wasm app is a crash), and no number drawn is NaN or infinite.
//! `cargo xtask test` runs each with the number of cases in `PROPTEST_CASES` (default
//! below); the resolution of the reliability issue reports 100,000 each.
#![cfg(not(target_arch = "wasm32"))]

use connscope_core::config::RunConfig;
use connscope_core::crawl::css::css_references;
use connscope_core::geometry::{lanes, rows, Axis, Order};
use connscope_core::{analyse, har, Request, ServerTimingEntry, Timing};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2_000);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Any JSON value, a few levels deep, with HAR's own keys among the object keys.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let key = prop_oneof![
        Just("log".to_string()),
        Just("entries".to_string()),
        Just("request".to_string()),
        Just("response".to_string()),
        Just("url".to_string()),
        Just("timings".to_string()),
        Just("startedDateTime".to_string()),
        Just("time".to_string()),
        Just("status".to_string()),
        Just("headers".to_string()),
        Just("connection".to_string()),
        Just("_resourceType".to_string()),
        Just("httpVersion".to_string()),
        Just("content".to_string()),
        Just("connect".to_string()),
        Just("ssl".to_string()),
        Just("dns".to_string()),
        Just("wait".to_string()),
        "[a-z_]{1,8}",
    ];
    let number = prop_oneof![
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()),
        Just(1e308),
        Just(-1.0),
        Just(0.0),
        (0u64..10_000).prop_map(|n| n as f64),
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        number.prop_map(|n| serde_json::json!(n)),
        "(https?://[a-z.:0-9]{1,20}/[a-z./?=]{0,20}|[0-9T:.Z+-]{0,30}|h2|http/1.1|.{0,12})"
            .prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A timing entry with any numbers, NaN and infinities among them.
fn timing() -> impl Strategy<Value = Timing> {
    let t = prop_oneof![
        4 => 0.0f64..10_000.0,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-5.0),
        1 => Just(1e308),
    ];
    (
        prop::collection::vec(t, 12),
        prop_oneof![Just("http/1.1"), Just("h2"), Just("h3"), Just(""), Just("weird")],
        prop::option::of(("[0-9]{1,3}", "[0-9-]{1,3}")),
        "https?://(a|b)\\.test(:[0-9]{2})?/[a-z]{0,4}",
    )
        .prop_map(|(v, proto, truth, name)| Timing {
            name,
            start_time: v[0],
            fetch_start: v[1],
            domain_lookup_start: v[2],
            domain_lookup_end: v[3],
            connect_start: v[4],
            connect_end: v[5],
            secure_connection_start: v[6],
            request_start: v[7],
            response_start: v[8],
            response_end: v[9],
            transfer_size: v[10],
            decoded_body_size: v[11],
            next_hop_protocol: proto.into(),
            server_timing: truth
                .map(|(c, r)| {
                    vec![
                        ServerTimingEntry { name: "conn".into(), duration: 0.0, description: c },
                        ServerTimingEntry { name: "req".into(), duration: 0.0, description: r },
                    ]
                })
                .unwrap_or_default(),
            ..Timing::default()
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_as_a_har_gives_a_result_or_a_message(text in ".{0,400}") {
        let _ = har::import(&text);
    }

    #[test]
    fn any_json_as_a_har_gives_a_result_or_a_message(value in json(), wrap in any::<bool>()) {
        let doc = if wrap { serde_json::json!({ "log": { "entries": [value] } }) } else { value };
        if let Ok(imported) = har::import(&doc.to_string()) {
            let analysis = analyse(&imported.requests);
            let axis = Axis::covering(&imported.requests, 700.0);
            for row in rows(&imported.requests, &analysis, &axis, Order::Start) {
                prop_assert!(row.x.is_finite() && row.width.is_finite());
                prop_assert!(row.segments.iter().all(|s| s.x.is_finite() && s.width.is_finite()));
            }
        }
    }

    #[test]
    fn any_stylesheet_is_read_without_panic(css in "(@import |url\\(|\"|'|/\\*|\\*/|\\{|\\}|\\(|\\)|\\\\|[a-z0-9.:;# -]){0,200}") {
        for r in css_references(&css) {
            prop_assert!(!r.url.trim().is_empty());
        }
    }

    #[test]
    fn any_link_is_read_and_what_it_sets_survives_a_round_trip(query in "\\??([a-z_]{1,10}(=[^&#]{0,20})?&?){0,6}") {
        let (config, _problems) = RunConfig::from_query(&query);
        let (again, problems) = RunConfig::from_query(&config.to_query());
        prop_assert!(problems.is_empty(), "{:?}", problems);
        prop_assert_eq!(again, config);
    }

    #[test]
    fn any_timing_entries_are_analysed_and_drawn_with_finite_numbers(entries in prop::collection::vec(timing(), 0..12)) {
        let requests: Vec<Request> = entries.into_iter().enumerate().filter_map(|(i, t)| Request::from_entry(i, t)).collect();
        let analysis = analyse(&requests);
        prop_assert_eq!(analysis.requests.len(), requests.len());
        let axis = Axis::covering(&requests, 700.0);
        prop_assert!(axis.start.is_finite() && axis.end.is_finite() && axis.end > axis.start);
        for row in rows(&requests, &analysis, &axis, Order::Origin) {
            prop_assert!(row.x.is_finite() && row.width.is_finite(), "{:?}", row);
            prop_assert!(row.segments.iter().all(|s| s.x.is_finite() && s.width.is_finite()));
        }
        let (laid, bottom) = lanes(&analysis.truth_connections, &analysis, 30.0, 26.0);
        prop_assert!(bottom.is_finite() && laid.iter().all(|l| l.y.is_finite() && l.height.is_finite()));
        let _ = analysis.reading.len();
    }
}
