//! Credentials by security scheme (`--auth NAME=VALUE`): which schemes an
//! operation is sent with, and where each value goes on the wire.

use base64::Engine as _;
use decoy_spec::{Operation, ParameterLocation, SecurityScheme, Spec};

use crate::{Config, ConformError};

/// Where a credential travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    Header(String),
    Query(String),
    Cookie(String),
}

/// One scheme's credential, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    pub(crate) place: Place,
    /// The wire value: the key, `Bearer TOKEN`, `Basic BASE64`.
    pub(crate) value: String,
    /// A value of the same form that cannot be right.
    pub(crate) invalid: String,
    /// The environment variable a reproduction reads the value from.
    pub(crate) env: String,
    /// HTTP basic: the reproduction uses `curl -u`.
    pub(crate) basic: bool,
}

/// The value sent as an invalid API key or password.
pub(crate) const INVALID_KEY: &str = "decoy-invalid-key";

/// `DECOY_AUTH_` and the scheme name in upper case, other characters `_`.
pub(crate) fn env_name(scheme: &str) -> String {
    let name: String = scheme
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("DECOY_AUTH_{name}")
}

/// Every `--auth` name must be a scheme the document declares.
pub(crate) fn check_names(spec: &Spec, config: &Config) -> Result<(), ConformError> {
    for (name, _) in &config.auth {
        if spec.security_scheme(name).is_none() {
            let known: Vec<String> = spec
                .get("/components/securitySchemes")
                .and_then(|v| v.as_object())
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            return Err(ConformError::Usage {
                setting: "auth",
                message: format!(
                    "the document declares no security scheme `{name}` (declared: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            });
        }
    }
    Ok(())
}

/// The credentials `op` is sent with: those of the first of its security
/// requirements whose every scheme has a `--auth` value. None when no
/// requirement is fully covered (a `--token` still goes out as a bearer
/// token on every request).
pub(crate) fn for_operation(spec: &Spec, config: &Config, op: &Operation) -> Vec<Credential> {
    for requirement in &op.security {
        if requirement.schemes.is_empty() {
            continue;
        }
        let creds: Option<Vec<Credential>> = requirement
            .schemes
            .iter()
            .map(|(name, _)| {
                let (_, value) = config.auth.iter().find(|(n, _)| n == name)?;
                credential(spec.security_scheme(name)?, name, value)
            })
            .collect();
        if let Some(creds) = creds {
            return creds;
        }
    }
    Vec::new()
}

fn credential(scheme: SecurityScheme, name: &str, value: &str) -> Option<Credential> {
    let env = env_name(name);
    let bearer = |value: &str| Credential {
        place: Place::Header("Authorization".into()),
        value: format!("Bearer {value}"),
        invalid: format!("Bearer {}", crate::client::INVALID_TOKEN),
        env: env.clone(),
        basic: false,
    };
    Some(match scheme {
        SecurityScheme::ApiKey { name, location } => Credential {
            place: match location {
                ParameterLocation::Query => Place::Query(name),
                ParameterLocation::Cookie => Place::Cookie(name),
                _ => Place::Header(name),
            },
            value: value.to_owned(),
            invalid: INVALID_KEY.to_owned(),
            env,
            basic: false,
        },
        SecurityScheme::Http { scheme } if scheme == "basic" => {
            let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
            Credential {
                place: Place::Header("Authorization".into()),
                value: format!("Basic {}", b64(value)),
                invalid: format!("Basic {}", b64(&format!("decoy:{INVALID_KEY}"))),
                env,
                basic: true,
            }
        }
        SecurityScheme::Http { .. } => bearer(value),
        SecurityScheme::Other { kind } if kind != "mutualTLS" => bearer(value),
        _ => return None,
    })
}
