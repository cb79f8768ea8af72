//! The `curl` line that sends an observed request to the upstream directly,
//! with credentials read from the environment so they never reach a CI log.

use bytes::Bytes;
use decoy_conform::shell_quote;
use hyper::HeaderMap;

/// Bodies longer than this are left out of the line (it says how long).
const MAX_BODY: usize = 4096;

/// Headers that say nothing about the request's meaning, or that curl
/// sets itself.
fn noise(name: &str) -> bool {
    matches!(
        name,
        "host"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "upgrade"
            | "accept-encoding"
            | "user-agent"
            | "via"
            | "referer"
            | "origin"
            | "proxy-authorization"
    ) || name.starts_with("sec-")
}

/// `curl -sS -i [-X METHOD] -H ... [--data-raw BODY] URL`.
pub(crate) fn curl(method: &str, url: &str, headers: &HeaderMap, body: Option<&Bytes>) -> String {
    let mut parts = vec!["curl -sS -i".to_owned()];
    let has_body = body.is_some_and(|b| !b.is_empty());
    if method != "GET" || has_body {
        parts.push(format!("-X {method}"));
    }
    for (name, value) in headers {
        let name = name.as_str();
        if noise(name) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        match name {
            "authorization" => match value.split_once(' ') {
                Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => {
                    parts.push("-H \"Authorization: Bearer $DECOY_TOKEN\"".to_owned());
                }
                _ => parts.push("-H \"Authorization: $DECOY_AUTHORIZATION\"".to_owned()),
            },
            "cookie" => parts.push("-H \"Cookie: $DECOY_COOKIE\"".to_owned()),
            _ => parts.push(format!("-H {}", shell_quote(&format!("{name}: {value}")))),
        }
    }
    let mut note = String::new();
    if let Some(b) = body.filter(|b| !b.is_empty()) {
        match std::str::from_utf8(b) {
            Ok(text) if b.len() <= MAX_BODY => {
                parts.push(format!("--data-raw {}", shell_quote(text)));
            }
            _ => {
                parts.push("--data-binary @body.bin".to_owned());
                note = format!(
                    "  # the {}-byte body is not shown: save it as body.bin",
                    b.len()
                );
            }
        }
    }
    parts.push(shell_quote(url));
    parts.join(" ") + &note
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn credentials_come_from_the_environment_and_noise_is_left_out() {
        let mut h = HeaderMap::new();
        h.append("host", HeaderValue::from_static("127.0.0.1:4010"));
        h.append("authorization", HeaderValue::from_static("Bearer s3cret"));
        h.append("cookie", HeaderValue::from_static("session=abc"));
        h.append("content-type", HeaderValue::from_static("application/json"));
        let body = Bytes::from_static(b"{\"note\":\"it's\"}");
        let line = curl("POST", "http://x/v1/a", &h, Some(&body));
        assert_eq!(
            line,
            "curl -sS -i -X POST -H \"Authorization: Bearer $DECOY_TOKEN\" \
             -H \"Cookie: $DECOY_COOKIE\" -H 'content-type: application/json' \
             --data-raw '{\"note\":\"it'\\''s\"}' 'http://x/v1/a'"
        );
        assert!(!line.contains("s3cret") && !line.contains("abc"));
    }

    #[test]
    fn a_large_or_binary_body_is_left_out_with_a_note() {
        let body = Bytes::from(vec![0xffu8; 10]);
        let line = curl("PUT", "http://x/f", &HeaderMap::new(), Some(&body));
        assert!(
            line.ends_with("# the 10-byte body is not shown: save it as body.bin"),
            "{line}"
        );
        assert!(line.contains("--data-binary @body.bin"), "{line}");
    }
}
