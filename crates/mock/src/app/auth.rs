//! Security requirements: bearer, basic and API keys in header, query or
//! cookie.

use decoy_spec::{OpId, Operation, ParameterLocation, SecurityScheme, Spec};
use hyper::header;
use hyper::http::request::Parts;

use super::App;
use super::params::{cookie, query_pairs};

/// One operation's security requirements with their schemes looked up
/// once, at startup: a request gets in when it meets every scheme of any
/// one requirement (a scheme the document does not declare is met).
#[derive(Default)]
pub(super) struct Security(Vec<Vec<Option<SecurityScheme>>>);

impl Security {
    pub(super) fn of(spec: &Spec, op: &Operation) -> Security {
        let requirement = |r: &decoy_spec::SecurityRequirement| {
            r.schemes
                .iter()
                .map(|(name, _)| spec.security_scheme(name))
                .collect()
        };
        Security(op.security.iter().map(requirement).collect())
    }
}

impl App {
    pub(super) fn authorized(&self, op_id: OpId, parts: &Parts) -> bool {
        let Security(requirements) = &self.ops[op_id].security;
        requirements.is_empty()
            || requirements.iter().any(|schemes| {
                schemes
                    .iter()
                    .all(|s| s.as_ref().is_none_or(|s| self.scheme_met(s, parts)))
            })
    }

    fn scheme_met(&self, scheme: &SecurityScheme, parts: &Parts) -> bool {
        let token_ok =
            |t: &str| !t.is_empty() && self.config.token.as_deref().is_none_or(|want| want == t);
        // `Authorization: <scheme> <credentials>`, read as bytes: a header
        // value that is not visible ASCII (`to_str`) carries none.
        let auth = |scheme: &str| {
            let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
            let space = v.bytes().position(|b| b == b' ')?;
            let (s, t) = (&v[..space], &v[space + 1..]);
            s.eq_ignore_ascii_case(scheme).then(|| t.trim_ascii())
        };
        match scheme {
            SecurityScheme::Http { scheme } if scheme == "basic" => {
                auth("basic").is_some_and(|t| !t.is_empty())
            }
            SecurityScheme::ApiKey { name, location } => match location {
                ParameterLocation::Query => query_pairs(parts.uri.query())
                    .find(|(k, _)| k == name)
                    .is_some_and(|(_, v)| token_ok(&v)),
                ParameterLocation::Cookie => cookie(parts, name).is_some_and(|v| token_ok(&v)),
                _ => parts
                    .headers
                    .get(name.as_str())
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(token_ok),
            },
            _ => auth("bearer").is_some_and(token_ok),
        }
    }
}
