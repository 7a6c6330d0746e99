"""CPython baseline for the token transfer benchmark (plugin/benches/node.rs).

Runs integration/contracts/token.py the way a plain Python host would: a dict
as contract state, a list of events, and for every call a fresh globals dict in
which the module is executed before main(input) is called, the same work PVM
does per transaction. Prints microseconds per transfer.

    python3 plugin/benches/cpython_token.py [N]
"""
import sys
import time
import types
from pathlib import Path

SOURCE = (Path(__file__).resolve().parents[2] / "integration/contracts/token.py").read_text()
CODE = compile(SOURCE, "<contract>", "exec")


def make_host(state, events, sender):
    host = types.ModuleType("pvm_host")
    host.get_state = state.get
    host.set_state = state.__setitem__
    host.emit_event = lambda topic, data: events.append((topic, data))
    host.context = lambda: {"sender": sender}
    return host


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    state, events = {}, []
    sys.modules["pvm_host"] = make_host(state, events, b"\xaa" * 32)
    inputs = [f"transfer {i:016x} 1".encode() for i in range(n)]

    def call(data):
        g = {"__name__": "__contract__"}
        exec(CODE, g)
        return g["main"](data)

    call(inputs[0])  # warm: supply minted
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for data in inputs:
            call(data)
        best = min(best, (time.perf_counter() - start) / n)
    print(f"{best * 1e6:.3f}")


if __name__ == "__main__":
    main()
