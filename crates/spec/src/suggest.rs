//! "Did you mean ...?": the names close to a mistyped one, for messages
//! about an unknown schema, operation or extension.
//!
//! ```
//! use decoy_spec::suggest::close_matches;
//!
//! let known = ["x-decoy-echo", "x-decoy-set", "x-decoy-state"];
//! assert_eq!(close_matches("x-decoy-ecko", known)[0], "x-decoy-echo");
//! assert!(close_matches("x-decoy-zzzzzzzz", ["x-decoy-set"]).is_empty());
//! ```

/// Up to three candidates within a small edit distance of `name` (case
/// ignored), or containing it, or contained in it; closest first.
pub fn close_matches<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Vec<&'c str> {
    let lower = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, &'c str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cl = c.to_ascii_lowercase();
            let d = levenshtein(&lower, &cl);
            (d <= 3.max(name.len() / 3) || cl.contains(&lower) || lower.contains(&cl))
                .then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// The number of single-character edits between `a` and `b`.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j]))
                .min(row[j] + 1)
                .min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
