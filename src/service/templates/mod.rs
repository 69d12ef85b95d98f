//! Agent templates: snapshot an agent with its whole tree, instantiate it in any tenant.

mod binding;
mod contents;
pub(crate) mod tree;

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::resources::{ListQuery, Listed, decode, reveal};
use crate::crypto::dsse::TEMPLATE_PAYLOAD_TYPE;
use crate::domain::blob::BlobRef;
use crate::domain::clock::now_micros;
use crate::domain::format_version::{self, Compat};
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::limits::{DocumentLimits, MAX_DESCRIPTION_CHARS, MAX_ICON_CHARS, MAX_LABEL_CHARS};
use crate::domain::names::{Parent, ResourceKind, ResourceName, check_id};
use crate::domain::page;
use crate::domain::resource::{Resource, timestamp};
use crate::domain::signing::decide;
use crate::domain::template::{self, TemplateTree};
use crate::domain::{json, secrets};
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::proto::{
    Agent, BundleSignature, ExportResult, ImportDetail, ImportResult, ImportState, ImportSummary, ImportedEntity,
    Signer,
};
use crate::service::documents::content::{StagedContents, discard_all, stage_all};
use crate::service::signatures::{is_signed, refusal, sign_staged, verify_staged};
use crate::service::signing::signing_key;
use crate::service::{sealing, unique_names};
use crate::store::{Owner, Sealer, Staged, Store, StoredDocument, Tx};

const DEFAULT_ICON: &str = "🚀";

/// A template as the service keeps and shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateView {
    #[serde(skip)]
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub icon: String,
    pub organization_id: String,
    pub with_knowledge_bases: bool,
    pub source_agent: String,
    /// The xpander `AgentDefinition`, exactly as stored: each document content is a
    /// placeholder `<content_mark><n>` for `contents[n]` (templates of earlier releases hold
    /// the contents inline and no mark).
    pub agent_definition: Value,
    #[serde(skip)]
    pub create_time: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content_mark: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contents: Vec<BlobRef>,
    /// The envelope signing the template's download bytes (see [`download_document`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<BundleSignature>,
}

/// A template's definition as a caller gets it in one message.
pub struct TemplateDefinition {
    pub value: serde_json::Value,
    /// Document contents were left out (the template does not fit in one message).
    pub contents_omitted: bool,
}

/// What an export or import request names besides the agent or template.
#[derive(Debug, Clone, Default)]
pub struct TemplateRequest {
    pub display_name: String,
    pub description: String,
    pub icon: String,
    pub with_knowledge_bases: Option<bool>,
    /// Import only: required secret id -> the importing tenant's secret id.
    pub secret_mappings: BTreeMap<String, String>,
    /// Export only: the tenant's signing key that signs the template.
    pub signing_key_id: String,
    /// Import only: refuse a template not signed by a key the tenant trusts.
    pub require_signature: bool,
}

impl TemplateRequest {
    fn violations(&self) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        if self.display_name.trim().is_empty() {
            out.push(FieldViolation::new("display_name", "is required"));
        }
        if !self.signing_key_id.is_empty() {
            out.extend(check_id(&self.signing_key_id, "signing_key_id").err());
        }
        for (field, value, max) in [
            ("display_name", &self.display_name, MAX_LABEL_CHARS),
            ("description", &self.description, MAX_DESCRIPTION_CHARS),
            ("icon", &self.icon, MAX_ICON_CHARS),
        ] {
            if value.chars().count() > max {
                out.push(FieldViolation::new(field, format!("must be at most {max} characters")));
            }
        }
        out
    }
}

#[derive(Clone)]
pub struct TemplateService {
    store: Store,
    max_depth: usize,
    limits: DocumentLimits,
}

fn view(stored: StoredDocument) -> Result<TemplateView> {
    let mut view: TemplateView =
        serde_json::from_str(&stored.body).map_err(|e| Error::internal("decode stored template", e))?;
    view.name = stored.name.to_string();
    view.create_time = stored.meta.create_time;
    Ok(view)
}

impl TemplateService {
    pub fn new(store: Store, max_depth: usize, limits: DocumentLimits) -> Self {
        Self { store, max_depth, limits }
    }

    pub async fn export(&self, agent: &str, request: TemplateRequest) -> Result<TemplateView> {
        let mut violations = request.violations();
        let agent = ResourceName::parse(ResourceKind::Agent, agent, "agent").map_err(|v| violations.push(v)).ok();
        let (Some(agent), true) = (agent, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        // The key opens before anything is read, so that a wrong one fails first.
        let key = match request.signing_key_id.as_str() {
            "" => None,
            id => Some((signing_key(&self.store, &agent.tenant, id).await?, id.to_owned())),
        };
        let with_kbs = request.with_knowledge_bases.unwrap_or(true);
        let mut tree = tree::collect(&self.store, &agent.tenant, &agent.id, self.max_depth, with_kbs).await?;
        template::portable::make_portable(&mut tree);
        let (content_mark, blobs) = contents::place(&mut tree);
        let definition = template::encode_definition(&tree);
        ensure_no_credentials(&definition)?;
        let root_icon = tree.agents[&tree.root].icon.clone();
        let icon =
            [request.icon, root_icon].into_iter().find(|i| !i.is_empty()).unwrap_or_else(|| DEFAULT_ICON.to_owned());
        let name = ResourceName::new(&agent.parent(), ResourceKind::Template, uuid::Uuid::now_v7().to_string());
        let mut template = TemplateView {
            name: name.to_string(),
            display_name: request.display_name,
            description: request.description,
            icon,
            organization_id: agent.tenant.clone(),
            with_knowledge_bases: with_kbs,
            source_agent: agent.to_string(),
            agent_definition: definition,
            create_time: 0,
            content_mark,
            contents: blobs,
            signature: None,
        };
        if let Some((key, key_id)) = key {
            template.signature = Some(self.sign(&agent.tenant, &template, (key, &key_id)).await?);
        }
        let body = serde_json::to_string(&template).map_err(|e| Error::internal("encode template", e))?;
        let now = now_micros();
        let staged = self.keep_rendered(&agent.tenant, &template).await?;
        let mut job = JobRecord::new(
            &agent.tenant,
            &uuid::Uuid::now_v7().to_string(),
            JobKind::TemplateExport,
            JobState::Success,
            now,
        );
        job.agent_id = Some(agent.id.clone());
        job.message = Some(format!("Exported template {}", name.id));
        job.export_result = Some(json::to_json(&ExportResult {
            data: String::new(),
            checksum: staged.blob.sha256.clone(),
            exported_at: Some(timestamp(now)),
            size_bytes: staged.blob.size as i64,
            sha256: staged.blob.sha256.clone(),
            signature: template.signature.clone(),
        }));
        let written = async {
            let tx = self.store.begin().await?;
            tx.insert(&name, &template.display_name, &body, now).await?;
            let owner = Owner::resource(&name);
            for blob in &template.contents {
                tx.add_blob_ref(&agent.tenant, &blob.sha256, &owner).await?;
            }
            tx.insert_job(&job).await?;
            tx.attach_blob(&staged, &Owner::Job(job.id.clone()), now).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = written {
            self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
            return Err(e);
        }
        template.create_time = now;
        tracing::info!(tenant = %agent.tenant, agent = %agent.id, template = %name.id, agents = tree.agents.len(), "template exported");
        Ok(template)
    }

    /// Stores the template as its export job shows it (the stored form with contents in place).
    async fn keep_rendered(&self, tenant: &str, template: &TemplateView) -> Result<Staged> {
        let shown = TemplateView { content_mark: String::new(), contents: Vec::new(), ..template.clone() };
        let value = serde_json::to_value(&shown).map_err(|e| Error::internal("encode template", e))?;
        self.stage(tenant, (tenant, &value), template).await
    }

    /// Stages `value` with `template`'s document contents (blobs of tenant `from`) in place, as
    /// an upload of `tenant`.
    async fn stage(&self, tenant: &str, (from, value): (&str, &Value), template: &TemplateView) -> Result<Staged> {
        let pieces = contents::stream(&self.store, from, value, template);
        let mut upload = self.store.begin_upload(tenant).await?;
        let mut pieces = std::pin::pin!(pieces);
        while let Some(piece) = futures_util::StreamExt::next(&mut pieces).await {
            upload.write(&piece?).await?;
        }
        upload.finish().await
    }

    /// The envelope signing `template`'s download bytes with `key`.
    async fn sign(&self, tenant: &str, template: &TemplateView, key: (SigningKey, &str)) -> Result<BundleSignature> {
        let staged = self.stage(tenant, (tenant, &download_document(template)), template).await?;
        let signed = sign_staged(&self.store, key, TEMPLATE_PAYLOAD_TYPE, &staged).await;
        self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
        signed
    }

    /// Who signed the template of `source` an import in `tenant` reads, and whether the tenant's
    /// policy (or the request) lets it in: a bad signature or a refusal is an error.
    async fn check_signature(
        &self,
        (tenant, source): (&str, &str),
        template: &TemplateView,
        require_signature: bool,
    ) -> Result<Option<Signer>> {
        let signer = match template.signature.as_ref().filter(|e| is_signed(Some(e))) {
            Some(envelope) => {
                let staged = self.stage(tenant, (source, &download_document(template)), template).await?;
                let checked =
                    verify_staged(&self.store, tenant, Some(envelope), (TEMPLATE_PAYLOAD_TYPE, &staged)).await;
                self.store.discard_upload(&staged.tenant, &staged.upload_id).await;
                checked?
            }
            None => None,
        };
        let policy = self.store.signing_policy(tenant).await?;
        let verdict = decide(&policy, signer.as_ref(), require_signature)
            .without_hold(signer.as_ref(), "a template import is never held for review");
        match refusal(&verdict) {
            Some(e) => Err(e),
            None => Ok(signer),
        }
    }

    /// The definition to show in one message: with contents in place when it fits.
    pub async fn definition(&self, view: &TemplateView, max_bytes: usize) -> Result<TemplateDefinition> {
        let tenant =
            ResourceName::parse(ResourceKind::Template, &view.name, "name").map(|n| n.tenant).unwrap_or_default();
        match contents::inline(&self.store, &tenant, view, max_bytes).await {
            Ok(value) => Ok(TemplateDefinition { value, contents_omitted: false }),
            Err(e) if e.code == ErrorCode::MessageTooLarge => {
                Ok(TemplateDefinition { value: contents::without_contents(view), contents_omitted: true })
            }
            Err(e) => Err(e),
        }
    }

    /// The definition without document contents (lists).
    pub fn definition_without_contents(view: &TemplateView) -> TemplateDefinition {
        TemplateDefinition { value: contents::without_contents(view), contents_omitted: !view.contents.is_empty() }
    }

    /// The xpander `AgentTemplate` of a template, streamed with its document contents.
    pub async fn download(&self, name: &str) -> Result<(TemplateView, BoxStream<'static, Result<Bytes>>)> {
        let view = self.get(name).await?;
        let tenant = ResourceName::parse(ResourceKind::Template, name, "name").expect("read above").tenant;
        let document = download_document(&view);
        let bytes = contents::stream(&self.store, &tenant, &document, &view);
        Ok((view, bytes.boxed()))
    }

    pub async fn get(&self, name: &str) -> Result<TemplateView> {
        let name = ResourceName::parse(ResourceKind::Template, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        view(self.store.get(&name).await?)
    }

    /// One page of the tenant's templates; `query.filter` must be empty (templates take none).
    pub async fn list(&self, query: ListQuery<'_>) -> Result<Listed<TemplateView>> {
        let parent =
            Parent::parse(ResourceKind::Template, query.parent, "parent").map_err(|v| Error::invalid(vec![v]))?;
        let fingerprint = page::fingerprint(&[&parent.display(ResourceKind::Template), "templates"]);
        let page = page::request(query.page_size, query.page_token, query.skip, &fingerprint)?;
        let mut rows = self.store.list(ResourceKind::Template, &parent, &[], &page).await?;
        let next_page_token = page::split(&mut rows, &page, &fingerprint, |r| &r.name.id);
        let total_size = match query.include_total {
            true => Some(self.store.count(ResourceKind::Template, &parent, &[]).await?),
            false => None,
        };
        Ok(Listed { items: rows.into_iter().map(view).collect::<Result<_>>()?, next_page_token, total_size })
    }

    pub async fn delete(&self, name: &str) -> Result<()> {
        let name = ResourceName::parse(ResourceKind::Template, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        self.store.delete(&name, None).await
    }

    /// Instantiates template `template_id` (of any tenant) in `parent`; returns the new root agent.
    pub async fn import(&self, parent: &str, template_id: &str, request: TemplateRequest) -> Result<Agent> {
        let mut prepared = self.prepare(parent, template_id, request).await?;
        let copy_kbs = prepared.request.with_knowledge_bases.unwrap_or(true);
        let contents = match copy_kbs {
            true => {
                let documents = tree_documents(&mut prepared.tree);
                stage_all(&self.store, &prepared.parent.tenant, documents, &self.limits).await?
            }
            false => StagedContents::new(),
        };
        let outcome = self.instantiate_staged(&prepared, copy_kbs, &contents).await;
        discard_all(&self.store, contents).await;
        outcome
    }

    /// What [`Self::import`] would record, with the template's ids; writes nothing.
    pub async fn plan(&self, parent: &str, template_id: &str, request: TemplateRequest) -> Result<ImportResult> {
        let prepared = self.prepare(parent, template_id, request).await?;
        let (tree, bindings) = (&prepared.tree, &prepared.bindings);
        let mut summary = ImportSummary::default();
        for (id, tool) in &tree.tools {
            summary.tools.push(bindings.entity("tools", id, id, &tool.display_name));
        }
        for (id, server) in &tree.mcp_servers {
            summary.mcp_servers.push(bindings.entity("mcp_servers", id, id, &server.display_name));
        }
        if prepared.request.with_knowledge_bases.unwrap_or(true) {
            for (id, copy) in &tree.knowledge_bases {
                summary.knowledge_bases.push(entity(id, &copy.knowledge_base.display_name, id));
            }
        }
        for (id, agent) in &tree.agents {
            summary.agents.push(bindings.entity("agents", id, id, &agent.label()));
        }
        let message = format!("Dry run, nothing was written: would import {}.", counts(&summary));
        let now = now_micros();
        Ok(ImportResult {
            message,
            summary: Some(summary),
            imported_at: Some(timestamp(now)),
            dry_run: true,
            secret_requirements: bindings.requirements.clone(),
            signer: prepared.signer.clone(),
            warnings: prepared.warnings.clone(),
        })
    }

    /// The checked request, its template's tree and how that binds in the importing tenant.
    async fn prepare(&self, parent: &str, template_id: &str, mut request: TemplateRequest) -> Result<Prepared> {
        let mut violations = request.violations();
        let parent = Parent::parse(ResourceKind::Agent, parent, "parent").map_err(|v| violations.push(v)).ok();
        let template_id = check_id(template_id, "template_id").map_err(|v| violations.push(v)).ok();
        let (Some(parent), Some(template_id), true) = (parent, template_id, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let stored = self.store.find_any_tenant(ResourceKind::Template, &template_id).await?.ok_or_else(|| {
            Error::new(ErrorCode::NotFound, format!("template `{template_id}` not found"))
                .with_meta("templateId", &template_id)
        })?;
        let source_tenant = stored.name.tenant.clone();
        let template = view(stored)?;
        let signer =
            self.check_signature((&parent.tenant, &source_tenant), &template, request.require_signature).await?;
        if request.icon.is_empty() {
            // The new agent looks like the template it came from, not its source agent.
            request.icon = template.icon.clone();
        }
        let (mut tree, warnings) = self.open(&template.agent_definition)?;
        contents::resolve(&mut tree, &template);
        let binder =
            binding::binder(&self.store, &parent.tenant, &source_tenant, &tree, &request.secret_mappings).await?;
        let bindings = binding::bind(&binder, &mut tree);
        Ok(Prepared { parent, template_id, source_tenant, request, tree, bindings, warnings, signer })
    }

    async fn instantiate_staged(
        &self,
        prepared: &Prepared,
        copy_kbs: bool,
        contents: &StagedContents,
    ) -> Result<Agent> {
        let (parent, tree) = (&prepared.parent, &prepared.tree);
        let now = now_micros();
        // Before the transaction: a tenant's first data key is committed on its own.
        let secrets = tree.agents.values().any(sealing::has_secret_text)
            || tree.tools.values().any(sealing::has_secret_text)
            || tree.mcp_servers.values().any(sealing::has_secret_text);
        let sealer = self.store.keyring().sealer(&parent.tenant, secrets).await?;
        let tx = self.store.begin().await?;
        tx.lock_tenant_imports(&parent.tenant).await?;
        let sources = Sources { tenant: &prepared.source_tenant, staged: contents };
        let target = Target { tx: &tx, sealer: &sealer };
        let (root, summary) = instantiate(&target, prepared, copy_kbs, &sources, now).await?;
        let message = format!("Successfully imported {}.", counts(&summary));
        let result = ImportResult {
            message,
            summary: Some(summary),
            imported_at: Some(timestamp(now)),
            dry_run: false,
            signer: prepared.signer.clone(),
            secret_requirements: prepared.bindings.requirements.clone(),
            warnings: prepared.warnings.clone(),
        };
        let mut job =
            JobRecord::new(&parent.tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, JobState::Success, now);
        job.agent_id = Some(root.id.clone());
        job.import_result = Some(json::to_json(&result));
        tx.insert_job(&job).await?;
        tx.commit().await?;
        tracing::info!(tenant = %parent.tenant, template = %prepared.template_id, agent = %root.id, "template imported");
        Ok(reveal(decode::<Agent>(self.store.get(&root).await?)?))
    }

    /// Decodes and validates a stored definition, naming every problem with its path.
    /// Also gives the warning of a newer minor format version.
    fn open(&self, definition: &serde_json::Value) -> Result<(TemplateTree, Vec<ImportDetail>)> {
        // The version first: a newer major version is refused before its fields are read.
        let warnings = match template::format(definition, "agent_definition.")? {
            Compat::NewerMinor(found) => {
                let not_understood: Vec<String> = template::not_understood(definition)
                    .into_iter()
                    .map(|path| format!("agent_definition.{path}"))
                    .collect();
                vec![format_version::newer_minor_warning(found, "template", Some(&not_understood))]
            }
            Compat::Older(_) | Compat::Current => Vec::new(),
        };
        let tree = template::decode_definition(definition).map_err(|violations| {
            Error::invalid(violations.into_iter().map(|v| v.scope("agent_definition")).collect())
        })?;
        let mut violations = Vec::new();
        for (id, agent) in &tree.agents {
            violations
                .extend(agent.violations().into_iter().map(|v| v.scope(&format!("agent_definition.agents[{id:?}]"))));
        }
        for (id, tool) in &tree.tools {
            violations
                .extend(tool.violations().into_iter().map(|v| v.scope(&format!("agent_definition.tools[{id:?}]"))));
        }
        for (id, server) in &tree.mcp_servers {
            violations.extend(
                server.violations().into_iter().map(|v| v.scope(&format!("agent_definition.mcp_servers[{id:?}]"))),
            );
        }
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        if tree::depth(&tree, &tree.root, 0) > self.max_depth {
            return Err(Error::new(
                ErrorCode::SubAgentDepthExceeded,
                format!("the template's sub-agents nest deeper than the limit of {}", self.max_depth),
            ));
        }
        Ok((tree, warnings))
    }
}

/// The xpander `AgentTemplate` of a template as DownloadTemplate streams it (and a signature
/// covers): each document's content stands as its mark until the bytes are streamed.
fn download_document(view: &TemplateView) -> Value {
    let id = view.name.rsplit('/').next().unwrap_or_default();
    serde_json::json!({
        "id": id,
        "name": view.display_name,
        "description": (!view.description.is_empty()).then_some(&view.description),
        "icon": view.icon,
        "organization_id": view.organization_id,
        "agent_definition": view.agent_definition,
    })
}

/// The final check of an export: decode what will be stored and fail if any credential survived.
fn ensure_no_credentials(definition: &serde_json::Value) -> Result<()> {
    let tree =
        template::decode_definition(definition).map_err(|v| Error::internal("re-read template", format!("{v:?}")))?;
    let leaked: Vec<String> = tree
        .agents
        .values()
        .flat_map(secrets::find_secrets)
        .chain(tree.tools.values().flat_map(secrets::find_secrets))
        .chain(tree.mcp_servers.values().flat_map(secrets::find_secrets))
        .map(|(path, _)| path)
        .collect();
    if leaked.is_empty() {
        Ok(())
    } else {
        Err(Error::internal("template export", format!("credential fields survived scrubbing: {leaked:?}")))
    }
}

/// A template import: the checked request, the bound tree and what binding decided.
struct Prepared {
    parent: Parent,
    template_id: String,
    source_tenant: String,
    request: TemplateRequest,
    tree: TemplateTree,
    bindings: binding::Bindings,
    /// About the template as a whole (a newer minor format version).
    warnings: Vec<ImportDetail>,
    /// Who signed the template; `None` when it is not signed.
    signer: Option<Signer>,
}

fn counts(summary: &ImportSummary) -> String {
    let (a, t, m) = (summary.agents.len(), summary.tools.len(), summary.mcp_servers.len());
    format!("{a} agents, {t} tools, and {m} MCP servers")
}

fn entity(id: &str, name: &str, source_id: &str) -> ImportedEntity {
    ImportedEntity {
        id: id.into(),
        name: name.into(),
        state: ImportState::Enabled as i32,
        details: vec![],
        source_id: source_id.into(),
    }
}

/// Where a template's document contents come from: blobs of the template's tenant, or contents
/// staged from a template of an earlier release that held them inline.
struct Sources<'a> {
    tenant: &'a str,
    staged: &'a StagedContents,
}

/// The documents of a tree's knowledge bases, by (knowledge base id, document id).
fn tree_documents(tree: &mut TemplateTree) -> std::vec::IntoIter<(&str, &str, &mut crate::proto::Document)> {
    let mut documents = Vec::new();
    for (kb_id, copy) in &mut tree.knowledge_bases {
        for entry in &mut copy.documents {
            documents.push((kb_id.as_str(), entry.id.as_str(), &mut entry.value));
        }
    }
    documents.into_iter()
}

/// Where a tree is written: the import's transaction, sealing with the importer's data key.
struct Target<'a> {
    tx: &'a Tx,
    sealer: &'a Sealer,
}

/// Writes the tree under new ids; returns the root agent's name and a summary.
async fn instantiate(
    target: &Target<'_>,
    prepared: &Prepared,
    copy_kbs: bool,
    sources: &Sources<'_>,
    now: i64,
) -> Result<(ResourceName, ImportSummary)> {
    let (parent, tree, request) = (&prepared.parent, &prepared.tree, &prepared.request);
    let (template_id, bindings) = (prepared.template_id.as_str(), &prepared.bindings);
    let fresh = || uuid::Uuid::now_v7().to_string();
    let agent_ids: HashMap<&str, String> = tree.agents.keys().map(|id| (id.as_str(), fresh())).collect();
    let tool_ids: HashMap<&str, String> = tree.tools.keys().map(|id| (id.as_str(), fresh())).collect();
    let server_ids: HashMap<&str, String> = tree.mcp_servers.keys().map(|id| (id.as_str(), fresh())).collect();
    let kb_ids: HashMap<&str, String> =
        if copy_kbs { tree.knowledge_bases.keys().map(|id| (id.as_str(), fresh())).collect() } else { HashMap::new() };
    let map = |ids: &HashMap<&str, String>, id: &str| ids.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut summary = ImportSummary::default();

    for (id, tool) in &tree.tools {
        let name = ResourceName::new(parent, ResourceKind::Tool, &tool_ids[id.as_str()]);
        write(target, &name, tool.clone(), now).await?;
        summary.tools.push(bindings.entity("tools", id, &name.id, &tool.display_name));
    }
    for (id, server) in &tree.mcp_servers {
        let name = ResourceName::new(parent, ResourceKind::McpServer, &server_ids[id.as_str()]);
        write(target, &name, server.clone(), now).await?;
        summary.mcp_servers.push(bindings.entity("mcp_servers", id, &name.id, &server.display_name));
    }
    for (id, copy) in tree.knowledge_bases.iter().filter(|_| copy_kbs) {
        let mut kb = copy.knowledge_base.clone();
        kb.agent_id = map(&agent_ids, &kb.agent_id);
        let kb_name = ResourceName::new(parent, ResourceKind::KnowledgeBase, &kb_ids[id.as_str()]);
        write(target, &kb_name, kb.clone(), now).await?;
        let kb_parent = Parent { tenant: parent.tenant.clone(), parent_id: kb_name.id.clone() };
        for document in &copy.documents {
            let name = ResourceName::new(&kb_parent, ResourceKind::Document, &document.id);
            write(target, &name, document.value.clone(), now).await?;
            let owner = Owner::resource(&name);
            if let Some(staged) = sources.staged.get(&(id.clone(), document.id.clone())) {
                target.tx.attach_blob(staged, &owner, now).await?;
            } else if !document.value.sha256.is_empty() {
                // Copied inside the database; the importing tenant gets its own blob.
                target.tx.copy_blob_ref(sources.tenant, &document.value.sha256, &parent.tenant, &owner, now).await?;
            }
        }
        summary.knowledge_bases.push(entity(&kb_name.id, &kb.display_name, id));
    }
    for (id, original) in &tree.agents {
        // Binding set the status: ACTIVE, or INACTIVE for an agent it disabled.
        let mut agent = original.clone();
        agent.origin_template = template_id.to_owned();
        for attachment in &mut agent.tools {
            attachment.tool_id = map(&tool_ids, &attachment.tool_id);
        }
        for attachment in agent.mcp_servers.iter_mut().filter(|m| !m.mcp_server_id.is_empty()) {
            attachment.mcp_server_id = map(&server_ids, &attachment.mcp_server_id);
        }
        // Only knowledge bases the template carries (and this import copies) are linked: any
        // other id would name an unrelated knowledge base of the importing tenant, or nothing.
        agent.knowledge_bases.retain(|k| kb_ids.contains_key(k.knowledge_base_id.as_str()));
        for attachment in &mut agent.knowledge_bases {
            attachment.knowledge_base_id = map(&kb_ids, &attachment.knowledge_base_id);
        }
        for collaboration in &mut agent.collaborations {
            collaboration.agent_id = map(&agent_ids, &collaboration.agent_id);
        }
        for item in &mut agent.graph {
            match (item.r#type.as_str(), item.sub_type.as_str()) {
                ("agent", _) => item.item_id = map(&agent_ids, &item.item_id),
                ("tool", "custom_function") => item.item_id = map(&tool_ids, &item.item_id),
                _ => {}
            }
        }
        agent.unique_name = unique_names::fresh(target.tx, parent).await?;
        if *id == tree.root {
            agent.display_name = HashMap::from([("en".to_owned(), request.display_name.clone())]);
            if !request.description.is_empty() {
                agent.description = HashMap::from([("en".to_owned(), request.description.clone())]);
            }
            if !request.icon.is_empty() {
                agent.icon = request.icon.clone();
            }
        }
        let name = ResourceName::new(parent, ResourceKind::Agent, &agent_ids[id.as_str()]);
        let label = agent.label();
        write(target, &name, agent, now).await?;
        summary.agents.push(bindings.entity("agents", id, &name.id, &label));
    }
    Ok((ResourceName::new(parent, ResourceKind::Agent, &agent_ids[tree.root.as_str()]), summary))
}

async fn write<R: Resource>(target: &Target<'_>, name: &ResourceName, mut resource: R, now: i64) -> Result<()> {
    resource.clear_identity();
    resource.set_child_count(0);
    resource.apply_defaults();
    let body = sealing::to_body(target.sealer, name, &resource)?;
    target.tx.insert(name, &resource.label(), &body, now).await?;
    Ok(())
}
