//! `pattern`: strings from ECMA-262 regexes.
//!
//! The pattern is translated to Rust syntax by `jsonschema-regex` (the crate
//! jsonschema uses, so both sides read a pattern the same way), parsed into
//! `regex-syntax` HIR and compiled into a small program ([`Rx`]) that is
//! walked with the RNG. Every candidate is then confirmed with `fancy-regex`
//! (which also handles look-around and back-references): a pattern the walk
//! cannot honour falls back to generate-and-check with a bounded budget.

use rand::RngExt;
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::Rng;

/// A compiled `pattern`.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) source: Box<str>,
    pub(crate) regex: Option<fancy_regex::Regex>,
    pub(crate) program: Option<Rx>,
    /// Why no string can be generated for it, if so.
    pub(crate) unsat: Option<String>,
}

/// A generation program derived from the HIR.
#[derive(Debug, Clone)]
pub(crate) enum Rx {
    Empty,
    Literal(Box<str>),
    /// Ranges of the class, and the subset that reads well (alphanumerics,
    /// else printable ASCII), used when not empty.
    Class {
        all: Box<[(char, char)]>,
        nice: Box<[(char, char)]>,
    },
    Concat(Vec<Rx>, Box<[usize]>),
    Alt(Vec<Rx>),
    Repeat {
        min: u32,
        max: Option<u32>,
        sub: Box<Rx>,
        sub_min: usize,
    },
}

impl Rx {
    fn from_hir(hir: &Hir, depth: u32) -> Option<Rx> {
        if depth > 200 {
            return None;
        }
        Some(match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Rx::Empty,
            HirKind::Literal(lit) => Rx::Literal(String::from_utf8_lossy(&lit.0).into()),
            HirKind::Class(class) => {
                let all: Vec<(char, char)> = match class {
                    Class::Unicode(c) => c.ranges().iter().map(|r| (r.start(), r.end())).collect(),
                    Class::Bytes(c) => c
                        .ranges()
                        .iter()
                        .filter(|r| r.start() < 0x80)
                        .map(|r| (r.start() as char, (r.end().min(0x7f)) as char))
                        .collect(),
                };
                let mut nice = intersect(&all, &[('0', '9'), ('A', 'Z'), ('a', 'z')]);
                if nice.is_empty() {
                    nice = intersect(&all, &[(' ', '~')]);
                }
                Rx::Class {
                    all: all.into(),
                    nice: nice.into(),
                }
            }
            HirKind::Repetition(rep) => {
                let sub = Rx::from_hir(&rep.sub, depth + 1)?;
                Rx::Repeat {
                    min: rep.min,
                    max: rep.max,
                    sub_min: sub.min_len(),
                    sub: Box::new(sub),
                }
            }
            HirKind::Capture(cap) => Rx::from_hir(&cap.sub, depth + 1)?,
            HirKind::Concat(items) => {
                let items: Vec<Rx> = items
                    .iter()
                    .map(|h| Rx::from_hir(h, depth + 1))
                    .collect::<Option<_>>()?;
                // Minimum length of everything after each item, so a bounded
                // repetition leaves room for what follows.
                let mut tail = vec![0usize; items.len()];
                let mut acc = 0;
                for i in (0..items.len()).rev() {
                    tail[i] = acc;
                    acc += items[i].min_len();
                }
                Rx::Concat(items, tail.into())
            }
            HirKind::Alternation(items) => Rx::Alt(
                items
                    .iter()
                    .map(|h| Rx::from_hir(h, depth + 1))
                    .collect::<Option<_>>()?,
            ),
        })
    }

    fn min_len(&self) -> usize {
        match self {
            Rx::Empty => 0,
            Rx::Literal(s) => s.chars().count(),
            Rx::Class { .. } => 1,
            Rx::Concat(items, _) => items.iter().map(Rx::min_len).sum(),
            Rx::Alt(items) => items.iter().map(Rx::min_len).min().unwrap_or(0),
            Rx::Repeat { min, sub_min, .. } => (*min as usize).saturating_mul(*sub_min),
        }
    }

    /// Appends a string matching `self`. `end` is the length (in chars) the
    /// output should not grow past; `stretch` is how far open repetitions
    /// may run beyond their minimum. Returns false on an empty class.
    fn generate(
        &self,
        rng: &mut Rng,
        out: &mut String,
        len: &mut usize,
        end: usize,
        stretch: u32,
    ) -> bool {
        match self {
            Rx::Empty => true,
            Rx::Literal(s) => {
                out.push_str(s);
                *len += s.chars().count();
                true
            }
            Rx::Class { all, nice } => {
                // Only ASCII when the class has any: `\d` and `\w` mean ASCII to
                // ECMA-262, and readable text is what people expect.
                let ranges = if nice.is_empty() { all } else { nice };
                match pick(ranges, rng) {
                    Some(c) => {
                        out.push(c);
                        *len += 1;
                        true
                    }
                    None => false,
                }
            }
            Rx::Concat(items, tail) => items
                .iter()
                .zip(tail.iter())
                .all(|(item, t)| item.generate(rng, out, len, end.saturating_sub(*t), stretch)),
            Rx::Alt(items) => {
                let item = &items[rng.random_range(0..items.len())];
                item.generate(rng, out, len, end, stretch)
            }
            Rx::Repeat {
                min,
                max,
                sub,
                sub_min,
            } => {
                let upper = match max {
                    Some(m) => (*m).min(min.saturating_add(stretch)),
                    None => min.saturating_add(stretch),
                };
                let target = rng.random_range(*min..=upper.max(*min));
                for i in 0..target {
                    // Past `end` even the minimum is abandoned: the candidate
                    // then fails the final check and another is tried.
                    if (i >= *min && *len + (*sub_min).max(1) > end) || *len > end {
                        break;
                    }
                    if !sub.generate(rng, out, len, end, stretch) {
                        return false;
                    }
                }
                true
            }
        }
    }
}

fn intersect(a: &[(char, char)], b: &[(char, char)]) -> Vec<(char, char)> {
    let mut out = Vec::new();
    for &(s1, e1) in a {
        for &(s2, e2) in b {
            let s = s1.max(s2);
            let e = e1.min(e2);
            if s <= e {
                out.push((s, e));
            }
        }
    }
    out
}

fn pick(ranges: &[(char, char)], rng: &mut Rng) -> Option<char> {
    let total: u64 = ranges
        .iter()
        .map(|&(s, e)| u64::from(e) - u64::from(s) + 1)
        .sum();
    if total == 0 {
        return None;
    }
    // Surrogates are not chars: retry the few draws that land in the gap.
    for _ in 0..8 {
        let mut k = rng.random_range(0..total);
        for &(s, e) in ranges {
            let size = u64::from(e) - u64::from(s) + 1;
            if k < size {
                if let Some(c) = char::from_u32(u32::from(s) + k as u32) {
                    return Some(c);
                }
                break;
            }
            k -= size;
        }
    }
    ranges.first().map(|r| r.0)
}

/// Removes `(?=..)`, `(?!..)`, `(?<=..)` and `(?<!..)` groups, so the rest of
/// the pattern can drive candidates that the full regex then checks.
fn strip_lookaround(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let end =
                (i + 1 + pattern[i + 1..].chars().next().map_or(0, char::len_utf8)).min(b.len());
            out.push_str(&pattern[i..end]);
            i = end;
            continue;
        }
        let look = pattern[i..].starts_with("(?=")
            || pattern[i..].starts_with("(?!")
            || pattern[i..].starts_with("(?<=")
            || pattern[i..].starts_with("(?<!");
        if look {
            let mut depth = 0;
            let mut in_class = false;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 1,
                    b'[' => in_class = true,
                    b']' => in_class = false,
                    b'(' if !in_class => depth += 1,
                    b')' if !in_class => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            continue;
        }
        let c = pattern[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// How far past its minimum length a generated candidate may grow.
const MAX_EXTRA_CHARS: usize = 1024;

impl Pattern {
    pub(crate) fn compile(source: &str) -> Pattern {
        let mut pattern = Pattern {
            source: source.into(),
            regex: None,
            program: None,
            unsat: None,
        };
        let translated = match jsonschema_regex::to_rust_regex(source) {
            Ok(t) => t.into_owned(),
            Err(()) => {
                pattern.unsat = Some(format!("pattern {source:?} is not a valid ECMA-262 regex"));
                return pattern;
            }
        };
        match fancy_regex::Regex::new(&translated) {
            Ok(re) => pattern.regex = Some(re),
            Err(e) => {
                pattern.unsat = Some(format!("pattern {source:?} does not compile: {e}"));
                return pattern;
            }
        }
        let parse = |p: &str| regex_syntax::ParserBuilder::new().build().parse(p).ok();
        let hir = parse(&translated).or_else(|| parse(&strip_lookaround(&translated)));
        pattern.program = hir.and_then(|h| Rx::from_hir(&h, 0));
        // Probe with a fixed seed: a pattern no candidate ever matches (an
        // anchor in the middle, a contradictory look-ahead) is unsatisfiable
        // for us, and saying so up front beats failing on every value.
        let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(0x5eed);
        if pattern.generate(&mut rng, 0, None, 48).is_none() {
            pattern.unsat = Some(format!(
                "pattern {source:?}: no generated candidate matched (anchors or look-around the generator cannot honour)"
            ));
        }
        pattern
    }

    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.regex
            .as_ref()
            .is_some_and(|re| re.is_match(s).unwrap_or(false))
    }

    /// A string matching the pattern with a length (in chars) in
    /// `min_len..=max_len`, or `None` after `attempts` candidates.
    pub(crate) fn generate(
        &self,
        rng: &mut Rng,
        min_len: u64,
        max_len: Option<u64>,
        attempts: u32,
    ) -> Option<String> {
        let program = self.program.as_ref()?;
        // Nested open repetitions (`(a+)+{3}`) multiply their stretch; cap a
        // candidate's length so one cannot grow to megabytes and make the
        // check below crawl (found by fuzzing: a pattern that never ended).
        let cap = program
            .min_len()
            .max(min_len as usize)
            .saturating_add(MAX_EXTRA_CHARS);
        let end = max_len.map_or(usize::MAX, |m| m as usize).min(cap);
        let mut out = String::new();
        for attempt in 0..attempts {
            out.clear();
            let mut len = 0;
            // Open repetitions run longer as attempts fail, to reach a
            // `minLength` without making the common case long.
            let stretch = (6u32 << (attempt / 4).min(6)).max(min_len.min(512) as u32);
            if !program.generate(rng, &mut out, &mut len, end, stretch) {
                return None;
            }
            let n = out.chars().count() as u64;
            if n >= min_len && max_len.is_none_or(|m| n <= m) && self.is_match(&out) {
                return Some(out);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn gen_many(p: &str) -> Vec<String> {
        let pattern = Pattern::compile(p);
        assert!(pattern.unsat.is_none(), "{p}: {:?}", pattern.unsat);
        let mut rng = Rng::seed_from_u64(1);
        (0..100)
            .map(|_| pattern.generate(&mut rng, 0, None, 64).unwrap())
            .collect()
    }

    #[test]
    fn real_patterns_generate_matching_strings() {
        for p in [
            r"^BY[0-9a-fA-F]{32}$",
            r"^(0|[1-9][0-9]*)$",
            r"^\+[1-9]\d{1,14}$",
            r"^[a-z]{2,3}(-[A-Z]{2})?$",
            r"^\d+$",
            r"^(?!\s)(?=.*[a-z]).{8,}$",
            r"\w+@\w+\.com",
            r"^[^\s]+$",
            r"^call_[A-Za-z0-9]{16}$",
            r"^(https?)://.+",
            r"^\p{L}+$",
        ] {
            let re = fancy_regex::Regex::new(&jsonschema_regex::to_rust_regex(p).unwrap()).unwrap();
            for s in gen_many(p) {
                assert!(re.is_match(&s).unwrap(), "{p} {s}");
            }
        }
    }

    #[test]
    fn length_bounds_are_respected() {
        let pattern = Pattern::compile("^[a-z]+$");
        let mut rng = Rng::seed_from_u64(3);
        for _ in 0..100 {
            let s = pattern.generate(&mut rng, 20, Some(24), 64).unwrap();
            assert!((20..=24).contains(&s.len()), "{s}");
        }
    }

    #[test]
    fn impossible_patterns_are_reported() {
        assert!(Pattern::compile("a^b").unsat.is_some());
        assert!(Pattern::compile("[").unsat.is_some());
        assert!(Pattern::compile("/^\\p{L}[\\p{L}\\d]*$/u").unsat.is_some());
    }
}
