//! What a run loads and how, as it lives in the address bar — so a teacher can share a
//! link that reproduces a demo: `?scenario=<id>`, `?url=<page>`, `autorun=1`,
//! `concurrency=<n>`, `pause=<ms>`, `limit=<n>`.

use serde::Deserialize;

/// A scenario origin as `GET /api/scenarios` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScenarioInfo {
    pub id: String,
    pub title: String,
    pub explanation: String,
    pub origin: String,
    pub protocol: String,
    pub tls: bool,
    pub keep_alive: bool,
    pub idle_timeout_ms: Option<u64>,
    pub max_requests: Option<u32>,
    pub timing_allow_origin: bool,
    /// The policy in numbers ("HTTP/1.1, idle timeout 5 s").
    #[serde(default)]
    pub policy: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    pub scenario: Option<String>,
    /// A page of the user's choosing; wins over `scenario`.
    pub url: Option<String>,
    pub autorun: bool,
    /// None: the browser's own concurrency.
    pub concurrency: Option<usize>,
    pub pause_ms: u32,
    pub limit: usize,
    /// How deep references are followed (the page's stylesheets are 1, their imports 2…).
    pub depth: u32,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { scenario: None, url: None, autorun: false, concurrency: None, pause_ms: 0, limit: 300, depth: 4 }
    }
}

pub const MAX_LIMIT: usize = 5000;
pub const MAX_PAUSE_MS: u32 = 60_000;
pub const MAX_DEPTH: u32 = 16;

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl RunConfig {
    /// Reads `location.search`. Values out of range are clamped, unreadable ones ignored,
    /// and each problem is returned for the user to read.
    pub fn from_query(search: &str) -> (RunConfig, Vec<String>) {
        let mut c = RunConfig::default();
        let mut problems = Vec::new();
        for pair in search.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if let Err(problem) = c.set(k, &decode(v)) {
                problems.push(problem);
            }
        }
        (c, problems)
    }

    /// Sets one setting from text, as a link or a form field gives it: out-of-range values
    /// are clamped, unreadable ones leave the setting as it was and say so. Unknown keys are
    /// ignored (links may carry other parameters).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let v = value.trim();
        match key {
            "scenario" => self.scenario = Some(v.to_string()).filter(|s| !s.is_empty()),
            "url" => self.url = Some(v.to_string()).filter(|u| !u.is_empty()),
            "autorun" => self.autorun = v != "0" && v != "false",
            "concurrency" => match v.parse::<usize>() {
                Ok(0) => self.concurrency = None,
                Ok(n) => self.concurrency = Some(n.min(64)),
                Err(_) => return Err(format!("concurrency={v:?} is not a number; using the browser's own.")),
            },
            "pause" => match v.parse::<u32>() {
                Ok(n) => self.pause_ms = n.min(MAX_PAUSE_MS),
                Err(_) => return Err(format!("pause={v:?} is not a number of ms; keeping {}.", self.pause_ms)),
            },
            "depth" => match v.parse::<u32>() {
                Ok(n) => self.depth = n.clamp(1, MAX_DEPTH),
                Err(_) => return Err(format!("depth={v:?} is not a number; keeping {}.", self.depth)),
            },
            "limit" => match v.parse::<usize>() {
                Ok(n) => self.limit = n.clamp(1, MAX_LIMIT),
                Err(_) => return Err(format!("limit={v:?} is not a number; keeping {}.", self.limit)),
            },
            _ => {}
        }
        Ok(())
    }

    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(u) = &self.url {
            parts.push(format!("url={}", encode(u)));
        } else if let Some(s) = &self.scenario {
            parts.push(format!("scenario={}", encode(s)));
        }
        if let Some(n) = self.concurrency {
            parts.push(format!("concurrency={n}"));
        }
        if self.pause_ms > 0 {
            parts.push(format!("pause={}", self.pause_ms));
        }
        if self.limit != RunConfig::default().limit {
            parts.push(format!("limit={}", self.limit));
        }
        if self.depth != RunConfig::default().depth {
            parts.push(format!("depth={}", self.depth));
        }
        if self.autorun {
            parts.push("autorun=1".into());
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The page a run loads: the URL, or the chosen scenario's test page, or the first
    /// scenario's, or (no testbed) the built-in static copy at `fallback`.
    pub fn target(&self, scenarios: &[ScenarioInfo], fallback: &str) -> String {
        if let Some(u) = &self.url {
            return u.clone();
        }
        let chosen = self.scenario.as_ref().and_then(|id| scenarios.iter().find(|s| &s.id == id)).or(scenarios.first());
        match chosen {
            Some(s) => format!("{}/page.html", s.origin),
            None => fallback.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_link_round_trips() {
        let (c, problems) =
            RunConfig::from_query("?scenario=short-idle&autorun=1&concurrency=1&pause=1500&limit=50&depth=2");
        assert!(problems.is_empty());
        assert_eq!(c.scenario.as_deref(), Some("short-idle"));
        assert_eq!((c.concurrency, c.pause_ms, c.limit, c.depth, c.autorun), (Some(1), 1500, 50, 2, true));
        assert_eq!(RunConfig::from_query(&c.to_query()).0, c);
    }

    #[test]
    fn urls_are_decoded_and_encoded() {
        let (c, _) = RunConfig::from_query("?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c");
        assert_eq!(c.url.as_deref(), Some("https://example.com/a?b=1&c"));
        assert_eq!(RunConfig::from_query(&c.to_query()).0.url, c.url);
    }

    #[test]
    fn bad_values_are_reported_and_clamped() {
        let (c, problems) = RunConfig::from_query("?concurrency=lots&pause=-3&limit=999999&url=%zz");
        assert_eq!(problems.len(), 2);
        assert_eq!(c.limit, MAX_LIMIT);
        assert_eq!(c.concurrency, None);
        assert_eq!(c.url.as_deref(), Some("%zz"));
    }

    #[test]
    fn form_fields_set_like_links() {
        let mut c = RunConfig::default();
        assert!(c.set("concurrency", "0").is_ok());
        assert_eq!(c.concurrency, None, "0 = the browser decides");
        c.set("limit", "0").unwrap();
        assert_eq!(c.limit, 1);
        assert!(c.set("pause", "soon").is_err());
        assert_eq!(c.pause_ms, 0, "kept");
        c.set("url", "  ").unwrap();
        assert_eq!(c.url, None, "an emptied URL field clears the URL");
    }

    #[test]
    fn target_prefers_the_url_then_the_scenario_then_the_static_page() {
        let s = ScenarioInfo {
            id: "close".into(),
            title: String::new(),
            explanation: String::new(),
            origin: "http://127.0.0.1:9002".into(),
            protocol: "http/1.1".into(),
            tls: false,
            keep_alive: false,
            idle_timeout_ms: None,
            max_requests: None,
            timing_allow_origin: true,
            policy: String::new(),
        };
        let mut c = RunConfig { scenario: Some("close".into()), ..RunConfig::default() };
        assert_eq!(c.target(std::slice::from_ref(&s), "/testpage/page.html"), "http://127.0.0.1:9002/page.html");
        assert_eq!(c.target(&[], "/testpage/page.html"), "/testpage/page.html");
        c.url = Some("https://example.com/".into());
        assert_eq!(c.target(&[s], "x"), "https://example.com/");
    }
}
