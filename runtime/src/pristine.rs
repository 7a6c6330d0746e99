//! Leaving the interpreter exactly as it was after every call.
//!
//! Three things could carry one transaction's effects into the next one on
//! the same interpreter: shared objects it changed, garbage it left behind,
//! and names it interned. Each is closed here or where it starts:
//!
//! - **Shared objects** are frozen when the interpreter is built
//!   ([`crate::sandbox::harden`], `rustpython_vm::pvm::shared`): every
//!   mutation of a builtin type, a module, a module's dict, a builtin function
//!   or a descriptor fails at the object model, whatever the route. There is
//!   nothing to restore, so nothing a contract runs while objects die
//!   (`__del__`, a key's `__eq__`) can interleave with a restore or make it
//!   fail. [`Pristine`] keeps an identity snapshot of the shared module dicts
//!   and checks it after every call as a second line: a dict that changed
//!   anyway poisons the interpreter, which is rebuilt before the next call.
//! - **Garbage**: after every call, still inside its metered session, the
//!   collector runs over every generation until the count of tracked objects
//!   is back to what it was before the call ([`finish_call`]); finalizers run
//!   metered and log into that call's receipt. If finalizers keep making
//!   garbage, one last collection runs with the budget closed and frees the
//!   rest without running any Python code. Everything alive before the call (the
//!   interpreter, compiled contracts) sits in the collector's permanent
//!   generation, so "back to what it was" is exact: any survivor poisons the
//!   interpreter.
//! - **Interned names** made from the call's data (`setattr(C, name, v)`,
//!   class bodies, `__slots__`) count against its memory and are freed
//!   (`rustpython_vm::pvm::end_transaction`) once the census proves nothing
//!   of the call is alive.
//!
//! The outcome of the call never depends on any of this: poisoning only
//! decides that the next call runs on a freshly built interpreter, which
//! behaves exactly as this one did when new.

use rustpython_vm::builtins::PyDictRef;
use rustpython_vm::pvm::{self, gas, Census, Cleanup};
use rustpython_vm::{PyObjectRef, VirtualMachine};

/// Collections tried before the budget is closed on finalizers that keep
/// making garbage.
pub const MAX_COLLECTIONS: usize = 8;

/// Why an interpreter must not serve another call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dirty {
    /// Shared dicts differ from their snapshot (freezing should make this impossible).
    SharedChanged {
        /// How many dicts differ.
        dicts: usize,
    },
    /// Objects made by the call are still alive after collecting everything.
    Survivors {
        /// The census before the call.
        before: Census,
        /// The census after it.
        after: Census,
    },
}

impl Dirty {
    /// A short stable name, for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Dirty::SharedChanged { .. } => "shared_changed",
            Dirty::Survivors { .. } => "survivors",
        }
    }
}

/// Identity snapshots of the shared module dicts.
pub struct Pristine {
    dicts: Vec<(PyDictRef, Vec<(PyObjectRef, PyObjectRef)>)>,
}

impl Pristine {
    /// Records the current contents of `dicts`.
    pub fn capture(dicts: impl IntoIterator<Item = PyDictRef>) -> Self {
        let dicts = dicts
            .into_iter()
            .map(|d| {
                let items = d.items_vec();
                (d, items)
            })
            .collect();
        Self { dicts }
    }

    /// Checks every dict against its snapshot, by identity (no allocation,
    /// no Python code).
    pub fn verify(&self) -> Result<(), Dirty> {
        let changed = self
            .dicts
            .iter()
            .filter(|(dict, items)| !dict.is_identical_to(items))
            .count();
        if changed == 0 {
            Ok(())
        } else {
            Err(Dirty::SharedChanged { dicts: changed })
        }
    }
}

/// Ends a call: collects its garbage, checks that nothing of it survived and
/// that shared dicts are untouched, then frees what it interned. Runs inside
/// the call's metered session; `before` is the census taken when it started.
pub fn finish_call(
    vm: &VirtualMachine,
    before: Census,
    pristine: &Pristine,
) -> Result<Cleanup, Dirty> {
    collect_all(vm, before);
    let after = pvm::census();
    let verdict = if after.tracked != before.tracked {
        Err(Dirty::Survivors { before, after })
    } else {
        pristine.verify()
    };
    match verdict {
        Ok(()) => Ok(pvm::end_transaction(vm)),
        Err(dirty) => {
            // Objects of this call may be alive: nothing they could refer to
            // (the names it interned) may be freed.
            pvm::abandon_transaction();
            Err(dirty)
        }
    }
}

/// Collects until the tracked-object count is back to `before`'s: metered
/// rounds first, then, if finalizers keep making garbage, one round with the
/// budget closed, in which no Python code can run (a finalizer raises at its
/// first instruction); the budget is given back afterwards, so the call is
/// not charged for the finalizers that could not run.
fn collect_all(vm: &VirtualMachine, before: Census) {
    let collect = || {
        vm.state.gc.collect_force(2);
        // Classes that died leave dead entries in shared types' subclass
        // lists, and the host's exceptions are held by the call's record.
        pvm::shared::prune_subclasses();
        crate::binding::with_record(|r| r.host_raised.clear());
    };
    for _ in 0..MAX_COLLECTIONS {
        if pvm::census().tracked == before.tracked {
            return;
        }
        collect();
    }
    if pvm::census().tracked != before.tracked {
        let budget = gas::budget();
        gas::close();
        collect();
        gas::set_budget(budget);
    }
}
