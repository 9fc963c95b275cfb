//! A HAR file read into JSON values without what connscope never looks at: response and
//! request bodies (`text`, under `content` and `postData`) are skipped as they are read
//! (`serde::de::IgnoredAny`), so a recording with a 400 MB body costs the time to scan it,
//! not 400 MB more memory. What is nested past 32 levels is skipped the same way (serde_json
//! skips without recursing), so no input exhausts the stack.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Objects and arrays nested deeper than this are skipped (a HAR is six levels deep).
const MAX_DEPTH: usize = 32;
/// Keys whose values are bodies, or that import never reads and that can be large (Chrome's
/// `_initiator` holds whole stack traces; `evidence` is connscope's own sentence): skipped
/// unread, as the value tree is most of an import's time.
const SKIPPED: [&str; 9] =
    ["text", "_content", "_initiator", "cookies", "queryString", "postData", "cache", "evidence", "_securityDetails"];

/// Parses `text` as JSON, leaving out bodies and what is nested past [`MAX_DEPTH`].
pub fn parse(text: &str) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Lean { depth: 0 }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Lean {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Lean {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Lean {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        if self.depth >= MAX_DEPTH {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Value::Null);
        }
        while let Some(v) = seq.next_element_seed(Lean { depth: self.depth + 1 })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.depth >= MAX_DEPTH || SKIPPED.contains(&key.as_str()) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let v = map.next_value_seed(Lean { depth: self.depth + 1 })?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
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
        let content = &v["log"]["entries"][0]["response"]["content"];
        assert_eq!(content["mimeType"], "text/css");
        assert!(content.get("text").is_none());
        assert_eq!(v["log"]["entries"][0]["response"]["status"], 200);
    }

    #[test]
    fn deep_nesting_ends_without_exhausting_the_stack() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse(&deep).is_ok(), "skipped past 32 levels (serde_json skips without recursing)");
        let nested = format!("{}1{}", "[".repeat(60), "]".repeat(60));
        assert!(parse(&nested).is_ok(), "past 32 levels the rest is skipped");
        assert!(parse("{\"a\": [1, 2").is_err(), "cut short is still an error");
    }
}
