//! Worker threads that outlive one parallel mix (`std` only).
//!
//! Starting a thread costs tens of microseconds, and waking a core that a hypervisor has parked
//! costs as much again (2-vCPU EPYC VM: `thread::scope` with one spawned thread, 22 µs at best,
//! 73 µs median), which is the whole time of mixing a cache-resident batch. So the parallel mix
//! hands its work to threads started once, on first use, which keep looking for the next job
//! for a short while before they sleep: back-to-back calls find them awake. The caller, its own
//! part done, likewise looks for the workers to finish for a short while before it sleeps.
//!
//! One job at a time: a call that finds the pool busy (another thread is mixing in parallel)
//! gets `false` back and does its work some other way. The job is a closure on the caller's
//! stack, lent by address; [`run`] does not return, even by unwinding, before every worker that
//! took the job has finished with it, which is what makes lending it to `'static` threads sound.

use std::boxed::Box;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long a worker keeps looking for the next job before it sleeps.
const SPIN: Duration = Duration::from_micros(200);

/// How long a caller that has done its part looks for the workers to finish theirs before it
/// sleeps: waking a sleeping caller cost about 5 µs on a 2-vCPU VM, an eighth of a
/// cache-resident mix, and the workers' parts end within microseconds of the caller's.
const JOIN_SPIN: Duration = Duration::from_micros(100);

/// The most workers the pool starts, whatever the machine has.
const MAX_WORKERS: usize = 63;

/// A job lent to the workers: only valid until the [`run`] that lent it returns.
type Job = &'static (dyn Fn() + Sync);

struct Pool {
    /// How many workers started (the OS may refuse some).
    workers: AtomicUsize,
    /// Held by the one call whose job the pool runs.
    busy: AtomicBool,
    /// Bumped for every job, so that a spinning worker sees one without taking the lock.
    epoch: AtomicU64,
    /// Workers inside the current job: raised under the lock when a worker takes the job,
    /// lowered as soon as it is out of it, so that the caller can spin on it without the lock.
    inside: AtomicUsize,
    state: Mutex<State>,
    /// Workers sleep on this until a job comes.
    wake: Condvar,
    /// A caller that is still waiting after [`JOIN_SPIN`] sleeps on this until the last worker
    /// is out of the job.
    done: Condvar,
}

struct State {
    /// The current job, until its caller has finished its own part.
    job: Option<Job>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned one is as good as any.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The pool, started on first use with one worker per core beyond the caller's.
fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        // Leaked on purpose: the workers live as long as the process.
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            workers: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            inside: AtomicUsize::new(0),
            state: Mutex::new(State { job: None }),
            wake: Condvar::new(),
            done: Condvar::new(),
        }));
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let started = (0..(cores - 1).min(MAX_WORKERS))
            .take_while(|_| {
                std::thread::Builder::new()
                    .name("mixup-worker".into())
                    .spawn(move || worker(pool))
                    .is_ok()
            })
            .count();
        pool.workers.store(started, Ordering::Relaxed);
        pool
    })
}

/// A worker: waits for a job (spinning, then asleep), joins it, and waits for the next.
fn worker(pool: &'static Pool) {
    let mut seen = 0;
    loop {
        let since = Instant::now();
        while pool.epoch.load(Ordering::Acquire) == seen && since.elapsed() < SPIN {
            core::hint::spin_loop();
        }
        let mut state = pool.lock();
        while pool.epoch.load(Ordering::Acquire) == seen {
            state = pool
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        seen = pool.epoch.load(Ordering::Acquire);
        // The job may already be over (its caller did all of it): then there is nothing to do.
        let Some(job) = state.job else { continue };
        pool.inside.fetch_add(1, Ordering::Relaxed);
        drop(state);
        // A panic in the job must not leave `inside` counting this worker, or the caller
        // would wait forever; the job's own code reports nothing through a panic.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        // Release: everything the job did happens before a caller that sees the count drop.
        if pool.inside.fetch_sub(1, Ordering::Release) == 1 {
            // The last one out wakes a caller that stopped spinning. Under the lock, which
            // that caller holds from its check of `inside` to its wait, so the wake-up cannot
            // fall in between.
            let _state = pool.lock();
            pool.done.notify_all();
        }
    }
}

/// Takes the job back from the workers when [`run`] ends, normally or by unwinding: no new
/// worker can join it, and the ones inside it have all left before the caller's frame (which
/// holds the job) can go.
struct Lent<'p> {
    pool: &'p Pool,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        // No worker joins after this; the ones that joined before raised `inside` under the
        // lock, so the count read below includes them.
        self.pool.lock().job = None;
        let since = Instant::now();
        while self.pool.inside.load(Ordering::Acquire) > 0 && since.elapsed() < JOIN_SPIN {
            core::hint::spin_loop();
        }
        if self.pool.inside.load(Ordering::Acquire) > 0 {
            let mut state = self.pool.lock();
            while self.pool.inside.load(Ordering::Acquire) > 0 {
                state = self
                    .pool
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        self.pool.busy.store(false, Ordering::Release);
    }
}

/// Runs `job` on the calling thread and on every idle worker at once, and returns once all of
/// them are out of it; `false` (and `job` not called) if the pool is busy with another caller's
/// job or has no worker. `job` must be callable from several threads at once, each call taking
/// its share of the work from a queue, so that all of it is done whoever joins.
///
/// `helpers` is how many workers the job has use for: at most that many sleeping ones are woken
/// (spinning ones may join anyway and find nothing left to take).
pub(crate) fn run(helpers: usize, job: &(dyn Fn() + Sync)) -> bool {
    let pool = pool();
    if pool.workers.load(Ordering::Relaxed) == 0
        || pool
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        return false;
    }
    // SAFETY: only the lifetime changes. The reference is stored in the pool for the workers
    // and taken out again by `Lent::drop`, which runs before this function returns or unwinds
    // and waits until no worker is inside the job; a worker only calls a job it took from the
    // pool (under the lock, counted in `inside`). So no use of the reference outlives `job`.
    let lent: Job = unsafe { core::mem::transmute::<&(dyn Fn() + Sync), Job>(job) };
    let guard = Lent { pool };
    {
        let mut state = pool.lock();
        state.job = Some(lent);
        pool.epoch.fetch_add(1, Ordering::Release);
        for _ in 0..helpers.min(pool.workers.load(Ordering::Relaxed)) {
            pool.wake.notify_one();
        }
    }
    job();
    drop(guard);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_share_is_taken_once_and_the_caller_waits_for_all() {
        for _ in 0..200 {
            let next = AtomicUsize::new(0);
            let sum = AtomicUsize::new(0);
            let job = || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= 1000 {
                        break;
                    }
                    sum.fetch_add(k, Ordering::Relaxed);
                }
            };
            if !run(8, &job) {
                job();
            }
            // Read after `run` returned: every worker is out of the job.
            assert_eq!(sum.load(Ordering::Relaxed), 999 * 1000 / 2);
        }
    }

    #[test]
    fn concurrent_callers_all_get_their_work_done() {
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || {
                    for _ in 0..50 {
                        let next = AtomicUsize::new(0);
                        let count = AtomicUsize::new(0);
                        let job = || {
                            while next.fetch_add(1, Ordering::Relaxed) < 100 + t {
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                        };
                        if !run(8, &job) {
                            job();
                        }
                        assert_eq!(count.load(Ordering::Relaxed), 100 + t);
                    }
                });
            }
        });
    }
}
