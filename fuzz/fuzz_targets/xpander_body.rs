#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentport::fuzzing::xpander_body(data));
