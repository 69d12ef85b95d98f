//! Which scope each method needs. One rule for every transport: the method name decides.

/// OAuth2 scopes (Emporix names) and the service's own admin scope.
pub const AGENT_READ: &str = "ai.agent_read";
pub const AGENT_MANAGE: &str = "ai.agent_manage";
pub const AGENT_EXECUTION: &str = "ai.agentexecution_manage";
pub const ADMIN: &str = "agentport.admin";
/// Every scope a method can need: what an API key may be given.
pub const KNOWN_SCOPES: [&str; 4] = [AGENT_READ, AGENT_MANAGE, AGENT_EXECUTION, ADMIN];

/// What a method needs, and whether it changes anything (mutations are audited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub scope: &'static str,
    pub mutation: bool,
}

pub fn policy(method: &str) -> Policy {
    let mutation = |scope| Policy { scope, mutation: true };
    if method.ends_with("ApiKey") || method.ends_with("ApiKeys") {
        return Policy { scope: ADMIN, mutation: !method.starts_with("List") };
    }
    // Signing keys and policy decide what a tenant's imports accept: managers only.
    if ["SigningKey", "SigningKeys", "SigningPolicy"].iter().any(|s| method.ends_with(s)) || method == "ApproveImport" {
        return Policy { scope: AGENT_MANAGE, mutation: !method.starts_with("List") && !method.starts_with("Get") };
    }
    match method {
        "RecordJob" => mutation(AGENT_EXECUTION),
        // Exports read; the jobs they record are bookkeeping.
        "ExportAgents" | "StreamExportAgents" | "ExportAgentTemplate" | "StreamExportAgentTemplate" => {
            Policy { scope: AGENT_READ, mutation: false }
        }
        // A plan reads what an import would bind; it asks for the scope of the import.
        "PlanAgentTemplateImport" => Policy { scope: AGENT_MANAGE, mutation: false },
        m if ["Create", "Update", "Delete", "Import", "StreamImport", "Upload"].iter().any(|p| m.starts_with(p)) => {
            mutation(AGENT_MANAGE)
        }
        _ => Policy { scope: AGENT_READ, mutation: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_scopes() {
        assert_eq!(policy("GetAgent").scope, AGENT_READ);
        assert_eq!(policy("SearchJobs").scope, AGENT_READ);
        assert_eq!(policy("ExportAgents").scope, AGENT_READ);
        assert_eq!(policy("ImportAgents"), Policy { scope: AGENT_MANAGE, mutation: true });
        assert_eq!(policy("ImportAgentTemplate").scope, AGENT_MANAGE);
        assert_eq!(policy("PlanAgentTemplateImport"), Policy { scope: AGENT_MANAGE, mutation: false });
        assert_eq!(policy("UpdateTenantSettings"), Policy { scope: AGENT_MANAGE, mutation: true });
        assert_eq!(policy("GetTenantSettings").scope, AGENT_READ);
        assert_eq!(policy("StreamImportAgents"), Policy { scope: AGENT_MANAGE, mutation: true });
        assert_eq!(policy("UploadDocument"), Policy { scope: AGENT_MANAGE, mutation: true });
        assert_eq!(policy("StreamExportAgents"), Policy { scope: AGENT_READ, mutation: false });
        assert_eq!(policy("DownloadDocument").scope, AGENT_READ);
        assert_eq!(policy("TrustSigningKey"), Policy { scope: AGENT_MANAGE, mutation: true });
        assert_eq!(policy("ListSigningKeys"), Policy { scope: AGENT_MANAGE, mutation: false });
        assert_eq!(policy("GetSigningPolicy"), Policy { scope: AGENT_MANAGE, mutation: false });
        assert_eq!(policy("ApproveImport"), Policy { scope: AGENT_MANAGE, mutation: true });
        assert_eq!(policy("DeleteJob").scope, AGENT_MANAGE);
        assert_eq!(policy("RecordJob").scope, AGENT_EXECUTION);
        assert_eq!(policy("CreateApiKey"), Policy { scope: ADMIN, mutation: true });
        assert_eq!(policy("ListApiKeys"), Policy { scope: ADMIN, mutation: false });
    }
}
