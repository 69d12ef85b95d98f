//! The `agentport export` and `agentport import` commands: the real binary against a running
//! server.

use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::fixtures::{counts, decoded, seed_source};
use crate::helpers::{TestApp, spawn_app};

/// Runs the binary with `args` (and `stdin`), unaffected by the caller's AGENTPORT_* variables.
pub(crate) async fn agentport(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentport"));
    for var in ["SERVER", "TOKEN", "API_KEY", "CONFIG", "CA_FILE", "CLIENT_CERT", "CLIENT_KEY"] {
        command.env_remove(format!("AGENTPORT_{var}"));
    }
    let mut child = command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default().as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

fn server(app: &TestApp) -> String {
    format!("http://{}", app.addr)
}

pub(crate) fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"))
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exports `agents` of `source` into `path` and returns the bundle file.
async fn export_to(app: &TestApp, agents: &[&str], path: &std::path::Path) -> Value {
    let server = server(app);
    let mut args = vec!["export", "--server", &server, "--tenant", "source"];
    for agent in agents {
        args.extend(["--agent", agent]);
    }
    args.extend(["--out", path.to_str().unwrap()]);
    let output = agentport(&args, &[], None).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn import_file(app: &TestApp, path: &std::path::Path, extra: &[&str]) -> Output {
    let server = server(app);
    let mut args = vec!["import", "--server", &server, "--tenant", "target", "--file", path.to_str().unwrap()];
    args.extend(extra);
    agentport(&args, &[], None).await
}

#[tokio::test]
async fn export_writes_the_bundle_file_and_import_dry_runs_then_imports_it() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("support.json");

    let file = export_to(&app, &["support"], &path).await;
    let keys: Vec<&str> = file.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    // `data` first: the file is written as the bundle streams, the checksum is known at the end.
    assert_eq!(keys, ["data", "checksum", "exportedAt", "jobId"]);
    let exported_at = file["exportedAt"].as_str().unwrap();
    assert!(exported_at.ends_with('Z') && exported_at.contains('T'), "{exported_at}");
    assert_eq!(file["checksum"].as_str().unwrap().len(), 64);
    assert!(!file["jobId"].as_str().unwrap().is_empty());
    let bundle: Value = serde_json::from_slice(&decoded(file["data"].as_str().unwrap())).unwrap();
    assert_eq!(bundle["agents"].as_array().unwrap().len(), 4);

    let dry = import_file(&app, &path, &["--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(0), "{dry:?}");
    assert_eq!(stdout_json(&dry)["dryRun"], true);
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0], "a dry run writes nothing");

    let real = import_file(&app, &path, &["--conflict-policy", "fail"]).await;
    assert_eq!(real.status.code(), Some(0), "{real:?}");
    let report = stdout_json(&real);
    assert_eq!(report["message"], "Successfully imported 4 agents, 2 tools, and 2 MCP servers.");
    assert_eq!(report["dryRun"], false);
    assert!(!report["jobId"].as_str().unwrap().is_empty());
    assert!(report["importedAt"].as_str().unwrap().ends_with('Z'));
    let agents = report["summary"]["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 4);
    for agent in agents {
        assert_eq!(agent["state"], "DISABLED", "{agent}");
        assert!(agent["details"].as_array().unwrap().iter().any(|d| d["code"] == "AGENT_IMPORTED_DISABLED"), "{agent}");
    }
    for section in ["tools", "mcpServers", "knowledgeBases"] {
        assert!(report["summary"][section].is_array(), "{section}");
    }
    assert_eq!(counts(&mut app, "target").await[0], 4);
}

#[tokio::test]
async fn stdout_and_stdin_carry_the_bundle_and_credentials_are_never_printed() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let server = server(&app);
    let secrets = [("AGENTPORT_TOKEN", "tok-CLI-SECRET-1"), ("AGENTPORT_API_KEY", "key-CLI-SECRET-2")];
    let export = agentport(&["export", "--server", &server, "--tenant", "source"], &secrets, None).await;
    assert_eq!(export.status.code(), Some(2), "--agent is required");
    let export =
        agentport(&["export", "--server", &server, "--tenant", "source", "--agent", "refunds"], &secrets, None).await;
    assert_eq!(export.status.code(), Some(0), "{export:?}");
    let summary = stderr(&export);
    assert!(summary.contains("refunds") && summary.contains("standard output"));
    let bundle = String::from_utf8(export.stdout.clone()).unwrap();

    let import = agentport(
        &["import", "--server", &server, "--tenant", "target", "--file", "-", "--background", "--request-id", "cli-1"],
        &secrets,
        Some(&bundle),
    )
    .await;
    assert_eq!(import.status.code(), Some(0), "{import:?}");
    let report = stdout_json(&import);
    assert_eq!(report["job"]["status"], "IN_PROGRESS", "{report}");
    assert!(report["job"]["name"].as_str().unwrap().starts_with("tenants/target/jobs/"));
    let help = agentport(&["import", "--help"], &secrets, None).await;
    for output in [&export, &import, &help] {
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(output));
        for (_, secret) in secrets {
            assert!(!text.contains(secret), "{secret} printed");
        }
    }
}

#[tokio::test]
async fn a_tampered_bundle_is_refused_with_its_reason() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    let mut file = export_to(&app, &["support"], &path).await;

    let mut data: Vec<char> = file["data"].as_str().unwrap().chars().collect();
    data[40] = if data[40] == 'A' { 'B' } else { 'A' };
    file["data"] = Value::String(data.into_iter().collect());
    std::fs::write(&path, file.to_string()).unwrap();

    let output = import_file(&app, &path, &[]).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stderr(&output);
    assert!(text.starts_with("agentport: INVALID_ARGUMENT: ") && text.contains("CHECKSUM_MISMATCH"), "{text}");
    assert!(output.stdout.is_empty());
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn a_file_without_checksum_is_a_usage_error_naming_the_key() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    let mut file = export_to(&app, &["support"], &path).await;
    file.as_object_mut().unwrap().remove("checksum");
    std::fs::write(&path, file.to_string()).unwrap();

    let output = import_file(&app, &path, &[]).await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(&output).contains("\"checksum\""), "{output:?}");

    std::fs::write(&path, "not json").unwrap();
    let output = import_file(&app, &path, &[]).await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let missing = import_file(&app, &dir.path().join("absent.json"), &[]).await;
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}

#[tokio::test]
async fn an_unknown_agent_is_refused_with_not_found() {
    let mut app = spawn_app().await;
    seed_source(&mut app, "source").await;
    let server = server(&app);
    let output = agentport(
        &["export", "--server", &server, "--tenant", "source", "--agent", "support", "--agent", "ghost"],
        &[],
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stderr(&output);
    assert!(text.starts_with("agentport: NOT_FOUND: ") && text.contains("ghost"), "{text}");
    assert!(text.contains("reason: RESOURCE_NOT_FOUND"), "{text}");
    assert!(output.stdout.is_empty());
}
