//! Errors of the client, and the tolerant parser for the API's error bodies.

use std::fmt;
use std::time::Duration;

use flowform_model::Kind;
use reqwest::Method;

/// One entry of the API's `errors[]` envelope (or the equivalent read from a `message` body or
/// plain text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorItem {
    /// The stable machine-readable code, such as `invalid_ref`, when the server gave one.
    pub code: Option<String>,
    /// The human message.
    pub message: String,
    /// The offending field path, when the server named one.
    pub field: Option<String>,
}

impl fmt::Display for ApiErrorItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "`{code}`: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        Ok(())
    }
}

/// Formats error items for a message: `: a; b` or nothing.
struct Items<'a>(&'a [ApiErrorItem]);

impl fmt::Display for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.0.iter().enumerate() {
            f.write_str(if index == 0 { ": " } else { "; " })?;
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

fn items(errors: &[ApiErrorItem]) -> Items<'_> {
    Items(errors)
}

fn optional_message(message: &Option<String>) -> String {
    message.as_ref().map(|message| format!(" (server said: {message})")).unwrap_or_default()
}

fn candidate_list(candidates: &[String]) -> String {
    candidates.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
}

/// Everything that can go wrong talking to integrator.io.
///
/// Every variant that comes from a request names the method and the path (ids included, secret
/// query values redacted). No variant ever holds the API token: text that came from the server
/// has the token scrubbed out before it is stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The endpoint is not an acceptable origin.
    #[error("invalid endpoint `{url}`: {reason}")]
    InvalidEndpoint {
        /// The URL as given, with credentials redacted.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The token cannot be used in an `Authorization` header.
    #[error("the API token is not usable: {reason}")]
    InvalidToken {
        /// Why (never the token itself).
        reason: &'static str,
    },
    /// TLS could not be set up.
    #[error("could not set up TLS: {reason}")]
    TlsSetup {
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    BuildClient {
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// 401: the token was missing, wrong, expired or revoked.
    #[error(
        "`{method} {path}`: the API token was rejected (401) by `{endpoint}`{}; check that the token is valid, not expired or revoked, and belongs to this region",
        optional_message(message)
    )]
    Unauthorized {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The endpoint that was asked.
        endpoint: String,
        /// The server's message, such as `Bearer Authentication Failed`.
        message: Option<String>,
    },
    /// 404: the id or route does not exist.
    #[error("`{method} {path}` was not found (404){}", items(errors))]
    NotFound {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// What the server said.
        errors: Vec<ApiErrorItem>,
    },
    /// Any other non-success status (400, 403, 409, 415, 422, 5xx after retries, …).
    #[error("`{method} {path}` failed with status {status}{}", items(errors))]
    Api {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// What the server said.
        errors: Vec<ApiErrorItem>,
    },
    /// 429 kept coming back after the configured number of waits.
    #[error("`{method} {path}` was still rate limited (429) after {attempts} attempts")]
    RateLimited {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// The request could not be sent or the response could not be read (connection refused,
    /// reset, closed early, TLS failure).
    #[error("`{method} {path}` failed: the connection to the server failed")]
    Transport {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// Whether the request may have reached the server (false only when connecting failed).
        request_sent: bool,
        /// The cause (without the URL).
        #[source]
        source: reqwest::Error,
    },
    /// No complete response within the timeout.
    #[error("`{method} {path}` timed out after {}s without a complete response", after.as_secs_f64())]
    Timeout {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// A retryable failure kept happening until the retry budget ran out.
    #[error("`{method} {path}` failed after {attempts} attempts")]
    RetriesExhausted {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// How many times the request was sent.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<Error>,
    },
    /// The response to a create was lost and the account holds several resources that could be
    /// the one it created, so flowform will not guess.
    #[error(
        "the response to creating {kind} `{name}` (`{method} {path}`) was lost and several {kind}s named `{name}` were created since the request began: {}; none was recorded, inspect them and delete the duplicates or import the right one",
        candidate_list(candidates)
    )]
    AmbiguousCreate {
        /// The kind being created.
        kind: Kind,
        /// The name in the request body.
        name: String,
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// Ids of the resources that match.
        candidates: Vec<String>,
        /// The failure that made the outcome unknown.
        #[source]
        cause: Box<Error>,
    },
    /// A request that is never retried automatically (clone, run) failed in a way that leaves
    /// its outcome unknown.
    #[error(
        "`{method} {path}` may or may not have taken effect: {operation} is never retried automatically; {hint}"
    )]
    AmbiguousWrite {
        /// What the request did: `clone`, `run`, `create`.
        operation: &'static str,
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// What to check before trying again.
        hint: String,
        /// The failure that made the outcome unknown.
        #[source]
        cause: Box<Error>,
    },
    /// A body to send contains the mask `******`, which would overwrite a secret with asterisks.
    #[error(
        "refusing `{method} {request_path}`: the body holds the secret mask `******` at `{field}`; omit masked values (flowform must never send them back)"
    )]
    MaskInBody {
        /// The request method.
        method: Method,
        /// The request path.
        request_path: String,
        /// The JSON path where the mask was found, such as `http.auth.token.token`.
        field: String,
    },
    /// The response body was larger than the configured cap.
    #[error("the response to `{method} {path}` is larger than the {limit_bytes}-byte limit")]
    BodyTooLarge {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The cap, in bytes.
        limit_bytes: u64,
    },
    /// The response could not be understood (not JSON, wrong shape, missing `_id`, redirect).
    #[error("`{method} {path}` returned an invalid response (status {status}): {reason}")]
    InvalidResponse {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// A `Link: rel="next"` pointed at a page already fetched.
    #[error("listing `{path}` loops: the next link `{link}` points at a page already fetched")]
    PaginationLoop {
        /// The collection path.
        path: String,
        /// The repeated link (redacted).
        link: String,
    },
    /// More pages than the configured cap; the list is not returned incomplete.
    #[error("listing `{path}` stopped after {max_pages} pages without reaching the end")]
    TooManyPages {
        /// The collection path.
        path: String,
        /// The cap.
        max_pages: usize,
    },
    /// An id or key that cannot be placed in a path.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidArgument {
        /// What the value is (`id`, `state key`).
        what: &'static str,
        /// The value.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A collection flowform does not list.
    #[error("`{collection}` is not a collection flowform can look resources up in")]
    UnknownCollection {
        /// The collection as asked for.
        collection: String,
    },
    /// The API has no such operation for this kind.
    #[error("{operation} is not available for {kind}s")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The kind.
        kind: Kind,
    },
    /// A job did not reach a final status in time.
    #[error("job `{job_id}` did not finish within {}s (last status `{last_status}`)", waited.as_secs_f64())]
    JobWaitTimeout {
        /// The job id.
        job_id: String,
        /// How long was waited.
        waited: Duration,
        /// The last status seen.
        last_status: String,
    },
}

impl Error {
    /// Whether the error is a 404 (also when it is the last failure of exhausted retries).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound { .. } => true,
            Error::RetriesExhausted { last, .. } => last.is_not_found(),
            _ => false,
        }
    }

    /// Whether the error is a rejected token.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Unauthorized { .. })
    }

    /// Whether trying the same idempotent request again later could succeed (transient server or
    /// network failures, rate limiting).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => *status >= 500 || *status == 408,
            Error::Transport { .. } | Error::Timeout { .. } | Error::RateLimited { .. } => true,
            Error::RetriesExhausted { last, .. } => last.is_retryable(),
            _ => false,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::NotFound { .. } => Some(404),
            Error::Api { status, .. } | Error::InvalidResponse { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The API's error items, when the server sent any.
    pub fn api_errors(&self) -> &[ApiErrorItem] {
        match self {
            Error::NotFound { errors, .. } | Error::Api { errors, .. } => errors,
            Error::RetriesExhausted { last, .. } => last.api_errors(),
            _ => &[],
        }
    }

    /// Whether a POST that failed this way may still have been carried out by the server:
    /// timeouts, connections that broke after the request was sent, 5xx, and unreadable
    /// success responses. A 4xx or a refused connection is not ambiguous.
    pub(crate) fn leaves_post_outcome_unknown(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { request_sent, .. } => *request_sent,
            Error::Api { status, .. } => *status >= 500,
            Error::InvalidResponse { .. } | Error::BodyTooLarge { .. } => true,
            Error::RetriesExhausted { last, .. } => last.leaves_post_outcome_unknown(),
            _ => false,
        }
    }
}

/// Parses an error body as tolerantly as Celigo's own CLI: the `errors[]` envelope (entries as
/// objects or strings), else a top-level `message`/`error`/`code`, else the raw text. Every string
/// goes through `scrub` (which removes the token) before it is kept.
pub(crate) fn parse_error_body(body: &[u8], scrub: &dyn Fn(&str) -> String) -> Vec<ApiErrorItem> {
    const MAX_TEXT: usize = 2_000;
    // A hostile or broken server may list any number of errors; a message is for people, so
    // the first few are kept and the rest counted (50,000 entries once made 50 MB of stderr).
    const MAX_ITEMS: usize = 10;
    let shorten = |text: &str| {
        let text = text.trim();
        let cut = if text.len() > MAX_TEXT {
            let mut end = MAX_TEXT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &text[..end])
        } else {
            text.to_owned()
        };
        scrub(&cut)
    };
    let text_of = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => Some(shorten(text)),
        serde_json::Value::Null => None,
        other => Some(shorten(&other.to_string())),
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        if text.trim().is_empty() {
            return Vec::new();
        }
        return vec![ApiErrorItem { code: None, message: shorten(&text), field: None }];
    };
    if let Some(entries) = json.get("errors").and_then(|errors| errors.as_array()) {
        let mut items: Vec<ApiErrorItem> = entries
            .iter()
            .take(MAX_ITEMS)
            .map(|entry| match entry {
                serde_json::Value::Object(object) => ApiErrorItem {
                    code: object.get("code").and_then(text_of),
                    message: object
                        .get("message")
                        .and_then(text_of)
                        .unwrap_or_else(|| shorten(&entry.to_string())),
                    field: object.get("field").and_then(text_of),
                },
                other => ApiErrorItem {
                    code: None,
                    message: text_of(other).unwrap_or_default(),
                    field: None,
                },
            })
            .collect();
        if entries.len() > MAX_ITEMS {
            items.push(ApiErrorItem {
                code: None,
                message: format!("… and {} more errors", entries.len() - MAX_ITEMS),
                field: None,
            });
        }
        return items;
    }
    if let Some(object) = json.as_object() {
        let message = object.get("message").or_else(|| object.get("error")).and_then(text_of);
        let code = object.get("code").and_then(text_of);
        if message.is_some() || code.is_some() {
            return vec![ApiErrorItem {
                message: message.unwrap_or_else(|| code.clone().unwrap_or_default()),
                code,
                field: object.get("field").and_then(text_of),
            }];
        }
    }
    match &json {
        serde_json::Value::Null => Vec::new(),
        serde_json::Value::String(text) => {
            vec![ApiErrorItem { code: None, message: shorten(text), field: None }]
        }
        other => {
            vec![ApiErrorItem { code: None, message: shorten(&other.to_string()), field: None }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Vec<ApiErrorItem> {
        parse_error_body(body.as_bytes(), &|text| text.replace("SECRET", "[redacted]"))
    }

    #[test]
    fn parses_the_envelope_with_several_entries() {
        let items = parse(
            r#"{"errors":[{"code":"invalid_field","message":"`adaptorType` is required","field":"adaptorType"},{"code":"invalid_ref","message":"bad"}]}"#,
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].code.as_deref(), Some("invalid_field"));
        assert_eq!(items[0].field.as_deref(), Some("adaptorType"));
        assert_eq!(items[1].to_string(), "`invalid_ref`: bad");
    }

    #[test]
    fn parses_string_entries_message_bodies_and_plain_text() {
        assert_eq!(parse(r#"{"errors":["first","second"]}"#)[1].message, "second");
        let unauthorized = parse(r#"{"message":"Bearer Authentication Failed"}"#);
        assert_eq!(unauthorized[0].message, "Bearer Authentication Failed");
        assert_eq!(unauthorized[0].code, None);
        assert_eq!(parse(r#"{"error":"boom","code":"x"}"#)[0].to_string(), "`x`: boom");
        assert_eq!(parse("Bad Gateway\n")[0].message, "Bad Gateway");
        assert_eq!(parse("")[0..].len(), 0);
        assert_eq!(parse("[1,2]")[0].message, "[1,2]");
    }

    #[test]
    fn keeps_the_first_ten_errors_and_counts_the_rest() {
        let body = format!(r#"{{"errors":[{}]}}"#, vec![r#"{"message":"m"}"#; 50_000].join(","));
        let items = parse(&body);
        assert_eq!(items.len(), 11);
        assert_eq!(items[10].message, "… and 49990 more errors");
    }

    #[test]
    fn scrubs_and_shortens_server_text() {
        assert_eq!(
            parse(r#"{"message":"token SECRET is bad"}"#)[0].message,
            "token [redacted] is bad"
        );
        let long = "é".repeat(5_000);
        assert!(parse(&long)[0].message.chars().count() < 1_100);
    }
}
