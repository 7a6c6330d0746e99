//! Putting shared objects back the way they were after every call.
//!
//! A contract gets a fresh globals dict per call, but some objects are shared by
//! every call on an interpreter: the builtins module (reachable as
//! `len.__self__`), and the modules a contract may import. A contract can
//! rebind names in them. [`Pristine`] records their dicts once, after the
//! interpreter is hardened, and after each call compares every entry by
//! identity and restores any dict that changed. The check is a pointer compare
//! per entry; a restore happens only after a contract actually changed something.
//! Builtin types are immutable, and `pvm_host`'s exception classes are created
//! immutable, so types need no snapshot.

use rustpython_vm::builtins::PyDictRef;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

/// Snapshots of shared dicts, restored after every call.
pub struct Pristine {
    dicts: Vec<(PyDictRef, Vec<(PyObjectRef, PyObjectRef)>)>,
}

impl Pristine {
    /// Records the current contents of `dicts`.
    ///
    /// Each dict is rebuilt from its items first, exactly as [`Pristine::restore`]
    /// rebuilds it, so its hash-table layout (and with it the number of probes a
    /// lookup takes, which gas can see) is the same before and after any restore.
    pub fn capture(
        vm: &VirtualMachine,
        dicts: impl IntoIterator<Item = PyDictRef>,
    ) -> PyResult<Self> {
        let dicts: Vec<_> = dicts
            .into_iter()
            .map(|d| {
                let items = d.items_vec();
                (d, items)
            })
            .collect();
        for (dict, items) in &dicts {
            rebuild(vm, dict, items)?;
        }
        Ok(Self { dicts })
    }

    /// Restores every dict that differs from its snapshot; returns how many did.
    pub fn restore(&self, vm: &VirtualMachine) -> PyResult<usize> {
        let mut restored = 0;
        for (dict, items) in &self.dicts {
            if unchanged(dict, items) {
                continue;
            }
            rebuild(vm, dict, items)?;
            restored += 1;
        }
        Ok(restored)
    }
}

fn rebuild(
    vm: &VirtualMachine,
    dict: &PyDictRef,
    items: &[(PyObjectRef, PyObjectRef)],
) -> PyResult<()> {
    dict.clear();
    for (k, v) in items {
        dict.set_item(&**k, v.clone(), vm)?;
    }
    Ok(())
}

fn unchanged(dict: &PyDictRef, items: &[(PyObjectRef, PyObjectRef)]) -> bool {
    dict.is_identical_to(items)
}
