"""A fungible token.

Input is a command:
  transfer <to_hex> <amount>   move tokens from the sender to <to_hex>
  balance <who_hex>            the balance of <who_hex>
The first call mints SUPPLY tokens to its sender.
"""
import pvm_host

SUPPLY = 1_000_000


def balance_key(who: str) -> bytes:
    return b"balance:" + who.encode()


def balance_of(who: str) -> int:
    raw = pvm_host.get_state(balance_key(who))
    return int(raw) if raw is not None else 0


def set_balance(who: str, amount: int) -> None:
    pvm_host.set_state(balance_key(who), str(amount).encode())


def transfer(sender: str, to: str, amount: int) -> None:
    if amount <= 0:
        raise ValueError("amount must be positive")
    have = balance_of(sender)
    if have < amount:
        raise ValueError(f"insufficient balance: {have} < {amount}")
    set_balance(sender, have - amount)
    set_balance(to, balance_of(to) + amount)
    pvm_host.emit_event("Transfer", f"{sender}:{to}:{amount}".encode())


def main(input: bytes) -> str:
    sender = pvm_host.context()["sender"].hex()
    if pvm_host.get_state(b"supply") is None:
        pvm_host.set_state(b"supply", str(SUPPLY).encode())
        set_balance(sender, SUPPLY)
    command, *args = input.decode().split()
    if command == "transfer":
        to, amount = args
        transfer(sender, to, int(amount))
        return str(balance_of(sender))
    if command == "balance":
        return str(balance_of(args[0]))
    raise ValueError(f"unknown command {command!r}")
