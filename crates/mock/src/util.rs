//! Small helpers: a stable hash (the std one may change between Rust
//! releases, and seeds must mean the same thing after an upgrade), time.

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) use decoy_spec::seed::{derive as mix, splitmix, unit};

/// The current time as an RFC 3339 UTC date-time (`2025-03-14T16:02:05Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    decoy_synth::time::format_date_time(secs)
}

/// Keeps at most `max` bytes of `s`, on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Reads the value at `field`: a top-level property, or a pointer.
pub(crate) fn field_mut<'v>(
    body: &'v mut serde_json::Value,
    field: &str,
) -> Option<&'v mut serde_json::Value> {
    if field.starts_with('/') {
        body.pointer_mut(field)
    } else {
        body.get_mut(field)
    }
}

/// Writes `value` at `field` of an object body (a top-level property, or a
/// pointer whose parent exists). Bodies that are not objects are left alone.
pub(crate) fn assign(body: &mut serde_json::Value, field: &str, value: serde_json::Value) {
    if let Some(rest) = field.strip_prefix('/') {
        if let Some(slot) = body.pointer_mut(field) {
            *slot = value;
            return;
        }
        let (parent, last) = match rest.rsplit_once('/') {
            Some((p, l)) => (format!("/{p}"), l),
            None => (String::new(), rest),
        };
        let last = decoy_spec::pointer::unescape(last);
        if let Some(serde_json::Value::Object(m)) = body.pointer_mut(&parent) {
            m.insert(last, value);
        }
    } else if let serde_json::Value::Object(m) = body {
        m.insert(field.to_owned(), value);
    }
}

/// A map hashed with FxHash: a few instructions a word where SipHash takes
/// a hundred. Only for maps that hold a bounded number of entries (a client
/// choosing colliding keys costs at most that many comparisons) or keys no
/// client chooses.
pub(crate) type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Per-thread shards (of the request recorder, of waiting timers): more
/// than the worker threads of the machines decoy runs on, so two threads
/// rarely share one.
pub(crate) const SHARDS: usize = 64;

/// This thread's shard: a small number of its own, handed out once per
/// thread, modulo [`SHARDS`].
pub(crate) fn thread_shard() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % SHARDS;
    }
    INDEX.with(|i| *i)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_is_well_formed() {
        let now = super::now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20"));
    }
}
