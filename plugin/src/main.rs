//! The `pvm` command-line tool.

fn main() {
    std::process::exit(pvm_plugin::cli::main());
}
