//! A HAR file read into a light JSON tree without what connscope never looks at. Response
//! and request bodies (`text`, under `content` and `postData`) and other large parts that
//! import never reads are skipped as they are read (`serde::de::IgnoredAny`), so a recording
//! with a 400 MB body costs the time to scan it, not 400 MB more memory. What is nested
//! past 32 levels is skipped the same way (serde_json skips without recursing), so no input
//! exhausts the stack.
//!
//! The tree borrows its strings from the file where they hold no escapes, and keeps an
//! object's members in a list (a HAR object has a few dozen at most): building it costs a
//! few allocations per entry, where `serde_json::Value` (a map and an owned string per
//! member) made the tree most of an import's time. connscope's own `_connscope` member is
//! kept as raw JSON, read with its own types (`import`).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Objects and arrays nested deeper than this are skipped (a HAR is six levels deep).
const MAX_DEPTH: usize = 32;
/// Keys whose values are bodies, or that import never reads and that can be large (Chrome's
/// `_initiator` holds whole stack traces; `evidence` is connscope's own sentence): skipped
/// unread.
const SKIPPED: [&str; 9] =
    ["text", "_content", "_initiator", "cookies", "queryString", "postData", "cache", "evidence", "_securityDetails"];
/// Members kept as raw JSON, for a typed read.
const RAW: [&str; 1] = ["_connscope"];

/// A JSON value as import reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json<'a> {
    #[default]
    Null,
    Bool(bool),
    /// A whole number as written (ids such as Chrome's socket ids).
    Int(u64),
    Num(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    Obj(Vec<(Cow<'a, str>, Json<'a>)>),
    /// One of [`RAW`]'s members, unparsed: its JSON text.
    Raw(&'a str),
}

/// A JSON null to point at where a member is missing.
pub static NULL: Json<'static> = Json::Null;

impl<'a> Json<'a> {
    /// The member `key` of an object (the first, if written twice).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            Json::Int(n) => Some(*n as f64),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    /// An object's members, in the order written.
    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Json<'a>)]> {
        match self {
            Json::Obj(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Obj(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// A raw member's JSON text.
    pub fn raw(&self) -> Option<&'a str> {
        match self {
            Json::Raw(r) => Some(r),
            _ => None,
        }
    }
}

/// Parses `text` as JSON, leaving out bodies and what is nested past [`MAX_DEPTH`].
pub fn parse(text: &str) -> serde_json::Result<Json<'_>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Lean { depth: 0 }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Lean {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Lean {
    type Value = Json<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

/// A string, borrowed from the input where it holds no escape.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> Visitor<'de> for Lean {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Int(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
        Ok(Json::Num(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        if self.depth >= MAX_DEPTH {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Json::Null);
        }
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Lean { depth: self.depth + 1 })? {
            out.push(v);
        }
        Ok(Json::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key_seed(Text)? {
            if self.depth >= MAX_DEPTH || SKIPPED.contains(&key.as_ref()) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let v = if RAW.contains(&key.as_ref()) {
                Json::Raw(map.next_value::<&'de RawValue>()?.get())
            } else {
                map.next_value_seed(Lean { depth: self.depth + 1 })?
            };
            out.push((key, v));
        }
        Ok(Json::Obj(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_skipped_and_the_rest_kept() {
        let body = "x".repeat(1_000_000);
        let text = format!(
            r#"{{"log":{{"entries":[{{"response":{{"status":200,"content":{{"size":1,"mimeType":"text/css","text":"{body}"}}}}}}]}}}}"#
        );
        let v = parse(&text).unwrap();
        let entry = &v.get("log").and_then(|l| l.get("entries")).and_then(Json::as_array).unwrap()[0];
        let response = entry.get("response").unwrap();
        let content = response.get("content").unwrap();
        assert_eq!(content.get("mimeType").and_then(Json::as_str), Some("text/css"));
        assert!(content.get("text").is_none());
        assert_eq!(response.get("status").and_then(Json::as_f64), Some(200.0));
    }

    #[test]
    fn strings_are_borrowed_unless_escaped_and_connscopes_own_member_stays_raw() {
        let text =
            r#"{"a": "plain", "b": "tab\there", "_connscope": {"kind": "image", "x": [1, 2]}, "n": 1500, "f": -1.5}"#;
        let v = parse(text).unwrap();
        assert!(matches!(v.get("a"), Some(Json::Str(Cow::Borrowed("plain")))));
        assert_eq!(v.get("b").and_then(Json::as_str), Some("tab\there"));
        assert_eq!(v.get("_connscope").and_then(Json::raw), Some(r#"{"kind": "image", "x": [1, 2]}"#));
        assert_eq!(v.get("n"), Some(&Json::Int(1500)));
        assert_eq!(v.get("f").and_then(Json::as_f64), Some(-1.5));
    }

    #[test]
    fn deep_nesting_ends_without_exhausting_the_stack() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse(&deep).is_ok(), "skipped past 32 levels (serde_json skips without recursing)");
        let nested = format!("{}1{}", "[".repeat(60), "]".repeat(60));
        assert!(parse(&nested).is_ok(), "past 32 levels the rest is skipped");
        let raw_deep = format!(r#"{{"_connscope": {}{}}}"#, "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse(&raw_deep).is_ok(), "a raw member is skipped the same way");
        assert!(parse("{\"a\": [1, 2").is_err(), "cut short is still an error");
    }
}
