//! What a run saves as: HAR 1.2 (for any HAR tool) or connscope's own JSON (the requests
//! with their timing entries, as the app held them).

use crate::analysis::Analysis;
use crate::request::Request;
use serde::{Deserialize, Serialize};

/// The version of connscope's JSON document.
pub const JSON_VERSION: u32 = 1;

/// connscope's JSON export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDocument {
    /// The format's version ([`JSON_VERSION`]).
    pub connscope: u32,
    /// The page the run loaded.
    pub page: String,
    pub requests: Vec<Request>,
}

/// A file a run can be saved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Har,
    Json,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Har => "connscope-run.har",
            Format::Json => "connscope-run.json",
        }
    }

    pub fn mime(self) -> &'static str {
        "application/json"
    }

    /// The run in this format, as the text of the file.
    pub fn write(
        self,
        page: &str,
        requests: &[Request],
        analysis: &Analysis,
        time_origin_ms: f64,
        capture: Option<&crate::capture::CaptureInfo>,
    ) -> Result<String, serde_json::Error> {
        match self {
            Format::Har => {
                serde_json::to_string_pretty(&crate::har::export_run(page, requests, analysis, time_origin_ms, capture))
            }
            Format::Json => serde_json::to_string_pretty(&RunDocument {
                connscope: JSON_VERSION,
                page: page.to_string(),
                requests: requests.to_vec(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyse, testing::req};

    #[test]
    fn the_json_document_holds_the_run_and_reads_back() {
        let requests = vec![req(0, "http://a:1", 0.0, 5.0, Some(1.0), Some(("4", 1)), "http/1.1")];
        let text = Format::Json.write("http://a:1/page.html", &requests, &analyse(&requests), 0.0, None).unwrap();
        let doc: RunDocument = serde_json::from_str(&text).unwrap();
        assert_eq!((doc.connscope, doc.page.as_str(), doc.requests), (1, "http://a:1/page.html", requests));
        let har = Format::Har.write("p", &doc_requests(), &analyse(&doc_requests()), 0.0, None).unwrap();
        assert!(har.contains("\"entries\""));
    }

    fn doc_requests() -> Vec<Request> {
        vec![req(0, "http://a:1", 0.0, 5.0, None, None, "http/1.1")]
    }
}
