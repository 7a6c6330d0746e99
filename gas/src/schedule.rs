//! The gas schedule: every price is a named constant here, with the formulas for
//! dynamic costs next to them, so a price changes in exactly one place.
//!
//! One unit of gas is meant to buy about three nanoseconds of interpreter time on
//! the reference machine (the calibration benchmark in `runtime/benches/` checks
//! how close each kind of work comes). Costs are charged *before* the work they
//! pay for (as wasmi charges fuel), so a transaction that cannot pay for
//! something does none of it.
//!
//! | what | cost |
//! |---|---|
//! | every transaction | [`TX_BASE`] |
//! | code, per byte (cache lookup, every call) | [`CODE_PER_BYTE`] |
//! | code, per byte, compiling: a code's first call in a block, and every call outside one | [`COMPILE_PER_BYTE`] |
//! | input, per byte | [`INPUT_PER_BYTE`] |
//! | each instruction (per-opcode metering) | its [`OpcodeCosts`] class price |
//! | each function entry / loop back-edge (coarse metering) | [`COARSE_CALL`] / [`COARSE_LOOP`] |
//! | bulk work: bytes written, copied, compared or scanned | [`PER_KIB`] per KiB |
//! | bulk work: bytes hashed, case-mapped, classified or encoded | [`PER_KIB_TRANSFORM`] per KiB |
//! | bulk work: elements compared, probed, sorted, joined, replaced | [`PER_ELEMENT`] each |
//! | bulk work: elements pulled from iterators or written by reprs | [`PER_ITER`] each |
//! | bulk work: references copied (3 each if distinct, 1/4 if repeated), repetitions, padding characters | [`PER_REF`] per step |
//! | big-integer multiply/divide | [`PER_64_WORD_OPS`] per 64 word steps (see below) |
//! | `get_state` | [`GET_STATE_BASE`] + [`STATE_READ_PER_BYTE`] x (key + value) |
//! | `set_state` | [`SET_STATE_BASE`] + [`STATE_WRITE_PER_BYTE`] x (key + value) |
//! | `delete_state` | [`DELETE_STATE_BASE`] + [`STATE_WRITE_PER_BYTE`] x key |
//! | `emit_event` | [`EMIT_EVENT_BASE`] + [`EVENT_PER_BYTE`] x (topic + data) |
//! | `randomness` | [`RANDOMNESS_BASE`] + [`STATE_READ_PER_BYTE`] x domain |
//! | `context`, `gas_left`, `charge_gas` | [`CHEAP_CALL`] |
//! | `print`, per byte logged | [`LOG_PER_BYTE`] |
//!
//! Big-integer work is counted in word steps (a word is 64 bits): multiplying
//! `a`-word and `b`-word numbers takes `a * b` steps; dividing takes
//! `2 * (a - b + 1) * b`; `x ** e` a third of a square at the result's size;
//! `pow(x, e, m)` two modular products per bit of `e`; decimal conversion two
//! squares at the number's size. Bytes created by bulk work also count against
//! the transaction's memory limit, which the runtime enforces separately;
//! zero-filled memory (`bytes(n)`) is charged a quarter of [`PER_KIB`], since
//! the system supplies it lazily and whatever touches it later pays.
//!
//! A chain fixes its schedule at genesis; `config/gas.toml` holds the same
//! numbers, and [`GasSchedule::from_toml`] loads such a file, refusing unknown
//! or missing keys.
//!
//! ```
//! use pvm_gas::{GasSchedule, HostCall};
//!
//! let s = GasSchedule::CURRENT;
//! assert_eq!(s.host_call(HostCall::SetState, 10), 5_000 + 10 * 10);
//! let same = GasSchedule::from_toml(&s.to_toml()).unwrap();
//! assert_eq!(same, s);
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Charged once per transaction, before anything runs.
pub const TX_BASE: u64 = 1_000;
/// Per byte of contract code handed to the VM (hashing it and finding it in the code cache).
pub const CODE_PER_BYTE: u64 = 1;
/// Per byte of contract code compiled: charged on a code's first call in a
/// block (and on every call outside a block), on top of [`CODE_PER_BYTE`].
/// Measured at 0.4-1.5 us per byte of source (the calibration bench's compile rows).
pub const COMPILE_PER_BYTE: u64 = 600;
/// Per byte of transaction input.
pub const INPUT_PER_BYTE: u64 = 1;
/// Base cost of `get_state`.
pub const GET_STATE_BASE: u64 = 500;
/// Base cost of `set_state`.
pub const SET_STATE_BASE: u64 = 5_000;
/// Base cost of `delete_state`.
pub const DELETE_STATE_BASE: u64 = 2_500;
/// Base cost of `emit_event`.
pub const EMIT_EVENT_BASE: u64 = 1_000;
/// Base cost of `randomness`.
pub const RANDOMNESS_BASE: u64 = 500;
/// Cost of calls that do constant, trivial work (`context`, `gas_left`, `charge_gas`).
pub const CHEAP_CALL: u64 = 10;
/// Per byte of key or value read from state.
pub const STATE_READ_PER_BYTE: u64 = 2;
/// Per byte of key or value written to state.
pub const STATE_WRITE_PER_BYTE: u64 = 10;
/// Per byte of event topic and data.
pub const EVENT_PER_BYTE: u64 = 8;
/// Per byte written to the debug log by `print`.
pub const LOG_PER_BYTE: u64 = 1;

/// Per KiB of memory a bulk operation writes, copies, compares or scans.
pub const PER_KIB: u64 = 30;
/// Per KiB a bulk operation transforms character by character (hashing, case
/// mapping, classification, codecs, text reprs).
pub const PER_KIB_TRANSFORM: u64 = 250;
/// Per element a native loop visits (comparison, hash probe, sort step, join
/// item, replacement).
pub const PER_ELEMENT: u64 = 12;
/// Per element native code pulls from an iterator, or a container repr writes.
pub const PER_ITER: u64 = 40;
/// Per object reference copied into a new container, per repetition of a
/// sequence, per padding character.
pub const PER_REF: u64 = 4;
/// Per 64 word steps of big-integer multiplication or division.
pub const PER_64_WORD_OPS: u64 = 16;

/// Coarse metering: per function entry or generator resume.
pub const COARSE_CALL: u64 = 400;
/// Coarse metering: per loop back-edge.
pub const COARSE_LOOP: u64 = 120;

/// Price per instruction of each opcode class (per-opcode metering).
pub const OPCODES: OpcodeCosts = OpcodeCosts {
    stack: 6,
    name: 12,
    attribute: 60,
    operator: 16,
    build: 75,
    call: 100,
    flow: 12,
    exception: 50,
    generator: 12,
    import: 300,
    matching: 40,
    format: 75,
    iterate: 60,
};

/// Price per instruction of each class of opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpcodeCosts {
    /// Stack shuffles, constants, fast locals.
    pub stack: u32,
    /// Global, name and closure-cell lookups and stores.
    pub name: u32,
    /// Attribute lookups, stores and deletes.
    pub attribute: u32,
    /// Unary, binary, comparison, containment and subscript operators.
    pub operator: u32,
    /// Building, extending and unpacking containers.
    pub build: u32,
    /// Calls, returns, function and class creation.
    pub call: u32,
    /// Jumps and function entry (`RESUME`).
    pub flow: u32,
    /// Raising, catching and `with` handling.
    pub exception: u32,
    /// Generators, coroutines and `yield`.
    pub generator: u32,
    /// `import` statements.
    pub import: u32,
    /// `match` statement checks.
    pub matching: u32,
    /// String formatting and f-string assembly.
    pub format: u32,
    /// Getting an iterator and each step of a `for` loop.
    pub iterate: u32,
}

impl OpcodeCosts {
    /// The prices in the interpreter's class order (stack, name, attribute,
    /// operator, build, call, flow, exception, generator, import, match, format,
    /// iterate).
    pub fn as_array(&self) -> [u32; 13] {
        [
            self.stack,
            self.name,
            self.attribute,
            self.operator,
            self.build,
            self.call,
            self.flow,
            self.exception,
            self.generator,
            self.import,
            self.matching,
            self.format,
            self.iterate,
        ]
    }
}

/// A host call, for pricing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCall {
    /// `get_state(key)`; bytes = key + value read.
    GetState,
    /// `set_state(key, value)`; bytes = key + value.
    SetState,
    /// `delete_state(key)`; bytes = key.
    DeleteState,
    /// `emit_event(topic, data)`; bytes = topic + data.
    EmitEvent,
    /// `randomness(domain)`; bytes = domain.
    Randomness,
    /// `context()`, `gas_left()`, `charge_gas(n)`.
    Cheap,
    /// `print(...)`; bytes = text logged.
    Log,
}

/// A versioned table of costs. A chain fixes its version at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasSchedule {
    /// Version of the schedule; changes whenever any price changes.
    pub version: u32,
    /// See [`TX_BASE`].
    pub tx_base: u64,
    /// See [`CODE_PER_BYTE`].
    pub code_per_byte: u64,
    /// See [`COMPILE_PER_BYTE`].
    pub compile_per_byte: u64,
    /// See [`INPUT_PER_BYTE`].
    pub input_per_byte: u64,
    /// See [`GET_STATE_BASE`].
    pub get_state_base: u64,
    /// See [`SET_STATE_BASE`].
    pub set_state_base: u64,
    /// See [`DELETE_STATE_BASE`].
    pub delete_state_base: u64,
    /// See [`EMIT_EVENT_BASE`].
    pub emit_event_base: u64,
    /// See [`RANDOMNESS_BASE`].
    pub randomness_base: u64,
    /// See [`CHEAP_CALL`].
    pub cheap_call: u64,
    /// See [`STATE_READ_PER_BYTE`].
    pub state_read_per_byte: u64,
    /// See [`STATE_WRITE_PER_BYTE`].
    pub state_write_per_byte: u64,
    /// See [`EVENT_PER_BYTE`].
    pub event_per_byte: u64,
    /// See [`LOG_PER_BYTE`].
    pub log_per_byte: u64,
    /// See [`PER_KIB`].
    pub per_kib: u64,
    /// See [`PER_KIB_TRANSFORM`].
    pub per_kib_transform: u64,
    /// See [`PER_ELEMENT`].
    pub per_element: u64,
    /// See [`PER_ITER`].
    pub per_iter: u64,
    /// See [`PER_REF`].
    pub per_ref: u64,
    /// See [`PER_64_WORD_OPS`].
    pub per_64_word_ops: u64,
    /// See [`COARSE_CALL`].
    pub coarse_call: u64,
    /// See [`COARSE_LOOP`].
    pub coarse_loop: u64,
    /// See [`OPCODES`].
    pub opcodes: OpcodeCosts,
}

/// Why a gas schedule file was refused.
#[derive(Debug, Error)]
pub enum ScheduleError {
    /// The file is not valid TOML for a schedule (unknown or missing key, bad value).
    #[error("invalid gas schedule: {0}")]
    Parse(#[from] toml::de::Error),
    /// The version is not one this build knows.
    #[error("gas schedule version {found} is not supported (this build knows version {known})")]
    Version {
        /// Version in the file.
        found: u32,
        /// The version this build implements.
        known: u32,
    },
}

impl GasSchedule {
    /// Version 6: per-opcode prices, priced bulk work, host calls per call and
    /// per byte, integer comparisons and attribute-error names priced on every
    /// path; compiling priced per byte of source at its measured cost, once per
    /// code per block ([`COMPILE_PER_BYTE`]). Version 5 added class namespaces,
    /// MRO walks of `dir()`, `set.clear()`, every `frozenset` hash, set
    /// iterator pickling, zero-filled buffers at half the copy rate and the
    /// 64-class bound on hierarchies; version 6 charged `%` formatting of `str`
    /// and `bytes` per byte of the format and per spec. Version 7 charges, as
    /// the pricing sweep measured them: `repr`/`ascii` escaping, search needles,
    /// matches counted, codec error handlers, `strip` character tables, padding,
    /// case mapping and positional indexing of non-ASCII text, `splitlines`
    /// pieces, strided buffer copies, extended-slice deletes, and the reference
    /// counts of list and tuple slices; dicts compact on their entry count.
    /// Version 8 charges integer formatting by its radix (binary text is
    /// three times octal's, decimal through `format` is quadratic like
    /// `str`) and per character written (per word converted for the float
    /// types), generic aliases and unions per argument, `float()` parsing
    /// per character, extended-slice assignments per reference, each copy
    /// `itertools.tee` makes, the factory call of a `defaultdict` miss, each
    /// keyword of a `**mapping` call, dict merges at four element steps an
    /// entry, and strided byte-buffer slices per byte.
    /// Version 9 prices a `str`/`bytes` method's receiver by what the
    /// method does with it: code point loops on text (classification,
    /// stripping, whitespace splits, single-byte codecs) at four times the
    /// transform rate, searches and `is...` tests by the bytes they went
    /// through, `startswith`/`endswith` by the bytes compared, codecs by
    /// codec, split pieces at four element steps each, byte-string case
    /// mapping and padding at memory speed, and non-ASCII slices' character
    /// index per byte.
    /// Version 10 charges a sort for the comparisons it makes (a sorted run
    /// its length, a shuffled list about `n log n`) instead of a fixed
    /// `n log n` bound, each key a sort or `min`/`max` computes as a call,
    /// `list.reverse`, `deque.reverse` and `deque.rotate` at memory speed
    /// (references move, none is copied), and codecs by the codec registry's
    /// own alias table.
    /// Version 11 charges big-integer `+`, `-`, `&`, `|`, `^` per word of
    /// both operands, division a fixed cost per quotient word and a pass
    /// over the dividend (small divisors were under-priced), `bit_count` per
    /// word, a modular inverse per bit of the modulus, float formatting
    /// through a spec (of floats, complex numbers and integers as floats) per
    /// value, number parsing (`complex(s)`, `float(b)`) per pass it makes,
    /// `hex(sep)` per separator pass, memoryview comparisons and `index` per
    /// unpacked item, and `%` padding per character pushed.
    /// Version 12 charges a resizable buffer (bytearray, list) that outgrows
    /// the power of two at or above its length for moving its contents,
    /// copying a builtin class's namespace (`int.__dict__.copy()`) per entry,
    /// a class's namespace at four iterator steps an entry, `dir()` four
    /// element steps per namespace entry it walks, an AttributeError built
    /// and dropped by a lookup with a default (`getattr(o, n, d)`,
    /// `hasattr`) as a raise, a missing attribute's name at the transform
    /// rate, a string looked up in the interned-name pool that is not the
    /// interned object a scan, a string key of a class namespace's `get` its
    /// hash, a missing module attribute one more raise, and
    /// `ExceptionGroup.split` a call per group it derives.
    /// Version 13 charges `round(x, -k)` of an integer four products of the
    /// value by the power of ten and forty word steps per word of the value,
    /// instead of four squares of the value (a one-word power of ten divides
    /// in one pass).
    /// Version 14 charges the steps of one native loop over separate objects
    /// past 16,384 (a sequence comparison, a set intersection, difference or
    /// symmetric difference, a dict or dict-view comparison) two element steps
    /// each, a dict comparison of items a step more per entry for the value,
    /// an items view's pairs in a set operation two steps each, and a shift
    /// left by one to three whole words of a value below 512 KiB seven more
    /// passes over it (an overlapping in-place move).
    /// Version 15 charges big-integer products for Toom-Cook multiplication
    /// (malachite's FFT is off): the schoolbook count up to 128 words, then
    /// three times the half-size product per doubling up to 2,048 words and
    /// 2.4 times past it; large divisions twice the product of quotient and
    /// divisor where that is below the schoolbook count; repeated squaring
    /// the squares it makes; `pow(b, e, m)` a modular product per squaring
    /// and per set bit after the first, two more for Montgomery form and a
    /// reduction of the base, and a modular inverse by the reduced base's
    /// size (a half-gcd); int true division linear in both operands, and
    /// nothing past the sizes where the quotient overflows or rounds to zero.
    /// Version 16 charges big-integer `+` and `-` a copy of the result and
    /// three word steps per word of the shorter operand, `&`, `|` and `^` a
    /// copy and one and a half steps (a small operand added to a big one
    /// had paid per word of both), `a >> b` by the size of its result (a
    /// shift past the operand's length paid for the whole operand), a
    /// division of two integers of the same magnitude as the comparison that
    /// answers it, and a `range`'s length, element, iteration, comparison or
    /// slice with a step of 1 or -1 as the copies it makes instead of a
    /// division by the step.
    pub const V16: GasSchedule = GasSchedule {
        version: 16,
        tx_base: TX_BASE,
        code_per_byte: CODE_PER_BYTE,
        compile_per_byte: COMPILE_PER_BYTE,
        input_per_byte: INPUT_PER_BYTE,
        get_state_base: GET_STATE_BASE,
        set_state_base: SET_STATE_BASE,
        delete_state_base: DELETE_STATE_BASE,
        emit_event_base: EMIT_EVENT_BASE,
        randomness_base: RANDOMNESS_BASE,
        cheap_call: CHEAP_CALL,
        state_read_per_byte: STATE_READ_PER_BYTE,
        state_write_per_byte: STATE_WRITE_PER_BYTE,
        event_per_byte: EVENT_PER_BYTE,
        log_per_byte: LOG_PER_BYTE,
        per_kib: PER_KIB,
        per_kib_transform: PER_KIB_TRANSFORM,
        per_element: PER_ELEMENT,
        per_iter: PER_ITER,
        per_ref: PER_REF,
        per_64_word_ops: PER_64_WORD_OPS,
        coarse_call: COARSE_CALL,
        coarse_loop: COARSE_LOOP,
        opcodes: OPCODES,
    };

    /// The schedule this build runs and the only version it loads: what
    /// code outside this file names, so a new version is one line here.
    pub const CURRENT: GasSchedule = Self::V16;

    /// Loads a schedule from TOML text; every key must be present, none unknown.
    pub fn from_toml(text: &str) -> Result<Self, ScheduleError> {
        let schedule: GasSchedule = toml::from_str(text)?;
        if schedule.version != Self::CURRENT.version {
            return Err(ScheduleError::Version {
                found: schedule.version,
                known: Self::CURRENT.version,
            });
        }
        Ok(schedule)
    }

    /// The schedule as TOML text that [`GasSchedule::from_toml`] reads back.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a schedule always serializes")
    }

    /// Gas for starting a transaction with this much code and input (the
    /// code found compiled; see [`GasSchedule::compile`]).
    pub fn intrinsic(&self, code_len: usize, input_len: usize) -> u64 {
        self.tx_base
            .saturating_add(per_byte(self.code_per_byte, code_len))
            .saturating_add(per_byte(self.input_per_byte, input_len))
    }

    /// Gas for compiling `code_len` bytes of source, charged after
    /// [`GasSchedule::intrinsic`] when the code is not known compiled in the
    /// current block.
    pub fn compile(&self, code_len: usize) -> u64 {
        per_byte(self.compile_per_byte, code_len)
    }

    /// Gas for one host call moving `bytes` bytes.
    pub fn host_call(&self, call: HostCall, bytes: usize) -> u64 {
        let (base, rate) = match call {
            HostCall::GetState => (self.get_state_base, self.state_read_per_byte),
            HostCall::SetState => (self.set_state_base, self.state_write_per_byte),
            HostCall::DeleteState => (self.delete_state_base, self.state_write_per_byte),
            HostCall::EmitEvent => (self.emit_event_base, self.event_per_byte),
            HostCall::Randomness => (self.randomness_base, self.state_read_per_byte),
            HostCall::Cheap => (self.cheap_call, 0),
            HostCall::Log => (0, self.log_per_byte),
        };
        base.saturating_add(per_byte(rate, bytes))
    }
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self::CURRENT
    }
}

fn per_byte(rate: u64, bytes: usize) -> u64 {
    rate.saturating_mul(u64::try_from(bytes).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_grow_with_bytes_and_saturate() {
        let s = GasSchedule::CURRENT;
        assert!(s.host_call(HostCall::SetState, 100) > s.host_call(HostCall::SetState, 1));
        assert_eq!(s.host_call(HostCall::Cheap, 1_000), CHEAP_CALL);
        assert_eq!(s.host_call(HostCall::EmitEvent, usize::MAX), u64::MAX);
        assert_eq!(s.intrinsic(10, 5), TX_BASE + 10 + 5);
        assert_eq!(s.compile(10), 10 * COMPILE_PER_BYTE);
        assert_eq!(s.compile(usize::MAX), u64::MAX);
    }

    #[test]
    fn toml_round_trips_and_refuses_bad_files() {
        let text = GasSchedule::CURRENT.to_toml();
        assert_eq!(GasSchedule::from_toml(&text).unwrap(), GasSchedule::CURRENT);

        let unknown = format!("{text}\nsurprise = 1\n");
        let err = GasSchedule::from_toml(&unknown).unwrap_err().to_string();
        assert!(err.contains("surprise"), "{err}");

        let missing = text.replace("per_kib = 30\n", "");
        let err = GasSchedule::from_toml(&missing).unwrap_err().to_string();
        assert!(err.contains("per_kib"), "{err}");

        let v = GasSchedule::CURRENT.version;
        let old = text.replace(
            &format!("version = {v}\n"),
            &format!("version = {}\n", v - 1),
        );
        assert_ne!(old, text);
        assert!(matches!(
            GasSchedule::from_toml(&old),
            Err(ScheduleError::Version { found, known }) if found == v - 1 && known == v
        ));
    }

    #[test]
    fn shipped_config_matches_the_constants() {
        let text = include_str!("../../config/gas.toml");
        assert_eq!(GasSchedule::from_toml(text).unwrap(), GasSchedule::CURRENT);
    }
}
