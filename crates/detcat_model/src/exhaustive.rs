//! Every short string over a small alphabet: for tests that check a text function against its
//! definition on all inputs up to some length (the wildcard splitter, the Sigma value reader,
//! the condition's glob patterns).

/// Every string of at most `max_len` characters of `alphabet`, shorter ones first.
pub fn strings(alphabet: &[char], max_len: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut longest = vec![String::new()];
    for _ in 0..max_len {
        longest = longest
            .iter()
            .flat_map(|s| {
                alphabet.iter().map(move |c| {
                    let mut longer = s.clone();
                    longer.push(*c);
                    longer
                })
            })
            .collect();
        all.extend(longest.iter().cloned());
    }
    all
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_every_string_once() {
        let all = super::strings(&['a', 'é', '*'], 3);
        assert_eq!(all.len(), 1 + 3 + 9 + 27);
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        assert!(all.iter().all(|s| s.chars().count() <= 3));
    }
}
