//! A Calls API `CallDetail` built by hand: plain structs, every value drawn
//! fresh per request, serialized with serde. It is what an engineer who
//! knows this one schema would write to serve new calls as fast as possible,
//! so it is the ceiling for the mock's new resources (`ceiling structs`).
//!
//! It makes what the mock makes for the same document: prefixed ids, picks
//! from the documented values, sentences from word lists, ordered RFC 3339
//! times, small free-form maps, and the same rules (a call nobody answered
//! has no report, transfers or transcript; an ended call has both ends).
//! Its bodies average about the mock's size; `bench/scaling.sh` prints both.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// A small, fast generator (wyrand): one multiply per draw.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        (t >> 64) as u64 ^ t as u64
    }

    /// A draw in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next() as u32) * u128::from(n)) >> 32) as u64
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// `prefix` and 16 letters and digits.
    fn id(&mut self, prefix: &str) -> String {
        const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut s = String::with_capacity(prefix.len() + 16);
        s.push_str(prefix);
        let mut bits = self.next();
        for i in 0..16 {
            if i == 10 {
                bits = self.next();
            }
            s.push(ALNUM[(bits % 62) as usize] as char);
            bits /= 62;
        }
        s
    }

    fn sentence(&mut self) -> String {
        const WHO: &[&str] = &[
            "caller",
            "customer",
            "support agent",
            "account owner",
            "user",
        ];
        const DID: &[&str] = &[
            "confirmed",
            "reviewed",
            "asked about",
            "reported a problem with",
        ];
        const WHAT: &[&str] = &[
            "the pricing plan",
            "a refund",
            "the latest invoice",
            "the billing address",
            "an upcoming appointment",
        ];
        const THEN: &[&str] = &[
            "",
            " and was satisfied with the answer",
            " after a short hold",
            " and asked for a follow-up",
        ];
        let mut s = String::with_capacity(80);
        s.push_str("The ");
        s.push_str(self.pick(WHO));
        s.push(' ');
        s.push_str(self.pick(DID));
        s.push(' ');
        s.push_str(self.pick(WHAT));
        s.push_str(self.pick(THEN));
        s.push('.');
        s
    }

    fn phone(&mut self) -> String {
        format!(
            "+{}{:09}",
            self.pick(&[1, 33, 44, 49]),
            self.below(1_000_000_000)
        )
    }

    /// Up to `most` word pairs.
    fn words(&mut self, most: u64) -> Words {
        const WORDS: &[&str] = &[
            "alpha", "harbor", "spruce", "stone", "maple", "cloud", "nova", "delta", "summit",
            "quartz", "silver", "sage", "solar", "birch", "falcon", "meadow", "island",
        ];
        let n = self.below(most + 1) as usize;
        let mut pairs = [("", ""); 3];
        for pair in &mut pairs[..n] {
            *pair = (self.pick(WORDS), self.pick(WORDS));
        }
        Words { pairs, n }
    }

    /// A number with two decimals below `most`.
    fn cents(&mut self, most: u64) -> f64 {
        self.below(most * 100) as f64 / 100.0
    }
}

/// A free-form object of a few words.
pub(crate) struct Words {
    pairs: [(&'static str, &'static str); 3],
    n: usize,
}

impl Serialize for Words {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.n))?;
        for (k, v) in &self.pairs[..self.n] {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Unix seconds as RFC 3339 (`2026-05-12T05:19:02Z`).
pub(crate) struct Time(i64);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let mut b = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, secs / 3600);
        put(14, 2, secs / 60 % 60);
        put(17, 2, secs % 60);
        s.serialize_str(std::str::from_utf8(&b).unwrap_or_default())
    }
}

#[derive(Serialize)]
pub(crate) struct CallDetail {
    id: String,
    call_id: String,
    resource_uri: String,
    agent_id: String,
    status: &'static str,
    kind: &'static str,
    room_name: String,
    language: &'static str,
    pipeline_config: Words,
    metadata: Words,
    created_at: Time,
    updated_at: Time,
    ended_at: Option<Time>,
    duration_seconds: Option<u64>,
    recording_status: &'static str,
    recording_duration_ms: u64,
    recording_resource_uri: String,
    report: Option<Report>,
    transfers: Vec<Transfer>,
    transcript: Transcript,
    span_tree: Words,
}

#[derive(Serialize)]
struct Report {
    session_id: String,
    organization_id: String,
    summary: String,
    outcome: &'static str,
    structured_data: Words,
    transcript: Transcript,
    cost_micro_usd: String,
    cost_breakdown: Vec<CostLine>,
    metadata: Words,
    scheduled_callback: Words,
    analysis_status: &'static str,
    post_call_webhook_status: &'static str,
    created_at: Time,
    updated_at: Time,
}

#[derive(Serialize)]
struct Transcript {
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    id: String,
    index: usize,
    source: &'static str,
    text: String,
    started_at: Time,
    ended_at: Time,
    provider: &'static str,
    model: &'static str,
    metadata: Words,
    llm_ttft_ms: f64,
    tts_ttfb_ms: f64,
    conversational_latency_ms: f64,
    latency_status: &'static str,
}

#[derive(Serialize)]
#[allow(non_snake_case)] // The document's own names.
struct CostLine {
    provider: &'static str,
    metric: &'static str,
    quantity: f64,
    keySource: &'static str,
    costMicroUsd: String,
}

#[derive(Serialize)]
struct Transfer {
    id: String,
    session_id: String,
    organization_id: String,
    kind: &'static str,
    status: &'static str,
    transfer_to: String,
    from_room_name: String,
    consultation_room_name: Option<String>,
    caller_participant_identity: String,
    recipient_participant_identity: Option<String>,
    outbound_trunk_id: Option<String>,
    screening_prompt: Option<String>,
    summary: Option<String>,
    failure_cause: Option<String>,
    metadata: Words,
    created_at: Time,
    updated_at: Time,
    completed_at: Option<Time>,
}

/// What a call's parts share with it.
struct Shared {
    session: String,
    organization: String,
    room: String,
    /// The call's span, in Unix seconds.
    from: i64,
    to: i64,
}

impl CallDetail {
    /// A new call with id `id`, every other value drawn from `rng`.
    pub(crate) fn fresh(id: &str, rng: &mut Rng) -> CallDetail {
        const STATUSES: &[&str] = &[
            "queued",
            "ringing",
            "in_progress",
            "completed",
            "failed",
            "cancelled",
            "no_answer",
            "busy",
        ];
        let status = rng.pick(STATUSES);
        let answered = !matches!(status, "queued" | "ringing" | "no_answer" | "busy");
        let ended = !matches!(status, "queued" | "ringing" | "in_progress");
        let created = 1_750_000_000 + rng.below(30_000_000) as i64;
        let duration = 30 + rng.below(4000);
        let end = created + duration as i64;
        let call = Shared {
            session: rng.id("sess_"),
            organization: rng.id("org_"),
            room: rng.id("room_"),
            from: created,
            to: end,
        };
        let report = answered.then(|| Report {
            session_id: call.session.clone(),
            organization_id: call.organization.clone(),
            summary: rng.sentence(),
            outcome: rng.pick(&["resolved", "transferred", "voicemail", "callback_scheduled"]),
            structured_data: rng.words(2),
            // The report's copy is shorter, as the mock's averages.
            transcript: Transcript::fresh(rng, 2, created, end),
            cost_micro_usd: rng.below(10_000_000).to_string(),
            cost_breakdown: (0..1 + rng.below(3))
                .map(|_| CostLine::fresh(rng))
                .collect(),
            metadata: rng.words(2),
            scheduled_callback: rng.words(1),
            analysis_status: rng.pick(&["heuristic", "completed", "failed"]),
            post_call_webhook_status: rng.pick(&["not_configured", "pending", "delivered"]),
            created_at: Time(end - 7),
            updated_at: Time(end),
        });
        let transfers = match answered {
            true => (0..1 + rng.below(3))
                .map(|_| Transfer::fresh(rng, &call, ended))
                .collect(),
            false => Vec::new(),
        };
        let transcript = match answered {
            true => Transcript::fresh(rng, 3, created, end),
            false => Transcript {
                entries: Vec::new(),
            },
        };
        CallDetail {
            id: id.to_owned(),
            call_id: id.to_owned(),
            resource_uri: format!("/v1/calls/{id}"),
            agent_id: rng.id("agent_"),
            status,
            kind: rng.pick(&["inbound", "outbound", "web"]),
            room_name: call.room.clone(),
            language: rng.pick(&["en-US", "pt-BR", "it-IT", "de-DE", "fr-FR"]),
            pipeline_config: rng.words(2),
            metadata: rng.words(2),
            created_at: Time(created),
            updated_at: Time(created + 60),
            ended_at: ended.then_some(Time(end)),
            duration_seconds: ended.then_some(duration),
            recording_status: rng.pick(&["recording", "processing", "available", "failed"]),
            recording_duration_ms: rng.below(5000),
            recording_resource_uri: format!("/v1/calls/{id}/recording"),
            report,
            transfers,
            transcript,
            span_tree: rng.words(2),
        }
    }
}

impl Transcript {
    /// One to `most` entries spread over `from..to`.
    fn fresh(rng: &mut Rng, most: u64, from: i64, to: i64) -> Transcript {
        let n = 1 + rng.below(most) as usize;
        let entries = (0..n)
            .map(|index| {
                let at = from + (to - from) * index as i64 / n as i64;
                Entry {
                    id: rng.id("te_"),
                    index,
                    source: rng.pick(&["user", "agent", "system"]),
                    text: rng.sentence(),
                    started_at: Time(at),
                    ended_at: Time(at + 5),
                    provider: rng.pick(&["platform", "deepgram", "cartesia"]),
                    model: rng.pick(&["nova-3", "sonic-2", "gpt-4o"]),
                    metadata: rng.words(1),
                    llm_ttft_ms: rng.cents(4000),
                    tts_ttfb_ms: rng.cents(1000),
                    conversational_latency_ms: rng.cents(4000),
                    latency_status: rng.pick(&["partial", "complete", "interrupted", "error"]),
                }
            })
            .collect();
        Transcript { entries }
    }
}

impl CostLine {
    fn fresh(rng: &mut Rng) -> CostLine {
        CostLine {
            provider: rng.pick(&["deepgram", "cartesia", "openai"]),
            metric: rng.pick(&["llm_tokens", "stt_seconds", "tts_characters"]),
            quantity: rng.cents(100),
            keySource: rng.pick(&["BYOK", "MANAGED"]),
            costMicroUsd: rng.below(10_000).to_string(),
        }
    }
}

impl Transfer {
    fn fresh(rng: &mut Rng, call: &Shared, ended: bool) -> Transfer {
        let (from, to) = (call.from, call.to);
        let at = from + rng.below((to - from) as u64 + 1) as i64;
        // Screening, bridging and the consultation room are warm-only; a
        // transfer is complete once it succeeded, failed or was cancelled.
        let warm = rng.chance(50);
        let status = match (ended, warm) {
            // An ended call has no live transfer.
            (true, _) => rng.pick(&["completed", "failed", "cancelled"]),
            (false, true) => {
                rng.pick(&["screening", "bridging", "completed", "failed", "cancelled"])
            }
            (false, false) => rng.pick(&["requested", "completed", "failed", "cancelled"]),
        };
        let done = matches!(status, "completed" | "failed" | "cancelled");
        let failed = matches!(status, "failed" | "cancelled");
        Transfer {
            id: rng.id("tr_"),
            session_id: call.session.clone(),
            organization_id: call.organization.clone(),
            kind: if warm { "warm" } else { "blind" },
            status,
            transfer_to: rng.phone(),
            from_room_name: call.room.clone(),
            consultation_room_name: (warm && rng.chance(50))
                .then(|| format!("{}_consult_1", call.room)),
            caller_participant_identity: format!("sip_{}", rng.phone()),
            recipient_participant_identity: rng.chance(50).then(|| format!("sip_{}", rng.phone())),
            outbound_trunk_id: rng.chance(50).then(|| rng.id("trunk_")),
            screening_prompt: (warm && rng.chance(70)).then(|| rng.sentence()),
            summary: rng.chance(50).then(|| rng.sentence()),
            failure_cause: (failed && rng.chance(50)).then(|| rng.sentence()),
            metadata: rng.words(2),
            created_at: Time(at),
            updated_at: Time(at + 40),
            completed_at: done.then_some(Time(to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ceiling is only a fair bound if it makes what the mock must:
    /// bodies the document accepts, as large on average. Every drawn call
    /// validates against the Calls document's `CallDetail`.
    #[test]
    fn every_call_is_a_valid_call_detail() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../specs/calls.openapi.yaml"
        );
        let spec = decoy_spec::Spec::load(path.as_ref()).expect("the Calls document");
        let validators = decoy_validate::Validators::new(&spec);
        let schema = validators
            .compile("/components/schemas/CallDetail")
            .expect("CallDetail compiles");
        for seed in 0..500 {
            let call = CallDetail::fresh("call_x", &mut Rng::new(seed));
            let value = serde_json::to_value(&call).expect("a call serializes");
            let violations = schema.validate(&value);
            assert!(
                violations.is_empty(),
                "seed {seed}: {violations:?}\n{value}"
            );
        }
    }
}
