//! Compiles `proto/` without a system protoc: protox parses the schema in-process,
//! tonic-prost-build generates the messages and services, and the encoded descriptor set
//! (extension options included) feeds reflection and JSON. From the same descriptors it writes
//! plain Rust for the per-call work that would otherwise walk messages by reflection: clearing
//! the `(agentport.v1.secret)` fields and finding the resource name a request addresses.

#[path = "build_support/generate.rs"]
mod generate;
#[path = "build_support/stored.rs"]
mod stored;

use std::{env, path::PathBuf};

const PROTOS: &[&str] = &[
    "agentport/v1/options.proto",
    "agentport/v1/agent.proto",
    "agentport/v1/components.proto",
    "agentport/v1/agent_service.proto",
    "agentport/v1/job.proto",
    "agentport/v1/plan.proto",
    "agentport/v1/job_service.proto",
    "agentport/v1/template.proto",
    "agentport/v1/template_service.proto",
    "agentport/v1/api_key_service.proto",
    "agentport/v1/signature.proto",
    "agentport/v1/signing_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=build_support");
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTOS)?;

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let encoded = compiler.encode_file_descriptor_set();
    std::fs::write(out_dir.join("agentport_descriptor.bin"), &encoded)?;
    // Served by reflection only, so that clients resolving error details by type (grpcurl)
    // find `google.rpc.ErrorInfo` and `BadRequest` under their canonical file names.
    let mut rpc = protox::Compiler::new(["proto"])?;
    rpc.include_imports(true).include_source_info(true);
    rpc.open_files(["google/rpc/error_details.proto", "google/rpc/status.proto"])?;
    std::fs::write(out_dir.join("google_rpc_descriptor.bin"), rpc.encode_file_descriptor_set())?;
    let pool = prost_reflect::DescriptorPool::decode(encoded.as_slice())?;
    std::fs::write(out_dir.join("agentport_generated.rs"), generate::generated(&pool, "agentport.v1"))?;

    let mut config = prost_build::Config::new();
    config.enable_type_names();
    // Stored documents hold timestamps: a type with proto3-JSON serde stands in for prost's.
    for name in stored::WELL_KNOWN {
        config.extern_path(format!(".{name}"), well_known_rust_path(name));
    }
    // Streamed content moves between the blob store and the wire without copies.
    config.bytes(["."]);
    // Malformed requests are INVALID_ARGUMENT, not INTERNAL (see src/grpc/codec.rs).
    tonic_prost_build::configure()
        .codec_path("crate::grpc::codec::StrictProstCodec")
        .compile_fds_with_config(compiler.file_descriptor_set(), config)?;

    // Proto3 JSON for stored documents: lowerCamel names, enums by name, every field written
    // (defaults included, as SQL filters address any top-level field), unknown fields skipped.
    let mut json = pbjson_build::Builder::new();
    json.register_descriptors(&encoded)?.emit_fields().ignore_unknown_fields();
    for name in stored::WELL_KNOWN {
        json.extern_path(format!(".{name}"), well_known_rust_path(name));
    }
    json.build(&stored::stored_types(&pool, "agentport.v1"))?;
    Ok(())
}

/// Where the generated code finds a well-known type that stored documents hold.
fn well_known_rust_path(name: &str) -> &'static str {
    match name {
        "google.protobuf.Timestamp" => "crate::domain::timestamp::Timestamp",
        other => panic!("no serde-capable type for {other}"),
    }
}
