//! Media types by kind: which documented type or range a sent type matches,
//! which concrete type answers for a range, and reading form and multipart
//! bodies. Shared by the mock (requests in, responses out), the conformance
//! runner and the proxy, so a media type means one thing everywhere.
//!
//! ```
//! use decoy_spec::media::{self, MediaKind};
//!
//! assert_eq!(media::kind("application/problem+json"), MediaKind::Json);
//! assert_eq!(media::kind("multipart/form-data; boundary=x"), MediaKind::Multipart);
//! assert_eq!(media::essence(" Application/JSON; charset=utf-8"), "application/json");
//! assert!(decoy_spec::is_json_media_type("Application/Problem+JSON"));
//! assert!(media::matches("audio/*", "audio/mpeg"));
//! assert_eq!(media::concrete("audio/*"), "audio/mpeg");
//! // The most specific documented entry wins.
//! assert_eq!(media::best(["*/*", "text/*", "text/plain"], "text/plain"), Some(2));
//! ```

use std::borrow::Cow;

/// What a body of a media type is, for reading and writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `application/json`, `*+json`: a JSON document.
    Json,
    /// `application/x-www-form-urlencoded`: `name=value` pairs.
    Form,
    /// `multipart/*`: named parts, each with its own headers.
    Multipart,
    /// `text/*` and XML: characters, read as a string.
    Text,
    /// Anything else (`application/octet-stream`, `image/png`): bytes.
    Binary,
}

/// The media type without parameters, lower-cased (`text/plain`).
///
/// Borrowed when it is lower-case already, as nearly every media type is:
/// the mock asks on every request.
pub fn essence(name: &str) -> Cow<'_, str> {
    let e = name.split(';').next().unwrap_or("").trim();
    match e.bytes().any(|b| b.is_ascii_uppercase()) {
        true => Cow::Owned(e.to_ascii_lowercase()),
        false => Cow::Borrowed(e),
    }
}

/// The kind of a (concrete) media type. Ranges count by what they name:
/// `*/*` and `application/*` are JSON, the mock's own choice for them.
pub fn kind(name: &str) -> MediaKind {
    let e = essence(name);
    let (top, sub) = e.split_once('/').unwrap_or((&e, ""));
    match (top, sub) {
        ("application", "json" | "*") | ("*", "*") | ("text", "json") => MediaKind::Json,
        (_, s) if s.ends_with("+json") => MediaKind::Json,
        ("application", "x-www-form-urlencoded") => MediaKind::Form,
        ("multipart", _) => MediaKind::Multipart,
        ("text", _) => MediaKind::Text,
        ("application", "xml" | "sdp" | "javascript" | "yaml" | "x-yaml" | "x-ndjson") => {
            MediaKind::Text
        }
        (_, s) if s.ends_with("+xml") => MediaKind::Text,
        _ => MediaKind::Binary,
    }
}

/// Whether a sent media type falls under a documented type or range.
pub fn matches(documented: &str, sent: &str) -> bool {
    specificity(documented, sent).is_some()
}

/// How closely `documented` names `sent`: 2 exact, 1 `type/*`, 0 `*/*`.
fn specificity(documented: &str, sent: &str) -> Option<u8> {
    let doc = essence(documented);
    let sent = essence(sent);
    if doc == sent {
        return Some(2);
    }
    if doc == "*/*" {
        return Some(0);
    }
    let (top, sub) = doc.split_once('/')?;
    let (sent_top, sent_sub) = sent.split_once('/')?;
    if top != sent_top {
        return None;
    }
    // `type/*`, or a structured-syntax range (`application/*+json`).
    match sub.strip_prefix('*') {
        Some("") => Some(1),
        Some(suffix) if suffix.starts_with('+') && sent_sub.ends_with(suffix) => Some(1),
        _ => None,
    }
}

/// The index of the documented entry that best matches a sent type: an
/// exact one before a `type/*` range before `*/*`.
pub fn best<'a>(documented: impl IntoIterator<Item = &'a str>, sent: &str) -> Option<usize> {
    documented
        .into_iter()
        .enumerate()
        .filter_map(|(i, d)| Some((specificity(d, sent)?, i)))
        .max_by_key(|&(s, i)| (s, std::cmp::Reverse(i)))
        .map(|(_, i)| i)
}

/// A concrete type to answer with for a documented type or range:
/// the type itself, else the commonest member of its range.
pub fn concrete(documented: &str) -> String {
    let e = essence(documented);
    if let Some((top, suffix)) = e.split_once("/*+") {
        return format!("{top}/vnd.decoy+{suffix}");
    }
    let Some(top) = e.strip_suffix("/*") else {
        return documented.trim().to_owned();
    };
    match top {
        "*" | "application" => "application/json",
        "audio" => "audio/mpeg",
        "image" => "image/png",
        "video" => "video/mp4",
        "text" => "text/plain",
        "font" => "font/woff2",
        "multipart" => "multipart/form-data",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// A media type parameter's value (`boundary`, `charset`), unquoted.
pub fn parameter(name: &str, key: &str) -> Option<String> {
    name.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// `application/x-www-form-urlencoded` text (or a query string) as decoded
/// pairs, in order; `+` is a space.
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename`, for a file part.
    pub filename: Option<String>,
    /// Its own `Content-Type`, if given.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Vec<u8>,
}

impl Part {
    /// Whether the part carries a file or other bytes rather than a field's
    /// text (a filename, or a content type that is not text).
    pub fn is_file(&self) -> bool {
        self.filename.is_some()
            || self
                .content_type
                .as_deref()
                .is_some_and(|t| kind(t) == MediaKind::Binary)
    }
}

/// Splits a `multipart/*` body on its boundary (RFC 7578). `Err` says what
/// is malformed.
pub fn multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    if boundary.is_empty() {
        return Err("the Content-Type has no boundary".to_owned());
    }
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut at = find(body, d, 0).ok_or("the body has no boundary line")?;
    let mut parts = Vec::new();
    loop {
        at += d.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        let start = skip_line_end(body, at);
        let next = find(body, d, start).ok_or("the body does not end with its closing boundary")?;
        // The CRLF before a delimiter belongs to the delimiter.
        let mut end = next;
        if body[..end].ends_with(b"\r\n") {
            end -= 2;
        } else if body[..end].ends_with(b"\n") {
            end -= 1;
        }
        parts.push(part(&body[start..end.max(start)])?);
        if parts.len() > 10_000 {
            return Err("more than 10000 parts".to_owned());
        }
        at = next;
    }
}

fn part(raw: &[u8]) -> Result<Part, String> {
    let (head, data) = match find(raw, b"\r\n\r\n", 0) {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => match find(raw, b"\n\n", 0) {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, &raw[raw.len()..]),
        },
    };
    let head = String::from_utf8_lossy(head);
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("content-disposition") {
            let v = format!("x;{}", v.split_once(';').map_or("", |(_, rest)| rest));
            name = parameter(&v, "name");
            filename = parameter(&v, "filename");
        } else if k.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(v.trim().to_owned());
        }
    }
    Ok(Part {
        name: name.ok_or("a part has no Content-Disposition name")?,
        filename,
        content_type,
        data: data.to_vec(),
    })
}

fn skip_line_end(body: &[u8], mut at: usize) -> usize {
    while at < body.len() && matches!(body[at], b' ' | b'\t') {
        at += 1;
    }
    if body[at..].starts_with(b"\r\n") {
        at + 2
    } else if body[at..].starts_with(b"\n") {
        at + 1
    } else {
        at
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts_round_trip() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--XyZ--\r\n";
        let parts = multipart(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "a");
        assert_eq!(parts[0].data, b"1");
        assert!(!parts[0].is_file());
        assert_eq!(parts[1].filename.as_deref(), Some("f.bin"));
        assert_eq!(parts[1].data, b"\x00\x01");
        assert!(parts[1].is_file());
        assert!(multipart(b"--XyZ\r\nno end", "XyZ").is_err());
        assert!(multipart(b"junk", "XyZ").is_err());
    }

    #[test]
    fn kinds_and_ranges() {
        assert_eq!(kind("application/x-www-form-urlencoded"), MediaKind::Form);
        assert_eq!(kind("application/xml"), MediaKind::Text);
        assert_eq!(kind("image/png"), MediaKind::Binary);
        assert_eq!(kind("*/*"), MediaKind::Json);
        assert!(!matches("audio/*", "video/mp4"));
        assert_eq!(best(["application/json"], "text/plain"), None);
        assert_eq!(concrete("image/*"), "image/png");
        assert_eq!(concrete("text/csv"), "text/csv");
        let json_range = "application/*+json";
        assert_eq!(concrete(json_range), "application/vnd.decoy+json");
        assert!(matches(json_range, &concrete(json_range)));
        assert!(matches(json_range, "application/problem+json"));
        assert!(!matches(json_range, "application/json"));
        assert!(!matches(json_range, "application/xml"));
        assert_eq!(kind(json_range), MediaKind::Json);
        assert_eq!(
            parameter("multipart/form-data; boundary=\"a b\"", "boundary").as_deref(),
            Some("a b")
        );
    }
}
