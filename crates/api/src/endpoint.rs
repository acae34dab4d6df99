//! Where the API lives: a validated base URL, the two regions, and redaction of URLs for display.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use reqwest::Url;

use crate::error::Error;

/// The environment variable that sets the endpoint, as in Celigo's own CLI.
pub const BASE_URL_ENV: &str = "CELIGO_BASE_URL";

pub use flowform_model::Region;

/// A validated API origin such as `https://api.integrator.io`.
///
/// Only an origin is accepted (scheme, host, optional port; no path, query, fragment or
/// credentials), so nothing secret can hide in it and every request path is `/v1/…` on it.
/// Plain `http` is accepted only for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`), which
/// is what the emulator and the tests use. `Display` prints the origin, which is safe to show.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    origin: Url,
}

impl Endpoint {
    /// Parses and validates an origin URL.
    pub fn parse(text: &str) -> Result<Endpoint, Error> {
        let shown = redact_url_text(text);
        let invalid =
            |reason: &str| Error::InvalidEndpoint { url: shown.clone(), reason: reason.to_owned() };
        let url = Url::parse(text.trim()).map_err(|error| invalid(&error.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not allowed; pass the token separately",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("an endpoint is an origin only, without query or fragment"));
        }
        if !(url.path().is_empty() || url.path() == "/") {
            return Err(invalid(
                "an endpoint is an origin only, without a path (requests add `/v1/…` themselves)",
            ));
        }
        let Some(host) = url.host_str() else {
            return Err(invalid("the URL has no host"));
        };
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(host) => {}
            "http" => {
                return Err(invalid(
                    "plain `http` is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1); use `https`",
                ));
            }
            _ => return Err(invalid("the scheme must be `https` (or `http` for loopback)")),
        }
        let mut origin = url;
        origin.set_path("/");
        Ok(Endpoint { origin })
    }

    /// The endpoint of a region.
    pub fn region(region: Region) -> Endpoint {
        Endpoint::parse(region.base_url()).expect("region base URLs are valid https origins")
    }

    /// Resolves the endpoint the way every flowform command does: `--endpoint` wins, then
    /// `--region`, then the value of `CELIGO_BASE_URL` (passed in by the caller, so this
    /// function reads no environment). Giving both `--endpoint` and `--region` is an error.
    /// `Ok(None)` means nothing was chosen (the caller decides what that means, such as the
    /// local sandbox).
    pub fn resolve(
        endpoint_flag: Option<&str>,
        region_flag: Option<Region>,
        base_url_env: Option<&str>,
    ) -> Result<Option<Endpoint>, Error> {
        match (endpoint_flag, region_flag) {
            (Some(url), Some(region)) => Err(Error::InvalidEndpoint {
                url: redact_url_text(url),
                reason: format!("`--endpoint` and `--region {region}` cannot be used together"),
            }),
            (Some(url), None) => Endpoint::parse(url).map(Some),
            (None, Some(region)) => Ok(Some(Endpoint::region(region))),
            (None, None) => match base_url_env.map(str::trim).filter(|text| !text.is_empty()) {
                Some(url) => Endpoint::parse(url).map(Some),
                None => Ok(None),
            },
        }
    }

    /// Whether the host is a loopback address (the emulator or a test server).
    pub fn is_loopback(&self) -> bool {
        self.origin.host_str().is_some_and(is_loopback_host)
    }

    /// The origin as a URL ending in `/`.
    pub fn url(&self) -> &Url {
        &self.origin
    }

    /// Joins a path such as `/v1/flows` (with an optional query) onto the origin.
    pub(crate) fn join(&self, path_and_query: &str) -> Option<Url> {
        let relative = path_and_query.trim_start_matches('/');
        self.origin.join(relative).ok()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.origin.as_str().trim_end_matches('/'))
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({self})")
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    fn from_str(text: &str) -> Result<Endpoint, Error> {
        Endpoint::parse(text)
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// Query parameter names whose values are never shown.
const SECRET_QUERY_NAMES: &[&str] = &[
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "password",
    "signature",
    "sig",
    "auth",
    "authorization",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

fn is_secret_query_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_QUERY_NAMES.contains(&lower.as_str())
        || lower.contains("token")
        || lower.contains("secret")
        || lower.contains("password")
        || lower.contains("signature")
}

/// The path and query of a URL for messages: values of query parameters that may carry
/// credentials (`token`, `signature`, …) are replaced by `[redacted]`.
pub(crate) fn display_path(url: &Url) -> String {
    let mut shown = url.path().to_owned();
    if let Some(query) = url.query() {
        shown.push('?');
        shown.push_str(&redact_query(query));
    }
    shown
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_query_name(name) => format!("{name}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A URL given by a user or a server, made safe to show: credentials and secret query values
/// are replaced by `[redacted]`. Text that is not a URL is shown as is, since it cannot carry
/// URL credentials.
pub(crate) fn redact_url_text(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("[redacted]");
                let _ = url.set_password(None);
            }
            let query = url.query().map(redact_query);
            url.set_query(None);
            let mut shown = url.to_string();
            if let Some(query) = query {
                shown.push('?');
                shown.push_str(&query);
            }
            shown
        }
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_origins_and_loopback_http() {
        assert_eq!(
            Endpoint::parse("https://api.integrator.io").unwrap().to_string(),
            "https://api.integrator.io"
        );
        assert_eq!(
            Endpoint::parse("https://api.integrator.io/").unwrap().to_string(),
            "https://api.integrator.io"
        );
        for loopback in
            ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9000", "http://127.9.9.9"]
        {
            let endpoint = Endpoint::parse(loopback).unwrap();
            assert!(endpoint.is_loopback(), "{loopback}");
        }
        assert!(!Endpoint::region(Region::Eu).is_loopback());
        assert_eq!(Endpoint::region(Region::Eu).to_string(), "https://api.eu.integrator.io");
    }

    #[test]
    fn refuses_plain_http_paths_credentials_and_other_schemes() {
        for bad in [
            "http://api.integrator.io",
            "http://10.0.0.1:8080",
            "https://api.integrator.io/v1",
            "https://api.integrator.io/?token=abc",
            "ftp://localhost",
            "not a url",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad} should be refused");
        }
        let error = Endpoint::parse("https://user:hunter2@api.integrator.io").unwrap_err();
        let text = error.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("credentials"), "{text}");
    }

    #[test]
    fn resolution_order_is_flag_then_region_then_env() {
        let from_flag =
            Endpoint::resolve(Some("http://127.0.0.1:1"), None, Some("https://x.example")).unwrap();
        assert_eq!(from_flag.unwrap().to_string(), "http://127.0.0.1:1");
        let from_region =
            Endpoint::resolve(None, Some(Region::Eu), Some("https://x.example")).unwrap();
        assert_eq!(from_region.unwrap(), Endpoint::region(Region::Eu));
        let from_env = Endpoint::resolve(None, None, Some("https://x.example")).unwrap();
        assert_eq!(from_env.unwrap().to_string(), "https://x.example");
        assert_eq!(Endpoint::resolve(None, None, Some("  ")).unwrap(), None);
        assert!(Endpoint::resolve(Some("https://x.example"), Some(Region::Na), None).is_err());
        assert_eq!("EU".parse::<Region>().unwrap(), Region::Eu);
        assert!("mars".parse::<Region>().is_err());
    }

    #[test]
    fn display_path_redacts_secret_query_values() {
        let url =
            Url::parse("https://h/v1/x?skip=10&limit=5&token=abc&X-Amz-Signature=zzz").unwrap();
        assert_eq!(
            display_path(&url),
            "/v1/x?skip=10&limit=5&token=[redacted]&X-Amz-Signature=[redacted]"
        );
        assert_eq!(
            redact_url_text("https://me:pw@h/v1?access_token=t&a=b"),
            "https://%5Bredacted%5D@h/v1?access_token=[redacted]&a=b"
        );
    }
}
