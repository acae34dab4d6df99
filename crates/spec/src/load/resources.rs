//! Stage 5: every declared resource converted ([`convert`](super::convert)) and checked on its
//! own (its references, a flow's rules, the schema checks of [`validate`]), in batches on every
//! core. Each batch has its own [`Resolver`]; the batches' diagnostics and resolvers are joined
//! in declaration order, so the result is what converting one resource after another gives.

use flowform_model::DesiredResource;
use flowform_model::lookup_data::DataFile;

use super::convert;
use super::declarations::ResourceDeclaration;
use super::parallel;
use crate::checks::ReferenceUse;
use crate::checks::flows;
use crate::checks::references::{self, Declared};
use crate::content_file;
use crate::diagnostic::Diagnostic;
use crate::resolve::Resolver;
use crate::source::Span;
use crate::validate;

/// Resources per batch: small enough for two cores to finish close together, large enough
/// that a batch's set-up does not count.
const BATCH: usize = 32;

/// One resource converted and checked, with what the checks over all resources need.
pub(crate) struct Checked<'d, 'a> {
    pub declaration: &'d ResourceDeclaration<'a>,
    pub resource: DesiredResource,
    pub uses: Vec<ReferenceUse>,
    /// A flow's `flowGroup`, with where it is written.
    pub group: Option<(String, Span)>,
    /// A lookup cache's `dataFile`.
    pub data_file: Option<DataFile>,
    /// Secrets written in plain text, to hide from the file's snippets.
    pub plain_secrets: Vec<Span>,
}

/// What the resources need from the stages before.
pub(crate) struct Context<'c, 'r> {
    pub declared: &'c Declared,
    pub content_root: &'c content_file::Root,
    /// Makes each batch's resolver (the variables, the environment, the secret policy).
    pub resolver: &'c (dyn Fn() -> Resolver<'r> + Sync),
}

/// Converts and checks `declarations` (unique by address: the declarations stage reports and
/// drops repeats) on up to `threads` threads. The diagnostics go to `diagnostics` and the
/// resolvers' findings into `resolver`, in the order one resource after another gives them.
pub(crate) fn convert_and_check<'d, 'a, 'r>(
    declarations: &'d [ResourceDeclaration<'a>],
    context: &Context<'_, 'r>,
    threads: usize,
    resolver: &mut Resolver<'r>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Checked<'d, 'a>> {
    let batches = parallel::in_order(declarations, BATCH, threads, |batch| {
        let mut resolver = (context.resolver)();
        let mut diagnostics = Vec::new();
        let checked: Vec<Checked<'d, 'a>> = batch
            .iter()
            .map(|declaration| check_one(declaration, context, &mut resolver, &mut diagnostics))
            .collect();
        (checked, resolver, diagnostics)
    });
    let mut all = Vec::with_capacity(declarations.len());
    for (checked, batch_resolver, mut batch_diagnostics) in batches {
        all.extend(checked);
        resolver.append(batch_resolver);
        diagnostics.append(&mut batch_diagnostics);
    }
    all
}

fn check_one<'d, 'a, 'r>(
    declaration: &'d ResourceDeclaration<'a>,
    context: &Context<'_, 'r>,
    resolver: &mut Resolver<'r>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Checked<'d, 'a> {
    let convert::Converted { resource, mut uses, literals, lookups, group, data_file } =
        convert::convert_resource(declaration, resolver, context.content_root, diagnostics);
    references::check(
        declaration.file,
        &mut uses,
        &literals,
        &lookups,
        context.declared,
        diagnostics,
    );
    if declaration.address.kind == flowform_model::Kind::Flow {
        flows::check(declaration.file, &resource.body, declaration.body, diagnostics);
    }
    let plain_secrets = if declaration.body.as_mapping().is_some() {
        validate::check(
            &declaration.address,
            declaration.file,
            declaration.key_span,
            &resource.body,
            declaration.body,
            diagnostics,
        )
    } else {
        Vec::new()
    };
    Checked { declaration, resource, uses, group, data_file, plain_secrets }
}
