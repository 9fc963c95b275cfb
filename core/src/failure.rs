//! Why a request failed, and what to tell the user about it. The loader only reports what
//! happened (fetch rejected, timed out, …); what that means is decided here.

use crate::timing::Timing;

/// How a fetch failed, as the browser let it be seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// Aborted by connscope's per-request timeout.
    Timeout { ms: u32 },
    /// Aborted because the user cancelled the run.
    Cancelled,
    /// `fetch()` rejected (the browser gives no reason: network error, CORS, CSP, mixed content).
    Rejected { detail: String },
    /// Headers arrived, the body could not be read.
    Body { detail: String },
}

const CORS_ADVICE: &str = "serve it with `Access-Control-Allow-Origin: *` (and `Timing-Allow-Origin: *` for timing detail), or record the page in your browser's DevTools (Network panel, Export HAR) and import the HAR";

impl FetchFailure {
    /// A message a person can act on. `timing` is the request's entry, if the browser made
    /// one: a response start in it means the server did answer (so the browser withheld it).
    pub fn message(&self, url: &str, timing: Option<&Timing>) -> String {
        match self {
            FetchFailure::Timeout { ms } => {
                format!("No complete response within {ms} ms: aborted (raise the timeout or check the server).")
            }
            FetchFailure::Cancelled => "cancelled".into(),
            FetchFailure::Body { detail } => format!("The response body could not be read: {detail}"),
            FetchFailure::Rejected { detail } if timing.is_some_and(|t| t.response_start > 0.0) => format!(
                "The server answered, but the browser would not let connscope read the response ({detail}): it lacks Access-Control-Allow-Origin (CORS). To analyse {url}, {CORS_ADVICE}."
            ),
            FetchFailure::Rejected { detail } => format!(
                "The request failed ({detail}). Either the host cannot be reached (wrong address, server down, a certificate this browser does not trust), or the browser blocked the response because it does not allow cross-origin reads (no Access-Control-Allow-Origin). For the latter, {CORS_ADVICE}."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answered_but_rejected_fetch_is_cors() {
        let answered = Timing {
            start_time: 1.0,
            fetch_start: 1.0,
            request_start: 2.0,
            response_start: 3.0,
            response_end: 4.0,
            ..Timing::default()
        };
        let f = FetchFailure::Rejected { detail: "TypeError: Failed to fetch".into() };
        let m = f.message("http://x/", Some(&answered));
        assert!(m.starts_with("The server answered") && m.contains("Access-Control-Allow-Origin"), "{m}");
    }

    #[test]
    fn a_rejected_fetch_without_a_response_names_both_causes() {
        let f = FetchFailure::Rejected { detail: "NetworkError".into() };
        for timing in [None, Some(Timing { start_time: 1.0, fetch_start: 1.0, response_end: 2.0, ..Timing::default() })]
        {
            let m = f.message("http://x/", timing.as_ref());
            assert!(
                m.contains("cannot be reached") && m.contains("Access-Control-Allow-Origin") && m.contains("HAR"),
                "{m}"
            );
        }
    }

    #[test]
    fn timeouts_say_how_long() {
        assert!(FetchFailure::Timeout { ms: 300 }.message("u", None).contains("within 300 ms"));
    }
}
