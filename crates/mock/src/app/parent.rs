//! Which operation's resource is another's parent, and the shared keys
//! they agree on.

use decoy_spec::hints::SchemaHints;
use decoy_spec::{OpId, Spec};
use serde_json::Value;

use crate::error::MockError;
use crate::ext::Rules;

/// The parent of operation `k`: named by `x-decoy-parent`, else the `GET`
/// whose path is the longest proper prefix of `k`'s, at a segment boundary.
pub(super) fn parent_of(spec: &Spec, k: OpId, rules: &Rules) -> Result<Option<OpId>, MockError> {
    let ops = spec.operations();
    match &rules.parent {
        Some(None) => Ok(None),
        Some(Some(id)) => match spec.op_ids().find(|&p| ops[p].id.as_deref() == Some(id)) {
            Some(p) if p != k => Ok(Some(p)),
            _ => Err(MockError::Extension {
                pointer: format!("{}/x-decoy-parent", ops[k].pointer),
                message: format!("no other operation has operationId `{id}`"),
            }),
        },
        None => {
            let path = &ops[k].path;
            Ok(spec
                .op_ids()
                .map(|p| (p, &ops[p]))
                .filter(|(_, o)| o.method == "GET" && o.path.len() < path.len())
                .filter(|(_, o)| {
                    path.starts_with(o.path.as_str())
                        && path.as_bytes().get(o.path.len()) == Some(&b'/')
                })
                .max_by_key(|(_, o)| o.path.len())
                .map(|(p, _)| p))
        }
    }
}

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
                at.push_str(&name.replace('~', "~0").replace('/', "~1"));
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
