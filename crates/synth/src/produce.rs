//! Generation: walks the compiled plan with one seeded RNG and builds a value.

use std::borrow::Cow;

use rand::RngExt;
use serde_json::{Map, Number, Value};

use crate::analyze::{self, find_int, int_bounds};
use crate::check::{self, Json, checks_ok};
use crate::format::{self, Format};
use crate::ir::{Addl, Arena, Choice, Node, NodeId, NumC, ObjC, Prop, States, StrC, Types};
use crate::pointer::display_pointer;
use crate::realism::{self, Hint};
use crate::states;
use crate::time;
use crate::tree::{self, Scalar, Tree};
use crate::vocabulary::Vocabulary;
use crate::{Direction, Options, Profile, Rng, SynthError};

/// Nesting past which generation gives up (only a schema forcing endless
/// recursion through required properties can reach it).
const HARD_DEPTH: u32 = 256;

/// The key whose seed, under a property's, draws whether an optional
/// property is included.
const OPTIONAL_KEY: u64 = decoy_spec::seed::hash(b"?");

/// Values of every JSON type, to find one a schema rejects.
const POISON: &[fn() -> Value] = &[
    || Value::from(12_345),
    || Value::from("x"),
    || Value::Bool(true),
    || Value::Array(Vec::new()),
    || Value::Object(Map::new()),
    || Value::Null,
    || Value::from(1.5),
];

/// One step of the path from the root to the value being generated.
#[derive(Debug, Clone)]
pub(crate) enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

/// A key of shared values: an `x-decoy-shared` name, or a property name
/// under the `*_id` rule (kept apart so the two never collide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SharedKey<'a> {
    Declared(&'a str),
    Name(&'a str),
}

/// How simple values should be: proptest shrinking raises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Simplicity(pub(crate) u8);

impl Simplicity {
    /// Optional properties are omitted.
    fn omit_optional(self) -> bool {
        self.0 >= 1
    }
    /// Arrays have their minimum length.
    fn min_arrays(self) -> bool {
        self.0 >= 2
    }
    /// Scalars are the simplest allowed (zero, shortest, null).
    fn min_scalars(self) -> bool {
        self.0 >= 3
    }
}

pub(crate) struct Ctx<'a> {
    pub(crate) arena: &'a Arena,
    opts: &'a Options,
    vocabulary: &'a Vocabulary,
    pub(crate) rng: Rng,
    /// The seed of the place being generated: a property's is derived from
    /// its object's and its name, an item's from its array's and its index,
    /// so a value depends on where it is, not on what was generated first.
    seed: u64,
    simplicity: Simplicity,
    full: bool,
    /// [`Profile::Edge`]: extremes instead of realistic values.
    edge: bool,
    budget: u32,
    shared: Vec<(SharedKey<'a>, Tree<'a>)>,
    path: Vec<Seg<'a>>,
    templates: Vec<(Vec<Seg<'a>>, &'a str, NodeId)>,
    items: Vec<usize>,
    overrides: &'a [(&'a str, Value)],
    /// Properties pinned on the object generated at this depth: the
    /// selectors of a state chosen first (see `states`).
    pins: Option<(u32, Vec<(&'a str, Tree<'a>)>)>,
    /// Property slots of the objects being generated, one region per
    /// object on the stack of nested objects: the region is taken back when
    /// the object is done, so objects allocate no slots of their own.
    slots: Vec<Option<Tree<'a>>>,
    /// Date-times of one root value fall in `[clock - CLUSTER, clock)`: one
    /// call, its transcript and its report happen within the same hour.
    clock: i64,
    /// Inside an object with a timeline: the first and last of its times.
    /// Date-times generated below it fall in there (a call's transcript
    /// happens during the call), and nested timelines end by its end.
    within: Option<(i64, i64)>,
}

/// How far apart the date-times of one generated value may be, in seconds.
const CLUSTER: i64 = 3_600;

type Res = Result<Value, Box<SynthError>>;
/// Boxed errors keep the result as small as a tree node: it is moved up
/// through every level of generation.
type TreeRes<'a> = Result<Tree<'a>, Box<SynthError>>;
type Entries<'a> = Vec<(Cow<'a, str>, Tree<'a>)>;

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        arena: &'a Arena,
        opts: &'a Options,
        vocabulary: &'a Vocabulary,
        seed: u64,
        simplicity: Simplicity,
        full: bool,
        overrides: &'a [(&'a str, Value)],
    ) -> Ctx<'a> {
        Ctx {
            arena,
            opts,
            vocabulary,
            rng: <Rng as rand::SeedableRng>::seed_from_u64(seed),
            seed,
            simplicity,
            full: full || opts.full || opts.profile == Profile::Edge,
            edge: opts.profile == Profile::Edge,
            budget: opts.value_budget,
            // Sized for an ordinary resource, so a body does not grow them.
            shared: Vec::with_capacity(8),
            path: Vec::with_capacity(8),
            templates: Vec::new(),
            items: Vec::new(),
            overrides,
            pins: None,
            slots: Vec::with_capacity(64),
            clock: 0,
            within: None,
        }
        .with_clock()
    }

    fn with_clock(mut self) -> Self {
        let window = (i64::from(self.opts.window_days) * 86_400).max(CLUSTER + 1);
        self.clock = self.opts.anchor - self.rng.random_range(0..=window - CLUSTER);
        self
    }

    /// Generates the root value, then fills `x-decoy-template`s.
    pub(crate) fn root(&mut self, id: NodeId, hint: Hint) -> TreeRes<'a> {
        let mut value = self.value(id, hint, 0)?;
        let templates = std::mem::take(&mut self.templates);
        for (path, template, node) in templates {
            // In a URI, a substituted value is one path segment: a pinned id
            // with a space or `%` must not break the format.
            let uri = self.arena.node(node).string.as_ref().is_some_and(|s| {
                s.formats
                    .iter()
                    .any(|f| matches!(f, Format::Uri | Format::UriReference))
            });
            let Some(text) = fill_template(template, &value, uri) else {
                continue;
            };
            let text = Value::String(text);
            if check::matches(self.arena, node, &text) {
                locate(&mut value, &path, text);
            }
        }
        Ok(value)
    }

    fn unsat(&self, id: NodeId) -> Box<SynthError> {
        let (pointer, reason) = analyze::explain(self.arena, id);
        Box::new(SynthError::Unsatisfiable { pointer, reason })
    }

    fn cannot(&self, node: &Node, attempts: u32, reason: &str) -> Box<SynthError> {
        Box::new(SynthError::CannotGenerate {
            pointer: display_pointer(&node.ptr),
            attempts,
            reason: reason.to_owned(),
        })
    }

    /// `(anchor, window)`: new date-times fall in `[anchor - window, anchor)`.
    fn span(&self) -> (i64, i64) {
        match self.within {
            Some((lo, hi)) => (hi + 1, hi - lo + 1),
            None => (self.clock, CLUSTER),
        }
    }

    /// Moves generation to the place `seed` names (a property, an item):
    /// returns what [`Ctx::leave`] restores.
    fn enter(&mut self, seed: u64) -> (Rng, u64) {
        let rng = <Rng as rand::SeedableRng>::seed_from_u64(seed);
        (
            std::mem::replace(&mut self.rng, rng),
            std::mem::replace(&mut self.seed, seed),
        )
    }

    fn leave(&mut self, (rng, seed): (Rng, u64)) {
        self.rng = rng;
        self.seed = seed;
    }

    /// The seed of property `name` of the object being generated.
    fn prop_seed(&self, name: &str) -> u64 {
        decoy_spec::seed::derive(self.seed, name)
    }

    /// [`Ctx::prop_seed`] of a declared property, whose name was hashed
    /// when the schema was compiled.
    fn declared_seed(&self, p: &Prop) -> u64 {
        decoy_spec::seed::derive_hashed(self.seed, p.name_hash)
    }

    /// True when depth or size says: make this part as small as allowed.
    fn pressed(&self, depth: u32, height: u32) -> bool {
        self.budget == 0 || depth.saturating_add(height) >= self.opts.max_depth
    }

    pub(crate) fn value(&mut self, id: NodeId, hint: Hint, depth: u32) -> TreeRes<'a> {
        let arena = self.arena;
        let node = arena.node(id);
        if node.sat.is_empty() {
            return Err(self.unsat(id));
        }
        if depth > HARD_DEPTH {
            return Err(self.cannot(
                node,
                0,
                "the schema recurses deeper than the generator goes",
            ));
        }
        self.budget = self.budget.saturating_sub(1);
        if self.opts.examples
            && let Some(meta) = &node.meta
            && !meta.examples.is_empty()
        {
            let i = self.rng.random_range(0..meta.examples.len());
            return Ok(Tree::Ref(&meta.examples[i]));
        }
        if let Some(choice) = &node.choice {
            return self.gen_choice(node, choice, hint, depth);
        }
        if let Some(values) = &node.enumeration {
            let i = if self.simplicity.min_scalars() {
                0
            } else {
                self.rng.random_range(0..values.len())
            };
            return Ok(Tree::Ref(&values[i]));
        }
        let attempts = if node.checks.is_some() { 24 } else { 1 };
        for attempt in 0..attempts {
            // Half-way through, leave optional properties out: a `not` or
            // an exclusive `oneOf` is most often met by saying less.
            let saved = self.simplicity;
            if attempt >= attempts / 2 && attempts > 1 {
                self.simplicity = saved.max(Simplicity(1));
            }
            let v = self.gen_typed(id, node, hint, depth);
            self.simplicity = saved;
            let v = v?;
            match &node.checks {
                Some(c) if !checks_ok(arena, c, Json::tree(&v), 0, None) => continue,
                _ => return Ok(v),
            }
        }
        Err(self.cannot(
            node,
            attempts,
            "no candidate satisfied `not`/`if`/`oneOf` together",
        ))
    }

    #[inline(never)]
    fn gen_choice(
        &mut self,
        node: &'a Node,
        choice: &'a Choice,
        hint: Hint,
        depth: u32,
    ) -> TreeRes<'a> {
        let arena = self.arena;
        let branch = |i: usize| arena.node(choice.branches[i]);
        let n = choice.branches.len();
        let Some(min_height) = (0..n)
            .filter(|&i| !branch(i).sat.is_empty())
            .map(|i| branch(i).height)
            .min()
        else {
            return Err(self.unsat(choice.branches[0]));
        };
        let pressed =
            self.pressed(depth, min_height.saturating_add(1)) || self.simplicity.min_scalars();
        if let Some(states) = choice.states.as_deref()
            && !pressed
            && let Some(v) = self.state_first(choice, states, hint, depth)
        {
            return Ok(v);
        }
        // Branches that failed to generate; allocated only on failure.
        let mut excluded: Vec<usize> = Vec::new();
        let eligible = |i: usize, excluded: &[usize]| {
            let b = branch(i);
            !b.sat.is_empty() && (!pressed || b.height == min_height) && !excluded.contains(&i)
        };
        // Null-only branches (`anyOf: [X, {type: null}]`) are picked
        // rarely: a nullable field mostly holds a value.
        let edge = self.edge;
        let weight = |i: usize| match (branch(i).sat == Types::NULL, edge) {
            (true, true) => 1_000u32,
            (true, false) if !pressed => 1,
            _ => 6,
        };
        let mut last_err = None;
        let attempts = 8 * n.min(8) as u32 + 8;
        for attempt in 0..attempts {
            let total: u32 = (0..n).filter(|&i| eligible(i, &excluded)).map(weight).sum();
            if total == 0 {
                break;
            }
            let mut k = self.rng.random_range(0..total);
            let mut index = 0;
            for i in (0..n).filter(|&i| eligible(i, &excluded)) {
                let w = weight(i);
                if k < w {
                    index = i;
                    break;
                }
                k -= w;
            }
            let branch = choice.branches[index];
            let saved = self.simplicity;
            if attempt >= attempts / 2 {
                self.simplicity = saved.max(Simplicity(1));
            }
            let v = self.value(branch, hint, depth);
            self.simplicity = saved;
            let mut v = match v {
                Ok(v) => v,
                Err(e) => {
                    last_err = Some(e);
                    excluded.push(index);
                    continue;
                }
            };
            if let Some((property, values)) = &choice.discriminator
                && let Some(Some(tag)) = values.get(index)
            {
                self.set_discriminator(branch, &mut v, property, tag);
            }
            match &node.checks {
                Some(c) if !checks_ok(arena, c, Json::tree(&v), 0, Some(())) => {
                    // Overlapping `oneOf` branches: make the others reject
                    // the value through properties only they constrain.
                    if let Some(raw) = c.exclusive.first().map(|&g| &c.one_of[g])
                        && self.separate(raw, index, branch, &mut v)
                        && checks_ok(arena, c, Json::tree(&v), 0, Some(()))
                    {
                        return Ok(v);
                    }
                    continue;
                }
                _ => return Ok(v),
            }
        }
        let exhausted = (0..n).all(|i| !eligible(i, &excluded));
        Err(last_err.filter(|_| exhausted).unwrap_or_else(|| {
            self.cannot(
                node,
                attempts,
                "no oneOf branch produced a value that matches exactly one branch",
            )
        }))
    }

    /// Draws the selectors, follows the `if`s to the one branch they pick
    /// and generates it with them pinned. `None`: no draw worked (then the
    /// generic path decides).
    #[inline(never)]
    fn state_first(
        &mut self,
        choice: &'a Choice,
        states: &'a States,
        hint: Hint,
        depth: u32,
    ) -> Option<Tree<'a>> {
        let arena = self.arena;
        for _ in 0..32 {
            let mut drawn: Vec<(&'a str, Tree<'a>)> = Vec::with_capacity(states.selectors.len());
            for s in &states.selectors {
                let pinned = (depth == 0)
                    .then(|| self.overrides.iter().find(|(k, _)| *k == &*s.name))
                    .flatten();
                let v = match pinned {
                    Some((_, v)) => Tree::Ref(v),
                    None => match &s.values[self.rng.random_range(0..s.values.len())] {
                        Some(v) => Tree::Ref(v),
                        None => {
                            self.path.push(Seg::Key(Cow::Borrowed(&s.name)));
                            let place = self.enter(self.prop_seed(&s.name));
                            let v = self.value(s.node, s.hint, depth + 1);
                            self.leave(place);
                            self.path.pop();
                            v.ok()?
                        }
                    },
                };
                drawn.push((&s.name, v));
            }
            let leaf = states::settle(arena, choice, &drawn);
            if !states::admits(arena, leaf, &drawn) {
                continue;
            }
            let outer = self.pins.replace((depth, drawn));
            let v = self.value(leaf, hint, depth);
            let pins = std::mem::replace(&mut self.pins, outer);
            let v = v.ok()?;
            return pins
                .is_some_and(|(_, drawn)| states::kept(&v, &drawn))
                .then_some(v);
        }
        None
    }

    /// The value a chosen state pins on property `name` of the object
    /// generated at `depth`.
    fn pin(&self, name: &str, depth: u32) -> Option<&Tree<'a>> {
        match &self.pins {
            Some((d, pins)) if *d == depth => pins.iter().find(|(k, _)| *k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Adds, for each other branch of `raw` that `v` also matches, a property
    /// that branch constrains and the chosen branch leaves free, with a value
    /// that branch rejects. Returns whether anything was added.
    #[inline(never)]
    fn separate(&self, raw: &[NodeId], chosen: usize, branch: NodeId, v: &mut Tree<'a>) -> bool {
        let arena = self.arena;
        let Some(own) = arena.node(branch).object.as_deref() else {
            return false;
        };
        if own.additional != Addl::Any
            || !own.pattern_props.is_empty()
            || own.property_names.is_some()
        {
            return false;
        }
        if own.max_props.is_some() {
            return false;
        }
        let mut changed = false;
        for (j, &other) in raw.iter().enumerate() {
            if j == chosen || !check::matches_tree(arena, other, v) {
                continue;
            }
            let Some(theirs) = arena.node(other).object.as_deref() else {
                continue;
            };
            let Tree::Object(map) = v else {
                return changed;
            };
            let target = theirs.props.iter().find_map(|p| {
                if tree::contains(map, &p.name) || own.props.iter().any(|q| q.name == p.name) {
                    return None;
                }
                POISON
                    .iter()
                    .map(|make| make())
                    .find(|x| !check::matches(arena, p.node, x))
                    .map(|x| (p.name.clone(), x))
            });
            if let Some((name, poison)) = target {
                map.push((Cow::Owned(name.into()), Tree::leaf(poison)));
                changed = true;
            }
        }
        changed
    }

    /// Gives the discriminator property the mapping key of the chosen
    /// branch, when the branch's own schema accepts it.
    #[inline(never)]
    fn set_discriminator(&self, branch: NodeId, v: &mut Tree<'a>, property: &str, tag: &Value) {
        let Tree::Object(map) = v else { return };
        let node = self.arena.node(branch);
        let fits = match &node.object {
            Some(o) => match o.props.iter().find(|p| &*p.name == property) {
                Some(p) => check::matches(self.arena, p.node, tag),
                None => o.additional == Addl::Any,
            },
            None => true,
        };
        if fits && let Some(slot) = tree::get_mut(map, property) {
            *slot = Tree::leaf(tag.clone());
        }
    }

    fn gen_typed(&mut self, id: NodeId, node: &'a Node, hint: Hint, depth: u32) -> TreeRes<'a> {
        let mut types = node.sat;
        if node.types == Types::ALL
            && !node.inferred.is_empty()
            && !node.inferred.and(types).is_empty()
        {
            types = node.inferred.and(types);
        }
        if types == Types::ALL {
            return Ok(Tree::leaf(self.any_value(hint)));
        }
        let t = self.pick_type(node, types, hint, depth);
        match t {
            Types::NULL => Ok(Tree::Null),
            Types::BOOLEAN => Ok(Tree::Bool(if self.simplicity.min_scalars() {
                false
            } else {
                self.rng.random_bool(0.5)
            })),
            Types::INTEGER | Types::FRACTION => self.gen_number(node, types, hint).map(Tree::leaf),
            Types::STRING => self.gen_string(node, hint),
            Types::ARRAY => self.gen_array(id, node, hint, depth),
            Types::OBJECT => self.gen_object(node, depth),
            _ => Ok(Tree::Null),
        }
    }

    fn pick_type(&mut self, node: &'a Node, types: Types, hint: Hint, depth: u32) -> Types {
        let mut cats = [Types::NONE; 7];
        let mut len = 0;
        for t in types.members() {
            // Integer and fraction are one category: number.
            if t == Types::FRACTION && types.has(Types::INTEGER) {
                continue;
            }
            cats[len] = t;
            len += 1;
        }
        let cats = &cats[..len];
        if len == 1 {
            return cats[0];
        }
        if self.edge && cats.contains(&Types::NULL) {
            return Types::NULL;
        }
        let pressed =
            self.pressed(depth, node.height.saturating_add(1)) || self.simplicity.min_scalars();
        if pressed {
            for t in [
                Types::NULL,
                Types::BOOLEAN,
                Types::INTEGER,
                Types::FRACTION,
                Types::STRING,
            ] {
                if cats.contains(&t) {
                    return t;
                }
            }
        }
        // A hint picks the category it fits (`created`: integer or string).
        if realism::is_number(hint)
            && let Some(t) = cats
                .iter()
                .find(|t| **t == Types::INTEGER || **t == Types::FRACTION)
        {
            return *t;
        }
        let weight = |t: Types| if t == Types::NULL { 1 } else { 6 };
        let total: u32 = cats.iter().map(|&t| weight(t)).sum();
        let mut k = self.rng.random_range(0..total);
        for &t in cats {
            if k < weight(t) {
                return t;
            }
            k -= weight(t);
        }
        cats[0]
    }

    fn any_value(&mut self, hint: Hint) -> Value {
        let (anchor, window) = self.span();
        if let Some(s) = realism::string(hint, &mut self.rng, anchor, window) {
            return Value::String(s);
        }
        if let Some(x) = realism::number(hint, &mut self.rng, true, anchor, window) {
            return Value::from(x as i64);
        }
        Value::String(format::word(&mut self.rng).to_owned())
    }

    #[inline(never)]
    fn gen_number(&mut self, node: &'a Node, types: Types, hint: Hint) -> Res {
        let default = NumC::default();
        let num: &NumC = node.num.as_deref().unwrap_or(&default);
        let integer = !types.has(Types::FRACTION)
            || !num.multiple_of.is_empty() && num.multiple_of.iter().all(|m| m.fract() == 0.0)
            || (types.has(Types::INTEGER) && self.rng.random_bool(0.3));
        let hint = if num.format == Some(Format::UnixTime) {
            Hint::DateTime
        } else {
            hint
        };
        let (t_anchor, t_window) = self.span();
        if self.edge
            && let Some(x) = self.largest(num, integer)
        {
            return Ok(x);
        }
        if !self.simplicity.min_scalars()
            && let Some(x) = realism::number(hint, &mut self.rng, integer, t_anchor, t_window)
            // A time whose bounds only milliseconds meet is in milliseconds.
            && let Some(x) = [x, x * 1000.0].into_iter().take(if hint == Hint::DateTime { 2 } else { 1 }).find(|&x| check::number_ok(num, x))
            && (integer || types.has(Types::FRACTION))
        {
            return Ok(number_value(x, integer));
        }
        if integer && types.has(Types::INTEGER) {
            let (lo, hi) = int_bounds(num);
            if self.simplicity.min_scalars() {
                return find_int(num, 0)
                    .map(Value::from)
                    .ok_or_else(|| self.cannot(node, 1, "no integer in range"));
            }
            let (a, b) = window(lo as f64, hi as f64);
            let (a, b) = (a as i64, b as i64);
            let x = if let Some(&m) = num.multiple_of.first() {
                let k0 = (a as f64 / m).ceil() as i64;
                let k1 = (b as f64 / m).floor() as i64;
                if k0 <= k1 {
                    (self.rng.random_range(k0..=k1) as f64 * m) as i64
                } else {
                    a
                }
            } else {
                self.rng.random_range(a..=b.max(a))
            };
            if check::number_ok(num, x as f64) {
                return Ok(Value::from(x));
            }
            return find_int(num, x).map(Value::from).ok_or_else(|| {
                self.cannot(node, 1, "no integer satisfies the bounds and multipleOf")
            });
        }
        // Fractional numbers: two decimals, inside the bounds.
        let lo = if num.min.is_finite() {
            num.min
        } else if num.max.is_finite() {
            num.max.min(0.0) - 1e6
        } else {
            -1e6
        };
        let hi = if num.max.is_finite() {
            num.max
        } else {
            lo.max(0.0) + 1e6
        };
        let (a, b) = window(lo, hi);
        for attempt in 0..16 {
            let x = if self.simplicity.min_scalars() && attempt == 0 {
                0.0f64.clamp(a, b)
            } else if let Some(&m) = num.multiple_of.first() {
                let k0 = (a / m).ceil();
                let k1 = (b / m).floor();
                let k = if k0 <= k1 {
                    self.rng.random_range(k0..=k1).round()
                } else {
                    k0
                };
                round_like(k * m, m)
            } else if attempt < 8 {
                let x = if b > a {
                    self.rng.random_range(a..b)
                } else {
                    a
                };
                (x * 100.0).round() / 100.0
            } else if b > a {
                self.rng.random_range(a..b)
            } else {
                a
            };
            // Past 2^53 every float is integral: no fraction exists there.
            let integral_ok = types.has(Types::INTEGER) || x.fract() != 0.0 || x.abs() >= 9.0e15;
            if integral_ok && check::number_ok(num, x) {
                return Ok(number_value(x, false));
            }
        }
        if types.has(Types::INTEGER)
            && let Some(x) = find_int(num, 0)
        {
            return Ok(Value::from(x));
        }
        Err(self.cannot(node, 16, "no number satisfies the bounds and multipleOf"))
    }

    fn gen_string(&mut self, node: &'a Node, hint: Hint) -> TreeRes<'a> {
        let default = StrC::default();
        let s: &StrC = node.string.as_deref().unwrap_or(&default);
        let arena = self.arena;
        let fits = |text: &str| check::string_ok(arena, s, text);
        let meta = node.meta.as_deref();
        let (anchor, window) = self.span();
        if let Some(prefix) = meta.and_then(|m| m.id_prefix.as_deref()) {
            let id = format::prefixed_id(prefix, &mut self.rng);
            if fits(&id) {
                return Ok(Tree::Text(id));
            }
        }
        let simple = self.simplicity.min_scalars();
        if self.edge && s.formats.is_empty() && s.patterns.is_empty() {
            let text = edge_text(
                s.min_len,
                s.max_len,
                self.rng.random_range(0..EDGE_TEXT.len()),
            );
            if fits(&text) {
                return Ok(Tree::Text(text));
            }
        }
        if !simple {
            let faker = meta.and_then(|m| m.faker);
            if let Some(h) = faker
                && let Some(v) = realistic(h, &mut self.rng, anchor, window)
                && fits_tree(arena, s, &v)
            {
                return Ok(v);
            }
            // Free text: the document's own words first (this property's
            // examples, then those of same-named properties elsewhere).
            // Ids stay generated: a handful of example ids would repeat.
            if s.formats.is_empty()
                && s.patterns.is_empty()
                && !matches!(hint, Hint::Id(_))
                && let Some(word) = self.document_word(meta, fits)
            {
                return Ok(Tree::Ref(word));
            }
            if let Some(v) = realistic(hint, &mut self.rng, anchor, window)
                && fits_tree(arena, s, &v)
            {
                return Ok(v);
            }
        }
        if let Some(&f) = s.formats.first() {
            for _ in 0..4 {
                // The same draw `format::generate` makes, kept as a time
                // unless only a longer form is long enough.
                let v = if f == Format::DateTime {
                    let t = format::recent_unix(&mut self.rng, anchor, window);
                    match s.min_len > 20 {
                        true => format::long_date_time(t, s.min_len, &mut self.rng).map(Tree::Text),
                        false => Some(Tree::Time(t)),
                    }
                } else {
                    format::generate(f, &mut self.rng, anchor, window, s.max_len).map(Tree::Text)
                };
                if let Some(v) = v
                    && fits_tree(arena, s, &v)
                {
                    return Ok(v);
                }
            }
        }
        if let Some(&first) = s.patterns.first() {
            let pattern = &arena.patterns[first as usize];
            for _ in 0..8 {
                if let Some(text) = pattern.generate(&mut self.rng, s.min_len, s.max_len, 32)
                    && fits(&text)
                {
                    return Ok(Tree::Text(text));
                }
            }
            return Err(self.cannot(
                node,
                256,
                &format!(
                    "no string matched pattern {:?} and the other string keywords",
                    pattern.source
                ),
            ));
        }
        // The document's own examples read better than any guess.
        if let Some(examples) = meta.map(|m| &m.examples).filter(|e| !e.is_empty())
            && !simple
            && self.rng.random_bool(0.5)
        {
            let pick = &examples[self.rng.random_range(0..examples.len())];
            if pick.is_string() {
                return Ok(Tree::Ref(pick));
            }
        }
        // Plain text sized to the bounds.
        for _ in 0..4 {
            let text = self.words(s.min_len, s.max_len);
            if fits(&text) {
                return Ok(Tree::Text(text));
            }
        }
        Err(self.cannot(
            node,
            4,
            "no string satisfied the format and length keywords",
        ))
    }

    /// The largest number the bounds allow (or a large one when unbounded).
    #[inline(never)]
    fn largest(&self, num: &NumC, integer: bool) -> Option<Value> {
        const BIG: f64 = 9_007_199_254_740_991.0; // 2^53 - 1: exact in JSON readers
        let hi = if num.max.is_finite() { num.max } else { BIG };
        if integer {
            let x = find_int_below(num, hi.min(BIG))?;
            return Some(Value::from(x));
        }
        let candidates = [hi, hi - 0.01, (hi * 100.0).floor() / 100.0 - 0.01];
        candidates
            .into_iter()
            .find(|&x| check::number_ok(num, x))
            .map(|x| number_value(x, false))
    }

    /// A string the document gives as an example of this property, or of a
    /// property of the same name, that fits; tried from a random start.
    #[inline(never)]
    fn document_word(
        &mut self,
        meta: Option<&'a crate::ir::Meta>,
        fits: impl Fn(&str) -> bool,
    ) -> Option<&'a Value> {
        let own = meta.map_or(&[][..], |m| m.examples.as_slice());
        if let Some(word) = pick(&mut self.rng, own, &fits) {
            return Some(word);
        }
        let named: &'a [Value] = match self.path.last() {
            Some(Seg::Key(name)) => self.vocabulary.get(name),
            _ => &[],
        };
        pick(&mut self.rng, named, &fits)
    }

    #[inline(never)]
    fn words(&mut self, min: u64, max: Option<u64>) -> String {
        let min = min as usize;
        let max = max.map_or(usize::MAX, |m| m as usize);
        let target = if self.simplicity.min_scalars() {
            min
        } else {
            let n = self.rng.random_range(1..=2);
            let mut t = 0;
            for _ in 0..n {
                t += 7;
            }
            t.clamp(min, max.min(min + 40).max(min))
        };
        let mut s = String::with_capacity(target + 8);
        if target > 0 {
            s.push_str(format::word(&mut self.rng));
        }
        while s.len() < target {
            s.push(' ');
            s.push_str(format::word(&mut self.rng));
        }
        // Cut at a char boundary; words are ASCII so any index works.
        s.truncate(max.min(s.len()));
        if s.ends_with(' ') && s.len() > min {
            s.pop();
        }
        while s.len() < min {
            s.push('x');
        }
        s
    }

    fn gen_array(&mut self, id: NodeId, node: &'a Node, hint: Hint, depth: u32) -> TreeRes<'a> {
        let saved = self.within;
        let v = self.gen_array_in(id, node, hint, depth);
        self.within = saved;
        v
    }

    fn gen_array_in(&mut self, id: NodeId, node: &'a Node, hint: Hint, depth: u32) -> TreeRes<'a> {
        let Some(a) = node.array.as_deref() else {
            let n = if self.simplicity.min_arrays() {
                0
            } else {
                self.rng.random_range(0..=2)
            };
            return Ok(Tree::Array(
                (0..n).map(|_| Tree::leaf(self.any_value(hint))).collect(),
            ));
        };
        let arena = self.arena;
        let item_height = a.items.map_or(0, |i| arena.node(i).height);
        let items_dead = a.items.is_some_and(|i| arena.node(i).sat.is_empty());
        let max = a.max.unwrap_or(u64::MAX);
        let min_items = a.min;
        let n = if items_dead {
            (a.prefix.len() as u64).min(a.min)
        } else if self.edge && depth < 4 {
            // Empty or as long as allowed (bounded: a frontend list, not a
            // memory test).
            if self.rng.random_bool(0.5) {
                a.min
            } else {
                a.max.unwrap_or(EDGE_ITEMS).min(EDGE_ITEMS).max(a.min)
            }
        } else if self.simplicity.min_arrays() || self.pressed(depth, item_height.saturating_add(1))
        {
            a.min
        } else if a.min == 0 {
            if self.rng.random_bool(0.1) {
                0
            } else {
                self.rng.random_range(1..=3)
            }
        } else {
            a.min + self.rng.random_range(0..=2)
        }
        .min(max);
        let want_contains = a.contains_gen.map_or(0, |_| a.min_contains);
        let n = n.max(want_contains);
        let mut out: Vec<Tree<'a>> = Vec::with_capacity(n as usize);
        // `x-decoy-sequence`: item i's date-times fall in the i-th of n
        // equal slices of the enclosing window, so items are in time order
        // (`gen_array` restores the window).
        let slices = (a.sequence && n > 0).then(|| {
            let (anchor, window) = self.span();
            (anchor - window, window)
        });
        for i in 0..n as usize {
            let child = if (i as u64) < want_contains {
                a.contains_gen
            } else {
                a.prefix.get(i).copied().or(a.items)
            };
            self.path.push(Seg::Index(i));
            self.items.push(i);
            // Items of a list are different resources: a `*_id` first met
            // inside one item is that item's own, not its siblings'.
            let mark = self.shared.len();
            let mut tries = 0;
            if let Some((start, window)) = slices {
                // Shares of a window shorter than n seconds overlap in
                // whole seconds, still in order.
                let (i, n) = (i as i64, n as i64);
                let lo = start + window * i / n;
                let hi = (start + window * (i + 1) / n - 1).max(lo);
                self.within = Some((lo, hi));
            }
            let place = self.enter(decoy_spec::seed::record(self.seed, i as u64));
            let v = loop {
                let v = match child {
                    Some(c) => self.value(c, hint, depth + 1),
                    None => Ok(Tree::leaf(self.any_value(hint))),
                };
                let v = match v {
                    Ok(v) => v,
                    Err(e) => {
                        self.leave(place);
                        self.path.pop();
                        self.items.pop();
                        return Err(e);
                    }
                };
                if a.unique
                    && out
                        .iter()
                        .any(|o| check::same(Json::tree(o), Json::tree(&v)))
                {
                    tries += 1;
                    if tries < 16 {
                        continue;
                    }
                    break None;
                }
                break Some(v);
            };
            self.leave(place);
            self.path.pop();
            self.items.pop();
            let mut j = 0;
            self.shared.retain(|(key, _)| {
                j += 1;
                j <= mark || matches!(key, SharedKey::Declared(_))
            });
            match v {
                Some(v) => out.push(v),
                None if out.len() as u64 >= min_items.max(want_contains) => break,
                None => {
                    return Err(self.cannot(node, 16, "uniqueItems: not enough distinct items"));
                }
            }
        }
        let value = Tree::Array(out);
        if (a.contains.is_some() && a.max_contains.is_some())
            && !check::matches_tree(arena, id, &value)
        {
            return Err(self.cannot(node, 1, "contains/maxContains could not be met"));
        }
        Ok(value)
    }

    fn gen_object(&mut self, node: &'a Node, depth: u32) -> TreeRes<'a> {
        let saved = self.within;
        let v = self.gen_object_in(node, depth);
        self.within = saved;
        v
    }

    #[allow(clippy::too_many_lines)]
    fn gen_object_in(&mut self, node: &'a Node, depth: u32) -> TreeRes<'a> {
        let arena = self.arena;
        let Some(o) = node.object.as_deref() else {
            return Ok(self.free_object(depth));
        };
        let is_root = depth == 0;
        // Which properties to include: on the stack for ordinary objects.
        let mut on_stack = [false; 64];
        let mut on_heap = Vec::new();
        let include: &mut [bool] = if o.props.len() <= on_stack.len() {
            &mut on_stack[..o.props.len()]
        } else {
            on_heap.resize(o.props.len(), false);
            &mut on_heap
        };
        for (slot, p) in o.props.iter().enumerate() {
            let child = arena.node(p.node);
            let inc = if child.sat.is_empty() {
                false
            } else if p.required
                || (is_root && self.overrides.iter().any(|(k, _)| *k == &*p.name))
                || self.pin(&p.name, depth).is_some()
            {
                true
            } else {
                let meta = child.meta.as_deref();
                let hidden = match self.opts.direction {
                    Direction::Response => meta.is_some_and(|m| m.write_only),
                    Direction::Request => meta.is_some_and(|m| m.read_only),
                };
                !hidden
                    && !self.simplicity.omit_optional()
                    && !self.pressed(depth, child.height.saturating_add(1))
                    && (self.full
                        || decoy_spec::seed::unit(decoy_spec::seed::derive_hashed(
                            self.declared_seed(p),
                            OPTIONAL_KEY,
                        )) < self.opts.optional_probability)
            };
            include[slot] = inc;
        }
        if let Some(max) = o.max_props {
            let mut count = include.iter().filter(|b| **b).count() as u64;
            for (i, p) in o.props.iter().enumerate().rev() {
                if count <= max {
                    break;
                }
                if include[i] && !p.required {
                    include[i] = false;
                    count -= 1;
                }
            }
        }
        // dependentRequired: a present property brings its dependents.
        for (name, deps) in &o.dependent_required {
            if o.props
                .iter()
                .zip(include.iter())
                .any(|(p, inc)| *inc && &p.name == name)
            {
                for (i, p) in o.props.iter().enumerate() {
                    if deps.contains(&p.name) && !arena.node(p.node).sat.is_empty() {
                        include[i] = true;
                    }
                }
            }
        }
        // Pinned values are shared before anything is generated: the order
        // properties are generated in is not the document's.
        if is_root {
            for p in &o.props {
                let key = arena
                    .node(p.node)
                    .meta
                    .as_deref()
                    .and_then(|m| m.shared.as_deref());
                if let Some(key) = key.map(SharedKey::Declared)
                    && let Some((_, v)) = self.overrides.iter().find(|(k, _)| *k == &*p.name)
                    && !self.shared.iter().any(|(k, _)| *k == key)
                {
                    self.shared.push((key, Tree::Ref(v)));
                }
            }
        }
        // The timeline's properties come first: they set the window the
        // date-times of everything nested fall in.
        let timed = o.timeline.len() >= 2;
        // Timeline members as bits, for the first 64 properties: both passes
        // ask of every property.
        let mut on_timeline = 0u64;
        if timed {
            for &i in o.timeline.iter().filter(|&&i| i < 64) {
                on_timeline |= 1 << i;
            }
        }
        let in_timeline = |i: usize| match i < 64 {
            true => on_timeline >> i & 1 == 1,
            false => o.timeline.contains(&i),
        };
        let base = self.slots.len();
        self.slots.resize_with(base + o.props.len(), || None);
        for first in [true, false] {
            if first && !timed {
                continue;
            }
            for &i in &o.order {
                let p = &o.props[i];
                if !include[i] || (timed && in_timeline(i)) != first {
                    continue;
                }
                match self.prop_value(o, i, is_root, depth) {
                    Ok(v) => self.slots[base + i] = Some(v),
                    // An optional property that resisted is left out: the
                    // object stays valid without it.
                    Err(_) if !p.required => {}
                    Err(e) => {
                        self.slots.truncate(base);
                        return Err(e);
                    }
                }
            }
            if first {
                let mut slots = std::mem::take(&mut self.slots);
                let window = self.timeline(o, &mut slots[base..]);
                self.slots = slots;
                if let Some(window) = window {
                    self.within = Some(window);
                }
            }
        }
        let mut map: Entries<'a> = Vec::with_capacity(o.props.len());
        for (p, v) in o.props.iter().zip(self.slots.drain(base..)) {
            if let Some(v) = v {
                map.push((Cow::Borrowed(&p.name), v));
            }
        }
        let mut count = map.len() as u64;
        if count < o.min_props {
            for (i, p) in o.props.iter().enumerate() {
                if count >= o.min_props {
                    break;
                }
                if !include[i] && !arena.node(p.node).sat.is_empty() {
                    let v = self.prop_value(o, i, is_root, depth)?;
                    map.push((Cow::Borrowed(&p.name), v));
                    count += 1;
                }
            }
        }
        // Maps: `additionalProperties` with a schema and no named properties.
        let room = o
            .max_props
            .map_or(u64::MAX, |m| m.saturating_sub(map.len() as u64));
        if room > 0 && !self.simplicity.min_arrays() {
            let extra = match o.additional {
                Addl::Schema(n) if !arena.node(n).sat.is_empty() && o.props.is_empty() => {
                    let h = arena.node(n).height;
                    if self.pressed(depth, h.saturating_add(1)) {
                        0
                    } else {
                        self.rng.random_range(1..=2u64)
                    }
                }
                _ => 0,
            };
            let need = o.min_props.saturating_sub(map.len() as u64);
            for _ in 0..extra.max(need).min(room) {
                self.add_extra(o, &mut map, depth)?;
            }
        } else if (map.len() as u64) < o.min_props {
            for _ in 0..o.min_props - map.len() as u64 {
                self.add_extra(o, &mut map, depth)?;
            }
        }
        if (map.len() as u64) < o.min_props {
            return Err(self.cannot(node, 1, "minProperties could not be reached"));
        }
        self.durations(o, &mut map);
        for (i, template) in &o.templates {
            let p = &o.props[*i];
            if tree::contains(&map, &p.name) {
                let mut path = self.path.clone();
                path.push(Seg::Key(Cow::Borrowed(&p.name)));
                self.templates.push((path, template, p.node));
            }
        }
        Ok(Tree::Object(map))
    }

    fn prop_value(&mut self, o: &'a ObjC, i: usize, is_root: bool, depth: u32) -> TreeRes<'a> {
        let arena = self.arena;
        let p = &o.props[i];
        let child = arena.node(p.node);
        let meta = child.meta.as_deref();
        if is_root && let Some((_, v)) = self.overrides.iter().find(|(k, _)| *k == &*p.name) {
            if let Some(key) = meta
                .and_then(|m| m.shared.as_deref())
                .map(SharedKey::Declared)
                && !self.shared.iter().any(|(k, _)| *k == key)
            {
                self.shared.push((key, Tree::Ref(v)));
            }
            return Ok(Tree::Ref(v));
        }
        if let Some(v) = self.pin(&p.name, depth) {
            return Ok(v.clone());
        }
        if p.counter
            && let Some(&index) = self.items.last()
        {
            let base = child.num.as_ref().map_or(0, |n| int_bounds(n).0.max(0));
            let v = Value::from(base + index as i64);
            if check::matches(arena, p.node, &v) {
                return Ok(Tree::leaf(v));
            }
        }
        // Shared concepts: `x-decoy-shared`, or (by default) the same
        // `*_id` name anywhere in one root value.
        let key: Option<SharedKey<'a>> = meta
            .and_then(|m| m.shared.as_deref())
            .map(SharedKey::Declared)
            .or_else(|| {
                (self.opts.share_ids
                    && matches!(p.hint, Hint::Id(_))
                    && &*p.name != "id"
                    && p.name.len() > 3)
                    .then_some(SharedKey::Name(&p.name))
            });
        if let Some(key) = key
            && let Some((_, v)) = self.shared.iter().find(|(k, _)| *k == key)
            && check::matches_tree(arena, p.node, v)
        {
            return Ok(v.clone());
        }
        self.path.push(Seg::Key(Cow::Borrowed(&p.name)));
        let place = self.enter(self.declared_seed(p));
        let v = self.value(p.node, p.hint, depth + 1);
        self.leave(place);
        self.path.pop();
        let v = v?;
        if let Some(key) = key
            && !v.is_null()
            && !self.shared.iter().any(|(k, _)| *k == key)
        {
            self.shared.push((key, v.clone()));
        }
        Ok(v)
    }

    /// An extra property for a map or for `minProperties`.
    fn add_extra(
        &mut self,
        o: &ObjC,
        map: &mut Entries<'a>,
        depth: u32,
    ) -> Result<(), Box<SynthError>> {
        let arena = self.arena;
        for _ in 0..16 {
            // Pattern properties name their own keys.
            let (key, node) = if let Some(&(pid, pn)) = o.pattern_props.first()
                && (o.additional == Addl::Never || self.rng.random_bool(0.5))
            {
                match arena.patterns[pid as usize].generate(&mut self.rng, 1, Some(40), 16) {
                    Some(k) => (k, Some(pn)),
                    None => continue,
                }
            } else {
                let node = match o.additional {
                    Addl::Never => return Ok(()),
                    Addl::Any => None,
                    Addl::Schema(n) => Some(n),
                };
                let key = match o
                    .property_names
                    .and_then(|pn| arena.node(pn).string.as_deref())
                {
                    Some(s) if !s.patterns.is_empty() => {
                        match arena.patterns[s.patterns[0] as usize].generate(
                            &mut self.rng,
                            s.min_len,
                            s.max_len,
                            16,
                        ) {
                            Some(k) => k,
                            None => continue,
                        }
                    }
                    _ => {
                        let mut k = format::word(&mut self.rng).to_owned();
                        if self.rng.random_bool(0.5) {
                            k.push('_');
                            k.push_str(format::word(&mut self.rng));
                        }
                        k
                    }
                };
                if o.pattern_props
                    .iter()
                    .any(|&(pid, _)| arena.patterns[pid as usize].is_match(&key))
                {
                    continue;
                }
                (key, node)
            };
            if tree::contains(map, &key) || o.props.iter().any(|p| *p.name == *key) {
                continue;
            }
            if let Some(pn) = o.property_names
                && !check::matches(arena, pn, &Value::String(key.clone()))
            {
                continue;
            }
            let hint = realism::from_name(&key, None);
            self.path.push(Seg::Key(Cow::Owned(key.clone())));
            let place = self.enter(self.prop_seed(&key));
            let v = match node {
                Some(n) => self.value(n, hint, depth + 1),
                None => Ok(Tree::leaf(self.any_value(hint))),
            };
            self.leave(place);
            self.path.pop();
            map.push((Cow::Owned(key), v?));
            return Ok(());
        }
        Ok(())
    }

    /// An object with no object keywords (`type: object` alone).
    #[inline(never)]
    fn free_object(&mut self, depth: u32) -> Tree<'a> {
        if self.simplicity.min_arrays() || self.pressed(depth, 1) {
            return Tree::Object(Vec::new());
        }
        // An `i32` draw, as the generator has always made it (a `usize` one
        // would draw differently and change every free-form map).
        let n: i32 = self.rng.random_range(0..=2);
        let mut map = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let key = format::word(&mut self.rng);
            let v = Value::String(format::word(&mut self.rng).to_owned());
            tree::set(&mut map, Cow::Borrowed(key), Tree::leaf(v));
        }
        Tree::Object(map)
    }

    /// `x-decoy-timeline` (or the lifecycle rule): listed date-times (in
    /// `slots`, by property index) do not decrease; each follows the previous
    /// by a realistic gap, ending by the end of an enclosing window. Returns
    /// the window this object's nested date-times belong in.
    #[inline(never)]
    fn timeline(&mut self, o: &'a ObjC, slots: &mut [Option<Tree<'a>>]) -> Option<(i64, i64)> {
        let mut prev: Option<i64> = None;
        let mut times = 0;
        let (mut first, mut last) = (0, 0);
        for &i in &o.timeline {
            let p = &o.props[i];
            let Some(t) = slots[i].as_ref().and_then(Tree::as_time) else {
                continue;
            };
            let Some(before) = prev else {
                prev = Some(t);
                (first, last, times) = (t, t, 1);
                continue;
            };
            let gap = match self.rng.random_range(0..10) {
                0..=3 => self.rng.random_range(1..60),
                4..=8 => self.rng.random_range(60..900),
                _ => self.rng.random_range(900..3_600),
            };
            let mut next = before + gap;
            // Past the enclosing end: somewhere in the room left, so ends
            // do not all pile up on the enclosing end.
            if let Some((_, end)) = self.within
                && next > end
            {
                next = before + self.rng.random_range(0..=(end - before).max(0));
            }
            let candidate = Tree::Time(next);
            let shared = self
                .arena
                .node(p.node)
                .meta
                .as_ref()
                .is_some_and(|m| m.shared.is_some());
            if !shared && check::matches_tree(self.arena, p.node, &candidate) {
                slots[i] = Some(candidate);
                prev = Some(next);
            } else {
                prev = Some(t.max(before));
            }
            last = prev.unwrap_or(last);
            times += 1;
        }
        // One time only: the window runs from it to the enclosing end (or
        // for an hour).
        let end = match (times, self.within) {
            (0, _) => return None,
            (1, Some((_, end))) => end.max(first),
            (1, None) => first + CLUSTER,
            _ => last,
        };
        Some((first, end))
    }

    /// `x-decoy-duration`: a number equal to the span between two siblings.
    #[inline(never)]
    fn durations(&mut self, o: &'a ObjC, map: &mut Entries<'a>) {
        for d in &o.durations {
            let p = &o.props[d.prop];
            if !tree::contains(map, &p.name) {
                continue;
            }
            let read = |name: &str| match tree::get(map, name)? {
                Tree::Time(t) if d.millis => Some(t * 1000),
                t if d.millis => t.as_str().and_then(time::parse_date_time_millis),
                t => t.as_time(),
            };
            let (from, to) = (read(&o.props[d.from].name), read(&o.props[d.to].name));
            let value = match (from, to) {
                (Some(a), Some(b)) if b >= a => Value::from(b - a),
                (Some(_), Some(_)) => continue,
                _ => Value::Null,
            };
            if check::matches(self.arena, p.node, &value) {
                tree::set(map, Cow::Borrowed(&p.name), Tree::leaf(value));
            }
        }
    }
}

/// [`realism::string`] as a tree: a date-time stays a [`Tree::Time`] (the
/// same draw, kept as a number until it is written).
fn realistic<'a>(hint: Hint, rng: &mut Rng, anchor: i64, window: i64) -> Option<Tree<'a>> {
    match hint {
        Hint::DateTime => Some(Tree::Time(format::recent_unix(rng, anchor, window))),
        hint => realism::string(hint, rng, anchor, window).map(Tree::Text),
    }
}

/// Whether the string `v` (text or a time) meets the string keywords `s`.
fn fits_tree(arena: &Arena, s: &StrC, v: &Tree<'_>) -> bool {
    match v {
        Tree::Time(t) => check::time_ok(arena, s, *t),
        v => v
            .as_str()
            .is_some_and(|text| check::string_ok(arena, s, text)),
    }
}

/// Longest array items under [`Profile::Edge`] when `maxItems` allows more.
const EDGE_ITEMS: u64 = 20;
/// Longest free text under [`Profile::Edge`] when `maxLength` allows more.
const EDGE_CHARS: u64 = 256;
/// Text a UI must survive: accents, CJK, Arabic and Hebrew (right to left),
/// combining marks, emoji.
const EDGE_TEXT: &[&str] = &[
    "Zoë Ångström-Núñez ",
    "東京都渋谷区 ",
    "مرحبا بالعالم ",
    "שלום עולם ",
    "e\u{301}\u{323} ",
    "🙂👩‍💻🇫🇷 ",
];

/// Free text as long as `max` allows (in characters, as JSON Schema counts),
/// cycling the edge samples from `start`.
fn edge_text(min: u64, max: Option<u64>, start: usize) -> String {
    let want = max.unwrap_or(EDGE_CHARS).min(EDGE_CHARS.max(min)).max(min) as usize;
    let mut out = String::new();
    let mut n = 0;
    'fill: for k in 0.. {
        for c in EDGE_TEXT[(start + k) % EDGE_TEXT.len()].chars() {
            if n == want {
                break 'fill;
            }
            out.push(c);
            n += 1;
        }
    }
    out
}

/// The largest integer at most `hi` that the bounds and `multipleOf` allow.
fn find_int_below(num: &NumC, hi: f64) -> Option<i64> {
    let top = hi.floor() as i64;
    let m = num.multiple_of.first().copied().unwrap_or(1.0);
    let start = if m.fract() == 0.0 && m >= 1.0 {
        let m = m as i64;
        top.div_euclid(m) * m
    } else {
        top
    };
    (0..64)
        .map(|k| start.saturating_sub(k))
        .find(|&x| check::number_ok(num, x as f64))
}

/// The first of the candidates, from a random start, that is a string and
/// fits.
fn pick<'v>(rng: &mut Rng, words: &'v [Value], fits: impl Fn(&str) -> bool) -> Option<&'v Value> {
    let n = words.len();
    if n == 0 {
        return None;
    }
    let start = rng.random_range(0..n);
    (0..n)
        .map(|k| &words[(start + k) % n])
        .find(|w| w.as_str().is_some_and(&fits))
}

fn number_value(x: f64, integer: bool) -> Value {
    if integer || (x.fract() == 0.0 && x.abs() < 9.0e15) {
        Value::from(x as i64)
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// Rounds `x` to the decimals of `m`, so `k * 0.1` prints as `0.3`.
fn round_like(x: f64, m: f64) -> f64 {
    let text = format!("{m}");
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len()).min(12);
    let p = 10f64.powi(decimals as i32);
    (x * p).round() / p
}

/// A realistic sub-range of `[lo, hi]`: near zero, at most about 1000 wide.
fn window(lo: f64, hi: f64) -> (f64, f64) {
    if lo <= 0.0 && hi >= 0.0 {
        let a = if lo < 0.0 && hi <= 0.0 {
            lo.max(-1000.0)
        } else {
            0.0
        };
        (a, hi.min(a + 1000.0))
    } else if lo > 0.0 {
        (lo, hi.min(lo + 1000.0))
    } else {
        (lo.max(hi - 1000.0), hi)
    }
}

fn fill_template(template: &str, root: &Tree<'_>, encode: bool) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        let name = &rest[start + 1..end];
        match root.get(name)?.scalar()? {
            Scalar::Str(s) if encode => push_segment(&mut out, s),
            Scalar::Str(s) => out.push_str(s),
            Scalar::Time(t) if encode => time::with_date_time(t, |s| push_segment(&mut out, s)),
            Scalar::Time(t) => time::with_date_time(t, |s| out.push_str(s)),
            Scalar::Number(n) => out.push_str(&n.to_string()),
            Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Scalar::Null => return None,
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Appends `s` percent-encoded as an RFC 3986 path segment: unreserved
/// characters, sub-delims, `:` and `@` stay, every other byte is `%XX`.
fn push_segment(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// Puts `text` at `path`, when that place exists.
fn locate(value: &mut Tree<'_>, path: &[Seg<'_>], text: Value) {
    let mut cur = value;
    for (n, seg) in path.iter().enumerate() {
        // A borrowed value on the way is copied, to be changed.
        if let Tree::Ref(v) = cur {
            *cur = Tree::leaf((*v).clone());
        }
        cur = match (cur, seg) {
            (Tree::Object(map), Seg::Key(k)) => match tree::get_mut(map, k) {
                Some(v) => v,
                None => return,
            },
            (Tree::Array(items), Seg::Index(i)) => match items.get_mut(*i) {
                Some(v) => v,
                None => return,
            },
            // A value taken whole (a pinned or shared object).
            (Tree::Whole(v), _) => {
                let mut cur: &mut Value = v;
                for seg in &path[n..] {
                    let next = match seg {
                        Seg::Key(k) => cur.as_object_mut().and_then(|m| m.get_mut(&**k)),
                        Seg::Index(i) => cur.as_array_mut().and_then(|a| a.get_mut(*i)),
                    };
                    match next {
                        Some(next) => cur = next,
                        None => return,
                    }
                }
                *cur = text;
                return;
            }
            _ => return,
        };
    }
    *cur = Tree::leaf(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_from_the_root() {
        let root = Tree::Object(vec![
            (Cow::Borrowed("id"), Tree::leaf(Value::from("call_1"))),
            (Cow::Borrowed("n"), Tree::leaf(Value::from(3))),
        ]);
        assert_eq!(
            fill_template("/v1/calls/{id}/x/{n}", &root, true).as_deref(),
            Some("/v1/calls/call_1/x/3")
        );
        assert_eq!(fill_template("/v1/{missing}", &root, false), None);
        let odd = Tree::Object(vec![(
            Cow::Borrowed("id"),
            Tree::leaf(Value::from("a b%c/d?é~:@")),
        )]);
        assert_eq!(
            fill_template("/v1/calls/{id}", &odd, true).as_deref(),
            Some("/v1/calls/a%20b%25c%2Fd%3F%C3%A9~:@")
        );
        assert_eq!(
            fill_template("{id}", &odd, false).as_deref(),
            Some("a b%c/d?é~:@")
        );
    }

    #[test]
    fn windows_stay_inside_bounds() {
        assert_eq!(window(f64::NEG_INFINITY.max(-1e15), 1e15), (0.0, 1000.0));
        assert_eq!(window(5.0, 10.0), (5.0, 10.0));
        assert_eq!(window(-50.0, -10.0), (-50.0, -10.0));
        assert_eq!(round_like(3.0 * 0.1, 0.1), 0.3);
    }
}
