//! What a resource's discriminator decides: an export's or import's `adaptorType` (which values
//! exist, which section each one reads, which need a connection) and a connection's `type`
//! (which section it reads). Written from the API reference; the connection types themselves
//! come from the schemas (the enumeration of `type` in `celigo.fields`).

use flowform_model::{Kind, Object, Value};

use super::table::tables;
use crate::diagnostic::{Diagnostic, Severity};
use crate::problems;
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::Node;

/// An adaptor: its `adaptorType`, the section it reads, whether it needs `_connectionId`, and
/// whether the service refuses it without its section.
struct Adaptor {
    name: &'static str,
    section: Option<&'static str>,
    connection: bool,
    section_required: bool,
}

const fn adaptor(name: &'static str, section: &'static str) -> Adaptor {
    Adaptor { name, section: Some(section), connection: true, section_required: true }
}

/// API §5.4: the export adaptor types (case-sensitive), each with its section; Webhook and
/// Simple exports have no connection. An AS2 export's section has no required field, and a
/// Simple export has none.
const EXPORTS: &[Adaptor] = &[
    adaptor("HTTPExport", "http"),
    adaptor("NetSuiteExport", "netsuite"),
    adaptor("SalesforceExport", "salesforce"),
    adaptor("RDBMSExport", "rdbms"),
    adaptor("MongodbExport", "mongodb"),
    adaptor("JDBCExport", "jdbc"),
    adaptor("DynamodbExport", "dynamodb"),
    adaptor("FTPExport", "ftp"),
    adaptor("S3Export", "s3"),
    Adaptor { connection: false, ..adaptor("WebhookExport", "webhook") },
    Adaptor { section_required: false, ..adaptor("AS2Export", "as2") },
    Adaptor { name: "SimpleExport", section: None, connection: false, section_required: false },
    adaptor("FileSystemExport", "filesystem"),
    adaptor("WrapperExport", "wrapper"),
];

/// Import adaptor types. API §5.5 names HTTP, NetSuite distributed, Salesforce, RDBMS, FTP,
/// S3, and the virtual AI agent and guardrail imports (which have no connection); the file
/// section's schema (`file.yml`) names NetSuite, Mongodb and AS2 imports; JDBC, DynamoDB,
/// file system and wrapper imports are named after their export counterparts, matching the
/// import sections the schemas describe. The API reference does not say a section is
/// required, so a missing one is a warning.
const IMPORTS: &[Adaptor] = &[
    Adaptor { section_required: false, ..adaptor("HTTPImport", "http") },
    Adaptor { section_required: false, ..adaptor("NetSuiteImport", "netsuite") },
    Adaptor { section_required: false, ..adaptor("NetSuiteDistributedImport", "netsuite_da") },
    Adaptor { section_required: false, ..adaptor("SalesforceImport", "salesforce") },
    Adaptor { section_required: false, ..adaptor("RDBMSImport", "rdbms") },
    Adaptor { section_required: false, ..adaptor("MongodbImport", "mongodb") },
    Adaptor { section_required: false, ..adaptor("JDBCImport", "jdbc") },
    Adaptor { section_required: false, ..adaptor("DynamodbImport", "dynamodb") },
    Adaptor { section_required: false, ..adaptor("FTPImport", "ftp") },
    Adaptor { section_required: false, ..adaptor("S3Import", "s3") },
    Adaptor { section_required: false, ..adaptor("AS2Import", "as2") },
    Adaptor { section_required: false, ..adaptor("FileSystemImport", "filesystem") },
    Adaptor { section_required: false, ..adaptor("WrapperImport", "wrapper") },
    // A legacy REST import, in a real document (tests/corpus/singh-gurkawalbir-demo/imports/
    // 60e6f88e3499084a68917986.json).
    Adaptor { section_required: false, ..adaptor("RESTImport", "rest") },
    Adaptor { connection: false, section_required: false, ..adaptor("AiAgentImport", "aiAgent") },
    Adaptor {
        connection: false,
        section_required: false,
        ..adaptor("GuardrailImport", "guardrail")
    },
];

/// The place a check reports at.
pub(super) struct Site<'a> {
    pub file: &'a SourceFile,
    pub node: &'a Node,
    /// The resource's key in its section.
    pub key_span: Span,
}

impl Site<'_> {
    fn key_of(&self, field: &str) -> Span {
        self.node.get(field).map_or(self.key_span, |entry| entry.key_span)
    }

    fn value_of(&self, field: &str) -> Span {
        self.node.get(field).map_or(self.key_span, |entry| entry.value.span)
    }
}

/// The sections of `body` that belong to another adaptor or connection type than its own.
pub(super) fn foreign_sections(kind: Kind, body: &Object) -> Vec<String> {
    let field = if kind == Kind::Connection { "type" } else { "adaptorType" };
    let Some(Value::String(discriminator)) = body.get(field) else {
        return Vec::new();
    };
    let (sections, own): (Vec<&str>, Vec<&str>) = match kind {
        Kind::Export | Kind::Import => {
            let adaptors = if kind == Kind::Export { EXPORTS } else { IMPORTS };
            let Some(adaptor) = adaptors.iter().find(|adaptor| adaptor.name == discriminator)
            else {
                return Vec::new();
            };
            let mut own: Vec<&str> = adaptor.section.into_iter().collect();
            // Like a legacy `rest` connection, a legacy REST import comes back with a derived
            // `http` section (tests/corpus/singh-gurkawalbir-demo/imports/60e6f88e3499084a68917986.json).
            if adaptor.name == "RESTImport" {
                own.push("http");
            }
            (adaptors.iter().filter_map(|a| a.section).collect(), own)
        }
        Kind::Connection => {
            let types = connection_types();
            if !types.contains(discriminator) {
                return Vec::new();
            }
            // Behaviours §1: a legacy `rest` connection comes back with a derived `http`.
            let own = if discriminator == "rest" {
                vec!["rest", "http"]
            } else {
                vec![discriminator.as_str()]
            };
            (types.iter().map(String::as_str).collect(), own)
        }
        _ => return Vec::new(),
    };
    sections
        .into_iter()
        .filter(|section| !own.contains(section) && body.contains_key(*section))
        .map(str::to_owned)
        .collect()
}

/// The connection types, from the schema's enumeration of `type`.
fn connection_types() -> &'static [String] {
    tables()
        .root(Kind::Connection)
        .and_then(|root| root.fields.get("type"))
        .map_or(&[], |shape| shape.enumeration.as_slice())
}

pub(super) fn check(kind: Kind, body: &Object, site: &Site<'_>, diagnostics: &mut Vec<Diagnostic>) {
    match kind {
        Kind::Export => adaptor_type(kind, EXPORTS, body, site, diagnostics),
        Kind::Import => adaptor_type(kind, IMPORTS, body, site, diagnostics),
        Kind::Connection => connection(body, site, diagnostics),
        _ => {}
    }
}

fn present(body: &Object, field: &str) -> bool {
    body.get(field).is_some_and(|value| !matches!(value, Value::Null))
}

fn adaptor_type(
    kind: Kind,
    adaptors: &[Adaptor],
    body: &Object,
    site: &Site<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let whole = problems::with_article(kind);
    let value = match body.get("adaptorType") {
        None | Some(Value::Null) => {
            diagnostics.push(problems::missing_field(
                site.file,
                site.key_span,
                Severity::Error,
                "adaptorType",
                None,
                &whole,
            ));
            return;
        }
        Some(Value::String(value)) => value.as_str(),
        // Another type is reported by the type check.
        Some(_) => return,
    };
    let names: Vec<&str> = adaptors.iter().map(|adaptor| adaptor.name).collect();
    let Some(adaptor) = adaptors.iter().find(|adaptor| adaptor.name == value) else {
        let suggestions = closest(value, names.iter().copied());
        let other_case = names.iter().any(|name| name.eq_ignore_ascii_case(value));
        // Imports: the list is partly inferred (see `IMPORTS`), so an unknown name that reads
        // like an import adaptor is a warning; a wrong case, or another kind's adaptor, is not.
        let severity = if kind == Kind::Import && value.ends_with("Import") && !other_case {
            Severity::Warning
        } else {
            Severity::Error
        };
        diagnostics.push(problems::unknown_adaptor(
            site.file,
            site.value_of("adaptorType"),
            severity,
            kind,
            value,
            &suggestions,
            &names,
        ));
        if severity == Severity::Warning && !present(body, "_connectionId") {
            diagnostics.push(problems::missing_field(
                site.file,
                site.key_span,
                Severity::Error,
                "_connectionId",
                None,
                &whole,
            ));
        }
        return;
    };
    let condition = format!("`adaptorType` is `{}`", adaptor.name);
    if adaptor.connection && !present(body, "_connectionId") {
        diagnostics.push(problems::missing_field(
            site.file,
            site.key_span,
            Severity::Error,
            "_connectionId",
            Some(&condition),
            &whole,
        ));
    }
    if let Some(section) = adaptor.section
        && !present(body, section)
    {
        let severity = if adaptor.section_required { Severity::Error } else { Severity::Warning };
        diagnostics.push(problems::missing_field(
            site.file,
            site.key_span,
            severity,
            section,
            Some(&condition),
            &whole,
        ));
    }
    for section in foreign_sections(kind, body) {
        diagnostics.push(problems::foreign_section(
            site.file,
            site.key_of(&section),
            &section,
            &format!("{} {}", article_of(adaptor.name), adaptor.name),
            "adaptorType",
            adaptor.section,
        ));
    }
}

/// "an" before a vowel sound.
fn article_of(name: &str) -> &'static str {
    let vowel_sound = name.starts_with(['A', 'E', 'I', 'O', 'U'])
        || ["HTTP", "FTP", "S3", "RDBMS", "FileSystem"].iter().any(|p| name.starts_with(p));
    if vowel_sound && !name.starts_with("FileSystem") { "an" } else { "a" }
}

fn connection(body: &Object, site: &Site<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(Value::String(connection_type)) = body.get("type") else { return };
    for section in foreign_sections(Kind::Connection, body) {
        diagnostics.push(problems::foreign_section(
            site.file,
            site.key_of(&section),
            &section,
            &format!("a connection of `type: {connection_type}`"),
            "type",
            Some(connection_type),
        ));
    }
    // The schema (`netsuite.yml`, `authType`): the API refuses basic authentication with
    // `netsuite_wsdl_tba_mandatory`. The service lower-cases `authType` first.
    if connection_type == "netsuite"
        && let Some(Value::Object(netsuite)) = body.get("netsuite")
        && let Some(Value::String(auth_type)) = netsuite.get("authType")
        && auth_type.eq_ignore_ascii_case("basic")
    {
        let span = site
            .node
            .get("netsuite")
            .and_then(|entry| entry.value.get("authType"))
            .map_or(site.key_span, |entry| entry.value.span);
        diagnostics.push(problems::netsuite_basic_auth(site.file, span));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles() {
        assert_eq!(article_of("HTTPExport"), "an");
        assert_eq!(article_of("AS2Export"), "an");
        assert_eq!(article_of("NetSuiteExport"), "a");
        assert_eq!(article_of("FileSystemExport"), "a");
        assert_eq!(article_of("S3Export"), "an");
    }

    #[test]
    fn every_section_is_described_by_the_tables() {
        for (kind, adaptors) in [(Kind::Export, EXPORTS), (Kind::Import, IMPORTS)] {
            let root = tables().root(kind).unwrap();
            for adaptor in adaptors {
                if let Some(section) = adaptor.section {
                    assert!(root.fields.contains_key(section), "{kind} `{section}` has no shape");
                }
            }
        }
    }
}
