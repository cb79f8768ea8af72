//! The `x-decoy-*` operation extensions, read once at startup into rules.
//!
//! The mock knows no field of any particular API: everything it does beyond
//! "generate a valid body" is written in the document, so the same machinery
//! serves every API. The crate docs describe the vocabulary for users.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::MockError;

/// Where a value echoed into a response comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// `/pointer`: the JSON body of this request (or, in `next.echo`, the
    /// queued entry being dialled).
    Body(String),
    /// `origin:/pointer`: the body of the request that created the resource.
    Origin(String),
    /// `path:name`, `query:name`, `header:name`: a request parameter.
    Path(String),
    Query(String),
    Header(String),
    /// `now`: the current time, RFC 3339.
    Now,
    /// `template:TEXT`: TEXT with `{NAME}` filled from the path parameters
    /// (percent-encoded) and `{shared:KEY}` from the parent resource's
    /// `x-decoy-shared` values; unfilled placeholders make it no value.
    Template(String),
    /// `const:text`, or any non-string YAML value: itself.
    Literal(Value),
}

/// Field assignments: a response field (a top-level property name, or a JSON
/// pointer when it starts with `/`) and the sources tried in order.
pub(crate) type Echo = Vec<(String, Vec<Source>)>;

/// Field assignments of literal values.
pub(crate) type Set = Vec<(String, Value)>;

/// A path template whose `{params}` come from the request path.
#[derive(Debug, Clone)]
pub(crate) struct Template(pub(crate) String);

#[derive(Debug, Clone)]
pub(crate) struct Create {
    pub(crate) collection: Template,
    /// Request pointer to an array of attempts; entries after the first wait
    /// in the resource's queue for `next`.
    pub(crate) queue: Option<String>,
    /// Response fields not stored with the resource (per-response extras).
    pub(crate) omit: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct List {
    pub(crate) collection: Template,
    /// The response field (array) the stored resources are appended to.
    pub(crate) into: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Next {
    /// Request pointer that must be `true` for the next attempt to be dialled.
    pub(crate) when: Option<String>,
    pub(crate) into: String,
    pub(crate) attempts: Option<String>,
    pub(crate) set: Set,
    pub(crate) echo: Echo,
}

#[derive(Debug, Clone)]
pub(crate) struct Fallback {
    pub(crate) into: String,
    pub(crate) build: Echo,
}

#[derive(Debug, Clone)]
pub(crate) struct Transition {
    pub(crate) collection: Template,
    /// The path parameter naming the resource.
    pub(crate) item: String,
    /// Field → allowed values; anything else is a 409.
    pub(crate) when: Vec<(String, Vec<Value>)>,
    pub(crate) set: Set,
    pub(crate) echo: Echo,
    pub(crate) next: Option<Next>,
    pub(crate) fallback: Option<Fallback>,
}

/// A latency profile: fixed (`min == max`) or uniform in `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    /// The shortest delay.
    pub min: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Latency {
    /// A fixed delay.
    pub fn fixed(delay: Duration) -> Latency {
        Latency {
            min: delay,
            max: delay,
        }
    }

    /// Parses `50ms`, `1s`, `20ms..80ms` (or `20ms-80ms`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = decoy_mock::Latency::parse("20ms..80ms").unwrap();
    /// assert_eq!((l.min, l.max), (Duration::from_millis(20), Duration::from_millis(80)));
    /// assert!(decoy_mock::Latency::parse("soon").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Latency, String> {
        let text = text.trim();
        let (a, b) = match text.split_once("..").or_else(|| text.split_once('-')) {
            Some((a, b)) => (a, b),
            None => (text, text),
        };
        let (min, max) = (parse_duration(a)?, parse_duration(b)?);
        if min > max {
            return Err(format!(
                "latency range {text}: the minimum is above the maximum"
            ));
        }
        Ok(Latency { min, max })
    }

    /// The delay for a draw `r` in `0..1`.
    pub(crate) fn pick(self, r: f64) -> Duration {
        let span = self.max.saturating_sub(self.min);
        self.min + span.mul_f64(r.clamp(0.0, 1.0))
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(
        t.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(t.len()),
    );
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 50ms or 1s"))?;
    let secs = match unit.trim() {
        "ms" | "" => n / 1000.0,
        "s" => n,
        "us" | "µs" => n / 1e6,
        _ => return Err(format!("`{text}`: unknown unit (use ms or s)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{text}`: {e}"))
}

/// Per-operation faults (`x-decoy-faults`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    pub(crate) latency: Option<Latency>,
    pub(crate) error_rate: Option<f64>,
}

/// Everything the document says about one operation's behaviour.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    pub(crate) echo: Echo,
    pub(crate) set: Set,
    pub(crate) create: Option<Create>,
    pub(crate) list: Option<List>,
    pub(crate) transition: Option<Transition>,
    pub(crate) faults: Faults,
    /// `x-decoy-parent`: the operation id of the parent resource, or
    /// `Some(None)` (`false`) for none; unset means the `GET` with the
    /// longest path prefix.
    pub(crate) parent: Option<Option<String>>,
}

impl Rules {
    /// Reads the extensions of the operation object at `pointer`.
    pub(crate) fn read(op: &Value, pointer: &str) -> Result<Rules, MockError> {
        let bad = |at: &str, message: String| MockError::Extension {
            pointer: format!("{pointer}/{at}"),
            message,
        };
        let mut rules = Rules::default();
        if let Some(v) = op.get("x-decoy-echo") {
            rules.echo = echo(v).map_err(|m| bad("x-decoy-echo", m))?;
        }
        if let Some(v) = op.get("x-decoy-set") {
            rules.set = set(v).map_err(|m| bad("x-decoy-set", m))?;
        }
        if let Some(v) = op.get("x-decoy-faults") {
            rules.faults = faults(v).map_err(|m| bad("x-decoy-faults", m))?;
        }
        match op.get("x-decoy-parent") {
            None => {}
            Some(Value::Bool(false)) => rules.parent = Some(None),
            Some(Value::String(id)) => rules.parent = Some(Some(id.clone())),
            Some(_) => {
                return Err(bad(
                    "x-decoy-parent",
                    "expected an operationId or false".to_owned(),
                ));
            }
        }
        if let Some(state) = op.get("x-decoy-state") {
            let state = object(state).map_err(|m| bad("x-decoy-state", m))?;
            for key in state.keys() {
                if !["create", "list", "transition"].contains(&key.as_str()) {
                    return Err(bad(
                        "x-decoy-state",
                        format!("unknown key `{key}` (expected create, list or transition)"),
                    ));
                }
            }
            if let Some(v) = state.get("create") {
                rules.create = Some(create(v).map_err(|m| bad("x-decoy-state/create", m))?);
            }
            if let Some(v) = state.get("list") {
                rules.list = Some(list(v).map_err(|m| bad("x-decoy-state/list", m))?);
            }
            if let Some(v) = state.get("transition") {
                rules.transition =
                    Some(transition(v).map_err(|m| bad("x-decoy-state/transition", m))?);
            }
        }
        Ok(rules)
    }
}

fn object(v: &Value) -> Result<&Map<String, Value>, String> {
    v.as_object().ok_or_else(|| "expected a mapping".to_owned())
}

fn string(m: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn required(m: &Map<String, Value>, key: &str) -> Result<String, String> {
    string(m, key)?.ok_or_else(|| format!("`{key}` is required"))
}

fn source(v: &Value) -> Result<Source, String> {
    let Value::String(s) = v else {
        return Ok(Source::Literal(v.clone()));
    };
    Ok(if s.starts_with('/') || s.is_empty() {
        Source::Body(s.clone())
    } else if let Some(p) = s.strip_prefix("origin:") {
        Source::Origin(p.to_owned())
    } else if let Some(n) = s.strip_prefix("path:") {
        Source::Path(n.to_owned())
    } else if let Some(n) = s.strip_prefix("query:") {
        Source::Query(n.to_owned())
    } else if let Some(n) = s.strip_prefix("header:") {
        Source::Header(n.to_ascii_lowercase())
    } else if let Some(t) = s.strip_prefix("const:") {
        Source::Literal(Value::String(t.to_owned()))
    } else if let Some(t) = s.strip_prefix("template:") {
        Source::Template(t.to_owned())
    } else if s == "now" {
        Source::Now
    } else {
        return Err(format!(
            "`{s}`: a source is /pointer, origin:/pointer, path:NAME, query:NAME, header:NAME, now, const:TEXT or template:TEXT"
        ));
    })
}

pub(crate) fn echo(v: &Value) -> Result<Echo, String> {
    object(v)?
        .iter()
        .map(|(field, v)| {
            let sources = match v {
                Value::Array(list) => list.iter().map(source).collect::<Result<Vec<_>, _>>()?,
                v => vec![source(v)?],
            };
            Ok((field.clone(), sources))
        })
        .collect()
}

fn set(v: &Value) -> Result<Set, String> {
    Ok(object(v)?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

fn faults(v: &Value) -> Result<Faults, String> {
    let m = object(v)?;
    let latency = string(m, "latency")?
        .map(|s| Latency::parse(&s))
        .transpose()?;
    let error_rate = match m.get("error-rate") {
        None => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or("`error-rate` must be a number in 0..1")?,
        ),
    };
    Ok(Faults {
        latency,
        error_rate,
    })
}

fn create(v: &Value) -> Result<Create, String> {
    let m = object(v)?;
    Ok(Create {
        collection: Template(required(m, "collection")?),
        queue: string(m, "queue")?,
        omit: strings(m, "omit")?,
    })
}

fn strings(m: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match m.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or(format!("`{key}` must list strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be a list")),
    }
}

fn list(v: &Value) -> Result<List, String> {
    let m = object(v)?;
    Ok(List {
        collection: Template(required(m, "collection")?),
        into: required(m, "into")?,
    })
}

fn transition(v: &Value) -> Result<Transition, String> {
    let m = object(v)?;
    let when = match m.get("when") {
        None => Vec::new(),
        Some(w) => object(w)?
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if let Value::Array(a) = v {
                        a.clone()
                    } else {
                        vec![v.clone()]
                    },
                )
            })
            .collect(),
    };
    let next = match m.get("next") {
        None => None,
        Some(n) => {
            let n = object(n)?;
            Some(Next {
                when: string(n, "if")?,
                into: required(n, "into")?,
                attempts: string(n, "attempts")?,
                set: n.get("set").map(set).transpose()?.unwrap_or_default(),
                echo: n.get("echo").map(echo).transpose()?.unwrap_or_default(),
            })
        }
    };
    let fallback = match m.get("fallback") {
        None => None,
        Some(f) => {
            let f = object(f)?;
            Some(Fallback {
                into: required(f, "into")?,
                build: f.get("build").map(echo).transpose()?.unwrap_or_default(),
            })
        }
    };
    Ok(Transition {
        collection: Template(required(m, "collection")?),
        item: required(m, "item")?,
        when,
        set: m.get("set").map(set).transpose()?.unwrap_or_default(),
        echo: m.get("echo").map(echo).transpose()?.unwrap_or_default(),
        next,
        fallback,
    })
}

impl Template {
    /// Substitutes path parameters: `/v1/calls/{id}/transfers` → `/v1/calls/abc/transfers`.
    pub(crate) fn render(&self, params: &[(String, String)]) -> String {
        let mut out = self.0.clone();
        for (name, value) in params {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}
