//! The `x-decoy-*` operation extensions, parsed once at load into typed
//! rules. A malformed extension is a [`Problem`] with its pointer, so
//! `decoy lint` reports it and every reader sees the same rules.
//!
//! The vocabulary (echo, set, faults, parent, state) is described for users
//! in the README's `x-decoy` tables.

use serde_json::{Map, Value};

use super::Guard;
use crate::duration::Latency;
use crate::error::Problem;

/// Every operation-level extension key.
pub(crate) const KEYS: &[&str] = &[
    "x-decoy-echo",
    "x-decoy-set",
    "x-decoy-faults",
    "x-decoy-parent",
    "x-decoy-state",
];

/// Where a value echoed into a response comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
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
pub type Echo = Vec<(String, Vec<Source>)>;

/// Field assignments of literal values.
pub type Set = Vec<(String, Value)>;

/// A path template whose `{params}` come from the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub String);

/// `x-decoy-state.create`: the operation stores what it returns in a
/// collection.
///
/// A create may also queue follow-ups: with `queue: /addresses`, a delivery
/// created with three addresses stores the first attempt and keeps the other
/// two waiting, for a transition's [`Next`] to turn into new resources one
/// at a time (a retry with the next address).
#[derive(Debug, Clone)]
pub struct Create {
    /// The collection the resource is stored in (`/orders/{orderId}/deliveries`).
    pub collection: Template,
    /// Request pointer to an array of attempts; entries after the first wait
    /// in the resource's queue for `next`.
    pub queue: Option<String>,
    /// Response fields not stored with the resource (per-response extras).
    pub omit: Vec<String>,
}

/// `x-decoy-state.list`: the operation's response shows a collection.
#[derive(Debug, Clone)]
pub struct List {
    /// The collection listed.
    pub collection: Template,
    /// The response field (array) the stored resources are appended to.
    pub into: String,
}

/// `transition.next`: the transition also starts the next queued follow-up
/// (see [`Create`]) as a new resource, shown in the response at `into`.
#[derive(Debug, Clone)]
pub struct Next {
    /// Request pointer that must be `true` for the follow-up to start
    /// (`if: /retry`); unset, it always starts.
    pub when: Option<String>,
    /// Response field that shows the new resource.
    pub into: String,
    /// Response field listing the previous and the new resource.
    pub attempts: Option<String>,
    /// Literal fields of the new resource.
    pub set: Set,
    /// Fields of the new resource copied from the queued entry (`/pointer`).
    pub echo: Echo,
}

/// `transition.fallback`: when no follow-up started, the response field
/// `into` gets an object built from sources (what happens instead).
#[derive(Debug, Clone)]
pub struct Fallback {
    /// Response field that holds the built object.
    pub into: String,
    /// The built object's fields and their sources.
    pub build: Echo,
}

/// `x-decoy-state.transition`: the operation changes a stored resource.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The collection holding the resource.
    pub collection: Template,
    /// The path parameter naming the resource.
    pub item: String,
    /// Field (a name, or a pointer when it starts with `/`) → allowed
    /// values; a resource in any other state is refused with 409.
    pub when: Vec<(String, Vec<Value>)>,
    /// Literal fields written to the resource.
    pub set: Set,
    /// Fields written to the resource from sources.
    pub echo: Echo,
    /// A queued follow-up to start.
    pub next: Option<Next>,
    /// What to show when no follow-up started.
    pub fallback: Option<Fallback>,
}

/// Per-operation faults (`x-decoy-faults`).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Delay before answering.
    pub latency: Option<Latency>,
    /// Share of requests (0..1) answered with a documented 5xx or 429.
    pub error_rate: Option<f64>,
}

/// Everything the document says about one operation's behaviour.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// `x-decoy-echo`: response fields copied from the request.
    pub echo: Echo,
    /// `x-decoy-set`: response fields with literal values.
    pub set: Set,
    /// `x-decoy-state.create`.
    pub create: Option<Create>,
    /// `x-decoy-state.list`.
    pub list: Option<List>,
    /// `x-decoy-state.transition`.
    pub transition: Option<Transition>,
    /// `x-decoy-faults`.
    pub faults: Faults,
    /// `x-decoy-parent`: the operation id of the parent resource, or
    /// `Some(None)` (`false`) for none; unset means the `GET` with the
    /// longest path prefix.
    pub parent: Option<Option<String>>,
}

/// What is wrong with an extension, and where below the extension's key.
struct Bad {
    /// Pointer below the extension (`/title`, `/when/status`, or ``).
    at: String,
    message: String,
}

impl Bad {
    /// Moves the problem one token down: it is inside `token`.
    fn under(mut self, token: &str) -> Bad {
        self.at = format!("{}{}", crate::pointer::push("", token), self.at);
        self
    }
}

impl From<String> for Bad {
    fn from(message: String) -> Bad {
        Bad {
            at: String::new(),
            message,
        }
    }
}

impl From<&str> for Bad {
    fn from(message: &str) -> Bad {
        Bad::from(message.to_owned())
    }
}

impl Rules {
    /// Reads the extensions of the operation object at `pointer`.
    pub fn read(op: &Value, pointer: &str) -> Result<Rules, Problem> {
        let bad = |at: &str, b: Bad| {
            Problem::error(
                format!("{}{}", crate::pointer::push(pointer, at), b.at),
                b.message,
            )
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
                    Bad::from("expected an operationId or false"),
                ));
            }
        }
        if let Some(state) = op.get("x-decoy-state") {
            let state = object(state).map_err(|m| bad("x-decoy-state", m))?;
            let bad = |at: &str, b: Bad| bad("x-decoy-state", b.under(at));
            for key in state.keys() {
                if !["create", "list", "transition"].contains(&key.as_str()) {
                    return Err(Problem::error(
                        crate::pointer::push(&crate::pointer::push(pointer, "x-decoy-state"), key),
                        format!("unknown key `{key}` (expected create, list or transition)"),
                    ));
                }
            }
            if let Some(v) = state.get("create") {
                rules.create = Some(create(v).map_err(|m| bad("create", m))?);
            }
            if let Some(v) = state.get("list") {
                rules.list = Some(list(v).map_err(|m| bad("list", m))?);
            }
            if let Some(v) = state.get("transition") {
                rules.transition = Some(transition(v).map_err(|m| bad("transition", m))?);
            }
        }
        Ok(rules)
    }
}

fn object(v: &Value) -> Result<&Map<String, Value>, Bad> {
    v.as_object().ok_or_else(|| {
        Bad::from(format!(
            "expected a mapping, found {}",
            crate::index::kind(v)
        ))
    })
}

fn string(m: &Map<String, Value>, key: &str) -> Result<Option<String>, Bad> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(Bad::from(format!(
            "`{key}` must be a string, found {}",
            crate::index::kind(v)
        ))
        .under(key)),
    }
}

fn required(m: &Map<String, Value>, key: &str) -> Result<String, Bad> {
    string(m, key)?.ok_or_else(|| Bad::from(format!("`{key}` is required")))
}

fn source(v: &Value) -> Result<Source, Bad> {
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
        return Err(Bad::from(format!(
            "`{s}`: a source is /pointer, origin:/pointer, path:NAME, query:NAME, header:NAME, now, const:TEXT or template:TEXT"
        )));
    })
}

fn echo(v: &Value) -> Result<Echo, Bad> {
    object(v)?
        .iter()
        .map(|(field, v)| {
            let sources = match v {
                Value::Array(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, s)| source(s).map_err(|b| b.under(&i.to_string())))
                    .collect::<Result<Vec<_>, _>>(),
                v => source(v).map(|s| vec![s]),
            }
            .map_err(|b| b.under(field))?;
            Ok((field.clone(), sources))
        })
        .collect()
}

fn set(v: &Value) -> Result<Set, Bad> {
    Ok(object(v)?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

fn faults(v: &Value) -> Result<Faults, Bad> {
    let m = object(v)?;
    let latency = string(m, "latency")?
        .map(|s| Latency::parse(&s))
        .transpose()
        .map_err(|e| Bad::from(e).under("latency"))?;
    let error_rate = match m.get("error-rate") {
        None => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    Bad::from(format!("`error-rate` must be a number in 0..1, found {v}"))
                        .under("error-rate")
                })?,
        ),
    };
    Ok(Faults {
        latency,
        error_rate,
    })
}

fn create(v: &Value) -> Result<Create, Bad> {
    let m = object(v)?;
    Ok(Create {
        collection: Template(required(m, "collection")?),
        queue: string(m, "queue")?,
        omit: strings(m, "omit")?,
    })
}

fn strings(m: &Map<String, Value>, key: &str) -> Result<Vec<String>, Bad> {
    match m.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Bad::from(format!("`{key}` must list strings")).under(key))
            })
            .collect(),
        Some(_) => Err(Bad::from(format!("`{key}` must be a list")).under(key)),
    }
}

fn list(v: &Value) -> Result<List, Bad> {
    let m = object(v)?;
    Ok(List {
        collection: Template(required(m, "collection")?),
        into: required(m, "into")?,
    })
}

fn transition(v: &Value) -> Result<Transition, Bad> {
    let m = object(v)?;
    let when = match m.get("when") {
        None => Vec::new(),
        Some(w) => object(w)
            .map_err(|b| b.under("when"))?
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
        Some(n) => Some(next(n).map_err(|b| b.under("next"))?),
    };
    let fallback = match m.get("fallback") {
        None => None,
        Some(f) => Some(fallback(f).map_err(|b| b.under("fallback"))?),
    };
    Ok(Transition {
        collection: Template(required(m, "collection")?),
        item: required(m, "item")?,
        when,
        set: optional(m, "set", set)?,
        echo: optional(m, "echo", echo)?,
        next,
        fallback,
    })
}

fn next(v: &Value) -> Result<Next, Bad> {
    let n = object(v)?;
    Ok(Next {
        when: string(n, "if")?,
        into: required(n, "into")?,
        attempts: string(n, "attempts")?,
        set: optional(n, "set", set)?,
        echo: optional(n, "echo", echo)?,
    })
}

fn fallback(v: &Value) -> Result<Fallback, Bad> {
    let f = object(v)?;
    Ok(Fallback {
        into: required(f, "into")?,
        build: optional(f, "build", echo)?,
    })
}

/// A nested extension that may be absent, its problems placed under `key`.
fn optional<T: Default>(
    m: &Map<String, Value>,
    key: &str,
    read: fn(&Value) -> Result<T, Bad>,
) -> Result<T, Bad> {
    m.get(key)
        .map(read)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|b| b.under(key))
}

impl Transition {
    /// When the transition is allowed: the rule the mock enforces and the
    /// runner checks.
    pub fn guard(&self) -> Guard {
        if self.when.is_empty() {
            Guard::Always
        } else {
            Guard::When(self.when.clone())
        }
    }
}

impl Template {
    /// Substitutes path parameters: `/v1/calls/{id}/transfers` → `/v1/calls/abc/transfers`.
    pub fn render(&self, params: &[(String, String)]) -> String {
        Self::fill(&self.0, params)
    }

    /// [`Template::render`] for template text not held in a `Template`.
    /// One pass: a value that itself reads `{name}` stays as it is, and a
    /// `{name}` no parameter fills is kept.
    ///
    /// ```
    /// use decoy_spec::model::Template;
    /// let params = [("a".to_owned(), "{b}".to_owned()), ("b".to_owned(), "2".to_owned())];
    /// assert_eq!(Template::fill("/x/{a}/{b}/{c}", &params), "/x/{b}/2/{c}");
    /// ```
    pub fn fill(template: &str, params: &[(String, String)]) -> String {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let name = &after[..close];
                let (_, v) = params.iter().find(|(k, _)| k == name)?;
                Some((v, close))
            });
            match value {
                Some((v, close)) => {
                    out.push_str(v);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}
