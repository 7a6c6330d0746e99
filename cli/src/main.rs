//! The `pvm` command-line tool.

/// The interpreter allocates and frees many small objects per transaction;
/// mimalloc serves that from per-thread free lists where glibc's allocator
/// grows and trims its per-thread arenas (system calls and page faults).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(pvm_cli::commands::main());
}
