//! An export's dependency closure: the named agents, their collaboration and sub-agents
//! recursively, and every tool, MCP server and knowledge base (with documents) they use.
//! Read in batches: one query per kind and level of the walk (and chunk of ids), never one
//! per id, so an agent with many collaborations costs a few queries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::agent_graph::sub_agent_ids;
use crate::domain::bundle::{Bundle, BundledKnowledgeBase, Entry};
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::page::MAX_PAGE_SIZE;
use crate::domain::resource::Resource;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Tool, tool};
use crate::service::resources::decode;
use crate::store::Store;

pub(crate) async fn load<R: Resource>(store: &Store, tenant: &str, id: &str) -> Result<Option<R>> {
    let name = ResourceName::new(&Parent::tenant(tenant), R::KIND, id);
    match store.get(&name).await {
        Ok(stored) => Ok(Some(exported(decode(stored)?))),
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The resources of `R`'s kind among `ids` that the tenant holds, by id: one query per chunk.
pub(crate) async fn load_many<R: Resource>(store: &Store, tenant: &str, ids: &[String]) -> Result<BTreeMap<String, R>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut found = BTreeMap::new();
    for stored in store.get_many(tenant, R::KIND, ids).await? {
        let id = stored.name.id.clone();
        found.insert(id, exported(decode(stored)?));
    }
    Ok(found)
}

/// A resource as it travels: no identity, no computed counts.
fn exported<R: Resource>(mut resource: R) -> R {
    resource.clear_identity();
    resource.set_child_count(0);
    resource
}

/// A reference to something the tenant does not hold travels as a reference only (the
/// importer reports it, like a Slack tool that must be created by hand).
fn dangling(kind: &str, id: &str, referrer: &str) {
    tracing::debug!(kind, id, referrer, "exporting a reference to a missing dependency");
}

/// Ids wanted by referrers, in first-seen order, each with the first referrer (for the log).
#[derive(Default)]
struct Wanted {
    ids: Vec<String>,
    referrer: HashMap<String, String>,
}

impl Wanted {
    fn add(&mut self, id: &str, referrer: &str) {
        if !id.is_empty() && !self.referrer.contains_key(id) {
            self.referrer.insert(id.to_owned(), referrer.to_owned());
            self.ids.push(id.to_owned());
        }
    }

    /// Loads the wanted resources, logging those the tenant lacks.
    async fn load<R: Resource>(&self, store: &Store, tenant: &str, kind: &str) -> Result<BTreeMap<String, R>> {
        let found = load_many::<R>(store, tenant, &self.ids).await?;
        for id in self.ids.iter().filter(|id| !found.contains_key(*id)) {
            dangling(kind, id, &self.referrer[id]);
        }
        Ok(found)
    }
}

pub async fn collect(store: &Store, tenant: &str, agent_ids: &[String], max_depth: usize) -> Result<Bundle> {
    let mut agents: BTreeMap<String, Agent> = load_many(store, tenant, agent_ids).await?;
    let missing: Vec<String> = agent_ids.iter().filter(|id| !agents.contains_key(*id)).cloned().collect();
    if !missing.is_empty() {
        let listed = missing.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ");
        return Err(Error::new(ErrorCode::NotFound, format!("agents not found in tenant `{tenant}`: {listed}"))
            .with_meta("missingIds", missing.join(",")));
    }

    // Breadth-first over sub-agents, a level at a time; depth counts hand-offs from a requested agent.
    let mut level: Vec<String> = agent_ids.to_vec();
    let mut depth = 0;
    while !level.is_empty() {
        let mut wanted = Wanted::default();
        for id in &level {
            for sub in sub_agent_ids(&agents[id]) {
                if agents.contains_key(sub) {
                    continue;
                }
                if depth + 1 > max_depth {
                    return Err(Error::new(
                        ErrorCode::SubAgentDepthExceeded,
                        format!("sub-agents of `{id}` nest deeper than the limit of {max_depth}"),
                    )
                    .with_meta("agent", id.clone()));
                }
                wanted.add(sub, id);
            }
        }
        let mut found = wanted.load::<Agent>(store, tenant, "agent").await?;
        level = wanted.ids.into_iter().filter(|id| found.contains_key(id)).collect();
        for id in &level {
            agents.insert(id.clone(), found.remove(id).expect("found"));
        }
        depth += 1;
    }

    let (mut tools, servers, knowledge_bases) = dependencies(store, tenant, &agents, true).await?;
    // Functions that dynamic MCP tools invoke travel along when they are custom-function tools here.
    let function_ids: Vec<String> = servers
        .values()
        .flat_map(|s| s.tools.iter().map(|t| t.function_id.clone()))
        .filter(|id| !id.is_empty() && !tools.contains_key(id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (id, function) in load_many::<Tool>(store, tenant, &function_ids).await? {
        if matches!(function.config, Some(tool::Config::CustomFunction(_))) {
            tools.insert(id, function);
        }
    }

    let kb_ids: Vec<String> = knowledge_bases.keys().cloned().collect();
    let mut documents = documents(store, tenant, &kb_ids).await?;
    let bundled_kbs = knowledge_bases
        .into_iter()
        .map(|(id, knowledge_base)| BundledKnowledgeBase {
            documents: documents.remove(&id).unwrap_or_default(),
            id,
            knowledge_base,
        })
        .collect();
    Ok(Bundle {
        agents: agents.into_iter().map(|(id, value)| Entry { id, value }).collect(),
        tools: tools.into_iter().map(|(id, value)| Entry { id, value }).collect(),
        mcp_servers: servers.into_iter().map(|(id, value)| Entry { id, value }).collect(),
        knowledge_bases: bundled_kbs,
        warnings: Vec::new(),
    })
}

/// What `agents` use: tools, MCP servers and (when asked) knowledge bases the tenant holds,
/// one query per kind (and chunk of ids).
pub(crate) type Dependencies = (BTreeMap<String, Tool>, BTreeMap<String, McpServer>, BTreeMap<String, KnowledgeBase>);

pub(crate) async fn dependencies(
    store: &Store,
    tenant: &str,
    agents: &BTreeMap<String, Agent>,
    with_knowledge_bases: bool,
) -> Result<Dependencies> {
    let (mut tools, mut servers, mut bases) = (Wanted::default(), Wanted::default(), Wanted::default());
    for (agent_id, agent) in agents {
        for id in agent.tools.iter().map(|t| &t.tool_id) {
            tools.add(id, agent_id);
        }
        for id in agent.mcp_servers.iter().map(|m| &m.mcp_server_id) {
            servers.add(id, agent_id);
        }
        if with_knowledge_bases {
            for id in agent.knowledge_bases.iter().map(|k| &k.knowledge_base_id) {
                bases.add(id, agent_id);
            }
        }
    }
    Ok((
        tools.load(store, tenant, "tool").await?,
        servers.load(store, tenant, "MCP server").await?,
        bases.load(store, tenant, "knowledge base").await?,
    ))
}

/// Every document of each knowledge base in `kb_ids`, in id order, by knowledge base: pages of
/// the documents of many knowledge bases at once.
pub(crate) async fn documents(
    store: &Store,
    tenant: &str,
    kb_ids: &[String],
) -> Result<BTreeMap<String, Vec<Entry<Document>>>> {
    let mut out: BTreeMap<String, Vec<Entry<Document>>> = BTreeMap::new();
    for parents in kb_ids.chunks(MAX_PAGE_SIZE as usize) {
        let mut after = None;
        loop {
            let rows = store.children_page(tenant, ResourceKind::Document, parents, after, MAX_PAGE_SIZE).await?;
            let full = rows.len() as u64 == MAX_PAGE_SIZE;
            after = rows.last().map(|r| (r.name.parent_id.clone(), r.name.id.clone()));
            for row in rows {
                let (kb, id) = (row.name.parent_id.clone(), row.name.id.clone());
                let document: Document = exported(decode(row)?);
                out.entry(kb).or_default().push(Entry { id, value: document });
            }
            if !full {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
