//! Where requests go: public regions, US Government, China, custom domains and any base URL.
//!
//! An [`Endpoint`] names a Speech resource's location. [`Endpoint::uri`] turns it, a [`HostKind`] (which of the
//! service's hosts) and a path into a full `http::Uri`:
//!
//! | endpoint | token host | speech-to-text host | text-to-speech host |
//! |----------|------------|---------------------|---------------------|
//! | [`Endpoint::region`]`("westus")` | `westus.api.cognitive.microsoft.com` | `westus.stt.speech.microsoft.com` | `westus.tts.speech.microsoft.com` |
//! | [`Endpoint::us_government`]`("usgovvirginia")` | `usgovvirginia.api.cognitive.microsoft.us` | `usgovvirginia.stt.speech.azure.us` | `usgovvirginia.tts.speech.azure.us` |
//! | [`Endpoint::china`]`("chinaeast2")` | `chinaeast2.api.cognitive.azure.cn` | `chinaeast2.stt.speech.azure.cn` | `chinaeast2.tts.speech.azure.cn` |
//! | [`Endpoint::custom_domain`]`("my-res")` | `my-res.cognitiveservices.azure.com` | same host, path prefix `/stt` | same host, path prefix `/tts` |
//! | [`Endpoint::base_url`]`("http://localhost:5000")` | that base | that base | that base |
//!
//! Custom voice ([`HostKind::CustomVoice`]) lives on `<region>.voice.speech.microsoft.com` (prefix `/voice` on a
//! custom domain).
//!
//! Plain `http://` is refused with [`Misuse::InsecureScheme`] unless the host is loopback (`localhost`,
//! `*.localhost`, `127.0.0.0/8`, `::1`) or the caller opts in with [`Endpoint::allow_insecure_http`]. The check runs
//! when a URI is built, so the opt-in can come after the constructor.
//!
//! Tokens are bound to a [`HostFamily`]: a token from one family is never sent to a host of another.

use std::fmt;

use http::Uri;

use crate::error::{Error, Misuse};

/// Path of the token service on every endpoint form.
pub const TOKEN_PATH: &str = "/sts/v1.0/issueToken";
/// Path of text-to-speech synthesis (prebuilt and custom voices).
pub const SYNTHESIS_PATH: &str = "/cognitiveservices/v1";
/// Path of the voices list.
pub const VOICES_LIST_PATH: &str = "/cognitiveservices/voices/list";
/// Path of the text-to-speech WebSocket.
pub const SYNTHESIS_WEBSOCKET_PATH: &str = "/cognitiveservices/websocket/v1";

/// The path of fast transcription (a literal colon: it is not percent-encoded).
pub const FAST_TRANSCRIPTION_PATH: &str = "/speechtotext/transcriptions:transcribe";

/// The API versions of fast transcription.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `2025-10-15`, the current version (adds the phrase list).
    #[default]
    V2025_10_15,
    /// `2024-11-15`, the first generally available version.
    V2024_11_15,
}

impl ApiVersion {
    /// The `api-version` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2025_10_15 => "2025-10-15",
            ApiVersion::V2024_11_15 => "2024-11-15",
        }
    }

    /// The version named by an `api-version` value.
    pub fn parse(value: &str) -> Option<ApiVersion> {
        match value {
            "2025-10-15" => Some(ApiVersion::V2025_10_15),
            "2024-11-15" => Some(ApiVersion::V2024_11_15),
            _ => None,
        }
    }
}

/// The longest region identifier accepted.
pub const MAX_REGION_LEN: usize = 64;

/// The region identifiers known to offer Speech (the service's region list of 2025-11, plus the sovereign
/// clouds' regions). New regions appear over time, so [`Endpoint::region`] does not check against this list;
/// tools use it to warn about likely typos.
pub const KNOWN_REGIONS: &[&str] = &[
    "southafricanorth",
    "eastasia",
    "southeastasia",
    "australiaeast",
    "centralindia",
    "japaneast",
    "japanwest",
    "koreacentral",
    "canadacentral",
    "canadaeast",
    "northeurope",
    "westeurope",
    "francecentral",
    "germanywestcentral",
    "italynorth",
    "norwayeast",
    "swedencentral",
    "switzerlandnorth",
    "switzerlandwest",
    "uksouth",
    "ukwest",
    "uaenorth",
    "brazilsouth",
    "qatarcentral",
    "centralus",
    "eastus",
    "eastus2",
    "northcentralus",
    "southcentralus",
    "westcentralus",
    "westus",
    "westus2",
    "westus3",
    "usgovarizona",
    "usgovvirginia",
    "chinaeast2",
    "chinanorth2",
    "chinanorth3",
];

/// Which of the service's hosts a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// The token service (`issueToken`).
    Token,
    /// Speech-to-text (`stt`).
    SpeechToText,
    /// Text-to-speech and the voices list (`tts`).
    TextToSpeech,
    /// Custom voice synthesis (`voice`).
    CustomVoice,
    /// Speech translation's first generation (`s2s`), the V1 translation path.
    SpeechTranslation,
    /// The `api.cognitive` host of the region (as the token service's), where the speech-to-text REST API
    /// lives (fast transcription); on a custom domain, the domain itself with no service prefix.
    Api,
}

impl HostKind {
    /// The service label: the DNS label on regional hosts and the first path segment on custom domains.
    /// `None` for the token service, whose path is the same everywhere.
    pub fn label(self) -> Option<&'static str> {
        match self {
            HostKind::Token | HostKind::Api => None,
            HostKind::SpeechToText => Some("stt"),
            HostKind::TextToSpeech => Some("tts"),
            HostKind::CustomVoice => Some("voice"),
            HostKind::SpeechTranslation => Some("s2s"),
        }
    }
}

/// The national cloud a regional endpoint belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// The public Azure cloud (`*.microsoft.com`).
    Public,
    /// Azure Government (`*.microsoft.us` token host, `*.azure.us` speech hosts).
    UsGovernment,
    /// Azure operated by 21Vianet (`*.azure.cn`).
    China,
}

impl Cloud {
    /// The cloud a region name belongs to: `usgov*` regions are Azure Government, `china*` regions are Azure
    /// China, every other region is in the public cloud (case-insensitive).
    ///
    /// ```
    /// use speech_proto::endpoint::Cloud;
    /// assert_eq!(Cloud::of_region("usgovvirginia"), Cloud::UsGovernment);
    /// assert_eq!(Cloud::of_region("ChinaEast2"), Cloud::China);
    /// assert_eq!(Cloud::of_region("westeurope"), Cloud::Public);
    /// ```
    pub fn of_region(region: &str) -> Cloud {
        let lower = region.trim().to_ascii_lowercase();
        if lower.starts_with("usgov") {
            Cloud::UsGovernment
        } else if lower.starts_with("china") {
            Cloud::China
        } else {
            Cloud::Public
        }
    }

    fn token_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "api.cognitive.microsoft.com",
            Cloud::UsGovernment => "api.cognitive.microsoft.us",
            Cloud::China => "api.cognitive.azure.cn",
        }
    }

    fn speech_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "speech.microsoft.com",
            Cloud::UsGovernment => "speech.azure.us",
            Cloud::China => "speech.azure.cn",
        }
    }

    fn host(self, region: &str, kind: HostKind) -> String {
        match kind.label() {
            None => format!("{region}.{}", self.token_suffix()),
            Some(label) => format!("{region}.{label}.{}", self.speech_suffix()),
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cloud::Public => "public cloud",
            Cloud::UsGovernment => "Azure Government",
            Cloud::China => "Azure China",
        })
    }
}

/// URI scheme of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn websocket(self) -> &'static str {
        match self {
            Scheme::Http => "ws",
            Scheme::Https => "wss",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Location {
    Regional {
        cloud: Cloud,
        region: String,
    },
    CustomDomain {
        name: String,
    },
    Base {
        scheme: Scheme,
        /// `host[:port]`, lower-cased host.
        authority: String,
        /// The host without port (and without IPv6 brackets), for the loopback check.
        host: String,
        /// Path prefix without trailing slash; empty for the root.
        prefix: String,
    },
}

/// Where a Speech resource lives. Cheap to clone; build it once and share it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    location: Location,
    allow_insecure_http: bool,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Endpoint");
        match &self.location {
            Location::Regional { cloud, region } => d.field("cloud", cloud).field("region", region),
            Location::CustomDomain { name } => d.field("custom_domain", name),
            Location::Base {
                scheme,
                authority,
                prefix,
                ..
            } => d.field(
                "base_url",
                &format_args!("{}://{authority}{prefix}", scheme.as_str()),
            ),
        };
        if self.allow_insecure_http {
            d.field("allow_insecure_http", &true);
        }
        d.finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Regional { cloud, region } => write!(f, "region {region} ({cloud})"),
            Location::CustomDomain { name } => {
                write!(f, "https://{name}.cognitiveservices.azure.com")
            }
            Location::Base {
                scheme,
                authority,
                prefix,
                ..
            } => write!(f, "{}://{authority}{prefix}", scheme.as_str()),
        }
    }
}

impl Endpoint {
    /// A public-cloud region, e.g. `"westus"`. Only the shape is checked (`[a-z0-9]+`, at most
    /// [`MAX_REGION_LEN`] characters), so new regions work without an update.
    pub fn region(region: &str) -> Result<Self, Error> {
        Self::regional(Cloud::Public, region)
    }

    /// A region of whichever cloud its name belongs to ([`Cloud::of_region`]): `"westeurope"`,
    /// `"usgovvirginia"`, `"chinaeast2"`. The name is trimmed and lower-cased first.
    pub fn region_in_its_cloud(region: &str) -> Result<Self, Error> {
        let lower = region.trim().to_ascii_lowercase();
        Self::regional(Cloud::of_region(&lower), &lower)
    }

    /// An Azure Government region (`"usgovarizona"`, `"usgovvirginia"`). Its token host
    /// (`<region>.api.cognitive.microsoft.us`) differs in suffix from its speech hosts (`<region>.stt.speech.azure.us`).
    pub fn us_government(region: &str) -> Result<Self, Error> {
        Self::regional(Cloud::UsGovernment, region)
    }

    /// An Azure China (21Vianet) region (`"chinaeast2"`, `"chinanorth2"`, `"chinanorth3"`).
    pub fn china(region: &str) -> Result<Self, Error> {
        Self::regional(Cloud::China, region)
    }

    /// A region in the given cloud.
    pub fn regional(cloud: Cloud, region: &str) -> Result<Self, Error> {
        validate_region(region)?;
        Ok(Self::new(Location::Regional {
            cloud,
            region: region.to_owned(),
        }))
    }

    /// A resource with a custom subdomain: `name` is the resource name, e.g. `"my-resource"` for
    /// `https://my-resource.cognitiveservices.azure.com`. Needed for Microsoft Entra authentication and private
    /// endpoints. The service label moves into the path (`/stt/speech/...`, `/tts/cognitiveservices/...`); the
    /// token service is at `/sts/v1.0/issueToken` on the same host.
    ///
    /// The name is a DNS label (letters, digits, `-`; not starting or ending with `-`; at most 63 characters);
    /// letters are lower-cased. For a full URL, use [`Endpoint::from_url`].
    pub fn custom_domain(name: &str) -> Result<Self, Error> {
        let ok = !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !ok {
            return Err(Misuse::InvalidResourceName(truncate_for_error(name)).into());
        }
        Ok(Self::new(Location::CustomDomain {
            name: name.to_ascii_lowercase(),
        }))
    }

    /// Any base URL: a Speech container, the emulator, a proxy. Every path goes under it as-is, without a service
    /// label (`http://localhost:5000` + `/speech/recognition/...`). A path in the base (`https://proxy/speech`)
    /// becomes a prefix.
    ///
    /// Refused: schemes other than `http`/`https`, a missing host, user info (`user@`), a query or a fragment.
    /// Plain `http://` to a host that is not loopback is refused when a URI is built, unless
    /// [`Endpoint::allow_insecure_http`] is set.
    pub fn base_url(url: &str) -> Result<Self, Error> {
        let (scheme, authority, host, prefix) = parse_base(url)?;
        Ok(Self::new(Location::Base {
            scheme,
            authority,
            host,
            prefix,
        }))
    }

    /// An endpoint from a URL as the Azure portal shows it (the `SPEECH_ENDPOINT` convention): recognises
    /// `https://<name>.cognitiveservices.azure.com/` (custom domain), `https://<region>.api.cognitive.microsoft.com/`
    /// and the regional `stt`/`tts`/`voice` hosts of every cloud (region). Anything else becomes
    /// [`Endpoint::base_url`].
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let (scheme, _authority, host, prefix) = parse_base(url)?;
        let has_port = url_has_explicit_port(url);
        if scheme == Scheme::Https && prefix.is_empty() && !has_port {
            if let Some(name) = host.strip_suffix(".cognitiveservices.azure.com") {
                if !name.contains('.') {
                    return Self::custom_domain(name);
                }
            }
            for cloud in [Cloud::Public, Cloud::UsGovernment, Cloud::China] {
                let token_suffix = format!(".{}", cloud.token_suffix());
                if let Some(region) = host.strip_suffix(&token_suffix) {
                    if validate_region(region).is_ok() {
                        return Self::regional(cloud, region);
                    }
                }
                for kind in [
                    HostKind::SpeechToText,
                    HostKind::TextToSpeech,
                    HostKind::CustomVoice,
                ] {
                    let label = kind.label().unwrap_or_default();
                    let suffix = format!(".{label}.{}", cloud.speech_suffix());
                    if let Some(region) = host.strip_suffix(&suffix) {
                        if validate_region(region).is_ok() {
                            return Self::regional(cloud, region);
                        }
                    }
                }
            }
        }
        Self::base_url(url)
    }

    fn new(location: Location) -> Self {
        Endpoint {
            location,
            allow_insecure_http: false,
        }
    }

    /// Allow plain `http://` to a host that is not loopback (e.g. a container on the local network). Off by
    /// default: keys and tokens would cross the network in clear text.
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Whether plain `http://` to non-loopback hosts has been allowed.
    pub fn insecure_http_allowed(&self) -> bool {
        self.allow_insecure_http
    }

    /// The cloud and region, for regional endpoints.
    pub fn region_name(&self) -> Option<(Cloud, &str)> {
        match &self.location {
            Location::Regional { cloud, region } => Some((*cloud, region)),
            _ => None,
        }
    }

    /// The resource name, for custom-domain endpoints.
    pub fn custom_domain_name(&self) -> Option<&str> {
        match &self.location {
            Location::CustomDomain { name } => Some(name),
            _ => None,
        }
    }

    /// The family of hosts a token issued by this endpoint's token service may be sent to.
    pub fn host_family(&self) -> HostFamily {
        HostFamily(match &self.location {
            Location::Regional { cloud, region } => Family::Regional {
                cloud: *cloud,
                region: region.clone(),
            },
            Location::CustomDomain { name } => Family::CustomDomain { name: name.clone() },
            Location::Base {
                scheme, authority, ..
            } => Family::Base {
                scheme: *scheme,
                authority: authority.clone(),
            },
        })
    }

    /// The full URI of `path` on the `host` of this endpoint, with `query` appended (names and values
    /// percent-encoded; unreserved characters are kept as they are).
    ///
    /// `path` must start with `/` and hold only characters valid in a URI path (no `?`, `#`, spaces or control
    /// characters), e.g. `/speech/recognition/conversation/cognitiveservices/v1`.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidValue`] for a bad path, [`Misuse::InsecureScheme`] for plain `http://` to a non-loopback
    /// host without the opt-in.
    pub fn uri(&self, host: HostKind, path: &str, query: &[(&str, &str)]) -> Result<Uri, Error> {
        self.build(host, path, query, false)
    }

    /// Like [`Endpoint::uri`], with the WebSocket scheme (`wss`, or `ws` where the endpoint is plain `http`).
    pub fn websocket_uri(
        &self,
        host: HostKind,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Uri, Error> {
        self.build(host, path, query, true)
    }

    /// The token service: `POST` here to exchange a key for a token.
    pub fn token_uri(&self) -> Result<Uri, Error> {
        self.uri(HostKind::Token, TOKEN_PATH, &[])
    }

    /// The voices list (`GET`).
    pub fn voices_list_uri(&self) -> Result<Uri, Error> {
        self.uri(HostKind::TextToSpeech, VOICES_LIST_PATH, &[])
    }

    /// Text-to-speech synthesis with prebuilt voices (`POST`).
    pub fn synthesis_uri(&self) -> Result<Uri, Error> {
        self.uri(HostKind::TextToSpeech, SYNTHESIS_PATH, &[])
    }

    /// Fast transcription (`POST`, multipart): `/speechtotext/transcriptions:transcribe?api-version=…` on the
    /// region's `api.cognitive` host, on the custom domain, or under the base URL.
    pub fn fast_transcription_uri(&self, version: ApiVersion) -> Result<Uri, Error> {
        self.uri(
            HostKind::Api,
            FAST_TRANSCRIPTION_PATH,
            &[("api-version", version.as_str())],
        )
    }

    /// Custom (neural) voice synthesis for the deployment `deployment_id` (`POST`).
    pub fn custom_voice_synthesis_uri(&self, deployment_id: &str) -> Result<Uri, Error> {
        if deployment_id.is_empty() {
            return Err(Misuse::Missing("deploymentId").into());
        }
        self.uri(
            HostKind::CustomVoice,
            SYNTHESIS_PATH,
            &[("deploymentId", deployment_id)],
        )
    }

    fn build(
        &self,
        host: HostKind,
        path: &str,
        query: &[(&str, &str)],
        websocket: bool,
    ) -> Result<Uri, Error> {
        validate_path(path)?;
        let (scheme, authority, prefix) = match &self.location {
            Location::Regional { cloud, region } => {
                (Scheme::Https, cloud.host(region, host), String::new())
            }
            Location::CustomDomain { name } => (
                Scheme::Https,
                format!("{name}.cognitiveservices.azure.com"),
                host.label().map(|l| format!("/{l}")).unwrap_or_default(),
            ),
            Location::Base {
                scheme,
                authority,
                host: bare_host,
                prefix,
            } => {
                if *scheme == Scheme::Http && !self.allow_insecure_http && !is_loopback(bare_host) {
                    return Err(Misuse::InsecureScheme {
                        host: bare_host.clone(),
                    }
                    .into());
                }
                (*scheme, authority.clone(), prefix.clone())
            }
        };
        let scheme = if websocket {
            scheme.websocket()
        } else {
            scheme.as_str()
        };
        let mut s = format!("{scheme}://{authority}{prefix}{path}");
        for (i, (name, value)) in query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            percent_encode_into(name, &mut s);
            s.push('=');
            percent_encode_into(value, &mut s);
        }
        Uri::try_from(s).map_err(|_| {
            Error::from(Misuse::InvalidValue {
                name: "path",
                reason: "the endpoint and path do not form a valid URI".to_owned(),
            })
        })
    }
}

/// The family of hosts a bearer token is valid for.
///
/// Regional tokens (public, Government, China) work with that region's speech hosts of the same cloud;
/// custom-domain tokens only with that custom host; base-URL tokens only with that scheme and authority.
/// Compare two families with `==`, or test a request's URI with [`HostFamily::contains`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostFamily(Family);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Family {
    Regional { cloud: Cloud, region: String },
    CustomDomain { name: String },
    Base { scheme: Scheme, authority: String },
}

impl HostFamily {
    /// Whether `uri` points at a host of this family. Schemes `https`/`wss` are required except for base URLs,
    /// where the scheme must match the base's (`http` matches `ws`, `https` matches `wss`).
    pub fn contains(&self, uri: &Uri) -> bool {
        let Some(authority) = uri.authority() else {
            return false;
        };
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => {
                Scheme::Https
            }
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => {
                Scheme::Http
            }
            _ => return false,
        };
        let host = authority.host().to_ascii_lowercase();
        match &self.0 {
            Family::Regional { cloud, region } => {
                if scheme != Scheme::Https || authority.port().is_some() {
                    return false;
                }
                [
                    HostKind::Token,
                    HostKind::SpeechToText,
                    HostKind::TextToSpeech,
                    HostKind::CustomVoice,
                ]
                .into_iter()
                .any(|k| cloud.host(region, k) == host)
            }
            Family::CustomDomain { name } => {
                scheme == Scheme::Https
                    && authority.port().is_none()
                    && host == format!("{name}.cognitiveservices.azure.com")
            }
            Family::Base {
                scheme: s,
                authority: a,
            } => *s == scheme && authority.as_str().eq_ignore_ascii_case(a),
        }
    }
}

impl fmt::Display for HostFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Family::Regional { cloud, region } => write!(f, "region {region} ({cloud})"),
            Family::CustomDomain { name } => write!(f, "{name}.cognitiveservices.azure.com"),
            Family::Base { scheme, authority } => write!(f, "{}://{authority}", scheme.as_str()),
        }
    }
}

fn validate_region(region: &str) -> Result<(), Error> {
    let ok = !region.is_empty()
        && region.len() <= MAX_REGION_LEN
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Misuse::InvalidRegion(truncate_for_error(region)).into())
    }
}

/// Keep error payloads small: a caller could pass megabytes by mistake.
fn truncate_for_error(s: &str) -> String {
    const MAX: usize = 128;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn validate_path(path: &str) -> Result<(), Error> {
    let ok = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Misuse::InvalidValue {
            name: "path",
            reason: "a path must start with '/' and hold only URI path characters (no '?', '#', spaces or \
                     control characters)"
                .to_owned(),
        }
        .into())
    }
}

fn invalid_url(url: &str, reason: &'static str) -> Error {
    Misuse::InvalidUrl {
        url: truncate_for_error(&redact_userinfo(url)),
        reason,
    }
    .into()
}

/// Replace `user:password@` in a URL with `***@`, so that errors never carry credentials.
fn redact_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &rest[at..]),
        None => url.to_owned(),
    }
}

fn url_has_explicit_port(url: &str) -> bool {
    url.parse::<Uri>().ok().and_then(|u| u.port_u16()).is_some()
}

/// Retired global hosts that no current Speech resource answers on.
const LEGACY_HOSTS: [&str; 2] = ["api.cognitive.microsoft.com", "speech.platform.bing.com"];

/// Parse a base URL into (scheme, authority, bare host, prefix).
fn parse_base(url: &str) -> Result<(Scheme, String, String, String), Error> {
    if url.contains('#') {
        return Err(invalid_url(
            url,
            "a base URL must not have a fragment ('#...')",
        ));
    }
    let uri: Uri = url.parse().map_err(|_| {
        invalid_url(
            url,
            "not a valid absolute URL (expected e.g. https://host:port)",
        )
    })?;
    let scheme = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
        Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
        Some(_) => return Err(invalid_url(url, "the scheme must be http or https")),
        None => {
            return Err(invalid_url(
                url,
                "the URL has no scheme (expected https://...)",
            ))
        }
    };
    let Some(authority) = uri.authority() else {
        return Err(invalid_url(url, "the URL has no host"));
    };
    if authority.as_str().contains('@') {
        return Err(invalid_url(
            url,
            "a base URL must not carry user info (user:password@)",
        ));
    }
    if uri.query().is_some() {
        return Err(invalid_url(
            url,
            "a base URL must not have a query ('?...')",
        ));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if host.is_empty() {
        return Err(invalid_url(url, "the URL has no host"));
    }
    if LEGACY_HOSTS.contains(&host.trim_end_matches('.')) {
        return Err(invalid_url(
            url,
            "this is a retired global endpoint (Bing Speech era); use the resource's regional endpoint, e.g. \
             https://westus.api.cognitive.microsoft.com, or its custom domain",
        ));
    }
    let authority = match authority.port() {
        Some(port) if authority.host().starts_with('[') => format!("[{host}]:{port}"),
        Some(port) => format!("{host}:{port}"),
        None if authority.host().starts_with('[') => format!("[{host}]"),
        None => host.clone(),
    };
    let prefix = uri.path().trim_end_matches('/').to_owned();
    Ok((scheme, authority, host, prefix))
}

/// Whether `host` (without brackets or port) is a loopback name or address. Parsed with `core::net`; no
/// resolution happens.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(v4) = host.parse::<core::net::Ipv4Addr>() {
        return v4.is_loopback();
    }
    if let Ok(v6) = host.parse::<core::net::Ipv6Addr>() {
        return v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
    }
    false
}

/// Percent-encode `s` for a query component: unreserved characters (`A-Z a-z 0-9 - . _ ~`) stay, every other
/// byte becomes `%XX`.
pub(crate) fn percent_encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STT: &str = "/speech/recognition/conversation/cognitiveservices/v1";

    #[test]
    fn percent_encoding_keeps_unreserved() {
        let mut s = String::new();
        percent_encode_into("en-US_a.b~c d&e=f/é", &mut s);
        assert_eq!(s, "en-US_a.b~c%20d%26e%3Df%2F%C3%A9");
    }

    #[test]
    fn loopback_detection() {
        for h in [
            "localhost",
            "LOCALHOST",
            "emu.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "example.com",
            "localhost.example.com",
            "10.0.0.1",
            "128.0.0.1",
            "::2",
            "0.0.0.0",
            "::",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn regional_query_is_encoded() {
        let e = Endpoint::region("westus").unwrap();
        let u = e
            .uri(
                HostKind::SpeechToText,
                STT,
                &[("language", "en-US"), ("cid", "a b")],
            )
            .unwrap();
        assert_eq!(
            u,
            "https://westus.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US&cid=a%20b"
        );
    }

    #[test]
    fn bad_paths_are_refused() {
        let e = Endpoint::region("westus").unwrap();
        for p in ["", "x", "/a?b", "/a#b", "/a b", "/a\r\n"] {
            assert!(
                matches!(
                    e.uri(HostKind::Token, p, &[]),
                    Err(Error::Misuse(Misuse::InvalidValue { .. }))
                ),
                "{p:?}"
            );
        }
    }

    #[test]
    fn userinfo_is_redacted_in_errors() {
        let err = Endpoint::base_url("https://user:s3cret@example.com/x").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cret"));
        assert_eq!(redact_userinfo("https://u:p@h/a@b"), "https://***@h/a@b");
        assert_eq!(redact_userinfo("https://h/a@b"), "https://h/a@b");
    }

    #[test]
    fn base_url_ipv6_loopback() {
        let e = Endpoint::base_url("http://[::1]:5000").unwrap();
        assert_eq!(
            e.token_uri().unwrap(),
            "http://[::1]:5000/sts/v1.0/issueToken"
        );
    }
}
