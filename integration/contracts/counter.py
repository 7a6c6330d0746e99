"""A counter: every call adds one (or the integer given as input) and returns the total."""
import pvm_host

KEY = b"count"


def main(input: bytes) -> str:
    step = int(input) if input else 1
    raw = pvm_host.get_state(KEY)
    count = (int(raw) if raw is not None else 0) + step
    pvm_host.set_state(KEY, str(count).encode())
    print("count is now", count)
    return str(count)
