//! Lending a host to the interpreter for exactly one call.
//!
//! Native functions of `pvm_host` need the `&mut dyn HostApi` of the transaction
//! being executed, but RustPython calls them with no way to pass it along. The
//! host is therefore parked in a thread-local slot for the duration of
//! [`with_host`], whose closure-scoped shape makes misuse impossible: the slot is
//! filled on entry and emptied on every exit (return or unwind) before the borrow
//! ends, so no reference to the host outlives the call, and nothing outside this
//! module can reach the slot. While one host call runs, the slot is empty, so a
//! re-entrant call cannot alias the `&mut`.
//!
//! The binding also keeps the interpreter's gas budget ([`crate::metering`]) in
//! step with the host's meter: the budget starts at the host's `gas_left`, and
//! before every host call and when the call ends, what the interpreter spent
//! since the last such point is charged to the host, so both agree whenever the
//! host can observe them.
//!
//! Every piece of per-thread state here (the host slot, the [`CallRecord`], the
//! last synced budget) is emptied on every exit from [`with_host`], return or
//! unwind, so a panic in the middle of a call leaves nothing for the next one.

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use pvm_host::{HostApi, HostError};
use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::pvm::gas;

/// Per-call record kept beside the host: debug log and the first fatal host error.
#[derive(Default)]
pub struct CallRecord {
    /// Lines printed by the contract, in order.
    pub logs: Vec<String>,
    /// Bytes of log kept so far (the log is capped at [`MAX_LOG_BYTES`]).
    pub log_bytes: usize,
    /// Whether the last log line is still open (the last print had no newline).
    pub open_line: bool,
    /// The first host error that ends the transaction whatever the contract does
    /// with it (out of gas, storage failure, internal error).
    pub fatal: Option<HostError>,
    /// The `pvm_host` exceptions the host raised in this call: only these
    /// give a receipt a host error kind (a contract that raises
    /// `pvm_host.OutOfGas(...)` itself gets `Exception`). Emptied before the
    /// interpreter is left.
    pub host_raised: Vec<PyBaseExceptionRef>,
}

impl std::fmt::Debug for CallRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallRecord")
            .field("logs", &self.logs)
            .field("log_bytes", &self.log_bytes)
            .field("fatal", &self.fatal)
            .field("host_raised", &self.host_raised.len())
            .finish()
    }
}

/// The debug log of one call keeps at most this many bytes; the rest is dropped
/// with a marker line.
pub const MAX_LOG_BYTES: usize = 64 * 1024;

type HostPtr = NonNull<dyn HostApi + 'static>;

thread_local! {
    static HOST: Cell<Option<HostPtr>> = const { Cell::new(None) };
    static RECORD: RefCell<Option<CallRecord>> = const { RefCell::new(None) };
    /// The interpreter budget at the last sync with the host.
    static SYNCED: Cell<i64> = const { Cell::new(0) };
}

/// Charges the host for what the interpreter spent since the last sync; an
/// exhausted budget consumes all the host has left and fails with `OutOfGas`.
fn sync_gas(host: &mut dyn HostApi) -> Result<(), HostError> {
    let budget = gas::budget();
    if budget < 0 {
        let left = host.gas_left();
        let _ = host.charge_gas(left.saturating_add(1));
        return Err(HostError::OutOfGas {
            needed: left.saturating_add(1),
            left,
        });
    }
    let spent = SYNCED.with(Cell::get).saturating_sub(budget);
    let result = host.charge_gas(u64::try_from(spent).unwrap_or(0));
    reset_budget(host);
    result
}

/// Sets the interpreter budget to what the host has left.
fn reset_budget(host: &dyn HostApi) {
    let left = i64::try_from(host.gas_left()).unwrap_or(i64::MAX);
    gas::set_budget(left);
    SYNCED.with(|s| s.set(left));
}

/// Remembers `e` as the call's fatal error if it is one and none is yet.
fn record_fatal(e: &HostError) {
    if matches!(
        e,
        HostError::OutOfGas { .. } | HostError::StorageError(_) | HostError::Internal(_)
    ) {
        with_record(|r| {
            if r.fatal.is_none() {
                r.fatal = Some(e.clone());
            }
        });
    }
}

/// Runs `f` with `host` reachable from `pvm_host` functions on this thread, and
/// returns `f`'s result with the call's [`CallRecord`].
///
/// Nested use is refused by panicking: a contract cannot cause it, only a bug in
/// the embedding code.
pub fn with_host<R>(host: &mut dyn HostApi, f: impl FnOnce() -> R) -> (R, CallRecord) {
    // On a normal return the record is taken out before this runs; on an
    // unwind it is dropped here, so no state outlives the call either way.
    struct Unbind;
    impl Drop for Unbind {
        fn drop(&mut self) {
            reset_thread();
        }
    }
    assert!(
        HOST.with(|h| h.get().is_none()) && RECORD.with(|r| r.borrow().is_none()),
        "a host is already bound on this thread"
    );
    reset_budget(&*host);
    let ptr: NonNull<dyn HostApi + '_> = NonNull::from(host);
    // SAFETY: only the lifetime is erased. `Unbind` empties the slot before this
    // function returns or unwinds, i.e. strictly inside the borrow of `host`, and
    // the slot is private to this module.
    let ptr: HostPtr = unsafe { std::mem::transmute::<NonNull<dyn HostApi + '_>, HostPtr>(ptr) };
    RECORD.with(|r| *r.borrow_mut() = Some(CallRecord::default()));
    HOST.with(|h| h.set(Some(ptr)));
    let _unbind = Unbind;
    let out = f();
    // Charge what the interpreter spent after the last host call.
    let _ = host_call(|_| Ok(()));
    let record = RECORD.with(|r| r.borrow_mut().take()).unwrap_or_default();
    (out, record)
}

/// Empties every piece of this module's per-thread state: no host bound, no
/// record, nothing synced. [`with_host`] does this on every exit; it is also
/// safe to call at any time no call is in progress.
pub fn reset_thread() {
    HOST.with(|h| h.set(None));
    // Take first, drop after: the record's exceptions may run code when freed.
    let record = RECORD.with(|r| r.borrow_mut().take());
    drop(record);
    SYNCED.with(|s| s.set(0));
}

/// Calls `f` with the bound host. Fails with [`HostError::Internal`] when no
/// host is bound (a contract run outside [`with_host`]) or when called
/// re-entrantly. A fatal error returned by `f` is remembered in the record.
pub fn host_call<R>(
    f: impl FnOnce(&mut dyn HostApi) -> Result<R, HostError>,
) -> Result<R, HostError> {
    struct Restore(HostPtr);
    impl Drop for Restore {
        fn drop(&mut self) {
            HOST.with(|h| h.set(Some(self.0)));
        }
    }
    let Some(ptr) = HOST.with(|h| h.take()) else {
        return Err(HostError::Internal(
            "no host is bound to this interpreter".into(),
        ));
    };
    let restore = Restore(ptr);
    // SAFETY: the pointer came from a live `&mut` in `with_host`, which is still
    // on the stack (the slot is emptied before it returns); taking it out of the
    // slot makes this the only access until `restore` puts it back.
    let host = unsafe { &mut *restore.0.as_ptr() };
    let result = sync_gas(host).and_then(|()| f(host));
    reset_budget(host);
    drop(restore);
    if let Err(e) = &result {
        record_fatal(e);
    }
    result
}

/// Applies `f` to the current call's record, if a call is in progress.
pub fn with_record<R>(f: impl FnOnce(&mut CallRecord) -> R) -> Option<R> {
    RECORD.with(|r| r.borrow_mut().as_mut().map(f))
}

/// Whether a host is bound on this thread right now (used by tests).
pub fn is_bound() -> bool {
    HOST.with(|h| {
        let v = h.take();
        h.set(v);
        v.is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvm_host::{HostContext, MemoryHost};

    #[test]
    fn bound_only_inside_the_call() {
        let mut host = MemoryHost::new(HostContext::default(), 100);
        assert!(!is_bound());
        let (seen, _) = with_host(&mut host, || {
            host_call(|h| h.set_state(b"k", b"v")).unwrap();
            is_bound()
        });
        assert!(seen);
        assert!(!is_bound());
        assert!(matches!(
            host_call(|h| h
                .gas_left()
                .checked_add(0)
                .ok_or(HostError::Internal(String::new()))),
            Err(HostError::Internal(_))
        ));
        assert_eq!(host.get_state(b"k").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn nothing_survives_a_panic() {
        let mut host = MemoryHost::new(HostContext::default(), 100);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_host(&mut host, || {
                with_record(|r| r.logs.push("half-done".into()));
                panic!("boom")
            })
        }));
        assert!(r.is_err());
        assert!(!is_bound());
        assert!(RECORD.with(|r| r.borrow().is_none()), "the record is gone");
        assert_eq!(SYNCED.with(Cell::get), 0);
        // The next call on this thread starts clean: no stale log, no
        // "already bound" refusal.
        let (_, record) = with_host(&mut host, || ());
        assert!(record.logs.is_empty());
    }

    #[test]
    fn reentrant_access_is_refused() {
        let mut host = MemoryHost::new(HostContext::default(), 100);
        let (inner, _) = with_host(&mut host, || {
            host_call(|_| Ok(host_call(|h| Ok(h.gas_left()))))
        });
        assert!(matches!(inner, Ok(Err(HostError::Internal(_)))));
    }

    #[test]
    fn fatal_errors_are_recorded() {
        let mut host = MemoryHost::new(HostContext::default(), 5);
        let (_, record) = with_host(&mut host, || {
            let _ = host_call(|h| h.charge_gas(10));
        });
        assert!(matches!(record.fatal, Some(HostError::OutOfGas { .. })));
    }
}
