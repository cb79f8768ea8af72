//! Security requirements: bearer, basic and API keys in header, query or
//! cookie.

use decoy_spec::{Operation, ParameterLocation, SecurityScheme};
use hyper::header;
use hyper::http::request::Parts;

use super::App;
use super::params::{cookie, query_pairs};

impl App {
    pub(super) fn authorized(&self, op: &Operation, parts: &Parts) -> bool {
        op.security.is_empty()
            || op.security.iter().any(|req| {
                req.schemes
                    .iter()
                    .all(|(name, _)| self.scheme_met(name, parts))
            })
    }

    pub(super) fn scheme_met(&self, name: &str, parts: &Parts) -> bool {
        let token_ok =
            |t: &str| !t.is_empty() && self.config.token.as_deref().is_none_or(|want| want == t);
        let auth = |scheme: &str| {
            let v = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            match v.split_once(' ') {
                Some((s, t)) if s.eq_ignore_ascii_case(scheme) => Some(t.trim().to_owned()),
                _ => None,
            }
        };
        match self.schemes.get(name) {
            None => true,
            Some(SecurityScheme::Http { scheme }) if scheme == "basic" => {
                auth("basic").is_some_and(|t| !t.is_empty())
            }
            Some(SecurityScheme::ApiKey { name, location }) => {
                let value = match location {
                    ParameterLocation::Query => query_pairs(parts.uri.query())
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v),
                    ParameterLocation::Cookie => cookie(parts, name),
                    _ => parts
                        .headers
                        .get(name.as_str())
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                };
                value.is_some_and(|v| token_ok(&v))
            }
            Some(_) => auth("bearer").is_some_and(|t| token_ok(&t)),
        }
    }
}
