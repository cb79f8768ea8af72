//! A resource's generated body: seeded by its path, its id pinned from the
//! path, agreeing with its parent, decorated by the operation's rules.

use std::borrow::Cow;

use decoy_spec::{MediaType, OpId, Operation};
use serde_json::Value;

use super::answer::resource_path;
use super::echo::{Ctx, apply, build};
use super::state::fresh_id;
use super::{App, IdCheck};
use crate::context::Context;
use crate::generate::Seeds;
use crate::{context, util};

/// What a URI reference cannot hold raw (everything but unreserved
/// characters and `/`, `:`, `@`, `?`, `=`, `&`).
pub(super) const URI_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b':')
    .remove(b'@')
    .remove(b'?')
    .remove(b'=')
    .remove(b'&');

impl App {
    pub(super) fn seeds(&self, op: &Operation, params: &[(String, String)]) -> Seeds {
        self.seeds_of(op, params, &resource_path(&op.path, params))
    }

    /// [`App::seeds`] of a resource whose path (`full`) is filled already.
    pub(super) fn seeds_of(
        &self,
        op: &Operation,
        params: &[(String, String)],
        full: &str,
    ) -> Seeds {
        // The root resource: the template up to its first parameter, which
        // is the whole template for the common `/things/{id}`.
        let root = match op.path.find('}') {
            Some(end) if end + 1 < op.path.len() => {
                Cow::Owned(resource_path(&op.path[..=end], params))
            }
            _ => Cow::Borrowed(full),
        };
        Seeds {
            resource: util::mix(self.config.seed, &*root),
            request: util::mix(self.config.seed, full),
        }
    }

    /// A body for the operation's resource, its path id pinned as `id`,
    /// agreeing with its parent resource.
    pub(super) fn generate(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        media: &MediaType,
    ) -> Value {
        self.generate_at(op_id, params, media, 0)
    }

    pub(super) fn generate_at(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        media: &MediaType,
        depth: usize,
    ) -> Value {
        self.generate_pinned(op_id, params, media, depth, &[])
    }

    /// As [`App::generate_at`], with more root properties pinned: the values
    /// the operation sets, so the rest of the body agrees with them (a
    /// `completed` transfer has no live fields).
    fn generate_pinned(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        media: &MediaType,
        depth: usize,
        set: &[(String, Value)],
    ) -> Value {
        let pins = self.pins(op_id, params, media, set);
        let seeds = self.seeds(&self.spec.operations()[op_id], params);
        let mut value = self.bodies.generate(media, seeds, &pins);
        self.agree(op_id, params, media, &mut value, depth);
        value
    }

    /// The root properties generation pins: the path id as `id` (where the
    /// body's `id` takes it) and the values the operation sets.
    fn pins<'s>(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        media: &MediaType,
        set: &'s [(String, Value)],
    ) -> Vec<(&'s str, Value)> {
        let success = self.success_media(op_id).and_then(|m| m.schema.as_deref());
        let mut pins: Vec<(&str, Value)> = self
            .id_pin(op_id, params)
            .filter(|v| success == media.schema.as_deref() || self.id_fits(media, v))
            .map(|v| ("id", v))
            .into_iter()
            .collect();
        for pin in set_pins(set) {
            if !pins.iter().any(|(k, _)| *k == pin.0) {
                pins.push(pin);
            }
        }
        pins
    }

    /// [`App::generate_success`] written straight to JSON, where nothing but
    /// the id pin and the context changes the generated body (no
    /// `x-decoy-set`, `x-decoy-echo`, stored members to list or stateless
    /// transition, and a path with nothing to percent-encode): the value is
    /// never built as a `serde_json::Value`. `None` where that does not hold, or where the
    /// generator cannot make this body; the caller then takes the long way.
    ///
    /// `resource` is the resource's path where the caller filled it already
    /// (for the cache key).
    pub(super) fn generate_success_json(
        &self,
        op_id: OpId,
        ctx: &Ctx<'_>,
        media: &MediaType,
        resource: Option<&str>,
    ) -> Option<Vec<u8>> {
        let rules = self.rules(op_id);
        let plain = rules.set.is_empty()
            && rules.echo.is_empty()
            && if self.config.stateless {
                rules.transition.is_none() && rules.create.is_none()
            } else {
                // A listing into the body adds what the store holds: none
                // before anything was written.
                rules.list.as_ref().is_none_or(|l| {
                    !self.may_have_state()
                        || self.rows(|s| s.count(&l.collection.render(ctx.params))) == 0
                })
            }
            && ctx.params.iter().all(|(_, v)| v.bytes().all(is_unreserved));
        if !plain {
            return None;
        }
        let pins = self.pins(op_id, ctx.params, media, &[]);
        let op = &self.spec.operations()[op_id];
        let seeds = match resource {
            Some(full) => self.seeds_of(op, ctx.params, full),
            None => self.seeds(op, ctx.params),
        };
        let id = self.id_pin(op_id, ctx.params);
        // Everything that generates (the parent's body) happens before the
        // tree is made: the generator is not entered again while it lends
        // the tree.
        let node = self.agree_node(op_id, media);
        let parent = node.and_then(|_| self.context(op_id, ctx.params, 0));
        let plan = self.body_plan(op_id, media)?;
        self.bodies.generate_tree(&plan, seeds, &pins, |tree| {
            if let Some(node) = node {
                self.agree_at(node, tree, || parent);
            }
            // As `decorate`.
            pin_id(tree, id);
            let mut out = super::answer::json_buffer();
            tree.write_json(&mut out);
            super::answer::json_written(&out);
            out
        })
    }

    /// Makes a generated body agree with its resource's context (see
    /// `context`): shared values and timelines.
    pub(super) fn agree<J: context::Json>(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        media: &MediaType,
        value: &mut J,
        depth: usize,
    ) {
        if let Some(node) = self.agree_node(op_id, media) {
            self.agree_at(node, value, || self.context(op_id, params, depth));
        }
    }

    /// [`App::agree`] from the schema's node in the context reach; `parent`
    /// gives the parent's context, asked only when the value holds a mark.
    fn agree_at<J: context::Json>(
        &self,
        node: usize,
        value: &mut J,
        parent: impl FnOnce() -> Option<Context>,
    ) {
        let reach = self.reach();
        let found = context::scan(reach, node, value);
        if found.is_empty() {
            return;
        }
        match parent() {
            Some(ctx) => context::apply(reach, node, &ctx, &found, value, true),
            // A root resource: its nested timelines move into its own span.
            None => {
                let own = Context {
                    shared: Vec::new(),
                    span: found.root_span,
                };
                context::apply(reach, node, &own, &found, value, false);
            }
        }
    }

    /// The generator's plan for `media`'s schema: kept per operation for
    /// its success media (see [`App::agree_node`]), made afresh otherwise.
    fn body_plan(&self, op_id: OpId, media: &MediaType) -> Option<Cow<'_, decoy_synth::Plan>> {
        match self.success_media(op_id) {
            Some(m) if std::ptr::eq(m, media) => self.ops[op_id]
                .success_plan
                .get_or_init(|| self.bodies.plan(media))
                .as_ref()
                .map(Cow::Borrowed),
            _ => self.bodies.plan(media).map(Cow::Owned),
        }
    }

    /// The node in the context reach of the media type's schema, if marks
    /// can be reached from it (looked up once per operation for its success
    /// media type).
    fn agree_node(&self, op_id: OpId, media: &MediaType) -> Option<usize> {
        let schema = media.schema.as_deref()?;
        let doc = self.spec.document();
        match self.success_media(op_id) {
            Some(m) if std::ptr::eq(m, media) => *self.ops[op_id]
                .agree_node
                .get_or_init(|| context::node(doc, self.reach(), schema)),
            _ => context::node(doc, self.reach(), schema),
        }
    }

    /// What the parent resource of operation `i` tells it: the parent's
    /// generated body (itself agreeing with its parent), plus one value per
    /// resource for shared keys the parent does not show.
    pub(super) fn context(
        &self,
        op_id: OpId,
        params: &[(String, String)],
        depth: usize,
    ) -> Option<Context> {
        // Parents are GETs on shorter paths, so chains are short; the bound
        // guards against a document whose `x-decoy-parent`s loop.
        if depth > 4 {
            return None;
        }
        let p = self.spec.model().operation(op_id).parent?;
        let op = &self.spec.operations()[p];
        let media = self.success_media(p)?;
        let schema = media.schema.as_deref()?;
        let value = self.generate_at(p, params, media, depth + 1);
        let marks = context::marks(self.spec.document(), self.reach(), schema, &value);
        let mut ctx = context::harvest(&marks, &value);
        let seed = self.seeds(op, params).request;
        for (key, pointer) in &self.shared {
            if ctx.get(key).is_some() {
                continue;
            }
            // Generate the object that holds the property, so its name
            // still shapes the value (`organization_id` → `org_...`).
            let v = match pointer.rsplit_once("/properties/") {
                Some((object, name)) => self
                    .bodies
                    .schema_value(object, util::mix(seed, key))
                    .and_then(|o| o.get(decoy_spec::pointer::unescape(name)).cloned()),
                None => self.bodies.schema_value(pointer, util::mix(seed, key)),
            };
            if let Some(v) = v.filter(|v| !v.is_null()) {
                ctx.shared.push((key.clone(), v));
            }
        }
        Some(ctx)
    }

    /// A generated success body with the operation's pins, echoes and sets.
    pub(super) fn generate_success(&self, op_id: OpId, ctx: &Ctx<'_>, media: &MediaType) -> Value {
        let rules = self.rules(op_id);
        let mut set = rules.set.clone();
        if self.config.stateless
            && let Some(t) = &rules.transition
        {
            set.extend(t.set.iter().cloned());
        }
        let mut value = self.generate_pinned(op_id, ctx.params, media, 0, &set);
        self.decorate(op_id, ctx, &mut value);
        if ctx
            .params
            .iter()
            .any(|(_, v)| !v.bytes().all(is_unreserved))
        {
            self.repair_formats(media, &mut value);
        }
        let rules = self.rules(op_id);
        if self.config.stateless {
            if let Some(t) = &rules.transition {
                apply(&mut value, &t.set, &t.echo, ctx, &Value::Null);
                if let Some(f) = &t.fallback {
                    let built = build(&f.build, ctx, &Value::Null);
                    util::assign(&mut value, &f.into, built);
                }
            }
            if rules.create.is_some() {
                let n = util::mix(self.config.seed, ctx.body.to_string());
                fresh_id(&mut value, n);
            }
        } else if let Some(l) = &rules.list {
            let key = l.collection.render(ctx.params);
            let items = self.rows(|s| s.list(&key));
            if !items.is_empty()
                && let Some(Value::Array(a)) = util::field_mut(&mut value, &l.into)
            {
                a.extend(items.into_iter().map(|it| it.body));
            }
        }
        value
    }

    /// The path id as the body's `id`, typed as its parameter is
    /// (`/pet/1` gives `1` where the parameter is an integer), where the
    /// success body's `id` can hold it.
    pub(super) fn id_pin(&self, op_id: OpId, params: &[(String, String)]) -> Option<Value> {
        let name = self.ops[op_id].id_param.as_ref()?;
        let (_, raw) = params.iter().find(|(k, _)| k == name)?;
        let text = *self.ops[op_id].id_is_text.get_or_init(|| {
            let op = &self.spec.operations()[op_id];
            let param = op
                .parameters_in(decoy_spec::ParameterLocation::Path)
                .find(|p| p.name == *name);
            self.plain_string(param.and_then(|p| p.schema.as_deref()))
        });
        let id = if text {
            Value::String(raw.clone())
        } else {
            self.path_value(op_id, name, raw)
        };
        // Decided once per operation: the pointer walk and the validator
        // lookup (a lock) stay off the per-request path.
        let check = self.ops[op_id].id_check.get_or_init(|| {
            match self.success_media(op_id).and_then(|m| m.schema.as_deref()) {
                None => IdCheck::Any,
                Some(s) => match self.field(s, "id") {
                    None => IdCheck::Any,
                    Some(prop) => self
                        .validators
                        .compile(&prop)
                        .map_or(IdCheck::Never, IdCheck::Schema),
                },
            }
        });
        match check {
            IdCheck::Any => Some(id),
            IdCheck::Never => None,
            IdCheck::Schema(v) => v.is_valid(&id).then_some(id),
        }
    }

    /// The media type of the operation's lowest documented 2xx.
    pub(super) fn success_media(&self, op_id: OpId) -> Option<&MediaType> {
        let op = &self.spec.operations()[op_id];
        let info = &self.ops[op_id];
        op.responses[info.success?].content.get(info.success_media?)
    }

    /// Whether the response's `id` property (in any branch) accepts `id`
    /// (`/user/{username}` must not turn an integer `id` into a name, nor
    /// a `{token}` segment fill a patterned id).
    pub(super) fn id_fits(&self, media: &MediaType, id: &Value) -> bool {
        let Some(prop) = media.schema.as_deref().and_then(|s| self.field(s, "id")) else {
            return true;
        };
        self.validators.compile(&prop).is_ok_and(|v| v.is_valid(id))
    }

    /// Pins the path id and applies `x-decoy-set` and `x-decoy-echo`.
    pub(super) fn decorate(&self, op_id: OpId, ctx: &Ctx<'_>, value: &mut Value) {
        pin_id(value, self.id_pin(op_id, ctx.params));
        apply(
            value,
            &self.rules(op_id).set,
            &self.rules(op_id).echo,
            ctx,
            &Value::Null,
        );
    }

    /// An odd path id (`a/b`, `日本`, `%`) copied into a `uri` or
    /// `uri-reference` field breaks its format; percent-encode such fields.
    pub(super) fn repair_formats(&self, media: &MediaType, value: &mut Value) {
        let Some(validator) = media
            .schema
            .as_deref()
            .and_then(|s| self.validators.compile(s).ok())
        else {
            return;
        };
        for v in validator.validate(value) {
            if v.keyword != "format" {
                continue;
            }
            if let Some(Value::String(s)) = value.pointer_mut(&v.instance_pointer) {
                *s = percent_encoding::utf8_percent_encode(s, URI_UNSAFE).to_string();
            }
        }
    }
}

/// The path id as the body's `id`, where the body's `id` is of its kind (a
/// string for a string, a number for a number).
fn pin_id<J: context::Json>(value: &mut J, id: Option<Value>) {
    if let Some(id) = id
        && let Some(slot) = value.member_mut("id")
        && (slot.is_string() && id.is_string() || slot.is_number() && id.is_number())
    {
        slot.set(id);
    }
}

pub(super) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The root properties an operation sets, as generation pins: the rest of a
/// generated body then agrees with them (the document's `if`/`then` rules
/// choose by them).
pub(super) fn set_pins(set: &[(String, Value)]) -> Vec<(&str, Value)> {
    set.iter()
        .filter(|(field, _)| !field.contains(['/', '.']))
        .map(|(field, v)| (field.as_str(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use decoy_spec::{ParameterLocation, Spec};
    use serde_json::Value;

    use super::super::answer::json_bytes;
    use super::super::echo::Ctx;
    use super::super::{App, answer::pick_media};
    use crate::config::Config;

    /// The fast path (JSON straight from the generator's tree) answers the
    /// bytes the long way (a `Value`, its pins, context and decoration,
    /// then serialized) answers, for every GET of documents with timelines,
    /// shared keys, `oneOf`s and integer ids, stateful and stateless.
    #[test]
    fn json_straight_from_the_tree_is_the_long_way_s_bytes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
        let mut compared = 0;
        for file in [
            "calls.openapi.yaml",
            "shapes/library.openapi.yaml",
            "shapes/shipments.openapi.yaml",
        ] {
            let spec = Spec::load(&root.join(file)).unwrap();
            for stateless in [false, true] {
                let config = Config {
                    stateless,
                    ..Config::default()
                };
                let app = App::new(spec.clone(), config).unwrap();
                for op_id in app.spec.op_ids() {
                    let op = &app.spec.operations()[op_id];
                    let Some(media) = app.ops[op_id]
                        .success
                        .and_then(|k| pick_media(&op.responses[k].content))
                    else {
                        continue;
                    };
                    if op.method != "GET" {
                        continue;
                    }
                    for id in ["abc_123", "42", "x"] {
                        let params: Vec<(String, String)> = op
                            .parameters_in(ParameterLocation::Path)
                            .map(|p| (p.name.clone(), id.to_owned()))
                            .collect();
                        let parts = hyper::Request::get("/").body(()).unwrap().into_parts().0;
                        let ctx = Ctx {
                            body: &Value::Null,
                            params: &params,
                            parts: &parts,
                            context: None,
                        };
                        let Some(fast) = app.generate_success_json(op_id, &ctx, media, None) else {
                            continue;
                        };
                        let long = json_bytes(&app.generate_success(op_id, &ctx, media));
                        assert_eq!(
                            String::from_utf8(fast).unwrap(),
                            String::from_utf8(long).unwrap(),
                            "{file} {} {} id {id} stateless {stateless}",
                            op.method,
                            op.path
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 30, "only {compared} bodies compared");
    }
}
