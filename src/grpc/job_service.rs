//! gRPC adapter for `agentport.v1.JobService`.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::proto::job_service_server::JobService as JobServiceApi;
use crate::proto::*;
use crate::service::{JobSearch, JobService};

pub struct JobServiceAdapter {
    jobs: JobService,
}

impl JobServiceAdapter {
    pub fn new(jobs: JobService) -> Self {
        Self { jobs }
    }

    async fn search(&self, search: JobSearch) -> Result<Response<ListJobsResponse>, Status> {
        let (jobs, total) = self.jobs.search(&search).await?;
        Ok(Response::new(ListJobsResponse {
            jobs,
            total_size: total.unwrap_or(0) as i64,
        }))
    }
}

#[tonic::async_trait]
impl JobServiceApi for JobServiceAdapter {
    async fn list_jobs(
        &self,
        request: Request<ListJobsRequest>,
    ) -> Result<Response<ListJobsResponse>, Status> {
        let r = request.into_inner();
        self.search(JobSearch {
            parent: r.parent,
            q: r.q,
            page_size: r.page_size,
            page_number: r.page_number,
            sort: r.sort,
            fields: r.fields,
            include_total: r.include_total,
        })
        .await
    }

    async fn search_jobs(
        &self,
        request: Request<SearchJobsRequest>,
    ) -> Result<Response<ListJobsResponse>, Status> {
        let r = request.into_inner();
        self.search(JobSearch {
            parent: r.parent,
            q: r.q,
            page_size: r.page_size,
            page_number: r.page_number,
            sort: r.sort,
            fields: r.fields,
            include_total: r.include_total,
        })
        .await
    }

    async fn get_job(&self, request: Request<GetJobRequest>) -> Result<Response<Job>, Status> {
        let r = request.into_inner();
        Ok(Response::new(self.jobs.get(&r.name, &r.fields).await?))
    }

    async fn delete_job(&self, request: Request<DeleteJobRequest>) -> Result<Response<()>, Status> {
        let r = request.into_inner();
        self.jobs.delete(&r.name, r.revision).await?;
        Ok(Response::new(()))
    }

    async fn record_job(
        &self,
        request: Request<RecordJobRequest>,
    ) -> Result<Response<Job>, Status> {
        let r = request.into_inner();
        Ok(Response::new(
            self.jobs.record(&r.parent, &r.job_id, r.job).await?,
        ))
    }

    type WatchJobStream = Pin<Box<dyn Stream<Item = Result<Job, Status>> + Send>>;

    async fn watch_job(
        &self,
        request: Request<WatchJobRequest>,
    ) -> Result<Response<Self::WatchJobStream>, Status> {
        let stream = self.jobs.watch(&request.into_inner().name).await?;
        Ok(Response::new(Box::pin(stream)))
    }
}
