//! List, search, get, upsert, patch and delete of any [`Kind`], in Emporix terms, onto the
//! kind's `AgentService` methods. Emporix paging walks List pages; an upsert or a patch
//! becomes an update whose mask names exactly the fields the Emporix body changes, so fields
//! the dialect cannot see (xpander settings, stored credentials) stay as they are.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use prost_reflect::ReflectMessage as _;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::FieldViolation;

use super::error::ApiError;
use super::expand;
use super::kinds::{Kind, ListPage};
use super::patch::{self, PatchOperation};
use super::schema::IdResponse;
use super::{
    ListParams, MetadataResponse, RestState, field_list, id_of, parent, positive, total_header, total_requested,
};
use crate::domain::bundle::dto::{self, Texts};
use crate::domain::bundle::fields::opt;
use crate::domain::page::MAX_SKIP;
use crate::domain::reflect::to_dynamic;
use crate::domain::wire::{Check, Field};
use serde::Deserialize as _;

/// Largest List page the service serves.
const MAX_PAGE: i32 = 1000;
/// Keys the dialect localizes.
pub(super) const LOCALIZED_KEYS: [&str; 2] = ["name", "description"];
/// Language of a localized text sent as a plain string without `Content-Language`.
const DEFAULT_LANGUAGE: &str = "en";

fn name_of<K: Kind>(tenant: &str, id: &str) -> String {
    format!("{}/{}/{id}", parent(tenant), K::COLLECTION)
}

/// The resource an Emporix object describes (read through the kind's DTO), or a 400 naming
/// every offending key.
pub(super) fn read<K: Kind>(value: &Value) -> Result<K::R, ApiError> {
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    let body: K::Dto = K::Dto::deserialize(value).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    read_body::<K>(body)
}

/// The resource a typed Emporix body describes, or a 400 naming every offending key.
pub(super) fn read_body<K: Kind>(body: K::Dto) -> Result<K::R, ApiError> {
    let mut c = Check::default();
    let resource = K::read(body, &mut c);
    if c.errs.is_empty() { Ok(resource) } else { Err(ApiError::violations(c.errs)) }
}

/// The Emporix JSON of a resource, as its DTO serializes.
pub(super) fn written<K: Kind>(id: &str, resource: &K::R) -> Value {
    serde_json::to_value(K::write(id, resource)).expect("a DTO always serializes")
}

/// The body a caller sees: the DTO without the `agentport` extension, with `metadata`, and
/// localized texts as asked for (before `expand` and the `fields` projection).
pub(super) fn render<K: Kind>(resource: &K::R, languages: &Languages) -> K::Dto {
    let identity = K::identity(resource);
    let mut body = K::write(id_of(identity.name), resource);
    let metadata = MetadataResponse::of(identity.revision, identity.created, identity.modified).map(|m| {
        dto::Metadata { version: opt(m.version), created_at: opt(m.created_at), modified_at: opt(m.modified_at) }
    });
    K::respond(&mut body, metadata.map_or(Field::Absent, Field::Given));
    for texts in K::texts(&mut body) {
        languages.pick(texts);
    }
    body
}

/// Shown bodies as the response: serialized straight from the DTOs, or, when `expand` or
/// `fields` reshape them, through JSON values.
async fn respond<K: Kind>(
    state: &RestState,
    headers: &HeaderMap,
    tenant: &str,
    (expansions, fields): (&[&'static expand::Expansion], &[String]),
    bodies: Vec<K::Dto>,
) -> Result<Vec<Shown<K::Dto>>, ApiError> {
    if expansions.is_empty() && fields.is_empty() {
        return Ok(bodies.into_iter().map(Shown::Typed).collect());
    }
    let mut values: Vec<Value> =
        bodies.iter().map(|body| serde_json::to_value(body).expect("a DTO always serializes")).collect();
    expand::apply(state, headers, &parent(tenant), expansions, &mut values).await?;
    Ok(values.into_iter().map(|value| Shown::Reshaped(project(value, fields))).collect())
}

/// One body of a response.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Shown<T> {
    Typed(T),
    Reshaped(Value),
}

/// Keeps `id` and the listed (dotted) fields.
fn project(value: Value, fields: &[String]) -> Value {
    let (false, Value::Object(source)) = (fields.is_empty(), &value) else {
        return value;
    };
    let mut out = Map::new();
    if let Some(id) = source.get("id") {
        out.insert("id".into(), id.clone());
    }
    for field in fields {
        copy_path(source, &mut out, &field.split('.').collect::<Vec<_>>());
    }
    Value::Object(out)
}

fn copy_path(source: &Map<String, Value>, out: &mut Map<String, Value>, path: &[&str]) {
    let [first, rest @ ..] = path else {
        return;
    };
    let Some(value) = source.get(*first) else {
        return;
    };
    match (rest.is_empty(), value) {
        (true, _) => {
            out.insert((*first).to_owned(), value.clone());
        }
        (false, Value::Object(inner)) => {
            let entry = out.entry(*first).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(target) = entry {
                copy_path(inner, target, rest);
            }
        }
        (false, _) => {}
    }
}

/// `Accept-Language`: every language (maps), or the wanted ones in order (strings).
pub enum Languages {
    All,
    Wanted(Vec<String>),
}

impl Languages {
    pub fn accepted(headers: &HeaderMap) -> Self {
        let tags = language_tags(headers.get("accept-language").and_then(|v| v.to_str().ok()));
        if tags.is_empty() || tags.iter().any(|t| t == "*") { Languages::All } else { Languages::Wanted(tags) }
    }

    /// Replaces a localized map by the text of the first wanted language it has; a map with
    /// none of them is left out.
    fn pick(&self, field: &mut Field<Texts>) {
        let (Languages::Wanted(wanted), Field::Given(Texts::Map(texts))) = (self, &*field) else {
            return;
        };
        let text = wanted.iter().find_map(|tag| {
            let primary = tag.split('-').next().unwrap_or(tag);
            texts
                .iter()
                .find(|(language, _)| language.eq_ignore_ascii_case(tag))
                .or_else(|| texts.iter().find(|(language, _)| language.eq_ignore_ascii_case(primary)))
                .map(|(_, text)| text.clone())
        });
        *field = match text {
            Some(Field::Given(text)) => Field::Given(Texts::Text(text)),
            Some(_) => Field::Null,
            None => Field::Absent,
        };
    }
}

/// Language tags of an `Accept-Language` or `Content-Language` value, quality weights dropped.
fn language_tags(header: Option<&str>) -> Vec<String> {
    header
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `Content-Language`: `None` for `*` or absent (texts are maps), else the language of texts
/// sent as strings.
fn content_language(headers: &HeaderMap) -> Option<String> {
    let tags = language_tags(headers.get("content-language").and_then(|v| v.to_str().ok()));
    tags.into_iter().find(|t| t != "*")
}

/// Turns localized texts sent as strings into maps: under the `Content-Language` (merged
/// into the current texts, which are taken out of `current`) or, without one, under the
/// default language.
fn localize_input<K: Kind>(body: &mut K::Dto, current: Option<&mut K::Dto>, language: Option<&str>) {
    let mut current_texts = current.map(K::texts).unwrap_or_default().into_iter();
    for field in K::texts(body) {
        let now = current_texts.next();
        let Field::Given(Texts::Text(text)) = field else {
            continue;
        };
        let mut texts = match (language, now) {
            (Some(_), Some(Field::Given(Texts::Map(texts)))) => std::mem::take(texts),
            _ => BTreeMap::new(),
        };
        texts.insert(language.unwrap_or(DEFAULT_LANGUAGE).to_owned(), Field::Given(std::mem::take(text)));
        *field = Field::Given(Texts::Map(texts));
    }
}

/// GET list and POST search: a plain JSON array, `X-Total-Count` when asked for. Page
/// `pageNumber` of `pageSize` items (default: the largest page, 1000) in `sort` order (then
/// id), read as one page of the store with an offset; the total is one COUNT. `q` and `sort`
/// are the service's Emporix query on the kind's Emporix fields.
pub async fn list<K: Kind>(
    state: RestState,
    headers: HeaderMap,
    tenant: String,
    params: ListParams,
) -> Result<Response, ApiError> {
    let expansions = expand::parse::<K>(params.expand.as_deref())?;
    let size = positive("pageSize", params.page_size.as_deref())?.unwrap_or(MAX_PAGE);
    if size > MAX_PAGE {
        return Err(ApiError::invalid("pageSize", format!("must be at most {MAX_PAGE}")));
    }
    let number = positive("pageNumber", params.page_number.as_deref())?.unwrap_or(1);
    let skip = i64::from(number - 1) * i64::from(size);
    let skip = i32::try_from(skip).ok().filter(|s| *s as u64 <= MAX_SKIP).ok_or_else(|| {
        ApiError::invalid("pageNumber", format!("reaches past the {MAX_SKIP}th item; narrow the query with q"))
    })?;
    let with_total = total_requested(&headers);
    let query =
        ListPage { size, skip, q: params.q.unwrap_or_default(), sort: params.sort.unwrap_or_default(), with_total };
    let (items, total) = K::list(&state, &headers, parent(&tenant), query).await?;
    let languages = Languages::accepted(&headers);
    let fields = field_list(params.fields.as_deref());
    let bodies = items.iter().map(|r| render::<K>(r, &languages)).collect();
    let body = respond::<K>(&state, &headers, &tenant, (&expansions, &fields), bodies).await?;
    Ok(match total {
        Some(total) => ([total_header(total)], Json(body)).into_response(),
        None => Json(body).into_response(),
    })
}

pub async fn get<K: Kind>(
    state: RestState,
    headers: HeaderMap,
    tenant: String,
    id: String,
    fields: Option<String>,
    expand: Option<String>,
) -> Result<Response, ApiError> {
    let expansions = expand::parse::<K>(expand.as_deref())?;
    let resource = K::get(&state, &headers, name_of::<K>(&tenant, &id)).await?;
    let body = render::<K>(&resource, &Languages::accepted(&headers));
    let fields = field_list(fields.as_deref());
    let mut shown = respond::<K>(&state, &headers, &tenant, (&expansions, &fields), vec![body]).await?;
    Ok(Json(shown.pop().expect("one body in, one out")).into_response())
}

/// `metadata.version` of a body, if any.
fn version_of(metadata: Field<dto::Metadata>) -> Result<Option<i64>, ApiError> {
    let mut c = Check::default();
    let version = c
        .take("metadata", "", metadata)
        .and_then(|metadata| c.within("metadata", "", |c| c.take("version", "", metadata.version)));
    if c.errs.is_empty() { Ok(version) } else { Err(ApiError::violations(c.errs)) }
}

/// Refuses a body with any of `violations`.
fn refuse_any(violations: Vec<FieldViolation>) -> Result<(), ApiError> {
    if violations.is_empty() { Ok(()) } else { Err(ApiError::violations(violations)) }
}

/// PUT: creates (201 `{id}`) or replaces what the Emporix shape shows (204). A
/// `metadata.version` makes the replacement conditional (stale: 409).
pub async fn put<K: Kind>(
    state: RestState,
    headers: HeaderMap,
    tenant: String,
    id: String,
    mut body: K::Dto,
    force: bool,
) -> Result<Response, ApiError> {
    let version = version_of(K::strip(&mut body))?;
    refuse_any(K::missing(&body))?;
    let name = name_of::<K>(&tenant, &id);
    let current = match K::current(&state, &headers, name.clone()).await {
        Ok(current) => Some(current),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    let language = content_language(&headers);
    let Some(current) = current else {
        let resource = read_new::<K>(body, language.as_deref())?;
        K::create(&state, &headers, parent(&tenant), id.clone(), resource).await?;
        return Ok((StatusCode::CREATED, Json(IdResponse { id })).into_response());
    };
    refuse_any(K::fixed(&body))?;
    let mut before = K::write(&id, &current);
    let old = read_body::<K>(before.clone())?;
    localize_input::<K>(&mut body, Some(&mut before), language.as_deref());
    K::keep(&mut body, before);
    let etag = match version {
        Some(version) => version.to_string(),
        None => K::identity(&current).etag.to_owned(),
    };
    update::<K>(&state, &headers, name, old, read_body::<K>(body)?, etag, force).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The resource a PUT creates from `body` (already without `id` and `metadata`): localized
/// strings under `language`, the kind's defaults filled in, every rule of a new resource met.
pub(super) fn read_new<K: Kind>(mut body: K::Dto, language: Option<&str>) -> Result<K::R, ApiError> {
    localize_input::<K>(&mut body, None, language);
    K::defaults(&mut body);
    let resource = read_body::<K>(body)?;
    let mut violations = K::rules(&resource);
    violations.extend(K::create_rules(&resource));
    refuse_any(violations)?;
    Ok(resource)
}

/// PATCH: the operations applied to the current Emporix JSON, then stored like a PUT of it.
pub async fn patch<K: Kind>(
    state: RestState,
    headers: HeaderMap,
    tenant: String,
    id: String,
    mut operations: Vec<PatchOperation>,
    force: bool,
) -> Result<StatusCode, ApiError> {
    let name = name_of::<K>(&tenant, &id);
    let current = K::current(&state, &headers, name.clone()).await?;
    let before = written::<K>(&id, &current);
    if K::LOCALIZED {
        let language = content_language(&headers).unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
        patch::localize(&mut operations, &LOCALIZED_KEYS, &language);
    }
    let mut after = before.clone();
    patch::apply(&mut after, &operations, K::PATCHABLE)?;
    let new = read::<K>(&after)?;
    // A path the Emporix shape has no place for would be dropped silently when read.
    patch::check_kept(&written::<K>(&id, &new), &operations)?;
    let etag = K::identity(&current).etag.to_owned();
    update::<K>(&state, &headers, name, read::<K>(&before)?, new, etag, force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Updates the resource from `old` to `new` (both read from Emporix bodies), masking the
/// canonical fields that differ between the two readings (and `display_name`, so that an
/// update with no change still checks the etag and counts a version).
async fn update<K: Kind>(
    state: &RestState,
    headers: &HeaderMap,
    name: String,
    old: K::R,
    mut new: K::R,
    etag: String,
    force: bool,
) -> Result<(), ApiError> {
    refuse_any(K::rules(&new))?;
    let (old_fields, new_fields) = (to_dynamic(&old), to_dynamic(&new));
    let mut mask = vec!["display_name".to_owned()];
    for field in new_fields.descriptor().fields() {
        let changed = old_fields.get_field(&field) != new_fields.get_field(&field);
        if changed && field.name() != "display_name" && !K::IMMUTABLE.contains(&field.name()) {
            mask.push(field.name().to_owned());
        }
    }
    K::target(&mut new, name, etag);
    K::update(state, headers, new, mask, force).await?;
    Ok(())
}

/// DELETE. A resource others use is refused (details type `force`) unless `force`.
pub async fn delete<K: Kind>(
    state: RestState,
    headers: HeaderMap,
    tenant: String,
    id: String,
    force: bool,
) -> Result<StatusCode, ApiError> {
    let name = name_of::<K>(&tenant, &id);
    K::delete(&state, &headers, name, force).await?;
    Ok(StatusCode::NO_CONTENT)
}
