//! Document content lives in the blob store: uploaded and downloaded as streams, shared by
//! identical content, freed with its last document, bounded by the configured limits.

use agentport::proto::*;
use sea_orm::{ConnectionTrait, Database};
use sha2::{Digest, Sha256};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::fixtures::full_document;
use crate::helpers::{
    TestApp, TestDatabase, expect_error, reason, spawn_app, spawn_app_on, spawn_app_with, violated_fields,
};

const MIB: usize = 1 << 20;

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// UTF-8 text of `size` bytes that is not all one character.
pub fn text(size: usize, seed: u8) -> Vec<u8> {
    (0..size).map(|i| b'a' + ((i as u8).wrapping_mul(7) ^ seed) % 26).collect()
}

pub async fn knowledge_base(app: &mut TestApp, tenant: &str, id: &str) -> String {
    let kb = KnowledgeBase { display_name: "Manuals".into(), ..Default::default() };
    let request = CreateKnowledgeBaseRequest {
        parent: format!("tenants/{tenant}"),
        knowledge_base_id: id.into(),
        knowledge_base: Some(kb),
    };
    app.agents.create_knowledge_base(request).await.unwrap().into_inner().name
}

fn header(kb: &str, id: &str, sha256: &str) -> UploadDocumentRequest {
    let header = UploadDocumentHeader {
        parent: kb.to_owned(),
        document_id: id.to_owned(),
        document: Some(Document { display_name: format!("{id}.md"), ..Default::default() }),
        content_type: "text/markdown".into(),
        sha256: sha256.to_owned(),
        name: String::new(),
    };
    UploadDocumentRequest { part: Some(upload_document_request::Part::Header(header)) }
}

fn messages(first: UploadDocumentRequest, bytes: &[u8]) -> Vec<UploadDocumentRequest> {
    let chunks = bytes
        .chunks(MIB)
        .map(|c| UploadDocumentRequest { part: Some(upload_document_request::Part::Chunk(c.to_vec().into())) });
    std::iter::once(first).chain(chunks).collect()
}

pub async fn upload(app: &mut TestApp, kb: &str, id: &str, bytes: &[u8]) -> Result<Document, tonic::Status> {
    let stream = tokio_stream::iter(messages(header(kb, id, &hex_sha256(bytes)), bytes));
    app.agents.upload_document(stream).await.map(|r| r.into_inner())
}

async fn download(app: &mut TestApp, name: &str) -> (Document, Vec<u8>) {
    let mut stream =
        app.agents.download_document(DownloadDocumentRequest { name: name.into() }).await.unwrap().into_inner();
    let Some(download_document_response::Part::Document(document)) = stream.next().await.unwrap().unwrap().part else {
        panic!("metadata comes first");
    };
    let mut bytes = Vec::new();
    while let Some(message) = stream.next().await {
        let Some(download_document_response::Part::Chunk(chunk)) = message.unwrap().part else { panic!("a chunk") };
        assert!(chunk.len() <= MIB, "pieces of at most 1 MiB");
        bytes.extend_from_slice(&chunk);
    }
    (document, bytes)
}

#[tokio::test]
async fn documents_keep_their_content_in_the_blob_store_once() {
    let mut app = spawn_app().await;
    let kb = knowledge_base(&mut app, "acme", "manuals").await;
    let bytes = text(3 * MIB + 5, 1);
    let first = upload(&mut app, &kb, "guide", &bytes).await.unwrap();
    assert_eq!((first.size_bytes, first.sha256.as_str()), (bytes.len() as i64, hex_sha256(&bytes).as_str()));
    assert_eq!(first.content_type, "text/markdown");
    assert!(first.content.is_empty());

    let basic = app.agents.get_document(GetDocumentRequest { name: first.name.clone(), ..Default::default() });
    assert!(basic.await.unwrap().into_inner().content.is_empty(), "the basic view leaves content out");
    let full = app.agents.get_document(full_document(&first.name)).await.unwrap().into_inner();
    assert_eq!(full.content.as_bytes(), bytes);
    let (meta, downloaded) = download(&mut app, &first.name).await;
    assert_eq!((meta.sha256, downloaded), (first.sha256.clone(), bytes.clone()));

    let second = upload(&mut app, &kb, "copy", &bytes).await.unwrap();
    assert_eq!(second.sha256, first.sha256);
    assert_eq!(app.count_rows("blobs").await, 1, "identical content is stored once");
    assert_eq!(app.count_rows("blob_chunks").await, 4);
    let listed = app.agents.list_documents(ListDocumentsRequest { parent: kb.clone(), ..Default::default() });
    let listed = listed.await.unwrap().into_inner().documents;
    assert!(listed.iter().all(|d| d.content.is_empty() && d.size_bytes == bytes.len() as i64));
    let refused = app.agents.list_documents(ListDocumentsRequest {
        parent: kb.clone(),
        filter: "content:x".into(),
        ..Default::default()
    });
    let status = expect_error(refused.await, Code::InvalidArgument, "INVALID_FILTER");
    assert!(status.message().contains("content"), "{}", status.message());

    app.agents.delete_document(DeleteDocumentRequest { name: first.name, etag: String::new() }).await.unwrap();
    assert_eq!(app.count_rows("blobs").await, 1, "the copy still uses it");
    app.agents
        .delete_knowledge_base(DeleteKnowledgeBaseRequest { name: kb, etag: String::new(), force: false })
        .await
        .unwrap();
    assert_eq!((app.count_rows("blobs").await, app.count_rows("blob_chunks").await), (0, 0), "the last use freed it");
}

#[tokio::test]
async fn content_larger_than_one_message_goes_through_the_streaming_calls() {
    // Streams carry pieces of 1 MiB: the message limit is above that, the content far above it.
    let mut app = spawn_app_with(|s| s.max_request_bytes = 2 * MIB).await;
    let kb = knowledge_base(&mut app, "acme", "manuals").await;
    let bytes = text(5 * MIB, 2);
    let document = upload(&mut app, &kb, "big", &bytes).await.unwrap();
    let status = expect_error(
        app.agents.get_document(full_document(&document.name)).await,
        Code::FailedPrecondition,
        "MESSAGE_TOO_LARGE",
    );
    assert!(status.message().contains("DownloadDocument"), "{}", status.message());
    assert_eq!(download(&mut app, &document.name).await.1, bytes);

    // Replacing content by name keeps the document and frees the old bytes.
    let replacement = text(2 * MIB, 3);
    let mut first = header("", "", "");
    if let Some(upload_document_request::Part::Header(h)) = &mut first.part {
        (h.parent, h.name, h.document) = (String::new(), document.name.clone(), None);
    }
    let replaced = app.agents.upload_document(tokio_stream::iter(messages(first, &replacement))).await;
    let replaced = replaced.unwrap().into_inner();
    assert_eq!((replaced.revision, replaced.display_name.as_str()), (2, "big.md"));
    assert_eq!(download(&mut app, &document.name).await.1, replacement);
    assert_eq!(app.count_rows("blobs").await, 1);
}

#[tokio::test]
async fn refused_uploads_write_nothing_and_limits_name_the_field() {
    let mut app = spawn_app_with(|s| {
        s.max_document_bytes = 2 * MIB as u64;
        s.max_documents_per_knowledge_base = 2;
    })
    .await;
    let kb = knowledge_base(&mut app, "acme", "manuals").await;
    let bytes = text(MIB + 10, 4);

    let wrong = tokio_stream::iter(messages(header(&kb, "a", &"0".repeat(64)), &bytes));
    expect_error(app.agents.upload_document(wrong).await, Code::InvalidArgument, "CHECKSUM_MISMATCH");
    let mut binary = bytes.clone();
    binary[MIB + 3] = 0xff;
    let status = expect_error(
        app.agents.upload_document(tokio_stream::iter(messages(header(&kb, "b", ""), &binary))).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["content"]);
    let status = expect_error(
        app.agents.upload_document(tokio_stream::iter(messages(header(&kb, "c", ""), &text(3 * MIB, 5)))).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert!(status.message().contains(&(2 * MIB).to_string()), "names the limit: {}", status.message());
    let too_big = CreateDocumentRequest {
        parent: kb.clone(),
        document_id: "d".into(),
        document: Some(Document { display_name: "d".into(), content: "x".repeat(2 * MIB + 1), ..Default::default() }),
    };
    let status = expect_error(app.agents.create_document(too_big).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["document.content"]);
    assert_eq!(app.count_rows("resources WHERE kind = 'document'").await, 0);
    assert_eq!((app.count_rows("blob_chunks").await, app.count_rows("blob_uploads").await), (0, 0));

    upload(&mut app, &kb, "one", b"one").await.unwrap();
    upload(&mut app, &kb, "two", b"two").await.unwrap();
    let status =
        expect_error(upload(&mut app, &kb, "three", b"three").await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["parent"]);
    assert!(status.message().contains("(2)"), "{}", status.message());
    assert_eq!(app.count_rows("blobs").await, 2);
    assert_eq!(app.count_rows("blob_uploads").await, 0);
}

#[tokio::test]
async fn xpander_uploads_and_downloads_stream_raw_and_multipart_bodies() {
    let mut app = spawn_app().await;
    knowledge_base(&mut app, "default", "kb").await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/v1/knowledge/kb/documents", app.addr);
    let bytes = text(2 * MIB + 17, 6);

    let raw = http
        .post(format!("{base}/upload?name=Guide&document_url=https://example.com/guide.md"))
        .header("content-type", "text/markdown")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    let item: serde_json::Value = raw.json().await.unwrap();
    assert_eq!((item["name"].as_str(), item["kb_id"].as_str()), (Some("Guide"), Some("kb")));
    let id = item["id"].as_str().unwrap().to_owned();

    let full: serde_json::Value = http.get(format!("{base}/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(full["raw_data"].as_str().unwrap().as_bytes(), bytes, "raw_data streams from the blob");
    assert_eq!(full["document_url"], "https://example.com/guide.md");
    let download = http.get(format!("{base}/{id}/content")).send().await.unwrap();
    assert_eq!(download.headers()["content-type"], "text/markdown");
    assert_eq!(download.headers()["x-content-sha256"].to_str().unwrap(), hex_sha256(&bytes));
    assert_eq!(download.bytes().await.unwrap(), bytes);

    let boundary = "agentport-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"document_url\"\r\n\r\nhttps://example.com/faq\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"faq.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let multipart = http
        .post(format!("{base}/upload"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(multipart.status(), 200);
    let item: serde_json::Value = multipart.json().await.unwrap();
    assert_eq!(item["name"], "faq.txt");
    let id = item["id"].as_str().unwrap();
    assert_eq!(http.get(format!("{base}/{id}/content")).send().await.unwrap().bytes().await.unwrap(), bytes);
    assert_eq!(app.count_rows("blobs").await, 1, "the same content, stored once");

    let refused = http.post(format!("{base}/upload")).body(vec![0xff, 0xfe]).send().await.unwrap();
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn inline_content_of_an_earlier_release_moves_into_the_blob_store() {
    use migrations::MigratorTrait;
    let database = TestDatabase::create().await;
    let url = if database.url().starts_with("sqlite:") {
        format!("{}?mode=rwc", database.url())
    } else {
        database.url().to_owned()
    };
    let db = Database::connect(&url).await.unwrap();
    // The schema of the release before blobs: the first five migrations.
    migrations::Migrator::up(&db, Some(5)).await.unwrap();
    for (id, content) in [("a", "Inline answer"), ("b", "Inline answer"), ("c", "")] {
        let body = format!(
            r#"{{"name":"","displayName":"{id}","url":"","content":"{content}","localEnv":false,"sync":false,"revision":"0","etag":""}}"#
        );
        let sql = format!(
            "INSERT INTO resources (tenant, kind, parent, id, revision, create_time, update_time, display_name, body) \
             VALUES ('acme', 'document', 'kb', '{id}', 1, 1, 1, '{id}', '{body}')"
        );
        db.execute_unprepared(&sql).await.unwrap();
    }
    db.execute_unprepared(
        "INSERT INTO resources (tenant, kind, parent, id, revision, create_time, update_time, display_name, body) \
         VALUES ('acme', 'knowledge_base', '', 'kb', 1, 1, 1, 'kb', '{\"displayName\":\"kb\"}')",
    )
    .await
    .unwrap();
    let _ = db.close().await;

    let mut app = spawn_app_on(database, |_| {}).await;
    let a = app.agents.get_document(full_document("tenants/acme/knowledgeBases/kb/documents/a")).await.unwrap();
    let a = a.into_inner();
    assert_eq!((a.content.as_str(), a.size_bytes), ("Inline answer", 13));
    assert_eq!(a.sha256, hex_sha256(b"Inline answer"));
    let c = app.agents.get_document(full_document("tenants/acme/knowledgeBases/kb/documents/c")).await.unwrap();
    assert_eq!(c.into_inner().sha256, "", "no content, no blob");
    assert_eq!(app.count_rows("blobs").await, 1, "one blob for the two identical contents");
    assert_eq!(app.count_rows("blob_refs").await, 2);
    let status = app.agents.get_document(full_document("tenants/acme/knowledgeBases/kb/documents/zzz")).await;
    assert_eq!(reason(&status.unwrap_err()), "RESOURCE_NOT_FOUND");
}
