//! Stateful CRUD for any document: what clients create, change and delete
//! stays, as the behaviour model's resources say (standard paths and
//! methods; no hint needed). Resources an `x-decoy-state` rule governs keep
//! their own rules (`state.rs`).
//!
//! - A create stores the generated resource, with the request's values
//!   echoed where names and types match and an id of its own (the
//!   request's, when it names one).
//! - A read of a stored resource returns it; of a deleted one (or anything
//!   below it), 404; of an id never seen, generated data (404 with
//!   `strict_ids`).
//! - `PUT` replaces the fields it sends (creating the resource at that id if
//!   needed), `PATCH` (and `POST` on a member) merges (RFC 7396), `DELETE`
//!   removes it.
//! - A list shows stored resources, hides deleted ones, and honours simple
//!   filters (`?status=sold`), limits (`?limit=5`) and sorting
//!   (`?sort=-name`) on its items' fields.

use decoy_spec::model::{Kind, Resource, Template};
use decoy_spec::{MediaType, OpId, Response};
use hyper::http::request::Parts;
use serde_json::{Map, Value};

use super::App;
use super::echo::Ctx;
use super::params::query_pairs;
use super::reply::Reply;
use super::state::fresh_id;
use crate::generate::Seeds;
use crate::state::Item;
use crate::util;

/// Query parameters read as a page size.
const LIMITS: &[&str] = &["limit", "per_page", "page_size", "pageSize", "size", "max"];
/// Query parameters read as a sort key (`name`, `-name`).
const SORTS: &[&str] = &["sort", "sort_by", "sortBy", "order_by", "orderBy"];

/// One CRUD request, as the model reads it.
pub(super) struct Crud<'a> {
    pub(super) op_id: OpId,
    pub(super) params: &'a [(String, String)],
    pub(super) parts: &'a Parts,
    pub(super) body: &'a Value,
    pub(super) status: u16,
    pub(super) response: &'a Response,
    pub(super) media: Option<&'a MediaType>,
}

impl App {
    /// The answer when stored state decides it; `None` where the generated
    /// answer is right (an id never seen, an untouched collection).
    pub(super) fn crud(&self, req: &Crud<'_>) -> Option<Reply> {
        if self.config.stateless {
            return None;
        }
        let model = self.spec.model();
        let kind = model.operation(req.op_id).kind;
        let resource = model.resource_of(req.op_id)?;
        if resource.hinted {
            return None;
        }
        let key = Template::fill(&resource.collection, req.params);
        let id = resource
            .id_param
            .as_ref()
            .and_then(|p| req.params.iter().find(|(k, _)| k == p))
            .map(|(_, v)| v.clone());
        let here = match (&id, kind) {
            (_, Kind::Create | Kind::List) | (None, _) => key.clone(),
            (Some(id), _) => format!("{key}/{id}"),
        };
        if matches!(kind, Kind::Create | Kind::Update | Kind::Delete) {
            self.will_write();
        } else if !self.may_have_state() {
            // Nothing was ever stored or deleted: a read finds nothing, and
            // takes no lock to learn it.
            return match (kind, id) {
                (Kind::List, _) => self.list(req, resource, &key),
                (_, Some(_)) if self.config.strict_ids => Some(self.gone(req, &here)),
                _ => None,
            };
        }
        // A PUT may bring a deleted id back; nothing else reaches below a
        // deleted resource.
        let put = kind == Kind::Update && req.parts.method == "PUT";
        if self.rows(|s| s.is_gone(if put { &key } else { &here })) {
            return Some(self.gone(req, &here));
        }
        match (kind, id) {
            (Kind::Create, _) => Some(self.create(req, resource, &key)),
            (Kind::List, _) => self.list(req, resource, &key),
            (Kind::Read, Some(id)) => {
                let stored = self.rows(|s| s.get(&key, &id)).map(|i| i.body);
                match stored {
                    Some(v) => {
                        let v = match req.media {
                            Some(m)
                                if !self.stored_fits(req.op_id, resource) && !self.valid(m, &v) =>
                            {
                                self.reshape(req, m, v)
                            }
                            _ => v,
                        };
                        // The store decides it: the same while it is unchanged.
                        let mut r = self.crud_reply(req, &v);
                        r.repeatable =
                            self.ops[req.op_id].cacheable && (200..300).contains(&r.status);
                        Some(r)
                    }
                    None if self.config.strict_ids => Some(self.gone(req, &here)),
                    None => None,
                }
            }
            (Kind::Update, Some(id)) => Some(self.update(req, resource, &key, &id)),
            (Kind::Delete, Some(id)) => {
                let max = self.config.max_resources;
                let known = self.rows(|s| {
                    let known = s.get(&key, &id).is_some();
                    if known || !self.config.strict_ids {
                        s.delete(&key, &id, max);
                    }
                    known
                });
                if !known && self.config.strict_ids {
                    return Some(self.gone(req, &here));
                }
                Some(match req.media {
                    Some(m) => self.crud_reply(req, &self.generate(req.op_id, req.params, m)),
                    None => {
                        let mut r = Reply::empty(req.status);
                        self.documented_headers(req.response, &mut r);
                        r
                    }
                })
            }
            (_, Some(id)) if self.config.strict_ids => {
                let known = self.rows(|s| s.get(&key, &id)).is_some();
                (!known).then(|| self.gone(req, &here))
            }
            _ => None,
        }
    }

    fn gone(&self, req: &Crud<'_>, path: &str) -> Reply {
        let path = util::truncate(path, 200);
        self.error(
            Some(req.op_id),
            404,
            &format!("{path} does not exist"),
            &[],
            false,
        )
    }

    fn crud_reply(&self, req: &Crud<'_>, value: &Value) -> Reply {
        match req.media {
            Some(m) => self.finish(req.status, req.response, m, value),
            None => {
                let mut r = Reply::empty(req.status);
                self.documented_headers(req.response, &mut r);
                r
            }
        }
    }

    fn ctx<'a>(&self, req: &'a Crud<'a>) -> Ctx<'a> {
        Ctx {
            body: req.body,
            params: req.params,
            parts: req.parts,
            context: None,
        }
    }

    /// A new member: generated, the request's values echoed, an id of its
    /// own, stored.
    fn create(&self, req: &Crud<'_>, resource: &Resource, key: &str) -> Reply {
        let Some(media) = req.media else {
            return self.crud_reply(req, &Value::Null);
        };
        let n = self.rows(|s| s.next_number(key));
        let op = &self.spec.operations()[req.op_id];
        let seeds = self.seeds(op, req.params);
        let seeds = Seeds {
            resource: seeds.resource,
            request: util::mix(seeds.request, n.to_string()),
        };
        let mut value = self.bodies.generate(media, seeds, &[]);
        self.agree(req.op_id, req.params, media, &mut value, 0);
        self.decorate(req.op_id, &self.ctx(req), &mut value);
        self.echo_into(media, req.body, &mut value, false);
        // The model's id field, else the body's own `id` (a schema the
        // model could not read, such as a `oneOf` of shapes, still has one).
        let field = resource
            .id_field
            .as_deref()
            .or_else(|| value.get("id").is_some_and(is_scalar).then_some("id"));
        let asked = field.and_then(|f| req.body.get(f)).filter(|v| !v.is_null());
        let before = value.clone();
        match (field, asked) {
            (Some(f), Some(v)) => value[f] = v.clone(),
            (Some(f), None) => {
                self.fresh(key, f, &mut value, seeds.request);
            }
            (None, _) => {}
        }
        // Every response validates: an id the schema does not take (a
        // pattern, a range) gives way to the generated one.
        if !self.valid(media, &value) {
            value = before;
        }
        // The stored id is the one the client sees; with no id at all, the
        // store numbers the resource.
        let id = field
            .and_then(|f| value.get(f))
            .map_or_else(|| n.to_string(), id_text);
        let item = Item {
            id,
            body: value.clone(),
            origin: req.body.clone(),
            queue: Vec::new(),
        };
        self.rows(|s| s.put(key, item, self.config.max_resources));
        self.crud_reply(req, &value)
    }

    /// An id no stored member has: the generated one when free, else drawn
    /// again (strings keep their prefix, numbers their schema).
    fn fresh(&self, key: &str, field: &str, value: &mut Value, seed: u64) -> String {
        for attempt in 0..8u64 {
            let id = match value.get(field) {
                Some(v @ (Value::String(_) | Value::Number(_))) if attempt == 0 => id_text(v),
                Some(Value::String(_)) if field == "id" => {
                    fresh_id(value, util::mix(seed, attempt.to_string()))
                }
                Some(Value::Number(n)) => {
                    let bumped = n.as_i64().map_or(Value::Number(n.clone()), |i| {
                        Value::from(i.saturating_add(attempt as i64))
                    });
                    value[field] = bumped.clone();
                    id_text(&bumped)
                }
                Some(v) => id_text(v),
                None => return fresh_id(value, seed),
            };
            if self.rows(|s| s.get(key, &id)).is_none() {
                return id;
            }
        }
        fresh_id(value, seed)
    }

    /// `PUT` replaces the fields it sends, `PATCH` merges; an unknown id
    /// starts from its generated resource.
    fn update(&self, req: &Crud<'_>, resource: &Resource, key: &str, id: &str) -> Reply {
        let stored = self.rows(|s| s.get(key, id)).map(|i| i.body);
        let Some(media) = req.media else {
            if let Some(body) = stored.or_else(|| req.body.is_object().then(|| req.body.clone())) {
                self.keep(key, id, body, req.body);
            }
            return self.crud_reply(req, &Value::Null);
        };
        let mut value = match stored {
            Some(v) => v,
            None if self.config.strict_ids && req.parts.method != "PUT" => {
                return self.gone(req, &format!("{key}/{id}"));
            }
            None => {
                let ctx = self.ctx(req);
                self.generate_success(req.op_id, &ctx, media)
            }
        };
        // PUT replaces what it sends; PATCH and POST-on-a-member merge.
        let patch = req.parts.method != "PUT";
        self.echo_into(media, req.body, &mut value, patch);
        if let Some(f) = resource.id_field.as_deref()
            && let Some(slot) = value.get_mut(f)
        {
            // The path names the resource: its id stays.
            let typed = match slot {
                Value::Number(_) => id.parse::<i64>().map_or(Value::from(id), Value::from),
                _ => Value::from(id),
            };
            *slot = typed;
        }
        self.keep(key, id, value.clone(), req.body);
        self.crud_reply(req, &value)
    }

    /// Whether every write of `resource` answers the schema of the read
    /// `op_id` (decided once): then a stored member always fits the read.
    fn stored_fits(&self, op_id: OpId, resource: &Resource) -> bool {
        *self.ops[op_id].stored_fits.get_or_init(|| {
            let doc = self.spec.document();
            let schema = |op: OpId| {
                let s = self.success_media(op)?.schema.as_deref()?;
                let v = decoy_spec::pointer::get(doc, s)?;
                Some(decoy_spec::refs::deref(doc, v))
            };
            let Some(read) = schema(op_id) else {
                return false;
            };
            let model = self.spec.model();
            let updates = resource
                .acts
                .iter()
                .map(|a| a.op)
                .filter(|&a| model.operation(a).kind == Kind::Update);
            resource
                .creates
                .iter()
                .copied()
                .chain(updates)
                .all(|w| schema(w) == Some(read))
        })
    }

    /// A stored member as a read whose schema it does not fit (the create
    /// answered another shape: a `oneOf` of a resource and a stream event):
    /// the read's own answer for this id, with each stored field that keeps
    /// it valid. Every response validates.
    fn reshape(&self, req: &Crud<'_>, media: &MediaType, stored: Value) -> Value {
        let value = self.generate(req.op_id, req.params, media);
        fit_fields(value, stored, |v| self.valid(media, v))
    }

    fn valid(&self, media: &MediaType, value: &Value) -> bool {
        media
            .schema
            .as_deref()
            .and_then(|s| self.validators.compile(s).ok())
            .is_none_or(|v| v.is_valid(value))
    }

    fn keep(&self, key: &str, id: &str, body: Value, origin: &Value) {
        let item = Item {
            id: id.to_owned(),
            body,
            origin: origin.clone(),
            queue: Vec::new(),
        };
        self.rows(|s| s.put(key, item, self.config.max_resources));
    }

    /// Copies the request's top-level fields into `value` where the
    /// response has them, one at a time, keeping only those that leave the
    /// response valid. With `merge`, `null` removes a field (RFC 7396) and
    /// objects merge.
    fn echo_into(&self, media: &MediaType, request: &Value, value: &mut Value, merge: bool) {
        let (Value::Object(from), Value::Object(_)) = (request, &*value) else {
            return;
        };
        for (name, new) in from {
            let Value::Object(to) = &*value else { return };
            if !to.contains_key(name) && !merge {
                continue;
            }
            let mut tried = value.clone();
            let Value::Object(t) = &mut tried else { return };
            match (merge, new, t.get_mut(name)) {
                (true, Value::Null, _) => {
                    t.shift_remove(name);
                }
                (true, Value::Object(patch), Some(Value::Object(old))) => {
                    merge_patch(old, patch);
                }
                _ => {
                    t.insert(name.clone(), new.clone());
                }
            }
            if self.valid(media, &tried) {
                *value = tried;
            } else if merge && new.is_object() {
                // A merge can mix two shapes of a `oneOf` (a transcriber of
                // one provider with fields of another): the sent object
                // replaces the old one instead.
                let mut replaced = value.clone();
                if let Value::Object(r) = &mut replaced {
                    r.insert(name.clone(), new.clone());
                }
                if self.valid(media, &replaced) {
                    *value = replaced;
                }
            }
        }
    }

    /// A listing with what clients stored, without what they deleted,
    /// filtered, sorted and cut as the query asks.
    fn list(&self, req: &Crud<'_>, resource: &Resource, key: &str) -> Option<Reply> {
        let media = req.media?;
        let query: Vec<(String, String)> = query_pairs(req.parts.uri.query()).collect();
        let (stored, touched) = if !self.may_have_state() {
            (Vec::new(), false)
        } else {
            self.rows(|s| {
                let stored: Vec<Value> = s.list(key).into_iter().map(|i| i.body).collect();
                let touched = !stored.is_empty() || s.has_gone_in(key);
                (stored, touched)
            })
        };
        let asks = query
            .iter()
            .any(|(k, _)| LIMITS.contains(&k.as_str()) || SORTS.contains(&k.as_str()));
        if !touched && !asks && query.is_empty() {
            return None;
        }
        let array = resource
            .listing
            .as_ref()
            .filter(|l| l.op == req.op_id)
            .map_or("", |l| l.array.as_str());
        let ctx = self.ctx(req);
        let generated = self.generate_success(req.op_id, &ctx, media);
        let field = resource.id_field.as_deref().unwrap_or("id");
        let mut value = generated.clone();
        let Some(Value::Array(items)) = value.pointer_mut(array) else {
            return None;
        };
        self.rows(|s| {
            items.retain(|it| {
                let id = it.get(field).map(id_text).unwrap_or_default();
                id.is_empty() || !s.is_gone(&format!("{key}/{id}"))
            })
        });
        let template = items.first().cloned();
        let base = value.clone();
        for s in &stored {
            put_member(&mut value, array, field, s.clone());
        }
        // A stored member the listing's items cannot hold (stored through an
        // operation of another shape) goes in as the listing's own item with
        // the member's fields that fit, or not at all: one odd member does
        // not hide every other.
        if !stored.is_empty() && !self.valid(media, &value) {
            value = base;
            for s in stored {
                let mut with = value.clone();
                put_member(&mut with, array, field, s.clone());
                if self.valid(media, &with) {
                    value = with;
                    continue;
                }
                let Some(template) = template.clone() else {
                    continue;
                };
                let in_listing = |member: &Value| {
                    let mut with = value.clone();
                    put_member(&mut with, array, field, member.clone());
                    self.valid(media, &with).then_some(with)
                };
                let fit = fit_fields(template, s, |m| in_listing(m).is_some());
                if let Some(with) = in_listing(&fit) {
                    value = with;
                }
            }
        }
        let Some(Value::Array(items)) = value.pointer_mut(array) else {
            return None;
        };
        let filters: Vec<&(String, String)> = query
            .iter()
            .filter(|(k, _)| !LIMITS.contains(&k.as_str()) && !SORTS.contains(&k.as_str()))
            .filter(|(k, _)| items.iter().any(|it| it.get(k).is_some_and(is_scalar)))
            .collect();
        items.retain(|it| {
            filters
                .iter()
                .all(|(k, v)| it.get(k).is_none_or(|have| scalar_text(have) == *v))
        });
        if let Some((_, sort)) = query.iter().find(|(k, _)| SORTS.contains(&k.as_str())) {
            let (desc, by) = match sort.strip_prefix('-') {
                Some(by) => (true, by),
                None => (false, sort.as_str()),
            };
            items.sort_by(|a, b| {
                let o = cmp_values(a.get(by), b.get(by));
                if desc { o.reverse() } else { o }
            });
        }
        if let Some(n) = query
            .iter()
            .find(|(k, _)| LIMITS.contains(&k.as_str()))
            .and_then(|(_, v)| v.parse::<usize>().ok())
        {
            items.truncate(n);
        }
        // A listing the document cannot describe (too few items, say) is
        // not sent: the generated one is.
        let valid = self.valid(media, &value);
        Some(self.crud_reply(req, if valid { &value } else { &generated }))
    }
}

/// `base` with each top-level field of `fields` that keeps `ok` true (one at
/// a time, in order): a stored member shown in a shape it does not have.
fn fit_fields(mut base: Value, fields: Value, ok: impl Fn(&Value) -> bool) -> Value {
    let Value::Object(fields) = fields else {
        return base;
    };
    for (k, v) in fields {
        let Some(slot) = base.as_object_mut() else {
            break;
        };
        let before = slot.insert(k.clone(), v);
        if !ok(&base) {
            let slot = base.as_object_mut().expect("an object above");
            match before {
                Some(b) => slot.insert(k, b),
                None => slot.remove(&k),
            };
        }
    }
    base
}

/// Puts `member` into the listing's array at `array`: in place of the item
/// with its id, else at the end.
fn put_member(listing: &mut Value, array: &str, field: &str, member: Value) {
    let Some(Value::Array(items)) = listing.pointer_mut(array) else {
        return;
    };
    let id = member.get(field).map(id_text);
    match items
        .iter_mut()
        .find(|it| id.is_some() && it.get(field).map(id_text) == id)
    {
        Some(slot) => *slot = member,
        None => items.push(member),
    }
}

/// The text of an id value: a string as is, a number as written.
fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn scalar_text(v: &Value) -> String {
    id_text(v)
}

fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Some(x), Some(y)) => id_text(x).cmp(&id_text(y)),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// RFC 7396 JSON merge patch of objects.
fn merge_patch(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match (v, target.get_mut(k)) {
            (Value::Null, _) => {
                target.shift_remove(k);
            }
            (Value::Object(p), Some(Value::Object(t))) => merge_patch(t, p),
            (v, _) => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}
