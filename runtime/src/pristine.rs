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
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

/// Snapshots of shared dicts, restored after every call.
pub struct Pristine {
    dicts: Vec<(PyDictRef, Vec<(PyObjectRef, PyObjectRef)>)>,
}

impl Pristine {
    /// Records the current contents of `dicts`.
    pub fn capture(dicts: impl IntoIterator<Item = PyDictRef>) -> Self {
        Self {
            dicts: dicts
                .into_iter()
                .map(|d| {
                    let items = d.items_vec();
                    (d, items)
                })
                .collect(),
        }
    }

    /// Restores every dict that differs from its snapshot; returns how many did.
    pub fn restore(&self, vm: &VirtualMachine) -> PyResult<usize> {
        let mut restored = 0;
        for (dict, items) in &self.dicts {
            if unchanged(dict, items) {
                continue;
            }
            dict.clear();
            for (k, v) in items {
                dict.set_item(&**k, v.clone(), vm)?;
            }
            restored += 1;
        }
        Ok(restored)
    }
}

fn unchanged(dict: &PyDictRef, items: &[(PyObjectRef, PyObjectRef)]) -> bool {
    if dict.__len__() != items.len() {
        return false;
    }
    let now = dict.items_vec();
    now.iter()
        .zip(items)
        .all(|((k1, v1), (k2, v2))| k1.is(k2) && v1.is(v2))
}
