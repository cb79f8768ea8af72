//! Parameter serialization: OpenAPI's `style` and `explode`, both ways.
//!
//! A parameter travels as text; its schema says what the text means. Reading
//! follows the serialization rules of the specification (form,
//! spaceDelimited, pipeDelimited, deepObject, matrix, label, simple), then
//! types each piece by the schema, through `$ref`, `allOf`, `anyOf` and
//! `oneOf` and type arrays, so `?page_size=20` is the integer 20 even when
//! the schema is `anyOf: [{type: integer}, {type: "null"}]`. Writing is the
//! inverse, for clients that make requests.
//!
//! ```
//! use decoy_spec::style::{Serialization, Style};
//! use serde_json::json;
//!
//! let doc = json!({});
//! let schema = json!({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}});
//! let form = Serialization { style: Style::Form, explode: false };
//! let pairs = vec![("size".to_owned(), "1000000,5000000".to_owned())];
//! assert_eq!(form.read_query(&pairs, "size", &schema, &doc, &[]), Some(json!([1000000, 5000000])));
//! assert_eq!(form.write_query("size", &json!([1, 2])), [("size".to_owned(), "1,2".to_owned())]);
//!
//! let deep = Serialization { style: Style::DeepObject, explode: true };
//! let schema = json!({"type": "object", "properties": {"min": {"type": "number"}}});
//! let pairs = vec![("f[min]".to_owned(), "2.5".to_owned())];
//! assert_eq!(deep.read_query(&pairs, "f", &schema, &doc, &[]), Some(json!({"min": 2.5})));
//! ```

use serde_json::{Map, Value};

use crate::index::{Parameter, ParameterLocation};
use crate::refs::follow;

/// A `style` of the OpenAPI specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `?id=3` / `?id=3,4,5` / `?id=3&id=4` (query and cookie default).
    Form,
    /// `?id=3%204%205`.
    SpaceDelimited,
    /// `?id=3|4|5`.
    PipeDelimited,
    /// `?id[role]=admin&id[name]=Alex`.
    DeepObject,
    /// `;id=3,4,5` / `;id=3;id=4`.
    Matrix,
    /// `.3.4.5`.
    Label,
    /// `3,4,5` (path and header default).
    Simple,
}

impl Style {
    /// The style named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Style> {
        Some(match name {
            "form" => Style::Form,
            "spaceDelimited" => Style::SpaceDelimited,
            "pipeDelimited" => Style::PipeDelimited,
            "deepObject" => Style::DeepObject,
            "matrix" => Style::Matrix,
            "label" => Style::Label,
            "simple" => Style::Simple,
            _ => return None,
        })
    }

    /// The default style at a location.
    pub fn default_for(location: ParameterLocation) -> Style {
        match location {
            ParameterLocation::Query | ParameterLocation::Cookie => Style::Form,
            ParameterLocation::Path | ParameterLocation::Header => Style::Simple,
        }
    }
}

/// How one parameter is written: its style and explode, defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Serialization {
    /// The style.
    pub style: Style,
    /// Whether arrays and objects are spread over several names.
    pub explode: bool,
}

impl Serialization {
    /// The parameter's serialization (`explode` defaults to true for `form`
    /// only, as the specification says).
    pub fn of(p: &Parameter) -> Serialization {
        let style = p
            .style
            .as_deref()
            .and_then(Style::parse)
            .unwrap_or_else(|| Style::default_for(p.location));
        Serialization {
            style,
            explode: p.explode.unwrap_or(style == Style::Form),
        }
    }

    /// Reads a query parameter from decoded pairs. `others` are the names of
    /// the operation's other query parameters (an exploded free-form object
    /// takes every pair but theirs). `None`: the parameter is absent.
    pub fn read_query(
        &self,
        pairs: &[(String, String)],
        name: &str,
        schema: &Value,
        doc: &Value,
        others: &[&str],
    ) -> Option<Value> {
        let shape = Shape::of(doc, schema);
        let named = || pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        if self.style == Style::DeepObject {
            let prefix = format!("{name}[");
            let mut out = Value::Object(Map::new());
            let mut any = false;
            for (k, v) in pairs {
                let Some(rest) = k.strip_prefix(&prefix) else {
                    continue;
                };
                let keys: Vec<&str> = rest
                    .trim_end_matches(']')
                    .split("][")
                    .map(|s| s.trim_end_matches(']'))
                    .collect();
                any = true;
                insert_deep(&mut out, &keys, v, schema, doc);
            }
            return any.then_some(out);
        }
        if shape.wants(ARRAY) {
            let items = shape.items.unwrap_or(&Value::Bool(true));
            let texts: Vec<&str> = if self.explode {
                named().map(String::as_str).collect()
            } else {
                let text = named().next()?;
                split(text, self.delimiter()).collect()
            };
            if texts.is_empty() {
                return None;
            }
            return Some(Value::Array(
                texts.into_iter().map(|t| coerce(t, items, doc)).collect(),
            ));
        }
        if shape.wants(OBJECT) && !shape.wants(STRING) {
            if self.explode {
                let taken: Vec<&(String, String)> = pairs
                    .iter()
                    .filter(|(k, _)| {
                        if shape.props.is_empty() {
                            k != name && !others.contains(&k.as_str())
                        } else {
                            shape.props.iter().any(|(p, _)| p == k)
                        }
                    })
                    .collect();
                if taken.is_empty() {
                    return None;
                }
                let mut m = Map::new();
                for (k, v) in taken {
                    m.entry(k.clone())
                        .or_insert_with(|| coerce(v, shape.property(k), doc));
                }
                return Some(Value::Object(m));
            }
            let text = named().next()?;
            if text.starts_with('{') {
                return Some(coerce(text, schema, doc));
            }
            return Some(Value::Object(pairs_object(
                split(text, self.delimiter()),
                &shape,
                doc,
            )));
        }
        named().next().map(|t| coerce(t, schema, doc))
    }

    /// Reads a path, header or cookie value (percent-decoded) by the style.
    pub fn read_text(&self, text: &str, name: &str, schema: &Value, doc: &Value) -> Value {
        let shape = Shape::of(doc, schema);
        // The leading marker of label and matrix, and matrix's `name=`.
        let (body, sep) = match self.style {
            Style::Label => (text.strip_prefix('.').unwrap_or(text), '.'),
            Style::Matrix => (text.strip_prefix(';').unwrap_or(text), ';'),
            _ => (text, ','),
        };
        let sep = if self.explode { sep } else { ',' };
        let eq_name = format!("{name}=");
        if shape.wants(ARRAY) {
            let items = shape.items.unwrap_or(&Value::Bool(true));
            let texts: Vec<&str> = if self.style == Style::Matrix {
                split(body, ';')
                    .map(|s| s.strip_prefix(&eq_name).unwrap_or(s))
                    .flat_map(|s| split(s, if self.explode { ';' } else { ',' }))
                    .collect()
            } else {
                split(body, sep).collect()
            };
            return Value::Array(texts.into_iter().map(|t| coerce(t, items, doc)).collect());
        }
        if shape.wants(OBJECT) && !shape.wants(STRING) && !body.starts_with('{') {
            let body = match self.style {
                Style::Matrix if !self.explode => body.strip_prefix(&eq_name).unwrap_or(body),
                _ => body,
            };
            let m = if self.explode {
                let mut m = Map::new();
                for piece in split(body, sep) {
                    let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
                    m.insert(k.to_owned(), coerce(v, shape.property(k), doc));
                }
                m
            } else {
                pairs_object(split(body, ','), &shape, doc)
            };
            return Value::Object(m);
        }
        let body = match self.style {
            Style::Matrix => body.strip_prefix(&eq_name).unwrap_or(body),
            _ => body,
        };
        coerce(body, schema, doc)
    }

    /// The decoded (name, value) pairs that carry `value` in a query string.
    pub fn write_query(&self, name: &str, value: &Value) -> Vec<(String, String)> {
        match (self.style, value) {
            (Style::DeepObject, Value::Object(_)) => {
                let mut out = Vec::new();
                write_deep(name, value, &mut out);
                out
            }
            (_, Value::Array(items)) if self.explode => items
                .iter()
                .map(|v| (name.to_owned(), scalar_text(v)))
                .collect(),
            (_, Value::Array(items)) => {
                let d = self.delimiter().to_string();
                vec![(name.to_owned(), join(items.iter().map(scalar_text), &d))]
            }
            (_, Value::Object(m)) if self.explode => {
                m.iter().map(|(k, v)| (k.clone(), scalar_text(v))).collect()
            }
            (_, Value::Object(m)) => {
                let d = self.delimiter().to_string();
                let flat = m.iter().flat_map(|(k, v)| [k.clone(), scalar_text(v)]);
                vec![(name.to_owned(), join(flat, &d))]
            }
            (_, v) => vec![(name.to_owned(), scalar_text(v))],
        }
    }

    /// The text of a path, header or cookie value, before percent-encoding
    /// (`encode` is applied to each scalar; delimiters stay literal).
    pub fn write_text(&self, name: &str, value: &Value, encode: impl Fn(&str) -> String) -> String {
        let text = |v: &Value| encode(&scalar_text(v));
        let (prefix, sep) = match self.style {
            Style::Label => (".".to_owned(), if self.explode { "." } else { "," }),
            Style::Matrix => (String::new(), ","),
            _ => (String::new(), ","),
        };
        match (self.style, value) {
            (Style::Matrix, Value::Array(items)) if self.explode => items
                .iter()
                .map(|v| format!(";{name}={}", text(v)))
                .collect(),
            (Style::Matrix, Value::Array(items)) => {
                format!(";{name}={}", join(items.iter().map(text), ","))
            }
            (Style::Matrix, Value::Object(m)) if self.explode => m
                .iter()
                .map(|(k, v)| format!(";{}={}", encode(k), text(v)))
                .collect(),
            (Style::Matrix, Value::Object(m)) => format!(
                ";{name}={}",
                join(m.iter().flat_map(|(k, v)| [encode(k), text(v)]), ",")
            ),
            (Style::Matrix, v) => format!(";{name}={}", text(v)),
            (_, Value::Array(items)) => format!("{prefix}{}", join(items.iter().map(text), sep)),
            (_, Value::Object(m)) if self.explode => format!(
                "{prefix}{}",
                join(
                    m.iter().map(|(k, v)| format!("{}={}", encode(k), text(v))),
                    sep
                )
            ),
            (_, Value::Object(m)) => format!(
                "{prefix}{}",
                join(m.iter().flat_map(|(k, v)| [encode(k), text(v)]), ",")
            ),
            (_, v) => format!("{prefix}{}", text(v)),
        }
    }

    fn delimiter(&self) -> char {
        match self.style {
            Style::SpaceDelimited => ' ',
            Style::PipeDelimited => '|',
            _ => ',',
        }
    }
}

/// Reads `application/x-www-form-urlencoded` pairs (or a multipart body's
/// text fields) as the object `schema` describes: each property by its own
/// schema, repeated names as arrays, `name[key]` as nested objects.
pub fn form_object(pairs: &[(String, String)], schema: &Value, doc: &Value) -> Value {
    let shape = Shape::of(doc, schema);
    let mut out = Value::Object(Map::new());
    for (k, v) in pairs {
        let (head, rest) = match k.split_once('[') {
            Some((h, r)) if r.ends_with(']') && shape.props.iter().all(|(p, _)| p != k) => {
                (h, Some(r))
            }
            _ => (k.as_str(), None),
        };
        let prop = shape.property(head);
        let Value::Object(m) = &mut out else {
            break;
        };
        match rest {
            Some(rest) => {
                let keys: Vec<&str> = rest
                    .trim_end_matches(']')
                    .split("][")
                    .map(|s| s.trim_end_matches(']'))
                    .collect();
                let slot = m
                    .entry(head.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                insert_deep(slot, &keys, v, prop, doc);
            }
            None => {
                let value = coerce(v, Shape::of(doc, prop).items.unwrap_or(prop), doc);
                let array = Shape::of(doc, prop).wants(ARRAY);
                match m.get_mut(head) {
                    Some(Value::Array(a)) => a.push(value),
                    Some(prev) => *prev = Value::Array(vec![prev.take(), value]),
                    // A JSON array in one field, or the first of repeated ones.
                    None if array => {
                        let value = match value {
                            Value::Array(a) if v.starts_with('[') => Value::Array(a),
                            v => Value::Array(vec![v]),
                        };
                        m.insert(head.to_owned(), value);
                    }
                    None => {
                        m.insert(head.to_owned(), coerce(v, prop, doc));
                    }
                }
            }
        }
    }
    out
}

/// Whether the schema takes an array (in any branch).
pub fn is_array(schema: &Value, doc: &Value) -> bool {
    Shape::of(doc, schema).types & ARRAY != 0
}

/// Types text by the schema: a number where a number is allowed, a boolean
/// for `true`/`false`, `null` for `null` (or nothing) where only null is,
/// JSON text for an object or array, else the string itself.
pub fn coerce(text: &str, schema: &Value, doc: &Value) -> Value {
    let shape = Shape::of(doc, schema);
    if shape.wants(INTEGER | NUMBER)
        && let Ok(n) = serde_json::from_str::<serde_json::Number>(text.trim())
        && !text.trim().is_empty()
    {
        return Value::Number(n);
    }
    if shape.wants(BOOLEAN) {
        match text {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    if shape.wants(NULL) && !shape.wants(STRING) && (text.is_empty() || text == "null") {
        return Value::Null;
    }
    if shape.wants(OBJECT | ARRAY)
        && text.trim_start().starts_with(['{', '['])
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        return v;
    }
    Value::String(text.to_owned())
}

/// The text of a scalar in a parameter (strings unquoted, `null` empty).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn join(items: impl Iterator<Item = String>, sep: &str) -> String {
    items.collect::<Vec<_>>().join(sep)
}

fn split(text: &str, d: char) -> impl Iterator<Item = &str> {
    text.split(d).filter(|s| !s.is_empty())
}

/// `k,v,k,v` pairs as an object.
fn pairs_object<'t>(
    mut pieces: impl Iterator<Item = &'t str>,
    shape: &Shape<'_>,
    doc: &Value,
) -> Map<String, Value> {
    let mut m = Map::new();
    while let Some(k) = pieces.next() {
        let v = pieces.next().unwrap_or("");
        m.insert(k.to_owned(), coerce(v, shape.property(k), doc));
    }
    m
}

fn insert_deep(slot: &mut Value, keys: &[&str], text: &str, schema: &Value, doc: &Value) {
    let shape = Shape::of(doc, schema);
    let Some((first, rest)) = keys.split_first() else {
        let v = coerce(text, shape.items.unwrap_or(schema), doc);
        match slot {
            Value::Array(a) => a.push(v),
            Value::Object(m) if m.is_empty() && shape.wants(ARRAY) => *slot = Value::Array(vec![v]),
            Value::Object(m) if m.is_empty() => *slot = coerce(text, schema, doc),
            other => *other = Value::Array(vec![other.take(), v]),
        }
        return;
    };
    if first.is_empty() || first.parse::<usize>().is_ok() && shape.wants(ARRAY) {
        // `a[]=1` or `a[0]=1`: an array item.
        return insert_deep(slot, rest, text, schema, doc);
    }
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    let Value::Object(m) = slot else { return };
    let prop = shape.property(first);
    let child = m
        .entry((*first).to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    insert_deep(child, rest, text, prop, doc);
}

fn write_deep(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                write_deep(&format!("{prefix}[{k}]"), v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                write_deep(&format!("{prefix}[]"), v, out);
            }
        }
        v => out.push((prefix.to_owned(), scalar_text(v))),
    }
}

const STRING: u8 = 1;
const NUMBER: u8 = 2;
const INTEGER: u8 = 4;
const BOOLEAN: u8 = 8;
const NULL: u8 = 16;
const ARRAY: u8 = 32;
const OBJECT: u8 = 64;

/// What a schema allows, gathered through `$ref` and every branch of
/// `allOf`, `anyOf` and `oneOf`.
struct Shape<'d> {
    types: u8,
    items: Option<&'d Value>,
    props: Vec<(&'d str, &'d Value)>,
    additional: Option<&'d Value>,
}

impl<'d> Shape<'d> {
    fn of(doc: &'d Value, schema: &'d Value) -> Shape<'d> {
        let mut shape = Shape {
            types: 0,
            items: None,
            props: Vec::new(),
            additional: None,
        };
        let mut typed = false;
        shape.gather(doc, schema, 0, &mut typed);
        // No type anywhere: the text is taken as it came.
        if !typed {
            shape.types = STRING;
        }
        shape
    }

    fn gather(&mut self, doc: &'d Value, schema: &'d Value, depth: u32, typed: &mut bool) {
        if depth > 16 {
            return;
        }
        let Ok((s, _)) = follow(doc, schema, "") else {
            return;
        };
        let names: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for n in names {
            *typed = true;
            self.types |= match n {
                "string" => STRING,
                "number" => NUMBER,
                "integer" => INTEGER,
                "boolean" => BOOLEAN,
                "null" => NULL,
                "array" => ARRAY,
                "object" => OBJECT,
                _ => 0,
            };
        }
        if s.get("type").is_none() {
            if s.get("properties").is_some() {
                *typed = true;
                self.types |= OBJECT;
            } else if s.get("items").is_some() {
                *typed = true;
                self.types |= ARRAY;
            }
            for v in s
                .get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(s.get("const"))
            {
                *typed = true;
                self.types |= match v {
                    Value::String(_) => STRING,
                    Value::Number(n) if n.is_f64() => NUMBER,
                    Value::Number(_) => INTEGER,
                    Value::Bool(_) => BOOLEAN,
                    Value::Null => NULL,
                    Value::Array(_) => ARRAY,
                    Value::Object(_) => OBJECT,
                };
            }
        }
        if self.items.is_none() {
            self.items = s.get("items").filter(|i| i.is_object());
        }
        if let Some(Value::Object(props)) = s.get("properties") {
            for (k, v) in props {
                if !self.props.iter().any(|(p, _)| p == k) {
                    self.props.push((k.as_str(), v));
                }
            }
        }
        if self.additional.is_none() {
            self.additional = s.get("additionalProperties").filter(|a| a.is_object());
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for branch in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                // An `allOf` part without a type does not widen the types.
                let mut branch_typed = false;
                self.gather(doc, branch, depth + 1, &mut branch_typed);
                *typed |= branch_typed;
            }
        }
    }

    fn wants(&self, types: u8) -> bool {
        self.types & types != 0
    }

    fn property(&self, name: &str) -> &'d Value {
        static ANY_SCHEMA: Value = Value::Bool(true);
        self.props
            .iter()
            .find(|(p, _)| *p == name)
            .map(|(_, s)| *s)
            .or(self.additional)
            .unwrap_or(&ANY_SCHEMA)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ser(style: Style, explode: bool) -> Serialization {
        Serialization { style, explode }
    }

    #[test]
    fn coerces_through_every_branch() {
        let doc = json!({"components": {"schemas": {"N": {"type": "integer"}}}});
        let nullable = json!({"anyOf": [{"$ref": "#/components/schemas/N"}, {"type": "null"}]});
        assert_eq!(coerce("20", &nullable, &doc), json!(20));
        assert_eq!(coerce("", &nullable, &doc), Value::Null);
        let flag = json!({"oneOf": [{"type": "boolean"}, {"type": "null"}]});
        assert_eq!(coerce("true", &flag, &doc), json!(true));
        assert_eq!(coerce("x", &json!({"type": "string"}), &doc), json!("x"));
        assert_eq!(coerce("7", &json!({"type": "string"}), &doc), json!("7"));
        assert_eq!(
            coerce("1000.0", &json!({"type": "integer"}), &doc),
            json!(1000.0)
        );
    }

    #[test]
    fn every_style_round_trips() {
        let doc = json!({});
        let array = json!({"type": "array", "items": {"type": "integer"}});
        let object = json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}});
        let list = json!([3, 4, 5]);
        let obj = json!({"a": 1, "b": "x"});
        for (style, explode) in [
            (Style::Form, true),
            (Style::Form, false),
            (Style::SpaceDelimited, false),
            (Style::PipeDelimited, false),
            (Style::PipeDelimited, true),
        ] {
            let s = ser(style, explode);
            let pairs = s.write_query("n", &list);
            assert_eq!(
                s.read_query(&pairs, "n", &array, &doc, &[]),
                Some(list.clone()),
                "{s:?} {pairs:?}"
            );
        }
        for (style, explode) in [
            (Style::Form, true),
            (Style::Form, false),
            (Style::DeepObject, true),
        ] {
            let s = ser(style, explode);
            let pairs = s.write_query("o", &obj);
            assert_eq!(
                s.read_query(&pairs, "o", &object, &doc, &[]),
                Some(obj.clone()),
                "{s:?}"
            );
        }
        for style in [Style::Simple, Style::Label, Style::Matrix] {
            for explode in [false, true] {
                let s = ser(style, explode);
                for (value, schema) in [
                    (&list, &array),
                    (&obj, &object),
                    (&json!(7), &json!({"type": "integer"})),
                ] {
                    let text = s.write_text("p", value, str::to_owned);
                    assert_eq!(
                        &s.read_text(&text, "p", schema, &doc),
                        value,
                        "{s:?} {text}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// What a client writes in any style, the mock reads back as it was.
        #[test]
        fn writing_then_reading_gives_the_value_back(
            ints in proptest::collection::vec(-1000i64..1000, 1..5),
            words in proptest::collection::vec("[a-z0-9]{1,6}", 1..5),
            obj in proptest::collection::btree_map("[a-z]{1,4}", "[a-z0-9]{1,6}", 1..4),
            k in 0usize..10,
        ) {
            let doc = json!({});
            let int_array = json!({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}});
            let str_array = json!({"type": "array", "items": {"type": "string"}});
            let object = json!({"type": "object", "additionalProperties": {"type": "string"}});
            let (style, explode) = [
                (Style::Form, true), (Style::Form, false), (Style::SpaceDelimited, false),
                (Style::PipeDelimited, false), (Style::Simple, false), (Style::Simple, true),
                (Style::Label, false), (Style::Label, true), (Style::Matrix, false), (Style::Matrix, true),
            ][k];
            let s = ser(style, explode);
            // The name is no possible key: an exploded free-form object
            // cannot hold a key named as its own parameter.
            let obj = Value::Object(obj.into_iter().map(|(k, v)| (k, Value::String(v))).collect());
            for (value, schema) in [(json!(ints), &int_array), (json!(words), &str_array), (obj, &object)] {
                let query = matches!(style, Style::Form | Style::SpaceDelimited | Style::PipeDelimited);
                if query {
                    // Delimited styles have no object form; form objects do.
                    if value.is_object() && style != Style::Form {
                        continue;
                    }
                    let pairs = s.write_query("p0", &value);
                    proptest::prop_assert_eq!(s.read_query(&pairs, "p0", schema, &doc, &[]), Some(value.clone()));
                } else {
                    let text = s.write_text("p0", &value, str::to_owned);
                    proptest::prop_assert_eq!(s.read_text(&text, "p0", schema, &doc), value.clone());
                }
            }
        }
    }

    #[test]
    fn deep_objects_nest_and_forms_type_their_fields() {
        let doc = json!({});
        let schema = json!({"type": "object", "properties": {"range": {"type": "object", "properties": {"lo": {"type": "integer"}}}, "tags": {"type": "array", "items": {"type": "string"}}}});
        let deep = ser(Style::DeepObject, true);
        let pairs = vec![
            ("f[range][lo]".to_owned(), "1".to_owned()),
            ("f[tags][]".to_owned(), "a".to_owned()),
            ("f[tags][]".to_owned(), "b".to_owned()),
        ];
        assert_eq!(
            deep.read_query(&pairs, "f", &schema, &doc, &[]),
            Some(json!({"range": {"lo": 1}, "tags": ["a", "b"]}))
        );
        let form = vec![
            ("tags".to_owned(), "a".to_owned()),
            ("range[lo]".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            form_object(&form, &schema, &doc),
            json!({"tags": ["a"], "range": {"lo": 2}})
        );
    }
}
