//! The typed index of operations: what an HTTP layer needs, with pointers
//! back into the document for everything it does not interpret.

use serde_json::Value;

use crate::error::Problem;
use crate::pointer::push;
use crate::refs::follow;

/// The eight HTTP methods OpenAPI path items may hold.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An operation's place in the document: a typed index into
/// [`crate::Spec::operations`], so an operation is never confused with any
/// other number. Index a slice of operations with it directly.
///
/// ```
/// let spec = decoy_spec::Spec::parse(r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
///   "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}}}}}"#, "t.json").unwrap();
/// let id = spec.op_ids().next().unwrap();
/// assert_eq!(spec.operations()[id].id.as_deref(), Some("listPets"));
/// assert_eq!(id.index(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub(crate) usize);

impl OpId {
    /// The position in [`crate::Spec::operations`].
    pub fn index(self) -> usize {
        self.0
    }
}

impl std::fmt::Display for OpId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl std::ops::Index<OpId> for [Operation] {
    type Output = Operation;

    fn index(&self, id: OpId) -> &Operation {
        &self[id.0]
    }
}

/// One operation: a method on a path template.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Operation {
    /// `operationId`, if the document gives one.
    pub id: Option<String>,
    /// Upper-case HTTP method (`GET`).
    pub method: String,
    /// The path template as sent on the wire (`/v1/calls/{id}`): a key's
    /// `#fragment` (`/v1/calls#outbound`, one of several operations on one
    /// path told apart by their bodies) is left out; `pointer` keeps it.
    pub path: String,
    /// JSON pointer to the operation object.
    pub pointer: String,
    /// `summary`, if any.
    pub summary: Option<String>,
    /// Parameters of the path item and the operation, merged (the operation's
    /// win on the same name and location).
    pub parameters: Vec<Parameter>,
    /// The request body, if the operation takes one.
    pub request_body: Option<RequestBody>,
    /// Responses in document order.
    pub responses: Vec<Response>,
    /// Effective security: any one requirement must be met. Empty: none needed.
    pub security: Vec<SecurityRequirement>,
    /// Effective servers (operation, else path item, else document).
    pub servers: Vec<Server>,
    /// Whether the operation is marked `deprecated`.
    pub deprecated: bool,
}

impl Operation {
    /// A name for messages: the `operationId`, else `METHOD /path`.
    pub fn name(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// The response for a status code: exact code, then `4XX`-style range,
    /// then `default`, as OpenAPI prescribes.
    pub fn response(&self, status: u16) -> Option<&Response> {
        self.responses
            .iter()
            .find(|r| r.status == StatusKey::Code(status))
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status == StatusKey::Range((status / 100) as u8))
            })
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status == StatusKey::Default)
            })
    }

    /// The parameters at one location.
    pub fn parameters_in(&self, location: ParameterLocation) -> impl Iterator<Item = &Parameter> {
        self.parameters
            .iter()
            .filter(move |p| p.location == location)
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParameterLocation {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl ParameterLocation {
    /// The name OpenAPI uses (`path`, `query`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        }
    }
}

/// A parameter, with `$ref` already followed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Parameter {
    /// The parameter's name.
    pub name: String,
    /// Where it travels.
    pub location: ParameterLocation,
    /// Whether it must be sent (always true for path parameters).
    pub required: bool,
    /// Pointer to the parameter object.
    pub pointer: String,
    /// Pointer to its schema (`schema`, or the schema of its one `content`
    /// media type).
    pub schema: Option<String>,
    /// `style`, when given.
    pub style: Option<String>,
    /// `explode`, when given.
    pub explode: Option<bool>,
    /// `allowEmptyValue`: an empty query value counts as not sent.
    pub allow_empty_value: bool,
}

/// A request body, with `$ref` followed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestBody {
    /// Whether a body must be sent.
    pub required: bool,
    /// Pointer to the request body object.
    pub pointer: String,
    /// Accepted media types, in document order.
    pub content: Vec<MediaType>,
}

/// One entry of a `content` map.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MediaType {
    /// The media type or range as written (`application/json`, `image/*`).
    pub name: String,
    /// Pointer to the media type object.
    pub pointer: String,
    /// Pointer to its schema, if it has one.
    pub schema: Option<String>,
    /// Its examples: `example` (named `default`) or the `examples` map.
    pub examples: Vec<Example>,
}

impl MediaType {
    /// Whether this media type carries JSON (`application/json`,
    /// `application/problem+json`, `*/*`...).
    pub fn is_json(&self) -> bool {
        is_json_media_type(&self.name)
    }
}

/// Whether a media type (parameters ignored) carries JSON.
pub fn is_json_media_type(name: &str) -> bool {
    let essence = crate::media::essence(name);
    essence == "application/json"
        || essence.ends_with("+json")
        || essence == "*/*"
        || essence == "application/*"
}

/// A named example, with `$ref` followed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Example {
    /// The key in `examples`, or `default` for a lone `example`.
    pub name: String,
    /// `summary`, if any.
    pub summary: Option<String>,
    /// Pointer to the example value, or `None` if it only has `externalValue`.
    pub value: Option<String>,
}

/// The key of a response: a code, a range or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusKey {
    /// An exact status code.
    Code(u16),
    /// `1XX` to `5XX`: the digit.
    Range(u8),
    /// `default`.
    Default,
}

impl std::fmt::Display for StatusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusKey::Code(c) => write!(f, "{c}"),
            StatusKey::Range(d) => write!(f, "{d}XX"),
            StatusKey::Default => f.write_str("default"),
        }
    }
}

impl StatusKey {
    fn parse(key: &str) -> Option<StatusKey> {
        if key == "default" {
            return Some(StatusKey::Default);
        }
        let b = key.as_bytes();
        if b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].eq_ignore_ascii_case(b"XX") {
            return Some(StatusKey::Range(b[0] - b'0'));
        }
        key.parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .map(StatusKey::Code)
    }

    /// Whether a concrete status code falls under this key.
    pub fn covers(self, status: u16) -> bool {
        match self {
            StatusKey::Code(c) => c == status,
            StatusKey::Range(d) => status / 100 == u16::from(d),
            StatusKey::Default => true,
        }
    }
}

/// A documented response, with `$ref` followed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// The key it is documented under.
    pub status: StatusKey,
    /// Pointer to the response object.
    pub pointer: String,
    /// Its media types.
    pub content: Vec<MediaType>,
    /// Its documented headers.
    pub headers: Vec<Header>,
}

/// A documented response header.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Header {
    /// Header name as written.
    pub name: String,
    /// Whether it must be present.
    pub required: bool,
    /// Pointer to its schema.
    pub schema: Option<String>,
}

/// One way to satisfy security: every scheme listed must be met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRequirement {
    /// Scheme names (keys of `components/securitySchemes`) with their scopes.
    pub schemes: Vec<(String, Vec<String>)>,
}

/// A server entry, with variables replaced by their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The URL with variables substituted.
    pub url: String,
    /// Its path part without a trailing slash (`""` for none).
    pub base_path: String,
}

impl Server {
    fn from_value(v: &Value) -> Option<Server> {
        let mut url = v.get("url")?.as_str()?.to_owned();
        if let Some(vars) = v.get("variables").and_then(Value::as_object) {
            for (name, var) in vars {
                let default = var.get("default").and_then(Value::as_str).unwrap_or("");
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
        let after_scheme = match url.find("://") {
            Some(i) => &url[i + 3..],
            None => url.as_str(),
        };
        let path = if url.contains("://") {
            after_scheme.find('/').map_or("", |i| &after_scheme[i..])
        } else {
            after_scheme
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        let base_path = path.trim_end_matches('/').to_owned();
        Some(Server { url, base_path })
    }
}

pub(crate) fn servers(v: Option<&Value>) -> Option<Vec<Server>> {
    let list = v?.as_array()?;
    Some(list.iter().filter_map(Server::from_value).collect())
}

fn security(v: &Value) -> Vec<SecurityRequirement> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|req| SecurityRequirement {
            schemes: req
                .iter()
                .map(|(name, scopes)| {
                    let scopes = scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect();
                    (name.clone(), scopes)
                })
                .collect(),
        })
        .collect()
}

pub(crate) struct Indexer<'d> {
    pub(crate) doc: &'d Value,
    pub(crate) problems: Vec<Problem>,
}

impl<'d> Indexer<'d> {
    /// Follows `$ref`s, reporting a broken one (already reported by the ref
    /// check, so it is not reported twice) as `None`.
    fn resolve(&self, value: &'d Value, ptr: &str) -> Option<(&'d Value, String)> {
        follow(self.doc, value, ptr).ok()
    }

    pub(crate) fn operations(&mut self) -> Vec<Operation> {
        let doc = self.doc;
        let mut ops = Vec::new();
        let root_security = doc.get("security").map(security).unwrap_or_default();
        let root_servers = servers(doc.get("servers")).unwrap_or_default();
        let Some(paths) = doc.get("paths") else {
            return ops;
        };
        let Some(paths) = paths.as_object() else {
            self.problems.push(Problem::error(
                "/paths",
                format!("expected an object, found {}", kind(paths)),
            ));
            return ops;
        };
        for (path, item) in paths {
            let item_ptr = push("/paths", path);
            if !path.starts_with('/') {
                if !path.starts_with("x-") {
                    self.problems.push(Problem::error(
                        &item_ptr,
                        format!("a path must start with `/`, found `{path}`"),
                    ));
                }
                continue;
            }
            let Some((item, item_ptr)) = self.resolve(item, &item_ptr) else {
                continue;
            };
            let Some(item_map) = item.as_object() else {
                self.problems.push(Problem::error(
                    &item_ptr,
                    format!("expected a path item object, found {}", kind(item)),
                ));
                continue;
            };
            let item_params =
                self.parameters(item_map.get("parameters"), &push(&item_ptr, "parameters"));
            let item_servers = servers(item_map.get("servers"));
            for method in METHODS {
                let Some(op) = item_map.get(*method) else {
                    continue;
                };
                let op_ptr = push(&item_ptr, method);
                if !op.is_object() {
                    self.problems.push(Problem::error(
                        &op_ptr,
                        format!("expected an operation object, found {}", kind(op)),
                    ));
                    continue;
                }
                let mut parameters = item_params.clone();
                for p in self.parameters(op.get("parameters"), &push(&op_ptr, "parameters")) {
                    match parameters
                        .iter_mut()
                        .find(|q| q.name == p.name && q.location == p.location)
                    {
                        Some(q) => *q = p,
                        None => parameters.push(p),
                    }
                }
                self.check_template(path, &parameters, &op_ptr);
                let request_body = op
                    .get("requestBody")
                    .and_then(|rb| self.request_body(rb, &push(&op_ptr, "requestBody")));
                let responses = self.responses(op.get("responses"), &push(&op_ptr, "responses"));
                ops.push(Operation {
                    id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    method: method.to_ascii_uppercase(),
                    path: wire_path(path).to_owned(),
                    pointer: op_ptr.clone(),
                    summary: op.get("summary").and_then(Value::as_str).map(str::to_owned),
                    parameters,
                    request_body,
                    responses,
                    security: op
                        .get("security")
                        .map(security)
                        .unwrap_or_else(|| root_security.clone()),
                    servers: servers(op.get("servers"))
                        .or_else(|| item_servers.clone())
                        .unwrap_or_else(|| root_servers.clone()),
                    deprecated: op
                        .get("deprecated")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                });
            }
        }
        self.check_operation_ids(&ops);
        ops
    }

    fn check_operation_ids(&mut self, ops: &[Operation]) {
        let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for op in ops {
            if let Some(id) = &op.id
                && let Some(first) = seen.insert(id, &op.pointer)
            {
                self.problems.push(Problem::error(
                    push(&op.pointer, "operationId"),
                    format!("operationId `{id}` is also used by {first}"),
                ));
            }
        }
    }

    /// Every `{name}` of the template needs a path parameter and every path
    /// parameter needs its `{name}`.
    fn check_template(&mut self, path: &str, params: &[Parameter], op_ptr: &str) {
        let names = template_names(path);
        for name in &names {
            if !params
                .iter()
                .any(|p| p.location == ParameterLocation::Path && &p.name == name)
            {
                self.problems.push(Problem::error(
                    push(op_ptr, "parameters"),
                    format!("the path template has `{{{name}}}` but no path parameter `{name}` is declared"),
                ));
            }
        }
        for p in params
            .iter()
            .filter(|p| p.location == ParameterLocation::Path)
        {
            if !names.contains(&p.name) {
                self.problems.push(Problem::error(
                    &p.pointer,
                    format!(
                        "path parameter `{}` does not appear in the template `{path}`",
                        p.name
                    ),
                ));
            }
        }
    }

    fn parameters(&mut self, list: Option<&'d Value>, ptr: &str) -> Vec<Parameter> {
        let mut out: Vec<Parameter> = Vec::new();
        let Some(list) = list else { return out };
        let Some(list) = list.as_array() else {
            self.problems.push(Problem::error(
                ptr,
                format!("expected an array of parameters, found {}", kind(list)),
            ));
            return out;
        };
        for (i, p) in list.iter().enumerate() {
            let p_ptr = push(ptr, &i.to_string());
            let Some((p, p_ptr)) = self.resolve(p, &p_ptr) else {
                continue;
            };
            let name = p.get("name").and_then(Value::as_str);
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => Some(ParameterLocation::Path),
                Some("query") => Some(ParameterLocation::Query),
                Some("header") => Some(ParameterLocation::Header),
                Some("cookie") => Some(ParameterLocation::Cookie),
                _ => None,
            };
            let (Some(name), Some(location)) = (name, location) else {
                self.problems.push(Problem::error(
                    &p_ptr,
                    "a parameter needs a `name` and `in` (path, query, header or cookie)",
                ));
                continue;
            };
            // OpenAPI: "If `in` is "header" and the name is "Accept",
            // "Content-Type" or "Authorization", the parameter definition
            // SHALL be ignored" (media types and security say those).
            if location == ParameterLocation::Header
                && ["accept", "content-type", "authorization"]
                    .iter()
                    .any(|h| name.eq_ignore_ascii_case(h))
            {
                self.problems.push(Problem::warning(
                    &p_ptr,
                    format!(
                        "header parameter `{name}` is ignored, as OpenAPI says: media types \
                         and security schemes describe it"
                    ),
                ));
                continue;
            }
            let schema = if p.get("schema").is_some() {
                Some(push(&p_ptr, "schema"))
            } else {
                p.get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.iter().next())
                    .filter(|(_, mt)| mt.get("schema").is_some())
                    .map(|(name, _)| push(&push(&push(&p_ptr, "content"), name), "schema"))
            };
            if out.iter().any(|q| q.name == name && q.location == location) {
                self.problems.push(Problem::warning(
                    &p_ptr,
                    format!(
                        "{} parameter `{name}` is declared twice; the last one is used",
                        location.as_str()
                    ),
                ));
                out.retain(|q| !(q.name == name && q.location == location));
            }
            out.push(Parameter {
                name: name.to_owned(),
                location,
                required: location == ParameterLocation::Path
                    || p.get("required").and_then(Value::as_bool).unwrap_or(false),
                pointer: p_ptr,
                schema,
                style: p.get("style").and_then(Value::as_str).map(str::to_owned),
                explode: p.get("explode").and_then(Value::as_bool),
                allow_empty_value: p
                    .get("allowEmptyValue")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            });
        }
        out
    }

    fn request_body(&mut self, rb: &'d Value, ptr: &str) -> Option<RequestBody> {
        let (rb, ptr) = self.resolve(rb, ptr)?;
        Some(RequestBody {
            required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
            content: self.content(rb.get("content"), &push(&ptr, "content")),
            pointer: ptr,
        })
    }

    fn responses(&mut self, responses: Option<&'d Value>, ptr: &str) -> Vec<Response> {
        let mut out = Vec::new();
        let Some(map) = responses.and_then(Value::as_object) else {
            return out;
        };
        for (key, r) in map {
            if key.starts_with("x-") {
                continue;
            }
            let r_ptr = push(ptr, key);
            let Some(status) = StatusKey::parse(key) else {
                self.problems.push(Problem::error(
                    &r_ptr,
                    format!("expected a status code (100-599), a range like `4XX` or `default`, found `{key}`"),
                ));
                continue;
            };
            let Some((r, r_ptr)) = self.resolve(r, &r_ptr) else {
                continue;
            };
            let mut headers = Vec::new();
            for (name, h) in r
                .get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let h_ptr = push(&push(&r_ptr, "headers"), name);
                let Some((h, h_ptr)) = self.resolve(h, &h_ptr) else {
                    continue;
                };
                headers.push(Header {
                    name: name.clone(),
                    required: h.get("required").and_then(Value::as_bool).unwrap_or(false),
                    schema: h.get("schema").map(|_| push(&h_ptr, "schema")),
                });
            }
            out.push(Response {
                status,
                content: self.content(r.get("content"), &push(&r_ptr, "content")),
                headers,
                pointer: r_ptr,
            });
        }
        out
    }

    fn content(&mut self, content: Option<&'d Value>, ptr: &str) -> Vec<MediaType> {
        let mut out = Vec::new();
        for (name, mt) in content.and_then(Value::as_object).into_iter().flatten() {
            let mt_ptr = push(ptr, name);
            let mut examples = Vec::new();
            if mt.get("example").is_some() {
                examples.push(Example {
                    name: "default".to_owned(),
                    summary: None,
                    value: Some(push(&mt_ptr, "example")),
                });
            }
            for (ex_name, ex) in mt
                .get("examples")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let ex_ptr = push(&push(&mt_ptr, "examples"), ex_name);
                let Some((ex, ex_ptr)) = self.resolve(ex, &ex_ptr) else {
                    continue;
                };
                examples.push(Example {
                    name: ex_name.clone(),
                    summary: ex.get("summary").and_then(Value::as_str).map(str::to_owned),
                    value: ex.get("value").map(|_| push(&ex_ptr, "value")),
                });
            }
            out.push(MediaType {
                name: name.clone(),
                schema: mt.get("schema").map(|_| push(&mt_ptr, "schema")),
                pointer: mt_ptr,
                examples,
            });
        }
        out
    }
}

/// A path key without its `#fragment` (`/calls#outbound` is `/calls`).
pub(crate) fn wire_path(key: &str) -> &str {
    key.split('#').next().unwrap_or(key)
}

/// The `{name}`s of a path template, in order.
pub(crate) fn template_names(path: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        names.push(rest[open + 1..open + close].to_owned());
        rest = &rest[open + close + 1..];
    }
    names
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
