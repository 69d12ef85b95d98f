//! `GET /openapi.json`: the OpenAPI 3 document of the whole REST surface, generated from the
//! handlers' annotations and body types.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::RestState;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = super::emporix::ApiDoc::openapi();
    doc.merge(super::xpander::ApiDoc::openapi());
    doc.info.title = "agentport REST API".to_owned();
    doc.info.description = Some(
        "The Emporix AI Service (agents, import/export, jobs) and xpander (agents, templates, knowledge) \
         dialects of agentport. Extensions of agentport are marked `x-agentport-extension`."
            .to_owned(),
    );
    add_service_answers(&mut doc);
    doc
}

/// Answers any operation may give besides its own: a limit reached, a passed deadline, a
/// server that is starting or stopping.
fn add_service_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, ResponseBuilder, header::Header, schema::Object, schema::Type};
    for (path, item) in doc.paths.paths.iter_mut() {
        let body = if path.starts_with("/v1/") { "ErrorDetail" } else { "ErrorMessage" };
        let answer = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("application/json", Content::new(Some(Ref::from_schema_name(body))))
        };
        let answers = [
            (
                "429",
                answer(
                    "Over a rate or concurrency limit of the caller or its tenant; retry after `Retry-After` seconds.",
                )
                .header("Retry-After", Header::new(Object::with_type(Type::Integer)))
                .build(),
            ),
            ("503", answer("The server is starting or stopping, or its database is unavailable; retry.").build()),
            (
                "504",
                answer("The call's deadline passed (see the server's call timeouts); its work was stopped.").build(),
            ),
        ];
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            for (code, response) in &answers {
                operation.responses.responses.entry((*code).to_owned()).or_insert_with(|| response.clone().into());
            }
        }
    }
}

pub fn router() -> Router<RestState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}
