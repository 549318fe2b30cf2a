//! Fuzz target: the record/timestamp parser (`time::detect`, every `parse_with`,
//! `parse_any`, `record::find_head`, zone resolution). See fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    faultscope::fuzzing::record_time(data);
});
