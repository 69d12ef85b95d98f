//! Replays every saved fuzz input through its target (`agentport::fuzzing`): the seed corpora
//! in `fuzz/corpus/<target>/` and the inputs that once made a target panic, kept in
//! `fuzz/regressions/<target>/`. A panic here is a regression of a fixed crash.

use std::path::Path;

#[test]
fn every_saved_fuzz_input_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (target, run) in agentport::fuzzing::TARGETS {
        let mut replayed = 0;
        for dir in [root.join("corpus").join(target), root.join("regressions").join(target)] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no saved inputs for the fuzz target {target}");
    }
}

#[test]
fn every_target_has_a_binary_in_the_fuzz_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for (target, _) in agentport::fuzzing::TARGETS {
        assert!(root.join("fuzz_targets").join(format!("{target}.rs")).exists(), "fuzz/fuzz_targets/{target}.rs");
        assert!(manifest.contains(&format!("name = \"{target}\"")), "fuzz/Cargo.toml lists {target}");
    }
}
