//! The shared keys sub-resources agree on with their parent.

use decoy_spec::hints::SchemaHints;

use serde_json::Value;

/// Every property schema marked `x-decoy-shared`, as (key, pointer).
pub(super) fn shared_properties(
    v: &Value,
    at: &mut String,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(key) = SchemaHints::read(m).0.shared
                && at.contains("/properties/")
            {
                out.push((key.to_owned(), at.clone()));
            }
            for (name, child) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&decoy_spec::pointer::escape(name));
                shared_properties(child, at, depth + 1, out);
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (n, child) in a.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&n.to_string());
                shared_properties(child, at, depth + 1, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}
