//! The client commands, `agentport export` and `agentport import`: they talk to a running
//! service over gRPC (the streaming calls, so bundles of any size go through in constant
//! memory) and never read the server's settings. `https://` servers are reached over TLS,
//! trusting `--ca-file` when given, with an optional client certificate. A progress bar shows on stderr when it is a
//! terminal.
//!
//! Exit codes: 0 done; 1 the service refused or could not be reached; 2 bad usage or an
//! unreadable or invalid file.

use std::io::{IsTerminal, Read, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_types::StatusExt;

use crate::cli::{ConflictPolicyArg, ConnectionArgs, Credential, ExportArgs, ImportArgs, PlanOutput};
use crate::domain::encode::{Encoder, Encoding};
use crate::proto::agent_service_client::AgentServiceClient;
use crate::proto::{
    ConflictPolicy, ImportAgentsResponse, ImportDetail, ImportDetailCode, ImportState, ImportedEntity, Job, JobStatus,
    StreamExportAgentsRequest, StreamImportAgentsHeader, StreamImportAgentsRequest, stream_export_agents_response,
    stream_import_agents_request,
};
use crate::rest::emporix::plan::ImportPlan;
use crate::service::transfer::{ImportPart, read_bundle_json};

mod plan_table;
mod signing;
pub use signing::signing_key;

/// Why a client command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad flags or an unreadable, unwritable or invalid file (exit 2).
    Invalid(String),
    /// The service could not be reached (exit 1).
    Unreachable(String),
    /// The service answered with an error (exit 1).
    Refused(tonic::Status),
}

/// `agentport export`: writes the bundle file and reports the job.
pub async fn export(args: ExportArgs) -> ExitCode {
    init_logging();
    conclude(export_bundle(args).await)
}

/// `agentport import`: uploads a bundle file and prints the service's report.
pub async fn import(args: ImportArgs) -> ExitCode {
    init_logging();
    conclude(import_bundle(args).await)
}

async fn export_bundle(args: ExportArgs) -> Result<(), Failure> {
    let mut client = connect(&args.connection).await?;
    let message = StreamExportAgentsRequest {
        parent: parent(&args.connection.tenant),
        agent_ids: args.agents.clone(),
        signing_key_id: args.sign.clone().unwrap_or_default(),
    };
    let request = authorized(message, &args.connection)?;
    let mut stream = client.stream_export_agents(request).await.map_err(Failure::Refused)?.into_inner();
    let out = args.out.as_deref().filter(|p| *p != Path::new("-"));
    let mut file = BundleWriter::create(out)?;
    let progress = progress(None, "exported");
    let mut encoder = Encoder::new(Encoding::Base64);
    let mut done = None;
    let mut text = Vec::new();
    file.write(b"{\n  \"data\": \"")?;
    while let Some(message) = stream.message().await.map_err(Failure::Refused)? {
        match message.part {
            Some(stream_export_agents_response::Part::Chunk(chunk)) => {
                text.clear();
                encoder.push(&chunk, &mut text).expect("base64 takes any bytes");
                file.write(&text)?;
                progress.inc(chunk.len() as u64);
            }
            Some(stream_export_agents_response::Part::Done(last)) => done = Some(last),
            None => {}
        }
    }
    progress.finish_and_clear();
    let done = done.ok_or_else(|| Failure::Unreachable("the export ended without its last message".into()))?;
    text.clear();
    encoder.finish(&mut text).expect("base64 takes any bytes");
    let quoted = |v: &str| serde_json::to_string(v).expect("a string serializes");
    let exported_at = done.exported_at.as_ref().map(iso8601).unwrap_or_default();
    text.extend_from_slice(
        format!(
            "\",\n  \"checksum\": {},\n  \"exportedAt\": {},\n  \"jobId\": {}",
            quoted(&done.checksum),
            quoted(&exported_at),
            quoted(&done.job_id)
        )
        .as_bytes(),
    );
    // Beside `data`, which it signs; Emporix and agentport releases without signing ignore it.
    if let Some(signature) = &done.signature {
        text.extend_from_slice(b",\n  \"signature\": ");
        text.extend_from_slice(&serde_json::to_vec(signature).expect("a signature serializes"));
    }
    text.extend_from_slice(b"\n}\n");
    file.write(&text)?;
    file.commit()?;
    if let Some(key) = &args.sign {
        eprintln!("agentport: signed with key {key}");
    }
    eprintln!(
        "agentport: exported {} ({}, {} bytes) to {}, job {}",
        plural(args.agents.len(), "agent"),
        args.agents.join(", "),
        done.size_bytes,
        out.map_or("standard output".into(), |p| p.display().to_string()),
        done.job_id
    );
    Ok(())
}

async fn import_bundle(args: ImportArgs) -> Result<(), Failure> {
    let (reader, size) = open_input(&args.file)?;
    let mut client = connect(&args.connection).await?;
    let header = StreamImportAgentsHeader {
        parent: parent(&args.connection.tenant),
        checksum: String::new(),
        dry_run: args.dry_run || args.plan,
        conflict_policy: args.conflict_policy.map_or(0, |p| conflict_policy(p) as i32),
        request_id: args.request_id.clone().unwrap_or_default(),
        background: args.background,
        signature: None,
        require_signature: args.require_signature,
        secret_mappings: args.map_secret.iter().cloned().collect(),
        plan_id: args.plan_id.clone().unwrap_or_default(),
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let first = StreamImportAgentsRequest { part: Some(stream_import_agents_request::Part::Header(header)) };
    tx.send(first).await.expect("the channel is open");
    let progress = progress(size, "read");
    let counted = progress.wrap_read(reader);
    let path = args.file.display().to_string();
    // The file is read, and its `data` decoded, as the upload goes.
    let reading = tokio::task::spawn_blocking(move || {
        let mut checksum = None;
        read_bundle_json(std::io::BufReader::new(counted), |part| {
            let part = match part {
                ImportPart::Bytes(bytes) => stream_import_agents_request::Part::Chunk(bytes),
                ImportPart::Signature(envelope) => stream_import_agents_request::Part::Signature(envelope),
                // Sent last, once the whole file was read: a file without one is refused here.
                ImportPart::Checksum(text) => {
                    checksum = Some(text);
                    return true;
                }
                // A file's own mappings are not the caller's: `--map-secret` says them.
                ImportPart::Mappings(_) => return true,
            };
            tx.blocking_send(StreamImportAgentsRequest { part: Some(part) }).is_ok()
        })
        .map_err(|e| e.message)?;
        let checksum = checksum.ok_or_else(|| "missing key \"checksum\"".to_owned())?;
        let last = StreamImportAgentsRequest { part: Some(stream_import_agents_request::Part::Checksum(checksum)) };
        let _ = tx.blocking_send(last);
        Ok::<(), String>(())
    });
    let request = authorized(tokio_stream::wrappers::ReceiverStream::new(rx), &args.connection)?;
    let response = client.stream_import_agents(request).await;
    progress.finish_and_clear();
    if let Ok(Err(why)) = reading.await {
        return Err(Failure::Invalid(format!("{path}: not a bundle file: {why}")));
    }
    let response = response.map_err(Failure::Refused)?.into_inner();
    match (args.plan, &response.plan) {
        (true, Some(plan)) if args.output == PlanOutput::Json => {
            emit(None, &pretty(&serde_json::to_value(ImportPlan::from(plan.clone())).expect("a plan serializes")))
        }
        (true, Some(plan)) => emit(None, &plan_table::render(plan)),
        _ => emit(None, &pretty(&import_report(&response))),
    }
}

/// A bundle file written under a temporary name and renamed once complete, or standard output.
struct BundleWriter {
    out: Box<dyn Write>,
    paths: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl BundleWriter {
    fn create(path: Option<&Path>) -> Result<Self, Failure> {
        let Some(path) = path else {
            return Ok(Self { out: Box::new(std::io::BufWriter::new(std::io::stdout())), paths: None });
        };
        let partial = path.with_extension("partial");
        let file =
            std::fs::File::create(&partial).map_err(|e| Failure::Invalid(format!("{}: {e}", partial.display())))?;
        Ok(Self { out: Box::new(std::io::BufWriter::new(file)), paths: Some((partial, path.to_owned())) })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.out.write_all(bytes).map_err(|e| Failure::Invalid(format!("writing the bundle: {e}")))
    }

    fn commit(mut self) -> Result<(), Failure> {
        self.out.flush().map_err(|e| Failure::Invalid(format!("writing the bundle: {e}")))?;
        if let Some((partial, path)) = self.paths.take() {
            std::fs::rename(&partial, &path).map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
        }
        Ok(())
    }
}

/// A byte counter on stderr when it is a terminal, hidden otherwise.
fn progress(total: Option<u64>, verb: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(&format!(
                "{{bar:40}} {{bytes}}/{{total_bytes}} {verb} ({{bytes_per_sec}}, {{eta}})"
            ))
            .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template(&format!("{{spinner}} {{bytes}} {verb} ({{bytes_per_sec}})"))
                .expect("a valid template"),
        ),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}

/// The bundle file (or standard input for `-`) and its size when known.
fn open_input(path: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>), Failure> {
    if path == Path::new("-") {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let file = std::fs::File::open(path).map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), size))
}

/// An AgentService client on `--server`; answers of any size are accepted.
async fn connect(connection: &ConnectionArgs) -> Result<AgentServiceClient<Channel>, Failure> {
    Ok(AgentServiceClient::new(channel(connection).await?).max_decoding_message_size(usize::MAX))
}

/// A channel to `--server`.
async fn channel(connection: &ConnectionArgs) -> Result<Channel, Failure> {
    let server = &connection.server;
    let mut endpoint = Endpoint::from_shared(server.clone())
        .map_err(|e| Failure::Invalid(format!("--server {server}: {e}")))?
        .connect_timeout(Duration::from_secs(10));
    if let Some(tls) = tls_config(connection)? {
        endpoint = endpoint.tls_config(tls).map_err(|e| Failure::Invalid(format!("--server {server}: {e}")))?;
    }
    endpoint.connect().await.map_err(|e| Failure::Unreachable(format!("cannot reach {server}: {}", causes(&e))))
}

/// TLS for an `https://` server: the service's certificate is checked against `--ca-file`
/// when given (only that CA is trusted then), else against the public web CAs.
fn tls_config(connection: &ConnectionArgs) -> Result<Option<ClientTlsConfig>, Failure> {
    let https = connection.server.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if !https {
        if connection.ca_file.is_some() || connection.client_cert.is_some() {
            return Err(Failure::Invalid("--ca-file, --client-cert and --client-key need an https:// --server".into()));
        }
        return Ok(None);
    }
    let read = |path: &Path, what: &str| {
        std::fs::read(path).map_err(|e| Failure::Invalid(format!("{what} {}: {e}", path.display())))
    };
    let mut tls = ClientTlsConfig::new();
    tls = match &connection.ca_file {
        Some(path) => tls.ca_certificate(Certificate::from_pem(read(path, "--ca-file")?)),
        None => tls.with_webpki_roots(),
    };
    if let (Some(cert), Some(key)) = (&connection.client_cert, &connection.client_key) {
        tls = tls.identity(Identity::from_pem(read(cert, "--client-cert")?, read(key, "--client-key")?));
    }
    Ok(Some(tls))
}

/// Wraps a message with the credentials as metadata, marked sensitive so nothing logs them.
fn authorized<T>(message: T, connection: &ConnectionArgs) -> Result<tonic::Request<T>, Failure> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = present(&connection.token) {
        let value = sensitive(format!("Bearer {token}"), "--token")?;
        request.metadata_mut().insert("authorization", value);
    }
    if let Some(key) = present(&connection.api_key) {
        let value = sensitive(key.to_owned(), "--api-key")?;
        request.metadata_mut().insert("x-api-key", value);
    }
    Ok(request)
}

/// A credential's value unless it is absent or empty.
fn present(credential: &Option<Credential>) -> Option<&str> {
    credential.as_ref().map(|c| c.0.as_str()).filter(|v| !v.is_empty())
}

/// A metadata value that is never logged; the error names the flag, not the value.
fn sensitive(value: String, flag: &str) -> Result<AsciiMetadataValue, Failure> {
    let mut value: AsciiMetadataValue =
        MetadataValue::try_from(value).map_err(|_| Failure::Invalid(format!("{flag} must be printable ASCII")))?;
    value.set_sensitive(true);
    Ok(value)
}

fn parent(tenant: &str) -> String {
    format!("tenants/{tenant}")
}

fn conflict_policy(policy: ConflictPolicyArg) -> ConflictPolicy {
    match policy {
        ConflictPolicyArg::Rename => ConflictPolicy::Rename,
        ConflictPolicyArg::Skip => ConflictPolicy::Skip,
        ConflictPolicyArg::Overwrite => ConflictPolicy::Overwrite,
        ConflictPolicyArg::Fail => ConflictPolicy::Fail,
    }
}

/// The import response with Emporix-style keys.
fn import_report(response: &ImportAgentsResponse) -> Value {
    let summary = response.summary.clone().unwrap_or_default();
    let mut report = json!({
        "message": response.message,
        "importedAt": response.imported_at.as_ref().map(iso8601),
        "jobId": response.job_id,
        "dryRun": response.dry_run,
        "summary": {
            "agents": entities(&summary.agents),
            "tools": entities(&summary.tools),
            "mcpServers": entities(&summary.mcp_servers),
            "knowledgeBases": entities(&summary.knowledge_bases),
        },
    });
    if let Some(job) = &response.job {
        report["job"] = job_status(job);
    }
    if let Some(signer) = &response.signer {
        report["signer"] = json!({"keyId": signer.key_id, "verified": signer.verified, "trusted": signer.trusted});
    }
    report
}

fn entities(list: &[ImportedEntity]) -> Value {
    list.iter().map(entity).collect()
}

/// `{id, name, state, details}`, plus `sourceId` when the entity was renamed.
fn entity(entity: &ImportedEntity) -> Value {
    let state = ImportState::try_from(entity.state).ok();
    let mut value = json!({
        "id": entity.id,
        "name": entity.name,
        "state": enum_name(state.map(|s| s.as_str_name()), "IMPORT_STATE_", entity.state),
        "details": entity.details.iter().map(detail).collect::<Value>(),
    });
    if !entity.source_id.is_empty() {
        value["sourceId"] = json!(entity.source_id);
    }
    value
}

fn detail(detail: &ImportDetail) -> Value {
    let code = ImportDetailCode::try_from(detail.code).ok();
    json!({
        "code": enum_name(code.map(|c| c.as_str_name()), "IMPORT_DETAIL_CODE_", detail.code),
        "objectId": detail.object_id,
        "objectName": detail.object_name,
        "message": detail.message,
    })
}

fn job_status(job: &Job) -> Value {
    let status = JobStatus::try_from(job.status).ok();
    json!({
        "name": job.name,
        "status": enum_name(status.map(|s| s.as_str_name()), "JOB_STATUS_", job.status),
    })
}

/// An enum value's name without its prefix (`DISABLED`), or its number when unknown.
fn enum_name(name: Option<&str>, prefix: &str, number: i32) -> String {
    name.map_or(number.to_string(), |n| n.strip_prefix(prefix).unwrap_or(n).to_owned())
}

/// ISO-8601 in UTC with `Z`, e.g. `2025-11-04T11:15:25.903913Z`.
fn iso8601(at: &crate::domain::timestamp::Timestamp) -> String {
    crate::domain::clock::iso8601(at.seconds * 1_000_000 + i64::from(at.nanos) / 1000)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
    text.push('\n');
    text
}

/// Writes `text` to `path`, or to standard output when there is none.
fn emit(path: Option<&Path>, text: &str) -> Result<(), Failure> {
    match path {
        Some(path) => std::fs::write(path, text).map_err(|e| Failure::Invalid(format!("{}: {e}", path.display()))),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| Failure::Invalid(format!("standard output: {e}"))),
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Reports a failure on stderr and picks the exit code.
fn conclude(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(message)) => {
            eprintln!("agentport: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Unreachable(message)) => {
            eprintln!("agentport: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Refused(status)) => {
            eprint!("{}", refusal(&status));
            ExitCode::from(1)
        }
    }
}

/// `agentport: CODE: message`, then the ErrorInfo reason and each BadRequest violation.
fn refusal(status: &tonic::Status) -> String {
    let mut text = format!("agentport: {}: {}\n", code_name(status.code()), status.message());
    if let Some(info) = status.get_details_error_info() {
        text.push_str(&format!("  reason: {}\n", info.reason));
    }
    if let Some(bad_request) = status.get_details_bad_request() {
        for violation in bad_request.field_violations {
            text.push_str(&format!("  {}: {}\n", violation.field, violation.description));
        }
    }
    text
}

/// The canonical gRPC name of a status code, e.g. `NOT_FOUND`.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// An error with its causes, `outer: inner: ...` (tonic's own text is only "transport error").
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(&format!(": {cause_text}"));
        }
        source = cause.source();
    }
    text
}

/// Warnings and errors (or `RUST_LOG`) to stderr; the client needs nothing more.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
