//! Work shared among the cores with its order kept: the parsing of the files and the
//! conversion and checking of the resources both run here.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads the loader uses at most: the cores, up to 8.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).min(8)
}

/// Runs `work` over `items` in batches of `batch` items on up to `threads` threads (the
/// calling thread is one of them). A thread that finishes a batch takes the next one not yet
/// taken, so uneven batches even out. The results come back in the items' order, one per
/// batch, exactly as running the batches one after another would give them.
pub(crate) fn in_order<'i, T, R, F>(items: &'i [T], batch: usize, threads: usize, work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&'i [T]) -> R + Sync,
{
    let batch = batch.max(1);
    let batches = items.len().div_ceil(batch);
    let threads = threads.min(batches);
    if threads <= 1 {
        return items.chunks(batch).map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let take_batches = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= batches {
                return done;
            }
            let start = index * batch;
            let end = (start + batch).min(items.len());
            done.push((index, work(&items[start..end])));
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(batches).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(take_batches)).collect();
        let mut finished = vec![take_batches()];
        for helper in helpers {
            finished.push(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        for (index, result) in finished.into_iter().flatten() {
            results[index] = Some(result);
        }
    });
    // Every index below `batches` was taken by exactly one thread, and every thread ran to the
    // end (a panic was resumed above), so every slot is filled.
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_whatever_the_threads() {
        let items: Vec<usize> = (0..103).collect();
        let serial = in_order(&items, 7, 1, <[usize]>::to_vec);
        assert_eq!(serial.concat(), items);
        for threads in [2, 3, 8] {
            let parallel = in_order(&items, 7, threads, |chunk| {
                // Uneven work, so that batches finish out of order.
                if chunk[0] % 3 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                chunk.to_vec()
            });
            assert_eq!(parallel, serial, "{threads} threads");
        }
        assert!(in_order(&[] as &[usize], 4, 4, <[usize]>::to_vec).is_empty());
    }
}
