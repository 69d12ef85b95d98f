//! Agents' `unique_name`: given when an agent is created without one, and never shared by two
//! agents of a tenant. The check here reads the store and names the field; two writes racing
//! for the same name get past it together, and the store's unique index then refuses the
//! second with the same error.

use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::unique_name::{MAX_DRAWS, candidate, condition, taken};
use crate::error::{Error, Result};
use crate::proto::Agent;
use crate::store::{Store, Tx};

/// The stores the check runs on: the pool, or the transaction of an import.
pub(crate) trait Counts {
    async fn agents_named(&self, parent: &Parent, unique_name: &str) -> Result<u64>;
}

impl Counts for Store {
    async fn agents_named(&self, parent: &Parent, unique_name: &str) -> Result<u64> {
        self.count(ResourceKind::Agent, parent, &[condition(unique_name)]).await
    }
}

impl Counts for Tx {
    async fn agents_named(&self, parent: &Parent, unique_name: &str) -> Result<u64> {
        self.count(ResourceKind::Agent, parent, &[condition(unique_name)]).await
    }
}

/// A name no agent of the tenant has.
pub(crate) async fn fresh(store: &impl Counts, parent: &Parent) -> Result<String> {
    for attempt in 0..MAX_DRAWS {
        let name = candidate(attempt);
        if store.agents_named(parent, &name).await? == 0 {
            return Ok(name);
        }
    }
    Err(Error::internal("unique name", format!("{MAX_DRAWS} drawn names were all taken")))
}

/// On create: a given name must be free. (The xpander dialect, whose agents always have one,
/// draws a free one before it creates; other callers may leave it empty.)
pub async fn on_create(store: &Store, parent: &str, agent: &Agent) -> Result<()> {
    let Ok(parent) = Parent::parse(ResourceKind::Agent, parent, "parent") else {
        return Ok(()); // the create reports the parent
    };
    if !agent.unique_name.is_empty() && store.agents_named(&parent, &agent.unique_name).await? > 0 {
        return Err(taken());
    }
    Ok(())
}

/// On update of `unique_name` (named by the mask, or a full replace): the new one must be free
/// unless it is the agent's own.
pub async fn on_update(store: &Store, agent: &Agent, paths: &[String]) -> Result<()> {
    let replaces = paths.is_empty() || paths.iter().any(|p| p == "unique_name" || p == "uniqueName");
    let Ok(name) = ResourceName::parse(ResourceKind::Agent, &agent.name, "agent.name") else {
        return Ok(()); // the update reports the name
    };
    if !replaces || agent.unique_name.is_empty() {
        return Ok(());
    }
    let parent = name.parent();
    if store.agents_named(&parent, &agent.unique_name).await? == 0 {
        return Ok(());
    }
    let current: Agent = match store.get(&name).await {
        Ok(stored) => crate::service::resources::decode(stored)?,
        Err(_) => return Ok(()), // the update reports the missing agent
    };
    if current.unique_name == agent.unique_name { Ok(()) } else { Err(taken()) }
}
