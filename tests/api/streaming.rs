//! Bundles of any size: streamed export and import over gRPC and REST, byte for byte with their
//! checksum; cut or corrupted streams write nothing; a job keeps its bundle once, by reference.

use std::time::Duration;

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::crud::sample_agent;
use crate::documents::{knowledge_base, text, upload};
use crate::fixtures::{create_agent, full_document};
use crate::helpers::{TestApp, expect_error, spawn_app, spawn_app_with};

const MIB: usize = 1 << 20;

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// An agent whose knowledge base holds `docs` documents of `size` bytes, with JSON-escaped text.
pub async fn seed(app: &mut TestApp, tenant: &str, docs: usize, size: usize) -> Vec<Vec<u8>> {
    let kb = knowledge_base(app, tenant, "manuals").await;
    let mut contents = Vec::new();
    for i in 0..docs {
        let mut bytes = text(size, i as u8);
        // Characters a JSON string must escape, and one split across blob chunks.
        bytes[10..14].copy_from_slice(b"\"\\\n\t");
        bytes[MIB - 1..MIB + 1].copy_from_slice("é".as_bytes());
        upload(app, &kb, &format!("doc-{i}"), &bytes).await.unwrap();
        contents.push(bytes);
    }
    let mut agent = sample_agent();
    agent.knowledge_bases = vec![KnowledgeBaseAttachment { knowledge_base_id: "manuals".into(), ..Default::default() }];
    create_agent(app, tenant, "support", agent).await;
    contents
}

fn export_request(tenant: &str) -> ExportAgentsRequest {
    ExportAgentsRequest { parent: format!("tenants/{tenant}"), agent_ids: vec!["support".into()], ..Default::default() }
}

fn stream_request(tenant: &str) -> StreamExportAgentsRequest {
    StreamExportAgentsRequest {
        parent: format!("tenants/{tenant}"),
        agent_ids: vec!["support".into()],
        ..Default::default()
    }
}

async fn stream_export(app: &mut TestApp, tenant: &str) -> (Vec<u8>, ExportedBundle) {
    let mut stream = app.agents.stream_export_agents(stream_request(tenant)).await.unwrap().into_inner();
    let (mut bytes, mut done) = (Vec::new(), None);
    while let Some(message) = stream.next().await {
        match message.unwrap().part.unwrap() {
            stream_export_agents_response::Part::Chunk(chunk) => {
                assert!(done.is_none() && chunk.len() <= MIB, "pieces of at most 1 MiB, then the last message");
                bytes.extend_from_slice(&chunk);
            }
            stream_export_agents_response::Part::Done(last) => done = Some(last),
        }
    }
    (bytes, done.expect("a last message"))
}

fn import_messages(tenant: &str, bytes: &[u8], checksum: &str, piece: usize) -> Vec<StreamImportAgentsRequest> {
    let header = StreamImportAgentsHeader { parent: format!("tenants/{tenant}"), ..Default::default() };
    let mut messages =
        vec![StreamImportAgentsRequest { part: Some(stream_import_agents_request::Part::Header(header)) }];
    messages.extend(bytes.chunks(piece).map(|c| StreamImportAgentsRequest {
        part: Some(stream_import_agents_request::Part::Chunk(c.to_vec().into())),
    }));
    messages
        .push(StreamImportAgentsRequest { part: Some(stream_import_agents_request::Part::Checksum(checksum.into())) });
    messages
}

async fn job(app: &TestApp, tenant: &str, id: &str) -> Result<Job, tonic::Status> {
    let mut jobs = JobServiceClient::new(app.channel.clone());
    jobs.get_job(GetJobRequest { name: format!("tenants/{tenant}/jobs/{id}"), fields: String::new() })
        .await
        .map(|r| r.into_inner())
}

async fn document_count(app: &mut TestApp, tenant: &str) -> usize {
    let request =
        ListDocumentsRequest { parent: format!("tenants/{tenant}/knowledgeBases/manuals"), ..Default::default() };
    app.agents.list_documents(request).await.map(|r| r.into_inner().documents.len()).unwrap_or(0)
}

#[tokio::test]
async fn a_bundle_larger_than_a_message_round_trips_through_the_streaming_calls() {
    let mut app = spawn_app_with(|s| s.max_request_bytes = 2 * MIB).await;
    let contents = seed(&mut app, "source", 3, 3 * MIB).await;

    let status = expect_error(
        app.agents.export_agents(export_request("source")).await,
        Code::FailedPrecondition,
        "MESSAGE_TOO_LARGE",
    );
    assert!(status.message().contains("StreamExportAgents"), "{}", status.message());
    assert_eq!(app.count_rows("jobs").await, 0, "refused before any work: no job");

    let (bytes, done) = stream_export(&mut app, "source").await;
    assert!(bytes.len() > 9 * MIB);
    assert_eq!((done.checksum.as_str(), done.size_bytes), (hex_sha256(&bytes).as_str(), bytes.len() as i64));
    let bundle: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    for (i, content) in contents.iter().enumerate() {
        let text = bundle["knowledgeBases"][0]["documents"][i]["agentport"]["content"].as_str().unwrap();
        assert_eq!(text.as_bytes(), content, "document {i} travels whole");
    }
    let exported = job(&app, "source", &done.job_id).await;
    let status = expect_error(exported, Code::FailedPrecondition, "MESSAGE_TOO_LARGE");
    assert!(status.message().contains("DownloadJobResult"), "{}", status.message());
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let name = format!("tenants/source/jobs/{}", done.job_id);
    let mut kept =
        jobs.download_job_result(DownloadJobResultRequest { name: name.clone() }).await.unwrap().into_inner();
    let mut stored = Vec::new();
    while let Some(piece) = kept.next().await {
        stored.extend_from_slice(&piece.unwrap().chunk);
    }
    assert_eq!(stored, bytes, "the job keeps the bundle byte for byte");
    let listed = jobs.list_jobs(ListJobsRequest { parent: "tenants/source".into(), ..Default::default() }).await;
    let listed = listed.unwrap().into_inner().jobs;
    assert_eq!(listed[0].status(), JobStatus::Success);
    assert_eq!(listed[0].export_result.as_ref().unwrap().data, "", "lists never load bundles");

    let messages = import_messages("target", &bytes, &done.checksum, MIB / 2);
    let imported = app.agents.stream_import_agents(tokio_stream::iter(messages)).await.unwrap().into_inner();
    assert_eq!(imported.summary.unwrap().knowledge_bases.len(), 1);
    let mut client = app.agents.clone().max_decoding_message_size(8 * MIB);
    for (i, content) in contents.iter().enumerate() {
        let name = format!("tenants/target/knowledgeBases/manuals/documents/doc-{i}");
        let mut download = client.download_document(DownloadDocumentRequest { name }).await.unwrap().into_inner();
        let mut got = Vec::new();
        while let Some(message) = download.next().await {
            if let Some(download_document_response::Part::Chunk(chunk)) = message.unwrap().part {
                got.extend_from_slice(&chunk);
            }
        }
        assert_eq!(&got, content);
    }
    let (again, _) = stream_export(&mut app, "target").await;
    let again: serde_json::Value = serde_json::from_slice(&again).unwrap();
    assert_eq!(again["knowledgeBases"], bundle["knowledgeBases"], "the documents came back byte for byte");
    assert_eq!(app.count_rows("blobs WHERE tenant = 'target'").await, 4, "three documents and the bundle");
}

#[tokio::test]
async fn two_exports_of_the_same_agents_store_the_bundle_once() {
    let mut app = spawn_app().await;
    seed(&mut app, "source", 2, MIB + 100).await;
    let first = app.agents.export_agents(export_request("source")).await.unwrap().into_inner();
    let second = app.agents.export_agents(export_request("source")).await.unwrap().into_inner();
    assert_eq!((first.data.clone(), first.checksum.clone()), (second.data, second.checksum));
    assert_ne!(first.job_id, second.job_id);
    assert_eq!(app.count_rows("blobs").await, 3, "two documents, one bundle");
    assert_eq!(app.count_rows("blob_refs WHERE owner_kind = 'job'").await, 2);
    let kept = job(&app, "source", &first.job_id).await.unwrap().export_result.unwrap();
    assert_eq!((kept.data, kept.checksum), (first.data.clone(), first.checksum.clone()), "GetJob inlines what fits");
    assert_eq!(kept.size_bytes as usize, STANDARD.decode(&first.data).unwrap().len());

    let mut jobs = JobServiceClient::new(app.channel.clone());
    for id in [&first.job_id, &second.job_id] {
        let request = DeleteJobRequest { name: format!("tenants/source/jobs/{id}"), revision: 0 };
        jobs.delete_job(request).await.unwrap();
    }
    assert_eq!(app.count_rows("blobs").await, 2, "the bundle went with its last job");
}

#[tokio::test]
async fn cut_or_corrupted_streams_are_refused_and_write_nothing() {
    let mut app = spawn_app().await;
    seed(&mut app, "source", 2, MIB + 10).await;
    let (bytes, done) = stream_export(&mut app, "source").await;
    let blobs = app.count_rows("blobs").await;

    let mut corrupted = bytes.clone();
    corrupted[100] ^= 1;
    let refused = app
        .agents
        .stream_import_agents(tokio_stream::iter(import_messages("target", &corrupted, &done.checksum, MIB)))
        .await;
    expect_error(refused, Code::InvalidArgument, "CHECKSUM_MISMATCH");
    let truncated = &bytes[..bytes.len() - 1000];
    let refused = app
        .agents
        .stream_import_agents(tokio_stream::iter(import_messages("target", truncated, &done.checksum, MIB)))
        .await;
    expect_error(refused, Code::InvalidArgument, "CHECKSUM_MISMATCH");

    // The client goes away in the middle of the upload.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut client = app.agents.clone();
    let call =
        tokio::spawn(async move { client.stream_import_agents(tokio_stream::wrappers::ReceiverStream::new(rx)).await });
    let mut messages = import_messages("target", &bytes, &done.checksum, MIB / 4).into_iter();
    for message in messages.by_ref().take(3) {
        tx.send(message).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    call.abort();
    drop(tx);
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(document_count(&mut app, "target").await, 0);
    assert_eq!(app.count_rows("resources WHERE tenant = 'target'").await, 0, "nothing was written");
    assert_eq!(app.count_rows("blobs").await, blobs, "no blob was added");
    assert_eq!(app.count_rows("blob_uploads").await, 0, "what arrived was discarded");
    assert_eq!(app.count_rows("jobs WHERE tenant = 'target' AND status = 'success'").await, 0);
}

#[tokio::test]
async fn an_export_whose_caller_went_away_is_not_a_success() {
    let mut app = spawn_app().await;
    seed(&mut app, "source", 3, 2 * MIB).await;
    let mut stream = app.agents.stream_export_agents(stream_request("source")).await.unwrap().into_inner();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    let mut status = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut jobs = JobServiceClient::new(app.channel.clone());
        let listed = jobs.list_jobs(ListJobsRequest { parent: "tenants/source".into(), ..Default::default() });
        let listed = listed.await.unwrap().into_inner().jobs;
        status = listed[0].status().as_str_name().to_owned();
        if status != "JOB_STATUS_IN_PROGRESS" {
            break;
        }
    }
    assert_eq!(status, "JOB_STATUS_FAILURE");
}

#[tokio::test]
async fn emporix_export_and_import_stream_their_json_bodies() {
    let mut app = spawn_app_with(|s| s.max_request_bytes = 2 * MIB).await;
    let contents = seed(&mut app, "source", 2, 2 * MIB).await;
    let (bytes, done) = stream_export(&mut app, "source").await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/ai-service", app.addr);

    let exported: serde_json::Value = http
        .post(format!("{base}/source/agentic/agents/export"))
        .json(&serde_json::json!({ "agentIds": ["support"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = STANDARD.decode(exported["data"].as_str().unwrap()).unwrap();
    assert_eq!(data, bytes, "the same agents give the same bytes, over REST too");
    assert_eq!(exported["checksum"], done.checksum);
    let job: serde_json::Value = http
        .get(format!("{base}/source/jobs/{}", exported["jobId"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(job["exportResult"]["data"], exported["data"], "the job streams its bundle");

    // `checksum` before `data`, and an ignored key: the body is read as it arrives.
    let body = format!(
        "{{\"checksum\":\"{}\",\"exportedAt\":\"x\",\"data\":\"{}\"}}",
        done.checksum,
        exported["data"].as_str().unwrap()
    );
    let imported = http
        .post(format!("{base}/target/agentic/agents/import"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200, "{:?}", imported.text().await);
    let got = app.agents.get_document(full_document("tenants/target/knowledgeBases/manuals/documents/doc-1")).await;
    let status = got.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "over the message limit: use the download");
    assert_eq!(document_count(&mut app, "target").await, contents.len());

    let refused = http
        .post(format!("{base}/other/agentic/agents/import"))
        .body(format!("{{\"data\":\"{}\",\"checksum\":\"{}\"}}", exported["data"].as_str().unwrap(), "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(app.count_rows("resources WHERE tenant = 'other'").await, 0);
}

#[tokio::test]
async fn a_template_with_large_documents_round_trips() {
    use agentport::proto::template_service_client::TemplateServiceClient;
    let mut app = spawn_app_with(|s| s.max_request_bytes = 2 * MIB).await;
    let contents = seed(&mut app, "source", 2, 3 * MIB).await;
    let mut templates = TemplateServiceClient::new(app.channel.clone());
    let request = ExportAgentTemplateRequest {
        agent: "tenants/source/agents/support".into(),
        display_name: "Support kit".into(),
        ..Default::default()
    };
    let template = templates.export_agent_template(request).await.unwrap().into_inner();
    assert!(template.document_contents_omitted, "too large for one message: contents are left out");
    let blobs = app.count_rows("blobs WHERE tenant = 'source'").await;
    assert_eq!(blobs, 3, "the documents are shared with the template; its export job keeps one rendering");

    let mut stream =
        templates.download_template(DownloadTemplateRequest { name: template.name.clone() }).await.unwrap();
    let mut bytes = Vec::new();
    while let Some(piece) = stream.get_mut().next().await {
        bytes.extend_from_slice(&piece.unwrap().chunk);
    }
    let downloaded: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let documents = &downloaded["agent_definition"]["knowledge_bases"][0]["documents"];
    for (i, content) in contents.iter().enumerate() {
        assert_eq!(documents[i]["content"].as_str().unwrap().as_bytes(), content, "document {i}");
    }
    let http = reqwest::Client::new();
    let id = template.name.rsplit('/').next().unwrap();
    let rest = http
        .get(format!("http://{}/v1/templates/{id}", app.addr))
        .header("x-agentport-tenant", "source")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(rest, bytes, "REST streams the same AgentTemplate");

    let request = ImportAgentTemplateRequest {
        parent: "tenants/other".into(),
        template_id: id.into(),
        display_name: "Imported".into(),
        ..Default::default()
    };
    let root = templates.import_agent_template(request).await.unwrap().into_inner();
    let kb_id = &root.knowledge_bases[0].knowledge_base_id;
    let list = ListDocumentsRequest { parent: format!("tenants/other/knowledgeBases/{kb_id}"), ..Default::default() };
    let docs = app.agents.list_documents(list).await.unwrap().into_inner().documents;
    let mut client = app.agents.clone();
    for (document, content) in docs.iter().zip(&contents) {
        let mut download = client
            .download_document(DownloadDocumentRequest { name: document.name.clone() })
            .await
            .unwrap()
            .into_inner();
        let mut got = Vec::new();
        while let Some(message) = download.next().await {
            if let Some(download_document_response::Part::Chunk(chunk)) = message.unwrap().part {
                got.extend_from_slice(&chunk);
            }
        }
        assert_eq!(&got, content);
    }
    assert_eq!(app.count_rows("blobs WHERE tenant = 'other'").await, 2, "the importing tenant has its own copies");
    templates.delete_template(DeleteTemplateRequest { name: template.name }).await.unwrap();
    assert_eq!(app.count_rows("blobs WHERE tenant = 'source'").await, 3, "the documents still use theirs");
}
