//! `$ref` resolution (local references only: the document is the whole
//! world) and checking. Every crate follows references through here, so
//! cycles are caught the same way everywhere.

use serde_json::Value;

use crate::error::Problem;
use crate::pointer::{from_ref, push};

/// Follows a chain of `$ref`s starting at `value` (found at `ptr`) to the
/// first value that is not a bare reference.
///
/// Returns the target and its pointer, or a message naming the broken link
/// (external, dangling, or a cycle with its whole loop spelled out).
pub fn follow<'a>(
    doc: &'a Value,
    value: &'a Value,
    ptr: &str,
) -> Result<(&'a Value, String), String> {
    let mut current = value;
    let mut at = ptr.to_owned();
    let mut seen: Vec<String> = Vec::new();
    while let Some(reference) = current.get("$ref") {
        let Some(reference) = reference.as_str() else {
            return Err(format!("{at}/$ref: expected a string, found {reference}"));
        };
        let Some(target) = from_ref(reference) else {
            return Err(format!(
                "{at}/$ref: `{reference}` points outside the document; decoy never fetches remote references (bundle the document first)"
            ));
        };
        if seen.contains(&target) {
            seen.push(target);
            return Err(format!("{ptr}: cyclic $ref: {}", seen.join(" -> ")));
        }
        let Some(next) = crate::pointer::get(doc, &target) else {
            return Err(format!(
                "{at}/$ref: `{reference}` does not exist in the document"
            ));
        };
        seen.push(target.clone());
        current = next;
        at = target;
    }
    Ok((current, at))
}

/// The value a chain of `$ref`s starting at `value` ends at; `value`
/// itself when a reference is broken (`decoy lint` reports those).
///
/// ```
/// let doc = serde_json::json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/c"}, "c": {"type": "string"}});
/// assert_eq!(decoy_spec::refs::deref(&doc, &doc["a"]), &doc["c"]);
/// let cyclic = serde_json::json!({"a": {"$ref": "#/a"}});
/// assert_eq!(decoy_spec::refs::deref(&cyclic, &cyclic["a"]), &cyclic["a"]);
/// ```
pub fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    follow(doc, value, "").map_or(value, |(v, _)| v)
}

/// Checks every `$ref` in the document, reporting each broken one.
pub(crate) fn check_all(doc: &Value, problems: &mut Vec<Problem>) {
    walk(doc, doc, "", problems, 0);
}

fn walk(doc: &Value, value: &Value, ptr: &str, problems: &mut Vec<Problem>, depth: usize) {
    if depth > 512 {
        return;
    }
    match value {
        Value::Object(map) => {
            if map.contains_key("$ref")
                && let Err(message) = follow(doc, value, ptr)
            {
                problems.push(Problem::error(
                    push(ptr, "$ref"),
                    strip_prefix(&message, ptr),
                ));
            }
            for (key, child) in map {
                // Data, not description: a `$ref` key inside an example is just a key.
                if matches!(
                    key.as_str(),
                    "example" | "examples" | "enum" | "const" | "default"
                ) || key.starts_with("x-")
                {
                    // `examples` of a media type holds Example objects, which may be refs.
                    if key == "examples" && !is_schema_examples(child) {
                        for (name, example) in child.as_object().into_iter().flatten() {
                            let example_ptr = push(&push(ptr, key), name);
                            if example.get("$ref").is_some()
                                && let Err(message) = follow(doc, example, &example_ptr)
                            {
                                problems.push(Problem::error(
                                    push(&example_ptr, "$ref"),
                                    strip_prefix(&message, &example_ptr),
                                ));
                            }
                        }
                    }
                    continue;
                }
                // A property named `$ref` under `properties` is a schema like any other.
                walk(doc, child, &push(ptr, key), problems, depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(doc, child, &push(ptr, &i.to_string()), problems, depth + 1);
            }
        }
        _ => {}
    }
}

/// Schema `examples` is an array of values; media-type `examples` is a map.
fn is_schema_examples(value: &Value) -> bool {
    value.is_array()
}

fn strip_prefix(message: &str, ptr: &str) -> String {
    let with_ref = format!("{ptr}/$ref: ");
    let with_colon = format!("{ptr}: ");
    message
        .strip_prefix(&with_ref)
        .or_else(|| message.strip_prefix(&with_colon))
        .unwrap_or(message)
        .to_owned()
}
