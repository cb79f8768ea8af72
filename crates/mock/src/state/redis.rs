//! State in Redis, shared by every replica pointed at the same server.
//!
//! Per namespace NS, under the prefix `decoy:NS:`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `c:COLLECTION` | hash | id → `SEQ\nITEM_JSON` (SEQ orders listings) |
//! | `r:COLLECTION` | string | the collection's revision (bumped on change) |
//! | `n:COLLECTION` | string | resources created in it, ever (seeds ids) |
//! | `cols` | set | collections with members |
//! | `order` | zset | `COLLECTION\nID` by SEQ: the oldest is evicted first |
//! | `g`, `go` | zsets | deleted paths (by name, and by age for the cap) |
//! | `grev`, `seq` | strings | revision of deletions; creation sequence |
//!
//! Every key written gets the TTL again, so an idle namespace expires.
//! Loads and commits are Lua scripts: each is atomic on the server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Script, Value as RValue};

use super::view::{Change, Meta, Need, View};
use super::{Item, lock};

/// How long connecting or one command may take before Redis counts as down.
const TIMEOUT: Duration = Duration::from_secs(2);

const LOAD: &str = r#"
local p = ARGV[1]
local ttl = tonumber(ARGV[2])
local out = {}
local i = 3
while i <= #ARGV do
  local kind, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  if kind == 'S' then
    local found = {}
    local pos = 1
    while true do
      local s = string.find(a, '/', pos + 1, true)
      local prefix = s and string.sub(a, 1, s - 1) or a
      if prefix ~= '' and redis.call('ZSCORE', p .. 'g', prefix) then
        table.insert(found, prefix)
      end
      if not s then break end
      pos = s
    end
    for _, g in ipairs(redis.call('ZRANGEBYLEX', p .. 'g', '[' .. a .. '/', '(' .. a .. '0')) do
      table.insert(found, g)
    end
    table.insert(out, {redis.call('GET', p .. 'grev') or '0', found})
  else
    local items = {}
    if kind == 'F' then
      items = redis.call('HGETALL', p .. 'c:' .. a)
    elseif kind == 'I' then
      local v = redis.call('HGET', p .. 'c:' .. a, b)
      if v then items = {b, v} end
    end
    local n = redis.call('GET', p .. 'n:' .. a) or '0'
    if kind == 'R' then
      n = tostring(redis.call('INCR', p .. 'n:' .. a) - 1)
      redis.call('PEXPIRE', p .. 'n:' .. a, ttl)
    end
    table.insert(out, {redis.call('GET', p .. 'r:' .. a) or '0', n, items})
  end
end
return out
"#;

const COMMIT: &str = r#"
local p = ARGV[1]
local max = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local grev = ARGV[4]
if grev ~= '' and (redis.call('GET', p .. 'grev') or '0') ~= grev then return {0} end
local i = 6
for _ = 1, tonumber(ARGV[5]) do
  if (redis.call('GET', p .. 'r:' .. ARGV[i]) or '0') ~= ARGV[i + 1] then return {0} end
  i = i + 2
end
local n = tonumber(ARGV[i])
i = i + 1
local stale = {}
for _ = 1, n do
  local now = redis.call('HGET', p .. 'c:' .. ARGV[i], ARGV[i + 1])
  local was = ARGV[i + 2] == '1' and ARGV[i + 3] or false
  if now ~= was then
    table.insert(stale, ARGV[i])
    table.insert(stale, ARGV[i + 1])
  end
  i = i + 4
end
if #stale > 0 then return {2, stale} end
local touched = {}
local gone = false
local function drop(c)
  for _, id in ipairs(redis.call('HKEYS', p .. 'c:' .. c)) do
    redis.call('ZREM', p .. 'order', c .. '\n' .. id)
  end
  redis.call('DEL', p .. 'c:' .. c, p .. 'n:' .. c)
  redis.call('SREM', p .. 'cols', c)
  touched[c] = true
end
while i <= #ARGV do
  local op, k, id, data = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  touched[k] = true
  if op == 'N' then
    if tonumber(redis.call('GET', p .. 'n:' .. k) or '0') < tonumber(data) then
      redis.call('SET', p .. 'n:' .. k, data)
    end
  elseif op == 'P' then
    local old = redis.call('HGET', p .. 'c:' .. k, id)
    local seq
    if old then
      seq = string.sub(old, 1, string.find(old, '\n', 1, true) - 1)
    else
      seq = redis.call('INCR', p .. 'seq')
      redis.call('ZADD', p .. 'order', seq, k .. '\n' .. id)
    end
    redis.call('HSET', p .. 'c:' .. k, id, seq .. '\n' .. data)
    redis.call('SADD', p .. 'cols', k)
    if redis.call('ZREM', p .. 'g', k .. '/' .. id) == 1 then
      redis.call('ZREM', p .. 'go', k .. '/' .. id)
      gone = true
    end
  elseif op == 'D' then
    redis.call('HDEL', p .. 'c:' .. k, id)
    redis.call('ZREM', p .. 'order', k .. '\n' .. id)
    local below = k .. '/' .. id .. '/'
    for _, c in ipairs(redis.call('SMEMBERS', p .. 'cols')) do
      if string.sub(c, 1, #below) == below then drop(c) end
    end
    local path = k .. '/' .. id
    redis.call('ZADD', p .. 'g', 0, path)
    redis.call('ZADD', p .. 'go', redis.call('INCR', p .. 'seq'), path)
    while redis.call('ZCARD', p .. 'go') > max do
      redis.call('ZREM', p .. 'g', redis.call('ZPOPMIN', p .. 'go')[1])
    end
    gone = true
  end
end
while redis.call('ZCARD', p .. 'order') > max do
  local m = redis.call('ZPOPMIN', p .. 'order')[1]
  local nl = string.find(m, '\n', 1, true)
  local c = string.sub(m, 1, nl - 1)
  redis.call('HDEL', p .. 'c:' .. c, string.sub(m, nl + 1))
  touched[c] = true
  if redis.call('HLEN', p .. 'c:' .. c) == 0 then
    redis.call('DEL', p .. 'n:' .. c)
    redis.call('SREM', p .. 'cols', c)
  end
end
for k, _ in pairs(touched) do
  redis.call('INCR', p .. 'r:' .. k)
  for _, key in ipairs({'r:', 'c:', 'n:'}) do redis.call('PEXPIRE', p .. key .. k, ttl) end
end
if gone then redis.call('INCR', p .. 'grev') end
for _, key in ipairs({'cols', 'order', 'seq', 'g', 'go', 'grev'}) do
  redis.call('PEXPIRE', p .. key, ttl)
end
return {1}
"#;

const RESET: &str = r#"
local p = ARGV[1]
for _, c in ipairs(redis.call('SMEMBERS', p .. 'cols')) do
  redis.call('DEL', p .. 'c:' .. c, p .. 'n:' .. c)
  redis.call('INCR', p .. 'r:' .. c)
end
redis.call('DEL', p .. 'cols', p .. 'order', p .. 'g', p .. 'go')
redis.call('INCR', p .. 'grev')
return 1
"#;

/// Redis could not be reached, or answered something unexpected.
#[derive(Debug, Clone)]
pub(crate) struct Unavailable(pub(crate) String);

/// How a commit ended.
pub(crate) enum Commit {
    Done,
    /// A listing or the deletions read changed meanwhile: run again.
    Conflict,
    /// Members read changed meanwhile (or exist, where assumed absent):
    /// load them and run again.
    Stale(Vec<Need>),
}

/// A Redis server holding the state of every replica pointed at it.
pub(crate) struct RedisState {
    client: Client,
    url: String,
    connection: Mutex<Option<MultiplexedConnection>>,
    ttl: Duration,
    load: Script,
    commit: Script,
    reset: Script,
    /// The second of the last logged failure: one line a second at most.
    logged: AtomicU64,
}

impl RedisState {
    /// Parses the URL (`redis://HOST:PORT/DB`); connects on first use.
    pub(crate) fn new(url: &str, ttl: Duration) -> Result<RedisState, String> {
        let client = Client::open(url).map_err(|e| format!("--state {url}: {e}"))?;
        Ok(RedisState {
            client,
            url: url.to_owned(),
            connection: Mutex::new(None),
            ttl,
            load: Script::new(LOAD),
            commit: Script::new(COMMIT),
            reset: Script::new(RESET),
            logged: AtomicU64::new(0),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    async fn connection(&self) -> Result<MultiplexedConnection, Unavailable> {
        if let Some(c) = lock(&self.connection).clone() {
            return Ok(c);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT);
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| self.failed(&e))?;
        *lock(&self.connection) = Some(c.clone());
        Ok(c)
    }

    /// Forgets a broken connection (the next request reconnects) and logs,
    /// at most once a second.
    fn failed(&self, e: &redis::RedisError) -> Unavailable {
        if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
            *lock(&self.connection) = None;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if self.first_in_second(now) {
            eprintln!("decoy mock: state store {} unavailable: {e}", self.url);
        }
        Unavailable(format!(
            "the state store ({}) is unavailable: {e}",
            self.url
        ))
    }

    /// Whether this is the first failure in second `now` (one log line a
    /// second, however many requests fail).
    fn first_in_second(&self, now: u64) -> bool {
        self.logged.swap(now, Ordering::Relaxed) != now
    }

    fn prefix(namespace: Option<&str>) -> String {
        format!("decoy:{}:", namespace.unwrap_or(""))
    }

    /// Loads what `needs` name into a fresh view, in one script call (one
    /// consistent snapshot).
    ///
    /// A creation number is reserved once per request: `reserved` keeps
    /// those of earlier runs, so a run again draws the same ids (and a
    /// taken one is bumped, as in memory) instead of new ones.
    pub(crate) async fn load(
        &self,
        namespace: Option<&str>,
        needs: &[Need],
        reserved: &mut HashMap<String, u64>,
    ) -> Result<View, Unavailable> {
        let mut view = View::default();
        if needs.is_empty() {
            return Ok(view);
        }
        let mut call = self.load.prepare_invoke();
        call.arg(Self::prefix(namespace))
            .arg(self.ttl.as_millis().max(1) as u64);
        for need in needs {
            match need {
                Need::Meta(c) => call.arg("M").arg(c).arg(""),
                Need::Reserve(c) if reserved.contains_key(c) => call.arg("M").arg(c).arg(""),
                Need::Reserve(c) => call.arg("R").arg(c).arg(""),
                Need::Full(c) => call.arg("F").arg(c).arg(""),
                Need::Item(c, id) => call.arg("I").arg(c).arg(id),
                Need::Scope(p) => call.arg("S").arg(p).arg(""),
            };
        }
        let mut con = self.connection().await?;
        let out: Vec<RValue> = call
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.failed(&e))?;
        let bad = || Unavailable("the state store answered a load unexpectedly".to_owned());
        for (need, got) in needs.iter().zip(out) {
            let parts = match got {
                RValue::Array(a) => a,
                _ => return Err(bad()),
            };
            match need {
                Need::Scope(p) => {
                    let [rev, RValue::Array(found)] = &parts[..] else {
                        return Err(bad());
                    };
                    let found = found.iter().filter_map(text).collect();
                    view.loaded_scope(p, number(rev), found);
                }
                Need::Meta(c) | Need::Reserve(c) | Need::Full(c) | Need::Item(c, _) => {
                    let [rev, created, RValue::Array(items)] = &parts[..] else {
                        return Err(bad());
                    };
                    view.loaded_meta(
                        c,
                        Meta {
                            revision: number(rev),
                            created: number(created),
                        },
                    );
                    let mut stored: Vec<(u64, Item, String)> = items
                        .chunks(2)
                        .filter_map(|pair| {
                            let raw = text(pair.get(1)?)?;
                            let (seq, json) = raw.split_once('\n')?;
                            let item = Item::from_json(&serde_json::from_str(json).ok()?)?;
                            Some((seq.parse().ok()?, item, raw))
                        })
                        .collect();
                    stored.sort_by_key(|(seq, _, _)| *seq);
                    match need {
                        Need::Full(_) => {
                            view.loaded_full(c);
                            for (_, item, raw) in stored {
                                view.loaded_item(c, &item.id.clone(), Some((item, raw)));
                            }
                        }
                        Need::Item(_, id) => {
                            let found = stored.pop().map(|(_, item, raw)| (item, raw));
                            view.loaded_item(c, id, found);
                        }
                        Need::Reserve(_) => {
                            let n = *reserved.entry(c.clone()).or_insert(number(created));
                            view.reserved(c, n);
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(view)
    }

    /// Commits what a run of the pipeline changed, if nothing it read
    /// changed meanwhile.
    pub(crate) async fn commit(
        &self,
        namespace: Option<&str>,
        view: &View,
        max: usize,
    ) -> Result<Commit, Unavailable> {
        let mut call = self.commit.prepare_invoke();
        call.arg(Self::prefix(namespace))
            .arg(max.max(1))
            .arg(self.ttl.as_millis().max(1) as u64)
            .arg(view.gone_read().map_or(String::new(), |r| r.to_string()));
        let listings = view.listings_read();
        call.arg(listings.len());
        for (c, rev) in listings {
            call.arg(c).arg(rev.to_string());
        }
        call.arg(view.members_read().len());
        for (c, id, raw) in view.members_read() {
            match raw {
                Some(raw) => call.arg(c).arg(id).arg("1").arg(raw),
                None => call.arg(c).arg(id).arg("0").arg(""),
            };
        }
        for change in view.changes() {
            match change {
                Change::Counter(c, n) => call.arg("N").arg(c).arg("").arg(n.to_string()),
                Change::Put(c, item) => call
                    .arg("P")
                    .arg(c)
                    .arg(&item.id)
                    .arg(item.to_json().to_string()),
                Change::Delete(c, id) => call.arg("D").arg(c).arg(id).arg(""),
            };
        }
        let mut con = self.connection().await?;
        let out: Vec<RValue> = call
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(match out.first().map(number) {
            Some(1) => Commit::Done,
            Some(2) => {
                let stale = match out.get(1) {
                    Some(RValue::Array(a)) => a.iter().filter_map(text).collect(),
                    _ => Vec::new(),
                };
                Commit::Stale(
                    stale
                        .chunks(2)
                        .filter_map(|p| Some(Need::Item(p.first()?.clone(), p.get(1)?.clone())))
                        .collect(),
                )
            }
            _ => Commit::Conflict,
        })
    }

    /// Forgets one namespace's resources.
    pub(crate) async fn reset(&self, namespace: Option<&str>) -> Result<(), Unavailable> {
        let mut con = self.connection().await?;
        let _: RValue = self
            .reset
            .arg(Self::prefix(namespace))
            .invoke_async(&mut con)
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(())
    }
}

fn text(v: &RValue) -> Option<String> {
    match v {
        RValue::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        RValue::SimpleString(s) => Some(s.clone()),
        RValue::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &RValue) -> u64 {
    text(v).and_then(|t| t.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_log_once_a_second() {
        let r = RedisState::new("redis://127.0.0.1:1/0", Duration::from_secs(1)).unwrap();
        assert!(r.first_in_second(100));
        assert!(!r.first_in_second(100));
        assert!(r.first_in_second(101));
        assert!(RedisState::new("http://nope", Duration::from_secs(1)).is_err());
    }
}
