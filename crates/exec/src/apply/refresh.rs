//! `apply --refresh-only`: the account as it is, accepted into the state. Nothing is written to
//! the account.

use flowform_diff::live_baseline;
use flowform_model::{Address, LiveState, Plan};

use crate::state::remote::StateApi;
use crate::state::{StateWriter, StoreError};

/// What accepting a refresh-only plan did to the state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Resources changed outside flowform whose baseline now records them as they are.
    pub accepted: usize,
    /// Resources deleted outside flowform, removed from the state.
    pub forgotten: usize,
    /// Resources that had no baseline, or one made by older normalisation rules, and have a
    /// current one now.
    pub baselines: usize,
}

/// Accepts a refresh-only plan: every resource changed outside flowform gets the live document
/// read for the plan as its baseline, every resource deleted outside flowform leaves the state
/// (a resource the spec still declares is then planned as a create), and resources without a
/// baseline get one. The rest of each entry (ids, applied paths, fingerprints, the
/// `lastModified` of flowform's last write) stays: flowform wrote nothing.
///
/// A plan that is not refresh-only is left alone (its changes are the executor's,
/// [`super::apply`]).
pub async fn accept<A: StateApi>(
    writer: &mut StateWriter<'_, A>,
    plan: &Plan,
    live: &LiveState,
) -> Result<RefreshReport, StoreError> {
    let mut report = RefreshReport::default();
    if !plan.refresh_only {
        return Ok(report);
    }
    let salt = writer.state().salt.clone();
    for change in &plan.changed_outside {
        if change.deleted {
            if writer.state().get(&change.address).is_some() {
                writer.remove(&change.address).await?;
                report.forgotten += 1;
            }
            continue;
        }
        let Some(entry) = writer.state().get(&change.address) else { continue };
        let Some(resource) = live.get(change.address.kind, &entry.id) else { continue };
        let mut updated = entry.clone();
        updated.live = Some(live_baseline(change.address.kind, &salt, &resource.document, entry));
        writer.put(&change.address, updated).await?;
        report.accepted += 1;
    }
    for address in &plan.without_baseline {
        let Some(entry) = writer.state().get(address) else { continue };
        let Some(resource) = live.get(address.kind, &entry.id) else { continue };
        let mut updated = entry.clone();
        updated.live = Some(live_baseline(address.kind, &salt, &resource.document, entry));
        writer.put(address, updated).await?;
        report.baselines += 1;
    }
    // Baselines made by older normalisation rules whose documents did not change (the plan
    // listed the changed ones as without a baseline): made anew, which accepts nothing.
    let stale: Vec<Address> = writer
        .state()
        .resources
        .iter()
        .filter(|(_, entry)| entry.live.as_ref().is_some_and(|live| !live.is_current()))
        .map(|(address, _)| address.clone())
        .collect();
    for address in &stale {
        let Some(entry) = writer.state().get(address) else { continue };
        let Some(resource) = live.get(address.kind, &entry.id) else { continue };
        let mut updated = entry.clone();
        updated.live = Some(live_baseline(address.kind, &salt, &resource.document, entry));
        writer.put(address, updated).await?;
        report.baselines += 1;
    }
    Ok(report)
}
