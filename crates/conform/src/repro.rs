//! Printing requests so a person can send them again: one `curl` command
//! line, or a shell script for a sequence (ids returned by one step feed
//! later ones through `jq`).

use crate::auth::Place;
use crate::client::{Auth, Client, INVALID_TOKEN, Request};
use crate::model::encode;
use crate::report::clip;

/// Quotes for a shell: `'…'`, or `$'…'` with escapes when the text holds
/// control characters, so a line never carries a raw control byte.
pub(crate) fn sh(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A `printf` format that prints `s` exactly, control bytes (NUL included,
/// which no shell argument can carry) as octal escapes.
fn printf_exact(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '%' => out.push_str("%%"),
            '\\' => out.push_str(r"\\"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    format!("printf {}", sh(&out))
}

/// The `curl` command for `request`. Credentials are read from the
/// environment (`$DECOY_TOKEN`, `$DECOY_AUTH_<SCHEME>`) so they never land
/// in a CI log.
pub(crate) fn curl(client: &Client, request: &Request, target: &str) -> String {
    let mut parts = vec!["curl -sS -i".to_owned()];
    if request.method != "GET" || request.body.is_some() {
        parts.push(format!("-X {}", request.method));
    }
    let mut url = sh(&format!("{}{}", client.base, target));
    let mut sep = if target.contains('?') { '&' } else { '?' };
    let mut own: Vec<String> = vec!["authorization".into()];
    match request.auth {
        Auth::Configured => {
            let wire = client.wire_headers(request);
            if wire
                .iter()
                .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer "))
                && !request
                    .creds
                    .iter()
                    .any(|c| c.place == Place::Header("Authorization".into()))
            {
                parts.push("-H \"Authorization: Bearer $DECOY_TOKEN\"".to_owned());
            }
        }
        Auth::Missing => {}
        Auth::Invalid => {
            if client.has_token() {
                parts.push(format!(
                    "-H {}",
                    sh(&format!("Authorization: Bearer {INVALID_TOKEN}"))
                ));
            }
        }
    }
    if request.auth != Auth::Missing {
        for c in &request.creds {
            // `'Name: '"$DECOY_AUTH_X"`, or the invalid value inline.
            let quoted = |prefix: &str| match request.auth {
                Auth::Invalid => sh(&format!("{prefix}{}", c.invalid)),
                _ => format!("{}\"${}\"", sh(prefix), c.env),
            };
            match &c.place {
                Place::Header(_) if c.basic && request.auth == Auth::Configured => {
                    parts.push(format!("-u \"${}\"", c.env));
                }
                Place::Header(name) => {
                    own.push(name.to_ascii_lowercase());
                    parts.push(format!("-H {}", quoted(&format!("{name}: "))));
                }
                Place::Cookie(name) => {
                    own.push("cookie".into());
                    parts.push(format!("-b {}", quoted(&format!("{name}="))));
                }
                Place::Query(name) => {
                    let q = quoted(&format!("{sep}{}=", encode(name)));
                    url = format!("{url}{q}");
                    sep = '&';
                }
            }
        }
    }
    for (n, v) in client.wire_headers(request) {
        if own.contains(&n.to_ascii_lowercase()) {
            continue;
        }
        parts.push(format!("-H {}", sh(&format!("{n}: {v}"))));
    }
    match &request.body {
        Some(body) if body.pad > 0 || body.text.chars().any(|c| c.is_ascii_control()) => {
            parts.push("--data-binary @-".to_owned());
            parts.push(url);
            let pad = if body.pad > 0 {
                format!("; head -c {} /dev/zero | tr '\\0' ' '", body.pad)
            } else {
                String::new()
            };
            parts.insert(0, format!("{{ {}{pad}; }} |", printf_exact(&body.text)));
            join(&parts)
        }
        Some(body) => {
            parts.push(format!("--data-raw {}", sh(&body.text)));
            parts.push(url);
            join(&parts)
        }
        None => {
            parts.push(url);
            join(&parts)
        }
    }
}

/// Shell words on one line, or, when that would pass 90 columns, one per
/// line with `\` continuations (a word itself is never broken).
fn join(parts: &[String]) -> String {
    let one = parts.join(" ");
    if one.chars().count() <= 90 {
        return one;
    }
    let mut out = String::new();
    let mut line = String::new();
    for part in parts {
        if !line.is_empty() && line.chars().count() + 1 + part.chars().count() > 88 {
            out.push_str(&line);
            out.push_str(" \\\n  ");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(part);
    }
    out.push_str(&line);
    out
}

/// The body of a request for a report: cut at 4 KiB, padding described.
pub(crate) fn body_summary(request: &Request) -> Option<String> {
    request.body.as_ref().map(|b| {
        let text = printable(&clip(&b.text, 4096));
        if b.pad > 0 {
            format!("{text} (+{} bytes of whitespace)", b.pad)
        } else {
            text
        }
    })
}

/// `text` with control characters written as `\u{..}` escapes, for reports.
pub(crate) fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_never_leaves_a_control_byte() {
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh("a\tb'\\"), r"$'a\x09b\'\\'");
        assert_eq!(printf_exact("{\"a\":\u{0}%\\"), r#"printf '{"a":\000%%\\'"#);
        for s in [
            sh("\u{0}\u{1b}x"),
            printf_exact("\u{0}\n\r"),
            printable("a\u{0}b"),
        ] {
            assert!(!s.chars().any(char::is_control), "{s:?}");
        }
    }
}
