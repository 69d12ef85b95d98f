//! The names calls go by in metrics and spans: `package.Service/Method`, so a method reached
//! over gRPC, grpc-web or a REST route carries one name.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::reflect::POOL;

/// Services served beside the contracts in `proto/`.
const INFRASTRUCTURE: &[&str] = &[
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/Watch",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

struct Rpcs {
    /// `CreateAgent` -> `agentport.v1.AgentService/CreateAgent`.
    by_method: HashMap<String, String>,
    /// Every full name, keyed by itself.
    known: HashMap<String, String>,
}

static RPCS: LazyLock<Rpcs> = LazyLock::new(|| {
    let mut by_method = HashMap::new();
    let mut known: HashMap<String, String> = INFRASTRUCTURE.iter().map(|n| (n.to_string(), n.to_string())).collect();
    for service in POOL.services() {
        for method in service.methods() {
            let full = format!("{}/{}", service.full_name(), method.name());
            by_method.insert(method.name().to_owned(), full.clone());
            known.insert(full.clone(), full);
        }
    }
    Rpcs { by_method, known }
});

/// The full name of an agentport method from its short name (`CreateAgent`).
pub fn full_name(method: &str) -> Option<&'static str> {
    RPCS.by_method.get(method).map(String::as_str)
}

/// The method a gRPC path (`/package.Service/Method`) names, if the server serves it; unknown
/// paths get no name of their own, which keeps metric labels bounded.
pub fn from_path(path: &str) -> Option<&'static str> {
    RPCS.known.get(path.trim_start_matches('/')).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_resolve_to_their_service() {
        assert_eq!(full_name("CreateAgent"), Some("agentport.v1.AgentService/CreateAgent"));
        assert_eq!(full_name("SearchJobs"), Some("agentport.v1.JobService/SearchJobs"));
        assert_eq!(
            from_path("/agentport.v1.TemplateService/GetTemplate"),
            Some("agentport.v1.TemplateService/GetTemplate")
        );
        assert_eq!(from_path("/grpc.health.v1.Health/Check"), Some("grpc.health.v1.Health/Check"));
        assert_eq!(from_path("/agentport.v1.AgentService/Nope"), None);
    }
}
