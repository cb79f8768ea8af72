//! Finding the line a JSON pointer refers to, for messages.
//!
//! We keep the parse fast and span-free, and find lines afterwards by
//! walking the text: for block YAML, each token is a key at a deeper indent
//! after the previous one; for JSON, each token is the next `"key":` after
//! the previous one. Flow-style YAML and array indices make it give up on a
//! deeper token and answer with the deepest line it found, which is still
//! close to the mark.

use crate::pointer::tokens;

/// The 1-based line where `pointer` (or its nearest located ancestor) is
/// written in `text`, if any part of it could be located.
pub(crate) fn line_of(text: &str, pointer: &str) -> Option<usize> {
    let json = text.trim_start().starts_with(['{', '[']);
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut indent: Option<usize> = None;
    let mut found: Option<usize> = None;
    for token in tokens(pointer) {
        let hit = if json {
            let needle = format!("\"{}\"", token.replace('\\', "\\\\").replace('"', "\\\""));
            (from..lines.len()).find(|&i| {
                lines[i]
                    .find(&needle)
                    .is_some_and(|at| lines[i][at + needle.len()..].trim_start().starts_with(':'))
            })
        } else {
            yaml_key(&lines, from, indent, &token)
        };
        let Some(i) = hit else { break };
        indent = Some(leading(lines[i]));
        found = Some(i);
        from = i + 1;
    }
    found.map(|i| i + 1)
}

fn leading(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '-']).len()
}

fn yaml_key(lines: &[&str], from: usize, parent: Option<usize>, token: &str) -> Option<usize> {
    let candidates = [
        token.to_owned(),
        format!("'{token}'"),
        format!("\"{token}\""),
    ];
    for (i, line) in lines.iter().enumerate().skip(from) {
        let trimmed = line.trim_start_matches([' ', '-']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = leading(line);
        if let Some(p) = parent
            && ind <= p
        {
            return None; // left the parent's block
        }
        if candidates.iter().any(|c| {
            trimmed
                .strip_prefix(c.as_str())
                .is_some_and(|r| r.starts_with(':'))
        }) {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn yaml_and_json() {
        let yaml = "a:\n  b:\n    c: 1\n  '200':\n    d: 2\n";
        assert_eq!(line_of(yaml, "/a/b/c"), Some(3));
        assert_eq!(line_of(yaml, "/a/200/d"), Some(5));
        assert_eq!(line_of(yaml, "/a/zz"), Some(1));
        let json = "{\n  \"a\": {\n    \"b\": 1\n  }\n}";
        assert_eq!(line_of(json, "/a/b"), Some(3));
    }
}
