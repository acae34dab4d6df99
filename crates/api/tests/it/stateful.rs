//! Tests that need server state: pagination over many pages, lost writes, masked secrets, the
//! rate budget against a leaky bucket.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use flowform_api::{Client, Error, Kind, RateLimit, TokioSleeper};
use serde_json::json;

use crate::fake::{Fake, LeakyBucket, TOKEN};
use crate::support::{chain, client, config, json_of};

fn seed_many(fake: &Fake, plural: &str, count: usize) {
    let mut state = fake.state();
    let created = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    for index in 0..count {
        state.seed(plural, json!({"name": format!("{plural}-{index:05}")}), created);
    }
}

#[tokio::test]
async fn lists_every_page_in_order_with_parallel_prefetch() {
    let fake = Fake::start(50).await;
    seed_many(&fake, "flows", 1_234);
    let (mut config, _) = config(&fake.url, TOKEN);
    config.prefetch_pages = 4;
    let client = Client::new(config).unwrap();
    let flows = client.list(Kind::Flow).await.unwrap();
    assert_eq!(flows.len(), 1_234);
    let names: Vec<String> = flows.iter().map(|f| f.name.clone().unwrap()).collect();
    let expected: Vec<String> = (0..1_234).map(|index| format!("flows-{index:05}")).collect();
    assert_eq!(names, expected, "complete, in order, no duplicates");
    // 25 pages are the minimum; speculation may overshoot by at most prefetch - 1 = 3.
    let stats = client.stats();
    assert_eq!(stats.pages, 25);
    let gets = fake.state().count(&Method::GET, "/v1/flows") as u64;
    assert!((25..=28).contains(&gets), "{gets} requests");
    // The links point at another host; every request still reached this server.
    assert_eq!(gets, stats.sent.get);
}

#[tokio::test]
async fn without_prefetch_the_request_count_is_the_minimum() {
    let fake = Fake::start(100).await;
    seed_many(&fake, "exports", 1_000);
    let (mut config, _) = config(&fake.url, TOKEN);
    config.prefetch_pages = 1;
    let client = Client::new(config).unwrap();
    assert_eq!(client.list(Kind::Export).await.unwrap().len(), 1_000);
    assert_eq!(fake.state().count(&Method::GET, "/v1/exports"), 10);
}

#[tokio::test]
async fn a_page_size_the_client_never_assumed() {
    // The server caps pages at 7 whatever `limit` says: links stay authoritative.
    let fake = Fake::start(7).await;
    seed_many(&fake, "imports", 30);
    let (client, _) = client(&fake.url, TOKEN);
    let imports = client.list(Kind::Import).await.unwrap();
    assert_eq!(imports.len(), 30);
    assert_eq!(imports.iter().map(|i| &i.id).collect::<HashSet<_>>().len(), 30);
}

#[tokio::test]
async fn an_empty_kind_is_a_204_and_several_kinds_list_concurrently() {
    let fake = Fake::start(10).await;
    seed_many(&fake, "connections", 25);
    seed_many(&fake, "scripts", 3);
    let (client, _) = client(&fake.url, TOKEN);
    let live = client.list_kinds(&Kind::ALL).await.unwrap();
    assert_eq!(live.len(), 28);
    assert_eq!(live.of_kind(Kind::Connection).count(), 25);
    assert_eq!(live.of_kind(Kind::Flow).count(), 0);
}

#[tokio::test]
async fn a_create_whose_response_is_dropped_after_commit_is_recovered_not_duplicated() {
    let fake = Fake::start(20).await;
    seed_many(&fake, "flows", 45);
    let (client, _) = client(&fake.url, TOKEN);
    // Learn the server clock, as any earlier request does.
    client.whoami().await.unwrap();
    fake.state().drop_after_commit = 1;
    let body = json!({"name": "Orders to ERP", "_integrationId": "i1", "disabled": true});
    let created = client.create(Kind::Flow, &body, &HashSet::new()).await.unwrap();
    assert!(created.recovered);
    let state = fake.state();
    let stored = state.named("flows", "Orders to ERP");
    assert_eq!(stored.len(), 1, "no duplicate was created");
    assert_eq!(created.resource.id, stored[0]["_id"]);
    assert_eq!(
        json_of(&created.resource.document)["disabled"],
        true,
        "the full document was read back"
    );
    assert_eq!(state.count(&Method::POST, "/v1/flows"), 1);
    drop(state);
    assert_eq!(client.stats().recovered_creates, 1);
}

#[tokio::test]
async fn a_create_that_hangs_after_commit_is_recovered() {
    let fake = Fake::start(20).await;
    let (mut config, _) = config(&fake.url, TOKEN);
    config.timeouts.request = Duration::from_millis(300);
    let client = Client::new(config).unwrap();
    fake.state().hang_after_commit = 1;
    let created = client
        .create(Kind::Script, &json!({"name": "hook", "content": "x"}), &HashSet::new())
        .await
        .unwrap();
    assert!(created.recovered);
    assert_eq!(fake.state().named("scripts", "hook").len(), 1);
}

#[tokio::test]
async fn a_create_dropped_before_commit_is_sent_again_once() {
    let fake = Fake::start(20).await;
    let (client, _) = client(&fake.url, TOKEN);
    fake.state().drop_before_commit = 1;
    let created =
        client.create(Kind::Export, &json!({"name": "exp"}), &HashSet::new()).await.unwrap();
    assert!(!created.recovered);
    let state = fake.state();
    assert_eq!(state.named("exports", "exp").len(), 1);
    assert_eq!(state.count(&Method::POST, "/v1/exports"), 2);
}

#[tokio::test]
async fn an_older_namesake_is_not_mistaken_for_the_lost_create() {
    let fake = Fake::start(20).await;
    {
        let mut state = fake.state();
        let yesterday = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
        state.seed("connections", json!({"name": "db"}), yesterday);
        state.drop_after_commit = 1;
    }
    let (client, _) = client(&fake.url, TOKEN);
    client.whoami().await.unwrap();
    let created = client
        .create(Kind::Connection, &json!({"name": "db", "type": "rdbms"}), &HashSet::new())
        .await
        .unwrap();
    assert!(created.recovered);
    assert_eq!(json_of(&created.resource.document)["type"], "rdbms");
    assert_eq!(fake.state().named("connections", "db").len(), 2);
}

#[tokio::test]
async fn several_candidates_are_an_error_naming_them_unless_known() {
    let fake = Fake::start(20).await;
    let (client, _) = client(&fake.url, TOKEN);
    client.whoami().await.unwrap();
    let someone_elses = {
        let mut state = fake.state();
        let id = state.seed("imports", json!({"name": "imp"}), jiff::Timestamp::now());
        state.drop_after_commit = 1;
        id
    };
    let error =
        client.create(Kind::Import, &json!({"name": "imp"}), &HashSet::new()).await.unwrap_err();
    let Error::AmbiguousCreate { candidates, .. } = &error else { panic!("{error:?}") };
    assert_eq!(candidates.len(), 2);
    let text = error.to_string();
    assert!(text.contains(&format!("`{someone_elses}`")), "{text}");
    assert!(text.contains("several imports named `imp`"), "{text}");
    // With the other id known to the caller, the lost create is found again.
    fake.state().drop_after_commit = 1;
    let known: HashSet<String> = candidates.iter().cloned().collect();
    let created = client.create(Kind::Import, &json!({"name": "imp"}), &known).await.unwrap();
    assert!(created.recovered);
    assert!(!known.contains(&created.resource.id));
}

#[tokio::test]
async fn a_flow_is_matched_by_name_and_integration() {
    let fake = Fake::start(20).await;
    let (client, _) = client(&fake.url, TOKEN);
    client.whoami().await.unwrap();
    {
        let mut state = fake.state();
        state.seed(
            "flows",
            json!({"name": "sync", "_integrationId": "other"}),
            jiff::Timestamp::now(),
        );
        state.drop_after_commit = 1;
    }
    let created = client
        .create(Kind::Flow, &json!({"name": "sync", "_integrationId": "mine"}), &HashSet::new())
        .await
        .unwrap();
    assert!(created.recovered);
    assert_eq!(created.resource.integration_id(), Some("mine"));
}

#[tokio::test]
async fn recovery_uses_the_server_clock_from_the_date_header() {
    let fake = Fake::start(20).await;
    {
        let mut state = fake.state();
        // The server runs two hours behind the client.
        state.clock_skew = Duration::from_secs(2 * 3_600);
        state.clock_behind = true;
    }
    let (client, _) = client(&fake.url, TOKEN);
    client.whoami().await.unwrap();
    fake.state().drop_after_commit = 1;
    let created =
        client.create(Kind::Integration, &json!({"name": "ERP"}), &HashSet::new()).await.unwrap();
    assert!(created.recovered, "found although its createdAt is two hours before the local clock");
}

#[tokio::test]
async fn recovery_is_bounded_when_creates_keep_failing_before_commit() {
    let fake = Fake::start(20).await;
    let (client, _) = client(&fake.url, TOKEN);
    fake.state().drop_before_commit = 10;
    let error =
        client.create(Kind::Flow, &json!({"name": "f"}), &HashSet::new()).await.unwrap_err();
    assert!(matches!(error, Error::RetriesExhausted { attempts: 5, .. }), "{error:?}");
    let state = fake.state();
    assert_eq!(state.count(&Method::POST, "/v1/flows"), 5);
    assert!(state.named("flows", "f").is_empty());
}

#[tokio::test]
async fn a_5xx_burst_is_ridden_out_on_reads() {
    let fake = Fake::start(5).await;
    seed_many(&fake, "scripts", 12);
    fake.state().fail_next.extend([503, 502, 500]);
    let (client, _) = client(&fake.url, TOKEN);
    assert_eq!(client.list(Kind::Script).await.unwrap().len(), 12);
    assert_eq!(client.stats().server_errors, 3);
}

#[tokio::test]
async fn masked_secrets_read_back_are_never_written_back() {
    let fake = Fake::start(20).await;
    let (client, _) = client(&fake.url, TOKEN);
    let body = json!({"name": "api", "type": "http", "http": {"auth": {"type": "token", "token": {"token": "real-secret"}}}});
    let created = client.create(Kind::Connection, &body, &HashSet::new()).await.unwrap();
    let live = client.get(Kind::Connection, &created.resource.id).await.unwrap();
    assert_eq!(json_of(&live.document)["http"]["auth"]["token"]["token"], "******");
    // Writing the read document back would overwrite the secret with asterisks: refused.
    let error =
        client.update(Kind::Connection, &live.id, &json_of(&live.document)).await.unwrap_err();
    assert!(
        matches!(&error, Error::MaskInBody { field, .. } if field == "http.auth.token.token"),
        "{error:?}"
    );
    let state = fake.state();
    assert_eq!(state.count(&Method::PUT, "/v1/connections"), 0);
    assert_eq!(
        state.named("connections", "api")[0]["http"]["auth"]["token"]["token"],
        "real-secret"
    );
}

#[tokio::test]
async fn a_wrong_token_against_the_fake() {
    let fake = Fake::start(20).await;
    let (client, _) = client(&fake.url, "not-the-token-at-all");
    let error = client.list(Kind::Flow).await.unwrap_err();
    assert!(error.is_unauthorized());
    let text = chain(&error);
    assert!(
        text.contains("Bearer Authentication Failed") && !text.contains("not-the-token-at-all"),
        "{text}"
    );
}

#[tokio::test]
async fn the_budget_stays_under_a_leaky_bucket_so_no_429_is_received() {
    // A scaled-down account limit (30 burst, 60/s) so the test is quick; the client's budget
    // sits under it like the defaults sit under 1,000/300.
    let fake = Fake::start(20).await;
    fake.state().bucket = Some(LeakyBucket::new(30.0, 60.0));
    let (mut config, _) = config(&fake.url, TOKEN);
    config.sleeper = Arc::new(TokioSleeper);
    config.rate = RateLimit { burst: 27, per_second: 57.0, ..RateLimit::default() };
    config.max_in_flight = 8;
    let client = Client::new(config).unwrap();
    let mut tasks = Vec::new();
    for index in 0..120 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create(
                    Kind::Script,
                    &json!({"name": format!("s{index}"), "content": ""}),
                    &HashSet::new(),
                )
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(fake.state().rate_limited, 0, "a healthy server never had to say 429");
    assert_eq!(client.stats().rate_limited, 0);
    assert_eq!(fake.state().collections["scripts"].len(), 120);
}

#[tokio::test]
async fn an_overeager_budget_backs_off_on_429_and_everything_lands() {
    let fake = Fake::start(20).await;
    fake.state().bucket = Some(LeakyBucket::new(10.0, 100.0));
    let (mut config, _) = config(&fake.url, TOKEN);
    config.sleeper = Arc::new(TokioSleeper);
    config.retry.no_delay = true;
    config.rate = RateLimit { burst: 60, per_second: 1_000.0, ..RateLimit::default() };
    let client = Client::new(config).unwrap();
    let mut tasks = Vec::new();
    for index in 0..60 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create(Kind::Export, &json!({"name": format!("e{index}")}), &HashSet::new())
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = client.stats();
    assert!(stats.rate_limited > 0);
    assert_eq!(stats.rate_limited, fake.state().rate_limited);
    assert!(stats.current_rate_per_second < 1_000.0, "the rate was lowered: {stats:?}");
    assert_eq!(fake.state().collections["exports"].len(), 60, "429s create nothing and are resent");
}
