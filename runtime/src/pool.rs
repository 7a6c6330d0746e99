//! [`InterpreterPool`]: warm, pre-initialized interpreters ready to execute.
//!
//! Building and hardening an interpreter takes milliseconds; a block has no time
//! for that per transaction. The pool builds `size` interpreters up front, each on
//! its own worker thread (a [`PvmInterpreter`] is not `Send`, and needs a thread
//! with [`crate::sandbox::STACK_SIZE`] of stack). [`InterpreterPool::checkout`]
//! hands out an idle worker as a [`Lease`], waiting at most a given time;
//! [`Lease::run`] runs a closure on that worker's interpreter and waits for it,
//! so the closure may borrow the caller's data (a block overlay, say), as with
//! `std::thread::scope`. Dropping the lease returns the worker.
//!
//! ```text
//!   caller ──checkout──▶ idle list ──worker i──▶ Lease ──run(f)──▶ worker thread i
//!                                                  ◀── f's result ──┘   (f runs against interpreter i)
//! ```
//!
//! Every call leaves its interpreter pristine ([`crate::pristine`]), so which
//! worker serves a transaction cannot change its receipt. A worker whose job
//! panicked or whose interpreter is poisoned hands its queue to a new thread
//! with a new interpreter and ends: RustPython keeps per-thread state (its
//! type objects, intern pool and collector), and only a new thread is sure to
//! start from none of what the failed job left. The pool counts replacements
//! ([`InterpreterPool::replaced`]).
//!
//! ```
//! use std::time::Duration;
//! use pvm_host::{HostContext, MemoryHost};
//! use pvm_runtime::{InterpreterPool, RuntimeConfig};
//!
//! let pool = InterpreterPool::new(2, RuntimeConfig::default()).unwrap();
//! let mut host = MemoryHost::new(HostContext::default(), 1_000_000);
//! let mut lease = pool.checkout(Duration::from_secs(1)).unwrap();
//! let out = lease
//!     .run(|vm| vm.execute(&mut host, b"def main(i):\n    return i * 2\n", b"ab").result)
//!     .unwrap();
//! assert_eq!(out.unwrap(), b"abab");
//! ```

use std::{
    panic::{self, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc, Arc, Condvar, Mutex,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use thiserror::Error;

use crate::{interpreter::PvmInterpreter, metering::RuntimeConfig, sandbox};

/// Why the pool could not serve.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PoolError {
    /// No interpreter became free in time.
    #[error("no interpreter became available within {waited:?} (pool of {size})")]
    Timeout {
        /// How long the caller waited.
        waited: Duration,
        /// The pool's size.
        size: usize,
    },
    /// A worker thread could not be started.
    #[error("cannot start an interpreter worker: {kind}")]
    Spawn {
        /// What the operating system said.
        kind: std::io::ErrorKind,
    },
    /// A worker thread ended before its interpreter was ready.
    #[error("an interpreter worker died while starting")]
    WorkerDied,
    /// The job panicked on its worker (the worker got a fresh interpreter).
    #[error("the interpreter worker panicked while running a job: {0}")]
    JobPanicked(String),
    /// The pool must have at least one interpreter.
    #[error("an interpreter pool needs at least one interpreter")]
    Empty,
}

type Job = Box<dyn FnOnce(&mut PvmInterpreter) + Send + 'static>;

struct Shared {
    idle: Mutex<Vec<usize>>,
    freed: Condvar,
    replaced: AtomicU64,
}

/// The thread currently serving a worker's queue; a replacement stores
/// its own handle here before the thread it replaces ends.
type ThreadSlot = Arc<Mutex<Option<JoinHandle<()>>>>;

struct Worker {
    jobs: mpsc::Sender<Job>,
    thread: ThreadSlot,
}

/// A fixed set of warm interpreters, each on its own thread.
pub struct InterpreterPool {
    shared: Arc<Shared>,
    workers: Vec<Worker>,
}

impl InterpreterPool {
    /// Builds `size` interpreters under `config` and waits until all are ready.
    pub fn new(size: usize, config: RuntimeConfig) -> Result<Self, PoolError> {
        if size == 0 {
            return Err(PoolError::Empty);
        }
        let shared = Arc::new(Shared {
            idle: Mutex::new(Vec::with_capacity(size)),
            freed: Condvar::new(),
            replaced: AtomicU64::new(0),
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut workers = Vec::with_capacity(size);
        for index in 0..size {
            let (jobs, inbox) = mpsc::channel::<Job>();
            let slot: ThreadSlot = Arc::new(Mutex::new(None));
            let worker = WorkerThread {
                index,
                config: config.clone(),
                inbox,
                shared: shared.clone(),
                slot: slot.clone(),
            };
            let ready = ready_tx.clone();
            let thread = worker
                .spawn(Some(ready))
                .map_err(|e| PoolError::Spawn { kind: e.kind() })?;
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
            workers.push(Worker { jobs, thread: slot });
        }
        for _ in 0..size {
            ready_rx.recv().map_err(|_| PoolError::WorkerDied)?;
        }
        shared
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend((0..size).rev());
        let pool = Self { shared, workers };
        pool.report_available();
        metrics::gauge!("pvm_pool_size").set(size as f64);
        Ok(pool)
    }

    /// Takes an idle interpreter, waiting at most `timeout` for one.
    pub fn checkout(&self, timeout: Duration) -> Result<Lease<'_>, PoolError> {
        let start = Instant::now();
        let mut idle = self.shared.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(worker) = idle.pop() {
                drop(idle);
                metrics::histogram!("pvm_pool_checkout_wait_seconds")
                    .record(start.elapsed().as_secs_f64());
                self.report_available();
                return Ok(Lease { pool: self, worker });
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(PoolError::Timeout {
                    waited,
                    size: self.size(),
                });
            }
            idle = self
                .shared
                .freed
                .wait_timeout(idle, timeout - waited)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Interpreters in the pool.
    pub fn size(&self) -> usize {
        self.workers.len()
    }

    /// Interpreters not leased right now.
    pub fn available(&self) -> usize {
        self.shared
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Interpreters replaced because they panicked or were poisoned.
    pub fn replaced(&self) -> u64 {
        self.shared.replaced.load(Ordering::Relaxed)
    }

    fn report_available(&self) {
        metrics::gauge!("pvm_pool_available").set(self.available() as f64);
    }
}

impl Drop for InterpreterPool {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            // Closing the channel ends the worker's loop.
            let (closed, _) = mpsc::channel();
            drop(std::mem::replace(&mut worker.jobs, closed));
            // A thread may hand over to a replacement while we wait for it.
            loop {
                let thread = worker
                    .thread
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                match thread {
                    Some(thread) => {
                        let _ = thread.join();
                    }
                    None => break,
                }
            }
        }
    }
}

/// What a worker thread owns: its queue and how to start its replacement.
struct WorkerThread {
    index: usize,
    config: RuntimeConfig,
    inbox: mpsc::Receiver<Job>,
    shared: Arc<Shared>,
    slot: ThreadSlot,
}

impl WorkerThread {
    fn spawn(self, ready: Option<mpsc::Sender<()>>) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("pvm-interpreter-{}", self.index))
            .stack_size(sandbox::STACK_SIZE)
            .spawn(move || self.serve(ready))
    }

    /// Builds an interpreter, then runs jobs until the queue closes or a job
    /// leaves the interpreter unusable; then hands the queue to a new thread.
    fn serve(self, ready: Option<mpsc::Sender<()>>) {
        let mut interp = PvmInterpreter::with_config(self.config.clone());
        if let Some(ready) = ready {
            if ready.send(()).is_err() {
                return;
            }
        }
        while let Ok(job) = self.inbox.recv() {
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| job(&mut interp)));
            if outcome.is_err() || interp.is_poisoned() {
                self.shared.replaced.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("pvm_pool_interpreters_replaced_total").increment(1);
                drop(interp);
                crate::binding::reset_thread();
                rustpython_vm::pvm::reset_thread();
                let slot = self.slot.clone();
                // If the system has no thread to give, the queue closes with
                // the failed spawn and later jobs report the worker stopped.
                if let Ok(next) = self.spawn(None) {
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(next);
                }
                return;
            }
        }
    }
}

/// One interpreter of the pool, leased until dropped.
pub struct Lease<'p> {
    pool: &'p InterpreterPool,
    worker: usize,
}

impl Lease<'_> {
    /// Runs `f` on the leased interpreter's thread and returns its result.
    ///
    /// `f` may borrow from the caller: `run` does not return before `f` has
    /// finished (or unwound) and been dropped on the worker.
    pub fn run<R, F>(&mut self, f: F) -> Result<R, PoolError>
    where
        R: Send,
        F: FnOnce(&mut PvmInterpreter) -> R + Send,
    {
        let (done, result) = mpsc::sync_channel::<R>(1);
        let job: Box<dyn FnOnce(&mut PvmInterpreter) + Send + '_> = Box::new(move |interp| {
            let _ = done.send(f(interp));
        });
        // SAFETY: only the lifetime is erased. The job is dropped on the worker
        // before `result.recv()` below returns: it returns `Ok` only after the
        // job sent its result (by which time `f`, consumed by the call, has been
        // dropped and only the owned sender is left), and `Err` only once the
        // sender, and with it the whole job, has been dropped, whether the job
        // ran, unwound, or was discarded unrun because the worker is gone.
        let job: Job = unsafe { std::mem::transmute(job) };
        let worker = &self.pool.workers[self.worker];
        if let Err(mpsc::SendError(job)) = worker.jobs.send(job) {
            drop(job);
            return Err(PoolError::JobPanicked("the worker has stopped".into()));
        }
        result
            .recv()
            .map_err(|_| PoolError::JobPanicked("see the worker's panic message".into()))
    }

    /// Which worker this lease holds (for tests and diagnostics).
    pub fn worker(&self) -> usize {
        self.worker
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.pool
            .shared
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.worker);
        self.pool.shared.freed.notify_one();
        self.pool.report_available();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvm_host::{HostContext, MemoryHost};

    #[test]
    fn checkout_waits_then_times_out() {
        let pool = InterpreterPool::new(1, RuntimeConfig::default()).unwrap();
        let lease = pool.checkout(Duration::from_millis(10)).unwrap();
        assert_eq!(pool.available(), 0);
        let err = pool.checkout(Duration::from_millis(20)).err().unwrap();
        assert!(matches!(err, PoolError::Timeout { size: 1, .. }), "{err}");
        drop(lease);
        assert_eq!(pool.available(), 1);
        assert!(pool.checkout(Duration::from_millis(10)).is_ok());
        assert_eq!(
            InterpreterPool::new(0, RuntimeConfig::default()).err(),
            Some(PoolError::Empty)
        );
    }

    #[test]
    fn jobs_borrow_the_callers_data() {
        let pool = InterpreterPool::new(2, RuntimeConfig::default()).unwrap();
        let mut host = MemoryHost::new(HostContext::default(), 10_000_000);
        let code = b"import pvm_host\ndef main(i):\n    pvm_host.set_state(b'k', i)\n";
        pool.checkout(Duration::from_secs(1))
            .unwrap()
            .run(|vm| vm.execute(&mut host, code, b"v").result)
            .unwrap()
            .unwrap();
        assert_eq!(host.state().get(&b"k"[..]), Some(&b"v".to_vec()));
    }

    #[test]
    fn a_panicking_job_gets_its_worker_a_fresh_interpreter() {
        let pool = InterpreterPool::new(1, RuntimeConfig::default()).unwrap();
        let mut lease = pool.checkout(Duration::from_secs(1)).unwrap();
        let before = lease.run(|vm| vm.calls()).unwrap();
        let err = lease.run(|_| -> () { panic!("boom") }).unwrap_err();
        assert!(matches!(err, PoolError::JobPanicked(_)));
        let mut host = MemoryHost::new(HostContext::default(), 1_000_000);
        // The worker replaces its interpreter before it takes the next job.
        let out = lease
            .run(|vm| {
                (
                    vm.calls(),
                    vm.execute(&mut host, b"def main(i):\n    return 'ok'\n", b"")
                        .result,
                )
            })
            .unwrap();
        assert_eq!(pool.replaced(), 1);
        assert_eq!(before, 0);
        assert_eq!(out.0, 0, "a new interpreter has served no calls");
        assert_eq!(out.1.unwrap(), b"ok");
    }
}
