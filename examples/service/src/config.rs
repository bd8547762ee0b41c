//! Configuration from the environment, attesting itself with `#[derive(Attest)]`.

use std::net::SocketAddr;

use readiness_core::Attest;
use readiness_core::checks::secrets::SecretString;

/// Where to listen and what to connect to. A problem here stops the service: it cannot run.
#[derive(Attest)]
#[attest(control = "security.data.secrets", name = "secrets:settings")]
pub struct Settings {
    /// `HOST:PORT`; port 0 picks a free one.
    #[attest(env = "ADDR", default = "127.0.0.1:3000")]
    pub(crate) addr: SocketAddr,
    /// `sqlite:…` or `postgres://…`; an SQLite file of the service's own when unset.
    #[attest(env = "DATABASE_URL", secret, file)]
    pub(crate) database_url: Option<SecretString>,
    /// The bearer token that unlocks readiness details.
    #[attest(env = "READINESS_TOKEN", secret, file, min_len = 16)]
    pub(crate) readiness_token: Option<SecretString>,
    /// 64 hex characters: the ed25519 seed that signs `/readiness/attestation`.
    #[attest(env = "ATTESTATION_KEY", secret, file, min_len = 64)]
    pub(crate) attestation_key: Option<SecretString>,
    /// How long to keep serving after SIGTERM, with readiness failing.
    /// Where to serve gRPC health (`grpc.health.v1`), if anywhere: port `0` picks a free one.
    #[attest(env = "GRPC_ADDR")]
    pub(crate) grpc_addr: Option<SocketAddr>,
    #[attest(env = "DRAIN_MS", default = "12000")]
    pub(crate) drain_ms: u64,
    /// How long the requests in flight may take after the drain before the service exits anyway.
    #[attest(env = "SHUTDOWN_DEADLINE_MS", default = "10000")]
    pub(crate) shutdown_deadline_ms: u64,
    /// How long a client may take to send a request head once it started (slowloris).
    #[attest(env = "HEADER_READ_TIMEOUT_MS", default = "10000")]
    pub(crate) header_read_timeout_ms: u64,
    /// How long a connection may sit idle between requests.
    #[attest(env = "IDLE_TIMEOUT_MS", default = "60000")]
    pub(crate) idle_timeout_ms: u64,
    /// How many connections are served at once; more wait in the listen backlog.
    #[attest(env = "MAX_CONNECTIONS", default = "1024")]
    pub(crate) max_connections: usize,
    /// The readiness probe's `periodSeconds`, in milliseconds: the drain must cover
    /// `PROBE_PERIOD_MS × PROBE_FAILURE_THRESHOLD` so the orchestrator sees readiness fail before
    /// the service stops serving.
    #[attest(env = "PROBE_PERIOD_MS", default = "10000")]
    pub(crate) probe_period_ms: u64,
    /// The readiness probe's `failureThreshold`.
    #[attest(env = "PROBE_FAILURE_THRESHOLD", default = "1")]
    pub(crate) probe_failure_threshold: u32,
    /// The resident memory `host:memory` allows, in MiB: keep it under the container's limit.
    #[attest(env = "MAX_RSS_MB", default = "512")]
    pub(crate) max_rss_mb: u64,
    /// The proxies in front (an ingress), as comma-separated CIDRs (`10.0.0.0/8,127.0.0.1/32`):
    /// the rate limiter believes `X-Forwarded-For` only when the peer is one of them, and keys on
    /// the right-most address they did not add. Unset: the peer address, and no header believed.
    #[attest(env = "TRUSTED_PROXIES")]
    pub(crate) trusted_proxies: Option<String>,
    /// Comma-separated origins allowed to call the API from a browser (never `*`).
    #[attest(env = "CORS_ORIGINS", default = "https://orders.example.com")]
    pub(crate) cors_origins: String,
    /// The PEM certificate (chain) served in front of this service, by the ingress or by a TLS
    /// terminator: `tls:certificate` checks it is valid and not within 30 days of expiry.
    #[attest(env = "TLS_CERT_FILE")]
    pub(crate) tls_cert_file: Option<std::path::PathBuf>,
    /// The public `https://` URL clients reach the service at: `tls:served` connects to it and
    /// verifies the chain it is served for the hostname. Unset: only the file is checked.
    #[attest(env = "PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Where the service writes its data: `host:disk` checks this filesystem. Default: the
    /// SQLite database's directory, or the temporary directory with PostgreSQL.
    #[attest(env = "DATA_DIR")]
    pub(crate) data_dir: Option<std::path::PathBuf>,
}

impl Settings {
    /// Whether `READINESS_TOKEN` is set (details are shown to callers presenting it).
    pub fn has_readiness_token(&self) -> bool {
        self.readiness_token.is_some()
    }
}

/// The token-signing secret. Without it the service still starts, and the `secrets:jwt` check
/// fails with what to do.
#[derive(Attest)]
#[attest(control = "security.data.secrets", name = "secrets:jwt")]
pub(crate) struct Secrets {
    /// Signs and verifies tokens; at least 32 random characters.
    #[attest(env = "JWT_SECRET", secret, file, min_len = 32)]
    pub(crate) jwt_secret: SecretString,
}

/// The trusted proxies of `TRUSTED_PROXIES`. `TRUSTED_PROXY_HOPS`, which it replaced, stops the
/// service: it counted proxies instead of naming them, so a client reaching the service past the
/// proxy chose its own rate-limit key, and ignoring it would silently key every client behind an
/// ingress on the ingress.
pub(crate) fn trusted_proxies(list: Option<&str>) -> Result<crate::api::TrustedProxies, String> {
    if std::env::var_os("TRUSTED_PROXY_HOPS").is_some() {
        return Err("TRUSTED_PROXY_HOPS is no longer read: name the proxies in front in TRUSTED_PROXIES instead \
                    (comma-separated CIDRs, e.g. 10.0.0.0/8), so X-Forwarded-For is believed from them only"
            .to_owned());
    }
    crate::api::TrustedProxies::parse(list.unwrap_or_default())
}

/// The ed25519 signing key from `ATTESTATION_KEY` (64 hex characters).
pub(crate) fn signing_key(seed: &SecretString) -> Result<ed25519_dalek::SigningKey, String> {
    use readiness_core::checks::secrets::ExposeSecret;
    let text = seed.expose_secret().trim();
    let mut bytes = [0_u8; 32];
    if text.len() != 64 {
        return Err("ATTESTATION_KEY must be 64 hex characters".to_owned());
    }
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16)
            .map_err(|_| "ATTESTATION_KEY must be 64 hex characters".to_owned())?;
    }
    Ok(ed25519_dalek::SigningKey::from_bytes(&bytes))
}

/// The SQLite database used when `DATABASE_URL` is unset.
pub(crate) const DEFAULT_DATABASE_URL: &str = "sqlite:example-service.sqlite?mode=rwc";

/// The directory the service writes to: `DATA_DIR`, else the SQLite file's directory, else (for
/// PostgreSQL, which keeps no local data) the temporary directory. Absolute, so the check's
/// evidence names the real place, not `.`.
pub(crate) fn data_dir(configured: Option<&std::path::Path>, database_url: &str) -> std::path::PathBuf {
    let dir = match configured {
        Some(dir) => dir.to_owned(),
        None => match database_url.strip_prefix("sqlite:") {
            Some(rest) => {
                let file = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
                std::path::Path::new(file).parent().map(std::path::Path::to_owned).unwrap_or_default()
            }
            None => std::env::temp_dir(),
        },
    };
    let dir = if dir.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { dir };
    std::path::absolute(&dir).unwrap_or(dir)
}
