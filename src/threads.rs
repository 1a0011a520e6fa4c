//! Thread counts and the library's small persistent thread pool.
//!
//! With default options every call runs on the caller's thread alone and no
//! thread is ever started. The pool is created by the first call that is
//! allowed more than one thread *and* has enough work to use them; its
//! workers then live until the process exits (they are never joined).
//!
//! How a parallel call runs: the caller publishes a job (a borrowed closure
//! over chunk indices) under a new epoch, wakes sleeping workers, and claims
//! chunks itself from a shared ticket (`epoch << 32 | taken from the back
//! << 16 | taken from the front`, advanced by compare-and-swap, so a worker
//! holding a stale job can never claim a chunk of a newer one). The caller
//! claims chunks from the front and the workers from the back, so that,
//! call after call, the same thread gets (nearly) the same items and finds
//! its share of the inputs and outputs still in its own cache (int8 case a
//! at 2 threads: 0.65 of the time of chunks claimed in turn, f32 a 0.95;
//! docs/PERFORMANCE.md, "Threads"). It returns only when every chunk has
//! finished, so the borrowed job outlives every use. The caller can always
//! finish all chunks alone: when the pool is busy with another caller's
//! job, or has no workers (spawn failed, or after `fork`), the call simply
//! runs on the caller's thread. Which thread runs a chunk never changes
//! results: chunks are independent output blocks computed by the same code.
//!
//! Idle workers spin for the next job (yielding the CPU now and then), then
//! sleep on a condition variable. How long they spin adapts to the rhythm of
//! the process's parallel calls (`SpinPolicy`): 0.2 ms at first; once the
//! gaps between parallel calls have been at most the cap
//! (`BATCH_DOT_SPIN_US`, default 5 ms) twice in a row, about 1.25 times the
//! recent gap (a decaying maximum), within the cap. A sleeping worker here
//! takes about as long to wake as a short call takes, so a worker that has
//! gone to sleep between an engine's calls buys nothing; spinning through
//! the gap is what makes the second thread pay off. A spinning worker that
//! loses its CPU to another thread (its polls come more than 0.3 ms apart)
//! sleeps at once and sends the window back to 0.2 ms for the next 16
//! parallel calls: on a busy machine spinning only takes time from the
//! caller or from other processes. The price is bounded:
//! after the last parallel call an idle process burns at most the cap of CPU
//! time per worker, then nothing; while calls come in a rhythm, a worker
//! burns at most the gaps between them. A caller waiting for its workers
//! spins briefly, yields, then sleeps. A worker that panics inside a chunk
//! records it; the caller then panics after all chunks have finished (the C
//! boundary turns that into BATCH_DOT_STATUS_INTERNAL).
//!
//! `dlclose`: workers execute the library's code forever, so before the
//! first worker starts the library marks itself NODELETE (`pin_library`): a
//! later `dlclose` then leaves it mapped instead of pulling the code from
//! under the workers. With default options no worker exists and nothing is
//! pinned, so the library unloads normally.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The default thread count: 1, unless `BATCH_DOT_NUM_THREADS` holds a
/// positive integer. Read once, at first need.
pub fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| parse_threads(std::env::var("BATCH_DOT_NUM_THREADS").ok().as_deref()))
}

/// Parses `BATCH_DOT_NUM_THREADS`: a positive integer, else 1.
pub fn parse_threads(v: Option<&str>) -> usize {
    v.and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
        .min(1024)
}

/// CPUs this process may use (at least 1), read once.
pub fn cpus() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Most workers the pool ever starts.
const MAX_WORKERS: usize = 63;
/// How long an idle worker spins (yielding now and then) before it sleeps,
/// until the process has shown a rhythm of parallel calls.
const BASE_SPIN_NS: u64 = 200_000;
/// The default cap of the adaptive spin window (`BATCH_DOT_SPIN_US`).
const DEFAULT_SPIN_CAP_US: u64 = 5_000;
/// Gaps at most the cap in a row before the window follows the gaps.
const RHYTHM_CALLS: i32 = 2;
/// A spinning worker whose polls are this far apart has lost its CPU to
/// another thread: the machine is busy, and spinning would only take time
/// from the caller or other processes.
const PREEMPTED_NS: u64 = 300_000;
/// Parallel calls after such a loss before workers spin long again.
const CONTENDED_CALLS: i32 = 16;
/// How long a caller waiting for workers yields before it sleeps.
const CALLER_YIELD: Duration = Duration::from_micros(500);

/// The most an idle worker spins, in nanoseconds: `BATCH_DOT_SPIN_US`
/// (microseconds, 0 = never spin) if set to an integer, else 5 ms. Read once.
pub fn spin_cap_ns() -> u64 {
    static CAP: OnceLock<u64> = OnceLock::new();
    *CAP.get_or_init(|| parse_spin_us(std::env::var("BATCH_DOT_SPIN_US").ok().as_deref()) * 1000)
}

/// Parses `BATCH_DOT_SPIN_US`: a non-negative integer (capped at 1 s), else
/// the default (5000).
pub fn parse_spin_us(v: Option<&str>) -> u64 {
    v.and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(DEFAULT_SPIN_CAP_US, |n| n.min(1_000_000))
}

/// The adaptive spin window: follows the gaps between parallel calls (from
/// the end of one to the start of the next). Pure, so that it can be tested
/// with made-up gaps; the pool keeps one, updated by the caller that holds
/// the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpinPolicy {
    /// The cap (ns).
    pub cap: u64,
    /// A decaying maximum of the recent gaps (ns).
    pub gap: u64,
    /// Gaps at most the cap in a row (negative after a contended spin:
    /// calls to wait before the gaps count again).
    pub streak: i32,
}

impl SpinPolicy {
    /// No rhythm seen yet, spinning at most `cap` ns.
    pub const fn new(cap: u64) -> SpinPolicy {
        SpinPolicy {
            cap,
            gap: 0,
            streak: 0,
        }
    }

    /// Notes the gap before a parallel call (`None`: the first one).
    pub fn note_gap(&mut self, gap: Option<u64>) {
        match gap {
            Some(g) if g <= self.cap => {
                self.streak = (self.streak + 1).min(RHYTHM_CALLS);
                // A decaying maximum: one long gap is remembered for a
                // while, so that jitter does not send workers to sleep.
                self.gap = g.max(self.gap - self.gap / 4);
            }
            _ => {
                self.streak = self.streak.min(0);
                self.gap = 0;
            }
        }
    }

    /// Notes that a spinning worker lost its CPU to another thread: back to
    /// the base window for the next `CONTENDED_CALLS` calls.
    pub fn note_contention(&mut self) {
        self.streak = -CONTENDED_CALLS;
        self.gap = 0;
    }

    /// How long an idle worker spins now (ns).
    pub fn window(&self) -> u64 {
        let base = BASE_SPIN_NS.min(self.cap);
        if self.streak < RHYTHM_CALLS {
            return base;
        }
        (self.gap + self.gap / 4 + base).min(self.cap)
    }
}

/// Nanoseconds since the first call that asked for it (monotonic).
fn now_ns() -> u64 {
    static T0: OnceLock<Instant> = OnceLock::new();
    T0.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// A borrowed job, lifetime erased: valid while its epoch's chunks run.
#[derive(Clone, Copy)]
struct JobRef(*const (dyn Fn(usize, usize) + Sync));
// SAFETY: the closure is Sync, and the pointer is dereferenced only while
// the publishing caller waits for the job to finish (module docs).
unsafe impl Send for JobRef {}

struct State {
    epoch: u32,
    job: Option<JobRef>,
    chunks: usize,
    /// Threads the job may use (the caller included), and how many have
    /// joined it so far: a worker joining as number `threads` or later
    /// stays out, so a call never runs on more threads than it allows.
    threads: usize,
    joined: usize,
    workers: usize,
    sleeping: usize,
}

struct Pool {
    state: Mutex<State>,
    wake: Condvar,
    finished: Condvar,
    /// `epoch << 32 | chunks claimed from the back << 16 | chunks claimed
    /// from the front` (the front count alone, in all 32 bits, for a job
    /// of more than `u16::MAX` chunks).
    ticket: AtomicU64,
    done: AtomicUsize,
    panicked: AtomicBool,
    /// Held by the one caller whose job the pool runs; guards the spin
    /// policy and the end time of the last parallel call (0: none yet).
    busy: Mutex<(SpinPolicy, u64)>,
    /// How long idle workers spin now (ns): the policy's window.
    spin_ns: AtomicU64,
    /// Set by a worker that lost its CPU while spinning.
    contended: AtomicBool,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State {
            epoch: 0,
            job: None,
            chunks: 0,
            threads: 0,
            joined: 0,
            workers: 0,
            sleeping: 0,
        }),
        wake: Condvar::new(),
        finished: Condvar::new(),
        ticket: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        busy: Mutex::new((SpinPolicy::new(spin_cap_ns()), 0)),
        spin_ns: AtomicU64::new(BASE_SPIN_NS.min(spin_cap_ns())),
        contended: AtomicBool::new(false),
    })
}

static POOL_STARTED: AtomicBool = AtomicBool::new(false);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f(c, slot)` for every chunk `c` in `0..chunks`, each exactly once,
/// on the caller's thread (slot 0) and up to `threads - 1` pool workers
/// (slots `1..threads`), which claim chunks as they go; returns when all
/// are done. A slot is used by one thread at a time. Panics (after every
/// chunk has finished) if a chunk panicked.
pub fn parallel(chunks: usize, threads: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    if chunks <= 1 || threads <= 1 {
        for i in 0..chunks {
            f(i, 0);
        }
        return;
    }
    let p = pool();
    let mut busy = match p.busy.try_lock() {
        Ok(g) => g,
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => {
            // Another caller's job is running: do this one alone.
            for i in 0..chunks {
                f(i, 0);
            }
            return;
        }
    };
    {
        let (policy, last_end) = &mut *busy;
        let gap = (*last_end != 0).then(|| now_ns().saturating_sub(*last_end));
        if p.contended.swap(false, Ordering::Relaxed) {
            policy.note_contention();
        }
        policy.note_gap(gap);
        p.spin_ns.store(policy.window(), Ordering::Relaxed);
    }
    POOL_STARTED.store(true, Ordering::Release);
    let epoch = {
        let mut st = lock(&p.state);
        let want = (threads - 1).min(chunks - 1).min(MAX_WORKERS);
        if st.workers < want && st.workers == 0 {
            pin_library();
        }
        while st.workers < want {
            let spawned = std::thread::Builder::new()
                .name("batch_dot-worker".into())
                .spawn(worker);
            if spawned.is_err() {
                break; // fewer workers: the caller does the rest
            }
            st.workers += 1;
        }
        st.epoch = st.epoch.wrapping_add(1);
        // SAFETY (lifetime erasure, same fat-pointer layout): the job is
        // only dereferenced by whoever claims a chunk of this epoch, and this
        // function does not return before every chunk of this epoch has
        // finished.
        let job = unsafe {
            core::mem::transmute::<
                &(dyn Fn(usize, usize) + Sync),
                *const (dyn Fn(usize, usize) + Sync + 'static),
            >(f)
        };
        st.job = Some(JobRef(job));
        st.chunks = chunks;
        st.threads = threads;
        st.joined = 1; // the caller
        p.done.store(0, Ordering::Relaxed);
        p.ticket.store((st.epoch as u64) << 32, Ordering::Release);
        if st.sleeping > 0 {
            p.wake.notify_all();
        }
        st.epoch
    };
    // SAFETY: `f` outlives this call, which returns only after every chunk
    // of this epoch has finished.
    unsafe { claim_and_run(p, epoch, f, chunks, 0) };
    // Wait for the chunks other threads claimed.
    // (Spin briefly, then yield the CPU, then sleep: a waiting caller must
    // not take time from a worker that shares its CPU.)
    let t0 = Instant::now();
    let mut spins = 0u32;
    while p.done.load(Ordering::Acquire) < chunks {
        spins = spins.wrapping_add(1);
        if spins < 256 {
            std::hint::spin_loop();
            continue;
        }
        if t0.elapsed() < CALLER_YIELD {
            std::thread::yield_now();
            continue;
        }
        let mut st = lock(&p.state);
        while p.done.load(Ordering::Acquire) < chunks {
            st = p.finished.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        break;
    }
    lock(&p.state).job = None;
    busy.1 = now_ns().max(1);
    drop(busy);
    if p.panicked.swap(false, Ordering::AcqRel) {
        panic!("batch_dot: a worker thread panicked");
    }
}

/// Claims chunks of `epoch` until none is left, running each as `slot`:
/// from the front for the caller (slot 0), from the back for the workers.
///
/// The job comes as a raw pointer, and is borrowed only for each chunk's
/// call: a `&dyn Fn` parameter would stay a live (protected) borrow until
/// this function returns, i.e. after the last `done` increment, when the
/// caller of `parallel` may already have freed the job (Miri reports that
/// as undefined behaviour).
///
/// # Safety
/// `job` is valid while the ticket carries `epoch` and a claimed chunk of it
/// has not finished (the caller of `parallel` guarantees that).
unsafe fn claim_and_run<'a>(
    p: &Pool,
    epoch: u32,
    job: *const (dyn Fn(usize, usize) + Sync + 'a),
    chunks: usize,
    slot: usize,
) {
    let two_ended = chunks <= 0xffff;
    loop {
        let t = p.ticket.load(Ordering::Acquire);
        if (t >> 32) as u32 != epoch {
            return;
        }
        let (front, back) = if two_ended {
            ((t & 0xffff) as usize, ((t >> 16) & 0xffff) as usize)
        } else {
            ((t & 0xffff_ffff) as usize, 0)
        };
        if front + back >= chunks {
            return;
        }
        let (next, i) = if slot != 0 && two_ended {
            (t + (1 << 16), chunks - 1 - back)
        } else {
            (t + 1, front)
        };
        if p.ticket
            .compare_exchange_weak(t, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            continue;
        }
        // SAFETY: chunk i of this epoch is claimed and not yet finished, so
        // the job is alive; the borrow ends with the call.
        if catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(i, slot) })).is_err() {
            p.panicked.store(true, Ordering::Release);
        }
        if p.done.fetch_add(1, Ordering::AcqRel) + 1 == chunks {
            let _st = lock(&p.state);
            p.finished.notify_all();
        }
    }
}

/// Keeps the shared object this code lives in mapped for the rest of the
/// process, before the first worker starts: workers run the library's code
/// forever, so a later `dlclose` must not unmap it. `dlopen` with
/// `RTLD_NOLOAD | RTLD_NODELETE` on our own path marks the already-loaded
/// object NODELETE; the handle is deliberately never closed. Linked
/// statically, the lookup finds the executable and this does nothing.
fn pin_library() {
    #[cfg(all(target_os = "linux", not(miri)))]
    // SAFETY: dladdr only reads our own code address and fills `info`;
    // dli_fname is a NUL-terminated path owned by the loader, valid while the
    // object is loaded (it is: we are running its code); dlopen with NOLOAD
    // loads nothing new.
    unsafe {
        let mut info: libc::Dl_info = core::mem::zeroed();
        let here = pin_library as *const () as *const libc::c_void;
        if libc::dladdr(here, &mut info) != 0 && !info.dli_fname.is_null() {
            let _handle = libc::dlopen(
                info.dli_fname,
                libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
            );
        }
    }
}

fn worker() {
    let p = pool();
    let mut seen = lock(&p.state).epoch;
    loop {
        // Spin for the next epoch (as long as the spin policy says), then
        // sleep; sleep at once if the spin loses the CPU to another thread
        // (its polls come far apart), and tell the policy.
        let t0 = Instant::now();
        let window = Duration::from_nanos(p.spin_ns.load(Ordering::Relaxed));
        let mut last = t0;
        let mut spins = 0u32;
        while (p.ticket.load(Ordering::Acquire) >> 32) as u32 == seen {
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                let now = Instant::now();
                if now - t0 >= window {
                    break;
                }
                if now - last >= Duration::from_nanos(PREEMPTED_NS) {
                    p.contended.store(true, Ordering::Relaxed);
                    break;
                }
                last = now;
                std::thread::yield_now();
            }
            std::hint::spin_loop();
        }
        let (epoch, job, chunks, slot, allowed) = {
            let mut st = lock(&p.state);
            while st.epoch == seen {
                st.sleeping += 1;
                st = p.wake.wait(st).unwrap_or_else(|e| e.into_inner());
                st.sleeping -= 1;
            }
            let slot = st.joined;
            st.joined += 1;
            (st.epoch, st.job, st.chunks, slot, slot < st.threads)
        };
        seen = epoch;
        if let (Some(JobRef(job)), true) = (job, allowed) {
            // SAFETY: a chunk is claimed only while the ticket carries this
            // epoch, and the caller of that epoch waits until every claimed
            // chunk has finished before the job goes away.
            unsafe { claim_and_run(p, epoch, job, chunks, slot) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn parse() {
        use super::parse_threads as p;
        assert_eq!(p(None), 1);
        assert_eq!(p(Some("")), 1);
        assert_eq!(p(Some("0")), 1);
        assert_eq!(p(Some("-3")), 1);
        assert_eq!(p(Some("x")), 1);
        assert_eq!(p(Some(" 4 ")), 4);
        assert_eq!(p(Some("99999")), 1024);
    }

    #[test]
    fn spin_cap_parse() {
        assert_eq!(parse_spin_us(None), 5000);
        assert_eq!(parse_spin_us(Some("x")), 5000);
        assert_eq!(parse_spin_us(Some("-1")), 5000);
        assert_eq!(parse_spin_us(Some("0")), 0);
        assert_eq!(parse_spin_us(Some(" 300 ")), 300);
        assert_eq!(parse_spin_us(Some("99999999")), 1_000_000);
    }

    #[test]
    fn spin_window_follows_the_rhythm() {
        const MS: u64 = 1_000_000;
        let mut p = SpinPolicy::new(5 * MS);
        // No rhythm yet: the base window.
        assert_eq!(p.window(), BASE_SPIN_NS);
        p.note_gap(None);
        p.note_gap(Some(2 * MS));
        assert_eq!(p.window(), BASE_SPIN_NS);
        // Two gaps within the cap in a row: 1.25 gaps + the base.
        p.note_gap(Some(2 * MS));
        assert_eq!(p.window(), 2 * MS + MS / 2 + BASE_SPIN_NS);
        // A shorter gap: the long one decays by a quarter per call.
        p.note_gap(Some(MS / 10));
        assert_eq!(p.gap, 3 * MS / 2);
        // Never above the cap.
        p.note_gap(Some(5 * MS));
        assert_eq!(p.window(), 5 * MS);
        // A gap above the cap ends the rhythm: back to the base window.
        p.note_gap(Some(20 * MS));
        assert_eq!((p.window(), p.streak, p.gap), (BASE_SPIN_NS, 0, 0));
        // A spinning worker lost its CPU: the base window for 16 calls,
        // then the rhythm again after two gaps.
        for _ in 0..3 {
            p.note_gap(Some(MS));
        }
        assert!(p.window() > BASE_SPIN_NS);
        p.note_contention();
        for _ in 0..CONTENDED_CALLS + 1 {
            p.note_gap(Some(MS));
            assert_eq!(p.window(), BASE_SPIN_NS);
        }
        p.note_gap(Some(MS));
        assert_eq!(p.window(), MS + MS / 4 + BASE_SPIN_NS);
        // A cap of 0: workers never spin.
        let mut z = SpinPolicy::new(0);
        for _ in 0..3 {
            z.note_gap(Some(0));
        }
        assert_eq!(z.window(), 0);
    }

    /// Every chunk runs once; the caller's (slot 0) are a prefix of the
    /// chunks, the workers' the rest (claimed from the back), also past
    /// `u16::MAX` chunks, where every thread claims from the front.
    #[test]
    fn every_chunk_once() {
        // (Past u16::MAX chunks only natively: Miri would take minutes.)
        let big = if cfg!(miri) { 0 } else { 3 };
        for (chunks, rounds) in [
            (0, 50),
            (1, 50),
            (2, 50),
            (3, 50),
            (8, 50),
            (100, 50),
            (70_000, big),
        ] {
            for _ in 0..rounds {
                let hits: Vec<AtomicUsize> = (0..chunks).map(|_| AtomicUsize::new(0)).collect();
                let by: Vec<AtomicUsize> = (0..chunks).map(|_| AtomicUsize::new(9)).collect();
                parallel(chunks, 3, &|i, slot| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                    by[i].store(slot, Ordering::Relaxed);
                });
                assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
                if chunks <= 0xffff {
                    let first_worker = by.iter().position(|s| s.load(Ordering::Relaxed) != 0);
                    let f = first_worker.unwrap_or(chunks);
                    assert!(
                        by[f..].iter().all(|s| s.load(Ordering::Relaxed) != 0),
                        "{chunks} chunks: the caller's are not a prefix"
                    );
                }
            }
        }
    }

    #[test]
    fn concurrent_callers() {
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let sum = AtomicUsize::new(0);
                        parallel(5, 2, &|i, _| {
                            sum.fetch_add(i + 1, Ordering::Relaxed);
                        });
                        assert_eq!(sum.load(Ordering::Relaxed), 15);
                    }
                });
            }
        });
    }

    #[test]
    fn worker_panic_is_reported() {
        let r = catch_unwind(|| {
            parallel(4, 2, &|i, _| {
                if i == 3 {
                    panic!("boom");
                }
            })
        });
        assert!(r.is_err());
        // The pool still works afterwards.
        let sum = AtomicUsize::new(0);
        parallel(4, 2, &|i, _| {
            sum.fetch_add(i, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 6);
    }
}
