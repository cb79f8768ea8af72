//! JSON pointers (RFC 6901) and the URI fragments `$ref` writes them in.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use serde_json::Value;

/// Appends one reference token to a pointer, escaping `~` and `/`.
///
/// ```
/// assert_eq!(decoy_spec::pointer::push("/paths", "/v1/calls/{id}"), "/paths/~1v1~1calls~1{id}");
/// ```
pub fn push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    // Most tokens (property names, keywords, indexes) need no escape:
    // copied whole, not a character at a time.
    if !token.bytes().any(|b| b == b'~' || b == b'/') {
        out.push_str(token);
        return out;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// One reference token as a pointer writes it (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// One reference token as it reads (`~1` → `/`, `~0` → `~`).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The value at `pointer` (RFC 6901), as `Value::pointer` finds it, without
/// allocating for tokens that need no unescaping: lookups on the request
/// path stay cheap.
///
/// ```
/// let doc = serde_json::json!({"paths": {"/a": [1, {"x~y": 2}]}});
/// assert_eq!(decoy_spec::pointer::get(&doc, "/paths/~1a/1/x~0y"), Some(&serde_json::json!(2)));
/// assert_eq!(decoy_spec::pointer::get(&doc, ""), Some(&doc));
/// assert_eq!(decoy_spec::pointer::get(&doc, "/paths/~1a/01"), None);
/// ```
pub fn get<'a>(doc: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut at = doc;
    for token in borrowed_tokens(pointer)? {
        at = match at {
            Value::Object(map) => map.get(&*token)?,
            Value::Array(items) => items.get(array_index(&token)?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// [`get`], for changing the value found.
///
/// ```
/// let mut doc = serde_json::json!({"a": [1, {"b/c": 2}]});
/// *decoy_spec::pointer::get_mut(&mut doc, "/a/1/b~1c").unwrap() = 3.into();
/// assert_eq!(doc, serde_json::json!({"a": [1, {"b/c": 3}]}));
/// ```
pub fn get_mut<'a>(doc: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut at = doc;
    for token in borrowed_tokens(pointer)? {
        at = match at {
            Value::Object(map) => map.get_mut(&*token)?,
            Value::Array(items) => items.get_mut(array_index(&token)?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// [`tokens`] for lookups: a token with no `~` is borrowed, not copied, and
/// `None` says the pointer does not start with `/`.
fn borrowed_tokens(pointer: &str) -> Option<impl Iterator<Item = std::borrow::Cow<'_, str>>> {
    let rest = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?),
    };
    Some(rest.into_iter().flat_map(|r| r.split('/')).map(|t| {
        if t.contains('~') {
            std::borrow::Cow::Owned(unescape(t))
        } else {
            std::borrow::Cow::Borrowed(t)
        }
    }))
}

/// An array index as RFC 6901 writes it: digits, no leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// Splits a pointer into its unescaped reference tokens.
pub fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(unescape)
}

/// Characters that may not appear raw in a URI fragment. Braces of path
/// templates are among them, and jsonschema refuses a `$ref` that has them raw.
const FRAGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']')
    .add(b'%');

/// Writes a pointer as a URI fragment (without the `#`), percent-encoding what
/// a fragment cannot hold.
///
/// ```
/// assert_eq!(decoy_spec::pointer::to_fragment("/paths/~1a~1{id}"), "/paths/~1a~1%7Bid%7D");
/// ```
pub fn to_fragment(pointer: &str) -> String {
    utf8_percent_encode(pointer, FRAGMENT).to_string()
}

/// Reads the pointer out of an internal `$ref` (`#/components/schemas/X`).
/// Returns `None` for a reference to another document.
///
/// ```
/// assert_eq!(decoy_spec::pointer::from_ref("#/a/%7Bb%7D").as_deref(), Some("/a/{b}"));
/// assert_eq!(decoy_spec::pointer::from_ref("other.yaml#/a"), None);
/// ```
pub fn from_ref(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    Some(
        percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}
