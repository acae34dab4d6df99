//! How bad a missing required field is. Celigo's schemas mark many fields required, some only
//! because the UI's forms ask for them; integrator.io is documented to refuse a document
//! without only a few of them. Those are errors, since the apply would fail halfway; the rest
//! are warnings (`--strict` makes them errors).

use flowform_model::Kind;

use crate::diagnostic::Severity;

/// What to report when the field `name` (a dotted path relative to `base`, the table path of
/// the object that requires it) is missing. `None`: do not report it here, another check does.
pub(crate) fn missing_field(
    kind: Kind,
    base: &str,
    name: &str,
    conditional: bool,
) -> Option<Severity> {
    let error = Some(Severity::Error);
    match (kind, base, name) {
        // Every kind needs a name: the request schemas require it and the API answers
        // `missing_required_field` (API §4.3, §5.3–§5.7).
        (
            Kind::Connection
            | Kind::Export
            | Kind::Import
            | Kind::Flow
            | Kind::Script
            | Kind::IClient
            | Kind::LookupCache
            | Kind::FileDefinition
            | Kind::EdiProfile
            | Kind::AsyncHelper,
            ".",
            "name",
        ) => error,
        // iclient-schemas/request.yml requires `provider`, and the emulator's refusals follow
        // it and base.yml's conditional requirements (awsIam, azureserviceprincipal).
        (Kind::IClient, ".", "provider") => error,
        (Kind::IClient, "awsIam" | "azureserviceprincipal", _) => error,
        // The emulator refuses a file definition without these and an EDI profile without its
        // `fileType` (celigo/ai's B2B skill, `file-definition-request.yml`,
        // `edi-profile-request.yml`).
        (Kind::FileDefinition, ".", "version" | "format" | "rules") => error,
        (Kind::EdiProfile, ".", "fileType") => error,
        // API §5.3: `type` is required, and so is the object named after it; a filesystem
        // connection refused without an agent ("The file system connection requires Agent"),
        // a JDBC agent or Active Directory one too (`agent_mode_only`) (API §4.3).
        (Kind::Connection, ".", "type" | "_agentId") => error,
        (Kind::Connection, ".", block) if conditional && !block.contains('.') => error,
        // The schema's own note: the API accepts a wrapper connection without `_stackId`.
        (Kind::Connection, ".", "wrapper._stackId") => None,
        // API §4.3: an S3 connection with access keys and no `accessKeyId` is refused with
        // `missing_required_field`.
        (Kind::Connection, "s3", "accessKeyId") => error,
        // API §5.7: `content` is required (a `contentFile` is read into it first).
        (Kind::Script, ".", "content") => error,
        // API §5.5: imports need `_connectionId` except the virtual AI agent and guardrail
        // imports; adaptors.rs checks it with that exception.
        (Kind::Import, ".", "_connectionId") if !conditional => None,
        // API §5.6: a page generator is `{_exportId (req), …}`.
        (Kind::Flow, "pageGenerators[]", "_exportId") => error,
        // A step's `type` and id are checked by checks/flows.rs, with hints of its own.
        (Kind::Flow, "pageProcessors[]" | "routers[].branches[].pageProcessors[]", _) => None,
        _ => Some(Severity::Warning),
    }
}

/// Whether a value outside the enumeration of the field at `path` (a table path) is an error:
/// for the discriminators the API reference documents as closed sets (a connection's `type`,
/// API §5.3), HTTP methods and authentication types. Other enumerations in the schemas are
/// not always enforced: real documents hold `netsuite.wsdlVersion: "2020.2"` and
/// `rest.authScheme: " "` (tests/corpus/singh-gurkawalbir-demo/connections), outside the lists
/// the schemas give; a value outside those is a warning.
pub(crate) fn enforced_enumeration(kind: Kind, path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    match kind {
        Kind::Connection => path == "type" || last == "authType" || path.ends_with("auth.type"),
        Kind::Export => path == "http.method",
        Kind::Import => path == "http.method[]",
        // iclient-schemas/base.yml: `provider` picks the credential block; the emulator refuses
        // other values (as the service refuses an unknown provider).
        Kind::IClient => path == "provider",
        // celigo/ai's B2B skill: `fileType` is `edix12` or `edifact`.
        Kind::EdiProfile => path == "fileType",
        _ => false,
    }
}

/// Whether the value at `path` (a table path) is checked by another check, with hints of its
/// own: a flow step's `type` by checks/flows.rs.
pub(crate) fn checked_elsewhere(kind: Kind, path: &str) -> bool {
    matches!(
        (kind, path),
        (Kind::Flow, "pageProcessors[].type" | "routers[].branches[].pageProcessors[].type")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforced_enumerations() {
        assert!(enforced_enumeration(Kind::Connection, "type"));
        assert!(enforced_enumeration(Kind::Connection, "http.auth.type"));
        assert!(enforced_enumeration(Kind::Connection, "netsuite.authType"));
        assert!(enforced_enumeration(Kind::Connection, "as2.partnerStationInfo.auth.type"));
        assert!(!enforced_enumeration(Kind::Connection, "netsuite.wsdlVersion"));
        assert!(!enforced_enumeration(Kind::Connection, "ftp.type"));
        assert!(enforced_enumeration(Kind::Export, "http.method"));
        assert!(!enforced_enumeration(Kind::Export, "http.paging.method"));
        assert!(enforced_enumeration(Kind::Import, "http.method[]"));
    }

    #[test]
    fn documented_refusals_are_errors_and_the_rest_warnings() {
        assert_eq!(missing_field(Kind::Connection, ".", "http", true), Some(Severity::Error));
        assert_eq!(missing_field(Kind::Connection, ".", "type", false), Some(Severity::Error));
        assert_eq!(
            missing_field(Kind::Connection, "http", "baseURI", false),
            Some(Severity::Warning)
        );
        assert_eq!(missing_field(Kind::Connection, ".", "wrapper._stackId", true), None);
        assert_eq!(missing_field(Kind::Import, ".", "_connectionId", false), None);
        assert_eq!(
            missing_field(Kind::Flow, "pageGenerators[]", "_exportId", false),
            Some(Severity::Error)
        );
        assert_eq!(missing_field(Kind::Flow, "pageProcessors[]", "type", false), None);
    }
}
