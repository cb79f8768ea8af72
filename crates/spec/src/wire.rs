//! Parameters as they travel: decoded query pairs and cookies, and
//! parameter text read as the JSON type its schema wants, so a validator
//! can judge it. One reading for every crate that checks requests.
//!
//! ```
//! use decoy_spec::wire;
//!
//! let pairs: Vec<_> = wire::query_pairs(Some("tags=a%20b&limit=5")).collect();
//! assert_eq!(pairs[0], ("tags".to_owned(), "a b".to_owned()));
//! assert_eq!(wire::cookie(["a=1; session=xyz"], "session").as_deref(), Some("xyz"));
//! ```

use serde_json::Value;

use crate::style::Serialization;
use crate::{Operation, Parameter, ParameterLocation, Spec, media};

/// Decoded `key=value` pairs of a query string (`+` is a space).
pub fn query_pairs(query: Option<&str>) -> impl Iterator<Item = (String, String)> {
    media::form_pairs(query.unwrap_or("")).into_iter()
}

/// The value of cookie `name` in `Cookie` header values.
pub fn cookie<'a>(headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<String> {
    headers.into_iter().find_map(|h| {
        h.split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    })
}

/// A request's parameters as sent: what the mock and the proxy read, the
/// same way, by each parameter's style and explode (`crate::style`).
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// Path parameters, percent-decoded (the router's output).
    pub path: Vec<(String, String)>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header values by lower-case name (a header sent twice, twice).
    pub headers: Vec<(String, String)>,
}

/// One parameter, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// Not sent.
    Absent,
    /// Sent empty where `allowEmptyValue` says that is the parameter sent.
    Empty,
    /// Sent, and typed by the schema (text that does not fit stays text, so
    /// the validator says what is wrong).
    Value(Value),
    /// A header OpenAPI says to ignore as a parameter (`Accept`,
    /// `Content-Type`, `Authorization`).
    Ignored,
}

/// The schema of a parameter without one: anything.
static ANY: Value = Value::Bool(true);

impl Sent {
    /// Reads `p` of `op` from the request.
    pub fn read(&self, spec: &Spec, op: &Operation, p: &Parameter) -> Read {
        let doc = spec.document();
        let schema = p
            .schema
            .as_deref()
            .and_then(|s| spec.get(s))
            .unwrap_or(&ANY);
        let form = Serialization::of(p);
        let text = |t: &str| Read::Value(form.read_text(t, &p.name, schema, doc));
        match p.location {
            ParameterLocation::Query => {
                if p.allow_empty_value
                    && self.query.iter().any(|(k, v)| *k == p.name && v.is_empty())
                {
                    return Read::Empty;
                }
                let others: Vec<&str> = op
                    .parameters_in(ParameterLocation::Query)
                    .map(|o| o.name.as_str())
                    .filter(|n| *n != p.name)
                    .collect();
                form.read_query(&self.query, &p.name, schema, doc, &others)
                    .map_or(Read::Absent, Read::Value)
            }
            ParameterLocation::Path => self
                .path
                .iter()
                .find(|(k, _)| *k == p.name)
                .map_or(Read::Absent, |(_, v)| text(v)),
            ParameterLocation::Header => {
                if ["accept", "content-type", "authorization"]
                    .iter()
                    .any(|n| p.name.eq_ignore_ascii_case(n))
                {
                    return Read::Ignored;
                }
                let values: Vec<&str> = self.header_values(&p.name).collect();
                if values.is_empty() {
                    Read::Absent
                } else {
                    text(&values.join(","))
                }
            }
            ParameterLocation::Cookie => {
                cookie(self.header_values("cookie"), &p.name).map_or(Read::Absent, |v| text(&v))
            }
        }
    }

    /// The values of header `name` (any case).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
