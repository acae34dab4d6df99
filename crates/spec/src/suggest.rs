//! "Did you mean" suggestions.

/// Up to three options closest to `wanted`, best first; only options close enough to be a
/// plausible typo (an edit distance of at most a third of the length, at least 1, or the same
/// text in another case).
pub(crate) fn closest<'a>(wanted: &str, options: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = options
        .into_iter()
        .filter(|option| *option != wanted)
        .filter_map(|option| {
            let distance = if option.to_lowercase() == wanted_lower {
                0
            } else {
                strsim::damerau_levenshtein(&wanted_lower, &option.to_lowercase())
            };
            (distance <= limit).then_some((distance, option))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, option)| option.to_owned()).collect()
}

/// "did you mean `a`, `b` or `c`?", or nothing when there is no suggestion.
pub(crate) fn did_you_mean(
    suggestions: &[String],
    format: impl Fn(&str) -> String,
) -> Option<String> {
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{}`", format(s))).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let options = ["pageGenerators", "pageProcessors", "schedule", "timezone"];
        assert_eq!(closest("pageGenerator", options), ["pageGenerators"]);
        assert_eq!(closest("pagegenerators", options), ["pageGenerators"]);
        assert_eq!(closest("shedule", options), ["schedule"]);
        assert!(closest("xyz", options).is_empty());
        assert_eq!(
            did_you_mean(&["a".into(), "b".into()], |s| s.to_owned()).unwrap(),
            "did you mean `a` or `b`?"
        );
    }
}
