"""Runs PVM contracts in CPython 3.11 the way PVM runs them, for differential tests.

Reads one JSON document from stdin:

    {"config": {...}, "programs": [{"source": str, "input": hex}, ...]}

and writes one JSON list of receipts to stdout, one per program, in order:

    {"output": hex | null, "error": {"kind", "message", "line"} | null,
     "logs": [str], "events": [[topic, hex]], "state": [[hex, hex]]}

Each program gets what a PVM contract gets: a fresh globals dict named
`__contract__`, builtins without the names the sandbox removes, an
`__import__` that hands out only the allowed modules, a `print` that writes
the receipt's log, and a `pvm_host` module that behaves like the runtime's
native module over a `MemoryHost` (sorted state, event list, the given
context and randomness). Gas is not emulated: programs must not depend on it.
"""

import builtins
import json
import signal
import sys
import types

sys.set_int_max_str_digits(4300)


class Timeout(BaseException):
    """A program ran too long: a generator bug (PVM would run out of gas)."""


def on_alarm(signum, frame):
    raise Timeout("the program ran for more than 10 s in CPython")


def lossy(text):
    """Python text as PVM hands it out: each lone surrogate becomes U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


class Receipt:
    def __init__(self, max_log_bytes):
        self.logs = []
        self.log_bytes = 0
        self.open_line = False
        self.max_log_bytes = max_log_bytes
        self.state = {}
        self.events = []

    def log(self, text):
        """Mirrors the runtime's append_log: lines, continuation, the cap."""
        if self.log_bytes >= self.max_log_bytes:
            return
        room = self.max_log_bytes - self.log_bytes
        data = text.encode("utf-8")
        truncated = False
        if len(data) > room:
            cut = room
            while cut > 0 and (data[cut] & 0xC0) == 0x80:
                cut -= 1
            data = data[:cut]
            text = data.decode("utf-8")
            truncated = True
        self.log_bytes += len(data)
        parts = text.split("\n")
        if self.logs and self.open_line:
            self.logs[-1] += parts[0]
        else:
            self.logs.append(parts[0])
        self.open_line = True
        self.logs.extend(parts[1:])
        if text.endswith("\n"):
            self.logs.pop()
            self.open_line = False
        if truncated:
            self.logs.append(f"[log truncated at {self.max_log_bytes} bytes]")
            self.log_bytes = self.max_log_bytes
            self.open_line = False


def host_module(config, receipt):
    """A fresh `pvm_host` for one call, over `receipt`'s state and events."""
    m = types.ModuleType("pvm_host")
    base = type("HostError", (Exception,), {"__module__": "pvm_host"})
    m.HostError = base
    kinds = {}
    for name in config["host_errors"]:
        kinds[name] = type(name, (base,), {"__module__": "pvm_host"})
        setattr(m, name, kinds[name])
    m._kinds = kinds

    def arg_bytes(func, name, obj):
        if isinstance(obj, (bytes, bytearray)):
            return bytes(obj)
        raise TypeError(f"{func}() argument '{name}' must be bytes, not {type(obj).__name__}")

    def arg_str(func, name, obj):
        if isinstance(obj, str):
            try:
                obj.encode("utf-8")
                return str(obj)
            except UnicodeEncodeError:
                pass
        raise TypeError(f"{func}() argument '{name}' must be str, not {type(obj).__name__}")

    def get_state(key):
        key = arg_bytes("get_state", "key", key)
        return receipt.state.get(key)

    def set_state(key, value):
        key = arg_bytes("set_state", "key", key)
        value = arg_bytes("set_state", "value", value)
        receipt.state[key] = value

    def delete_state(key):
        key = arg_bytes("delete_state", "key", key)
        receipt.state.pop(key, None)

    def emit_event(topic, data):
        topic = arg_str("emit_event", "topic", topic)
        data = arg_bytes("emit_event", "data", data)
        receipt.events.append((topic, data))

    ctx = config["context"]

    def context():
        return {
            "block_height": ctx["block_height"],
            "block_hash": bytes.fromhex(ctx["block_hash"]),
            "tx_hash": bytes.fromhex(ctx["tx_hash"]),
            "sender": bytes.fromhex(ctx["sender"]),
            "timestamp_ms": ctx["timestamp_ms"],
        }

    def randomness(domain):
        domain = arg_bytes("randomness", "domain", domain)
        return bytes.fromhex(config["randomness"][domain.hex()])

    for f in (get_state, set_state, delete_state, emit_event, context, randomness):
        setattr(m, f.__name__, f)
    return m


def make_builtins(config, receipt, host):
    allowed = {name: host if name == "pvm_host" else __import__(name) for name in config["allowed_modules"]}

    def restricted_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level != 0:
            raise ImportError(f"relative import of '{name}' is not allowed in PVM contracts", name=name)
        if name in allowed:
            return allowed[name]
        raise ImportError(
            f"import of module '{name}' is not allowed in PVM contracts (allowed: {', '.join(config['allowed_modules'])})",
            name=name,
        )

    def logged_print(*args, **kwargs):
        for key in kwargs:
            if key not in ("sep", "end", "file", "flush"):
                raise TypeError(f"'{key}' is an invalid keyword argument for print()")

        def text_arg(key, default):
            v = kwargs.get(key)
            if v is None:
                return default
            if not isinstance(v, str):
                raise TypeError(f"{key} must be None or a string, not {type(v).__name__}")
            return lossy(v)

        sep = text_arg("sep", " ")
        end = text_arg("end", "\n")
        text = sep.join(lossy(str(a)) for a in args) + end
        file = kwargs.get("file")
        if file is not None:
            file.write(text)
            return None
        receipt.log(text)
        return None

    b = dict(builtins.__dict__)
    for name in config["removed_builtins"]:
        b.pop(name, None)
    b["__import__"] = restricted_import
    b["print"] = logged_print
    return b


def contract_line(exc):
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<contract>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(exc, host):
    try:
        text = lossy(str(exc))
    except BaseException:
        text = ""
    name = type(exc).__name__
    kind = "Exception"
    for k, cls in host._kinds.items():
        if isinstance(exc, cls):
            kind = k
    return {"kind": kind, "message": f"{name}: {text}" if text else name, "line": contract_line(exc)}


def output_bytes(ret):
    if ret is None:
        return b"", None
    if isinstance(ret, bytes):
        return bytes(ret), None
    if isinstance(ret, str):
        try:
            return str(ret).encode("utf-8"), None
        except UnicodeEncodeError:
            return None, "UnicodeEncodeError: main() returned a str that is not valid UTF-8"
    return None, f"TypeError: main() must return bytes, str or None, not {type(ret).__name__}"


def run(config, program):
    receipt = Receipt(config["max_log_bytes"])
    host = host_module(config, receipt)
    result = {"output": None, "error": None}
    try:
        # CPython rebuilds a frozenset constant once more when interning swaps
        # one of its strings for an equal one interned earlier in the process,
        # so a set display's order depends on what ran before. Compiling the
        # program first (and keeping that code alive, so its strings stay
        # interned) fixes the history to the one PVM models: every
        # identifier-like string constant already interned.
        warm = compile(program["source"], "<contract>", "exec")
        code = compile(program["source"], "<contract>", "exec")
    except SyntaxError as e:
        result["error"] = {"kind": "SyntaxError", "message": f"SyntaxError: {e.msg}", "line": e.lineno}
        code = None
    if code is not None:
        # The contract's frames count from here, as PVM's count from its own call.
        depth = 0
        frame = sys._getframe()
        while frame is not None:
            depth += 1
            frame = frame.f_back
        sys.setrecursionlimit(config["recursion_limit"] + depth)
        g = {"__name__": "__contract__", "__builtins__": make_builtins(config, receipt, host)}
        try:
            exec(code, g)
            main = g.get("main")
            if main is None:
                result["error"] = {
                    "kind": "Exception",
                    "message": "AttributeError: contract defines no main(input) function",
                    "line": None,
                }
            else:
                out, err = output_bytes(main(bytes.fromhex(program["input"])))
                if err is None:
                    result["output"] = out.hex()
                else:
                    result["error"] = {"kind": "Exception", "message": err, "line": None}
        except BaseException as e:
            result["error"] = describe(e, host)
        finally:
            g.clear()
    # CPython's digit-limit message tells the program to call
    # sys.set_int_max_str_digits(); contracts have no `sys` and the limit is
    # fixed, so PVM's message stops before that hint.
    def b(data):
        return data.replace(SYS_HINT.encode(), b"")

    def t(text):
        return text.replace(SYS_HINT, "")

    if result["output"] is not None:
        result["output"] = b(bytes.fromhex(result["output"])).hex()
    if result["error"] is not None:
        result["error"]["message"] = t(result["error"]["message"])
    result["logs"] = [t(line) for line in receipt.logs]
    result["events"] = [[t(topic), b(d).hex()] for topic, d in receipt.events]
    result["state"] = [[k.hex(), b(v).hex()] for k, v in sorted(receipt.state.items())]
    return result


SYS_HINT = "; use sys.set_int_max_str_digits() to increase the limit"


def run_with_timeout(config, program):
    signal.setitimer(signal.ITIMER_REAL, 10)
    try:
        return run(config, program)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    job = json.load(sys.stdin)
    config = job["config"]
    results = [run_with_timeout(config, p) for p in job["programs"]]
    json.dump(results, sys.stdout)


main()
