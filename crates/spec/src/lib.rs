//! Load any OpenAPI 3.0 or 3.1 document, and ask it questions.
//!
//! `decoy-spec` is the bottom of decoy's stack: the mock server, the
//! conformance runner and the fixture generator all start from a [`Spec`].
//! It does four things, once, when a document loads:
//!
//! 1. **Parse** YAML 1.2 or JSON into a `serde_json::Value` (duplicate keys
//!    and alias bombs are refused; errors carry the line and column).
//! 2. **Lower** every schema to JSON Schema 2020-12, so 3.0's `nullable`,
//!    boolean `exclusiveMinimum` and `example` mean what they meant.
//! 3. **Check** every internal `$ref` (dangling, cyclic and external ones are
//!    reported with their JSON pointers; nothing is ever fetched).
//! 4. **Index** operations: parameters merged from path item and operation,
//!    request bodies and responses per media type, security, servers; and
//!    compile a [`Router`] that matches request paths to them.
//!
//! Everything else (schemas, examples, extensions) stays in the document and
//! is addressed by JSON pointer, which is also what validators report, so a
//! violation always points back into the document.
//!
//! ```
//! use decoy_spec::{RouteMatch, Spec};
//!
//! let spec = Spec::parse(r#"
//! openapi: 3.0.3
//! info: {title: Pets, version: "1"}
//! paths:
//!   /pets/{id}:
//!     get:
//!       operationId: getPet
//!       parameters:
//!         - {name: id, in: path, required: true, schema: {type: string}}
//!       responses:
//!         "200":
//!           description: A pet
//!           content:
//!             application/json:
//!               schema: {type: object, properties: {tag: {type: string, nullable: true}}}
//!   /pets/mine:
//!     get:
//!       responses: {"200": {description: Mine}}
//! "#, "pets.yaml")?;
//!
//! // Literal segments win over templates, as OpenAPI says.
//! let RouteMatch::Found { operation, .. } = spec.router().find("GET", "/pets/mine") else {
//!     panic!("no match")
//! };
//! assert_eq!(spec.operations()[operation].path, "/pets/mine");
//! let RouteMatch::Found { operation, params } = spec.router().find("GET", "/pets/a%20b") else {
//!     panic!("no match")
//! };
//! assert_eq!(spec.operations()[operation].id.as_deref(), Some("getPet"));
//! assert_eq!(params, [("id".to_owned(), "a b".to_owned())]);
//!
//! // 3.0's `nullable` is now a 2020-12 type array.
//! let schema = spec.get("/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema").unwrap();
//! assert_eq!(schema["properties"]["tag"]["type"], serde_json::json!(["string", "null"]));
//! # Ok::<(), decoy_spec::SpecError>(())
//! ```

pub mod duration;
mod error;
pub mod hints;
mod index;
mod lines;
mod lower;
pub mod media;
pub mod model;
pub mod pointer;
pub mod refs;
mod router;
pub mod seed;
pub mod style;
pub mod suggest;
pub mod wire;

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

pub use error::{Problem, Severity, SpecError};
pub use index::{
    Example, Header, METHODS, MediaType, OpId, Operation, Parameter, ParameterLocation,
    RequestBody, Response, SecurityRequirement, Server, StatusKey, is_json_media_type,
};
pub use lower::NUMERIC_FORMAT_KEYWORD;
pub use router::{RouteMatch, Router};

use index::{Indexer, kind};
use lower::{Dialect, Lowering};

/// The largest document we agree to parse (the biggest real one we know is
/// 3 MB); past this a hostile input would only cost memory.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// A loaded, lowered and indexed OpenAPI document.
#[derive(Debug, Clone)]
pub struct Spec {
    origin: String,
    version: String,
    source: String,
    /// Shared with the generators (`shared_document`), never copied.
    doc: Arc<Value>,
    operations: Vec<Operation>,
    router: Router,
    model: model::Model,
    problems: Vec<Problem>,
}

/// How a security scheme asks for credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityScheme {
    /// `type: http` (`scheme` lower-cased: `bearer`, `basic`, ...).
    Http {
        /// The HTTP auth scheme.
        scheme: String,
    },
    /// `type: apiKey`.
    ApiKey {
        /// Header, query parameter or cookie name.
        name: String,
        /// Where the key travels.
        location: ParameterLocation,
    },
    /// `oauth2`, `openIdConnect` or `mutualTLS`: credentials decoy can only
    /// check as a bearer token (or, for mutual TLS, not at all).
    Other {
        /// The declared `type`.
        kind: String,
    },
}

impl Spec {
    /// Reads and loads a document from a file.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let origin = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|cause| SpecError::Io {
            origin: origin.clone(),
            cause,
        })?;
        if meta.len() > MAX_DOCUMENT_BYTES as u64 {
            return Err(SpecError::Invalid {
                origin,
                pointer: String::new(),
                message: format!(
                    "the document is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                    meta.len()
                ),
            });
        }
        let bytes = std::fs::read(path).map_err(|cause| SpecError::Io {
            origin: origin.clone(),
            cause,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| SpecError::Invalid {
            origin: origin.clone(),
            pointer: String::new(),
            message: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Spec::parse_source(text, &origin)
    }

    /// Loads a document from text. `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Spec, SpecError> {
        Spec::parse_source(text.to_owned(), origin)
    }

    /// A document already parsed from `text`: `document` is what
    /// [`Spec::parse`] would read from it, and `text` is kept for line
    /// numbers. For a document known at build time (the binary's embedded
    /// one is turned from YAML into JSON by its build script, and JSON reads
    /// several times faster than YAML), so a program starts sooner; the
    /// checks, lowering and indexing are those of [`Spec::parse`].
    ///
    /// ```
    /// use decoy_spec::Spec;
    /// let text = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n";
    /// let document = serde_json::json!({
    ///     "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}
    /// });
    /// let spec = Spec::from_parsed(text, document, "t.yaml").unwrap();
    /// assert_eq!(spec.document(), Spec::parse(text, "t.yaml").unwrap().document());
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Spec::parse`], except syntax errors: `document` is parsed
    /// already.
    pub fn from_parsed(text: &str, document: Value, origin: &str) -> Result<Spec, SpecError> {
        check_size(text, origin)?;
        Spec::from_document(text.to_owned(), document, origin)
    }

    /// Loads a document from text it keeps (for line numbers) without a copy:
    /// on a document of tens of megabytes, a second copy is felt.
    fn parse_source(text: String, origin: &str) -> Result<Spec, SpecError> {
        check_size(&text, origin)?;
        let doc = parse_text(&text, origin)?;
        Spec::from_document(text, doc, origin)
    }

    /// Checks, lowers and indexes a parsed document.
    fn from_document(text: String, mut doc: Value, origin: &str) -> Result<Spec, SpecError> {
        let invalid = |pointer: &str, message: String| SpecError::Invalid {
            origin: origin.to_owned(),
            pointer: pointer.to_owned(),
            message,
        };
        let Some(root) = doc.as_object() else {
            return Err(invalid(
                "",
                format!(
                    "expected an OpenAPI document (an object), found {}",
                    kind(&doc)
                ),
            ));
        };
        let version = match (root.get("openapi"), root.get("swagger")) {
            (Some(Value::String(v)), _) => v.clone(),
            (Some(v), _) => {
                return Err(invalid(
                    "/openapi",
                    format!("expected a version string like \"3.1.0\", found {v}"),
                ));
            }
            (None, Some(v)) => {
                return Err(invalid(
                    "/swagger",
                    format!("Swagger {v} is not supported; convert it to OpenAPI 3 first"),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "",
                    "no `openapi` field: this is not an OpenAPI document".to_owned(),
                ));
            }
        };
        let dialect = if version.starts_with("3.0") {
            Dialect::V30
        } else if version.starts_with("3.1") || version.starts_with("3.2") {
            Dialect::V31
        } else {
            return Err(invalid(
                "/openapi",
                format!("expected OpenAPI 3.0.x or 3.1.x, found {version}"),
            ));
        };
        if root.get("paths").is_none()
            && root.get("webhooks").is_none()
            && root.get("components").is_none()
        {
            return Err(invalid(
                "",
                "the document has no `paths`, `webhooks` or `components`".to_owned(),
            ));
        }

        let mut problems = Vec::new();
        if !version.starts_with("3.0") && !version.starts_with("3.1") {
            problems.push(Problem::warning(
                "/openapi",
                format!("OpenAPI {version} is read as 3.1"),
            ));
        }
        Lowering::new(dialect, &mut problems).document(&mut doc);
        refs::check_all(&doc, &mut problems);
        hints::check_all(&doc, &mut problems);
        let mut indexer = Indexer {
            doc: &doc,
            problems: Vec::new(),
        };
        let operations = indexer.operations();
        problems.extend(indexer.problems);
        let router = Router::new(&operations);
        let model = model::build(&doc, &operations, &mut problems);
        Ok(Spec {
            origin: origin.to_owned(),
            version,
            source: text,
            doc: Arc::new(doc),
            operations,
            router,
            model,
            problems,
        })
    }

    /// The document's name in messages (its path, or a label).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The declared `openapi` version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The lowered document: schemas are JSON Schema 2020-12 throughout.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The lowered document, shared: for a generator that keeps it.
    pub fn shared_document(&self) -> Arc<Value> {
        Arc::clone(&self.doc)
    }

    /// The value at a JSON pointer.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        pointer::get(&self.doc, pointer)
    }

    /// Follows `$ref`s from the value at `pointer` to what they name.
    /// Returns the value and its pointer; `Err` says which link is broken.
    pub fn resolve(&self, pointer: &str) -> Result<(&Value, String), String> {
        let value = self
            .get(pointer)
            .ok_or_else(|| format!("{pointer}: no such location in the document"))?;
        refs::follow(&self.doc, value, pointer)
    }

    /// Every operation under `paths`, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The behaviour model: resources, roles, rules, links.
    pub fn model(&self) -> &model::Model {
        &self.model
    }

    /// Every operation's [`OpId`], in document order.
    pub fn op_ids(&self) -> impl ExactSizeIterator<Item = OpId> + use<> {
        (0..self.operations.len()).map(OpId)
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id.as_deref() == Some(id))
    }

    /// The compiled path router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Problems found while loading (warnings are tolerated; errors make
    /// `decoy lint` fail but the rest of the document stays usable).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Names of `components/schemas`, in document order.
    pub fn schema_names(&self) -> impl Iterator<Item = &str> {
        self.doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// The security scheme declared under this name.
    pub fn security_scheme(&self, name: &str) -> Option<SecurityScheme> {
        let s = self
            .doc
            .pointer(&pointer::push("/components/securitySchemes", name))?;
        let (s, _) = refs::follow(&self.doc, s, "").ok()?;
        let kind = s.get("type")?.as_str()?;
        Some(match kind {
            "http" => SecurityScheme::Http {
                scheme: s
                    .get("scheme")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase(),
            },
            "apiKey" => SecurityScheme::ApiKey {
                name: s
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                location: match s.get("in").and_then(Value::as_str) {
                    Some("query") => ParameterLocation::Query,
                    Some("cookie") => ParameterLocation::Cookie,
                    _ => ParameterLocation::Header,
                },
            },
            other => SecurityScheme::Other {
                kind: other.to_owned(),
            },
        })
    }

    /// The 1-based line of the document where `pointer` is written, as near
    /// as it can be found.
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        lines::line_of(&self.source, pointer)
    }
}

/// A document over [`MAX_DOCUMENT_BYTES`] is refused before it is parsed.
fn check_size(text: &str, origin: &str) -> Result<(), SpecError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(SpecError::Invalid {
            origin: origin.to_owned(),
            pointer: String::new(),
            message: format!(
                "the document is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                text.len()
            ),
        });
    }
    Ok(())
}

fn parse_text(text: &str, origin: &str) -> Result<Value, SpecError> {
    let trimmed = text.trim_start_matches('\u{feff}');
    if trimmed.trim_start().starts_with(['{', '[']) {
        return serde_json::from_str(trimmed).map_err(|e| SpecError::Syntax {
            origin: origin.to_owned(),
            format: "JSON",
            line: e.line() as u64,
            column: e.column() as u64,
            message: if e.to_string().starts_with("recursion limit exceeded") {
                // serde_json's fixed limit; its own words do not say what.
                "nested deeper than 128 levels, the JSON parser's limit".to_owned()
            } else {
                strip_position(&e.to_string())
            },
        });
    }
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(trimmed, options).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        // The breach may be wrapped in a snippet and in alias locations.
        let mut inner = &e;
        while let serde_saphyr::Error::WithSnippet { error, .. }
        | serde_saphyr::Error::AliasError { error, .. } = inner
        {
            inner = error;
        }
        let message = match inner {
            serde_saphyr::Error::Budget { breach, .. } => budget_message(breach),
            _ => None,
        };
        SpecError::Syntax {
            origin: origin.to_owned(),
            format: "YAML",
            line,
            column,
            message: message.unwrap_or_else(|| first_line(&e.to_string())),
        }
    })
}

/// Says which of the parser's budgets (serde-saphyr's defaults) a document
/// broke, in words: its own text is a `Debug` dump of the breach.
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    let defaults = serde_saphyr::budget::Budget::default();
    let json = "; a larger document loads as JSON, up to the size limit";
    Some(match breach {
        B::Depth { .. } => format!(
            "nested deeper than {} levels, the YAML parser's limit",
            defaults.max_depth
        ),
        B::Nodes { .. } => format!(
            "more than {} YAML nodes once aliases are expanded (an alias bomb?){json}",
            defaults.max_nodes
        ),
        B::Events { .. } => format!(
            "more than {} YAML events, the parser's limit{json}",
            defaults.max_events
        ),
        B::Aliases { .. } | B::AliasAnchorRatio { .. } => {
            "too many aliases (`*name`) for the anchors defined (an alias bomb?)".to_owned()
        }
        B::Anchors { .. } => format!("more than {} anchors", defaults.max_anchors),
        B::Documents { .. } => format!(
            "more than {} YAML documents in one file",
            defaults.max_documents
        ),
        _ => return None,
    })
}

/// serde_json appends " at line L column C"; we print the position up front.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// serde-saphyr renders a snippet after the message; keep the message and
/// drop its own "line L column C:" prefix, since we print the position.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.find(": ") {
        Some(i) if line[..i].starts_with("line ") => line[i + 2..].to_owned(),
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests;
