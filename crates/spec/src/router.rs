//! Matching concrete request paths to operations.
//!
//! OpenAPI says a concrete path is matched against templates with literal
//! segments winning over templated ones (`/pets/mine` beats `/pets/{id}`).
//! We rank every matching template by its segments, most literal first, and
//! answer for the best rank: the operation for the method, or the methods that
//! rank allows (so the server can say 405 with `Allow`).
//!
//! Templates are kept in a tree of segments, so a request walks only the
//! branches its segments match instead of every template of the document:
//! a document of a thousand operations routes about as fast as one of ten.
//! The walk tries a node's literal child first, then its mixed segments
//! (`{id}.json`), then its bare `{id}`s, and leaves a branch as soon as it
//! ranks worse than a template already reached.

use percent_encoding::percent_decode_str;

use crate::index::{OpId, Operation};

/// Path templates compiled for matching.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    /// The templates' segments as a tree; `nodes[0]` is the root.
    nodes: Vec<Node>,
    /// Server base paths, longest first, always ending with `""`.
    bases: Vec<String>,
}

/// One segment position in the tree of templates.
#[derive(Debug, Clone, Default)]
struct Node {
    /// Literal children, sorted by text: (segment, node).
    literals: Vec<(String, usize)>,
    /// Templated children, mixed (rank 1) before bare (rank 2), each kind
    /// in document order: (segment parts, rank, node).
    patterns: Vec<(Vec<Part>, u8, usize)>,
    /// The route whose template ends here.
    route: Option<usize>,
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
}

fn match_parts<'p, 'v>(
    parts: &'p [Part],
    mut value: &'v str,
    params: &mut Captured<'p, 'v>,
) -> bool {
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
                params.push((name, &value[..end]));
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
        let nodes = tree(&routes);
        Router {
            routes,
            nodes,
            bases,
        }
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
        // Borrowed unless a segment has something to decode (a `%`, found
        // by memchr, far cheaper than running the decoder over every byte).
        let decoded: Vec<std::borrow::Cow<'_, str>> = path
            .split('/')
            .map(|s| match s.contains('%') {
                true => percent_decode_str(s).decode_utf8_lossy(),
                false => std::borrow::Cow::Borrowed(s),
            })
            .collect();

        let mut walk = Walk {
            nodes: &self.nodes,
            segments: &decoded,
            ranks: Vec::with_capacity(decoded.len()),
            best: None,
            params: Vec::new(),
            found: Vec::new(),
        };
        walk.visit(0);
        let mut found = walk.found;
        if found.is_empty() {
            return RouteMatch::NotFound;
        }
        // Templates of one rank answer in document order.
        found.sort_by_key(|(route, _)| *route);
        for (route, params) in &found {
            if let Some((_, op)) = self.routes[*route]
                .methods
                .iter()
                .find(|(m, _)| m.eq_ignore_ascii_case(method))
            {
                return RouteMatch::Found {
                    operation: *op,
                    params: params
                        .iter()
                        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
                        .collect(),
                };
            }
        }
        let mut allowed: Vec<String> = found
            .iter()
            .flat_map(|(r, _)| self.routes[*r].methods.iter().map(|(m, _)| m.clone()))
            .collect();
        allowed.sort();
        allowed.dedup();
        RouteMatch::MethodNotAllowed { allowed }
    }
}

fn strip_base<'p>(path: &'p str, base: &str) -> Option<&'p str> {
    if base.is_empty() {
        return Some(path);
    }
    let rest = path.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(if rest.is_empty() { "/" } else { rest })
}

/// The tree of `routes`' segments.
fn tree(routes: &[Route]) -> Vec<Node> {
    let mut nodes = vec![Node::default()];
    for (index, route) in routes.iter().enumerate() {
        let mut at = 0;
        for segment in &route.segments {
            at = match segment {
                Segment::Literal(text) => {
                    let children = &nodes[at].literals;
                    match children.binary_search_by(|(t, _)| t.as_str().cmp(text)) {
                        Ok(i) => children[i].1,
                        Err(i) => {
                            let child = nodes.len();
                            nodes.push(Node::default());
                            nodes[at].literals.insert(i, (text.clone(), child));
                            child
                        }
                    }
                }
                Segment::Pattern(parts) => {
                    let existing = nodes[at].patterns.iter().find(|(p, ..)| p == parts);
                    match existing {
                        Some(&(_, _, child)) => child,
                        None => {
                            let child = nodes.len();
                            nodes.push(Node::default());
                            let rank = segment.rank();
                            let patterns = &mut nodes[at].patterns;
                            // After the last child of the same or a lower rank.
                            let i = patterns.partition_point(|(_, r, _)| *r <= rank);
                            patterns.insert(i, (parts.clone(), rank, child));
                            child
                        }
                    }
                }
            };
        }
        // Routes are one per distinct template, so no node ends two.
        nodes[at].route = Some(index);
    }
    nodes
}

/// Path parameters as a walk captures them, borrowed from the tree and the
/// request: (name, decoded value). Only the answer's are made owned.
type Captured<'p, 'v> = Vec<(&'p str, &'v str)>;

/// One request's walk down the tree.
struct Walk<'t, 's> {
    nodes: &'t [Node],
    segments: &'s [std::borrow::Cow<'s, str>],
    /// The ranks of the segments matched so far.
    ranks: Vec<u8>,
    /// The ranks of the best template reached so far.
    best: Option<Vec<u8>>,
    /// The parameters captured so far.
    params: Captured<'t, 's>,
    /// Every template of the best rank reached: (route, parameters).
    found: Vec<(usize, Captured<'t, 's>)>,
}

impl<'t, 's> Walk<'t, 's> {
    fn visit(&mut self, at: usize) {
        let depth = self.ranks.len();
        let node: &'t Node = &self.nodes[at];
        let segments: &'s [std::borrow::Cow<'s, str>] = self.segments;
        let Some(segment) = segments.get(depth) else {
            if let Some(route) = node.route {
                self.reached(route);
            }
            return;
        };
        if let Ok(i) = node
            .literals
            .binary_search_by(|(t, _)| t.as_str().cmp(segment))
        {
            self.descend(0, node.literals[i].1);
        }
        for (parts, rank, child) in &node.patterns {
            let kept = self.params.len();
            if match_parts(parts, segment, &mut self.params) {
                self.descend(*rank, *child);
            }
            self.params.truncate(kept);
        }
    }

    /// Goes on to `child` through a segment of `rank`, unless every
    /// template down there ranks worse than one already reached.
    fn descend(&mut self, rank: u8, child: usize) {
        self.ranks.push(rank);
        let worse = self
            .best
            .as_ref()
            .is_some_and(|best| best[..self.ranks.len()] < self.ranks[..]);
        if !worse {
            self.visit(child);
        }
        self.ranks.pop();
    }

    fn reached(&mut self, route: usize) {
        let better = self.best.as_ref().is_none_or(|best| self.ranks < *best);
        if better {
            self.best = Some(self.ranks.clone());
            self.found.clear();
        }
        self.found.push((route, self.params.clone()));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The router before the tree: every template tried in document order,
    /// the best rank kept. The tree must answer exactly as it did.
    fn linear(routes: &[Route], method: &str, path: &str) -> RouteMatch {
        let Some(path) = path.strip_prefix('/') else {
            return RouteMatch::NotFound;
        };
        let decoded: Vec<_> = path
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8_lossy())
            .collect();
        // (ranks, the routes of those ranks that matched)
        type Best<'r, 'v> = (Vec<u8>, Vec<(&'r Route, Captured<'r, 'v>)>);
        let mut best: Option<Best<'_, '_>> = None;
        for route in routes {
            if route.segments.len() != decoded.len() {
                continue;
            }
            let mut params = Vec::new();
            let matches = route.segments.iter().zip(&decoded).all(|(s, v)| match s {
                Segment::Literal(lit) => lit == v,
                Segment::Pattern(parts) => match_parts(parts, v, &mut params),
            });
            if !matches {
                continue;
            }
            let rank: Vec<u8> = route.segments.iter().map(Segment::rank).collect();
            match &mut best {
                Some((best_rank, found)) if *best_rank == rank => found.push((route, params)),
                Some((best_rank, _)) if *best_rank < rank => {}
                _ => best = Some((rank, vec![(route, params)])),
            }
        }
        let Some((_, found)) = best else {
            return RouteMatch::NotFound;
        };
        for (route, params) in &found {
            if let Some((_, op)) = route.methods.iter().find(|(m, _)| m == method) {
                let params = params
                    .iter()
                    .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                    .collect();
                return RouteMatch::Found {
                    operation: *op,
                    params,
                };
            }
        }
        let mut allowed: Vec<String> = found
            .iter()
            .flat_map(|(r, _)| r.methods.iter().map(|(m, _)| m.clone()))
            .collect();
        allowed.sort();
        allowed.dedup();
        RouteMatch::MethodNotAllowed { allowed }
    }

    /// Templates from a few segments that overlap in every way OpenAPI
    /// allows (literal against parameter, mixed against bare, two names for
    /// one position), methods, and paths built from text those segments
    /// match and miss.
    fn templates() -> impl Strategy<Value = Vec<(String, String)>> {
        let segment = prop::sample::select(vec![
            "a", "b", "{x}", "{y}", "{x}.json", "v{n}", "{x}-{y}", "a{x}", "",
        ]);
        let template =
            prop::collection::vec(segment, 1..4).prop_map(|s| format!("/{}", s.join("/")));
        let method = prop::sample::select(vec!["GET", "POST", "DELETE"]);
        prop::collection::vec((method.prop_map(str::to_owned), template), 1..12)
    }

    fn paths() -> impl Strategy<Value = String> {
        let segment = prop::sample::select(vec![
            "a", "b", "c", "x.json", ".json", "v1", "v", "ab", "a-b", "-", "", "a%2Fb", "%7Bx%7D",
        ]);
        prop::collection::vec(segment, 0..4).prop_map(|s| format!("/{}", s.join("/")))
    }

    proptest! {
        #[test]
        fn the_tree_answers_as_the_linear_scan_did(
            templates in templates(),
            requests in prop::collection::vec(
                (prop::sample::select(vec!["GET", "POST", "PUT"]), paths()),
                1..16,
            ),
        ) {
            let mut routes: Vec<Route> = Vec::new();
            for (i, (method, template)) in templates.iter().enumerate() {
                let segments: Vec<Segment> =
                    template.split('/').skip(1).map(Segment::parse).collect();
                match routes.iter_mut().find(|r| r.segments == segments) {
                    Some(r) => r.methods.push((method.clone(), OpId(i))),
                    None => routes.push(Route { segments, methods: vec![(method.clone(), OpId(i))] }),
                }
            }
            let nodes = tree(&routes);
            let router = Router { routes, nodes, bases: vec![String::new()] };
            for (method, path) in &requests {
                prop_assert_eq!(
                    router.find(method, path),
                    linear(&router.routes, method, path),
                    "{} {} against {:?}", method, path, templates
                );
            }
        }
    }
}
