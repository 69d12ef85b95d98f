//! The xpander dialect under `/v1`.

use axum::Router;
use utoipa::OpenApi;

use super::RestState;

#[derive(OpenApi)]
#[openapi()]
pub struct ApiDoc;

pub fn router() -> Router<RestState> {
    Router::new()
}
