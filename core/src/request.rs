//! The requests of a run: what each fetched (its kind), how it ended, and its timing entry.

use crate::timing::Timing;
use serde::{Deserialize, Serialize};

/// What kind of resource a request fetched, as the loader discovered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Document,
    Stylesheet,
    Script,
    Image,
    Font,
    Media,
    Other,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Document => "document",
            Kind::Stylesheet => "stylesheet",
            Kind::Script => "script",
            Kind::Image => "image",
            Kind::Font => "font",
            Kind::Media => "media",
            Kind::Other => "other",
        }
    }

    /// The kind a label names (`"stylesheet"`), as connscope's exports and DevTools'
    /// `_resourceType` write it; None for any other word.
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "document" => Kind::Document,
            "stylesheet" => Kind::Stylesheet,
            "script" => Kind::Script,
            "image" => Kind::Image,
            "font" => Kind::Font,
            "media" => Kind::Media,
            "other" => Kind::Other,
            _ => return None,
        })
    }

    /// A kind guessed from the response's MIME type where one is known, else from the
    /// URL's file extension.
    pub fn guess(mime: &str, url: &str) -> Kind {
        let m = mime.to_ascii_lowercase();
        let by_mime = if m.contains("html") {
            Some(Kind::Document)
        } else if m.contains("css") {
            Some(Kind::Stylesheet)
        } else if m.contains("javascript") || m.contains("ecmascript") {
            Some(Kind::Script)
        } else if m.starts_with("image/") {
            Some(Kind::Image)
        } else if m.starts_with("font/") || m.contains("font-woff") {
            Some(Kind::Font)
        } else if m.starts_with("audio/") || m.starts_with("video/") {
            Some(Kind::Media)
        } else {
            None
        };
        by_mime.unwrap_or_else(|| {
            let path = url.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
            let last = path.rsplit('/').next().unwrap_or("");
            match last.rsplit_once('.').map_or("", |(_, ext)| ext) {
                "html" | "htm" => Kind::Document,
                "css" => Kind::Stylesheet,
                "js" | "mjs" => Kind::Script,
                "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "ico" => Kind::Image,
                "woff" | "woff2" | "ttf" | "otf" => Kind::Font,
                "mp4" | "webm" | "mp3" | "ogg" | "m4a" | "m3u8" => Kind::Media,
                _ => Kind::Other,
            }
        })
    }
}

/// How a request ended, as the loader saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum Outcome {
    Pending,
    Running,
    Done { status: u16 },
    Failed { message: String },
}

/// One request of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: usize,
    /// The URL as the page named it (without the run token).
    pub url: String,
    pub origin: String,
    pub kind: Kind,
    pub parent: Option<usize>,
    pub depth: u32,
    pub outcome: Outcome,
    pub timing: Option<Timing>,
    /// A connection id recorded by the browser itself (HAR `connection`), when imported.
    pub recorded_connection: Option<String>,
}

impl Request {
    /// A request known only by its timing entry (captured entries, imports): its URL is
    /// the entry's name without the run token, its kind guessed from the URL.
    pub fn from_entry(id: usize, timing: Timing) -> Option<Request> {
        let url = crate::url::strip_token(&timing.name);
        let origin = crate::url::origin_of(&url)?;
        let kind = Kind::guess("", &url);
        let status = timing.response_status.filter(|s| *s > 0).unwrap_or(200);
        Some(Request {
            id,
            url,
            origin,
            kind,
            parent: None,
            depth: 0,
            outcome: Outcome::Done { status },
            timing: Some(timing),
            recorded_connection: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_and_guessed_in_one_place() {
        for k in [Kind::Document, Kind::Stylesheet, Kind::Script, Kind::Image, Kind::Font, Kind::Media, Kind::Other] {
            assert_eq!(Kind::from_name(k.label()), Some(k));
        }
        assert_eq!(Kind::from_name("xhr"), None);
        assert_eq!(Kind::guess("text/css; charset=utf-8", "https://h/x"), Kind::Stylesheet);
        assert_eq!(Kind::guess("", "https://h/a/b.WOFF2?v=3#x"), Kind::Font);
        assert_eq!(Kind::guess("", "https://h/img.svg"), Kind::Image);
        assert_eq!(Kind::guess("application/json", "https://h/api"), Kind::Other);
        assert_eq!(Kind::guess("", "https://h.example/"), Kind::Other, "a host is no extension");
    }
}
