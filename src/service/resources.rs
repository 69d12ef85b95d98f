//! Create, read, list, update and delete for every resource kind, one generic code path.

use prost_types::FieldMask;

use crate::domain::clock::now_micros;
use crate::domain::names::{Parent, ResourceKind, ResourceName, check_id};
use crate::domain::query::{self, resources};
use crate::domain::references;
use crate::domain::resource::{Resource, revision_of};
use crate::domain::{field_mask, filter, json, page, reflect, secrets};
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{Agent, McpServer, Tool};
use crate::service::sealing;
use crate::store::doc_query_sql::DocQuery;
use crate::store::{Sealer, Store, StoredDocument, Tx};

/// What a List request asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListQuery<'a> {
    pub parent: &'a str,
    pub page_size: i32,
    pub page_token: &'a str,
    /// Items to leave out after the token's position (offset pages).
    pub skip: i32,
    pub filter: &'a str,
    /// Also count every match.
    pub include_total: bool,
    /// Emporix `q` and `sort` (agents, tools, MCP servers and secrets only).
    pub q: &'a str,
    pub sort: &'a str,
}

/// One page of a List.
#[derive(Debug, Clone)]
pub struct Listed<R> {
    pub items: Vec<R>,
    /// Empty on the last page.
    pub next_page_token: String,
    /// Every match, when the query asked for it.
    pub total_size: Option<u64>,
}

impl<R> Listed<R> {
    /// `total_size` as the List responses carry it (0 when not asked for).
    pub fn total(&self) -> i64 {
        self.total_size.map_or(0, |n| n as i64)
    }
}

#[derive(Clone)]
pub struct ResourceService {
    store: Store,
}

impl ResourceService {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn create<R: Resource>(&self, parent: &str, id: &str, resource: Option<R>) -> Result<R> {
        let (name, mut resource) = prepare_create(parent, id, resource)?;
        let sealer = sealing::sealer_for(&self.store, &name.tenant, [&resource]).await?;
        let body = sealing::to_body(&sealer, &name, &resource)?;
        let meta = self.store.insert(&name, &resource.label(), &body, now_micros()).await?;
        resource.set_identity(&name, &meta);
        Ok(reveal(resource))
    }

    pub async fn get<R: Resource>(&self, name: &str) -> Result<R> {
        let name = ResourceName::parse(R::KIND, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        let stored = self.store.get(&name).await?;
        let mut resource = decode::<R>(stored)?;
        self.show_children(&mut resource, &name).await?;
        Ok(reveal(resource))
    }

    /// One page of a List: one bounded query for the items and, when asked, one COUNT.
    pub async fn list<R: Resource>(&self, query: ListQuery<'_>) -> Result<Listed<R>> {
        let parent = Parent::parse(R::KIND, query.parent, "parent").map_err(|v| Error::invalid(vec![v]))?;
        let conditions = filter::parse(&reflect::descriptor::<R>(), query.filter)?;
        let (q, sort) = emporix_query(R::KIND, query.q, query.sort)?;
        let doc = DocQuery { fields: resources::fields_of(R::KIND).unwrap_or_default(), conditions: &q, sort: &sort };
        // `q` and `sort` join the fingerprint only when given, so earlier tokens stay valid.
        let mut defined = vec![parent.display(R::KIND), query.filter.to_owned()];
        if !(query.q.is_empty() && query.sort.is_empty()) {
            defined.extend([query.q.to_owned(), query.sort.to_owned()]);
        }
        let fingerprint = page::fingerprint(&defined.iter().map(String::as_str).collect::<Vec<_>>());
        // Sorted lists page by position: a token then holds an offset, not the last id.
        let by_position = !sort.is_empty();
        let page = page::request(query.page_size, query.page_token, query.skip, &fingerprint)?;
        if by_position && page.after.is_some() {
            return Err(page::bad_token());
        }
        let mut rows = self.store.list_queried(R::KIND, &parent, &conditions, &doc, &page).await?;
        let next_page_token = match by_position {
            true => page::split_by_position(&mut rows, &page, &fingerprint),
            false => page::split(&mut rows, &page, &fingerprint, |r| &r.name.id),
        };
        let total_size = match query.include_total {
            true => Some(self.store.count_queried(R::KIND, &parent, &conditions, &doc).await?),
            false => None,
        };
        let counts = match R::child_kind() {
            Some(kind) => {
                let ids: Vec<String> = rows.iter().map(|r| r.name.id.clone()).collect();
                self.store.count_children_of(&parent.tenant, kind, &ids).await?
            }
            None => Default::default(),
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let count = counts.get(&row.name.id).copied().unwrap_or(0);
            let mut resource = decode::<R>(row)?;
            resource.set_child_count(count);
            items.push(reveal(resource));
        }
        Ok(Listed { items, next_page_token, total_size })
    }

    /// Applies an update. Without an etag the last writer wins: a change that lands between
    /// our read and write makes us read again and re-apply the mask, never fail. With an etag,
    /// a stale one is refused.
    pub async fn update<R: Resource>(&self, resource: Option<R>, mask: Option<FieldMask>) -> Result<R> {
        let update = resource.ok_or_else(|| Error::invalid_field(R::FIELD, "is required"))?;
        let name_field = format!("{}.name", R::FIELD);
        let name = ResourceName::parse(R::KIND, update.name(), &name_field).map_err(|v| Error::invalid(vec![v]))?;
        let paths = mask.map(|m| m.paths).unwrap_or_default();
        let mut attempt = 0u32;
        loop {
            match self.update_once(&name, &update, &paths).await {
                Err(e) if e.code == ErrorCode::ConcurrentModification && update.etag().is_empty() => {
                    attempt += 1;
                    // Writers that collided retry at spread-out times instead of together.
                    let spread = u64::from(attempt.min(8)) * (1 + now_micros().unsigned_abs() % 5);
                    tokio::time::sleep(std::time::Duration::from_millis(spread)).await;
                }
                Err(e) if e.code == ErrorCode::ConcurrentModification => {
                    return Err(Error::etag_mismatch(&name.to_string()));
                }
                other => return other,
            }
        }
    }

    /// An update of a component agents switch on and off (a tool, an MCP server). Disabling
    /// one that enabled agents use is refused with RESOURCE_IN_USE unless `force`, which
    /// disables those agents in the same transaction.
    pub async fn update_switch<R: Resource + Switch>(
        &self,
        resource: Option<R>,
        mask: Option<FieldMask>,
        force: bool,
    ) -> Result<R> {
        let update = resource.ok_or_else(|| Error::invalid_field(R::FIELD, "is required"))?;
        let name_field = format!("{}.name", R::FIELD);
        let name = ResourceName::parse(R::KIND, update.name(), &name_field).map_err(|v| Error::invalid(vec![v]))?;
        let paths = mask.map(|m| m.paths).unwrap_or_default();
        let current = decode::<R>(self.store.get(&name).await?)?;
        let merged = field_mask::apply(&current, &update, &paths, R::FIELD).map_err(Error::invalid)?;
        if !current.switched_on() || merged.switched_on() {
            return self.update(Some(update), Some(FieldMask { paths })).await;
        }
        // Before the transaction: a tenant's first data key is committed on its own.
        let sealer = sealing::sealer_for(&self.store, &name.tenant, [&merged]).await?;
        let tx = self.store.begin().await?;
        let users = enabled_agents_using(&tx, &name).await?;
        if users.is_empty() {
            drop(tx);
            return self.update(Some(update), Some(FieldMask { paths })).await;
        }
        if !force {
            let listed: Vec<String> = users.iter().map(|(agent_name, _)| agent_name.to_string()).collect();
            return Err(Error::new(
                ErrorCode::ResourceInUse,
                format!(
                    "{name} is used by the enabled agents {}; disable it with force to disable them too",
                    listed.join(", ")
                ),
            )
            .with_meta("resource", name.to_string())
            .with_meta("referrers", listed.join(",")));
        }
        let now = now_micros();
        for (agent_name, mut agent) in users {
            agent.status = crate::proto::AgentStatus::Inactive as i32;
            rewrite(&tx, &sealer, &agent_name, agent, now).await?;
        }
        let stored = tx.get(&name).await?;
        let revision = stored.meta.revision;
        if !update.etag().is_empty() && revision_of(update.etag()) != Some(revision) {
            return Err(Error::etag_mismatch(&name.to_string()));
        }
        let mut merged = field_mask::apply(&decode::<R>(stored)?, &update, &paths, R::FIELD).map_err(Error::invalid)?;
        merged.clear_identity();
        merged.apply_defaults();
        let violations: Vec<_> = merged.violations().into_iter().map(|v| v.scope(R::FIELD)).collect();
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        let meta =
            tx.update(&name, revision, &merged.label(), &sealing::to_body(&sealer, &name, &merged)?, now).await?;
        tx.commit().await?;
        tracing::info!(resource = %name, "disabled with force, and the agents using it");
        merged.set_identity(&name, &meta);
        Ok(reveal(merged))
    }

    /// One read-merge-write of an update, conditional on the revision it read.
    async fn update_once<R: Resource>(&self, name: &ResourceName, update: &R, paths: &[String]) -> Result<R> {
        let stored = self.store.get(name).await?;
        let revision = stored.meta.revision;
        if !update.etag().is_empty() && revision_of(update.etag()) != Some(revision) {
            return Err(Error::etag_mismatch(&name.to_string()));
        }
        let current = decode::<R>(stored)?;
        let mut merged = field_mask::apply(&current, update, paths, R::FIELD).map_err(Error::invalid)?;
        merged.clear_identity();
        merged.set_child_count(0);
        merged.apply_defaults();
        let violations: Vec<_> = merged.violations().into_iter().map(|v| v.scope(R::FIELD)).collect();
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        let sealer = sealing::sealer_for(&self.store, &name.tenant, [&merged]).await?;
        let body = sealing::to_body(&sealer, name, &merged)?;
        let meta = self.store.update(name, revision, &merged.label(), &body, now_micros()).await?;
        merged.set_identity(name, &meta);
        self.show_children(&mut merged, name).await?;
        Ok(reveal(merged))
    }

    /// Deletes a resource. One that others still refer to is refused unless `force`, which
    /// removes those references and disables the referrers in the same transaction.
    pub async fn delete<R: Resource>(&self, name: &str, etag: &str, force: bool) -> Result<()> {
        let name = ResourceName::parse(R::KIND, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        let expected = match etag {
            "" => None,
            tag => Some(revision_of(tag).ok_or_else(|| Error::etag_mismatch(&name.to_string()))?),
        };
        if !force {
            let named = self.store.referrers(&name, None, NAMED_REFERRERS).await?;
            if named.is_empty() {
                return self.store.delete(&name, expected).await;
            }
            return Err(self.in_use(&name, &named).await?);
        }
        // The referrers' secrets are sealed already: the tenant's data key exists if needed.
        let sealer = self.store.keyring().sealer(&name.tenant, false).await?;
        let tx = self.store.begin().await?;
        let now = now_micros();
        let (mut released, mut after) = (0usize, None);
        loop {
            let batch = tx.referrers(&name, after.clone(), RELEASE_BATCH).await?;
            let Some(last) = batch.last().cloned() else { break };
            for referrer in load_referrers(&tx, &name.tenant, batch).await? {
                referrer.let_go(&tx, &sealer, &name, now).await?;
                released += 1;
            }
            after = Some(last);
        }
        tx.delete(&name, expected).await?;
        tx.commit().await?;
        tracing::info!(resource = %name, released, "deleted with force");
        Ok(())
    }

    /// RESOURCE_IN_USE naming the first referrers and how many there are in all.
    async fn in_use(&self, name: &ResourceName, named: &[(ResourceKind, String)]) -> Result<Error> {
        let total = self.store.count_referrers(name).await?;
        let listed: Vec<String> = named
            .iter()
            .map(|(kind, id)| ResourceName::new(&Parent::tenant(name.tenant.clone()), *kind, id).to_string())
            .collect();
        let more = match total.saturating_sub(listed.len() as u64) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        Ok(Error::new(
            ErrorCode::ResourceInUse,
            format!("{name} is used by {}{more}; delete with force to remove those references", listed.join(", ")),
        )
        .with_meta("resource", name.to_string())
        .with_meta("referrers", listed.join(","))
        .with_meta("referrer_count", total.to_string()))
    }

    async fn show_children<R: Resource>(&self, resource: &mut R, name: &ResourceName) -> Result<()> {
        if let Some(kind) = R::child_kind() {
            resource.set_child_count(self.store.count_children(name, kind).await?);
        }
        Ok(())
    }
}

/// Checks a create request: the new resource's name (an id minted when none is given) and the
/// resource with defaults applied, or every violation at once.
pub(crate) fn prepare_create<R: Resource>(parent: &str, id: &str, resource: Option<R>) -> Result<(ResourceName, R)> {
    let mut violations = Vec::new();
    let parent = Parent::parse(R::KIND, parent, "parent").map_err(|v| violations.push(v)).ok();
    let id_field = format!("{}_id", R::FIELD);
    let id = if id.is_empty() {
        Some(uuid::Uuid::now_v7().to_string())
    } else {
        check_id(id, &id_field).map_err(|v| violations.push(v)).ok()
    };
    let Some(mut resource) = resource else {
        violations.push(crate::error::FieldViolation::new(R::FIELD, "is required"));
        return Err(Error::invalid(violations));
    };
    resource.clear_identity();
    resource.set_child_count(0);
    resource.apply_defaults();
    violations.extend(resource.violations().into_iter().map(|v| v.scope(R::FIELD)));
    let (Some(parent), Some(id), true) = (parent, id, violations.is_empty()) else {
        return Err(Error::invalid(violations));
    };
    Ok((ResourceName::new(&parent, R::KIND, id), resource))
}

/// Rebuilds a resource from its stored document.
pub(crate) fn decode<R: Resource>(stored: StoredDocument) -> Result<R> {
    let mut resource: R =
        json::from_json(&stored.body).map_err(|e| Error::internal(&format!("decode stored {}", stored.name), e))?;
    resource.set_identity(&stored.name, &stored.meta);
    Ok(resource)
}

/// `q` and `sort` parsed against the Emporix fields of `kind`; kinds without them take neither.
fn emporix_query(kind: ResourceKind, q: &str, sort: &str) -> Result<(Vec<query::Condition>, Vec<query::SortKey>)> {
    let Some(fields) = resources::fields_of(kind) else {
        let given = [("q", q), ("sort", sort)].into_iter().find(|(_, v)| !v.trim().is_empty());
        return match given {
            Some((field, _)) => Err(Error::invalid_field(field, format!("{}s take no {field}", kind.as_str()))),
            None => Ok((Vec::new(), Vec::new())),
        };
    };
    let specs = resources::specs(fields);
    Ok((query::parse(q, &specs)?.conditions, query::parse_sort(sort, &specs)?))
}

/// What a caller may see of a resource: everything but its secrets.
pub(crate) fn reveal<R: Resource>(mut resource: R) -> R {
    secrets::scrub(&mut resource);
    resource
}

/// A component agents switch on and off.
pub trait Switch {
    fn switched_on(&self) -> bool;
}

impl Switch for Tool {
    fn switched_on(&self) -> bool {
        self.enabled
    }
}

impl Switch for McpServer {
    fn switched_on(&self) -> bool {
        self.enabled
    }
}

/// The enabled agents that refer to `target`, each with its name.
async fn enabled_agents_using(tx: &Tx, target: &ResourceName) -> Result<Vec<(ResourceName, Agent)>> {
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let batch = tx.referrers(target, after.clone(), RELEASE_BATCH).await?;
        let Some(last) = batch.last().cloned() else { break };
        let ids: Vec<String> =
            batch.into_iter().filter(|(kind, _)| *kind == ResourceKind::Agent).map(|(_, id)| id).collect();
        for row in tx.get_many(&target.tenant, ResourceKind::Agent, &ids).await? {
            let name = row.name.clone();
            let agent: Agent = decode(row)?;
            if agent.status == crate::proto::AgentStatus::Active as i32 {
                found.push((name, agent));
            }
        }
        after = Some(last);
    }
    Ok(found)
}

/// Most referrers a RESOURCE_IN_USE refusal names.
const NAMED_REFERRERS: u64 = 20;
/// Referrers a forced delete reads and rewrites at a time.
const RELEASE_BATCH: u64 = 200;

/// The referrers of one batch, read with one query per kind.
async fn load_referrers(tx: &Tx, tenant: &str, batch: Vec<(ResourceKind, String)>) -> Result<Vec<Referrer>> {
    let mut out = Vec::with_capacity(batch.len());
    for kind in [ResourceKind::Agent, ResourceKind::Tool, ResourceKind::McpServer] {
        let ids: Vec<String> = batch.iter().filter(|(k, _)| *k == kind).map(|(_, id)| id.clone()).collect();
        if ids.is_empty() {
            continue;
        }
        for row in tx.get_many(tenant, kind, &ids).await? {
            let name = row.name.clone();
            out.push(match kind {
                ResourceKind::Agent => Referrer::Agent(name, Box::new(decode(row)?)),
                ResourceKind::Tool => Referrer::Tool(name, decode(row)?),
                _ => Referrer::McpServer(name, decode(row)?),
            });
        }
    }
    Ok(out)
}

/// A resource that refers to one being deleted.
enum Referrer {
    Agent(ResourceName, Box<Agent>),
    Tool(ResourceName, Tool),
    McpServer(ResourceName, McpServer),
}

impl Referrer {
    /// Removes the reference to `deleted`, disables the referrer, and writes it.
    async fn let_go(self, tx: &Tx, sealer: &Sealer, deleted: &ResourceName, now: i64) -> Result<()> {
        match self {
            Referrer::Agent(name, mut agent) => {
                references::agent_let_go(&mut agent, deleted.kind, &deleted.id);
                rewrite(tx, sealer, &name, *agent, now).await
            }
            Referrer::Tool(name, mut tool) => {
                references::tool_let_go(&mut tool, &deleted.id);
                rewrite(tx, sealer, &name, tool, now).await
            }
            Referrer::McpServer(name, mut server) => {
                references::mcp_server_let_go(&mut server, &deleted.id);
                rewrite(tx, sealer, &name, server, now).await
            }
        }
    }
}

/// Writes a changed resource at its current revision (a concurrent change aborts the delete).
async fn rewrite<R: Resource>(tx: &Tx, sealer: &Sealer, name: &ResourceName, mut resource: R, now: i64) -> Result<()> {
    let revision = resource_revision(&resource);
    resource.clear_identity();
    resource.set_child_count(0);
    tx.update(name, revision, &resource.label(), &sealing::to_body(sealer, name, &resource)?, now).await?;
    Ok(())
}

fn resource_revision<R: Resource>(resource: &R) -> i64 {
    revision_of(resource.etag()).unwrap_or_default()
}
