//! Body generation, behind one function so the engine can change without
//! touching the server.
//!
//! decoy-synth owns realism and coherence; the mock owns which seed and which
//! pins. Should synth fail on a schema (or refuse one), the document's first
//! example, then a small schema walker here, keep the answer coming.

use std::sync::Arc;

use decoy_spec::{MediaType, Spec};
use decoy_synth::{Generator, Options, Profile};
use serde_json::{Map, Number, Value};

/// Seeds for one resource: `resource` is shared by a resource and its
/// sub-resources (`/v1/calls/abc` and `/v1/calls/abc/events`), `request` is
/// the full path's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seeds {
    pub(crate) resource: u64,
    pub(crate) request: u64,
}

pub(crate) struct Bodies {
    doc: Arc<Value>,
    /// Bodies of the configured profile.
    synth: Generator,
    /// Bodies of the other profile (`Prefer: profile=...`).
    other: Generator,
    profile: Profile,
}

impl Bodies {
    pub(crate) fn new(spec: &Spec, profile: Profile) -> Bodies {
        let doc = spec.shared_document();
        let other = match profile {
            Profile::Edge => Profile::Realistic,
            _ => Profile::Edge,
        };
        Bodies {
            synth: Generator::new(doc.clone(), Options::default().profile(profile)),
            other: Generator::new(doc.clone(), Options::default().profile(other)),
            profile,
            doc,
        }
    }

    /// A body of `profile` (a request's `Prefer: profile=...`).
    pub(crate) fn generate_as(
        &self,
        profile: Profile,
        media: &MediaType,
        seeds: Seeds,
        pins: &[(&str, Value)],
    ) -> Value {
        if profile == self.profile {
            return self.generate(media, seeds, pins);
        }
        if let Some(p) = &media.schema
            && let Ok(plan) = self.other.plan(p)
            && let Ok(v) = plan.generate_with(seeds.request, pins)
        {
            return v;
        }
        self.generate(media, seeds, pins)
    }

    /// Compiles the plans of these schemas on a thread of its own, so the
    /// first request to each operation seldom pays for it and the server
    /// does not wait for them to start. A request that comes first compiles
    /// its own plan (the generator caches each plan once, whoever makes it;
    /// a plan is the same whatever order plans are made in).
    pub(crate) fn prepare(&self, pointers: Vec<String>) {
        let synth = self.synth.clone();
        let compile = move || {
            for p in &pointers {
                let _ = synth.plan(p);
            }
        };
        // Where no thread can be made, compiling on first use is enough.
        let _ = std::thread::Builder::new()
            .name("decoy-prepare".into())
            .spawn(compile);
    }

    /// A body for a media type from these seeds, with root properties pinned
    /// (those the generated value has); else the first example; else `null`.
    pub(crate) fn generate(
        &self,
        media: &MediaType,
        seeds: Seeds,
        pins: &[(&str, Value)],
    ) -> Value {
        let _ = seeds.resource;
        if let Some(p) = &media.schema
            && let Ok(plan) = self.synth.plan(p)
            && let Ok(v) = plan.generate_with(seeds.request, pins)
        {
            return v;
        }
        let mut value = match (self.first_example(media), &media.schema) {
            (Some(v), _) => v,
            (None, Some(p)) => self.schema(p, seeds.request),
            (None, None) => Value::Null,
        };
        if let Value::Object(m) = &mut value {
            for (k, v) in pins {
                if let Some(slot) = m.get_mut(*k) {
                    *slot = v.clone();
                }
            }
        }
        value
    }

    /// [`Bodies::generate`]'s generated body handed to `f` as the
    /// generator's tree; `None` where synth cannot make one (the caller
    /// then takes [`Bodies::generate`], which falls back to examples).
    pub(crate) fn generate_tree<R>(
        &self,
        plan: &decoy_synth::Plan,
        seeds: Seeds,
        pins: &[(&str, Value)],
        f: impl FnOnce(&mut decoy_synth::Tree<'_>) -> R,
    ) -> Option<R> {
        plan.generate_tree(seeds.request, pins, f).ok()
    }

    /// The generator's plan for a media type's schema, if it has one synth
    /// can plan. Worth keeping: making one is a locked lookup.
    pub(crate) fn plan(&self, media: &MediaType) -> Option<decoy_synth::Plan> {
        self.synth.plan(media.schema.as_deref()?).ok()
    }

    /// A synth value for the schema at `pointer`, if synth can make one.
    pub(crate) fn schema_value(&self, pointer: &str, seed: u64) -> Option<Value> {
        self.synth.plan(pointer).ok()?.generate(seed).ok()
    }

    /// The named example's value.
    pub(crate) fn example(&self, media: &MediaType, name: &str) -> Option<Value> {
        let e = media.examples.iter().find(|e| e.name == name)?;
        e.value
            .as_deref()
            .and_then(|p| self.doc.pointer(p))
            .cloned()
    }

    pub(crate) fn first_example(&self, media: &MediaType) -> Option<Value> {
        media.examples.iter().find_map(|e| {
            e.value
                .as_deref()
                .and_then(|p| self.doc.pointer(p))
                .cloned()
        })
    }

    /// A value for the schema at `pointer`.
    pub(crate) fn schema(&self, pointer: &str, seed: u64) -> Value {
        match self.doc.pointer(pointer) {
            Some(s) => self.walk(s, seed, 0),
            None => Value::Null,
        }
    }

    fn deref<'a>(&'a self, s: &'a Value) -> &'a Value {
        decoy_spec::refs::deref(&self.doc, s)
    }

    /// A minimal valid value: examples, enums and defaults first, then the
    /// type's plainest member.
    fn walk(&self, s: &Value, seed: u64, depth: usize) -> Value {
        let s = self.deref(s);
        if depth > 24 {
            return Value::Null;
        }
        if let Some(v) = s.get("const") {
            return v.clone();
        }
        for key in ["examples", "enum"] {
            if let Some(Value::Array(a)) = s.get(key)
                && !a.is_empty()
            {
                return a[(seed % a.len() as u64) as usize].clone();
            }
        }
        if let Some(v) = s.get("default") {
            return v.clone();
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            let mut out = Map::new();
            for part in all {
                if let Value::Object(m) = self.walk(part, seed, depth + 1) {
                    out.extend(m);
                }
            }
            if let Value::Object(m) = self.object(s, seed, depth) {
                out.extend(m);
            }
            return Value::Object(out);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(a)) = s.get(key)
                && let Some(first) = a.first()
            {
                return self.walk(first, seed, depth + 1);
            }
        }
        let ty = match s.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if s.get("properties").is_some() => "object",
            _ => "object",
        };
        match ty {
            "null" => Value::Null,
            "boolean" => Value::Bool(seed & 1 == 1),
            "integer" | "number" => {
                let min = s.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
                let min = match s.get("exclusiveMinimum").and_then(Value::as_f64) {
                    Some(e) if e >= min => e + 1.0,
                    _ => min,
                };
                Value::Number(Number::from_f64(min.ceil()).unwrap_or_else(|| Number::from(0)))
            }
            "string" => Value::String(self.string(s, seed)),
            "array" => {
                let n = s
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .min(8) as usize;
                let items = s.get("items").cloned().unwrap_or(Value::Bool(true));
                Value::Array(
                    (0..n)
                        .map(|i| self.walk(&items, seed.wrapping_add(i as u64), depth + 1))
                        .collect(),
                )
            }
            _ => self.object(s, seed, depth),
        }
    }

    fn object(&self, s: &Value, seed: u64, depth: usize) -> Value {
        let mut out = Map::new();
        if let Some(Value::Object(props)) = s.get("properties") {
            for (name, p) in props {
                out.insert(
                    name.clone(),
                    self.walk(p, crate::util::mix(seed, name), depth + 1),
                );
            }
        }
        Value::Object(out)
    }

    fn string(&self, s: &Value, seed: u64) -> String {
        let base = match s.get("format").and_then(Value::as_str) {
            Some("date-time") => "2025-03-14T16:02:05Z".to_owned(),
            Some("date") => "2025-03-14".to_owned(),
            Some("uri") | Some("url") => format!("https://example.com/{:x}", seed & 0xffff),
            Some("uri-reference") => format!("/r/{:x}", seed & 0xffff),
            Some("uuid") => format!("00000000-0000-4000-8000-{:012x}", seed & 0xffff_ffff_ffff),
            Some("email") => "user@example.com".to_owned(),
            _ => match s.get("pattern").and_then(Value::as_str) {
                Some("^[0-9]+$") => (seed % 1_000_000).to_string(),
                _ => format!("s{:x}", seed & 0xffff_ffff),
            },
        };
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let mut out = base;
        while out.chars().count() < min {
            out.push('x');
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
            out = out.chars().take(max as usize).collect();
        }
        out
    }
}
