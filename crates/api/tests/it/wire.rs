//! Precise request/response sequences against wiremock.

use std::collections::HashSet;
use std::time::Duration;

use flowform_api::{Error, JobStatus, Kind, PatchOp, StateScope};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{chain, client, config, json_of};

const TOKEN: &str = "wire-token-SECRET-9f8e7d6c5b4a";

fn flow(id: &str, name: &str) -> serde_json::Value {
    json!({"_id": id, "name": name, "lastModified": "2026-01-01T00:00:00.000Z", "createdAt": "2026-01-01T00:00:00.000Z"})
}

async fn requests_to(server: &MockServer, http_method: &str, prefix: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == http_method && r.url.path().starts_with(prefix))
        .count()
}

#[tokio::test]
async fn whoami_sends_the_bearer_token_and_reads_token_info() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/tokenInfo"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"_userId": "u1", "scope": "*"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let info = client.whoami().await.unwrap();
    assert_eq!(info.user_id.as_deref(), Some("u1"));
    assert_eq!(info.scope.as_deref(), Some("*"));
    assert!(!format!("{client:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_401_says_the_token_was_rejected_and_which_endpoint_was_asked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/tokenInfo"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Bearer Authentication Failed"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error = client.whoami().await.unwrap_err();
    assert!(error.is_unauthorized());
    let text = error.to_string();
    assert!(text.contains("token was rejected"), "{text}");
    assert!(text.contains(&server.uri()), "{text}");
    assert!(text.contains("GET /v1/tokenInfo"), "{text}");
    assert!(text.contains("Bearer Authentication Failed"), "{text}");
    assert!(!chain(&error).contains(TOKEN));
}

#[tokio::test]
async fn a_404_names_the_method_and_the_path_with_the_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/5f00000000000000000000aa"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"errors": [{"code": "not_found", "message": "Object not found"}]}),
        ))
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error = client.get(Kind::Flow, "5f00000000000000000000aa").await.unwrap_err();
    assert!(error.is_not_found());
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(text.contains("GET /v1/flows/5f00000000000000000000aa"), "{text}");
    assert!(text.contains("`not_found`: Object not found"), "{text}");
    // Not retried: a 404 is an answer.
    assert_eq!(requests_to(&server, "GET", "/v1/flows").await, 1);
}

#[tokio::test]
async fn a_422_envelope_keeps_every_code_message_and_field() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/exports/e1"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"errors": [
            {"code": "invalid_field", "message": "`adaptorType` is required when `type` is `http`", "field": "adaptorType"},
            {"code": "invalid_ref", "message": "Invalid reference: _connectionId", "field": "_connectionId"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error = client.update(Kind::Export, "e1", &json!({"name": "x"})).await.unwrap_err();
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.api_errors().len(), 2);
    assert_eq!(error.api_errors()[1].field.as_deref(), Some("_connectionId"));
    let text = error.to_string();
    assert!(text.starts_with("`PUT /v1/exports/e1` failed with status 422"), "{text}");
    assert!(text.contains("`invalid_field`: `adaptorType` is required"), "{text}");
    assert!(text.contains("(field `_connectionId`)"), "{text}");
}

#[tokio::test]
async fn plain_text_and_odd_error_bodies_are_reported() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/imports/i1"))
        .respond_with(ResponseTemplate::new(409).set_body_string("Conflict: resource is in use"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/imports/i2"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"errors": ["first problem", "second problem"]})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let text = client.delete(Kind::Import, "i1").await.unwrap_err().to_string();
    assert!(text.contains("409") && text.contains("Conflict: resource is in use"), "{text}");
    let text = client.delete(Kind::Import, "i2").await.unwrap_err().to_string();
    assert!(text.contains("first problem; second problem"), "{text}");
}

#[tokio::test]
async fn a_429_waits_at_least_retry_after_and_lowers_the_rate() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/f1"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(json!({"errors": [{"code": "rate_limited", "message": "Too many requests. Retry after 2 seconds."}]})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/f1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(flow("f1", "a")))
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server.uri(), TOKEN);
    let before = client.budget().current_rate();
    let resource = client.get(Kind::Flow, "f1").await.unwrap();
    assert_eq!(resource.id, "f1");
    let waits = sleeper.waits();
    let longest = waits.iter().max().copied().unwrap_or_default();
    assert!(longest >= Duration::from_secs(2), "waited {waits:?}");
    assert!(longest <= Duration::from_millis(2_250), "jitter is at most 250 ms: {waits:?}");
    let stats = client.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.retries, 1);
    assert_eq!(stats.sent.get, 2);
    assert!(client.budget().current_rate() < before);
}

#[tokio::test]
async fn a_post_is_resent_after_a_429_because_nothing_was_processed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/scripts"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/scripts"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"_id": "s1", "name": "hook"})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let created = client
        .create(Kind::Script, &json!({"name": "hook", "content": "x"}), &HashSet::new())
        .await
        .unwrap();
    assert_eq!(created.resource.id, "s1");
    assert!(!created.recovered);
    assert_eq!(requests_to(&server, "POST", "/v1/scripts").await, 2);
    assert_eq!(
        requests_to(&server, "GET", "/v1/scripts").await,
        0,
        "a 429 needs no recovery search"
    );
}

#[tokio::test]
async fn endless_429s_end_in_a_rate_limited_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .mount(&server)
        .await;
    let (mut config, _) = config(&server.uri(), TOKEN);
    config.retry.max_rate_limited_retries = 3;
    let client = flowform_api::Client::new(config).unwrap();
    let error = client.list(Kind::Flow).await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { attempts: 4, .. }), "{error:?}");
    assert!(error.to_string().contains("GET /v1/flows"));
    assert_eq!(client.stats().rate_limited, 4);
}

#[tokio::test]
async fn a_5xx_burst_on_get_is_retried_with_growing_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/connections/c1"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/connections/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"_id": "c1", "name": "c"})))
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server.uri(), TOKEN);
    assert_eq!(client.get(Kind::Connection, "c1").await.unwrap().id, "c1");
    let stats = client.stats();
    assert_eq!((stats.server_errors, stats.retries, stats.sent.get), (3, 3, 4));
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 3, "{waits:?}");
    // Equal jitter: retry n waits within [w/2, w] for w = 500 ms * 2^(n-1).
    for (index, wait) in waits.iter().enumerate() {
        let window = Duration::from_millis(500) * (1 << index);
        assert!(*wait >= window / 2 && *wait <= window, "retry {index}: {wait:?}");
    }
}

#[tokio::test]
async fn retries_are_bounded_and_the_error_says_how_many_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error = client.update(Kind::Flow, "f9", &json!({"name": "n"})).await.unwrap_err();
    assert!(matches!(error, Error::RetriesExhausted { attempts: 5, .. }), "{error:?}");
    let text = chain(&error);
    assert!(text.contains("`PUT /v1/flows/f9` failed after 5 attempts"), "{text}");
    assert!(text.contains("Bad Gateway"), "{text}");
    assert_eq!(requests_to(&server, "PUT", "/v1/flows/f9").await, 5);
}

#[tokio::test]
async fn a_5xx_on_create_searches_before_sending_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/imports"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/imports"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"_id": "i1", "name": "imp"})))
        .mount(&server)
        .await;
    // Nothing named `imp` exists: the search proves the first create did not happen.
    Mock::given(method("GET"))
        .and(path("/v1/imports"))
        .and(query_param("include", "_id,name,createdAt,_integrationId"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"_id": "other", "name": "different", "createdAt": "2099-01-01T00:00:00Z"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let created =
        client.create(Kind::Import, &json!({"name": "imp"}), &HashSet::new()).await.unwrap();
    assert_eq!(created.resource.id, "i1");
    assert!(!created.recovered);
    assert_eq!(requests_to(&server, "POST", "/v1/imports").await, 2);
}

#[tokio::test]
async fn a_4xx_on_create_is_final_and_never_searched_for() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({"errors": [{"code": "missing_required_field", "message": "name is required"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error =
        client.create(Kind::Connection, &json!({"name": "c"}), &HashSet::new()).await.unwrap_err();
    assert!(error.to_string().contains("`missing_required_field`: name is required"));
    assert_eq!(requests_to(&server, "GET", "/").await, 0);
}

#[tokio::test]
async fn the_mask_is_never_sent() {
    let server = MockServer::start().await;
    let (client, _) = client(&server.uri(), TOKEN);
    let masked =
        json!({"name": "c", "type": "http", "http": {"auth": {"token": {"token": "******"}}}});
    let error = client.create(Kind::Connection, &masked, &HashSet::new()).await.unwrap_err();
    assert!(
        matches!(&error, Error::MaskInBody { field, .. } if field == "http.auth.token.token"),
        "{error:?}"
    );
    assert!(error.to_string().contains("`http.auth.token.token`"));
    let error = client.update(Kind::Connection, "c1", &masked).await.unwrap_err();
    assert!(matches!(error, Error::MaskInBody { .. }));
    let error = client
        .patch(
            Kind::Connection,
            "c1",
            &[PatchOp::Replace { path: "/name".into(), value: json!("x******") }],
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MaskInBody { .. }));
    let error = client
        .clone_resource(Kind::Flow, "f1", &json!({"connectionMap": {"a": "******"}}))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MaskInBody { .. }));
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn pagination_follows_links_tolerates_odd_pages_and_reissues_against_the_endpoint() {
    let server = MockServer::start().await;
    // Page 1 links to another host; the client must ask its own endpoint for the path.
    Mock::given(method("GET"))
        .and(path("/v1/exports"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"_id": "e3", "name": "single object page"}))
                .insert_header(
                    "link",
                    r#"<https://elsewhere.example/v1/exports?page=3>; rel="next""#,
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/exports"))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_string(""))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/exports"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([flow("e1", "a"), flow("e2", "b")])).insert_header(
            "link",
            r#"<https://api.integrator.io/v1/exports?page=1>; rel="prev", <https://api.integrator.io/v1/exports?page=2>; rel="next""#,
        ))
        .with_priority(10)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let resources = client.list(Kind::Export).await.unwrap();
    let ids: Vec<&str> = resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2", "e3"]);
    assert_eq!(client.stats().pages, 3);
}

#[tokio::test]
async fn an_empty_collection_answers_204() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/scripts"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    assert!(client.list(Kind::Script).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_link_loop_is_an_error_not_a_hang() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/flows"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([flow("f1", "a")]))
                .insert_header("link", r#"</v1/flows?skip=0&limit=1&token=leaky>; rel="next""#),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error = client.list(Kind::Flow).await.unwrap_err();
    assert!(matches!(error, Error::PaginationLoop { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("loops") && !text.contains("leaky"), "{text}");
}

#[tokio::test]
async fn the_page_cap_is_an_error_not_a_truncated_list() {
    struct Endless;
    impl Respond for Endless {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let page: u64 = request
                .url
                .query_pairs()
                .find(|(name, _)| name == "cursor")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(0);
            ResponseTemplate::new(200)
                .set_body_json(json!([{"_id": format!("id{page}"), "name": "n"}]))
                .insert_header(
                    "link",
                    format!("</v1/flows?cursor={}>; rel=\"next\"", page + 1).as_str(),
                )
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(Endless).mount(&server).await;
    let (mut config, _) = config(&server.uri(), TOKEN);
    config.max_pages = 7;
    let client = flowform_api::Client::new(config).unwrap();
    let error = client.list(Kind::Flow).await.unwrap_err();
    assert!(matches!(error, Error::TooManyPages { max_pages: 7, .. }), "{error:?}");
}

#[tokio::test]
async fn hostile_bodies_are_clear_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/notjson"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy login</html>"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/number"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(42)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/noid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "x"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/huge"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(10_000)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/imports"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("a string")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/exports"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"name": "no id"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/moved"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "https://login.example/?token=abc"),
        )
        .mount(&server)
        .await;
    let (mut config, _) = config(&server.uri(), TOKEN);
    config.max_response_bytes = 1_024;
    let client = flowform_api::Client::new(config).unwrap();
    let error = client.get(Kind::Flow, "notjson").await.unwrap_err();
    assert!(error.to_string().contains("not JSON"), "{error}");
    let error = client.get(Kind::Flow, "number").await.unwrap_err();
    assert!(error.to_string().contains("expected a JSON object, got `number`"), "{error}");
    let error = client.get(Kind::Flow, "noid").await.unwrap_err();
    assert!(error.to_string().contains("no string `_id`"), "{error}");
    let error = client.get(Kind::Flow, "huge").await.unwrap_err();
    assert!(matches!(error, Error::BodyTooLarge { limit_bytes: 1_024, .. }), "{error:?}");
    assert!(error.to_string().contains("1024-byte limit"));
    let error = client.list(Kind::Import).await.unwrap_err();
    assert!(error.to_string().contains("expected a JSON array"), "{error}");
    let error = client.list(Kind::Export).await.unwrap_err();
    assert!(error.to_string().contains("item 0"), "{error}");
    let error = client.get(Kind::Flow, "moved").await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("redirect") && !text.contains("abc"), "{text}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let (mut config, _) = config(&server.uri(), TOKEN);
    config.timeouts.request = Duration::from_millis(200);
    config.retry.max_retries = 1;
    let client = flowform_api::Client::new(config).unwrap();
    let error = client.get(Kind::Flow, "f1").await.unwrap_err();
    assert!(error.is_retryable());
    let text = chain(&error);
    assert!(text.contains("failed after 2 attempts"), "{text}");
    assert!(text.contains("timed out after 0.2s"), "{text}");
    assert_eq!(client.stats().transport_failures, 2);
}

#[tokio::test]
async fn ids_that_could_escape_the_path_are_refused() {
    let server = MockServer::start().await;
    let (client, _) = client(&server.uri(), TOKEN);
    for id in ["../integrations", "a/b", "", "x?y=1"] {
        let error = client.get(Kind::Flow, id).await.unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { .. }), "{id}: {error:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Answers every request with an error that echoes the request's `Authorization` header, the
/// way a careless proxy might.
struct EchoToken(u16);

impl Respond for EchoToken {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        ResponseTemplate::new(self.0)
            .set_body_json(json!({"errors": [{"code": "echo", "message": format!("you sent {auth}"), "field": auth}], "message": auth}))
            .insert_header("location", format!("https://x.example/?q={auth}").as_str())
    }
}

#[tokio::test]
async fn the_token_never_appears_in_any_error_text() {
    let mut texts = Vec::new();
    for status in [400, 401, 403, 404, 409, 422, 500, 503, 302] {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any()).respond_with(EchoToken(status)).mount(&server).await;
        let (mut config, _) = config(&server.uri(), TOKEN);
        config.retry.max_retries = 1;
        config.retry.max_create_attempts = 1;
        let client = flowform_api::Client::new(config).unwrap();
        texts.push(chain(&client.get(Kind::Flow, "f1").await.unwrap_err()));
        texts.push(chain(
            &client.create(Kind::Flow, &json!({"name": "n"}), &HashSet::new()).await.unwrap_err(),
        ));
        texts.push(chain(&client.state_keys(&StateScope::Global).await.unwrap_err()));
        texts.push(format!("{client:?}"));
    }
    // Connection failures and timeouts too.
    let (mut config, _) = config("http://127.0.0.1:1", TOKEN);
    config.retry.max_retries = 0;
    let client = flowform_api::Client::new(config).unwrap();
    texts.push(chain(&client.whoami().await.unwrap_err()));
    for text in &texts {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(!text.contains("SECRET"), "part of the token leaked: {text}");
    }
    assert!(texts.iter().any(|text| text.contains("you sent Bearer [redacted]")), "{texts:?}");
}

#[tokio::test]
async fn a_refused_connection_names_the_request() {
    let (mut config, _) = config("http://127.0.0.1:1", TOKEN);
    config.retry.max_retries = 2;
    let client = flowform_api::Client::new(config).unwrap();
    let error = client.list(Kind::Integration).await.unwrap_err();
    let text = chain(&error);
    assert!(text.contains("`GET /v1/integrations` failed after 3 attempts"), "{text}");
    assert!(text.contains("connection to the server failed"), "{text}");
    // A refused connection sent nothing, so even a create may be retried without a search.
    let error =
        client.create(Kind::Flow, &json!({"name": "n"}), &HashSet::new()).await.unwrap_err();
    assert!(matches!(error, Error::RetriesExhausted { attempts: 3, .. }), "{error:?}");
}

#[tokio::test]
async fn clone_understands_both_response_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/flows/f1/clone"))
        .and(body_json(
            json!({"name": "Clone - a", "_integrationId": "i1", "connectionMap": {"c1": "c1"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!([
            {"model": "Export", "_id": "e9", "name": "exp"},
            {"model": "Flow", "_id": "f9", "name": "Clone - a"},
            {"model": "Import", "_id": "i9"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/exports/e1/clone"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"_id": "e2", "name": "Clone - e", "_sourceId": "e1"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let cloned = client
        .clone_resource(
            Kind::Flow,
            "f1",
            &json!({"name": "Clone - a", "_integrationId": "i1", "connectionMap": {"c1": "c1"}}),
        )
        .await
        .unwrap();
    assert_eq!(cloned.id, "f9");
    assert!(cloned.resource.is_none());
    assert_eq!(cloned.manifest.len(), 3);
    assert_eq!(cloned.manifest[2].name, None);
    let cloned =
        client.clone_resource(Kind::Export, "e1", &json!({"name": "Clone - e"})).await.unwrap();
    assert_eq!(cloned.id, "e2");
    assert_eq!(json_of(&cloned.resource.unwrap().document)["_sourceId"], "e1");
    assert!(cloned.manifest.is_empty());
}

#[tokio::test]
async fn clone_and_run_are_never_retried_blindly() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(502)).mount(&server).await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error =
        client.clone_resource(Kind::Flow, "f1", &json!({"name": "copy"})).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::AmbiguousWrite { operation: "clone", .. }), "{error:?}");
    assert!(text.contains("`_sourceId` is `f1`") && text.contains("named `copy`"), "{text}");
    let error = client.run_flow("f1", None).await.unwrap_err();
    assert!(matches!(error, Error::AmbiguousWrite { operation: "run", .. }), "{error:?}");
    assert!(error.to_string().contains("/v1/flows/f1/jobs/latest"));
    assert_eq!(requests_to(&server, "POST", "/").await, 2, "one attempt each");
}

#[tokio::test]
async fn run_then_follow_the_job_to_its_end() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/flows/f1/run"))
        .and(body_json(json!({"_exportIds": ["e1"]})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"_jobId": "j1"})))
        .expect(1)
        .mount(&server)
        .await;
    for (status, times, priority) in [("queued", 1, 1), ("running", 2, 2)] {
        Mock::given(method("GET"))
            .and(path("/v1/jobs/j1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"_id": "j1", "type": "flow", "status": status})),
            )
            .up_to_n_times(times)
            .with_priority(priority)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"_id": "j1", "status": "completed", "numSuccess": 10, "numError": 1}),
        ))
        .with_priority(3)
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server.uri(), TOKEN);
    let job_id = client.run_flow("f1", Some(&json!({"_exportIds": ["e1"]}))).await.unwrap();
    assert_eq!(job_id, "j1");
    let job = client.wait_for_job(&job_id, Duration::from_secs(600)).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!((job.num_success, job.num_error), (10, 1));
    assert_eq!(requests_to(&server, "GET", "/v1/jobs/j1").await, 4);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 3);
    assert!(waits[0] < waits[1] && waits[1] < waits[2], "polling backs off: {waits:?}");
}

#[tokio::test]
async fn waiting_for_a_job_that_never_ends_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"_id": "j2", "status": "running"})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let error = client.wait_for_job("j2", Duration::from_secs(30)).await.unwrap_err();
    assert!(
        matches!(&error, Error::JobWaitTimeout { last_status, .. } if last_status == "running"),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_state_api_with_its_odd_status_codes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/state"))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/state"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": ["apple", "a b/c"]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/state/a%20b%2Fc"))
        .and(body_json(json!({"n": 1})))
        .respond_with(ResponseTemplate::new(200).set_body_string("OK"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/state/a%20b%2Fc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"n": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/state/missing"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                json!({"errors": [{"code": "not_found", "message": "Key not found"}]}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/state/apple"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/imports/i1/state/cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_string("Created"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/imports/i1/state/cursor"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let global = StateScope::Global;
    assert!(client.state_keys(&global).await.unwrap().is_empty());
    assert_eq!(client.state_keys(&global).await.unwrap(), ["apple", "a b/c"]);
    client.state_put(&global, "a b/c", &json!({"n": 1})).await.unwrap();
    assert_eq!(client.state_get(&global, "a b/c").await.unwrap(), Some(json!({"n": 1})));
    assert_eq!(client.state_get(&global, "missing").await.unwrap(), None);
    client.state_delete(&global, "apple").await.unwrap();
    let scoped = StateScope::Resource { kind: Kind::Import, id: "i1".into() };
    client.state_put(&scoped, "cursor", &json!(5)).await.unwrap();
    client.state_delete(&scoped, "cursor").await.unwrap();
    assert!(client.state_get(&global, "").await.is_err());
}

#[tokio::test]
async fn dependencies_and_patch_and_delete() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/connections/c1/dependencies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "exports": [{"id": "e1", "name": "Get orders", "paths": ["_connectionId"], "accessLevel": "owner"}],
            "flows": [{"_id": "f1"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/connections/c2/dependencies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1/connections/c1"))
        .and(body_json(json!([{"op": "replace", "path": "/name", "value": "New"}, {"op": "remove", "path": "/debugDate"}])))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/connections/c2"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let dependencies = client.dependencies(Kind::Connection, "c1").await.unwrap();
    assert!(!dependencies.is_empty());
    let all: Vec<(&str, &str)> =
        dependencies.iter().map(|(kind, d)| (kind, d.id.as_str())).collect();
    assert_eq!(all, [("exports", "e1"), ("flows", "f1")]);
    assert_eq!(dependencies.by_type["exports"][0].paths, ["_connectionId"]);
    assert!(client.dependencies(Kind::Connection, "c2").await.unwrap().is_empty());
    client
        .patch(
            Kind::Connection,
            "c1",
            &[
                PatchOp::Replace { path: "/name".into(), value: json!("New") },
                PatchOp::Remove { path: "/debugDate".into() },
            ],
        )
        .await
        .unwrap();
    client.delete(Kind::Connection, "c2").await.unwrap();
}

#[tokio::test]
async fn list_in_integration_uses_the_sub_collection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/integrations/i1/flows"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"_id": "f1", "name": "a", "_integrationId": "i1"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let flows = client.list_in_integration("i1", Kind::Flow).await.unwrap();
    assert_eq!(flows[0].integration_id(), Some("i1"));
    assert!(matches!(
        client.list_in_integration("i1", Kind::Script).await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn update_without_an_echo_reads_the_resource_back() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/scripts/s1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/scripts/s1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"_id": "s1", "name": "s", "lastModified": "2026-02-02T00:00:00.000Z"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let resource =
        client.update(Kind::Script, "s1", &json!({"name": "s", "content": "x"})).await.unwrap();
    assert_eq!(resource.last_modified.as_deref(), Some("2026-02-02T00:00:00.000Z"));
}

#[tokio::test]
async fn the_server_links_stay_authoritative_when_speculation_guesses_wrong() {
    /// Nine items in pages of two, but the link after `skip=2` jumps to `skip=6`.
    struct Jumping;
    impl Respond for Jumping {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let skip: usize = request
                .url
                .query_pairs()
                .find(|(name, _)| name == "skip")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(0);
            let items: Vec<serde_json::Value> = (skip..(skip + 2).min(9))
                .map(|index| json!({"_id": format!("id{index}"), "name": "n"}))
                .collect();
            let next = if skip == 2 { 6 } else { skip + 2 };
            let mut response = ResponseTemplate::new(200).set_body_json(items);
            if next < 9 {
                response = response.insert_header(
                    "link",
                    format!("<http://other/v1/flows?skip={next}&limit=2>; rel=\"next\"").as_str(),
                );
            }
            response
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/v1/flows")).respond_with(Jumping).mount(&server).await;
    let (mut config, _) = config(&server.uri(), TOKEN);
    config.prefetch_pages = 4;
    let client = flowform_api::Client::new(config).unwrap();
    let ids: Vec<String> =
        client.list(Kind::Flow).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["id0", "id1", "id2", "id3", "id6", "id7", "id8"]);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_and_then_404s_succeeded() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/flows/f1"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/flows/f1"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"errors": [{"code": "not_found", "message": "gone"}]})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    client.delete(Kind::Flow, "f1").await.unwrap();
    // A plain 404 on the first attempt is still an error.
    let error = client.delete(Kind::Flow, "f1").await.unwrap_err();
    assert!(error.is_not_found());
}

#[tokio::test]
async fn a_server_that_refuses_projection_gets_the_plain_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/connections"))
        .and(query_param("include", "_id,name,createdAt"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"errors": [{"code": "invalid_query_params", "message": "no"}]}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/connections"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"_id": "c1", "name": "c", "type": "http"}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/connections/c1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"_id": "c1", "name": "c", "type": "http"})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let listed =
        client.list_projected(Kind::Connection, &["_id", "name", "createdAt"]).await.unwrap();
    assert_eq!(json_of(&listed[0].document)["type"], "http");
    let fetched = client.get_many(Kind::Connection, &["c1".to_owned()]).await.unwrap();
    assert_eq!(fetched[0].id, "c1");
}

#[tokio::test]
async fn the_client_its_errors_and_its_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let (client, _) = client("http://127.0.0.1:1", TOKEN);
    send_sync(&client);
    send_sync(&Error::Unsupported { operation: "x", kind: Kind::Flow });
    let none = HashSet::new();
    let body = json!({});
    send(&client.list(Kind::Flow));
    send(&client.list_kinds(&Kind::ALL));
    send(&client.create(Kind::Flow, &body, &none));
    send(&client.update(Kind::Flow, "f", &body));
    send(&client.clone_resource(Kind::Flow, "f", &body));
    send(&client.wait_for_job("j", Duration::from_secs(1)));
    send(&client.state_get(&StateScope::Global, "k"));
}

#[tokio::test]
async fn latest_jobs_of_a_flow() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/f1/jobs/latest"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"_id": "j1", "status": "running"}, {"_id": "j0", "status": "failed"}]),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/flows/f1/jobs/latest"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let jobs = client.latest_jobs("f1").await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.status.clone()).collect::<Vec<_>>(),
        [JobStatus::Running, JobStatus::Failed]
    );
    assert!(client.latest_jobs("f1").await.unwrap().is_empty());
}

#[tokio::test]
async fn job_errors_and_families_are_read_tolerantly() {
    let server = MockServer::start().await;
    // The documented answer: an array of errors (Celigo's `job.md` example).
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j1/joberrors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "code": "422",
            "message": "missing `expires`",
            "source": "integrator.io",
            "createdAt": "2017-10-24T00:43:30.434Z",
            "_retryId": "r1",
            "_jobId": "j1"
        }])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j2/joberrors"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j3/joberrors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errors": [{"code": 500}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j4/joberrors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("no")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/jobs/j1/family"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_id": "j1", "status": "completed", "numError": 1,
            "children": [{"_id": "c1", "type": "import", "numError": 1}]
        })))
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri(), TOKEN);
    let errors = client.job_errors("j1").await.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code.as_deref(), Some("422"));
    assert_eq!(errors[0].message, "missing `expires`");
    assert_eq!(errors[0].retry_id.as_deref(), Some("r1"));
    assert_eq!(errors[0].created_at.as_deref(), Some("2017-10-24T00:43:30.434Z"));
    assert!(client.job_errors("j2").await.unwrap().is_empty());
    let wrapped = client.job_errors("j3").await.unwrap();
    assert_eq!((wrapped[0].job_id.as_str(), wrapped[0].code.as_deref()), ("j3", Some("500")));
    let error = client.job_errors("j4").await.unwrap_err();
    assert!(error.to_string().contains("expected a list of job errors"), "{error}");
    let family = client.job_family("j1").await.unwrap();
    assert_eq!(family.job.num_error, 1);
    assert!(family.job.document.get("children").is_none());
    assert_eq!(family.children.len(), 1);
    assert_eq!(family.children[0].id, "c1");
}
