#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pvm_fuzz::gas_schedule_parser(data));
