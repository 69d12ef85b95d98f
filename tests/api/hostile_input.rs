//! Input that one store would keep and the other refuse, and bytes that are no message at all,
//! are refused alike on both stores as the caller's fault, naming what is wrong.

use agentport::proto::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Buf, BufMut, Bytes};
use sha2::{Digest, Sha256};
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use crate::crud::sample_agent;
use crate::fixtures::{counts, decoded, export, import_request, seed_source};
use crate::helpers::{expect_error, spawn_app, violated_fields};

#[tokio::test]
async fn a_nul_character_is_refused_naming_the_field_on_every_path() {
    let mut app = spawn_app().await;
    let mut agent = sample_agent();
    agent.display_name.insert("en".into(), "Support\0Bot".into());
    let create = CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "nul".into(), agent: Some(agent) };
    let status = expect_error(app.agents.create_agent(create).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), [r#"agent.displayName["en"]"#]);
    assert!(status.message().contains("NUL"), "{}", status.message());

    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let job = Job { message: "hello\0world".into(), ..Default::default() };
    let record = RecordJobRequest { parent: "tenants/acme".into(), job_id: "chat".into(), job: Some(job) };
    let status = expect_error(jobs.record_job(record).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["job.message"]);

    let listed =
        ListAgentsRequest { parent: "tenants/acme".into(), filter: "category:\0".into(), ..Default::default() };
    let status = expect_error(app.agents.list_agents(listed).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["filter"]);

    // Inside a bundle, as JSON's \u0000 escape.
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let mut json: serde_json::Value = serde_json::from_slice(&decoded(&bundle.data)).unwrap();
    json["agents"][0]["description"] = serde_json::json!({ "en": "line\u{0}break" });
    let bytes = serde_json::to_vec(&json).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains(r"\u0000"));
    let checksum = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let request = ImportAgentsRequest { data: STANDARD.encode(&bytes), checksum, ..import_request("target", &bundle) };
    let status = expect_error(app.agents.import_agents(request).await, Code::InvalidArgument, "INVALID_BUNDLE");
    let fields = violated_fields(&status);
    assert!(fields.iter().any(|f| f.starts_with("data.agents[0]") && f.contains("description")), "{fields:?}");
    assert_eq!(counts(&mut app, "target").await, [0, 0, 0, 0], "nothing is written");
}

/// Sends whatever bytes it is given as the message.
#[derive(Default)]
struct RawCodec;

struct RawEncoder;
struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[tokio::test]
async fn malformed_protobuf_is_the_callers_fault() {
    let app = spawn_app().await;
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    // Field 1 (name) as a length-delimited string claiming 100 bytes, followed by 2; then a
    // string field holding invalid UTF-8.
    for garbage in [&[0x0a, 100, b'a', b'b'][..], &[0x0a, 2, 0xff, 0xfe][..]] {
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::from_static("/agentport.v1.AgentService/GetAgent");
        let result = grpc.unary(tonic::Request::new(Bytes::copy_from_slice(garbage)), path, RawCodec).await;
        let status = expect_error(result, Code::InvalidArgument, "MALFORMED_MESSAGE");
        assert!(status.message().contains("malformed message"), "{}", status.message());
    }
}
