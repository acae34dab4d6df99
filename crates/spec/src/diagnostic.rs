//! Problems found in a spec: each one an error or a warning at a place in a file, rendered by
//! the CLI through miette.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode, SourceSpan};

use crate::source::{SourceFile, Span};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Context for another diagnostic (the first definition of a duplicate); only found in
    /// [`Diagnostic::related`].
    Note,
    /// Worth a look, but the spec can be used: `validate` still exits 0.
    Warning,
    /// The spec cannot be used as written: `validate` exits 1.
    Error,
}

/// What kind of problem a diagnostic reports. Each variant has a stable text code
/// (`spec::duplicate-key`), shown by the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A path given with `-f` (or `--var-file`) does not exist or cannot be read, or the
    /// `.flowformignore` file cannot be used.
    Io,
    /// A directory holds no spec files.
    NoSpecFiles,
    /// A file is larger than the size limit.
    FileTooLarge,
    /// A file is not UTF-8.
    NotUtf8,
    /// The YAML syntax is broken.
    Yaml,
    /// A file holds no YAML document.
    EmptyFile,
    /// A file holds more than one YAML document.
    MultipleDocuments,
    /// A mapping has the same key twice.
    DuplicateMappingKey,
    /// Nesting is deeper than the depth limit.
    TooDeep,
    /// Aliases expand to more nodes than the alias budget allows.
    AliasLimit,
    /// A file has more nodes than the node limit.
    TooManyNodes,
    /// A YAML tag, merge key or complex key that a JSON body cannot hold.
    UnsupportedYaml,
    /// A number that JSON cannot hold exactly.
    InvalidNumber,
    /// A mapping was expected (file root, section, body) and something else was found.
    NotAMapping,
    /// A top-level key that is not one of the sections.
    UnknownSection,
    /// A resource key that does not match `[a-z0-9][a-z0-9_-]{0,62}`.
    InvalidKey,
    /// The same resource key in two places.
    DuplicateKey,
    /// A `${…}` that is not one of the known placeholder forms, or is not closed.
    InvalidPlaceholder,
    /// A reference inside a longer string.
    ReferenceInString,
    /// A reference to a key that does not exist.
    UnknownReference,
    /// A reference of the wrong kind for its field.
    WrongReferenceKind,
    /// A reference in a field that points at a kind flowform does not manage.
    UnmanagedReference,
    /// A value in an id field that is neither a reference nor a 24-hex id.
    NotAReference,
    /// References that form a cycle apply cannot break.
    Cycle,
    /// A field the server owns.
    ServerOwnedField,
    /// A value equal to the API's mask `******`.
    MaskedValue,
    /// `${var.NAME}` with no value.
    UnresolvedVariable,
    /// A variable declaration or value that cannot be used.
    InvalidVariable,
    /// The same variable declared in two places.
    DuplicateVariable,
    /// `--var NAME=VALUE` (an error) or a variable file's entry (a warning) for a variable no
    /// `variables:` section declares.
    UndeclaredVariable,
    /// `${env.NAME}` whose environment variable is unset.
    MissingEnvironmentVariable,
    /// `${secret.NAME}` whose environment variable is unset.
    MissingSecret,
    /// A flow with both `pageProcessors` and `routers`.
    StepsAndRouters,
    /// Two routers with the same `id`.
    DuplicateRouterId,
    /// A `nextRouterId` that names no router.
    UnknownNextRouter,
    /// A flow step whose `type` does not match its id field.
    StepType,
    /// A `schedule` that is not Celigo's cron, or has no `timezone`.
    Schedule,
    /// A body field that Celigo's schemas (and the API reference) do not list where it is
    /// written.
    UnknownField,
    /// A script `contentFile` that escapes the spec root, is missing, too large or not UTF-8.
    ContentFile,
    /// A `lifecycle` block that cannot be used.
    Lifecycle,
    /// A `moved` entry that cannot be used.
    Moved,
    /// An environment file (`--env NAME`) that cannot be used.
    Environment,
    /// A field that integrator.io or Celigo's schemas require is missing.
    MissingField,
    /// A value of a JSON type the field cannot hold.
    InvalidType,
    /// A value the field does not take: outside its enumeration, or refused by the service.
    InvalidValue,
    /// A value the service stores in another form (a list of one, another case, a number for a
    /// numeric string); the warning gives that form.
    RewrittenValue,
    /// A number or a string outside the bounds Celigo's schemas give.
    OutOfRange,
    /// A section of another adaptor or connection type (`netsuite` on an `HTTPExport`).
    AdaptorSection,
    /// A plain value at a write-only (secret) path; it should be `${secret.NAME}`.
    PlainSecret,
    /// `${secret.NAME}` whose environment variable is set but empty.
    EmptySecret,
    /// A `data:` lookup that cannot be used, or a `${data.KIND.KEY}` that names none.
    InvalidLookup,
    /// A flow group that cannot be used: `flowGroups` of an integration, a flow's `flowGroup`.
    FlowGroup,
    /// A lookup cache's `dataFile` that escapes the spec root, is missing or cannot be read.
    DataFile,
}

impl Code {
    /// Every code, in the order they are declared.
    pub const ALL: &[Code] = &[
        Code::Io,
        Code::NoSpecFiles,
        Code::FileTooLarge,
        Code::NotUtf8,
        Code::Yaml,
        Code::EmptyFile,
        Code::MultipleDocuments,
        Code::DuplicateMappingKey,
        Code::TooDeep,
        Code::AliasLimit,
        Code::TooManyNodes,
        Code::UnsupportedYaml,
        Code::InvalidNumber,
        Code::NotAMapping,
        Code::UnknownSection,
        Code::InvalidKey,
        Code::DuplicateKey,
        Code::InvalidPlaceholder,
        Code::ReferenceInString,
        Code::UnknownReference,
        Code::WrongReferenceKind,
        Code::UnmanagedReference,
        Code::NotAReference,
        Code::Cycle,
        Code::ServerOwnedField,
        Code::MaskedValue,
        Code::UnresolvedVariable,
        Code::InvalidVariable,
        Code::DuplicateVariable,
        Code::UndeclaredVariable,
        Code::MissingEnvironmentVariable,
        Code::MissingSecret,
        Code::StepsAndRouters,
        Code::DuplicateRouterId,
        Code::UnknownNextRouter,
        Code::StepType,
        Code::Schedule,
        Code::UnknownField,
        Code::ContentFile,
        Code::Lifecycle,
        Code::Moved,
        Code::Environment,
        Code::MissingField,
        Code::InvalidType,
        Code::InvalidValue,
        Code::RewrittenValue,
        Code::OutOfRange,
        Code::AdaptorSection,
        Code::PlainSecret,
        Code::EmptySecret,
        Code::InvalidLookup,
        Code::FlowGroup,
        Code::DataFile,
    ];

    /// The stable text code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "spec::io",
            Code::NoSpecFiles => "spec::no-spec-files",
            Code::FileTooLarge => "spec::file-too-large",
            Code::NotUtf8 => "spec::not-utf8",
            Code::Yaml => "spec::yaml",
            Code::EmptyFile => "spec::empty-file",
            Code::MultipleDocuments => "spec::multiple-documents",
            Code::DuplicateMappingKey => "spec::duplicate-mapping-key",
            Code::TooDeep => "spec::too-deep",
            Code::AliasLimit => "spec::alias-limit",
            Code::TooManyNodes => "spec::too-many-nodes",
            Code::UnsupportedYaml => "spec::unsupported-yaml",
            Code::InvalidNumber => "spec::invalid-number",
            Code::NotAMapping => "spec::not-a-mapping",
            Code::UnknownSection => "spec::unknown-section",
            Code::InvalidKey => "spec::invalid-key",
            Code::DuplicateKey => "spec::duplicate-key",
            Code::InvalidPlaceholder => "spec::invalid-placeholder",
            Code::ReferenceInString => "spec::reference-in-string",
            Code::UnknownReference => "spec::unknown-reference",
            Code::WrongReferenceKind => "spec::wrong-reference-kind",
            Code::UnmanagedReference => "spec::unmanaged-reference",
            Code::NotAReference => "spec::not-a-reference",
            Code::Cycle => "spec::cycle",
            Code::ServerOwnedField => "spec::server-owned-field",
            Code::MaskedValue => "spec::masked-value",
            Code::UnresolvedVariable => "spec::unresolved-variable",
            Code::InvalidVariable => "spec::invalid-variable",
            Code::DuplicateVariable => "spec::duplicate-variable",
            Code::UndeclaredVariable => "spec::undeclared-variable",
            Code::MissingEnvironmentVariable => "spec::missing-env",
            Code::MissingSecret => "spec::missing-secret",
            Code::StepsAndRouters => "spec::steps-and-routers",
            Code::DuplicateRouterId => "spec::duplicate-router-id",
            Code::UnknownNextRouter => "spec::unknown-next-router",
            Code::StepType => "spec::step-type",
            Code::Schedule => "spec::schedule",
            Code::UnknownField => "spec::unknown-field",
            Code::ContentFile => "spec::content-file",
            Code::Lifecycle => "spec::lifecycle",
            Code::Moved => "spec::moved",
            Code::Environment => "spec::environment",
            Code::MissingField => "spec::missing-field",
            Code::InvalidType => "spec::invalid-type",
            Code::InvalidValue => "spec::invalid-value",
            Code::RewrittenValue => "spec::rewritten-value",
            Code::OutOfRange => "spec::out-of-range",
            Code::AdaptorSection => "spec::adaptor-section",
            Code::PlainSecret => "spec::plain-secret",
            Code::EmptySecret => "spec::empty-secret",
            Code::InvalidLookup => "spec::lookup",
            Code::FlowGroup => "spec::flow-group",
            Code::DataFile => "spec::data-file",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_unique_and_documented_in_the_readme() {
        let source = include_str!("diagnostic.rs");
        let arms = source.matches(" => \"spec::").count();
        assert_eq!(Code::ALL.len(), arms, "Code::ALL misses a code");
        let readme = include_str!("../../../README.md");
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "`{code}` twice");
            assert!(readme.contains(&format!("`{code}`")), "README.md does not document `{code}`");
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a spec, with where it is and how to fix it.
///
/// It implements [`miette::Diagnostic`], so the CLI can render it with a source snippet; this
/// crate never renders or prints it.
#[derive(Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem this is.
    pub code: Code,
    /// What is wrong: lowercase, no trailing period, values in backticks.
    pub message: String,
    /// The file the problem is in, when it is in a file.
    pub file: Option<PathBuf>,
    /// 1-based line of the labelled span (0 when there is no file).
    pub line: usize,
    /// 1-based column of the labelled span, in characters (0 when there is no file).
    pub column: usize,
    /// The text shown under the labelled span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// The labelled span in the file, as bytes.
    pub span: Option<SourceSpan>,
    /// Other places that belong to this problem (the first definition of a duplicate, the
    /// other edges of a cycle).
    pub related: Vec<Diagnostic>,
    source: Option<NamedSource<Arc<String>>>,
}

impl Diagnostic {
    /// A problem that is not in any file (a missing path, a bad `--var`).
    pub fn without_location(
        severity: Severity,
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: None,
            line: 0,
            column: 0,
            label: None,
            help: None,
            span: None,
            related: Vec::new(),
            source: None,
        }
    }

    /// A problem at `span` in `file`.
    pub(crate) fn at(
        severity: Severity,
        code: Code,
        file: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = file.line_column(span.start);
        // A label on one line reads better than one that drags the rest of a block collection
        // along; the start is what points at the problem.
        let line_end = file.text[span.start.min(file.text.len())..]
            .find(['\n', '\r'])
            .map_or(file.text.len(), |offset| span.start + offset);
        let span = Span::new(span.start, span.end.min(line_end.max(span.start)));
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: Some(file.path.clone()),
            line,
            column,
            label: None,
            help: None,
            span: Some(SourceSpan::new(span.start.into(), span.len())),
            related: Vec::new(),
            source: Some(file.named.clone()),
        }
    }

    pub(crate) fn error(
        code: Code,
        file: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::at(Severity::Error, code, file, span, message)
    }

    pub(crate) fn note(file: &SourceFile, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(Severity::Note, Code::Io, file, span, message)
    }

    pub(crate) fn warning(
        code: Code,
        file: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::at(Severity::Warning, code, file, span, message)
    }

    /// Names the file a problem is in when there is no span to show (a file too large to read).
    pub(crate) fn with_file(mut self, path: &std::path::Path) -> Diagnostic {
        self.file = Some(path.to_path_buf());
        self.line = 1;
        self.column = 1;
        self
    }

    /// Sets the label under the span.
    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Sets the help line.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    pub(crate) fn with_optional_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    /// Adds another place that belongs to this problem.
    pub(crate) fn with_related(mut self, mut related: Diagnostic) -> Diagnostic {
        related.code = self.code;
        self.related.push(related);
        self
    }

    /// Turns a warning into an error (`--strict`), saying so in the help.
    pub(crate) fn make_strict(&mut self) {
        if self.severity == Severity::Warning {
            self.severity = Severity::Error;
            self.help = Some(match self.help.take() {
                Some(help) => format!("{help} (an error under `--strict`)"),
                None => "an error under `--strict`".to_owned(),
            });
        }
    }

    /// Shows `source` instead of the file's text when this diagnostic (or a related place) is
    /// in the file at `path`: the loader passes the text with secret values hidden.
    pub(crate) fn redact(&mut self, path: &std::path::Path, source: &NamedSource<Arc<String>>) {
        if self.file.as_deref() == Some(path) && self.source.is_some() {
            self.source = Some(source.clone());
        }
        for related in &mut self.related {
            related.redact(path, source);
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column`, or nothing when the problem is not in a file.
    pub fn location(&self) -> Option<String> {
        self.file.as_ref().map(|file| format!("{}:{}:{}", file.display(), self.line, self.column))
    }

    /// The source text of the file the problem is in.
    pub fn source_text(&self) -> Option<&str> {
        self.source.as_ref().map(|source| source.inner().as_str())
    }
}

impl fmt::Debug for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Diagnostic");
        debug
            .field("severity", &self.severity)
            .field("code", &self.code.as_str())
            .field("message", &self.message)
            .field("location", &self.location());
        if let Some(help) = &self.help {
            debug.field("help", help);
        }
        if !self.related.is_empty() {
            debug.field("related", &self.related);
        }
        debug.finish()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(
            self.label.clone(),
            span,
        ))))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|related| related as &dyn miette::Diagnostic)))
    }
}
