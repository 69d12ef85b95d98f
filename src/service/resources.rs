//! Create, read, list, update and delete for every resource kind, one generic code path.

use prost_types::FieldMask;

use crate::domain::clock::now_micros;
use crate::domain::names::{Parent, ResourceName, check_id};
use crate::domain::resource::{Resource, revision_of};
use crate::domain::{field_mask, filter, json, page, reflect, secrets};
use crate::error::{Error, Result};
use crate::store::{Store, StoredDocument};

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
        let name = ResourceName::new(&parent, R::KIND, id);
        let meta = self.store.insert(&name, &resource.label(), &json::to_json(&resource), now_micros()).await?;
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

    pub async fn list<R: Resource>(
        &self,
        parent: &str,
        page_size: i32,
        page_token: &str,
        filter_text: &str,
    ) -> Result<(Vec<R>, String)> {
        let parent = Parent::parse(R::KIND, parent, "parent").map_err(|v| Error::invalid(vec![v]))?;
        let conditions = filter::parse(&reflect::descriptor::<R>(), filter_text)?;
        let fingerprint = page::fingerprint(&[&parent.display(R::KIND), filter_text]);
        let page = page::request(page_size, page_token, &fingerprint)?;
        let mut rows = self.store.list(R::KIND, &parent, &conditions, &page).await?;
        let next = if rows.len() as u64 > page.size {
            rows.truncate(page.size as usize);
            rows.last().map(|r| page::next_token(&r.name.id, &fingerprint)).unwrap_or_default()
        } else {
            String::new()
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let name = row.name.clone();
            let mut resource = decode::<R>(row)?;
            self.show_children(&mut resource, &name).await?;
            items.push(reveal(resource));
        }
        Ok((items, next))
    }

    pub async fn update<R: Resource>(&self, resource: Option<R>, mask: Option<FieldMask>) -> Result<R> {
        let update = resource.ok_or_else(|| Error::invalid_field(R::FIELD, "is required"))?;
        let name_field = format!("{}.name", R::FIELD);
        let name = ResourceName::parse(R::KIND, update.name(), &name_field).map_err(|v| Error::invalid(vec![v]))?;
        let stored = self.store.get(&name).await?;
        let revision = stored.meta.revision;
        if !update.etag().is_empty() && revision_of(update.etag()) != Some(revision) {
            return Err(Error::etag_mismatch(&name.to_string()));
        }
        let mut current = decode::<R>(stored)?;
        let paths = mask.map(|m| m.paths).unwrap_or_default();
        let mut merged = field_mask::apply(&current, &update, &paths, R::FIELD).map_err(Error::invalid)?;
        merged.clear_identity();
        merged.set_child_count(0);
        merged.apply_defaults();
        let violations: Vec<_> = merged.violations().into_iter().map(|v| v.scope(R::FIELD)).collect();
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        let meta = self.store.update(&name, revision, &merged.label(), &json::to_json(&merged), now_micros()).await?;
        current = merged;
        current.set_identity(&name, &meta);
        self.show_children(&mut current, &name).await?;
        Ok(reveal(current))
    }

    pub async fn delete<R: Resource>(&self, name: &str, etag: &str) -> Result<()> {
        let name = ResourceName::parse(R::KIND, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        let expected = match etag {
            "" => None,
            tag => Some(revision_of(tag).ok_or_else(|| Error::etag_mismatch(&name.to_string()))?),
        };
        self.store.delete(&name, expected).await
    }

    async fn show_children<R: Resource>(&self, resource: &mut R, name: &ResourceName) -> Result<()> {
        if let Some(kind) = R::child_kind() {
            resource.set_child_count(self.store.count_children(name, kind).await?);
        }
        Ok(())
    }
}

/// Rebuilds a resource from its stored document.
pub(crate) fn decode<R: Resource>(stored: StoredDocument) -> Result<R> {
    let mut resource: R =
        json::from_json(&stored.body).map_err(|e| Error::internal(&format!("decode stored {}", stored.name), e))?;
    resource.set_identity(&stored.name, &stored.meta);
    Ok(resource)
}

/// What a caller may see of a resource: everything but its secrets.
pub(crate) fn reveal<R: Resource>(mut resource: R) -> R {
    secrets::scrub(&mut resource);
    resource
}
