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

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use pvm_host::{HostApi, HostError};

/// Per-call record kept beside the host: debug log and the first fatal host error.
#[derive(Debug, Default)]
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
}

/// The debug log of one call keeps at most this many bytes; the rest is dropped
/// with a marker line.
pub const MAX_LOG_BYTES: usize = 64 * 1024;

type HostPtr = NonNull<dyn HostApi + 'static>;

thread_local! {
    static HOST: Cell<Option<HostPtr>> = const { Cell::new(None) };
    static RECORD: RefCell<Option<CallRecord>> = const { RefCell::new(None) };
}

/// Runs `f` with `host` reachable from `pvm_host` functions on this thread, and
/// returns `f`'s result with the call's [`CallRecord`].
///
/// Nested use is refused by panicking: a contract cannot cause it, only a bug in
/// the embedding code.
pub fn with_host<R>(host: &mut dyn HostApi, f: impl FnOnce() -> R) -> (R, CallRecord) {
    struct Unbind;
    impl Drop for Unbind {
        fn drop(&mut self) {
            HOST.with(|h| h.set(None));
        }
    }
    assert!(
        HOST.with(|h| h.get().is_none()) && RECORD.with(|r| r.borrow().is_none()),
        "a host is already bound on this thread"
    );
    let ptr: NonNull<dyn HostApi + '_> = NonNull::from(host);
    // SAFETY: only the lifetime is erased. `Unbind` empties the slot before this
    // function returns or unwinds, i.e. strictly inside the borrow of `host`, and
    // the slot is private to this module.
    let ptr: HostPtr = unsafe { std::mem::transmute::<NonNull<dyn HostApi + '_>, HostPtr>(ptr) };
    RECORD.with(|r| *r.borrow_mut() = Some(CallRecord::default()));
    HOST.with(|h| h.set(Some(ptr)));
    let out = {
        let _unbind = Unbind;
        f()
    };
    let record = RECORD.with(|r| r.borrow_mut().take()).unwrap_or_default();
    (out, record)
}

/// Calls `f` with the bound host. Fails with [`HostError::Internal`] when no
/// host is bound (a contract run outside [`with_host`]) or when called
/// re-entrantly. A fatal error returned by `f` is remembered in the record.
pub fn host_call<R>(f: impl FnOnce(&mut dyn HostApi) -> Result<R, HostError>) -> Result<R, HostError> {
    struct Restore(HostPtr);
    impl Drop for Restore {
        fn drop(&mut self) {
            HOST.with(|h| h.set(Some(self.0)));
        }
    }
    let Some(ptr) = HOST.with(|h| h.take()) else {
        return Err(HostError::Internal("no host is bound to this interpreter".into()));
    };
    let restore = Restore(ptr);
    // SAFETY: the pointer came from a live `&mut` in `with_host`, which is still
    // on the stack (the slot is emptied before it returns); taking it out of the
    // slot makes this the only access until `restore` puts it back.
    let result = f(unsafe { &mut *restore.0.as_ptr() });
    drop(restore);
    if let Err(e) = &result {
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
        assert!(matches!(host_call(|h| h.gas_left().checked_add(0).ok_or(HostError::Internal(String::new()))), Err(HostError::Internal(_))));
        assert_eq!(host.get_state(b"k").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn unbound_after_panic() {
        let mut host = MemoryHost::new(HostContext::default(), 100);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_host(&mut host, || panic!("boom"))
        }));
        assert!(r.is_err());
        assert!(!is_bound());
        RECORD.with(|r| r.borrow_mut().take());
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
