//! The document's own vocabulary: the string values its examples give each
//! property name (schema `examples`/`example`, and every named string inside
//! a media type's or parameter's example). A free-text string reads best as
//! one of these: `provider: deepgram`, not a random word.

use rustc_hash::FxHashMap;

use serde_json::Value;

/// Values kept per name: enough variety, bounded memory on huge documents.
const PER_NAME: usize = 64;
/// Longer examples are prose or payloads, not vocabulary.
const LONGEST: usize = 200;

/// Property name to the distinct example strings the document gives it
/// (held as JSON strings, so a generated value can borrow one).
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    /// Hashed with FxHash: looked up per generated string, by names the
    /// document (not a client) chose.
    words: FxHashMap<Box<str>, Vec<Value>>,
}

impl Vocabulary {
    /// Walks the whole document once.
    pub(crate) fn of(document: &Value) -> Vocabulary {
        let mut v = Vocabulary::default();
        v.walk(document, 0);
        v
    }

    /// The example strings given to properties named `name`.
    pub(crate) fn get(&self, name: &str) -> &[Value] {
        self.words.get(name).map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, name: &str, text: &str) {
        // `"string"` is the placeholder generated documentation writes.
        if text.is_empty() || text.len() > LONGEST || text == "string" {
            return;
        }
        let list = self.words.entry(name.into()).or_default();
        if list.len() < PER_NAME && !list.iter().any(|w| w.as_str() == Some(text)) {
            list.push(Value::from(text));
        }
    }

    fn walk(&mut self, v: &Value, depth: u32) {
        if depth > 64 {
            return;
        }
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    match (k.as_str(), x) {
                        ("example", x) => self.example(x, depth + 1),
                        ("examples", Value::Array(list)) => {
                            for x in list {
                                self.example(x, depth + 1);
                            }
                        }
                        ("examples", Value::Object(named)) => {
                            for e in named.values() {
                                if let Some(x) = e.get("value") {
                                    self.example(x, depth + 1);
                                }
                            }
                        }
                        ("properties", Value::Object(props)) => {
                            for (name, schema) in props {
                                self.property(name, schema);
                            }
                        }
                        _ => {}
                    }
                    self.walk(x, depth + 1);
                }
            }
            Value::Array(list) => {
                for x in list {
                    self.walk(x, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// A property schema's own examples.
    fn property(&mut self, name: &str, schema: &Value) {
        let own = schema.get("examples").and_then(Value::as_array);
        let one = schema.get("example");
        for x in own.into_iter().flatten().chain(one) {
            if let Value::String(text) = x {
                self.add(name, text);
            }
        }
    }

    /// An example value: every string under a key names that key's word.
    fn example(&mut self, v: &Value, depth: u32) {
        if depth > 64 {
            return;
        }
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    if let Value::String(text) = x {
                        self.add(k, text);
                    }
                    self.example(x, depth + 1);
                }
            }
            Value::Array(list) => {
                for x in list {
                    self.example(x, depth + 1);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn examples_of_every_kind_feed_the_words() {
        let doc = json!({
            "components": {"schemas": {"Line": {"properties": {
                "provider": {"type": "string", "examples": ["deepgram", "string"]},
                "metric": {"type": "string", "example": "stt_seconds"},
            }}}},
            "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {
                "example": {"entries": [{"provider": "openai", "model": "nova-3"}]},
                "examples": {"one": {"value": {"provider": "deepgram"}}},
            }}}}}}},
        });
        let v = Vocabulary::of(&doc);
        let words = |n: &str| {
            v.get(n)
                .iter()
                .map(|w| w.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(words("provider").len(), 2);
        assert!(words("provider").contains(&"deepgram".to_owned()));
        assert!(words("provider").contains(&"openai".to_owned()));
        assert!(!words("provider").contains(&"string".to_owned()));
        assert_eq!(words("metric"), ["stt_seconds"]);
        assert_eq!(words("model"), ["nova-3"]);
        assert!(words("missing").is_empty());
    }
}
