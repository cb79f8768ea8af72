//! Printing requests so a person can send them again: one `curl` command
//! line, or a shell script for a sequence (ids returned by one step feed
//! later ones through `jq`).

use crate::client::{Auth, Client, INVALID_TOKEN, Request};
use crate::report::clip;

/// Quotes for a POSIX shell.
pub(crate) fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `curl` command for `request`. The configured token is read from
/// `$DECOY_TOKEN` so it never lands in a CI log.
pub(crate) fn curl(client: &Client, request: &Request, target: &str) -> String {
    let mut parts = vec!["curl -sS -i".to_owned()];
    if request.method != "GET" || request.body.is_some() {
        parts.push(format!("-X {}", request.method));
    }
    match request.auth {
        Auth::Configured => {
            let wire = client.wire_headers(request);
            if wire
                .iter()
                .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer "))
            {
                parts.push("-H \"Authorization: Bearer $DECOY_TOKEN\"".to_owned());
            }
        }
        Auth::Missing => {}
        Auth::Invalid => parts.push(format!(
            "-H {}",
            sh(&format!("Authorization: Bearer {INVALID_TOKEN}"))
        )),
    }
    for (n, v) in client.wire_headers(request) {
        if n == "Authorization" {
            continue;
        }
        parts.push(format!("-H {}", sh(&format!("{n}: {v}"))));
    }
    let url = sh(&format!("{}{}", client.base, target));
    match &request.body {
        Some(body) if body.pad > 0 => {
            parts.push("--data-binary @-".to_owned());
            parts.push(url);
            format!(
                "{{ printf '%s' {}; head -c {} /dev/zero | tr '\\0' ' '; }} | {}",
                sh(&body.text),
                body.pad,
                parts.join(" ")
            )
        }
        Some(body) => {
            parts.push(format!("--data-raw {}", sh(&body.text)));
            parts.push(url);
            parts.join(" ")
        }
        None => {
            parts.push(url);
            parts.join(" ")
        }
    }
}

/// The body of a request for a report: cut at 4 KiB, padding described.
pub(crate) fn body_summary(request: &Request) -> Option<String> {
    request.body.as_ref().map(|b| {
        let text = clip(&b.text, 4096);
        if b.pad > 0 {
            format!("{text} (+{} bytes of whitespace)", b.pad)
        } else {
            text
        }
    })
}
