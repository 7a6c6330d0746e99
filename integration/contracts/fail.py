"""Fails on purpose after writing state and emitting an event: both are reverted."""
import pvm_host


def main(input: bytes) -> bytes:
    pvm_host.set_state(b"written", b"before the failure")
    pvm_host.emit_event("Attempt", input)
    print("about to fail")
    raise ValueError("this contract always fails")
