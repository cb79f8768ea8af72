//! Stored resources: creation and transitions, as the document's state
//! rules say.

use decoy_spec::{MediaType, OpId};
use serde_json::Value;

use super::App;
use super::echo::{Ctx, apply, build};
use super::reply::Reply;
use crate::generate::Seeds;
use crate::state::Item;
use crate::util;

impl App {
    /// Creation and transitions. `Ok(None)`: the operation keeps no state;
    /// `Err`: the (boxed: rare and large) answer that refuses the request.
    pub(super) fn stateful(
        &self,
        op_id: OpId,
        ctx: &Ctx<'_>,
        media: &MediaType,
    ) -> Result<Option<Value>, Box<Reply>> {
        if self.config.stateless {
            return Ok(None);
        }
        let rules = self.rules(op_id);
        if rules.create.is_some() || rules.transition.is_some() {
            self.will_write();
        }
        if let Some(c) = &rules.create {
            let key = c.collection.render(ctx.params);
            let n = self.rows(|s| s.next_number(&key));
            let op = &self.spec.operations()[op_id];
            let seeds = self.seeds(op, ctx.params);
            let seeds = Seeds {
                resource: seeds.resource,
                request: util::mix(seeds.request, n.to_string()),
            };
            let pins = super::resource::set_pins(&rules.set);
            let mut value = self.bodies.generate(media, seeds, &pins);
            self.agree(op_id, ctx.params, media, &mut value, 0);
            self.decorate(op_id, ctx, &mut value);
            let id = fresh_id(&mut value, seeds.request);
            let mut stored = value.clone();
            if let Value::Object(m) = &mut stored {
                for f in &c.omit {
                    m.shift_remove(f);
                }
            }
            let queue = c
                .queue
                .as_deref()
                .and_then(|p| ctx.body.pointer(p))
                .and_then(Value::as_array)
                .map(|a| a.iter().skip(1).cloned().collect())
                .unwrap_or_default();
            let item = Item {
                id,
                body: stored,
                origin: ctx.body.clone(),
                queue,
            };
            self.rows(|s| s.insert(&key, item, self.config.max_resources));
            return Ok(Some(value));
        }
        let Some(t) = &rules.transition else {
            return Ok(None);
        };
        let key = t.collection.render(ctx.params);
        let id = ctx
            .params
            .iter()
            .find(|(k, _)| *k == t.item)
            .map_or("", |(_, v)| v.as_str());
        // The guard check and the change are one step: under the lock in
        // memory, one compare-and-set commit on Redis.
        let max = self.config.max_resources;
        let done = self.rows(|store| -> Result<(Value, Value, bool), (u16, String)> {
            let Some(mut item) = store.get(&key, id) else {
                let message = format!("{key}/{} does not exist", util::truncate(id, 200));
                return Err((404, message));
            };
            if let Some(why) = t.guard().forbids(&item.body) {
                return Err((409, format!("{} refused: {why}", util::truncate(id, 200))));
            }
            let origin = item.origin.clone();
            apply(&mut item.body, &t.set, &t.echo, ctx, &origin);
            let mut response = item.body.clone();
            let mut dialled = None;
            if let Some(next) = &t.next {
                util::assign(&mut response, &next.into, Value::Null);
                let wanted = next
                    .when
                    .as_deref()
                    .is_none_or(|p| ctx.body.pointer(p) == Some(&Value::Bool(true)));
                if wanted && !item.queue.is_empty() {
                    let dest = item.queue.remove(0);
                    let queue = std::mem::take(&mut item.queue);
                    let current = item.body.clone();
                    let n = store.next_number(&key);
                    let mut attempt = current.clone();
                    let new_id = fresh_id(
                        &mut attempt,
                        util::mix(self.config.seed, format!("{key}#{n}")),
                    );
                    let dest_ctx = Ctx {
                        body: &dest,
                        params: ctx.params,
                        parts: ctx.parts,
                        context: ctx.context,
                    };
                    apply(&mut attempt, &next.set, &next.echo, &dest_ctx, &origin);
                    if let Some(a) = &next.attempts {
                        util::assign(
                            &mut response,
                            a,
                            Value::Array(vec![current, attempt.clone()]),
                        );
                    }
                    util::assign(&mut response, &next.into, attempt.clone());
                    dialled = Some(Item {
                        id: new_id,
                        body: attempt,
                        origin: origin.clone(),
                        queue,
                    });
                }
            }
            store.put(&key, item, max);
            let was_dialled = dialled.is_some();
            if let Some(next) = dialled {
                store.insert(&key, next, max);
            }
            Ok((response, origin, was_dialled))
        });
        let (mut response, origin, dialled) = match done {
            Ok(d) => d,
            Err((status, message)) => {
                return Err(Box::new(self.error(
                    Some(op_id),
                    status,
                    &message,
                    &[],
                    false,
                )));
            }
        };
        if let Some(f) = &t.fallback {
            let value = if dialled {
                Value::Null
            } else {
                build(&f.build, ctx, &origin)
            };
            util::assign(&mut response, &f.into, value);
        }
        apply(
            &mut response,
            &self.rules(op_id).set,
            &self.rules(op_id).echo,
            ctx,
            &origin,
        );
        Ok(Some(response))
    }
}

/// Gives a created resource an id of its own, keeping the generated id's
/// prefix (`tr_`), so resources made from one example do not collide.
pub(super) fn fresh_id(value: &mut Value, seed: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let old = value.get("id").and_then(Value::as_str).unwrap_or("");
    let prefix = old.rfind('_').map_or("", |k| &old[..=k]).to_owned();
    let mut h = seed;
    let mut id = prefix;
    for _ in 0..16 {
        h = util::splitmix(h);
        id.push(ALPHABET[(h % 62) as usize] as char);
    }
    if let Some(slot) = value.get_mut("id")
        && slot.is_string()
    {
        *slot = Value::String(id.clone());
    }
    id
}
