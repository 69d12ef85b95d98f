//! The baseline server's contract: agentport's own `agent.proto` (the same `Agent` bytes) and a
//! service of one method at agentport's path `/agentport.v1.AgentService/GetAgent`, compiled
//! with protox and tonic-prost-build as agentport's build.rs does.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=../proto");
    let mut compiler = protox::Compiler::new(["proto", "../proto"])?;
    compiler.include_imports(true);
    compiler.open_files(["baseline.proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        .compile_fds_with_config(compiler.file_descriptor_set(), prost_build::Config::new())?;
    Ok(())
}
