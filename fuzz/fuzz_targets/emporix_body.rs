#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentport::fuzzing::emporix_body(data));
