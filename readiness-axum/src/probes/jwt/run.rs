//! Sending the valid token and every forgery to every route, and judging the answers.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use jsonwebtoken::Algorithm;
use readiness_core::Outcome;

use super::JwtValidation;
use super::forgery::{Forged, Forgery};
use crate::probes::{list, status_hint, unix_now};

/// What one route answered.
struct RouteAnswers {
    label: String,
    /// The valid token's status (`None` when the probe could not make one).
    valid: Option<StatusCode>,
    /// Each forgery sent and the statuses of its tokens.
    forged: Vec<(Forgery, Vec<StatusCode>)>,
}

/// What the answers of one route prove.
struct Verdict {
    /// Why the route fails, if it does.
    failures: Vec<String>,
    /// How many forgeries it accepted.
    accepted: usize,
    /// How many forgeries it refused (every token with 401 or 403).
    refused: usize,
}

impl RouteAnswers {
    fn judge(&self) -> Verdict {
        let mut accepted = Vec::new();
        let mut unexpected = Vec::new();
        let mut refused = 0usize;
        for (forgery, statuses) in &self.forged {
            if let Some(status) = statuses.iter().find(|status| status.is_success()) {
                accepted.push(format!("{forgery} ({})", status.as_u16()));
            } else if let Some(status) = statuses.iter().find(|status| !matches!(status.as_u16(), 401 | 403)) {
                unexpected.push(format!("{forgery} answered {}: {}", status.as_u16(), status_hint(*status)));
            } else {
                refused += 1;
            }
        }
        let mut failures = Vec::new();
        if let Some(valid) = self.valid.filter(|status| !status.is_success()) {
            failures.push(format!(
                "the valid token was refused with {} ({}; are the probe's key, audience, issuer and kid the service's?)",
                valid.as_u16(),
                if matches!(valid.as_u16(), 401 | 403) { "nothing is proven" } else { status_hint(valid) }
            ));
        }
        if !accepted.is_empty() {
            failures.push(format!("forged tokens accepted: {}", list(&accepted)));
        }
        if !unexpected.is_empty() {
            failures.push(format!("neither 401 nor 403: {}", list(&unexpected)));
        }
        Verdict { failures, accepted: accepted.len(), refused }
    }
}

impl JwtValidation {
    /// The routes to probe, each once, with their method and label.
    fn routes(&self) -> Vec<(Method, String, String)> {
        let mut routes: Vec<(Method, String, String)> = Vec::new();
        for (method, path) in &self.routes {
            let method = method.clone().unwrap_or_else(|| self.method.clone());
            if !routes.iter().any(|(seen, seen_path, _)| *seen == method && seen_path == path) {
                let label = format!("{method} {path}");
                routes.push((method, path.clone(), label));
            }
        }
        routes
    }

    /// A key given to the probe that cannot be used, as a failing outcome.
    fn key_problem(&self, valid: Option<&str>) -> Option<Outcome> {
        let hmac = matches!(self.algorithm, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
        if self.key.is_none() && hmac {
            return Some(Outcome::fail(format!(
                "{:?} is an HMAC algorithm, whose key is a secret with no public half: use JwtValidation::hs256",
                self.algorithm
            )));
        }
        match &self.public {
            Some(Err(reason)) => {
                Some(Outcome::fail(format!("the public key given to the probe cannot be read: {reason}")))
            }
            Some(Ok(public)) if !hmac && !public.kind.fits(self.algorithm) => Some(Outcome::fail(format!(
                "the public key given to the probe is an {} key, which {:?} does not use",
                public.kind, self.algorithm
            ))),
            Some(Ok(public)) if !hmac => {
                // The key-confusion forgeries prove nothing with another key than the service's.
                let (message, signature) = valid?.rsplit_once('.')?;
                let verified =
                    jsonwebtoken::crypto::verify(signature, message.as_bytes(), &public.decoding_key(), self.algorithm);
                (!matches!(verified, Ok(true))).then(|| {
                    Outcome::fail(
                        "the public key given (JwtValidation::with_public_key) does not verify the probe's own \
                         tokens: it is not the public half of the signing key",
                    )
                })
            }
            _ => None,
        }
    }

    /// Sends one request to `method path` with this bearer token; the status, or a failing
    /// outcome naming the request.
    async fn send(&self, method: &Method, path: &str, token: Option<&str>, what: &str) -> Result<StatusCode, Outcome> {
        let mut request = self.common.request(method, path, Body::empty()).map_err(Outcome::from)?;
        if let Some(token) = token {
            let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {token}")) else {
                return Err(Outcome::fail(format!("the {what} token is not a valid header value")));
            };
            value.set_sensitive(true);
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        match self.common.send(request).await {
            Ok(response) => Ok(response.status()),
            Err(error) => Err(Outcome::fail(format!("with the {what} token: {error}"))),
        }
    }

    pub(super) async fn run(&self) -> Outcome {
        let routes = self.routes();
        let labels: Vec<&str> = routes.iter().map(|(_, _, label)| label.as_str()).collect();
        let request = list(&labels);
        let now = unix_now();
        let valid = match self.sign(&self.claims(now)) {
            None => None,
            Some(Ok(token)) => Some(token),
            Some(Err(outcome)) => return outcome.evidence("request", &request),
        };
        if let Some(problem) = self.key_problem(valid.as_deref()) {
            return problem.evidence("request", &request);
        }

        let mut plan = Vec::new();
        let mut not_sent = Vec::new();
        let mut unconfigured = Vec::new();
        let mut cannot_tell = Vec::new();
        for forgery in Forgery::ALL {
            if self.skip.contains(&forgery) {
                not_sent.push(format!("{forgery} (skipped)"));
                continue;
            }
            if valid.is_none() && forgery.needs_signing_key() {
                not_sent.push(format!("{forgery} (needs the private key)"));
                cannot_tell.push(forgery);
                continue;
            }
            match self.forge(forgery, now, valid.as_deref()) {
                Ok(Forged::Send(tokens)) => plan.push((forgery, tokens)),
                Ok(Forged::NotApplicable(reason)) => not_sent.push(format!("{forgery} (does not apply: {reason})")),
                Ok(Forged::Unconfigured(reason)) => {
                    not_sent.push(format!("{forgery} ({reason})"));
                    unconfigured.push(format!("{forgery} ({reason})"));
                }
                Err(outcome) => return outcome.evidence("request", &request),
            }
        }

        let mut answers = Vec::with_capacity(routes.len());
        for (method, path, label) in &routes {
            let valid_status = match &valid {
                Some(token) => match self.send(method, path, Some(token), "valid").await {
                    Ok(status) => Some(status),
                    Err(outcome) => return outcome.evidence("request", label),
                },
                None => None,
            };
            let mut forged = Vec::with_capacity(plan.len());
            for (forgery, tokens) in &plan {
                let mut statuses = Vec::with_capacity(tokens.len());
                for token in tokens {
                    match self.send(method, path, token.as_deref(), forgery.as_str()).await {
                        Ok(status) => statuses.push(status),
                        Err(outcome) => return outcome.evidence("request", label),
                    }
                }
                forged.push((*forgery, statuses));
            }
            answers.push(RouteAnswers { label: label.clone(), valid: valid_status, forged });
        }
        self.verdict(&answers, &request, plan.len(), &unconfigured, &cannot_tell)
            .evidence("request", &request)
            .evidence("algorithm", format!("{:?}", self.algorithm))
            .evidence("signing key", if self.key.is_some() { "given" } else { "none: the public key only" })
            .evidence("not sent", list(&not_sent))
    }

    /// The outcome of all routes' answers, with their evidence.
    fn verdict(
        &self,
        answers: &[RouteAnswers],
        request: &str,
        sent: usize,
        unconfigured: &[String],
        cannot_tell: &[Forgery],
    ) -> Outcome {
        let single = answers.len() == 1;
        let mut failures = Vec::new();
        let mut accepted = 0usize;
        let mut refused = 0usize;
        for route in answers {
            let verdict = route.judge();
            accepted += verdict.accepted;
            refused = refused.max(verdict.refused);
            if !verdict.failures.is_empty() {
                failures.push(format!("{}: {}", route.label, verdict.failures.join("; ")));
            }
        }
        let who = if single { request.to_owned() } else { format!("{request} each") };
        let outcome = if !failures.is_empty() {
            Outcome::fail(failures.join("; "))
        } else if !unconfigured.is_empty() || !self.skip.is_empty() {
            // A forgery left out is a forgery not proven refused: never a pass.
            let mut untried: Vec<String> = unconfigured.to_vec();
            untried.extend(self.skip.iter().map(|forgery| format!("{forgery} (skipped)")));
            Outcome::warn(format!(
                "{who} accepted the valid token and refused {refused} forged ones, but could not try {}",
                list(&untried)
            ))
        } else if self.key.is_none() && (self.audience.is_none() || self.issuer.is_none()) {
            let missing = match (&self.audience, &self.issuer) {
                (None, None) => "no audience and no issuer",
                (None, Some(_)) => "no audience",
                _ => "no issuer",
            };
            Outcome::cannot_tell(
                format!(
                    "{who} refused every forged token, but they carry {missing}, which a service normally \
                     requires: a refusal may be for that, not for the forgery"
                ),
                "give the audience and issuer the service expects (JwtValidation::audience, JwtValidation::issuer)",
            )
        } else if self.key.is_none() {
            Outcome::pass().with_output(format!(
                "{who} refused all {sent} forged tokens that need no private key; cannot tell without the identity \
                 provider's private key: whether a valid token is accepted, {}",
                list(cannot_tell)
            ))
        } else {
            Outcome::pass().with_output(format!("{who} accepted the valid token and refused all {sent} forged ones"))
        };
        let mut outcome = outcome.observed(accepted, "forged tokens accepted");
        for route in answers {
            let prefix = if single { String::new() } else { format!("{} ", route.label) };
            outcome = outcome.evidence(
                format!("{prefix}valid"),
                route.valid.map_or_else(
                    || "not sent (needs the private key)".to_owned(),
                    |status| status.as_u16().to_string(),
                ),
            );
            for (forgery, statuses) in &route.forged {
                let codes: Vec<String> = statuses.iter().map(|status| status.as_u16().to_string()).collect();
                outcome = outcome.evidence(format!("{prefix}forged {forgery}"), codes.join(", "));
            }
        }
        if !cannot_tell.is_empty() {
            outcome = outcome.evidence("cannot tell (needs the private key)", list(cannot_tell));
        }
        outcome
    }
}
