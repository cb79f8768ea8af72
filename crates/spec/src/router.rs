//! Matching concrete request paths to operations.
//!
//! OpenAPI says a concrete path is matched against templates with literal
//! segments winning over templated ones (`/pets/mine` beats `/pets/{id}`).
//! We rank every matching template by its segments, most literal first, and
//! answer for the best rank: the operation for the method, or the methods that
//! rank allows (so the server can say 405 with `Allow`).

use percent_encoding::percent_decode_str;

use crate::index::{OpId, Operation};

/// Path templates compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    /// Server base paths, longest first, always ending with `""`.
    bases: Vec<String>,
}

#[derive(Debug, Clone)]
struct Route {
    segments: Vec<Segment>,
    /// (upper-case method, index into the operation list)
    methods: Vec<(String, OpId)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// A segment with at least one `{param}`, split into literal text and names.
    Pattern(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Param(String),
}

impl Segment {
    fn parse(raw: &str) -> Segment {
        if !raw.contains('{') {
            return Segment::Literal(raw.to_owned());
        }
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            parts.push(Part::Param(rest[open + 1..open + close].to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Segment::Pattern(parts)
    }

    /// 0 for a literal, 1 for a mixed segment (`{id}.json`), 2 for a bare `{id}`.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Pattern(parts) if parts.len() == 1 => 2,
            Segment::Pattern(_) => 1,
        }
    }

    fn matches(&self, value: &str, params: &mut Vec<(String, String)>) -> bool {
        match self {
            Segment::Literal(lit) => lit == value,
            Segment::Pattern(parts) => match_parts(parts, value, params),
        }
    }
}

fn match_parts(parts: &[Part], mut value: &str, params: &mut Vec<(String, String)>) -> bool {
    let mut i = 0;
    while i < parts.len() {
        match &parts[i] {
            Part::Text(t) => {
                let Some(rest) = value.strip_prefix(t.as_str()) else {
                    return false;
                };
                value = rest;
            }
            Part::Param(name) => {
                // A parameter runs to the next literal text, or to the end.
                let end = match parts.get(i + 1) {
                    Some(Part::Text(t)) => match value.find(t.as_str()) {
                        Some(end) => end,
                        None => return false,
                    },
                    _ => value.len(),
                };
                if end == 0 {
                    return false;
                }
                params.push((name.clone(), value[..end].to_owned()));
                value = &value[end..];
            }
        }
        i += 1;
    }
    value.is_empty()
}

/// What the router found for a method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// An operation matched.
    Found {
        /// The operation; index [`crate::Spec::operations`] with it.
        operation: OpId,
        /// Path parameters, percent-decoded, in template order.
        params: Vec<(String, String)>,
    },
    /// The path matched but not for this method.
    MethodNotAllowed {
        /// The methods the path does allow, upper-case, sorted.
        allowed: Vec<String>,
    },
    /// No template matched.
    NotFound,
}

impl Router {
    /// Compiles the templates of `operations`.
    pub fn new(operations: &[Operation]) -> Router {
        let mut routes: Vec<Route> = Vec::new();
        let mut bases: Vec<String> = vec![String::new()];
        for (i, op) in operations.iter().enumerate() {
            let segments: Vec<Segment> = op.path.split('/').skip(1).map(Segment::parse).collect();
            match routes.iter_mut().find(|r| r.segments == segments) {
                Some(r) => r.methods.push((op.method.clone(), OpId(i))),
                None => routes.push(Route {
                    segments,
                    methods: vec![(op.method.clone(), OpId(i))],
                }),
            }
            for s in &op.servers {
                if !bases.contains(&s.base_path) {
                    bases.push(s.base_path.clone());
                }
            }
        }
        bases.sort_by_key(|b| std::cmp::Reverse(b.len()));
        Router { routes, bases }
    }

    /// Matches a request. `path` is the raw request path (no query string);
    /// each segment is percent-decoded after splitting, so `%2F` stays inside
    /// its segment. A server base path (`/api/v3`) is stripped when present.
    pub fn find(&self, method: &str, path: &str) -> RouteMatch {
        let path = path.split(['?', '#']).next().unwrap_or("");
        for base in &self.bases {
            let Some(rest) = strip_base(path, base) else {
                continue;
            };
            let found = self.find_in(method, rest);
            if found != RouteMatch::NotFound {
                return found;
            }
        }
        RouteMatch::NotFound
    }

    /// The operations on `op`'s method and wire path, in document order:
    /// more than one where path keys differ only in their `#fragment`
    /// (`/calls#outbound`, `/calls#inbound`), to be told apart by the body.
    /// [`Router::find`] answers with the first.
    pub fn variants(&self, op: OpId) -> Vec<OpId> {
        let Some(route) = self
            .routes
            .iter()
            .find(|r| r.methods.iter().any(|(_, o)| *o == op))
        else {
            return vec![op];
        };
        let method = route
            .methods
            .iter()
            .find(|(_, o)| *o == op)
            .map(|(m, _)| m.as_str());
        route
            .methods
            .iter()
            .filter(|(m, _)| Some(m.as_str()) == method)
            .map(|(_, o)| *o)
            .collect()
    }

    fn find_in(&self, method: &str, path: &str) -> RouteMatch {
        let Some(path) = path.strip_prefix('/') else {
            return RouteMatch::NotFound;
        };
        // Borrowed unless a segment has something to decode.
        let decoded: Vec<std::borrow::Cow<'_, str>> = path
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8_lossy())
            .collect();

        let mut best: Option<(Vec<u8>, Vec<Candidate<'_>>)> = None;
        for route in &self.routes {
            if route.segments.len() != decoded.len() {
                continue;
            }
            let mut params = Vec::new();
            if !route
                .segments
                .iter()
                .zip(&decoded)
                .all(|(s, v)| s.matches(v, &mut params))
            {
                continue;
            }
            let rank: Vec<u8> = route.segments.iter().map(Segment::rank).collect();
            match &mut best {
                Some((best_rank, routes)) if *best_rank == rank => routes.push((route, params)),
                Some((best_rank, _)) if *best_rank < rank => {}
                _ => best = Some((rank, vec![(route, params)])),
            }
        }
        let Some((_, candidates)) = best else {
            return RouteMatch::NotFound;
        };
        for (route, params) in &candidates {
            if let Some((_, op)) = route
                .methods
                .iter()
                .find(|(m, _)| m.eq_ignore_ascii_case(method))
            {
                return RouteMatch::Found {
                    operation: *op,
                    params: params.clone(),
                };
            }
        }
        let mut allowed: Vec<String> = candidates
            .iter()
            .flat_map(|(r, _)| r.methods.iter().map(|(m, _)| m.clone()))
            .collect();
        allowed.sort();
        allowed.dedup();
        RouteMatch::MethodNotAllowed { allowed }
    }
}

/// A matching route and the parameters it captured.
type Candidate<'r> = (&'r Route, Vec<(String, String)>);

fn strip_base<'p>(path: &'p str, base: &str) -> Option<&'p str> {
    if base.is_empty() {
        return Some(path);
    }
    let rest = path.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(if rest.is_empty() { "/" } else { rest })
}
