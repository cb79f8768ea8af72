//! What a run does: [`Config`], the [`Check`] names and [`Shard`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

use crate::{ConformError, Progress};

/// Everything a conformance run needs besides the document. Build it with
/// [`Config::new`] and set the public fields; every field has a default that
/// suits CI.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Base URL of the implementation under test (`http://127.0.0.1:8080`,
    /// optionally with a path prefix); the document's paths are appended.
    /// Plain HTTP only.
    pub base_url: String,
    /// Generated valid requests per operation (`--cases`). Negative cases,
    /// auth probes and sequences come on top, and are bounded by this too.
    pub cases: u32,
    /// Random sequences of stateful calls (create, act, read) to run.
    pub sequences: u32,
    /// Longest generated sequence, in steps.
    pub max_sequence_len: usize,
    /// Seed of every random choice (`--seed`): the same seed against the same
    /// implementation sends the same requests.
    pub seed: u64,
    /// Stop generating new cases after this long (`--time-limit`); cases in
    /// flight finish and the report says the run was cut short.
    pub time_limit: Option<Duration>,
    /// Bearer token sent as `Authorization: Bearer <token>` (`--token`).
    /// When set, the invalid-credentials probe also runs.
    pub token: Option<String>,
    /// Extra headers sent with every request (`--header 'Name: value'`).
    pub headers: Vec<(String, String)>,
    /// Known resource ids by path parameter name (`--id id=call_1`); tried
    /// first, and the values shrinking moves towards.
    pub ids: Vec<(String, String)>,
    /// Checks switched off by name (`--skip-check content-type`).
    pub skip: Vec<Check>,
    /// Run only this part of the work (`--shard 1/3`).
    pub shard: Option<Shard>,
    /// Directory of response snapshots (`--snapshots DIR`).
    pub snapshots: Option<PathBuf>,
    /// Rewrite snapshots instead of comparing (`--update-snapshots`).
    pub update_snapshots: bool,
    /// Property names whose values snapshots redact, besides ids, date-times
    /// and URLs (which are always redacted).
    pub redact: Vec<String>,
    /// Time allowed to open a TCP connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole exchange, body included.
    pub request_timeout: Duration,
    /// Largest response body read; past it the exchange is a finding and the
    /// connection is dropped, so a hostile target cannot exhaust memory.
    pub max_response_bytes: usize,
    /// Size of the large-body probe (a schema-valid body padded with JSON
    /// whitespace); 0 switches the probe off.
    pub large_body_bytes: usize,
    /// Requests in flight at once (`--workers`): operations run
    /// concurrently, the cases of one operation in order, so a run is
    /// reproducible. Lower it when the report says 503s or 429s suggest the
    /// target is overloaded.
    pub workers: usize,
    /// Credentials by security scheme name (`--auth NAME=VALUE`): an API
    /// key's value, `user:password` for HTTP basic, a token for bearer. Sent
    /// where each operation's security requirement says.
    pub auth: Vec<(String, String)>,
    /// Run only operations matching one selector of each kind given
    /// (`--include-operation`, `--include-path`, `--include-tag`,
    /// `--include-method`); none: every operation.
    pub include: Vec<Selector>,
    /// Leave out operations matching any of these (`--exclude-*`).
    pub exclude: Vec<Selector>,
    /// Stop testing an operation after this many timeouts in a row; the
    /// whole run stops (an error) after four times this many in a row
    /// across operations, or as many as there are workers if more.
    pub max_timeouts_in_row: u32,
    /// Stop testing an operation once its responses add up to this many
    /// bytes: a target answering 10 MB bodies is checked, but not 500
    /// times over.
    pub max_bytes_per_operation: usize,
    /// Times a failing case is replayed; a failure that does not come back is
    /// reported as flaky.
    pub replays: u32,
    /// Most requests spent shrinking one failure.
    pub shrink_budget: u32,
    /// Counters updated as the run goes, for a progress bar (`decoy test`
    /// draws one on a terminal).
    pub progress: Option<Progress>,
}

impl Config {
    /// Defaults for a target at `base_url`: 50 cases per operation, seed 0,
    /// 10 s per request, 16 MiB response cap.
    pub fn new(base_url: impl Into<String>) -> Config {
        Config {
            base_url: base_url.into(),
            cases: 50,
            sequences: 50,
            max_sequence_len: 6,
            seed: 0,
            time_limit: None,
            token: None,
            headers: Vec::new(),
            ids: Vec::new(),
            skip: Vec::new(),
            shard: None,
            snapshots: None,
            update_snapshots: false,
            redact: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024 * 1024,
            large_body_bytes: 256 * 1024,
            workers: 4,
            auth: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            max_timeouts_in_row: 3,
            max_bytes_per_operation: 64 * 1024 * 1024,
            replays: 2,
            shrink_budget: 64,
            progress: None,
        }
    }

    /// Whether `check` is switched on.
    pub fn enabled(&self, check: Check) -> bool {
        !self.skip.contains(&check)
    }
}

/// Picks operations by one property: [`Config::include`] and
/// [`Config::exclude`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selector {
    /// The `operationId` (or `METHOD /path` when it has none), exactly.
    Operation(String),
    /// The path template, `*` matching any run of characters
    /// (`/users/*`, `*/admin/*`).
    Path(String),
    /// One of the operation's `tags`, exactly.
    Tag(String),
    /// The HTTP method, any case.
    Method(String),
}

impl Selector {
    /// Whether an operation with this name, method, path and tags matches.
    pub fn matches(&self, name: &str, method: &str, path: &str, tags: &[&str]) -> bool {
        match self {
            Selector::Operation(id) => id == name,
            Selector::Path(glob) => glob_match(glob, path),
            Selector::Tag(tag) => tags.contains(&tag.as_str()),
            Selector::Method(m) => m.eq_ignore_ascii_case(method),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Selector::Operation(_) => 0,
            Selector::Path(_) => 1,
            Selector::Tag(_) => 2,
            Selector::Method(_) => 3,
        }
    }
}

/// Whether an operation is selected: for each kind of include given, one
/// matches; no exclude matches.
pub(crate) fn selected(
    include: &[Selector],
    exclude: &[Selector],
    test: impl Fn(&Selector) -> bool,
) -> bool {
    let kinds_ok = (0..4).all(|k| {
        let mut of_kind = include.iter().filter(|s| s.kind() == k).peekable();
        of_kind.peek().is_none() || of_kind.any(&test)
    });
    kinds_ok && !exclude.iter().any(test)
}

/// `*` matches any run of characters (`/` included); everything else is
/// literal.
fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// One part of a run split across machines: shard `index` (1-based) of
/// `total`. Operations and sequences are dealt round-robin, so every shard
/// is reproducible from the same seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// Which part, from 1.
    pub index: u32,
    /// How many parts.
    pub total: u32,
}

impl Shard {
    /// Whether item `i` (0-based) belongs to this shard.
    pub fn owns(self, i: usize) -> bool {
        i % self.total as usize == (self.index - 1) as usize
    }
}

impl FromStr for Shard {
    type Err = ConformError;

    /// Parses `K/N` with 1 <= K <= N.
    fn from_str(s: &str) -> Result<Shard, ConformError> {
        let bad = |message: String| ConformError::Usage {
            setting: "shard",
            message,
        };
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| bad(format!("expected K/N, found `{s}`")))?;
        let index: u32 = k
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{k}` is not a number")))?;
        let total: u32 = n
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{n}` is not a number")))?;
        if total == 0 || index == 0 || index > total {
            return Err(bad(format!("need 1 <= K <= N, found {index}/{total}")));
        }
        Ok(Shard { index, total })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

macro_rules! checks {
    ($($variant:ident = $name:literal: $doc:literal,)*) => {
        /// A named check; each can be switched off with [`Config::skip`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Check {
            $(#[doc = $doc] $variant,)*
        }

        impl Check {
            /// Every check, in report order.
            pub const ALL: &'static [Check] = &[$(Check::$variant,)*];

            /// The kebab-case name used on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self { $(Check::$variant => $name,)* }
            }

            /// What the check asserts, in a sentence.
            pub fn description(self) -> &'static str {
                match self { $(Check::$variant => $doc,)* }
            }
        }
    };
}

checks! {
    Transport = "transport": "The exchange completes: no reset connection, timeout or oversized response.",
    ServerError = "server-error": "No response is a 5xx.",
    StatusDocumented = "status-documented": "Every status code is documented for its operation.",
    ContentType = "content-type": "The Content-Type is one the document declares for that status.",
    ResponseSchema = "response-schema": "The body is valid against the schema of its status and media type.",
    RequiredHeaders = "required-headers": "Headers the document marks required are present.",
    NegativeRejected = "negative-rejected": "Invalid input (wrong type, missing field, bad enum, malformed JSON, wrong media type) gets a documented 4xx.",
    AuthRequired = "auth-required": "A protected operation refuses requests without credentials.",
    AuthInvalid = "auth-invalid": "A protected operation refuses requests with invalid credentials.",
    StatefulConflict = "stateful-conflict": "An action on a resource in a state that forbids it is refused, not accepted.",
    Listing = "listing": "A created resource appears where the document lists it.",
    CreatedReadable = "created-readable": "A created resource can be read back (no 404/410), agreeing on the fields its create echoed.",
    UpdateVisible = "update-visible": "An update the target accepted and echoed is visible on the next read.",
    DeletedGone = "deleted-gone": "After a successful delete, reading the resource answers 404 or 410 (when the read documents one).",
    ReadConsistency = "read-consistency": "The same read twice in a row agrees.",
    Snapshot = "snapshot": "Normalized responses match the committed snapshots.",
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Check {
    type Err = ConformError;

    fn from_str(s: &str) -> Result<Check, ConformError> {
        Check::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .ok_or_else(|| ConformError::Usage {
                setting: "check",
                message: format!(
                    "unknown check `{s}`; known: {}",
                    Check::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_selection() {
        assert!(glob_match("/users/*", "/users/{id}/posts"));
        assert!(glob_match("*/admin/*", "/v1/admin/x"));
        assert!(!glob_match("*/admin/*", "/v1/admins"));
        assert!(glob_match("/a", "/a") && !glob_match("/a", "/ab"));
        assert!(glob_match("*a*a*", "aa") && !glob_match("a*a", "a"));
        let get = |s: &Selector| s.matches("getUser", "GET", "/users/{id}", &["users"]);
        let tag = Selector::Tag("users".into());
        let post = Selector::Method("post".into());
        assert!(selected(&[], &[], get));
        assert!(selected(
            &[tag.clone(), Selector::Method("get".into())],
            &[],
            get
        ));
        assert!(!selected(&[tag.clone(), post.clone()], &[], get));
        assert!(selected(
            &[post.clone(), Selector::Method("GET".into())],
            &[],
            get
        ));
        assert!(!selected(&[], &[Selector::Path("/users/*".into())], get));
    }
}
