//! The jobs history through the JobService: search with q, sort, paging, totals, projection,
//! recording chat jobs, deletion and watching.

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{expect_error, spawn_app, violated_fields};

fn chat(status: JobStatus, agent: &str, session: &str, message: &str, agent_type: &str) -> Job {
    Job {
        r#type: JobType::AgentChat as i32,
        status: status as i32,
        agent_id: agent.into(),
        session_id: session.into(),
        message: message.into(),
        agent_type: agent_type.into(),
        ..Default::default()
    }
}

async fn record(jobs: &mut JobServiceClient<Channel>, tenant: &str, id: &str, job: Job) -> Job {
    jobs.record_job(RecordJobRequest { parent: format!("tenants/{tenant}"), job_id: id.into(), job: Some(job) })
        .await
        .unwrap()
        .into_inner()
}

/// Ten chat jobs in `acme` (and one in `other`), recorded in id order.
async fn seed(jobs: &mut JobServiceClient<Channel>) -> Vec<Job> {
    let rows = [
        ("j01", JobStatus::Success, "agent-a", "s1", "order shipped", "support"),
        ("j02", JobStatus::Failure, "agent-a", "s1", "payment failed", "generic"),
        ("j03", JobStatus::Success, "agent-b", "s2", "Refund issued", "complaint"),
        ("j04", JobStatus::InProgress, "agent-b", "s2", "", "complaint"),
        ("j05", JobStatus::Skipped, "agent-c", "s3", "filtered out", "anti_fraud"),
        ("j06", JobStatus::Success, "agent-c", "s3", "hello world", "generic"),
        ("j07", JobStatus::Success, "agent-a", "s4", "x' OR '1'='1", "generic"),
        ("j08", JobStatus::Failure, "agent-d", "s5", "timeout", ""),
        ("j09", JobStatus::Success, "agent-d", "s5", "done", "support"),
        ("j10", JobStatus::Success, "agent-e", "s6", "ok", "generic"),
    ];
    let mut out = Vec::new();
    for (id, status, agent, session, message, kind) in rows {
        out.push(record(jobs, "acme", id, chat(status, agent, session, message, kind)).await);
    }
    record(jobs, "other", "j99", chat(JobStatus::Success, "agent-a", "s9", "other tenant", "generic")).await;
    out
}

async fn ids(jobs: &mut JobServiceClient<Channel>, q: &str, sort: &str) -> Vec<String> {
    let found = jobs
        .search_jobs(SearchJobsRequest {
            parent: "tenants/acme".into(),
            q: q.into(),
            sort: sort.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{q}: {e:?}"))
        .into_inner();
    found.jobs.into_iter().map(|j| j.name.rsplit('/').next().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn search_supports_every_query_form() {
    let app = spawn_app().await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let seeded = seed(&mut jobs).await;
    let by_id = "id:asc";
    let cases: &[(&str, &[&str])] = &[
        ("", &["j01", "j02", "j03", "j04", "j05", "j06", "j07", "j08", "j09", "j10"]),
        ("status:success", &["j01", "j03", "j06", "j07", "j09", "j10"]),
        ("status:SUCCESS agentId:agent-a", &["j01", "j07"]),
        ("type:agent_chat status:failure", &["j02", "j08"]),
        ("agentType:(support,COMPLAINT)", &["j01", "j03", "j04", "j09"]),
        ("agentId:(\"agent-d\",agent-e)", &["j08", "j09", "j10"]),
        ("message:~^[A-Z]", &["j03"]),
        ("message:~(hello wor)", &["j06"]),
        ("message:\"hello world\"", &["j06"]),
        ("message:null", &["j04"]),
        ("message:missing", &["j04"]),
        ("agentType:exists", &["j01", "j02", "j03", "j04", "j05", "j06", "j07", "j09", "j10"]),
        ("id:>j08", &["j09", "j10"]),
        ("id:(>=j02 AND <j05)", &["j02", "j03", "j04"]),
        (
            "metadata.version:1 background:false",
            &["j01", "j02", "j03", "j04", "j05", "j06", "j07", "j08", "j09", "j10"],
        ),
        ("exportResult:missing importResult:null id:j01", &["j01"]),
        ("exportResult:exists", &[]),
        ("message:\"x' OR '1'='1\"", &["j07"]),
        ("message:\"'); DROP TABLE jobs; --\"", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(ids(&mut jobs, q, by_id).await, *expected, "q = {q}");
    }
    // Quoted dates against creation times.
    let t6 = seeded[5].create_time.unwrap();
    let at =
        time::OffsetDateTime::from_unix_timestamp_nanos(t6.seconds as i128 * 1_000_000_000 + t6.nanos as i128).unwrap();
    let iso = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(
        ids(&mut jobs, &format!("metadata.createdAt:>=\"{iso}\""), by_id).await,
        ["j06", "j07", "j08", "j09", "j10"]
    );
    assert_eq!(
        ids(&mut jobs, &format!("metadata.createdAt:(>=\"2020-01-01T00:00:00.000Z\" AND <\"{iso}\")"), by_id)
            .await
            .len(),
        5
    );
    // The injection-shaped query did nothing to the table.
    assert_eq!(ids(&mut jobs, "", by_id).await.len(), 10);
}

#[tokio::test]
async fn sort_paging_totals_and_projection() {
    let app = spawn_app().await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    seed(&mut jobs).await;
    assert_eq!(ids(&mut jobs, "", "").await[0], "j10", "newest first by default");
    assert_eq!(
        ids(&mut jobs, "status:success", "agentId:desc,id:asc").await,
        ["j10", "j09", "j06", "j03", "j01", "j07"]
    );

    let mut seen = Vec::new();
    for page in 1..=4 {
        let response = jobs
            .list_jobs(ListJobsRequest {
                parent: "tenants/acme".into(),
                page_size: 3,
                page_number: page,
                sort: "id:asc".into(),
                include_total: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.total_size, 10);
        seen.extend(response.jobs.into_iter().map(|j| j.name));
    }
    assert_eq!(seen.len(), 10, "pages cover every job once");
    seen.dedup();
    assert_eq!(seen.len(), 10);

    let projected = jobs
        .list_jobs(ListJobsRequest {
            parent: "tenants/acme".into(),
            q: "id:j01".into(),
            fields: "status,metadata.createdAt".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let job = &projected.jobs[0];
    assert_eq!((job.name.as_str(), job.status()), ("tenants/acme/jobs/j01", JobStatus::Success));
    assert!(job.create_time.is_some() && job.update_time.is_none() && job.agent_id.is_empty() && job.revision == 0);
    let got = jobs
        .get_job(GetJobRequest { name: "tenants/acme/jobs/j03".into(), fields: "agentId,metadata".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((got.agent_id.as_str(), got.revision, got.message.as_str()), ("agent-b", 1, ""));
}

#[tokio::test]
async fn bad_queries_are_refused_precisely() {
    let app = spawn_app().await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let search = |q: &str, sort: &str, fields: &str| SearchJobsRequest {
        parent: "tenants/acme".into(),
        q: q.into(),
        sort: sort.into(),
        fields: fields.into(),
        ..Default::default()
    };
    let status = expect_error(
        jobs.search_jobs(search("status:success colour:red", "", "")).await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    assert!(status.message().contains("colour"), "{}", status.message());
    assert_eq!(violated_fields(&status), vec!["q".to_owned()]);
    let status =
        expect_error(jobs.search_jobs(search("id:(a,b", "", "")).await, Code::InvalidArgument, "INVALID_FILTER");
    assert!(status.message().contains("position"), "{}", status.message());
    let status =
        expect_error(jobs.search_jobs(search("status:sucess", "", "")).await, Code::InvalidArgument, "INVALID_FILTER");
    assert!(status.message().contains("success"), "lists the allowed values: {}", status.message());
    expect_error(
        jobs.search_jobs(search("metadata.createdAt:>\"yesterday\"", "", "")).await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    expect_error(
        jobs.search_jobs(search("message:~(unclosed[", "", "")).await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    let status =
        expect_error(jobs.search_jobs(search("", "colour:asc", "")).await, Code::InvalidArgument, "INVALID_FILTER");
    assert!(status.message().contains("colour"));
    let status =
        expect_error(jobs.search_jobs(search("", "", "id,colour")).await, Code::InvalidArgument, "INVALID_FILTER");
    assert!(status.message().contains("colour"));
    expect_error(
        jobs.list_jobs(ListJobsRequest { parent: "tenants/acme".into(), page_size: 1001, ..Default::default() }).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    expect_error(
        jobs.get_job(GetJobRequest { name: "tenants/acme/jobs/nope".into(), fields: String::new() }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
}

#[tokio::test]
async fn record_updates_chat_jobs_and_delete_checks_versions() {
    let app = spawn_app().await;
    let mut jobs = JobServiceClient::new(app.channel.clone());
    let started =
        record(&mut jobs, "acme", "chat-1", chat(JobStatus::InProgress, "agent-a", "s1", "", "generic")).await;
    assert_eq!((started.status(), started.revision), (JobStatus::InProgress, 1));
    expect_error(
        jobs.delete_job(DeleteJobRequest { name: started.name.clone(), revision: 0 }).await,
        Code::FailedPrecondition,
        "FAILED_PRECONDITION",
    );
    let finished =
        record(&mut jobs, "acme", "chat-1", chat(JobStatus::Success, "agent-a", "s1", "All done", "generic")).await;
    assert_eq!((finished.status(), finished.revision, finished.message.as_str()), (JobStatus::Success, 2, "All done"));
    let export_like = Job { r#type: JobType::Export as i32, ..Default::default() };
    let status = expect_error(
        jobs.record_job(RecordJobRequest { parent: "tenants/acme".into(), job_id: "x".into(), job: Some(export_like) })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), vec!["job.type".to_owned()]);
    expect_error(
        jobs.delete_job(DeleteJobRequest { name: finished.name.clone(), revision: 1 }).await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    jobs.delete_job(DeleteJobRequest { name: finished.name.clone(), revision: 2 }).await.unwrap();
    expect_error(
        jobs.get_job(GetJobRequest { name: finished.name, fields: String::new() }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
}
