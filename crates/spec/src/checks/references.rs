//! References: that they name a declared resource, and one of the kind their field points at;
//! and that id fields hold a reference or a literal id.

use flowform_model::fields::{RefTarget, SAMPLE_DATA_FIELDS, reference_target};
use flowform_model::references::{IdField, Site, for_each_id_field};
use flowform_model::{Address, DataAddress, FieldPath, Kind, Lookup, LookupKind, Object, Segment};
use flowform_model::{KeyHashMap, KeyHashSet};

use super::{ReferenceUse, node_at};
use crate::diagnostic::{Code, Diagnostic};
use crate::lifecycle::is_literal_id;
use crate::source::{SourceFile, Span};
use crate::suggest::{closest, did_you_mean};
use crate::yaml::Node;

/// Every declared key, by kind, and every `data:` lookup.
pub(crate) struct Declared {
    keys: KeyHashMap<Kind, Vec<String>>,
    addresses: KeyHashSet<Address>,
    lookups: KeyHashSet<DataAddress>,
}

impl Declared {
    pub(crate) fn new<'a>(addresses: impl IntoIterator<Item = &'a Address>) -> Declared {
        let mut declared = Declared {
            keys: KeyHashMap::default(),
            addresses: KeyHashSet::default(),
            lookups: KeyHashSet::default(),
        };
        for address in addresses {
            declared.keys.entry(address.kind).or_default().push(address.key.clone());
            declared.addresses.insert(address.clone());
        }
        declared
    }

    /// Adds the `data:` lookups.
    pub(crate) fn with_lookups<'a>(
        mut self,
        lookups: impl IntoIterator<Item = &'a DataAddress>,
    ) -> Declared {
        self.lookups.extend(lookups.into_iter().cloned());
        self
    }

    pub(crate) fn contains(&self, address: &Address) -> bool {
        self.addresses.contains(address)
    }

    fn keys(&self, kind: Kind) -> impl Iterator<Item = &str> {
        self.keys.get(&kind).into_iter().flatten().map(String::as_str)
    }
}

/// "an export", "a flow".
pub(crate) fn with_article(kind: Kind) -> String {
    kind.with_article()
}

/// Subtrees holding free-form settings or sample data, where a key that looks like an id field
/// is not one.
fn is_free_form(path: &[Segment]) -> bool {
    matches!(path.first(), Some(Segment::Key(first))
        if first == "settings" || first == "settingsForm" || SAMPLE_DATA_FIELDS.contains(&first.as_str()))
}

/// A `${data.KIND.KEY}` in a body.
pub(crate) struct LookupUse {
    path: FieldPath,
    address: DataAddress,
    target: Option<RefTarget>,
    span: Span,
    free_form: bool,
}

/// A string in an id field that is neither a reference nor a literal id.
pub(crate) struct Literal {
    path: FieldPath,
    text: String,
    target: RefTarget,
    span: Span,
}

/// Finds the references and the id-field literals in a body, through the model's reference
/// walker; each is located at its node (as deep as the node tree goes).
pub(crate) fn collect(
    body: &Object,
    node: &Node,
) -> (Vec<ReferenceUse>, Vec<Literal>, Vec<LookupUse>) {
    let mut uses = Vec::new();
    let mut literals = Vec::new();
    let mut lookups = Vec::new();
    for_each_id_field(body, &mut |site, field| match field {
        IdField::Lookup(Lookup::Data(address)) => {
            let path = site.to_path();
            let span = node_at(node, path.segments()).span;
            lookups.push(LookupUse {
                path,
                address: address.clone(),
                target: site.target(),
                span,
                free_form: is_free_form_site(site),
            });
        }
        // A flow's group is checked with its integration's groups (checks/groups.rs).
        IdField::Lookup(Lookup::FlowGroup(_)) => {}
        IdField::Ref(address) => {
            let path = site.to_path();
            let span = node_at(node, path.segments()).span;
            uses.push(ReferenceUse { path, address: address.clone(), span, expected: None });
        }
        IdField::Text(text, target)
            if !text.is_empty() && !is_literal_id(text) && !is_free_form_site(site) =>
        {
            let path = site.to_path();
            let span = node_at(node, path.segments()).span;
            literals.push(Literal { path, text: text.to_owned(), target, span });
        }
        IdField::Text(..) => {}
    });
    (uses, literals, lookups)
}

/// [`is_free_form`] of a walker's site.
fn is_free_form_site(site: Site<'_, '_>) -> bool {
    site.first_key().is_some_and(|first| {
        first == "settings" || first == "settingsForm" || SAMPLE_DATA_FIELDS.contains(&first)
    })
}

/// Checks the references, lookups and literals of one resource. Keeps in `uses` only the
/// references that are fine, so a reference already reported (unknown, or of the wrong kind)
/// does not also show up as a dependency cycle.
pub(crate) fn check(
    file: &SourceFile,
    uses: &mut Vec<ReferenceUse>,
    literals: &[Literal],
    lookups: &[LookupUse],
    declared: &Declared,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for lookup in lookups {
        if let Some(diagnostic) = check_lookup(file, lookup, declared) {
            diagnostics.push(diagnostic);
        }
    }
    uses.retain(|reference| match check_reference(file, reference, declared) {
        Some(diagnostic) => {
            diagnostics.push(diagnostic);
            false
        }
        None => true,
    });
    for literal in literals {
        let field = literal.path.last_key().unwrap_or_default();
        let (expected, help) = match literal.target {
            RefTarget::Managed(kind) => {
                let candidate = Address::new(kind, literal.text.clone());
                let help = if declared.contains(&candidate) {
                    format!("did you mean `${{{candidate}}}`?")
                } else {
                    format!(
                        "write `${{{}.KEY}}` for {} in this spec, or the 24-hex id of one that is \
                         not",
                        kind.singular(),
                        with_article(kind)
                    )
                };
                (format!("a reference such as `${{{}.KEY}}` or a 24-hex id", kind.singular()), help)
            }
            RefTarget::Unmanaged(collection) => match LookupKind::from_plural(collection) {
                Some(kind) => (
                    format!("a lookup such as `${{data.{kind}.KEY}}` or a 24-hex id"),
                    format!(
                        "`{field}` points at `{collection}`, which flowform does not manage: \
                         find one by name under `data: {{{collection}: {{KEY: {{name: …}}}}}}`"
                    ),
                ),
                None => (
                    "a 24-hex id".to_owned(),
                    format!("`{field}` points at `{collection}`, which flowform does not manage"),
                ),
            },
        };
        diagnostics.push(
            Diagnostic::error(
                Code::NotAReference,
                file,
                literal.span,
                format!("`{}` takes {expected}, found `{}`", literal.path, literal.text),
            )
            .with_help(help),
        );
    }
}

fn check_reference(
    file: &SourceFile,
    reference: &ReferenceUse,
    declared: &Declared,
) -> Option<Diagnostic> {
    let address = &reference.address;
    let written = format!("${{{address}}}");
    let field = reference.path.to_string();
    if let Some(expected) = reference.expected {
        if expected != address.kind {
            return Some(wrong_kind(file, reference, &field, expected, declared));
        }
    } else if !is_free_form(reference.path.segments()) {
        match reference_target(&reference.path) {
            Some(RefTarget::Managed(expected)) if expected != address.kind => {
                return Some(wrong_kind(file, reference, &field, expected, declared));
            }
            Some(RefTarget::Unmanaged(collection)) => {
                return Some(
                    Diagnostic::error(
                        Code::UnmanagedReference,
                        file,
                        reference.span,
                        format!(
                            "`{field}` points at `{collection}`, which flowform does not manage, \
                             so it cannot hold `{written}`"
                        ),
                    )
                    .with_label("not a reference field")
                    .with_help(match LookupKind::from_plural(collection) {
                        Some(kind) => format!(
                            "find it with a `data:` lookup (`${{data.{kind}.KEY}}`), or write the \
                             24-hex id from `{collection}`"
                        ),
                        None => format!("write the 24-hex id from `{collection}`"),
                    }),
                );
            }
            _ => {}
        }
    }
    if declared.contains(address) {
        return None;
    }
    let suggestions = closest(&address.key, declared.keys(address.kind));
    let mut help =
        did_you_mean(&suggestions, |key| format!("${{{}.{key}}}", address.kind.singular()));
    let elsewhere: Vec<String> = Kind::ALL
        .into_iter()
        .filter(|kind| *kind != address.kind)
        .map(|kind| Address::new(kind, address.key.clone()))
        .filter(|other| declared.contains(other))
        .map(|other| format!("`{other}`"))
        .collect();
    if !elsewhere.is_empty() {
        let note = format!(
            "{} exists, but this reference names {}",
            elsewhere.join(" and "),
            with_article(address.kind)
        );
        help = Some(match help {
            Some(help) => format!("{help} ({note})"),
            None => note,
        });
    }
    let help = help
        .unwrap_or_else(|| format!("declare `{}` under `{}:`", address.key, address.kind.plural()));
    Some(
        Diagnostic::error(
            Code::UnknownReference,
            file,
            reference.span,
            format!(
                "unknown reference `{written}`: no {} has the key `{}`",
                address.kind, address.key
            ),
        )
        .with_label("unknown key")
        .with_help(help),
    )
}

fn check_lookup(file: &SourceFile, lookup: &LookupUse, declared: &Declared) -> Option<Diagnostic> {
    let address = &lookup.address;
    let written = format!("${{{address}}}");
    let field = lookup.path.to_string();
    if !lookup.free_form {
        let expected = match lookup.target {
            Some(RefTarget::Managed(kind)) => Some(LookupKind::Managed(kind)),
            // A collection no lookup searches: nothing of `data:` fits.
            Some(RefTarget::Unmanaged(collection)) => LookupKind::from_plural(collection),
            None => None,
        };
        let fits = match lookup.target {
            None => true,
            Some(_) => expected == Some(address.kind),
        };
        if !fits {
            let help = match expected {
                Some(kind) => format!("write `${{data.{}.KEY}}`", kind.singular()),
                None => "write the 24-hex id this field takes".to_owned(),
            };
            return Some(
                Diagnostic::error(
                    Code::WrongReferenceKind,
                    file,
                    lookup.span,
                    format!(
                        "`{field}` takes {}, but `{written}` finds {}",
                        expected.map_or_else(
                            || "an id of a collection no lookup searches".to_owned(),
                            |kind| format!("the id of {}", article(kind.described()))
                        ),
                        article(address.kind.described())
                    ),
                )
                .with_label("wrong kind")
                .with_help(help),
            );
        }
    }
    if declared.lookups.contains(address) {
        return None;
    }
    let keys: Vec<&str> = declared
        .lookups
        .iter()
        .filter(|declared| declared.kind == address.kind)
        .map(|declared| declared.key.as_str())
        .collect();
    let suggestions = closest(&address.key, keys);
    let help = did_you_mean(&suggestions, |key| format!("${{data.{}.{key}}}", address.kind))
        .unwrap_or_else(|| {
            format!(
                "declare it: `data: {{{}: {{{}: {{name: NAME}}}}}}`",
                address.kind.plural(),
                address.key
            )
        });
    Some(
        Diagnostic::error(
            Code::InvalidLookup,
            file,
            lookup.span,
            format!(
                "unknown lookup `{written}`: `data.{}` has no key `{}`",
                address.kind.plural(),
                address.key
            ),
        )
        .with_label("unknown lookup")
        .with_help(help),
    )
}

/// "an agent", "a lookup cache".
fn article(described: &str) -> String {
    match described.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u' | b'E') => format!("an {described}"),
        _ => format!("a {described}"),
    }
}

fn wrong_kind(
    file: &SourceFile,
    reference: &ReferenceUse,
    field: &str,
    expected: Kind,
    declared: &Declared,
) -> Diagnostic {
    let address = &reference.address;
    let same_key = Address::new(expected, address.key.clone());
    let help = if declared.contains(&same_key) {
        format!("did you mean `${{{same_key}}}`?")
    } else {
        format!("write `${{{}.KEY}}`", expected.singular())
    };
    Diagnostic::error(
        Code::WrongReferenceKind,
        file,
        reference.span,
        format!(
            "`{field}` points at {}, but `${{{address}}}` is {}",
            with_article(expected),
            with_article(address.kind)
        ),
    )
    .with_label(format!("expected {}", with_article(expected)))
    .with_help(help)
}
