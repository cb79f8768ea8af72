//! Compile once, validate many: JSON Schema validators for a whole OpenAPI
//! document, reporting every violation as data.
//!
//! A [`Validators`] set is built from a loaded [`decoy_spec::Spec`]. One
//! offline registry holds the whole (lowered) document, and each validator is
//! compiled from `{"$ref": "urn:decoy:doc#<pointer>"}`, so `$ref`s between
//! schemas resolve inside the document and nothing is ever fetched.
//!
//! Formats are asserted, not just annotated: the JSON Schema ones
//! (`date-time`, `uri`, `email`, ...) and OpenAPI's own (`int32`, `int64`,
//! `float`, `double`, `byte`, `binary`, `password`). Unknown formats
//! (`snowflake`, `unixtime`) are annotations, as JSON Schema says.
//!
//! ```
//! use decoy_spec::Spec;
//! use decoy_validate::Validators;
//! use serde_json::json;
//!
//! let spec = Spec::parse(r#"
//! openapi: 3.1.0
//! info: {title: T, version: "1"}
//! components:
//!   schemas:
//!     Pet:
//!       type: object
//!       required: [id, name]
//!       properties:
//!         id: {type: integer, format: int32}
//!         name: {type: string, minLength: 1}
//! "#, "pets.yaml")?;
//! let validators = Validators::new(&spec);
//! let pet = validators.compile("/components/schemas/Pet")?;
//!
//! assert!(pet.validate(&json!({"id": 7, "name": "Rex"})).is_empty());
//!
//! // Every violation, not just the first, each pointing into the instance
//! // and into the document.
//! let violations = pet.validate(&json!({"id": 3000000000u64, "name": ""}));
//! assert_eq!(violations.len(), 2);
//! assert_eq!(violations[0].instance_pointer, "/id");
//! assert_eq!(violations[0].keyword, "format");
//! assert_eq!(violations[0].schema_pointer, "/components/schemas/Pet/properties/id/format");
//! assert_eq!(violations[1].keyword, "minLength");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use decoy_spec::{Problem, Spec, pointer};
use jsonschema::{Keyword, ValidationError, paths::Location};
use serde_json::{Map, Value};

/// The base URI the document is registered under.
const DOC_URI: &str = "urn:decoy:doc";

/// The keyword the loader adds next to numeric `format`s, since jsonschema's
/// `format` only looks at strings.
const RANGE_KEYWORD: &str = decoy_spec::NUMERIC_FORMAT_KEYWORD;

/// Why a validator could not be built.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// There is no value at the pointer.
    #[error("{pointer}: no schema at this location")]
    NoSchema {
        /// The pointer asked for.
        pointer: String,
    },
    /// The schema is not valid JSON Schema, has a regex the engine cannot
    /// compile, or a reference that cannot be resolved.
    #[error("{pointer}: cannot compile the schema: {message}")]
    Compile {
        /// The schema's pointer.
        pointer: String,
        /// Where inside the schema, and what is wrong.
        message: String,
    },
}

/// One way an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the validated instance (`""` for the root).
    pub instance_pointer: String,
    /// JSON pointer into the document, to the keyword that failed.
    pub schema_pointer: String,
    /// The keyword that failed (`type`, `required`, `format`, ...).
    pub keyword: String,
    /// What went wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_pointer.is_empty() {
            "(root)"
        } else {
            &self.instance_pointer
        };
        write!(
            f,
            "{at}: {} [{} at {}]",
            self.message, self.keyword, self.schema_pointer
        )
    }
}

/// A compiled validator for one schema of the document.
#[derive(Clone)]
pub struct Validator {
    inner: Arc<jsonschema::Validator>,
    pointer: String,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("pointer", &self.pointer)
            .finish_non_exhaustive()
    }
}

impl Validator {
    /// The pointer of the schema this validator checks.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// Whether the instance is valid (faster than [`Validator::validate`]).
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.inner.is_valid(instance)
    }

    /// Every violation, in the order jsonschema finds them. Empty: valid.
    pub fn validate(&self, instance: &Value) -> Vec<Violation> {
        self.inner
            .iter_errors(instance)
            .map(|e| {
                let keyword = e.kind().keyword().to_owned();
                let mut schema_pointer = match e.absolute_keyword_location() {
                    Some(uri) => uri
                        .as_str()
                        .split_once('#')
                        .and_then(|(_, f)| pointer::from_ref(&format!("#{f}")))
                        .unwrap_or_default(),
                    None => format!(
                        "{}{}",
                        self.pointer,
                        strip_root_ref(e.schema_path().as_str())
                    ),
                };
                let (keyword, message) = if keyword == RANGE_KEYWORD {
                    // Report our range check as the `format` it stands for.
                    schema_pointer = replace_last(&schema_pointer, "format");
                    ("format".to_owned(), bounded_message(&e))
                } else {
                    (keyword, bounded_message(&e))
                };
                Violation {
                    instance_pointer: e.instance_path().as_str().to_owned(),
                    schema_pointer,
                    keyword,
                    message,
                }
            })
            .collect()
    }
}

/// Longest violation message, in bytes: a message quotes the instance, and
/// a 10 MB instance must not become a 10 MB message.
const MAX_MESSAGE: usize = 1000;

/// `e` as text, formatting stopped (and marked `…`) past [`MAX_MESSAGE`]
/// bytes, so the cost stays bounded whatever the instance's size.
fn bounded_message(e: &ValidationError<'_>) -> String {
    struct Bounded(String);
    impl std::fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let room = MAX_MESSAGE.saturating_sub(self.0.len());
            if s.len() <= room {
                self.0.push_str(s);
                return Ok(());
            }
            let mut end = room;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.0.push_str(&s[..end]);
            Err(std::fmt::Error)
        }
    }
    let mut out = Bounded(String::new());
    if std::fmt::write(&mut out, format_args!("{e}")).is_err() {
        out.0.push('…');
    }
    out.0
}

fn strip_root_ref(path: &str) -> &str {
    path.strip_prefix("/$ref").unwrap_or(path)
}

fn replace_last(pointer: &str, token: &str) -> String {
    match pointer.rfind('/') {
        Some(i) => format!("{}/{token}", &pointer[..i]),
        None => format!("/{token}"),
    }
}

/// Validators for a document: build with [`Validators::new`], compile any
/// schema by pointer, or all the operations' schemas at once with
/// [`Validators::compile_operations`].
///
/// One registry over the document is prepared, on first use, and every
/// validator is compiled against it. Results are cached by pointer, failures
/// included: a schema that does not compile is tried once, not on every
/// request that needs it.
pub struct Validators {
    doc: Arc<Value>,
    registry: OnceLock<Result<jsonschema::Registry<'static>, String>>,
    cache: Mutex<HashMap<String, Result<Validator, ValidateError>>>,
    /// How many schemas were compiled (tests check that nothing is twice).
    builds: AtomicUsize,
}

impl fmt::Debug for Validators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validators").finish_non_exhaustive()
    }
}

impl Validators {
    /// Prepares to compile validators for the document. Cheap: the registry
    /// is prepared on the first compile, and each schema when first asked for.
    pub fn new(spec: &Spec) -> Validators {
        Validators {
            doc: spec.shared_document(),
            registry: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
            builds: AtomicUsize::new(0),
        }
    }

    /// Compiles (or returns the cached) validator for the schema at `pointer`.
    pub fn compile(&self, pointer_to_schema: &str) -> Result<Validator, ValidateError> {
        self.compile_many(&[pointer_to_schema])
            .pop()
            .expect("one in, one out")
    }

    /// Compiles several schemas (each at most once in the life of `self`).
    pub fn compile_many(&self, pointers: &[&str]) -> Vec<Result<Validator, ValidateError>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let mut options = None;
        pointers
            .iter()
            .map(|&p| {
                if let Some(known) = cache.get(p) {
                    return known.clone();
                }
                let compiled = self.build(p, &mut options);
                cache.insert(p.to_owned(), compiled.clone());
                compiled
            })
            .collect()
    }

    /// The document's registry, prepared once.
    fn registry(&self) -> Result<&jsonschema::Registry<'static>, &str> {
        self.registry
            .get_or_init(|| {
                jsonschema::Registry::new()
                    .draft(jsonschema::Draft::Draft202012)
                    .add(DOC_URI, Arc::clone(&self.doc))
                    .and_then(|b| b.prepare())
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Compiles one schema; `options` is made on first need and reused.
    fn build<'s>(
        &'s self,
        p: &str,
        options: &mut Option<jsonschema::ValidationOptions<'s>>,
    ) -> Result<Validator, ValidateError> {
        let failed = |message: String| ValidateError::Compile {
            pointer: p.to_owned(),
            message,
        };
        self.builds.fetch_add(1, Ordering::Relaxed);
        if self.doc.pointer(p).is_none() {
            return Err(ValidateError::NoSchema {
                pointer: p.to_owned(),
            });
        }
        let options = match options {
            Some(o) => o,
            None => options.insert(self::options(
                self.registry().map_err(|m| failed(m.to_owned()))?,
            )),
        };
        let root = serde_json::json!({ "$ref": format!("{DOC_URI}#{}", pointer::to_fragment(p)) });
        let inner = options
            .build(&root)
            .map_err(|e| failed(compile_message(&e)))?;
        Ok(Validator {
            inner: Arc::new(inner),
            pointer: p.to_owned(),
        })
    }

    /// Compiles the schema of every parameter, request body, response body
    /// and response header of every operation. Returns the problems: one per
    /// schema that cannot be compiled, with its pointer.
    pub fn compile_operations(&self, spec: &Spec) -> Vec<Problem> {
        self.compile_pointers(&operation_schemas(spec))
    }

    /// Like [`Validators::compile_operations`], plus every component schema
    /// (a linter wants to hear about schemas no operation uses yet).
    pub fn compile_all(&self, spec: &Spec) -> Vec<Problem> {
        let mut pointers = operation_schemas(spec);
        pointers.extend(
            spec.schema_names()
                .map(|n| pointer::push("/components/schemas", n)),
        );
        self.compile_pointers(&pointers)
    }

    /// Compiles each schema not compiled yet and keeps only the failures:
    /// a linter compiles every schema of a document once, and holding all
    /// of them at once would take many times the document's memory.
    fn compile_pointers(&self, pointers: &[String]) -> Vec<Problem> {
        let mut options = None;
        let mut failures = Vec::new();
        for p in pointers {
            let known = self
                .cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(p.as_str())
                .cloned();
            let result = match known {
                Some(r) => r,
                None => {
                    let r = self.build(p, &mut options);
                    if r.is_err() {
                        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                        cache.insert(p.clone(), r.clone());
                    }
                    r
                }
            };
            if let Err(e) = result {
                failures.push(e);
            }
        }
        failures
            .into_iter()
            .map(|e| match e {
                ValidateError::Compile { pointer, message } => {
                    Problem::error(pointer, format!("cannot compile the schema: {message}"))
                }
                ValidateError::NoSchema { pointer } => {
                    Problem::error(pointer, "no schema at this location")
                }
            })
            .collect()
    }
}

/// Pointers to every schema an operation uses, in document order, deduplicated.
pub fn operation_schemas(spec: &Spec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |p: &Option<String>| {
        if let Some(p) = p
            && seen.insert(p.clone())
        {
            out.push(p.clone());
        }
    };
    for op in spec.operations() {
        for p in &op.parameters {
            push(&p.schema);
        }
        if let Some(rb) = &op.request_body {
            for mt in &rb.content {
                push(&mt.schema);
            }
        }
        for r in &op.responses {
            for mt in &r.content {
                push(&mt.schema);
            }
            for h in &r.headers {
                push(&h.schema);
            }
        }
    }
    out
}

fn compile_message(e: &ValidationError<'_>) -> String {
    let at = e.instance_path().as_str();
    if at.is_empty() {
        e.to_string()
    } else {
        format!("at {at}: {e}")
    }
}

fn options<'r>(registry: &'r jsonschema::Registry<'r>) -> jsonschema::ValidationOptions<'r> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_registry(registry)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .with_format("byte", is_base64)
        .with_format("binary", |_: &str| true)
        .with_format("password", |_: &str| true)
        .with_keyword(RANGE_KEYWORD, numeric_format_factory)
}

/// Standard base64 (with padding), as OpenAPI's `byte` format says.
fn is_base64(s: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

struct NumericFormat {
    format: &'static str,
}

impl NumericFormat {
    fn check(&self, instance: &Value) -> bool {
        let Value::Number(n) = instance else {
            return true;
        };
        match self.format {
            "int32" => integer_within(n, i32::MIN.into(), i32::MAX.into()),
            "int64" => integer_within(n, i64::MIN.into(), i64::MAX.into()),
            "float" => n.as_f64().is_some_and(|f| f.abs() <= f64::from(f32::MAX)),
            _ => true,
        }
    }
}

/// Whether an integral number lies in `lo..=hi`. `1000.0` is the integer
/// 1000 in JSON Schema; non-integral numbers are `type`'s business, not the
/// integer formats'.
fn integer_within(n: &serde_json::Number, lo: i128, hi: i128) -> bool {
    if let Some(i) = n.as_i64() {
        return (lo..=hi).contains(&i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return i128::from(u) <= hi;
    }
    n.as_f64()
        .is_none_or(|f| f.fract() != 0.0 || (f >= lo as f64 && f <= hi as f64))
}

impl<'i> Keyword<'i> for NumericFormat {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.check(instance) {
            Ok(())
        } else {
            Err(ValidationError::custom(format!(
                "{instance} is out of the range of format \"{}\"",
                self.format
            )))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.check(instance)
    }
}

fn numeric_format_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let format = match value.as_str() {
        Some("int32") => "int32",
        Some("int64") => "int64",
        Some("float") => "float",
        _ => "double",
    };
    Ok(Box::new(NumericFormat { format }))
}

/// Checks every example in the document against its schema: the named and
/// lone examples of each operation's media types, and the `examples` of every
/// component schema (3.0's `example` was lowered into them). One problem per
/// failing example, at the example's pointer, naming the first violation.
pub fn check_examples(spec: &Spec, validators: &Validators) -> (usize, Vec<Problem>) {
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut check = |schema: &str, example: &str, value: &Value| {
        checked += 1;
        // A schema that does not compile is reported by `compile_all`.
        let Ok(v) = validators.compile(schema) else {
            return;
        };
        let violations = v.validate(value);
        if let Some(first) = violations.first() {
            let more = match violations.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            problems.push(Problem::error(
                example,
                format!("example does not match its schema: {first}{more}"),
            ));
        }
    };
    let mut seen = std::collections::HashSet::new();
    for op in spec.operations() {
        let bodies = op.request_body.iter().flat_map(|rb| rb.content.iter());
        let responses = op.responses.iter().flat_map(|r| r.content.iter());
        for mt in bodies.chain(responses) {
            let (Some(schema), true) = (&mt.schema, mt.is_json()) else {
                continue;
            };
            for ex in &mt.examples {
                let Some(value_ptr) = &ex.value else { continue };
                if !seen.insert(value_ptr.clone()) {
                    continue;
                }
                if let Some(value) = spec.get(value_ptr) {
                    check(schema, value_ptr, value);
                }
            }
        }
    }
    if let Some(schemas) = spec.get("/components/schemas").and_then(Value::as_object) {
        for name in schemas.keys() {
            let ptr = pointer::push("/components/schemas", name);
            if let Some(Value::Array(examples)) = spec.get(&ptr).and_then(|s| s.get("examples")) {
                for (i, ex) in examples.iter().enumerate() {
                    check(&ptr, &format!("{ptr}/examples/{i}"), ex);
                }
            }
        }
    }
    (checked, problems)
}

#[cfg(test)]
mod tests;
