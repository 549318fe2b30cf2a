//! Fuzz target: the netstat/ss/tasklist/ps dump parser (`sockets::sniff`, `analyze`,
//! rendering). See fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    faultscope::fuzzing::socket_dump(data);
});
