//! `http:jwt` against the forgeries a JWT validator gets wrong beyond the basics: `alg: none` in
//! another case, an empty signature, key confusion (HS256 keyed with the RSA or EC public key),
//! `kid` path and injection tricks, an unknown `crit`, several protected routes, and a service
//! that holds only an identity provider's public key.
//!
//! Every service is a real axum `Router`. The correct ones verify with `jsonwebtoken` (pinned
//! algorithm, `exp`, `nbf`, `aud`, `iss` required) and refuse a header listing `crit`, which
//! `jsonwebtoken` 9 ignores; each vulnerable one carries one flaw, written the way such code is
//! written: a case-sensitive `none` blocklist in front of a case-insensitive dispatcher, the
//! verifier picked from the token's `alg` and handed the key bytes, a fast path for unsigned
//! tokens, key files named by `kid`, a key looked up with SQL in the real PostgreSQL on
//! 127.0.0.1:5432 (skipped with a line when none answers), or read with a shell command.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::{assert_status, output};

use axum::Router;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use readiness_axum::probes::{Forgery, JwtValidation};
use readiness_core::{CheckResult, Status};
use secrecy::SecretString;
use serde_json::{Value, json};

const AUDIENCE: &str = "orders-api";
const ISSUER: &str = "https://idp.orders.example";
const HMAC_SECRET: &str = "the-hs256-secret-of-the-kid-services-0123456789";
/// The `kid` of the HMAC services' one key, and of the RS256 service's JWKS entry.
const KID: &str = "main";
const JWKS_KID: &str = "idp-2024-05";

// ----- test keys: generated with openssl for these tests only, used nowhere else -------------

/// `openssl genrsa -traditional 2048`: the service's RS256 signing key (PKCS#1).
const RSA_PRIVATE_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA31s3kkHSja+jBjR/MBvZzmOjb+mVZxSIzLn3OXt3TkwxrK/s
DrGqqtf28tSZdvs68VSPA+MwAGuQ1ghaG7y9I9XjWUPkzIUFHo3A0TrUnZc3N6kN
G2ZekQ2qnt1rO9BB3zNnKgfhfvg1eWLFXhz5qLA8Yp70raMAUBBUMh9s2pBS2v1e
Ocx6FwweBTcX2oIKXVu8pMSTLiGHGNo5yk/QuXqkShee1eI8MVKj2x5fZGnX422d
g3n2ostHmNHRL1aUzpeEu5rCNp7f9DLpe89ceCYI1JJaUxpx/nhu+XMljhNUYZzt
LJ0Joibb6RcjMqeUWKckyPDYGq06R8fZ4EwpNwIDAQABAoIBADVa/XXvSmR1UfzP
+pgb9xZR//9ibcGvipRZUkEFiPUHx5AIgFvsPihMqd3NQpHFJwnyWK2ljlhzWah/
W0Mn/Yi7dfFjghsHJbdsRmTU6Ghy8IpX1F04wZtmB92maBDkSXAPv/Ou6UOi+Gc0
XJCEXHFbFDm83hdCincVx38nuaGmCRwwGlcbDTBZx/W/Dw7ink3t69LQKxT9PRe1
vc/SqNcyGchUpQAyAQUoX/5hkEyCtce8Ji6a1Ohi5v5etiCjr34/HqF5n4/zYm1p
UVLYXfwB7uRcyG8mqXKhHzjJ+IlIm4pI/5AzFV0up101fRdoTYjHjpmivCrOs/ii
s4qVMOkCgYEA8gBeNBGViTp1ppfXyX0UMPzXYTaomN84gm5dBAokeQIhj4LAP1sQ
Vx98K2Dw1Bif+0bca5rknQrCDARxnVb+GLCwa7tMGUlboVgwjKef+A2v/5u9hoS1
OqxDewLmqgNEPzb0YrESiPJENWbGhZ+N4RkHKzoRFHjQGkapJ5m4bB8CgYEA7Ea/
E0bxIx8TaF3UTvZ1CGNy0tZcs3XUw8xQ64TzYhX2SllmNxnV7AyjuC5HXooIVptw
pcJFLwaev/xx/EZl8L/HPu2lOBBD4mD7fatZ0gzphBx5Vz7OYgUSrFvYxJUyxJGo
1F/YrDpxxXD1pvRIVD/xONyuEszY6wByV7JmH+kCgYBQSMr33zWK1zgc0pcmIzbF
obwaZjW8saFftBlrs6mx84EKyUfaPO3I2YsqIPkEhD7e7/1EPZjGeMEzl23R0wBt
VIDS3Mo8QVgCyO0iXKH3eyL+W76el/w/wNKKRsYbdQX5KtQcwb3ybN0wEi6eOfap
zNHSB2uPLR1s+jA4EQlb5QKBgGRy90zkviOmVIPsUBR55ut4DBrik2qgT6ImPMjE
LwymNZ0KQNBwJWhDP19QHXttx3m6f7uYyfziHZ+VXYhZDYG6pqR0N+eL0rBtdr3I
mVkZsDVAPb3/r5Iwge3Q5mk83OaA3nvbe6xM9I1yJp2iARYAUTdRapgHirjt6a6q
44vxAoGBAJa/RQWerObh5cJ1AcWEshHV+ciwSpFEoCq/Chf1kJzbyBa0+IJx4WKj
+qGlhO0L16f2LJAI3TYfYkR/EKoP1fSehbhe+u/z7LU4R+36AgwnbeWwGoWaVp8x
q9tcQQHPEZ8iEBV41rtKow9+Gc0NRtaCbANDELKHSDkB4Aglou6z
-----END RSA PRIVATE KEY-----
";
/// `openssl rsa -pubout` of [`RSA_PRIVATE_PEM`]: the key the RS256 service verifies with.
const RSA_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA31s3kkHSja+jBjR/MBvZ
zmOjb+mVZxSIzLn3OXt3TkwxrK/sDrGqqtf28tSZdvs68VSPA+MwAGuQ1ghaG7y9
I9XjWUPkzIUFHo3A0TrUnZc3N6kNG2ZekQ2qnt1rO9BB3zNnKgfhfvg1eWLFXhz5
qLA8Yp70raMAUBBUMh9s2pBS2v1eOcx6FwweBTcX2oIKXVu8pMSTLiGHGNo5yk/Q
uXqkShee1eI8MVKj2x5fZGnX422dg3n2ostHmNHRL1aUzpeEu5rCNp7f9DLpe89c
eCYI1JJaUxpx/nhu+XMljhNUYZztLJ0Joibb6RcjMqeUWKckyPDYGq06R8fZ4Ewp
NwIDAQAB
-----END PUBLIC KEY-----
";
/// The public half of another RSA key.
const OTHER_RSA_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0pFUiZ5H7o1uIfYAYD7W
9a+Nxg4RDGXJ85dNzQDj6PjAnxgiZhqgW/6ooqax5Kotpd6GX4v4cLlSsaG82AAk
9w36cqsNyIhT41Yv1w2wGCCSmYjMgsbAwQvAMToic5RJBpW9wrspButNvqHBFo9d
4PvNwzZdjw9RFs7BGHNmOblYbNZkSV+FxJpuA//bIJWpHtA6E3RmVZzfJOfpxcmy
POI4AIWtIt0bNfPyAvuHWnLqf1A9ZL7hUw3xt3cykg9XB6W0VH4Mx9KzpOtksjha
VKBjJYnnFwbQ/3uO0WtznYDI0dDaW3lXsIr9ReS5l3b4ug1DSuh5DQQ7DDPrXxli
zwIDAQAB
-----END PUBLIC KEY-----
";
/// `openssl ecparam -name prime256v1 -genkey | openssl pkcs8 -topk8 -nocrypt`: the identity provider's ES256 key, which the probes never get.
const EC_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgO445uyLdD1WJNd3z
k4dNhgyUYlcCKCgqmd1qk16xpZ6hRANCAAQqqm8jdBJjdk4Bn9jJ5PX/q+uAdzXi
ibyR/NAMTzMXDrkP0V8CDpmeDTlKaFuJGRDGHlkHpu4eg+XXbPUbjEzG
-----END PRIVATE KEY-----
";
/// `openssl ec -pubout` of [`EC_PRIVATE_PEM`]: all the ES256 service (and its probe) holds.
const EC_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKqpvI3QSY3ZOAZ/YyeT1/6vrgHc1
4om8kfzQDE8zFw65D9FfAg6Zng05SmhbiRkQxh5ZB6buHoPl12z1G4xMxg==
-----END PUBLIC KEY-----
";
/// The modulus of [`RSA_PUBLIC_PEM`], base64url, as a JWKS publishes it (its exponent is `AQAB`).
const RSA_MODULUS: &str = "31s3kkHSja-jBjR_MBvZzmOjb-mVZxSIzLn3OXt3TkwxrK_sDrGqqtf28tSZdvs68VSPA-MwAGuQ1ghaG7y9I9XjWUPkzIUFHo3A0TrUnZc3N6kNG2ZekQ2qnt1rO9BB3zNnKgfhfvg1eWLFXhz5qLA8Yp70raMAUBBUMh9s2pBS2v1eOcx6FwweBTcX2oIKXVu8pMSTLiGHGNo5yk_QuXqkShee1eI8MVKj2x5fZGnX422dg3n2ostHmNHRL1aUzpeEu5rCNp7f9DLpe89ceCYI1JJaUxpx_nhu-XMljhNUYZztLJ0Joibb6RcjMqeUWKckyPDYGq06R8fZ4EwpNw";

// ----- the services --------------------------------------------------------------------------

/// The key family a service verifies with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keys {
    /// RS256 with [`RSA_PUBLIC_PEM`].
    Rsa,
    /// ES256 with [`EC_PUBLIC_PEM`] (an identity provider's key).
    Ec,
    /// HS256 with [`HMAC_SECRET`], found by `kid`.
    Hmac,
}

/// The one thing a service gets wrong.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flaw {
    /// Nothing: the correct service.
    None,
    /// Plain `jsonwebtoken`, which ignores `crit`.
    IgnoresCrit,
    /// Refuses `alg: "none"`, but its dispatcher compares names without case and treats
    /// `None`/`NONE` as "unsigned".
    NoneInAnotherCase,
    /// For an `HS*` token, verifies HMAC keyed with the public key's PEM text.
    KeyConfusionPem,
    /// For an `HS*` token, verifies HMAC keyed with the public key's DER (SubjectPublicKeyInfo).
    KeyConfusionDer,
    /// Takes a token with an empty signature as "not signed yet" and checks only its claims.
    SkipsEmptySignature,
    /// Reads the HMAC key from the file `keys/<kid>`.
    KidFile,
    /// Reads the HMAC key with `SELECT … WHERE kid = '<kid>'` (real PostgreSQL, through psql).
    KidSql,
    /// Reads the HMAC key with `sh -c "cat keys/<kid>"`.
    KidCommand,
}

#[derive(Clone)]
struct Service {
    keys: Keys,
    flaw: Flaw,
    /// The `kid` the service's key has, if it looks keys up by `kid`.
    kid: Option<&'static str>,
    /// The key directory of the `kid` services.
    keys_dir: Arc<PathBuf>,
}

impl Service {
    fn new(keys: Keys, flaw: Flaw) -> Self {
        let kid = (keys == Keys::Hmac).then_some(KID);
        Self { keys, flaw, kid, keys_dir: Arc::new(PathBuf::new()) }
    }

    fn algorithm(&self) -> Algorithm {
        match self.keys {
            Keys::Rsa => Algorithm::RS256,
            Keys::Ec => Algorithm::ES256,
            Keys::Hmac => Algorithm::HS256,
        }
    }
}

/// A key directory holding the HMAC key as `main`; removed when dropped.
struct KeysDir(PathBuf);

impl KeysDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("readiness-jwt-{name}-{}", std::process::id())).join("keys");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(KID), HMAC_SECRET).unwrap();
        Self(dir)
    }
}

impl Drop for KeysDir {
    fn drop(&mut self) {
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

/// The DER inside a PEM block.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

/// The public key as `jsonwebtoken` takes it: PKCS#1 for RSA, the SEC1 point for EC.
fn decoding_key(keys: Keys) -> DecodingKey {
    match keys {
        // A 2048-bit RSA SubjectPublicKeyInfo has a 24-byte prefix, a P-256 one 26 bytes.
        Keys::Rsa => DecodingKey::from_rsa_der(&pem_der(RSA_PUBLIC_PEM)[24..]),
        Keys::Ec => DecodingKey::from_ec_der(&pem_der(EC_PUBLIC_PEM)[26..]),
        Keys::Hmac => DecodingKey::from_secret(HMAC_SECRET.as_bytes()),
    }
}

fn public_pem(keys: Keys) -> &'static str {
    if keys == Keys::Ec { EC_PUBLIC_PEM } else { RSA_PUBLIC_PEM }
}

fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_nbf = true;
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    validation
}

fn json_part(part: Option<&str>) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part?).ok()?).ok()
}

fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Value, StatusCode> {
    jsonwebtoken::decode::<Value>(token, key, validation).map(|data| data.claims).map_err(|_| StatusCode::UNAUTHORIZED)
}

/// The HMAC key of `kid` as the flawed lookups find it.
async fn lookup(service: &Service, kid: &str) -> Option<Vec<u8>> {
    match service.flaw {
        // /dev/null reads as an empty key, which HMAC takes.
        Flaw::KidFile => std::fs::read(service.keys_dir.join(kid)).ok(),
        Flaw::KidSql => {
            let query = format!(
                "SELECT secret FROM (VALUES ('{KID}', '{HMAC_SECRET}')) AS keys(kid, secret) WHERE kid = '{kid}'"
            );
            let output = tokio::process::Command::new("psql")
                .args(["-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-tAX", "-c", &query])
                .output()
                .await
                .ok()?;
            let key = String::from_utf8(output.stdout).ok()?.trim_end().to_owned();
            (output.status.success() && !key.is_empty()).then(|| key.into_bytes())
        }
        Flaw::KidCommand => {
            let command = format!("cat {}/{kid}", service.keys_dir.display());
            let output = tokio::process::Command::new("sh").args(["-c", &command]).output().await.ok()?;
            (!output.stdout.is_empty()).then_some(output.stdout)
        }
        _ => (kid == KID).then(|| HMAC_SECRET.as_bytes().to_vec()),
    }
}

/// The service's check of the bearer token: its claims, or the status to answer.
async fn authenticate(headers: &HeaderMap, service: &Service) -> Result<Value, StatusCode> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let header = json_part(token.split('.').next()).ok_or(StatusCode::UNAUTHORIZED)?;
    let alg = header["alg"].as_str().unwrap_or_default();
    // RFC 7515 §4.1.11: this service understands no extension, so any `crit` is refused.
    if service.flaw != Flaw::IgnoresCrit && header.get("crit").is_some() {
        return Err(StatusCode::UNAUTHORIZED);
    }
    match service.flaw {
        Flaw::NoneInAnotherCase => {
            if alg == "none" {
                return Err(StatusCode::UNAUTHORIZED);
            }
            if alg.eq_ignore_ascii_case("none") {
                return json_part(token.split('.').nth(1)).ok_or(StatusCode::UNAUTHORIZED);
            }
        }
        Flaw::KeyConfusionPem | Flaw::KeyConfusionDer if alg.starts_with("HS") => {
            let pem = public_pem(service.keys);
            let secret = if service.flaw == Flaw::KeyConfusionPem { pem.as_bytes().to_vec() } else { pem_der(pem) };
            let algorithm = alg.parse().map_err(|_| StatusCode::UNAUTHORIZED)?;
            return decode(token, &DecodingKey::from_secret(&secret), &validation(algorithm));
        }
        Flaw::SkipsEmptySignature if token.ends_with('.') => {
            let mut unsigned = validation(service.algorithm());
            unsigned.insecure_disable_signature_validation();
            return decode(token, &DecodingKey::from_secret(b""), &unsigned);
        }
        _ => {}
    }
    if let Some(expected) = service.kid {
        let kid = header["kid"].as_str().ok_or(StatusCode::UNAUTHORIZED)?;
        if service.keys == Keys::Hmac {
            let secret = lookup(service, kid).await.ok_or(StatusCode::UNAUTHORIZED)?;
            return decode(token, &DecodingKey::from_secret(&secret), &validation(Algorithm::HS256));
        }
        if kid != expected {
            return Err(StatusCode::UNAUTHORIZED);
        }
    }
    decode(token, &decoding_key(service.keys), &validation(service.algorithm()))
}

/// A router with these routes: a protected one answers its `sub`, `None` is left open.
fn router(routes: &[(Method, &'static str, Option<Service>)]) -> Router {
    let mut router = Router::new().route("/", get(|| async { "orders" }));
    for (method, path, service) in routes.iter().cloned() {
        let handler = move |headers: HeaderMap| async move {
            let Some(service) = service else { return "open to anyone".into_response() };
            match authenticate(&headers, &service).await {
                Ok(claims) => axum::Json(json!({"sub": claims["sub"]})).into_response(),
                Err(status) => status.into_response(),
            }
        };
        router =
            if method == Method::POST { router.route(path, post(handler)) } else { router.route(path, get(handler)) };
    }
    router
}

fn app(service: Service) -> Router {
    router(&[(Method::GET, "/api/me", Some(service))])
}

// ----- the probes ----------------------------------------------------------------------------

/// With the RS256 private key and the public key.
fn rsa_probe(router: Router) -> JwtValidation {
    let key = EncodingKey::from_rsa_der(&pem_der(RSA_PRIVATE_PEM));
    JwtValidation::with_key(router, "/api/me", key, Algorithm::RS256)
        .with_public_key(RSA_PUBLIC_PEM)
        .audience(AUDIENCE)
        .issuer(ISSUER)
}

/// With the ES256 public key only.
fn idp_probe(router: Router) -> JwtValidation {
    JwtValidation::public_key(router, "/api/me", EC_PUBLIC_PEM, Algorithm::ES256).audience(AUDIENCE).issuer(ISSUER)
}

/// With the HMAC secret and its `kid`; slow lookups (a process per request) get room.
fn hmac_probe(router: Router) -> JwtValidation {
    JwtValidation::hs256(router, "/api/me", &SecretString::from(HMAC_SECRET))
        .kid(KID)
        .audience(AUDIENCE)
        .issuer(ISSUER)
        .request_timeout(Duration::from_secs(10))
        .spec(|spec| spec.timeout(Duration::from_secs(60)))
}

async fn run(probe: JwtValidation) -> CheckResult {
    let builder = readiness_core::testing::builder().deadline(Duration::from_secs(90));
    readiness_core::testing::run_check_in(builder, probe.check()).await
}

/// Neither a key, a PEM body nor a token in what the probe reports.
fn assert_nothing_secret(result: &CheckResult) {
    let shown = format!("{:?}", result.outcome);
    for secret in [HMAC_SECRET, "eyJ", &RSA_PRIVATE_PEM[40..80], &RSA_PUBLIC_PEM[40..80], &EC_PUBLIC_PEM[40..80]] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

fn postgres_answers() -> bool {
    let address = "127.0.0.1:5432".parse().unwrap();
    let up = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok();
    if !up {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "under CI=true this must not be skipped");
        println!("SKIPPED: no PostgreSQL server answers at 127.0.0.1:5432");
    }
    up
}

// ----- correct services pass -----------------------------------------------------------------

#[tokio::test]
async fn a_correct_rs256_service_refuses_every_forgery() {
    let result = run(rsa_probe(app(Service::new(Keys::Rsa, Flaw::None)))).await;
    assert_status(&result, Status::Pass);
    assert_eq!(output(&result), "GET /api/me accepted the valid token and refused all 21 forged ones");
    let evidence = &result.outcome.evidence;
    assert_eq!(evidence["valid"], "200");
    for forgery in Forgery::ALL {
        let statuses = &evidence[&format!("forged {forgery}")];
        assert!(statuses.split(", ").all(|status| status == "401"), "{forgery}: {statuses}");
    }
    // The PEM as given (which is the canonical SubjectPublicKeyInfo), without its final newline,
    // and the PKCS#1 block; the DER and the key inside it.
    assert_eq!(evidence["forged key-confusion-pem"], "401, 401, 401");
    assert_eq!(evidence["forged key-confusion-der"], "401, 401");
    assert_eq!(evidence["not sent"], "none");
    assert_eq!(result.outcome.observed_value, Some(0.into()));
    assert_nothing_secret(&result);
}

#[tokio::test]
async fn a_correct_hmac_service_that_looks_keys_up_by_kid_passes() {
    let result = run(hmac_probe(app(Service::new(Keys::Hmac, Flaw::None)))).await;
    assert_status(&result, Status::Pass);
    assert_eq!(output(&result), "GET /api/me accepted the valid token and refused all 19 forged ones");
    assert!(result.outcome.evidence["not sent"].contains("key-confusion-pem (does not apply"));
    // Without the kid, the valid token is refused: nothing is proven, and the probe says so.
    let probe = JwtValidation::hs256(app(Service::new(Keys::Hmac, Flaw::None)), "/api/me", &HMAC_SECRET.into())
        .audience(AUDIENCE)
        .issuer(ISSUER);
    let result = run(probe).await;
    assert_status(&result, Status::Fail);
    assert!(output(&result).contains("the valid token was refused with 401 (nothing is proven"), "{}", output(&result));
    assert_nothing_secret(&result);
}

#[tokio::test]
async fn a_public_key_probe_passes_a_correct_es256_service_without_claiming_what_it_cannot_try() {
    // The service works: a token of the identity provider's key is accepted.
    let idp = EncodingKey::from_ec_der(&pem_der(EC_PRIVATE_PEM));
    let with_private =
        JwtValidation::with_key(app(Service::new(Keys::Ec, Flaw::None)), "/api/me", idp, Algorithm::ES256)
            .with_public_key(EC_PUBLIC_PEM)
            .audience(AUDIENCE)
            .issuer(ISSUER);
    assert_status(&run(with_private).await, Status::Pass);

    let result = run(idp_probe(app(Service::new(Keys::Ec, Flaw::None)))).await;
    assert_status(&result, Status::Pass);
    let cannot_tell = "expired, not-yet-valid, no-expiry, tampered, wrong-audience, wrong-issuer, unknown-crit";
    assert_eq!(
        output(&result),
        format!(
            "GET /api/me refused all 14 forged tokens that need no private key; cannot tell without the identity \
             provider's private key: whether a valid token is accepted, {cannot_tell}"
        )
    );
    let evidence = &result.outcome.evidence;
    assert_eq!(evidence["valid"], "not sent (needs the private key)");
    assert_eq!(evidence["cannot tell (needs the private key)"], cannot_tell);
    assert_eq!(evidence["signing key"], "none: the public key only");
    assert!(!evidence.contains_key("forged expired"), "{evidence:?}");
    for forgery in ["alg-none", "alg-None", "empty-signature", "wrong-key", "key-confusion-pem", "kid-sql"] {
        assert!(evidence[&format!("forged {forgery}")].starts_with("401"), "{forgery}");
    }
    assert_nothing_secret(&result);

    // A service that ignores `crit` passes too: the probe cannot make that forgery, and its
    // output says so instead of claiming it.
    let result = run(idp_probe(app(Service::new(Keys::Ec, Flaw::IgnoresCrit)))).await;
    assert_status(&result, Status::Pass);
    assert!(output(&result).ends_with("unknown-crit"), "{}", output(&result));
}

#[tokio::test]
async fn a_jwks_entry_is_enough_and_its_kid_is_sent() {
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": JWKS_KID, "n": RSA_MODULUS, "e": "AQAB"
    }))
    .unwrap();
    let service = Service { kid: Some(JWKS_KID), ..Service::new(Keys::Rsa, Flaw::None) };
    let result = run(JwtValidation::public_jwk(app(service), "/api/me", &jwk).audience(AUDIENCE).issuer(ISSUER)).await;
    assert_status(&result, Status::Pass);
    assert!(output(&result).starts_with("GET /api/me refused all 14 forged tokens"), "{}", output(&result));
    assert_eq!(result.outcome.evidence["algorithm"], "RS256");
    // The PEM rebuilt from n and e is the one the service holds: key confusion is caught.
    let service = Service { kid: Some(JWKS_KID), ..Service::new(Keys::Rsa, Flaw::KeyConfusionPem) };
    let result = run(JwtValidation::public_jwk(app(service), "/api/me", &jwk).audience(AUDIENCE).issuer(ISSUER)).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: key-confusion-pem (200)");
}

// ----- each flaw fails, naming the forgery ---------------------------------------------------

#[tokio::test]
async fn alg_none_in_another_case_fails() {
    let expected = "GET /api/me: forged tokens accepted: alg-None (200), alg-NONE (200), alg-nOnE (200)";
    let result = run(rsa_probe(app(Service::new(Keys::Rsa, Flaw::NoneInAnotherCase)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), expected);
    assert_eq!(result.outcome.evidence["forged alg-none"], "401", "the blocklist works for `none` itself");
    assert_eq!(result.outcome.observed_value, Some(3.into()));
    let result = run(idp_probe(app(Service::new(Keys::Ec, Flaw::NoneInAnotherCase)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), expected);
}

#[tokio::test]
async fn key_confusion_with_the_public_key_pem_fails() {
    let result = run(rsa_probe(app(Service::new(Keys::Rsa, Flaw::KeyConfusionPem)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: key-confusion-pem (200)");
    let result = run(idp_probe(app(Service::new(Keys::Ec, Flaw::KeyConfusionPem)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: key-confusion-pem (200)");
    assert_nothing_secret(&result);
}

#[tokio::test]
async fn key_confusion_with_the_public_key_der_fails() {
    let result = run(rsa_probe(app(Service::new(Keys::Rsa, Flaw::KeyConfusionDer)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: key-confusion-der (200)");
    // Given as DER, the probe still tries the PEM texts (canonical), and the DER.
    let probe = JwtValidation::public_key_der(
        app(Service::new(Keys::Ec, Flaw::KeyConfusionDer)),
        "/api/me",
        &pem_der(EC_PUBLIC_PEM),
        Algorithm::ES256,
    )
    .audience(AUDIENCE)
    .issuer(ISSUER);
    let result = run(probe).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: key-confusion-der (200)");
}

#[tokio::test]
async fn an_empty_signature_fails() {
    let result = run(rsa_probe(app(Service::new(Keys::Rsa, Flaw::SkipsEmptySignature)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: empty-signature (200)");
    let result = run(idp_probe(app(Service::new(Keys::Ec, Flaw::SkipsEmptySignature)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: empty-signature (200)");
}

#[tokio::test]
async fn an_unknown_crit_fails() {
    let result = run(rsa_probe(app(Service::new(Keys::Rsa, Flaw::IgnoresCrit)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: unknown-crit (200)");
}

#[tokio::test]
async fn a_kid_used_as_a_file_path_fails() {
    let dir = KeysDir::new("file");
    let service = Service { keys_dir: Arc::new(dir.0.clone()), ..Service::new(Keys::Hmac, Flaw::KidFile) };
    let result = run(hmac_probe(app(service))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: kid-traversal (200), kid-dev-null (200)");
    assert_eq!(result.outcome.evidence["valid"], "200", "the key file is found by its kid");
}

#[tokio::test]
async fn a_kid_pasted_into_sql_fails() {
    if !postgres_answers() {
        return;
    }
    let result = run(hmac_probe(app(Service::new(Keys::Hmac, Flaw::KidSql)))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: kid-sql (200)");
    assert_eq!(result.outcome.evidence["valid"], "200", "the key is found in PostgreSQL by its kid");
}

#[tokio::test]
async fn a_kid_pasted_into_a_shell_command_fails() {
    let dir = KeysDir::new("command");
    let service = Service { keys_dir: Arc::new(dir.0.clone()), ..Service::new(Keys::Hmac, Flaw::KidCommand) };
    let result = run(hmac_probe(app(service))).await;
    assert_status(&result, Status::Fail);
    assert_eq!(output(&result), "GET /api/me: forged tokens accepted: kid-command (200)");
    assert_eq!(result.outcome.evidence["valid"], "200");
}

// ----- several routes ------------------------------------------------------------------------

#[tokio::test]
async fn every_route_is_probed_and_the_one_that_accepts_a_forgery_is_named() {
    let correct = Service::new(Keys::Rsa, Flaw::None);
    let routes = [
        (Method::GET, "/api/me", Some(correct.clone())),
        (Method::GET, "/api/orders", None),
        (Method::POST, "/api/admin", Some(Service::new(Keys::Rsa, Flaw::NoneInAnotherCase))),
    ];
    // Probing only the first route, the service looks fine.
    assert_status(&run(rsa_probe(router(&routes))).await, Status::Pass);

    let result = run(rsa_probe(router(&routes)).path("/api/orders").route(Method::POST, "/api/admin")).await;
    assert_status(&result, Status::Fail);
    let text = output(&result);
    assert!(
        text.starts_with("GET /api/orders: forged tokens accepted: no-token (200), garbage (200), alg-none (200)"),
        "{text}"
    );
    assert!(
        text.ends_with("; POST /api/admin: forged tokens accepted: alg-None (200), alg-NONE (200), alg-nOnE (200)"),
        "{text}"
    );
    assert!(!text.contains("GET /api/me"), "{text}");
    let evidence = &result.outcome.evidence;
    assert_eq!(evidence["request"], "GET /api/me, GET /api/orders, POST /api/admin");
    assert_eq!(evidence["GET /api/orders forged no-token"], "200");
    assert_eq!(evidence["GET /api/me forged no-token"], "401");
    assert_eq!(evidence["POST /api/admin forged alg-NONE"], "200");
    assert_eq!(result.outcome.observed_value, Some((21 + 3).into()));

    // Every route protected: a pass names them all.
    let routes = [(Method::GET, "/api/me", Some(correct.clone())), (Method::GET, "/api/orders", Some(correct))];
    let result = run(rsa_probe(router(&routes)).paths(["/api/orders", "/api/me"])).await;
    assert_status(&result, Status::Pass);
    assert_eq!(
        output(&result),
        "GET /api/me, GET /api/orders each accepted the valid token and refused all 21 forged ones"
    );
}

// ----- what the probe cannot use -------------------------------------------------------------

#[tokio::test]
async fn a_private_key_probe_without_the_public_key_warns() {
    let key = EncodingKey::from_rsa_der(&pem_der(RSA_PRIVATE_PEM));
    let probe =
        JwtValidation::with_key(app(Service::new(Keys::Rsa, Flaw::KeyConfusionPem)), "/api/me", key, Algorithm::RS256)
            .audience(AUDIENCE)
            .issuer(ISSUER);
    let result = run(probe).await;
    assert_status(&result, Status::Warn);
    assert_eq!(
        output(&result),
        "GET /api/me accepted the valid token and refused 19 forged ones, but could not try key-confusion-pem (the \
         service's public key was not given (JwtValidation::with_public_key)), key-confusion-der (the service's \
         public key was not given (JwtValidation::with_public_key))"
    );
}

#[tokio::test]
async fn a_public_key_probe_without_audience_and_issuer_cannot_tell() {
    let probe =
        JwtValidation::public_key(app(Service::new(Keys::Ec, Flaw::None)), "/api/me", EC_PUBLIC_PEM, Algorithm::ES256);
    let result = run(probe.clone()).await;
    assert_status(&result, Status::Warn);
    assert!(
        output(&result).starts_with(
            "cannot tell: GET /api/me refused every forged token, but they carry no audience and no issuer"
        ),
        "{}",
        output(&result)
    );
    let result = run(probe.audience(AUDIENCE)).await;
    assert_status(&result, Status::Warn);
    assert!(output(&result).contains("they carry no issuer"), "{}", output(&result));
}

#[tokio::test]
async fn keys_that_cannot_be_used_fail() {
    let service = || app(Service::new(Keys::Rsa, Flaw::KeyConfusionPem));
    let cases = [
        (rsa_probe(service()).with_public_key(OTHER_RSA_PUBLIC_PEM), "is not the public half of the signing key"),
        (rsa_probe(service()).with_public_key(EC_PUBLIC_PEM), "is an EC key, which RS256 does not use"),
        (
            JwtValidation::public_key(service(), "/api/me", "not a key", Algorithm::RS256),
            "cannot be read: no -----BEGIN",
        ),
        (
            JwtValidation::public_key(service(), "/api/me", RSA_PRIVATE_PEM, Algorithm::RS256),
            "cannot be read: a RSA PRIVATE KEY: give the public key",
        ),
        (
            JwtValidation::public_key(service(), "/api/me", RSA_PUBLIC_PEM, Algorithm::HS256),
            "HS256 is an HMAC algorithm",
        ),
    ];
    for (probe, expected) in cases {
        let result = run(probe.audience(AUDIENCE).issuer(ISSUER)).await;
        assert_status(&result, Status::Fail);
        assert!(output(&result).contains(expected), "{expected:?} not in {}", output(&result));
        assert_nothing_secret(&result);
    }
}

#[tokio::test]
async fn a_skipped_forgery_is_never_a_pass() {
    // The same correct service; the probe is told to leave one forgery out: what was not tried
    // is not proven refused.
    let probe = rsa_probe(app(Service::new(Keys::Rsa, Flaw::None))).skip(Forgery::UnknownCrit);
    let result = run(probe).await;
    assert_status(&result, Status::Warn);
    assert!(
        result.outcome.output.as_deref().unwrap_or_default().contains("unknown-crit (skipped)"),
        "{:?}",
        result.outcome
    );
}
