//! The compiled schema plan: every schema location reachable from a root,
//! with `$ref` followed and `allOf` merged, as a graph of [`Node`]s.
//!
//! Generation and checking walk this graph, never the JSON document, so no
//! keyword is looked up or parsed twice.

use rustc_hash::FxHashMap;

use decoy_spec::hints::{DurationUnit, SchemaHints};
use serde_json::Value;

use crate::format::Format;
use crate::realism::Hint;
use crate::regex_gen::Pattern;

/// Index of a node in [`Arena::nodes`].
pub(crate) type NodeId = u32;

/// A set of JSON types. `number` is `INTEGER | FRACTION`, so intersecting
/// `number` with `integer` gives `integer`, as JSON Schema means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Types(pub(crate) u8);

impl Types {
    pub(crate) const NONE: Types = Types(0);
    pub(crate) const NULL: Types = Types(1);
    pub(crate) const BOOLEAN: Types = Types(2);
    pub(crate) const INTEGER: Types = Types(4);
    pub(crate) const FRACTION: Types = Types(8);
    pub(crate) const NUMBER: Types = Types(4 | 8);
    pub(crate) const STRING: Types = Types(16);
    pub(crate) const ARRAY: Types = Types(32);
    pub(crate) const OBJECT: Types = Types(64);
    pub(crate) const ALL: Types = Types(127);

    pub(crate) fn from_name(name: &str) -> Types {
        match name {
            "null" => Types::NULL,
            "boolean" => Types::BOOLEAN,
            "integer" => Types::INTEGER,
            "number" => Types::NUMBER,
            "string" => Types::STRING,
            "array" => Types::ARRAY,
            "object" => Types::OBJECT,
            // An unknown type name (`type: enum` in a wild document) allows
            // nothing, exactly as a validator reads it.
            _ => Types::NONE,
        }
    }

    pub(crate) fn of(value: &Value) -> Types {
        match crate::tree::Scalar::of(value) {
            Some(scalar) => scalar.types(),
            None if value.is_array() => Types::ARRAY,
            None => Types::OBJECT,
        }
    }

    pub(crate) fn has(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }
    pub(crate) fn and(self, other: Types) -> Types {
        Types(self.0 & other.0)
    }
    pub(crate) fn or(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }
    pub(crate) fn without(self, other: Types) -> Types {
        Types(self.0 & !other.0)
    }
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The single-type members of the set, in a stable order.
    pub(crate) fn members(self) -> impl Iterator<Item = Types> {
        [
            Types::STRING,
            Types::INTEGER,
            Types::FRACTION,
            Types::OBJECT,
            Types::ARRAY,
            Types::BOOLEAN,
            Types::NULL,
        ]
        .into_iter()
        .filter(move |t| self.has(*t))
    }
}

/// Numeric constraints (`minimum`, `exclusiveMinimum`, ..., `multipleOf`, and
/// the OpenAPI integer formats).
#[derive(Debug, Clone)]
pub(crate) struct NumC {
    pub(crate) min: f64,
    pub(crate) min_excl: bool,
    pub(crate) max: f64,
    pub(crate) max_excl: bool,
    pub(crate) multiple_of: Vec<f64>,
    pub(crate) format: Option<Format>,
}

impl Default for NumC {
    fn default() -> Self {
        NumC {
            min: f64::NEG_INFINITY,
            min_excl: false,
            max: f64::INFINITY,
            max_excl: false,
            multiple_of: Vec::new(),
            format: None,
        }
    }
}

/// String constraints.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrC {
    pub(crate) min_len: u64,
    pub(crate) max_len: Option<u64>,
    /// Indexes into [`Arena::patterns`]; all must match.
    pub(crate) patterns: Vec<u32>,
    /// Known formats; the first drives generation, all are checked.
    pub(crate) formats: Vec<Format>,
}

/// Array constraints.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArrC {
    pub(crate) prefix: Vec<NodeId>,
    /// `None`: items are unconstrained.
    pub(crate) items: Option<NodeId>,
    pub(crate) min: u64,
    pub(crate) max: Option<u64>,
    pub(crate) unique: bool,
    pub(crate) contains: Option<NodeId>,
    /// `contains` merged with `items`, to generate the containing items.
    pub(crate) contains_gen: Option<NodeId>,
    pub(crate) min_contains: u64,
    pub(crate) max_contains: Option<u64>,
    /// `x-decoy-sequence`: items happen one after another in time.
    pub(crate) sequence: bool,
}

/// What `additionalProperties` allows for names no property or pattern covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addl {
    Any,
    Never,
    Schema(NodeId),
}

/// One named property of an object node.
#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub(crate) name: Box<str>,
    /// `seed::hash` of the name: the seed of the property's value is
    /// derived from it on every generation.
    pub(crate) name_hash: u64,
    pub(crate) node: NodeId,
    pub(crate) required: bool,
    /// Realism hint from the name (and the node's own `x-faker`).
    pub(crate) hint: Hint,
    /// An integer that counts array items (`x-decoy-counter`, or named `index`).
    pub(crate) counter: bool,
}

/// How a number property measures the span between two sibling timestamps.
#[derive(Debug, Clone)]
pub(crate) struct DurationRule {
    pub(crate) prop: usize,
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) millis: bool,
}

/// Object constraints.
#[derive(Debug, Clone)]
pub(crate) struct ObjC {
    pub(crate) props: Vec<Prop>,
    /// Property indexes in the order they are generated: by name, so what
    /// one property shares with another (a `*_id`) does not depend on where
    /// the document lists them.
    pub(crate) order: Vec<usize>,
    pub(crate) additional: Addl,
    pub(crate) pattern_props: Vec<(u32, NodeId)>,
    pub(crate) min_props: u64,
    pub(crate) max_props: Option<u64>,
    pub(crate) property_names: Option<NodeId>,
    pub(crate) dependent_required: Vec<(Box<str>, Vec<Box<str>>)>,
    /// Property indexes whose date-times must not decrease, in order.
    pub(crate) timeline: Vec<usize>,
    pub(crate) durations: Vec<DurationRule>,
    /// `x-decoy-template`s of properties: (property index, template).
    pub(crate) templates: Vec<(usize, Box<str>)>,
}

/// Which composition keyword a group came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    OneOf,
    AnyOf,
    /// `if`/`then`/`else`, as two branches.
    If,
}

/// Constraints checked after generation (and by the matcher).
#[derive(Debug, Clone, Default)]
pub(crate) struct Checks {
    /// Raw `oneOf` groups (each branch compiled alone).
    pub(crate) one_of: Vec<Vec<NodeId>>,
    /// Raw `anyOf` groups.
    pub(crate) any_of: Vec<Vec<NodeId>>,
    pub(crate) not: Vec<NodeId>,
    /// `if` / `then` / `else`.
    pub(crate) conditionals: Vec<(NodeId, Option<NodeId>, Option<NodeId>)>,
    /// `oneOf` groups whose exclusivity must be re-checked after generation
    /// (indexes into `one_of`).
    pub(crate) exclusive: Vec<usize>,
    /// Groups not distributed into the choice (too many combinations):
    /// checked after generation, by retry.
    pub(crate) undistributed: bool,
}

/// A distributed `oneOf`/`anyOf`: each branch is the whole node merged with
/// one branch, so generating from a branch satisfies everything else.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub(crate) branches: Vec<NodeId>,
    /// The discriminator property and, per branch, the value that selects it.
    pub(crate) discriminator: Option<(Box<str>, Vec<Option<Value>>)>,
    /// Distributed from `if`/`then`/`else`: the `if` node. Branch 0 is the
    /// `if` with its `then`, branch 1 the `else`.
    pub(crate) condition: Option<NodeId>,
    /// Set by analysis where the state can be chosen first (see `states`).
    pub(crate) states: Option<Box<States>>,
}

/// How to choose the state of an object whose `if`s test only some of its
/// properties (the selectors) against values: draw the selectors, follow
/// each `if` to the one branch they pick, generate it with them pinned.
#[derive(Debug, Clone)]
pub(crate) struct States {
    /// In name order.
    pub(crate) selectors: Vec<Selector>,
}

/// A property an `if` tests, and the values it is drawn from.
#[derive(Debug, Clone)]
pub(crate) struct Selector {
    pub(crate) name: Box<str>,
    /// The property's node in the object being generated.
    pub(crate) node: NodeId,
    pub(crate) hint: Hint,
    /// Drawn uniformly, so each state is as likely as any other. `None`:
    /// whatever the property's schema generates (an open string beside the
    /// values the `if`s name).
    pub(crate) values: Vec<Option<Value>>,
}

/// The `x-decoy-*` and other annotations a generator acts on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub(crate) examples: Vec<Value>,
    pub(crate) read_only: bool,
    pub(crate) write_only: bool,
    pub(crate) faker: Option<Hint>,
    pub(crate) shared: Option<Box<str>>,
    pub(crate) counter: bool,
    pub(crate) id_prefix: Option<Box<str>>,
    /// Component name when the node is `#/components/schemas/NAME`.
    pub(crate) component: Option<Box<str>>,
    /// Set when the schema carries an `x-decoy-duration`: (from, to, millis).
    pub(crate) duration: Option<(Box<str>, Box<str>, bool)>,
    pub(crate) template: Option<Box<str>>,
}

impl Meta {
    /// Takes the document's hints of one merged schema (a later schema of an
    /// `allOf` wins); true when any was set.
    pub(crate) fn add_hints(&mut self, hints: &SchemaHints<'_>) -> bool {
        if let Some(key) = hints.shared {
            self.shared = Some(key.into());
        }
        self.counter |= hints.counter;
        if let Some(prefix) = hints.id_prefix {
            self.id_prefix = Some(prefix.into());
        }
        if let Some(template) = hints.template {
            self.template = Some(template.into());
        }
        if let Some(d) = &hints.duration {
            let millis = d.unit == DurationUnit::Milliseconds;
            self.duration = Some((d.from.into(), d.to.into(), millis));
        }
        hints.shared.is_some()
            || hints.counter
            || hints.id_prefix.is_some()
            || hints.template.is_some()
            || hints.duration.is_some()
    }
}

/// One schema location, merged.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Where the schema lives, for errors.
    pub(crate) ptr: Box<str>,
    pub(crate) types: Types,
    /// When `types` is ALL: the type the keywords suggest (`properties` →
    /// object), so `{properties: ..}` without `type` still yields an object.
    pub(crate) inferred: Types,
    pub(crate) enumeration: Option<Vec<Value>>,
    pub(crate) num: Option<Box<NumC>>,
    pub(crate) string: Option<Box<StrC>>,
    pub(crate) array: Option<Box<ArrC>>,
    pub(crate) object: Option<Box<ObjC>>,
    pub(crate) checks: Option<Box<Checks>>,
    pub(crate) choice: Option<Box<Choice>>,
    pub(crate) meta: Option<Box<Meta>>,
    /// The node's own contradiction, if any.
    pub(crate) never: Option<Box<str>>,
    /// Analysis: the types a value can actually take (empty: unsatisfiable).
    pub(crate) sat: Types,
    /// Analysis: the least container depth a value needs (for depth guards).
    pub(crate) height: u32,
}

impl Node {
    pub(crate) fn new(ptr: Box<str>) -> Node {
        Node {
            ptr,
            types: Types::ALL,
            inferred: Types::NONE,
            enumeration: None,
            num: None,
            string: None,
            array: None,
            object: None,
            checks: None,
            choice: None,
            meta: None,
            never: None,
            sat: Types::NONE,
            height: u32::MAX,
        }
    }

    /// True for `{}`/`true`: no constraint at all.
    pub(crate) fn is_any(&self) -> bool {
        self.types == Types::ALL
            && self.enumeration.is_none()
            && self.num.is_none()
            && self.string.is_none()
            && self.array.is_none()
            && self.object.is_none()
            && self.checks.is_none()
            && self.choice.is_none()
            && self.never.is_none()
    }
}

/// Key of a merged node: the set of schema locations it merges, each with the
/// composition keywords already distributed away (see `compile`).
pub(crate) type Key = Vec<(Box<str>, u8)>;

/// Every node compiled so far for one document.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    pub(crate) nodes: Vec<Node>,
    /// Hashed with FxHash, as the maps below: keyed by pointers and
    /// patterns the document chose, and looked up thousands of times while
    /// a big schema compiles.
    pub(crate) memo: FxHashMap<Key, NodeId>,
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) pattern_memo: FxHashMap<Box<str>, u32>,
    /// Looked up per generated value, by pointers into the document.
    pub(crate) roots: FxHashMap<Box<str>, NodeId>,
}

impl Arena {
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
}
