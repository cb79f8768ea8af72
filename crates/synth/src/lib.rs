//! Seeded, realistic, always-valid JSON values from OpenAPI / JSON Schema.
//!
//! `decoy-synth` turns a schema into values: the mock's responses, the
//! conformance runner's requests, and `decoy fake` fixtures all come from it.
//! Values
//!
//! 1. **validate** against the schema they came from (every keyword of JSON
//!    Schema 2020-12 that OpenAPI documents use, `$ref` cycles included);
//! 2. **look real**: the schema decides first (type, format, pattern, enum,
//!    bounds), then the property name (`created_at` is a recent date-time,
//!    `email` an email, `summary` a sentence) or Prism's `x-faker`;
//! 3. **agree with each other** inside one generated value (ordered
//!    timestamps, counters, shared ids; see the extensions below);
//! 4. are **reproducible**: the same seed gives the same value, and nothing
//!    reads the clock or a global RNG.
//!
//! # Tutorial
//!
//! A [`Generator`] holds the whole document (with schemas already lowered to
//! JSON Schema 2020-12, as `decoy-spec` gives it). Ask it for a [`Plan`] of a
//! schema by JSON pointer; the plan is compiled once (references followed,
//! `allOf` merged, patterns parsed) and then generates values by seed.
//!
//! ```
//! use decoy_synth::{Generator, Options};
//! use serde_json::json;
//!
//! let spec = decoy_spec::Spec::parse(r#"
//! openapi: 3.1.0
//! info: {title: Calls, version: "1"}
//! components:
//!   schemas:
//!     Call:
//!       type: object
//!       required: [id, status, created_at, tags]
//!       additionalProperties: false
//!       properties:
//!         id: {type: string, x-decoy-id-prefix: call_}
//!         status: {enum: [queued, ringing, ended]}
//!         created_at: {type: string, format: date-time}
//!         ended_at: {type: [string, "null"], format: date-time}
//!         duration_seconds:
//!           type: [integer, "null"]
//!           x-decoy-duration: {from: created_at, to: ended_at}
//!         tags: {type: array, items: {type: string}, maxItems: 3}
//!         resource_uri: {type: string, x-decoy-template: "/v1/calls/{id}"}
//! "#, "calls.yaml").expect("the document loads");
//! let document = spec.document().clone();
//!
//! let generator = Generator::new(document, Options::default().full(true));
//! let plan = generator.plan("#/components/schemas/Call")?;
//!
//! // Same seed, same value.
//! let call = plan.generate(42)?;
//! assert_eq!(call, plan.generate(42)?);
//! assert!(call["id"].as_str().unwrap().starts_with("call_"));
//! assert_eq!(call["resource_uri"], format!("/v1/calls/{}", call["id"].as_str().unwrap()));
//!
//! // Pin a value (the mock pins the id from the request path); templates follow.
//! let pinned = plan.generate_with(42, &[("id", json!("call_abc"))])?;
//! assert_eq!(pinned["resource_uri"], "/v1/calls/call_abc");
//!
//! // A stream of records for fixtures: record i uses `record_seed(seed, i)`.
//! let records: Vec<_> = plan.stream(7).take(3).collect::<Result<_, _>>()?;
//! assert_eq!(records.len(), 3);
//!
//! // Negative testing: one named constraint broken.
//! let bad = plan.generate_invalid(42)?.expect("this schema can be broken");
//! println!("{} at {:?}: {}", bad.kind, bad.instance_pointer, bad.value);
//! # Ok::<(), decoy_synth::SynthError>(())
//! ```
//!
//! Inline schemas work too ([`Generator::generate_value`]); their `$ref`s
//! point into the generator's document.
//!
//! # Property tests
//!
//! [`Plan::strategy`] is a proptest `Strategy` of valid values, and
//! [`Plan::invalid_strategy`] one of labelled invalid values. Shrinking
//! re-generates from the same seed at increasing simplicity (optional
//! properties dropped, arrays at their minimum, simplest scalars), so a shrunk
//! value is still valid.
//!
//! # Extensions
//!
//! | keyword | on | effect |
//! |---|---|---|
//! | `x-decoy-shared: KEY` | a property schema | every property with the same KEY in one generated value gets the value generated at its first use |
//! | `x-decoy-timeline: [a, b, c]` | an object schema | those date-time properties do not decrease in that order (nulls skipped); each follows the previous by a realistic gap |
//! | `x-decoy-duration: {from: a, to: b, unit: seconds\|milliseconds}` | a number/integer property | equals the span between sibling timestamps `a` and `b`; null when an end is null and null is allowed |
//! | `x-decoy-counter: true` | an integer property of array items | counts 0, 1, 2, ... with the item index (from `minimum` when that is above 0) |
//! | `x-decoy-template: "/v1/calls/{id}"` | a string property | built from the root object's property values |
//! | `x-decoy-id-prefix: "call_"` | a string property | `<prefix><16 base62 chars>` |
//! | `x-faker: "person.firstName"` | any schema | Prism's extension: the faker.js method names (`person.*`, `name.*`, `internet.*`, `phone.*`, `lorem.*`, `location.*`/`address.*`, `company.*`, `date.*`, `string.uuid`/`random.uuid`, ...) |
//!
//! Without extensions, general rules apply: date-time properties of one object
//! named like a lifecycle (`created*` ≤ `started*` ≤ `updated*` ≤
//! `ended*`/`completed*`) are ordered; an integer property named `index` in
//! array items counts; properties with the same `*_id` name in one value share
//! their value ([`Options::share_ids`]). Every rule yields to the schema: a
//! value it proposes is used only if it validates.
//!
//! `if`/`then`/`else` is chosen first, as two branches (so a status decides
//! its dependent fields), free text speaks the document's vocabulary (the
//! examples it gives that property, or same-named ones), and a value depends
//! on the seed and its place in the schema only: adding, removing or
//! reordering other properties leaves it unchanged. [`Profile::Edge`] aims
//! for schema-valid extremes instead.
//!
//! # Guarantees and limits
//!
//! Unsatisfiable schemas (contradictory `allOf` types, `minimum` > `maximum`,
//! `minLength` > `maxLength`, an enum none of whose members fit, `not: {}`,
//! a required property that cannot exist) are reported when the plan is built,
//! as [`SynthError::Unsatisfiable`] with the pointer at fault. Generation
//! never hangs: recursion, retries, regex search and `oneOf` exclusivity all
//! have bounded budgets, after which [`SynthError::CannotGenerate`] names the
//! pointer.

#![warn(missing_docs)]

mod analyze;
mod check;
mod coherence;
mod compile;
mod draw;
mod error;
mod format;
mod invalid;
mod ir;
pub mod json;
mod merge;
mod names;
mod pointer;
mod produce;
mod realism;
mod regex_gen;
mod states;
mod strategy;
pub mod time;
mod tree;
mod vocabulary;

use std::sync::{Arc, OnceLock, RwLock};

use serde_json::Value;

pub use crate::error::SynthError;
pub use crate::invalid::{Invalid, InvalidKind};
pub use crate::strategy::{InvalidStrategy, InvalidValueTree, SchemaValueTree, ValueStrategy};
pub use crate::tree::Tree;

use crate::ir::{Arena, NodeId};
use crate::produce::{Ctx, Simplicity};
use crate::realism::Hint;
use crate::vocabulary::Vocabulary;

/// The RNG behind every value: small, fast, and the same on every platform.
pub(crate) type Rng = rand::rngs::Xoshiro256PlusPlus;

/// Which side of an exchange a value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Direction {
    /// A response body: optional `writeOnly` properties are left out.
    #[default]
    Response,
    /// A request body or parameter: optional `readOnly` properties are left out.
    Request,
}

/// Which values to aim for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// Values a person believes: realistic, coherent.
    #[default]
    Realistic,
    /// Schema-valid extremes, for frontends: every optional property,
    /// arrays empty or at their longest, free text at its longest in
    /// non-ASCII and right-to-left scripts, every nullable field null,
    /// numbers at their largest. Seeded and stable like the rest.
    Edge,
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "realistic" => Ok(Profile::Realistic),
            "edge" => Ok(Profile::Edge),
            other => Err(format!(
                "unknown profile {other:?} (expected `realistic` or `edge`)"
            )),
        }
    }
}

/// How values are generated. Build with [`Options::default`] and the
/// chainable setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Response or request (see [`Direction`]).
    pub direction: Direction,
    /// Include every optional property (still honouring `maxProperties`).
    pub full: bool,
    /// Probability that an optional property is present when not `full`.
    pub optional_probability: f64,
    /// Use the schema's `examples`/`example`/`default` when present.
    pub examples: bool,
    /// Container depth past which optional parts are left out, arrays kept
    /// at their minimum and nullable branches preferred.
    pub max_depth: u32,
    /// End of the window recent date-times fall in, in Unix seconds
    /// (default 2026-11-01T00:00:00Z). A fixed anchor keeps output
    /// reproducible.
    pub anchor: i64,
    /// Length of that window, in days (default 300).
    pub window_days: u32,
    /// Values generated per root before every part is kept minimal (guards
    /// against explosive schemas).
    pub value_budget: u32,
    /// Give properties with the same `*_id` name one value per root.
    pub share_ids: bool,
    /// Most schema nodes one plan may compile.
    pub max_nodes: usize,
    /// Realistic values, or extremes (see [`Profile`]).
    pub profile: Profile,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            direction: Direction::Response,
            full: false,
            optional_probability: 0.75,
            examples: false,
            max_depth: 8,
            anchor: 1_793_491_200,
            window_days: 300,
            value_budget: 1_500,
            share_ids: true,
            max_nodes: 250_000,
            profile: Profile::Realistic,
        }
    }
}

impl Options {
    /// Sets [`Options::direction`].
    #[must_use]
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }
    /// Sets [`Options::full`].
    #[must_use]
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }
    /// Sets [`Options::examples`].
    #[must_use]
    pub fn examples(mut self, examples: bool) -> Self {
        self.examples = examples;
        self
    }
    /// Sets [`Options::profile`]; [`Profile::Edge`] also includes every
    /// optional property.
    #[must_use]
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }
    /// Sets [`Options::max_depth`].
    #[must_use]
    pub fn max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }
    /// Sets [`Options::anchor`] (Unix seconds).
    #[must_use]
    pub fn anchor(mut self, anchor: i64) -> Self {
        self.anchor = anchor;
        self
    }
    /// Sets [`Options::optional_probability`] (clamped to 0..=1).
    #[must_use]
    pub fn optional_probability(mut self, p: f64) -> Self {
        self.optional_probability = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self
    }
}

struct Inner {
    document: Arc<Value>,
    inline: Option<Value>,
    options: Options,
    arena: RwLock<Arena>,
    /// The document's example strings by property name, read on first use.
    vocabulary: Arc<OnceLock<Vocabulary>>,
}

impl Inner {
    fn new(document: Arc<Value>, inline: Option<Value>, options: Options) -> Inner {
        Inner {
            document,
            inline,
            options,
            arena: RwLock::new(Arena::default()),
            vocabulary: Arc::default(),
        }
    }

    fn vocabulary(&self) -> &Vocabulary {
        self.vocabulary
            .get_or_init(|| Vocabulary::of(&self.document))
    }

    fn plan(self: &Arc<Self>, ptr: &str) -> Result<Plan, SynthError> {
        {
            let arena = self.arena.read().unwrap_or_else(|e| e.into_inner());
            if let Some(&root) = arena.roots.get(ptr) {
                return Plan::checked(self.clone(), &arena, root, ptr);
            }
        }
        let mut arena = self.arena.write().unwrap_or_else(|e| e.into_inner());
        let root = match arena.roots.get(ptr) {
            Some(&root) => root,
            None => {
                let compiler = compile::Compiler::new(
                    &self.document,
                    self.inline.as_ref(),
                    &mut arena,
                    self.options.max_nodes,
                );
                let root = compiler.compile_root(ptr)?;
                arena.roots.insert(ptr.into(), root);
                root
            }
        };
        Plan::checked(self.clone(), &arena, root, ptr)
    }
}

/// A document and the options to generate from it. Cheap to clone (shared),
/// `Send + Sync`, and caches every plan it compiles.
#[derive(Clone)]
pub struct Generator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// A generator over `document` (the whole OpenAPI document, or any JSON
    /// value schemas live in).
    pub fn new(document: impl Into<Arc<Value>>, options: Options) -> Generator {
        Generator {
            inner: Arc::new(Inner::new(document.into(), None, options)),
        }
    }

    /// The options values are generated with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The document.
    pub fn document(&self) -> &Value {
        &self.inner.document
    }

    /// The plan of the schema at `pointer` (`#/components/schemas/Pet` or
    /// `/components/schemas/Pet`; `$ref`-style percent-encoding is decoded).
    /// Compiled on first use, then cached.
    ///
    /// # Errors
    ///
    /// [`SynthError::NoSchema`] when nothing is there,
    /// [`SynthError::Unsatisfiable`] when no value can satisfy the schema,
    /// [`SynthError::TooComplex`] past [`Options::max_nodes`].
    pub fn plan(&self, pointer: &str) -> Result<Plan, SynthError> {
        self.inner.plan(&pointer::user_pointer(pointer))
    }

    /// A plan for an inline schema; its `$ref`s resolve in the document.
    /// Not cached: keep the plan to generate many values.
    ///
    /// # Errors
    ///
    /// As [`Generator::plan`].
    pub fn plan_value(&self, schema: &Value) -> Result<Plan, SynthError> {
        let mut inner = Inner::new(
            self.inner.document.clone(),
            Some(schema.clone()),
            self.inner.options.clone(),
        );
        inner.vocabulary = self.inner.vocabulary.clone();
        Arc::new(inner).plan("~")
    }

    /// One value of the schema at `pointer`, from `seed`.
    ///
    /// # Errors
    ///
    /// As [`Generator::plan`] and [`Plan::generate`].
    pub fn generate(&self, pointer: &str, seed: u64) -> Result<Value, SynthError> {
        self.plan(pointer)?.generate(seed)
    }

    /// One value of an inline schema, from `seed`.
    ///
    /// # Errors
    ///
    /// As [`Generator::plan_value`] and [`Plan::generate`].
    pub fn generate_value(&self, schema: &Value, seed: u64) -> Result<Value, SynthError> {
        self.plan_value(schema)?.generate(seed)
    }

    /// A value of the schema at `pointer` with one constraint broken, or
    /// `None` when the schema constrains nothing that can be broken.
    ///
    /// # Errors
    ///
    /// As [`Generator::plan`] and [`Plan::generate`].
    pub fn generate_invalid(
        &self,
        pointer: &str,
        seed: u64,
    ) -> Result<Option<Invalid>, SynthError> {
        self.plan(pointer)?.generate_invalid(seed)
    }
}

/// A compiled schema, ready to generate values by seed. Cheap to clone.
#[derive(Clone)]
pub struct Plan {
    inner: Arc<Inner>,
    root: NodeId,
    pointer: Arc<str>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("pointer", &self.pointer())
            .finish()
    }
}

impl Plan {
    fn checked(
        inner: Arc<Inner>,
        arena: &Arena,
        root: NodeId,
        ptr: &str,
    ) -> Result<Plan, SynthError> {
        if arena.node(root).sat.is_empty() {
            let (pointer, reason) = analyze::explain(arena, root);
            return Err(SynthError::Unsatisfiable { pointer, reason });
        }
        Ok(Plan {
            inner,
            root,
            pointer: pointer::display_pointer(ptr).into(),
        })
    }

    /// The selectors the root's state is chosen by, if it is chosen first.
    #[cfg(test)]
    pub(crate) fn selectors(&self) -> Option<Vec<String>> {
        let arena = self.inner.arena.read().unwrap_or_else(|e| e.into_inner());
        let states = arena.node(self.root).choice.as_ref()?.states.as_ref()?;
        Some(
            states
                .selectors
                .iter()
                .map(|s| s.name.to_string())
                .collect(),
        )
    }

    /// Where the schema lives (`#/components/schemas/Pet`, or `(inline)`).
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    pub(crate) fn generate_at(
        &self,
        seed: u64,
        simplicity: Simplicity,
        full: bool,
        overrides: &[(&str, Value)],
    ) -> Result<Value, SynthError> {
        self.with_tree(seed, simplicity, full, overrides, |tree| tree.into_value())
    }

    /// Generates the tree for `seed` and hands it to `f`; the generator's
    /// compiled plans stay locked for reading meanwhile (the tree borrows
    /// from them).
    fn with_tree<R>(
        &self,
        seed: u64,
        simplicity: Simplicity,
        full: bool,
        overrides: &[(&str, Value)],
        f: impl FnOnce(Tree<'_>) -> R,
    ) -> Result<R, SynthError> {
        let arena = self.inner.arena.read().unwrap_or_else(|e| e.into_inner());
        let mut ctx = Ctx::new(
            &arena,
            &self.inner.options,
            self.inner.vocabulary(),
            seed,
            simplicity,
            full,
            overrides,
        );
        ctx.root(self.root, Hint::None).map(f).map_err(|e| *e)
    }

    pub(crate) fn invalid_at(
        &self,
        seed: u64,
        simplicity: Simplicity,
        kind: Option<InvalidKind>,
    ) -> Result<Option<Invalid>, SynthError> {
        // A full value has every optional part, hence every breakable site.
        let full = simplicity.0 == 0;
        let valid = self.generate_at(seed, simplicity, full, &[])?;
        let arena = self.inner.arena.read().unwrap_or_else(|e| e.into_inner());
        let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(record_seed(seed, 1));
        Ok(invalid::break_one(
            &arena, self.root, &valid, kind, &mut rng,
        ))
    }

    /// One value from `seed`: the same seed always gives the same value.
    ///
    /// # Errors
    ///
    /// [`SynthError::CannotGenerate`] when the bounded search gives up (a
    /// `oneOf` whose branches overlap, a `pattern` no candidate matched, ...).
    pub fn generate(&self, seed: u64) -> Result<Value, SynthError> {
        self.generate_at(seed, Simplicity(0), false, &[])
    }

    /// Appends the value [`Plan::generate`] gives for `seed` to `out`, as
    /// compact JSON (the bytes `serde_json::to_writer` writes for it), without
    /// building a `serde_json::Value` on the way: the fast path for fixtures.
    ///
    /// # Errors
    ///
    /// As [`Plan::generate`]; `out` is left as it was on error.
    pub fn write_json(&self, seed: u64, out: &mut Vec<u8>) -> Result<(), SynthError> {
        self.with_tree(seed, Simplicity(0), false, &[], |tree| {
            tree::write_json(&tree, out);
        })
    }

    /// One value from `seed`, with the root object's properties named in
    /// `overrides` pinned to the given values (used as given, not checked).
    /// `x-decoy-template`s and `x-decoy-shared` keys follow the pins.
    ///
    /// # Errors
    ///
    /// As [`Plan::generate`].
    pub fn generate_with(
        &self,
        seed: u64,
        overrides: &[(&str, Value)],
    ) -> Result<Value, SynthError> {
        self.generate_at(seed, Simplicity(0), false, overrides)
    }

    /// The value [`Plan::generate_with`] gives, handed to `f` as a [`Tree`]
    /// before it becomes a `serde_json::Value`: a caller that changes a few
    /// fields and writes JSON ([`Tree::write_json`]) skips building and
    /// dropping a `Value` (the mock's fast path for new resources).
    ///
    /// The tree borrows from the plan, so `f` runs while the generator's
    /// compiled plans are locked for reading: `f` must not ask the same
    /// [`Generator`] for a plan or a value (that could wait for itself).
    ///
    /// ```
    /// use decoy_synth::{Generator, Options};
    /// let doc = serde_json::json!({"Pet": {"type": "object", "required": ["id"],
    ///     "properties": {"id": {"type": "integer"}}}});
    /// let plan = Generator::new(doc, Options::default()).plan("/Pet").unwrap();
    /// let json = plan
    ///     .generate_tree(7, &[], |tree| {
    ///         if let Some(id) = tree.member_mut("id") {
    ///             *id = decoy_synth::Tree::leaf(serde_json::json!(42));
    ///         }
    ///         let mut out = Vec::new();
    ///         tree.write_json(&mut out);
    ///         out
    ///     })
    ///     .unwrap();
    /// assert_eq!(json, br#"{"id":42}"#);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Plan::generate`]; `f` is not called then.
    pub fn generate_tree<R>(
        &self,
        seed: u64,
        overrides: &[(&str, Value)],
        f: impl FnOnce(&mut Tree<'_>) -> R,
    ) -> Result<R, SynthError> {
        self.with_tree(seed, Simplicity(0), false, overrides, |mut tree| {
            f(&mut tree)
        })
    }

    /// An endless stream of values: record `i` is generated from
    /// [`record_seed`]`(seed, i)`, so any record can be regenerated alone
    /// and nothing is held in memory.
    pub fn stream(&self, seed: u64) -> Stream {
        Stream {
            plan: self.clone(),
            seed,
            index: 0,
        }
    }

    /// The kinds of constraint some value of this schema can break.
    pub fn invalid_kinds(&self) -> Vec<InvalidKind> {
        let arena = self.inner.arena.read().unwrap_or_else(|e| e.into_inner());
        invalid::kinds(&arena, self.root)
    }

    /// A value with one constraint broken (chosen by `seed`), or `None` when
    /// nothing can be broken.
    ///
    /// # Errors
    ///
    /// As [`Plan::generate`] (for the valid value that gets broken).
    pub fn generate_invalid(&self, seed: u64) -> Result<Option<Invalid>, SynthError> {
        self.invalid_at(seed, Simplicity(0), None)
    }

    /// A value breaking a constraint of `kind`, or `None` when the values
    /// tried have no such constraint to break.
    ///
    /// # Errors
    ///
    /// As [`Plan::generate`].
    pub fn generate_invalid_kind(
        &self,
        kind: InvalidKind,
        seed: u64,
    ) -> Result<Option<Invalid>, SynthError> {
        for attempt in 0..4 {
            let s = if attempt == 0 {
                seed
            } else {
                record_seed(seed, attempt)
            };
            if let Some(found) = self.invalid_at(s, Simplicity(0), Some(kind))? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// A proptest strategy of valid values (shrinking stays valid).
    pub fn strategy(&self) -> ValueStrategy {
        ValueStrategy { plan: self.clone() }
    }

    /// A proptest strategy of labelled invalid values, of `kind` or any.
    pub fn invalid_strategy(&self, kind: Option<InvalidKind>) -> InvalidStrategy {
        InvalidStrategy {
            plan: self.clone(),
            kind,
        }
    }
}

/// The values of [`Plan::stream`].
#[derive(Debug, Clone)]
pub struct Stream {
    plan: Plan,
    seed: u64,
    index: u64,
}

impl Iterator for Stream {
    type Item = Result<Value, SynthError>;

    fn next(&mut self) -> Option<Self::Item> {
        let value = self.plan.generate(record_seed(self.seed, self.index));
        self.index += 1;
        Some(value)
    }
}

/// The seed of record `index` in a stream seeded with `seed`. Stable across
/// versions and platforms.
pub fn record_seed(seed: u64, index: u64) -> u64 {
    decoy_spec::seed::record(seed, index)
}

/// A seed derived from a seed and a key (`"GET /v1/calls/abc"`), for
/// per-resource stability: the same pair always gives the same seed. Stable
/// across versions and platforms.
pub fn derive_seed(seed: u64, key: &str) -> u64 {
    decoy_spec::seed::derive(seed, key)
}

#[cfg(test)]
mod tests;
