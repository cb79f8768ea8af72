//! Realism: what a value should look like when the schema leaves room.
//!
//! The schema decides first (type, format, pattern, enum, bounds); a [`Hint`]
//! from the property name or from Prism's `x-faker` only fills the room left,
//! and every hinted value is checked against the schema before it is used.

use fake::locales::{Data, EN};
use rand::RngExt;

use crate::Rng;
use crate::format;
use crate::names::{first_name, last_name, pick};
use crate::time;

/// What a value means, guessed from a property name or named by `x-faker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    None,
    DateTime,
    Date,
    /// An id with this prefix (or a UUID for [`IdPrefix::NONE`]).
    Id(IdPrefix),
    Uuid,
    Url,
    ImageUrl,
    Email,
    Phone,
    SipUri,
    Language,
    Sentence,
    Paragraph,
    Title,
    /// A short name for a thing: "Cedar Harbor".
    Name,
    FirstName,
    LastName,
    FullName,
    Username,
    Company,
    City,
    Country,
    CountryCode,
    State,
    Zip,
    Street,
    Currency,
    Job,
    Color,
    Ipv4,
    Ipv6,
    Domain,
    Password,
    Token,
    Version,
    Mime,
    UserAgent,
    TimeZone,
    Slug,
    Word,
    FileName,
    // Numbers.
    Latitude,
    Longitude,
    Millis,
    /// A recent Unix time in milliseconds (`created_at_ms`, `epoch_ms`).
    EpochMillis,
    Seconds,
    Count,
    Age,
    Year,
    Price,
    Port,
    Percent,
    Rating,
    HttpStatus,
    Integer,
    Number,
    Boolean,
}

/// The prefix of a generated id, short enough to keep [`Hint`] `Copy`.
///
/// The generic rule, for documents that name no prefix: the word the id
/// belongs to (`agent` of `agent_id`, `call` of component `CallDetail`'s
/// `id`), whole when it has at most six letters, else its first four, then
/// `_`: `agent_`, `sess_`. A document names its own with
/// `x-decoy-id-prefix`, or shows one in its examples ([`example_prefix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdPrefix {
    bytes: [u8; 7],
    len: u8,
}

impl IdPrefix {
    /// No prefix: the id is a UUID.
    pub(crate) const NONE: IdPrefix = IdPrefix {
        bytes: [0; 7],
        len: 0,
    };

    /// The generic prefix for a (lowercase) word; none unless it is made of
    /// at least two ASCII letters.
    pub(crate) fn from_word(word: &str) -> IdPrefix {
        let word = word
            .strip_suffix('s')
            .filter(|w| w.len() > 2)
            .unwrap_or(word);
        if word.len() < 2 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return IdPrefix::NONE;
        }
        let kept = if word.len() <= 6 { word } else { &word[..4] };
        let mut bytes = [0; 7];
        bytes[..kept.len()].copy_from_slice(kept.as_bytes());
        bytes[kept.len()] = b'_';
        IdPrefix {
            bytes,
            len: kept.len() as u8 + 1,
        }
    }

    /// The prefix, or `None` for a UUID.
    pub(crate) fn as_str(&self) -> Option<&str> {
        let s = std::str::from_utf8(&self.bytes[..usize::from(self.len)]).ok()?;
        (!s.is_empty()).then_some(s)
    }
}

/// The prefix every string example of an id shares (`call_` of
/// `call_7Qm2VxR9kLp4TnB8`): up to and including the first `_` or `-`,
/// followed by at least eight letters and digits, so `en-US` or `C-10482`
/// are not ids.
pub(crate) fn example_prefix(examples: &[serde_json::Value]) -> Option<&str> {
    let mut shared: Option<&str> = None;
    for example in examples {
        let text = example.as_str()?;
        let cut = text.find(['_', '-'])? + 1;
        let (prefix, rest) = text.split_at(cut);
        let looks_random = rest.len() >= 8 && rest.bytes().all(|b| b.is_ascii_alphanumeric());
        let named =
            prefix.len() >= 2 && prefix[..cut - 1].bytes().all(|b| b.is_ascii_alphanumeric());
        if !(looks_random && named) || shared.is_some_and(|p| p != prefix) {
            return None;
        }
        shared = Some(prefix);
    }
    shared
}

/// Splits `created_at`, `createdAt`, `Created-At` into lowercase words.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == ' ' || c == '.' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const PERSONS: &[&str] = &[
    "user",
    "person",
    "customer",
    "contact",
    "member",
    "employee",
    "owner",
    "author",
    "participant",
    "people",
    "profile",
    "student",
    "teacher",
    "patient",
    "guest",
    "recipient",
    "sender",
];

/// The hint a property name gives. `component` is the name of the component
/// schema the property belongs to, if known (`User` makes `name` a person).
pub(crate) fn from_name(name: &str, component: Option<&str>) -> Hint {
    let w = words(name);
    let Some(last) = w.last().map(String::as_str) else {
        return Hint::None;
    };
    let has = |x: &str| w.iter().any(|s| s == x);
    let first = w[0].as_str();
    let person = component.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        PERSONS.iter().any(|p| c.contains(p))
    });
    match last {
        "at" | "timestamp" | "datetime" => return Hint::DateTime,
        "created" | "updated" | "modified" | "deleted" | "expires" | "started" | "ended"
        | "completed"
            if w.len() == 1 =>
        {
            return Hint::DateTime;
        }
        "date" | "birthday" | "dob" => return Hint::Date,
        "uuid" | "guid" => return Hint::Uuid,
        "id" | "ids" => {
            if has("uuid") {
                return Hint::Uuid;
            }
            let stem = if w.len() >= 2 {
                w[w.len() - 2].as_str()
            } else {
                component.unwrap_or("")
            };
            let stem = words(stem).into_iter().next().unwrap_or_default();
            return Hint::Id(IdPrefix::from_word(&stem));
        }
        "url" | "uri" | "urls" | "uris" | "link" | "href" | "website" | "homepage" | "endpoint" => {
            if has("avatar")
                || has("image")
                || has("photo")
                || has("picture")
                || has("thumbnail")
                || has("logo")
            {
                return Hint::ImageUrl;
            }
            return Hint::Url;
        }
        "avatar" | "thumbnail" | "logo" | "photo" | "picture" => return Hint::ImageUrl,
        "email" | "emails" | "mail" => return Hint::Email,
        "phone" | "mobile" | "fax" | "msisdn" | "telephone" | "tel" | "cell" => return Hint::Phone,
        "number" | "numbers" if has("phone") || has("mobile") || has("fax") => return Hint::Phone,
        "sip" => return Hint::SipUri,
        "language" | "lang" | "locale" => return Hint::Language,
        "summary" | "message" | "text" | "comment" | "note" | "reason" | "prompt" | "feedback"
        | "explanation" | "greeting" => return Hint::Sentence,
        "description" | "notes" | "body" | "content" | "bio" | "details" | "instructions" => {
            return Hint::Paragraph;
        }
        "title" | "subject" | "headline" | "caption" => return Hint::Title,
        "firstname" | "forename" => return Hint::FirstName,
        "lastname" | "surname" => return Hint::LastName,
        "fullname" | "author" => return Hint::FullName,
        "username" | "login" | "handle" | "nickname" => return Hint::Username,
        "name" => {
            return match w.len() {
                1 if person => Hint::FullName,
                1 => Hint::Name,
                _ => match w[w.len() - 2].as_str() {
                    "first" | "given" => Hint::FirstName,
                    "last" | "family" | "sur" => Hint::LastName,
                    "full" | "display" | "contact" | "customer" | "person" | "legal" | "real" => {
                        Hint::FullName
                    }
                    "user" | "screen" | "account" => Hint::Username,
                    "company" | "organization" | "business" | "org" | "brand" => Hint::Company,
                    "file" => Hint::FileName,
                    "city" => Hint::City,
                    "country" => Hint::Country,
                    "street" => Hint::Street,
                    _ => Hint::Slug,
                },
            };
        }
        "city" | "town" => return Hint::City,
        "country" => return Hint::Country,
        "code" if has("country") => return Hint::CountryCode,
        "state" | "province" if !has("machine") => return Hint::State,
        "zip" | "zipcode" | "postcode" => return Hint::Zip,
        "code" if has("postal") || has("zip") => return Hint::Zip,
        "street" | "address" | "address1" | "line1" => {
            if has("ip") {
                return Hint::Ipv4;
            }
            if has("email") {
                return Hint::Email;
            }
            return Hint::Street;
        }
        "currency" => return Hint::Currency,
        "company" | "organization" | "employer" | "business" => return Hint::Company,
        "job" | "occupation" | "profession" => return Hint::Job,
        "color" | "colour" => return Hint::Color,
        "ip" | "ipv4" => return Hint::Ipv4,
        "ipv6" => return Hint::Ipv6,
        "domain" | "hostname" | "host" => return Hint::Domain,
        "password" | "passphrase" => return Hint::Password,
        "token" | "secret" => return Hint::Token,
        "key" if has("api") || has("access") || has("secret") => return Hint::Token,
        "version" => return Hint::Version,
        "type" if has("mime") || has("content") || has("media") => return Hint::Mime,
        "mimetype" => return Hint::Mime,
        "agent" if has("user") => return Hint::UserAgent,
        "timezone" | "tz" => return Hint::TimeZone,
        "zone" if has("time") => return Hint::TimeZone,
        "slug" => return Hint::Slug,
        "filename" => return Hint::FileName,
        "latitude" | "lat" => return Hint::Latitude,
        "longitude" | "lng" | "lon" => return Hint::Longitude,
        "unix" | "epoch" => return Hint::DateTime,
        "ms" | "millis" | "milliseconds"
            if ["unix", "epoch", "timestamp", "at", "created", "updated"]
                .iter()
                .any(|x| has(x)) =>
        {
            return Hint::EpochMillis;
        }
        "ms" | "millis" | "milliseconds" => return Hint::Millis,
        "seconds" | "secs" | "duration" | "timeout" | "ttl" | "elapsed" => return Hint::Seconds,
        "count" | "total" | "quantity" | "qty" => return Hint::Count,
        "age" => return Hint::Age,
        "year" => return Hint::Year,
        "price" | "amount" | "cost" | "fee" | "balance" | "subtotal" => return Hint::Price,
        "port" => return Hint::Port,
        "percent" | "percentage" | "pct" => return Hint::Percent,
        "rating" | "stars" => return Hint::Rating,
        _ => {}
    }
    if last == "code" && (has("status") || has("http")) && !has("sip") {
        return Hint::HttpStatus;
    }
    if first == "is" || first == "has" {
        return Hint::Boolean;
    }
    Hint::None
}

/// Maps Prism's `x-faker` method names (faker.js v4 and v8 spellings) to a
/// hint. Unknown methods give `None`, and the schema decides alone.
pub(crate) fn from_faker(method: &str) -> Option<Hint> {
    let method = method.trim().trim_end_matches("()");
    let (module, name) = method.split_once('.').unwrap_or(("", method));
    let name = name.to_ascii_lowercase();
    let module = module.to_ascii_lowercase();
    Some(match name.as_str() {
        "firstname" | "middlename" => Hint::FirstName,
        "lastname" => Hint::LastName,
        "fullname" | "findname" => Hint::FullName,
        "jobtitle" | "jobtype" | "jobarea" => Hint::Job,
        "email" | "exampleemail" => Hint::Email,
        "username" | "displayname" => Hint::Username,
        "url" if module == "image" => Hint::ImageUrl,
        "url" => Hint::Url,
        "avatar" | "imageurl" | "image" => Hint::ImageUrl,
        "domainname" | "domainword" => Hint::Domain,
        "ip" | "ipv4" => Hint::Ipv4,
        "ipv6" => Hint::Ipv6,
        "password" => Hint::Password,
        "useragent" => Hint::UserAgent,
        "color" | "rgb" | "human" if module != "vehicle" => Hint::Color,
        "number" | "phonenumber" | "imei" if module == "phone" => Hint::Phone,
        "phonenumber" => Hint::Phone,
        "sentence" | "sentences" | "text" | "lines" | "catchphrase" | "phrase" => Hint::Sentence,
        "paragraph" | "paragraphs" => Hint::Paragraph,
        "word" | "words" | "noun" | "verb" | "adjective" | "sample" => Hint::Word,
        "slug" => Hint::Slug,
        "uuid" => Hint::Uuid,
        "alphanumeric" | "alpha" | "hexadecimal" | "nanoid" | "commitsha" => Hint::Token,
        "recent" | "past" | "future" | "soon" | "anytime" | "between" => Hint::DateTime,
        "birthdate" | "month" | "weekday" => Hint::Date,
        "city" | "cityname" => Hint::City,
        "country" => Hint::Country,
        "countrycode" => Hint::CountryCode,
        "state" | "stateabbr" | "county" => Hint::State,
        "zipcode" | "postcode" => Hint::Zip,
        "streetaddress" | "street" | "streetname" | "secondaryaddress" => Hint::Street,
        "latitude" => Hint::Latitude,
        "longitude" => Hint::Longitude,
        "timezone" => Hint::TimeZone,
        "name" | "companyname" if module == "company" => Hint::Company,
        "name" if module == "person" || module == "name" => Hint::FullName,
        "productname" | "product" | "name" => Hint::Name,
        "amount" | "price" => Hint::Price,
        "currencycode" | "currencyname" | "currencysymbol" => Hint::Currency,
        "int" | "integer" | "float" | "number" | "bigint" => {
            if name == "float" {
                Hint::Number
            } else {
                Hint::Integer
            }
        }
        "boolean" | "bool" => Hint::Boolean,
        "filename" | "commonfilename" | "filepath" => Hint::FileName,
        "mimetype" => Hint::Mime,
        "semver" => Hint::Version,
        "locale" => Hint::Language,
        "port" => Hint::Port,
        _ => return None,
    })
}

const SUBJECTS: &[&str] = &[
    "The customer",
    "The caller",
    "The agent",
    "The user",
    "Our team",
    "The client",
    "The account owner",
    "The support agent",
    "The assistant",
    "The manager",
];
const VERBS: &[&str] = &[
    "asked about",
    "confirmed",
    "requested",
    "reported a problem with",
    "wanted to update",
    "cancelled",
    "followed up on",
    "scheduled",
    "reviewed",
    "approved",
    "declined",
    "discussed",
];
const OBJECTS: &[&str] = &[
    "the latest invoice",
    "a refund",
    "the delivery date",
    "their subscription",
    "the billing address",
    "an upcoming appointment",
    "the service outage",
    "a new order",
    "the contract renewal",
    "their account password",
    "the shipping status",
    "a callback next week",
    "the pricing plan",
    "the warranty claim",
    "the onboarding steps",
];
const TAILS: &[&str] = &[
    "",
    "",
    "",
    " and was satisfied with the answer",
    " before the end of the call",
    " and asked for an email confirmation",
    " after a short hold",
    " and requested a follow-up",
    " without further issues",
];
const ADJECTIVES: &[&str] = &[
    "Quarterly",
    "Annual",
    "Weekly",
    "Urgent",
    "Updated",
    "Internal",
    "Customer",
    "Regional",
    "Premium",
    "Standard",
    "Priority",
    "Shared",
];
const NOUNS: &[&str] = &[
    "billing review",
    "support request",
    "product launch",
    "team meeting",
    "sales report",
    "service update",
    "account summary",
    "renewal notice",
    "feature request",
    "status check",
];
const LANGUAGES: &[&str] = &[
    "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "it-IT", "nl-NL", "pt-BR", "ja-JP", "sv-SE",
];
const MIMES: &[&str] = &[
    "application/json",
    "text/plain",
    "text/html",
    "image/png",
    "image/jpeg",
    "application/pdf",
    "audio/mpeg",
    "text/csv",
];
const STATUS: &[i64] = &[
    200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 503,
];

pub(crate) fn sentence(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(80);
    s.push_str(pick(rng, SUBJECTS));
    s.push(' ');
    s.push_str(pick(rng, VERBS));
    s.push(' ');
    s.push_str(pick(rng, OBJECTS));
    s.push_str(pick(rng, TAILS));
    s.push('.');
    s
}

fn e164(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(16);
    let (cc, lead, rest): (&str, &str, usize) = match rng.random_range(0..6) {
        0 => ("+44", "7", 9),
        1 => ("+49", "15", 9),
        2 => ("+33", "6", 8),
        3 => ("+61", "4", 8),
        _ => ("+1", "", 10),
    };
    s.push_str(cc);
    s.push_str(lead);
    if lead.is_empty() {
        // North American numbers: area and exchange codes start with 2-9.
        s.push((b'2' + rng.random_range(0..8u8)) as char);
        format::push_random(&mut s, rng, b"0123456789", 2);
        s.push((b'2' + rng.random_range(0..8u8)) as char);
        format::push_random(&mut s, rng, b"0123456789", rest - 4);
    } else {
        format::push_random(&mut s, rng, b"0123456789", rest);
    }
    s
}

fn from_template(rng: &mut Rng, template: &str) -> String {
    template
        .chars()
        .map(|c| match c {
            '#' => (b'0' + rng.random_range(0..10u8)) as char,
            '^' => (b'1' + rng.random_range(0..9u8)) as char,
            c => c,
        })
        .collect()
}

/// A string for the hint, or `None` when the hint is not a string kind.
pub(crate) fn string(hint: Hint, rng: &mut Rng, anchor: i64, window: i64) -> Option<String> {
    Some(match hint {
        Hint::None
        | Hint::Latitude
        | Hint::Longitude
        | Hint::Millis
        | Hint::EpochMillis
        | Hint::Seconds
        | Hint::Count
        | Hint::Age
        | Hint::Year
        | Hint::Price
        | Hint::Port
        | Hint::Percent
        | Hint::Rating
        | Hint::HttpStatus
        | Hint::Integer
        | Hint::Number
        | Hint::Boolean => return None,
        Hint::DateTime => time::format_date_time(format::recent_unix(rng, anchor, window)),
        Hint::Date => {
            let mut s = time::format_date_time(format::recent_unix(rng, anchor, window));
            s.truncate(10);
            s
        }
        Hint::Id(prefix) => match prefix.as_str() {
            Some(prefix) => format::prefixed_id(prefix, rng),
            None => format::uuid(rng),
        },
        Hint::Uuid => format::uuid(rng),
        Hint::Url => format::https_url(rng),
        Hint::ImageUrl => format!(
            "https://picsum.photos/seed/{}/400/300",
            rng.random_range(1..100_000)
        ),
        Hint::Email => format::generate(format::Format::Email, rng, anchor, window, None)?,
        Hint::Phone => e164(rng),
        Hint::SipUri => format!("sip:{}@{}", e164(rng), format::domain(rng)),
        Hint::Language => pick(rng, LANGUAGES).to_owned(),
        Hint::Sentence => sentence(rng),
        Hint::Paragraph => {
            let n = rng.random_range(2..=3);
            let mut s = sentence(rng);
            for _ in 1..n {
                s.push(' ');
                s.push_str(&sentence(rng));
            }
            s
        }
        Hint::Title => format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
        Hint::Name => {
            let a = format::word(rng);
            let b = format::word(rng);
            let mut s = String::with_capacity(a.len() + b.len() + 1);
            s.push_str(&a[..1].to_ascii_uppercase());
            s.push_str(&a[1..]);
            s.push(' ');
            s.push_str(&b[..1].to_ascii_uppercase());
            s.push_str(&b[1..]);
            s
        }
        Hint::FirstName => first_name(rng).to_owned(),
        Hint::LastName => last_name(rng).to_owned(),
        Hint::FullName => format!("{} {}", first_name(rng), last_name(rng)),
        Hint::Username => {
            let mut s = first_name(rng).to_ascii_lowercase();
            s.push(['.', '_'][rng.random_range(0..2)]);
            s.push_str(&last_name(rng).to_ascii_lowercase());
            s.retain(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
            s
        }
        Hint::Company => {
            let tpl = pick(
                rng,
                &["{last} {suffix}", "{last} and {last}", "{last}-{last}"],
            );
            let mut s = String::new();
            for (i, part) in tpl.split(['{', '}']).enumerate() {
                match (i % 2, part) {
                    (1, "last") => s.push_str(last_name(rng)),
                    (1, "suffix") => s.push_str(pick(rng, EN::COMPANY_SUFFIX)),
                    (_, text) => s.push_str(text),
                }
            }
            s
        }
        Hint::City => format!(
            "{}{}",
            pick(rng, EN::ADDRESS_CITY_PREFIX),
            pick(rng, EN::ADDRESS_CITY_SUFFIX)
        ),
        Hint::Country => pick(rng, EN::ADDRESS_COUNTRY).to_owned(),
        Hint::CountryCode => pick(rng, EN::ADDRESS_COUNTRY_CODE).to_owned(),
        Hint::State => pick(rng, EN::ADDRESS_STATE).to_owned(),
        Hint::Zip => from_template(rng, "#####"),
        Hint::Street => format!(
            "{} {} {}",
            rng.random_range(1..9999),
            last_name(rng),
            pick(rng, EN::ADDRESS_STREET_SUFFIX)
        ),
        Hint::Currency => pick(
            rng,
            &["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK"],
        )
        .to_owned(),
        Hint::Job => format!(
            "{} {}",
            pick(rng, EN::JOB_SENIORITY),
            pick(rng, EN::JOB_POSITION)
        ),
        Hint::Color => format!("#{:06x}", rng.random_range(0..0x100_0000u32)),
        Hint::Ipv4 => format::generate(format::Format::Ipv4, rng, anchor, window, None)?,
        Hint::Ipv6 => format::generate(format::Format::Ipv6, rng, anchor, window, None)?,
        Hint::Domain => format::domain(rng),
        Hint::Password | Hint::Token => {
            let mut s = String::new();
            format::push_random(
                &mut s,
                rng,
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                if hint == Hint::Token { 32 } else { 16 },
            );
            s
        }
        Hint::Version => format!(
            "{}.{}.{}",
            rng.random_range(0..5),
            rng.random_range(0..20),
            rng.random_range(0..30)
        ),
        Hint::Mime => pick(rng, MIMES).to_owned(),
        Hint::UserAgent => pick(rng, EN::INTERNET_USER_AGENT).to_owned(),
        Hint::TimeZone => pick(rng, EN::ADDRESS_TIME_ZONE).to_owned(),
        Hint::Slug => {
            let mut s = format::word(rng).to_owned();
            s.push('-');
            format::push_random(&mut s, rng, b"0123456789abcdefghijklmnopqrstuvwxyz", 6);
            s
        }
        Hint::Word => format::word(rng).to_owned(),
        Hint::FileName => format!(
            "{}.{}",
            format::word(rng),
            pick(rng, &["pdf", "csv", "png", "txt", "wav", "json"])
        ),
    })
}

/// Whether [`number`] has a value for the hint: asked where a hint picks
/// between number and string, without drawing one.
pub(crate) fn is_number(hint: Hint) -> bool {
    matches!(
        hint,
        Hint::DateTime
            | Hint::Date
            | Hint::Latitude
            | Hint::Longitude
            | Hint::Millis
            | Hint::EpochMillis
            | Hint::Seconds
            | Hint::Count
            | Hint::Age
            | Hint::Year
            | Hint::Price
            | Hint::Port
            | Hint::Percent
            | Hint::Rating
            | Hint::HttpStatus
            | Hint::Integer
            | Hint::Number
    )
}

/// A number for the hint (integral when `integer`), or `None`.
pub(crate) fn number(
    hint: Hint,
    rng: &mut Rng,
    integer: bool,
    anchor: i64,
    window: i64,
) -> Option<f64> {
    // The one list of numeric hints; the match below draws for each.
    if !is_number(hint) {
        return None;
    }
    let v: f64 = match hint {
        Hint::DateTime | Hint::Date => return Some(format::recent_unix(rng, anchor, window) as f64),
        Hint::Latitude => rng.random_range(-90.0..90.0),
        Hint::Longitude => rng.random_range(-180.0..180.0),
        Hint::Millis => rng.random_range(40.0..4000.0),
        Hint::EpochMillis => {
            let s = format::recent_unix(rng, anchor, window) as f64;
            s * 1000.0 + rng.random_range(0.0..1000.0_f64).floor()
        }
        Hint::Seconds => rng.random_range(5.0..900.0),
        Hint::Count => rng.random_range(0.0..50.0),
        Hint::Age => rng.random_range(18.0..90.0),
        Hint::Year => rng.random_range(1990.0..2027.0),
        Hint::Price => rng.random_range(1.0..500.0),
        Hint::Port => rng.random_range(1024.0..65535.0),
        Hint::Percent => rng.random_range(0.0..100.0),
        Hint::Rating => rng.random_range(1.0..5.0),
        Hint::HttpStatus => return Some(STATUS[rng.random_range(0..STATUS.len())] as f64),
        Hint::Integer | Hint::Number => rng.random_range(0.0..1000.0),
        _ => return None,
    };
    Some(if integer {
        v.floor()
    } else {
        match hint {
            Hint::Latitude | Hint::Longitude => (v * 1e6).round() / 1e6,
            _ => (v * 100.0).round() / 100.0,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_number` is what `number` gives a value for: numbers, times as
    /// Unix seconds, and nothing else.
    #[test]
    fn is_number_agrees_with_number() {
        let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(7);
        for (hint, numeric) in [
            (Hint::Price, true),
            (Hint::DateTime, true),
            (Hint::HttpStatus, true),
            (Hint::Sentence, false),
            (Hint::Id(IdPrefix::NONE), false),
            (Hint::Boolean, false),
        ] {
            assert_eq!(is_number(hint), numeric, "{hint:?}");
            let drawn = number(hint, &mut rng, true, 1_000_000, 1_000);
            assert_eq!(drawn.is_some(), numeric, "{hint:?}");
        }
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("createdAt"), ["created", "at"]);
        assert_eq!(words("session_id"), ["session", "id"]);
        assert_eq!(words("HTTPStatus"), ["httpstatus"]);
    }

    #[test]
    fn names_give_hints() {
        assert_eq!(from_name("created_at", None), Hint::DateTime);
        assert_eq!(from_name("updatedAt", None), Hint::DateTime);
        let id = |h: Hint| match h {
            Hint::Id(p) => p.as_str().map(str::to_owned),
            other => panic!("{other:?}"),
        };
        assert_eq!(id(from_name("organization_id", None)).unwrap(), "orga_");
        assert_eq!(id(from_name("id", Some("CallDetail"))).unwrap(), "call_");
        assert_eq!(id(from_name("agentIds", None)).unwrap(), "agent_");
        assert_eq!(id(from_name("sessions_id", None)).unwrap(), "sess_");
        assert_eq!(id(from_name("id", None)), None);
        assert_eq!(id(from_name("x2_id", None)), None);
        assert_eq!(from_name("recording_url", None), Hint::Url);
        assert_eq!(from_name("resource_uri", None), Hint::Url);
        assert_eq!(from_name("phone_number", None), Hint::Phone);
        assert_eq!(from_name("language", None), Hint::Language);
        assert_eq!(from_name("summary", None), Hint::Sentence);
        assert_eq!(from_name("firstName", None), Hint::FirstName);
        assert_eq!(from_name("name", Some("User")), Hint::FullName);
        assert_eq!(from_name("duration_seconds", None), Hint::Seconds);
        assert_eq!(from_name("eou_ms", None), Hint::Millis);
        assert_eq!(from_name("created_unix", None), Hint::DateTime);
        assert_eq!(from_name("start_time_unix", None), Hint::DateTime);
        assert_eq!(from_name("created_at_ms", None), Hint::EpochMillis);
        assert_eq!(from_name("epoch_ms", None), Hint::EpochMillis);
        assert_eq!(from_name("currency", None), Hint::Currency);
        assert_eq!(from_name("flavour", None), Hint::None);
    }

    #[test]
    fn examples_show_a_prefix_only_when_they_look_like_ids() {
        let prefix = |examples: serde_json::Value| {
            example_prefix(examples.as_array().unwrap()).map(str::to_owned)
        };
        use serde_json::json;
        assert_eq!(prefix(json!(["call_7Qm2VxR9kLp4TnB8"])).unwrap(), "call_");
        assert_eq!(
            prefix(json!(["ST_Lm3Nb7Vc2Xz8", "ST_Qm3Nb7Vc2Xz8"])).unwrap(),
            "ST_"
        );
        assert_eq!(
            prefix(json!(["tr_9PwE2rTy6UiO4aSd", "xfer_9PwE2rTy6Ui"])),
            None
        );
        assert_eq!(prefix(json!(["en-US"])), None);
        assert_eq!(prefix(json!(["C-10482"])), None);
        assert_eq!(prefix(json!(["sip_+16505550187"])), None);
        assert_eq!(prefix(json!(["call_7Qm2VxR9kLp4TnB8", 3])), None);
        assert_eq!(prefix(json!([])), None);
    }

    #[test]
    fn faker_names_map() {
        assert_eq!(from_faker("person.firstName"), Some(Hint::FirstName));
        assert_eq!(from_faker("name.firstName"), Some(Hint::FirstName));
        assert_eq!(from_faker("internet.email"), Some(Hint::Email));
        assert_eq!(from_faker("random.uuid"), Some(Hint::Uuid));
        assert_eq!(from_faker("string.uuid"), Some(Hint::Uuid));
        assert_eq!(from_faker("phone.number"), Some(Hint::Phone));
        assert_eq!(from_faker("company.name"), Some(Hint::Company));
        assert_eq!(from_faker("date.recent"), Some(Hint::DateTime));
        assert_eq!(from_faker("lorem.paragraph"), Some(Hint::Paragraph));
        assert_eq!(from_faker("location.city"), Some(Hint::City));
        assert_eq!(from_faker("no.such"), None);
    }
}
