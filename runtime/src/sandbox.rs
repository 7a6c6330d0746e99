//! How a PVM interpreter is built, and everything it refuses.
//!
//! The interpreter is RustPython 0.6.0 with no stdlib crate, no host
//! environment and no stdio, a fixed hash seed, isolated mode and no signal
//! handlers. On top of that, [`harden`] closes every route we know of from
//! contract code to the machine or to non-determinism. It works on the object
//! model, natively, never by filtering source text:
//!
//! - **Imports**: `builtins.__import__` is replaced by a native function that
//!   hands out only the modules in [`ALLOWED_MODULES`] (captured at build time,
//!   never looked up in `sys.modules`). Anything else fails with `ImportError`
//!   naming the module. Modules lose `__loader__` and `__spec__`, so no importer
//!   object is reachable.
//! - **Builtins**: the names in [`REMOVED_BUILTINS`] (`open`, `input`, `eval`,
//!   `exec`, `compile`, `breakpoint`, `globals`, `vars`, `locals`, `id`, ...) are
//!   deleted from the one real builtins module, so they do not exist anywhere a
//!   contract could reach (`len.__self__` is that module). `print` writes to the
//!   receipt's debug log, never to the node's stdout.
//! - **Introspection**: the attributes in [`REMOVED_ATTRIBUTES`] are deleted from
//!   the builtin types: `type.__subclasses__` (no walking to `_io` classes or
//!   importers), frame and traceback links (`tb_frame`, `f_back`, `f_globals`,
//!   `f_builtins`, ...), code objects (`__code__`, `gi_code`, ...), function
//!   globals. Code objects are unreachable, so none can be forged (a forged code
//!   object panics RustPython).
//! - **Shared objects are read-only**: every object reachable from the
//!   builtins module and the allowed modules is frozen once the rest of this
//!   list is applied, and every static type is frozen from birth: types are
//!   immutable, module dicts refuse every mutation, builtin functions and
//!   descriptors refuse `setattr`, and descriptors called directly
//!   (`__set__`, `__class__` assignment) refuse too. So no contract can change
//!   what another transaction sees through them, nor plant its own code in
//!   one (`NoneType.__bool__ = f` fails). Contract classes, instances and
//!   globals are the contract's own and behave as in CPython.
//! - **No unmetered code**: outside a call the gas budget is closed, so any
//!   Python code reached between calls (a finalizer, a hook) stops at its
//!   first instruction; warnings are dropped (they would run hooks through
//!   `sys.stderr` and print contract text on the node's stderr).
//! - **Addresses**: `id()` is unavailable. With the `pvm-deterministic` feature
//!   of our RustPython patch, reprs print no address (`<C object>`), and the
//!   default hash of an object is a hash of its type's name (a class hashes by
//!   its own name), identical on every machine. Sets of such objects stay
//!   correct (equality is identity) and iterate in insertion order.
//! - **Resources**: the recursion limit is [`RECURSION_LIMIT`] Python frames on
//!   every build, and native recursion (nested reprs, comparisons, hashes,
//!   iterator and callable chains) stops at the patched interpreter's fixed
//!   counter, never at a stack-pointer probe; the thread has [`STACK_SIZE`] of
//!   stack so both trip long before it overflows. No `gc` module and no automatic
//!   collector run: `__del__` runs when reference counts say, or for cycles in
//!   the collection that ends every call, at the same point on every machine.
//!   Adaptive specialization is off, so a contract executes the same
//!   instructions however often its code ran before.

use rustpython_vm::builtins::{PyDictRef, PyModule, PyStr};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{Interpreter, PyObjectRef, PyRef, PyResult, Settings, VirtualMachine};

use crate::binding;
use crate::host_module;

/// Modules a contract may import, besides `pvm_host`: pure, deterministic ones.
pub const ALLOWED_MODULES: &[&str] = &[
    host_module::MODULE_NAME,
    "itertools",
    "_functools",
    "_collections",
    "_operator",
];

/// Builtins deleted from the interpreter.
pub const REMOVED_BUILTINS: &[&str] = &[
    "open",
    "input",
    "eval",
    "exec",
    "compile",
    "breakpoint",
    "globals",
    "vars",
    "locals",
    "id",
    "help",
    "exit",
    "quit",
    "copyright",
    "credits",
    "license",
    "__loader__",
    "__spec__",
];

/// `(type, attribute)` pairs deleted from builtin types.
pub const REMOVED_ATTRIBUTES: &[(&str, &str)] = &[
    ("type", "__subclasses__"),
    ("function", "__globals__"),
    ("function", "__code__"),
    ("function", "__builtins__"),
    ("frame", "f_back"),
    ("frame", "f_globals"),
    ("frame", "f_locals"),
    ("frame", "f_builtins"),
    ("frame", "f_code"),
    ("frame", "f_trace"),
    ("frame", "clear"),
    ("traceback", "tb_frame"),
    ("generator", "gi_frame"),
    ("generator", "gi_code"),
    ("coroutine", "cr_frame"),
    ("coroutine", "cr_code"),
    ("async_generator", "ag_frame"),
    ("async_generator", "ag_code"),
    ("code", "replace"),
    ("code", "_varname_from_oparg"),
];

/// Python recursion limit, the same on every build and machine.
pub const RECURSION_LIMIT: usize = 1000;

/// Native stack an interpreter thread needs so that [`RECURSION_LIMIT`] trips
/// as a `RecursionError` long before the thread's stack overflows.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;

/// The interpreter settings: isolated, fixed hash seed, nothing from the host.
pub fn settings() -> Settings {
    let mut s = Settings::default();
    s.isolated = true;
    s.install_signal_handlers = false;
    s.hash_seed = Some(0);
    s.import_site = false;
    s.ignore_environment = true;
    s.user_site_directory = false;
    s.safe_path = true;
    s.allow_external_library = false;
    s.path_list.clear();
    s.argv = vec![String::new()];
    s.write_bytecode = false;
    s
}

/// A fresh, not yet hardened interpreter with `pvm_host` registered.
pub fn new_interpreter() -> Interpreter {
    let builder = Interpreter::builder(settings());
    let def = host_module::module_def(&builder.ctx);
    builder.add_native_module(def).build()
}

/// The modules a hardened interpreter hands out, by name.
pub struct Allowed {
    /// `(name, module)` for each of [`ALLOWED_MODULES`].
    pub modules: Vec<(&'static str, PyRef<PyModule>)>,
}

/// Applies every restriction listed in the module doc to `vm`.
pub fn harden(vm: &VirtualMachine) -> PyResult<Allowed> {
    vm.recursion_limit.set(RECURSION_LIMIT);

    let mut modules = Vec::new();
    for &name in ALLOWED_MODULES {
        let m = rustpython_vm::import::import_builtin(vm, name)?;
        let m = m.downcast::<PyModule>().map_err(|_| {
            vm.new_import_error(format!("{name} is not a module"), vm.ctx.new_str(name))
        })?;
        strip_importer_refs(vm, &m.dict())?;
        modules.push((name, m));
    }

    let builtins = vm.builtins.dict();
    for name in REMOVED_BUILTINS {
        remove_key(vm, &builtins, name)?;
    }
    strip_importer_refs(vm, &builtins)?;
    let import_fn = vm.new_function("__import__", restricted_import);
    builtins.set_item("__import__", import_fn.into(), vm)?;
    let print_fn = vm.new_function("print", logged_print);
    builtins.set_item("print", print_fn.into(), vm)?;
    // Exceptions nobody can catch (raised in `__del__`, ...) go to the debug
    // log; the default hook would write to the node's stdout.
    let hook = vm.new_function("unraisablehook", logged_unraisable);
    vm.sys_module.set_attr("unraisablehook", hook, vm)?;

    for (type_name, attr) in REMOVED_ATTRIBUTES {
        let ty = builtin_type(vm, type_name);
        ty.modified();
        ty.attributes.remove(vm.ctx.intern_str(*attr));
    }
    rustpython_vm::pvm::gas::set_out_of_gas_factory(host_module::out_of_gas);

    // Everything reachable from what every transaction shares becomes
    // read-only: types immutable, module dicts frozen, builtin functions and
    // descriptors refusing `setattr` (see `rustpython_vm::pvm::shared`).
    let roots = std::iter::once(vm.builtins.clone().into())
        .chain(modules.iter().map(|(_, m)| m.clone().into()))
        .chain([
            vm.ctx.types.object_type.to_owned().into(),
            vm.ctx.types.type_type.to_owned().into(),
        ]);
    let frozen = rustpython_vm::pvm::shared::freeze_reachable(roots);
    if !frozen.unprotected.is_empty() {
        return Err(vm.new_runtime_error(format!(
            "shared mutable containers that cannot be frozen: {}",
            frozen.unprotected.join(", ")
        )));
    }

    // No automatic collection: it would run finalizers at points that depend on
    // what earlier calls allocated. Objects alive now are never collected, and
    // each call ends with an explicit, metered collection of what it created.
    vm.state.gc.disable();
    vm.state.gc.freeze();
    Ok(Allowed { modules })
}

fn builtin_type(
    vm: &VirtualMachine,
    name: &str,
) -> &'static rustpython_vm::Py<rustpython_vm::builtins::PyType> {
    let t = &vm.ctx.types;
    match name {
        "type" => t.type_type,
        "function" => t.function_type,
        "frame" => t.frame_type,
        "traceback" => t.traceback_type,
        "generator" => t.generator_type,
        "coroutine" => t.coroutine_type,
        "async_generator" => t.async_generator,
        "code" => t.code_type,
        other => unreachable!("REMOVED_ATTRIBUTES names unknown type {other}"),
    }
}

fn remove_key(vm: &VirtualMachine, dict: &PyDictRef, key: &str) -> PyResult<()> {
    if dict.get_item_opt(key, vm)?.is_some() {
        dict.del_item(key, vm)?;
    }
    Ok(())
}

fn strip_importer_refs(vm: &VirtualMachine, dict: &PyDictRef) -> PyResult<()> {
    remove_key(vm, dict, "__loader__")?;
    remove_key(vm, dict, "__spec__")
}

/// Looks a module up among the allowed ones; used by `__import__`.
fn allowed_module(vm: &VirtualMachine, name: &str) -> Option<PyObjectRef> {
    if !ALLOWED_MODULES.contains(&name) {
        return None;
    }
    // Allowed modules are imported at build time; `import_builtin` finds them
    // in the interpreter's own module table, which contracts cannot reach.
    rustpython_vm::import::import_builtin(vm, name).ok()
}

/// `__import__(name, globals=None, locals=None, fromlist=(), level=0)`, limited
/// to [`ALLOWED_MODULES`].
fn restricted_import(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let name = args
        .args
        .first()
        .cloned()
        .or_else(|| args.kwargs.get("name").cloned())
        .ok_or_else(|| vm.new_type_error("__import__() missing required argument 'name'"))?;
    let name_str = name
        .downcast_ref::<PyStr>()
        .and_then(|s| s.to_str().map(str::to_owned))
        .ok_or_else(|| vm.new_type_error("module name must be a string"))?;
    let level = match args.args.get(4).or_else(|| args.kwargs.get("level")) {
        Some(l) => l.try_index(vm)?.as_bigint().clone(),
        None => 0.into(),
    };
    if level != 0.into() {
        return Err(vm.new_import_error(
            format!("relative import of '{name_str}' is not allowed in PVM contracts"),
            vm.ctx.new_str(name_str),
        ));
    }
    match allowed_module(vm, &name_str) {
        Some(m) => Ok(m),
        None => Err(vm.new_import_error(
            format!(
                "import of module '{name_str}' is not allowed in PVM contracts (allowed: {})",
                ALLOWED_MODULES.join(", ")
            ),
            vm.ctx.new_str(name_str),
        )),
    }
}

/// `print(*objects, sep=' ', end='\n', file=None, flush=False)` into the debug log.
fn logged_print(args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    let text_arg = |key: &str, default: &str| -> PyResult<String> {
        match args.kwargs.get(key) {
            None => Ok(default.to_owned()),
            Some(v) if vm.is_none(v) => Ok(default.to_owned()),
            Some(v) => match v.downcast_ref::<PyStr>() {
                Some(s) => Ok(s.to_string_lossy().into_owned()),
                None => Err(vm.new_type_error(format!(
                    "{key} must be None or a string, not {}",
                    v.class().name()
                ))),
            },
        }
    };
    for key in args.kwargs.keys() {
        if !matches!(key.as_str(), Ok("sep" | "end" | "file" | "flush")) {
            return Err(vm.new_type_error(format!(
                "'{}' is an invalid keyword argument for print()",
                key.as_str().unwrap_or("?")
            )));
        }
    }
    let sep = text_arg("sep", " ")?;
    let end = text_arg("end", "\n")?;
    let mut text = String::new();
    for (i, obj) in args.args.iter().enumerate() {
        if i > 0 {
            text.push_str(&sep);
        }
        text.push_str(&obj.str(vm)?.to_string_lossy());
    }
    text.push_str(&end);

    if let Some(file) = args.kwargs.get("file").filter(|f| !vm.is_none(f)) {
        vm.call_method(file, "write", (vm.ctx.new_str(text),))?;
        return Ok(());
    }
    let cost = crate::metering::with_schedule(|s| s.host_call(pvm_gas::HostCall::Log, text.len()));
    binding::host_call(|h| h.charge_gas(cost)).map_err(|e| host_module::host_error_to_py(vm, e))?;
    binding::with_record(|r| append_log(r, &text));
    Ok(())
}

/// `sys.unraisablehook(args)` into the debug log, as CPython would print it.
fn logged_unraisable(args: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
    let text = |name: &'static str| -> String {
        args.get_attr(name, vm)
            .ok()
            .filter(|v| !vm.is_none(v))
            .and_then(|v| v.str(vm).ok())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let class = args
        .get_attr("exc_type", vm)
        .ok()
        .and_then(|t| t.get_attr("__name__", vm).ok())
        .and_then(|n| n.str(vm).ok())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Exception".to_owned());
    let msg = text("err_msg");
    let head = if msg.is_empty() {
        "Exception ignored in".to_owned()
    } else {
        msg
    };
    let line = format!("{head}: {}: {}\n", class, text("exc_value"));
    binding::with_record(|r| append_log(r, &line));
    Ok(())
}

/// Appends printed text to the record, splitting lines and keeping the cap.
fn append_log(r: &mut binding::CallRecord, text: &str) {
    if r.log_bytes >= binding::MAX_LOG_BYTES {
        return;
    }
    let room = binding::MAX_LOG_BYTES - r.log_bytes;
    let mut text = text;
    let mut truncated = false;
    if text.len() > room {
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text = &text[..cut];
        truncated = true;
    }
    r.log_bytes += text.len();
    // A print without a trailing newline continues the current line.
    let mut parts = text.split('\n');
    if let Some(first) = parts.next() {
        match r.logs.last_mut() {
            Some(last) if r.open_line => last.push_str(first),
            _ => r.logs.push(first.to_owned()),
        }
    }
    r.open_line = true;
    for part in parts {
        r.logs.push(part.to_owned());
    }
    // `split` yields a trailing empty piece after a final newline: it is the
    // (empty) line the next print continues.
    if text.ends_with('\n') {
        r.logs.pop();
        r.open_line = false;
    }
    if truncated {
        r.logs.push(format!(
            "[log truncated at {} bytes]",
            binding::MAX_LOG_BYTES
        ));
        r.log_bytes = binding::MAX_LOG_BYTES;
        r.open_line = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_split_and_join() {
        let mut r = binding::CallRecord::default();
        append_log(&mut r, "a\n");
        append_log(&mut r, "b");
        append_log(&mut r, "c\nd\n");
        append_log(&mut r, "\n");
        assert_eq!(r.logs, vec!["a", "bc", "d", ""]);
    }

    #[test]
    fn log_is_capped() {
        let mut r = binding::CallRecord::default();
        let big = "x".repeat(binding::MAX_LOG_BYTES + 10);
        append_log(&mut r, &big);
        append_log(&mut r, "more\n");
        assert_eq!(r.logs.len(), 2);
        assert!(r.logs[1].starts_with("[log truncated"));
    }
}
