# The crates we patch, as <crate>-<version> (sourced by patch-deps.sh and
# regen-patches.sh). Each has patches/<entry>.patch, patches/<entry>.crate.sha256
# and a [patch.crates-io] line in the root Cargo.toml pointing at .patched/<entry>.
PATCHED_CRATES=(
    rustpython-vm-0.6.0
    rustpython-codegen-0.6.0
    malachite-nz-0.12.0
)

# "rustpython-vm-0.6.0" -> "rustpython-vm"
crate_name() { echo "${1%-*}"; }
# "rustpython-vm-0.6.0" -> "0.6.0"
crate_version() { echo "${1##*-}"; }
