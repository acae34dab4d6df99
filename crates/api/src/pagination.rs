//! Listing collections: `Link: rel="next"` pagination, 204 and empty bodies, loop and page-cap
//! guards, and speculative parallel fetching of `skip`/`limit` pages.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use reqwest::header::{HeaderMap, LINK};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::budget::{Event, Withdrawal};
use crate::client::{Call, Client, Retry};
use crate::endpoint::{display_path, redact_url_text};
use crate::error::Error;

/// How long a finished list waits for its speculative requests past the end before dropping
/// them. A healthy server answers them within a round trip.
const SPECULATION_DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// The target of the `rel="next"` entry of the `Link` headers, as written.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(split_link_entries)
        .find_map(|entry| {
            let entry = entry.trim();
            let rest = entry.strip_prefix('<')?;
            let (target, params) = rest.split_once('>')?;
            let is_next = params.split(';').any(|param| {
                let Some((name, value)) = param.split_once('=') else { return false };
                name.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            });
            is_next.then(|| target.trim().to_owned())
        })
}

/// Splits a `Link` header value at the commas between entries (not the ones inside `<…>` or
/// quotes).
fn split_link_entries(value: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let (mut in_target, mut in_quotes, mut start) = (false, false, 0);
    for (index, character) in value.char_indices() {
        match character {
            '<' if !in_quotes => in_target = true,
            '>' if !in_quotes => in_target = false,
            '"' if !in_target => in_quotes = !in_quotes,
            ',' if !in_target && !in_quotes => {
                entries.push(&value[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    entries.push(&value[start..]);
    entries
}

/// The identity of a page request, for the loop guard and for matching predicted pages: the
/// path and the decoded query pairs, so `a,b` and `a%2Cb` are the same page.
fn page_key(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> =
        url.query_pairs().map(|(name, value)| (name.into_owned(), value.into_owned())).collect();
    pairs.sort();
    format!("{}?{pairs:?}", url.path())
}

/// A next link whose query is `…skip=N…limit=M…`: later pages can be predicted.
#[derive(Debug, Clone)]
struct SkipLimit {
    url: Url,
    skip: u64,
    limit: u64,
}

impl SkipLimit {
    fn of(url: &Url) -> Option<SkipLimit> {
        let mut skip = None;
        let mut limit = None;
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "skip" => skip = Some(value.parse::<u64>().ok()?),
                "limit" => limit = Some(value.parse::<u64>().ok()?),
                _ => {}
            }
        }
        let limit = limit.filter(|limit| *limit > 0)?;
        Some(SkipLimit { url: url.clone(), skip: skip?, limit })
    }

    /// The URL of the page `pages_ahead` pages after this link's page.
    fn page(&self, pages_ahead: u64) -> Url {
        let skip = self.skip.saturating_add(pages_ahead.saturating_mul(self.limit)).to_string();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "skip" { skip.clone() } else { value.into_owned() };
                (name.into_owned(), value)
            })
            .collect();
        let mut url = self.url.clone();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url
    }
}

/// One page: its items and the URL of the next page, if any.
struct Page<T> {
    items: Vec<T>,
    next: Option<Url>,
}

/// Progress of one list.
struct Walk<T> {
    path: String,
    items: Vec<T>,
    fetched: HashSet<String>,
    pages: usize,
    max_pages: usize,
}

impl<T> Walk<T> {
    fn accept(&mut self, client: &Client, url: &Url, page: Page<T>) -> Result<Option<Url>, Error> {
        self.pages += 1;
        client.record(Event::Page);
        self.fetched.insert(page_key(url));
        self.items.extend(page.items);
        match page.next {
            Some(next) if self.fetched.contains(&page_key(&next)) => Err(Error::PaginationLoop {
                path: self.path.clone(),
                link: client.scrub(&redact_url_text(next.as_str())),
            }),
            Some(_) if self.pages >= self.max_pages => {
                Err(Error::TooManyPages { path: self.path.clone(), max_pages: self.max_pages })
            }
            next => Ok(next),
        }
    }
}

impl Client {
    /// Fetches one page.
    async fn page<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>, Error> {
        let page = self.page_unless(url, None).await?;
        Ok(page.expect("a page request that cannot be withdrawn is always sent"))
    }

    /// Fetches one page, unless `withdrawal` comes before the request is sent (`Ok(None)`).
    async fn page_unless<T: DeserializeOwned>(
        &self,
        url: Url,
        withdrawal: Option<&Withdrawal>,
    ) -> Result<Option<Page<T>>, Error> {
        let call = Call {
            method: Method::GET,
            url: url.clone(),
            body: None,
            long_running: false,
            retry: Retry::Idempotent,
        };
        let Some(reply) = self.execute_unless(call, withdrawal).await? else {
            return Ok(None);
        };
        let items = reply.page_items()?;
        // The link is taken as path and query only and re-issued against the configured
        // endpoint: the host in the header may differ (a proxy, another region name).
        let next = match next_link(&reply.headers) {
            None => None,
            Some(link) => {
                let resolved = url.join(&link).map_err(|_| {
                    reply.invalid(format!(
                        "the `Link` next target `{}` is not a URL",
                        self.scrub(&redact_url_text(&link))
                    ))
                })?;
                let mut path_and_query = resolved.path().to_owned();
                if let Some(query) = resolved.query() {
                    path_and_query.push('?');
                    path_and_query.push_str(query);
                }
                Some(self.url(&path_and_query))
            }
        };
        Ok(Some(Page { items, next }))
    }

    /// Every document of a collection path such as `/v1/flows` (following every next link),
    /// read as `T` (`serde_json::Value`, or a resource's `flowform_model::Value` read straight
    /// from the page).
    pub(crate) async fn list_documents<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<Vec<T>, Error> {
        let first = self.url(path_and_query);
        let config = &self.inner.config;
        let mut walk = Walk {
            path: self.scrub(&display_path(&first)),
            items: Vec::new(),
            fetched: HashSet::new(),
            pages: 0,
            max_pages: config.max_pages.max(1),
        };
        let first_page = self.page(first.clone()).await?;
        let mut next = walk.accept(self, &first, first_page)?;
        while let Some(url) = next {
            next = match SkipLimit::of(&url).filter(|_| config.prefetch_pages > 1) {
                Some(shape) => self.speculate(&mut walk, shape).await?,
                None => {
                    let page = self.page(url.clone()).await?;
                    walk.accept(self, &url, page)?
                }
            };
        }
        Ok(walk.items)
    }

    /// Fetches pages of a `skip`/`limit` chain with a sliding, widening window of requests in
    /// flight, keeping the server's links authoritative: each page's next link must be the
    /// predicted one, otherwise the speculation stops and the real link is returned to be
    /// followed. A page without a next link ends the list (once the requests already sent past
    /// the end are answered); a short page stops the speculation.
    async fn speculate<T: DeserializeOwned>(
        &self,
        walk: &mut Walk<T>,
        shape: SkipLimit,
    ) -> Result<Option<Url>, Error> {
        // The window opens one page at a time (a full page on the predicted chain widens it by
        // one, up to `prefetch_pages`), so a list that ends after two or three pages sends no or
        // few requests past its end, while a long list soon has the whole window in flight.
        let max_window = self.inner.config.prefetch_pages.max(1);
        let mut window = 1;
        // Declared before the requests that borrow it, so it outlives them.
        let withdrawal = Withdrawal::default();
        let mut in_flight = FuturesOrdered::new();
        let mut launched: u64 = 0;
        let mut stop_launching = false;
        let mut index: u64 = 0;
        loop {
            while !stop_launching && in_flight.len() < window {
                let url = shape.page(launched);
                launched += 1;
                let withdrawal = &withdrawal;
                in_flight.push_back(async move {
                    let page = self.page_unless(url.clone(), Some(withdrawal)).await;
                    (url, page)
                });
            }
            let Some((url, page)) = in_flight.next().await else {
                return Ok(None);
            };
            let page = page?.expect("speculative pages are withdrawn only once the walk stops");
            let full = page.items.len() as u64 >= shape.limit;
            let next = walk.accept(self, &url, page)?;
            index += 1;
            let predicted = page_key(&shape.page(index));
            let on_chain = next.as_ref().is_some_and(|next| page_key(next) == predicted);
            if next.is_none() || !on_chain || !full {
                // The requests still in flight lie past the end (or off the chain the server's
                // links now follow). The ones not sent yet are withdrawn; the ones already sent
                // are let finish rather than dropped: a dropped request may or may not have
                // reached the server, which would make the request counters guesses, and over
                // HTTP/1.1 it costs its connection. They were sent before the page that ended the
                // walk arrived, so this is at most a fraction of a round trip; the bound covers
                // a server that stalls on them (their answers are not needed).
                if next.is_some() && !on_chain {
                    tracing::debug!(path = %walk.path, "next links left the skip/limit shape; following them one by one");
                }
                withdrawal.withdraw();
                let drain = async { while in_flight.next().await.is_some() {} };
                if tokio::time::timeout(SPECULATION_DRAIN_LIMIT, drain).await.is_err() {
                    tracing::debug!(path = %walk.path, "stopped waiting for speculative pages past the end");
                }
                return Ok(next);
            }
            window = (window + 1).min(max_window);
            if walk.pages + in_flight.len() >= walk.max_pages {
                stop_launching = true;
            }
        }
    }
}

pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(LINK, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn finds_the_next_link_in_any_form() {
        let h = headers(&[
            r#"<https://api.integrator.io/v1/flows?skip=0&limit=100>; rel="prev", <https://api.integrator.io/v1/flows?skip=200&limit=100>; rel="next""#,
        ]);
        assert_eq!(next_link(&h).unwrap(), "https://api.integrator.io/v1/flows?skip=200&limit=100");
        let h = headers(&["</v1/x?a=1,2>; rel=next"]);
        assert_eq!(next_link(&h).unwrap(), "/v1/x?a=1,2");
        let h = headers(&[
            r#"<https://h/first>; rel="first""#,
            r#"<https://h/n>; title="a, b"; rel="next last""#,
        ]);
        assert_eq!(next_link(&h).unwrap(), "https://h/n");
        assert_eq!(next_link(&headers(&[r#"<https://h/p>; rel="prev""#])), None);
        assert_eq!(next_link(&headers(&["garbage"])), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn predicts_skip_limit_pages_keeping_other_parameters() {
        let url = Url::parse("http://h/v1/exports?include=_id,name&skip=100&limit=50").unwrap();
        let shape = SkipLimit::of(&url).unwrap();
        assert_eq!(page_key(&shape.page(0)), page_key(&url));
        assert_eq!(shape.page(2).query(), Some("include=_id%2Cname&skip=200&limit=50"));
        assert!(SkipLimit::of(&Url::parse("http://h/v1/x?after=abc").unwrap()).is_none());
        assert!(SkipLimit::of(&Url::parse("http://h/v1/x?skip=1&limit=0").unwrap()).is_none());
        assert!(SkipLimit::of(&Url::parse("http://h/v1/x?skip=a&limit=2").unwrap()).is_none());
    }
}
