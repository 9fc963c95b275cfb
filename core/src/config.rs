//! What a run loads and how, as it lives in the address bar — so a teacher can share a
//! link that reproduces a demo: `?scenario=<id>`, `?url=<page>`, `autorun=1`,
//! `concurrency=<n>`, `pause=<ms>`, `limit=<n>`.

use crate::contract::ScenarioInfo;

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
    /// A URL whose server's keep-alive policy to probe (`?probe=`); opening such a link
    /// starts the probe.
    pub probe: Option<String>,
    /// The longest pause the probe tries, in seconds.
    pub max_idle_s: u32,
    /// `?capture=<origin>`: the app was opened by the capture script on a page of that
    /// origin, and waits for its capture (accepted from that origin only). Not written back
    /// into the link: a capture is delivered once.
    pub capture: Option<String>,
    /// `?compare=<a>,<b>`: two scenarios run one after the other, each from cold
    /// connections (or, the same scenario twice, the second warm), drawn on one time axis.
    pub compare: Option<(String, String)>,
    /// `?lesson=<id>&step=<n>`: a lesson's step (1-based); the run is the step's, and the
    /// link names nothing else.
    pub lesson: Option<String>,
    pub step: usize,
}

/// Where the built-in static test page lives, relative to the app (used without a testbed).
pub const STATIC_TESTPAGE: &str = "testpage/page.html";

/// Resources a run loads by default (the page included).
pub const DEFAULT_LIMIT: usize = 300;
/// How deep references are followed by default.
pub const DEFAULT_DEPTH: u32 = 4;
/// The most resources a run may be asked to load.
pub const MAX_LIMIT: usize = 5000;
/// The longest pause between requests a run may be asked for.
pub const MAX_PAUSE_MS: u32 = 60_000;
/// The deepest a run may be asked to follow references.
pub const MAX_DEPTH: u32 = 16;
/// The most requests at once a run may be asked for (0 in a link = the browser decides).
pub const MAX_CONCURRENCY: usize = 64;
/// The longest pause a probe tries by default (s): two minutes.
pub const DEFAULT_MAX_IDLE_S: u32 = 120;
/// The longest pause a probe may be asked to try (s).
pub const MAX_IDLE_S: u32 = 900;
/// Each request is aborted after this long.
pub const REQUEST_TIMEOUT_MS: u32 = 20_000;

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            scenario: None,
            url: None,
            autorun: false,
            concurrency: None,
            pause_ms: 0,
            limit: DEFAULT_LIMIT,
            depth: DEFAULT_DEPTH,
            probe: None,
            max_idle_s: DEFAULT_MAX_IDLE_S,
            capture: None,
            compare: None,
            lesson: None,
            step: 1,
        }
    }
}

impl RunConfig {
    /// Reads `location.search`. Values out of range are clamped, unreadable ones ignored,
    /// and each problem is returned for the user to read.
    pub fn from_query(search: &str) -> (RunConfig, Vec<String>) {
        let mut c = RunConfig::default();
        let mut problems = Vec::new();
        for (k, v) in form_urlencoded::parse(search.trim_start_matches('?').as_bytes()) {
            if let Err(problem) = c.set(&k, &v) {
                problems.push(problem);
            }
        }
        if let Some(lesson) = c.lesson.as_deref().and_then(crate::lesson::find) {
            if c.step > lesson.steps.len() {
                problems.push(format!(
                    "step={} is past the lesson's last step; showing step {}.",
                    c.step,
                    lesson.steps.len()
                ));
            }
            c = RunConfig::for_step(lesson, c.step);
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
                Ok(n) => self.concurrency = Some(n.min(MAX_CONCURRENCY)),
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
            "probe" => self.probe = Some(v.to_string()).filter(|u| !u.is_empty()),
            "compare" => match crate::compare::split_sides(v) {
                Some(sides) => self.compare = Some(sides),
                None => {
                    return Err(format!(
                        "compare={v:?} does not name two scenarios or pages (such as compare=keepalive,close or compare=keepalive,https://example.com/); nothing is compared."
                    ))
                }
            },
            "capture" => match crate::url::origin_of(v).filter(|o| o == v && crate::url::is_http(o)) {
                Some(origin) => self.capture = Some(origin),
                None => {
                    return Err(format!(
                    "capture={v:?} is not the origin of a page (such as https://example.com); no capture is awaited."
                ))
                }
            },
            "lesson" => match crate::lesson::find(v) {
                Some(l) => self.lesson = Some(l.id.to_string()),
                None => {
                    let ids: Vec<&str> = crate::lesson::LESSONS.iter().map(|l| l.id).collect();
                    return Err(format!("lesson={v:?} is not a lesson; the lessons are: {}.", ids.join(", ")));
                }
            },
            "step" => match v.parse::<usize>() {
                Ok(n) => self.step = n.max(1),
                Err(_) => return Err(format!("step={v:?} is not a step number; showing step {}.", self.step)),
            },
            "max_idle" => match v.parse::<u32>() {
                Ok(n) => self.max_idle_s = n.clamp(1, MAX_IDLE_S),
                Err(_) => {
                    return Err(format!("max_idle={v:?} is not a number of seconds; keeping {}.", self.max_idle_s))
                }
            },
            "limit" => match v.parse::<usize>() {
                Ok(n) => self.limit = n.clamp(1, MAX_LIMIT),
                Err(_) => return Err(format!("limit={v:?} is not a number; keeping {}.", self.limit)),
            },
            _ => {}
        }
        Ok(())
    }

    /// The run of step `n` (1-based, clamped to the lesson's steps) of `lesson`.
    pub fn for_step(lesson: &crate::lesson::Lesson, n: usize) -> RunConfig {
        let n = n.clamp(1, lesson.steps.len().max(1));
        let mut c = lesson.steps.get(n - 1).map(|s| s.config()).unwrap_or_default();
        c.lesson = Some(lesson.id.to_string());
        c.step = n;
        c
    }

    pub fn to_query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(lesson) = &self.lesson {
            // A step's link names the step; its run is the step's.
            q.append_pair("lesson", lesson);
            q.append_pair("step", &self.step.to_string());
            return format!("?{}", q.finish());
        }
        if let Some(u) = &self.url {
            q.append_pair("url", u);
        } else if let Some(s) = &self.scenario {
            q.append_pair("scenario", s);
        }
        if let Some(n) = self.concurrency {
            q.append_pair("concurrency", &n.to_string());
        }
        if self.pause_ms > 0 {
            q.append_pair("pause", &self.pause_ms.to_string());
        }
        if self.limit != DEFAULT_LIMIT {
            q.append_pair("limit", &self.limit.to_string());
        }
        if let Some(p) = &self.probe {
            q.append_pair("probe", p);
        }
        if let Some((a, b)) = &self.compare {
            q.append_pair("compare", &format!("{a},{b}"));
        }
        if self.max_idle_s != DEFAULT_MAX_IDLE_S {
            q.append_pair("max_idle", &self.max_idle_s.to_string());
        }
        if self.depth != DEFAULT_DEPTH {
            q.append_pair("depth", &self.depth.to_string());
        }
        if self.autorun {
            q.append_pair("autorun", "1");
        }
        let q = q.finish();
        if q.is_empty() {
            q
        } else {
            format!("?{q}")
        }
    }

    /// The URL a probe requests: the one asked for, else a small resource of the chosen
    /// scenario's origin (or the first's); None without either.
    pub fn probe_target(&self, scenarios: &[ScenarioInfo]) -> Option<String> {
        if let Some(u) = &self.probe {
            return Some(u.clone());
        }
        let chosen = self.scenario.as_ref().and_then(|id| scenarios.iter().find(|s| &s.id == id)).or(scenarios.first());
        chosen.map(|s| format!("{}/r/probe.css", s.origin))
    }

    /// The limits of a probe as this link asks for them.
    pub fn probe_limits(&self) -> crate::probe::ProbeLimits {
        crate::probe::ProbeLimits { max_idle_ms: self.max_idle_s.saturating_mul(1000), ..Default::default() }
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
    fn a_probe_link_round_trips_and_falls_back_to_the_scenario() {
        let (c, problems) = RunConfig::from_query("?probe=http%3A%2F%2F127.0.0.1%3A9001%2Fr%2Fa.css&max_idle=30");
        assert!(problems.is_empty());
        assert_eq!((c.probe.as_deref(), c.max_idle_s), (Some("http://127.0.0.1:9001/r/a.css"), 30));
        assert_eq!(RunConfig::from_query(&c.to_query()).0, c);
        assert_eq!(c.probe_limits().max_idle_ms, 30_000);
        assert_eq!(RunConfig::from_query("?max_idle=0").0.max_idle_s, 1);
        assert!(RunConfig::from_query("?max_idle=long").1[0].contains("seconds"));
        assert_eq!(RunConfig::default().probe_target(&[]), None);
    }

    #[test]
    fn a_compare_link_names_two_scenarios_and_round_trips() {
        let (c, problems) = RunConfig::from_query("?compare=keepalive%2Cclose");
        assert!(problems.is_empty());
        assert_eq!(c.compare, Some(("keepalive".into(), "close".into())));
        assert_eq!(RunConfig::from_query(&c.to_query()).0, c);
        for bad in ["?compare=keepalive", "?compare=a,b,c", "?compare=,close"] {
            let (c, problems) = RunConfig::from_query(bad);
            assert_eq!(c.compare, None, "{bad}");
            assert!(problems[0].contains("does not name two scenarios"), "{bad}: {problems:?}");
        }
    }

    #[test]
    fn a_lesson_link_names_its_step_and_sets_the_steps_run() {
        let (c, problems) = RunConfig::from_query("?step=4&lesson=persistence&scenario=h2");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((c.lesson.as_deref(), c.step), (Some("persistence"), 4));
        assert_eq!((c.scenario.as_deref(), c.concurrency, c.pause_ms), (Some("short-idle"), Some(1), 1500));
        assert_eq!(c.to_query(), "?lesson=persistence&step=4");
        let (c, problems) = RunConfig::from_query("?lesson=persistence&step=99");
        assert_eq!(c.step, 9);
        assert_eq!(problems, ["step=99 is past the lesson's last step; showing step 9."]);
        let (c, problems) = RunConfig::from_query("?lesson=nope");
        assert_eq!(c.lesson, None);
        assert_eq!(problems, ["lesson=\"nope\" is not a lesson; the lessons are: persistence."]);
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
            rtt_ms: None,
        };
        let mut c = RunConfig { scenario: Some("close".into()), ..RunConfig::default() };
        assert_eq!(c.target(std::slice::from_ref(&s), "/testpage/page.html"), "http://127.0.0.1:9002/page.html");
        assert_eq!(c.target(&[], "/testpage/page.html"), "/testpage/page.html");
        c.url = Some("https://example.com/".into());
        assert_eq!(c.target(&[s], "x"), "https://example.com/");
    }
}
