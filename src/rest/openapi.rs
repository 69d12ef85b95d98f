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
    add_links(&mut doc);
    doc
}

/// OpenAPI links from each operation that makes a resource to the operations on it, so that
/// clients and stateful testers (schemathesis) can chain create -> read -> update -> delete:
/// - a POST on a collection `C` whose answer carries an `id` links to every operation on
///   `C/{param}` (the xpander dialect), `param` from `$response.body#/id`;
/// - a PUT on an item path (an Emporix create-or-replace) links to the GET, PATCH and DELETE of
///   the same path, its parameters from the request's.
///
/// Every other path parameter comes from the producing request's path.
fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::link::LinkBuilder;
    use utoipa::openapi::path::{HttpMethod, Operation};

    let operation = |item: &utoipa::openapi::PathItem, method: HttpMethod| -> Option<Operation> {
        match method {
            HttpMethod::Get => item.get.clone(),
            HttpMethod::Put => item.put.clone(),
            HttpMethod::Post => item.post.clone(),
            HttpMethod::Patch => item.patch.clone(),
            HttpMethod::Delete => item.delete.clone(),
            _ => None,
        }
    };
    let methods = [HttpMethod::Get, HttpMethod::Patch, HttpMethod::Put, HttpMethod::Delete];
    let mut links = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (target, target_item) in &doc.paths.paths {
            let Some(last) = item_parameter(path, target) else { continue };
            let answers_id = item.post.as_ref().is_some_and(|post| answers_an_id(doc, post));
            let producer = if answers_id && last.is_some() {
                (HttpMethod::Post, last.clone())
            } else if path == target && item.put.is_some() {
                (HttpMethod::Put, None)
            } else {
                continue;
            };
            for method in methods.iter().filter(|m| !(path == target && **m == HttpMethod::Put)) {
                let Some(consumer) = operation(target_item, method.clone()) else { continue };
                let Some(consumer_id) = consumer.operation_id.clone() else { continue };
                let mut link = LinkBuilder::new().operation_id(consumer_id.clone());
                for name in parameters(target) {
                    let value = match &producer.1 {
                        Some(id_param) if *id_param == name => "$response.body#/id".to_owned(),
                        _ => format!("$request.path.{name}"),
                    };
                    link = link.parameter(name, value);
                }
                links.push((path.clone(), producer.0.clone(), consumer_id, link.build()));
            }
        }
    }
    for (path, method, name, link) in links {
        let item = doc.paths.paths.get_mut(&path).expect("collected from the document");
        let producer = match method {
            HttpMethod::Post => item.post.as_mut(),
            _ => item.put.as_mut(),
        };
        for (code, response) in producer.into_iter().flat_map(|o| o.responses.responses.iter_mut()) {
            if let (true, utoipa::openapi::RefOr::T(response)) = (code.starts_with('2'), response) {
                response.links.insert(name.clone(), utoipa::openapi::RefOr::T(link.clone()));
            }
        }
    }
}

/// Whether an operation's success answer is an object with an `id` (a schema of the document).
fn answers_an_id(doc: &utoipa::openapi::OpenApi, operation: &utoipa::openapi::path::Operation) -> bool {
    use utoipa::openapi::{RefOr, schema::Schema};
    let schemas = doc.components.as_ref().map(|c| &c.schemas);
    operation.responses.responses.iter().filter(|(code, _)| code.starts_with('2')).any(|(_, response)| {
        let RefOr::T(response) = response else { return false };
        let Some(RefOr::T(content)) = response.content.get("application/json") else { return false };
        let Some(RefOr::Ref(reference)) = &content.schema else { return false };
        let name = reference.ref_location.rsplit('/').next().unwrap_or_default();
        matches!(schemas.and_then(|s| s.get(name)), Some(RefOr::T(Schema::Object(o))) if o.properties.contains_key("id"))
    })
}

/// For `target` = `path/{p}`: `Some(Some(p))`; for `target` = `path` (the same item):
/// `Some(None)`; otherwise `None`.
fn item_parameter(path: &str, target: &str) -> Option<Option<String>> {
    if path == target {
        return Some(None);
    }
    let rest = target.strip_prefix(path)?.strip_prefix("/{")?.strip_suffix('}')?;
    (!rest.contains(['/', '{', '}'])).then(|| Some(rest.to_owned()))
}

/// The `{names}` of a path's parameters, in order.
fn parameters(path: &str) -> Vec<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).map(str::to_owned).collect()
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
