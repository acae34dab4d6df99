//! Aligning two versions of a list: the one alignment the field diff (step lists of flows) and
//! the flow pictures share, so a step inserted into a flow is one insertion in every rendering.

/// One entry of an alignment of two sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aligned {
    /// Only in the old sequence: removed.
    Old(usize),
    /// Only in the new sequence: added.
    New(usize),
    /// The same element in both (by key; its content may differ).
    Both(usize, usize),
}

/// Above this many cells (old × new elements left after the common prefix and suffix) the
/// longest common subsequence is not searched: the middles are aligned as removed, then added,
/// which [`pair_replacements`] turns into positional pairs. Flows have tens of steps, far below.
const MAX_CELLS: usize = 4_000_000;

/// Aligns two sequences on a longest common subsequence of equal keys, in order of the new
/// sequence. At each difference the old elements come before the new ones, so a replaced
/// element reads as removed, then added. Equal keys at the start and the end are matched first
/// (cheap, and what lists that change a little have).
pub(crate) fn align<K: PartialEq>(old: &[K], new: &[K]) -> Vec<Aligned> {
    let prefix = old.iter().zip(new).take_while(|(left, right)| left == right).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(left, right)| left == right)
        .count();
    let (old_middle, new_middle) =
        (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let mut aligned = Vec::with_capacity(old.len().max(new.len()));
    aligned.extend((0..prefix).map(|index| Aligned::Both(index, index)));
    for entry in align_middle(old_middle, new_middle) {
        aligned.push(match entry {
            Aligned::Old(i) => Aligned::Old(prefix + i),
            Aligned::New(j) => Aligned::New(prefix + j),
            Aligned::Both(i, j) => Aligned::Both(prefix + i, prefix + j),
        });
    }
    let (old_start, new_start) = (old.len() - suffix, new.len() - suffix);
    aligned.extend((0..suffix).map(|offset| Aligned::Both(old_start + offset, new_start + offset)));
    aligned
}

fn align_middle<K: PartialEq>(old: &[K], new: &[K]) -> Vec<Aligned> {
    let (rows, columns) = (old.len(), new.len());
    if rows.saturating_mul(columns) > MAX_CELLS {
        return (0..rows).map(Aligned::Old).chain((0..columns).map(Aligned::New)).collect();
    }
    // lengths[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lengths = vec![vec![0_u32; columns + 1]; rows + 1];
    for i in (0..rows).rev() {
        for j in (0..columns).rev() {
            lengths[i][j] = if old[i] == new[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut aligned = Vec::with_capacity(rows.max(columns));
    while i < rows || j < columns {
        if i < rows && j < columns && old[i] == new[j] {
            aligned.push(Aligned::Both(i, j));
            i += 1;
            j += 1;
        } else if i < rows && (j == columns || lengths[i + 1][j] >= lengths[i][j + 1]) {
            aligned.push(Aligned::Old(i));
            i += 1;
        } else {
            aligned.push(Aligned::New(j));
            j += 1;
        }
    }
    aligned
}

/// Pairs replacements: where a run of unmatched entries between two matched ones (or the ends)
/// removes exactly as many old elements as it adds new ones, and `pairs(old, new)` allows each
/// k-th old element with the k-th new one, they become `Both`: the same position changing what it
/// holds (a step that runs another import, a branch renamed). Other runs stay removals and
/// additions.
pub(crate) fn pair_replacements(
    aligned: Vec<Aligned>,
    pairs: impl Fn(usize, usize) -> bool,
) -> Vec<Aligned> {
    let mut paired = Vec::with_capacity(aligned.len());
    let mut run: Vec<Aligned> = Vec::new();
    let flush = |run: &mut Vec<Aligned>, paired: &mut Vec<Aligned>| {
        let olds: Vec<usize> = run
            .iter()
            .filter_map(|entry| if let Aligned::Old(i) = entry { Some(*i) } else { None })
            .collect();
        let news: Vec<usize> = run
            .iter()
            .filter_map(|entry| if let Aligned::New(j) = entry { Some(*j) } else { None })
            .collect();
        if !olds.is_empty()
            && olds.len() == news.len()
            && olds.iter().zip(&news).all(|(old, new)| pairs(*old, *new))
        {
            paired.extend(olds.into_iter().zip(news).map(|(i, j)| Aligned::Both(i, j)));
        } else {
            paired.append(run);
        }
        run.clear();
    };
    for entry in aligned {
        match entry {
            Aligned::Both(..) => {
                flush(&mut run, &mut paired);
                paired.push(entry);
            }
            other => run.push(other),
        }
    }
    flush(&mut run, &mut paired);
    paired
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_keeps_common_elements_and_puts_removals_first() {
        let aligned = align(&["a", "b", "c"], &["a", "x", "c", "d"]);
        assert_eq!(
            aligned,
            [
                Aligned::Both(0, 0),
                Aligned::Old(1),
                Aligned::New(1),
                Aligned::Both(2, 2),
                Aligned::New(3)
            ]
        );
        assert_eq!(align::<&str>(&[], &["a"]), [Aligned::New(0)]);
        assert_eq!(align(&["a"], &[]), [Aligned::Old(0)]);
        assert_eq!(align::<&str>(&[], &[]), []);
    }

    #[test]
    fn an_insertion_at_the_front_keeps_everything_after_it() {
        assert_eq!(
            align(&["a", "b", "c"], &["x", "a", "b", "c"]),
            [Aligned::New(0), Aligned::Both(0, 1), Aligned::Both(1, 2), Aligned::Both(2, 3)]
        );
        assert_eq!(
            align(&["a", "b", "c"], &["a", "c"]),
            [Aligned::Both(0, 0), Aligned::Old(1), Aligned::Both(2, 1)]
        );
    }

    #[test]
    fn the_alignment_covers_both_sequences_in_order() {
        // Every old and every new index exactly once, each side increasing.
        let cases: [(&[u8], &[u8]); 5] = [
            (b"abcabba", b"cbabac"),
            (b"aaaa", b"aa"),
            (b"abc", b"cba"),
            (b"", b"abc"),
            (b"xyz", b"xqz"),
        ];
        for (old, new) in cases {
            for aligned in [align(old, new), pair_replacements(align(old, new), |_, _| true)] {
                let olds: Vec<usize> = aligned
                    .iter()
                    .filter_map(|entry| match entry {
                        Aligned::Old(i) | Aligned::Both(i, _) => Some(*i),
                        Aligned::New(_) => None,
                    })
                    .collect();
                let news: Vec<usize> = aligned
                    .iter()
                    .filter_map(|entry| match entry {
                        Aligned::New(j) | Aligned::Both(_, j) => Some(*j),
                        Aligned::Old(_) => None,
                    })
                    .collect();
                assert_eq!(olds, (0..old.len()).collect::<Vec<_>>(), "old side in order");
                assert_eq!(news, (0..new.len()).collect::<Vec<_>>(), "new side in order");
            }
        }
    }

    #[test]
    fn equal_runs_of_removals_and_additions_pair_up() {
        let aligned = pair_replacements(align(&["a", "b", "c"], &["a", "x", "c"]), |_, _| true);
        assert_eq!(aligned, [Aligned::Both(0, 0), Aligned::Both(1, 1), Aligned::Both(2, 2)]);
        // Unless the caller refuses the pair.
        let aligned = pair_replacements(align(&["a", "b", "c"], &["a", "x", "c"]), |_, _| false);
        assert_eq!(aligned[1..3], [Aligned::Old(1), Aligned::New(1)]);
        // One removed, two added: no pairing.
        let aligned =
            pair_replacements(align(&["a", "b", "c"], &["a", "x", "y", "c"]), |_, _| true);
        assert_eq!(
            aligned,
            [
                Aligned::Both(0, 0),
                Aligned::Old(1),
                Aligned::New(1),
                Aligned::New(2),
                Aligned::Both(2, 3)
            ]
        );
    }

    #[test]
    fn long_lists_beyond_the_cell_limit_fall_back_to_positions() {
        let old: Vec<u32> = (0..3000).collect();
        let new: Vec<u32> = (0..3000).map(|value| value + 10_000).collect();
        let aligned = pair_replacements(align(&old, &new), |_, _| true);
        assert!(
            aligned.iter().enumerate().all(|(index, entry)| *entry == Aligned::Both(index, index))
        );
    }
}
