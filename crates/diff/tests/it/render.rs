//! Rendering rules that need more than one snapshot: the markdown size bound, colour, and the
//! empty plan.

use flowform_diff::DiffOptions;
use flowform_diff::render::{self, HumanOptions, MarkdownOptions};
use flowform_model::Plan;
use serde_json::json;

use crate::support::{World, address, check, id, state_entry};

fn script(lines: usize, seed: usize) -> String {
    (0..lines)
        .map(|line| format!("  const value{line} = input.field{line} * {seed}; // keep `{seed}`\n"))
        .collect()
}

/// 1,500 new scripts of 40 lines, 40 updated connections and 45 deletes.
fn huge_plan() -> Plan {
    let mut world = World::new();
    for number in 0..40 {
        world.applied(
            &format!("connection.c{number}"),
            json!({"name": format!("C{number}"), "http": {"baseURI": "https://a"}}),
        );
        world.desire(
            &format!("connection.c{number}"),
            json!({"name": format!("C{number}"), "http": {"baseURI": "https://b"}}),
        );
    }
    for number in 0..1500 {
        world.desire(
            &format!("script.s{number:04}"),
            json!({"name": format!("S{number}"), "content": script(40, number)}),
        );
    }
    for number in 0..45 {
        world
            .state
            .resources
            .insert(address(&format!("export.gone{number:02}")), state_entry(&id(90_000 + number)));
    }
    world.plan(DiffOptions::default())
}

fn balanced(markdown: &str) {
    assert_eq!(markdown.matches("<details>").count(), markdown.matches("</details>").count());
    let fences = markdown.lines().filter(|line| line.starts_with("```")).count();
    assert_eq!(fences % 2, 0, "unbalanced code fences");
}

#[test]
fn markdown_fits_one_comment_whatever_the_plan_size() {
    let plan = huge_plan();
    let markdown = render::markdown(&plan, &MarkdownOptions::default());
    let length = markdown.chars().count();
    assert!(length <= 60_000, "{length} characters");
    assert!(length > 50_000, "the budget is used: {length} characters");
    assert!(markdown.starts_with("### flowform plan\n\n| action | count |"));
    balanced(&markdown);
    // Deletes come first, so truncation spares them.
    assert!(markdown.contains("<code>delete</code> <b>export.gone44</b>"));
    let head = &markdown[..markdown.find("<details>").unwrap()];
    let tail = &markdown[markdown.rfind("</details>").unwrap()..];
    insta::assert_snapshot!("markdown_truncated_head", head);
    insta::assert_snapshot!("markdown_truncated_tail", tail);
}

#[test]
fn one_huge_resource_is_cut_inside_its_block() {
    let mut world = World::new();
    world.desire("script.huge", json!({"name": "Huge", "content": script(6000, 7)}));
    let plan = world.plan(DiffOptions::default());
    let markdown = render::markdown(&plan, &MarkdownOptions::default());
    assert!(markdown.chars().count() <= 60_000);
    balanced(&markdown);
    assert!(markdown.contains("more lines not shown"));
    assert!(markdown.contains("the last resource shown is cut short"));
}

#[test]
fn small_limits_hold_too() {
    let plan = huge_plan();
    for max_chars in [1_000, 2_500, 10_000] {
        let markdown = render::markdown(&plan, &MarkdownOptions { max_chars });
        assert!(markdown.chars().count() <= max_chars, "{max_chars}");
        balanced(&markdown);
    }
}

#[test]
fn colour_only_when_asked() {
    let plan = huge_plan();
    let plain = render::human(&plan, &HumanOptions { color: false });
    let coloured = render::human(&plan, &HumanOptions { color: true });
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains("\u{1b}["));
    let mut stripped = String::new();
    let mut chars = coloured.chars();
    while let Some(character) = chars.next() {
        if character == '\u{1b}' {
            for next in chars.by_ref() {
                if next == 'm' {
                    break;
                }
            }
        } else {
            stripped.push(character);
        }
    }
    assert_eq!(stripped, plain);
    assert!(plain.ends_with("Plan: 1500 to create, 0 to clone, 40 to update, 45 to delete.\n"));
}

#[test]
fn empty_plan() {
    let world = World::new();
    let plan = check("empty_plan", &world, DiffOptions::default());
    assert!(!plan.has_changes());
}

#[test]
fn the_target_heads_the_human_plan_and_follows_the_markdown_title() {
    let plan = Plan::default();
    let target = render::PlanTarget {
        account: "https://api.integrator.io (user 5f00c0ffee)".into(),
        environment: Some("production".into()),
        note: None,
    };
    let human = render::human_for(&plan, &HumanOptions { color: false }, &target);
    assert!(
        human.starts_with(
            "Target: https://api.integrator.io (user 5f00c0ffee), environment production\n\nNo changes."
        ),
        "{human}"
    );
    assert_eq!(
        human.split_once("\n\n").unwrap().1,
        render::human(&plan, &HumanOptions { color: false }),
        "the rest is the plan as before"
    );
    let saved = render::PlanTarget {
        environment: None,
        note: Some("saved plan; not verified against the account".into()),
        ..target
    };
    let markdown = render::markdown_for(&plan, &MarkdownOptions::default(), &saved);
    assert!(
        markdown.starts_with(
            "### flowform plan\n\nTarget: `https://api.integrator.io (user 5f00c0ffee)` (saved plan; not verified against the account)\n\n| action | count |"
        ),
        "{markdown}"
    );
}
