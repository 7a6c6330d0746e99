//! The native `pvm_host` module: the only way contract code reaches the chain.
//!
//! | function | returns |
//! |---|---|
//! | `get_state(key: bytes)` | `bytes` or `None` |
//! | `set_state(key: bytes, value: bytes)` | `None` |
//! | `delete_state(key: bytes)` | `None` |
//! | `emit_event(topic: str, data: bytes)` | `None` |
//! | `charge_gas(amount: int)` | `None` |
//! | `gas_left()` | `int` |
//! | `context()` | `dict` with `block_height`, `block_hash`, `tx_hash`, `sender`, `timestamp_ms` |
//! | `randomness(domain: bytes)` | 32 `bytes` |
//!
//! Every call is priced by [`pvm_gas::GasSchedule`] and charged before the work.
//! Wrong argument types raise `TypeError` naming the argument. Host failures
//! raise `pvm_host.HostError` subclasses named after [`pvm_host::HostErrorKind`]
//! (`pvm_host.OutOfGas`, `pvm_host.InvalidInput`, ...). Those classes are created
//! once per thread, when the module is built, and are frozen with everything
//! else the sandbox shares ([`crate::sandbox`]), so no contract can alter them
//! for another. Only an exception the host itself raised gives a receipt its
//! kind: a contract raising `pvm_host.OutOfGas("...")` fails with `Exception`.

use std::cell::OnceCell;

use pvm_gas::HostCall;
use pvm_host::{HostError, HostErrorKind};
use rustpython_vm::builtins::{PyBaseExceptionRef, PyByteArray, PyBytes, PyInt, PyStr, PyTypeRef};
use rustpython_vm::{AsObject, PyObjectRef, VirtualMachine};

pub(crate) use pvm_host_module::module_def;

/// Name of the module as contracts import it.
pub const MODULE_NAME: &str = "pvm_host";

/// The exception classes of `pvm_host`, shared by every interpreter on a thread.
#[derive(Clone)]
pub struct HostExceptions {
    /// `pvm_host.HostError`, base of all the others.
    pub base: PyTypeRef,
    /// One subclass per [`HostErrorKind`], in [`HostErrorKind::ALL`] order.
    pub kinds: Vec<(HostErrorKind, PyTypeRef)>,
}

thread_local! {
    static EXCEPTIONS: OnceCell<HostExceptions> = const { OnceCell::new() };
}

impl HostExceptions {
    /// This thread's classes, created on first use.
    pub fn get(vm: &VirtualMachine) -> HostExceptions {
        EXCEPTIONS.with(|cell| {
            cell.get_or_init(|| {
                let base = vm.ctx.new_exception_type(MODULE_NAME, "HostError", None);
                let kinds = HostErrorKind::ALL
                    .into_iter()
                    .map(|kind| {
                        let ty = vm.ctx.new_exception_type(
                            MODULE_NAME,
                            kind.name(),
                            Some(vec![base.clone()]),
                        );
                        (kind, ty)
                    })
                    .collect::<Vec<_>>();
                HostExceptions { base, kinds }
            })
            .clone()
        })
    }

    /// The class for `kind`.
    pub fn class_of(&self, kind: HostErrorKind) -> &PyTypeRef {
        &self
            .kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("every kind has a class")
            .1
    }

    /// The host error kind of an exception object, if it is one of ours and
    /// the host raised it (one of `raised`); a contract that raises a
    /// `pvm_host` exception itself gets no host kind.
    pub fn kind_of(
        &self,
        exc: &PyBaseExceptionRef,
        raised: &[PyBaseExceptionRef],
    ) -> Option<HostErrorKind> {
        if !raised.iter().any(|r| r.is(exc)) {
            return None;
        }
        self.kinds
            .iter()
            .find(|(_, ty)| exc.fast_isinstance(ty))
            .map(|(k, _)| *k)
    }
}

/// Turns a host error into the matching `pvm_host` exception, remembered as
/// raised by the host (see [`crate::binding::CallRecord::host_raised`]).
pub fn host_error_to_py(vm: &VirtualMachine, err: HostError) -> PyBaseExceptionRef {
    let excs = HostExceptions::get(vm);
    let ty = excs.class_of(err.kind()).clone();
    raised_by_host(vm.new_exception_msg(ty, err.to_string().into()))
}

/// Records `exc` as raised by the host in the current call's record.
fn raised_by_host(exc: PyBaseExceptionRef) -> PyBaseExceptionRef {
    crate::binding::with_record(|r| r.host_raised.push(exc.clone()));
    exc
}

/// Reads a `bytes`/`bytearray` argument or raises `TypeError` naming it.
fn arg_bytes(
    vm: &VirtualMachine,
    func: &str,
    name: &str,
    obj: &PyObjectRef,
) -> Result<Vec<u8>, PyBaseExceptionRef> {
    if let Some(b) = obj.downcast_ref::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Some(b) = obj.downcast_ref::<PyByteArray>() {
        return Ok(b.borrow_buf().to_vec());
    }
    Err(vm.new_type_error(format!(
        "{func}() argument '{name}' must be bytes, not {}",
        obj.class().name()
    )))
}

/// Reads a `str` argument or raises `TypeError` naming it.
fn arg_str(
    vm: &VirtualMachine,
    func: &str,
    name: &str,
    obj: &PyObjectRef,
) -> Result<String, PyBaseExceptionRef> {
    match obj.downcast_ref::<PyStr>().and_then(|s| s.to_str()) {
        Some(s) => Ok(s.to_owned()),
        None => Err(vm.new_type_error(format!(
            "{func}() argument '{name}' must be str, not {}",
            obj.class().name()
        ))),
    }
}

/// Runs a host call, charging `cost` first, and maps errors to Python.
fn call<R>(
    vm: &VirtualMachine,
    cost: u64,
    f: impl FnOnce(&mut dyn pvm_host::HostApi) -> Result<R, HostError>,
) -> Result<R, PyBaseExceptionRef> {
    crate::binding::host_call(|h| {
        h.charge_gas(cost)?;
        f(h)
    })
    .map_err(|e| host_error_to_py(vm, e))
}

/// Gas for a host call under the schedule of the call in progress.
fn price(call: HostCall, bytes: usize) -> u64 {
    crate::metering::with_schedule(|s| s.host_call(call, bytes))
}

/// The `pvm_host.OutOfGas` exception the interpreter raises when its budget is spent.
pub fn out_of_gas(vm: &VirtualMachine) -> PyBaseExceptionRef {
    let excs = HostExceptions::get(vm);
    raised_by_host(vm.new_exception_msg(
        excs.class_of(HostErrorKind::OutOfGas).clone(),
        "out of gas".to_owned().into(),
    ))
}

#[rustpython_vm::pymodule(name = "pvm_host")]
mod pvm_host_module {
    use super::*;
    use rustpython_vm::builtins::PyModule;
    use rustpython_vm::{Py, PyResult};

    #[pyfunction]
    fn get_state(key: PyObjectRef, vm: &VirtualMachine) -> PyResult<Option<PyObjectRef>> {
        let key = arg_bytes(vm, "get_state", "key", &key)?;
        let value = call(vm, price(HostCall::GetState, key.len()), |h| {
            let v = h.get_state(&key)?;
            if let Some(v) = &v {
                // The value's bytes: what a read of that size costs beyond the base.
                let per_byte = price(HostCall::GetState, v.len()) - price(HostCall::GetState, 0);
                h.charge_gas(per_byte)?;
            }
            Ok(v)
        })?;
        Ok(value.map(|v| vm.ctx.new_bytes(v).into()))
    }

    #[pyfunction]
    fn set_state(key: PyObjectRef, value: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let key = arg_bytes(vm, "set_state", "key", &key)?;
        let value = arg_bytes(vm, "set_state", "value", &value)?;
        let cost = price(HostCall::SetState, key.len() + value.len());
        call(vm, cost, |h| h.set_state(&key, &value))
    }

    #[pyfunction]
    fn delete_state(key: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let key = arg_bytes(vm, "delete_state", "key", &key)?;
        let cost = price(HostCall::DeleteState, key.len());
        call(vm, cost, |h| h.delete_state(&key))
    }

    #[pyfunction]
    fn emit_event(topic: PyObjectRef, data: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let topic = arg_str(vm, "emit_event", "topic", &topic)?;
        let data = arg_bytes(vm, "emit_event", "data", &data)?;
        let cost = price(HostCall::EmitEvent, topic.len() + data.len());
        call(vm, cost, |h| h.emit_event(&topic, &data))
    }

    #[pyfunction]
    fn charge_gas(amount: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let Some(int) = amount.downcast_ref::<PyInt>() else {
            return Err(vm.new_type_error(format!(
                "charge_gas() argument 'amount' must be int, not {}",
                amount.class().name()
            )));
        };
        let amount: u64 = int.as_bigint().try_into().map_err(|_| {
            vm.new_value_error(format!(
                "charge_gas() argument 'amount' must be between 0 and {}, got {}",
                u64::MAX,
                int.as_bigint()
            ))
        })?;
        let cost = price(HostCall::Cheap, 0);
        call(vm, cost, |h| h.charge_gas(amount))
    }

    #[pyfunction]
    fn gas_left(vm: &VirtualMachine) -> PyResult<u64> {
        call(vm, price(HostCall::Cheap, 0), |h| Ok(h.gas_left()))
    }

    #[pyfunction]
    fn context(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let ctx = call(vm, price(HostCall::Cheap, 0), |h| Ok(h.context().clone()))?;
        let d = vm.ctx.new_dict();
        d.set_item("block_height", vm.ctx.new_int(ctx.block_height).into(), vm)?;
        d.set_item(
            "block_hash",
            vm.ctx.new_bytes(ctx.block_hash.to_vec()).into(),
            vm,
        )?;
        d.set_item("tx_hash", vm.ctx.new_bytes(ctx.tx_hash.to_vec()).into(), vm)?;
        d.set_item("sender", vm.ctx.new_bytes(ctx.sender).into(), vm)?;
        d.set_item("timestamp_ms", vm.ctx.new_int(ctx.timestamp_ms).into(), vm)?;
        Ok(d.into())
    }

    #[pyfunction]
    fn randomness(domain: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let domain = arg_bytes(vm, "randomness", "domain", &domain)?;
        let cost = price(HostCall::Randomness, domain.len());
        let r = call(vm, cost, |h| h.randomness(&domain))?;
        Ok(vm.ctx.new_bytes(r.to_vec()).into())
    }

    pub(crate) fn module_exec(vm: &VirtualMachine, module: &Py<PyModule>) -> PyResult<()> {
        __module_exec(vm, module);
        let excs = HostExceptions::get(vm);
        module.set_attr("HostError", excs.base.clone(), vm)?;
        for (kind, ty) in &excs.kinds {
            module.set_attr(kind.name(), ty.clone(), vm)?;
        }
        Ok(())
    }
}
