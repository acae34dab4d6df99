//! Command-line usage errors exit 64, so 2 always means "changes present".

use crate::support::TestContext;

#[test]
fn usage_errors_exit_64() {
    let context = TestContext::new();
    cli_snapshot!(context, context.flowform().args(["state", "mv", "flow.a"]), @"
    exit_code: 64
    ----- stdout -----

    ----- stderr -----
    error: the following required arguments were not provided:
      <TO>

    Usage: flowform state mv <FROM> <TO>

    For more information, try '--help'.
    ");
    for arguments in [
        &["state"][..],
        &["run"],
        &["import", "flow.a"],
        &["state", "list", "--format", "xml"],
        &["state", "list", "--sandbox", "--region", "eu"],
        &["run", "flow.a", "--timeout", "soon"],
        &["emulator", "serve", "--addr", "nowhere"],
    ] {
        let (code, rendered) = context.run(context.flowform().args(arguments));
        assert_eq!(code, 64, "{arguments:?}: {rendered}");
    }
}
