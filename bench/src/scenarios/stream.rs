//! Streaming transfer of a bundle holding 1 GB of documents (128 documents of 8 MiB, uploaded
//! with `UploadDocument` into one knowledge base an agent reads): `StreamExportAgents` and
//! `StreamImportAgents` in MB/s and the server's peak RSS above idle, beside `openssl dgst
//! -sha256` plus `base64` over the same bundle bytes, run as processes in the same run.
//!
//! Peak RSS is the kernel's high-water mark (VmHWM), set back to the current RSS before each
//! call (`/proc/PID/clear_refs`), so a short spike between samples is not missed.

use std::future::Future;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::*;
use tokio::io::AsyncReadExt;
use tonic::transport::Channel;

use super::Ctx;
use crate::server::{OtherLoad, RssSampler};

const TENANT: &str = "stream";
const KNOWLEDGE_BASE: &str = "manuals";
const AGENT: &str = "reader";
const DOCUMENT_BYTES: usize = 8 << 20;
const CHUNK: usize = 1 << 20;
const ROUNDS: usize = 3;
/// The server caps a call's deadline (`AGENTPORT_CALL_TIMEOUT_MAX_MS`, default 120 s); ask for it.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Peak RSS above idle allowed while a bundle streams through.
const RSS_TARGET_MIB: f64 = 64.0;

pub async fn run(ctx: &mut Ctx) {
    let documents = if ctx.quick { 16 } else { 128 };
    let channel = Channel::from_shared(ctx.grpc_url()).expect("url").connect().await.expect("connect");
    let mut client = AgentServiceClient::new(channel);
    let uploaded = seed(&mut client, documents).await;
    let total_mb = (documents * DOCUMENT_BYTES) as f64 / 1e6;

    // The bundle's bytes, once, for the anchor and the imports.
    let bundle_path = ctx.work.path().join("bundle.json");
    let mut file = std::fs::File::create(&bundle_path).expect("bundle file");
    let first = export(&mut client, Some(&mut file)).await;
    drop(file);
    let bundle_mb = first.bytes as f64 / 1e6;

    let mut exports = Vec::new();
    for _ in 0..ROUNDS {
        exports.push(measure(ctx, export(&mut client, None)).await);
    }
    let mut imports = Vec::new();
    for round in 0..ROUNDS {
        let tenant = format!("tenants/stream-import-{round}");
        imports.push(measure(ctx, import(&mut client, &bundle_path, &first.checksum, tenant)).await);
    }
    let anchor = anchor_seconds(&bundle_path);
    let anchor_mb_s = bundle_mb / anchor;
    let _ = std::fs::remove_file(&bundle_path);

    let case = |what: &str| format!("{what} {bundle_mb:.0} MB bundle ({documents} x 8 MiB documents)");
    let upload_mb_s = total_mb / uploaded.as_secs_f64();
    ctx.push(ctx.row("stream", format!("UploadDocument {documents} x 8 MiB, one at a time"), "MB/s", upload_mb_s));
    for (what, runs) in [("StreamExportAgents", exports), ("StreamImportAgents", imports)] {
        let seconds: Vec<f64> = runs.iter().map(|r| r.took.as_secs_f64()).collect();
        let mb_s = bundle_mb / median(&seconds);
        let other = runs.iter().map(|r| r.other_pct).fold(0.0, f64::max);
        let mut row = ctx.row("stream", case(what), "MB/s", mb_s).against(anchor_mb_s);
        let met = row.ratio.unwrap_or(0.0) >= 0.5;
        row = row.target(">= 0.5x sha256+base64", met).load(other);
        ctx.push(row);
        let peak = runs.iter().map(|r| r.peak_above_idle_mib).fold(0.0, f64::max);
        let row = ctx.row("stream", case(what), "peak RSS+ MiB", peak);
        ctx.push(row.target(&format!("< {RSS_TARGET_MIB:.0} MiB above idle"), peak < RSS_TARGET_MIB).load(other));
    }
    ctx.push(ctx.row("stream", "agentport RSS after the transfers", "MiB", ctx.server.rss_mib()));
}

/// One timed call: how long, the server's peak RSS above what it held just before, other load.
struct Measured {
    took: Duration,
    peak_above_idle_mib: f64,
    other_pct: f64,
}

async fn measure<T>(ctx: &Ctx, call: impl Future<Output = T>) -> Measured {
    // Let the allocator hand back what the previous call freed before reading "idle".
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = ctx.server.rss_mib();
    let reset = ctx.server.reset_peak_rss();
    let sampled = RssSampler::start(ctx.server.pid());
    let other = OtherLoad::start(&[&ctx.server]);
    let begun = Instant::now();
    call.await;
    let took = begun.elapsed();
    let other_pct = other.finish(&[&ctx.server]);
    let peak = if reset { ctx.server.peak_rss_mib().max(sampled.stop()) } else { sampled.stop() };
    Measured { took, peak_above_idle_mib: (peak - idle).max(0.0), other_pct }
}

/// A knowledge base of `documents` distinct 8 MiB text documents and an agent that reads it;
/// returns the time the uploads took.
async fn seed(client: &mut AgentServiceClient<Channel>, documents: usize) -> Duration {
    let parent = format!("tenants/{TENANT}");
    let knowledge_base = KnowledgeBase { display_name: "Product manuals".into(), ..Default::default() };
    let kb = client
        .create_knowledge_base(CreateKnowledgeBaseRequest {
            parent: parent.clone(),
            knowledge_base_id: KNOWLEDGE_BASE.into(),
            knowledge_base: Some(knowledge_base),
        })
        .await
        .expect("CreateKnowledgeBase")
        .into_inner();
    let mut took = Duration::ZERO;
    for d in 0..documents {
        let header = UploadDocumentHeader {
            parent: kb.name.clone(),
            document_id: format!("manual-{d:03}"),
            document: Some(Document { display_name: format!("Manual {d}"), ..Default::default() }),
            content_type: "text/plain".into(),
            ..Default::default()
        };
        let mut messages = vec![UploadDocumentRequest { part: Some(upload_document_request::Part::Header(header)) }];
        let content = text(d as u64, DOCUMENT_BYTES);
        messages.extend(content.chunks(CHUNK).map(|c| UploadDocumentRequest {
            part: Some(upload_document_request::Part::Chunk(prost::bytes::Bytes::copy_from_slice(c))),
        }));
        let mut request = tonic::Request::new(tokio_stream::iter(messages));
        request.set_timeout(CALL_TIMEOUT);
        let begun = Instant::now();
        let document = client.upload_document(request).await.expect("UploadDocument").into_inner();
        took += begun.elapsed();
        assert_eq!(document.size_bytes as usize, DOCUMENT_BYTES, "the whole document stored");
    }
    let agent = Agent {
        display_name: [("en".to_owned(), "Manual reader".to_owned())].into(),
        // What an import requires of an agent (exports refuse one an import would refuse).
        instructions: Some(Instructions { general: "Answer from the manuals.".into(), ..Default::default() }),
        llm: Some(LlmConfig { provider: "openai".into(), model: "gpt-4o-mini".into(), ..Default::default() }),
        knowledge_bases: vec![KnowledgeBaseAttachment {
            knowledge_base_id: KNOWLEDGE_BASE.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    client
        .create_agent(CreateAgentRequest { parent, agent_id: AGENT.into(), agent: Some(agent) })
        .await
        .expect("CreateAgent");
    took
}

/// Text as manuals hold it: words of letters and digits, lines of about 80 characters;
/// different for every `seed`.
fn text(seed: u64, len: usize) -> Vec<u8> {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    let mut column = 0;
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = 2 + (state % 9) as usize;
        for k in 0..word {
            out.push(LETTERS[((state >> (8 + 5 * (k % 10))) % LETTERS.len() as u64) as usize]);
        }
        column += word + 1;
        out.push(if column >= 80 { b'\n' } else { b' ' });
        if column >= 80 {
            column = 0;
        }
    }
    out.truncate(len);
    out
}

struct Exported {
    bytes: u64,
    checksum: String,
}

/// `StreamExportAgents` of the agent, its bytes written to `sink` when one is given.
async fn export(client: &mut AgentServiceClient<Channel>, mut sink: Option<&mut std::fs::File>) -> Exported {
    use std::io::Write;
    let mut request = tonic::Request::new(StreamExportAgentsRequest {
        parent: format!("tenants/{TENANT}"),
        agent_ids: vec![AGENT.into()],
        ..Default::default()
    });
    request.set_timeout(CALL_TIMEOUT);
    let mut stream = client.stream_export_agents(request).await.expect("StreamExportAgents").into_inner();
    let (mut bytes, mut done) = (0u64, None);
    while let Some(message) = stream.message().await.expect("the export stream") {
        match message.part {
            Some(stream_export_agents_response::Part::Chunk(chunk)) => {
                bytes += chunk.len() as u64;
                if let Some(file) = sink.as_mut() {
                    file.write_all(&chunk).expect("write the bundle");
                }
            }
            Some(stream_export_agents_response::Part::Done(last)) => done = Some(last),
            None => {}
        }
    }
    let done = done.expect("the export ends with its checksum");
    assert_eq!(done.size_bytes as u64, bytes, "the export's size is the bytes sent");
    Exported { bytes, checksum: done.checksum }
}

/// `StreamImportAgents` of the bundle file into `parent`, read and sent in 1 MiB pieces.
async fn import(client: &mut AgentServiceClient<Channel>, path: &Path, checksum: &str, parent: String) -> Exported {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let header = StreamImportAgentsHeader { parent, checksum: checksum.to_owned(), ..Default::default() };
    let path = path.to_owned();
    let reader = tokio::spawn(async move {
        let part = stream_import_agents_request::Part::Header(header);
        sender.send(StreamImportAgentsRequest { part: Some(part) }).await.expect("send the header");
        let mut file = tokio::fs::File::open(path).await.expect("bundle file");
        let mut sent = 0u64;
        loop {
            let mut chunk = vec![0; CHUNK];
            let mut filled = 0;
            while filled < CHUNK {
                match file.read(&mut chunk[filled..]).await.expect("read the bundle") {
                    0 => break,
                    n => filled += n,
                }
            }
            if filled == 0 {
                return sent;
            }
            chunk.truncate(filled);
            sent += filled as u64;
            let part = stream_import_agents_request::Part::Chunk(chunk.into());
            if sender.send(StreamImportAgentsRequest { part: Some(part) }).await.is_err() {
                return sent;
            }
        }
    });
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(receiver));
    request.set_timeout(CALL_TIMEOUT);
    let response = client.stream_import_agents(request).await.expect("StreamImportAgents").into_inner();
    let bytes = reader.await.expect("the bundle reader");
    let summary = response.summary.expect("an import summary");
    assert_eq!((summary.agents.len(), summary.knowledge_bases.len()), (1, 1), "the agent and its knowledge base");
    Exported { bytes, checksum: checksum.to_owned() }
}

/// Seconds `openssl dgst -sha256` plus `base64` take over the file (each the median of three).
fn anchor_seconds(path: &Path) -> f64 {
    let time = |program: &str, args: &[&str]| {
        let mut runs: Vec<f64> = (0..3)
            .map(|_| {
                let begun = Instant::now();
                let status = Command::new(program)
                    .args(args)
                    .arg(path)
                    .stdout(Stdio::null())
                    .status()
                    .unwrap_or_else(|e| panic!("{program} runs: {e}"));
                assert!(status.success(), "{program} failed");
                begun.elapsed().as_secs_f64()
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        runs[1]
    };
    time("openssl", &["dgst", "-sha256"]) + time("base64", &[])
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}
