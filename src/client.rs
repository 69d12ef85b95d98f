//! The client commands, `agentport export` and `agentport import`: they talk to a running
//! service over gRPC and never read the server's settings.
//!
//! Exit codes: 0 done; 1 the service refused or could not be reached; 2 bad usage or an
//! unreadable or invalid file.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic_types::StatusExt;

use crate::cli::{ConflictPolicyArg, ConnectionArgs, Credential, ExportArgs, ImportArgs};
use crate::proto::agent_service_client::AgentServiceClient;
use crate::proto::{
    ConflictPolicy, ExportAgentsRequest, ExportAgentsResponse, ImportAgentsRequest, ImportAgentsResponse, ImportDetail,
    ImportDetailCode, ImportState, ImportedEntity, Job, JobStatus,
};

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
    let message = ExportAgentsRequest { parent: parent(&args.connection.tenant), agent_ids: args.agents.clone() };
    let request = authorized(message, &args.connection)?;
    let response = client.export_agents(request).await.map_err(Failure::Refused)?.into_inner();
    let out = args.out.as_deref().filter(|p| *p != Path::new("-"));
    emit(out, &pretty(&bundle_file(&response)))?;
    eprintln!(
        "agentport: exported {} ({}) to {}, job {}",
        plural(args.agents.len(), "agent"),
        args.agents.join(", "),
        out.map_or("standard output".into(), |p| p.display().to_string()),
        response.job_id
    );
    Ok(())
}

async fn import_bundle(args: ImportArgs) -> Result<(), Failure> {
    let (data, checksum) = bundle_fields(&read_input(&args.file)?, &args.file)?;
    let mut client = connect(&args.connection).await?;
    let message = ImportAgentsRequest {
        parent: parent(&args.connection.tenant),
        data,
        checksum,
        dry_run: args.dry_run,
        conflict_policy: args.conflict_policy.map_or(0, |p| conflict_policy(p) as i32),
        request_id: args.request_id.clone().unwrap_or_default(),
        background: args.background,
    };
    let request = authorized(message, &args.connection)?;
    let response = client.import_agents(request).await.map_err(Failure::Refused)?.into_inner();
    emit(None, &pretty(&import_report(&response)))
}

/// A channel to `--server`; answers of any size are accepted.
async fn connect(connection: &ConnectionArgs) -> Result<AgentServiceClient<Channel>, Failure> {
    let server = &connection.server;
    let endpoint = Endpoint::from_shared(server.clone())
        .map_err(|e| Failure::Invalid(format!("--server {server}: {e}")))?
        .connect_timeout(Duration::from_secs(10));
    let channel =
        endpoint.connect().await.map_err(|e| Failure::Unreachable(format!("cannot reach {server}: {}", causes(&e))))?;
    Ok(AgentServiceClient::new(channel).max_decoding_message_size(usize::MAX))
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

/// The bundle file as the Emporix UI downloads it, plus the export job's id.
fn bundle_file(response: &ExportAgentsResponse) -> Value {
    json!({
        "exportedAt": response.exported_at.as_ref().map(iso8601),
        "data": response.data,
        "checksum": response.checksum,
        "jobId": response.job_id,
    })
}

/// The text of `path`, or of standard input for `-`.
fn read_input(path: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
    Ok(text)
}

/// `data` and `checksum` of a bundle file; every other key is ignored.
fn bundle_fields(text: &str, path: &Path) -> Result<(String, String), Failure> {
    let invalid = |why: String| Failure::Invalid(format!("{}: {why}", path.display()));
    let file: Value = serde_json::from_str(text).map_err(|e| invalid(format!("not a JSON bundle: {e}")))?;
    if !file.is_object() {
        return Err(invalid("not a JSON bundle: expected an object".into()));
    }
    let field = |key: &str| match &file[key] {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Err(invalid(format!("missing key \"{key}\""))),
        _ => Err(invalid(format!("key \"{key}\" must be a string"))),
    };
    Ok((field("data")?, field("checksum")?))
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
fn iso8601(at: &prost_types::Timestamp) -> String {
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
