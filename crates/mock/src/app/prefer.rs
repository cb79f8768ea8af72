//! The `Prefer` header (Prism's conventions): a status, an example, or
//! static versus generated bodies; and decoy's `profile=edge|realistic`.

use crate::util;

/// The `Prefer` request header (RFC 7240; not among `http`'s names).
pub(crate) const HEADER: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("prefer");

/// `Prefer` header settings (Prism's conventions).
#[derive(Default)]
pub(super) struct Prefer {
    pub(super) code: Option<u16>,
    pub(super) example: Option<String>,
    pub(super) dynamic: Option<bool>,
    pub(super) profile: Option<decoy_synth::Profile>,
}

impl Prefer {
    pub(super) fn parse(headers: &hyper::HeaderMap) -> Result<Prefer, String> {
        let mut p = Prefer::default();
        for value in headers.get_all(HEADER) {
            let text = String::from_utf8_lossy(value.as_bytes());
            for pref in text.split([',', ';']) {
                let Some((k, v)) = pref.split_once('=') else {
                    continue;
                };
                let v = v.trim().trim_matches('"');
                match k.trim().to_ascii_lowercase().as_str() {
                    "code" => {
                        p.code = Some(
                            v.parse()
                                .ok()
                                .filter(|c| (100..=599).contains(c))
                                .ok_or_else(|| {
                                    format!(
                                        "Prefer: code={} is not an HTTP status code",
                                        util::truncate(v, 40)
                                    )
                                })?,
                        )
                    }
                    "example" => p.example = Some(v.to_owned()),
                    "profile" => {
                        p.profile = Some(v.parse().map_err(|e: String| {
                            format!("Prefer: profile={}: {e}", util::truncate(v, 40))
                        })?)
                    }
                    "dynamic" => {
                        p.dynamic = Some(match v {
                            "true" => true,
                            "false" => false,
                            _ => {
                                return Err(format!(
                                    "Prefer: dynamic={} must be true or false",
                                    util::truncate(v, 40)
                                ));
                            }
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(p)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.code.is_none()
            && self.example.is_none()
            && self.dynamic.is_none()
            && self.profile.is_none()
    }
}
