//! hyper's header-read timeout without a tokio timer per request.
//!
//! hyper arms its header-read timeout each time a connection waits for the
//! next request head and drops it when the head arrives. With tokio's timer
//! that is a registration and a cancellation per request on the time
//! driver's single lock, which every worker thread shares: the one lock on
//! the repeated-read path. Here a sleep that has to wait is noted in its
//! thread's own shard (a lock other workers do not take), and one sweeper
//! thread wakes the sleeps whose deadline has passed every [`TICK`], so a
//! deadline is kept to within a tick, which is plenty for a timeout of
//! seconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::util::{FxMap, SHARDS, thread_shard};

/// How often the sweeper looks for sleeps past their deadline.
const TICK: Duration = Duration::from_millis(50);

/// The sleeps waiting in one shard, by id; ids are never reused, so a sleep
/// that the sweeper already woke removes nothing when it is dropped.
#[derive(Default)]
struct Waiting {
    next: u64,
    sleeps: FxMap<u64, (Instant, Waker)>,
}

/// One shard on its own cache line: threads writing to neighbours do not
/// slow each other down.
#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<Waiting>);

fn lock(shard: &Shard) -> std::sync::MutexGuard<'_, Waiting> {
    shard.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shards, and the sweeper started with them on first use.
fn shards() -> &'static [Shard] {
    static SHARDED: OnceLock<Box<[Shard]>> = OnceLock::new();
    SHARDED.get_or_init(|| {
        // A sweeper that cannot start leaves sleeps to end when polled
        // again; the server keeps serving.
        let _ = std::thread::Builder::new()
            .name("decoy-timer".to_owned())
            .spawn(sweep);
        (0..SHARDS).map(|_| Shard::default()).collect()
    })
}

/// Wakes every sleep past its deadline, every tick, for the process's life.
fn sweep() {
    let mut due = Vec::new();
    loop {
        std::thread::sleep(TICK);
        let now = Instant::now();
        for shard in shards() {
            let mut waiting = lock(shard);
            waiting.sleeps.retain(|_, (deadline, waker)| {
                let keep = *deadline > now;
                if !keep {
                    due.push(waker.clone());
                }
                keep
            });
        }
        // Woken with no lock held.
        due.drain(..).for_each(Waker::wake);
    }
}

/// The timer the server gives hyper.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ShardedTimer;

impl hyper::rt::Timer for ShardedTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ShardedSleep {
            deadline,
            waiting: None,
        })
    }
}

/// A sleep until `deadline`; noted in a shard only once it has to wait.
struct ShardedSleep {
    deadline: Instant,
    /// The shard and id it waits under.
    waiting: Option<(usize, u64)>,
}

impl Future for ShardedSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            self.cancel();
            return Poll::Ready(());
        }
        let shards = shards();
        match self.waiting {
            Some((shard, id)) => {
                let mut waiting = lock(&shards[shard]);
                if let Some((_, waker)) = waiting.sleeps.get_mut(&id)
                    && !waker.will_wake(cx.waker())
                {
                    waker.clone_from(cx.waker());
                }
            }
            None => {
                let shard = thread_shard();
                let mut waiting = lock(&shards[shard]);
                let id = waiting.next;
                waiting.next += 1;
                waiting
                    .sleeps
                    .insert(id, (self.deadline, cx.waker().clone()));
                drop(waiting);
                self.waiting = Some((shard, id));
            }
        }
        Poll::Pending
    }
}

impl ShardedSleep {
    fn cancel(&mut self) {
        if let Some((shard, id)) = self.waiting.take() {
            lock(&shards()[shard]).sleeps.remove(&id);
        }
    }
}

impl Drop for ShardedSleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl hyper::rt::Sleep for ShardedSleep {}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    #[tokio::test]
    async fn sleeps_end_after_their_deadline_and_dropped_ones_leave_nothing() {
        let timer = ShardedTimer;
        let started = Instant::now();
        timer.sleep(Duration::from_millis(120)).await;
        assert!(started.elapsed() >= Duration::from_millis(120));
        // A sleep dropped while it waits is gone from its shard.
        let mut sleep = Box::pin(ShardedSleep {
            deadline: Instant::now() + Duration::from_secs(3600),
            waiting: None,
        });
        let mut cx = Context::from_waker(Waker::noop());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        let (shard, id) = sleep.waiting.expect("noted in a shard");
        assert!(lock(&shards()[shard]).sleeps.contains_key(&id));
        drop(sleep);
        assert!(!lock(&shards()[shard]).sleeps.contains_key(&id));
    }
}
