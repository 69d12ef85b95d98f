//! gRPC adapter for `agentport.v1.JobService`.

use std::pin::Pin;

use futures_util::StreamExt;
use tokio_stream::Stream;

use super::streams::ResponseStream;
use tonic::{Request, Response, Status};

use crate::auth::{Authorizer, Call};
use crate::proto::job_service_server::JobService as JobServiceApi;
use crate::proto::*;
use crate::service::{JobSearch, JobService};

pub struct JobServiceAdapter {
    auth: Authorizer,
    jobs: JobService,
}

impl JobServiceAdapter {
    pub fn new(auth: Authorizer, jobs: JobService) -> Self {
        Self { auth, jobs }
    }

    async fn search(&self, call: Call, search: JobSearch) -> Result<Response<ListJobsResponse>, Status> {
        let (jobs, total) = call.finish(self.jobs.search(&search).await)?;
        Ok(Response::new(ListJobsResponse { jobs, total_size: total.unwrap_or(0) as i64 }))
    }
}

impl JobServiceAdapter {
    /// `GetJob` without reading an export's bundle: callers stream it with `DownloadJobResult`.
    pub async fn get_job_lean(&self, request: Request<GetJobRequest>) -> Result<Job, Status> {
        let (call, r) = self.auth.check(request, "GetJob").await?;
        call.finish(self.jobs.get(&r.name, &r.fields, false).await)
    }
}

impl From<ListJobsRequest> for JobSearch {
    fn from(r: ListJobsRequest) -> Self {
        let ListJobsRequest { parent, q, page_size, page_number, sort, fields, include_total } = r;
        JobSearch { parent, q, page_size, page_number, sort, fields, include_total }
    }
}

impl From<SearchJobsRequest> for JobSearch {
    fn from(r: SearchJobsRequest) -> Self {
        let SearchJobsRequest { parent, q, page_size, page_number, sort, fields, include_total } = r;
        JobSearch { parent, q, page_size, page_number, sort, fields, include_total }
    }
}

#[tonic::async_trait]
impl JobServiceApi for JobServiceAdapter {
    async fn list_jobs(&self, request: Request<ListJobsRequest>) -> Result<Response<ListJobsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListJobs").await?;
        self.search(call, r.into()).await
    }

    async fn search_jobs(&self, request: Request<SearchJobsRequest>) -> Result<Response<ListJobsResponse>, Status> {
        let (call, r) = self.auth.check(request, "SearchJobs").await?;
        self.search(call, r.into()).await
    }

    async fn get_job(&self, request: Request<GetJobRequest>) -> Result<Response<Job>, Status> {
        let (call, r) = self.auth.check(request, "GetJob").await?;
        Ok(Response::new(call.finish(self.jobs.get(&r.name, &r.fields, true).await)?))
    }

    async fn delete_job(&self, request: Request<DeleteJobRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteJob").await?;
        call.finish(self.jobs.delete(&r.name, r.revision).await)?;
        Ok(Response::new(()))
    }

    async fn record_job(&self, request: Request<RecordJobRequest>) -> Result<Response<Job>, Status> {
        let (call, r) = self.auth.check(request, "RecordJob").await?;
        Ok(Response::new(call.finish(self.jobs.record(&r.parent, &r.job_id, r.job).await)?))
    }

    type DownloadJobResultStream = ResponseStream<DownloadJobResultResponse>;

    async fn download_job_result(
        &self,
        request: Request<DownloadJobResultRequest>,
    ) -> Result<Response<Self::DownloadJobResultStream>, Status> {
        let (call, r) = self.auth.check(request, "DownloadJobResult").await?;
        let bytes = call.finish(self.jobs.download_result(&r.name).await)?;
        Ok(Response::new(Box::pin(
            bytes.map(|piece| Ok(DownloadJobResultResponse { chunk: piece.map_err(Status::from)? })),
        )))
    }

    type WatchJobStream = Pin<Box<dyn Stream<Item = Result<Job, Status>> + Send>>;

    async fn watch_job(&self, request: Request<WatchJobRequest>) -> Result<Response<Self::WatchJobStream>, Status> {
        let (call, r) = self.auth.check(request, "WatchJob").await?;
        let slot = self.auth.open_watch(&call)?;
        let stream = call.finish(self.jobs.watch(&r.name, slot).await)?;
        Ok(Response::new(Box::pin(stream)))
    }
}
